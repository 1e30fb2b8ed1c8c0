// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroups and their links: an enforced cgroup has an entry in
 * rcc_cgroups; the topmost enforced cgroup of a tree also holds a
 * bpf_link per hook, pinned under PIN_DIR/v3/links/CGID/HOOK, which run
 * for every cgroup below it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/cgroup.h"
#include "kernel/links.h"
#include "kernel/maps.h"
#include "kernel/object.h"
#include "lib/log.h"
#include "lib/util.h"

/* The hooks linked to every enforced cgroup (rcc_shared.h). */
static const struct {
	const char *name; /* the link's pin name */
	enum bpf_attach_type type;
	bool per_cgroup;
} hooks[RCC_HOOK__MAX] = {
#define HOOK_LINK(id, name, prog, type, per_cgroup) [RCC_HOOK_##id] = { name, type, per_cgroup },
	RCC_HOOKS(HOOK_LINK)
#undef HOOK_LINK
};

static int link_dir(const struct rcc_kernel *k, __u64 id, char *buf, size_t len)
{
	return rcc_snprintf(buf, len, "%s/links/%llu", k->dir, (unsigned long long)id);
}

bool rcc_links_held(const struct rcc_kernel *k, __u64 id)
{
	char dir[PATH_MAX];

	return !link_dir(k, id, dir, sizeof(dir)) && !access(dir, F_OK);
}

static bool is_enforced(const struct rcc_kernel *k, __u64 id)
{
	struct rcc_cgroup_val v;

	return !bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v);
}

bool rcc_kernel_is_attached(struct rcc_kernel *k, const char *path, __u32 *policy_id)
{
	struct rcc_cgroup_val v;
	__u64 id;

	if (rcc_cgroup_id(path, &id) || bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return false;
	if (policy_id)
		*policy_id = v.policy_id;
	return true;
}

/* Links hook h of cgroup cgfd (at path) and pins the link at pin. */
static int link_hook(struct rcc_kernel *k, int h, int cgfd, const char *path, const char *pin)
{
	/* a bpf_link: multi-attach, and only its owner can detach it */
	int fd = bpf_link_create(k->prog_fd[h], cgfd, hooks[h].type, NULL), err = 0;

	if (fd < 0)
		return rcc_log_fail(-errno, "Failed to attach %s to cgroup '%s'", hooks[h].name,
				    path);
	if (bpf_obj_pin(fd, pin))
		err = rcc_log_fail(-errno, "Failed to pin link '%s'", pin);
	close(fd);
	return err;
}

/* Creates whichever of the cgroup's links are missing, and pins them. */
static int link_cgroup(struct rcc_kernel *k, const char *path, __u64 id)
{
	char dir[PATH_MAX], pin[PATH_MAX];
	int cgfd = -1, h, err;

	err = link_dir(k, id, dir, sizeof(dir));
	if (!err && mkdir(dir, 0700) && errno != EEXIST)
		err = -errno;
	if (err) {
		err = rcc_log_fail(err, "Failed to create '%s/links/%llu'", k->dir,
				   (unsigned long long)id);
		goto out;
	}
	cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		/* gone (a container that already ended) is an answer */
		err = errno == ENOENT ? -ENOENT : rcc_log_fail(-errno, "Failed to open cgroup '%s'", path);
		goto out;
	}
	for (h = 1; h < RCC_HOOK__MAX && !err; h++) {
		if (!hooks[h].per_cgroup)
			continue;
		err = rcc_snprintf(pin, sizeof(pin), "%s/%s", dir, hooks[h].name);
		if (err)
			err = rcc_log_fail(err, "Failed to pin link '%s/%s'", dir, hooks[h].name);
		else if (access(pin, F_OK))
			err = link_hook(k, h, cgfd, path, pin);
	}
out:
	if (cgfd >= 0)
		close(cgfd);
	return err;
}

/* Removes the cgroup's links: the last reference, so they detach.
 * Prints nothing. */
static int unlink_cgroup(struct rcc_kernel *k, __u64 id)
{
	char dir[PATH_MAX];

	return link_dir(k, id, dir, sizeof(dir)) ?: rcc_object_unpin_tree(dir);
}

static int first_linked_ancestor(const char *path, __u64 id, void *ctx)
{
	(void)path;
	return rcc_links_held(ctx, id) ? 1 : 0;
}

struct walk_ctx {
	struct rcc_kernel *k;
	__u64 self;
	int err;
};

/* Links that became redundant below a newly linked cgroup go away. */
static int unlink_descendant(const char *path, __u64 id, void *ctx)
{
	struct walk_ctx *w = ctx;

	(void)path;
	if (id != w->self && rcc_links_held(w->k, id))
		w->err = unlink_cgroup(w->k, id) ?: w->err;
	return 0;
}

/* The lowest free slot in rcc_cgstats, its counters zeroed. */
static int alloc_slot(struct rcc_kernel *k, __u32 *slot)
{
	struct rcc_kvset cgs = {};
	__u8 *used = NULL;
	size_t i;
	int err = rcc_maps_read(k, RCC_MAP_CGROUPS, &cgs);

	if (!err && !(used = calloc(k->max_cgroups, 1)))
		err = rcc_log_fail(-ENOMEM, "Failed to find a free cgroup slot");
	for (i = 0; !err && i < cgs.n; i++) {
		struct rcc_cgroup_val v;

		memcpy(&v, cgs.vals + i * cgs.vsz, sizeof(v));
		if (v.slot < k->max_cgroups)
			used[v.slot] = 1;
	}
	for (i = 0; !err && i < k->max_cgroups && used[i]; i++)
		;
	if (!err && i == k->max_cgroups) {
		pr_warn("all %u cgroup slots are in use; raise [global] max_cgroups\n",
			k->max_cgroups);
		err = -ENOSPC;
	}
	if (!err && (err = rcc_maps_zero_percpu(k->map_fd[RCC_MAP_CGSTATS], i,
						sizeof(struct rcc_counters))))
		err = rcc_log_fail(err, "Failed to reset the counters of cgroup slot %zu", i);
	if (!err)
		*slot = i;
	free(used);
	rcc_kvset_free(&cgs);
	return err;
}

