// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for lib/dnswire (make fuzz).  Every input is read as a
 * client's query, as an upstream's response (to the question it carries,
 * and to a fixed one) and as a name; whatever is accepted is written back
 * out, and each message written must read again as what it claims to be.
 * A broken promise aborts.  tests/unit/test_dnswire.c includes this file
 * to replay the seed corpus in the unit tests.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnswire.h"

#define FUZZ_CHECK(c)            \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static __u8 fuzz_out[RCC_DNS_MSG_MAX];
static __u8 fuzz_query_buf[RCC_DNS_MSG_MAX];

static __u16 fuzz_get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* An answer of ours to the A/AAAA query q, with addresses made of the
 * input's bytes, reads back as the addresses written. */
static void fuzz_addrs(const __u8 *data, size_t size, const struct rcc_dns_query *q)
{
	static struct rcc_dns_addr addrs[64];
	static struct rcc_dns_answer a;
	size_t n = data[size - 1] % 64, i, k;
	int len;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 16; k++)
			addrs[i].addr[k] = data[(i * 7 + k) % size];
		if (q->qtype == RCC_DNS_T_A) {
			memset(addrs[i].addr, 0, 10);
			addrs[i].addr[10] = addrs[i].addr[11] = 0xff;
		}
		addrs[i].ttl = (__u32)i * 3600;
	}
	len = rcc_dns_build_addrs(data, q, addrs, n, fuzz_out, q->udp_size);
	FUZZ_CHECK(len > 0 && (size_t)len <= q->udp_size);
	FUZZ_CHECK(rcc_dns_parse_answer(fuzz_out, (size_t)len, q->id, q->name, q->qtype, &a) == 0);
	if (a.truncated)
		return;
	FUZZ_CHECK(a.naddrs == n && a.ncnames == 0 && a.rcode == RCC_DNS_NOERROR);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(!memcmp(a.addrs[i].addr, addrs[i].addr, 16) &&
			   a.addrs[i].ttl == addrs[i].ttl);
}

/* The input as a client's query, and our replies to it. */
static void fuzz_query(const __u8 *data, size_t size)
{
	static struct rcc_dns_answer a;
	struct rcc_dns_query q;
	int rc = rcc_dns_parse_query(data, size, &q), rcode, len;

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOTSUP);
	if (size < RCC_DNS_HDR_LEN || size > RCC_DNS_MSG_MAX)
		return;
	FUZZ_CHECK(q.qend <= size);
	for (rcode = 0; rcode <= RCC_DNS_REFUSED; rcode++) {
		len = rcc_dns_build_error(data, &q, rcode, fuzz_out, sizeof(fuzz_out));
		FUZZ_CHECK(len >= RCC_DNS_HDR_LEN);
		if (rc || q.qclass != RCC_DNS_CLASS_IN)
			continue;
		FUZZ_CHECK(rcc_dns_parse_answer(fuzz_out, (size_t)len, q.id, q.name, q.qtype, &a) ==
			   0);
		FUZZ_CHECK(a.rcode == rcode && a.naddrs == 0 && a.ancount == 0);
	}
	if (!rc && q.qclass == RCC_DNS_CLASS_IN &&
	    (q.qtype == RCC_DNS_T_A || q.qtype == RCC_DNS_T_AAAA))
		fuzz_addrs(data, size, &q);
}

/* The input as an upstream's response, then relayed to a client whose
 * query asked the same; the relay reads back as the same answer. */
static void fuzz_answer(const __u8 *data, size_t size, const char *name, __u16 qtype)
{
	static struct rcc_dns_answer a, back;
	__u16 id = size >= 2 ? fuzz_get16(data) : 0;
	struct rcc_dns_query q;
	size_t cap = size && data[size - 1] & 1 ? 512 : sizeof(fuzz_out);
	int rc = rcc_dns_parse_answer(data, size, id, name, qtype, &a), len;

	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ELOOP);
	if (rc)
		return;
	FUZZ_CHECK(a.an_end <= size && a.naddrs <= RCC_DNS_ADDRS_MAX &&
		   a.ncnames <= RCC_DNS_CNAME_MAX);
	len = rcc_dns_build_query(id ^ 0x5a5a, name, qtype, fuzz_query_buf, sizeof(fuzz_query_buf));
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(rcc_dns_parse_query(fuzz_query_buf, (size_t)len, &q) == 0);
	len = rcc_dns_build_relay(fuzz_query_buf, &q, data, &a, fuzz_out, cap);
	FUZZ_CHECK(len > 0 && (size_t)len <= cap);
	FUZZ_CHECK(rcc_dns_parse_answer(fuzz_out, (size_t)len, q.id, name, qtype, &back) == 0);
	FUZZ_CHECK(back.rcode == a.rcode);
	if (back.truncated)
		return;
	FUZZ_CHECK(back.naddrs == a.naddrs && back.ncnames == a.ncnames &&
		   back.ancount == a.ancount && back.min_ttl == a.min_ttl);
	FUZZ_CHECK(!memcmp(back.addrs, a.addrs, a.naddrs * sizeof(a.addrs[0])));
}

/* The input as a name: our query for it reads back as the name. */
static void fuzz_name(const __u8 *data, size_t size)
{
	char name[300];
	struct rcc_dns_query q;
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1, i;
	int len;

	memcpy(name, data, n);
	name[n] = '\0';
	len = rcc_dns_build_query(1, name, RCC_DNS_T_AAAA, fuzz_query_buf, sizeof(fuzz_query_buf));
	FUZZ_CHECK(len > 0 || len == -EINVAL);
	if (len < 0)
		return;
	FUZZ_CHECK(rcc_dns_parse_query(fuzz_query_buf, (size_t)len, &q) == 0);
	FUZZ_CHECK(q.udp_size == RCC_DNS_EDNS_SIZE && q.qtype == RCC_DNS_T_AAAA);
	for (i = 0; name[i]; i++)
		FUZZ_CHECK(q.name[i] ==
			   (name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]));
	FUZZ_CHECK(!q.name[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rcc_dns_query own;

	fuzz_query(data, size);
	if (rcc_dns_parse_question(data, size, &own) == 0)
		fuzz_answer(data, size, own.name, own.qtype);
	fuzz_answer(data, size, "example.com", RCC_DNS_T_A);
	fuzz_name(data, size);
	return 0;
}
