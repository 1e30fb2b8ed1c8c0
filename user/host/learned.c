// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "host/learned.h"
#include "policy/addr.h"

struct rcc_learned_at {
	__u8 addr[16];
	struct rcc_learned_at *next; /* in its hash bucket */
	struct rcc_learned_name **holders;
	size_t nholders;
};

static size_t hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	__u64 h = 1469598103934665603ull; /* FNV-1a */

	while (len--)
		h = (h ^ *s++) * 1099511628211ull;
	return h % RCC_LEARNED_BUCKETS;
}

int rcc_learned_init(struct rcc_learned *l, __u64 cgroup_id, int map_fd)
{
	memset(l, 0, sizeof(*l));
	l->cgroup_id = cgroup_id;
	l->map_fd = map_fd;
	l->by_name = calloc(RCC_LEARNED_BUCKETS, sizeof(*l->by_name));
	l->by_addr = calloc(RCC_LEARNED_BUCKETS, sizeof(*l->by_addr));
	if (l->by_name && l->by_addr)
		return 0;
	free(l->by_name);
	free(l->by_addr);
	l->by_name = NULL;
	l->by_addr = NULL;
	return -ENOMEM;
}

static struct rcc_learned_name *name_find(const struct rcc_learned *l, const char *name)
{
	struct rcc_learned_name *r;

	for (r = l->by_name[hash_bytes(name, strlen(name))]; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static struct rcc_learned_at *at_find(const struct rcc_learned *l, const __u8 addr[16])
{
	struct rcc_learned_at *at;

	for (at = l->by_addr[hash_bytes(addr, 16)]; at; at = at->next)
		if (!memcmp(at->addr, addr, 16))
			return at;
	return NULL;
}

static bool rule_eq(const struct rcc_rule *a, const struct rcc_rule *b)
{
	return a->port_lo == b->port_lo && a->port_hi == b->port_hi && a->protos == b->protos;
}

static void rules_merge(struct rcc_prefix_val *v, const struct rcc_rule *rules, size_t n)
{
	size_t i, j;

	for (i = 0; i < n && v->nrules < RCC_MAX_RULES; i++) {
		for (j = 0; j < v->nrules; j++)
			if (rule_eq(&v->rules[j], &rules[i]))
				break;
		if (j == v->nrules)
			v->rules[v->nrules++] = rules[i];
	}
}

/* The kernel's entry for addr: the rules of every name holding it (and
 * of extra, about to hold it), or none.  0 or -errno. */
static int sync_addr(struct rcc_learned *l, const __u8 addr[16],
		     const struct rcc_learned_name *extra)
{
	struct rcc_learned_key k = { .cgroup_id = l->cgroup_id };
	struct rcc_learned_at *at = at_find(l, addr);
	struct rcc_prefix_val v = {};
	size_t i;

	memcpy(k.addr, addr, 16);
	for (i = 0; at && i < at->nholders; i++)
		rules_merge(&v, at->holders[i]->rules, at->holders[i]->nrules);
	if (extra)
		rules_merge(&v, extra->rules, extra->nrules);
	if (!v.nrules)
		return bpf_map_delete_elem(l->map_fd, &k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(l->map_fd, &k, &v, BPF_ANY) ? -errno : 0;
}

/* r holds addr from now on, in the index. */
static int hold(struct rcc_learned *l, struct rcc_learned_name *r, const __u8 addr[16])
{
	struct rcc_learned_at *at = at_find(l, addr);
	void *nv;

	if (!at) {
		size_t b = hash_bytes(addr, 16);

		at = calloc(1, sizeof(*at));
		if (!at)
			return -ENOMEM;
		memcpy(at->addr, addr, 16);
		at->next = l->by_addr[b];
		l->by_addr[b] = at;
		l->naddrs++;
	}
	nv = realloc(at->holders, (at->nholders + 1) * sizeof(*at->holders));
	if (!nv)
		return -ENOMEM; /* an empty at stays: harmless, reused */
	at->holders = nv;
	at->holders[at->nholders++] = r;
	return 0;
}

/* r no longer holds addr; an address nobody holds leaves the index. */
static void unhold(struct rcc_learned *l, struct rcc_learned_name *r, const __u8 addr[16])
{
	size_t b = hash_bytes(addr, 16), i;
	struct rcc_learned_at **pp, *at;

	for (pp = &l->by_addr[b]; (at = *pp); pp = &at->next)
		if (!memcmp(at->addr, addr, 16))
			break;
	if (!at)
		return;
	for (i = 0; i < at->nholders; i++)
		if (at->holders[i] == r) {
			at->holders[i] = at->holders[--at->nholders];
			break;
		}
	if (at->nholders)
		return;
	*pp = at->next;
	free(at->holders);
	free(at);
	l->naddrs--;
}

/* The record of name, made with rules when new (past the limit only when
 * forced: a predecessor's entries are taken up whatever their number). */
static struct rcc_learned_name *name_get(struct rcc_learned *l, const char *name,
					 const struct rcc_rule *rules, size_t nrules, bool force)
{
	struct rcc_learned_name *r = name_find(l, name);
	size_t b;

	if (r || (l->n >= RCC_LEARNED_NAMES_MAX && !force))
		return r;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *nv = realloc(l->names, cap * sizeof(*l->names));

		if (!nv)
			return NULL;
		l->names = nv;
		l->cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name))) {
		free(r);
		return NULL;
	}
	r->nrules = nrules < RCC_MAX_RULES ? nrules : RCC_MAX_RULES;
	memcpy(r->rules, rules, r->nrules * sizeof(*rules));
	b = hash_bytes(name, strlen(name));
	r->next = l->by_name[b];
	l->by_name[b] = r;
	l->names[l->n++] = r;
	return r;
}

