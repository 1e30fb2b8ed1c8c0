/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Planning one apply: what the maps must do to hold a ruleset
 * (policy/ruleset.h) instead of what they hold.  commit.c carries the
 * plan out step by step.
 *
 * rcc_plan_make reads the maps (under the state lock) and calls the pure
 * steps below, which a unit test calls on a plan it filled in itself:
 *   rcc_plan_ids      a stable id per policy, and which loaded ones go
 *   rcc_plan_diff     the entries wanted, labelled, against those there
 *   rcc_plan_versions which policies need a fresh version
 *   rcc_plan_check_capacity  whether the maps hold old and new at once
 *
 * Zero-initialise a plan; rcc_plan_free frees whatever is set.
 */
#ifndef RCC_PLAN_H
#define RCC_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/kernel.h"
#include "kernel/mapsync.h"
#include "policy/ruleset.h"

struct rcc_plan {
	const struct rcc_ruleset *rs;

	/* read from the kernel (rcc_plan_make; a test fills them in) */
	struct rcc_kvset names;		    /* rcc_polnames: name -> id */
	__u32 in_force[RCC_MAX_POLICIES];   /* by id: version in force; 0: none */
	struct rcc_kvset have[RCC_RS__MAX]; /* the synced maps' entries */
	__u32 capacity[RCC_RS__MAX];	    /* their max_entries */
	int fd[RCC_RS__MAX];		    /* their fds, for the commit */
	/* per policy of rs, the flags its version in force holds (read
	 * after rcc_plan_ids); zero when none: never a compiled policy's */
	struct rcc_policy *now;

	/* per policy of rs (rcc_plan_ids allocates them) */
	__u32 *ids;  /* stable ids (rcc_polnames) */
	bool *named; /* the id was named before */
	__u32 *was;  /* version in force before; 0: none */
	__u32 *ver;  /* version in force after */
	/* loaded policies rs no longer has: indexes into names */
	size_t *gone;
	size_t ngone;

	/* the change (rcc_plan_diff) */
	struct rcc_kvset want[RCC_RS__MAX];
	struct rcc_mapdiff diff[RCC_RS__MAX];

	/* commit.c's progress: policies looked at by the switch */
	size_t nswitched;
};

/* The map a synced set goes to (RCC_MAP_PORTS for RCC_RS_PORTS, ...). */
enum rcc_map_id rcc_plan_map(enum rcc_rs_map m);

/*
 * Plans the change from what k's maps hold to rs, all of it before
 * anything changes: -EBUSY when a policy that enforces a cgroup would
 * go, -ENOSPC when ids, versions or a map would run out.  Reports every
 * failure.  rs must outlive p.
 */
int rcc_plan_make(struct rcc_kernel *k, const struct rcc_ruleset *rs, struct rcc_plan *p);
void rcc_plan_free(struct rcc_plan *p);

/* The id that names entry i of p->names has. */
__u32 rcc_plan_name_id(const struct rcc_plan *p, size_t i);
/* The version in force of policy id as the plan read it; 0 for none, and
 * for an id out of range (a stray name in the map). */
__u32 rcc_plan_in_force(const struct rcc_plan *p, __u32 id);

/*
 * Needs rs, names and in_force.  Ids: kept for known names, the lowest
 * free one for new names (-ENOSPC, reported, when none is left); was:
 * the version in force for a known name; gone: the names rs no longer
 * has.  Allocates the per-policy arrays (now zeroed).
 */
int rcc_plan_ids(struct rcc_plan *p);

/*
 * want: rs's entries, policy i's labelled with versions[i] (p->was or
 * p->ver); diff: what turns have into want, per map.  Whatever an earlier
 * call planned is replaced.  0 or -ENOMEM (reported).
 */
int rcc_plan_diff(struct rcc_plan *p, const __u32 *versions);

/*
 * Sets ver from a diff against was.  Every policy that is new, or whose
 * flags or entries change other than by exact allow entries, gets a
 * fresh version: the lowest that nothing is in force under and no entry
 * carries.  Returns how many did, or -ENOSPC (reported).
 */
int rcc_plan_versions(struct rcc_plan *p);

/* Whether each map holds the old and the new entries at once: 0, or
 * -ENOSPC with the [global] key to raise (pin_dir's dir in the remedy). */
int rcc_plan_check_capacity(const struct rcc_plan *p, const char *dir);

/* The pure part of rcc_plan_make, once ids and now are known: diff,
 * versions, diff again when any policy was relabelled, capacity. */
int rcc_plan_compute(struct rcc_plan *p, const char *dir);

#endif
