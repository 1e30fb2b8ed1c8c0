// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon/loop.h"
#include "lib/log.h"
#include "lib/sdnotify.h"

void rcc_loop_init(struct rcc_loop *l, const struct rcc_loop_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->ep = l->sfd = l->tfd = -1;
	l->ops = ops;
	l->ctx = ctx;
}

static int poll_fd(struct rcc_loop *l, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev))
		return rcc_log_fail(-errno, "Failed to poll fd %d", fd);
	return 0;
}

int rcc_loop_add(struct rcc_loop *l, int fd, rcc_loop_fn fn, void *ctx)
{
	if (l->n == RCC_LOOP_JOBS)
		return rcc_log_fail(-ENOSPC, "Failed to add fd %d to the event loop", fd);
	if (l->ep >= 0) {
		int err = poll_fd(l, fd);

		if (err)
			return err;
	}
	l->jobs[l->n++] = (struct rcc_loop_job){ .fd = fd, .fn = fn, .ctx = ctx };
	return 0;
}

void rcc_loop_del(struct rcc_loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->jobs[i].fd == fd)
			break;
	if (i == l->n)
		return;
	if (l->ep >= 0)
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->jobs[i] = l->jobs[--l->n];
}

static void note(struct rcc_loop *l, int err)
{
	if (err)
		l->err = err;
}

static int on_signal(void *ctx)
{
	struct rcc_loop *l = ctx;
	struct signalfd_siginfo si;

	if (read(l->sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP) {
		if (l->ops->hup)
			l->ops->hup(l->ctx);
		return 0;
	}
	pr_info("rcc-bpf: signal %u: draining the ring and stopping; enforcement stays\n",
		si.ssi_signo);
	rcc_sdnotify("STOPPING=1");
	l->stop = true;
	return 0;
}

static int on_timer(void *ctx)
{
	struct rcc_loop *l = ctx;
	__u64 ticks;

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0 || !l->ops->tick)
		return 0;
	return l->ops->tick(l->ctx);
}

/* Runs the handler of each fd that woke the loop, until one stops it. */
static void dispatch(struct rcc_loop *l, const struct epoll_event *evs, int n)
{
	int i;
	size_t j;

	for (i = 0; i < n && !l->stop; i++)
		for (j = 0; j < l->n; j++) {
			if (l->jobs[j].fd != evs[i].data.fd)
				continue;
			if (l->jobs[j].fn)
				note(l, l->jobs[j].fn(l->jobs[j].ctx));
			break;
		}
}

static void wait_loop(struct rcc_loop *l)
{
	struct epoll_event evs[8];

	while (!l->stop) {
		int n = epoll_wait(l->ep, evs, 8, l->more ? 0 : -1);

		if (n < 0 && errno != EINTR) {
			note(l, rcc_log_fail(-errno, "Failed to wait for events"));
			break;
		}
		dispatch(l, evs, n);
		if (l->stop)
			break;
		l->more = false;
		if (l->ops->round)
			note(l, l->ops->round(l->ctx, &l->more));
	}
	if (l->ops->end)
		note(l, l->ops->end(l->ctx));
}

/* The signals, the timer and epoll over every job; 0 or -errno, printed. */
static int set_up(struct rcc_loop *l)
{
	struct itimerspec its = { { 0, RCC_LOOP_TICK_MS * 1000000 },
				  { 0, RCC_LOOP_TICK_MS * 1000000 } };
	sigset_t mask;
	size_t i;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	l->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->sfd < 0 || l->tfd < 0 || l->ep < 0 || timerfd_settime(l->tfd, 0, &its, NULL))
		return rcc_log_fail(-errno, "Failed to set up the event loop");
	err = rcc_loop_add(l, l->sfd, on_signal, l);
	err = err ?: rcc_loop_add(l, l->tfd, on_timer, l);
	for (i = 0; !err && i < l->n - 2; i++)
		err = poll_fd(l, l->jobs[i].fd);
	return err;
}

int rcc_loop_run(struct rcc_loop *l)
{
	int err;

	l->stop = l->more = false;
	l->err = 0;
	err = set_up(l);
	if (!err) {
		wait_loop(l);
		err = l->err;
	}
	/* signals stay blocked: a second SIGTERM must not cut the cleanup */
	if (l->tfd >= 0)
		rcc_loop_del(l, l->tfd);
	if (l->sfd >= 0)
		rcc_loop_del(l, l->sfd);
	if (l->ep >= 0)
		close(l->ep);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->sfd >= 0)
		close(l->sfd);
	l->ep = l->sfd = l->tfd = -1;
	return err;
}
