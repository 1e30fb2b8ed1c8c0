// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kernel/mapsync.h"

#define BATCH 8192

static int dump_batch(int fd, struct rcc_kvset *out)
{
	__u8 in_batch[64], out_batch[64];
	bool first = true;
	int err;

	for (;;) {
		__u32 count = BATCH;

		if (rcc_kvset_reserve(out, out->n + BATCH))
			return -ENOMEM;
		err = bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch,
					   out->keys + out->n * out->ksz,
					   out->vals + out->n * out->vsz, &count, NULL);
		err = err ? -errno : 0;
		out->n += count;
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		memcpy(in_batch, out_batch, sizeof(in_batch));
		first = false;
	}
}

static int dump_iter(int fd, struct rcc_kvset *out)
{
	__u8 key[256], next[256], val[4096];
	const void *prev = NULL;

	if (out->ksz > sizeof(key) || out->vsz > sizeof(val))
		return -E2BIG;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (!bpf_map_lookup_elem(fd, next, val) && rcc_kvset_add(out, next, val))
			return -ENOMEM;
		memcpy(key, next, out->ksz);
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int rcc_mapsync_dump(int fd, struct rcc_kvset *out)
{
	size_t start = out->n;
	int err = dump_batch(fd, out);

	/* LPM tries (and old kernels) have no batch lookup */
	if (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP) {
		out->n = start;
		err = dump_iter(fd, out);
	}
	return err;
}

int rcc_mapsync_diff_with(int fd, const struct rcc_kvset *have, const struct rcc_kvset *want,
			  struct rcc_mapdiff *d)
{
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->have = have->n;
	return rcc_kvset_diff(have, want, &d->diff);
}

static int update_many(int fd, const struct rcc_kvset *s, size_t from, size_t *done)
{
	size_t i = from;

	while (i < s->n) {
		__u32 count = s->n - i > BATCH ? BATCH : s->n - i;
		int err = bpf_map_update_batch(fd, s->keys + i * s->ksz, s->vals + i * s->vsz,
					       &count, NULL);

		if (err && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP) &&
		    count == 0) {
			/* no batch ops for this map type: one at a time */
			for (; i < s->n; i++)
				if (bpf_map_update_elem(fd, s->keys + i * s->ksz,
							s->vals + i * s->vsz, BPF_ANY)) {
					*done = i;
					return -errno;
				}
			break;
		}
		i += count;
		if (err) {
			*done = i;
			return -errno;
		}
	}
	*done = i;
	return 0;
}

void rcc_mapsync_undo_puts(struct rcc_mapdiff *d)
{
	size_t i;

	for (i = 0; i < d->applied; i++) {
		const __u8 *k = d->diff.puts.keys + i * d->diff.puts.ksz;

		if (i < d->diff.nchanged)
			bpf_map_update_elem(d->fd, k, d->diff.old.vals + i * d->diff.old.vsz,
					    BPF_ANY);
		else
			bpf_map_delete_elem(d->fd, k);
	}
	d->applied = 0;
}

int rcc_mapsync_apply_puts(struct rcc_mapdiff *d)
{
	int err = update_many(d->fd, &d->diff.puts, 0, &d->applied);

	if (err)
		rcc_mapsync_undo_puts(d);
	return err;
}

int rcc_mapsync_apply_dels(struct rcc_mapdiff *d)
{
	size_t i = 0;
	int err = 0;

	/* in batches while they go through; one by one from a failure on
	 * (no batch ops for this map type, or a key already gone) */
	while (i < d->diff.dels.n) {
		__u32 count = d->diff.dels.n - i > BATCH ? BATCH : d->diff.dels.n - i;

		if (bpf_map_delete_batch(d->fd, d->diff.dels.keys + i * d->diff.dels.ksz, &count,
					 NULL)) {
			i += count;
			break;
		}
		i += count;
	}
	for (; i < d->diff.dels.n; i++)
		if (bpf_map_delete_elem(d->fd, d->diff.dels.keys + i * d->diff.dels.ksz) &&
		    errno != ENOENT)
			err = -errno;
	return err;
}

void rcc_mapdiff_free(struct rcc_mapdiff *d)
{
	rcc_kvdiff_free(&d->diff);
}
