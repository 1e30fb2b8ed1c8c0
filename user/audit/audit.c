// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "policy/addr.h"
#include "audit/auditdns.h"
#include "audit/audit.h"
#include "audit/auditlog.h"
#include "lib/cgroup.h"
#include "host/container.h"
#include "lib/log.h"

#define FOLD_SLOTS 65536    /* keys tracked; a full table is flushed */
#define DRAIN_STOP (-EINTR) /* what on_event says when the budget is spent */
#define FOLD_IDLE_NS (10ull * 1000000000)
#define CG_CACHE 4096

/* One flood key: who, where to, why. */
struct fold_key {
	__u64 cgroup_id;
	__u8 daddr[16];
	__u16 dport;
	__u8 ipproto, reason, hook, audit;
	__u8 pad[2];
};

struct fold {
	bool used;
	struct fold_key key;
	double tokens;
	__u64 refill_ns, last_ns, first_suppressed_ns, last_suppressed_ns;
	__u64 suppressed;
	struct rcc_event sample; /* the last event, for the summary */
};

struct cg_name {
	__u64 id;
	char *path;	    /* NULL: gone or unknown */
	char container[65]; /* "" when no container */
	char container_name[256];
};

struct rcc_audit {
	const struct rcc_config *cfg;
	struct rcc_kernel *k;
	struct ring_buffer *rb;
	struct rcc_logw *log;
	int lock_fd;
	rcc_audit_echo_fn echo;
	void *echo_ctx;
	struct fold *folds;
	size_t nfolds;
	struct cg_name cgs[CG_CACHE];
	struct rcc_audit_stats pending;	      /* not yet added to the pinned totals */
	unsigned drained;		      /* events this drain */
	char *policy_names[RCC_MAX_POLICIES]; /* by id, looked up once */
	__s64 boot_to_real_ns;
	int err; /* first write error, sticky */
};

static const char *const reason_names[RCC_R__MAX] = {
	[RCC_R_ALLOW_RULE] = "allow_rule",
	[RCC_R_DENY_RULE] = "deny_rule",
	[RCC_R_LOOPBACK] = "loopback",
	[RCC_R_PRIVATE] = "private",
	[RCC_R_HOST] = "host_address",
	[RCC_R_PUBLIC] = "public",
	[RCC_R_NOT_ALLOWED] = "not_on_allowlist",
	[RCC_R_SOCKET] = "socket_type",
	[RCC_R_NO_POLICY] = "no_policy",
	[RCC_R_SOURCE_ROUTE] = "source_route",
	[RCC_R_BPF] = "bpf_syscall",
	[RCC_R_MALFORMED] = "malformed",
	[RCC_R_DNS_UNANSWERED] = "dns_unanswered",
	[RCC_R_DNS_CHANNEL] = "dns_channel",
};

static const char *const hook_names[RCC_HOOK__MAX] = {
#define HOOK_NAME(id, name, ...) [RCC_HOOK_##id] = name,
	RCC_HOOKS(HOOK_NAME)
#undef HOOK_NAME
};

static const char *reason_name(unsigned reason)
{
	return reason < RCC_R__MAX && reason_names[reason] ? reason_names[reason] : "unknown";
}

static const char *hook_name(unsigned hook)
{
	return hook < RCC_HOOK__MAX && hook_names[hook] ? hook_names[hook] : "unknown";
}

static __u64 clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Events carry boot-time stamps; the log wants wall-clock time. */
static void sync_clocks(struct rcc_audit *a)
{
	a->boot_to_real_ns = (__s64)clock_ns(CLOCK_REALTIME) - (__s64)clock_ns(CLOCK_BOOTTIME);
}

