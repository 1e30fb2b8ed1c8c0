// SPDX-License-Identifier: GPL-2.0
/*
 * Regressions: behaviour of user/ code that the unit tests once found
 * wrong, each test stating what should happen.
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
#include <unistd.h>

#include "policy/addr.h"
#include "policy/entry.h"
#include "policy/config.h"
#include "policy/policy.h"
#include "rcc_shared.h"

static char errbuf[16384];

static int cap_fd = -1, cap_saved = -1;
static FILE *cap_tmp;

static void cap_begin(void)
{
	fflush(stderr);
	cap_tmp = tmpfile();
	assert_non_null(cap_tmp);
	cap_saved = dup(2);
	assert_true(cap_saved >= 0);
	cap_fd = fileno(cap_tmp);
	assert_true(dup2(cap_fd, 2) >= 0);
}

static void cap_end(void)
{
	ssize_t n;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	n = pread(cap_fd, errbuf, sizeof(errbuf) - 1, 0);
	errbuf[n > 0 ? n : 0] = '\0';
	fclose(cap_tmp);
}

/*
 * config.c reader(): a UTF-8 byte order mark before the first line makes
 * that line a "syntax error" (the reader checks for '[' before inih gets
 * to strip the BOM, which inih is built to allow), so a file saved by an
 * editor that writes a BOM loses its first section.
 */
static void test_config_utf8_bom(void **state)
{
	struct rcc_config cfg;
	int rc;

	(void)state;
	cap_begin();
	rc = rcc_config_parse_string("t.conf", "\xEF\xBB\xBF[policy a]\nmode = audit\n", &cfg);
	cap_end();
	if (rc || errbuf[0])
		fail_msg("rc %d, stderr:\n%s", rc, errbuf);
	assert_int_equal(cfg.npolicies, 2); /* "a" and the built-in default */
	assert_true(cfg.policies[0].audit);
	rcc_config_free(&cfg);
}

/*
 * config.c parse(): a line inih rejects but the reader lets through (here
 * "foo ;x=1": the '=' is inside an inline comment, so inih sees "foo" with
 * no '=') is reported only when nothing else was wrong; with another error
 * in the file it is silently dropped, though all errors are to be reported.
 */
static void test_config_inih_error_not_lost(void **state)
{
	struct rcc_config cfg;
	int rc;

	(void)state;
	cap_begin();
	rc = rcc_config_parse_string("t.conf", "[policy p]\nfoo ;x=1\nbar = 1\n", &cfg);
	cap_end();
	rcc_config_free(&cfg);
	assert_int_equal(rc, -EINVAL);
	if (!strstr(errbuf, "t.conf:3: unknown key 'bar' in [policy p]\n") ||
	    !strstr(errbuf, "t.conf:2: "))
		fail_msg("want errors for lines 2 and 3, got:\n%s", errbuf);
}

/*
 * addr.c parse_target(): a NAT64 well-known address is normalised to the
 * v4-mapped form before the prefix length is applied, so any
 * 64:ff9b::/N with N < 96 fails with a wrong suggestion:
 * "'64:ff9b::/64' has bits set after the prefix; did you mean ::/64?".
 */
static void test_addr_nat64_short_prefix(void **state)
{
	struct rcc_entry e;
	char err[256] = "";
	int rc;

	(void)state;
	rc = rcc_entry_parse("64:ff9b::/64", RCC_ACT_DENY, &e, err, sizeof(err));
	if (rc == 0) {
		static const __u8 want[16] = { 0, 0x64, 0xff, 0x9b };

		assert_int_equal(e.plen, 64);
		assert_memory_equal(e.addr, want, 16);
		rcc_entry_release(&e);
		return;
	}
	/* if refused, at least not with advice that means another range */
	if (strstr(err, "did you mean ::/64"))
		fail_msg("'64:ff9b::/64': %s", err);
}

/*
 * policy.c merge_addr(): two entries on one exact address for different
 * protocols share one rcc_addr_val with a single allow_rule (and
 * deny_rule), so the verdict for the second protocol names the first
 * entry: "allow = X/tcp" + "allow = X/udp" explains a UDP connection as
 * "allow: allow = X/tcp (line 2)".
 */
static void test_addr_merge_rule_attribution(void **state)
{
	struct rcc_config cfg;
	struct rcc_compiled c;
	struct rcc_compile_opts o = { .file = "t.conf" };
	struct rcc_explain x;
	__u8 a[16];
	bool v4;
	char buf[256];

	(void)state;
	assert_int_equal(rcc_config_parse_string(
				 "t.conf",
				 "[policy a]\nallow = 198.51.100.7/tcp\nallow = 198.51.100.7/udp\n"
				 "deny = 198.51.100.8/tcp\ndeny = 198.51.100.8/udp\n",
				 &cfg),
			 0);
	assert_int_equal(rcc_policy_compile(&cfg.policies[0], 1, &o, &c), 0);

	assert_int_equal(rcc_addr_parse("198.51.100.7", a, &v4), 0);
	rcc_compiled_judge(&c, a, 53, RCC_PROTO_UDP, &x);
	rcc_policy_explain_format(&cfg.policies[0], &x, buf, sizeof(buf));
	assert_string_equal(buf, "allow: allow = 198.51.100.7/udp (line 3)");

	assert_int_equal(rcc_addr_parse("198.51.100.8", a, &v4), 0);
	rcc_compiled_judge(&c, a, 53, RCC_PROTO_UDP, &x);
	rcc_policy_explain_format(&cfg.policies[0], &x, buf, sizeof(buf));
	assert_string_equal(buf, "deny: deny = 198.51.100.8/udp (line 5)");

	rcc_compiled_free(&c);
	rcc_config_free(&cfg);
}

/*
 * policy.c nodes_finish(): when an entry carries more than RCC_MAX_RULES
 * port rules, every special-set node under it inherits the overflow and
 * gets its own error, at the [policy] header's line (the node has no
 * line): "allow = 0.0.0.0/0:1,...,17" on line 2 gives 14 errors, 13 of
 * them "t.conf:1: ... apply to 10.0.0.0/8", pointing at no entry.
 */
static void test_rule_overflow_blames_entry_line(void **state)
{
	struct rcc_config cfg;
	struct rcc_compiled c;
	struct rcc_compile_opts o = { .file = "t.conf" };
	const char *p;
	int rc;

	(void)state;
	assert_int_equal(
		rcc_config_parse_string(
			"t.conf",
			"[policy a]\nallow = 0.0.0.0/0:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
			&cfg),
		0);
	cap_begin();
	rc = rcc_policy_compile(&cfg.policies[0], 1, &o, &c);
	cap_end();
	rcc_config_free(&cfg);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(errbuf, "t.conf:2: more than 16 port rules apply to 0.0.0.0/0"));
	for (p = errbuf; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "t.conf:2: ", 10))
			fail_msg("an error not at the entry's line:\n%s", errbuf);
		if (!strchr(p, '\n'))
			break;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_utf8_bom),
		cmocka_unit_test(test_config_inih_error_not_lost),
		cmocka_unit_test(test_addr_nat64_short_prefix),
		cmocka_unit_test(test_addr_merge_rule_attribution),
		cmocka_unit_test(test_rule_overflow_blames_entry_line),
	};

	return cmocka_run_group_tests_name("known_bugs", tests, NULL, NULL);
}
