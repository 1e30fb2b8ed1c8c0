// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "host/names.h"

#define BACKOFF_MAX_MS 30000ull

void rcc_names_init(struct rcc_names *t, const struct rcc_config *cfg,
		    const struct rcc_addr_list *host)
{
	memset(t, 0, sizeof(*t));
	rcc_names_bounds(t, cfg);
	t->host = host;
}

void rcc_names_bounds(struct rcc_names *t, const struct rcc_config *cfg)
{
	t->min_ttl = cfg->dns_min_ttl;
	t->max_ttl = cfg->dns_max_ttl;
	t->grace = cfg->dns_stale_grace;
}

int rcc_names_compile_init(struct rcc_names *t, const struct rcc_config *cfg,
			   const struct rcc_addr_list *host, enum rcc_dns_mode mode,
			   struct rcc_compile_opts *o)
{
	rcc_names_init(t, cfg, host);
	memset(o, 0, sizeof(*o));
	o->host = host;
	o->file = cfg->path[0] ? cfg->path : "<built-in>";
	o->dns_mode = mode;
	o->resolve = rcc_names_lookup;
	o->resolve_ctx = t;
	return rcc_names_set(t, cfg);
}

static void name_release(struct rcc_name *r)
{
	free(r->name);
	free(r->addrs);
	free(r->internal);
}

void rcc_names_free(struct rcc_names *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		name_release(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct rcc_name *)a)->name, ((const struct rcc_name *)b)->name);
}

struct rcc_name *rcc_names_find(const struct rcc_names *t, const char *name)
{
	struct rcc_name key = { .name = (char *)name };

	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_name) : NULL;
}

int rcc_names_set(struct rcc_names *t, const struct rcc_config *cfg)
{
	return rcc_names_set_both(t, cfg, NULL);
}

/* Appends a record for each hostname entry of cfg that the daemon
 * resolves (deny names, and allow names of dns = open policies) to *v
 * (n used, cap allocated); 0 or -ENOMEM, with what was appended still
 * in *v. */
static int collect(const struct rcc_config *cfg, struct rcc_name **v, size_t *n, size_t *cap)
{
	size_t i, j;

	for (i = 0; cfg && i < cfg->npolicies; i++)
		for (j = 0; j < cfg->policies[i].nentries; j++) {
			const struct rcc_entry *e = &cfg->policies[i].entries[j];
			struct rcc_name *r;

			/* dns = proxy answers allow names; wildcards are the proxy's */
			if (!e->host[0] || (e->flags & RCC_ENTRY_WILDCARD) ||
			    (cfg->policies[i].dns_proxy && e->action == RCC_ACT_ALLOW))
				continue;
			if (*n == *cap) {
				void *nv = realloc(*v, (*cap ? *cap * 2 : 64) * sizeof(**v));

				if (!nv)
					return -ENOMEM;
				*v = nv;
				*cap = *cap ? *cap * 2 : 64;
			}
			r = &(*v)[*n];
			memset(r, 0, sizeof(*r));
			r->name = strdup(e->host);
			if (!r->name)
				return -ENOMEM;
			r->deny = e->action == RCC_ACT_DENY;
			r->guarded = e->action == RCC_ACT_ALLOW &&
				     !(e->flags & RCC_ENTRY_PRIVATE_OK);
			(*n)++;
		}
	return 0;
}

/* One record a name (shared by entries and policies) in sorted v, each
 * with the state t knows of it moved in; how many are left. */
static size_t merge(struct rcc_names *t, struct rcc_name *v, size_t n)
{
	size_t i, out;

	for (i = 0, out = 0; i < n; i++) {
		struct rcc_name *old;

		if (out && !strcmp(v[out - 1].name, v[i].name)) {
			v[out - 1].guarded |= v[i].guarded;
			v[out - 1].deny |= v[i].deny;
			free(v[i].name);
			continue;
		}
		v[out] = v[i];
		old = rcc_names_find(t, v[out].name);
		if (old) {
			struct rcc_name uses = v[out];

			v[out] = *old; /* its state, moved; old keeps its name */
			v[out].name = uses.name;
			v[out].guarded = uses.guarded;
			v[out].deny = uses.deny;
			old->addrs = NULL;
			old->internal = NULL;
		}
		out++;
	}
	return out;
}

int rcc_names_set_both(struct rcc_names *t, const struct rcc_config *cfg,
		       const struct rcc_config *more)
{
	struct rcc_name *v = NULL;
	size_t n = 0, cap = 0, i;
	int err;

	err = collect(cfg, &v, &n, &cap);
	err = err ?: collect(more, &v, &n, &cap);
	if (err) {
		for (i = 0; i < n; i++)
			free(v[i].name);
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_name);
	n = merge(t, v, n);
	rcc_names_free(t);
	t->v = v;
	t->n = n;
	return 0;
}

