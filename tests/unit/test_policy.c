// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/policy.c: compiling a [policy] section into map
 * entries, and the verdict rcc_compiled_judge computes from them (the
 * same rcc_judge the kernel runs).  No DNS and no real host addresses:
 * a fake resolver and a fake host list are injected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
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

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TCP RCC_PROTO_TCP
#define UDP RCC_PROTO_UDP
#define ICMP RCC_PROTO_ICMP
#define OTHER RCC_PROTO_OTHER
#define ALLOW RCC_ACT_ALLOW
#define DENY RCC_ACT_DENY

/* ---- helpers -------------------------------------------------------- */

static void addr16(const char *s, __u8 out[16])
{
	bool v4;

	if (rcc_addr_parse(s, out, &v4))
		fail_msg("test bug: '%s' is not an address", s);
}

static const char *reason_name(__u32 r)
{
	static const char *const names[] = {
		"0",	     "ALLOW_RULE",  "DENY_RULE", "LOOPBACK",  "PRIVATE",      "HOST",
		"PUBLIC",    "NOT_ALLOWED", "SOCKET",	 "NO_POLICY", "SOURCE_ROUTE", "BPF",
		"MALFORMED",
	};

	return r < N(names) ? names[r] : "?";
}

static const char *action_name(__u32 a)
{
	return a == ALLOW ? "ALLOW" : a == DENY ? "DENY" : "NONE";
}

/* Fake DNS. */
struct fake_name {
	const char *name;
	int rc; /* < 0: this error */
	const char *addrs[3];
};

static const struct fake_name fake_dns[] = {
	{ "db.internal", 2, { "10.1.2.3", "fd00::5" } },
	{ "api.example", 1, { "203.0.113.80" } },
	{ "mirror.example", 3, { "198.51.100.20", "198.51.100.21", "2001:db8:5::1" } },
	{ "nx.example", -ENOENT, { NULL } },
	{ "flaky.example", -EAGAIN, { NULL } },
	{ "meta.example", 2, { "169.254.169.254", "203.0.113.81" } },
	{ "self.example", 1, { "203.0.113.9" } },
	{ "mapped.example", 1, { "::ffff:10.9.9.9" } },
	{ "nat64.example", 1, { "64:ff9b::a09:909" } },
	{ "lo.example", 1, { "::1" } },
};

struct resolve_log {
	int calls;
	size_t max;
	char last[RCC_HOSTNAME_MAX];
};

static int fake_resolve(const char *name, __u8 (*addrs)[16], size_t max, void *ctx)
{
	struct resolve_log *log = ctx;
	size_t i;
	int j;

	if (log) {
		log->calls++;
		log->max = max;
		snprintf(log->last, sizeof(log->last), "%s", name);
	}
	for (i = 0; i < N(fake_dns); i++) {
		if (strcmp(fake_dns[i].name, name))
			continue;
		if (fake_dns[i].rc < 0)
			return fake_dns[i].rc;
		for (j = 0; j < fake_dns[i].rc && (size_t)j < max; j++)
			addr16(fake_dns[i].addrs[j], addrs[j]);
		return j;
	}
	return -ENOENT;
}

/* Fake host addresses (block_host). */
static __u8 host_buf[3][16];
static struct rcc_addr_list host_list = { host_buf, 3 };

static int setup_hosts(void **state)
{
	(void)state;
	addr16("203.0.113.9", host_buf[0]);
	addr16("2001:db8::9", host_buf[1]);
	addr16("10.0.0.5", host_buf[2]);
	return 0;
}

static char errbuf[16384];

struct fix {
	struct rcc_config cfg;
	const struct rcc_policy_cfg *p;
	struct rcc_compiled c;
	struct resolve_log log;
	int rc;
};

/*
 * Parses text (must be clean), compiles its first policy as id 1 with the
 * fake resolver and host list (hosts may be NULL), stderr into errbuf.
 */
/* stderr into a temporary file from here... */
static FILE *capture_begin(int *saved)
{
	FILE *tmp;

	fflush(stderr);
	tmp = tmpfile();
	assert_non_null(tmp);
	*saved = dup(2);
	assert_true(*saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	return tmp;
}

/* ...to here, then into errbuf. */
static void capture_end(FILE *tmp, int saved)
{
	ssize_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fileno(tmp), errbuf, sizeof(errbuf) - 1, 0);
	errbuf[n > 0 ? n : 0] = '\0';
	fclose(tmp);
}

static int compile_with(struct fix *f, const char *text, const struct rcc_compile_opts *o, __u32 id)
{
	int saved;
	FILE *tmp;

	memset(f, 0, sizeof(*f));
	tmp = capture_begin(&saved);
	f->rc = rcc_config_parse_string("t.conf", text, &f->cfg);
	if (!f->rc && f->cfg.npolicies)
		f->rc = rcc_policy_compile(&f->cfg.policies[0], id, o, &f->c);
	else if (!f->rc)
		f->rc = -ENODATA;
	capture_end(tmp, saved);
	f->p = f->cfg.npolicies ? &f->cfg.policies[0] : NULL;
	return f->rc;
}

static int compile_full(struct fix *f, const char *text, const struct rcc_addr_list *hosts,
			const char *file, __u32 id)
{
	struct rcc_compile_opts o = {
		.host = hosts,
		.resolve = fake_resolve,
		.resolve_ctx = &f->log,
		.file = file,
	};

	return compile_with(f, text, &o, id);
}

static void compile_ok(struct fix *f, const char *text, const struct rcc_addr_list *hosts)
{
	if (compile_full(f, text, hosts, "t.conf", 1) || errbuf[0])
		fail_msg("compile of:\n%s\nrc %d, stderr:\n%s", text, f->rc, errbuf);
}

static void fix_free(struct fix *f)
{
	rcc_compiled_free(&f->c);
	rcc_config_free(&f->cfg);
}

struct vrow {
	const char *addr;
	__u16 port;
	__u8 proto;
	__u32 action;
	__u32 reason;
	__u32 rule_id;	    /* checked when reason is a rule */
	const char *origin; /* checked when non-NULL */
};

static void check_rows(const char *ctx, const struct rcc_compiled *c, const struct vrow *rows,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vrow *r = &rows[i];
		struct rcc_explain x;
		__u8 a[16];

		addr16(r->addr, a);
		rcc_compiled_judge(c, a, r->port, r->proto, &x);
		if (x.action != r->action || x.reason != r->reason)
			fail_msg(
				"%s: %s port %u proto %#x: %s/%s (rule %u, origin '%s'), want %s/%s",
				ctx, r->addr, r->port, r->proto, action_name(x.action),
				reason_name(x.reason), x.rule_id, x.origin, action_name(r->action),
				reason_name(r->reason));
		if ((r->reason == RCC_R_ALLOW_RULE || r->reason == RCC_R_DENY_RULE) &&
		    x.rule_id != r->rule_id)
			fail_msg("%s: %s port %u: rule %u, want %u", ctx, r->addr, r->port,
				 x.rule_id, r->rule_id);
		if (r->origin && strcmp(x.origin, r->origin))
			fail_msg("%s: %s port %u: origin '%s', want '%s'", ctx, r->addr, r->port,
				 x.origin, r->origin);
	}
}

static size_t baseline_prefixes(const char *text, const struct rcc_addr_list *hosts)
{
	struct fix f;
	size_t n;

	compile_ok(&f, text, hosts);
	n = f.c.nprefixes;
	fix_free(&f);
	return n;
}

/* ---- the worked examples of rcc_shared.h ----------------------------- */

static const char *const example_policy = "[policy example]\n"		   /* 1 */
					  "allow = 10.1.0.0/16:5432/tcp\n" /* 2 */
					  "deny = 198.51.100.0/24\n"	   /* 3 */
					  "allow = 198.51.100.7\n";	   /* 4 */

