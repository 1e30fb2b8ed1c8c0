// SPDX-License-Identifier: GPL-2.0
/*
 * Planning one apply: reading what the maps hold (rcc_plan_make), then
 * deciding, in plain memory, ids, versions and the entries to put and
 * delete.  Nothing here changes the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "lib/cgroup.h"
#include "kernel/maps.h"
#include "kernel/plan.h"
#include "lib/log.h"

/* The maps whose entries belong to a policy version. */
static const struct {
	enum rcc_map_id map;
	const char *cap_key; /* the [global] key that sizes it */
} synced[RCC_RS__MAX] = {
	[RCC_RS_PORTS] = { RCC_MAP_PORTS, "max_port_entries" },
	[RCC_RS_ADDRS] = { RCC_MAP_ADDRS, "max_address_entries" },
	[RCC_RS_PREFIXES] = { RCC_MAP_PREFIXES, "max_prefix_entries" },
};

enum rcc_map_id rcc_plan_map(enum rcc_rs_map m)
{
	return synced[m].map;
}

__u32 rcc_plan_name_id(const struct rcc_plan *p, size_t i)
{
	__u32 id;

	memcpy(&id, p->names.vals + i * p->names.vsz, sizeof(id));
	return id;
}

__u32 rcc_plan_in_force(const struct rcc_plan *p, __u32 id)
{
	return id < RCC_MAX_POLICIES ? p->in_force[id] : 0;
}

/* The lowest index from 1 not yet used, now marked used; 0: none left. */
static __u32 take_free(bool *used, __u32 n)
{
	__u32 i;

	for (i = 1; i < n; i++)
		if (!used[i]) {
			used[i] = true;
			return i;
		}
	return 0;
}

/* Whether name (a zero-padded key) is in names, and its id. */
static bool find_name(const struct rcc_plan *p, const char *name, __u32 *id)
{
	size_t i;

	for (i = 0; i < p->names.n; i++)
		if (!memcmp(p->names.keys + i * p->names.ksz, name, RCC_POLICY_NAME_MAX)) {
			*id = rcc_plan_name_id(p, i);
			return true;
		}
	return false;
}

static int alloc_per_policy(struct rcc_plan *p)
{
	size_t n = p->rs->n + 1;

	p->ids = calloc(n, sizeof(*p->ids));
	p->named = calloc(n, sizeof(*p->named));
	p->was = calloc(n, sizeof(*p->was));
	p->ver = calloc(n, sizeof(*p->ver));
	p->now = calloc(n, sizeof(*p->now));
	p->gone = calloc(p->names.n + 1, sizeof(*p->gone));
	if (!p->ids || !p->named || !p->was || !p->ver || !p->now || !p->gone)
		return rcc_log_fail(-ENOMEM, "Failed to plan the change");
	return 0;
}

int rcc_plan_ids(struct rcc_plan *p)
{
	bool used[RCC_MAX_POLICIES] = {};
	size_t i;
	__u32 id;
	int err = alloc_per_policy(p);

	for (i = 0; !err && i < p->names.n; i++) {
		id = rcc_plan_name_id(p, i);
		if (id < RCC_MAX_POLICIES)
			used[id] = true;
		if (!rcc_ruleset_policy(p->rs, (const char *)p->names.keys + i * p->names.ksz))
			p->gone[p->ngone++] = i;
	}
	for (i = 0; !err && i < p->rs->n; i++) {
		p->named[i] = find_name(p, p->rs->policies[i].name, &p->ids[i]);
		if (p->named[i]) {
			p->was[i] = rcc_plan_in_force(p, p->ids[i]);
			continue;
		}
		id = take_free(used, RCC_MAX_POLICIES);
		if (!id) {
			pr_warn("Failed to load policy '%s': all %d policy ids are in use\n",
				p->rs->policies[i].name, RCC_MAX_POLICIES - 1);
			err = -ENOSPC;
		}
		p->ids[i] = id;
	}
	return err;
}

