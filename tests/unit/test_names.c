// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/names.c: how answers, failures and time move the
 * addresses of hostname entries (no DNS here: answers are handed in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/names.h"
#include "lib/clock.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S 1000ull

static struct rcc_config cfg;
static struct rcc_names t;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(rcc_config_parse_string("t.conf",
						 "[global]\n"
						 "dns_min_ttl = 5\n"
						 "dns_max_ttl = 300\n"
						 "dns_stale_grace = 60\n"
						 "[policy a]\n"
						 "dns = open\n"
						 "allow = api.example:443\n"
						 "allow = cdn.example\n"
						 "[policy b]\n"
						 "dns = open\n"
						 "allow = api.example:80\n" /* shared: one record */
						 "allow = internal.example:5432 private_ok\n",
						 &cfg),
			 0);
	rcc_names_init(&t, &cfg, NULL);
	assert_int_equal(rcc_names_set(&t, &cfg), 0);
	return 0;
}

/* Names that deny entries use: one alone, one shared with an allow entry. */
static int setup_deny(void **state)
{
	(void)state;
	assert_int_equal(rcc_config_parse_string("t.conf",
						 "[global]\n"
						 "dns_min_ttl = 5\n"
						 "dns_max_ttl = 300\n"
						 "dns_stale_grace = 60\n"
						 "[policy a]\n"
						 "dns = open\n"
						 "allow = api.example:443\n"
						 "deny = bad.example\n"
						 "[policy b]\n"
						 "dns = open\n"
						 "allow = both.example:443\n"
						 "[policy c]\n"
						 "dns = open\n"
						 "deny = both.example:22\n",
						 &cfg),
			 0);
	rcc_names_init(&t, &cfg, NULL);
	assert_int_equal(rcc_names_set(&t, &cfg), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rcc_names_free(&t);
	rcc_config_free(&cfg);
	return 0;
}

static struct rcc_names_answer_addr A(const char *s, __u32 ttl) {
	struct rcc_names_answer_addr a = { .ttl = ttl };
	bool v4;

	assert_int_equal(rcc_addr_parse(s, a.addr, &v4), 0);
	return a;
}

/* The name's addresses now, as "a b c" in table order. */
static const char *
addrs_of(const char *name)
{
	static char buf[512];
	__u8 got[16][16];
	int n = rcc_names_lookup(name, got, 16, &t), i;
	size_t len = 0;

	buf[0] = '\0';
	if (n < 0)
		snprintf(buf, sizeof(buf), "error %d", n);
	for (i = 0; i < n; i++) {
		char s[64];

		rcc_addr_prefix_format(got[i], 128, s, sizeof(s));
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", s);
	}
	return buf;
}

static void test_set_dedupes_and_keeps(void **state)
{
	struct rcc_name *r;
	struct rcc_names_answer_addr a = A("203.0.113.1", 30);

	(void)state;
	assert_int_equal(t.n, 3);
	assert_string_equal(t.v[0].name, "api.example");
	assert_true(t.v[0].guarded);
	r = rcc_names_find(&t, "internal.example");
	assert_non_null(r);
	assert_false(r->guarded);
	assert_int_equal(r->next_ms, 0);		  /* due at once */
	assert_string_equal(addrs_of("api.example"), ""); /* pending: none, no error */
	assert_int_equal(rcc_names_lookup("other.example", NULL, 0, &t), -ENOENT);

	/* a reload keeps what is known */
	rcc_names_answer(&t, rcc_names_find(&t, "api.example"), &a, 1, 1000 * S);
	assert_int_equal(rcc_names_set(&t, &cfg), 0);
	assert_string_equal(addrs_of("api.example"), "203.0.113.1");
	assert_int_equal(rcc_names_find(&t, "api.example")->next_ms, 1030 * S);
}

static void test_ttl_clamped(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "cdn.example");
	struct rcc_names_answer_addr a[] = { A("203.0.113.10", 1), A("2001:db8::10", 100000) };

	(void)state;
	rcc_names_answer(&t, r, a, N(a), 10 * S);
	assert_int_equal(r->addrs[0].expires_ms, 15 * S);  /* dns_min_ttl */
	assert_int_equal(r->addrs[1].expires_ms, 310 * S); /* dns_max_ttl */
	assert_int_equal(r->next_ms, 15 * S);		   /* the soonest */
	assert_true(t.changed);
}

