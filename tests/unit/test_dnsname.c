// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/policy/dnsname.c: DNS names against a policy's name
 * entries (exact names and the wildcards *.zone and **.zone), the
 * verdict the DNS proxy answers with, the port rules an answered address
 * gets, and check's explanation.  Also the wildcard entry syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/config.h"
#include "policy/dnsname.h"
#include "policy/entry.h"
#include "rcc_shared.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TCP RCC_PROTO_TCP
#define UDP RCC_PROTO_UDP
#define ICMP RCC_PROTO_ICMP
#define ALLOW RCC_ACT_ALLOW
#define DENY RCC_ACT_DENY
#define NONE RCC_ACT_NONE

/* ---- matching ------------------------------------------------------- */

struct match_row {
	const char *pattern, *name;
	bool want;
};

static const struct match_row match_rows[] = {
	/* exact, case-insensitive, one trailing dot ignored */
	{ "github.com", "github.com", true },
	{ "github.com", "GitHub.COM", true },
	{ "github.com", "github.com.", true },
	{ "github.com.", "github.com", true },
	{ "github.com", "api.github.com", false },
	{ "github.com", "evilgithub.com", false },
	{ "github.com", "github.co", false },
	{ "github.com", "github.com..", false },
	{ "github.com", "", false },
	{ "", "", false },
	/* one label */
	{ "*.github.com", "api.github.com", true },
	{ "*.github.com", "API.GitHub.Com.", true },
	{ "*.github.com", "x.github.com", true },
	{ "*.github.com", "github.com", false },
	{ "*.github.com", "evilgithub.com", false },
	{ "*.github.com", "a.evilgithub.com", false },
	{ "*.github.com", "a.b.github.com", false },
	{ "*.github.com", ".github.com", false },
	{ "*.github.com", "xgithub.com", false },
	{ "*.github.com", "api.github.com.evil.org", false },
	{ "*.github.com", "api.github.co", false },
	/* any depth, never the apex */
	{ "**.github.com", "api.github.com", true },
	{ "**.github.com", "a.b.github.com", true },
	{ "**.github.com", "a.b.c.d.github.com.", true },
	{ "**.github.com", "A.B.GITHUB.COM", true },
	{ "**.github.com", "github.com", false },
	{ "**.github.com", "xgithub.com", false },
	{ "**.github.com", "a.xgithub.com", false },
	{ "**.github.com", ".github.com", false },
	{ "**.github.com", "github.com.evil.org", false },
	/* a wildcard is not a name to match literally the other way round */
	{ "api.github.com", "*.github.com", false },
};

static void test_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(match_rows); i++) {
		const struct match_row *r = &match_rows[i];

		if (rcc_dnsname_match(r->pattern, r->name) != r->want)
			fail_msg("match('%s', '%s'): want %s", r->pattern, r->name,
				 r->want ? "true" : "false");
	}
	assert_true(rcc_dnsname_is_wildcard("*.a.b"));
	assert_true(rcc_dnsname_is_wildcard("**.a.b"));
	assert_false(rcc_dnsname_is_wildcard("a.b"));
	assert_false(rcc_dnsname_is_wildcard("*a.b"));
}

/* ---- normalising ---------------------------------------------------- */

struct norm_row {
	const char *in;
	const char *out; /* NULL: -EINVAL */
};

static char label63[64], label64[65], name253[254], name254[255];

static void long_names(void)
{
	size_t i;

	memset(label63, 'a', 63);
	memset(label64, 'a', 64);
	/* 63.63.63.61: 253 bytes */
	for (i = 0; i < 253; i++)
		name253[i] = (i % 64 == 63) ? '.' : 'b';
	memcpy(name254, name253, 253);
	name254[253] = 'c';
}

