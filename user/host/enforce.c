// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/cgroup.h"
#include "host/container.h"
#include "host/enforce.h"
#include "lib/log.h"

struct above {
	struct rcc_kernel *k;
	__u32 policy_id;
	char *path;
	size_t len;
};

static int enforced_at(const char *path, __u64 id, void *ctx)
{
	struct above *a = ctx;
	struct rcc_cgroup_val v;

	if (bpf_map_lookup_elem(a->k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return 0;
	a->policy_id = v.policy_id;
	if (a->path)
		snprintf(a->path, a->len, "%s", path);
	return 1;
}

bool rcc_enforce_nearest_above(struct rcc_kernel *k, const char *path, __u32 *policy_id, char *from,
			       size_t len)
{
	struct above a = { .k = k, .path = from, .len = len };

	if (rcc_cgroup_ancestors(path, enforced_at, &a) != 1)
		return false;
	if (policy_id)
		*policy_id = a.policy_id;
	return true;
}

/*
 * Below an enforced cgroup the policy there holds.  An entry of the
 * default policy of its own, which the daemon gave a container before
 * the cgroup above was enforced (a parent added by a reload, or an
 * older rcc-bpf), is dropped so that the inherited policy holds.
 */
static int inherit(const struct rcc_config *cfg, struct rcc_kernel *k, const char *path,
		   __u32 above, const char *from, char *msg, size_t len)
{
	char name[RCC_POLICY_NAME_MAX + 8];
	__u32 own, dflt;
	int err = 0;

	rcc_kernel_policy_name(k, above, name, sizeof(name));
	if (rcc_kernel_is_attached(k, path, &own) && own != above &&
	    !rcc_kernel_policy_id(k, cfg->default_policy, &dflt) && own == dflt) {
		err = rcc_kernel_lock(k);
		if (!err) {
			err = rcc_kernel_detach(k, path);
			rcc_kernel_unlock(k);
		}
		if (err) {
			/* the kernel layer said why, unless it found nothing */
			snprintf(msg, len, "cannot drop default_policy '%s' below %s%s",
				 cfg->default_policy, from,
				 err == -ENOENT ? ": it is no longer attached" : "");
			return err;
		}
		pr_info("rcc-bpf: %s: dropped its own default_policy '%s'; policy '%s' of %s holds\n",
			path, cfg->default_policy, name, from);
	}
	snprintf(msg, len, "policy '%s' of %s, the enforced cgroup above", name, from);
	return RCC_INHERITED;
}

int rcc_enforce_container(const struct rcc_config *cfg, struct rcc_kernel *k, const char *path,
			  const char *policy, bool keep_existing, char *msg, size_t len)
{
	bool labelled = policy && *policy;
	const char *name;
	char from[PATH_MAX], why[128];
	__u32 id, have;
	int err;

	msg[0] = '\0';
	if (!labelled && !cfg->enforce_all)
		return RCC_NOT_WANTED;
	/* a label that may not choose: enforced all the same, as unlabelled */
	if (labelled && !rcc_config_label_policy(cfg, policy, why, sizeof(why))) {
		pr_warn("container cgroup %s: its label " RCC_LABEL_POLICY
			"=%s chooses nothing (%s); the inherited or default policy holds\n",
			path, policy, why);
		policy = NULL;
	}
	if (!(policy && *policy) && rcc_enforce_nearest_above(k, path, &id, from, sizeof(from)))
		return inherit(cfg, k, path, id, from, msg, len);
	name = policy && *policy ? policy : cfg->default_policy;
	if (!rcc_config_policy(cfg, name)) {
		snprintf(msg, len, "default_policy '%s' is not in the configuration", name);
		return -ENOENT;
	}
	err = rcc_kernel_policy_id(k, name, &id);
	if (err) {
		snprintf(msg, len, "policy '%s' is not loaded", name);
		return err;
	}
	if (keep_existing && rcc_kernel_is_attached(k, path, &have))
		return RCC_ALREADY;
	err = rcc_kernel_lock(k);
	if (!err) {
		/* containers come and go: the slots of removed ones are freed
		 * first (a hook-only host has no daemon to do it) */
		rcc_kernel_prune(k);
		err = rcc_kernel_attach(k, path, id);
		rcc_kernel_unlock(k);
	}
	if (err) {
		/* the kernel layer said why, unless the cgroup is gone */
		snprintf(msg, len, "cannot attach policy '%s' to '%s'%s", name, path,
			 err == -ENOENT ? ": the cgroup is gone" : "");
		return err;
	}
	snprintf(msg, len, "policy '%s' on %s", name, path);
	return RCC_ENFORCED;
}

int rcc_enforce_all_containers(const struct rcc_config *cfg, struct rcc_kernel *k)
{
	struct rcc_container *all;
	size_t n, i;
	int done = 0;

	rcc_container_list(&all, &n);
	for (i = 0; i < n; i++) {
		char msg[PATH_MAX + 128];
		int r;

		if (!all[i].running || !all[i].cgroup[0])
			continue;
		r = rcc_enforce_container(cfg, k, all[i].cgroup, all[i].policy, true, msg,
					  sizeof(msg));
		if (r == RCC_ENFORCED) {
			pr_info("rcc-bpf: container %.12s%s%s%s: %s\n", all[i].id,
				all[i].name[0] ? " (" : "", all[i].name, all[i].name[0] ? ")" : "",
				msg);
			done++;
		} else if (r < 0) {
			pr_warn("container %.12s: %s\n", all[i].id, msg);
		}
	}
	free(all);
	return done;
}

/*
 * Parents are what makes Docker race-free (--cgroup-parent): after a
 * reboot they must be enforced before the first container starts, so the
 * daemon, ordered before the runtimes, makes and attaches them.
 */
void rcc_enforce_parents(const struct rcc_config *cfg, struct rcc_kernel *k)
{
	char mnt[PATH_MAX];
	size_t i;

	if (rcc_cgroup_mount(mnt, sizeof(mnt)))
		return;
	for (i = 0; i < cfg->nparents; i++) {
		const struct rcc_parent *p = &cfg->parents[i];
		const char *name = p->policy[0] ? p->policy : cfg->default_policy;
		char path[PATH_MAX * 2], *s;
		__u32 want, have;
		int err;

		snprintf(path, sizeof(path), "%s/%s", mnt, p->cgroup);
		for (s = path + strlen(mnt) + 1; (s = strchr(s, '/')); s++) {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
		if (mkdir(path, 0755) && errno != EEXIST) {
			pr_warn("Failed to create cgroup '%s': %s\n", path, strerror(errno));
			continue;
		}
		if (rcc_kernel_policy_id(k, name, &want)) {
			pr_warn("parent cgroup '%s': policy '%s' is not loaded\n", path, name);
			continue;
		}
		if (rcc_kernel_is_attached(k, path, &have) && have == want)
			continue;
		err = rcc_kernel_lock(k);
		if (!err) {
			err = rcc_kernel_attach(k, path, want);
			rcc_kernel_unlock(k);
		}
		if (!err) /* else the kernel layer reported it, unless it is gone */
			pr_info("rcc-bpf: parent cgroup %s: policy '%s'\n", path, name);
		else if (err == -ENOENT)
			pr_warn("parent cgroup '%s' is gone; not enforced\n", path);
	}
}