static struct rcc_name_addr *addr_find(struct rcc_name *r, const __u8 a[16])
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->addrs[i].addr, a, 16))
			return &r->addrs[i];
	return NULL;
}

static void log_change(const struct rcc_names *t, const struct rcc_name *r, const char *what,
		       const __u8 a[16])
{
	char shown[64];

	if (!t->log_changes)
		return;
	rcc_addr_prefix_format(a, 128, shown, sizeof(shown));
	pr_info("rcc-bpf: dns: %s: %s %s\n", r->name, what, shown);
}

/* Remembers an internal address; true the first time it is seen. */
static bool internal_note(struct rcc_name *r, const __u8 a[16])
{
	void *nv;
	size_t i;

	for (i = 0; i < r->ninternal; i++)
		if (!memcmp(r->internal[i], a, 16))
			return false;
	nv = realloc(r->internal, (r->ninternal + 1) * 16);
	if (!nv)
		return true;
	r->internal = nv;
	memcpy(r->internal[r->ninternal++], a, 16);
	return true;
}

static __u64 clamp_ttl_ms(const struct rcc_names *t, __u32 ttl)
{
	if (ttl < t->min_ttl)
		ttl = t->min_ttl;
	if (ttl > t->max_ttl)
		ttl = t->max_ttl;
	return ttl * 1000ull;
}

/* An address r did not have: the rebinding guard's or the log's. */
static void note_new(struct rcc_names *t, struct rcc_name *r, const __u8 a[16])
{
	char shown[64];

	t->changed = true;
	if (!r->guarded || !rcc_policy_addr_internal(a, t->host)) {
		log_change(t, r, "added", a);
		return;
	}
	if (internal_note(r, a) && t->verbose) {
		rcc_addr_prefix_format(a, 128, shown, sizeof(shown));
		pr_warn("rcc-bpf: dns: %s resolves to %s, an internal address: left out (rebinding guard; private_ok on the entry allows it)\n",
			r->name, shown);
	}
}

/* The answer's addresses into keep (*k of them; one answered twice keeps
 * the later expiry); returns the earliest expiry. */
static __u64 keep_answered(struct rcc_names *t, struct rcc_name *r,
			   const struct rcc_names_answer_addr *a, size_t n, __u64 now,
			   struct rcc_name_addr *keep, size_t *k)
{
	__u64 next = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		__u64 exp = now + clamp_ttl_ms(t, a[i].ttl);
		size_t j;

		for (j = 0; j < *k && memcmp(keep[j].addr, a[i].addr, 16); j++)
			;
		if (j < *k) {
			if (exp > keep[j].expires_ms)
				keep[j].expires_ms = exp;
			continue;
		}
		memcpy(keep[*k].addr, a[i].addr, 16);
		keep[(*k)++].expires_ms = exp;
		if (!next || exp < next)
			next = exp;
		if (!addr_find(r, a[i].addr))
			note_new(t, r, a[i].addr);
	}
	return next;
}

/* r's addresses that left the answer into keep too, until they expire. */
static void keep_unexpired(struct rcc_names *t, struct rcc_name *r, __u64 now,
			   struct rcc_name_addr *keep, size_t *k)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		size_t j;

		for (j = 0; j < *k && memcmp(keep[j].addr, r->addrs[i].addr, 16); j++)
			;
		if (j < *k)
			continue;
		if (r->addrs[i].expires_ms > now) {
			keep[(*k)++] = r->addrs[i];
		} else {
			t->changed = true;
			log_change(t, r, "removed", r->addrs[i].addr);
		}
	}
}

void rcc_names_answer(struct rcc_names *t, struct rcc_name *r,
		      const struct rcc_names_answer_addr *a, size_t n, __u64 now)
{
	struct rcc_name_addr *keep;
	__u64 next;
	size_t k = 0;

	keep = calloc(r->n + n, sizeof(*keep));
	if (!keep) {
		rcc_names_failure(t, r, -EAGAIN, "out of memory", now);
		return;
	}
	/* what is answered, then what left the answer but has not expired */
	next = keep_answered(t, r, a, n, now, keep, &k);
	keep_unexpired(t, r, now, keep, &k);
	if (r->failing_since_ms && t->verbose)
		pr_info("rcc-bpf: dns: %s: resolved after %llu s unresolved\n", r->name,
			(unsigned long long)((now - r->failing_since_ms) / 1000));
	free(r->addrs);
	r->addrs = keep;
	r->n = k;
	t->touched = true;
	r->inflight = false;
	r->last_query_ms = r->last_ok_ms = now;
	r->failing_since_ms = 0;
	r->failures = 0;
	r->last_status = 0;
	r->last_error[0] = '\0';
	r->next_ms = next;
}

