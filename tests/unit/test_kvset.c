// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/policy/kvset.c: the key/value sets, rcc_kv_dedupe
 * and the planned difference rcc_kvset_diff.  Applying a difference to a
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

#include "policy/kvset.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct key { __u32 a; __u8 b[12]; };	/* 16 bytes */
struct val { __u64 x; };

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
	for (i = 0; i < N(ks); i++) {
		ks[i].a = 1000 + i;
		vs[i].x = 5000 + i;
	}
	rcc_kvset_init(&s, sizeof(struct key), sizeof(struct val));
	assert_int_equal(rcc_kvset_append(&s, ks, vs, 0), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(rcc_kvset_append(&s, ks, vs, 3), 0);
	assert_int_equal(rcc_kvset_append(&s, ks + 3, vs + 3, N(ks) - 3), 0);
	assert_int_equal(s.n, N(ks));
	assert_memory_equal(s.keys, ks, sizeof(ks));
	assert_memory_equal(s.vals, vs, sizeof(vs));
	/* appending after adds keeps both */
	assert_int_equal(rcc_kvset_add(&s, &ks[5], &vs[6]), 0);
	assert_int_equal(s.n, N(ks) + 1);
	assert_memory_equal(s.keys + N(ks) * s.ksz, &ks[5], sizeof(ks[5]));
	assert_memory_equal(s.vals + N(ks) * s.vsz, &vs[6], sizeof(vs[6]));
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
		if (s.keys[i * 3] != i || s.keys[i * 3 + 2] != i ||
		    s.vals[i * 5] != 255 - i || s.vals[i * 5 + 4] != 255 - i)
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
	__u32 in[12];		/* key ids, 0 ends */
	__u32 out[12];		/* expected key ids after, in order */
	__u64 sums[12];		/* expected values: the sum of the merged inputs' */
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
	for (i = 0; i < N(dd_rows); i++) {
		const struct dd_row *r = &dd_rows[i];
		struct key keys[12];
		struct val vals[12];
		size_t want_n = 0;

		memset(keys, 0, sizeof(keys));
		for (n = 0; n < 12 && r->in[n]; n++) {
			keys[n].a = r->in[n];
			keys[n].b[5] = (__u8)(r->in[n] * 3);	/* not just the first bytes */
			vals[n].x = 1ull << n;
		}
		while (want_n < 12 && r->out[want_n])
			want_n++;
		assert_int_equal(rcc_kv_dedupe(keys, vals, &n, sizeof(keys[0]), sizeof(vals[0]),
					       merge_sum), 0);
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
	assert_int_equal(rcc_kv_dedupe(keys, vals, &n, sizeof(keys[0]), sizeof(vals[0]),
				       merge_count), 0);
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
			fail_msg("entry %zu: sum %llu, want %llu", i,
				 (unsigned long long)vals[i].x,
				 (unsigned long long)want[keys[i].a]);
	}
	free(keys);
	free(vals);
	free(want);
	free(first);
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
	};

	return cmocka_run_group_tests_name("mapsync", tests, NULL, NULL);
}
