/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's notification protocol (sd_notify(3)), without linking
 * libsystemd for it: a datagram to $NOTIFY_SOCKET.  Outside a unit that
 * asks for it (no NOTIFY_SOCKET) every call does nothing.
 */
#ifndef RCC_SDNOTIFY_H
#define RCC_SDNOTIFY_H

#include <stddef.h>
#include <linux/types.h>

/* Sends msg ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1"); a
 * failed send is warned about and ignored. */
void rcc_sdnotify(const char *msg);

#define RCC_SDNOTIFY_FDS_MAX 16
#define RCC_SDNOTIFY_LISTEN_FDS_START 3

/* The same with fds attached (FDSTORE=1: systemd keeps them across a
 * restart, FileDescriptorStoreMax= allowing). */
void rcc_sdnotify_fds(const char *msg, const int *fds, size_t n);
/* The fds systemd passed (LISTEN_FDS, for this pid), from fd
 * RCC_SDNOTIFY_LISTEN_FDS_START on, and their names ($LISTEN_FDNAMES;
 * a missing one is NULL): how many.  The caller frees names[i] and
 * names; the variables are unset. */
size_t rcc_sdnotify_listen_fds(char ***names);

/* The watchdog interval the unit asks for ($WATCHDOG_USEC) in ms; 0: none.
 * Send "WATCHDOG=1" at least every half of it. */
__u64 rcc_sdnotify_watchdog_ms(void);

#endif
