// SPDX-License-Identifier: GPL-2.0
/*
 * DNS messages for the proxy (see dnswire.h).  Every read is checked
 * against the message's length before it happens; offsets are int since a
 * message is at most 65535 bytes, so a negative return is an errno.
 */
#include <errno.h>
#include <string.h>

#include "lib/dnswire.h"

#define OFF_QD 4
#define OFF_AN 6
#define OFF_NS 8
#define OFF_AR 10
#define RR_FIXED 10 /* type, class, ttl, rdlength */
#define OPT_LEN 11  /* root owner and RR_FIXED, no options */
#define LABEL_MAX 63
#define TEXT_MAX (RCC_DNS_NAME_MAX - 1)
#define PTR_BITS 0xc0

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static __u8 lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* RFC 2181, 8: a TTL with its top bit set is read as 0. */
static __u32 ttl_of(const __u8 *p)
{
	__u32 t = get32(p);

	return t > 0x7fffffff ? 0 : t;
}

/* ---- names ---------------------------------------------------------- */

/* A name in wire form, uncompressed, case as found. */
struct wname {
	__u8 b[RCC_DNS_WIRE_NAME_MAX];
	size_t len;
};

/*
 * Reads the name at off in msg[0..len): into out (if not NULL) in wire
 * form.  Returns the offset just past the name where it lies (past its
 * first pointer, if any), or -EINVAL.  The loop guard: a pointer must
 * point past the header and below the start of the labels it ends, and
 * the labels found there must end below that start too, so that the parts
 * of a name lie one below the other and never overlap, as a compressor
 * writes them; also at most RCC_DNS_JUMPS_MAX pointers and 255 bytes.
 */
static int read_name(const __u8 *msg, size_t len, size_t off, struct wname *out)
{
	size_t start = off, lim = len, wlen = 0, to;
	unsigned jumps = 0;
	int end = -1;
	__u8 l;

	for (;;) {
		if (off >= lim)
			return -EINVAL;
		l = msg[off];
		if ((l & PTR_BITS) == PTR_BITS) {
			if (off + 1 >= lim)
				return -EINVAL;
			to = (size_t)(l & ~PTR_BITS) << 8 | msg[off + 1];
			if (end < 0)
				end = (int)off + 2;
			if (to >= start || to < RCC_DNS_HDR_LEN || ++jumps > RCC_DNS_JUMPS_MAX)
				return -EINVAL;
			lim = start;
			off = start = to;
			continue;
		}
		/* 0x40 and 0x80: extended label types, never used */
		if (l > LABEL_MAX || wlen + 1 + l > RCC_DNS_WIRE_NAME_MAX || lim - off - 1 < l)
			return -EINVAL;
		if (out)
			memcpy(out->b + wlen, msg + off, 1 + (size_t)l);
		wlen += 1 + (size_t)l;
		off += 1 + (size_t)l;
		if (!l)
			break;
	}
	if (out)
		out->len = wlen;
	return end < 0 ? (int)off : end;
}

/* Label lengths are below 'A', so one byte loop compares wire names. */
static bool wname_eq(const struct wname *x, const struct wname *y)
{
	size_t i;

	if (x->len != y->len)
		return false;
	for (i = 0; i < x->len; i++)
		if (lower(x->b[i]) != lower(y->b[i]))
			return false;
	return true;
}

int rcc_dns_name_to_wire(const char *name, __u8 *out, size_t cap)
{
	size_t tlen = strnlen(name, RCC_DNS_NAME_MAX), n = 0, l;
	const char *p = name, *end = name + tlen, *dot;

	if (tlen > TEXT_MAX)
		return -EINVAL;
	while (p < end) {
		dot = memchr(p, '.', (size_t)(end - p));
		l = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (!l || l > LABEL_MAX || (dot && dot + 1 == end))
			return -EINVAL;
		if (n + 1 + l >= cap)
			return -ENOSPC;
		out[n] = (__u8)l;
		memcpy(out + n + 1, p, l);
		n += 1 + l;
		p += l + (dot ? 1 : 0);
	}
	if (n >= cap)
		return -ENOSPC;
	out[n++] = 0;
	return (int)n;
}

