/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reconciling what is enforced with what runs: links of removed cgroups
 * pruned, the [containers] parents and every running container enforced
 * again, every RCC_RECONCILE_MS and whenever the cgroup watch lost track.
 */
#ifndef RCC_RECONCILE_H
#define RCC_RECONCILE_H

#include <stdbool.h>

#include "kernel/kernel.h"

#define RCC_RECONCILE_MS 30000

struct rcc_reconcile {
	const struct rcc_config *cfg; /* the daemon's, as a reload leaves it */
	struct rcc_kernel *k;
	bool prune; /* a cgroup went: prune at the next tick */
	bool dns_dirty; /* a cgroup came: DNS listeners at the next tick */
	__u64 last_ms;
};

/* Prunes, then enforces the parents and every running container now. */
void rcc_reconcile_all(struct rcc_reconcile *r);
/* On the timer: a prune asked for, a reconcile when one is due. */
void rcc_reconcile_tick(struct rcc_reconcile *r, __u64 now);

#endif
