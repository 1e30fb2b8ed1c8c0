/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side, as pinned under [global] pin_dir:
 *   PIN_DIR/v3/maps/rcc_*        the maps (policy, cgroups, counters)
 *   PIN_DIR/v3/progs/rcc_*       the programs, loaded once
 *   PIN_DIR/v3/links/CGID/HOOK   one bpf_link per hook per linked cgroup
 * Everything stays when rcc-bpf exits: that is what keeps sandboxes
 * enforced.  State changes happen under a flock on PIN_DIR.
 *
 * This header is the kernel layer's interface; its files, by job:
 *   object.c   the skeleton (only it includes it), the pins, the guard
 *   lock.c     the flock
 *   links.c    cgroups and their links
 *   plan.c     what an apply must change (plan.h), mostly pure
 *   commit.c   applying: compile, plan, commit step by step with undo
 *   stats.c    reads for status and the audit consumer
 *   maps.c     map names and small shared reads (maps.h, internal)
 *   mapsync.c  a map brought to a wanted content without a gap
 */
#ifndef RCC_KERNEL_H
#define RCC_KERNEL_H

#include <limits.h>
#include <stdbool.h>

#include "policy/config.h"
#include "policy/policy.h"
#include "rcc_shared.h"

enum rcc_map_id {
	RCC_MAP_CGROUPS,
	RCC_MAP_VERSIONS, /* policy id -> version in force */
	RCC_MAP_POLICIES, /* version -> flags */
	RCC_MAP_PORTS,
	RCC_MAP_ADDRS,
	RCC_MAP_PREFIXES,
	RCC_MAP_CGSTATS,
	RCC_MAP_POLSTATS,
	RCC_MAP_POLNAMES,   /* name -> id; userspace's own bookkeeping */
	RCC_MAP_EVENTS,	    /* ring buffer of denials */
	RCC_MAP_LOST,	    /* denials the ring had no room for */
	RCC_MAP_AUDITSTATS, /* the audit consumer's own totals */
	RCC_MAP_GEN,	    /* bumped on every change: egress's cache key */
	RCC_MAP_DNS_LISTENERS, /* enforced cgroup -> its DNS listener */
	RCC_MAP_LEARNED,       /* what DNS answers allowed, per enforced cgroup */
	RCC_MAP_DNS_SOCKS,     /* rcc-bpf's listener sockets, marked (sk storage) */
	RCC_MAP__MAX,
};

struct rcc_kernel {
	char pin_dir[PATH_MAX]; /* PIN_DIR, what the lock is taken on */
	char dir[PATH_MAX];	/* PIN_DIR/v3 */
	int lock_fd;
	int map_fd[RCC_MAP__MAX];
	int prog_fd[RCC_HOOK__MAX];
	__u32 max_cgroups;
};

/*
 * Errors (CONTRIBUTING.md): every function here that returns -errno has
 * reported the failure itself, once, unless its comment says "prints
 * nothing"; the caller then reports it.  Answers (not loaded, not
 * attached) are returned without a message.
 */

/* object.c: opens the pinned state; with create, loads and pins it when
 * absent (and attaches the bpf() guard).  Takes the lock when lock.
 * -ENOENT, printing nothing, when nothing is pinned and !create. */
int rcc_kernel_open(const struct rcc_config *cfg, bool create, bool lock, struct rcc_kernel *k);
/* Closes every fd (the lock's too); k may be closed again. */
void rcc_kernel_close(struct rcc_kernel *k);
/* Whether the bpf() guard (lsm/bpf) is attached and the BPF LSM runs. */
bool rcc_kernel_guarded(const struct rcc_kernel *k);

/* lock.c: lets other commands change state while this one keeps its fds. */
void rcc_kernel_unlock(struct rcc_kernel *k);
/* Takes the state lock again (a long-lived process, for one change). */
int rcc_kernel_lock(struct rcc_kernel *k);
/* The same, or -EWOULDBLOCK at once when another command holds it.
 * Prints nothing: a caller that polls tries again later. */
