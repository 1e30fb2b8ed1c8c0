// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/addr.c: policy entry parsing (ADDR[/PREFIX][:PORTS]
 * [/PROTO]), address normalisation and the small helpers around it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/addr.h"
#include "policy/entry.h"
#include "rcc_shared.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TCPUDP (RCC_PROTO_TCP | RCC_PROTO_UDP)

/* Parses a literal the test trusts into the 16-byte form. */
static void addr16(const char *s, __u8 out[16])
{
	struct in_addr a4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		fail_msg("test bug: '%s' is not an address", s);
}

static void fmt16(const __u8 a[16], char *buf, size_t len)
{
	inet_ntop(AF_INET6, a, buf, len);
}

/* ---- good entries -------------------------------------------------- */

struct good_row {
	const char *text;
	const char *addr; /* expected 16-byte address (v6 or v4 literal) */
	unsigned plen;	  /* in the 16-byte space */
	__u8 protos;
	unsigned nports;
	struct rcc_port_range ports[4];
};

static const struct good_row good_rows[] = {
	/* IPv4 */
	{ "10.1.2.3", "10.1.2.3", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "10.0.0.0/8", "10.0.0.0", 104, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "0.0.0.0/0", "0.0.0.0", 96, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "10.1.2.3/32", "10.1.2.3", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "192.168.0.0/16", "192.168.0.0", 112, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "172.16.0.0/12", "172.16.0.0", 108, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "10.1.2.3:443", "10.1.2.3", 128, TCPUDP, 1, { { 443, 443 } } },
	{ "10.1.2.3:1", "10.1.2.3", 128, TCPUDP, 1, { { 1, 1 } } },
	{ "10.1.2.3:65535", "10.1.2.3", 128, TCPUDP, 1, { { 65535, 65535 } } },
	{ "10.1.2.3:80,443", "10.1.2.3", 128, TCPUDP, 2, { { 80, 80 }, { 443, 443 } } },
	{ "10.1.2.3:8000-8080", "10.1.2.3", 128, TCPUDP, 1, { { 8000, 8080 } } },
	{ "10.1.2.3:22,8000-8080,9000",
	  "10.1.2.3",
	  128,
	  TCPUDP,
	  3,
	  { { 22, 22 }, { 8000, 8080 }, { 9000, 9000 } } },
	{ "10.1.2.3:5-5", "10.1.2.3", 128, TCPUDP, 1, { { 5, 5 } } },
	{ "10.1.2.3:1-65535", "10.1.2.3", 128, TCPUDP, 1, { { 1, 65535 } } },
	{ "10.1.0.0/16:5432/tcp", "10.1.0.0", 112, RCC_PROTO_TCP, 1, { { 5432, 5432 } } },
	{ "10.1.2.3:53/udp", "10.1.2.3", 128, RCC_PROTO_UDP, 1, { { 53, 53 } } },
	{ "10.1.2.3/tcp", "10.1.2.3", 128, RCC_PROTO_TCP, 0, { { 0 } } },
	{ "10.1.2.3/udp", "10.1.2.3", 128, RCC_PROTO_UDP, 0, { { 0 } } },
	{ "10.1.2.3/icmp", "10.1.2.3", 128, RCC_PROTO_ICMP, 0, { { 0 } } },
	{ "10.0.0.0/8/icmp", "10.0.0.0", 104, RCC_PROTO_ICMP, 0, { { 0 } } },
	{ "10.1.2.3/TCP", "10.1.2.3", 128, RCC_PROTO_TCP, 0, { { 0 } } },
	{ "  10.1.2.3:80/tcp  ", "10.1.2.3", 128, RCC_PROTO_TCP, 1, { { 80, 80 } } },
	/* IPv6 */
	{ "2001:db8::1", "2001:db8::1", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "2001:db8::/32", "2001:db8::", 32, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "::/0", "::", 0, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "::1", "::1", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "[2001:db8::1]:443", "2001:db8::1", 128, TCPUDP, 1, { { 443, 443 } } },
	{ "[2001:db8::1]:80,443/tcp",
	  "2001:db8::1",
	  128,
	  RCC_PROTO_TCP,
	  2,
	  { { 80, 80 }, { 443, 443 } } },
	{ "[2001:db8::/32]:443", "2001:db8::", 32, TCPUDP, 1, { { 443, 443 } } },
	{ "[2001:db8::/48]:1000-2000/udp", "2001:db8::", 48, RCC_PROTO_UDP, 1, { { 1000, 2000 } } },
	{ "[2001:db8::1]", "2001:db8::1", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "2001:db8::1/icmp", "2001:db8::1", 128, RCC_PROTO_ICMP, 0, { { 0 } } },
	{ "2001:db8::/32/tcp", "2001:db8::", 32, RCC_PROTO_TCP, 0, { { 0 } } },
	{ "fe80::/10", "fe80::", 10, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "2001:db8::1/icmpv6", "2001:db8::1", 128, RCC_PROTO_ICMP, 0, { { 0 } } },
	/* the v4-mapped form is the IPv4 address; NAT64 stays as written */
	{ "::ffff:10.1.2.3", "10.1.2.3", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "[::ffff:10.1.2.3]:80", "10.1.2.3", 128, TCPUDP, 1, { { 80, 80 } } },
	{ "::ffff:10.0.0.0/104", "10.0.0.0", 104, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "64:ff9b::10.1.2.3", "64:ff9b::a01:203", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "64:ff9b::a01:203", "64:ff9b::a01:203", 128, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "[64:ff9b::10.1.2.3]:443/tcp",
	  "64:ff9b::a01:203",
	  128,
	  RCC_PROTO_TCP,
	  1,
	  { { 443, 443 } } },
	{ "64:ff9b::10.0.0.0/104", "64:ff9b::a00:0", 104, RCC_PROTO_ANY, 0, { { 0 } } },
	{ "64:ff9b::/96", "64:ff9b::", 96, RCC_PROTO_ANY, 0, { { 0 } } },
	/* local-use NAT64 is not the well-known prefix: left alone */
	{ "64:ff9b:1::a01:203", "64:ff9b:1::a01:203", 128, RCC_PROTO_ANY, 0, { { 0 } } },
};

