// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/config.c: the INI configuration, parsed from strings
 * with rcc_config_parse_string.  Errors go to stderr as NAME:LINE: message;
 * the tests capture fd 2 into a temporary file to check them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/config.h"
#include "rcc_shared.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- stderr capture ------------------------------------------------- */

static char errbuf[16384];

/* Parses text as "t.conf" with stderr captured into errbuf. */
static int parse_cap(const char *text, struct rcc_config *cfg)
{
	FILE *tmp;
	int saved, rc;
	ssize_t n;

	fflush(stderr);
	tmp = tmpfile();
	assert_non_null(tmp);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	rc = rcc_config_parse_string("t.conf", text, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fileno(tmp), errbuf, sizeof(errbuf) - 1, 0);
	errbuf[n > 0 ? n : 0] = '\0';
	fclose(tmp);
	return rc;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* errbuf holds exactly this line (with its newline) */
static void expect_err_line(const char *ctx, const char *line)
{
	char want[1024];
	const char *p = errbuf;
	size_t n;

	snprintf(want, sizeof(want), "%s\n", line);
	n = strlen(want);
	for (;;) {
		if (!strncmp(p, want, n))
			return;
		p = strchr(p, '\n');
		if (!p || !*++p)
			break;
	}
	fail_msg("%s: no line '%s' in stderr:\n%s", ctx, line, errbuf);
}

/* Parses text, wants success and silence. */
static void parse_ok(const char *ctx, const char *text, struct rcc_config *cfg)
{
	int rc = parse_cap(text, cfg);

	if (rc != 0 || errbuf[0])
		fail_msg("%s: rc %d, stderr:\n%s", ctx, rc, errbuf);
}

/* Parses text, wants -EINVAL and exactly the one error line. */
static void parse_one_error(const char *ctx, const char *text, const char *line)
{
	struct rcc_config cfg;
	int rc = parse_cap(text, &cfg);

	rcc_config_free(&cfg);
	if (rc != -EINVAL)
		fail_msg("%s: rc %d, want -EINVAL; stderr:\n%s", ctx, rc, errbuf);
	expect_err_line(ctx, line);
	if (count_lines(errbuf) != 1)
		fail_msg("%s: want one error, got:\n%s", ctx, errbuf);
}

/* ---- defaults ------------------------------------------------------- */

static void test_defaults_empty(void **state)
{
	struct rcc_config cfg;

	(void)state;
	parse_ok("empty", "", &cfg);
	assert_string_equal(cfg.path, "t.conf");
	assert_string_equal(cfg.pin_dir, RCC_DEFAULT_PIN_DIR);
	assert_string_equal(cfg.run_cgroup, RCC_DEFAULT_RUN_CGROUP);
	assert_int_equal(cfg.max_cgroups, 16384);
	assert_int_equal(cfg.max_ports, 1u << 21);
	assert_int_equal(cfg.max_addrs, 1u << 20);
	assert_int_equal(cfg.max_prefixes, 1u << 16);
	/* a file without [policy default] still has the built-in one */
	assert_int_equal(cfg.npolicies, 1);
	assert_non_null(rcc_config_policy(&cfg, "default"));
	assert_true(rcc_config_policy(&cfg, "default")->block_private);
	assert_true(rcc_config_policy(&cfg, "default")->allow_public);
	rcc_config_free(&cfg);

	parse_ok("comments only", "; a comment\n# another\n\n   \n", &cfg);
	assert_int_equal(cfg.npolicies, 1);
	rcc_config_free(&cfg);
}

static void test_policy_defaults(void **state)
{
	struct rcc_config cfg;
	const struct rcc_policy_cfg *p;
	struct rcc_policy_cfg d;
	size_t i;

	(void)state;
	parse_ok("empty policy", "\n[policy web]\n", &cfg);
	assert_int_equal(cfg.npolicies, 2); /* and the built-in default */
	p = rcc_config_policy(&cfg, "web");
	assert_non_null(p);
	assert_string_equal(p->name, "web");
	assert_int_equal(p->line, 2);
	assert_false(p->audit);
	assert_true(p->block_private);
	assert_true(p->block_host);
	assert_true(p->allow_loopback);
	assert_true(p->allow_public);
	assert_false(p->allow_raw_sockets);
	for (i = 0; i < 8; i++)
		assert_int_equal(p->protocols[i], 0);
	assert_int_equal(p->nentries, 0);
	assert_null(rcc_config_policy(&cfg, "we"));
	rcc_config_free(&cfg);
	assert_int_equal(cfg.npolicies, 0);
	assert_null(cfg.policies);

	memset(&d, 0xa5, sizeof(d));
	rcc_config_policy_defaults(&d, "x");
	assert_string_equal(d.name, "x");
	assert_true(d.block_private && d.block_host && d.allow_loopback && d.allow_public);
	assert_false(d.audit || d.allow_raw_sockets);
	assert_null(d.entries);
	assert_int_equal(d.nentries, 0);
	assert_int_equal(d.seen, 0);
	assert_int_equal(d.protocols[3], 0);
}

/* ---- every key ------------------------------------------------------ */

static void test_global_keys(void **state)
{
	struct rcc_config cfg;

	(void)state;
	parse_ok("global keys",
		 "[global]\n"
		 "pin_dir = /sys/fs/bpf/other\n"
		 "run_cgroup = /sandbox.slice/run\n"
		 "max_cgroups = 100\n"
		 "max_port_entries = 16\n"
		 "max_address_entries = 67108864\n"
		 "max_prefix_entries = 4096\n",
		 &cfg);
	assert_string_equal(cfg.pin_dir, "/sys/fs/bpf/other");
	assert_string_equal(cfg.run_cgroup, "sandbox.slice/run"); /* leading '/' dropped */
	assert_int_equal(cfg.max_cgroups, 100);
	assert_int_equal(cfg.max_ports, 16);
	assert_int_equal(cfg.max_addrs, 1u << 26);
	assert_int_equal(cfg.max_prefixes, 4096);
	assert_int_equal(cfg.npolicies, 1);
	rcc_config_free(&cfg);

	parse_ok("relative run_cgroup", "[global]\nrun_cgroup = a/b\n", &cfg);
	assert_string_equal(cfg.run_cgroup, "a/b");
	rcc_config_free(&cfg);
}

static void test_policy_keys(void **state)
{
	struct rcc_config cfg;
	const struct rcc_policy_cfg *p;

	(void)state;
	parse_ok("policy keys",
		 "[policy sandbox]\n"
		 "mode = audit\n"
		 "block_private = no\n"
		 "block_host = no\n"
		 "allow_loopback = no\n"
		 "allow_public = no\n"
		 "allow_raw_sockets = yes\n"
		 "allow_protocols = 132, 47\n"
		 "allow = 10.1.0.0/16:5432/tcp\n"
		 "deny = 198.51.100.0/24\n"
		 "allow = 198.51.100.7\n",
		 &cfg);
	p = rcc_config_policy(&cfg, "sandbox");
	assert_non_null(p);
	assert_int_equal(p->line, 1);
	assert_true(p->audit);
	assert_false(p->block_private);
	assert_false(p->block_host);
	assert_false(p->allow_loopback);
	assert_false(p->allow_public);
	assert_true(p->allow_raw_sockets);
	assert_int_equal(p->protocols[0], 1ull << 47);
	assert_int_equal(p->protocols[2], 1ull << (132 - 128));
	assert_int_equal(p->protocols[1], 0);
	assert_int_equal(p->nentries, 3);
	assert_int_equal(p->entries[0].action, RCC_ACT_ALLOW);
	assert_string_equal(p->entries[0].text, "10.1.0.0/16:5432/tcp");
	assert_int_equal(p->entries[0].line, 9);
	assert_int_equal(p->entries[0].protos, RCC_PROTO_TCP);
	assert_int_equal(p->entries[1].action, RCC_ACT_DENY);
	assert_string_equal(p->entries[1].text, "198.51.100.0/24");
	assert_int_equal(p->entries[1].line, 10);
	assert_int_equal(p->entries[2].action, RCC_ACT_ALLOW);
	assert_int_equal(p->entries[2].line, 11);
	rcc_config_free(&cfg);

	parse_ok("mode enforce", "[policy a]\nmode = enforce\n", &cfg);
	assert_false(cfg.policies[0].audit);
	rcc_config_free(&cfg);
}

static void test_many_entries_and_policies(void **state)
{
	/* entries grow past the first allocation; several policies in order */
	char *text = malloc(16384);
	struct rcc_config cfg;
	size_t n = 0, i;

	(void)state;
	assert_non_null(text);
	n += sprintf(text + n, "[policy one]\n");
	for (i = 0; i < 40; i++)
		n += sprintf(text + n, "%s = 10.0.%zu.0/24\n", i % 2 ? "deny" : "allow", i);
	n += sprintf(text + n, "[policy two]\nallow = 192.0.2.1\n[policy three]\n");
	parse_ok("many", text, &cfg);
	free(text);
	assert_int_equal(cfg.npolicies, 4); /* and the built-in default, last */
	assert_string_equal(cfg.policies[3].name, "default");
	assert_string_equal(cfg.policies[0].name, "one");
	assert_string_equal(cfg.policies[1].name, "two");
	assert_string_equal(cfg.policies[2].name, "three");
	assert_int_equal(cfg.policies[1].line, 42);
	assert_int_equal(cfg.policies[2].line, 44);
	assert_int_equal(cfg.policies[0].nentries, 40);
	for (i = 0; i < 40; i++) {
		char want[32];

		snprintf(want, sizeof(want), "10.0.%zu.0/24", i);
		assert_string_equal(cfg.policies[0].entries[i].text, want);
		assert_int_equal(cfg.policies[0].entries[i].line, (int)i + 2);
		assert_int_equal(cfg.policies[0].entries[i].action,
				 i % 2 ? RCC_ACT_DENY : RCC_ACT_ALLOW);
	}
	assert_int_equal(cfg.policies[1].nentries, 1);
	assert_int_equal(cfg.policies[2].nentries, 0);
	rcc_config_free(&cfg);
}

/* ---- booleans ------------------------------------------------------- */

struct bool_row {
	const char *value;
	int want; /* 1 yes, 0 no, -1 error */
};

static const struct bool_row bool_rows[] = {
	{ "yes", 1 },	   { "true", 1 }, { "on", 1 },	  { "1", 1 },	  { "YES", 1 },
	{ "True", 1 },	   { "On", 1 },	  { "no", 0 },	  { "false", 0 }, { "off", 0 },
	{ "0", 0 },	   { "NO", 0 },	  { "FALSE", 0 }, { "Off", 0 },	  { "maybe", -1 },
	{ "2", -1 },	   { "y", -1 },	  { "n", -1 },	  { "", -1 },	  { "yes please", -1 },
	{ "enabled", -1 },
};

static const char *const bool_keys[] = {
	"block_private", "block_host", "allow_loopback", "allow_public", "allow_raw_sockets",
};

static bool bool_field(const struct rcc_policy_cfg *p, size_t k)
{
	switch (k) {
	case 0:
		return p->block_private;
	case 1:
		return p->block_host;
	case 2:
		return p->allow_loopback;
	case 3:
		return p->allow_public;
	default:
		return p->allow_raw_sockets;
	}
}

static void test_booleans(void **state)
{
	size_t k, i;

	(void)state;
	for (k = 0; k < N(bool_keys); k++) {
		for (i = 0; i < N(bool_rows); i++) {
			const struct bool_row *r = &bool_rows[i];
			struct rcc_config cfg;
			char text[256], ctx[128], line[256];
			int rc;

			snprintf(ctx, sizeof(ctx), "%s = '%s'", bool_keys[k], r->value);
			snprintf(text, sizeof(text), "[policy p]\n%s = %s\n", bool_keys[k],
				 r->value);
			rc = parse_cap(text, &cfg);
			if (r->want < 0) {
				rcc_config_free(&cfg);
				if (rc != -EINVAL)
					fail_msg("%s: rc %d, want -EINVAL", ctx, rc);
				snprintf(line, sizeof(line), "t.conf:2: %s: '%s' is not yes or no",
					 bool_keys[k], r->value);
				expect_err_line(ctx, line);
				continue;
			}
			if (rc || errbuf[0])
				fail_msg("%s: rc %d, stderr %s", ctx, rc, errbuf);
			if (bool_field(&cfg.policies[0], k) != (r->want == 1))
				fail_msg("%s: got %d", ctx, !(r->want == 1));
			/* the other flags keep their defaults */
			if (k != 0 && !cfg.policies[0].block_private)
				fail_msg("%s: block_private changed", ctx);
			if (k != 4 && cfg.policies[0].allow_raw_sockets)
				fail_msg("%s: allow_raw_sockets changed", ctx);
			rcc_config_free(&cfg);
		}
	}
}

/* ---- single errors: exact messages with their line ------------------ */

struct err_row {
	const char *ctx;
	const char *text;
	const char *line; /* the one line on stderr */
};

static const struct err_row err_rows[] = {
	{ "unknown global key", "[global]\nfoo = 1\n", "t.conf:2: unknown key 'foo' in [global]" },
	{ "policy key in [global]", "[global]\nmode = audit\n",
	  "t.conf:2: unknown key 'mode' in [global]" },
	{ "global key in a policy", "[policy web]\npin_dir = /x\n",
	  "t.conf:2: unknown key 'pin_dir' in [policy web]" },
	{ "empty entry", "[policy a]\nallow =\n", "t.conf:2: allow = : empty entry" },
	{ "unknown policy key", "[policy web]\n\nallow_everything = yes\n",
	  "t.conf:3: unknown key 'allow_everything' in [policy web]" },
	{ "key names are case-sensitive", "[policy web]\nMode = audit\n",
	  "t.conf:2: unknown key 'Mode' in [policy web]" },
	{ "unknown section", "[globals]\npin_dir = /x\n",
	  "t.conf:1: unknown section [globals] (expected [global], [containers] or [policy NAME])" },
	{ "policy without name", "[policy]\nmode = audit\n",
	  "t.conf:1: unknown section [policy] (expected [global], [containers] or [policy NAME])" },
	{ "bad policy name", "[policy a/b]\nmode = audit\n",
	  "t.conf:1: bad policy name 'a/b' (letters, digits, '_', '.', '-'; at most 63)" },
	{ "duplicate policy", "[policy a]\n[policy b]\n[policy a]\nmode = audit\n",
	  "t.conf:3: duplicate policy 'a' (first at line 1)" },
	{ "duplicate policy key", "[policy a]\nmode = audit\nmode = enforce\n",
	  "t.conf:3: 'mode' given twice in [policy a]" },
	{ "duplicate bool", "[policy a]\nblock_host = no\nallow_public = no\nblock_host = yes\n",
	  "t.conf:4: 'block_host' given twice in [policy a]" },
	{ "duplicate allow_protocols", "[policy a]\nallow_protocols = 47\nallow_protocols = 50\n",
	  "t.conf:3: 'allow_protocols' given twice in [policy a]" },
	{ "duplicate global key", "[global]\nmax_cgroups = 20\nmax_cgroups = 30\n",
	  "t.conf:3: 'max_cgroups' given twice in [global]" },
	{ "duplicate global key, two sections",
	  "[global]\npin_dir = /a\n[policy p]\n[global]\npin_dir = /b\n",
	  "t.conf:5: 'pin_dir' given twice in [global]" },
	{ "key outside section", "\nmode = audit\n[policy a]\n",
	  "t.conf:2: 'mode' outside any section" },
	{ "syntax error", "[policy a]\nthis is not a key\n",
	  "t.conf:2: syntax error (expected [section] or key = value)" },
	{ "section without ]", "[policy a]\n[policy b\nmode = audit\n",
	  "t.conf:2: section header without ']'" },
	{ "bad mode", "[policy a]\nmode = block\n",
	  "t.conf:2: mode: 'block' is neither enforce nor audit" },
	{ "bad entry", "[policy a]\nallow = 10.0.0.1/8\n",
	  "t.conf:2: allow = 10.0.0.1/8: '10.0.0.1/8' has bits set after the prefix; did you mean 10.0.0.0/8?" },
	{ "bad deny entry", "[policy a]\n\n\ndeny = 10.0.0.1:0\n",
	  "t.conf:4: deny = 10.0.0.1:0: bad port '0' (ports are 1-65535)" },
	{ "pin_dir relative", "[global]\npin_dir = sys/fs/bpf\n",
	  "t.conf:2: pin_dir: 'sys/fs/bpf' is not an absolute path" },
	{ "pin_dir empty", "[global]\npin_dir =\n",
	  "t.conf:2: pin_dir: '' is not an absolute path" },
	{ "run_cgroup with ..", "[global]\nrun_cgroup = ../escape\n",
	  "t.conf:2: run_cgroup: '../escape' is not a cgroup path" },
	{ "run_cgroup empty", "[global]\nrun_cgroup =\n",
	  "t.conf:2: run_cgroup: '' is not a cgroup path" },
	{ "unknown protocol", "[policy a]\nallow_protocols = 47, nosuchproto\n",
	  "t.conf:2: allow_protocols: unknown protocol 'nosuchproto'" },
	{ "protocol over 255", "[policy a]\nallow_protocols = 256\n",
	  "t.conf:2: allow_protocols: unknown protocol '256'" },
	{ "dns_min_ttl zero", "[global]\ndns_min_ttl = 0\n",
	  "t.conf:2: dns_min_ttl: '0' is not a number of seconds from 1 to 604800" },
	{ "dns_max_ttl words", "[global]\ndns_max_ttl = 5m\n",
	  "t.conf:2: dns_max_ttl: '5m' is not a number of seconds from 1 to 604800" },
	{ "dns min above max", "[global]\ndns_max_ttl = 10\ndns_min_ttl = 30\n",
	  "t.conf:3: dns_min_ttl (30) is above dns_max_ttl (10)" },
	{ "resolver a name", "[global]\nresolver = ns.example\n",
	  "t.conf:2: resolver: 'ns.example' is not ADDR[:PORT] (e.g. 10.0.0.53, 10.0.0.53:5353, [2001:db8::53]:53)" },
	{ "control_socket relative", "[global]\ncontrol_socket = run/x.sock\n",
	  "t.conf:2: control_socket: 'run/x.sock' is not an absolute path of under 100 bytes" },
	{ "runtime_sockets relative", "[global]\nruntime_sockets = /run/docker.sock run/x.sock\n",
	  "t.conf:2: runtime_sockets: 'run/x.sock' is not an absolute path" },
	{ "private_ok on an address", "[policy a]\nallow = 10.0.0.1:80 private_ok\n",
	  "t.conf:2: allow = 10.0.0.1:80 private_ok: private_ok is for allow = HOSTNAME entries (it lets the name resolve to private addresses)" },
	{ "dns_query_rate zero", "[global]\ndns_query_rate = 0\n",
	  "t.conf:2: dns_query_rate: '0' is not a number from 1 to 1000000" },
	{ "dns_query_rate too high", "[global]\ndns_query_rate = 1000001\n",
	  "t.conf:2: dns_query_rate: '1000001' is not a number from 1 to 1000000" },
	{ "dns_answer_grace over an hour", "[global]\ndns_answer_grace = 3601\n",
	  "t.conf:2: dns_answer_grace: '3601' is not a number of seconds from 0 to 3600" },
	{ "bad dns mode", "[policy a]\ndns = closed\n",
	  "t.conf:2: dns: 'closed' is neither proxy nor open" },
	{ "a '*' inside a label", "[policy a]\nallow = a*.b.com:443\n",
	  "t.conf:2: allow = a*.b.com:443: bad wildcard 'a*.b.com' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "a '*' alone", "[policy a]\n\nallow = *\n",
	  "t.conf:3: allow = *: bad wildcard '*' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)" },
	{ "a wildcard of a top-level domain", "[policy a]\ndeny = *.com\n",
	  "t.conf:2: deny = *.com: '*.com' is too broad: a wildcard's zone needs two labels or more (*.example.com)" },
	{ "a deep wildcard of a top-level domain", "[policy a]\nallow = **.com.:443\n",
	  "t.conf:2: allow = **.com.:443: '**.com.' is too broad: a wildcard's zone needs two labels or more (*.example.com)" },
	{ "a wildcard with dns = open after it",
	  "[policy a]\nallow = *.Example.com:443/tcp\ndns = open\n",
	  "t.conf:2: *.example.com: a wildcard needs dns = proxy (rcc-bpf answers the sandbox's DNS)" },
	{ "a deny wildcard with dns = open before it",
	  "[policy a]\ndns = open\n\ndeny = **.ads.example.com\n[policy b]\nallow = *.b.example\n",
	  "t.conf:4: **.ads.example.com: a wildcard needs dns = proxy (rcc-bpf answers the sandbox's DNS)" },
};

static void test_dns_keys(void **state)
{
	struct rcc_config cfg;

	(void)state;
	assert_int_equal(parse_cap("[policy a]\n", &cfg), 0);
	assert_int_equal(cfg.dns_min_ttl, 5);
	assert_int_equal(cfg.dns_max_ttl, 300);
	assert_int_equal(cfg.dns_stale_grace, 3600);
	assert_string_equal(cfg.resolver, "");
	assert_string_equal(cfg.control_socket, "/run/rcc-bpf/control.sock");
	assert_string_equal(cfg.runtime_sockets, RCC_DEFAULT_RUNTIME_SOCKETS);
	rcc_config_free(&cfg);
	assert_int_equal(parse_cap("[global]\nruntime_sockets =\n", &cfg), 0);
	assert_string_equal(cfg.runtime_sockets, "");
	rcc_config_free(&cfg);
	assert_int_equal(parse_cap("[global]\ndns_min_ttl = 1\ndns_max_ttl = 60\n"
				   "dns_stale_grace = 0\nresolver = [2001:db8::53]:5353\n"
				   "control_socket = /tmp/t.sock\n",
				   &cfg),
			 0);
	assert_int_equal(cfg.dns_min_ttl, 1);
	assert_int_equal(cfg.dns_max_ttl, 60);
	assert_int_equal(cfg.dns_stale_grace, 0);
	assert_string_equal(cfg.resolver, "[2001:db8::53]:5353");
	assert_string_equal(cfg.control_socket, "/tmp/t.sock");
	rcc_config_free(&cfg);
}

/* dns = proxy (the default) and its keys; wildcards need it. */
static void test_dns_proxy_keys(void **state)
{
	struct rcc_config cfg;

	(void)state;
	parse_ok("proxy defaults", "[policy a]\n[policy b]\ndns = open\n[policy c]\ndns = PROXY\n",
		 &cfg);
	assert_int_equal(cfg.dns_query_rate, 100);
	assert_int_equal(cfg.dns_answer_grace, 30);
	assert_int_equal(cfg.dns_max_learned, 65536);
	assert_true(rcc_config_policy(&cfg, "a")->dns_proxy);
	assert_false(rcc_config_policy(&cfg, "b")->dns_proxy);
	assert_true(rcc_config_policy(&cfg, "c")->dns_proxy);
	rcc_config_free(&cfg);
	parse_ok("proxy keys set",
		 "[global]\ndns_query_rate = 1000000\ndns_answer_grace = 0\n"
		 "max_learned_entries = 16\n[policy a]\n"
		 "allow = *.Example.com:443/tcp\n"
		 "deny = **.ads.example.com.\n"
		 "allow = API.example.org:80 private_ok\n",
		 &cfg);
	assert_int_equal(cfg.dns_query_rate, 1000000);
	assert_int_equal(cfg.dns_answer_grace, 0);
	assert_int_equal(cfg.dns_max_learned, 16);
	assert_string_equal(cfg.policies[0].entries[0].host, "*.example.com");
	assert_int_equal(cfg.policies[0].entries[0].flags, RCC_ENTRY_WILDCARD);
	assert_string_equal(cfg.policies[0].entries[1].host, "**.ads.example.com");
	assert_int_equal(cfg.policies[0].entries[1].action, RCC_ACT_DENY);
	assert_string_equal(cfg.policies[0].entries[2].host, "api.example.org");
	assert_int_equal(cfg.policies[0].entries[2].flags, RCC_ENTRY_PRIVATE_OK);
	rcc_config_free(&cfg);
	parse_ok("dns_query_rate 1, grace an hour",
		 "[global]\ndns_query_rate = 1\ndns_answer_grace = 3600\n", &cfg);
	assert_int_equal(cfg.dns_query_rate, 1);
	assert_int_equal(cfg.dns_answer_grace, 3600);
	rcc_config_free(&cfg);
}

static void test_single_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(err_rows); i++)
		parse_one_error(err_rows[i].ctx, err_rows[i].text, err_rows[i].line);
}

