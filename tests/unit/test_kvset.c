// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/policy/kvset.c: the key/value sets, rcc_kv_dedupe
 * and the planned difference rcc_kvset_diff (table rows, odd sizes, and
 * a large random set against a naive diff).  Applying a difference to a
 * kernel map (kernel/mapsync.c) is left to the integration tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "policy/kvset.h"

struct key {
	__u32 a;
	__u8 b[12];
}; /* 16 bytes */
struct val {
	__u64 x;
};

static void test_kvset_init(void **state)
{
	struct rcc_kvset s;

	(void)state;
	memset(&s, 0x5a, sizeof(s));
	rcc_kvset_init(&s, sizeof(struct key), sizeof(struct val));
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	assert_int_equal(s.ksz, sizeof(struct key));
	assert_int_equal(s.vsz, sizeof(struct val));
	assert_null(s.keys);
	assert_null(s.vals);
	rcc_kvset_free(&s);
}

static void test_kvset_add_grows(void **state)
{
	struct rcc_kvset s;
	size_t i;

	(void)state;
	rcc_kvset_init(&s, sizeof(struct key), sizeof(struct val));
	for (i = 0; i < 1000; i++) {
		struct key k = { .a = (__u32)i * 7 };
		struct val v = { .x = i * 1000003ull };

		k.b[11] = (__u8)i;
		assert_int_equal(rcc_kvset_add(&s, &k, &v), 0);
		assert_int_equal(s.n, i + 1);
		assert_true(s.cap >= s.n);
	}
	for (i = 0; i < 1000; i++) {
		struct key k;
		struct val v;

		memcpy(&k, s.keys + i * s.ksz, sizeof(k));
		memcpy(&v, s.vals + i * s.vsz, sizeof(v));
		if (k.a != i * 7 || k.b[11] != (__u8)i || v.x != i * 1000003ull)
			fail_msg("entry %zu: key %u/%u val %llu", i, k.a, k.b[11],
				 (unsigned long long)v.x);
	}
	rcc_kvset_free(&s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	assert_null(s.keys);
	assert_null(s.vals);
	/* usable again after free */
	{
		struct key k = { .a = 1 };
		struct val v = { .x = 2 };

		assert_int_equal(rcc_kvset_add(&s, &k, &v), 0);
		assert_int_equal(s.n, 1);
		assert_memory_equal(s.keys, &k, sizeof(k));
		rcc_kvset_free(&s);
	}
}

static void test_kvset_append(void **state)
{
	struct rcc_kvset s;
	struct key ks[200];
	struct val vs[200];
	size_t i;

	(void)state;
	memset(ks, 0, sizeof(ks));
	for (i = 0; i < ARRAY_SIZE(ks); i++) {
		ks[i].a = 1000 + i;
		vs[i].x = 5000 + i;
	}
	rcc_kvset_init(&s, sizeof(struct key), sizeof(struct val));
	assert_int_equal(rcc_kvset_append(&s, ks, vs, 0), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(rcc_kvset_append(&s, ks, vs, 3), 0);
	assert_int_equal(rcc_kvset_append(&s, ks + 3, vs + 3, ARRAY_SIZE(ks) - 3), 0);
	assert_int_equal(s.n, ARRAY_SIZE(ks));
	assert_memory_equal(s.keys, ks, sizeof(ks));
	assert_memory_equal(s.vals, vs, sizeof(vs));
	/* appending after adds keeps both */
	assert_int_equal(rcc_kvset_add(&s, &ks[5], &vs[6]), 0);
	assert_int_equal(s.n, ARRAY_SIZE(ks) + 1);
	assert_memory_equal(s.keys + ARRAY_SIZE(ks) * s.ksz, &ks[5], sizeof(ks[5]));
	assert_memory_equal(s.vals + ARRAY_SIZE(ks) * s.vsz, &vs[6], sizeof(vs[6]));
	rcc_kvset_free(&s);
}

/* Odd sizes: no alignment assumptions. */
static void test_kvset_odd_sizes(void **state)
{
	struct rcc_kvset s;
	__u8 k[3], v[5];
	size_t i;

	(void)state;
	rcc_kvset_init(&s, 3, 5);
	for (i = 0; i < 100; i++) {
		memset(k, (int)i, sizeof(k));
		memset(v, (int)(255 - i), sizeof(v));
		assert_int_equal(rcc_kvset_add(&s, k, v), 0);
	}
	for (i = 0; i < 100; i++) {
		if (s.keys[i * 3] != i || s.keys[i * 3 + 2] != i || s.vals[i * 5] != 255 - i ||
		    s.vals[i * 5 + 4] != 255 - i)
			fail_msg("entry %zu damaged", i);
	}
	rcc_kvset_free(&s);
}

/* ---- rcc_kv_dedupe ------------------------------------------------- */

static void merge_sum(void *dst, const void *src)
{
	((struct val *)dst)->x += ((const struct val *)src)->x;
}

static int merge_calls;

static void merge_count(void *dst, const void *src)
{
	(void)dst;
	(void)src;
	merge_calls++;
}

struct dd_row {
	const char *name;
	__u32 in[12];	/* key ids, 0 ends */
	__u32 out[12];	/* expected key ids after, in order */
	__u64 sums[12]; /* expected values: the sum of the merged inputs' */
};

/* the value of input i is 1 << i, so the sums say which were merged */
static const struct dd_row dd_rows[] = {
	{ "no duplicates", { 5, 3, 9 }, { 5, 3, 9 }, { 1, 2, 4 } },
	{ "adjacent pair", { 5, 5 }, { 5 }, { 3 } },
	{ "first kept, order kept", { 7, 1, 7, 2, 1, 7 }, { 7, 1, 2 }, { 1 | 4 | 32, 2 | 16, 8 } },
	{ "all the same", { 4, 4, 4, 4 }, { 4 }, { 15 } },
	{ "one", { 9 }, { 9 }, { 1 } },
	{ "gap closed", { 1, 2, 2, 2, 3, 4 }, { 1, 2, 3, 4 }, { 1, 2 | 4 | 8, 16, 32 } },
	{ "interleaved", { 1, 2, 1, 2, 1, 2 }, { 1, 2 }, { 1 | 4 | 16, 2 | 8 | 32 } },
};

static void test_dedupe_rows(void **state)
{
	size_t i, j, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(dd_rows); i++) {
		const struct dd_row *r = &dd_rows[i];
		struct key keys[12];
		struct val vals[12];
		size_t want_n = 0;

		memset(keys, 0, sizeof(keys));
		for (n = 0; n < 12 && r->in[n]; n++) {
			keys[n].a = r->in[n];
			keys[n].b[5] = (__u8)(r->in[n] * 3); /* not just the first bytes */
			vals[n].x = 1ull << n;
		}
		while (want_n < 12 && r->out[want_n])
			want_n++;
		assert_int_equal(rcc_kv_dedupe(keys, vals, &n, sizeof(keys[0]), sizeof(vals[0]),
					       merge_sum),
				 0);
		if (n != want_n)
			fail_msg("%s: %zu left, want %zu", r->name, n, want_n);
		for (j = 0; j < n; j++) {
			if (keys[j].a != r->out[j] || keys[j].b[5] != (__u8)(r->out[j] * 3))
				fail_msg("%s: key %zu is %u, want %u", r->name, j, keys[j].a,
					 r->out[j]);
			if (vals[j].x != r->sums[j])
				fail_msg("%s: value %zu is %#llx, want %#llx", r->name, j,
					 (unsigned long long)vals[j].x,
					 (unsigned long long)r->sums[j]);
		}
	}
}

static void test_dedupe_empty(void **state)
{
	size_t n = 0;

	(void)state;
	merge_calls = 0;
	assert_int_equal(rcc_kv_dedupe(NULL, NULL, &n, 16, 8, merge_count), 0);
	assert_int_equal(n, 0);
	assert_int_equal(merge_calls, 0);
}

/* Keys that differ in one late byte are different keys. */
static void test_dedupe_whole_key(void **state)
{
	struct key keys[3];
	struct val vals[3] = { { 1 }, { 2 }, { 4 } };
	size_t n = 3;

	(void)state;
	memset(keys, 0, sizeof(keys));
	keys[1].b[11] = 1;
	merge_calls = 0;
	assert_int_equal(
		rcc_kv_dedupe(keys, vals, &n, sizeof(keys[0]), sizeof(vals[0]), merge_count), 0);
	assert_int_equal(n, 2);
	assert_int_equal(merge_calls, 1);
	assert_int_equal(keys[0].b[11], 0);
	assert_int_equal(keys[1].b[11], 1);
	assert_int_equal(vals[1].x, 2);
}

/* Many keys, many duplicates, against a slow reference. */
static void test_dedupe_large(void **state)
{
	enum { NKEYS = 20000, DISTINCT = 3001 };
	struct key *keys = calloc(NKEYS, sizeof(*keys));
	struct val *vals = calloc(NKEYS, sizeof(*vals));
	__u64 *want = calloc(DISTINCT, sizeof(*want));
	__u32 *first = calloc(DISTINCT, sizeof(*first));
	size_t i, n = NKEYS, nfirst = 0;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(keys);
	assert_non_null(vals);
	assert_non_null(want);
	assert_non_null(first);
	for (i = 0; i < NKEYS; i++) {
		__u32 id;

		seed = seed * 1103515245u + 12345u;
		id = (seed >> 8) % DISTINCT;
		keys[i].a = id;
		memcpy(keys[i].b, &id, sizeof(id));
		vals[i].x = i + 1;
		if (!want[id])
			first[nfirst++] = id;
		want[id] += i + 1;
	}
	assert_int_equal(rcc_kv_dedupe(keys, vals, &n, sizeof(*keys), sizeof(*vals), merge_sum), 0);
	assert_int_equal(n, nfirst);
	for (i = 0; i < n; i++) {
		if (keys[i].a != first[i])
			fail_msg("entry %zu: key %u, want %u (first-seen order)", i, keys[i].a,
				 first[i]);
		if (vals[i].x != want[keys[i].a])
			fail_msg("entry %zu: sum %llu, want %llu", i, (unsigned long long)vals[i].x,
				 (unsigned long long)want[keys[i].a]);
	}
	free(keys);
	free(vals);
	free(want);
	free(first);
}

/* ---- rcc_kvset_diff ------------------------------------------------- */

/* Sets of __u32 keys and values, written as {key, value} pairs. */
struct kv {
	__u32 k, v;
};

static void set_of(struct rcc_kvset *s, const struct kv *kv, size_t n)
{
	size_t i;

	rcc_kvset_init(s, sizeof(__u32), sizeof(__u32));
	for (i = 0; i < n; i++)
		assert_int_equal(rcc_kvset_add(s, &kv[i].k, &kv[i].v), 0);
}

static struct kv kv_at(const struct rcc_kvset *s, size_t i)
{
	struct kv e;

	memcpy(&e.k, s->keys + i * s->ksz, sizeof(e.k));
	memcpy(&e.v, s->vals + i * s->vsz, sizeof(e.v));
	return e;
}

static void expect_set(const char *row, const char *what, const struct rcc_kvset *s,
		       const struct kv *kv, size_t n)
{
	size_t i;

	if (s->n != n)
		fail_msg("%s: %s: %zu entries, want %zu", row, what, s->n, n);
	for (i = 0; i < n; i++) {
		struct kv e = kv_at(s, i);

		if (e.k != kv[i].k || e.v != kv[i].v)
			fail_msg("%s: %s[%zu]: %u=%u, want %u=%u", row, what, i, e.k, e.v, kv[i].k,
				 kv[i].v);
	}
}

struct diff_row {
	const char *name;
	struct kv have[8], want[8];
	size_t nhave, nwant;
	struct kv puts[8], old[8], dels[8];
	size_t nputs, nchanged, ndels;
};

static const struct diff_row diff_rows[] = {
	{ "empty have: everything is new", .have = {}, .nhave = 0, .want = { { 1, 10 }, { 2, 20 } },
	  .nwant = 2, .puts = { { 1, 10 }, { 2, 20 } }, .nputs = 2 },
	{ "empty want: everything goes, with its value", .have = { { 1, 10 }, { 2, 20 } },
	  .nhave = 2, .want = {}, .nwant = 0, .dels = { { 1, 10 }, { 2, 20 } }, .ndels = 2 },
	{ "both empty", .nhave = 0, .nwant = 0 },
	{ "the same: nothing", .have = { { 1, 10 }, { 2, 20 } }, .nhave = 2,
	  .want = { { 2, 20 }, { 1, 10 } }, .nwant = 2 },
	{ "changed values first, old ones kept", .have = { { 1, 10 }, { 2, 20 }, { 3, 30 } },
	  .nhave = 3, .want = { { 3, 31 }, { 2, 20 }, { 1, 11 } }, .nwant = 3,
	  .puts = { { 1, 11 }, { 3, 31 } }, .nputs = 2, .nchanged = 2,
	  .old = { { 1, 10 }, { 3, 30 } } },
	{ "new keys after the changed ones, in want's order", .have = { { 1, 10 } }, .nhave = 1,
	  .want = { { 5, 50 }, { 1, 12 }, { 4, 40 } }, .nwant = 3,
	  .puts = { { 1, 12 }, { 5, 50 }, { 4, 40 } }, .nputs = 3, .nchanged = 1,
	  .old = { { 1, 10 } } },
	{ "deletions, in have's order", .have = { { 9, 90 }, { 1, 10 }, { 7, 70 } }, .nhave = 3,
	  .want = { { 1, 10 } }, .nwant = 1, .dels = { { 9, 90 }, { 7, 70 } }, .ndels = 2 },
	{ "all at once", .have = { { 1, 10 }, { 2, 20 }, { 3, 30 } }, .nhave = 3,
	  .want = { { 4, 40 }, { 2, 21 }, { 3, 30 } }, .nwant = 3, .puts = { { 2, 21 }, { 4, 40 } },
	  .nputs = 2, .nchanged = 1, .old = { { 2, 20 } }, .dels = { { 1, 10 } }, .ndels = 1 },
	{ "duplicates in want, key there: the last wins", .have = { { 1, 10 } }, .nhave = 1,
	  .want = { { 1, 11 }, { 1, 12 } }, .nwant = 2, .puts = { { 1, 12 } }, .nputs = 1,
	  .nchanged = 1, .old = { { 1, 10 } } },
	{ "duplicates in want, the last is what is there: nothing", .have = { { 1, 10 } },
	  .nhave = 1, .want = { { 1, 11 }, { 1, 10 } }, .nwant = 2 },
	{ "duplicates in want, a new key: the last wins", .have = { { 2, 20 } }, .nhave = 1,
	  .want = { { 2, 20 }, { 1, 11 }, { 1, 13 }, { 1, 12 } }, .nwant = 4, .puts = { { 1, 12 } },
	  .nputs = 1 },
};

static void test_diff_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(diff_rows); i++) {
		const struct diff_row *r = &diff_rows[i];
		struct rcc_kvset have, want;
		struct rcc_kvdiff d;

		set_of(&have, r->have, r->nhave);
		set_of(&want, r->want, r->nwant);
		assert_int_equal(rcc_kvset_diff(&have, &want, &d), 0);
		expect_set(r->name, "puts", &d.puts, r->puts, r->nputs);
		if (d.nchanged != r->nchanged)
			fail_msg("%s: nchanged %zu, want %zu", r->name, d.nchanged, r->nchanged);
		expect_set(r->name, "old", &d.old, r->old, r->nchanged);
		expect_set(r->name, "dels", &d.dels, r->dels, r->ndels);
		rcc_kvdiff_free(&d);
		rcc_kvset_free(&have);
		rcc_kvset_free(&want);
	}
}