static void test_rotation_is_gap_free(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "cdn.example");
	struct rcc_names_answer_addr first[] = { A("203.0.113.10", 10), A("203.0.113.11", 10) };
	struct rcc_names_answer_addr second[] = { A("203.0.113.11", 10), A("203.0.113.12", 10) };
	struct rcc_names_answer_addr third[] = { A("203.0.113.12", 10) };

	(void)state;
	rcc_names_answer(&t, r, first, N(first), 0);
	t.changed = false;
	/* .10 left the answer early: it stays until its own TTL is out */
	rcc_names_answer(&t, r, second, N(second), 4 * S);
	assert_true(t.changed);
	assert_string_equal(addrs_of("cdn.example"), "203.0.113.11 203.0.113.12 203.0.113.10");
	/* a late refresh removes nothing */
	t.changed = false;
	rcc_names_expire(&t, 100 * S);
	assert_false(t.changed);
	assert_string_equal(addrs_of("cdn.example"), "203.0.113.11 203.0.113.12 203.0.113.10");
	/* the next answer drops what expired and what it no longer has */
	rcc_names_answer(&t, r, third, N(third), 100 * S);
	assert_string_equal(addrs_of("cdn.example"), "203.0.113.12");
	/* the same answer again changes nothing */
	t.changed = false;
	rcc_names_answer(&t, r, third, N(third), 101 * S);
	assert_false(t.changed);
}

static void test_failure_keeps_then_drops(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "api.example");
	struct rcc_names_answer_addr a = A("203.0.113.1", 30);
	__u64 last_next = 0;
	int i;

	(void)state;
	rcc_names_answer(&t, r, &a, 1, 0); /* expires at 30 s */
	t.changed = false;
	rcc_names_failure(&t, r, -EAGAIN, "Timeout while contacting DNS servers", 30 * S);
	assert_string_equal(addrs_of("api.example"), "203.0.113.1");
	assert_int_equal(r->failing_since_ms, 30 * S);
	assert_int_equal(r->next_ms, 31 * S); /* back-off: 1 s */
	/* the back-off doubles, up to 30 s */
	for (i = 0; i < 10; i++) {
		rcc_names_failure(&t, r, -EAGAIN, "timeout", 40 * S);
		assert_true(r->next_ms - 40 * S >= last_next);
		last_next = r->next_ms - 40 * S;
	}
	assert_int_equal(last_next, 30 * S);
	assert_false(t.changed);
	/* within the grace (expiry 30 s + 60 s) the address stays */
	rcc_names_expire(&t, 89 * S);
	assert_string_equal(addrs_of("api.example"), "203.0.113.1");
	assert_false(t.changed);
	rcc_names_expire(&t, 90 * S);
	assert_true(t.changed);
	assert_int_equal(rcc_names_lookup("api.example", NULL, 0, &t), -EAGAIN);
	/* NXDOMAIN reads as no such name */
	rcc_names_failure(&t, r, -ENOENT, "Domain name not found", 91 * S);
	assert_int_equal(rcc_names_lookup("api.example", NULL, 0, &t), -ENOENT);
	assert_string_equal(r->last_error, "Domain name not found");
	/* and a good answer ends the failure */
	rcc_names_answer(&t, r, &a, 1, 92 * S);
	assert_int_equal(r->failing_since_ms, 0);
	assert_int_equal(r->failures, 0);
	assert_string_equal(r->last_error, "");
}

static void test_zero_grace(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "api.example");
	struct rcc_names_answer_addr a = A("203.0.113.1", 30);

	(void)state;
	t.grace = 0;
	rcc_names_answer(&t, r, &a, 1, 0);
	rcc_names_failure(&t, r, -EAGAIN, "timeout", 10 * S); /* not yet expired */
	assert_string_equal(addrs_of("api.example"), "203.0.113.1");
	rcc_names_failure(&t, r, -EAGAIN, "timeout", 30 * S);
	assert_string_equal(addrs_of("api.example"), "error -11");
	t.grace = 60;
}

static void test_internal_noted(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "api.example");
	struct rcc_names_answer_addr a[] = { A("169.254.169.254", 30), A("203.0.113.1", 30) };

	(void)state;
	rcc_names_answer(&t, r, a, N(a), 0);
	/* kept in the table (a private_ok entry may use it), noted once */
	assert_string_equal(addrs_of("api.example"), "169.254.169.254 203.0.113.1");
	assert_int_equal(r->ninternal, 1);
	rcc_names_answer(&t, r, a, N(a), 1 * S);
	assert_int_equal(r->ninternal, 1);
	/* private_ok entries alone: nothing to note */
	r = rcc_names_find(&t, "internal.example");
	rcc_names_answer(&t, r, a, 1, 0);
	assert_int_equal(r->ninternal, 0);
}

