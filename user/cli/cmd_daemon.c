// SPDX-License-Identifier: GPL-2.0
/*
 * daemon: loads the configuration, enforces it on the containers that run
 * and on each new one as its cgroup appears, and is the one consumer of
 * the event ring, writing the audit log.  Enforcement never depends on
 * it: programs, maps and links stay pinned when it stops (fail closed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "host/cgroup.h"
#include "cli/cli.h"
#include "host/container.h"
#include "daemon/control.h"
#include "host/dns.h"
#include "host/enforcer.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "host/hostaddr.h"
#include "host/watch.h"

#define TICK_MS 200
#define RECONCILE_MS 30000
enum { RELOAD_NONE, RELOAD_ASKED, RELOAD_DONE };
#define NAMES_SAVE_MS 5000	/* plus 1 ms a name: big tables less often */
#define HOST_LOG_MAX 8		/* address changes logged one by one */

/* Everything a consumer loop may carry beside the ring. */
struct daemon {
	const struct rcc_args *args;
	struct rcc_config cfg;
	struct rcc_kernel k;
	struct rcc_audit *au;
	struct rcc_watch *watch;	/* NULL: not watching containers */
	/* hostname entries, kept fresh (NULL dns: log -f, no names) */
	struct cli_compile cc;
	struct rcc_dns *dns;
	struct stat cfg_st;		/* the file as loaded, to see it change */
	/*
	 * The host's addresses (d->cc.host, for block_host and the rebinding
	 * guard) follow rtnetlink: a notification marks them dirty, the next
	 * tick reads them whole (a burst costs one read) and, when they
	 * moved, loads the policies again.
	 */
	int host_fd;			/* -1: not following them */
	bool host_dirty;		/* read them again */
	bool host_changed;		/* d->cc.host is newer than the maps */
	__u64 host_warned_ms;
	int ctl_fd, ep;
	/*
	 * The control socket has a thread of its own: it answers even while
	 * the loop waits for the state lock, which a one-shot command (the
	 * OCI hook of the container the loop is enforcing) may hold while it
	 * asks for the names.  mu guards the names (the loop alone writes
	 * them, under mu; its own reads need none) and the reload hand-over.
	 */
	pthread_t ctl_thread;
	bool ctl_running;
	int ctl_stop_fd, ctl_wake_fd;	/* eventfds: end the thread; a reload */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int reload_state;		/* RELOAD_* */
	bool reload_ok;
	char reload_why[256], reload_path[PATH_MAX];
	__u64 last_reconcile_ms, last_watchdog_ms, watchdog_ms, dns_warned_ms, last_save_ms;
	bool prune;
	bool more;			/* the ring had more than one drain's worth */
};

static __u64 now_ms(void)
{
	return rcc_clock_ms();
}

/* sd_notify(3)'s protocol, without linking libsystemd for it. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		pr_warn("Failed to notify systemd: %s, ignoring\n", strerror(errno));
	close(fd);
}

static void on_cgroup_created(const char *path, void *ctx)
{
	struct daemon *d = ctx;
	char id[65], runtime[16], label[64], msg[PATH_MAX + 128];
	__u64 t0 = now_ms();
	int r = RCC_NOT_WANTED;

	if (!rcc_container_at(path, id, runtime))
		return;
	/*
	 * Asking the runtime for the label takes tens of milliseconds, and the
	 * container may already run: with enforce = all the default policy
	 * goes on first, and the label's policy replaces it once known.
	 */
	if (d->cfg.enforce_all)
		r = rcc_enforce_container(&d->cfg, &d->k, path, NULL, true, msg, sizeof(msg));
	rcc_container_label(id, runtime, label, sizeof(label));
	if (label[0] || !d->cfg.enforce_all)
		r = rcc_enforce_container(&d->cfg, &d->k, path, label, false, msg, sizeof(msg));
	if (r == RCC_ENFORCED || r == RCC_INHERITED)
		pr_info("rcc-bpf: new container %.12s (%s): %s, %llu ms after its cgroup appeared\n",
			id, runtime, msg, (unsigned long long)(now_ms() - t0));
	else if (r == -ENOENT && access(path, F_OK))
		pr_debug("new container %.12s: gone before it could be enforced\n", id);
	else if (r < 0)
		pr_warn("new container %.12s: %s\n", id, msg);
}