static void test_worked_examples(void **state)
{
	static const struct vrow rows[] = {
		{ "10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "10.1.2.3", 22, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "198.51.100.7", 80, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "198.51.100.8", 80, TCP, DENY, RCC_R_DENY_RULE, 2, NULL },
		{ "::ffff:10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "64:ff9b::10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "203.0.113.5", 443, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		/* the allow is tcp only */
		{ "10.1.2.3", 5432, UDP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
	};
	static const struct vrow no_public[] = {
		{ "203.0.113.5", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.7", 80, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
	};
	struct fix f;
	char text[512];

	(void)state;
	compile_ok(&f, example_policy, NULL);
	assert_int_equal(f.c.pol.flags, RCC_POL_ACTIVE | RCC_POL_ALLOW_LOOPBACK |
						RCC_POL_ALLOW_PUBLIC | RCC_POL_DNS_PROXY);
	check_rows("examples", &f.c, rows, N(rows));
	fix_free(&f);

	snprintf(text, sizeof(text), "%sallow_public = no\n", example_policy);
	compile_ok(&f, text, NULL);
	assert_int_equal(f.c.pol.flags,
			 RCC_POL_ACTIVE | RCC_POL_ALLOW_LOOPBACK | RCC_POL_DNS_PROXY);
	check_rows("allow_public = no", &f.c, no_public, N(no_public));
	fix_free(&f);

	/* audit: same verdicts, flagged */
	snprintf(text, sizeof(text), "%smode = audit\n", example_policy);
	compile_ok(&f, text, NULL);
	assert_true(f.c.pol.flags & RCC_POL_AUDIT);
	check_rows("audit", &f.c, rows, N(rows));
	fix_free(&f);
}

/* ---- precedence: allow > deny > loopback > private/host > public ---- */

static void test_precedence(void **state)
{
	static const char *const text = "[policy p]\n"			/* 1 */
					"allow = 10.1.0.0/16\n"		/* 2 */
					"deny = 10.1.2.0/24\n"		/* 3 */
					"deny = 127.0.0.2\n"		/* 4 */
					"deny = 8.8.8.8\n"		/* 5 */
					"allow = 203.0.113.9:443/tcp\n" /* 6: a host address */
					"deny = 10.1.3.3:80/tcp\n" /* 7: ports map vs trie allow */
					"allow = 192.0.2.10:8080/tcp\n" /* 8: ports map allow */
					"deny = 192.0.2.0/24\n"		/* 9: ... vs trie deny */
					"deny = [::1]:25/tcp\n"		/* 10 */
					"allow = 2001:db8::9/icmp\n";	/* 11: host, icmp only */
	static const struct vrow rows[] = {
		/* 1 allow beats 2 deny, even a longer deny prefix */
		{ "10.1.2.3", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "10.1.3.3", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "192.0.2.10", 8080, TCP, ALLOW, RCC_R_ALLOW_RULE, 7, NULL },
		/* 2 deny beats 3 loopback */
		{ "127.0.0.2", 80, TCP, DENY, RCC_R_DENY_RULE, 3, NULL },
		{ "::1", 25, TCP, DENY, RCC_R_DENY_RULE, 9, NULL },
		{ "::1", 26, TCP, ALLOW, RCC_R_LOOPBACK, 0, "::1/128" },
		{ "127.0.0.1", 80, TCP, ALLOW, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		/* 2 deny beats 5 public */
		{ "8.8.8.8", 53, UDP, DENY, RCC_R_DENY_RULE, 4, NULL },
		{ "8.8.4.4", 53, UDP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "192.0.2.10", 8081, TCP, DENY, RCC_R_DENY_RULE, 8, NULL },
		{ "192.0.2.10", 8080, UDP, DENY, RCC_R_DENY_RULE, 8, NULL },
		/* 1 allow beats 4 host */
		{ "203.0.113.9", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 5, NULL },
		{ "203.0.113.9", 443, UDP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "203.0.113.9", 80, TCP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "2001:db8::9", 0, ICMP, ALLOW, RCC_R_ALLOW_RULE, 10, NULL },
		{ "2001:db8::9", 443, TCP, DENY, RCC_R_HOST, 0, "2001:db8::9" },
		/* 4: private before host when an address is both */
		{ "10.0.0.5", 80, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "10.2.0.1", 80, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		/* neighbours of the host address are public */
		{ "203.0.113.8", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "203.0.113.10", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, text, &host_list);
	check_rows("precedence", &f.c, rows, N(rows));
	fix_free(&f);
}

static void test_allow_loopback_no(void **state)
{
	static const struct vrow rows[] = {
		{ "127.0.0.1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "127.255.255.255", 0, ICMP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "::1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "::1/128" },
		{ "::ffff:127.0.0.1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "64:ff9b::127.0.0.1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		/* an allow entry still wins */
		{ "127.0.0.53", 53, UDP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "127.0.0.53", 53, TCP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "126.255.255.255", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "128.0.0.0", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "::2", 80, TCP, DENY, RCC_R_PRIVATE, 0, "::/96" },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, "[policy p]\nallow = 127.0.0.53:53/udp\nallow_loopback = no\n", NULL);
	assert_false(f.c.pol.flags & RCC_POL_ALLOW_LOOPBACK);
	check_rows("allow_loopback = no", &f.c, rows, N(rows));
	fix_free(&f);
}

static void test_allow_public_no(void **state)
{
	static const struct vrow rows[] = {
		{ "8.8.8.8", 53, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "2606:4700::1111", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "10.0.0.1", 80, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "127.0.0.1", 80, TCP, ALLOW, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "198.51.100.1", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.1", 443, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.1", 444, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, "[policy p]\nallow = 198.51.100.0/24:443/tcp\nallow_public = no\n", NULL);
	check_rows("allow_public = no", &f.c, rows, N(rows));
	fix_free(&f);
}

static void test_block_private_no(void **state)
{
	static const struct vrow rows[] = {
		{ "10.0.0.1", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "192.168.1.1", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "169.254.169.254", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "fd00::1", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "::", 80, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		/* loopback is its own step */
		{ "127.0.0.1", 80, TCP, ALLOW, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "::1", 80, TCP, ALLOW, RCC_R_LOOPBACK, 0, "::1/128" },
		/* host addresses are still blocked, the private one too now */
		{ "203.0.113.9", 80, TCP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "10.0.0.5", 80, TCP, DENY, RCC_R_HOST, 0, "10.0.0.5" },
		/* entries still apply */
		{ "10.9.9.9", 80, TCP, DENY, RCC_R_DENY_RULE, 1, NULL },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, "[policy p]\ndeny = 10.9.0.0/16\nblock_private = no\n", &host_list);
	check_rows("block_private = no", &f.c, rows, N(rows));
	/* the IPv4 and NAT64 spaces' own nodes, the loopback set, three host
	 * addresses and one entry; nothing else */
	assert_int_equal(f.c.nprefixes, 2 + 2 + 3 + 1);
	fix_free(&f);
}

/* Loopback by where it leads (rule 3): the host's namespace makes it the
 * host's address under block_host; an allow entry and the sandbox's own
 * listeners still get through. */
static void test_host_loopback(void **state)
{
	static const struct {
		const char *conf, *addr;
		__u16 port;
		__u32 where, action, reason;
		const char *text;
	} rows[] = {
		{ "", "127.0.0.1", 5432, RCC_WHERE_OWN_NETNS, ALLOW, RCC_R_LOOPBACK,
		  "allow: 127.0.0.0/8 (loopback)" },
		{ "", "127.0.0.1", 5432, RCC_WHERE_HOST, DENY, RCC_R_HOST,
		  "deny: 127.0.0.0/8 (the host's loopback: its local services, block_host)" },
		{ "", "::1", 5432, RCC_WHERE_HOST, DENY, RCC_R_HOST,
		  "deny: ::1/128 (the host's loopback: its local services, block_host)" },
		{ "", "::ffff:127.0.0.9", 5432, RCC_WHERE_HOST, DENY, RCC_R_HOST, NULL },
		{ "", "127.0.0.1", 3000, RCC_WHERE_OWN_LISTENER, ALLOW, RCC_R_LOOPBACK,
		  "allow: 127.0.0.0/8 (loopback, a socket bound inside the sandbox's own cgroup)" },
		{ "allow_loopback = no\n", "127.0.0.1", 3000, RCC_WHERE_OWN_LISTENER, DENY,
		  RCC_R_LOOPBACK, NULL },
		{ "allow = 127.0.0.1:5432/tcp\n", "127.0.0.1", 5432, RCC_WHERE_HOST, ALLOW,
		  RCC_R_ALLOW_RULE, "allow: allow = 127.0.0.1:5432/tcp (line 2)" },
		{ "allow = 127.0.0.1:5432/tcp\n", "127.0.0.1", 5433, RCC_WHERE_HOST, DENY,
		  RCC_R_HOST, NULL },
		{ "block_host = no\n", "127.0.0.1", 5432, RCC_WHERE_HOST, ALLOW, RCC_R_PUBLIC,
		  NULL },
		{ "block_host = no\n", "::1", 5432, RCC_WHERE_HOST, ALLOW, RCC_R_PUBLIC, NULL },
		{ "block_host = no\nallow_public = no\n", "127.0.0.1", 5432, RCC_WHERE_HOST, DENY,
		  RCC_R_NOT_ALLOWED, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		char text[256], line[256];
		struct rcc_explain x;
		struct fix f;
		__u8 a[16];

		snprintf(text, sizeof(text), "[policy p]\n%s", rows[i].conf);
		compile_ok(&f, text, &host_list);
		addr16(rows[i].addr, a);
		rcc_compiled_judge_at(&f.c, rows[i].where, a, rows[i].port, TCP, &x);
		rcc_policy_explain_format(f.p, &x, line, sizeof(line));
		if (x.action != rows[i].action || x.reason != rows[i].reason)
			fail_msg("%s%s:%u where %u: %s/%s, want %s/%s", rows[i].conf, rows[i].addr,
				 rows[i].port, rows[i].where, action_name(x.action),
				 reason_name(x.reason), action_name(rows[i].action),
				 reason_name(rows[i].reason));
		if (rows[i].text && strcmp(line, rows[i].text))
			fail_msg("%s%s: '%s', want '%s'", rows[i].conf, rows[i].addr, line,
				 rows[i].text);
		fix_free(&f);
	}
}

static void test_block_host(void **state)
{
	static const struct vrow on[] = {
		{ "203.0.113.9", 443, TCP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "::ffff:203.0.113.9", 443, TCP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "64:ff9b::203.0.113.9", 443, TCP, DENY, RCC_R_HOST, 0, "203.0.113.9" },
		{ "2001:db8::9", 443, TCP, DENY, RCC_R_HOST, 0, "2001:db8::9" },
		{ "2001:db8::8", 443, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
	};
	static const struct vrow off[] = {
		{ "203.0.113.9", 443, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "2001:db8::9", 443, TCP, ALLOW, RCC_R_PUBLIC, 0, "" },
		{ "10.0.0.5", 443, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
	};
	struct fix f;
	size_t base;

	(void)state;
	base = baseline_prefixes("[policy p]\nblock_host = no\n", &host_list);
	/* the one in 10/8 adds nothing: the private set denies it already */
	assert_int_equal(baseline_prefixes("[policy p]\n", &host_list), base + 2);
	assert_int_equal(baseline_prefixes("[policy p]\n", NULL), base);

	compile_ok(&f, "[policy p]\n", &host_list);
	check_rows("block_host = yes", &f.c, on, N(on));
	fix_free(&f);

	compile_ok(&f, "[policy p]\nblock_host = no\n", &host_list);
	check_rows("block_host = no", &f.c, off, N(off));
	fix_free(&f);

	/* no host list given: nothing to block */
	compile_ok(&f, "[policy p]\n", NULL);
	check_rows("no host list", &f.c, off, 2);
	fix_free(&f);
}

/* ---- the private set, edge by edge ---------------------------------- */

#define IN(a, o)                                       \
	{                                              \
		a, 443, TCP, DENY, RCC_R_PRIVATE, 0, o \
	}
#define OUT(a)                                          \
	{                                               \
		a, 443, TCP, ALLOW, RCC_R_PUBLIC, 0, "" \
	}

static const struct vrow private_rows[] = {
	IN("0.0.0.0", "0.0.0.0/8"),
	IN("0.255.255.255", "0.0.0.0/8"),
	OUT("1.0.0.0"),
	IN("10.0.0.0", "10.0.0.0/8"),
	IN("10.255.255.255", "10.0.0.0/8"),
	OUT("9.255.255.255"),
	OUT("11.0.0.0"),
	IN("100.64.0.0", "100.64.0.0/10"),
	IN("100.127.255.255", "100.64.0.0/10"),
	OUT("100.63.255.255"),
	OUT("100.128.0.0"),
	IN("169.254.0.1", "169.254.0.0/16"),
	IN("169.254.169.254", "169.254.0.0/16"),
	OUT("169.253.255.255"),
	OUT("169.255.0.0"),
	IN("172.16.0.0", "172.16.0.0/12"),
	IN("172.31.255.255", "172.16.0.0/12"),
	OUT("172.15.255.255"),
	OUT("172.32.0.0"),
	IN("192.0.0.8", "192.0.0.0/24"),
	OUT("192.0.1.0"),
	OUT("191.255.255.255"),
	IN("192.168.0.0", "192.168.0.0/16"),
	IN("192.168.255.255", "192.168.0.0/16"),
	OUT("192.167.255.255"),
	OUT("192.169.0.0"),
	IN("198.18.0.0", "198.18.0.0/15"),
	IN("198.19.255.255", "198.18.0.0/15"),
	OUT("198.17.255.255"),
	OUT("198.20.0.0"),
	IN("224.0.0.1", "224.0.0.0/4"),
	IN("239.255.255.255", "224.0.0.0/4"),
	OUT("223.255.255.255"),
	IN("240.0.0.1", "240.0.0.0/4"),
	IN("255.255.255.255", "240.0.0.0/4"),
	IN("168.63.129.16", "168.63.129.16/32"),
	OUT("168.63.129.15"),
	OUT("168.63.129.17"),
	IN("100.100.100.200", "100.100.100.200/32"),
	IN("100.100.100.201", "100.64.0.0/10"),
	/* embedded IPv4: judged as the IPv4 address */
	IN("::ffff:10.0.0.1", "10.0.0.0/8"),
	IN("64:ff9b::10.0.0.1", "10.0.0.0/8"),
	IN("64:ff9b::169.254.169.254", "169.254.0.0/16"),
	OUT("::ffff:8.8.8.8"),
	OUT("64:ff9b::8.8.8.8"),
	/* IPv6 */
	IN("::", "::/128"),
	IN("::2", "::/96"),
	IN("::10.0.0.1", "::/96"),
	IN("::255.255.255.255", "::/96"),
	OUT("::1:0:0"),
	IN("64:ff9b:1::1", "64:ff9b:1::/48"),
	IN("64:ff9b:1:ffff::1", "64:ff9b:1::/48"),
	OUT("64:ff9b:2::1"),
	OUT("64:ff9b:0:1::1"),
	IN("2001::1", "2001::/32"),
	IN("2001:0:ffff::1", "2001::/32"),
	OUT("2001:1::1"),
	OUT("2001:db8::1"),
	IN("2002::1", "2002::/16"),
	IN("2002:c000:204::1", "2002::/16"),
	OUT("2003::1"),
	OUT("2001:ffff::1"),
	IN("fc00::1", "fc00::/7"),
	IN("fdff:ffff::1", "fc00::/7"),
	OUT("fbff::1"),
	OUT("fe00::1"),
	IN("fe80::1", "fe80::/10"),
	IN("febf:ffff::1", "fe80::/10"),
	IN("fec0::1", "fec0::/10"),
	IN("feff::1", "fec0::/10"),
	IN("ff02::1", "ff00::/8"),
	IN("ffff:ffff::1", "ff00::/8"),
	OUT("2606:4700::1111"),
	OUT("2a00:1450::1"),
};

static void test_private_set(void **state)
{
	struct fix f;

	(void)state;
	compile_ok(&f, "[policy p]\n", NULL);
	check_rows("private set", &f.c, private_rows, N(private_rows));
	fix_free(&f);
}

/* ---- where entries go ----------------------------------------------- */

struct place_row {
	const char *entry;
	size_t nports, naddrs, nprefixes; /* prefixes beyond the baseline */
};

static const struct place_row place_rows[] = {
	{ "allow = 198.51.100.7", 0, 1, 0 },
	{ "allow = 2001:db8::7", 0, 1, 0 },
	{ "allow = 198.51.100.7/tcp", 0, 1, 0 },
	{ "allow = 198.51.100.7:443", 2, 0, 0 },
	{ "allow = 198.51.100.7:443/tcp", 1, 0, 0 },
	{ "allow = [2001:db8::7]:443/udp", 1, 0, 0 },
	{ "allow = 198.51.100.7:80,443", 4, 0, 0 },
	{ "allow = 198.51.100.7:8000-8009/tcp", 10, 0, 0 },
	/* 32 ports x tcp+udp = 64 keys: the most expanded */
	{ "allow = 198.51.100.7:1-32", 64, 0, 0 },
	{ "allow = 198.51.100.7:1-64/tcp", 64, 0, 0 },
	/* one more: a /128 trie node instead */
	{ "allow = 198.51.100.7:1-33", 0, 0, 1 },
	{ "allow = 198.51.100.7:1-65/tcp", 0, 0, 1 },
	{ "allow = 198.51.100.7:1-65535", 0, 0, 1 },
	{ "allow = [2001:db8::7]:1024-65535/tcp", 0, 0, 1 },
	{ "allow = 198.51.100.0/24", 0, 0, 1 },
	{ "allow = 198.51.100.0/24:443/tcp", 0, 0, 1 },
	{ "allow = 2001:db8::/32", 0, 0, 1 },
	/* the IPv4 space's own node */
	{ "allow = 0.0.0.0/0:443", 0, 0, 0 },
	/* a prefix the special sets already have: merged into that node */
	{ "deny = 10.0.0.0/8", 0, 0, 0 },
	{ "allow = 192.168.0.0/16:80", 0, 0, 0 },
	{ "deny = 127.0.0.0/8:25", 0, 0, 0 },
	/* a /32 is an exact address */
	{ "deny = 198.51.100.7/32", 0, 1, 0 },
	{ "deny = 64:ff9b::198.51.100.7", 0, 1, 0 },
	/* hostnames: one placement per resolved address */
	{ "allow = api.example", 0, 1, 0 },
	{ "allow = mirror.example:443/tcp", 3, 0, 0 },
	{ "allow = db.internal:5432 private_ok", 4, 0, 0 },
	{ "allow = mirror.example", 0, 3, 0 },
	{ "allow = mirror.example:1-100/tcp", 0, 0, 3 },
};

static void test_placement(void **state)
{
	size_t base = baseline_prefixes("[policy p]\n", NULL), i;

	(void)state;
	for (i = 0; i < N(place_rows); i++) {
		const struct place_row *r = &place_rows[i];
		char text[256];
		struct fix f;

		snprintf(text, sizeof(text), "[policy p]\ndns = open\n%s\n", r->entry);
		compile_ok(&f, text, NULL);
		if (f.c.nports != r->nports || f.c.naddrs != r->naddrs ||
		    f.c.nprefixes != base + r->nprefixes)
			fail_msg(
				"'%s': nports %zu naddrs %zu nprefixes base+%zd, want %zu %zu base+%zu",
				r->entry, f.c.nports, f.c.naddrs,
				(ssize_t)f.c.nprefixes - (ssize_t)base, r->nports, r->naddrs,
				r->nprefixes);
		fix_free(&f);
	}
}

static const struct rcc_prefix_val *find_prefix(const struct rcc_compiled *c, const char *addr,
						unsigned plen, size_t *idx)
{
	__u8 a[16];
	size_t i;

	addr16(addr, a);
	for (i = 0; i < c->nprefixes; i++)
		if (c->prefix_keys[i].prefixlen == 32 + plen &&
		    !memcmp(c->prefix_keys[i].addr, a, 16)) {
			if (idx)
				*idx = i;
			return &c->prefix_vals[i];
		}
	return NULL;
}

static void test_map_contents(void **state)
{
	static const char *const text = "[policy p]\n"				   /* 1 */
					"allow = 198.51.100.7:443/tcp\n"	   /* 2 */
					"deny = [2001:db8::7]\n"		   /* 3 */
					"allow = 198.51.100.0/24:8000-8100/udp\n"; /* 4 */
	struct fix f;
	const struct rcc_prefix_val *pv;
	__u8 a[16];
	size_t i, idx;

	(void)state;
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 42), 0);
	assert_int_equal(f.c.version, 42);

	assert_int_equal(f.c.nports, 1);
	addr16("198.51.100.7", a);
	assert_int_equal(f.c.port_keys[0].version, 42);
	assert_int_equal(f.c.port_keys[0].port, 443);
	assert_int_equal(f.c.port_keys[0].proto, RCC_PROTO_TCP);
	assert_int_equal(f.c.port_keys[0].pad, 0);
	assert_memory_equal(f.c.port_keys[0].addr, a, 16);
	assert_int_equal(f.c.port_vals[0].action, ALLOW);
	assert_int_equal(f.c.port_vals[0].rule_id, 1);

	assert_int_equal(f.c.naddrs, 1);
	addr16("2001:db8::7", a);
	assert_int_equal(f.c.addr_keys[0].version, 42);
	assert_memory_equal(f.c.addr_keys[0].addr, a, 16);
	assert_int_equal(f.c.addr_vals[0].deny_protos, RCC_PROTO_ANY);
	assert_int_equal(f.c.addr_vals[0].deny_rule, 2);
	assert_int_equal(f.c.addr_vals[0].allow_protos, 0);
	assert_int_equal(f.c.addr_vals[0].allow_rule, 0);

	for (i = 0; i < f.c.nprefixes; i++)
		assert_int_equal(f.c.prefix_keys[i].version, htonl(42));
	pv = find_prefix(&f.c, "198.51.100.0", 96 + 24, NULL);
	assert_non_null(pv);
	assert_int_equal(pv->flags, 0);
	assert_int_equal(pv->nrules, 1);
	assert_int_equal(pv->rules[0].port_lo, 8000);
	assert_int_equal(pv->rules[0].port_hi, 8100);
	assert_int_equal(pv->rules[0].protos, RCC_PROTO_UDP);
	assert_int_equal(pv->rules[0].action, ALLOW);
	assert_int_equal(pv->rules[0].rule_id, 3);

	pv = find_prefix(&f.c, "10.0.0.0", 104, &idx);
	assert_non_null(pv);
	assert_int_equal(pv->flags, RCC_SET_PRIVATE);
	assert_int_equal(pv->nrules, 0);
	assert_string_equal(f.c.prefix_origin[idx][1], "10.0.0.0/8");
	assert_string_equal(f.c.prefix_origin[idx][0], "");

	pv = find_prefix(&f.c, "127.0.0.0", 104, &idx);
	assert_non_null(pv);
	/* block_host: from the host's namespace loopback is the host's too */
	assert_int_equal(pv->flags, RCC_SET_LOOPBACK | RCC_SET_HOST);
	assert_string_equal(f.c.prefix_origin[idx][0], "127.0.0.0/8");
	assert_string_equal(f.c.prefix_origin[idx][2], "127.0.0.0/8");

	/* ::1 sits inside ::/96: every set */
	pv = find_prefix(&f.c, "::1", 128, &idx);
	assert_non_null(pv);
	assert_int_equal(pv->flags, RCC_SET_LOOPBACK | RCC_SET_PRIVATE | RCC_SET_HOST);
	assert_string_equal(f.c.prefix_origin[idx][0], "::1/128");
	assert_string_equal(f.c.prefix_origin[idx][1], "::/96");
	assert_string_equal(f.c.prefix_origin[idx][2], "::1/128");
	fix_free(&f);
}

/* A reload's fresh version relabels every key, and nothing else. */
static void test_set_version(void **state)
{
	static const char *const text = "[policy p]\n"
					"allow = 198.51.100.7:443/tcp\n"
					"deny = [2001:db8::7]\n"
					"allow = 198.51.100.0/24:8000-8100/udp\n";
	struct fix f;
	struct rcc_explain before, after;
	__u8 a[16];
	size_t i;

	(void)state;
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 7), 0);
	addr16("198.51.100.9", a);
	rcc_compiled_judge(&f.c, a, 8050, RCC_PROTO_UDP, &before);
	rcc_compiled_set_version(&f.c, 300);
	assert_int_equal(f.c.version, 300);
	for (i = 0; i < f.c.nports; i++)
		assert_int_equal(f.c.port_keys[i].version, 300);
	for (i = 0; i < f.c.naddrs; i++)
		assert_int_equal(f.c.addr_keys[i].version, 300);
	for (i = 0; i < f.c.nprefixes; i++)
		assert_int_equal(f.c.prefix_keys[i].version, htonl(300));
	rcc_compiled_judge(&f.c, a, 8050, RCC_PROTO_UDP, &after);
	assert_int_equal(after.action, ALLOW);
	assert_memory_equal(&before, &after, sizeof(before));
	fix_free(&f);
}

static void test_policy_flags(void **state)
{
	struct fix f;

	(void)state;
	compile_ok(&f,
		   "[policy p]\nmode = audit\nallow_loopback = no\nallow_public = no\n"
		   "allow_raw_sockets = yes\nallow_protocols = 47, 132\ndns = open\n",
		   NULL);
	assert_int_equal(f.c.pol.flags, RCC_POL_ACTIVE | RCC_POL_AUDIT | RCC_POL_ALLOW_RAW);
	assert_int_equal(f.c.pol.protocols[0], 1ull << 47);
	assert_int_equal(f.c.pol.protocols[2], 1ull << 4);
	assert_int_equal(f.c.pol.reserved, 0);
	fix_free(&f);
}

/* Keys unique: a batch update must not carry one key twice. */
static void test_keys_unique(void **state)
{
	static const char *const text = "[policy p]\n"
					"allow = 198.51.100.9:443,80,22\n"
					"deny = 198.51.100.3:443\n"
					"allow = [2001:db8::1]:53\n"
					"allow = 192.0.2.1:443/tcp\n"
					"deny = 192.0.2.1:443/tcp\n"
					"allow = 203.0.113.1\n"
					"deny = 192.0.2.200\n"
					"allow = 2001:db8::2\n"
					"deny = 203.0.113.1/udp\n";
	struct fix f;
	size_t i, j;

	(void)state;
	compile_ok(&f, text, NULL);
	assert_int_equal(f.c.nports, 6 + 2 + 2 + 1);
	for (i = 1; i < f.c.nports; i++)
		for (j = 0; j < i; j++)
			if (!memcmp(&f.c.port_keys[j], &f.c.port_keys[i], sizeof(f.c.port_keys[0])))
				fail_msg("port keys %zu and %zu are equal", j, i);
	assert_int_equal(f.c.naddrs, 3);
	for (i = 1; i < f.c.naddrs; i++)
		for (j = 0; j < i; j++)
			if (!memcmp(&f.c.addr_keys[j], &f.c.addr_keys[i], sizeof(f.c.addr_keys[0])))
				fail_msg("addr keys %zu and %zu are equal", j, i);
	fix_free(&f);
}

/* ---- port ranges ---------------------------------------------------- */

static void test_port_ranges(void **state)
{
	static const char *const text =
		"[policy p]\n"				  /* 1 */
		"allow_public = no\n"			  /* 2 */
		"allow = 198.51.100.0/24:8000-8100/tcp\n" /* 3 */
		"allow = 198.51.100.9:22,80-81\n"	  /* 4 */
		"allow = 198.51.100.10:1000-2000/udp\n"	  /* 5: wide, trie /128 */
		"allow = 198.51.100.11/icmp\n"		  /* 6 */
		"allow = 192.0.2.0/24\n"		  /* 7 */
		"allow = [2001:db8::/32]:443/tcp\n";	  /* 8 */
	static const struct vrow rows[] = {
		{ "198.51.100.1", 8000, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.1", 8100, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.255", 8050, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.1", 7999, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.1", 8101, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.1", 8050, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.101.1", 8050, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.9", 22, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL },
		{ "198.51.100.9", 80, UDP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL },
		{ "198.51.100.9", 81, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL },
		{ "198.51.100.9", 82, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.9", 23, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.9", 0, ICMP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		/* .9 also inherits the /24 rule (it is in the ports map only,
		 * the trie answers with the /24) */
		{ "198.51.100.9", 8001, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.10", 1000, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "198.51.100.10", 2000, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "198.51.100.10", 1500, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.10", 999, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.10", 2001, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.10", 8000, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "198.51.100.11", 0, ICMP, ALLOW, RCC_R_ALLOW_RULE, 4, NULL },
		{ "198.51.100.11", 80, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "192.0.2.77", 0, OTHER, ALLOW, RCC_R_ALLOW_RULE, 5, NULL },
		{ "192.0.2.77", 65535, UDP, ALLOW, RCC_R_ALLOW_RULE, 5, NULL },
		{ "192.0.2.77", 0, ICMP, ALLOW, RCC_R_ALLOW_RULE, 5, NULL },
		{ "2001:db8:1::1", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 6, NULL },
		{ "2001:db8:1::1", 443, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "2001:db9::1", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, text, NULL);
	check_rows("port ranges", &f.c, rows, N(rows));
	fix_free(&f);
}

/* ---- inherited rules ------------------------------------------------ */

static void test_inherited_rules(void **state)
{
	static const char *const text = "[policy p]\n"		      /* 1 */
					"allow_loopback = no\n"	      /* 2 */
					"allow_public = no\n"	      /* 3 */
					"allow = 0.0.0.0/0:443\n"     /* 4 */
					"deny = 10.1.0.0/16:22/tcp\n" /* 5 */
					"allow = [::/0]:53/udp\n";    /* 6 */
	static const struct vrow rows[] = {
		{ "10.1.2.3", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "10.1.2.3", 443, UDP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "10.1.2.3", 80, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "10.1.2.3", 22, TCP, DENY, RCC_R_DENY_RULE, 2, NULL },
		{ "192.168.1.1", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "169.254.169.254", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "168.63.129.16", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "127.0.0.1", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "127.0.0.1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "127.0.0.0/8" },
		{ "8.8.8.8", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "8.8.8.8", 80, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "::ffff:8.8.8.8", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "203.0.113.9", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		/* an IPv4 entry says nothing of IPv6 */
		{ "2606:4700::1111", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		/* ::/0 covers IPv6, not the IPv4 space it is not written in */
		{ "2606:4700::1111", 53, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "fe80::1", 53, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "::1", 53, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "10.1.2.3", 53, UDP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "8.8.8.8", 53, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "64:ff9b::8.8.8.8", 53, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "2001:db8::9", 53, UDP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
		{ "2001:db8::9", 53, TCP, DENY, RCC_R_HOST, 0, "2001:db8::9" },
	};
	struct fix f;
	size_t i;
	unsigned with_443 = 0;

	(void)state;
	compile_ok(&f, text, &host_list);
	check_rows("inherited", &f.c, rows, N(rows));
	/* every IPv4 node carries the 0.0.0.0/0 rule itself: the kernel's
	 * longest match sees only that node */
	for (i = 0; i < f.c.nprefixes; i++) {
		const struct rcc_prefix_val *pv = &f.c.prefix_vals[i];
		__u32 r;
		bool has = false;

		if (!rcc_addr_is_v4(f.c.prefix_keys[i].addr) ||
		    f.c.prefix_keys[i].prefixlen < 32 + 96)
			continue;
		for (r = 0; r < pv->nrules; r++)
			has |= pv->rules[r].port_lo == 443 && pv->rules[r].rule_id == 1;
		if (!has)
			fail_msg("prefix node %zu (len %u) lacks the inherited rule", i,
				 f.c.prefix_keys[i].prefixlen - 32);
		with_443++;
	}
	/* 0/0, 0/8, 10/8, 10.1/16, ..., the hosts: a good many */
	assert_true(with_443 > 10);
	fix_free(&f);
}

/* ---- IPv6 entries and the IPv4 / NAT64 spaces ----------------------- */

/* An IPv6 entry covers IPv4 and NAT64 only when written inside them. */
static void test_ipv6_spaces(void **state)
{
	static const struct vrow wide[] = {
		/* [::/0]:443 is all of IPv6, no IPv4 */
		{ "2606:4700::1111", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "169.254.169.254", 443, TCP, DENY, RCC_R_PRIVATE, 0, "169.254.0.0/16" },
		{ "::ffff:169.254.169.254", 443, TCP, DENY, RCC_R_PRIVATE, 0, "169.254.0.0/16" },
		{ "8.8.8.8", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		/* 64::/16 is around 64:ff9b::/96, not in it */
		{ "64:ff9b::8.8.8.8", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "64:1::1", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL },
		/* written inside the IPv4 space: IPv4 */
		{ "198.51.100.9", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
	};
	static const struct vrow nat64[] = {
		/* an entry inside 64:ff9b::/96 decides for NAT64 addresses */
		{ "64:ff9b::8.8.8.8", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "64:ff9b::10.0.0.1", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		/* and for no IPv4 address */
		{ "8.8.8.8", 80, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		/* otherwise the IPv4 address inside is judged */
		{ "64:ff9b::10.0.0.1", 22, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "64:ff9b::203.0.113.5", 22, TCP, DENY, RCC_R_DENY_RULE, 2, NULL },
		{ "64:ff9b::198.51.100.5", 22, TCP, ALLOW, RCC_R_ALLOW_RULE, 3, NULL },
	};
	struct fix f;
	struct rcc_explain x;
	char line[512];
	__u8 a[16];

	(void)state;
	compile_ok(&f,
		   "[policy p]\nallow_public = no\n"
		   "allow = [::/0]:443/tcp\nallow = [64::/16]:443/tcp\n"
		   "allow = [::ffff:198.51.100.0/120]:443/tcp\n",
		   NULL);
	check_rows("wide", &f.c, wide, N(wide));
	addr16("169.254.169.254", a);
	rcc_compiled_judge(&f.c, a, 443, TCP, &x);
	rcc_policy_explain_format(f.p, &x, line, sizeof(line));
	assert_non_null(
		strstr(line, "allow = [::/0]:443/tcp (line 3) is IPv6 and covers the IPv4"));
	fix_free(&f);

	compile_ok(&f,
		   "[policy p]\nallow_public = no\nallow = [64:ff9b::/96]:80/tcp\n"
		   "deny = 203.0.113.0/24\nallow = 198.51.100.0/24:22/tcp\n",
		   NULL);
	check_rows("nat64", &f.c, nat64, N(nat64));
	addr16("64:ff9b::10.0.0.1", a);
	rcc_compiled_judge(&f.c, a, 22, TCP, &x);
	assert_true(x.via_nat64);
	rcc_policy_explain_format(f.p, &x, line, sizeof(line));
	assert_non_null(
		strstr(line, "NAT64: no entry inside 64:ff9b::/96 matched, so judged as 10.0.0.1"));
	fix_free(&f);
}

/* ---- rule limit per prefix ------------------------------------------ */

static void ports_list(char *buf, size_t len, int from, int to)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = from; i <= to; i++)
		n += snprintf(buf + n, len - n, "%s%d", i > from ? "," : "", i);
}

static void test_rule_limit(void **state)
{
	char ports[256], text[512];
	struct fix f;

	(void)state;
	/* exactly RCC_MAX_RULES on one prefix: fine */
	ports_list(ports, sizeof(ports), 1, RCC_MAX_RULES);
	snprintf(text, sizeof(text), "[policy p]\nallow = 198.51.100.0/24:%s/tcp\n", ports);
	compile_ok(&f, text, NULL);
	fix_free(&f);

	/* one more: an error naming the prefix and the entry's line */
	ports_list(ports, sizeof(ports), 1, RCC_MAX_RULES + 1);
	snprintf(text, sizeof(text), "[policy p]\n\nallow = 198.51.100.0/24:%s/tcp\n", ports);
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 1), -EINVAL);
	if (!strstr(errbuf,
		    "t.conf:3: more than 16 port rules apply to 198.51.100.0/24 "
		    "(with those of the prefixes around it); merge ports into fewer entries\n"))
		fail_msg("stderr:\n%s", errbuf);
	/* the output is cleared on failure */
	assert_int_equal(f.c.nprefixes, 0);
	assert_null(f.c.prefix_keys);
	fix_free(&f);

	/* inherited rules count: 9 on 0/0 + 8 on 198.51.100.0/24 = 17 */
	ports_list(ports, sizeof(ports), 1, 9);
	snprintf(text, sizeof(text), "[policy p]\nblock_private = no\nallow = 0.0.0.0/0:%s/tcp\n",
		 ports);
	ports_list(ports, sizeof(ports), 100, 107);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "allow = 198.51.100.0/24:%s/tcp\n", ports);
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 1), -EINVAL);
	if (!strstr(errbuf, "t.conf:4: more than 16 port rules apply to 198.51.100.0/24"))
		fail_msg("stderr:\n%s", errbuf);
	fix_free(&f);

	/* 8 + 8 on one node is fine */
	ports_list(ports, sizeof(ports), 1, 8);
	snprintf(text, sizeof(text), "[policy p]\nblock_private = no\nallow = 0.0.0.0/0:%s/tcp\n",
		 ports);
	ports_list(ports, sizeof(ports), 100, 107);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
		 "allow = 198.51.100.0/24:%s/tcp\n", ports);
	compile_ok(&f, text, NULL);
	fix_free(&f);

	/* a wide-range exact address counts as a prefix node too */
	ports_list(ports, sizeof(ports), 1001, 1000 + RCC_MAX_RULES);
	snprintf(text, sizeof(text), "[policy p]\nallow = 198.51.100.7:1-100,%s/tcp\n", ports);
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 1), -EINVAL);
	if (!strstr(errbuf, "t.conf:2: more than 16 port rules apply to 198.51.100.7 "))
		fail_msg("stderr:\n%s", errbuf);
	fix_free(&f);
}

/* ---- duplicates ----------------------------------------------------- */

static void test_duplicates_merged(void **state)
{
	static const struct {
		const char *entries;
		size_t nports, naddrs;
		const struct vrow row;
	} rows[] = {
		{ "allow = 198.51.100.7:80/tcp\ndeny = 198.51.100.7:80/tcp\n",
		  1,
		  0,
		  { "198.51.100.7", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL } },
		{ "deny = 198.51.100.7:80/tcp\nallow = 198.51.100.7:80/tcp\n",
		  1,
		  0,
		  { "198.51.100.7", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
		{ "deny = 198.51.100.7:80\nallow = 198.51.100.7:80/udp\n",
		  2,
		  0,
		  { "198.51.100.7", 80, TCP, DENY, RCC_R_DENY_RULE, 1, NULL } },
		{ "deny = 198.51.100.7:80\nallow = 198.51.100.7:80/udp\n",
		  2,
		  0,
		  { "198.51.100.7", 80, UDP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
		{ "deny = 198.51.100.7\nallow = 198.51.100.7\n",
		  0,
		  1,
		  { "198.51.100.7", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
		{ "allow = 198.51.100.7/tcp\ndeny = 198.51.100.7\n",
		  0,
		  1,
		  { "198.51.100.7", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL } },
		{ "allow = 198.51.100.7/tcp\ndeny = 198.51.100.7\n",
		  0,
		  1,
		  { "198.51.100.7", 443, UDP, DENY, RCC_R_DENY_RULE, 2, NULL } },
		{ "allow = 198.51.100.7/tcp\nallow = 198.51.100.7/udp\n",
		  0,
		  1,
		  { "198.51.100.7", 53, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL } },
		{ "allow = 198.51.100.7/tcp\nallow = 198.51.100.7/udp\n",
		  0,
		  1,
		  { "198.51.100.7", 0, ICMP, ALLOW, RCC_R_PUBLIC, 0, "" } },
		/* one address written two ways; NAT64 is an address of its own */
		{ "deny = 198.51.100.7\ndeny = ::ffff:198.51.100.7\n",
		  0,
		  1,
		  { "198.51.100.7", 1, TCP, DENY, RCC_R_DENY_RULE, 1, NULL } },
		{ "deny = 198.51.100.7\ndeny = 64:ff9b::198.51.100.7\n",
		  0,
		  2,
		  { "64:ff9b::198.51.100.7", 1, TCP, DENY, RCC_R_DENY_RULE, 2, NULL } },
		{ "allow = 198.51.100.7:443/tcp\nallow = 198.51.100.7:443\n",
		  2,
		  0,
		  { "198.51.100.7", 443, UDP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
		/* hostname and literal of the same address */
		{ "deny = api.example:443/tcp\nallow = 203.0.113.80:443/tcp\n",
		  1,
		  0,
		  { "203.0.113.80", 443, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
		/* trie: the allow wins whatever the order */
		{ "deny = 198.51.100.0/24\nallow = 198.51.100.0/24\n",
		  0,
		  0,
		  { "198.51.100.1", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		char text[512];
		struct fix f;

		snprintf(text, sizeof(text), "[policy p]\n%s", rows[i].entries);
		compile_ok(&f, text, NULL);
		if (f.c.nports != rows[i].nports || f.c.naddrs != rows[i].naddrs)
			fail_msg("row %zu (%s): nports %zu naddrs %zu, want %zu %zu", i,
				 rows[i].entries, f.c.nports, f.c.naddrs, rows[i].nports,
				 rows[i].naddrs);
		check_rows(rows[i].entries, &f.c, &rows[i].row, 1);
		fix_free(&f);
	}
}

/* ---- hostnames ------------------------------------------------------ */

static void test_hostnames(void **state)
{
	static const char *const text = "[policy p]\n"				    /* 1 */
					"allow_public = no\n"			    /* 2 */
					"allow = db.internal:5432/tcp private_ok\n" /* 3 */
					"allow = api.example\n"			    /* 4 */
					"deny = mirror.example:443\n"		    /* 5 */
					"dns = open\n";				    /* 6 */
	static const struct vrow rows[] = {
		{ "10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "fd00::5", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "10.1.2.3", 5433, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "fd00::5", 5432, UDP, DENY, RCC_R_PRIVATE, 0, "fc00::/7" },
		{ "203.0.113.80", 9999, UDP, ALLOW, RCC_R_ALLOW_RULE, 2, NULL },
		{ "203.0.113.81", 9999, UDP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		{ "198.51.100.20", 443, TCP, DENY, RCC_R_DENY_RULE, 3, NULL },
		{ "198.51.100.21", 443, UDP, DENY, RCC_R_DENY_RULE, 3, NULL },
		{ "2001:db8:5::1", 443, TCP, DENY, RCC_R_DENY_RULE, 3, NULL },
	};
	struct fix f;

	(void)state;
	compile_ok(&f, text, NULL);
	assert_int_equal(f.log.calls, 3);
	assert_string_equal(f.log.last, "mirror.example");
	assert_true(f.log.max >= 3);
	check_rows("hostnames", &f.c, rows, N(rows));
	fix_free(&f);
}

static void test_unresolvable(void **state)
{
	static const char *const text = "[policy p]\n"			  /* 1 */
					"allow = api.example\n"		  /* 2 */
					"\n"				  /* 3 */
					"deny = nx.example\n"		  /* 4 */
					"allow = flaky.example:443/tcp\n" /* 5 */
					"allow = unknown.example\n"	  /* 6 */
					"dns = open\n";			  /* 7 */
	struct fix f;

	(void)state;
	assert_int_equal(compile_full(&f, text, NULL, "t.conf", 1), -EINVAL);
	if (!strstr(errbuf,
		    "t.conf:4: deny = nx.example: cannot resolve 'nx.example' (no such name)\n") ||
	    !strstr(errbuf,
		    "t.conf:5: allow = flaky.example:443/tcp: cannot resolve 'flaky.example'\n") ||
	    !strstr(errbuf,
		    "t.conf:6: allow = unknown.example: cannot resolve 'unknown.example' (no such name)\n"))
		fail_msg("stderr:\n%s", errbuf);
	assert_int_equal(f.log.calls, 4); /* all of them tried */
	assert_int_equal(f.c.nports + f.c.naddrs + f.c.nprefixes, 0);
	fix_free(&f);

	/* no file name given */
	assert_int_equal(compile_full(&f, "[policy p]\ndeny = nx.example\n", NULL, NULL, 1),
			 -EINVAL);
	if (!strstr(errbuf, "<config>:2: deny = nx.example: cannot resolve"))
		fail_msg("stderr:\n%s", errbuf);
	fix_free(&f);
}

/* ---- the rebinding guard and the DNS modes -------------------------- */

static int compile_mode(struct fix *f, const char *text, enum rcc_dns_mode mode)
{
	struct rcc_compile_opts o = {
		.host = &host_list,
		.resolve = fake_resolve,
		.resolve_ctx = &f->log,
		.file = "t.conf",
		.dns_mode = mode,
	};

	return compile_with(f, text, &o, 1);
}

static void test_rebinding_guard(void **state)
{
	static const char *const text = "[policy p]\n"				    /* 1 */
					"allow_public = no\n"			    /* 2 */
					"allow = meta.example:80/tcp\n"		    /* 3 */
					"allow = self.example:80/tcp\n"		    /* 4 */
					"allow = mapped.example:80/tcp\n"	    /* 5 */
					"allow = nat64.example:80/tcp\n"	    /* 6 */
					"allow = lo.example:80/tcp\n"		    /* 7 */
					"allow = db.internal:5432/tcp private_ok\n" /* 8 */
					"allow_loopback = no\n"			    /* 9 */
					"dns = open\n";				    /* 10 */
	static const struct vrow rows[] = {
		/* the public half of an answer is allowed, the internal half not */
		{ "203.0.113.81", 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 1, NULL },
		{ "169.254.169.254", 80, TCP, DENY, RCC_R_PRIVATE, 0, "169.254.0.0/16" },
		{ "203.0.113.9", 80, TCP, DENY, RCC_R_HOST, 0, NULL },
		{ "10.9.9.9", 80, TCP, DENY, RCC_R_PRIVATE, 0, "10.0.0.0/8" },
		{ "::1", 80, TCP, DENY, RCC_R_LOOPBACK, 0, "::1/128" },
		/* the explicit marker */
		{ "10.1.2.3", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 6, NULL },
		{ "fd00::5", 5432, TCP, ALLOW, RCC_R_ALLOW_RULE, 6, NULL },
	};
	static const char *const warned[] = {
		"t.conf:3: warning: allow = meta.example:80/tcp: 'meta.example' resolves to 169.254.169.254, an internal address: left out",
		"t.conf:4: warning: allow = self.example:80/tcp: 'self.example' resolves to 203.0.113.9,",
		"t.conf:5: warning: allow = mapped.example:80/tcp: 'mapped.example' resolves to 10.9.9.9,",
		"t.conf:6: warning: allow = nat64.example:80/tcp: 'nat64.example' resolves to 64:ff9b::a09:909,",
		"t.conf:7: warning: allow = lo.example:80/tcp: 'lo.example' resolves to ::1,",
	};
	struct fix f;
	size_t i;

	(void)state;
	assert_int_equal(compile_mode(&f, text, RCC_DNS_ENFORCE), 0);
	for (i = 0; i < N(warned); i++)
		if (!strstr(errbuf, warned[i]))
			fail_msg("want '%s' in:\n%s", warned[i], errbuf);
	assert_null(strstr(errbuf, "db.internal"));
	check_rows("guard", &f.c, rows, N(rows));
	fix_free(&f);

	/* the daemon says it itself, once: the compiler is quiet */
	assert_int_equal(compile_mode(&f, text, RCC_DNS_QUIET), 0);
	assert_string_equal(errbuf, "");
	check_rows("guard quiet", &f.c, rows, N(rows));
	fix_free(&f);

	assert_true(rcc_policy_addr_internal(host_buf[2], NULL));  /* 10.0.0.5 */
	assert_false(rcc_policy_addr_internal(host_buf[0], NULL)); /* no host list */
	assert_true(rcc_policy_addr_internal(host_buf[0], &host_list));
}

static void test_dns_modes(void **state)
{
	static const char *const text = "[policy p]\n"			  /* 1 */
					"allow = api.example\n"		  /* 2 */
					"allow = flaky.example:443/tcp\n" /* 3 */
					"dns = open\n";			  /* 4 */
	static const char *const deny_text = "[policy p]\n"		  /* 1 */
					     "deny = nx.example\n";	  /* 2 */
	struct fix f;

	(void)state;
	/* attach, run: enforced without the name, and said so */
	assert_int_equal(compile_mode(&f, text, RCC_DNS_ENFORCE), 0);
	if (!strstr(errbuf,
		    "t.conf:3: warning: allow = flaky.example:443/tcp: cannot resolve 'flaky.example'; enforcing without it"))
		fail_msg("stderr:\n%s", errbuf);
	assert_int_equal(f.c.naddrs, 1);
	fix_free(&f);
	/* validate: an error */
	assert_int_equal(compile_mode(&f, text, RCC_DNS_STRICT), -EINVAL);
	fix_free(&f);
	/* a deny name that does not resolve would open what it closes */
	assert_int_equal(compile_mode(&f, deny_text, RCC_DNS_ENFORCE), -EINVAL);
	if (!strstr(errbuf,
		    "t.conf:2: deny = nx.example: cannot resolve 'nx.example' (no such name)"))
		fail_msg("stderr:\n%s", errbuf);
	fix_free(&f);
	/* the daemon: quiet, it reports names itself */
	assert_int_equal(compile_mode(&f, deny_text, RCC_DNS_QUIET), 0);
	assert_string_equal(errbuf, "");
	fix_free(&f);
}

/* ---- rcc_policy_explain_format --------------------------------------------- */

struct xrow {
	const char *addr;
	__u16 port;
	__u8 proto;
	const char *want;
};

static void check_explain(const char *ctx, const struct fix *f, const struct xrow *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct rcc_explain x;
		char buf[256];
		__u8 a[16];

		addr16(rows[i].addr, a);
		rcc_compiled_judge(&f->c, a, rows[i].port, rows[i].proto, &x);
		rcc_policy_explain_format(f->p, &x, buf, sizeof(buf));
		if (strcmp(buf, rows[i].want))
			fail_msg("%s: %s port %u: '%s', want '%s'", ctx, rows[i].addr, rows[i].port,
				 buf, rows[i].want);
	}
}

static void test_explain(void **state)
{
	static const struct xrow rows[] = {
		{ "10.1.2.3", 5432, TCP, "allow: allow = 10.1.0.0/16:5432/tcp (line 2)" },
		{ "198.51.100.8", 80, TCP, "deny: deny = 198.51.100.0/24 (line 3)" },
		{ "198.51.100.7", 80, UDP, "allow: allow = 198.51.100.7 (line 4)" },
		{ "192.168.1.1", 80, TCP, "deny: 192.168.0.0/16 (private)" },
		{ "10.1.2.3", 22, TCP, "deny: 10.0.0.0/8 (private)" },
		{ "::ffff:10.0.0.1", 22, TCP, "deny: 10.0.0.0/8 (private)" },
		{ "64:ff9b::10.0.0.1", 22, TCP,
		  "deny: 10.0.0.0/8 (private); NAT64: no entry inside 64:ff9b::/96 matched, so judged as 10.0.0.1" },
		{ "169.254.169.254", 80, TCP, "deny: 169.254.0.0/16 (private)" },
		{ "100.100.100.200", 80, TCP, "deny: 100.100.100.200/32 (private)" },
		{ "fe80::1", 80, TCP, "deny: fe80::/10 (private)" },
		{ "127.0.0.1", 80, TCP, "allow: 127.0.0.0/8 (loopback)" },
		{ "::1", 80, TCP, "allow: ::1/128 (loopback)" },
		{ "203.0.113.9", 80, TCP, "deny: 203.0.113.9 (address of this host, block_host)" },
		{ "2001:db8::9", 80, TCP, "deny: 2001:db8::9 (address of this host, block_host)" },
		{ "8.8.8.8", 53, UDP, "allow: public address (allow_public = yes)" },
	};
	static const struct xrow strict[] = {
		{ "127.0.0.1", 80, TCP, "deny: 127.0.0.0/8 (loopback, allow_loopback = no)" },
		{ "8.8.8.8", 53, UDP, "deny: no allow entry matches (allow_public = no)" },
		{ "1.1.1.1", 53, UDP, "allow: allow = 1.1.1.1:53/udp (line 4)" },
	};
	static const struct xrow audit[] = {
		{ "10.0.0.1", 80, TCP,
		  "deny: 10.0.0.0/8 (private) [mode = audit: counted, not blocked]" },
		{ "198.51.100.8", 80, TCP,
		  "deny: deny = 198.51.100.0/24 (line 3) [mode = audit: counted, not blocked]" },
		{ "127.0.0.1", 80, TCP,
		  "deny: 127.0.0.0/8 (loopback, allow_loopback = no) [mode = audit: counted, not blocked]" },
		{ "203.0.113.9", 80, TCP,
		  "deny: 203.0.113.9 (address of this host, block_host) [mode = audit: counted, not blocked]" },
		{ "8.8.8.8", 53, UDP,
		  "deny: no allow entry matches (allow_public = no) [mode = audit: counted, not blocked]" },
		/* allowed connections are not audited */
		{ "198.51.100.7", 80, UDP, "allow: allow = 198.51.100.7 (line 4)" },
	};
	struct fix f;
	char text[512];

	(void)state;
	compile_ok(&f, example_policy, &host_list);
	check_explain("explain", &f, rows, N(rows));
	fix_free(&f);

	/* inih strips the "; comment": the text shown is what the entry kept */
	compile_ok(&f,
		   "[policy p]\nallow_loopback = no\nallow_public = no\n"
		   "allow = 1.1.1.1:53/udp ; resolver\n",
		   NULL);
	check_explain("strict", &f, strict, N(strict));
	fix_free(&f);

	snprintf(text, sizeof(text), "%smode = audit\nallow_loopback = no\nallow_public = no\n",
		 example_policy);
	compile_ok(&f, text, &host_list);
	check_explain("audit", &f, audit, N(audit));
	fix_free(&f);

	/* audit does not mark allowed public traffic either */
	snprintf(text, sizeof(text), "%smode = audit\n", example_policy);
	compile_ok(&f, text, NULL);
	check_explain("audit public", &f,
		      (const struct xrow[]){ { "8.8.8.8", 53, UDP,
					       "allow: public address (allow_public = yes)" } },
		      1);
	fix_free(&f);
}

static void test_explain_truncates(void **state)
{
	struct rcc_policy_cfg p;
	struct rcc_explain x = { .action = DENY, .reason = RCC_R_PRIVATE };
	char buf[12];

	(void)state;
	rcc_config_policy_defaults(&p, "p");
	snprintf(x.origin, sizeof(x.origin), "192.168.0.0/16");
	memset(buf, 'Z', sizeof(buf));
	rcc_policy_explain_format(&p, &x, buf, sizeof(buf));
	assert_string_equal(buf, "deny: 192.1");
}

/* ---- dns = proxy: the proxy answers the names ------------------------ */

static void test_dns_proxy_names(void **state)
{
	static const char *const text = "[policy p]\n"			 /* 1 */
					"allow_public = no\n"		 /* 2 */
					"allow = API.example.:443/tcp\n" /* 3 */
					"allow = *.cdn.example\n"	 /* 4 */
					"deny = mirror.example:443\n"	 /* 5 */
					"deny = **.ads.example\n";	 /* 6 */
	static const struct vrow rows[] = {
		/* what api.example resolves to here is not allowed: the
		 * sandbox's own answers are (rcc_learned) */
		{ "203.0.113.80", 443, TCP, DENY, RCC_R_NOT_ALLOWED, 0, "" },
		/* an exact deny name is still resolved and denied */
		{ "198.51.100.20", 443, TCP, DENY, RCC_R_DENY_RULE, 3, NULL },
	};
	struct rcc_compile_opts o = { .resolve = fake_resolve, .file = "t.conf" };
	struct rcc_compiled open;
	struct fix f;
	FILE *tmp;
	int saved;

	(void)state;
	compile_ok(&f, text, NULL);
	/* allow entries name hosts: the programs look up rcc_learned */
	assert_int_equal(f.c.pol.flags, RCC_POL_ACTIVE | RCC_POL_ALLOW_LOOPBACK |
						RCC_POL_DNS_PROXY | RCC_POL_DNS_NAMES);
	assert_int_equal(f.log.calls, 1);
	assert_string_equal(f.log.last, "mirror.example");
	assert_string_equal(f.p->entries[0].host, "api.example");
	check_rows("proxy", &f.c, rows, N(rows));

	/* the compiler refuses a wildcard without the proxy too (the
	 * configuration does first) */
	f.cfg.policies[0].dns_proxy = false;
	tmp = capture_begin(&saved);
	assert_int_equal(rcc_policy_compile(f.p, 1, &o, &open), -EINVAL);
	capture_end(tmp, saved);
	assert_string_equal(
		errbuf,
		"t.conf:4: *.cdn.example: a wildcard needs dns = proxy (rcc-bpf answers the sandbox's DNS)\n"
		"t.conf:6: **.ads.example: a wildcard needs dns = proxy (rcc-bpf answers the sandbox's DNS)\n");
	fix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_examples),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_allow_loopback_no),
		cmocka_unit_test(test_allow_public_no),
		cmocka_unit_test(test_block_private_no),
		cmocka_unit_test(test_block_host),
		cmocka_unit_test(test_host_loopback),
		cmocka_unit_test(test_private_set),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_map_contents),
		cmocka_unit_test(test_set_version),
		cmocka_unit_test(test_ipv6_spaces),
		cmocka_unit_test(test_policy_flags),
		cmocka_unit_test(test_keys_unique),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_inherited_rules),
		cmocka_unit_test(test_rule_limit),
		cmocka_unit_test(test_duplicates_merged),
		cmocka_unit_test(test_hostnames),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test_setup(test_rebinding_guard, setup_hosts),
		cmocka_unit_test(test_dns_modes),
		cmocka_unit_test(test_dns_proxy_names),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_explain_truncates),
	};

	return cmocka_run_group_tests_name("policy", tests, setup_hosts, NULL);
}