int rcc_kernel_trylock(struct rcc_kernel *k);

/* commit.c: compiles cfg (policy/ruleset.h), plans the change against
 * the maps (plan.h) and commits it: the maps hold exactly the policies
 * of cfg, gap-free.  Nothing changes when any policy fails to compile
 * (-EINVAL), a policy that enforces a cgroup would be removed (-EBUSY)
 * or a map or the policy ids or versions would run out (-ENOSPC). */
int rcc_kernel_apply(struct rcc_kernel *k, const struct rcc_config *cfg,
		     const struct rcc_compile_opts *opts);
/* The same after a DNS refresh: connections already allowed keep going
 * (the egress cache stays valid), new ones see the new addresses. */
int rcc_kernel_apply_dns(struct rcc_kernel *k, const struct rcc_config *cfg,
			 const struct rcc_compile_opts *opts);

/* links.c: enforces policy on the cgroup at path (and every descendant).
 * Reports its failures, except -ENOENT: the cgroup is gone. */
int rcc_kernel_attach(struct rcc_kernel *k, const char *path, __u32 policy_id);
/* -ENOENT, printing nothing: path is not attached itself (or is gone). */
int rcc_kernel_detach(struct rcc_kernel *k, const char *path);
/* Drops the state of cgroups that no longer exist. */
int rcc_kernel_prune(struct rcc_kernel *k);
/* Whether the cgroup at path has an entry of its own. */
bool rcc_kernel_is_attached(struct rcc_kernel *k, const char *path, __u32 *policy_id);

/* stats.c: the reads below all print nothing. */

/* Policy id of a loaded policy; -ENOENT when not loaded. */
int rcc_kernel_policy_id(struct rcc_kernel *k, const char *name, __u32 *id);
/* Its name; "#ID" and -ENOENT when it has none. */
int rcc_kernel_policy_name(struct rcc_kernel *k, __u32 id, char *name, size_t len);

struct rcc_cgroup_info {
	__u64 id;
	char path[PATH_MAX]; /* "" when the cgroup is gone */
	__u32 policy_id;
	bool linked; /* holds the links (else via ancestor) */
	struct rcc_counters stats;
	__u16 dns_port;	   /* its DNS listener's port; 0: nobody answers */
	__u32 dns_learned; /* addresses DNS answers allowed it */
};

/* Every enforced cgroup; caller frees *out. */
int rcc_kernel_cgroups(struct rcc_kernel *k, struct rcc_cgroup_info **out, size_t *n);
/* Whether a DNS listener answers for the enforced cgroup id. */
bool rcc_kernel_dns_listening(struct rcc_kernel *k, __u64 id);
/* Fills their dns_port and dns_learned (a walk of rcc_learned: status). */
void rcc_kernel_cgroups_dns(struct rcc_kernel *k, struct rcc_cgroup_info *info, size_t n);
/* A policy's counters, summed over the CPUs. */
int rcc_kernel_policy_stats(struct rcc_kernel *k, __u32 id, struct rcc_counters *out);
/* The flags of its version in force; -ENOENT when none is. */
int rcc_kernel_policy_flags(struct rcc_kernel *k, __u32 id, __u32 *flags);

/* What the audit consumer did with the ring's events, kept pinned so
 * that status (and the next consumer) can reconcile the totals. */
struct rcc_audit_stats {
	__u64 written; /* event records written to the audit log */
	__u64 folded;  /* events folded into summary records */
};

struct rcc_audit_totals {
	struct rcc_audit_stats consumer;
	__u64 lost;    /* the ring was full */
	__u64 denials; /* denials (and audit-mode would-be) counted */
};

int rcc_kernel_audit_totals(struct rcc_kernel *k, struct rcc_audit_totals *t);
int rcc_kernel_audit_stats_add(struct rcc_kernel *k, const struct rcc_audit_stats *d);

#endif
