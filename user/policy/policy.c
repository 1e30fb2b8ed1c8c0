// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "policy/dnsname.h"
#include "policy/kvset.h"
#include "policy/policy.h"

/* Exact-address entries expand into rcc_ports up to this many keys;
 * wider port ranges go to the prefix trie as rules. */
#define RCC_PORT_EXPAND_MAX 64
#define RCC_RESOLVE_MAX 64

struct special {
	const char *prefix;
	__u32 set;
};

static const struct special loopback_set[] = {
	{ "127.0.0.0/8", RCC_SET_LOOPBACK },
	{ "::1/128", RCC_SET_LOOPBACK },
};

/* block_host: the same ranges are the host's when the socket is in the
 * host's network namespace (rule 3c). */
static const struct special host_loopback_set[] = {
	{ "127.0.0.0/8", RCC_SET_HOST },
	{ "::1/128", RCC_SET_HOST },
};

/* block_private: the ranges no sandbox reaches unless an entry allows. */
static const struct special private_set[] = {
	{ "0.0.0.0/8", RCC_SET_PRIVATE },
	{ "10.0.0.0/8", RCC_SET_PRIVATE },
	{ "100.64.0.0/10", RCC_SET_PRIVATE },
	{ "169.254.0.0/16", RCC_SET_PRIVATE },
	{ "172.16.0.0/12", RCC_SET_PRIVATE },
	{ "192.0.0.0/24", RCC_SET_PRIVATE },
	{ "192.168.0.0/16", RCC_SET_PRIVATE },
	{ "198.18.0.0/15", RCC_SET_PRIVATE },
	{ "224.0.0.0/4", RCC_SET_PRIVATE },
	{ "240.0.0.0/4", RCC_SET_PRIVATE },	   /* holds 255.255.255.255 */
	{ "168.63.129.16/32", RCC_SET_PRIVATE },   /* Azure host services */
	{ "100.100.100.200/32", RCC_SET_PRIVATE }, /* Alibaba metadata */
	{ "::/128", RCC_SET_PRIVATE },
	{ "::/96", RCC_SET_PRIVATE },	       /* IPv4-compatible */
	{ "64:ff9b:1::/48", RCC_SET_PRIVATE }, /* local-use NAT64 */
	{ "2001::/32", RCC_SET_PRIVATE },      /* Teredo */
	{ "2002::/16", RCC_SET_PRIVATE },      /* 6to4 */
	{ "fc00::/7", RCC_SET_PRIVATE },
	{ "fe80::/10", RCC_SET_PRIVATE },
	{ "fec0::/10", RCC_SET_PRIVATE },
	{ "ff00::/8", RCC_SET_PRIVATE },
};

/* A trie node under construction. */
struct node {
	__u8 addr[16];
	__u8 plen;
	__u32 flags;
	char origin[3][RCC_ORIGIN_MAX];
	__u32 nrules;
	struct rcc_rule rules[RCC_MAX_RULES];
	int line; /* first entry that made it, for errors */
	bool overflow;
	bool barrier; /* inherits nothing from shorter prefixes */
};

struct builder {
	const struct rcc_policy_cfg *p;
	const struct rcc_compile_opts *opts;
	struct rcc_compiled *out;
	struct node *nodes;
	size_t nnodes, capnodes;
	size_t capports, capaddrs;
	int errors;
};

static void compile_error(struct builder *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void compile_error(struct builder *b, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", b->opts->file ? b->opts->file : "<config>", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	b->errors++;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int set_bit_index(__u32 set)
{
	return set == RCC_SET_LOOPBACK ? 0 : set == RCC_SET_PRIVATE ? 1 : 2;
}

static struct node *node_add(struct builder *b, const __u8 addr[16], __u8 plen)
{
	struct node *n;

	if (grow((void **)&b->nodes, &b->capnodes, b->nnodes + 1, sizeof(*n)))
		return NULL;
	n = &b->nodes[b->nnodes++];
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, addr, 16);
	n->plen = plen;
	return n;
}

static void node_add_rule(struct node *n, const struct rcc_rule *r)
{
	n->nrules = rcc_entry_rule_add(n->rules, n->nrules, RCC_MAX_RULES, r, &n->overflow);
}

static int special_add(struct builder *b, const struct special *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct rcc_entry e;
		char err[128];
		struct node *nd;

		if (rcc_entry_parse(s[i].prefix, RCC_ACT_DENY, &e, err, sizeof(err)))
			return -EINVAL; /* the tables above are wrong */
		nd = node_add(b, e.addr, e.plen);
		rcc_entry_release(&e);
		if (!nd)
			return -ENOMEM;
		nd->flags = s[i].set;
		snprintf(nd->origin[set_bit_index(s[i].set)], RCC_ORIGIN_MAX, "%s", s[i].prefix);
	}
	return 0;
}

