// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for planning an apply without a kernel: policy/ruleset.c
 * (a configuration compiled into one value) and the pure steps of
 * kernel/plan.c (ids, versions with the allow-only in-place rule, the
 * diff, the capacity check).  The kernel's maps are a struct in memory
 * here; a plan is "committed" to it the way commit.c leaves the maps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/plan.h"
#include "lib/util.h"
#include "policy/config.h"
#include "policy/ruleset.h"

/* What the maps hold, in memory. */
struct state {
	struct rcc_kvset names;			   /* rcc_polnames */
	__u32 in_force[RCC_MAX_POLICIES];	   /* rcc_versions */
	struct rcc_policy flags[RCC_MAX_VERSIONS]; /* rcc_policies */
	struct rcc_kvset maps[RCC_RS__MAX];
	__u32 capacity[RCC_RS__MAX];
};

static void state_init(struct state *s)
{
	int m;

	memset(s, 0, sizeof(*s));
	rcc_kvset_init(&s->names, RCC_POLICY_NAME_MAX, sizeof(__u32));
	rcc_kvset_init(&s->maps[RCC_RS_PORTS], sizeof(struct rcc_port_key),
		       sizeof(struct rcc_port_val));
	rcc_kvset_init(&s->maps[RCC_RS_ADDRS], sizeof(struct rcc_addr_key),
		       sizeof(struct rcc_addr_val));
	rcc_kvset_init(&s->maps[RCC_RS_PREFIXES], sizeof(struct rcc_prefix_key),
		       sizeof(struct rcc_prefix_val));
	for (m = 0; m < RCC_RS__MAX; m++)
		s->capacity[m] = 100000;
}

static void state_free(struct state *s)
{
	int m;

	rcc_kvset_free(&s->names);
	for (m = 0; m < RCC_RS__MAX; m++)
		rcc_kvset_free(&s->maps[m]);
}

static void copy_set(struct rcc_kvset *dst, const struct rcc_kvset *src)
{
	rcc_kvset_free(dst);
	rcc_kvset_init(dst, src->ksz, src->vsz);
	assert_int_equal(rcc_kvset_append(dst, src->keys, src->vals, src->n), 0);
}

static void add_name(struct state *s, const char *name, __u32 id)
{
	char key[RCC_POLICY_NAME_MAX] = {};

	snprintf(key, sizeof(key), "%s", name);
	assert_int_equal(rcc_kvset_add(&s->names, key, &id), 0);
}

static void build(const char *text, struct rcc_config *cfg, struct rcc_ruleset *rs)
{
	assert_int_equal(rcc_config_parse_string("test.conf", text, cfg), 0);
	assert_int_equal(rcc_ruleset_build(cfg, NULL, rs), 0);
}

/* rcc_plan_make without a kernel: the inputs from s, then the pure steps.
 * Returns what the steps return. */
static int plan(const struct state *s, const struct rcc_ruleset *rs, struct rcc_plan *p)
{
	size_t i;
	int m, err;

	memset(p, 0, sizeof(*p));
	p->rs = rs;
	copy_set(&p->names, &s->names);
	memcpy(p->in_force, s->in_force, sizeof(p->in_force));
	err = rcc_plan_ids(p);
	if (err)
		return err;
	for (i = 0; i < rs->n; i++)
		if (p->was[i])
			p->now[i] = s->flags[p->was[i]];
	for (m = 0; m < RCC_RS__MAX; m++) {
		copy_set(&p->have[m], &s->maps[m]);
		p->capacity[m] = s->capacity[m];
		p->fd[m] = -1;
	}
	return rcc_plan_compute(p, "/sys/fs/bpf/test/v2");
}

static bool is_gone(const struct rcc_plan *p, size_t name)
{
	size_t j;

	for (j = 0; j < p->ngone; j++)
		if (p->gone[j] == name)
			return true;
	return false;
}

/* The maps as a committed plan leaves them. */
static void commit(struct state *s, const struct rcc_plan *p)
{
	size_t i;
	int m;

	rcc_kvset_free(&s->names);
	rcc_kvset_init(&s->names, RCC_POLICY_NAME_MAX, sizeof(__u32));
	for (i = 0; i < p->names.n; i++)
		if (is_gone(p, i))
			s->in_force[rcc_plan_name_id(p, i)] = 0;
		else
			assert_int_equal(rcc_kvset_add(&s->names, p->names.keys + i * p->names.ksz,
						       p->names.vals + i * p->names.vsz),
					 0);
	for (i = 0; i < p->rs->n; i++) {
		if (!p->named[i])
			assert_int_equal(
				rcc_kvset_add(&s->names, p->rs->policies[i].name, &p->ids[i]), 0);
		if (p->ver[i] != p->was[i]) {
			s->flags[p->ver[i]] = p->rs->policies[i].pol;
			memset(&s->flags[p->was[i]], 0, sizeof(s->flags[0]));
		}
		s->in_force[p->ids[i]] = p->ver[i];
	}
	for (m = 0; m < RCC_RS__MAX; m++)
		copy_set(&s->maps[m], &p->want[m]);
}

