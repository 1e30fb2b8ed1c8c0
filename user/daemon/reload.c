// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "daemon/daemon.h"
#include "daemon/reload.h"
#include "host/dns.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/sdnotify.h"

#define NAMES_SAVE_MS 5000 /* plus 1 ms a name: big tables less often */
#define WARN_EVERY_MS 60000

/* Where the name table outlives the daemon: beside its socket. */
static void names_path(const struct rcc_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.names.json", d->cfg.control_socket);
}

void rcc_reload_save(struct rcc_daemon *d)
{
	char path[PATH_MAX + 16];
	int err;

	d->names.touched = false;
	d->last_save_ms = rcc_clock_ms();
	names_path(d, path, sizeof(path));
	err = rcc_names_save(&d->names, path);
	if (err)
		pr_warn("Failed to save the name table to '%s': %s; a restart during a DNS outage loses the last good addresses\n",
			path, strerror(-err));
}

static void remember_config(struct rcc_daemon *d)
{
	memset(&d->cfg_st, 0, sizeof(d->cfg_st));
	if (d->cfg.path[0])
		stat(d->cfg.path, &d->cfg_st);
}

static bool config_changed(const struct rcc_daemon *d)
{
	struct stat st;

	if (!d->cfg.path[0] || stat(d->cfg.path, &st))
		return false;
	return st.st_ino != d->cfg_st.st_ino || st.st_size != d->cfg_st.st_size ||
	       st.st_mtim.tv_sec != d->cfg_st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != d->cfg_st.st_mtim.tv_nsec;
}

/* DNS's sockets are readable: its answers change the names. */
static int dns_process(void *dns)
{
	rcc_dns_process(dns);
	return 0;
}

static int on_dns(void *ctx)
{
	struct rcc_daemon *d = ctx;

	return rcc_sync_write(d->sync, dns_process, d->dns);
}

/* A channel on cfg's resolver, its fd in the loop; 0 or -errno, printed. */
static int dns_start(struct rcc_daemon *d, const struct rcc_config *cfg)
{
	char why[256];
	int err;

	err = rcc_dns_open(cfg, &d->names, &d->dns, why, sizeof(why));
	if (err) {
		pr_warn("Failed to start the DNS resolver: %s\n", why);
		return err;
	}
	err = rcc_loop_add(&d->loop, rcc_dns_fd(d->dns), on_dns, d);
	if (err) {
		rcc_dns_close(d->dns);
		d->dns = NULL;
	}
	return err;
}

static void dns_stop(struct rcc_daemon *d)
{
	if (!d->dns)
		return;
	rcc_loop_del(&d->loop, rcc_dns_fd(d->dns));
	rcc_dns_close(d->dns);
	d->dns = NULL;
}

/* cfg's resolver instead; when it cannot start, the one in force again. */
static int dns_switch(struct rcc_daemon *d, const struct rcc_config *cfg)
{
	int err;

	dns_stop(d);
	err = dns_start(d, cfg);
	if (err && cfg != &d->cfg)
		dns_start(d, &d->cfg);
	return err;
}

/* A reload's step under the lock of sync.c. */
struct step {
	struct rcc_daemon *d;
	const struct rcc_config *fresh;
	bool new_resolver;
};

/* The names of both configurations (the old stay until the new one is
 * in), the new one's bounds and resolver, and its new names asked. */
static int names_widen(void *ctx)
{
	struct step *s = ctx;
	struct rcc_daemon *d = s->d;
	int err;

	rcc_names_bounds(&d->names, s->fresh);
	err = rcc_names_set_both(&d->names, &d->cfg, s->fresh);
	if (err)
		return rcc_log_fail(err, "Failed to add the names of '%s'", s->fresh->path);
	if (s->new_resolver)
		err = dns_switch(d, s->fresh);
	if (!err && d->dns)
		rcc_dns_resolve_all(d->dns, 3000, true);
	return err;
}

/* The names, bounds and resolver of the configuration in force again. */
static int names_restore(void *ctx)
{
	struct step *s = ctx;
	struct rcc_daemon *d = s->d;

	rcc_names_set(&d->names, &d->cfg);
	rcc_names_bounds(&d->names, &d->cfg);
	if (s->new_resolver)
		dns_switch(d, &d->cfg);
	return 0;
}

/* The names of the configuration in force alone (a reload's went in). */
static int names_narrow(void *ctx)
{
	struct rcc_daemon *d = ctx;

	return rcc_names_set(&d->names, &d->cfg);
}

/* fresh into the kernel, its new names asked first (the policy goes in
 * whole); on failure the names are as they were.  0 or -errno, warned. */
static int apply(struct rcc_daemon *d, const struct rcc_config *fresh)
{
	struct step s = { .d = d,
			  .fresh = fresh,
			  .new_resolver = strcmp(fresh->resolver, d->cfg.resolver) != 0 };
	int err;

	err = rcc_sync_write(d->sync, names_widen, &s);
	/* the addresses now, as a one-shot command would load them */
	rcc_hostwatch_update(&d->hw);
	err = err ?: rcc_kernel_lock(&d->k);
	if (!err) {
		err = rcc_kernel_apply(&d->k, fresh, &d->o);
		rcc_kernel_unlock(&d->k);
	}
	if (err) {
		/* the old names, TTL bounds and resolver again */
		rcc_sync_write(d->sync, names_restore, &s);
		pr_warn("reload: the configuration in force stays\n"); /* why: reported */
	}
	return err;
}

