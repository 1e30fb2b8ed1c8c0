// SPDX-License-Identifier: GPL-2.0
/* Key/value sets and their difference: plain memory, no kernel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/kvset.h"

void rcc_kvset_init(struct rcc_kvset *s, size_t ksz, size_t vsz)
{
	memset(s, 0, sizeof(*s));
	s->ksz = ksz;
	s->vsz = vsz;
}

int rcc_kvset_reserve(struct rcc_kvset *s, size_t need)
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

int rcc_kvset_append(struct rcc_kvset *s, const void *keys, const void *vals, size_t n)
{
	if (!n)
		return 0;
	if (rcc_kvset_reserve(s, s->n + n))
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

/* FNV-1a over the key bytes: keys are small and already well mixed. */
static __u64 key_hash(const __u8 *k, size_t n)
{
	__u64 h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *k++) * 0x100000001b3ull;
	return h;
}

/* Open-addressing index of keys: slot -> entry index + 1, 0 = empty. */
struct key_index {
	__u32 *slots;
	size_t mask;
};

static int index_init(struct key_index *ix, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	ix->mask = size - 1;
	ix->slots = calloc(size, sizeof(*ix->slots));
	return ix->slots ? 0 : -ENOMEM;
}

/* The slot of key: where it is, or the empty one where it would go. */
static __u32 *index_slot(const struct key_index *ix, const __u8 *keys, size_t ksz, const __u8 *key)
{
	size_t h = key_hash(key, ksz) & ix->mask;

	while (ix->slots[h] && memcmp(keys + (ix->slots[h] - 1) * ksz, key, ksz))
		h = (h + 1) & ix->mask;
	return &ix->slots[h];
}

int rcc_kv_dedupe(void *keys_, void *vals_, size_t *n, size_t ksz, size_t vsz,
		  void (*merge)(void *dst, const void *src))
{
	__u8 *keys = keys_, *vals = vals_;
	struct key_index ix;
	size_t i, out = 0;

	if (index_init(&ix, *n))
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		__u32 *slot = index_slot(&ix, keys, ksz, keys + i * ksz);

		if (*slot) {
			merge(vals + (*slot - 1) * vsz, vals + i * vsz);
			continue;
		}
		if (out != i) {
			memcpy(keys + out * ksz, keys + i * ksz, ksz);
			memcpy(vals + out * vsz, vals + i * vsz, vsz);
		}
		/* the entry's slot now points at its new place */
		*slot = out + 1;
		out++;
	}
	free(ix.slots);
	*n = out;
	return 0;
}

/*
 * The difference in linear time: want is indexed in an open-addressing
 * table, then every entry of have is looked up there.
 */
int rcc_kvset_diff(const struct rcc_kvset *have, const struct rcc_kvset *want, struct rcc_kvdiff *d)
{
	size_t ksz = want->ksz, vsz = want->vsz, i;
	struct key_index ix = {};
	__u8 *seen = NULL;
	int err = 0;

	rcc_kvset_init(&d->puts, ksz, vsz);
	rcc_kvset_init(&d->old, ksz, vsz);
	rcc_kvset_init(&d->dels, ksz, vsz);
	d->nchanged = 0;
	if (!have->n) {
		/* the first load: everything is new */
		err = rcc_kvset_append(&d->puts, want->keys, want->vals, want->n);
		goto out;
	}
	seen = calloc(want->n + 1, 1);
	if (!seen || index_init(&ix, want->n)) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < want->n; i++) {
		__u32 *slot = index_slot(&ix, want->keys, ksz, want->keys + i * ksz);

		/* duplicates: the last wins, an earlier one is never put */
		if (*slot)
			seen[*slot - 1] = 1;
		*slot = i + 1;
	}
	for (i = 0; !err && i < have->n; i++) {
		const __u8 *k = have->keys + i * ksz, *v = have->vals + i * vsz;
		__u32 w = *index_slot(&ix, want->keys, ksz, k);

		if (!w) {
			err = rcc_kvset_add(&d->dels, k, v);
			continue;
		}
		seen[w - 1] = 1;
		if (memcmp(want->vals + (w - 1) * vsz, v, vsz)) {
			err = rcc_kvset_add(&d->puts, k, want->vals + (w - 1) * vsz);
			err = err ?: rcc_kvset_add(&d->old, k, v);
		}
	}
	d->nchanged = d->puts.n;
	for (i = 0; !err && i < want->n; i++)
		if (!seen[i])
			err = rcc_kvset_add(&d->puts, want->keys + i * ksz, want->vals + i * vsz);
out:
	free(ix.slots);
	free(seen);
	if (err)
		rcc_kvdiff_free(d);
	return err;
}

void rcc_kvdiff_free(struct rcc_kvdiff *d)
{
	rcc_kvset_free(&d->puts);
	rcc_kvset_free(&d->old);
	rcc_kvset_free(&d->dels);
	d->nchanged = 0;
}
