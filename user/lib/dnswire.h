/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS messages (RFC 1035, EDNS0 of RFC 6891) for the DNS proxy: a client's
 * query read, our replies written, our own upstream query written and the
 * upstream's response read.  Hand-written and bounds-checked; nothing here
 * allocates, prints or recurses.  Names reach the caller as dotted text,
 * lowercased, without the trailing dot.
 *
 * Names in responses are decompressed under a loop guard: a compression
 * pointer must point past the header and below the start of the labels it
 * ends, and what it points to must end below that start too (the parts of
 * a name lie one below the other, as every real compressor writes them),
 * with at most RCC_DNS_JUMPS_MAX jumps.  So a name never reads a byte past
 * the place where it lies, and every jump goes strictly backwards.
 */
#ifndef RCC_DNSWIRE_H
#define RCC_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define RCC_DNS_NAME_MAX 254	  /* dotted text, no trailing dot, NUL included */
#define RCC_DNS_WIRE_NAME_MAX 255 /* the same name in wire form */
#define RCC_DNS_MSG_MAX 65535
#define RCC_DNS_HDR_LEN 12
#define RCC_DNS_UDP_MIN 512    /* a client without EDNS0 */
#define RCC_DNS_EDNS_SIZE 1232 /* what our queries and replies offer */
#define RCC_DNS_ADDRS_MAX 256  /* addresses kept from one answer */
#define RCC_DNS_CNAME_MAX 8    /* CNAME steps followed */
#define RCC_DNS_JUMPS_MAX 128  /* compression pointers followed in one name */

enum rcc_dns_type {
	RCC_DNS_T_A = 1,
	RCC_DNS_T_NS = 2,
	RCC_DNS_T_CNAME = 5,
	RCC_DNS_T_SOA = 6,
	RCC_DNS_T_PTR = 12,
	RCC_DNS_T_MX = 15,
	RCC_DNS_T_TXT = 16,
	RCC_DNS_T_AAAA = 28,
	RCC_DNS_T_SRV = 33,
	RCC_DNS_T_OPT = 41,
	RCC_DNS_T_SVCB = 64,
	RCC_DNS_T_HTTPS = 65,
	RCC_DNS_T_ANY = 255,
};

#define RCC_DNS_CLASS_IN 1

enum rcc_dns_rcode {
	RCC_DNS_NOERROR = 0,
	RCC_DNS_FORMERR = 1,
	RCC_DNS_SERVFAIL = 2,
	RCC_DNS_NXDOMAIN = 3,
	RCC_DNS_NOTIMP = 4,
	RCC_DNS_REFUSED = 5,
};

/* Header flags (the second 16-bit word). */
#define RCC_DNS_F_QR 0x8000
#define RCC_DNS_F_OPCODE 0x7800
#define RCC_DNS_F_AA 0x0400
#define RCC_DNS_F_TC 0x0200
#define RCC_DNS_F_RD 0x0100
#define RCC_DNS_F_RA 0x0080
#define RCC_DNS_F_RCODE 0x000f

struct rcc_dns_query {
	__u16 id, flags; /* as received */
	__u16 qtype, qclass;
	char name[RCC_DNS_NAME_MAX]; /* lowercased, dotted, no trailing dot; "" for the root */
	size_t qend;		     /* offset just past the question in the client's message */
	__u16 udp_size;		     /* the client's EDNS0 payload size, 512 without OPT */
	bool edns;		     /* the query had an OPT record: our replies carry one */
};

/*
 * A client's query: QR=0, opcode QUERY, QDCOUNT=1, ANCOUNT=0, NSCOUNT=0,
 * an uncompressed question (labels of 1..63 bytes holding neither '.' nor
 * NUL, at most 253 text characters), then additional records (names there
 * may be compressed), of which at most one OPT (owner the root) is read
 * for the payload size (512 at least), and nothing after them.
 * Returns 0; -EINVAL for anything else, and then, when len >= 12, q->id and
 * q->flags are set, and q->qend too when the question itself was good
 * (else 0), so that rcc_dns_build_error() can answer FORMERR; or -ENOTSUP
 * for a well-formed message whose opcode is not QUERY (q as for -EINVAL:
 * answer NOTIMP).  Prints nothing.
 */
int rcc_dns_parse_query(const __u8 *msg, size_t len, struct rcc_dns_query *q);

/*
 * The header and the first question of any message, a query or a response,
 * whatever its opcode and other counts (the name read as for
 * rcc_dns_parse_query) into q: id, flags, name, qtype, qclass, qend
 * (udp_size 512, no edns).  0 or -EINVAL (q untouched).  Prints nothing.
 */
int rcc_dns_parse_question(const __u8 *msg, size_t len, struct rcc_dns_query *q);

