// SPDX-License-Identifier: GPL-2.0
/*
 * Applying a configuration: compile (policy/ruleset.h), plan (plan.h),
 * then commit the plan step by step, each step with its undo.  Every
 * decision reads a policy's version once, so it sees the old version
 * whole or the new one whole:
 *   1. names of new policies, flags and entries of the new versions
 *      (nothing uses them yet);
 *   2. the switch: one write per changed or removed policy;
 *   3. once no decision that began before the switch still runs, the
 *      old versions' entries go, and their flags.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/membarrier.h>

#include "kernel/kernel.h"
#include "kernel/maps.h"
#include "kernel/plan.h"
#include "lib/log.h"
#include "lib/util.h"
#include "policy/ruleset.h"

/*
 * Waits until no BPF program still runs a decision it began before now.
 * The cgroup programs run under rcu_read_lock, and membarrier's GLOBAL
 * command is a synchronize_rcu(); where it is refused (nohz_full), a
 * sleep far longer than any one decision stands in for it.
 */
static void wait_for_decisions(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(50 * 1000);
}

/* Points policy id at version v (0: none), the one write a switch is. */
static int set_version(struct rcc_kernel *k, __u32 id, __u32 v)
{
	return bpf_map_update_elem(k->map_fd[RCC_MAP_VERSIONS], &id, &v, BPF_ANY) ? -errno : 0;
}

static void deactivate(struct rcc_kernel *k, __u32 v)
{
	struct rcc_policy off = {};

	if (v)
		bpf_map_update_elem(k->map_fd[RCC_MAP_POLICIES], &v, &off, BPF_ANY);
}

static bool relabelled(const struct rcc_plan *p, size_t i)
{
	return p->ver[i] != p->was[i];
}

/* Step 1a: the names of new policies, the flags of new versions. */
static int put_policies(struct rcc_kernel *k, struct rcc_plan *p)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->rs->n; i++) {
		const struct rcc_rs_policy *rp = &p->rs->policies[i];

		if (!p->named[i] &&
		    bpf_map_update_elem(k->map_fd[RCC_MAP_POLNAMES], rp->name, &p->ids[i], BPF_ANY))
			err = -errno;
		if (!err && relabelled(p, i) &&
		    bpf_map_update_elem(k->map_fd[RCC_MAP_POLICIES], &p->ver[i], &rp->pol, BPF_ANY))
			err = -errno;
		if (err)
			err = rcc_log_fail(err, "Failed to load policy '%s'", rp->name);
	}
	return err;
}

/* Its undo: new versions and the names of new policies go again. */
static void unput_policies(struct rcc_kernel *k, struct rcc_plan *p)
{
	size_t i;

	for (i = 0; i < p->rs->n; i++) {
		if (relabelled(p, i))
			deactivate(k, p->ver[i]);
		if (!p->named[i])
			bpf_map_delete_elem(k->map_fd[RCC_MAP_POLNAMES], p->rs->policies[i].name);
	}
}

/* Step 1b: the entries, new and changed in place (mapsync.h). */
static int put_entries(struct rcc_kernel *k, struct rcc_plan *p)
{
	int m, err = 0;

	(void)k;
	for (m = 0; !err && m < RCC_RS__MAX; m++)
		if ((err = rcc_mapsync_apply_puts(&p->diff[m])))
			err = rcc_log_fail(err, "Failed to update map %s",
					   rcc_maps_name(rcc_plan_map(m)));
	return err;
}

/* Its undo; a map whose puts failed has undone them itself. */
static void unput_entries(struct rcc_kernel *k, struct rcc_plan *p)
{
	int m;

	(void)k;
	for (m = 0; m < RCC_RS__MAX; m++)
		rcc_mapsync_undo_puts(&p->diff[m]);
}

/* Step 2: the switch, policy by policy. */
static int switch_versions(struct rcc_kernel *k, struct rcc_plan *p)
{
	int err;

	for (p->nswitched = 0; p->nswitched < p->rs->n; p->nswitched++) {
		size_t i = p->nswitched;

		if (!relabelled(p, i))
			continue;
		err = set_version(k, p->ids[i], p->ver[i]);
		if (err)
			return rcc_log_fail(err, "Failed to switch policy '%s' to its new version",
					    p->rs->policies[i].name);
	}
	return 0;
}

