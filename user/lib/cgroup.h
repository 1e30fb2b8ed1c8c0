/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2: finding the mount, naming cgroups, ids, processes. */
#ifndef RCC_CGROUP_H
#define RCC_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

/* The cgroup2 mount point, from /proc/self/mountinfo; 0 or -ENOENT. */
int rcc_cgroup_mount(char *buf, size_t len);
/* PATH (absolute, or relative to the mount) into an absolute path of an
 * existing cgroup directory. 0, -ENOENT, -ENOTDIR (not under the mount). */
int rcc_cgroup_resolve(const char *arg, char *out, size_t len);
/* The cgroup v2 of a process. 0, -ESRCH, -ENOENT (no v2 membership). */
int rcc_cgroup_of_pid(pid_t pid, char *out, size_t len);
/* The cgroup id (its inode on cgroup2). */
int rcc_cgroup_id(const char *path, __u64 *id);
/* Path of a live cgroup by id; -ESTALE when it is gone. */
int rcc_cgroup_path_by_id(__u64 id, char *out, size_t len);

/* Calls fn for every cgroup in the subtree at path, path included. */
typedef int (*rcc_cgroup_walk_fn)(const char *path, __u64 id, void *ctx);
int rcc_cgroup_walk(const char *path, rcc_cgroup_walk_fn fn, void *ctx);
/* Calls fn for the ancestors of path up to the mount, nearest first. */
int rcc_cgroup_ancestors(const char *path, rcc_cgroup_walk_fn fn, void *ctx);

/* Processes of one cgroup (not its descendants): fn per pid. */
int rcc_cgroup_procs(const char *path, int (*fn)(pid_t pid, void *ctx), void *ctx);
/* Kills every process in the subtree and waits for it to empty, up to
 * timeout_ms: cgroup.kill, or rcc_cgroup_kill_by_freezing before 5.14.
 * 0, -EBUSY (still populated) or -errno. */
int rcc_cgroup_kill(const char *path, int timeout_ms);
/* The same for kernels without cgroup.kill: freeze the subtree, SIGKILL
 * every process in it, thaw.  -EOPNOTSUPP without cgroup.freeze (< 5.2). */
int rcc_cgroup_kill_by_freezing(const char *path, int timeout_ms);

#endif