static void on_cgroup_removed(const char *path, void *ctx)
{
	struct daemon *d = ctx;

	(void)path;
	d->prune = true;
}

static void prune(struct daemon *d)
{
	/* a one-shot command holding the lock may be asking us: no waiting */
	if (!rcc_kernel_trylock(&d->k)) {
		rcc_kernel_prune(&d->k);
		rcc_kernel_unlock(&d->k);
		d->prune = false;
	}
}

static void reconcile(struct daemon *d)
{
	prune(d);
	rcc_enforce_parents(&d->cfg, &d->k);
	if (d->watch)
		rcc_enforce_all_containers(&d->cfg, &d->k);
	d->last_reconcile_ms = now_ms();
}

/* Where the name table outlives the daemon: beside its socket. */
static void names_path(const struct daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.names.json", d->cfg.control_socket);
}

static void names_save(struct daemon *d)
{
	char path[PATH_MAX + 16];
	int err;

	d->cc.names.touched = false;
	d->last_save_ms = now_ms();
	names_path(d, path, sizeof(path));
	err = rcc_names_save(&d->cc.names, path);
	if (err)
		pr_warn("Failed to save the name table to '%s': %s; a restart during a DNS outage loses the last good addresses\n",
			path, strerror(-err));
}

static void remember_config(struct daemon *d)
{
	memset(&d->cfg_st, 0, sizeof(d->cfg_st));
	if (d->cfg.path[0])
		stat(d->cfg.path, &d->cfg_st);
}

static bool config_changed(const struct daemon *d)
{
	struct stat st;

	if (!d->cfg.path[0] || stat(d->cfg.path, &st))
		return false;
	return st.st_ino != d->cfg_st.st_ino || st.st_size != d->cfg_st.st_size ||
	       st.st_mtim.tv_sec != d->cfg_st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != d->cfg_st.st_mtim.tv_nsec;
}

