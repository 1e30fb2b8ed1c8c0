// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for rcc_judge() in include/rcc_shared.h, the verdict rules
 * shared by the BPF programs and the loader, fed hand-built lookup
 * results (NULL where a lookup found nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rcc_shared.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TCP RCC_PROTO_TCP
#define UDP RCC_PROTO_UDP
#define ICMP RCC_PROTO_ICMP
#define OTHER RCC_PROTO_OTHER
#define ALLOW RCC_ACT_ALLOW
#define DENY RCC_ACT_DENY
#define LB RCC_POL_ALLOW_LOOPBACK
#define PUB RCC_POL_ALLOW_PUBLIC

/* lookup results the rows pick from */
static const struct rcc_port_val pt_allow = { .action = ALLOW, .rule_id = 11 };
static const struct rcc_port_val pt_deny = { .action = DENY, .rule_id = 12 };
static const struct rcc_port_val pt_none = { .action = RCC_ACT_NONE, .rule_id = 13 };

static const struct rcc_addr_val av_allow_tcp = { .allow_protos = TCP, .allow_rule = 21 };
static const struct rcc_addr_val av_deny_any = { .deny_protos = RCC_PROTO_ANY, .deny_rule = 22 };
static const struct rcc_addr_val av_both = {
	.allow_protos = UDP,
	.allow_rule = 23,
	.deny_protos = TCP | UDP,
	.deny_rule = 24,
};

/* allow tcp 80-90 (31), deny udp 53 (32), deny any 1000-2000 (33) */
static const struct rcc_prefix_val pv_rules = {
	.nrules = 3,
	.rules = {
		{ .port_lo = 80, .port_hi = 90, .protos = TCP, .action = ALLOW, .rule_id = 31 },
		{ .port_lo = 53, .port_hi = 53, .protos = UDP, .action = DENY, .rule_id = 32 },
		{ .port_lo = 1000, .port_hi = 2000, .protos = RCC_PROTO_ANY, .action = DENY,
		  .rule_id = 33 },
	},
};
/* the deny comes first in the array: allow must still win */
static const struct rcc_prefix_val pv_deny_first = {
	.nrules = 2,
	.rules = {
		{ .port_lo = 0, .port_hi = 65535, .protos = RCC_PROTO_ANY, .action = DENY,
		  .rule_id = 41 },
		{ .port_lo = 443, .port_hi = 443, .protos = TCP, .action = ALLOW, .rule_id = 42 },
	},
};
/* rules past nrules are not looked at */
static const struct rcc_prefix_val pv_stale = {
	.nrules = 1,
	.rules = {
		{ .port_lo = 1, .port_hi = 1, .protos = TCP, .action = DENY, .rule_id = 51 },
		{ .port_lo = 0, .port_hi = 65535, .protos = RCC_PROTO_ANY, .action = ALLOW,
		  .rule_id = 52 },
	},
};
/* all RCC_MAX_RULES used: the last one still counts */
static struct rcc_prefix_val pv_full;

static const struct rcc_prefix_val pv_loop = { .flags = RCC_SET_LOOPBACK };
static const struct rcc_prefix_val pv_priv = { .flags = RCC_SET_PRIVATE };
static const struct rcc_prefix_val pv_host = { .flags = RCC_SET_HOST };
static const struct rcc_prefix_val pv_loop_priv = { .flags = RCC_SET_LOOPBACK | RCC_SET_PRIVATE };
static const struct rcc_prefix_val pv_priv_host = { .flags = RCC_SET_PRIVATE | RCC_SET_HOST };
static const struct rcc_prefix_val pv_plain = { .flags = 0 };
/* loopback under block_host: the host set holds it too */
static const struct rcc_prefix_val pv_loop_host = { .flags = RCC_SET_LOOPBACK | RCC_SET_HOST };
static const struct rcc_prefix_val pv_loop_priv_host = {
	.flags = RCC_SET_LOOPBACK | RCC_SET_PRIVATE | RCC_SET_HOST,
};
static const struct rcc_prefix_val pv_loop_rules = {
	.flags = RCC_SET_LOOPBACK,
	.nrules = 1,
	.rules = { { .port_lo = 25, .port_hi = 25, .protos = TCP, .action = DENY, .rule_id = 61 } },
};
static const struct rcc_prefix_val pv_priv_rules = {
	.flags = RCC_SET_PRIVATE | RCC_SET_HOST,
	.nrules = 1,
	.rules = { { .port_lo = 5432,
		     .port_hi = 5432,
		     .protos = TCP,
		     .action = ALLOW,
		     .rule_id = 62 } },
};

struct row {
	const char *name;
	__u32 flags;
	const struct rcc_port_val *pt;
	const struct rcc_addr_val *av;
	const struct rcc_prefix_val *pv;
	__u16 port;
	__u8 proto;
	__u32 action, reason, rule_id;
};

static const struct row rows[] = {
	/* nothing found: step 5 */
	{ "nothing, public allowed", PUB, NULL, NULL, NULL, 443, TCP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "nothing, public not allowed", 0, NULL, NULL, NULL, 443, TCP, DENY, RCC_R_NOT_ALLOWED,
	  0 },
	{ "nothing, loopback flag alone", LB, NULL, NULL, NULL, 443, TCP, DENY, RCC_R_NOT_ALLOWED,
	  0 },
	{ "plain prefix node, public", PUB | LB, NULL, NULL, &pv_plain, 1, UDP, ALLOW, RCC_R_PUBLIC,
	  0 },
	{ "plain prefix node, not public", LB, NULL, NULL, &pv_plain, 1, UDP, DENY,
	  RCC_R_NOT_ALLOWED, 0 },

	/* step 1: allow entries, each lookup */
	{ "port allow", 0, &pt_allow, NULL, NULL, 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 11 },
	{ "addr allow, its protocol", 0, NULL, &av_allow_tcp, NULL, 80, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 21 },
	{ "addr allow, other protocol", 0, NULL, &av_allow_tcp, NULL, 80, UDP, DENY,
	  RCC_R_NOT_ALLOWED, 0 },
	{ "prefix allow, low end", 0, NULL, NULL, &pv_rules, 80, TCP, ALLOW, RCC_R_ALLOW_RULE, 31 },
	{ "prefix allow, high end", 0, NULL, NULL, &pv_rules, 90, TCP, ALLOW, RCC_R_ALLOW_RULE,
	  31 },
	{ "prefix allow, below", 0, NULL, NULL, &pv_rules, 79, TCP, DENY, RCC_R_NOT_ALLOWED, 0 },
	{ "prefix allow, above", PUB, NULL, NULL, &pv_rules, 91, TCP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "prefix allow, wrong protocol", 0, NULL, NULL, &pv_rules, 85, UDP, DENY,
	  RCC_R_NOT_ALLOWED, 0 },
	{ "prefix rule order does not matter", 0, NULL, NULL, &pv_deny_first, 443, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 42 },
	{ "prefix deny-all otherwise", PUB, NULL, NULL, &pv_deny_first, 443, UDP, DENY,
	  RCC_R_DENY_RULE, 41 },
	{ "rules past nrules ignored", PUB, NULL, NULL, &pv_stale, 2, TCP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "rules within nrules used", PUB, NULL, NULL, &pv_stale, 1, TCP, DENY, RCC_R_DENY_RULE,
	  51 },
	{ "last of RCC_MAX_RULES used", 0, NULL, NULL, &pv_full, 7, OTHER, ALLOW, RCC_R_ALLOW_RULE,
	  100 + RCC_MAX_RULES - 1 },

	/* step 2: deny entries, each lookup */
	{ "port deny", PUB, &pt_deny, NULL, NULL, 80, TCP, DENY, RCC_R_DENY_RULE, 12 },
	{ "port entry without action", PUB, &pt_none, NULL, NULL, 80, TCP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "addr deny", PUB, NULL, &av_deny_any, NULL, 0, ICMP, DENY, RCC_R_DENY_RULE, 22 },
	{ "prefix deny", PUB, NULL, NULL, &pv_rules, 53, UDP, DENY, RCC_R_DENY_RULE, 32 },
	{ "prefix deny, other port", PUB, NULL, NULL, &pv_rules, 54, UDP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "prefix deny range", PUB, NULL, NULL, &pv_rules, 1500, OTHER, DENY, RCC_R_DENY_RULE, 33 },

	/* allow beats deny across lookups */
	{ "addr allow beats port deny", 0, &pt_deny, &av_allow_tcp, NULL, 80, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 21 },
	{ "prefix allow beats port deny", 0, &pt_deny, NULL, &pv_rules, 85, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 31 },
	{ "prefix allow beats addr deny", 0, NULL, &av_deny_any, &pv_rules, 85, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 31 },
	{ "port allow beats addr deny", 0, &pt_allow, &av_deny_any, NULL, 85, UDP, ALLOW,
	  RCC_R_ALLOW_RULE, 11 },
	{ "port allow beats prefix deny", 0, &pt_allow, NULL, &pv_rules, 53, UDP, ALLOW,
	  RCC_R_ALLOW_RULE, 11 },
	{ "port allow first of three", 0, &pt_allow, &av_allow_tcp, &pv_rules, 85, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 11 },
	{ "addr allow and deny: allow", 0, NULL, &av_both, NULL, 1, UDP, ALLOW, RCC_R_ALLOW_RULE,
	  23 },
	{ "addr allow and deny: deny", PUB, NULL, &av_both, NULL, 1, TCP, DENY, RCC_R_DENY_RULE,
	  24 },
	{ "port deny before addr deny", 0, &pt_deny, &av_deny_any, NULL, 1, TCP, DENY,
	  RCC_R_DENY_RULE, 12 },
	{ "addr deny before prefix deny", 0, NULL, &av_deny_any, &pv_rules, 53, UDP, DENY,
	  RCC_R_DENY_RULE, 22 },

	/* step 3: loopback */
	{ "loopback allowed", LB, NULL, NULL, &pv_loop, 80, TCP, ALLOW, RCC_R_LOOPBACK, 0 },
	{ "loopback not allowed", PUB, NULL, NULL, &pv_loop, 80, TCP, DENY, RCC_R_LOOPBACK, 0 },
	{ "deny entry beats loopback", LB, &pt_deny, NULL, &pv_loop, 80, TCP, DENY, RCC_R_DENY_RULE,
	  12 },
	{ "deny rule on loopback node", LB, NULL, NULL, &pv_loop_rules, 25, TCP, DENY,
	  RCC_R_DENY_RULE, 61 },
	{ "other port on loopback node", LB, NULL, NULL, &pv_loop_rules, 26, TCP, ALLOW,
	  RCC_R_LOOPBACK, 0 },
	{ "allow entry beats loopback = no", 0, &pt_allow, NULL, &pv_loop, 80, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 11 },
	{ "loopback before private", LB, NULL, NULL, &pv_loop_priv, 80, TCP, ALLOW, RCC_R_LOOPBACK,
	  0 },
	{ "loopback before private, denied", PUB, NULL, NULL, &pv_loop_priv, 80, TCP, DENY,
	  RCC_R_LOOPBACK, 0 },

	/* step 4: private, host */
	{ "private", PUB | LB, NULL, NULL, &pv_priv, 80, TCP, DENY, RCC_R_PRIVATE, 0 },
	{ "host", PUB | LB, NULL, NULL, &pv_host, 80, TCP, DENY, RCC_R_HOST, 0 },
	{ "private before host", PUB | LB, NULL, NULL, &pv_priv_host, 80, TCP, DENY, RCC_R_PRIVATE,
	  0 },
	{ "allow rule on private node", 0, NULL, NULL, &pv_priv_rules, 5432, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 62 },
	{ "other port on private node", PUB, NULL, NULL, &pv_priv_rules, 5433, TCP, DENY,
	  RCC_R_PRIVATE, 0 },
	{ "addr allow beats private", 0, NULL, &av_allow_tcp, &pv_priv, 80, TCP, ALLOW,
	  RCC_R_ALLOW_RULE, 21 },
	{ "port allow beats host", 0, &pt_allow, NULL, &pv_host, 80, TCP, ALLOW, RCC_R_ALLOW_RULE,
	  11 },
	{ "addr deny on host", PUB, NULL, &av_deny_any, &pv_host, 80, TCP, DENY, RCC_R_DENY_RULE,
	  22 },
};

static void test_rows(void **state)
{
	size_t i;

	(void)state;
	memset(&pv_full, 0, sizeof(pv_full));
	pv_full.nrules = RCC_MAX_RULES;
	for (i = 0; i < RCC_MAX_RULES; i++) {
		pv_full.rules[i].port_lo = pv_full.rules[i].port_hi = 1000 + i;
		pv_full.rules[i].protos = TCP;
		pv_full.rules[i].action = ALLOW;
		pv_full.rules[i].rule_id = 100 + i;
	}
	pv_full.rules[RCC_MAX_RULES - 1].port_lo = 0;
	pv_full.rules[RCC_MAX_RULES - 1].port_hi = 65535;
	pv_full.rules[RCC_MAX_RULES - 1].protos = RCC_PROTO_ANY;

	for (i = 0; i < N(rows); i++) {
		const struct row *r = &rows[i];
		__u32 reason = 0xdead, rule_id = 0xbeef, action;

		action = rcc_judge(r->flags, RCC_WHERE_OWN_NETNS, r->pt, r->av, r->pv, NULL, r->port,
				   r->proto, &reason, &rule_id);
		if (action != r->action || reason != r->reason || rule_id != r->rule_id)
			fail_msg("'%s': action %u reason %u rule %u, want %u %u %u", r->name,
				 action, reason, rule_id, r->action, r->reason, r->rule_id);
	}
}

/* Rule 3 by where a loopback destination leads (enum rcc_where). */
struct where_row {
	const char *name;
	__u32 where;
	__u32 flags;
	const struct rcc_port_val *pt;
	const struct rcc_addr_val *av;
	const struct rcc_prefix_val *pv;
	__u16 port;
	__u8 proto;
	__u32 action, reason, rule_id;
};

static const struct where_row where_rows[] = {
	{ "host loopback, block_host", RCC_WHERE_HOST, PUB | LB, NULL, NULL, &pv_loop_host, 5432,
	  TCP, DENY, RCC_R_HOST, 0 },
	{ "host ::1 is host before private", RCC_WHERE_HOST, PUB | LB, NULL, NULL,
	  &pv_loop_priv_host, 5432, TCP, DENY, RCC_R_HOST, 0 },
	{ "host loopback, no block_host", RCC_WHERE_HOST, PUB | LB, NULL, NULL, &pv_loop, 5432, TCP,
	  ALLOW, RCC_R_PUBLIC, 0 },
	{ "host loopback, no block_host, no public", RCC_WHERE_HOST, LB, NULL, NULL, &pv_loop, 5432,
	  TCP, DENY, RCC_R_NOT_ALLOWED, 0 },
	{ "host ::1, no block_host: not private", RCC_WHERE_HOST, PUB, NULL, NULL, &pv_loop_priv,
	  5432, TCP, ALLOW, RCC_R_PUBLIC, 0 },
	{ "host loopback, allow entry", RCC_WHERE_HOST, LB, &pt_allow, NULL, &pv_loop_host, 5432,
	  TCP, ALLOW, RCC_R_ALLOW_RULE, 11 },
	{ "own listener", RCC_WHERE_OWN_LISTENER, PUB | LB, NULL, NULL, &pv_loop_host, 3000, TCP,
	  ALLOW, RCC_R_LOOPBACK, 0 },
	{ "own listener, allow_loopback = no", RCC_WHERE_OWN_LISTENER, PUB, NULL, NULL,
	  &pv_loop_host, 3000, TCP, DENY, RCC_R_LOOPBACK, 0 },
	{ "deny entry beats own listener", RCC_WHERE_OWN_LISTENER, LB, &pt_deny, NULL,
	  &pv_loop_host, 3000, TCP, DENY, RCC_R_DENY_RULE, 12 },
	{ "own namespace ignores the host set", RCC_WHERE_OWN_NETNS, LB, NULL, NULL, &pv_loop_host,
	  5432, TCP, ALLOW, RCC_R_LOOPBACK, 0 },
};

static void test_where(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(where_rows); i++) {
		const struct where_row *r = &where_rows[i];
		__u32 reason = 0xdead, rule_id = 0xbeef, action;

		action = rcc_judge(r->flags, r->where, r->pt, r->av, r->pv, NULL, r->port, r->proto,
				   &reason, &rule_id);
		if (action != r->action || reason != r->reason || rule_id != r->rule_id)
			fail_msg("'%s': action %u reason %u rule %u, want %u %u %u", r->name,
				 action, reason, rule_id, r->action, r->reason, r->rule_id);
	}
}

