// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netinfo.h"

static bool seen(__u8 (*addrs)[16], size_t n, const __u8 a[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(addrs[i], a, 16))
			return true;
	return false;
}

static bool sockaddr_to16(const struct sockaddr *sa, __u8 a[16])
{
	if (sa->sa_family == AF_INET) {
		rcc_addr_from_v4(a, &((const struct sockaddr_in *)sa)->sin_addr);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		rcc_addr_normalise(a);
		return true;
	}
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

		if (sockaddr_to16(ai->ai_addr, a) && !seen(addrs, n, a))
			memcpy(addrs[n++], a, 16);
	}
	freeaddrinfo(res);
	return n ? (int)n : -ENOENT;
}

int rcc_host_addrs(struct rcc_addr_list *out)
{
	struct ifaddrs *ifa, *i;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		__u8 a[16];
		static const __u8 lo6[16] = { [15] = 1 };

		if (!i->ifa_addr || !sockaddr_to16(i->ifa_addr, a))
			continue;
		if ((rcc_addr_is_v4(a) && a[12] == 127) || !memcmp(a, lo6, 16))
			continue;
		if (seen(out->addrs, out->n, a))
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *n = realloc(out->addrs, ncap * 16);

			if (!n) {
				freeifaddrs(ifa);
				rcc_addr_list_free(out);
				return -ENOMEM;
			}
			out->addrs = n;
			cap = ncap;
		}
		memcpy(out->addrs[out->n++], a, 16);
	}
	freeifaddrs(ifa);
	return 0;
}

void rcc_addr_list_free(struct rcc_addr_list *l)
{
	free(l->addrs);
	l->addrs = NULL;
	l->n = 0;
}