static size_t nputs(const struct rcc_plan *p)
{
	return p->diff[0].diff.puts.n + p->diff[1].diff.puts.n + p->diff[2].diff.puts.n;
}

static size_t ndels(const struct rcc_plan *p)
{
	return p->diff[0].diff.dels.n + p->diff[1].diff.dels.n + p->diff[2].diff.dels.n;
}

/* Entries of the state's maps under version v. */
static size_t under(const struct state *s, __u32 v)
{
	size_t n = 0, i;
	int m;

	for (m = 0; m < RCC_RS__MAX; m++)
		for (i = 0; i < s->maps[m].n; i++)
			n += rcc_ruleset_key_version(m, s->maps[m].keys + i * s->maps[m].ksz) == v;
	return n;
}

static size_t entries(const struct rcc_ruleset *rs, size_t i)
{
	return rs->policies[i].count[0] + rs->policies[i].count[1] + rs->policies[i].count[2];
}

/* Every key of set m carries version v for policy i, and only there. */
static void expect_labelled(const struct rcc_plan *p, size_t i, __u32 v)
{
	int m;

	for (m = 0; m < RCC_RS__MAX; m++) {
		const struct rcc_rs_policy *rp = &p->rs->policies[i];
		size_t j;

		for (j = 0; j < rp->count[m]; j++) {
			const __u8 *k = p->want[m].keys + (rp->first[m] + j) * p->want[m].ksz;

			if (rcc_ruleset_key_version(m, k) != v)
				fail_msg("policy %zu map %d entry %zu: version %u, want %u", i, m,
					 j, rcc_ruleset_key_version(m, k), v);
		}
	}
}

/* and the built-in "default", which every configuration has, last */
#define TWO_POLICIES                                 \
	"[policy a]\nallow = 198.51.100.1:443/tcp\n" \
	"[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"

struct fixture {
	struct state s;
	struct rcc_config cfg;
	struct rcc_ruleset rs;
	struct rcc_plan p;
};

/* Loads TWO_POLICIES into an empty state. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	state_init(&f->s);
	build(TWO_POLICIES, &f->cfg, &f->rs);
	assert_int_equal(plan(&f->s, &f->rs, &f->p), 0);
	commit(&f->s, &f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rcc_plan_free(&f->p);
	rcc_ruleset_free(&f->rs);
	rcc_config_free(&f->cfg);
	state_free(&f->s);
	free(f);
	return 0;
}

/* Reloads text over the fixture's state; the plan stays in f->p. */
static int reload(struct fixture *f, const char *text)
{
	rcc_plan_free(&f->p);
	rcc_ruleset_free(&f->rs);
	rcc_config_free(&f->cfg);
	build(text, &f->cfg, &f->rs);
	return plan(&f->s, &f->rs, &f->p);
}

/* ---- the ruleset ---------------------------------------------------- */

static void test_ruleset_build(void **state)
{
	struct rcc_config cfg;
	struct rcc_ruleset rs;
	size_t i, total[RCC_RS__MAX] = {};
	int m;

	(void)state;
	build(TWO_POLICIES, &cfg, &rs);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.policies[0].name, "a");
	assert_string_equal(rs.policies[1].name, "b");
	assert_string_equal(rs.policies[2].name, "default");
	assert_string_equal(rs.source, cfg.path[0] ? cfg.path : "the configuration");
	assert_true(rs.policies[0].pol.flags & RCC_POL_ALLOW_PUBLIC);
	assert_false(rs.policies[1].pol.flags & RCC_POL_ALLOW_PUBLIC);
	assert_int_equal(rs.policies[0].count[RCC_RS_PORTS], 1);
	for (i = 0; i < rs.n; i++)
		for (m = 0; m < RCC_RS__MAX; m++) {
			assert_int_equal(rs.policies[i].first[m], total[m]);
			total[m] += rs.policies[i].count[m];
		}
	for (m = 0; m < RCC_RS__MAX; m++) {
		assert_int_equal(rs.sets[m].n, total[m]);
		for (i = 0; i < rs.sets[m].n; i++)
			assert_int_equal(
				rcc_ruleset_key_version(m, rs.sets[m].keys + i * rs.sets[m].ksz),
				0);
	}
	assert_non_null(rcc_ruleset_policy(&rs, "b"));
	assert_null(rcc_ruleset_policy(&rs, "c"));
	rcc_ruleset_free(&rs);
	rcc_ruleset_free(&rs); /* safe again */
	rcc_config_free(&cfg);
}

