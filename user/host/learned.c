// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "host/learned.h"
#include "policy/addr.h"

void rcc_learned_init(struct rcc_learned *l, __u64 cgroup_id, int map_fd)
{
	memset(l, 0, sizeof(*l));
	l->cgroup_id = cgroup_id;
	l->map_fd = map_fd;
}

static struct rcc_learned_name *name_find(const struct rcc_learned *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->names[i].name, name))
			return &l->names[i];
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

static bool holds(const struct rcc_learned_name *r, const __u8 addr[16], size_t *at)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->addrs[i].addr, addr, 16)) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

/* The kernel's entry for addr: the rules of every name holding it (and
 * of extra, about to hold it), or none.  0 or -errno. */
static int sync_addr(struct rcc_learned *l, const __u8 addr[16],
		     const struct rcc_learned_name *extra)
{
	struct rcc_learned_key k = { .cgroup_id = l->cgroup_id };
	struct rcc_prefix_val v = {};
	size_t i;

	memcpy(k.addr, addr, 16);
	for (i = 0; i < l->n; i++)
		if (holds(&l->names[i], addr, NULL))
			rules_merge(&v, l->names[i].rules, l->names[i].nrules);
	if (extra)
		rules_merge(&v, extra->rules, extra->nrules);
	if (!v.nrules)
		return bpf_map_delete_elem(l->map_fd, &k) && errno != ENOENT ? -errno : 0;
	return bpf_map_update_elem(l->map_fd, &k, &v, BPF_ANY) ? -errno : 0;
}

static struct rcc_learned_name *name_get(struct rcc_learned *l, const char *name,
					 const struct rcc_rule *rules, size_t nrules)
{
	struct rcc_learned_name *r = name_find(l, name);

	if (r)
		return r;
	if (l->n >= RCC_LEARNED_NAMES_MAX)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *nv = realloc(l->names, cap * sizeof(*l->names));

		if (!nv)
			return NULL;
		l->names = nv;
		l->cap = cap;
	}
	r = &l->names[l->n];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	if (!r->name)
		return NULL;
	r->nrules = nrules < RCC_MAX_RULES ? nrules : RCC_MAX_RULES;
	memcpy(r->rules, rules, r->nrules * sizeof(*rules));
	l->n++;
	return r;
}

static void drop_addr(struct rcc_learned *l, struct rcc_learned_name *r, size_t i);

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
	struct rcc_learned_name *r = name_get(l, name, rules, nrules);
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
	err = sync_addr(l, addr, r);
	if (err)
		return err == -E2BIG || err == -ENOSPC ? RCC_LEARNED_MAP_FULL : RCC_LEARNED_FAILED;
	a = slot(l, r, now);
	if (!a) {
		sync_addr(l, addr, NULL); /* back as it was */
		return RCC_LEARNED_NAME_FULL;
	}
	memcpy(a->addr, addr, 16);
	a->expires_ms = expires_ms;
	a->answered_ms = now;
	return RCC_LEARNED_OK;
}

/* Drops r's address i, in the kernel too. */
static void drop_addr(struct rcc_learned *l, struct rcc_learned_name *r, size_t i)
{
	__u8 addr[16];

	memcpy(addr, r->addrs[i].addr, 16);
	r->addrs[i] = r->addrs[--r->n];
	sync_addr(l, addr, NULL);
}

static void drop_name(struct rcc_learned *l, size_t idx)
{
	struct rcc_learned_name *r = &l->names[idx];

	while (r->n)
		drop_addr(l, r, r->n - 1);
	free(r->name);
	free(r->addrs);
	l->names[idx] = l->names[--l->n];
}

size_t rcc_learned_expire(struct rcc_learned *l, __u64 now)
{
	size_t i, j, gone = 0;

	for (i = 0; i < l->n; i++) {
		struct rcc_learned_name *r = &l->names[i];

		for (j = r->n; j-- > 0;)
			if (r->addrs[j].expires_ms <= now) {
				drop_addr(l, r, j);
				gone++;
			}
		if (!r->n) {
			drop_name(l, i);
			i--;
		}
	}
	return gone;
}

void rcc_learned_forget(struct rcc_learned *l, const char *name)
{
	struct rcc_learned_name *r = name_find(l, name);

	if (r)
		drop_name(l, r - l->names);
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

void rcc_learned_clear(struct rcc_learned *l)
{
	while (l->n)
		drop_name(l, l->n - 1);
	free(l->names);
	l->names = NULL;
	l->cap = 0;
}

void rcc_learned_release(struct rcc_learned *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->names[i].name);
		free(l->names[i].addrs);
	}
	free(l->names);
	l->names = NULL;
	l->n = l->cap = 0;
}

struct json_object *rcc_learned_to_json(const struct rcc_learned *l, __u64 now)
{
	struct json_object *arr = json_object_new_array();
	size_t i, j;

	for (i = 0; arr && i < l->n; i++) {
		const struct rcc_learned_name *r = &l->names[i];
		struct json_object *o = json_object_new_object(), *addrs = json_object_new_array();

		for (j = 0; j < r->n; j++) {
			struct json_object *a = json_object_new_object();
			char text[64];

			rcc_addr_prefix_format(r->addrs[j].addr, 128, text, sizeof(text));
			json_object_object_add(a, "address", json_object_new_string(text));
			json_object_object_add(
				a, "expires_in_s",
				json_object_new_int64(r->addrs[j].expires_ms > now ?
							      (r->addrs[j].expires_ms - now + 999) /
								      1000 :
							      0));
			json_object_array_add(addrs, a);
		}
		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "addresses", addrs);
		json_object_array_add(arr, o);
	}
	return arr;
}
