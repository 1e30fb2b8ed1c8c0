/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reloads and the names: the configuration loaded again (on SIGHUP, on a
 * control socket's "reload", or when the file changed under a refresh),
 * the hostname table kept fresh by DNS and saved beside the control
 * socket, and the policies loaded again when a name's or the host's
 * addresses moved.
 */
#ifndef RCC_RELOAD_H
#define RCC_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

struct rcc_daemon;

/* The names of d->cfg, asked before the first load (the last run's
 * addresses kept should DNS fail now), their resolver in the loop, and
 * the control socket's reloads handed to the loop.  0 or -errno, printed. */
int rcc_reload_open(struct rcc_daemon *d);
void rcc_reload_close(struct rcc_daemon *d);

/* The new configuration whole, or the old one kept (warned, and why
 * says so when whylen); true when it is in force. */
bool rcc_reload(struct rcc_daemon *d, char *why, size_t whylen);
/* rcc_reload() as systemd hears of it (RELOADING=1, READY=1). */
bool rcc_reload_notified(struct rcc_daemon *d, char *why, size_t whylen);

/* On the timer: DNS timeouts and due names, the policies again when
 * addresses moved, and the table saved now and then. */
void rcc_reload_tick(struct rcc_daemon *d, __u64 now);
/* Saves the table beside the control socket (warned when it cannot). */
void rcc_reload_save(struct rcc_daemon *d);

#endif