static void test_normalize(void **state)
{
	char l63[80], l64[80], l63dot[80];
	const struct norm_row rows[] = {
		{ "Example.COM", "example.com" },
		{ "example.com.", "example.com" },
		{ "_dmarc.Example.com", "_dmarc.example.com" },
		{ "x", "x" },
		{ "", NULL },
		{ ".", NULL },
		{ "example.com..", NULL },
		{ ".example.com", NULL },
		{ "a..b", NULL },
		{ "a b.com", NULL },
		{ "a\tb.com", NULL },
		{ "caf\xc3\xa9.com", NULL },
		{ l63, l63 },
		{ l63dot, l63 },
		{ l64, NULL },
		{ name253, name253 },
		{ name254, NULL },
	};
	char out[256];
	size_t i;

	(void)state;
	long_names();
	snprintf(l63, sizeof(l63), "%s.com", label63);
	snprintf(l64, sizeof(l64), "%s.com", label64);
	snprintf(l63dot, sizeof(l63dot), "%s.com.", label63);
	for (i = 0; i < N(rows); i++) {
		int rc;

		strcpy(out, "untouched");
		rc = rcc_dnsname_normalize(rows[i].in, out, sizeof(out));
		if (!rows[i].out && (rc != -EINVAL || strcmp(out, "untouched")))
			fail_msg("normalize('%s'): rc %d out '%s', want -EINVAL and out untouched",
				 rows[i].in, rc, out);
		if (rows[i].out && (rc || strcmp(out, rows[i].out)))
			fail_msg("normalize('%s'): rc %d '%s', want '%s'", rows[i].in, rc, out,
				 rows[i].out);
	}
	/* an out buffer too small */
	assert_int_equal(rcc_dnsname_normalize("example.com", out, 11), -EINVAL);
	assert_int_equal(rcc_dnsname_normalize("example.com", out, 12), 0);
}

/* ---- the entry syntax ----------------------------------------------- */

struct entry_row {
	const char *text;
	const char *host; /* NULL: an error, err */
	__u8 flags;
	const char *err;
};

static const struct entry_row entry_rows[] = {
	{ "*.Example.com:443/tcp", "*.example.com", RCC_ENTRY_WILDCARD, NULL },
	{ "**.example.com.", "**.example.com", RCC_ENTRY_WILDCARD, NULL },
	{ "*.example.com private_ok", "*.example.com", RCC_ENTRY_WILDCARD | RCC_ENTRY_PRIVATE_OK,
	  NULL },
	{ "API.Example.COM.:443", "api.example.com", 0, NULL },
	{ "*.co.uk", "*.co.uk", RCC_ENTRY_WILDCARD, NULL },
	{ "*.com", NULL, 0,
	  "'*.com' is too broad: a wildcard's zone needs two labels or more (*.example.com)" },
	{ "**.com.", NULL, 0,
	  "'**.com.' is too broad: a wildcard's zone needs two labels or more (*.example.com)" },
	{ "*", NULL, 0,
	  "bad wildcard '*' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "*.", NULL, 0,
	  "bad wildcard '*.' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "a*.b.com", NULL, 0,
	  "bad wildcard 'a*.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "*a.b.com", NULL, 0,
	  "bad wildcard '*a.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "***.b.com", NULL, 0,
	  "bad wildcard '***.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "*.*.b.com", NULL, 0,
	  "bad wildcard '*.*.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "a.*.b.com", NULL, 0,
	  "bad wildcard 'a.*.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "*.exa mple.com", NULL, 0, "bad address '*.exa mple.com'" },
	{ "*..example.com", NULL, 0, "bad address '*..example.com'" },
	{ "*.example.com/24", NULL, 0, "a hostname ('*.example.com') takes no prefix length" },
};

static void test_entry_syntax(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(entry_rows); i++) {
		const struct entry_row *r = &entry_rows[i];
		struct rcc_entry e;
		char err[256] = "";
		int rc = rcc_entry_parse(r->text, RCC_ACT_ALLOW, &e, err, sizeof(err));

		if (!r->host) {
			if (rc != -EINVAL || strcmp(err, r->err))
				fail_msg("'%s': rc %d '%s', want '%s'", r->text, rc, err, r->err);
			continue;
		}
		if (rc)
			fail_msg("'%s': error '%s'", r->text, err);
		if (strcmp(e.host, r->host) || e.flags != r->flags || e.plen != 128)
			fail_msg("'%s': host '%s' flags %#x plen %u, want '%s' %#x 128", r->text,
				 e.host, e.flags, e.plen, r->host, r->flags);
		rcc_entry_release(&e);
	}
}

