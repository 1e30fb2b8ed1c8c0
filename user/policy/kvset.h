/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key/value sets, the values a compiled policy is made of, and the
 * difference between two of them.  Plain memory: planning a map change
 * is tested here without a kernel (kernel/mapsync.h applies it).
 */
#ifndef RCC_KVSET_H
#define RCC_KVSET_H

#include <stddef.h>
#include <linux/types.h>

/* Key/value pairs of one map, in two parallel byte arrays. */
struct rcc_kvset {
	size_t n, cap;
	size_t ksz, vsz;
	__u8 *keys;
	__u8 *vals;
};

void rcc_kvset_init(struct rcc_kvset *s, size_t ksz, size_t vsz);
/* Room for need entries in all; 0 or -ENOMEM. */
int rcc_kvset_reserve(struct rcc_kvset *s, size_t need);
int rcc_kvset_add(struct rcc_kvset *s, const void *key, const void *val);
int rcc_kvset_append(struct rcc_kvset *s, const void *keys, const void *vals, size_t n);
void rcc_kvset_free(struct rcc_kvset *s);

/*
 * Merges entries with equal keys into the first of them (merge(dst, src)
 * on the values) and closes the gaps, keeping order; linear time.
 */
int rcc_kv_dedupe(void *keys, void *vals, size_t *n, size_t ksz, size_t vsz,
		  void (*merge)(void *dst, const void *src));

/*
 * What turns have into want: puts (changed values first, then new keys),
 * dels (keys no longer wanted, with their old values).  The first
 * nchanged puts replace a value; old holds those old values, so a change
 * applied half-way can be undone.  Of equal keys in want the last wins
 * (when have is empty, puts is want as it is: applied in order).
 */
struct rcc_kvdiff {
	struct rcc_kvset puts;
	size_t nchanged;
	struct rcc_kvset old;
	struct rcc_kvset dels;
};

/* 0 or -ENOMEM; on failure d holds nothing. */
int rcc_kvset_diff(const struct rcc_kvset *have, const struct rcc_kvset *want,
		   struct rcc_kvdiff *d);
void rcc_kvdiff_free(struct rcc_kvdiff *d);

#endif
