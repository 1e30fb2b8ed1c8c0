/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities that reach around the cgroup hooks: CAP_NET_RAW,
 * CAP_NET_ADMIN, and CAP_SYS_ADMIN or CAP_BPF outside a user namespace.
 */
#ifndef RCC_CAPS_H
#define RCC_CAPS_H

#include <stdbool.h>

/* Warns about the processes below path whose capabilities reach around
 * the hooks, with their pids.  guarded: the bpf() guard (BPF LSM) runs. */
void rcc_caps_warn(const char *path, bool guarded);

#endif