static void test_ruleset_errors(void **state)
{
	struct rcc_config cfg;
	struct rcc_ruleset rs;

	(void)state;
	/* both policies' problems are printed; nothing is kept */
	assert_int_equal(rcc_config_parse_string("bad.conf",
						 "[policy a]\nallow = nx.invalid:80/tcp\n"
						 "[policy b]\ndeny = nx2.invalid\n",
						 &cfg),
			 0);
	assert_int_equal(rcc_ruleset_build(&cfg, NULL, &rs), -EINVAL);
	assert_int_equal(rs.n, 0);
	assert_null(rs.policies);
	rcc_config_free(&cfg);
}

static void test_ruleset_label(void **state)
{
	struct rcc_config cfg;
	struct rcc_ruleset rs;
	struct rcc_kvset want[RCC_RS__MAX] = {};
	const __u32 versions[] = { 7, 300, 511 };
	int m;

	(void)state;
	build(TWO_POLICIES, &cfg, &rs);
	assert_int_equal(rcc_ruleset_label(&rs, versions, want), 0);
	for (m = 0; m < RCC_RS__MAX; m++) {
		size_t i, j;

		assert_int_equal(want[m].n, rs.sets[m].n);
		for (i = 0; i < rs.n; i++)
			for (j = 0; j < rs.policies[i].count[m]; j++) {
				size_t e = rs.policies[i].first[m] + j;

				assert_int_equal(
					rcc_ruleset_key_version(m, want[m].keys + e * want[m].ksz),
					versions[i]);
				/* only the version differs; the values are copied */
				assert_memory_equal(want[m].vals + e * want[m].vsz,
						    rs.sets[m].vals + e * rs.sets[m].vsz,
						    want[m].vsz);
			}
		rcc_kvset_free(&want[m]);
	}
	rcc_ruleset_free(&rs);
	rcc_config_free(&cfg);
}

/* ---- plans ---------------------------------------------------------- */

static void test_first_load(void **state)
{
	struct fixture *f = *state;
	struct rcc_plan *p = &f->p;

	/* setup planned it: new ids from 1, fresh versions from 1 */
	assert_int_equal(p->ids[0], 1);
	assert_int_equal(p->ids[1], 2);
	assert_int_equal(p->ids[2], 3);
	assert_false(p->named[0] || p->named[1] || p->named[2]);
	assert_int_equal(p->was[0], 0);
	assert_int_equal(p->ver[0], 1);
	assert_int_equal(p->ver[1], 2);
	assert_int_equal(p->ver[2], 3);
	assert_int_equal(p->ngone, 0);
	assert_int_equal(nputs(p), entries(&f->rs, 0) + entries(&f->rs, 1) + entries(&f->rs, 2));
	assert_int_equal(ndels(p), 0);
	expect_labelled(p, 0, 1);
	expect_labelled(p, 1, 2);
	expect_labelled(p, 2, 3);
}

static void test_reload_unchanged(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(reload(f, TWO_POLICIES), 0);
	assert_true(f->p.named[0] && f->p.named[1]);
	assert_int_equal(f->p.ids[0], 1);
	assert_int_equal(f->p.ids[1], 2);
	assert_int_equal(f->p.ver[0], f->p.was[0]);
	assert_int_equal(f->p.ver[1], f->p.was[1]);
	assert_int_equal(rcc_plan_versions(&f->p), 0);
	assert_int_equal(nputs(&f->p), 0);
	assert_int_equal(ndels(&f->p), 0);
}