/* A channel on cfg's resolver, its fd in the loop; 0 or -errno. */
static int dns_start(struct daemon *d, const struct rcc_config *cfg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char why[256];
	int err;

	err = rcc_dns_open(cfg, &d->cc.names, &d->dns, why, sizeof(why));
	if (err) {
		pr_warn("Failed to start the DNS resolver: %s\n", why);
		return err;
	}
	if (d->ep >= 0) {
		ev.data.fd = rcc_dns_fd(d->dns);
		epoll_ctl(d->ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	return 0;
}

static void dns_stop(struct daemon *d)
{
	if (!d->dns)
		return;
	if (d->ep >= 0)
		epoll_ctl(d->ep, EPOLL_CTL_DEL, rcc_dns_fd(d->dns), NULL);
	rcc_dns_close(d->dns);
	d->dns = NULL;
}

/* Logs what differs between two sorted sets, a few lines at most. */
static void host_log_changes(const struct rcc_addr_list *old,
			     const struct rcc_addr_list *now)
{
	size_t i = 0, j = 0, moved = 0;

	while (i < old->n || j < now->n) {
		int c = i == old->n ? 1 : j == now->n ? -1 :
			memcmp(old->addrs[i], now->addrs[j], 16);
		char shown[64];

		if (!c) {
			i++;
			j++;
			continue;
		}
		if (moved++ < HOST_LOG_MAX) {
			rcc_prefix_format(c < 0 ? old->addrs[i] : now->addrs[j], 128, shown,
					  sizeof(shown));
			pr_info("rcc-bpf: host address %s %s; block_host follows\n", shown,
				c < 0 ? "removed" : "added");
		}
		if (c < 0)
			i++;
		else
			j++;
	}
	if (moved > HOST_LOG_MAX)
		pr_info("rcc-bpf: and %zu more host addresses added or removed\n",
			moved - HOST_LOG_MAX);
}

/* The host's addresses, read again with the one-shot commands' function;
 * false when they could not be read (the last ones read stay). */
static bool host_read(struct daemon *d)
{
	struct rcc_addr_list now, old;
	int err = rcc_host_addrs(&now);

	if (err) {
		if (now_ms() - d->host_warned_ms >= 60000) {
			pr_warn("Failed to read this host's addresses: %s; block_host keeps the last ones read, retrying\n",
				strerror(-err));
			d->host_warned_ms = now_ms();
		}
		return false;
	}
	if (rcc_addr_list_equal(&now, &d->cc.host)) {
		rcc_addr_list_free(&now);
		return true;
	}
	host_log_changes(&d->cc.host, &now);
	pthread_mutex_lock(&d->mu);
	old = d->cc.host;
	d->cc.host = now;
	pthread_mutex_unlock(&d->mu);
	rcc_addr_list_free(&old);
	d->host_changed = true;
	return true;
}

/* Before the host's addresses are first read: nothing falls in between. */
static void host_watch_start(struct daemon *d)
{
	d->host_fd = rcc_host_watch_open();
	if (d->host_fd < 0)
		pr_warn("Failed to follow this host's addresses over rtnetlink: %s; block_host covers those read at start and at each reload\n",
			strerror(-d->host_fd));
}

/* In the loop: rtnetlink spoke; the next tick reads the addresses. */
static void host_watch_event(struct daemon *d)
{
	int r = rcc_host_watch_read(d->host_fd);

	if (r < 0 && now_ms() - d->host_warned_ms >= 60000) {
		pr_warn("Failed to read rtnetlink: %s; reading the host's addresses again\n",
			strerror(-r));
		d->host_warned_ms = now_ms();
	}
	if (r)
		d->host_dirty = true;
}

/* SIGHUP: the new configuration whole, or the old one kept.  why: NULL,
 * or room for what went wrong. */
static bool reload(struct daemon *d, char *why, size_t whylen)
{
	struct rcc_config fresh;
	bool resolver_changed;
	int err;

	if (rcc_config_load(d->args->config, &fresh)) {
		rcc_config_free(&fresh);
		pr_warn("reload: the configuration has errors (above); the one in force stays\n");
		if (why)
			snprintf(why, whylen, "the configuration has errors (see the daemon's log)");
		remember_config(d); /* warn once a change, not each refresh */
		return false;
	}
	/* new names are asked first: the policy goes in whole */
	resolver_changed = strcmp(fresh.resolver, d->cfg.resolver) != 0;
	pthread_mutex_lock(&d->mu);
	d->cc.names.min_ttl = fresh.dns_min_ttl;
	d->cc.names.max_ttl = fresh.dns_max_ttl;
	d->cc.names.grace = fresh.dns_stale_grace;
	err = rcc_names_set_both(&d->cc.names, &d->cfg, &fresh);
	if (!err && resolver_changed) {
		dns_stop(d);
		err = dns_start(d, &fresh);
		if (err)
			dns_start(d, &d->cfg);
	}
	if (!err && d->dns)
		rcc_dns_resolve_all(d->dns, 3000, true);
	pthread_mutex_unlock(&d->mu);
	/* the addresses now, as a one-shot command would load them */
	if (host_read(d))
		d->host_dirty = false;
	err = err ?: rcc_kernel_lock(&d->k);
	if (!err) {
		err = rcc_kernel_apply(&d->k, &fresh, &d->cc.o);
		rcc_kernel_unlock(&d->k);
	}
	if (err) {
		/* the old names, TTL bounds and resolver again */
		pthread_mutex_lock(&d->mu);
		rcc_names_set(&d->cc.names, &d->cfg);
		d->cc.names.min_ttl = d->cfg.dns_min_ttl;
		d->cc.names.max_ttl = d->cfg.dns_max_ttl;
		d->cc.names.grace = d->cfg.dns_stale_grace;
		if (resolver_changed) {
			dns_stop(d);
			dns_start(d, &d->cfg);
		}
		pthread_mutex_unlock(&d->mu);
		rcc_config_free(&fresh);
		pr_warn("reload: %s; the configuration in force stays\n", strerror(-err));
		if (why)
			snprintf(why, whylen, "%s", strerror(-err));
		remember_config(d);
		return false;
	}
	pthread_mutex_lock(&d->mu);
	rcc_config_free(&d->cfg);
	d->cfg = fresh;
	rcc_names_set(&d->cc.names, &d->cfg);
	pthread_mutex_unlock(&d->mu);
	d->cc.names.changed = false;
	d->host_changed = false;
	names_save(d);
	remember_config(d);
	if (d->au)
		rcc_audit_set_config(d->au, &d->cfg);
	pr_info("rcc-bpf: reloaded %s\n", d->cfg.path[0] ? d->cfg.path : "the built-in default");
	reconcile(d);
	return true;
}

static bool has_deny_names(const struct rcc_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->npolicies; i++)
		for (j = 0; j < cfg->policies[i].nentries; j++)
			if (cfg->policies[i].entries[j].host[0] &&
			    cfg->policies[i].entries[j].action == RCC_ACT_DENY)
				return true;
	return false;
}

/* A name's or the host's addresses came or went: the policies again,
 * gap-free (new entries go in before old ones go). */
static void refresh(struct daemon *d)
{
	bool names_moved = d->cc.names.changed;
	int err;

	if (config_changed(d)) {
		/* loading the old file's policies would undo whoever loaded the new */
		pr_info("rcc-bpf: %s changed; reloading it before refreshing addresses\n", d->cfg.path);
		reload(d, NULL, 0);
		return;
	}
	if (rcc_kernel_trylock(&d->k))
		return; /* another command is changing state: next tick */
	/* a deny name's or the host's new address must stop flows the
	 * egress cache let go */
	err = d->host_changed || has_deny_names(&d->cfg) ?
		      rcc_kernel_apply(&d->k, &d->cfg, &d->cc.o) :
		      rcc_kernel_apply_dns(&d->k, &d->cfg, &d->cc.o);
	rcc_kernel_unlock(&d->k);
	if (!err) {
		d->host_changed = false;
		if (names_moved) {
			d->cc.names.changed = false;
			names_save(d);
		}
		return;
	}
	if (now_ms() - d->dns_warned_ms >= 60000) {
		pr_warn("Failed to load refreshed addresses: %s; retrying\n", strerror(-err));
		d->dns_warned_ms = now_ms();
	}
}

/* The control thread's answers; a reload is handed to the loop. */
static char *control_answer(const char *req, void *ctx)
{
	struct daemon *d = ctx;
	struct json_object *o;
	char *out;

	if (!strcmp(req, "names")) {
		pthread_mutex_lock(&d->mu);
		o = rcc_names_to_json(&d->cc.names, now_ms());
		pthread_mutex_unlock(&d->mu);
	} else if (!strcmp(req, "host")) {
		pthread_mutex_lock(&d->mu);
		o = rcc_host_addrs_to_json(&d->cc.host);
		pthread_mutex_unlock(&d->mu);
	} else if (!strcmp(req, "reload")) {
		struct timespec until;
		__u64 one = 1;

		pthread_mutex_lock(&d->mu);
		d->reload_state = RELOAD_ASKED;
		pthread_mutex_unlock(&d->mu);
		if (write(d->ctl_wake_fd, &one, sizeof(one)) != sizeof(one))
			return NULL;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;
		o = json_object_new_object();
		pthread_mutex_lock(&d->mu);
		while (d->reload_state != RELOAD_DONE &&
		       pthread_cond_timedwait(&d->cv, &d->mu, &until) != ETIMEDOUT)
			;
		json_object_object_add(o, "ok", json_object_new_boolean(
			d->reload_state == RELOAD_DONE && d->reload_ok));
		json_object_object_add(o, "config", json_object_new_string(d->reload_path));
		if (d->reload_state != RELOAD_DONE || !d->reload_ok)
			json_object_object_add(o, "error", json_object_new_string(
				d->reload_state == RELOAD_DONE ? d->reload_why : "no answer in 60 s"));
		d->reload_state = RELOAD_NONE;
		pthread_mutex_unlock(&d->mu);
	} else if (!strcmp(req, "ping")) {
		o = json_object_new_object();
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string("unknown request"));
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

/* In the loop: the reload the control thread was asked for. */
static void control_reload(struct daemon *d, bool stopping)
{
	char why[256] = "the daemon is stopping";
	__u64 n;
	bool ok = false;

	if (read(d->ctl_wake_fd, &n, sizeof(n)) < 0 && !stopping)
		return;
	pthread_mutex_lock(&d->mu);
	if (d->reload_state != RELOAD_ASKED) {
		pthread_mutex_unlock(&d->mu);
		return;
	}
	pthread_mutex_unlock(&d->mu);
	if (!stopping) {
		notify("RELOADING=1");
		ok = reload(d, why, sizeof(why));
		notify("READY=1");
	}
	pthread_mutex_lock(&d->mu);
	d->reload_state = RELOAD_DONE;
	d->reload_ok = ok;
	snprintf(d->reload_why, sizeof(d->reload_why), "%s", why);
	snprintf(d->reload_path, sizeof(d->reload_path), "%s", d->cfg.path);
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void *control_thread(void *arg)
{
	struct daemon *d = arg;
	struct pollfd p[2] = { { .fd = d->ctl_fd, .events = POLLIN },
			       { .fd = d->ctl_stop_fd, .events = POLLIN } };
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the loop's */
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			rcc_control_serve(d->ctl_fd, control_answer, d);
	}
	return NULL;
}

static int control_start(struct daemon *d)
{
	d->ctl_stop_fd = eventfd(0, EFD_CLOEXEC);
	d->ctl_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->ctl_stop_fd < 0 || d->ctl_wake_fd < 0 ||
	    pthread_create(&d->ctl_thread, NULL, control_thread, d))
		return -errno ?: -EAGAIN;
	d->ctl_running = true;
	return 0;
}

static void control_stop(struct daemon *d)
{
	__u64 one = 1;

	if (d->ctl_running) {
		control_reload(d, true); /* a reload still waiting is told no */
		if (write(d->ctl_stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(d->ctl_thread, NULL);
		d->ctl_running = false;
	}
	if (d->ctl_stop_fd >= 0)
		close(d->ctl_stop_fd);
	if (d->ctl_wake_fd >= 0)
		close(d->ctl_wake_fd);
}

static void tick(struct daemon *d, int *rc)
{
	__u64 now = now_ms();

	if (d->au && rcc_audit_tick(d->au, false))
		*rc = RCC_EXIT_FAIL;
	if (d->prune)
		prune(d);
	if (d->watch && now - d->last_reconcile_ms >= RECONCILE_MS)
		reconcile(d);
	/* a burst of address changes between two ticks is one read */
	if (d->host_dirty)
		d->host_dirty = !host_read(d);
	if (d->dns) {
		pthread_mutex_lock(&d->mu);
		rcc_dns_tick(d->dns, now);
		pthread_mutex_unlock(&d->mu);
	}
	if (d->cc.names.changed || d->host_changed)
		refresh(d);
	/* refreshed expiries too, so a restart keeps an honest grace */
	if (d->dns && d->cc.names.touched && !d->cc.names.changed &&
	    now - d->last_save_ms >= NAMES_SAVE_MS + d->cc.names.n)
		names_save(d);
	if (d->watchdog_ms && now - d->last_watchdog_ms >= d->watchdog_ms / 2) {
		notify("WATCHDOG=1");
		d->last_watchdog_ms = now;
	}
}

static int event_loop(struct daemon *d)
{
	struct itimerspec its = { { 0, TICK_MS * 1000000 }, { 0, TICK_MS * 1000000 } };
	struct epoll_event ev, evs[8];
	sigset_t mask;
	int ep, sfd, tfd, rc = RCC_EXIT_OK;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		pr_warn("Failed to set up the event loop: %s\n", strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	ev.events = EPOLLIN;
	if (d->au) {
		ev.data.fd = rcc_audit_epoll_fd(d->au);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	if (d->watch) {
		ev.data.fd = rcc_watch_fd(d->watch);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	if (d->dns) {
		ev.data.fd = rcc_dns_fd(d->dns);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	if (d->ctl_running) {
		ev.data.fd = d->ctl_wake_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, d->ctl_wake_fd, &ev);
	}
	if (d->host_fd >= 0) {
		ev.data.fd = d->host_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, d->host_fd, &ev);
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	for (;;) {
		int n = epoll_wait(ep, evs, 8, d->more ? 0 : -1), i;

		if (n < 0 && errno != EINTR) {
			rc = RCC_EXIT_FAIL;
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP && d->watch) {
					notify("RELOADING=1");
					reload(d, NULL, 0);
					notify("READY=1");
					continue;
				}
				if (si.ssi_signo == SIGHUP)
					continue;
				pr_info("rcc-bpf: signal %u: draining the ring and stopping; enforcement stays\n",
					si.ssi_signo);
				notify("STOPPING=1");
				goto drain;
			} else if (fd == tfd) {
				__u64 ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				tick(d, &rc);
			} else if (d->dns && fd == rcc_dns_fd(d->dns)) {
				pthread_mutex_lock(&d->mu);
				rcc_dns_process(d->dns);
				pthread_mutex_unlock(&d->mu);
			} else if (d->ctl_running && fd == d->ctl_wake_fd) {
				control_reload(d, false);
			} else if (fd == d->host_fd) {
				host_watch_event(d);
			} else if (d->watch && fd == rcc_watch_fd(d->watch)) {
				if (rcc_watch_read(d->watch, on_cgroup_created, on_cgroup_removed, d) ==
				    -EOVERFLOW)
					reconcile(d);
			}
		}
		/* the ring, whether it woke us or not: wake-ups are batched */
		if (d->au)
			d->more = rcc_audit_drain(d->au) == RCC_AUDIT_MORE;
		/* write what was read: a kill loses as little as can be */
		if (d->au && rcc_audit_flush(d->au, false))
			rc = RCC_EXIT_FAIL;
	}
drain:
	/* what the ring holds now, then stop: a flood goes on, we do not */
	if (d->au) {
		/* at most a ring's worth (events are over 64 bytes) */
		unsigned rounds = d->cfg.ring_size / 64 / RCC_AUDIT_DRAIN_BUDGET + 2;

		while (rounds-- && rcc_audit_drain(d->au) == RCC_AUDIT_MORE)
			rcc_audit_flush(d->au, false);
		if (rcc_audit_tick(d->au, true))
			rc = RCC_EXIT_FAIL;
	}
out:
	/* signals stay blocked: a second SIGTERM must not cut the cleanup */
	if (ep >= 0)
		close(ep);
	d->ep = -1;
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}

int cli_consume(struct rcc_audit *au)
{
	struct daemon d = { .au = au, .ctl_fd = -1, .ep = -1, .ctl_stop_fd = -1,
			    .ctl_wake_fd = -1, .host_fd = -1 };

	return event_loop(&d);
}

/* The names of the configuration, asked before the first load. */
static int names_start(struct daemon *d)
{
	char path[PATH_MAX + 16];
	int err;

	err = cli_compile_init(&d->cfg, RCC_DNS_QUIET, &d->cc);
	err = err ?: dns_start(d, &d->cfg);
	if (err)
		return err;
	/* the last run's addresses: kept, with their expiry, if DNS fails now */
	names_path(d, path, sizeof(path));
	rcc_names_load(&d->cc.names, path);
	d->cc.names.verbose = true; /* failures and the rebinding guard */
	rcc_dns_resolve_all(d->dns, 3000, false);
	d->cc.names.log_changes = true;
	return 0;
}

int cmd_daemon(struct rcc_args *a)
{
	struct daemon d = { .args = a, .ctl_fd = -1, .ep = -1, .ctl_stop_fd = -1,
			    .ctl_wake_fd = -1, .host_fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER,
			    .cv = PTHREAD_COND_INITIALIZER };
	const char *wd = getenv("WATCHDOG_USEC");
	char mnt[PATH_MAX];
	int rc, err;

	rc = cli_load_config(a, &d.cfg);
	if (rc)
		return rc;
	remember_config(&d);
	err = rcc_control_listen(d.cfg.control_socket, &d.ctl_fd);
	if (err) {
		pr_warn(err == -EADDRINUSE ?
			"another rcc-bpf daemon answers on %s; stop it, or give this one its own [global] control_socket\n" :
			"Failed to listen on %s: %s\n", d.cfg.control_socket, strerror(-err));
		rcc_config_free(&d.cfg);
		return RCC_EXIT_FAIL;
	}
	host_watch_start(&d);
	if (names_start(&d)) {
		rc = RCC_EXIT_FAIL;
		goto out_names;
	}
	d.host_dirty = true; /* once more at the first tick, should that read have failed */
	rc = cli_open_and_apply(&d.cfg, &d.k, &d.cc.o);
	if (rc)
		goto out_names;
	d.cc.names.changed = false;
	names_save(&d);
	/* the state lock is for each change; the consumer has its own */
	rcc_kernel_unlock(&d.k);
	err = control_start(&d);
	if (err) {
		pr_warn("Failed to start the control socket's thread: %s\n", strerror(-err));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	err = rcc_audit_open(&d.cfg, &d.k, NULL, NULL, &d.au);
	if (err == -EWOULDBLOCK) {
		pr_warn("another consumer (rcc-bpf daemon or log -f) is reading the events of '%s'\n",
			d.cfg.pin_dir);
		rc = RCC_EXIT_FAIL;
		goto out;
	} else if (err) {
		pr_warn("Failed to start the audit consumer: %s\n", strerror(-err));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	/* watch first, then enforce what runs: nothing falls in between */
	err = rcc_cgroup_mount(mnt, sizeof(mnt));
	err = err ?: rcc_watch_open(mnt, &d.watch);
	if (err) {
		pr_warn("Failed to watch the cgroup tree: %s\n", strerror(-err));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	reconcile(&d);
	if (wd && *wd)
		d.watchdog_ms = strtoull(wd, NULL, 10) / 1000;
	pr_info("rcc-bpf: daemon running; audit log %s; %zu hostname%s kept fresh (%zu unresolved); control socket %s\n",
		d.cfg.audit_log, d.cc.names.n, d.cc.names.n == 1 ? "" : "s",
		rcc_names_unresolved(&d.cc.names), d.cfg.control_socket);
	notify("READY=1");
	rc = event_loop(&d);
	/* the expiries of the last answers: a restart during an outage
	 * counts its grace from them, not from the last periodic save */
	names_save(&d);
out:
	rcc_watch_close(d.watch);
	rcc_audit_close(d.au);
	rcc_kernel_close(&d.k);
out_names:
	control_stop(&d);
	dns_stop(&d);
	cli_compile_release(&d.cc);
	if (d.host_fd >= 0)
		close(d.host_fd);
	rcc_control_close(d.ctl_fd, d.cfg.control_socket);
	rcc_config_free(&d.cfg);
	return rc;
}