/*
 * The IPv4 (::ffff:0:0/96) and NAT64 (64:ff9b::/96) spaces: an IPv6
 * entry covers them only when written inside, so what shorter prefixes
 * carry (::/0 and the like) stops at their edge.
 */
static const char *const barriers[] = { "::ffff:0:0/96", "64:ff9b::/96" };

static int barriers_add(struct builder *b)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(barriers); i++) {
		struct rcc_entry e;
		char err[128];
		struct node *nd;

		if (rcc_entry_parse(barriers[i], RCC_ACT_DENY, &e, err, sizeof(err)))
			return -EINVAL; /* the table above is wrong */
		nd = node_add(b, e.addr, e.plen);
		rcc_entry_release(&e);
		if (!nd)
			return -ENOMEM;
		nd->barrier = true;
	}
	return 0;
}

static bool in_private_set(const __u8 a[16]);

/*
 * The host's addresses, and its loopback: from the host's network
 * namespace 127/8 and ::1 are the host itself (rule 3c); the loopback
 * flag they also carry keeps them apart from the host's other addresses.
 * A host address the private set already denies adds nothing to a policy
 * that blocks it: left out, so that the host's link-local addresses (one
 * more with each container's veth) do not change the policy.
 */
static int host_add(struct builder *b)
{
	const struct rcc_addr_list *h = b->opts->host;
	size_t i;
	int err = special_add(b, host_loopback_set, ARRAY_SIZE(host_loopback_set));

	for (i = 0; !err && h && i < h->n; i++) {
		struct node *nd;

		if (b->p->block_private && in_private_set(h->addrs[i]))
			continue;
		nd = node_add(b, h->addrs[i], 128);
		if (!nd)
			return -ENOMEM;
		nd->flags = RCC_SET_HOST;
		rcc_addr_prefix_format(h->addrs[i], 128, nd->origin[2], RCC_ORIGIN_MAX);
	}
	return err;
}

static int port_add(struct builder *b, const __u8 addr[16], __u16 port, __u8 proto, __u32 action,
		    __u32 rule_id)
{
	struct rcc_compiled *o = b->out;
	size_t capv = b->capports;

	if (grow((void **)&o->port_keys, &b->capports, o->nports + 1, sizeof(*o->port_keys)) ||
	    grow((void **)&o->port_vals, &capv, o->nports + 1, sizeof(*o->port_vals)))
		return -ENOMEM;
	memset(&o->port_keys[o->nports], 0, sizeof(*o->port_keys));
	o->port_keys[o->nports].version = o->version;
	o->port_keys[o->nports].port = port;
	o->port_keys[o->nports].proto = proto;
	memcpy(o->port_keys[o->nports].addr, addr, 16);
	o->port_vals[o->nports].action = action;
	o->port_vals[o->nports].rule_id = rule_id;
	o->nports++;
	return 0;
}

static int addr_add(struct builder *b, const __u8 addr[16], __u8 protos, __u32 action,
		    __u32 rule_id)
{
	struct rcc_compiled *o = b->out;
	size_t capv = b->capaddrs;
	struct rcc_addr_val *v;

	if (grow((void **)&o->addr_keys, &b->capaddrs, o->naddrs + 1, sizeof(*o->addr_keys)) ||
	    grow((void **)&o->addr_vals, &capv, o->naddrs + 1, sizeof(*o->addr_vals)))
		return -ENOMEM;
	memset(&o->addr_keys[o->naddrs], 0, sizeof(*o->addr_keys));
	o->addr_keys[o->naddrs].version = o->version;
	memcpy(o->addr_keys[o->naddrs].addr, addr, 16);
	v = &o->addr_vals[o->naddrs];
	memset(v, 0, sizeof(*v));
	if (action == RCC_ACT_ALLOW) {
		v->allow_protos = protos;
		v->allow_rule = rule_id;
	} else {
		v->deny_protos = protos;
		v->deny_rule = rule_id;
	}
	o->naddrs++;
	return 0;
}

