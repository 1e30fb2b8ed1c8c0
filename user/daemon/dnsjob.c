// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/auditdns.h"
#include "daemon/dnsjob.h"
#include "lib/cgroup.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/sdnotify.h"
#include "lib/util.h"

#define SYNC_MS 1000
#define PID_DEPTH 8    /* cgroup levels searched for a process */
#define RETRY_MS 30000 /* a listener that failed is tried again after this */
#define DRAIN_MS 1000  /* queries asked upstream get this long at a restart */

struct rcc_dnsjob_adopted {
	__u64 cgroup_id;
	int fd[RCC_DNSL__MAX];
};

static void record(const struct rcc_dnsp_record *r, void *ctx)
{
	struct rcc_dnsjob *j = ctx;

	if (j->consume->au)
		rcc_audit_dns(j->consume->au, r);
	else
		rcc_auditdns_append(j->cfg->audit_log, r);
}

static int on_ready(void *ctx)
{
	rcc_dnsproxy_process(ctx);
	return 0;
}

/* The fd store's name of a listener: dns-CGID-KIND. */
static void fd_name(__u64 id, enum rcc_dnslisten_kind kind, char *buf, size_t len)
{
	snprintf(buf, len, "dns-%llu-%s", (unsigned long long)id, rcc_dnslisten_kind_name(kind));
}

static struct rcc_dnsjob_adopted *adopted_for(struct rcc_dnsjob *j, __u64 id, bool create)
{
	size_t i;
	void *nv;

	for (i = 0; i < j->nadopted; i++)
		if (j->adopted[i].cgroup_id == id)
			return &j->adopted[i];
	if (!create || !(nv = realloc(j->adopted, (j->nadopted + 1) * sizeof(*j->adopted))))
		return NULL;
	j->adopted = nv;
	j->adopted[j->nadopted].cgroup_id = id;
	memset(j->adopted[j->nadopted].fd, -1, sizeof(j->adopted[0].fd));
	return &j->adopted[j->nadopted++];
}

/* The listeners a predecessor left in systemd's fd store. */
static void take_stored(struct rcc_dnsjob *j)
{
	char **names;
	size_t n = rcc_sdnotify_listen_fds(&names), i;

	for (i = 0; i < n; i++) {
		int fd = RCC_SDNOTIFY_LISTEN_FDS_START + i, k;
		struct rcc_dnsjob_adopted *a = NULL;
		unsigned long long id;
		char kind[8];

		if (names[i] && sscanf(names[i], "dns-%llu-%7s", &id, kind) == 2)
			for (k = 0; k < RCC_DNSL__MAX; k++)
				if (!strcmp(kind, rcc_dnslisten_kind_name(k)) &&
				    (a = adopted_for(j, id, true)) && a->fd[k] < 0) {
					a->fd[k] = fd;
					fcntl(fd, F_SETFD, FD_CLOEXEC);
					fd = -1;
				}
		if (fd >= 0)
			close(fd);
		free(names[i]);
	}
	free(names);
}

void rcc_dnsjob_open(struct rcc_dnsjob *j, const struct rcc_config *cfg, struct rcc_kernel *k,
		     const struct rcc_addr_list *host, struct rcc_consume *consume,
		     struct rcc_loop *l)
{
	struct rcc_dnsproxy_opts o = {
		.cfg = cfg,
		.host = host,
		.listeners_fd = k->map_fd[RCC_MAP_DNS_LISTENERS],
		.learned_fd = k->map_fd[RCC_MAP_LEARNED],
		.socks_fd = k->map_fd[RCC_MAP_DNS_SOCKS],
		.record = record,
		.record_ctx = j,
	};
	int err;

	memset(j, 0, sizeof(*j));
	j->cfg = cfg;
	j->k = k;
	j->consume = consume;
	take_stored(j);
	err = rcc_dnsproxy_open(&o, &j->p, j->why, sizeof(j->why));
	err = err ?: rcc_loop_add(l, rcc_dnsproxy_fd(j->p), on_ready, j->p);
	if (err) {
		if (!j->why[0])
			snprintf(j->why, sizeof(j->why), "%s", strerror(-err));
		pr_warn("Failed to start the DNS proxy: %s; sandboxes under dns = proxy get ECONNREFUSED for every query until it runs (set [global] resolver, or dns = open)\n",
			j->why);
		rcc_dnsproxy_close(j->p);
		j->p = NULL;
	}
}

/* A process of the cgroup at path or below: its pid, or 0. */
static pid_t first_pid(const char *path, int depth)
{
	char file[PATH_MAX];
	pid_t pid = 0;
	struct dirent *de;
	FILE *f;
	DIR *d;

	if (!rcc_snprintf(file, sizeof(file), "%s/cgroup.procs", path) && (f = fopen(file, "re"))) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid || depth <= 0 || !(d = opendir(path)))
		return pid;
	while (!pid && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
		    !rcc_snprintf(file, sizeof(file), "%s/%s", path, de->d_name))
			pid = first_pid(file, depth - 1);
	closedir(d);
	return pid;
}

