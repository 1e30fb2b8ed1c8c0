// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/dnslisten.h"
#include "lib/log.h"
#include "lib/util.h"

#define PORT_TRIES 16

static const struct {
	const char *name;
	int family, type;
} kinds[RCC_DNSL__MAX] = {
	[RCC_DNSL_UDP4] = { "udp4", AF_INET, SOCK_DGRAM },
	[RCC_DNSL_TCP4] = { "tcp4", AF_INET, SOCK_STREAM },
	[RCC_DNSL_UDP6] = { "udp6", AF_INET6, SOCK_DGRAM },
	[RCC_DNSL_TCP6] = { "tcp6", AF_INET6, SOCK_STREAM },
};

const char *rcc_dnslisten_kind_name(enum rcc_dnslisten_kind kind)
{
	return kinds[kind].name;
}

static void listen_init(struct rcc_dnslisten *l)
{
	int i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < RCC_DNSL__MAX; i++)
		l->fd[i] = -1;
}

void rcc_dnslisten_close(struct rcc_dnslisten *l)
{
	int i;

	for (i = 0; i < RCC_DNSL__MAX; i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
	listen_init(l);
}

/* One listener of kind on loopback, port (0: any); its fd or -errno. */
static int open_one(enum rcc_dnslisten_kind kind, __u16 *port)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd, one = 1;

	if (kinds[kind].family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(*port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons(*port);
		len = sizeof(*sin6);
	}
	fd = socket(kinds[kind].family, kinds[kind].type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (kinds[kind].family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    (kinds[kind].type == SOCK_STREAM && listen(fd, 128)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same offset in both */
	return fd;
}

/* All four on one port: the UDP4 one picks it, the rest follow; a port
 * another socket holds for TCP or ::1 means picking again. */
static int open_all(struct rcc_dnslisten *l)
{
	int tries, i, fd;

	for (tries = 0; tries < PORT_TRIES; tries++) {
		__u16 port = 0;

		rcc_dnslisten_close(l);
		fd = open_one(RCC_DNSL_UDP4, &port);
		if (fd < 0)
			return fd;
		l->fd[RCC_DNSL_UDP4] = fd;
		l->port = port;
		fd = open_one(RCC_DNSL_TCP4, &port);
		if (fd == -EADDRINUSE)
			continue;
		if (fd < 0)
			return fd;
		l->fd[RCC_DNSL_TCP4] = fd;
		/* ::1 is optional: a namespace without IPv6 sends IPv6
		 * queries to ::ffff:127.0.0.1 (rcc_dns_listener.v6 = 0) */
		for (i = RCC_DNSL_UDP6; i <= RCC_DNSL_TCP6; i++) {
			fd = open_one(i, &port);
			if (fd == -EADDRINUSE)
				break;
			l->fd[i] = fd < 0 ? -1 : fd;
		}
		if (fd == -EADDRINUSE)
			continue;
		l->v6 = l->fd[RCC_DNSL_UDP6] >= 0 && l->fd[RCC_DNSL_TCP6] >= 0;
		if (!l->v6) {
			for (i = RCC_DNSL_UDP6; i <= RCC_DNSL_TCP6; i++)
				if (l->fd[i] >= 0)
					close(l->fd[i]);
			l->fd[RCC_DNSL_UDP6] = l->fd[RCC_DNSL_TCP6] = -1;
		}
		return 0;
	}
	return -EADDRINUSE;
}

int rcc_dnslisten_open(int netns_fd, struct rcc_dnslisten *l)
{
	int own = -1, err = 0;

	listen_init(l);
	if (netns_fd >= 0) {
		own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (own < 0 || setns(netns_fd, CLONE_NEWNET)) {
			err = rcc_log_fail(
				-errno,
				"Failed to enter the sandbox's network namespace for its DNS listener");
			goto out;
		}
	}
	err = open_all(l);
	if (err) {
		rcc_dnslisten_close(l);
		rcc_log_fail(
			err,
			"Failed to open a DNS listener on 127.0.0.1 in the sandbox's network namespace: %s",
			err == -EADDRNOTAVAIL ? "its loopback is down" : strerror(-err));
	}
	if (own >= 0 && setns(own, CLONE_NEWNET)) {
		/* cannot happen short of a kernel bug; never go on in the
		 * sandbox's namespace */
		pr_warn("Failed to return to rcc-bpf's own network namespace: %s\n",
			strerror(errno));
		abort();
	}
out:
	if (own >= 0)
		close(own);
	return err;
}

/* Whether fd is a bound socket of kind; its port. */
static bool adoptable(int fd, enum rcc_dnslisten_kind kind, __u16 *port)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) || type != kinds[kind].type ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) || ss.ss_family != kinds[kind].family)
		return false;
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return true;
}

int rcc_dnslisten_adopt(const int fd[RCC_DNSL__MAX], struct rcc_dnslisten *l)
{
	int i;

	listen_init(l);
	for (i = 0; i < RCC_DNSL__MAX; i++) {
		__u16 port;

		if (fd[i] < 0 && i >= RCC_DNSL_UDP6)
			continue;
		if (fd[i] < 0 || !adoptable(fd[i], i, &port) || (l->port && port != l->port))
			return -EINVAL;
		l->port = port;
	}
	for (i = 0; i < RCC_DNSL__MAX; i++) {
		l->fd[i] = fd[i];
		if (fd[i] >= 0)
			fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
	}
	l->v6 = fd[RCC_DNSL_UDP6] >= 0 && fd[RCC_DNSL_TCP6] >= 0;
	return 0;
}