/*
 * The uncompressed name of a client's question at off into text,
 * lowercased: the offset past it, or -EINVAL (a pointer, a label over 63
 * bytes or holding '.' or NUL, over 253 characters, cut short).
 */
static int question_name(const __u8 *msg, size_t len, size_t off, char *name)
{
	size_t n = 0, i;
	__u8 l, c;

	for (;;) {
		if (off >= len)
			return -EINVAL;
		l = msg[off++];
		if (!l)
			break;
		if (l > LABEL_MAX || len - off < l || n + (n ? 1 : 0) + l > TEXT_MAX)
			return -EINVAL;
		if (n)
			name[n++] = '.';
		for (i = 0; i < l; i++) {
			c = msg[off + i];
			if (c == '.' || !c)
				return -EINVAL;
			name[n++] = (char)lower(c);
		}
		off += l;
	}
	name[n] = '\0';
	return (int)off;
}

/* ---- records -------------------------------------------------------- */

struct rr {
	size_t owner; /* offset of the owner name */
	__u16 type, class;
	__u32 ttl;
	size_t rdata, rdlen;
};

/* The record at off, its fields into rr: the offset past it, or -EINVAL. */
static int read_rr(const __u8 *msg, size_t len, size_t off, struct rr *rr)
{
	int p = read_name(msg, len, off, NULL);

	if (p < 0)
		return p;
	if (len - (size_t)p < RR_FIXED)
		return -EINVAL;
	rr->owner = off;
	rr->type = get16(msg + p);
	rr->class = get16(msg + p + 2);
	rr->ttl = ttl_of(msg + p + 4);
	rr->rdlen = get16(msg + p + 8);
	rr->rdata = (size_t)p + RR_FIXED;
	if (len - rr->rdata < rr->rdlen)
		return -EINVAL;
	return (int)(rr->rdata + rr->rdlen);
}

/* The data of the types that hold (compressible) names: fixed bytes
 * before, names, fixed bytes after. */
static const struct rdata_shape {
	__u16 type;
	__u8 before, names, after;
} rdata_shapes[] = {
	{ RCC_DNS_T_NS, 0, 1, 0 }, { RCC_DNS_T_CNAME, 0, 1, 0 }, { RCC_DNS_T_PTR, 0, 1, 0 },
	{ RCC_DNS_T_MX, 2, 1, 0 }, { RCC_DNS_T_SOA, 0, 2, 20 },	 { RCC_DNS_T_SRV, 6, 1, 0 },
};

/* A record's data has the shape of its type: 0 or -EINVAL.  Its names
 * are read with the data's end as the message's end, so they lie within
 * the data and point only before it. */
static int check_rdata(const __u8 *msg, const struct rr *rr)
{
	size_t end = rr->rdata + rr->rdlen, off, i, k;
	int p;

	if (rr->class == RCC_DNS_CLASS_IN && ((rr->type == RCC_DNS_T_A && rr->rdlen != 4) ||
					      (rr->type == RCC_DNS_T_AAAA && rr->rdlen != 16)))
		return -EINVAL;
	for (i = 0; i < sizeof(rdata_shapes) / sizeof(rdata_shapes[0]); i++) {
		if (rdata_shapes[i].type != rr->type)
			continue;
		off = rr->rdata + rdata_shapes[i].before;
		for (k = 0; k < rdata_shapes[i].names; k++) {
			p = read_name(msg, end, off, NULL);
			if (p < 0)
				return p;
			off = (size_t)p;
		}
		return off + rdata_shapes[i].after == end ? 0 : -EINVAL;
	}
	return 0;
}

/* ---- the client's query --------------------------------------------- */

