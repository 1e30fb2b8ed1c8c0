// SPDX-License-Identifier: GPL-2.0
/* Addresses in the 16-byte form, prefixes, protocols, ADDR[:PORT]. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "policy/addr.h"
#include "rcc_shared.h"

static const __u8 v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
static const __u8 nat64_prefix[12] = { 0, 0x64, 0xff, 0x9b };

void rcc_addr_from_v4(__u8 addr[16], const void *be4)
{
	memcpy(addr, v4mapped_prefix, 12);
	memcpy(addr + 12, be4, 4);
}

bool rcc_addr_is_v4(const __u8 addr[16])
{
	return memcmp(addr, v4mapped_prefix, 12) == 0;
}

/* NAT64 (64:ff9b::/96) carries an IPv4 address: where it leads to. */
void rcc_addr_embedded_v4(__u8 addr[16])
{
	if (memcmp(addr, nat64_prefix, 12) == 0)
		memcpy(addr, v4mapped_prefix, 12);
}

bool rcc_addr_from_sockaddr(__u8 addr[16], const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		rcc_addr_from_v4(addr, &((const struct sockaddr_in *)sa)->sin_addr);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

int rcc_addr_parse(const char *s, __u8 addr[16], bool *is_v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		rcc_addr_from_v4(addr, &a4);
		*is_v4 = true;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*is_v4 = false;
		return 0;
	}
	return -EINVAL;
}

void rcc_addr_prefix_format(const __u8 addr[16], unsigned plen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = rcc_addr_is_v4(addr) && plen >= 96;
	unsigned full = v4 ? 32 : 128;

	if (v4) {
		inet_ntop(AF_INET, addr + 12, a, sizeof(a));
		plen -= 96;
	} else {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
	}
	if (plen == full)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, plen);
}

bool rcc_addr_prefix_covers(const __u8 net[16], unsigned plen, const __u8 a[16])
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net, a, full))
		return false;
	if (!rest)
		return true;
	return ((net[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

bool rcc_addr_hostname_valid(const char *s)
{
	size_t n = strlen(s), label = 0;
	bool alpha = false;

	if (n == 0 || n >= RCC_HOSTNAME_MAX)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (*s == '-' && label == 0)
			return false;
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
		if (isalpha((unsigned char)*s) || *s == '-' || *s == '_')
			alpha = true;
		if (++label > 63)
			return false;
	}
	if (s[-1] == '-')
		return false;
	return alpha; /* all digits and dots is a bad IPv4 address */
}

__u8 rcc_addr_proto_parse(const char *s)
{
	if (!strcasecmp(s, "tcp"))
		return RCC_PROTO_TCP;
	if (!strcasecmp(s, "udp"))
		return RCC_PROTO_UDP;
	if (!strcasecmp(s, "icmp") || !strcasecmp(s, "icmpv6"))
		return RCC_PROTO_ICMP;
	return 0;
}

const char *rcc_addr_proto_name(__u8 proto_bit)
{
	switch (proto_bit) {
	case RCC_PROTO_TCP:
		return "tcp";
	case RCC_PROTO_UDP:
		return "udp";
	case RCC_PROTO_ICMP:
		return "icmp";
	default:
		return "other";
	}
}

int rcc_addr_port_parse(const char *s, __u8 addr[16], __u16 *port, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long p = 53;
	__u8 a[16];
	bool v4;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':') || close - s - 1 >= (long)sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		if (colon - s >= (long)sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	} else {
		if (strlen(s) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%s", s);
		colon = NULL;
	}
	if (rcc_addr_parse(host, a, &v4) || (s[0] == '[' && v4))
		goto bad;
	if (colon && (rcc_parse_ulong(colon + 1, 65535, &p) || !p))
		goto bad;
	if (addr)
		memcpy(addr, a, 16);
	if (port)
		*port = p;
	return 0;
bad:
	snprintf(err, errlen,
		 "'%s' is not ADDR[:PORT] (e.g. 10.0.0.53, 10.0.0.53:5353, [2001:db8::53]:53)", s);
	return -EINVAL;
}

bool rcc_addr_list_equal(const struct rcc_addr_list *a, const struct rcc_addr_list *b)
{
	return a->n == b->n && (!a->n || !memcmp(a->addrs, b->addrs, a->n * 16));
}

void rcc_addr_list_free(struct rcc_addr_list *l)
{
	free(l->addrs);
	l->addrs = NULL;
	l->n = 0;
}