int rcc_plan_diff(struct rcc_plan *p, const __u32 *versions)
{
	int m, err = rcc_ruleset_label(p->rs, versions, p->want);

	for (m = 0; m < RCC_RS__MAX; m++)
		rcc_mapdiff_free(&p->diff[m]);
	for (m = 0; !err && m < RCC_RS__MAX; m++)
		err = rcc_mapsync_diff_with(p->fd[m], &p->have[m], &p->want[m], &p->diff[m]);
	return err ? rcc_log_fail(err, "Failed to plan the change") : 0;
}

/*
 * Whether an entry (its value in synced map m) only allows, and is exact:
 * a port or address entry without a deny.  Such entries can change in
 * place (new ones first, old ones last): a decision then meets each
 * entry's old or new value, allow entries win whatever else it meets,
 * and nothing else differs, so it allows only what the old or the new
 * policy allows, and refuses only what both refuse.  Prefix nodes cannot:
 * the longest match may be an old node the new policy no longer has.
 */
static bool allow_only(enum rcc_rs_map m, const __u8 *val)
{
	struct rcc_port_val pv;
	struct rcc_addr_val av;

	if (m == RCC_RS_PORTS) {
		memcpy(&pv, val, sizeof(pv));
		return pv.action == RCC_ACT_ALLOW;
	}
	if (m == RCC_RS_ADDRS) {
		memcpy(&av, val, sizeof(av));
		return !av.deny_protos && !av.deny_rule;
	}
	return false;
}

/* Marks the version of each entry of s (of synced map m); with
 * unsafe_only, of each that cannot change in place. */
static void mark_versions(const struct rcc_kvset *s, enum rcc_rs_map m, bool unsafe_only,
			  bool *mark)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		__u32 v = rcc_ruleset_key_version(m, s->keys + i * s->ksz);

		if (v < RCC_MAX_VERSIONS && !(unsafe_only && allow_only(m, s->vals + i * s->vsz)))
			mark[v] = true;
	}
}

/*
 * Fresh versions are ones that nothing is in force under and no entry
 * carries, so that a changed policy's entries can all go in before
 * anything uses them.  The others keep theirs: unchanged, or changed in
 * place (a hostname's new addresses).
 */
int rcc_plan_versions(struct rcc_plan *p)
{
	bool unsafe[RCC_MAX_VERSIONS] = {}, busy[RCC_MAX_VERSIONS] = {};
	size_t i;
	int m, changed = 0;

	for (m = 0; m < RCC_RS__MAX; m++) {
		mark_versions(&p->diff[m].diff.puts, m, true, unsafe);
		mark_versions(&p->diff[m].diff.old, m, true, unsafe);
		mark_versions(&p->diff[m].diff.dels, m, true, unsafe);
		mark_versions(&p->have[m], m, false, busy);
	}
	busy[0] = true;
	for (i = 0; i < p->names.n; i++)
		busy[rcc_plan_in_force(p, rcc_plan_name_id(p, i))] = true;
	for (i = 0; i < p->rs->n; i++) {
		__u32 w = p->was[i];

		p->ver[i] = w;
		if (w && !unsafe[w] &&
		    !memcmp(&p->now[i], &p->rs->policies[i].pol, sizeof(p->now[i])))
			continue;
		p->ver[i] = take_free(busy, RCC_MAX_VERSIONS);
		if (!p->ver[i]) {
			pr_warn("Failed to load policy '%s': all %d policy versions are in use (a reload needs a free one for each changed policy); try again after this reload's leftovers are gone, or change fewer policies at once\n",
				p->rs->policies[i].name, RCC_MAX_VERSIONS - 1);
			return -ENOSPC;
		}
		changed++;
	}
	return changed;
}

int rcc_plan_check_capacity(const struct rcc_plan *p, const char *dir)
{
	int m;

	for (m = 0; m < RCC_RS__MAX; m++) {
		const struct rcc_mapdiff *d = &p->diff[m];
		size_t wanted = d->have + d->diff.puts.n - d->diff.old.n;

		if (wanted > p->capacity[m]) {
			pr_warn("map %s is too small: %zu entries wanted during the update (a changed policy is held twice until the switch), room for %u; raise [global] %s (takes effect when the maps are created anew: detach everything and remove '%s')\n",
				rcc_maps_name(synced[m].map), wanted, p->capacity[m],
				synced[m].cap_key, dir);
			return -ENOSPC;
		}
	}
	return 0;
}