/* The first of two duplicates wins; the policy keeps its first line. */
static void test_duplicates_keep_first(void **state)
{
	struct rcc_config cfg;

	(void)state;
	assert_int_equal(parse_cap("[policy a]\nmode = audit\nmode = enforce\n"
				   "[policy a]\nallow = 10.0.0.1\n",
				   &cfg),
			 -EINVAL);
	assert_int_equal(cfg.npolicies, 1);
	assert_true(cfg.policies[0].audit);
	assert_int_equal(cfg.policies[0].line, 1);
	/* keys of the duplicate section are not added to the first one */
	assert_int_equal(cfg.policies[0].nentries, 0);
	rcc_config_free(&cfg);
}

/* Keys under a rejected section are not reported again one by one. */
static void test_bad_section_keys_ignored(void **state)
{
	(void)state;
	parse_one_error(
		"keys under unknown section", "[nonsense]\nfoo = 1\nbar = 2\nallow = junk junk\n",
		"t.conf:1: unknown section [nonsense] (expected [global], [containers] or [policy NAME])");
	parse_one_error("keys under duplicate policy",
			"[policy a]\n[policy a]\nfoo = 1\nmode = nonsense\n",
			"t.conf:2: duplicate policy 'a' (first at line 1)");
}

/* ---- every error, with its own line ---------------------------------- */