/* Exact allow entries change in place: the version stays. */
static void test_allow_only_in_place(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(reload(f, "[policy a]\nallow = 198.51.100.1:443/tcp\n"
				   "allow = 198.51.100.2\nallow = 198.51.100.3:80/udp\n"
				   "[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"),
			 0);
	assert_int_equal(f->p.ver[0], 1);
	assert_int_equal(f->p.ver[1], 2);
	assert_int_equal(f->p.diff[RCC_RS_ADDRS].diff.puts.n, 1);
	assert_int_equal(f->p.diff[RCC_RS_PORTS].diff.puts.n, 1);
	assert_int_equal(ndels(&f->p), 0);
	expect_labelled(&f->p, 0, 1);
	commit(&f->s, &f->p);
	/* and back: removing them is in place too */
	assert_int_equal(reload(f, TWO_POLICIES), 0);
	assert_int_equal(f->p.ver[0], 1);
	assert_int_equal(nputs(&f->p), 0);
	assert_int_equal(ndels(&f->p), 2);
}

struct fresh_row {
	const char *name;
	const char *policy_a; /* a's section after the change */
};

/* Whatever else changes takes a fresh version, all entries anew. */
static const struct fresh_row fresh_rows[] = {
	{ "a deny entry", "allow = 198.51.100.1:443/tcp\ndeny = 198.51.100.9\n" },
	{ "a deny port", "allow = 198.51.100.1:443/tcp\ndeny = 198.51.100.9:22/tcp\n" },
	{ "a prefix", "allow = 198.51.100.1:443/tcp\nallow = 203.0.113.0/24\n" },
	{ "a flag", "allow = 198.51.100.1:443/tcp\nmode = audit\n" },
	{ "the private set gone", "allow = 198.51.100.1:443/tcp\nblock_private = no\n" },
};

static void test_fresh_versions(void **state)
{
	size_t r;

	(void)state;
	for (r = 0; r < ARRAY_SIZE(fresh_rows); r++) {
		struct fixture *f;
		char text[512];

		setup((void **)&f);
		snprintf(text, sizeof(text),
			 "[policy a]\n%s[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n",
			 fresh_rows[r].policy_a);
		assert_int_equal(reload(f, text), 0);
		if (f->p.ver[0] != 4)
			fail_msg("%s: version %u, want the fresh 4", fresh_rows[r].name,
				 f->p.ver[0]);
		assert_int_equal(f->p.ver[1], 2);
		assert_int_equal(f->p.ver[2], 3);
		expect_labelled(&f->p, 0, 4);
		expect_labelled(&f->p, 1, 2);
		/* all of a anew, all of its old entries go */
		assert_int_equal(nputs(&f->p), entries(&f->rs, 0));
		assert_int_equal(f->p.diff[0].diff.nchanged + f->p.diff[1].diff.nchanged +
					 f->p.diff[2].diff.nchanged,
				 0);
		assert_int_equal(ndels(&f->p), under(&f->s, 1));
		teardown((void **)&f);
	}
}

/* A fresh version is one no entry carries and nothing is in force under. */
static void test_fresh_version_skips_busy(void **state)
{
	struct fixture *f = *state;
	struct rcc_port_key k = { .version = 4 };
	struct rcc_port_val v = { .action = RCC_ACT_ALLOW };

	/* leftovers of version 4 (a reload that did not finish its dels),
	 * and id 9, named, with version 5 in force */
	assert_int_equal(rcc_kvset_add(&f->s.maps[RCC_RS_PORTS], &k, &v), 0);
	add_name(&f->s, "elsewhere", 9);
	f->s.in_force[9] = 5;
	assert_int_equal(reload(f, "[policy a]\nmode = audit\n[policy b]\nallow_public = no\n"
				   "allow = 10.0.0.0/8\n[policy elsewhere]\n"),
			 0);
	assert_int_equal(f->p.ver[0], 6);
	assert_int_equal(f->p.ver[1], 2);
	assert_int_equal(f->p.ids[2], 9);
	assert_int_equal(f->p.ver[2], 7); /* its version 5's flags differ */
	assert_int_equal(f->p.ver[3], 3); /* default */
}

static void test_removed_policy(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(reload(f, "[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"), 0);
	assert_int_equal(f->p.ngone, 1);
	assert_memory_equal(f->p.names.keys + f->p.gone[0] * f->p.names.ksz, "a", 2);
	assert_int_equal(rcc_plan_name_id(&f->p, f->p.gone[0]), 1);
	assert_int_equal(f->p.ids[0], 2);
	assert_int_equal(f->p.ver[0], 2);
	assert_int_equal(f->p.ids[1], 3);
	assert_int_equal(nputs(&f->p), 0);
	assert_int_equal(ndels(&f->p), under(&f->s, 1));
	assert_int_equal(f->p.diff[RCC_RS_PORTS].diff.dels.n, 1);
	commit(&f->s, &f->p);
	/* once it is gone, its id and version are free again */
	assert_int_equal(reload(f, "[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"
				   "[policy c]\n"),
			 0);
	assert_int_equal(f->p.ids[1], 1);
	assert_int_equal(f->p.ver[1], 1);
	assert_int_equal(f->p.ids[2], 3);
}