int rcc_plan_compute(struct rcc_plan *p, const char *dir)
{
	int err = rcc_plan_diff(p, p->was);

	err = err ?: rcc_plan_versions(p);
	if (err > 0)
		/* relabelled: diff again, against the same dump */
		err = rcc_plan_diff(p, p->ver);
	return err ?: rcc_plan_check_capacity(p, dir);
}

/* rcc_polnames, and the version in force for each id it names. */
static int read_names(struct rcc_kernel *k, struct rcc_plan *p)
{
	size_t i;
	int err = rcc_maps_read(k, RCC_MAP_POLNAMES, &p->names);

	for (i = 0; !err && i < p->names.n; i++) {
		__u32 id = rcc_plan_name_id(p, i);

		if (id < RCC_MAX_POLICIES)
			p->in_force[id] = rcc_maps_version_of(k, id);
	}
	return err;
}

/* A policy that enforces a cgroup cannot vanish from under it. */
static int check_gone(const struct rcc_plan *p, const struct rcc_kvset *cgs, size_t g)
{
	__u32 id = rcc_plan_name_id(p, g);
	size_t j;

	for (j = 0; j < cgs->n; j++) {
		struct rcc_cgroup_val cv;
		char path[PATH_MAX];
		__u64 cgid;

		memcpy(&cv, cgs->vals + j * cgs->vsz, sizeof(cv));
		memcpy(&cgid, cgs->keys + j * cgs->ksz, sizeof(cgid));
		if (cv.policy_id != id)
			continue;
		if (rcc_cgroup_path_by_id(cgid, path, sizeof(path)))
			continue; /* gone: prune will drop it */
		pr_warn("policy '%.*s' is missing from %s but enforces cgroup %s; keep it in the configuration, or detach that cgroup first\n",
			RCC_POLICY_NAME_MAX, p->names.keys + g * p->names.ksz, p->rs->source, path);
		return -EBUSY;
	}
	return 0;
}

static int check_removals(struct rcc_kernel *k, const struct rcc_plan *p)
{
	struct rcc_kvset cgs = {};
	size_t i;
	int err = 0;

	if (p->ngone)
		err = rcc_maps_read(k, RCC_MAP_CGROUPS, &cgs);
	for (i = 0; !err && i < p->ngone; i++)
		err = check_gone(p, &cgs, p->gone[i]);
	rcc_kvset_free(&cgs);
	return err;
}

/* The synced maps' entries and sizes, and the flags in force. */
static int read_maps(struct rcc_kernel *k, struct rcc_plan *p)
{
	size_t i;
	int m, err = 0;

	for (m = 0; !err && m < RCC_RS__MAX; m++) {
		p->fd[m] = k->map_fd[synced[m].map];
		err = rcc_maps_read(k, synced[m].map, &p->have[m]);
		if (!err && (err = rcc_maps_capacity(p->fd[m], &p->capacity[m])))
			err = rcc_log_fail(err, "Failed to read map %s",
					   rcc_maps_name(synced[m].map));
	}
	for (i = 0; !err && i < p->rs->n; i++) {
		struct rcc_policy now;

		if (p->was[i] &&
		    !bpf_map_lookup_elem(k->map_fd[RCC_MAP_POLICIES], &p->was[i], &now))
			p->now[i] = now;
	}
	return err;
}

int rcc_plan_make(struct rcc_kernel *k, const struct rcc_ruleset *rs, struct rcc_plan *p)
{
	int err;

	p->rs = rs;
	err = read_names(k, p);
	err = err ?: rcc_plan_ids(p);
	err = err ?: check_removals(k, p);
	err = err ?: read_maps(k, p);
	return err ?: rcc_plan_compute(p, k->dir);
}

void rcc_plan_free(struct rcc_plan *p)
{
	int m;

	for (m = 0; m < RCC_RS__MAX; m++) {
		rcc_mapdiff_free(&p->diff[m]);
		rcc_kvset_free(&p->want[m]);
		rcc_kvset_free(&p->have[m]);
	}
	rcc_kvset_free(&p->names);
	free(p->now);
	free(p->ids);
	free(p->named);
	free(p->was);
	free(p->ver);
	free(p->gone);
	memset(p, 0, sizeof(*p));
}