static void test_all_errors_reported(void **state)
{
	static const char *const want[] = {
		"t.conf:1: 'allow' outside any section",
		"t.conf:3: pin_dir: 'rel' is not an absolute path",
		"t.conf:4: max_cgroups: '15' is not a number from 16 to 67108864",
		"t.conf:5: unknown key 'foo' in [global]",
		"t.conf:7: allow = 10.0.0.1/8: '10.0.0.1/8' has bits set after the prefix; did you mean 10.0.0.0/8?",
		"t.conf:8: mode: 'x' is neither enforce nor audit",
		"t.conf:9: unknown key 'bogus' in [policy a]",
		"t.conf:10: allow_public: 'perhaps' is not yes or no",
		"t.conf:11: deny = 300.1.1.1: bad address '300.1.1.1'",
		"t.conf:12: duplicate policy 'a' (first at line 6)",
		"t.conf:14: unknown section [weird] (expected [global], [containers] or [policy NAME])",
		"t.conf:16: syntax error (expected [section] or key = value)",
		"t.conf:17: section header without ']'",
		"t.conf:19: syntax error (expected [section] or key = value)",
		"t.conf:20: allow = 10.0.0.1:65536: bad port '65536' (ports are 1-65535)",
	};
	const char *text = "allow = 1.2.3.4\n"	       /* 1 */
			   "[global]\n"		       /* 2 */
			   "pin_dir = rel\n"	       /* 3 */
			   "max_cgroups = 15\n"	       /* 4 */
			   "foo = 1\n"		       /* 5 */
			   "[policy a]\n"	       /* 6 */
			   "allow = 10.0.0.1/8\n"      /* 7 */
			   "mode = x\n"		       /* 8 */
			   "bogus = 1\n"	       /* 9 */
			   "allow_public = perhaps\n"  /* 10 */
			   "deny = 300.1.1.1\n"	       /* 11 */
			   "[policy a]\n"	       /* 12 */
			   "allow = 1.1.1.1\n"	       /* 13 */
			   "[weird]\n"		       /* 14 */
			   "x = 1\n"		       /* 15 */
			   "not a line\n"	       /* 16 */
			   "[policy b\n"	       /* 17 */
			   "[policy c]\n"	       /* 18 */
			   "neither\n"		       /* 19 */
			   "allow = 10.0.0.1:65536\n"; /* 20 */
	struct rcc_config cfg;
	size_t i;

	(void)state;
	assert_int_equal(parse_cap(text, &cfg), -EINVAL);
	for (i = 0; i < N(want); i++)
		expect_err_line("all errors", want[i]);
	if (count_lines(errbuf) != (int)N(want))
		fail_msg("want %zu error lines, got:\n%s", N(want), errbuf);
	/* everything good was still read */
	assert_int_equal(cfg.npolicies, 2);
	assert_non_null(rcc_config_policy(&cfg, "c"));
	rcc_config_free(&cfg);
}