/* The additional section from off (count records) to the message's end:
 * an OPT gives the payload size.  0 or -EINVAL. */
static int read_additional(const __u8 *msg, size_t len, size_t off, unsigned count,
			   struct rcc_dns_query *q)
{
	struct rr rr;
	int p;

	while (count--) {
		p = read_rr(msg, len, off, &rr);
		if (p < 0)
			return p;
		if (rr.type == RCC_DNS_T_OPT) {
			/* RFC 6891, 6.1.1: one OPT, owned by the root */
			if (q->edns || msg[off])
				return -EINVAL;
			q->edns = true;
			q->udp_size = rr.class > RCC_DNS_UDP_MIN ? rr.class : RCC_DNS_UDP_MIN;
		}
		off = (size_t)p;
	}
	return off == len ? 0 : -EINVAL;
}

/* The question at 12 into q (name, type, class, qend): 0 or -EINVAL. */
static int read_question(const __u8 *msg, size_t len, struct rcc_dns_query *q)
{
	int p = question_name(msg, len, RCC_DNS_HDR_LEN, q->name);

	if (p < 0 || len - (size_t)p < 4) {
		q->name[0] = '\0';
		return -EINVAL;
	}
	q->qtype = get16(msg + p);
	q->qclass = get16(msg + p + 2);
	q->qend = (size_t)p + 4;
	return 0;
}

int rcc_dns_parse_query(const __u8 *msg, size_t len, struct rcc_dns_query *q)
{
	int err;

	memset(q, 0, sizeof(*q));
	q->udp_size = RCC_DNS_UDP_MIN;
	if (len < RCC_DNS_HDR_LEN)
		return -EINVAL;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (len > RCC_DNS_MSG_MAX || (q->flags & RCC_DNS_F_QR))
		return -EINVAL;
	if (q->flags & RCC_DNS_F_OPCODE) {
		/* other opcodes' sections mean other things: the question
		 * alone is read, for the NOTIMP reply to echo */
		if (get16(msg + OFF_QD) == 1)
			read_question(msg, len, q);
		return -ENOTSUP;
	}
	if (get16(msg + OFF_QD) != 1 || get16(msg + OFF_AN) || get16(msg + OFF_NS))
		return -EINVAL;
	err = read_question(msg, len, q);
	if (err)
		return err;
	return read_additional(msg, len, q->qend, get16(msg + OFF_AR), q);
}

int rcc_dns_parse_question(const __u8 *msg, size_t len, struct rcc_dns_query *q)
{
	struct rcc_dns_query r = { .udp_size = RCC_DNS_UDP_MIN };

	if (len < RCC_DNS_HDR_LEN || len > RCC_DNS_MSG_MAX || !get16(msg + OFF_QD))
		return -EINVAL;
	r.id = get16(msg);
	r.flags = get16(msg + 2);
	if (read_question(msg, len, &r))
		return -EINVAL;
	*q = r;
	return 0;
}

/* ---- replies -------------------------------------------------------- */

static void put_header(__u8 *out, __u16 id, __u16 flags, __u16 qd, __u16 an, __u16 ar)
{
	put16(out, id);
	put16(out + 2, flags);
	put16(out + OFF_QD, qd);
	put16(out + OFF_AN, an);
	put16(out + OFF_NS, 0);
	put16(out + OFF_AR, ar);
}

static size_t opt_len(const struct rcc_dns_query *q)
{
	return q->edns ? OPT_LEN : 0;
}

/* An OPT record offering RCC_DNS_EDNS_SIZE, no options: its length. */
static size_t put_opt(__u8 *out)
{
	out[0] = 0;
	put16(out + 1, RCC_DNS_T_OPT);
	put16(out + 3, RCC_DNS_EDNS_SIZE);
	put32(out + 5, 0);
	put16(out + 9, 0);
	return OPT_LEN;
}

