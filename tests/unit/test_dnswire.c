// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for lib/dnswire.c: the client's query read, replies written,
 * our query written, the upstream's response read (CNAME chains, the
 * compression loop guard), the relay; and the fuzzer's seed corpus
 * replayed through the fuzz target's checks.
 *
 * Messages are written in a small notation, one token per part:
 *   wXXXX   a 16-bit word (hex)       dXXXXXXXX  a 32-bit word (hex)
 *   bXX     one byte (hex)            n:a.b      a name, uncompressed
 *   n:      the root name             l:a.b      labels, no root byte
 *   p:N     a pointer to offset N     L:N        one label of N 'a's
 *   rd:N    the 16-bit length of the next N bytes (written after them)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnswire.h"
/* The fuzz target's body, to replay the corpus with its checks. */
#include "../fuzz/fuzz_dnswire.c"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CORPUS "tests/fuzz/corpus/dnswire"

struct msg {
	__u8 b[8192];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_word(struct msg *m, unsigned long v, int bytes)
{
	__u8 b[4];
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = (__u8)(v >> (8 * (bytes - 1 - i)));
	put(m, b, (size_t)bytes);
}

/* Labels of a dotted name; with the root byte when root. */
static void put_labels(struct msg *m, const char *name, bool root)
{
	const char *p = name, *dot;
	__u8 l;

	while (*p) {
		dot = strchr(p, '.');
		l = (__u8)(dot ? dot - p : (long)strlen(p));
		put(m, &l, 1);
		put(m, p, l);
		p += l + (dot ? 1 : 0);
	}
	if (root)
		put(m, "", 1);
}

/* One token, except rd: (build() handles it). */
static void put_token(struct msg *m, const char *t)
{
	__u8 label[256];
	unsigned long v = strtoul(t + 1, NULL, 16);

	if (t[0] == 'w')
		put_word(m, v, 2);
	else if (t[0] == 'd')
		put_word(m, v, 4);
	else if (t[0] == 'b')
		put_word(m, v, 1);
	else if (!strncmp(t, "n:", 2) || !strncmp(t, "l:", 2))
		put_labels(m, t + 2, t[0] == 'n');
	else if (!strncmp(t, "p:", 2))
		put_word(m, 0xc000 | strtoul(t + 2, NULL, 10), 2);
	else if (!strncmp(t, "L:", 2)) {
		label[0] = (__u8)strtoul(t + 2, NULL, 10);
		memset(label + 1, 'a', label[0]);
		put(m, label, 1 + (size_t)label[0]);
	} else
		fail_msg("test bug: token '%s'", t);
}

/* The message a notation describes: "rd:N" is the length of what the
 * next N tokens write. */
static void build(struct msg *m, const char *text)
{
	static char buf[16384];
	char *tok, *save = NULL;
	size_t rd_at = 0, rd_left = 0, len;

	m->n = 0;
	assert_true(strlen(text) < sizeof(buf));
	strcpy(buf, text);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "rd:", 3)) {
			rd_at = m->n;
			rd_left = strtoul(tok + 3, NULL, 10);
			put_word(m, 0, 2);
			continue;
		}
		put_token(m, tok);
		if (rd_left && !--rd_left) {
			len = m->n - rd_at - 2;
			m->b[rd_at] = (__u8)(len >> 8);
			m->b[rd_at + 1] = (__u8)len;
		}
	}
}

/* An address literal in the 16-byte form. */
static void addr16(const char *s, __u8 out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out + 12) == 1) {
		out[10] = out[11] = 0xff;
		return;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		fail_msg("test bug: '%s' is not an address", s);
}

