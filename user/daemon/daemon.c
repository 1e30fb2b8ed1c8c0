// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "daemon/daemon.h"
#include "daemon/reload.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/sdnotify.h"

static int tick(void *ctx)
{
	struct rcc_daemon *d = ctx;
	__u64 now = rcc_clock_ms();
	int err = rcc_consume_tick(&d->consume);

	rcc_reconcile_tick(&d->rec, now);
	rcc_hostwatch_tick(&d->hw);
	rcc_reload_tick(d, now);
	if (d->rec.dns_dirty) {
		d->rec.dns_dirty = false;
		rcc_dnsjob_sync(&d->dnsjob);
	}
	rcc_dnsjob_tick(&d->dnsjob, now);
	if (now - d->dns_published_ms >= 1000) {
		rcc_sync_set_dns(d->sync, rcc_dnsjob_to_json(&d->dnsjob));
		d->dns_published_ms = now;
	}
	if (d->watchdog_ms && now - d->last_watchdog_ms >= d->watchdog_ms / 2) {
		rcc_sdnotify("WATCHDOG=1");
		d->last_watchdog_ms = now;
	}
	return err;
}

static int round_(void *ctx, bool *more)
{
	struct rcc_daemon *d = ctx;

	return rcc_consume_round(&d->consume, more);
}

static void hup(void *ctx)
{
	rcc_reload_notified(ctx, NULL, 0);
}

static int end(void *ctx)
{
	struct rcc_daemon *d = ctx;

	return rcc_consume_end(&d->consume);
}

static const struct rcc_loop_ops daemon_ops = {
	.tick = tick,
	.round = round_,
	.hup = hup,
	.end = end,
};

void rcc_daemon_init(struct rcc_daemon *d, const char *config)
{
	memset(d, 0, sizeof(*d));
	d->config = config;
	rcc_loop_init(&d->loop, &daemon_ops, d);
	d->ctl.fd = d->ctl.stop_fd = d->hw.fd = -1;
	d->rec.cfg = &d->cfg;
	d->rec.k = &d->k;
}

/* Four DNS listeners a sandbox, a socket per query waiting upstream: the
 * default soft limit (1024) is too low for a host of containers. */
static void raise_nofile(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &r))
			pr_warn("Failed to raise the open files limit: %s, ignoring\n",
				strerror(errno));
	}
}

int rcc_daemon_open(struct rcc_daemon *d)
{
	const char *path = d->cfg.control_socket;
	int err;

	raise_nofile();
	err = rcc_sync_new(&d->names, &d->hw.host, &d->sync);
	if (err)
		return err;
	err = rcc_control_listen(path, &d->ctl.fd);
	if (err == -EADDRINUSE) {
		pr_warn("another rcc-bpf daemon answers on %s; stop it, or give this one its own [global] control_socket\n",
			path);
		return err;
	}
	if (err)
		return rcc_log_fail(err, "Failed to listen on %s", path);
	rcc_hostwatch_open(&d->hw, d->sync, &d->loop);
	return rcc_reload_open(d);
}

int rcc_daemon_start(struct rcc_daemon *d)
{
	int err;

	d->k_open = true;
	d->names.changed = false;
	rcc_reload_save(d);
	/* the state lock is for each change; the consumer has its own */
	rcc_kernel_unlock(&d->k);
	err = rcc_control_start(&d->ctl, d->sync);
	err = err ?: rcc_consume_open(&d->consume, &d->cfg, &d->k, &d->loop);
	/* watch first, then enforce what runs: nothing falls in between */
	err = err ?: rcc_cgwatch_open(&d->cgwatch, &d->rec, &d->loop);
	if (err)
		return err;
	rcc_reconcile_all(&d->rec);
	/* after the consumer (its records) and the first enforcement */
	rcc_dnsjob_open(&d->dnsjob, &d->cfg, &d->k, &d->hw.host, &d->consume, &d->loop);
	rcc_dnsjob_sync(&d->dnsjob);
	d->watchdog_ms = rcc_sdnotify_watchdog_ms();
	pr_info("rcc-bpf: daemon running; audit log %s; %zu hostname%s kept fresh (%zu unresolved); control socket %s\n",
		d->cfg.audit_log, d->names.n, d->names.n == 1 ? "" : "s",
		rcc_names_unresolved(&d->names), d->cfg.control_socket);
	rcc_sdnotify("READY=1");
	return 0;
}

int rcc_daemon_run(struct rcc_daemon *d)
{
	int err = rcc_loop_run(&d->loop);

	/* the expiries of the last answers: a restart during an outage
	 * counts its grace from them, not from the last periodic save */
	rcc_reload_save(d);
	return err;
}

void rcc_daemon_close(struct rcc_daemon *d)
{
	rcc_cgwatch_close(&d->cgwatch);
	rcc_dnsjob_close(&d->dnsjob, &d->loop);
	rcc_consume_close(&d->consume);
	if (d->k_open)
		rcc_kernel_close(&d->k);
	d->k_open = false;
	rcc_control_stop(&d->ctl, d->cfg.path);
	rcc_reload_close(d);
	rcc_hostwatch_close(&d->hw);
	rcc_control_close(d->ctl.fd, d->cfg.control_socket);
	d->ctl.fd = -1;
	rcc_sync_free(d->sync);
	d->sync = NULL;
	rcc_config_free(&d->cfg);
}
