/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bringing a BPF map to a wanted content without a gap: dump what is
 * there, work out the difference (policy/kvset.h), add and update first,
 * delete last.
 */
#ifndef RCC_MAPSYNC_H
#define RCC_MAPSYNC_H

#include "policy/kvset.h"

/* Everything the map holds now. */
int rcc_mapsync_dump(int fd, struct rcc_kvset *out);

/* A planned change of the map at fd; applied counts the puts done. */
struct rcc_mapdiff {
	int fd;
	size_t have; /* entries in the map before */
	struct rcc_kvdiff diff;
	size_t applied;
};

/* Plans the change of the map at fd from have (a dump of it) to want:
 * 0 or -ENOMEM.  Prints nothing. */
int rcc_mapsync_diff_with(int fd, const struct rcc_kvset *have, const struct rcc_kvset *want,
			  struct rcc_mapdiff *d);
/* Adds and updates; on failure restores what it did, returns -errno. */
int rcc_mapsync_apply_puts(struct rcc_mapdiff *d);
/* Undoes apply_puts (for a later step that failed). */
void rcc_mapsync_undo_puts(struct rcc_mapdiff *d);
int rcc_mapsync_apply_dels(struct rcc_mapdiff *d);
void rcc_mapdiff_free(struct rcc_mapdiff *d);

#endif