/* fresh is loaded: it is the configuration in force from now on. */
static void take(struct rcc_daemon *d, struct rcc_config *fresh)
{
	rcc_config_free(&d->cfg);
	d->cfg = *fresh;
	rcc_sync_write(d->sync, names_narrow, d);
	d->names.changed = false;
	d->hw.changed = false;
	rcc_reload_save(d);
	remember_config(d);
	if (d->consume.au)
		rcc_audit_set_config(d->consume.au, &d->cfg);
	rcc_dnsjob_reload(&d->dnsjob, &d->hw.host);
	pr_info("rcc-bpf: reloaded %s\n", d->cfg.path[0] ? d->cfg.path : "the built-in default");
	rcc_reconcile_all(&d->rec);
}

bool rcc_reload(struct rcc_daemon *d, char *why, size_t whylen)
{
	struct rcc_config fresh;
	int err;

	err = rcc_config_load(d->config, &fresh);
	if (err) {
		pr_warn("reload: the configuration has errors (above); the one in force stays\n");
		snprintf(why, whylen, "the configuration has errors (see the daemon's log)");
	} else {
		err = apply(d, &fresh);
		if (err)
			snprintf(why, whylen, "%s", strerror(-err));
	}
	if (err) {
		rcc_config_free(&fresh);
		remember_config(d); /* warn once a change, not each refresh */
		return false;
	}
	take(d, &fresh);
	return true;
}

bool rcc_reload_notified(struct rcc_daemon *d, char *why, size_t whylen)
{
	bool ok;

	rcc_sdnotify("RELOADING=1");
	ok = rcc_reload(d, why, whylen);
	rcc_sdnotify("READY=1");
	return ok;
}

/* The control thread was asked for a reload: it is done here. */
static int on_reload_asked(void *ctx)
{
	struct rcc_daemon *d = ctx;
	char why[256] = "";
	bool ok;

	if (!rcc_sync_reload_asked(d->sync))
		return 0;
	ok = rcc_reload_notified(d, why, sizeof(why));
	rcc_sync_reload_done(d->sync, ok, why, d->cfg.path);
	return 0;
}

static bool has_deny_names(const struct rcc_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->npolicies; i++)
		for (j = 0; j < cfg->policies[i].nentries; j++)
			if (cfg->policies[i].entries[j].host[0] &&
			    !(cfg->policies[i].entries[j].flags & RCC_ENTRY_WILDCARD) &&
			    cfg->policies[i].entries[j].action == RCC_ACT_DENY)
				return true;
	return false;
}

/* A name's or the host's addresses came or went: the policies again,
 * gap-free (new entries go in before old ones go). */
static void refresh(struct rcc_daemon *d)
{
	bool names_moved = d->names.changed, retry_quiet;
	int err;

	if (config_changed(d)) {
		/* loading the old file's policies would undo whoever loaded the new */
		pr_info("rcc-bpf: %s changed; reloading it before refreshing addresses\n",
			d->cfg.path);
		rcc_reload(d, NULL, 0);
		return;
	}
	if (rcc_kernel_trylock(&d->k))
		return; /* another command is changing state: next tick */
	/* a retry every tick says why it fails once a minute, not each time */
	retry_quiet = d->dns_warned_ms && rcc_clock_ms() - d->dns_warned_ms < WARN_EVERY_MS;
	rcc_log_mute(retry_quiet);
	/* a deny name's or the host's new address must stop flows the
	 * egress cache let go */
	err = d->hw.changed || has_deny_names(&d->cfg) ?
		      rcc_kernel_apply(&d->k, &d->cfg, &d->o) :
		      rcc_kernel_apply_dns(&d->k, &d->cfg, &d->o);
	rcc_log_mute(false);
	rcc_kernel_unlock(&d->k);
	if (!err) {
		d->dns_warned_ms = 0;
		d->hw.changed = false;
		if (names_moved) {
			d->names.changed = false;
			rcc_reload_save(d);
		}
		return;
	}
	if (!retry_quiet) {
		pr_warn("refreshed addresses are not loaded yet; retrying\n"); /* why: reported */
		d->dns_warned_ms = rcc_clock_ms();
	}
}

struct tick {
	struct rcc_dns *dns;
	__u64 now;
};

static int dns_tick(void *ctx)
{
	struct tick *t = ctx;

	rcc_dns_tick(t->dns, t->now);
	return 0;
}

void rcc_reload_tick(struct rcc_daemon *d, __u64 now)
{
	struct tick t = { .dns = d->dns, .now = now };

	if (d->dns)
		rcc_sync_write(d->sync, dns_tick, &t);
	if (d->names.changed || d->hw.changed)
		refresh(d);
	/* refreshed expiries too, so a restart keeps an honest grace */
	if (d->dns && d->names.touched && !d->names.changed &&
	    now - d->last_save_ms >= NAMES_SAVE_MS + d->names.n)
		rcc_reload_save(d);
}

int rcc_reload_open(struct rcc_daemon *d)
{
	char path[PATH_MAX + 16];
	int err;

	remember_config(d);
	err = rcc_names_compile_init(&d->names, &d->cfg, &d->hw.host, RCC_DNS_QUIET, &d->o);
	if (err)
		return rcc_log_fail(err, "Failed to set up the name table");
	err = dns_start(d, &d->cfg);
	err = err ?: rcc_loop_add(&d->loop, rcc_sync_reload_fd(d->sync), on_reload_asked, d);
	if (err)
		return err;
	/* the last run's addresses: kept, with their expiry, if DNS fails now */
	names_path(d, path, sizeof(path));
	rcc_names_load(&d->names, path);
	d->names.verbose = true; /* failures and the rebinding guard */
	rcc_dns_resolve_all(d->dns, 3000, false);
	d->names.log_changes = true;
	return 0;
}

void rcc_reload_close(struct rcc_daemon *d)
{
	dns_stop(d);
	rcc_names_free(&d->names);
}
