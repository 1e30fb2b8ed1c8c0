// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "daemon/consume.h"
#include "lib/log.h"

int rcc_consume_open(struct rcc_consume *c, const struct rcc_config *cfg, struct rcc_kernel *k,
		     struct rcc_loop *l)
{
	int err = rcc_audit_open(cfg, k, NULL, NULL, &c->au);

	if (err == -EWOULDBLOCK) {
		pr_warn("another consumer (rcc-bpf daemon or log -f) is reading the events of '%s'\n",
			cfg->pin_dir);
		return err;
	}
	if (err)
		return rcc_log_fail(err, "Failed to start the audit consumer");
	c->cfg = cfg;
	/* the ring only wakes the loop: each round drains it, woken or not */
	return rcc_loop_add(l, rcc_audit_epoll_fd(c->au), NULL, NULL);
}

void rcc_consume_close(struct rcc_consume *c)
{
	rcc_audit_close(c->au);
	c->au = NULL;
}

int rcc_consume_tick(struct rcc_consume *c)
{
	return rcc_audit_tick(c->au, false);
}

int rcc_consume_round(struct rcc_consume *c, bool *more)
{
	/* wake-ups are batched: the ring, whether it woke us or not */
	*more = rcc_audit_drain(c->au) == RCC_AUDIT_MORE;
	/* write what was read: a kill loses as little as can be */
	return rcc_audit_flush(c->au, false);
}

int rcc_consume_end(struct rcc_consume *c)
{
	/* what the ring holds now, then stop: a flood goes on, we do not;
	 * at most a ring's worth (events are over 64 bytes) */
	unsigned rounds = (c->cfg ? c->cfg->ring_size : 0) / 64 / RCC_AUDIT_DRAIN_BUDGET + 2;

	while (rounds-- && rcc_audit_drain(c->au) == RCC_AUDIT_MORE)
		rcc_audit_flush(c->au, false);
	return rcc_audit_tick(c->au, true);
}

static int tick(void *ctx)
{
	return rcc_consume_tick(ctx);
}

static int round_(void *ctx, bool *more)
{
	return rcc_consume_round(ctx, more);
}

static int end(void *ctx)
{
	return rcc_consume_end(ctx);
}

int rcc_consume_run(struct rcc_audit *au)
{
	static const struct rcc_loop_ops ops = { .tick = tick, .round = round_, .end = end };
	struct rcc_consume c = { .au = au };
	struct rcc_loop l;
	int err;

	rcc_loop_init(&l, &ops, &c);
	err = rcc_loop_add(&l, rcc_audit_epoll_fd(au), NULL, NULL);
	return err ?: rcc_loop_run(&l);
}
