// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "daemon/cgwatch.h"
#include "lib/cgroup.h"
#include "host/container.h"
#include "host/enforce.h"
#include "lib/clock.h"
#include "lib/log.h"

static void on_created(const char *path, void *ctx)
{
	struct rcc_cgwatch *c = ctx;
	const struct rcc_config *cfg = c->rec->cfg;
	char id[65], runtime[16], label[64], msg[PATH_MAX + 128];
	__u64 t0 = rcc_clock_ms();
	int r = RCC_NOT_WANTED;

	if (!rcc_container_at(path, id, runtime))
		return;
	c->rec->dns_dirty = true;
	/*
	 * Asking the runtime for the label takes tens of milliseconds, and the
	 * container may already run: with enforce = all the default policy
	 * goes on first, and the label's policy replaces it once known.
	 */
	if (cfg->enforce_all)
		r = rcc_enforce_container(cfg, c->rec->k, path, NULL, true, msg, sizeof(msg));
	rcc_container_label(id, runtime, label, sizeof(label));
	if (label[0] || !cfg->enforce_all)
		r = rcc_enforce_container(cfg, c->rec->k, path, label, false, msg, sizeof(msg));
	if (r == RCC_ENFORCED || r == RCC_INHERITED)
		pr_info("rcc-bpf: new container %.12s (%s): %s, %llu ms after its cgroup appeared\n",
			id, runtime, msg, (unsigned long long)(rcc_clock_ms() - t0));
	else if (r == -ENOENT && access(path, F_OK))
		pr_debug("new container %.12s: gone before it could be enforced\n", id);
	else if (r < 0)
		pr_warn("new container %.12s: %s\n", id, msg);
}

static void on_removed(const char *path, void *ctx)
{
	struct rcc_cgwatch *c = ctx;

	(void)path;
	c->rec->prune = true;
}

static int on_event(void *ctx)
{
	struct rcc_cgwatch *c = ctx;

	if (rcc_watch_read(c->watch, on_created, on_removed, c) == -EOVERFLOW)
		rcc_reconcile_all(c->rec);
	return 0;
}

int rcc_cgwatch_open(struct rcc_cgwatch *c, struct rcc_reconcile *rec, struct rcc_loop *l)
{
	char mnt[PATH_MAX];
	int err;

	c->rec = rec;
	err = rcc_cgroup_mount(mnt, sizeof(mnt));
	err = err ?: rcc_watch_open(mnt, &c->watch);
	if (err)
		return rcc_log_fail(err, "Failed to watch the cgroup tree");
	return rcc_loop_add(l, rcc_watch_fd(c->watch), on_event, c);
}

void rcc_cgwatch_close(struct rcc_cgwatch *c)
{
	rcc_watch_close(c->watch);
	c->watch = NULL;
}
