/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bringing a BPF map to a wanted content without a gap: dump what is
 * there, work out the difference, add and update first, delete last.
 */
#ifndef RCC_MAPSYNC_H
#define RCC_MAPSYNC_H

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
int rcc_kvset_add(struct rcc_kvset *s, const void *key, const void *val);
int rcc_kvset_append(struct rcc_kvset *s, const void *keys, const void *vals,
		     size_t n);
void rcc_kvset_free(struct rcc_kvset *s);

/*
 * Merges entries with equal keys into the first of them (merge(dst, src)
 * on the values) and closes the gaps, keeping order; linear time.
 */
int rcc_kv_dedupe(void *keys, void *vals, size_t *n, size_t ksz, size_t vsz,
		  void (*merge)(void *dst, const void *src));

/* Everything the map holds now. */
int rcc_map_dump(int fd, struct rcc_kvset *out);

/*
 * A planned change: puts (changed values, then new keys) to apply first,
 * dels (keys no longer wanted) after the caller's switch-over step.  The
 * first nchanged puts replace a value; old holds those old values, so a
 * failure half-way can be undone.
 */
struct rcc_mapdiff {
	int fd;
	size_t have;			/* entries in the map before */
	struct rcc_kvset puts;
	size_t nchanged;
	struct rcc_kvset old;		/* old values of the changed keys */
	struct rcc_kvset dels;		/* keys, with their old values */
	size_t applied;			/* puts done so far */
};

int rcc_map_diff(int fd, const struct rcc_kvset *want, struct rcc_mapdiff *d);
/* The same against a dump already taken (have) of the map at fd. */
int rcc_map_diff_with(int fd, const struct rcc_kvset *have,
		      const struct rcc_kvset *want, struct rcc_mapdiff *d);
/* Adds and updates; on failure restores what it did, returns -errno. */
int rcc_map_apply_puts(struct rcc_mapdiff *d);
/* Undoes apply_puts (for a later step that failed). */
void rcc_map_undo_puts(struct rcc_mapdiff *d);
int rcc_map_apply_dels(struct rcc_mapdiff *d);
void rcc_mapdiff_free(struct rcc_mapdiff *d);

#endif
