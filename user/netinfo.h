/* SPDX-License-Identifier: GPL-2.0 */
/* What the host's network says: its own addresses, names it resolves. */
#ifndef RCC_NETINFO_H
#define RCC_NETINFO_H

#include "policy.h"

/* getaddrinfo: A and AAAA answers; returns how many, or -errno. */
int rcc_resolve_system(const char *name, __u8 (*addrs)[16], size_t max,
		       void *ctx);
/* Every address on the host's interfaces, loopback excluded. */
int rcc_host_addrs(struct rcc_addr_list *out);
void rcc_addr_list_free(struct rcc_addr_list *l);

#endif