/* An error does not shift the line numbers of those after it. */
static void test_line_numbers_after_long_line(void **state)
{
	char text[1024];
	struct rcc_config cfg;
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "[policy a]\nallow = ");
	memset(text + n, 'x', 300);
	n += 300;
	snprintf(text + n, sizeof(text) - n, "\nmode = bad\n\nblock_host = maybe\n");
	assert_int_equal(parse_cap(text, &cfg), -EINVAL);
	assert_non_null(strstr(errbuf, "t.conf:2: line too long"));
	expect_err_line("after long line", "t.conf:3: mode: 'bad' is neither enforce nor audit");
	expect_err_line("after long line", "t.conf:5: block_host: 'maybe' is not yes or no");
	assert_int_equal(count_lines(errbuf), 3);
	rcc_config_free(&cfg);
}

/* ---- layout: indentation, comments, CRLF, no final newline ----------- */

static void test_indentation_harmless(void **state)
{
	struct rcc_config cfg;
	const struct rcc_policy_cfg *p;

	(void)state;
	parse_ok("indented",
		 "  [global]\n"
		 "\tpin_dir = /sys/fs/bpf/x\n"
		 "[policy web]\n"
		 "    allow = 10.0.0.1\n"
		 "    allow = 10.0.0.2\n"
		 "\t  deny = 10.0.0.3\n"
		 "  mode = audit\n"
		 "  [ policy  db ]\n"
		 "   block_private = no\n",
		 &cfg);
	assert_string_equal(cfg.pin_dir, "/sys/fs/bpf/x");
	p = rcc_config_policy(&cfg, "web");
	assert_non_null(p);
	/* each indented line is its own entry, not a continuation */
	assert_int_equal(p->nentries, 3);
	assert_string_equal(p->entries[0].text, "10.0.0.1");
	assert_string_equal(p->entries[1].text, "10.0.0.2");
	assert_string_equal(p->entries[2].text, "10.0.0.3");
	assert_int_equal(p->entries[2].action, RCC_ACT_DENY);
	assert_int_equal(p->entries[2].line, 6);
	assert_true(p->audit);
	p = rcc_config_policy(&cfg, "db");
	assert_non_null(p);
	assert_int_equal(p->line, 8);
	assert_false(p->block_private);
	rcc_config_free(&cfg);
}

