/* SPDX-License-Identifier: GPL-2.0 */
/* Addresses in the 16-byte form the BPF side judges, prefixes, protocols. */
#ifndef RCC_ADDR_H
#define RCC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define RCC_HOSTNAME_MAX 254

/* A list of addresses in the 16-byte form (the host's, for block_host). */
struct rcc_addr_list {
	__u8 (*addrs)[16];
	size_t n;
};

/* Whether a and b hold the same addresses in the same order. */
bool rcc_addr_list_equal(const struct rcc_addr_list *a, const struct rcc_addr_list *b);
void rcc_addr_list_free(struct rcc_addr_list *l);

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
void rcc_addr_prefix_format(const __u8 addr[16], unsigned plen, char *buf, size_t len);
bool rcc_addr_prefix_covers(const __u8 net[16], unsigned plen, const __u8 a[16]);
bool rcc_addr_hostname_valid(const char *s);
/* A DNS server: IPv4[:PORT], IPv6 or [IPv6]:PORT (port 53 when none);
 * addr and port may be NULL.  0, or -EINVAL with why in err. */
int rcc_addr_port_parse(const char *s, __u8 addr[16], __u16 *port, char *err, size_t errlen);

/* "tcp" -> RCC_PROTO_TCP; 0 when unknown. */
__u8 rcc_addr_proto_parse(const char *s);
const char *rcc_addr_proto_name(__u8 proto_bit);

#endif