/*
 * A reply with no records to the query msg, as q describes it (after
 * rcc_dns_parse_query, also after a failure): the header, and the question
 * echoed byte for byte when q->qend says there was one (else a header
 * alone, QDCOUNT=0); QR=1, the opcode and RD copied, RA=1, rcode given
 * (NOERROR: NODATA); an OPT record when the query had one.
 * Returns the length, -ENOSPC, or -EINVAL for an rcode above 15.
 */
int rcc_dns_build_error(const __u8 *msg, const struct rcc_dns_query *q, int rcode, __u8 *out,
			size_t cap);

struct rcc_dns_addr {
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u32 ttl;
};

/*
 * An answer to the A or AAAA query msg (q): the question echoed, then one
 * A (the address must be in IPv4 form) or AAAA record per address, its
 * owner the question's name through a compression pointer (0xc00c), each
 * with its ttl; an OPT record when the query had one.  Records that do not
 * fit in cap (the client's UDP size, or 65535 over TCP) are left out and
 * TC set.  Returns the length, -ENOSPC when not even the question fits, or
 * -EINVAL (qtype not A/AAAA, a class other than IN, an IPv6 address for
 * A).  A reply's records, with the OPT, never exceed cap (at most 65535).
 */
int rcc_dns_build_addrs(const __u8 *msg, const struct rcc_dns_query *q,
			const struct rcc_dns_addr *a, size_t n, __u8 *out, size_t cap);

/*
 * Our own query: id, name (dotted, as in rcc_dns_query.name; "" for the
 * root), qtype, class IN, RD=1, and an EDNS0 OPT record offering 1232
 * bytes.  Returns the length, -ENOSPC, or -EINVAL for a name that is no
 * name (an empty label, a label over 63 bytes, over 253 characters).
 */
int rcc_dns_build_query(__u16 id, const char *name, __u16 qtype, __u8 *out, size_t cap);

/* A dotted name in wire form (uncompressed, case kept) into out (at most
 * 255 bytes): its length, or -EINVAL as for rcc_dns_build_query. */
int rcc_dns_name_to_wire(const char *name, __u8 *out, size_t cap);

struct rcc_dns_answer {
	int rcode;
	bool truncated; /* TC: ask again over TCP (the records are then not read) */
	size_t naddrs;	/* A/AAAA records of qtype on the chain from the name */
	struct rcc_dns_addr addrs[RCC_DNS_ADDRS_MAX];
	bool addrs_dropped; /* more than RCC_DNS_ADDRS_MAX */
	unsigned ncnames;   /* CNAME steps followed */
	__u32 min_ttl;	    /* the lowest TTL on the chain (CNAMEs and addresses); 0 when none */
	size_t an_end;	    /* offset just past the answer section */
	__u16 ancount;
};

/*
 * An upstream's response to our query (id, name, qtype): QR=1, opcode
 * QUERY, the same id, exactly our question (the name compared without
 * case, the same type, class IN).  Every record of the answer section is
 * checked (names decompressed under the loop guard, lengths, rdlength 4
 * for A and 16 for AAAA, the names inside CNAME, NS, PTR, MX, SOA and SRV
 * data); CNAMEs are followed from the name, in whatever order they come,
 * at most RCC_DNS_CNAME_MAX steps (more, or a CNAME loop: -ELOOP); A/AAAA
 * records of qtype and class IN whose owner is the name or a name on its
 * chain are kept, all others ignored.  TTLs above 2^31-1 count as 0.  With
 * TC set only the header and question are checked.  The authority and
 * additional sections are not read.
 * Returns 0 (a filled), -EINVAL for anything malformed or not ours, or
 * -ELOOP.  Prints nothing, allocates nothing.
 */
int rcc_dns_parse_answer(const __u8 *msg, size_t len, __u16 id, const char *name, __u16 qtype,
			 struct rcc_dns_answer *a);

/*
 * For query types other than A/AAAA, passed through: the upstream's
 * response resp (checked by rcc_dns_parse_answer into a) made a reply to
 * the client's query msg (q): the client's id, QR=1, RD as the client's,
 * RA=1, the upstream's rcode, the client's question as written (it has
 * the same length as the upstream's: the same name modulo case, so that
 * pointers into it stay valid), the upstream's answer section as is, no
 * authority or additional records (an OPT when the query had one).  When
 * that does not fit cap: TC set and no answers.  Returns the length,
 * -ENOSPC when not even the question fits, or -EINVAL (the questions'
 * lengths differ, the response was truncated).
 */
int rcc_dns_build_relay(const __u8 *msg, const struct rcc_dns_query *q, const __u8 *resp,
			const struct rcc_dns_answer *a, __u8 *out, size_t cap);

#endif
