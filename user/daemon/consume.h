/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Audit consumption as a job of the event loop: the ring's fd wakes the
 * loop, each round drains a budget of events and writes them, the tick
 * sends due summaries, and a stop drains what the ring holds then.  The
 * daemon runs it among its other jobs; `log -f` without a daemon runs
 * it alone (rcc_consume_run).
 */
#ifndef RCC_CONSUME_H
#define RCC_CONSUME_H

#include <stdbool.h>

#include "audit/audit.h"
#include "daemon/loop.h"

struct rcc_consume {
	struct rcc_audit *au; /* NULL: not consuming */
	/* its ring_size bounds the last drain (NULL: two rounds) */
	const struct rcc_config *cfg;
};

/* Opens the consumer on cfg's ring (rcc_audit_open) and adds it to l;
 * 0 or -errno, printed (-EWOULDBLOCK: another consumer reads it). */
int rcc_consume_open(struct rcc_consume *c, const struct rcc_config *cfg, struct rcc_kernel *k,
		     struct rcc_loop *l);
void rcc_consume_close(struct rcc_consume *c);

/* The loop's hooks (struct rcc_loop_ops), for an owner that has more. */
int rcc_consume_tick(struct rcc_consume *c);
int rcc_consume_round(struct rcc_consume *c, bool *more);
int rcc_consume_end(struct rcc_consume *c);

/* Consumes au's events alone until SIGTERM or SIGINT; 0 or -errno,
 * printed. */
int rcc_consume_run(struct rcc_audit *au);

#endif