/* Its undo: back to the old versions, and nothing reads the new ones. */
static void unswitch(struct rcc_kernel *k, struct rcc_plan *p)
{
	while (p->nswitched--)
		if (relabelled(p, p->nswitched))
			set_version(k, p->ids[p->nswitched], p->was[p->nswitched]);
	wait_for_decisions();
}

static const struct {
	int (*run)(struct rcc_kernel *k, struct rcc_plan *p);
	void (*undo)(struct rcc_kernel *k, struct rcc_plan *p);
} steps[] = {
	{ put_policies, unput_policies },
	{ put_entries, unput_entries },
	{ switch_versions, unswitch },
};

/* Step 3a: removed policies off, then the old versions' entries go. */
static void retire_versions(struct rcc_kernel *k, struct rcc_plan *p, bool keep_flows)
{
	bool switched = false;
	size_t i;
	int m, err = 0;

	for (i = 0; i < p->rs->n; i++)
		switched |= relabelled(p, i);
	for (i = 0; i < p->ngone; i++)
		set_version(k, rcc_plan_name_id(p, p->gone[i]),
			    0); /* enforces no cgroup: planned */
	if (!keep_flows)
		rcc_maps_bump_gen(k);
	/* an old version's entries go only once nothing reads them; entries
	 * changed in place need no wait */
	if (switched || p->ngone)
		wait_for_decisions();
	for (m = 0; m < RCC_RS__MAX; m++)
		err = rcc_mapsync_apply_dels(&p->diff[m]) ?: err;
	if (err)
		pr_warn("Failed to remove some stale entries: %s, ignoring (the next change removes them)\n",
			strerror(-err));
	for (i = 0; i < p->rs->n; i++)
		if (relabelled(p, i))
			deactivate(k, p->was[i]);
	for (i = p->ngone; i--;)
		deactivate(k, rcc_plan_in_force(p, rcc_plan_name_id(p, p->gone[i])));
}

/* Step 3b: removed policies lose their counters and names. */
static void unload_gone(struct rcc_kernel *k, struct rcc_plan *p)
{
	size_t i;

	for (i = 0; i < p->ngone; i++) {
		const __u8 *key = p->names.keys + p->gone[i] * p->names.ksz;

		rcc_maps_zero_percpu(k->map_fd[RCC_MAP_POLSTATS], rcc_plan_name_id(p, p->gone[i]),
				     sizeof(struct rcc_counters));
		bpf_map_delete_elem(k->map_fd[RCC_MAP_POLNAMES], key);
		pr_debug("policy '%.*s' unloaded\n", RCC_POLICY_NAME_MAX, key);
	}
}

/*
 * Makes the kernel hold the plan.  A step that fails is undone with
 * every step before it, last first; past the switch nothing fails.
 */
static int commit(struct rcc_kernel *k, struct rcc_plan *p, bool keep_flows)
{
	int s, err = 0;

	for (s = 0; s < (int)ARRAY_SIZE(steps) && !err; s++)
		err = steps[s].run(k, p);
	if (err) {
		while (s--)
			steps[s].undo(k, p);
		return err;
	}
	retire_versions(k, p, keep_flows);
	unload_gone(k, p);
	return 0;
}

/*
 * Compile, plan, then commit: everything is compiled and checked before
 * anything in the kernel changes.
 */
static int apply(struct rcc_kernel *k, const struct rcc_config *cfg,
		 const struct rcc_compile_opts *opts, bool keep_flows)
{
	struct rcc_ruleset rs = {};
	struct rcc_plan p = {};
	int err;

	err = rcc_ruleset_build(cfg, opts, &rs);
	err = err ?: rcc_plan_make(k, &rs, &p);
	err = err ?: commit(k, &p, keep_flows);
	rcc_plan_free(&p);
	rcc_ruleset_free(&rs);
	return err;
}

int rcc_kernel_apply(struct rcc_kernel *k, const struct rcc_config *cfg,
		     const struct rcc_compile_opts *opts)
{
	return apply(k, cfg, opts, false);
}

int rcc_kernel_apply_dns(struct rcc_kernel *k, const struct rcc_config *cfg,
			 const struct rcc_compile_opts *opts)
{
	return apply(k, cfg, opts, true);
}