static void test_comments_crlf_and_eof(void **state)
{
	struct rcc_config cfg;
	const struct rcc_policy_cfg *p;

	(void)state;
	parse_ok("comments",
		 "# leading comment\n"
		 "; another\n"
		 "[policy a] ; trailing comment\n"
		 "mode = audit ; why\n"
		 "  # indented comment\n"
		 "allow = 10.0.0.1:80 ; web\n",
		 &cfg);
	p = rcc_config_policy(&cfg, "a");
	assert_non_null(p);
	assert_true(p->audit);
	assert_int_equal(p->nentries, 1);
	assert_string_equal(p->entries[0].text, "10.0.0.1:80");
	assert_int_equal(p->entries[0].line, 6);
	rcc_config_free(&cfg);

	parse_ok("crlf", "[policy a]\r\nmode = audit\r\nallow = 10.0.0.1\r\n", &cfg);
	assert_true(cfg.policies[0].audit);
	assert_int_equal(cfg.policies[0].nentries, 1);
	assert_string_equal(cfg.policies[0].entries[0].text, "10.0.0.1");
	rcc_config_free(&cfg);

	parse_ok("no final newline", "[policy a]\nallow_public = no", &cfg);
	assert_false(cfg.policies[0].allow_public);
	rcc_config_free(&cfg);

	parse_one_error("error on a last line without newline", "[policy a]\n\nallow_public = nah",
			"t.conf:3: allow_public: 'nah' is not yes or no");
}