static void test_entry_good(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < N(good_rows); i++) {
		const struct good_row *r = &good_rows[i];
		struct rcc_entry e;
		char err[256] = "";
		__u8 want[16];
		char got_s[64], want_s[64];
		int rc;

		rc = rcc_entry_parse(r->text, RCC_ACT_ALLOW, &e, err, sizeof(err));
		if (rc)
			fail_msg("'%s': rc %d, error '%s'", r->text, rc, err);
		addr16(r->addr, want);
		fmt16(e.addr, got_s, sizeof(got_s));
		fmt16(want, want_s, sizeof(want_s));
		if (memcmp(e.addr, want, 16))
			fail_msg("'%s': address %s, want %s", r->text, got_s, want_s);
		if (e.plen != r->plen)
			fail_msg("'%s': plen %u, want %u", r->text, e.plen, r->plen);
		if (e.protos != r->protos)
			fail_msg("'%s': protos %#x, want %#x", r->text, e.protos, r->protos);
		if (e.nports != r->nports)
			fail_msg("'%s': nports %u, want %u", r->text, e.nports, r->nports);
		for (j = 0; j < r->nports; j++)
			if (e.ports[j].lo != r->ports[j].lo || e.ports[j].hi != r->ports[j].hi)
				fail_msg("'%s': port range %zu is %u-%u, want %u-%u", r->text, j,
					 e.ports[j].lo, e.ports[j].hi, r->ports[j].lo,
					 r->ports[j].hi);
		if (e.host[0])
			fail_msg("'%s': taken as hostname '%s'", r->text, e.host);
		if (e.action != RCC_ACT_ALLOW)
			fail_msg("'%s': action %u", r->text, e.action);
		rcc_entry_release(&e);
	}
}