/* The verdict depends only on the policy flags it is documented to. */
static void test_flags_ignored(void **state)
{
	__u32 reason, rule_id;

	(void)state;
	/* audit and raw do not change the verdict: the caller counts */
	assert_int_equal(rcc_judge(RCC_POL_ACTIVE | RCC_POL_AUDIT | RCC_POL_ALLOW_RAW, 0, NULL, NULL,
				   &pv_priv, NULL, 80, TCP, &reason, &rule_id),
			 DENY);
	assert_int_equal(reason, RCC_R_PRIVATE);
	assert_int_equal(rcc_judge(RCC_POL_ACTIVE | RCC_POL_AUDIT | PUB, 0, NULL, NULL, NULL, NULL, 80,
				   TCP, &reason, &rule_id),
			 ALLOW);
	assert_int_equal(reason, RCC_R_PUBLIC);
	assert_int_equal(rcc_judge(RCC_POL_ACTIVE | RCC_POL_AUDIT, 0, NULL, NULL, NULL, NULL, 80, TCP,
				   &reason, &rule_id),
			 DENY);
	assert_int_equal(reason, RCC_R_NOT_ALLOWED);
}

/* What DNS answers allowed (rcc_learned): after the deny entries, before
 * the special sets and allow_public. */
static void test_learned(void **state)
{
	static const struct rcc_prefix_val learned = {
		.nrules = 1,
		.rules = { { .port_lo = 443,
			     .port_hi = 443,
			     .protos = TCP,
			     .action = ALLOW,
			     .rule_id = 3 } },
	};
	static const struct {
		const char *name;
		const struct rcc_port_val *pt;
		const struct rcc_addr_val *av;
		const struct rcc_prefix_val *pv;
		__u16 port;
		__u32 action, reason, rule_id;
	} rows3[] = {
		{ "answered, allowlist", NULL, NULL, NULL, 443, ALLOW, RCC_R_ALLOW_RULE, 3 },
		{ "answered, another port", NULL, NULL, NULL, 80, DENY, RCC_R_NOT_ALLOWED, 0 },
		{ "a deny entry by address wins", &pt_deny, NULL, NULL, 443, DENY, RCC_R_DENY_RULE,
		  12 },
		{ "an address deny wins", NULL, &av_deny_any, NULL, 443, DENY, RCC_R_DENY_RULE, 22 },
		{ "private_ok answer beats the private set", NULL, NULL, &pv_priv, 443, ALLOW,
		  RCC_R_ALLOW_RULE, 3 },
		{ "an allow entry decides first", &pt_allow, NULL, NULL, 443, ALLOW, RCC_R_ALLOW_RULE,
		  11 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(rows3); i++) {
		__u32 reason = 0, rule_id = 0;
		__u32 a = rcc_judge(RCC_POL_ACTIVE | RCC_POL_DNS_PROXY, RCC_WHERE_OWN_NETNS, rows3[i].pt,
				    rows3[i].av, rows3[i].pv, &learned, rows3[i].port, TCP, &reason,
				    &rule_id);

		if (a != rows3[i].action || reason != rows3[i].reason || rule_id != rows3[i].rule_id)
			fail_msg("'%s': action %u reason %u rule %u, want %u %u %u", rows3[i].name, a,
				 reason, rule_id, rows3[i].action, rows3[i].reason, rows3[i].rule_id);
	}
}

/* Protocol matching is by bit: a rule for tcp|udp takes either. */
static void test_protocol_bits(void **state)
{
	static const struct rcc_prefix_val pv = {
		.nrules = 1,
		.rules = { { .port_lo = 0,
			     .port_hi = 0,
			     .protos = TCP | UDP,
			     .action = ALLOW,
			     .rule_id = 7 } },
	};
	static const struct {
		__u8 proto;
		__u32 action;
	} rows2[] = {
		{ TCP, ALLOW },
		{ UDP, ALLOW },
		{ ICMP, DENY },
		{ OTHER, DENY },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(rows2); i++) {
		__u32 reason, rule_id;
		__u32 a = rcc_judge(0, 0, NULL, NULL, &pv, NULL, 0, rows2[i].proto, &reason, &rule_id);

		if (a != rows2[i].action)
			fail_msg("proto %#x: action %u, want %u", rows2[i].proto, a,
				 rows2[i].action);
		if (a == ALLOW && rule_id != 7)
			fail_msg("proto %#x: rule %u", rows2[i].proto, rule_id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_flags_ignored),
		cmocka_unit_test(test_protocol_bits),
		cmocka_unit_test(test_learned),
	};

	return cmocka_run_group_tests_name("judge", tests, NULL, NULL);
}