static void test_ids_run_out(void **state)
{
	struct state s;
	struct rcc_config cfg;
	struct rcc_ruleset rs;
	struct rcc_plan p;
	char name[32];
	__u32 id;

	(void)state;
	state_init(&s);
	add_name(&s, "default", RCC_MAX_POLICIES - 1);
	for (id = 1; id < RCC_MAX_POLICIES - 1; id++) {
		snprintf(name, sizeof(name), "p%u", id);
		add_name(&s, name, id);
	}
	build("[policy p7]\n[policy new]\n", &cfg, &rs);
	assert_int_equal(plan(&s, &rs, &p), -ENOSPC);
	rcc_plan_free(&p);
	rcc_ruleset_free(&rs);
	rcc_config_free(&cfg);
	/* one id free (p254's): taken */
	s.names.n--;
	build("[policy p7]\n[policy new]\n", &cfg, &rs);
	assert_int_equal(plan(&s, &rs, &p), 0);
	assert_int_equal(p.ids[0], 7);
	assert_int_equal(p.ids[1], RCC_MAX_POLICIES - 2);
	assert_int_equal(p.ids[2], RCC_MAX_POLICIES - 1);
	assert_true(p.named[0] && !p.named[1] && p.named[2]);
	assert_int_equal(p.ngone, RCC_MAX_POLICIES - 4); /* p1..p253 but p7 */
	rcc_plan_free(&p);
	rcc_ruleset_free(&rs);
	rcc_config_free(&cfg);
	state_free(&s);
}

static void test_versions_run_out(void **state)
{
	struct fixture *f = *state;
	__u32 v;

	for (v = 4; v < RCC_MAX_VERSIONS; v++) {
		struct rcc_addr_key k = { .version = v };
		struct rcc_addr_val val = { .allow_protos = RCC_PROTO_TCP };

		assert_int_equal(rcc_kvset_add(&f->s.maps[RCC_RS_ADDRS], &k, &val), 0);
	}
	assert_int_equal(reload(f, TWO_POLICIES), 0); /* nothing needs one */
	assert_int_equal(reload(f, "[policy a]\nmode = audit\n[policy b]\n"), -ENOSPC);
}

static void test_capacity(void **state)
{
	struct fixture *f = *state;
	size_t have = f->s.maps[RCC_RS_PREFIXES].n, need;

	/* b anew: its prefixes are held twice until the switch */
	assert_int_equal(reload(f, "[policy a]\nallow = 198.51.100.1:443/tcp\n"
				   "[policy b]\nallow_public = no\nallow = 10.0.0.0/9\n"),
			 0);
	need = have + f->p.diff[RCC_RS_PREFIXES].diff.puts.n;
	assert_true(need > have);
	f->p.capacity[RCC_RS_PREFIXES] = need;
	assert_int_equal(rcc_plan_check_capacity(&f->p, "/pins"), 0);
	f->p.capacity[RCC_RS_PREFIXES] = need - 1;
	assert_int_equal(rcc_plan_check_capacity(&f->p, "/pins"), -ENOSPC);
	/* changes in place need room for the new keys only */
	f->s.capacity[RCC_RS_ADDRS] = f->s.maps[RCC_RS_ADDRS].n + 1;
	assert_int_equal(reload(f,
				"[policy a]\nallow = 198.51.100.1:443/tcp\nallow = 198.51.100.2\n"
				"[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"),
			 0);
	f->s.capacity[RCC_RS_ADDRS]--;
	assert_int_equal(reload(f,
				"[policy a]\nallow = 198.51.100.1:443/tcp\nallow = 198.51.100.2\n"
				"[policy b]\nallow_public = no\nallow = 10.0.0.0/8\n"),
			 -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ruleset_build),
		cmocka_unit_test(test_ruleset_errors),
		cmocka_unit_test(test_ruleset_label),
		cmocka_unit_test_setup_teardown(test_first_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_only_in_place, setup, teardown),
		cmocka_unit_test(test_fresh_versions),
		cmocka_unit_test_setup_teardown(test_fresh_version_skips_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_policy, setup, teardown),
		cmocka_unit_test(test_ids_run_out),
		cmocka_unit_test_setup_teardown(test_versions_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