static void test_entry_action_and_text(void **state)
{
	struct rcc_entry e;
	char err[128];

	(void)state;
	assert_int_equal(rcc_entry_parse("  198.51.100.0/24:80/tcp \t", RCC_ACT_DENY, &e, err,
					 sizeof(err)),
			 0);
	assert_int_equal(e.action, RCC_ACT_DENY);
	/* surrounding blanks dropped, the rest kept as written */
	assert_string_equal(e.text, "198.51.100.0/24:80/tcp");
	assert_int_equal(e.line, 0);
	assert_string_equal(e.host, "");
	rcc_entry_release(&e);
	assert_null(e.text);
	assert_null(e.ports);

	/* the entry owns its copies: the input may go away */
	{
		char in[64] = "[2001:db8::1]:80,443/tcp";

		assert_int_equal(rcc_entry_parse(in, RCC_ACT_ALLOW, &e, err, sizeof(err)), 0);
		memset(in, 'x', sizeof(in) - 1);
		assert_string_equal(e.text, "[2001:db8::1]:80,443/tcp");
		assert_int_equal(e.nports, 2);
		assert_int_equal(e.ports[1].lo, 443);
		rcc_entry_release(&e);
	}
	{
		char in[64] = "db.example:53/udp";

		assert_int_equal(rcc_entry_parse(in, RCC_ACT_ALLOW, &e, err, sizeof(err)), 0);
		memset(in, 'x', sizeof(in) - 1);
		assert_string_equal(e.host, "db.example");
		assert_string_equal(e.text, "db.example:53/udp");
		rcc_entry_release(&e);
		/* released twice is harmless */
		rcc_entry_release(&e);
	}
}

/* ---- hostnames ----------------------------------------------------- */

struct host_row {
	const char *text;
	const char *host;
	__u8 protos;
	unsigned nports;
	__u16 port_lo, port_hi;
};

static const struct host_row host_rows[] = {
	{ "example.com", "example.com", RCC_PROTO_ANY, 0, 0, 0 },
	{ "db.internal:5432", "db.internal", TCPUDP, 1, 5432, 5432 },
	{ "db.internal:5432/tcp", "db.internal", RCC_PROTO_TCP, 1, 5432, 5432 },
	{ "api.example.com:8000-8100", "api.example.com", TCPUDP, 1, 8000, 8100 },
	{ "localhost", "localhost", RCC_PROTO_ANY, 0, 0, 0 },
	{ "my_host-1.example", "my_host-1.example", RCC_PROTO_ANY, 0, 0, 0 },
	{ "ns1.example/udp", "ns1.example", RCC_PROTO_UDP, 0, 0, 0 },
	{ "1.2.3.example", "1.2.3.example", RCC_PROTO_ANY, 0, 0, 0 },
};

static void test_entry_hostnames(void **state)
{
	static const __u8 zero[16];
	size_t i;

	(void)state;
	for (i = 0; i < N(host_rows); i++) {
		const struct host_row *r = &host_rows[i];
		struct rcc_entry e;
		char err[256] = "";

		if (rcc_entry_parse(r->text, RCC_ACT_ALLOW, &e, err, sizeof(err)))
			fail_msg("'%s': error '%s'", r->text, err);
		if (strcmp(e.host, r->host))
			fail_msg("'%s': host '%s', want '%s'", r->text, e.host, r->host);
		if (e.plen != 128)
			fail_msg("'%s': plen %u, want 128", r->text, e.plen);
		if (memcmp(e.addr, zero, 16))
			fail_msg("'%s': address set for a hostname", r->text);
		if (e.protos != r->protos)
			fail_msg("'%s': protos %#x, want %#x", r->text, e.protos, r->protos);
		if (e.nports != r->nports)
			fail_msg("'%s': nports %u, want %u", r->text, e.nports, r->nports);
		if (r->nports && (e.ports[0].lo != r->port_lo || e.ports[0].hi != r->port_hi))
			fail_msg("'%s': ports %u-%u", r->text, e.ports[0].lo, e.ports[0].hi);
		rcc_entry_release(&e);
	}
}