static bool holds(const struct rcc_learned_name *r, const __u8 addr[16], size_t *at)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->addrs[i].addr, addr, 16)) {
			*at = i;
			return true;
		}
	return false;
}

/* Drops r's address i, in the kernel too. */
static void drop_addr(struct rcc_learned *l, struct rcc_learned_name *r, size_t i)
{
	__u8 addr[16];

	memcpy(addr, r->addrs[i].addr, 16);
	r->addrs[i] = r->addrs[--r->n];
	unhold(l, r, addr);
	sync_addr(l, addr, NULL);
}

/* A slot for a new address of r: a free one, or the least recently
 * answered whose time is up (dropped first); NULL when every address is
 * in use. */
static struct rcc_learned_addr *slot(struct rcc_learned *l, struct rcc_learned_name *r, __u64 now)
{
	size_t i, victim = RCC_LEARNED_ADDRS_MAX;
	void *nv;

	if (r->n == RCC_LEARNED_ADDRS_MAX) {
		for (i = 0; i < r->n; i++)
			if (r->addrs[i].expires_ms <= now &&
			    (victim == RCC_LEARNED_ADDRS_MAX ||
			     r->addrs[i].answered_ms < r->addrs[victim].answered_ms))
				victim = i;
		if (victim == RCC_LEARNED_ADDRS_MAX)
			return NULL;
		drop_addr(l, r, victim);
		return &r->addrs[r->n++];
	}
	nv = realloc(r->addrs, (r->n + 1) * sizeof(*r->addrs));
	if (!nv)
		return NULL;
	r->addrs = nv;
	return &r->addrs[r->n++];
}

enum rcc_learned_refusal rcc_learned_add(struct rcc_learned *l, const char *name,
					 const struct rcc_rule *rules, size_t nrules,
					 const __u8 addr[16], __u64 expires_ms, __u64 now)
{
	struct rcc_learned_name *r = name_get(l, name, rules, nrules, false);
	struct rcc_learned_addr *a;
	size_t at;
	int err;

	if (!r)
		return l->n >= RCC_LEARNED_NAMES_MAX ? RCC_LEARNED_NAME_FULL : RCC_LEARNED_FAILED;
	if (holds(r, addr, &at)) {
		a = &r->addrs[at];
		if (a->expires_ms < expires_ms)
			a->expires_ms = expires_ms;
		a->answered_ms = now;
		return RCC_LEARNED_OK;
	}
	if (l->naddrs >= RCC_LEARNED_SANDBOX_MAX && !at_find(l, addr))
		return RCC_LEARNED_NAME_FULL;
	/* the kernel first: the reply must not leave before the entry */
	err = sync_addr(l, addr, r);
	if (err)
		return err == -E2BIG || err == -ENOSPC ? RCC_LEARNED_MAP_FULL : RCC_LEARNED_FAILED;
	a = slot(l, r, now);
	if (!a || hold(l, r, addr)) {
		if (a)
			r->n--;
		sync_addr(l, addr, NULL); /* back as it was */
		return a ? RCC_LEARNED_FAILED : RCC_LEARNED_NAME_FULL;
	}
	memcpy(a->addr, addr, 16);
	a->expires_ms = expires_ms;
	a->answered_ms = now;
	return RCC_LEARNED_OK;
}

