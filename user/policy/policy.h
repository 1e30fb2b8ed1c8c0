/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy compilation: one [policy] section into the map entries the BPF
 * side looks up (see the verdict rules in include/rcc_shared.h), and the
 * same verdict computed here for `rcc-bpf check`.
 */
#ifndef RCC_POLICY_H
#define RCC_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"
#include "rcc_shared.h"

#define RCC_ORIGIN_MAX 64

/* Keys and values in parallel arrays, the shape batch map updates take.
 * Every key carries the version it was compiled for. */
struct rcc_compiled {
	__u32 version;
	struct rcc_policy pol;
	struct rcc_port_key *port_keys;
	struct rcc_port_val *port_vals;
	size_t nports;
	struct rcc_addr_key *addr_keys;
	struct rcc_addr_val *addr_vals;
	size_t naddrs;
	struct rcc_prefix_key *prefix_keys;
	struct rcc_prefix_val *prefix_vals;
	/* per prefix, where its RCC_SET_* flags came from: "10.0.0.0/8" */
	char (*prefix_origin)[3][RCC_ORIGIN_MAX];
	size_t nprefixes;
};

/* Resolves name into at most max addresses; returns how many or -errno. */
typedef int (*rcc_resolve_fn)(const char *name, __u8 (*addrs)[16], size_t max, void *ctx);

/* What a hostname that does not resolve means to the compiler. */
enum rcc_dns_mode {
	RCC_DNS_STRICT,	 /* validate, check: an error */
	RCC_DNS_ENFORCE, /* attach, run, reload: an allow name is left
				 * out with a warning (fail closed); a deny
				 * name is an error, leaving it out would open */
	RCC_DNS_QUIET,	 /* the daemon: left out, it reports names itself */
};

struct rcc_compile_opts {
	const struct rcc_addr_list *host; /* NULL: none known */
	rcc_resolve_fn resolve;		  /* NULL: no name resolves */
	void *resolve_ctx;
	const char *file; /* for FILE:LINE messages */
	enum rcc_dns_mode dns_mode;
};

/*
 * The rebinding guard's question: is a is loopback, private (the
 * block_private ranges, metadata services among them) or one of host's
 * own addresses?  An allowed name that resolves there is left out unless
 * its entry says private_ok.
 */
bool rcc_policy_addr_internal(const __u8 a[16], const struct rcc_addr_list *host);

/* 0, or -EINVAL with every problem printed as FILE:LINE: problem. */
int rcc_policy_compile(const struct rcc_policy_cfg *p, __u32 version,
		       const struct rcc_compile_opts *opts, struct rcc_compiled *out);
/* Relabels every key for another version (a reload's fresh one). */
void rcc_compiled_set_version(struct rcc_compiled *c, __u32 version);
void rcc_compiled_free(struct rcc_compiled *c);

struct rcc_explain {
	__u32 action;		     /* enum rcc_action */
	__u32 reason;		     /* enum rcc_reason */
	__u32 rule_id;		     /* entry index + 1 when reason is a rule */
	char origin[RCC_ORIGIN_MAX]; /* the range behind a special set */
	__u8 addr[16];		     /* the question (a NAT64 one: its IPv4 address) */
	__u16 port;
	__u8 proto;
	bool via_nat64; /* judged as the IPv4 address NAT64 carries */
	__u32 where;	/* enum rcc_where the question was asked for */
};

/* The verdict for addr/port/proto-class, as the kernel would give it
 * from the sandbox's own network namespace. */
void rcc_compiled_judge(const struct rcc_compiled *c, const __u8 addr[16], __u16 port, __u8 proto,
			struct rcc_explain *out);
/* The same from where a loopback destination leads (enum rcc_where). */
void rcc_compiled_judge_at(const struct rcc_compiled *c, __u32 where, const __u8 addr[16],
			   __u16 port, __u8 proto, struct rcc_explain *out);
/* One line for people: "deny: 192.168.0.0/16 (private)". */
void rcc_policy_explain_format(const struct rcc_policy_cfg *p, const struct rcc_explain *x,
			       char *buf, size_t len);

#endif