/* ---- bad entries --------------------------------------------------- */

struct bad_row {
	const char *text;
	const char *err; /* the whole message */
};

static const struct bad_row bad_rows[] = {
	{ "10.0.0.0/33", "prefix /33 is over 32" },
	{ "2001:db8::/129", "prefix /129 is over 128" },
	{ "[2001:db8::/129]:80", "prefix /129 is over 128" },
	{ "10.0.0.0/", "bad prefix length '/'" },
	{ "10.0.0.0/-1", "bad prefix length '/-1'" },
	{ "10.0.0.0/256", "bad prefix length '/256'" },
	{ "10.0.0.1/8", "'10.0.0.1/8' has bits set after the prefix; did you mean 10.0.0.0/8?" },
	{ "10.1.2.3/24:80",
	  "'10.1.2.3/24' has bits set after the prefix; did you mean 10.1.2.0/24?" },
	{ "192.168.1.0/15",
	  "'192.168.1.0/15' has bits set after the prefix; did you mean 192.168.0.0/15?" },
	{ "2001:db8::1/32",
	  "'2001:db8::1/32' has bits set after the prefix; did you mean 2001:db8::/32?" },
	{ "[2001:db8::1/64]:443",
	  "'2001:db8::1/64' has bits set after the prefix; did you mean 2001:db8::/64?" },
	{ "10.0.0.1:0", "bad port '0' (ports are 1-65535)" },
	{ "10.0.0.1:65536", "bad port '65536' (ports are 1-65535)" },
	{ "10.0.0.1:99999999999999999999", "bad port '99999999999999999999' (ports are 1-65535)" },
	{ "10.0.0.1:0-10", "bad port '0-10' (ports are 1-65535)" },
	{ "10.0.0.1:1-65536", "bad port '1-65536' (ports are 1-65535)" },
	{ "10.0.0.1:80,0", "bad port '0' (ports are 1-65535)" },
	{ "10.0.0.1:http", "bad port 'http' (ports are 1-65535)" },
	{ "10.0.0.1:-5", "bad port '-5' (ports are 1-65535)" },
	{ "10.0.0.1:+5", "bad port '+5' (ports are 1-65535)" },
	{ "10.0.0.1:10-5", "bad port range '10-5' (low end above high end)" },
	{ "10.0.0.1:80,443-442", "bad port range '443-442' (low end above high end)" },
	{ "10.0.0.1:", "empty port list" },
	{ "[::1]:", "empty port list" },
	{ "10.0.0.1/sctp", "bad protocol 'sctp' (tcp, udp or icmp)" },
	{ "10.0.0.1:80/tcpx", "bad protocol 'tcpx' (tcp, udp or icmp)" },
	{ "10.0.0.1:80/icmp", "icmp has no ports" },
	{ "[2001:db8::1]:80/icmp", "icmp has no ports" },
	{ "[::1", "missing ']' after IPv6 address" },
	{ "[2001:db8::1:443", "missing ']' after IPv6 address" },
	{ "[2001:db8::1]443", "unexpected '443' after ']'" },
	{ "[10.0.0.1]:80", "brackets are for IPv6 addresses, not '10.0.0.1'" },
	{ "[example.com]:80", "brackets are for IPv6 addresses, not 'example.com'" },
	{ "", "empty entry" },
	{ "   \t ", "empty entry" },
	{ ":80", "missing address" },
	{ "/8", "missing address" },
	{ "300.1.1.1", "bad address '300.1.1.1'" },
	{ "10.0.0", "bad address '10.0.0'" },
	{ "1.2.3.4.5", "bad address '1.2.3.4.5'" },
	{ "[2001:db8::zz]:80", "bad address '2001:db8::zz'" },
	{ "2001:db8:::1", "bad address '2001:db8:::1'" },
	{ "bad..name", "bad address 'bad..name'" },
	{ "bad name", "bad address 'bad name'" },
	{ "example.com/24", "a hostname ('example.com') takes no prefix length" },
	{ "10.0.0.1:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33",
	  "too many port ranges (at most 32 an entry)" },
};