static unsigned popcount8(__u8 v)
{
	return __builtin_popcount(v);
}

/* One concrete address (or prefix) of an entry into the right map. */
static int entry_place(struct builder *b, const struct rcc_entry *e, const __u8 addr[16], __u8 plen,
		       __u32 rule_id)
{
	unsigned long nkeys = 0;
	__u32 i;
	struct node *nd;

	if (plen == 128 && !e->nports)
		return addr_add(b, addr, e->protos, e->action, rule_id);
	if (plen == 128) {
		for (i = 0; i < e->nports; i++)
			nkeys += (unsigned long)(e->ports[i].hi - e->ports[i].lo + 1);
		nkeys *= popcount8(e->protos);
	}
	if (plen == 128 && nkeys <= RCC_PORT_EXPAND_MAX) {
		for (i = 0; i < e->nports; i++) {
			unsigned port;
			__u8 bit;

			for (port = e->ports[i].lo; port <= e->ports[i].hi; port++)
				for (bit = 1; bit <= RCC_PROTO_OTHER; bit <<= 1)
					if ((e->protos & bit) &&
					    port_add(b, addr, port, bit, e->action, rule_id))
						return -ENOMEM;
		}
		return 0;
	}
	nd = node_add(b, addr, plen);
	if (!nd)
		return -ENOMEM;
	nd->line = e->line;
	nd->nrules =
		rcc_entry_rules(e, rule_id, nd->rules, nd->nrules, RCC_MAX_RULES, &nd->overflow);
	return 0;
}

