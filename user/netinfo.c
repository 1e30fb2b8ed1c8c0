// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "netinfo.h"

static bool seen(__u8 (*addrs)[16], size_t n, const __u8 a[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(addrs[i], a, 16))
			return true;
	return false;
}

int rcc_resolve_system(const char *name, __u8 (*addrs)[16], size_t max,
		       void *ctx)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	size_t n = 0;
	int rc;

	(void)ctx;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc)
		return rc == EAI_NONAME || rc == EAI_NODATA ? -ENOENT : -EAGAIN;
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		__u8 a[16];

		if (rcc_addr_from_sockaddr(a, ai->ai_addr) && !seen(addrs, n, a))
			memcpy(addrs[n++], a, 16);
	}
	freeaddrinfo(res);
	return n ? (int)n : -ENOENT;
}