/* ---- the verdict ---------------------------------------------------- */

static const char *const judge_conf = "[policy p]\n"				/* 1 */
				      "allow = api.example.com:443/tcp\n"	/* 2 */
				      "allow = *.example.com:80\n"		/* 3 */
				      "allow = **.cdn.example.com private_ok\n" /* 4 */
				      "deny = ads.example.com\n"		/* 5 */
				      "deny = **.track.example.org\n"		/* 6 */
				      "deny = *.example.com:22\n"		/* 7 */
				      "allow = 203.0.113.0/24\n"		/* 8 */
				      "allow = EXAMPLE.net\n";			/* 9 */

struct judge_row {
	const char *name;
	__u32 action;
	int allow_lines[3]; /* the allow entries' lines, 0-ended */
	int deny_line;	    /* 0: none */
	bool private_ok;
};

static const struct judge_row judge_rows[] = {
	/* exact and the one-label wildcard both name it */
	{ "api.example.com", ALLOW, { 2, 3 }, 7, false },
	{ "API.Example.Com.", ALLOW, { 2, 3 }, 7, false },
	/* a deny name, with an allow wildcard: the allow wins */
	{ "ads.example.com", ALLOW, { 3 }, 5, false },
	{ "www.example.com", ALLOW, { 3 }, 7, false },
	/* two labels: only the deep wildcard */
	{ "img.cdn.example.com", ALLOW, { 4 }, 0, true },
	{ "a.b.cdn.example.com", ALLOW, { 4 }, 0, true },
	/* cdn.example.com: one label of *.example.com; not the apex of ** */
	{ "cdn.example.com", ALLOW, { 3 }, 7, false },
	{ "example.com", NONE, { 0 }, 0, false },
	{ "evilexample.com", NONE, { 0 }, 0, false },
	{ "x.track.example.org", DENY, { 0 }, 6, false },
	{ "track.example.org", NONE, { 0 }, 0, false },
	{ "example.net", ALLOW, { 9 }, 0, false },
	/* address entries play no part */
	{ "203.0.113.5", NONE, { 0 }, 0, false },
};

static void parse_conf(const char *text, struct rcc_config *cfg)
{
	if (rcc_config_parse_string("t.conf", text, cfg))
		fail_msg("configuration does not parse:\n%s", text);
}

static void test_judge(void **state)
{
	struct rcc_config cfg;
	size_t i, j;

	(void)state;
	parse_conf(judge_conf, &cfg);
	for (i = 0; i < N(judge_rows); i++) {
		const struct judge_row *r = &judge_rows[i];
		struct rcc_dnsname_verdict v;

		rcc_dnsname_judge(&cfg.policies[0], r->name, &v);
		if (v.action != r->action || v.private_ok != r->private_ok ||
		    (v.deny ? v.deny->line : 0) != r->deny_line || v.more_allow)
			fail_msg("'%s': action %u private_ok %d deny line %d, want %u %d %d",
				 r->name, v.action, v.private_ok, v.deny ? v.deny->line : 0,
				 r->action, r->private_ok, r->deny_line);
		for (j = 0; j < v.nallow || r->allow_lines[j]; j++)
			if (j >= v.nallow || v.allow[j]->line != r->allow_lines[j])
				fail_msg("'%s': allow entry %zu: line %d, want %d", r->name, j,
					 j < v.nallow ? v.allow[j]->line : 0, r->allow_lines[j]);
	}
	rcc_config_free(&cfg);
}

/* More allow entries than a verdict lists: the first are, and it says so. */
static void test_judge_many(void **state)
{
	char text[4096] = "[policy p]\n";
	struct rcc_dnsname_verdict v;
	struct rcc_config cfg;
	int i;

	(void)state;
	for (i = 0; i < RCC_DNSNAME_MAX_RULES + 2; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "allow = **.example.com:%d\n", 1000 + i);
	parse_conf(text, &cfg);
	rcc_dnsname_judge(&cfg.policies[0], "a.example.com", &v);
	assert_int_equal(v.action, ALLOW);
	assert_int_equal(v.nallow, RCC_DNSNAME_MAX_RULES);
	assert_true(v.more_allow);
	assert_int_equal(v.allow[0]->line, 2);
	rcc_config_free(&cfg);
}