/* With have empty (a first load) puts is want as it is: applied in
 * order the last of equal keys still wins. */
static void test_diff_first_load_keeps_order(void **state)
{
	const struct kv want[] = { { 1, 11 }, { 2, 20 }, { 1, 12 } };
	struct rcc_kvset have, w;
	struct rcc_kvdiff d;

	(void)state;
	set_of(&have, NULL, 0);
	set_of(&w, want, ARRAY_SIZE(want));
	assert_int_equal(rcc_kvset_diff(&have, &w, &d), 0);
	expect_set("first load", "puts", &d.puts, want, ARRAY_SIZE(want));
	assert_int_equal(d.nchanged, 0);
	assert_int_equal(d.dels.n, 0);
	rcc_kvdiff_free(&d);
	rcc_kvset_free(&w);
}

/* Odd key and value sizes: whole keys compared, whole values copied. */
static void test_diff_odd_sizes(void **state)
{
	struct rcc_kvset have, want;
	struct rcc_kvdiff d;
	__u8 k[3], v[5];
	size_t i;

	(void)state;
	rcc_kvset_init(&have, 3, 5);
	rcc_kvset_init(&want, 3, 5);
	for (i = 0; i < 50; i++) {
		memset(k, 0, sizeof(k));
		k[2] = (__u8)i; /* keys differ in their last byte only */
		memset(v, (int)i, sizeof(v));
		assert_int_equal(rcc_kvset_add(&have, k, v), 0);
		if (i % 5 == 0)
			continue; /* 10 go */
		if (i % 5 == 1)
			v[4] ^= 0xff; /* 10 change in their last byte */
		assert_int_equal(rcc_kvset_add(&want, k, v), 0);
	}
	k[0] = 1; /* one new key */
	assert_int_equal(rcc_kvset_add(&want, k, v), 0);
	assert_int_equal(rcc_kvset_diff(&have, &want, &d), 0);
	assert_int_equal(d.nchanged, 10);
	assert_int_equal(d.puts.n, 11);
	assert_int_equal(d.old.n, 10);
	assert_int_equal(d.dels.n, 10);
	for (i = 0; i < d.nchanged; i++) {
		__u8 n = d.puts.keys[i * 3 + 2];

		assert_int_equal(n % 5, 1);
		assert_int_equal(d.puts.vals[i * 5 + 4], (__u8)(n ^ 0xff));
		assert_int_equal(d.puts.vals[i * 5 + 3], n);
		assert_memory_equal(d.old.keys + i * 3, d.puts.keys + i * 3, 3);
		assert_int_equal(d.old.vals[i * 5 + 4], n);
	}
	assert_int_equal(d.puts.keys[10 * 3], 1);
	for (i = 0; i < d.dels.n; i++)
		assert_int_equal(d.dels.keys[i * 3 + 2] % 5, 0);
	rcc_kvdiff_free(&d);
	rcc_kvset_free(&have);
	rcc_kvset_free(&want);
}

