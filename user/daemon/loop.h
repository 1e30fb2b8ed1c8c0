/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event loop: one epoll over a table of jobs, {fd, handler, ctx},
 * that each job registers for itself; a readable fd runs its handler.
 * The loop owns its signals (SIGTERM and SIGINT stop it, SIGHUP is a
 * hook) and a timer that ticks every RCC_LOOP_TICK_MS.
 */
#ifndef RCC_LOOP_H
#define RCC_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#define RCC_LOOP_TICK_MS 200
#define RCC_LOOP_JOBS 12

/* A job's fd is readable; 0 or -errno (remembered, the loop goes on). */
typedef int (*rcc_loop_fn)(void *ctx);

/* What the loop's owner does beside its jobs, all with the loop's ctx;
 * any of them may be NULL. */
struct rcc_loop_ops {
	/* Every RCC_LOOP_TICK_MS; 0 or -errno (remembered). */
	int (*tick)(void *ctx);
	/* After each round of events, whatever woke the loop; *more: work
	 * is left, poll again without waiting.  0 or -errno (remembered). */
	int (*round)(void *ctx, bool *more);
	/* SIGHUP (NULL: ignored). */
	void (*hup)(void *ctx);
	/* Once when a signal or a failure stopped the loop, before
	 * rcc_loop_run() returns; 0 or -errno. */
	int (*end)(void *ctx);
};

struct rcc_loop_job {
	int fd;
	rcc_loop_fn fn; /* NULL: the fd only wakes the loop */
	void *ctx;
};

struct rcc_loop {
	struct rcc_loop_job jobs[RCC_LOOP_JOBS];
	size_t n;
	int ep, sfd, tfd; /* -1 outside rcc_loop_run() */
	bool stop, more;
	int err; /* a job's or a hook's failure */
	const struct rcc_loop_ops *ops;
	void *ctx;
};

void rcc_loop_init(struct rcc_loop *l, const struct rcc_loop_ops *ops, void *ctx);
/* fn(ctx) each time fd is readable; before rcc_loop_run() too, which
 * then polls it.  0 or -errno, printed. */
int rcc_loop_add(struct rcc_loop *l, int fd, rcc_loop_fn fn, void *ctx);
/* fd is no job of the loop's any more (call it before closing fd). */
void rcc_loop_del(struct rcc_loop *l, int fd);

/*
 * Runs until SIGTERM or SIGINT (which it blocks, and leaves blocked: a
 * second one must not cut the owner's cleanup) or until epoll fails.
 * 0, or the last failure of a job, a hook or the loop itself (printed
 * where found).
 */
int rcc_loop_run(struct rcc_loop *l);

#endif