/* ---- allow_protocols ------------------------------------------------- */

struct proto_row {
	const char *value;
	int bits[4];	   /* protocol numbers expected set, -1 ends */
	const char *needs; /* a name /etc/protocols must know, or NULL */
};

static const struct proto_row proto_rows[] = {
	{ "47", { 47, -1 }, NULL },
	{ "gre", { 47, -1 }, "gre" },
	{ "sctp", { 132, -1 }, "sctp" },
	{ "sctp, gre", { 132, 47, -1 }, "sctp" },
	{ "SCTP", { 132, -1 }, "SCTP" }, /* the alias column */
	{ "udplite\t50", { 136, 50, -1 }, "udplite" },
	{ "132 47", { 132, 47, -1 }, NULL },
	{ "0,255", { 0, 255, -1 }, NULL },
	{ "mptcp", { 262, -1 }, NULL }, /* IPPROTO_MPTCP, a socket() protocol */
	{ "64 63 65", { 63, 64, 65, -1 }, NULL },
	{ "", { -1 }, NULL },
};

static void test_allow_protocols(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(proto_rows); i++) {
		const struct proto_row *r = &proto_rows[i];
		struct rcc_config cfg;
		__u64 want[8] = { 0 };
		char text[256], ctx[64];
		size_t j;

		/* netbase's /etc/protocols is a dependency (tools/deps.sh) */
		if (r->needs && !getprotobyname(r->needs))
			fail_msg("/etc/protocols lacks %s: install netbase", r->needs);
		snprintf(ctx, sizeof(ctx), "allow_protocols = '%s'", r->value);
		snprintf(text, sizeof(text), "[policy p]\nallow_protocols = %s\n", r->value);
		for (j = 0; r->bits[j] >= 0; j++)
			want[r->bits[j] / 64] |= 1ull << (r->bits[j] % 64);
		parse_ok(ctx, text, &cfg);
		for (j = 0; j < 8; j++)
			if (cfg.policies[0].protocols[j] != want[j])
				fail_msg("%s: word %zu is %#llx, want %#llx", ctx, j,
					 (unsigned long long)cfg.policies[0].protocols[j],
					 (unsigned long long)want[j]);
		rcc_config_free(&cfg);
	}
}