/* A failing name's addresses that are past their expiry and the grace go,
 * unless a deny entry uses the name: dropping them would open what it closes. */
static void name_expire(struct rcc_names *t, struct rcc_name *r, __u64 now)
{
	size_t j, k;

	if (!r->failing_since_ms || r->deny)
		return; /* only an answer removes these */
	for (j = 0, k = 0; j < r->n; j++) {
		if (r->addrs[j].expires_ms + t->grace * 1000ull > now) {
			r->addrs[k++] = r->addrs[j];
			continue;
		}
		t->changed = true;
		if (t->verbose) {
			char shown[64];

			rcc_addr_prefix_format(r->addrs[j].addr, 128, shown, sizeof(shown));
			pr_warn("rcc-bpf: dns: %s: removed %s, stale past dns_stale_grace (%s)\n",
				r->name, shown, r->last_error);
		}
	}
	r->n = k;
}

void rcc_names_failure(struct rcc_names *t, struct rcc_name *r, int status, const char *why,
		       __u64 now)
{
	__u64 delay = 1000ull << (r->failures < 15 ? r->failures : 15);

	if (delay > BACKOFF_MAX_MS)
		delay = BACKOFF_MAX_MS;
	if (delay > t->max_ttl * 1000ull)
		delay = t->max_ttl * 1000ull;
	if (!r->failing_since_ms && t->verbose)
		pr_warn("rcc-bpf: dns: %s: %s; unresolved: %s; retrying with back-off\n", r->name,
			why, rcc_names_unresolved_means(r->deny, r->n));
	r->inflight = false;
	t->touched = true;
	r->last_query_ms = now;
	r->failing_since_ms = r->failing_since_ms ?: now;
	r->failures++;
	r->last_status = status == -ENOENT ? -ENOENT : -EAGAIN;
	snprintf(r->last_error, sizeof(r->last_error), "%s", why);
	r->next_ms = now + delay;
	name_expire(t, r, now);
}

void rcc_names_expire(struct rcc_names *t, __u64 now)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		name_expire(t, &t->v[i], now);
}

const char *rcc_names_unresolved_means(bool deny, bool has_addrs)
{
	if (deny)
		return has_addrs ?
			       "its deny entries keep the last good addresses until it resolves again" :
			       "NO ADDRESS KNOWN: its deny entries deny nothing until it resolves";
	return has_addrs ? "its allow entries keep the last good addresses for dns_stale_grace" :
			   "its allow entries allow nothing until it resolves";
}

size_t rcc_names_unresolved(const struct rcc_names *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->v[i].failing_since_ms != 0;
	return n;
}

int rcc_names_lookup(const char *name, __u8 (*addrs)[16], size_t max, void *ctx)
{
	const struct rcc_names *t = ctx;
	struct rcc_name *r = rcc_names_find(t, name);
	size_t i;

	if (!r)
		return -ENOENT;
	if (!r->n)
		return r->last_status ?: 0;
	for (i = 0; i < r->n && i < max; i++)
		memcpy(addrs[i], r->addrs[i].addr, 16);
	return i;
}

static const char *state_of(const struct rcc_name *r)
{
	if (!r->last_query_ms && !r->n)
		return "pending";
	if (!r->failing_since_ms)
		return "ok";
	return r->n ? "stale" : "failing";
}

static struct json_object *addr_json(const __u8 a[16])
{
	char shown[64];

	rcc_addr_prefix_format(a, 128, shown, sizeof(shown));
	return json_object_new_string(shown);
}

static void put_age(struct json_object *o, const char *key, __u64 then, __u64 now)
{
	json_object_object_add(o, key, then ? json_object_new_int64(now - then) : NULL);
}

struct json_object *rcc_names_to_json(const struct rcc_names *t, __u64 now)
{
	struct json_object *arr = json_object_new_array();
	size_t i, j;

