/* SPDX-License-Identifier: GPL-2.0 */
/* Names the host resolves (the host's own addresses: hostaddr.h). */
#ifndef RCC_NETINFO_H
#define RCC_NETINFO_H

#include "policy.h"

/* getaddrinfo: A and AAAA answers; returns how many, or -errno. */
int rcc_resolve_system(const char *name, __u8 (*addrs)[16], size_t max,
		       void *ctx);

#endif
