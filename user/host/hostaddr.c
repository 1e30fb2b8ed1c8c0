// SPDX-License-Identifier: GPL-2.0
/* The host's own addresses, and a netlink socket that says when they move. */
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policy/addr.h"
#include "host/hostaddr.h"

/* Reads a busy socket at most this often before the caller's loop gets a
 * turn; what stays unread wakes it again. */
#define WATCH_READS_MAX 64

static bool is_loopback(const __u8 a[16])
{
	static const __u8 lo6[16] = { [15] = 1 };

	return (rcc_addr_is_v4(a) && a[12] == 127) || !memcmp(a, lo6, 16);
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

int rcc_hostaddr_read(struct rcc_addr_list *out)
{
	struct ifaddrs *ifa, *i;
	size_t cap = 0, n = 0, j;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		__u8 a[16];

		if (!i->ifa_addr || !rcc_addr_from_sockaddr(a, i->ifa_addr) || is_loopback(a))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *grown = realloc(out->addrs, ncap * 16);

			if (!grown) {
				freeifaddrs(ifa);
				rcc_addr_list_free(out);
				return -ENOMEM;
			}
			out->addrs = grown;
			cap = ncap;
		}
		memcpy(out->addrs[n++], a, 16);
	}
	freeifaddrs(ifa);
	/* sorted, so two reads compare with one memcmp */
	if (n)
		qsort(out->addrs, n, 16, cmp_addr);
	for (j = 0; j < n; j++)
		if (!out->n || memcmp(out->addrs[out->n - 1], out->addrs[j], 16))
			memmove(out->addrs[out->n++], out->addrs[j], 16);
	return 0;
}

struct json_object *rcc_hostaddr_to_json(const struct rcc_addr_list *l)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		char shown[64];

		rcc_addr_prefix_format(l->addrs[i], 128, shown, sizeof(shown));
		json_object_array_add(arr, json_object_new_string(shown));
	}
	json_object_object_add(o, "addresses", arr);
	return o;
}

int rcc_hostaddr_watch_open(void)
{
	static const int groups[] = { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t i;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i])))
			goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int rcc_hostaddr_watch_read(int fd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct nlmsghdr))));
	int reads, changed = 0;

	for (reads = 0; reads < WATCH_READS_MAX; reads++) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		struct nlmsghdr *h;
		int n;

		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* notifications were lost: only a full read is sure */
			changed = 1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return changed;
		if (n < 0)
			return -errno;
		if (n == 0)
			return changed;
		if (from.nl_pid)
			continue; /* only the kernel speaks for the interfaces */
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR)
				changed = 1;
	}
	return 1; /* still busy: read the addresses now, the rest wakes us again */
}