void rcc_learned_adopt(struct rcc_learned *l, const __u8 addr[16], const struct rcc_prefix_val *v,
		       __u64 until_ms)
{
	char name[96], text[64];
	struct rcc_learned_name *r;

	rcc_addr_prefix_format(addr, 128, text, sizeof(text));
	snprintf(name, sizeof(name), "(answered before a restart: %s)", text);
	r = name_get(l, name, v->rules, v->nrules < RCC_MAX_RULES ? v->nrules : RCC_MAX_RULES,
		     true);
	if (!r || r->n || !(r->addrs = calloc(1, sizeof(*r->addrs))))
		return;
	if (hold(l, r, addr))
		return;
	memcpy(r->addrs[0].addr, addr, 16);
	r->addrs[0].expires_ms = until_ms;
	r->n = 1;
}

/* Drops names[idx] with its addresses; the last name takes its place. */
static void drop_name(struct rcc_learned *l, size_t idx, bool kernel)
{
	struct rcc_learned_name *r = l->names[idx], **pp;

	while (kernel && r->n)
		drop_addr(l, r, r->n - 1);
	while (r->n)
		unhold(l, r, r->addrs[--r->n].addr);
	for (pp = &l->by_name[hash_bytes(r->name, strlen(r->name))]; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	free(r->name);
	free(r->addrs);
	free(r);
	l->names[idx] = l->names[--l->n];
}

size_t rcc_learned_expire(struct rcc_learned *l, __u64 now)
{
	size_t i, j, gone = 0;

	for (i = 0; i < l->n; i++) {
		struct rcc_learned_name *r = l->names[i];

		for (j = r->n; j-- > 0;)
			if (r->addrs[j].expires_ms <= now) {
				drop_addr(l, r, j);
				gone++;
			}
		if (!r->n)
			drop_name(l, i--, true);
	}
	return gone;
}

void rcc_learned_forget(struct rcc_learned *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->names[i]->name, name)) {
			drop_name(l, i, true);
			return;
		}
}

void rcc_learned_set_rules(struct rcc_learned *l, const char *name, const struct rcc_rule *rules,
			   size_t nrules)
{
	struct rcc_learned_name *r = name_find(l, name);
	size_t i;

	if (!r)
		return;
	r->nrules = nrules < RCC_MAX_RULES ? nrules : RCC_MAX_RULES;
	memcpy(r->rules, rules, r->nrules * sizeof(*rules));
	for (i = 0; i < r->n; i++)
		sync_addr(l, r->addrs[i].addr, NULL);
}

static void learned_free(struct rcc_learned *l, bool kernel)
{
	while (l->n)
		drop_name(l, l->n - 1, kernel);
	free(l->names);
	free(l->by_name);
	free(l->by_addr);
	l->names = NULL;
	l->by_name = NULL;
	l->by_addr = NULL;
	l->cap = 0;
}

void rcc_learned_clear(struct rcc_learned *l)
{
	learned_free(l, true);
}

void rcc_learned_release(struct rcc_learned *l)
{
	learned_free(l, false);
}

static struct json_object *name_json(const struct rcc_learned_name *r, __u64 now)
{
	struct json_object *o = json_object_new_object(), *addrs = json_object_new_array();
	size_t j;

	for (j = 0; j < r->n; j++) {
		struct json_object *a = json_object_new_object();
		__u64 left = r->addrs[j].expires_ms > now ? r->addrs[j].expires_ms - now : 0;
		char text[64];

		rcc_addr_prefix_format(r->addrs[j].addr, 128, text, sizeof(text));
		json_object_object_add(a, "address", json_object_new_string(text));
		json_object_object_add(a, "expires_in_s",
				       json_object_new_int64((left + 999) / 1000));
		json_object_array_add(addrs, a);
	}
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

struct json_object *rcc_learned_to_json(const struct rcc_learned *l, __u64 now, size_t max)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < l->n && i < max; i++)
		json_object_array_add(arr, name_json(l->names[i], now));
	return arr;
}
