/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's addresses (for block_host and the rebinding guard), followed
 * as a job of the event loop: an rtnetlink notification marks them dirty,
 * the next tick reads them whole (a burst costs one read) and, when they
 * moved, the policies are loaded again (rcc_reload_tick).
 */
#ifndef RCC_HOSTWATCH_H
#define RCC_HOSTWATCH_H

#include <stdbool.h>

#include "daemon/loop.h"
#include "daemon/sync.h"
#include "policy/policy.h"

struct rcc_hostwatch {
	struct rcc_addr_list host; /* as last read; changed under sync.c's lock */
	int fd;			   /* rtnetlink; -1: not following them */
	bool dirty;		   /* read them again at the next tick */
	bool changed;		   /* host is newer than the maps */
	__u64 warned_ms;
	struct rcc_sync *sync;
};

/* Follows the host's addresses from now on (warned when it cannot),
 * then reads them a first time (warned when it cannot: block_host covers
 * none), and once more at the first tick. */
void rcc_hostwatch_open(struct rcc_hostwatch *hw, struct rcc_sync *sync, struct rcc_loop *l);
/* After the loop ran. */
void rcc_hostwatch_close(struct rcc_hostwatch *hw);
/* Reads them now, as a one-shot command would; sets changed when they
 * moved.  When they cannot be read the last ones stay (warned at most
 * once a minute) and they stay dirty. */
void rcc_hostwatch_update(struct rcc_hostwatch *hw);
/* On the timer: rcc_hostwatch_update() when a notification came. */
void rcc_hostwatch_tick(struct rcc_hostwatch *hw);

#endif