static void test_json_round_trip(void **state)
{
	struct rcc_names other;
	struct rcc_names_answer_addr a[] = { A("203.0.113.1", 30), A("2001:db8::1", 60) };
	struct json_object *arr;
	struct rcc_name *r;

	(void)state;
	rcc_names_answer(&t, rcc_names_find(&t, "api.example"), a, N(a), 0);
	rcc_names_failure(&t, rcc_names_find(&t, "cdn.example"), -ENOENT, "Domain name not found",
			  0);
	arr = rcc_names_to_json(&t, 10 * S);
	assert_non_null(arr);
	rcc_names_init(&other, &cfg, NULL);
	assert_int_equal(rcc_names_set(&other, &cfg), 0);
	assert_int_equal(rcc_names_from_json(&other, arr, 1000 * S), 3);
	r = rcc_names_find(&other, "api.example");
	assert_int_equal(r->n, 2);
	assert_int_equal(r->addrs[0].expires_ms, 1020 * S);
	assert_int_equal(r->addrs[1].expires_ms, 1050 * S);
	assert_int_equal(rcc_names_lookup("cdn.example", NULL, 0, &other), -ENOENT);
	assert_string_equal(rcc_names_find(&other, "cdn.example")->last_error,
			    "Domain name not found");
	json_object_put(arr);
	rcc_names_free(&other);
}

static void test_save_load(void **state)
{
	struct rcc_names_answer_addr a = A("203.0.113.1", 60);
	char path[] = "/tmp/rcc-test-names-XXXXXX";
	struct rcc_names other;
	struct rcc_name *r;
	__u64 now = rcc_clock_ms();
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	rcc_names_answer(&t, rcc_names_find(&t, "api.example"), &a, 1, now);
	assert_int_equal(rcc_names_save(&t, path), 0);
	rcc_names_init(&other, &cfg, NULL);
	assert_int_equal(rcc_names_set(&other, &cfg), 0);
	assert_int_equal(rcc_names_load(&other, path), 0);
	r = rcc_names_find(&other, "api.example");
	assert_int_equal(r->n, 1);
	/* the expiry survives (give or take the test's own run time) */
	assert_true(r->addrs[0].expires_ms <= now + 60 * S + 50);
	assert_true(r->addrs[0].expires_ms + 2 * S >= now + 60 * S);
	assert_int_equal(r->last_query_ms, 0); /* asked again at start */
	rcc_names_free(&other);
	/* a file others could write names nothing we load */
	assert_int_equal(chmod(path, 0666), 0);
	rcc_names_init(&other, &cfg, NULL);
	assert_int_equal(rcc_names_set(&other, &cfg), 0);
	assert_int_equal(rcc_names_load(&other, path), -EPERM);
	assert_int_equal(rcc_names_find(&other, "api.example")->n, 0);
	rcc_names_free(&other);
	unlink(path);
	assert_int_equal(rcc_names_load(&other, path), -ENOENT);
}

static void test_deny_flag(void **state)
{
	struct rcc_config allow_only;

	(void)state;
	assert_false(rcc_names_find(&t, "api.example")->deny);
	assert_true(rcc_names_find(&t, "bad.example")->deny);
	/* shared with an allow entry: kept all the same (deny wins) */
	assert_true(rcc_names_find(&t, "both.example")->deny);
	assert_true(rcc_names_find(&t, "both.example")->guarded);
	/* a reload decides again: a name no deny entry uses has the grace */
	assert_int_equal(rcc_config_parse_string("t.conf",
						 "[policy a]\n"
						 "dns = open\n"
						 "allow = bad.example:443\n",
						 &allow_only),
			 0);
	assert_int_equal(rcc_names_set(&t, &allow_only), 0);
	assert_false(rcc_names_find(&t, "bad.example")->deny);
	assert_int_equal(rcc_names_set(&t, &cfg), 0);
	assert_true(rcc_names_find(&t, "bad.example")->deny);
	rcc_config_free(&allow_only);
}

static void test_deny_kept_while_failing(void **state)
{
	struct rcc_names_answer_addr bad = A("203.0.113.66", 30), api = A("203.0.113.1", 30);
	struct rcc_names_answer_addr moved = A("203.0.113.67", 30);
	struct rcc_name *r = rcc_names_find(&t, "bad.example");

	(void)state;
	rcc_names_answer(&t, r, &bad, 1, 0);
	rcc_names_answer(&t, rcc_names_find(&t, "api.example"), &api, 1, 0);
	t.changed = false;
	rcc_names_failure(&t, r, -EAGAIN, "timeout", 30 * S);
	rcc_names_failure(&t, rcc_names_find(&t, "api.example"), -EAGAIN, "timeout", 30 * S);
	assert_int_equal(rcc_names_unresolved(&t), 2);
	/* past expiry and grace: the allow name's address goes (fail
	 * closed), the deny name's stays, however long DNS is down */
	rcc_names_expire(&t, 90 * S);
	assert_string_equal(addrs_of("api.example"), "error -11");
	assert_string_equal(addrs_of("bad.example"), "203.0.113.66");
	t.changed = false;
	rcc_names_failure(&t, r, -ENOENT, "Domain name not found", 86400 * S);
	rcc_names_expire(&t, 86400 * S);
	assert_string_equal(addrs_of("bad.example"), "203.0.113.66");
	assert_false(t.changed);
	/* an answer moves it: the old address, long expired, goes */
	rcc_names_answer(&t, r, &moved, 1, 86401 * S);
	assert_string_equal(addrs_of("bad.example"), "203.0.113.67");
	assert_true(t.changed);
	assert_int_equal(rcc_names_unresolved(&t), 1);
}

