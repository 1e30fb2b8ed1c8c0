/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the kernel layer: the pinned maps by name, and the small reads
 * and writes that several of its jobs share.
 */
#ifndef RCC_KMAPS_H
#define RCC_KMAPS_H

#include "kernel/kernel.h"
#include "policy/kvset.h"

/* The map's pin name ("rcc_cgroups"). */
const char *rcc_maps_name(enum rcc_map_id m);

/* Everything map m holds, into out (initialised here with the map's key
 * and value sizes).  For rcc_cgroups, rcc_polnames and the synced maps.
 * rcc_maps_dump prints nothing; rcc_maps_read reports a failure. */
int rcc_maps_dump(struct rcc_kernel *k, enum rcc_map_id m, struct rcc_kvset *out);
int rcc_maps_read(struct rcc_kernel *k, enum rcc_map_id m, struct rcc_kvset *out);

/* The map's max_entries.  Prints nothing. */
int rcc_maps_capacity(int fd, __u32 *max);

/* The version in force for policy id; 0 when none. */
__u32 rcc_maps_version_of(const struct rcc_kernel *k, __u32 id);

/* Zeroes entry key of a per-CPU map whose values are vsz bytes.  Prints
 * nothing. */
int rcc_maps_zero_percpu(int fd, __u32 key, size_t vsz);

/*
 * The egress program keeps, per socket, the last destination it allowed
 * under a generation number; after a change of the maps the number moves
 * on and every socket is judged afresh.  Called after the change; a
 * failure is warned about and ignored.
 */
void rcc_maps_bump_gen(struct rcc_kernel *k);
/* Drops what DNS answers allowed the cgroup, and its listener's entry
 * unless keep_listener: a cgroup gone, detached, or under another policy. */
void rcc_maps_drop_dns(struct rcc_kernel *k, __u64 id, bool keep_listener);

#endif
