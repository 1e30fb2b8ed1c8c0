/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon: loads the configuration, enforces it on the containers that
 * run and on each new one as its cgroup appears, keeps hostname entries
 * and the host's addresses fresh, answers on the control socket, and is
 * the one consumer of the event ring, writing the audit log.  Enforcement
 * never depends on it: programs, maps and links stay pinned when it stops
 * (fail closed).
 *
 * Each job has its file and registers its fds with the loop: consume.c
 * (the ring), cgwatch.c (new and removed cgroups), reconcile.c, hostwatch.c
 * (the host's addresses), reload.c (reloads, the names and DNS),
 * control.c (the control socket's thread) over sync.c (what that
 * thread and the loop share, and its lock).
 *
 * Its command builds it in steps: rcc_daemon_init(), the configuration
 * into cfg, rcc_daemon_open(), the first load of cfg into k over o,
 * rcc_daemon_start(), rcc_daemon_run(), and rcc_daemon_close() in any
 * case.
 */
#ifndef RCC_DAEMON_H
#define RCC_DAEMON_H

#include <stdbool.h>
#include <sys/stat.h>

#include "daemon/cgwatch.h"
#include "daemon/consume.h"
#include "daemon/control.h"
#include "daemon/dnsjob.h"
#include "daemon/hostwatch.h"
#include "daemon/loop.h"
#include "daemon/reconcile.h"
#include "daemon/sync.h"
#include "host/names.h"
#include "kernel/kernel.h"

struct rcc_dns;

struct rcc_daemon {
	const char *config;    /* -c FILE (NULL: the default), reloaded */
	struct rcc_config cfg; /* in force; a reload replaces it whole */
	struct rcc_kernel k;
	bool k_open; /* k is ours to close */
	struct rcc_loop loop;
	struct rcc_sync *sync;
	struct rcc_control ctl;
	struct rcc_consume consume;
	struct rcc_reconcile rec;
	struct rcc_cgwatch cgwatch;
	struct rcc_hostwatch hw;
	/* hostname entries, kept fresh (reload.c) */
	struct rcc_names names;
	struct rcc_compile_opts o; /* over names and hw.host */
	struct rcc_dns *dns;
	struct rcc_dnsjob dnsjob; /* the DNS proxy (dns = proxy) */
	__u64 dns_published_ms;
	struct stat cfg_st; /* the file as loaded, to see it change */
	__u64 dns_warned_ms, last_save_ms;
	__u64 watchdog_ms, last_watchdog_ms;
};

/* An empty daemon that reloads config; nothing to close yet. */
void rcc_daemon_init(struct rcc_daemon *d, const char *config);
/* With d->cfg loaded: the control socket, the host's addresses and the
 * names of the configuration, asked once.  0 or -errno, printed. */
int rcc_daemon_open(struct rcc_daemon *d);
/* With d->cfg loaded into d->k under its lock: the daemon takes k, the
 * control thread, the audit consumer and the cgroup watch start, what
 * runs is reconciled, and systemd hears READY.  0 or -errno, printed. */
int rcc_daemon_start(struct rcc_daemon *d);
/* The event loop until SIGTERM or SIGINT; 0 or -errno, printed. */
int rcc_daemon_run(struct rcc_daemon *d);
/* Frees whatever is set. */
void rcc_daemon_close(struct rcc_daemon *d);

#endif