/* Whether pid is (still) in the cgroup at path or below: checked after
 * its namespace was opened, so that a reused pid is not taken for it. */
static bool still_inside(pid_t pid, const char *path)
{
	char now[PATH_MAX];
	size_t n = strlen(path);

	return !rcc_cgroup_of_pid(pid, now, sizeof(now)) && !strncmp(now, path, n) &&
	       (now[n] == '\0' || now[n] == '/');
}

static void store(__u64 id, enum rcc_dnslisten_kind kind, int fd, void *ctx)
{
	char msg[96], name[64];
	__u64 *want = ctx;

	if (id != *want)
		return;
	fd_name(id, kind, name, sizeof(name));
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	rcc_sdnotify_fds(msg, &fd, 1);
}

/* Whether a failed cgroup must wait; a new failure is remembered. */
static bool retry_later(struct rcc_dnsjob *j, __u64 id, bool failed_now)
{
	__u64 now = rcc_clock_ms();
	size_t i;

	for (i = 0; i < j->nretry; i++)
		if (j->retry[i].cgroup_id == id) {
			if (failed_now)
				j->retry[i].at_ms = now + RETRY_MS;
			return now < j->retry[i].at_ms;
		}
	if (!failed_now)
		return false;
	if (j->nretry == ARRAY_SIZE(j->retry))
		j->nretry--; /* the oldest stays: good enough for a rare case */
	j->retry[j->nretry].cgroup_id = id;
	j->retry[j->nretry++].at_ms = now + RETRY_MS;
	return true;
}

static void forget_stored(__u64 id);

/* Stored listeners not taken up: closed, and out of the store. */
static void drop_adopted(struct rcc_dnsjob_adopted *a)
{
	bool any = false;
	int k;

	for (k = 0; k < RCC_DNSL__MAX; k++)
		if (a->fd[k] >= 0) {
			close(a->fd[k]);
			a->fd[k] = -1;
			any = true;
		}
	if (any)
		forget_stored(a->cgroup_id);
}

/* Listeners for the cgroup: the stored ones, else new ones in the
 * namespace of one of its processes (none yet: the next sync). */
static void start(struct rcc_dnsjob *j, const struct rcc_cgroup_info *cg, const char *policy)
{
	struct rcc_dnsjob_adopted *a = adopted_for(j, cg->id, false);
	struct rcc_dnslisten l;
	char ns[64];
	pid_t pid;
	int nsfd, err;

	if (a && !rcc_dnslisten_adopt(a->fd, &l)) {
		memset(a->fd, -1, sizeof(a->fd));
	} else {
		if (a)
			drop_adopted(a); /* unusable: out of the store before new ones go in */
		pid = first_pid(cg->path, PID_DEPTH);
		if (!pid || retry_later(j, cg->id, false))
			return;
		snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
		nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0)
			return; /* it went: the next sync */
		if (!still_inside(pid, cg->path)) {
			close(nsfd); /* the pid was reused meanwhile */
			return;
		}
		err = rcc_dnslisten_open(nsfd, &l);
		close(nsfd);
		if (err) {
			retry_later(j, cg->id, true);
			pr_warn("rcc-bpf: dns: no listener for %s; its queries fail (ECONNREFUSED); trying again in %d s\n",
				cg->path, RETRY_MS / 1000);
			return;
		}
	}
	if (rcc_dnsproxy_add(j->p, cg->id, policy, &l)) {
		retry_later(j, cg->id, true);
		return;
	}
	rcc_dnsproxy_each_fd(j->p, store, (void *)&cg->id);
	pr_info("rcc-bpf: dns: answering for %s (policy %s)\n", cg->path, policy);
}

static void forget_stored(__u64 id)
{
	char msg[96], name[64];
	int k;

	for (k = 0; k < RCC_DNSL__MAX; k++) {
		fd_name(id, k, name, sizeof(name));
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
		rcc_sdnotify(msg);
	}
}

/* The policy under which the cgroup's DNS is answered; NULL: not by us. */
/* run: the path below which `rcc-bpf run` makes its cgroups, "/"-ended
 * ("" when it cannot be told). */
static const struct rcc_policy_cfg *wanted(struct rcc_dnsjob *j, const struct rcc_cgroup_info *cg,
					   const char *run)
{
	char name[RCC_POLICY_NAME_MAX + 8];
	const struct rcc_policy_cfg *p;

	if (!cg->path[0] || rcc_kernel_policy_name(j->k, cg->policy_id, name, sizeof(name)))
		return NULL;
	p = rcc_config_policy(j->cfg, name);
	if (!p || !p->dns_proxy)
		return NULL;
	/* run's sandboxes: their own run answers */
	return run[0] && !strncmp(cg->path, run, strlen(run)) ? NULL : p;
}

