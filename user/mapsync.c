// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "mapsync.h"

#define BATCH 8192

void rcc_kvset_init(struct rcc_kvset *s, size_t ksz, size_t vsz)
{
	memset(s, 0, sizeof(*s));
	s->ksz = ksz;
	s->vsz = vsz;
}

static int reserve(struct rcc_kvset *s, size_t need)
{
	size_t cap;
	__u8 *k, *v;

	if (need <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 64;
	while (cap < need)
		cap *= 2;
	k = realloc(s->keys, cap * s->ksz);
	if (!k)
		return -ENOMEM;
	s->keys = k;
	v = realloc(s->vals, cap * s->vsz);
	if (!v)
		return -ENOMEM;
	s->vals = v;
	s->cap = cap;
	return 0;
}

int rcc_kvset_append(struct rcc_kvset *s, const void *keys, const void *vals,
		     size_t n)
{
	if (!n)
		return 0;
	if (reserve(s, s->n + n))
		return -ENOMEM;
	memcpy(s->keys + s->n * s->ksz, keys, n * s->ksz);
	memcpy(s->vals + s->n * s->vsz, vals, n * s->vsz);
	s->n += n;
	return 0;
}

int rcc_kvset_add(struct rcc_kvset *s, const void *key, const void *val)
{
	return rcc_kvset_append(s, key, val, 1);
}

void rcc_kvset_free(struct rcc_kvset *s)
{
	free(s->keys);
	free(s->vals);
	s->keys = s->vals = NULL;
	s->n = s->cap = 0;
}

static int dump_batch(int fd, struct rcc_kvset *out)
{
	__u8 in_batch[64], out_batch[64];
	bool first = true;
	int err;

	for (;;) {
		__u32 count = BATCH;

		if (reserve(out, out->n + BATCH))
			return -ENOMEM;
		err = bpf_map_lookup_batch(fd, first ? NULL : in_batch, out_batch,
					   out->keys + out->n * out->ksz,
					   out->vals + out->n * out->vsz, &count,
					   NULL);
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
		if (!bpf_map_lookup_elem(fd, next, val) &&
		    rcc_kvset_add(out, next, val))
			return -ENOMEM;
		memcpy(key, next, out->ksz);
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int rcc_map_dump(int fd, struct rcc_kvset *out)
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

static size_t g_ksz;

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, g_ksz);
}

/* Sorts a set by key: an index sort, then a permutation. */
static int kvset_sort(struct rcc_kvset *s)
{
	__u8 *pairs, *k, *v;
	size_t i, psz = s->ksz + sizeof(size_t);

	if (s->n < 2)
		return 0;
	pairs = malloc(s->n * psz);
	k = malloc(s->n * s->ksz);
	v = malloc(s->n * s->vsz);
	if (!pairs || !k || !v) {
		free(pairs);
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		memcpy(pairs + i * psz, s->keys + i * s->ksz, s->ksz);
		memcpy(pairs + i * psz + s->ksz, &i, sizeof(i));
	}
	g_ksz = s->ksz;
	qsort(pairs, s->n, psz, cmp_key);
	for (i = 0; i < s->n; i++) {
		size_t from;

		memcpy(&from, pairs + i * psz + s->ksz, sizeof(from));
		memcpy(k + i * s->ksz, s->keys + from * s->ksz, s->ksz);
		memcpy(v + i * s->vsz, s->vals + from * s->vsz, s->vsz);
	}
	free(pairs);
	free(s->keys);
	free(s->vals);
	s->keys = k;
	s->vals = v;
	s->cap = s->n;
	return 0;
}

int rcc_map_diff(int fd, const struct rcc_kvset *want_in, struct rcc_mapdiff *d)
{
	struct rcc_kvset have, want;
	size_t i = 0, j = 0, ksz = want_in->ksz, vsz = want_in->vsz;
	int err;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	rcc_kvset_init(&d->puts, ksz, vsz);
	rcc_kvset_init(&d->old, ksz, vsz);
	rcc_kvset_init(&d->dels, ksz, vsz);
	rcc_kvset_init(&have, ksz, vsz);
	rcc_kvset_init(&want, ksz, vsz);
	err = rcc_map_dump(fd, &have);
	if (!err)
		err = rcc_kvset_append(&want, want_in->keys, want_in->vals, want_in->n);
	if (!err)
		err = kvset_sort(&have);
	if (!err)
		err = kvset_sort(&want);
	d->have = have.n;
	/* merge walk over the two sorted sets */
	while (!err && (i < have.n || j < want.n)) {
		const __u8 *hk = have.keys + i * ksz, *wk = want.keys + j * ksz;
		int c = i == have.n ? 1 : j == want.n ? -1 : memcmp(hk, wk, ksz);

		if (c < 0) {
			err = rcc_kvset_add(&d->dels, hk, have.vals + i * vsz);
			i++;
		} else if (c > 0) {
			err = rcc_kvset_add(&d->puts, wk, want.vals + j * vsz);
			j++;
		} else {
			if (memcmp(have.vals + i * vsz, want.vals + j * vsz, vsz)) {
				err = rcc_kvset_add(&d->puts, wk, want.vals + j * vsz);
				if (!err)
					err = rcc_kvset_add(&d->old, wk, have.vals + i * vsz);
			}
			i++;
			j++;
		}
	}
	rcc_kvset_free(&have);
	rcc_kvset_free(&want);
	if (err)
		rcc_mapdiff_free(d);
	return err;
}

static int update_many(int fd, const struct rcc_kvset *s, size_t from,
		       size_t *done)
{
	size_t i = from;

	while (i < s->n) {
		__u32 count = s->n - i > BATCH ? BATCH : s->n - i;
		int err = bpf_map_update_batch(fd, s->keys + i * s->ksz,
					       s->vals + i * s->vsz, &count, NULL);

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

void rcc_map_undo_puts(struct rcc_mapdiff *d)
{
	size_t i, o = 0;

	/* puts holds new keys and changed keys; old holds the changed ones */
	for (i = 0; i < d->applied; i++) {
		const __u8 *k = d->puts.keys + i * d->puts.ksz;

		if (o < d->old.n && !memcmp(k, d->old.keys + o * d->old.ksz, d->old.ksz)) {
			bpf_map_update_elem(d->fd, k, d->old.vals + o * d->old.vsz, BPF_ANY);
			o++;
		} else {
			bpf_map_delete_elem(d->fd, k);
		}
	}
	d->applied = 0;
}

int rcc_map_apply_puts(struct rcc_mapdiff *d)
{
	int err = update_many(d->fd, &d->puts, 0, &d->applied);

	if (err)
		rcc_map_undo_puts(d);
	return err;
}

int rcc_map_apply_dels(struct rcc_mapdiff *d)
{
	size_t i;
	int err = 0;

	for (i = 0; i < d->dels.n; i++)
		if (bpf_map_delete_elem(d->fd, d->dels.keys + i * d->dels.ksz) &&
		    errno != ENOENT)
			err = -errno;
	return err;
}

void rcc_mapdiff_free(struct rcc_mapdiff *d)
{
	rcc_kvset_free(&d->puts);
	rcc_kvset_free(&d->old);
	rcc_kvset_free(&d->dels);
}