/* ---- port rules ----------------------------------------------------- */

struct rule_want {
	__u16 lo, hi;
	__u8 protos;
	__u32 rule_id;
};

static void test_rules(void **state)
{
	static const char *const text = "[policy p]\n"				    /* 1 */
					"allow = 198.51.100.1\n"		    /* 2: entry 1 */
					"allow = *.example.com:443,8000-8100/tcp\n" /* 3: 2 */
					"allow = *.example.com:53\n"		    /* 4: 3 */
					"allow = **.example.com/icmp\n"		    /* 5: 4 */
					"allow = **.example.com\n"		    /* 6: 5 */
					"allow = **.example.com:443/tcp\n";	    /* 7: 6 */
	static const struct rule_want want[] = {
		{ 443, 443, TCP, 2 },  { 8000, 8100, TCP, 2 },	       { 53, 53, TCP | UDP, 3 },
		{ 0, 65535, ICMP, 4 }, { 0, 65535, RCC_PROTO_ANY, 5 },
		/* 443/tcp again: the first entry names it */
	};
	struct rcc_dnsname_verdict v;
	struct rcc_rule out[RCC_MAX_RULES];
	struct rcc_config cfg;
	size_t n, i;

	(void)state;
	parse_conf(text, &cfg);
	rcc_dnsname_judge(&cfg.policies[0], "www.example.com", &v);
	assert_int_equal(v.nallow, 5);
	n = rcc_dnsname_rules(&cfg.policies[0], v.allow, v.nallow, out, N(out));
	assert_int_equal(n, N(want));
	for (i = 0; i < n; i++) {
		if (out[i].port_lo != want[i].lo || out[i].port_hi != want[i].hi ||
		    out[i].protos != want[i].protos || out[i].rule_id != want[i].rule_id ||
		    out[i].action != ALLOW || out[i].pad)
			fail_msg("rule %zu: %u-%u protos %#x id %u action %u, want %u-%u %#x %u", i,
				 out[i].port_lo, out[i].port_hi, out[i].protos, out[i].rule_id,
				 out[i].action, want[i].lo, want[i].hi, want[i].protos,
				 want[i].rule_id);
	}
	/* too many for out: max + 1, and the first max written */
	memset(out, 0, sizeof(out));
	assert_int_equal(rcc_dnsname_rules(&cfg.policies[0], v.allow, v.nallow, out, 3), 4);
	assert_int_equal(out[2].port_lo, 53);
	assert_int_equal(out[3].port_lo, 0);
	assert_int_equal(out[3].rule_id, 0);
	/* exactly max fits */
	assert_int_equal(rcc_dnsname_rules(&cfg.policies[0], v.allow, v.nallow, out, 5), 5);
	assert_int_equal(rcc_dnsname_rules(&cfg.policies[0], v.allow, 0, out, 5), 0);
	rcc_config_free(&cfg);
}

/* ---- check's explanation -------------------------------------------- */

struct explain_row {
	const char *conf;
	const char *name;
	__u16 port;
	__u8 proto;
	__u32 action;
	const char *line;
};

static const char *const conf_allowlist = "[policy p]\n"			     /* 1 */
					  "allow_public = no\n"			     /* 2 */
					  "allow = *.example.com:443/tcp\n"	     /* 3 */
					  "allow = api.example.com:8000-8100\n"	     /* 4 */
					  "deny = ads.example.com\n"		     /* 5 */
					  "deny = **.track.example.com\n"	     /* 6 */
					  "allow = **.cdn.example.org private_ok\n"; /* 7 */
static const char *const conf_public = "[policy p]\n"				     /* 1 */
				       "deny = *.ads.example.com\n";		     /* 2 */
static const char *const conf_open = "[policy p]\n"				     /* 1 */
				     "dns = open\n"				     /* 2 */
				     "allow = api.example.com\n";		     /* 3 */