	for (i = 0; arr && i < t->n; i++) {
		const struct rcc_name *r = &t->v[i];
		struct json_object *o = json_object_new_object(), *as, *in;

		as = json_object_new_array();
		in = json_object_new_array();
		for (j = 0; j < r->n; j++) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "addr", addr_json(r->addrs[j].addr));
			json_object_object_add(
				a, "expires_in_ms",
				json_object_new_int64((__s64)(r->addrs[j].expires_ms - now)));
			json_object_array_add(as, a);
		}
		for (j = 0; j < r->ninternal; j++)
			json_object_array_add(in, addr_json(r->internal[j]));
		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "state", json_object_new_string(state_of(r)));
		json_object_object_add(o, "addresses", as);
		json_object_object_add(o, "refused_internal", in);
		put_age(o, "last_query_ago_ms", r->last_query_ms, now);
		put_age(o, "last_ok_ago_ms", r->last_ok_ms, now);
		json_object_object_add(
			o, "next_in_ms",
			json_object_new_int64(r->next_ms > now ? (__s64)(r->next_ms - now) : 0));
		json_object_object_add(o, "error",
				       r->last_error[0] ? json_object_new_string(r->last_error) :
							  NULL);
		json_object_object_add(o, "nxdomain",
				       json_object_new_boolean(r->last_status == -ENOENT));
		json_object_object_add(o, "unresolved",
				       json_object_new_boolean(r->failing_since_ms != 0));
		json_object_object_add(o, "deny", json_object_new_boolean(r->deny));
		json_object_array_add(arr, o);
	}
	return arr;
}

size_t rcc_names_from_json(struct rcc_names *t, struct json_object *arr, __u64 now)
{
	size_t i, j, taken = 0;

	if (!json_object_is_type(arr, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v, *as;
		struct rcc_name *r;
		struct rcc_name_addr *na;
		size_t n;

		if (!json_object_object_get_ex(o, "name", &v) ||
		    !(r = rcc_names_find(t, json_object_get_string(v))) ||
		    !json_object_object_get_ex(o, "addresses", &as) ||
		    !json_object_is_type(as, json_type_array))
			continue;
		n = json_object_array_length(as);
		na = calloc(n ? n : 1, sizeof(*na));
		if (!na)
			continue;
		for (j = 0; j < n; j++) {
			struct json_object *a = json_object_array_get_idx(as, j), *x;
			bool v4;

			if (json_object_object_get_ex(a, "addr", &x) &&
			    !rcc_addr_parse(json_object_get_string(x), na[j].addr, &v4) &&
			    json_object_object_get_ex(a, "expires_in_ms", &x))
				na[j].expires_ms = now + json_object_get_int64(x);
		}
		free(r->addrs);
		r->addrs = na;
		r->n = n;
		r->last_query_ms = now;
		r->next_ms = UINT64_MAX; /* the daemon asks for it, not us */
		if (json_object_object_get_ex(o, "error", &v) && json_object_get_string(v)) {
			struct json_object *nx;

			snprintf(r->last_error, sizeof(r->last_error), "%s",
				 json_object_get_string(v));
			r->last_status = json_object_object_get_ex(o, "nxdomain", &nx) &&
							 json_object_get_boolean(nx) ?
						 -ENOENT :
						 -EAGAIN;
		}
		taken++;
	}
	return taken;
}

static __u64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int rcc_names_save(const struct rcc_names *t, const char *path)
{
	struct json_object *o = json_object_new_object();
	char tmp[4200];
	int err = 0;

	json_object_object_add(o, "saved_wall_ms", json_object_new_int64(wall_ms()));
	json_object_object_add(o, "names", rcc_names_to_json(t, rcc_clock_ms()));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) || rename(tmp, path)) {
		err = -errno ?: -EIO;
		unlink(tmp);
	}
	json_object_put(o);
	return err;
}

int rcc_names_load(struct rcc_names *t, const char *path)
{
	struct json_object *o, *saved, *arr;
	__u64 now = rcc_clock_ms();
	struct stat st;
	__s64 age;
	size_t i;

	if (stat(path, &st))
		return -errno;
	/* addresses it names get allowed: only a file nobody else could write */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022) ||
	    !S_ISREG(st.st_mode)) {
		pr_warn("Not loading '%s': it is not ours alone (owner %u, mode %04o)\n", path,
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	o = json_object_from_file(path);
	if (!o)
		return -EINVAL;
	if (!json_object_object_get_ex(o, "saved_wall_ms", &saved) ||
	    !json_object_object_get_ex(o, "names", &arr)) {
		json_object_put(o);
		return -EINVAL;
	}
	/* expiries were relative to the save: age them by the time since */
	age = (__s64)wall_ms() - json_object_get_int64(saved);
	if (age < 0)
		age = 0;
	rcc_names_from_json(t, arr, (__u64)age < now ? now - age : 0);
	for (i = 0; i < t->n; i++)
		t->v[i].last_query_ms = 0; /* asked again at start */
	json_object_put(o);
	return 0;
}
