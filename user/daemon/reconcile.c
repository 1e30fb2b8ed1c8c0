// SPDX-License-Identifier: GPL-2.0
#include "daemon/reconcile.h"
#include "host/enforce.h"
#include "lib/clock.h"

static void prune(struct rcc_reconcile *r)
{
	/* a one-shot command holding the lock may be asking us: no waiting */
	if (!rcc_kernel_trylock(r->k)) {
		rcc_kernel_prune(r->k);
		rcc_kernel_unlock(r->k);
		r->prune = false;
	}
}

void rcc_reconcile_all(struct rcc_reconcile *r)
{
	prune(r);
	rcc_enforce_parents(r->cfg, r->k);
	rcc_enforce_all_containers(r->cfg, r->k);
	r->last_ms = rcc_clock_ms();
	r->dns_dirty = true;
}

void rcc_reconcile_tick(struct rcc_reconcile *r, __u64 now)
{
	if (r->prune)
		prune(r);
	if (now - r->last_ms >= RCC_RECONCILE_MS)
		rcc_reconcile_all(r);
}