static void test_deny_never_resolved(void **state)
{
	struct rcc_name *r = rcc_names_find(&t, "bad.example");
	struct json_object *arr, *o = NULL, *v;
	size_t i;

	(void)state;
	rcc_names_failure(&t, r, -ENOENT, "Domain name not found", 1 * S);
	rcc_names_expire(&t, 1000 * S);
	/* nothing to deny: a lookup is an error, which one-shot commands refuse */
	assert_int_equal(rcc_names_lookup("bad.example", NULL, 0, &t), -ENOENT);
	arr = rcc_names_to_json(&t, 1000 * S);
	for (i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(arr, i), "name")),
			    "bad.example"))
			o = json_object_array_get_idx(arr, i);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "state")), "failing");
	assert_true(json_object_object_get_ex(o, "unresolved", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "deny", &v) && json_object_get_boolean(v));
	assert_int_equal(json_object_array_length(json_object_object_get(o, "addresses")), 0);
	json_object_put(arr);
}

static void test_deny_kept_across_restart(void **state)
{
	struct rcc_names_answer_addr bad = A("203.0.113.66", 5), api = A("203.0.113.1", 5);
	char path[] = "/tmp/rcc-test-names-XXXXXX";
	struct rcc_names other;
	__u64 now = rcc_clock_ms(), later = now + 3600 * S;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	rcc_names_answer(&t, rcc_names_find(&t, "bad.example"), &bad, 1, now);
	rcc_names_answer(&t, rcc_names_find(&t, "api.example"), &api, 1, now);
	assert_int_equal(rcc_names_save(&t, path), 0);
	rcc_names_init(&other, &cfg, NULL);
	assert_int_equal(rcc_names_set(&other, &cfg), 0);
	assert_int_equal(rcc_names_load(&other, path), 0);
	/* the new daemon cannot resolve either, an hour on */
	rcc_names_failure(&other, rcc_names_find(&other, "bad.example"), -EAGAIN, "timeout", later);
	rcc_names_failure(&other, rcc_names_find(&other, "api.example"), -EAGAIN, "timeout", later);
	assert_int_equal(rcc_names_find(&other, "bad.example")->n, 1);
	assert_int_equal(rcc_names_find(&other, "api.example")->n, 0);
	rcc_names_free(&other);
	unlink(path);
}

/* dns = proxy answers allow names and every wildcard itself: the table
 * holds deny names and the allow names of dns = open policies only. */
static void test_proxy_names_not_resolved(void **state)
{
	struct rcc_config c;
	struct rcc_names n;

	(void)state;
	assert_int_equal(rcc_config_parse_string("t.conf",
						 "[policy p]\n"
						 "allow = api.example:443\n"
						 "allow = *.cdn.example\n"
						 "deny = ads.example\n"
						 "deny = **.track.example\n"
						 "[policy o]\n"
						 "dns = open\n"
						 "allow = open.example:443\n",
						 &c),
			 0);
	rcc_names_init(&n, &c, NULL);
	assert_int_equal(rcc_names_set(&n, &c), 0);
	assert_int_equal(n.n, 2);
	assert_true(rcc_names_find(&n, "ads.example")->deny);
	assert_false(rcc_names_find(&n, "open.example")->deny);
	assert_null(rcc_names_find(&n, "api.example"));
	rcc_names_free(&n);
	rcc_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_dedupes_and_keeps, setup, teardown),
		cmocka_unit_test(test_proxy_names_not_resolved),
		cmocka_unit_test_setup_teardown(test_ttl_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_is_gap_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_keeps_then_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_noted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deny_flag, setup_deny, teardown),
		cmocka_unit_test_setup_teardown(test_deny_kept_while_failing, setup_deny, teardown),
		cmocka_unit_test_setup_teardown(test_deny_never_resolved, setup_deny, teardown),
		cmocka_unit_test_setup_teardown(test_deny_kept_across_restart, setup_deny,
						teardown),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
