/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sandbox's DNS listeners: UDP and TCP on 127.0.0.1 and ::1, one port
 * for all four, made inside the sandbox's network namespace (setns) so
 * that only it can reach them.  The caller's own namespace is restored
 * before return.  Sockets made by rcc-bpf belong to its own cgroup: the
 * hooks never judge them.
 */
#ifndef RCC_DNSLISTEN_H
#define RCC_DNSLISTEN_H

#include <stdbool.h>
#include <linux/types.h>

enum rcc_dnslisten_kind {
	RCC_DNSL_UDP4,
	RCC_DNSL_TCP4,
	RCC_DNSL_UDP6,
	RCC_DNSL_TCP6,
	RCC_DNSL__MAX,
};

struct rcc_dnslisten {
	int fd[RCC_DNSL__MAX]; /* -1 where none (no ::1 in the namespace) */
	__u16 port;
	bool v6; /* the ::1 pair is there */
};

/* Opens the listeners in the namespace netns_fd refers to (-1: the
 * caller's own).  0 or -errno, printed with what to do. */
int rcc_dnslisten_open(int netns_fd, struct rcc_dnslisten *l);
/* Takes fds handed over by a predecessor (systemd's fd store): checks
 * each is a listening socket of its kind on one port.  0 or -EINVAL,
 * printing nothing. */
int rcc_dnslisten_adopt(const int fd[RCC_DNSL__MAX], struct rcc_dnslisten *l);
void rcc_dnslisten_close(struct rcc_dnslisten *l);
/* "udp4" ...: the name of a kind, for fd store names. */
const char *rcc_dnslisten_kind_name(enum rcc_dnslisten_kind kind);

#endif