static const struct explain_row explain_rows[] = {
	{ conf_allowlist, "www.example.com", 0, 0, ALLOW,
	  "answered (dns = proxy): allow = *.example.com:443/tcp (line 3) admits it; its addresses are allowed for 443/tcp; private, loopback and host answers are stripped (rebinding guard)" },
	{ conf_allowlist, "api.example.com", 8080, UDP, ALLOW,
	  "answered (dns = proxy): allow = *.example.com:443/tcp (line 3), allow = api.example.com:8000-8100 (line 4) admit it; its addresses are allowed for 443/tcp, 8000-8100/tcp+udp; private, loopback and host answers are stripped (rebinding guard); 8080/udp: allowed" },
	{ conf_allowlist, "www.example.com", 22, TCP, ALLOW,
	  "answered (dns = proxy): allow = *.example.com:443/tcp (line 3) admits it; its addresses are allowed for 443/tcp; private, loopback and host answers are stripped (rebinding guard); 22/tcp is not among them: judged as any other address" },
	{ conf_allowlist, "ads.example.com", 0, 0, ALLOW,
	  "answered (dns = proxy): allow = *.example.com:443/tcp (line 3) admits it (over deny = ads.example.com, line 5: allow entries win); its addresses are allowed for 443/tcp; private, loopback and host answers are stripped (rebinding guard)" },
	{ conf_allowlist, "a.b.cdn.example.org", 0, ICMP, ALLOW,
	  "answered (dns = proxy): allow = **.cdn.example.org private_ok (line 7) admits it; its addresses are allowed for every port and protocol; private answers are kept (private_ok); icmp: allowed" },
	{ conf_allowlist, "x.y.track.example.com", 0, 0, DENY,
	  "nxdomain: deny = **.track.example.com (line 6)" },
	{ conf_allowlist, "example.com", 0, 0, NONE,
	  "nxdomain: no allow entry names it (allow_public = no)" },
	{ conf_public, "x.ads.example.com", 0, 0, DENY,
	  "nxdomain: deny = *.ads.example.com (line 2)" },
	{ conf_public, "example.com", 0, 0, NONE,
	  "resolved (allow_public = yes); its addresses are judged as any other" },
	{ conf_open, "api.example.com", 0, 0, ALLOW,
	  "dns = open: the sandbox's own resolver answers; rcc-bpf resolves the name itself and its addresses are judged as any other" },
};

static void test_explain(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(explain_rows); i++) {
		const struct explain_row *r = &explain_rows[i];
		struct rcc_config cfg;
		char line[1024];
		__u32 action;

		parse_conf(r->conf, &cfg);
		action = rcc_dnsname_explain(&cfg.policies[0], r->name, r->port, r->proto, line,
					     sizeof(line));
		if (action != r->action || strcmp(line, r->line))
			fail_msg("'%s': %u '%s',\nwant %u '%s'", r->name, action, line, r->action,
				 r->line);
		rcc_config_free(&cfg);
	}
}

/* An exact deny name is also resolved by the daemon: said so. */
static void test_explain_exact_deny(void **state)
{
	struct rcc_config cfg;
	char line[512], small[16];

	(void)state;
	parse_conf("[policy p]\ndeny = ads.example.com:443\n", &cfg);
	assert_int_equal(rcc_dnsname_explain(&cfg.policies[0], "ADS.example.com.", 0, 0, line,
					     sizeof(line)),
			 DENY);
	assert_string_equal(
		line,
		"nxdomain: deny = ads.example.com:443 (line 2); the addresses rcc-bpf resolves for it are denied too");
	/* a small buffer: cut, terminated */
	rcc_dnsname_explain(&cfg.policies[0], "ads.example.com", 0, 0, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	rcc_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),	     cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_entry_syntax), cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_many),   cmocka_unit_test(test_rules),
		cmocka_unit_test(test_explain),	     cmocka_unit_test(test_explain_exact_deny),
	};

	return cmocka_run_group_tests_name("dnsname", tests, NULL, NULL);
}
