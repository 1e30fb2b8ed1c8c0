/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the kernel layer: the cgroup links (links.c; the public side is
 * rcc_kernel_attach/detach/prune in kernel/kernel.h).
 */
#ifndef RCC_LINKS_H
#define RCC_LINKS_H

#include <stdbool.h>

#include "kernel/kernel.h"

/* Whether cgroup id holds links of its own (PIN_DIR/v3/links/ID). */
bool rcc_links_held(const struct rcc_kernel *k, __u64 id);

#endif