static bool listed(const struct rcc_cgroup_info *cgs, size_t n, __u64 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cgs[i].id == id)
			return true;
	return false;
}

/* Sandboxes whose cgroup went, or whose policy no longer asks for it. */
/* The sandboxes' cgroup ids (malloc'd; NULL when there are none). */
static __u64 *proxy_ids(const struct rcc_dnsproxy *p, size_t *n)
{
	__u64 *ids;

	*n = rcc_dnsproxy_ids(p, NULL, 0);
	ids = *n ? calloc(*n, sizeof(*ids)) : NULL;
	if (!ids)
		*n = 0;
	else
		rcc_dnsproxy_ids(p, ids, *n);
	return ids;
}

static void stop_unwanted(struct rcc_dnsjob *j, const struct rcc_cgroup_info *cgs, size_t n)
{
	size_t m, i;
	__u64 *ids = proxy_ids(j->p, &m);

	for (i = 0; i < m; i++)
		if (!listed(cgs, n, ids[i])) {
			rcc_dnsproxy_remove(j->p, ids[i]);
			forget_stored(ids[i]);
		}
	free(ids);
}

static void close_adopted(struct rcc_dnsjob *j)
{
	size_t i;

	for (i = 0; i < j->nadopted; i++)
		drop_adopted(&j->adopted[i]);
	free(j->adopted);
	j->adopted = NULL;
	j->nadopted = 0;
}

void rcc_dnsjob_sync(struct rcc_dnsjob *j)
{
	char mnt[PATH_MAX], run[PATH_MAX * 2];
	struct rcc_cgroup_info *cgs = NULL;
	size_t n = 0, i, keep = 0;

	if (!j->p || rcc_kernel_cgroups(j->k, &cgs, &n))
		return;
	/* mountinfo read once a sync, not once a cgroup */
	if (rcc_cgroup_mount(mnt, sizeof(mnt)) ||
	    rcc_snprintf(run, sizeof(run), "%s/%s/", mnt, j->cfg->run_cgroup))
		run[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct rcc_policy_cfg *p = wanted(j, &cgs[i], run);
		const char *now = rcc_dnsproxy_policy(j->p, cgs[i].id);

		if (now && (!p || strcmp(now, p->name))) {
			rcc_dnsproxy_remove(j->p, cgs[i].id);
			forget_stored(cgs[i].id);
			now = NULL;
		}
		if (p && !now)
			start(j, &cgs[i], p->name);
		if (p)
			cgs[keep++] = cgs[i];
	}
	stop_unwanted(j, cgs, keep);
	free(cgs);
	if (!j->synced) {
		rcc_dnsproxy_adopt(j->p); /* a predecessor's answers, once */
		close_adopted(j);
	}
	j->synced = true;
	j->last_sync_ms = rcc_clock_ms();
}

void rcc_dnsjob_tick(struct rcc_dnsjob *j, __u64 now)
{
	if (!j->p)
		return;
	rcc_dnsproxy_tick(j->p, now);
	if (now - j->last_sync_ms >= SYNC_MS)
		rcc_dnsjob_sync(j);
}

void rcc_dnsjob_reload(struct rcc_dnsjob *j, const struct rcc_addr_list *host)
{
	if (!j->p)
		return;
	rcc_dnsproxy_set_config(j->p, j->cfg, host);
	rcc_dnsjob_sync(j);
}

struct json_object *rcc_dnsjob_to_json(const struct rcc_dnsjob *j)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "running", json_object_new_boolean(j->p != NULL));
	if (!j->p)
		json_object_object_add(o, "why", json_object_new_string(j->why));
	else
		json_object_object_add(o, "sandboxes", rcc_dnsproxy_to_json(j->p, rcc_clock_ms()));
	return o;
}

void rcc_dnsjob_close(struct rcc_dnsjob *j, struct rcc_loop *l)
{
	__u64 *ids;
	size_t n, i;

	if (j->p) {
		rcc_loop_del(l, rcc_dnsproxy_fd(j->p));
		/*
		 * Under systemd the listeners wait in the fd store for the next
		 * daemon, and so does what answers allowed.  Without it nothing
		 * answers from now on: the hooks must refuse at once, and the
		 * answers' addresses must not outlive their expiry unwatched.
		 */
		if (!getenv("NOTIFY_SOCKET")) {
			ids = proxy_ids(j->p, &n);
			for (i = 0; i < n; i++)
				rcc_dnsproxy_remove(j->p, ids[i]);
			free(ids);
		} else {
			rcc_dnsproxy_drain(j->p, DRAIN_MS);
		}
		rcc_dnsproxy_close(j->p);
	}
	close_adopted(j);
	j->p = NULL;
}