static __u16 word(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* ---- the client's query -------------------------------------------- */

#define QHDR(flags, qd, an, ns, ar) "w1234 w" flags " w" qd " w" an " w" ns " w" ar " "
#define OPT(size) " n: w0029 w" size " d00000000 w0000"

struct query_row {
	const char *what, *text;
	int rc;
	const char *name; /* NULL: not checked */
	__u16 qtype, udp;
	bool edns;
	bool has_q; /* qend set (also on failure) */
};

static const struct query_row query_rows[] = {
	{ "A, no OPT", QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001", 0,
	  "example.com", 1, 512, false, true },
	{ "AAAA, OPT offering 4096",
	  QHDR("0100", "0001", "0000", "0000", "0001") "n:example.com w001c w0001" OPT("1000"), 0,
	  "example.com", 28, 4096, true, true },
	{ "OPT offering less than 512",
	  QHDR("0000", "0001", "0000", "0000", "0001") "n:a.b w0001 w0001" OPT("0100"), 0, "a.b", 1,
	  512, true, true },
	{ "mixed case lowercased",
	  QHDR("0100", "0001", "0000", "0000", "0000") "n:WwW.ExAmple.COM w0001 w0001", 0,
	  "www.example.com", 1, 512, false, true },
	{ "the root", QHDR("0100", "0001", "0000", "0000", "0000") "n: w0002 w0001", 0, "", 2, 512,
	  false, true },
	{ "bytes other than letters kept",
	  QHDR("0100", "0001", "0000", "0000", "0000") "b03 w5fff b41 n:com w0001 w0001", 0,
	  "_\xff"
	  "a.com",
	  1, 512, false, true },
	{ "253 characters",
	  QHDR("0100", "0001", "0000", "0000", "0000") "L:63 L:63 L:63 L:61 n: w0001 w0001", 0,
	  NULL, 1, 512, false, true },
	{ "an additional record with a compressed owner",
	  QHDR("0100", "0001", "0000", "0000", "0002") "n:example.com w0010 w0001 p:12 w00fa w00ff "
						       "d00000000 rd:1 d01020304" OPT("04d0"),
	  0, "example.com", 16, 1232, true, true },
	{ "QR set", QHDR("8100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "QDCOUNT 2",
	  QHDR("0100", "0002", "0000", "0000", "0000") "n:example.com w0001 w0001 n:b w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "QDCOUNT 0", QHDR("0100", "0000", "0000", "0000", "0000"), -EINVAL, NULL, 0, 0, false,
	  false },
	{ "ANCOUNT 1", QHDR("0100", "0001", "0001", "0000", "0000") "n:example.com w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "NSCOUNT 1", QHDR("0100", "0001", "0000", "0001", "0000") "n:example.com w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "a compressed question",
	  QHDR("0100", "0001", "0000", "0000", "0000") "l:www p:12 w0001 w0001", -EINVAL, NULL, 0,
	  0, false, false },
	{ "a label of 64", QHDR("0100", "0001", "0000", "0000", "0000") "L:64 n:com w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "an extended label type",
	  QHDR("0100", "0001", "0000", "0000", "0000") "b41 b61 n: w0001 w0001", -EINVAL, NULL, 0,
	  0, false, false },
	{ "254 characters",
	  QHDR("0100", "0001", "0000", "0000", "0000") "L:63 L:63 L:63 L:62 n: w0001 w0001",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "'.' inside a label",
	  QHDR("0100", "0001", "0000", "0000", "0000") "b03 w612e b61 n: w0001 w0001", -EINVAL,
	  NULL, 0, 0, false, false },
	{ "NUL inside a label",
	  QHDR("0100", "0001", "0000", "0000", "0000") "b03 w6100 b61 n: w0001 w0001", -EINVAL,
	  NULL, 0, 0, false, false },
	{ "question cut in its name", QHDR("0100", "0001", "0000", "0000", "0000") "b07 w6578",
	  -EINVAL, NULL, 0, 0, false, false },
	{ "question cut in its type",
	  QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0001", -EINVAL, NULL, 0, 0,
	  false, false },
	{ "two OPT records",
	  QHDR("0100", "0001", "0000", "0000", "0002") "n:example.com w0001 w0001" OPT("1000")
		  OPT("1000"),
	  -EINVAL, "example.com", 1, 0, false, true },
	{ "OPT owned by another name",
	  QHDR("0100", "0001", "0000", "0000", "0001") "n:example.com w0001 w0001 n:x w0029 w1000 "
						       "d00000000 w0000",
	  -EINVAL, "example.com", 1, 0, false, true },
	{ "ARCOUNT above the records",
	  QHDR("0100", "0001", "0000", "0000", "0002") "n:example.com w0001 w0001" OPT("1000"),
	  -EINVAL, "example.com", 1, 0, false, true },
	{ "a byte after the records",
	  QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001 b00", -EINVAL,
	  "example.com", 1, 0, false, true },
	{ "opcode 2 (STATUS)",
	  QHDR("1100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001", -ENOTSUP,
	  "example.com", 1, 0, false, true },
	{ "opcode 4 without a question", QHDR("2000", "0000", "0000", "0000", "0000"), -ENOTSUP,
	  NULL, 0, 0, false, false },
};

static void check_query_row(const struct query_row *r)
{
	struct rcc_dns_query q;
	struct msg m;
	int rc;

	build(&m, r->text);
	rc = rcc_dns_parse_query(m.b, m.n, &q);
	if (rc != r->rc)
		fail_msg("%s: %d, expected %d", r->what, rc, r->rc);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, word(m.b + 2));
	if (r->name && strcmp(q.name, r->name))
		fail_msg("%s: name '%s', expected '%s'", r->what, q.name, r->name);
	if (!r->has_q) {
		assert_int_equal(q.qend, 0);
		return;
	}
	assert_true(q.qend > RCC_DNS_HDR_LEN && q.qend <= m.n);
	assert_int_equal(q.qtype, r->qtype);
	assert_int_equal(word(m.b + q.qend - 4), r->qtype);
	if (rc)
		return;
	assert_int_equal(q.udp_size, r->udp);
	assert_int_equal(q.edns, r->edns);
	assert_int_equal(q.qclass, RCC_DNS_CLASS_IN);
}

static void test_parse_query(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(query_rows); i++)
		check_query_row(&query_rows[i]);
}

static void test_parse_query_short(void **state)
{
	struct rcc_dns_query q;
	struct msg m;

	(void)state;
	build(&m, QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001");
	assert_int_equal(rcc_dns_parse_query(m.b, 11, &q), -EINVAL);
	assert_int_equal(rcc_dns_parse_query(m.b, 0, &q), -EINVAL);
	/* every cut of a good query is refused */
	for (m.n--; m.n >= RCC_DNS_HDR_LEN; m.n--) {
		assert_int_equal(rcc_dns_parse_query(m.b, m.n, &q), -EINVAL);
		assert_int_equal(q.id, 0x1234);
	}
}

/* ---- replies --------------------------------------------------------- */

static void parse(const char *text, struct msg *m, struct rcc_dns_query *q, int rc)
{
	build(m, text);
	assert_int_equal(rcc_dns_parse_query(m->b, m->n, q), rc);
}

static const int rcodes[] = { RCC_DNS_NOERROR,	RCC_DNS_FORMERR, RCC_DNS_SERVFAIL,
			      RCC_DNS_NXDOMAIN, RCC_DNS_NOTIMP,	 RCC_DNS_REFUSED };

static void test_build_error(void **state)
{
	struct rcc_dns_query q;
	struct msg m;
	__u8 out[512];
	size_t i;
	int len;

	(void)state;
	parse(QHDR("0100", "0001", "0000", "0000", "0001") "n:ExAmple.com w0001 w0001" OPT("1000"),
	      &m, &q, 0);
	for (i = 0; i < N(rcodes); i++) {
		len = rcc_dns_build_error(m.b, &q, rcodes[i], out, sizeof(out));
		/* the question as written, and an OPT record */
		assert_int_equal(len, q.qend + 11);
		assert_int_equal(word(out), 0x1234);
		assert_int_equal(word(out + 2), 0x8180 | rcodes[i]);
		assert_int_equal(word(out + 4), 1);
		assert_int_equal(word(out + 6), 0);
		assert_int_equal(word(out + 8), 0);
		assert_int_equal(word(out + 10), 1);
		assert_memory_equal(out + 12, m.b + 12, q.qend - 12);
		assert_int_equal(word(out + q.qend + 1), RCC_DNS_T_OPT);
		assert_int_equal(word(out + q.qend + 3), RCC_DNS_EDNS_SIZE);
	}
	assert_int_equal(rcc_dns_build_error(m.b, &q, 16, out, sizeof(out)), -EINVAL);
	assert_int_equal(rcc_dns_build_error(m.b, &q, -1, out, sizeof(out)), -EINVAL);
	assert_int_equal(rcc_dns_build_error(m.b, &q, 3, out, q.qend + 10), -ENOSPC);

	/* RD clear stays clear; no OPT in the query, none in the reply */
	parse(QHDR("0000", "0001", "0000", "0000", "0000") "n:a.b w0001 w0001", &m, &q, 0);
	assert_int_equal(rcc_dns_build_error(m.b, &q, 3, out, sizeof(out)), m.n);
	assert_int_equal(word(out + 2), 0x8083);
	assert_int_equal(word(out + 10), 0);

	/* FORMERR with no question to echo: a header alone */
	parse(QHDR("0100", "0002", "0000", "0000", "0000") "n:a.b w0001 w0001", &m, &q, -EINVAL);
	assert_int_equal(rcc_dns_build_error(m.b, &q, RCC_DNS_FORMERR, out, sizeof(out)), 12);
	assert_int_equal(word(out + 2), 0x8181);
	assert_int_equal(word(out + 4), 0);

	/* NOTIMP to another opcode keeps it, and echoes the question */
	parse(QHDR("1100", "0001", "0000", "0000", "0000") "n:a.b w0001 w0001", &m, &q, -ENOTSUP);
	assert_int_equal(rcc_dns_build_error(m.b, &q, RCC_DNS_NOTIMP, out, sizeof(out)), m.n);
	assert_int_equal(word(out + 2), 0x9184);
	assert_int_equal(word(out + 4), 1);
}

static void addrs_of(const char *const *lits, size_t n, struct rcc_dns_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		addr16(lits[i], a[i].addr);
		a[i].ttl = 100 - (__u32)i;
	}
}

static void test_build_addrs(void **state)
{
	static const char *const v4[] = { "192.0.2.1", "192.0.2.2" };
	static const char *const v6[] = { "2001:db8::1", "::ffff:192.0.2.3", "2001:db8::2" };
	static struct rcc_dns_answer a;
	struct rcc_dns_addr ad[3];
	struct rcc_dns_query q;
	struct msg m;
	__u8 out[512];
	int len;

	(void)state;
	parse(QHDR("0100", "0001", "0000", "0000", "0000") "n:Example.com w0001 w0001", &m, &q, 0);
	addrs_of(v4, 2, ad);
	len = rcc_dns_build_addrs(m.b, &q, ad, 2, out, sizeof(out));
	assert_int_equal(len, m.n + 2 * 16);
	assert_int_equal(word(out + 2), 0x8180);
	assert_int_equal(word(out + 6), 2);
	/* the first record, byte for byte */
	assert_memory_equal(out + m.n,
			    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x64\x00\x04\xc0\x00\x02\x01", 16);
	assert_int_equal(rcc_dns_parse_answer(out, (size_t)len, 0x1234, "example.com", 1, &a), 0);
	assert_int_equal(a.naddrs, 2);
	assert_memory_equal(a.addrs[1].addr, ad[1].addr, 16);
	assert_int_equal(a.min_ttl, 99);

	parse(QHDR("0100", "0001", "0000", "0000", "0001") "n:example.com w001c w0001" OPT("1000"),
	      &m, &q, 0);
	addrs_of(v6, 3, ad);
	len = rcc_dns_build_addrs(m.b, &q, ad, 3, out, sizeof(out));
	assert_int_equal(len, q.qend + 3 * 28 + 11);
	assert_int_equal(word(out + 10), 1);
	assert_int_equal(rcc_dns_parse_answer(out, (size_t)len, 0x1234, "example.com", 28, &a), 0);
	assert_int_equal(a.naddrs, 3);
	assert_memory_equal(a.addrs[1].addr, ad[1].addr, 16);

	/* an IPv6 address cannot be an A record; nor can a TXT query be answered */
	parse(QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0001 w0001", &m, &q, 0);
	assert_int_equal(rcc_dns_build_addrs(m.b, &q, ad, 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(rcc_dns_build_addrs(m.b, &q, ad, 0, out, 20), -ENOSPC);
	parse(QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w0010 w0001", &m, &q, 0);
	assert_int_equal(rcc_dns_build_addrs(m.b, &q, ad, 0, out, sizeof(out)), -EINVAL);
}

/* 40 AAAA records in 512 bytes: 17 fit (29 + 17 * 28 = 505), TC set;
 * with the OPT kept, 16; over TCP all 40. */
static void test_build_addrs_truncated(void **state)
{
	static struct rcc_dns_addr ad[40];
	static __u8 out[RCC_DNS_MSG_MAX];
	struct rcc_dns_query q;
	struct msg m;
	size_t i;
	int len;

	(void)state;
	for (i = 0; i < N(ad); i++) {
		addr16("2001:db8::", ad[i].addr);
		ad[i].addr[15] = (__u8)i;
		ad[i].ttl = 60;
	}
	parse(QHDR("0100", "0001", "0000", "0000", "0000") "n:example.com w001c w0001", &m, &q, 0);
	len = rcc_dns_build_addrs(m.b, &q, ad, N(ad), out, q.udp_size);
	assert_int_equal(len, 505);
	assert_int_equal(word(out + 2), 0x8380);
	assert_int_equal(word(out + 6), 17);
	len = rcc_dns_build_addrs(m.b, &q, ad, N(ad), out, RCC_DNS_MSG_MAX);
	assert_int_equal(len, 29 + 40 * 28);
	assert_int_equal(word(out + 2), 0x8180);
	assert_int_equal(word(out + 6), 40);

	parse(QHDR("0100", "0001", "0000", "0000", "0001") "n:example.com w001c w0001" OPT("0200"),
	      &m, &q, 0);
	len = rcc_dns_build_addrs(m.b, &q, ad, N(ad), out, q.udp_size);
	assert_int_equal(len, 29 + 16 * 28 + 11);
	assert_int_equal(word(out + 6), 16);
	assert_int_equal(word(out + 2) & RCC_DNS_F_TC, RCC_DNS_F_TC);
}

static void test_build_query(void **state)
{
	static const char *const bad[] = { "a..b", ".a", "a.", ".", "a.b.", NULL, NULL };
	char name[300];
	__u8 out[512];
	struct msg m;
	size_t i;

	(void)state;
	build(&m, "wbeef w0100 w0001 w0000 w0000 w0001 n:www.Example.com w001c w0001" OPT("04d0"));
	assert_int_equal(rcc_dns_build_query(0xbeef, "www.Example.com", 28, out, sizeof(out)), m.n);
	assert_memory_equal(out, m.b, m.n);
	assert_int_equal(rcc_dns_build_query(1, "", 2, out, sizeof(out)), 12 + 1 + 4 + 11);
	assert_int_equal(rcc_dns_build_query(0xbeef, "www.example.com", 28, out, m.n - 1), -ENOSPC);
	for (i = 0; bad[i]; i++)
		assert_int_equal(rcc_dns_build_query(1, bad[i], 1, out, sizeof(out)), -EINVAL);
	/* a label of 64; then 253 characters, and 254 */
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	assert_int_equal(rcc_dns_build_query(1, name, 1, out, sizeof(out)), -EINVAL);
	for (i = 0; i < 253; i++)
		name[i] = i % 64 == 63 ? '.' : 'a';
	name[253] = '\0';
	assert_int_equal(rcc_dns_build_query(1, name, 1, out, sizeof(out)), 12 + 255 + 4 + 11);
	strcat(name, "a");
	assert_int_equal(rcc_dns_build_query(1, name, 1, out, sizeof(out)), -EINVAL);
}

/* ---- the upstream's response --------------------------------------- */

/* A response's header: id 1234, QR RD RA, and the counts. */
#define RHDR(flags, an) "w1234 w" flags " w0001 w" an " w0000 w0000 "
/* A for example.com owned through the pointer, and the answer's start. */
#define A_REC(ttl, addr) " p:12 w0001 w0001 d" ttl " rd:1 d" addr
#define EX_Q "n:example.com w0001 w0001"
#define EX_AN 29

struct answer_row {
	const char *what, *text, *name;
	__u16 qtype;
	int rc;
	size_t naddrs;
	unsigned ncnames;
	__u32 min_ttl;
	const char *addr; /* the first address kept */
};

static const struct answer_row answer_rows[] = {
	{ "one A", RHDR("8180", "0001") EX_Q A_REC("0000012c", "c0000201"), "example.com", 1, 0, 1,
	  0, 300, "192.0.2.1" },
	{ "one AAAA",
	  RHDR("8180",
	       "0001") "n:example.com w001c w0001 p:12 w001c w0001 d0000003c rd:4 d20010db8 "
		       "d00000000 d00000000 d00000001",
	  "example.com", 28, 0, 1, 0, 60, "2001:db8::1" },
	{ "the question in other case",
	  RHDR("8180", "0001") "n:EXAMPLE.Com w0001 w0001" A_REC("0000012c", "c0000201"),
	  "example.com", 1, 0, 1, 0, 300, "192.0.2.1" },
	{ "a CNAME chain of 3, in another order",
	  RHDR("8180", "0004") "n:a.example w0001 w0001 "
			       "n:c3.example w0001 w0001 d0000003c rd:1 dc0000207 "
			       "n:c1.example w0005 w0001 d00000258 rd:2 l:c2 p:14 "
			       "p:12 w0005 w0001 d00000e10 rd:1 n:c1.example "
			       "n:c2.example w0005 w0001 d0000001e rd:1 n:c3.example",
	  "a.example", 1, 0, 1, 3, 30, "192.0.2.7" },
	{ "a CNAME loop",
	  RHDR("8180",
	       "0002") "n:a.example w0001 w0001 p:12 w0005 w0001 d0000003c rd:1 n:b.example "
		       "n:b.example w0005 w0001 d0000003c rd:1 n:a.example",
	  "a.example", 1, -ELOOP, 0, 0, 0, NULL },
	{ "records of other owners and types ignored",
	  RHDR("8180", "0004") EX_Q
	  " n:evil.example w0001 w0001 d00000001 rd:1 dcb007101"
	  " n:example.org w0001 w0001 d00000001 rd:1 dcb007102"
	  " p:12 w001c w0001 d00000001 rd:4 d20010db8 d00000000 d00000000 d00000001" A_REC(
		  "0000012c", "c0000201"),
	  "example.com", 1, 0, 1, 0, 300, "192.0.2.1" },
	{ "a CNAME of another owner not followed",
	  RHDR("8180", "0002") EX_Q " n:x.example w0005 w0001 d00000001 rd:1 n:y.example "
				    "n:y.example w0001 w0001 d00000001 rd:1 dcb007101",
	  "example.com", 1, 0, 0, 0, 0, NULL },
	{ "the lowest TTL; one with its top bit set is 0",
	  RHDR("8180", "0002") EX_Q A_REC("0000012c", "c0000201") A_REC("80000000", "c0000202"),
	  "example.com", 1, 0, 2, 0, 0, "192.0.2.1" },
	{ "NXDOMAIN, an SOA in authority",
	  "w1234 w8183 w0001 w0000 w0001 w0000 " EX_Q
	  " p:12 w0006 w0001 d00000384 rd:4 l:ns p:12 n:h "
	  "d00000001 d00000002 d00000003 d00000004 d00000005",
	  "example.com", 1, 0, 0, 0, 0, NULL },
	{ "TC set: nothing more is read", RHDR("8380", "0005") EX_Q " b99", "example.com", 1, 0, 0,
	  0, 0, NULL },
	{ "a pointer to itself",
	  RHDR("8180", "0001") EX_Q " p:29 w0001 w0001 d00000001 rd:1 dc0000201", "example.com", 1,
	  -EINVAL, 0, 0, 0, NULL },
	{ "a pointer loop through labels",
	  RHDR("8180", "0001") EX_Q " l:x p:29 w0001 w0001 d00000001 rd:1 dc0000201", "example.com",
	  1, -EINVAL, 0, 0, 0, NULL },
	{ "a forward pointer",
	  RHDR("8180", "0001") EX_Q " p:31 n:x w0001 w0001 d00000001 rd:1 dc0000201", "example.com",
	  1, -EINVAL, 0, 0, 0, NULL },
	{ "a pointer into the header",
	  RHDR("8180", "0001") EX_Q " p:4 w0001 w0001 d00000001 rd:1 dc0000201", "example.com", 1,
	  -EINVAL, 0, 0, 0, NULL },
	{ "a pointed-to name running past the pointer",
	  RHDR("8180", "0002")
		  EX_Q A_REC("00000001", "c0000203") " p:44 w0001 w0001 d00000001 rd:1 "
						     "dc0000201",
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "a wrong id", "w4321 w8180 w0001 w0001 w0000 w0000 " EX_Q A_REC("00000001", "c0000201"),
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "QR clear", RHDR("0180", "0001") EX_Q A_REC("00000001", "c0000201"), "example.com", 1,
	  -EINVAL, 0, 0, 0, NULL },
	{ "another name asked",
	  RHDR("8180", "0001") "n:example.org w0001 w0001" A_REC("00000001", "c0000201"),
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "another type asked",
	  RHDR("8180", "0001") "n:example.com w001c w0001" A_REC("00000001", "c0000201"),
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "class CH asked",
	  RHDR("8180", "0001") "n:example.com w0001 w0003" A_REC("00000001", "c0000201"),
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "no question", "w1234 w8180 w0000 w0000 w0000 w0000", "example.com", 1, -EINVAL, 0, 0, 0,
	  NULL },
	{ "an A of 5 bytes",
	  RHDR("8180", "0001") EX_Q " p:12 w0001 w0001 d00000001 rd:2 dc0000201 b00", "example.com",
	  1, -EINVAL, 0, 0, 0, NULL },
	{ "an AAAA of 4 bytes",
	  RHDR("8180",
	       "0001") "n:example.com w001c w0001 p:12 w001c w0001 d00000001 rd:1 dc0000201",
	  "example.com", 28, -EINVAL, 0, 0, 0, NULL },
	{ "a record cut short", RHDR("8180", "0002") EX_Q A_REC("00000001", "c0000201"),
	  "example.com", 1, -EINVAL, 0, 0, 0, NULL },
	{ "a CNAME's name longer than its data",
	  RHDR("8180", "0001") EX_Q " p:12 w0005 w0001 d00000001 w0002 n:c1.example", "example.com",
	  1, -EINVAL, 0, 0, 0, NULL },
	{ "an MX's name pointing forward",
	  RHDR("8180",
	       "0002") "n:example.com w000f w0001 p:12 w000f w0001 d00000001 rd:2 w000a p:60 "
		       "n:mail.example.com w0001 w0001 d00000001 rd:1 dc0000201",
	  "example.com", 15, -EINVAL, 0, 0, 0, NULL },
};

static void check_answer_row(const struct answer_row *r)
{
	static struct rcc_dns_answer a;
	__u8 want[16];
	struct msg m;
	int rc;

	build(&m, r->text);
	memset(&a, 0xaa, sizeof(a));
	rc = rcc_dns_parse_answer(m.b, m.n, 0x1234, r->name, r->qtype, &a);
	if (rc != r->rc)
		fail_msg("%s: %d, expected %d", r->what, rc, r->rc);
	if (rc)
		return;
	if (a.naddrs != r->naddrs || a.ncnames != r->ncnames || a.min_ttl != r->min_ttl)
		fail_msg("%s: %zu addresses, %u CNAMEs, TTL %u", r->what, a.naddrs, a.ncnames,
			 a.min_ttl);
	assert_false(a.addrs_dropped);
	assert_int_equal(a.rcode, word(m.b + 2) & 0xf);
	assert_int_equal(a.truncated, !!(word(m.b + 2) & RCC_DNS_F_TC));
	assert_true(a.an_end <= m.n);
	if (!a.truncated)
		assert_int_equal(a.ancount, word(m.b + 6));
	if (r->addr) {
		addr16(r->addr, want);
		assert_memory_equal(a.addrs[0].addr, want, 16);
	}
}

static void test_parse_answer(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(answer_rows); i++)
		check_answer_row(&answer_rows[i]);
}

/* A response for c0.example: n CNAMEs c0 -> c1 -> ... -> cn, then an A. */
static void chain_msg(struct msg *m, unsigned n)
{
	char text[4096];
	size_t o;
	unsigned i;

	o = (size_t)snprintf(text, sizeof(text), RHDR("8180", "%04x") "n:c0.example w0001 w0001",
			     n + 1);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
				      " n:c%u.example w0005 w0001 d%08x rd:1 n:c%u.example", i,
				      1000 - i, i + 1);
	snprintf(text + o, sizeof(text) - o, " n:c%u.example w0001 w0001 d00000e10 rd:1 dc0000209",
		 n);
	build(m, text);
}

static void test_parse_answer_chain_limit(void **state)
{
	static struct rcc_dns_answer a;
	struct msg m;

	(void)state;
	chain_msg(&m, RCC_DNS_CNAME_MAX);
	assert_int_equal(rcc_dns_parse_answer(m.b, m.n, 0x1234, "c0.example", 1, &a), 0);
	assert_int_equal(a.ncnames, 8);
	assert_int_equal(a.naddrs, 1);
	assert_int_equal(a.min_ttl, 1000 - 7);
	assert_int_equal(a.an_end, m.n);
	chain_msg(&m, RCC_DNS_CNAME_MAX + 1);
	assert_int_equal(rcc_dns_parse_answer(m.b, m.n, 0x1234, "c0.example", 1, &a), -ELOOP);
}

static void test_parse_answer_many(void **state)
{
	static struct rcc_dns_answer a;
	static char text[16384];
	struct msg m;
	size_t o;
	unsigned i;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), RHDR("8180", "012c") EX_Q);
	for (i = 0; i < 300; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, A_REC("%08x", "c000%04x"),
				      500 - i, i);
	build(&m, text);
	assert_int_equal(rcc_dns_parse_answer(m.b, m.n, 0x1234, "example.com", 1, &a), 0);
	assert_int_equal(a.naddrs, RCC_DNS_ADDRS_MAX);
	assert_true(a.addrs_dropped);
	assert_int_equal(a.addrs[255].addr[15], 255);
	assert_int_equal(a.min_ttl, 500 - 299);
}

/* ---- the relay ------------------------------------------------------- */

/* The client asked MX for ExAmple.COM with an OPT; the upstream answered
 * our query (id 1234) with two MX, an NS in authority, an A and an OPT in
 * additional.  The answers from EX_AN to MX_END. */
#define CLIENT_MX "w7777 w0100 w0001 w0000 w0000 w0001 n:ExAmple.COM w000f w0001" OPT("1000")
#define UPSTREAM_MX(flags)                                                    \
	"w1234 w" flags " w0001 w0002 w0001 w0002 n:example.com w000f w0001 " \
	"p:12 w000f w0001 d00000e10 rd:3 w000a l:mail p:12 "                  \
	"p:12 w000f w0001 d00000e10 rd:2 w0014 n:mx2.example.net "            \
	"p:12 w0002 w0001 d00000e10 rd:2 l:ns p:12 "                          \
	"p:43 w0001 w0001 d00000e10 rd:1 dc0000219" OPT("1000")
#define MX_END (EX_AN + 21 + 31)

static void relay(const char *client, const char *upstream, struct rcc_dns_query *q, struct msg *cm,
		  struct msg *um, struct rcc_dns_answer *a)
{
	parse(client, cm, q, 0);
	build(um, upstream);
	assert_int_equal(rcc_dns_parse_answer(um->b, um->n, 0x1234, q->name, q->qtype, a), 0);
}

static void test_build_relay(void **state)
{
	static struct rcc_dns_answer a, back;
	struct rcc_dns_query q;
	struct msg cm, um;
	__u8 out[1024];
	int len;

	(void)state;
	relay(CLIENT_MX, UPSTREAM_MX("8180"), &q, &cm, &um, &a);
	assert_int_equal(a.an_end, MX_END);
	assert_int_equal(a.ancount, 2);
	len = rcc_dns_build_relay(cm.b, &q, um.b, &a, out, sizeof(out));
	assert_int_equal(len, MX_END + 11);
	assert_memory_equal(out, "\x77\x77\x81\x80\x00\x01\x00\x02\x00\x00\x00\x01", 12);
	assert_memory_equal(out + 12, cm.b + 12, q.qend - 12); /* the client's case */
	assert_memory_equal(out + q.qend, um.b + q.qend, MX_END - q.qend);
	assert_int_equal(word(out + MX_END + 1), RCC_DNS_T_OPT);
	/* and it reads as the same answer */
	assert_int_equal(rcc_dns_parse_answer(out, (size_t)len, 0x7777, "example.com", 15, &back),
			 0);
	assert_int_equal(back.ancount, 2);
	assert_int_equal(back.an_end, MX_END);

	/* too small: TC, no answers; smaller still: no room */
	len = rcc_dns_build_relay(cm.b, &q, um.b, &a, out, MX_END + 10);
	assert_int_equal(len, q.qend + 11);
	assert_int_equal(word(out + 2), 0x8380);
	assert_int_equal(word(out + 6), 0);
	assert_int_equal(rcc_dns_build_relay(cm.b, &q, um.b, &a, out, q.qend), -ENOSPC);

	/* the upstream's rcode and TC pass through */
	relay(CLIENT_MX, UPSTREAM_MX("8583"), &q, &cm, &um, &a);
	len = rcc_dns_build_relay(cm.b, &q, um.b, &a, out, sizeof(out));
	assert_int_equal(len, MX_END + 11);
	assert_int_equal(word(out + 2), 0x8183);
	relay(CLIENT_MX, UPSTREAM_MX("8380"), &q, &cm, &um, &a);
	assert_true(a.truncated);
	len = rcc_dns_build_relay(cm.b, &q, um.b, &a, out, sizeof(out));
	assert_int_equal(len, q.qend + 11);
	assert_int_equal(word(out + 2), 0x8380);

	/* a client's question of another length */
	relay(CLIENT_MX, UPSTREAM_MX("8180"), &q, &cm, &um, &a);
	parse("w7777 w0100 w0001 w0000 w0000 w0000 n:www.example.com w000f w0001", &cm, &q, 0);
	assert_int_equal(rcc_dns_build_relay(cm.b, &q, um.b, &a, out, sizeof(out)), -EINVAL);
}

/* ---- the fuzzer's seed corpus -------------------------------------- */

/* What some seeds are for, checked besides the fuzz target's promises. */
static const struct {
	const char *file, *name;
	__u16 qtype;
	int rc;
	unsigned ncnames;
} seed_rows[] = {
	{ "r_cname_chain3_shuffled", "a.example", 1, 0, 3 },
	{ "r_cname_chain9", "a.example", 1, -ELOOP, 0 },
	{ "r_cname_loop", "a.example", 1, -ELOOP, 0 },
	{ "r_compression_loop", "example.com", 1, -EINVAL, 0 },
	{ "r_forward_pointer", "example.com", 1, -EINVAL, 0 },
	{ "r_a_rdlen5", "example.com", 1, -EINVAL, 0 },
	{ "r_pointer_runs_on", "example.com", 1, -EINVAL, 0 },
	{ "r_mx_authority", "example.com", 15, 0, 0 },
};

static size_t read_seed(const char *dir, const char *file, __u8 *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open the seed '%s'", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_corpus(void **state)
{
	const char *dir = getenv("RCC_DNSWIRE_CORPUS") ?: CORPUS;
	static struct rcc_dns_answer a;
	static __u8 buf[RCC_DNS_MSG_MAX];
	struct dirent *e;
	size_t n, seeds = 0, i;
	DIR *d = opendir(dir);

	(void)state;
	if (!d)
		fail_msg("no seed corpus at '%s' (run from the top of the tree)", dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n = read_seed(dir, e->d_name, buf, sizeof(buf));
		LLVMFuzzerTestOneInput(buf, n);
		seeds++;
	}
	closedir(d);
	assert_true(seeds >= 15);
	for (i = 0; i < N(seed_rows); i++) {
		n = read_seed(dir, seed_rows[i].file, buf, sizeof(buf));
		assert_int_equal(rcc_dns_parse_answer(buf, n, 0x1234, seed_rows[i].name,
						      seed_rows[i].qtype, &a),
				 seed_rows[i].rc);
		if (!seed_rows[i].rc)
			assert_int_equal(a.ncnames, seed_rows[i].ncnames);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_parse_query_short),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_build_addrs),
		cmocka_unit_test(test_build_addrs_truncated),
		cmocka_unit_test(test_build_query),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_parse_answer_chain_limit),
		cmocka_unit_test(test_parse_answer_many),
		cmocka_unit_test(test_build_relay),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