/* Gives cgroup id at path an entry for policy_id: a fresh one (with a
 * slot) when it has none; *fresh says which. */
static int set_entry(struct rcc_kernel *k, const char *path, __u64 id, __u32 policy_id, bool *fresh)
{
	struct rcc_cgroup_val v;
	int err;

	*fresh = bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v) != 0;
	if (*fresh && (err = alloc_slot(k, &v.slot)))
		return err;
	/* another policy: what the old one's names allowed must not carry over */
	if (!*fresh && v.policy_id != policy_id)
		rcc_maps_drop_dns(k, id, true);
	v.policy_id = policy_id;
	if (bpf_map_update_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v, BPF_ANY))
		return rcc_log_fail(-errno, "Failed to enforce cgroup '%s'", path);
	return 0;
}

int rcc_kernel_attach(struct rcc_kernel *k, const char *path, __u32 policy_id)
{
	struct walk_ctx w = { .k = k };
	bool fresh = false;
	__u64 id;
	int err = rcc_cgroup_id(path, &id);

	if (err) /* gone (a container that already ended) is an answer */
		return err == -ENOENT ? err : rcc_log_fail(err, "Failed to find cgroup '%s'", path);
	/* the entry first: a program that runs from here on finds it */
	err = set_entry(k, path, id, policy_id, &fresh);
	if (err)
		return err;
	if (!rcc_links_held(k, id) && rcc_cgroup_ancestors(path, first_linked_ancestor, k) == 1)
		goto out; /* an ancestor's links already run for this cgroup */
	err = link_cgroup(k, path, id);
	if (err) {
		if (fresh) {
			unlink_cgroup(k, id);
			bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id);
		}
		return err;
	}
	/* new links are in place: the ones below them are now redundant */
	w.self = id;
	rcc_cgroup_walk(path, unlink_descendant, &w);
	if (w.err)
		pr_warn("Failed to remove redundant links below '%s': %s, ignoring\n", path,
			strerror(-w.err));
out:
	rcc_maps_bump_gen(k); /* the cgroup's policy may have changed */
	return 0;
}

/* Gives links to the topmost enforced cgroups below dir. */
static int relink_below(struct rcc_kernel *k, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 :
					 rcc_log_fail(-errno, "Failed to read cgroup '%s'", dir);
	while ((de = readdir(d)) && !err) {
		char sub[PATH_MAX];
		__u64 id;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (rcc_snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name))
			continue;
		if (rcc_cgroup_id(sub, &id))
			continue;
		if (is_enforced(k, id))
			err = link_cgroup(k, sub, id);
		else
			err = relink_below(k, sub);
	}
	closedir(d);
	return err;
}

int rcc_kernel_detach(struct rcc_kernel *k, const char *path)
{
	struct rcc_cgroup_val v;
	__u64 id;
	int err = rcc_cgroup_id(path, &id);

	if (err == -ENOENT)
		return err; /* gone: not attached */
	if (err)
		return rcc_log_fail(err, "Failed to find cgroup '%s'", path);
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return -ENOENT;
	if (rcc_links_held(k, id)) {
		/* enforced cgroups below keep their enforcement: new links
		 * first, then ours go */
		err = relink_below(k, path);
		if (err) {
			pr_warn("Failed to keep the cgroups below '%s' enforced; nothing detached\n",
				path);
			return err;
		}
		err = unlink_cgroup(k, id);
		if (err)
			return rcc_log_fail(err, "Failed to remove the links of '%s'", path);
	}
	if (bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id))
		return rcc_log_fail(-errno, "Failed to drop cgroup '%s' from %s", path,
				    rcc_maps_name(RCC_MAP_CGROUPS));
	rcc_maps_zero_percpu(k->map_fd[RCC_MAP_CGSTATS], v.slot, sizeof(struct rcc_counters));
	rcc_maps_drop_dns(k, id, false);
	rcc_maps_bump_gen(k);
	return 0;
}

int rcc_kernel_prune(struct rcc_kernel *k)
{
	struct rcc_kvset cgs = {};
	size_t i;
	int err = rcc_maps_read(k, RCC_MAP_CGROUPS, &cgs);

	for (i = 0; !err && i < cgs.n; i++) {
		char path[PATH_MAX];
		__u64 id;

		memcpy(&id, cgs.keys + i * cgs.ksz, sizeof(id));
		if (rcc_cgroup_path_by_id(id, path, sizeof(path)) != -ESTALE)
			continue;
		unlink_cgroup(k, id);
		bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id);
		rcc_maps_drop_dns(k, id, false);
		rcc_maps_bump_gen(k); /* its slot may be given to another cgroup */
		pr_debug("dropped state of removed cgroup %llu\n", (unsigned long long)id);
	}
	rcc_kvset_free(&cgs);
	return err;
}