static void test_entry_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(bad_rows); i++) {
		const struct bad_row *r = &bad_rows[i];
		struct rcc_entry e;
		char err[256] = "";
		int rc;

		rc = rcc_entry_parse(r->text, RCC_ACT_ALLOW, &e, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("'%s': rc %d, want -EINVAL (error '%s')", r->text, rc, err);
		if (strcmp(err, r->err))
			fail_msg("'%s': error '%s', want '%s'", r->text, err, r->err);
	}
}

static void test_entry_private_ok(void **state)
{
	static const struct {
		const char *text;
		__u32 action;
		const char *err;
	} rows[] = {
		{ "internal.example:443 private_ok", RCC_ACT_ALLOW, NULL },
		{ "internal.example:80, 443/tcp   private_ok", RCC_ACT_ALLOW, NULL },
		{ "10.0.0.1:443 private_ok", RCC_ACT_ALLOW,
		  "private_ok is for allow = HOSTNAME entries (it lets the name resolve to private addresses)" },
		{ "internal.example private_ok", RCC_ACT_DENY,
		  "private_ok is for allow = HOSTNAME entries (it lets the name resolve to private addresses)" },
		{ "internal.example:443 privat_ok", RCC_ACT_ALLOW,
		  "unknown option 'privat_ok' (the one option is private_ok)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		struct rcc_entry e;
		char err[256] = "";
		int rc = rcc_entry_parse(rows[i].text, rows[i].action, &e, err, sizeof(err));

		if (!rows[i].err) {
			if (rc || !(e.flags & RCC_ENTRY_PRIVATE_OK) ||
			    strcmp(e.host, "internal.example"))
				fail_msg("'%s': rc %d flags %u host '%s' (%s)", rows[i].text, rc,
					 e.flags, rc ? "" : e.host, err);
			rcc_entry_release(&e);
		} else if (rc != -EINVAL || strcmp(err, rows[i].err)) {
			fail_msg("'%s': rc %d, error '%s', want '%s'", rows[i].text, rc, err,
				 rows[i].err);
		}
	}
}

static void test_resolver_parse(void **state)
{
	static const struct {
		const char *text;
		const char *addr;
		__u16 port;
	} good[] = {
		{ "10.0.0.53", "10.0.0.53", 53 },
		{ "10.0.0.53:5353", "10.0.0.53", 5353 },
		{ "2001:db8::53", "2001:db8::53", 53 },
		{ "[2001:db8::53]:54", "2001:db8::53", 54 },
	};
	static const char *const bad[] = {
		"",
		"ns.example",
		"10.0.0.53:0",
		"10.0.0.53:70000",
		"[10.0.0.53]:53",
		"[2001:db8::53",
		"10.0.0.53:53x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(good); i++) {
		__u8 a[16], want[16];
		__u16 port = 0;
		char err[160] = "";
		bool v4;

		assert_int_equal(rcc_addr_parse(good[i].addr, want, &v4), 0);
		if (rcc_addr_port_parse(good[i].text, a, &port, err, sizeof(err)) ||
		    memcmp(a, want, 16) || port != good[i].port)
			fail_msg("'%s': port %u (%s)", good[i].text, port, err);
	}
	for (i = 0; i < N(bad); i++) {
		char err[160] = "";

		if (rcc_addr_port_parse(bad[i], NULL, NULL, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, "is not ADDR[:PORT]"))
			fail_msg("'%s' accepted (%s)", bad[i], err);
	}
}

static void test_entry_port_range_limit(void **state)
{
	char text[512];
	struct rcc_entry e;
	char err[256] = "";
	int i, n;

	(void)state;
	/* exactly RCC_MAX_PORT_RANGES ranges is fine */
	n = snprintf(text, sizeof(text), "10.0.0.1:");
	for (i = 1; i <= RCC_MAX_PORT_RANGES; i++)
		n += snprintf(text + n, sizeof(text) - n, "%s%d", i > 1 ? "," : "", i * 100);
	assert_int_equal(rcc_entry_parse(text, RCC_ACT_ALLOW, &e, err, sizeof(err)), 0);
	assert_int_equal(e.nports, RCC_MAX_PORT_RANGES);
	assert_int_equal(e.ports[RCC_MAX_PORT_RANGES - 1].lo, RCC_MAX_PORT_RANGES * 100);
	rcc_entry_release(&e);
	/* one more is not */
	snprintf(text + n, sizeof(text) - n, ",9999");
	assert_int_equal(rcc_entry_parse(text, RCC_ACT_ALLOW, &e, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "too many port ranges (at most 32 an entry)");
}

static void test_entry_too_long(void **state)
{
	char text[400];
	struct rcc_entry e;
	char err[128] = "";

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(rcc_entry_parse(text, RCC_ACT_ALLOW, &e, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "entry too long");
}

static void test_entry_hostname_too_long(void **state)
{
	/* 4 labels of 63 = 255 characters with the dots: over RCC_HOSTNAME_MAX */
	char text[300], label[64];
	struct rcc_entry e;
	char err[256] = "";

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(text, sizeof(text), "%s.%s.%s.%s", label, label, label, label);
	assert_int_equal(strlen(text), 255);
	assert_int_equal(rcc_entry_parse(text, RCC_ACT_ALLOW, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad address"));
	/* the longest allowed name fits and round-trips */
	text[RCC_HOSTNAME_MAX - 1] = '\0';
	if (text[RCC_HOSTNAME_MAX - 2] == '.')
		text[RCC_HOSTNAME_MAX - 2] = 'b';
	assert_int_equal(rcc_entry_parse(text, RCC_ACT_ALLOW, &e, err, sizeof(err)), 0);
	assert_string_equal(e.host, text);
	rcc_entry_release(&e);
}

/* ---- rcc_addr_parse / embedded_v4 / is_v4 --------------------------- */

struct addr_row {
	const char *text;
	int rc;
	bool v4;
	const char *want; /* expected 16 bytes, as an IPv6 literal */
};

static const struct addr_row addr_rows[] = {
	{ "10.1.2.3", 0, true, "::ffff:10.1.2.3" },
	{ "0.0.0.0", 0, true, "::ffff:0.0.0.0" },
	{ "255.255.255.255", 0, true, "::ffff:255.255.255.255" },
	{ "::ffff:10.1.2.3", 0, false, "::ffff:10.1.2.3" },
	{ "64:ff9b::10.1.2.3", 0, false, "64:ff9b::a01:203" },
	{ "64:ff9b::8.8.8.8", 0, false, "64:ff9b::808:808" },
	{ "64:ff9b:1::10.1.2.3", 0, false, "64:ff9b:1::a01:203" },
	{ "2001:db8::1", 0, false, "2001:db8::1" },
	{ "::", 0, false, "::" },
	{ "::10.1.2.3", 0, false, "::a01:203" },
	{ "300.1.1.1", -EINVAL, false, NULL },
	{ "example.com", -EINVAL, false, NULL },
	{ "", -EINVAL, false, NULL },
	{ "10.1.2.3/8", -EINVAL, false, NULL },
};

static void test_addr_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(addr_rows); i++) {
		const struct addr_row *r = &addr_rows[i];
		__u8 a[16], want[16];
		bool v4 = !r->v4;
		int rc = rcc_addr_parse(r->text, a, &v4);

		if (rc != r->rc)
			fail_msg("'%s': rc %d, want %d", r->text, rc, r->rc);
		if (rc)
			continue;
		if (v4 != r->v4)
			fail_msg("'%s': is_v4 %d, want %d", r->text, v4, r->v4);
		inet_pton(AF_INET6, r->want, want);
		if (memcmp(a, want, 16)) {
			char got[64];

			fmt16(a, got, sizeof(got));
			fail_msg("'%s': %s, want %s", r->text, got, r->want);
		}
	}
}

static void test_addr_embedded_v4_and_is_v4(void **state)
{
	__u8 a[16], b[16];
	const __u8 be4[4] = { 192, 0, 2, 1 };

	(void)state;
	addr16("64:ff9b::192.0.2.1", a);
	assert_false(rcc_addr_is_v4(a));
	rcc_addr_embedded_v4(a);
	assert_true(rcc_addr_is_v4(a));
	rcc_addr_from_v4(b, be4);
	assert_memory_equal(a, b, 16);

	addr16("2001:db8::1", a);
	memcpy(b, a, 16);
	rcc_addr_embedded_v4(a);
	assert_memory_equal(a, b, 16); /* untouched */
	assert_false(rcc_addr_is_v4(a));

	addr16("64:ff9b:1::1", a);
	memcpy(b, a, 16);
	rcc_addr_embedded_v4(a);
	assert_memory_equal(a, b, 16);
	addr16("::1.2.3.4", a); /* IPv4-compatible: not mapped */
	assert_false(rcc_addr_is_v4(a));
}

/* The host's addresses arrive as sockaddrs (getifaddrs): one 16-byte form. */
static void test_addr_from_sockaddr(void **state)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr other = { .sa_family = AF_UNIX };
	__u8 a[16], want[16];

	(void)state;
	inet_pton(AF_INET, "198.51.100.7", &s4.sin_addr);
	assert_true(rcc_addr_from_sockaddr(a, (struct sockaddr *)&s4));
	addr16("198.51.100.7", want);
	assert_memory_equal(a, want, 16);

	inet_pton(AF_INET6, "2001:db8::7", &s6.sin6_addr);
	assert_true(rcc_addr_from_sockaddr(a, (struct sockaddr *)&s6));
	addr16("2001:db8::7", want);
	assert_memory_equal(a, want, 16);

	assert_false(rcc_addr_from_sockaddr(a, &other));
}

/* ---- rcc_addr_prefix_format --------------------------------------------- */

struct fmt_row {
	const char *addr;
	unsigned plen;
	const char *want;
};

static const struct fmt_row fmt_rows[] = {
	{ "10.1.2.3", 128, "10.1.2.3" },
	{ "10.0.0.0", 104, "10.0.0.0/8" },
	{ "0.0.0.0", 96, "0.0.0.0/0" },
	{ "192.168.0.0", 112, "192.168.0.0/16" },
	{ "2001:db8::", 32, "2001:db8::/32" },
	{ "2001:db8::1", 128, "2001:db8::1" },
	{ "::", 0, "::/0" },
	{ "::1", 128, "::1" },
	/* a v4-mapped net shorter than /96 is not an IPv4 prefix */
	{ "::ffff:0.0.0.0", 80, "::ffff:0.0.0.0/80" },
};

static void test_prefix_format(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(fmt_rows); i++) {
		__u8 a[16];
		char buf[64];

		addr16(fmt_rows[i].addr, a);
		rcc_addr_prefix_format(a, fmt_rows[i].plen, buf, sizeof(buf));
		if (strcmp(buf, fmt_rows[i].want))
			fail_msg("%s len %u: '%s', want '%s'", fmt_rows[i].addr, fmt_rows[i].plen,
				 buf, fmt_rows[i].want);
	}
}

/* ---- rcc_addr_prefix_covers --------------------------------------------- */

struct cover_row {
	const char *net;
	unsigned plen;
	const char *addr;
	bool want;
};

static const struct cover_row cover_rows[] = {
	{ "::", 0, "2001:db8::1", true },
	{ "::", 0, "10.0.0.1", true },
	{ "10.0.0.0", 104, "10.255.255.255", true },
	{ "10.0.0.0", 104, "11.0.0.0", false },
	{ "10.0.0.0", 104, "9.255.255.255", false },
	{ "172.16.0.0", 108, "172.31.255.255", true }, /* /12: not on a byte */
	{ "172.16.0.0", 108, "172.32.0.0", false },
	{ "172.16.0.0", 108, "172.15.255.255", false },
	{ "100.64.0.0", 106, "100.127.1.1", true }, /* /10 */
	{ "100.64.0.0", 106, "100.128.0.0", false },
	{ "10.1.2.3", 128, "10.1.2.3", true },
	{ "10.1.2.3", 128, "10.1.2.4", false },
	{ "0.0.0.0", 96, "255.255.255.255", true },
	{ "0.0.0.0", 96, "2001:db8::1", false },
	{ "fe80::", 10, "febf:ffff::1", true },
	{ "fe80::", 10, "fec0::1", false },
	{ "fc00::", 7, "fdff::1", true },
	{ "fc00::", 7, "fe00::1", false },
};

static void test_prefix_covers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(cover_rows); i++) {
		const struct cover_row *r = &cover_rows[i];
		__u8 net[16], a[16];

		addr16(r->net, net);
		addr16(r->addr, a);
		if (rcc_addr_prefix_covers(net, r->plen, a) != r->want)
			fail_msg("%s/%u covers %s: got %d, want %d", r->net, r->plen, r->addr,
				 !r->want, r->want);
	}
}