static void time_iso(__u64 wall_ns, char *buf, size_t len)
{
	time_t s = wall_ns / 1000000000ull;
	struct tm tm;

	size_t n;

	gmtime_r(&s, &tm);
	/* strftime's year is as wide as it needs: nothing is ever cut */
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ", (unsigned)(wall_ns % 1000000000ull / 1000));
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/*
 * A process name is any 15 bytes.  Valid UTF-8 goes in as it is (json-c
 * escapes quotes, backslashes and control bytes); anything else is read
 * as Latin-1, so the line stays valid JSON, and comm_hex keeps the bytes.
 */
static void add_comm(json_object *o, const char *comm16)
{
	size_t n = strnlen(comm16, 16), i;
	char out[64], hex[40];
	size_t j = 0;

	if (utf8_valid((const unsigned char *)comm16, n)) {
		json_object_object_add(o, "comm", json_object_new_string_len(comm16, n));
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = comm16[i];

		if (c < 0x80) {
			out[j++] = c;
		} else {
			out[j++] = 0xc0 | c >> 6;
			out[j++] = 0x80 | (c & 0x3f);
		}
		snprintf(hex + 2 * i, 3, "%02x", c);
	}
	json_object_object_add(o, "comm", json_object_new_string_len(out, j));
	json_object_object_add(o, "comm_hex", json_object_new_string_len(hex, 2 * n));
}

static const char *proto_name(unsigned ipproto, char *buf, size_t len)
{
	switch (ipproto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	snprintf(buf, len, "%u", ipproto);
	return buf;
}

static void add_addr(json_object *o, const char *key, const __u8 a[16])
{
	char buf[64];

	rcc_addr_prefix_format(a, 128, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static json_object *event_object(const struct rcc_event *e, const char *type,
				 const char *cgroup_path, const char *policy, const char *rule,
				 __u64 wall_ns, const char *container, const char *container_name)
{
	static const __u8 zero[16];
	json_object *o = json_object_new_object();
	char t[40], pbuf[8];

	time_iso(wall_ns, t, sizeof(t));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "verdict", json_object_new_string(e->audit ? "audit" : "deny"));
	json_object_object_add(o, "hook", json_object_new_string(hook_name(e->hook)));
	json_object_object_add(o, "reason", json_object_new_string(reason_name(e->reason)));
	json_object_object_add(o, "policy", policy ? json_object_new_string(policy) : NULL);
	if (rule)
		json_object_object_add(o, "rule", json_object_new_string(rule));
	json_object_object_add(o, "cgroup",
			       cgroup_path ? json_object_new_string(cgroup_path) : NULL);
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(e->cgroup_id));
	if (container && container[0])
		json_object_object_add(o, "container", json_object_new_string(container));
	if (container_name && container_name[0])
		json_object_object_add(o, "container_name", json_object_new_string(container_name));
	json_object_object_add(o, "pid", json_object_new_int64(e->tgid));
	json_object_object_add(o, "tid", json_object_new_int64(e->pid));
	json_object_object_add(o, "uid", json_object_new_int64(e->uid));
	json_object_object_add(o, "gid", json_object_new_int64(e->gid));
	add_comm(o, e->comm);
	if (e->hook == RCC_HOOK_BPF) {
		/* no destination: the bpf() command that was refused */
		json_object_object_add(o, "bpf_cmd", json_object_new_int(e->ipproto));
		return o;
	}
	json_object_object_add(o, "family",
			       json_object_new_string(e->family == 6 ? "ipv6" : "ipv4"));
	json_object_object_add(o, "protocol",
			       json_object_new_string(proto_name(e->ipproto, pbuf, sizeof(pbuf))));
	if (e->hook != RCC_HOOK_SOCK_CREATE) {
		add_addr(o, "dst", e->daddr);
		json_object_object_add(o, "dport", json_object_new_int(e->dport));
	}
	if (memcmp(e->saddr, zero, 16)) {
		add_addr(o, "src", e->saddr);
		json_object_object_add(o, "sport", json_object_new_int(e->sport));
	}
	return o;
}

static const char *to_line(json_object *o)
{
	/* one line, no pretty-printing, "/" left alone */
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The cgroup's path and container, looked up once per cgroup id. */
static const struct cg_name *cgroup_name(struct rcc_audit *a, __u64 id)
{
	struct cg_name *c = &a->cgs[id % CG_CACHE];
	char path[PATH_MAX], runtime[16];

	if (c->id == id && c->path)
		return c;
	free(c->path);
	c->id = id;
	c->container[0] = c->container_name[0] = '\0';
	c->path = rcc_cgroup_path_by_id(id, path, sizeof(path)) ? NULL : strdup(path);
	if (c->path && rcc_container_in_path(c->path, c->container, runtime))
		rcc_container_name(c->container, runtime, c->container_name,
				   sizeof(c->container_name));
	return c;
}

static void forget_policy_names(struct rcc_audit *a)
{
	size_t i;

	for (i = 0; i < RCC_MAX_POLICIES; i++) {
		free(a->policy_names[i]);
		a->policy_names[i] = NULL;
	}
}

static void policy_and_rule(struct rcc_audit *a, const struct rcc_event *e, char *name, size_t len,
			    char *rule, size_t rlen)
{
	const struct rcc_policy_cfg *p;

	rule[0] = name[0] = '\0';
	if (!e->policy_id || e->policy_id >= RCC_MAX_POLICIES)
		return;
	if (!a->policy_names[e->policy_id]) {
		if (rcc_kernel_policy_name(a->k, e->policy_id, name, len))
			return;
		a->policy_names[e->policy_id] = strdup(name);
	}
	snprintf(name, len, "%s", a->policy_names[e->policy_id] ?: "");
	p = rcc_config_policy(a->cfg, name);
	if (p && e->rule_id && e->rule_id <= p->nentries) {
		const struct rcc_entry *en = &p->entries[e->rule_id - 1];

		snprintf(rule, rlen, "%s = %s (line %d)",
			 en->action == RCC_ACT_ALLOW ? "allow" : "deny", en->text, en->line);
	}
}

static void write_object(struct rcc_audit *a, json_object *o)
{
	const char *line = to_line(o);
	int err = rcc_auditlog_line(a->log, line, strlen(line));

	if (err && !a->err) {
		a->err = err;
		pr_warn("Failed to write the audit log '%s': %s\n", a->cfg->audit_log,
			strerror(-err));
	}
	if (a->echo)
		a->echo(line, a->echo_ctx);
}

static void write_event(struct rcc_audit *a, const struct rcc_event *e, const char *type,
			__u64 suppressed, __u64 first_ns, __u64 last_ns)
{
	char policy[RCC_POLICY_NAME_MAX + 8], rule[512];
	const struct cg_name *cg = cgroup_name(a, e->cgroup_id);
	json_object *o;

	policy_and_rule(a, e, policy, sizeof(policy), rule, sizeof(rule));
	o = event_object(e, type, cg->path, policy[0] ? policy : NULL, rule[0] ? rule : NULL,
			 (suppressed ? last_ns : e->ts_ns) + a->boot_to_real_ns, cg->container,
			 cg->container_name);
	if (suppressed) {
		char t[40];

		json_object_object_add(o, "suppressed", json_object_new_uint64(suppressed));
		time_iso(first_ns + a->boot_to_real_ns, t, sizeof(t));
		json_object_object_add(o, "first", json_object_new_string(t));
		time_iso(last_ns + a->boot_to_real_ns, t, sizeof(t));
		json_object_object_add(o, "last", json_object_new_string(t));
	}
	write_object(a, o);
	json_object_put(o);
}

void rcc_audit_dns(struct rcc_audit *a, const struct rcc_dnsp_record *r)
{
	const struct cg_name *cg = cgroup_name(a, r->cgroup_id);
	json_object *o = rcc_auditdns_object(r, cg->path, cg->container, cg->container_name);

	write_object(a, o);
	json_object_put(o);
}

static __u64 fold_hash(const struct fold_key *k)
{
	const __u8 *p = (const __u8 *)k;
	__u64 h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void summary(struct rcc_audit *a, struct fold *f)
{
	if (!f->suppressed)
		return;
	write_event(a, &f->sample, "summary", f->suppressed, f->first_suppressed_ns,
		    f->last_suppressed_ns);
	f->suppressed = 0;
}

/* Every pending summary out, every key forgotten. */
static void folds_flush_all(struct rcc_audit *a)
{
	size_t i;

	for (i = 0; i < FOLD_SLOTS; i++) {
		if (!a->folds[i].used)
			continue;
		summary(a, &a->folds[i]);
		a->folds[i].used = false;
	}
	a->nfolds = 0;
}

static struct fold *fold_find(struct rcc_audit *a, const struct fold_key *k)
{
	size_t h = fold_hash(k) & (FOLD_SLOTS - 1);

	for (;;) {
		struct fold *f = &a->folds[h];

		if (!f->used || !memcmp(&f->key, k, sizeof(*k)))
			return f;
		h = (h + 1) & (FOLD_SLOTS - 1);
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct rcc_audit *a = ctx;
	const struct rcc_event *e = data;
	struct fold_key k = {};
	struct fold *f;
	double rate = a->cfg->audit_rate;

	if (size < sizeof(*e))
		return 0;
	k.cgroup_id = e->cgroup_id;
	memcpy(k.daddr, e->daddr, 16);
	k.dport = e->dport;
	k.ipproto = e->ipproto;
	k.reason = e->reason;
	k.hook = e->hook;
	k.audit = e->audit;
	/* keep the table at most half full: probing stays short */
	if (a->nfolds >= FOLD_SLOTS / 2)
		folds_flush_all(a);
	f = fold_find(a, &k);
	if (!f->used) {
		memset(f, 0, sizeof(*f));
		f->used = true;
		f->key = k;
		f->tokens = rate;
		f->refill_ns = e->ts_ns;
		a->nfolds++;
	}
	if (e->ts_ns > f->refill_ns) {
		f->tokens += (e->ts_ns - f->refill_ns) / 1e9 * rate;
		if (f->tokens > rate)
			f->tokens = rate;
		f->refill_ns = e->ts_ns;
	}
	f->last_ns = e->ts_ns;
	if (f->tokens >= 1.0) {
		f->tokens -= 1.0;
		write_event(a, e, "denial", 0, 0, 0);
		a->pending.written++;
	} else {
		if (!f->suppressed)
			f->first_suppressed_ns = e->ts_ns;
		f->last_suppressed_ns = e->ts_ns;
		f->suppressed++;
		f->sample = *e;
		a->pending.folded++;
	}
	/* this event is consumed either way; stopping lets the loop breathe */
	return ++a->drained >= RCC_AUDIT_DRAIN_BUDGET ? DRAIN_STOP : 0;
}

int rcc_audit_open(const struct rcc_config *cfg, struct rcc_kernel *k, rcc_audit_echo_fn echo,
		   void *echo_ctx, struct rcc_audit **out)
{
	struct rcc_audit *a = calloc(1, sizeof(*a));
	char maps[PATH_MAX + 8];
	int err;

	if (!a)
		return -ENOMEM;
	a->cfg = cfg;
	a->k = k;
	a->echo = echo;
	a->echo_ctx = echo_ctx;
	a->lock_fd = -1;
	a->folds = calloc(FOLD_SLOTS, sizeof(*a->folds));
	if (!a->folds) {
		free(a);
		return -ENOMEM;
	}
	/* the consumer lock: the maps directory of the pinned state */
	snprintf(maps, sizeof(maps), "%s/maps", k->dir);
	a->lock_fd = open(maps, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->lock_fd < 0 || flock(a->lock_fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		goto fail;
	}
	sync_clocks(a);
	err = rcc_auditlog_open(cfg->audit_log, cfg->audit_max_bytes, cfg->audit_keep,
				cfg->audit_fsync_ms, &a->log);
	if (err) {
		pr_warn("Failed to open the audit log '%s': %s\n", cfg->audit_log, strerror(-err));
		goto fail;
	}
	a->rb = ring_buffer__new(k->map_fd[RCC_MAP_EVENTS], on_event, a, NULL);
	if (!a->rb) {
		err = -errno;
		pr_warn("Failed to open the event ring: %s\n", strerror(errno));
		goto fail;
	}
	*out = a;
	return 0;
fail:
	rcc_audit_close(a);
	return err;
}

/*
 * ring_buffer__consume() reads until the ring is empty, which a flood
 * faster than the consumer never lets happen: a budget returns control to
 * the loop (signals, summaries, sync, watchdog), which comes straight
 * back while there is more.
 */
int rcc_audit_drain(struct rcc_audit *a)
{
	int n;

	a->drained = 0;
	n = ring_buffer__consume(a->rb);
	if (n == DRAIN_STOP)
		return RCC_AUDIT_MORE;
	return n < 0 ? n : (int)a->drained;
}

int rcc_audit_flush(struct rcc_audit *a, bool sync)
{
	int err = rcc_auditlog_flush(a->log, sync);

	if (err && !a->err) {
		a->err = err;
		pr_warn("Failed to write the audit log '%s': %s\n", a->cfg->audit_log,
			strerror(-err));
	}
	if (a->pending.written || a->pending.folded) {
		rcc_kernel_audit_stats_add(a->k, &a->pending);
		memset(&a->pending, 0, sizeof(a->pending));
	}
	return a->err;
}

int rcc_audit_tick(struct rcc_audit *a, bool final)
{
	__u64 now = clock_ns(CLOCK_BOOTTIME);
	size_t i, removed = 0;

	/* summaries: a second after a key's first folded event, or now */
	for (i = 0; i < FOLD_SLOTS; i++) {
		struct fold *f = &a->folds[i];

		if (!f->used)
			continue;
		if (f->suppressed && (final || now - f->first_suppressed_ns >= 1000000000ull))
			summary(a, f);
		if (!f->suppressed && now - f->last_ns > FOLD_IDLE_NS) {
			f->used = false;
			a->nfolds--;
			removed++;
		}
	}
	/* removed keys break probe chains: rebuild the table around them */
	if (removed && !final) {
		struct fold *old = a->folds;
		struct fold *nf = calloc(FOLD_SLOTS, sizeof(*nf));

		if (nf) {
			a->folds = nf;
			for (i = 0; i < FOLD_SLOTS; i++)
				if (old[i].used)
					*fold_find(a, &old[i].key) = old[i];
			free(old);
		}
	}
	sync_clocks(a);
	forget_policy_names(a); /* `rcc-bpf reload` may have renumbered them */
	return rcc_audit_flush(a, final);
}

void rcc_audit_set_config(struct rcc_audit *a, const struct rcc_config *cfg)
{
	a->cfg = cfg;
	forget_policy_names(a); /* a reload may give ids to other names */
}

int rcc_audit_epoll_fd(struct rcc_audit *a)
{
	return ring_buffer__epoll_fd(a->rb);
}

void rcc_audit_close(struct rcc_audit *a)
{
	size_t i;

	if (!a)
		return;
	ring_buffer__free(a->rb);
	rcc_auditlog_close(a->log);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	for (i = 0; i < CG_CACHE; i++)
		free(a->cgs[i].path);
	forget_policy_names(a);
	free(a->folds);
	free(a);
}