/*
 * The header of a reply to q (flags QR, the opcode and RD of the query,
 * RA, rcode) and its question echoed, with room left for the OPT record:
 * the offset past the question, or -ENOSPC.  Counts: QD 1 (0 without a
 * question), AR 1 with an OPT (put_opt() writes it last).
 */
static int reply_head(const __u8 *msg, const struct rcc_dns_query *q, int rcode, __u8 *out,
		      size_t cap)
{
	size_t qlen = q->qend > RCC_DNS_HDR_LEN ? q->qend - RCC_DNS_HDR_LEN : 0;
	__u16 flags = RCC_DNS_F_QR | (q->flags & (RCC_DNS_F_OPCODE | RCC_DNS_F_RD)) | RCC_DNS_F_RA |
		      (__u16)(rcode & RCC_DNS_F_RCODE);

	if (cap > RCC_DNS_MSG_MAX)
		cap = RCC_DNS_MSG_MAX;
	if (RCC_DNS_HDR_LEN + qlen + opt_len(q) > cap)
		return -ENOSPC;
	put_header(out, q->id, flags, qlen ? 1 : 0, 0, q->edns ? 1 : 0);
	memcpy(out + RCC_DNS_HDR_LEN, msg + RCC_DNS_HDR_LEN, qlen);
	return (int)(RCC_DNS_HDR_LEN + qlen);
}

/* Ends a reply begun by reply_head() at off with an answers: the length. */
static int reply_end(const struct rcc_dns_query *q, __u16 an, bool tc, __u8 *out, size_t off)
{
	put16(out + OFF_AN, an);
	if (tc)
		put16(out + 2, get16(out + 2) | RCC_DNS_F_TC);
	if (q->edns)
		off += put_opt(out + off);
	return (int)off;
}

int rcc_dns_build_error(const __u8 *msg, const struct rcc_dns_query *q, int rcode, __u8 *out,
			size_t cap)
{
	int off;

	if (rcode < 0 || rcode > RCC_DNS_F_RCODE)
		return -EINVAL;
	off = reply_head(msg, q, rcode, out, cap);
	if (off < 0)
		return off;
	return reply_end(q, 0, false, out, (size_t)off);
}