/* ---- max_* ranges --------------------------------------------------- */

struct num_row {
	const char *value;
	long long want; /* -1: error */
};

static const struct num_row num_rows[] = {
	{ "16", 16 },
	{ "17", 17 },
	{ "1024", 1024 },
	{ "67108864", 67108864 },
	{ "15", -1 },
	{ "0", -1 },
	{ "67108865", -1 },
	{ "4294967296", -1 },
	{ "99999999999999999999999", -1 },
	{ "-1", -1 },
	{ "+20", -1 },
	{ "abc", -1 },
	{ "20k", -1 },
	{ "", -1 },
	{ "1e3", -1 },
};

static const char *const num_keys[] = {
	"max_cgroups",
	"max_port_entries",
	"max_address_entries",
	"max_prefix_entries",
};

static __u32 num_field(const struct rcc_config *c, size_t k)
{
	switch (k) {
	case 0:
		return c->max_cgroups;
	case 1:
		return c->max_ports;
	case 2:
		return c->max_addrs;
	default:
		return c->max_prefixes;
	}
}

static void test_max_ranges(void **state)
{
	size_t k, i;

	(void)state;
	for (k = 0; k < N(num_keys); k++) {
		for (i = 0; i < N(num_rows); i++) {
			const struct num_row *r = &num_rows[i];
			struct rcc_config cfg, def;
			char text[256], ctx[128], line[256];
			int rc;

			snprintf(ctx, sizeof(ctx), "%s = '%s'", num_keys[k], r->value);
			snprintf(text, sizeof(text), "[global]\n%s = %s\n", num_keys[k], r->value);
			rc = parse_cap(text, &cfg);
			if (r->want < 0) {
				if (rc != -EINVAL)
					fail_msg("%s: rc %d, want -EINVAL", ctx, rc);
				snprintf(line, sizeof(line),
					 "t.conf:2: %s: '%s' is not a number from 16 to 67108864",
					 num_keys[k], r->value);
				expect_err_line(ctx, line);
				rcc_config_free(&cfg);
				continue;
			}
			if (rc || errbuf[0])
				fail_msg("%s: rc %d, stderr %s", ctx, rc, errbuf);
			if (num_field(&cfg, k) != r->want)
				fail_msg("%s: got %u", ctx, num_field(&cfg, k));
			/* the others keep their defaults */
			parse_ok("defaults", "", &def);
			for (size_t o = 0; o < N(num_keys); o++)
				if (o != k && num_field(&cfg, o) != num_field(&def, o))
					fail_msg("%s: %s changed", ctx, num_keys[o]);
			rcc_config_free(&cfg);
		}
	}
}