/* The naive reference: the value key has in s (the last of equal keys),
 * or NULL. */
static const __u8 *naive_find(const struct rcc_kvset *s, const __u8 *key)
{
	const __u8 *v = NULL;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(s->keys + i * s->ksz, key, s->ksz))
			v = s->vals + i * s->vsz;
	return v;
}

/* Many keys, against a naive diff: every put and del accounted for, and
 * have with the diff applied is want. */
static void test_diff_large(void **state)
{
	enum { NHAVE = 3000, NWANT = 3500, SPACE = 5000 };
	struct rcc_kvset have, want, after;
	struct rcc_kvdiff d;
	unsigned seed = 4242;
	size_t i, nchanged = 0, nnew = 0, ngone = 0;

	(void)state;
	rcc_kvset_init(&have, sizeof(struct key), sizeof(struct val));
	rcc_kvset_init(&want, sizeof(struct key), sizeof(struct val));
	for (i = 0; i < NHAVE; i++) {
		struct key k = { .a = (__u32)i * 3 }; /* unique, as a map's */
		struct val v = { .x = i % 7 };

		assert_int_equal(rcc_kvset_add(&have, &k, &v), 0);
	}
	for (i = 0; i < NWANT; i++) {
		struct key k;
		struct val v;

		seed = seed * 1103515245u + 12345u;
		memset(&k, 0, sizeof(k));
		k.a = (seed >> 8) % SPACE * 3 / 2; /* overlaps, duplicates */
		v.x = (seed >> 4) % 7;
		assert_int_equal(rcc_kvset_add(&want, &k, &v), 0);
	}
	assert_int_equal(rcc_kvset_diff(&have, &want, &d), 0);
	/* the naive diff */
	for (i = 0; i < have.n; i++) {
		const __u8 *w = naive_find(&want, have.keys + i * have.ksz);

		ngone += !w;
		nchanged += w && memcmp(w, have.vals + i * have.vsz, have.vsz);
	}
	for (i = 0; i < want.n; i++) {
		const __u8 *k = want.keys + i * want.ksz;

		/* counted once, at the last of equal keys */
		if (!naive_find(&have, k) && naive_find(&want, k) == want.vals + i * want.vsz)
			nnew++;
	}
	assert_true(nchanged > 100 && nnew > 100 && ngone > 100);
	assert_int_equal(d.nchanged, nchanged);
	assert_int_equal(d.old.n, nchanged);
	assert_int_equal(d.puts.n, nchanged + nnew);
	assert_int_equal(d.dels.n, ngone);
	for (i = 0; i < d.puts.n; i++) {
		const __u8 *k = d.puts.keys + i * d.puts.ksz, *h = naive_find(&have, k);

		assert_memory_equal(d.puts.vals + i * d.puts.vsz, naive_find(&want, k), d.puts.vsz);
		if (i < d.nchanged) {
			assert_non_null(h);
			assert_memory_equal(d.old.keys + i * d.old.ksz, k, d.old.ksz);
			assert_memory_equal(d.old.vals + i * d.old.vsz, h, d.old.vsz);
		} else {
			assert_null(h);
		}
	}
	for (i = 0; i < d.dels.n; i++) {
		const __u8 *k = d.dels.keys + i * d.dels.ksz;

		assert_null(naive_find(&want, k));
		assert_memory_equal(d.dels.vals + i * d.dels.vsz, naive_find(&have, k), d.dels.vsz);
	}
	/* have, then the puts, without the dels: want's last values */
	rcc_kvset_init(&after, have.ksz, have.vsz);
	assert_int_equal(rcc_kvset_append(&after, have.keys, have.vals, have.n), 0);
	assert_int_equal(rcc_kvset_append(&after, d.puts.keys, d.puts.vals, d.puts.n), 0);
	for (i = 0; i < want.n; i++)
		assert_memory_equal(naive_find(&after, want.keys + i * want.ksz),
				    naive_find(&want, want.keys + i * want.ksz), want.vsz);
	rcc_kvset_free(&after);
	rcc_kvdiff_free(&d);
	rcc_kvset_free(&have);
	rcc_kvset_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvset_init),
		cmocka_unit_test(test_kvset_add_grows),
		cmocka_unit_test(test_kvset_append),
		cmocka_unit_test(test_kvset_odd_sizes),
		cmocka_unit_test(test_dedupe_rows),
		cmocka_unit_test(test_dedupe_empty),
		cmocka_unit_test(test_dedupe_whole_key),
		cmocka_unit_test(test_dedupe_large),
		cmocka_unit_test(test_diff_rows),
		cmocka_unit_test(test_diff_first_load_keeps_order),
		cmocka_unit_test(test_diff_odd_sizes),
		cmocka_unit_test(test_diff_large),
	};

	return cmocka_run_group_tests_name("mapsync", tests, NULL, NULL);
}