static bool is_v4(const __u8 a[16])
{
	static const __u8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

/* One A or AAAA record owned by the question's name: its length. */
static size_t put_addr_rr(__u8 *out, __u16 type, const struct rcc_dns_addr *a)
{
	size_t dlen = type == RCC_DNS_T_A ? 4 : 16;

	put16(out, 0xc000 | RCC_DNS_HDR_LEN);
	put16(out + 2, type);
	put16(out + 4, RCC_DNS_CLASS_IN);
	put32(out + 6, a->ttl);
	put16(out + 10, (__u16)dlen);
	memcpy(out + 12, a->addr + 16 - dlen, dlen);
	return 12 + dlen;
}

int rcc_dns_build_addrs(const __u8 *msg, const struct rcc_dns_query *q,
			const struct rcc_dns_addr *a, size_t n, __u8 *out, size_t cap)
{
	size_t rrlen = q->qtype == RCC_DNS_T_A ? 16 : 28, i, room, an = 0;
	int off;

	if ((q->qtype != RCC_DNS_T_A && q->qtype != RCC_DNS_T_AAAA) ||
	    q->qclass != RCC_DNS_CLASS_IN || q->qend <= RCC_DNS_HDR_LEN)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (q->qtype == RCC_DNS_T_A && !is_v4(a[i].addr))
			return -EINVAL;
	off = reply_head(msg, q, RCC_DNS_NOERROR, out, cap);
	if (off < 0)
		return off;
	room = (cap > RCC_DNS_MSG_MAX ? RCC_DNS_MSG_MAX : cap) - opt_len(q);
	for (i = 0; i < n && (size_t)off + rrlen <= room; i++, an++)
		off += (int)put_addr_rr(out + off, q->qtype, &a[i]);
	return reply_end(q, (__u16)an, an < n, out, (size_t)off);
}

int rcc_dns_build_query(__u16 id, const char *name, __u16 qtype, __u8 *out, size_t cap)
{
	__u8 wire[RCC_DNS_WIRE_NAME_MAX];
	int wl = rcc_dns_name_to_wire(name, wire, sizeof(wire));
	size_t off = RCC_DNS_HDR_LEN;

	if (wl < 0)
		return wl;
	if (RCC_DNS_HDR_LEN + (size_t)wl + 4 + OPT_LEN > cap)
		return -ENOSPC;
	put_header(out, id, RCC_DNS_F_RD, 1, 0, 1);
	memcpy(out + off, wire, (size_t)wl);
	off += (size_t)wl;
	put16(out + off, qtype);
	put16(out + off + 2, RCC_DNS_CLASS_IN);
	off += 4;
	off += put_opt(out + off);
	return (int)off;
}

/* ---- the upstream's response ---------------------------------------- */

/* The header and question of a response to our query: the offset past
 * the question, or -EINVAL. */
static int check_question(const __u8 *msg, size_t len, __u16 id, const char *name, __u16 qtype)
{
	struct wname want, got;
	__u16 flags;
	int p, wl;

	if (len < RCC_DNS_HDR_LEN || len > RCC_DNS_MSG_MAX)
		return -EINVAL;
	flags = get16(msg + 2);
	if (get16(msg) != id || !(flags & RCC_DNS_F_QR) || (flags & RCC_DNS_F_OPCODE) ||
	    get16(msg + OFF_QD) != 1)
		return -EINVAL;
	wl = rcc_dns_name_to_wire(name, want.b, sizeof(want.b));
	if (wl < 0)
		return -EINVAL;
	want.len = (size_t)wl;
	p = read_name(msg, len, RCC_DNS_HDR_LEN, &got);
	if (p < 0 || !wname_eq(&want, &got) || len - (size_t)p < 4 || get16(msg + p) != qtype ||
	    get16(msg + p + 2) != RCC_DNS_CLASS_IN)
		return -EINVAL;
	return p + 4;
}

/* Every record of the answer section checked: the offset past it, or
 * -EINVAL. */
static int check_answers(const __u8 *msg, size_t len, size_t off, unsigned count)
{
	struct rr rr;
	int p, err;

	while (count--) {
		p = read_rr(msg, len, off, &rr);
		if (p < 0)
			return p;
		err = check_rdata(msg, &rr);
		if (err)
			return err;
		off = (size_t)p;
	}
	return (int)off;
}

/* The chain of names from the question's through CNAMEs. */
struct chain {
	struct wname names[RCC_DNS_CNAME_MAX + 1];
	unsigned n;
	__u32 min_ttl;
	bool have_ttl;
};

static void chain_ttl(struct chain *c, __u32 ttl)
{
	if (!c->have_ttl || ttl < c->min_ttl)
		c->min_ttl = ttl;
	c->have_ttl = true;
}

/* The record's owner is one of names[0..n). */
static bool owner_in(const __u8 *msg, const struct rr *rr, const struct wname *names, unsigned n)
{
	struct wname owner;
	unsigned i;

	/* checked already: cannot fail */
	if (read_name(msg, rr->rdata, rr->owner, &owner) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (wname_eq(&owner, &names[i]))
			return true;
	return false;
}

/* The CNAME owned by the chain's last name, if any, appended to the
 * chain: 1, 0 (none), or -ELOOP (a step past RCC_DNS_CNAME_MAX). */
static int chain_step(const __u8 *msg, size_t start, size_t end, unsigned count, struct chain *c)
{
	size_t off = start;
	struct rr rr;

	while (count--) {
		off = (size_t)read_rr(msg, end, off, &rr);
		if (rr.type != RCC_DNS_T_CNAME || !owner_in(msg, &rr, &c->names[c->n - 1], 1))
			continue;
		if (c->n > RCC_DNS_CNAME_MAX)
			return -ELOOP;
		read_name(msg, rr.rdata + rr.rdlen, rr.rdata, &c->names[c->n++]);
		chain_ttl(c, rr.ttl);
		return 1;
	}
	return 0;
}

/* The A/AAAA records of qtype on the chain into a. */
static void collect_addrs(const __u8 *msg, size_t start, unsigned count, __u16 qtype,
			  struct chain *c, struct rcc_dns_answer *a)
{
	size_t off = start, dlen = qtype == RCC_DNS_T_A ? 4 : 16;
	struct rcc_dns_addr *ad;
	struct rr rr;

	while (count--) {
		off = (size_t)read_rr(msg, a->an_end, off, &rr);
		if (rr.type != qtype || rr.class != RCC_DNS_CLASS_IN ||
		    !owner_in(msg, &rr, c->names, c->n))
			continue;
		chain_ttl(c, rr.ttl);
		if (a->naddrs == RCC_DNS_ADDRS_MAX) {
			a->addrs_dropped = true;
			continue;
		}
		ad = &a->addrs[a->naddrs++];
		memset(ad->addr, 0, sizeof(ad->addr));
		if (dlen == 4)
			ad->addr[10] = ad->addr[11] = 0xff;
		memcpy(ad->addr + 16 - dlen, msg + rr.rdata, dlen);
		ad->ttl = rr.ttl;
	}
}

int rcc_dns_parse_answer(const __u8 *msg, size_t len, __u16 id, const char *name, __u16 qtype,
			 struct rcc_dns_answer *a)
{
	struct rcc_dns_answer r = { 0 };
	struct chain c = { .n = 1 };
	int qend, end, step;

	qend = check_question(msg, len, id, name, qtype);
	if (qend < 0)
		return qend;
	r.rcode = get16(msg + 2) & RCC_DNS_F_RCODE;
	r.truncated = get16(msg + 2) & RCC_DNS_F_TC;
	r.an_end = (size_t)qend;
	if (!r.truncated) {
		r.ancount = get16(msg + OFF_AN);
		end = check_answers(msg, len, (size_t)qend, r.ancount);
		if (end < 0)
			return end;
		r.an_end = (size_t)end;
		/* the question's name, as checked */
		read_name(msg, len, RCC_DNS_HDR_LEN, &c.names[0]);
		do
			step = chain_step(msg, (size_t)qend, r.an_end, r.ancount, &c);
		while (step == 1);
		if (step < 0)
			return step;
		r.ncnames = c.n - 1;
		if (qtype == RCC_DNS_T_A || qtype == RCC_DNS_T_AAAA)
			collect_addrs(msg, (size_t)qend, r.ancount, qtype, &c, &r);
		r.min_ttl = c.have_ttl ? c.min_ttl : 0;
	}
	*a = r;
	return 0;
}

int rcc_dns_build_relay(const __u8 *msg, const struct rcc_dns_query *q, const __u8 *resp,
			const struct rcc_dns_answer *a, __u8 *out, size_t cap)
{
	int rq = read_name(resp, a->an_end, RCC_DNS_HDR_LEN, NULL), off;
	size_t alen;
	bool tc;

	if (rq < 0 || (size_t)rq + 4 != q->qend || a->an_end < q->qend)
		return -EINVAL;
	off = reply_head(msg, q, a->rcode, out, cap);
	if (off < 0)
		return off;
	alen = a->an_end - q->qend;
	if (cap > RCC_DNS_MSG_MAX)
		cap = RCC_DNS_MSG_MAX;
	tc = a->truncated || (size_t)off + alen + opt_len(q) > cap;
	if (!tc) {
		memcpy(out + off, resp + q->qend, alen);
		off += (int)alen;
	}
	return reply_end(q, tc ? 0 : a->ancount, tc, out, (size_t)off);
}