/* ---- policy names --------------------------------------------------- */

static void test_policy_names(void **state)
{
	char text[256], name[80];
	struct rcc_config cfg;

	(void)state;
	parse_ok("name chars", "[policy Web_1.prod-2]\n", &cfg);
	assert_non_null(rcc_config_policy(&cfg, "Web_1.prod-2"));
	rcc_config_free(&cfg);

	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "[policy %s]\n", name);
	parse_ok("63 characters", text, &cfg);
	assert_non_null(rcc_config_policy(&cfg, name));
	rcc_config_free(&cfg);

	name[63] = 'n';
	name[64] = '\0';
	snprintf(text, sizeof(text), "[policy %s]\nmode = audit\n", name);
	assert_int_equal(parse_cap(text, &cfg), -EINVAL);
	assert_int_equal(cfg.npolicies, 0);
	assert_non_null(strstr(errbuf, "t.conf:1: bad policy name"));
	assert_int_equal(count_lines(errbuf), 1);
	rcc_config_free(&cfg);
}

/* Policy ids are 1..255: the 256th policy is refused, once. */
static void test_too_many_policies(void **state)
{
	size_t len = 32 * (RCC_MAX_POLICIES + 2), n = 0, i;
	char *text = malloc(len);
	struct rcc_config cfg;

	(void)state;
	assert_non_null(text);
	/* one of them is "default", which leaves no built-in one to add */
	n += snprintf(text + n, len - n, "[policy default]\n");
	for (i = 2; i <= RCC_MAX_POLICIES - 1; i++)
		n += snprintf(text + n, len - n, "[policy p%zu]\n", i);
	parse_ok("255 policies", text, &cfg);
	assert_int_equal(cfg.npolicies, RCC_MAX_POLICIES - 1);
	rcc_config_free(&cfg);

	snprintf(text + n, len - n, "[policy one_more]\nmode = audit\n");
	parse_one_error("256 policies", text, "t.conf:256: too many policies (at most 255)");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_empty),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_global_keys),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_many_entries_and_policies),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_single_errors),
		cmocka_unit_test(test_duplicates_keep_first),
		cmocka_unit_test(test_bad_section_keys_ignored),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_line_numbers_after_long_line),
		cmocka_unit_test(test_indentation_harmless),
		cmocka_unit_test(test_comments_crlf_and_eof),
		cmocka_unit_test(test_allow_protocols),
		cmocka_unit_test(test_max_ranges),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_too_many_policies),
		cmocka_unit_test(test_dns_keys),
		cmocka_unit_test(test_dns_proxy_keys),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
