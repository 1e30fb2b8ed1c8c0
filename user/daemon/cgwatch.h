/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup tree, watched as a job of the event loop: a new container's
 * cgroup is enforced as it appears; a removed cgroup's links are pruned
 * at the next tick; lost events mean a full reconcile.
 */
#ifndef RCC_CGWATCH_H
#define RCC_CGWATCH_H

#include "daemon/loop.h"
#include "daemon/reconcile.h"
#include "host/watch.h"

struct rcc_cgwatch {
	struct rcc_reconcile *rec; /* its cfg and k enforce */
	struct rcc_watch *watch;   /* NULL: not watching */
};

/* Watches the cgroup v2 tree (before what runs is enforced: nothing
 * falls in between) and adds the watch to l; 0 or -errno, printed. */
int rcc_cgwatch_open(struct rcc_cgwatch *c, struct rcc_reconcile *rec, struct rcc_loop *l);
void rcc_cgwatch_close(struct rcc_cgwatch *c);

#endif