/* ---- hostnames and protocol names ---------------------------------- */

struct name_row {
	const char *name;
	bool valid;
};

static void test_hostname_valid(void **state)
{
	char l63[80], l64[80];
	const struct name_row rows[] = {
		{ "example.com", true },
		{ "a", true },
		{ "a-b_c.example", true },
		{ "example.com.", true }, /* absolute form */
		{ "1.2.3.example", true },
		{ l63, true },
		{ "", false },
		{ "1.2.3.4", false }, /* all digits: a bad IPv4 address */
		{ "300.1.1.1", false },
		{ "a..b", false },
		{ ".example", false },
		{ "ex ample", false },
		{ "exa$mple", false },
		{ "ex:ample", false },
		{ l64, false },
	};
	size_t i;

	(void)state;
	memset(l63, 'x', 63);
	l63[63] = '\0';
	memset(l64, 'x', 64);
	l64[64] = '\0';
	for (i = 0; i < N(rows); i++)
		if (rcc_addr_hostname_valid(rows[i].name) != rows[i].valid)
			fail_msg("'%s': valid %d, want %d", rows[i].name, !rows[i].valid,
				 rows[i].valid);
}

static void test_proto_names(void **state)
{
	(void)state;
	assert_int_equal(rcc_addr_proto_parse("tcp"), RCC_PROTO_TCP);
	assert_int_equal(rcc_addr_proto_parse("UDP"), RCC_PROTO_UDP);
	assert_int_equal(rcc_addr_proto_parse("icmp"), RCC_PROTO_ICMP);
	assert_int_equal(rcc_addr_proto_parse("icmpv6"), RCC_PROTO_ICMP);
	assert_int_equal(rcc_addr_proto_parse("sctp"), 0);
	assert_int_equal(rcc_addr_proto_parse(""), 0);
	assert_string_equal(rcc_addr_proto_name(RCC_PROTO_TCP), "tcp");
	assert_string_equal(rcc_addr_proto_name(RCC_PROTO_UDP), "udp");
	assert_string_equal(rcc_addr_proto_name(RCC_PROTO_ICMP), "icmp");
	assert_string_equal(rcc_addr_proto_name(RCC_PROTO_OTHER), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_good),
		cmocka_unit_test(test_entry_action_and_text),
		cmocka_unit_test(test_entry_hostnames),
		cmocka_unit_test(test_entry_bad),
		cmocka_unit_test(test_entry_private_ok),
		cmocka_unit_test(test_resolver_parse),
		cmocka_unit_test(test_entry_port_range_limit),
		cmocka_unit_test(test_entry_too_long),
		cmocka_unit_test(test_entry_hostname_too_long),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_embedded_v4_and_is_v4),
		cmocka_unit_test(test_addr_from_sockaddr),
		cmocka_unit_test(test_prefix_format),
		cmocka_unit_test(test_prefix_covers),
		cmocka_unit_test(test_hostname_valid),
		cmocka_unit_test(test_proto_names),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
