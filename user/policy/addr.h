/* SPDX-License-Identifier: GPL-2.0 */
/* Addresses, ports and protocols: parsing policy entries and printing. */
#ifndef RCC_ADDR_H
#define RCC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define RCC_MAX_PORT_RANGES 32
#define RCC_HOSTNAME_MAX 254

struct rcc_port_range {
	__u16 lo, hi;
};

/*
 * One `allow =` or `deny =` entry.  Addresses are held in the 16-byte
 * form the BPF side judges (IPv4 as ::ffff:a.b.c.d, prefix + 96).
 */
struct rcc_entry {
	__u32 action;			/* enum rcc_action */
	__u8 addr[16];
	__u8 plen;			/* 0..128 in the 16-byte space */
	__u8 protos;			/* RCC_PROTO_* */
	__u8 nports;			/* 0: every port */
	__u8 flags;			/* RCC_ENTRY_* */
	int line;
	char *host;			/* non-empty: a name, addr unset */
	struct rcc_port_range *ports;	/* nports of them */
	char *text;			/* as written, for messages */
};

/* `allow = NAME private_ok`: the name may resolve to a private or
 * loopback address (otherwise the rebinding guard drops those). */
#define RCC_ENTRY_PRIVATE_OK 0x1

/* Parses ENTRY; on error returns -EINVAL and writes why into err (and
 * e owns nothing).  Policies hold a million entries: e stays small. */
int rcc_entry_parse(const char *text, __u32 action, struct rcc_entry *e,
		    char *err, size_t errlen);
void rcc_entry_release(struct rcc_entry *e);

/* IPv4 or IPv6 literal into the 16-byte form; 0 or -EINVAL. */
int rcc_addr_parse(const char *s, __u8 addr[16], bool *is_v4);
/* An IPv4 address (network order) into the 16-byte form. */
void rcc_addr_from_v4(__u8 addr[16], const void *be4);
/* A NAT64 address (64:ff9b::a.b.c.d) becomes a.b.c.d; others stay. */
void rcc_addr_embedded_v4(__u8 addr[16]);
struct sockaddr;
/* An AF_INET or AF_INET6 sockaddr into the 16-byte form; false for others. */
bool rcc_addr_from_sockaddr(__u8 addr[16], const struct sockaddr *sa);
bool rcc_addr_is_v4(const __u8 addr[16]);
/* addr/plen as people write it: 10.0.0.0/8, 2001:db8::/32, 10.1.2.3. */
void rcc_prefix_format(const __u8 addr[16], unsigned plen, char *buf,
		       size_t len);
bool rcc_prefix_covers(const __u8 net[16], unsigned plen, const __u8 a[16]);
bool rcc_hostname_valid(const char *s);
/* A DNS server: IPv4[:PORT], IPv6 or [IPv6]:PORT (port 53 when none);
 * addr and port may be NULL.  0, or -EINVAL with why in err. */
int rcc_resolver_parse(const char *s, __u8 addr[16], __u16 *port, char *err,
		       size_t errlen);

/* "tcp" -> RCC_PROTO_TCP; 0 when unknown. */
__u8 rcc_proto_parse(const char *s);
const char *rcc_proto_name(__u8 proto_bit);

#endif
