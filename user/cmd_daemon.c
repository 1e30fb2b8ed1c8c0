// SPDX-License-Identifier: GPL-2.0
/*
 * daemon: loads the configuration, then is the one consumer of the event
 * ring, writing the audit log until SIGTERM.  Enforcement never depends
 * on it: the programs and maps stay pinned when it stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "log.h"

#define TICK_MS 200

int cli_consume(struct rcc_audit *au, volatile bool *stop)
{
	struct itimerspec its = { { 0, TICK_MS * 1000000 }, { 0, TICK_MS * 1000000 } };
	struct epoll_event ev, evs[4];
	sigset_t mask;
	int ep, sfd, tfd, rc = RCC_EXIT_OK;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		pr_warn("Failed to set up the event loop: %s\n", strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.fd = rcc_audit_epoll_fd(au);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	while (!(stop && *stop)) {
		int n = epoll_wait(ep, evs, 4, -1), i;

		if (n < 0 && errno != EINTR) {
			rc = RCC_EXIT_FAIL;
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP)
					continue; /* reloading is the container issue's */
				pr_info("rcc-bpf: signal %u: draining the ring and stopping\n",
					si.ssi_signo);
				goto drain;
			}
			if (evs[i].data.fd == tfd) {
				__u64 ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				rcc_audit_drain(au);
				if (rcc_audit_tick(au, false))
					rc = RCC_EXIT_FAIL;
				continue;
			}
			rcc_audit_drain(au);
		}
		/* write what was read: a kill loses as little as can be */
		if (rcc_audit_tick(au, false))
			rc = RCC_EXIT_FAIL;
	}
drain:
	rcc_audit_drain(au);
	if (rcc_audit_tick(au, true))
		rc = RCC_EXIT_FAIL;
out:
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return rc;
}

int cmd_daemon(struct rcc_args *a)
{
	struct rcc_audit *au = NULL;
	struct rcc_config cfg;
	struct rcc_kernel k;
	int rc, err;

	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	rc = cli_open_and_apply(&cfg, &k);
	if (rc) {
		rcc_config_free(&cfg);
		return rc;
	}
	/* the state lock is for changes; the consumer has its own */
	rcc_kernel_unlock(&k);
	err = rcc_audit_open(&cfg, &k, NULL, NULL, &au);
	if (err == -EWOULDBLOCK) {
		pr_warn("another consumer (rcc-bpf daemon or log -f) is reading the events of '%s'\n",
			cfg.pin_dir);
		rc = RCC_EXIT_FAIL;
	} else if (err) {
		pr_warn("Failed to start the audit consumer: %s\n", strerror(-err));
		rc = RCC_EXIT_FAIL;
	} else {
		pr_info("rcc-bpf: daemon running; audit log %s\n", cfg.audit_log);
		rc = cli_consume(au, NULL);
		rcc_audit_close(au);
	}
	rcc_kernel_close(&k);
	rcc_config_free(&cfg);
	return rc;
}
