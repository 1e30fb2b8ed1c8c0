/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's notification protocol (sd_notify(3)), without linking
 * libsystemd for it: a datagram to $NOTIFY_SOCKET.  Outside a unit that
 * asks for it (no NOTIFY_SOCKET) every call does nothing.
 */
#ifndef RCC_SDNOTIFY_H
#define RCC_SDNOTIFY_H

#include <linux/types.h>

/* Sends msg ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1"); a
 * failed send is warned about and ignored. */
void rcc_sdnotify(const char *msg);

/* The watchdog interval the unit asks for ($WATCHDOG_USEC) in ms; 0: none.
 * Send "WATCHDOG=1" at least every half of it. */
__u64 rcc_sdnotify_watchdog_ms(void);

#endif