static void compile_warn(struct builder *b, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void compile_warn(struct builder *b, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: warning: ", b->opts->file ? b->opts->file : "<config>", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define NSPECIAL (ARRAY_SIZE(loopback_set) + ARRAY_SIZE(private_set))

/* The loopback and private ranges, parsed once (prefixlen here: the
 * length in the 16-byte space, without the trie key's +32). */
static const struct rcc_prefix_key *internal_ranges(void)
{
	static struct rcc_prefix_key parsed[NSPECIAL];
	static bool done;
	const size_t nloop = ARRAY_SIZE(loopback_set);
	size_t i;

	for (i = 0; !done && i < NSPECIAL; i++) {
		const struct special *sp = i < nloop ? &loopback_set[i] : &private_set[i - nloop];
		char buf[64], *slash;
		bool v4 = false;

		snprintf(buf, sizeof(buf), "%s", sp->prefix);
		slash = strchr(buf, '/');
		*slash = '\0';
		rcc_addr_parse(buf, parsed[i].addr, &v4); /* the tables are literals */
		parsed[i].prefixlen = atoi(slash + 1) + (v4 ? 96 : 0);
	}
	done = true;
	return parsed;
}

static bool in_private_set(const __u8 a[16])
{
	const struct rcc_prefix_key *r = internal_ranges();
	size_t i;

	for (i = ARRAY_SIZE(loopback_set); i < NSPECIAL; i++)
		if (rcc_addr_prefix_covers(r[i].addr, r[i].prefixlen, a))
			return true;
	return false;
}

bool rcc_policy_addr_internal(const __u8 a16[16], const struct rcc_addr_list *host)
{
	const struct rcc_prefix_key *r = internal_ranges();
	__u8 a[16];
	size_t i;

	memcpy(a, a16, 16);
	rcc_addr_embedded_v4(a); /* through NAT64, it leads there */
	for (i = 0; i < NSPECIAL; i++)
		if (rcc_addr_prefix_covers(r[i].addr, r[i].prefixlen, a))
			return true;
	for (i = 0; host && i < host->n; i++)
		if (!memcmp(host->addrs[i], a, 16))
			return true;
	return false;
}

static int entry_compile(struct builder *b, const struct rcc_entry *e, __u32 rule_id)
{
	enum rcc_dns_mode mode = b->opts->dns_mode;
	const char *verb = e->action == RCC_ACT_ALLOW ? "allow" : "deny";
	__u8 addrs[RCC_RESOLVE_MAX][16];
	int n, i, err;

	if (!e->host[0])
		return entry_place(b, e, e->addr, e->plen, rule_id);
	if ((e->flags & RCC_ENTRY_WILDCARD) && !b->p->dns_proxy)
		compile_error(b, e->line, RCC_DNSNAME_NEEDS_PROXY, e->host);
	/* dns = proxy: the proxy answers these names (exact deny names are
	 * still resolved here: their addresses stay denied however got) */
	if ((e->flags & RCC_ENTRY_WILDCARD) || (b->p->dns_proxy && e->action == RCC_ACT_ALLOW))
		return 0;
	n = b->opts->resolve ?
		    b->opts->resolve(e->host, addrs, RCC_RESOLVE_MAX, b->opts->resolve_ctx) :
		    -ENOENT;
	if (n <= 0 && mode == RCC_DNS_QUIET)
		return 0;
	if (n <= 0 && mode == RCC_DNS_ENFORCE && e->action == RCC_ACT_ALLOW) {
		compile_warn(
			b, e->line,
			"%s = %s: cannot resolve '%s'%s; enforcing without it (rcc-bpf daemon retries it)",
			verb, e->text, e->host, n == -ENOENT ? " (no such name)" : "");
		return 0;
	}
	if (n <= 0) {
		compile_error(b, e->line, "%s = %s: cannot resolve '%s'%s", verb, e->text, e->host,
			      n == -ENOENT ? " (no such name)" : "");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (e->action == RCC_ACT_ALLOW && !(e->flags & RCC_ENTRY_PRIVATE_OK) &&
		    rcc_policy_addr_internal(addrs[i], b->opts->host)) {
			char shown[64];

			rcc_addr_prefix_format(addrs[i], 128, shown, sizeof(shown));
			if (mode != RCC_DNS_QUIET)
				compile_warn(
					b, e->line,
					"%s = %s: '%s' resolves to %s, an internal address: left out (rebinding guard; add private_ok to the entry to allow it)",
					verb, e->text, e->host, shown);
			continue;
		}
		err = entry_place(b, e, addrs[i], 128, rule_id);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->plen - (int)y->plen;
}

/* Adds what node s says about its prefix to node d (the same prefix, or
 * one covering it); what d already names keeps its origin and line. */
static void node_merge(struct node *d, const struct node *s)
{
	__u32 r;
	size_t j;

	for (j = 0; j < 3; j++)
		if (!d->origin[j][0])
			memcpy(d->origin[j], s->origin[j], RCC_ORIGIN_MAX);
	d->flags |= s->flags;
	for (r = 0; r < s->nrules; r++)
		node_add_rule(d, &s->rules[r]);
	d->overflow |= s->overflow;
	if (!d->line)
		d->line = s->line;
}

/* Sorts the nodes by address then length, one node per prefix. */
static void nodes_sort(struct builder *b)
{
	size_t i, out = 0;

	qsort(b->nodes, b->nnodes, sizeof(*b->nodes), cmp_node);
	for (i = 0; i < b->nnodes; i++) {
		if (out && !cmp_node(&b->nodes[out - 1], &b->nodes[i])) {
			b->nodes[out - 1].barrier |= b->nodes[i].barrier;
			node_merge(&b->nodes[out - 1], &b->nodes[i]);
			continue;
		}
		if (out != i)
			b->nodes[out] = b->nodes[i];
		out++;
	}
	b->nnodes = out;
}

/* Node n, which carries everything that covers it, into trie entry i. */
static void node_emit(struct builder *b, const struct node *n, size_t i)
{
	struct rcc_compiled *o = b->out;

	o->prefix_keys[i].prefixlen = 32 + n->plen;
	o->prefix_keys[i].version = htonl(o->version);
	memcpy(o->prefix_keys[i].addr, n->addr, 16);
	o->prefix_vals[i].flags = n->flags;
	o->prefix_vals[i].nrules = n->nrules;
	memcpy(o->prefix_vals[i].rules, n->rules, sizeof(n->rules));
	memcpy(o->prefix_origin[i], n->origin, sizeof(n->origin));
}

static void overflow_error(struct builder *b, const struct node *n)
{
	char pfx[64];

	rcc_addr_prefix_format(n->addr, n->plen, pfx, sizeof(pfx));
	compile_error(
		b, n->line ? n->line : b->p->line,
		"more than %d port rules apply to %s (with those of the prefixes around it); merge ports into fewer entries",
		RCC_MAX_RULES, pfx);
}

/*
 * Turns the nodes into trie entries where each carries everything that
 * covers it, so the longest match alone decides.  Sorted by address then
 * length, the covering prefixes of a node are exactly the stack below it.
 */
static int nodes_finish(struct builder *b)
{
	struct rcc_compiled *o = b->out;
	size_t i, depth = 0, *stack;
	int err = 0;

	nodes_sort(b);
	stack = calloc(b->nnodes + 1, sizeof(*stack));
	o->prefix_keys = calloc(b->nnodes + 1, sizeof(*o->prefix_keys));
	o->prefix_vals = calloc(b->nnodes + 1, sizeof(*o->prefix_vals));
	o->prefix_origin = calloc(b->nnodes + 1, sizeof(*o->prefix_origin));
	if (!stack || !o->prefix_keys || !o->prefix_vals || !o->prefix_origin) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < b->nnodes; i++) {
		struct node *n = &b->nodes[i];
		bool report = n->overflow;

		while (depth && !rcc_addr_prefix_covers(b->nodes[stack[depth - 1]].addr,
							b->nodes[stack[depth - 1]].plen, n->addr))
			depth--;
		if (depth && !n->barrier) {
			const struct node *up = &b->nodes[stack[depth - 1]];

			node_merge(n, up);
			/* reported once, where the overflow begins */
			report |= n->overflow && !up->overflow;
		}
		stack[depth++] = i;
		if (report)
			overflow_error(b, n);
		node_emit(b, n, i);
	}
	o->nprefixes = b->nnodes;
out:
	free(stack);
	return err;
}

/* Duplicate keys: allow wins for ports; protocol sets add up for addresses. */
static void merge_port(void *dst, const void *src)
{
	struct rcc_port_val *d = dst;
	const struct rcc_port_val *s = src;

	if (s->action == RCC_ACT_ALLOW && d->action != RCC_ACT_ALLOW)
		*d = *s;
}

static void merge_addr(void *dst, const void *src)
{
	struct rcc_addr_val *d = dst;
	const struct rcc_addr_val *s = src;

	if (!d->allow_rule)
		d->allow_rule = s->allow_rule;
	if (!d->deny_rule)
		d->deny_rule = s->deny_rule;
	d->allow_protos |= s->allow_protos;
	d->deny_protos |= s->deny_protos;
}

/* Whether an allow entry names hosts (a name or a wildcard): only then
 * can the DNS proxy's answers allow anything under the policy. */
static bool has_allow_names(const struct rcc_policy_cfg *p)
{
	size_t i;

	for (i = 0; i < p->nentries; i++)
		if (p->entries[i].host[0] && p->entries[i].action == RCC_ACT_ALLOW)
			return true;
	return false;
}

int rcc_policy_compile(const struct rcc_policy_cfg *p, __u32 version,
		       const struct rcc_compile_opts *opts, struct rcc_compiled *out)
{
	static const struct rcc_compile_opts none;
	struct builder b = { .p = p, .opts = opts ? opts : &none, .out = out };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	out->version = version;
	out->pol.flags = RCC_POL_ACTIVE;
	if (p->audit)
		out->pol.flags |= RCC_POL_AUDIT;
	if (p->allow_loopback)
		out->pol.flags |= RCC_POL_ALLOW_LOOPBACK;
	if (p->allow_public)
		out->pol.flags |= RCC_POL_ALLOW_PUBLIC;
	if (p->allow_raw_sockets)
		out->pol.flags |= RCC_POL_ALLOW_RAW;
	if (p->dns_proxy)
		out->pol.flags |= RCC_POL_DNS_PROXY;
	if (p->dns_proxy && has_allow_names(p))
		out->pol.flags |= RCC_POL_DNS_NAMES;
	memcpy(out->pol.protocols, p->protocols, sizeof(p->protocols));

	err = barriers_add(&b);
	err = err ?: special_add(&b, loopback_set, ARRAY_SIZE(loopback_set));
	if (!err && p->block_private)
		err = special_add(&b, private_set, ARRAY_SIZE(private_set));
	if (!err && p->block_host)
		err = host_add(&b);
	for (i = 0; !err && i < p->nentries; i++)
		err = entry_compile(&b, &p->entries[i], i + 1);
	if (!err)
		err = nodes_finish(&b);
	if (!err)
		err = rcc_kv_dedupe(out->port_keys, out->port_vals, &out->nports,
				    sizeof(*out->port_keys), sizeof(*out->port_vals), merge_port);
	if (!err)
		err = rcc_kv_dedupe(out->addr_keys, out->addr_vals, &out->naddrs,
				    sizeof(*out->addr_keys), sizeof(*out->addr_vals), merge_addr);
	free(b.nodes);
	if (!err && b.errors)
		err = -EINVAL;
	if (err)
		rcc_compiled_free(out);
	return err;
}

void rcc_compiled_set_version(struct rcc_compiled *c, __u32 version)
{
	size_t i;

	c->version = version;
	for (i = 0; i < c->nports; i++)
		c->port_keys[i].version = version;
	for (i = 0; i < c->naddrs; i++)
		c->addr_keys[i].version = version;
	for (i = 0; i < c->nprefixes; i++)
		c->prefix_keys[i].version = htonl(version);
}

void rcc_compiled_free(struct rcc_compiled *c)
{
	free(c->port_keys);
	free(c->port_vals);
	free(c->addr_keys);
	free(c->addr_vals);
	free(c->prefix_keys);
	free(c->prefix_vals);
	free(c->prefix_origin);
	memset(c, 0, sizeof(*c));
}

static void judge_once(const struct rcc_compiled *c, __u32 where, const __u8 addr[16], __u16 port,
		       __u8 proto, struct rcc_explain *x)
{
	struct rcc_port_key pk = { .version = c->version, .port = port, .proto = proto };
	struct rcc_addr_key ak = { .version = c->version };
	const struct rcc_port_val *pt = NULL;
	const struct rcc_addr_val *av = NULL;
	const struct rcc_prefix_val *pv = NULL;
	size_t i, best = 0;
	__u32 best_len = 0;

	memset(x, 0, sizeof(*x));
	memcpy(pk.addr, addr, 16);
	memcpy(ak.addr, addr, 16);
	/* one question: a scan is fine */
	for (i = 0; i < c->nports && !pt; i++)
		if (!memcmp(&c->port_keys[i], &pk, sizeof(pk)))
			pt = &c->port_vals[i];
	for (i = 0; i < c->naddrs && !av; i++)
		if (!memcmp(&c->addr_keys[i], &ak, sizeof(ak)))
			av = &c->addr_vals[i];
	for (i = 0; i < c->nprefixes; i++) {
		__u32 plen = c->prefix_keys[i].prefixlen - 32;

		if (rcc_addr_prefix_covers(c->prefix_keys[i].addr, plen, addr) &&
		    (!pv || plen > best_len)) {
			pv = &c->prefix_vals[i];
			best = i;
			best_len = plen;
		}
	}
	x->action = rcc_judge(c->pol.flags, where, pt, av, pv, NULL, port, proto, &x->reason,
			      &x->rule_id);
	x->where = where;
	memcpy(x->addr, addr, 16);
	x->port = port;
	x->proto = proto;
	if (pv && x->reason == RCC_R_LOOPBACK)
		memcpy(x->origin, c->prefix_origin[best][0], RCC_ORIGIN_MAX);
	else if (pv && x->reason == RCC_R_PRIVATE)
		memcpy(x->origin, c->prefix_origin[best][1], RCC_ORIGIN_MAX);
	else if (pv && x->reason == RCC_R_HOST)
		memcpy(x->origin, c->prefix_origin[best][2], RCC_ORIGIN_MAX);
}

/* The kernel's verdict, NAT64's second step included (rcc_shared.h). */
void rcc_compiled_judge_at(const struct rcc_compiled *c, __u32 where, const __u8 addr[16],
			   __u16 port, __u8 proto, struct rcc_explain *x)
{
	__u8 v4[16];

	judge_once(c, where, addr, port, proto, x);
	if (rcc_nat64_second_step(addr, x->reason, v4)) {
		/* a NAT64 address leads to a gateway, never to this loopback */
		judge_once(c, RCC_WHERE_OWN_NETNS, v4, port, proto, x);
		x->via_nat64 = true;
	}
}

void rcc_compiled_judge(const struct rcc_compiled *c, const __u8 addr[16], __u16 port, __u8 proto,
			struct rcc_explain *x)
{
	rcc_compiled_judge_at(c, RCC_WHERE_OWN_NETNS, addr, port, proto, x);
}

static bool entry_matches(const struct rcc_entry *e, const __u8 addr[16], __u16 port, __u8 proto)
{
	__u32 i;

	if (e->host[0] || !(e->protos & proto) || !rcc_addr_prefix_covers(e->addr, e->plen, addr))
		return false;
	for (i = 0; i < e->nports; i++)
		if (port >= e->ports[i].lo && port <= e->ports[i].hi)
			return true;
	return !e->nports;
}

/*
 * The entry to name for a rule verdict.  The kernel keeps one rule id per
 * exact address and action; when that entry is for another protocol or
 * port, the first entry that matches the question is the better answer.
 */
static const struct rcc_entry *deciding_entry(const struct rcc_policy_cfg *p,
					      const struct rcc_explain *x)
{
	__u32 want = x->reason == RCC_R_ALLOW_RULE ? RCC_ACT_ALLOW : RCC_ACT_DENY;
	const struct rcc_entry *e = NULL;
	size_t i;

	if (x->rule_id && x->rule_id <= p->nentries)
		e = &p->entries[x->rule_id - 1];
	if (e && (e->host[0] || entry_matches(e, x->addr, x->port, x->proto)))
		return e;
	for (i = 0; i < p->nentries; i++)
		if (p->entries[i].action == want &&
		    entry_matches(&p->entries[i], x->addr, x->port, x->proto))
			return &p->entries[i];
	return e;
}

/*
 * What a reader could expect and the rules do not do: a NAT64 address
 * judged as the IPv4 address it carries, and an IPv6 prefix written
 * around the IPv4 or NAT64 space, which does not cover it.
 */
static void explain_spaces(const struct rcc_policy_cfg *p, const struct rcc_explain *x, char *buf,
			   size_t len)
{
	size_t used = strlen(buf), i;
	__u8 v4[16];

	if (x->via_nat64) {
		char a[64];

		rcc_addr_prefix_format(x->addr, 128, a, sizeof(a));
		snprintf(buf + used, len - used,
			 "; NAT64: no entry inside 64:ff9b::/96 matched, so judged as %s", a);
		return;
	}
	if (x->reason == RCC_R_ALLOW_RULE || x->reason == RCC_R_DENY_RULE)
		return;
	for (i = 0; i < p->nentries; i++) {
		const struct rcc_entry *e = &p->entries[i];

		if (e->host[0] || e->plen >= 96 ||
		    !rcc_addr_prefix_covers(e->addr, e->plen, x->addr))
			continue;
		if (!rcc_addr_is_v4(x->addr) && !rcc_nat64_second_step(x->addr, 0, v4))
			continue;
		snprintf(
			buf + used, len - used,
			"; %s = %s (line %d) is IPv6 and covers the %s space only when written inside it",
			e->action == RCC_ACT_ALLOW ? "allow" : "deny", e->text, e->line,
			rcc_addr_is_v4(x->addr) ? "IPv4 (::ffff:0:0/96)" : "NAT64 (64:ff9b::/96)");
		return;
	}
}

void rcc_policy_explain_format(const struct rcc_policy_cfg *p, const struct rcc_explain *x,
			       char *buf, size_t len)
{
	const char *verdict = x->action == RCC_ACT_ALLOW ? "allow" : "deny";
	const char *audit = (p->audit && x->action != RCC_ACT_ALLOW) ?
				    " [mode = audit: counted, not blocked]" :
				    "";
	const struct rcc_entry *e = deciding_entry(p, x);

	switch (x->reason) {
	case RCC_R_ALLOW_RULE:
	case RCC_R_DENY_RULE:
		snprintf(buf, len, "%s: %s = %s (line %d)%s", verdict,
			 e && e->action == RCC_ACT_ALLOW ? "allow" : "deny", e ? e->text : "?",
			 e ? e->line : 0, audit);
		break;
	case RCC_R_LOOPBACK:
		snprintf(buf, len, "%s: %s (loopback%s%s)%s", verdict, x->origin,
			 x->where == RCC_WHERE_OWN_LISTENER ?
				 ", a socket bound inside the sandbox's own cgroup" :
				 "",
			 x->action == RCC_ACT_ALLOW ? "" : ", allow_loopback = no", audit);
		break;
	case RCC_R_PRIVATE:
		snprintf(buf, len, "%s: %s (private)%s", verdict, x->origin, audit);
		break;
	case RCC_R_HOST:
		snprintf(buf, len, "%s: %s (%s, block_host)%s", verdict, x->origin,
			 rcc_addr_is_loopback(x->addr) ? "the host's loopback: its local services" :
							 "address of this host",
			 audit);
		break;
	case RCC_R_PUBLIC:
		snprintf(buf, len, "%s: public address (allow_public = yes)", verdict);
		break;
	default:
		snprintf(buf, len, "%s: no allow entry matches (allow_public = no)%s", verdict,
			 audit);
		break;
	}
	explain_spaces(p, x, buf, len);
}
