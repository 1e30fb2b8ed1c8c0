/* SPDX-License-Identifier: GPL-2.0 */
/* `allow =` and `deny =` entries: ADDR[/PREFIX][:PORTS][/PROTO], ADDR
 * also a hostname or a wildcard (*.zone, **.zone). */
#ifndef RCC_ENTRY_H
#define RCC_ENTRY_H

#include "policy/addr.h"
#include "rcc_shared.h"

#define RCC_MAX_PORT_RANGES 32

struct rcc_port_range {
	__u16 lo, hi;
};

/*
 * One `allow =` or `deny =` entry.  Addresses are held in the 16-byte
 * form the BPF side judges (IPv4 as ::ffff:a.b.c.d, prefix + 96).
 */
struct rcc_entry {
	__u32 action; /* enum rcc_action */
	__u8 addr[16];
	__u8 plen;   /* 0..128 in the 16-byte space */
	__u8 protos; /* RCC_PROTO_* */
	__u8 nports; /* 0: every port */
	__u8 flags;  /* RCC_ENTRY_* */
	int line;
	char *host;		      /* non-empty: a name or wildcard (lowercase,
				       * no trailing dot), addr unset */
	struct rcc_port_range *ports; /* nports of them */
	char *text;		      /* as written, for messages */
};

/* `allow = NAME private_ok`: the name may resolve to a private or
 * loopback address (otherwise the rebinding guard drops those). */
#define RCC_ENTRY_PRIVATE_OK 0x1
/* host is a wildcard, `*.zone` or `**.zone` (see policy/dnsname.h) */
#define RCC_ENTRY_WILDCARD 0x2

/* Parses ENTRY; on error returns -EINVAL and writes why into err (and
 * e owns nothing).  Policies hold a million entries: e stays small. */
int rcc_entry_parse(const char *text, __u32 action, struct rcc_entry *e, char *err, size_t errlen);
void rcc_entry_release(struct rcc_entry *e);

/*
 * Adds r to the n rules of rules[] (room for max), unless one with the
 * same ports, protocols and action is there: the first entry names it.
 * Returns the new count; when r does not fit, n, and *overflow is set.
 */
size_t rcc_entry_rule_add(struct rcc_rule *rules, size_t n, size_t max, const struct rcc_rule *r,
			  bool *overflow);
/* e's port rules, with rule_id, added the same way: one per port range
 * with e's protocols and action, every port being 0..65535. */
size_t rcc_entry_rules(const struct rcc_entry *e, __u32 rule_id, struct rcc_rule *rules, size_t n,
		       size_t max, bool *overflow);

#endif
