// SPDX-License-Identifier: GPL-2.0
/* The DNS proxy's sandboxes, their sockets and its event loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "host/dnsproxy_int.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/util.h"
#include "policy/dnsname.h"

#define CONNS_MAX 32	   /* TCP clients per sandbox */
#define CONN_IDLE_MS 10000 /* a TCP client that sends nothing for this long goes */
#define EVENTS_PER_ROUND 64
#define DATAGRAMS_PER_EVENT 64
#define STATUS_NAMES_MAX 200 /* names listed per sandbox in status */

int rcc_dnsproxy_open(const struct rcc_dnsproxy_opts *o, struct rcc_dnsproxy **out, char *why,
		      size_t whylen)
{
	struct rcc_dnsproxy *p = calloc(1, sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->o = *o;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		err = -errno;
		snprintf(why, whylen, "epoll: %s", strerror(-err));
		free(p);
		return err;
	}
	err = rcc_upstream_open(o->cfg, p->epfd, &p->up, why, whylen);
	if (err) {
		close(p->epfd);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

int rcc_dnsproxy_fd(const struct rcc_dnsproxy *p)
{
	return p->epfd;
}

static struct rcc_dnsp_sandbox *sandbox_find(const struct rcc_dnsproxy *p, __u64 cgroup_id,
					     size_t *at)
{
	size_t i;

	for (i = 0; i < p->nsb; i++)
		if (p->sb[i]->cgroup_id == cgroup_id) {
			if (at)
				*at = i;
			return p->sb[i];
		}
	return NULL;
}

bool rcc_dnsproxy_has(const struct rcc_dnsproxy *p, __u64 cgroup_id)
{
	return sandbox_find(p, cgroup_id, NULL);
}

const char *rcc_dnsproxy_policy(const struct rcc_dnsproxy *p, __u64 cgroup_id)
{
	struct rcc_dnsp_sandbox *sb = sandbox_find(p, cgroup_id, NULL);

	return sb ? sb->policy : NULL;
}

size_t rcc_dnsproxy_ids(const struct rcc_dnsproxy *p, __u64 *ids, size_t max)
{
	size_t i;

	for (i = 0; i < p->nsb && i < max; i++)
		ids[i] = p->sb[i]->cgroup_id;
	return p->nsb;
}

void rcc_dnsp_pending_free(struct rcc_dnsp_pending *pd)
{
	struct rcc_dnsp_sandbox *sb = pd->sb;

	rcc_upstream_cancel(pd->upq);
	if (pd->prev)
		pd->prev->next = pd->next;
	else
		sb->pending = pd->next;
	if (pd->next)
		pd->next->prev = pd->prev;
	sb->npending--;
	free(pd);
}

static void conn_close(struct rcc_dnsp_conn *c)
{
	struct rcc_dnsp_sandbox *sb = c->sb;
	struct rcc_dnsp_pending *pd;

	/* replies still to come for it have nowhere to go */
	for (pd = sb->pending; pd; pd = pd->next)
		if (pd->to.conn == c)
			pd->to.conn = NULL, pd->to.fd = -1;
	epoll_ctl(sb->p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		sb->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sb->nconns--;
	free(c);
}

/* Everything of sb in this process; the kernel's entries as keep says. */
static void sandbox_free(struct rcc_dnsp_sandbox *sb, bool keep)
{
	__u64 id = sb->cgroup_id;

	int k;

	while (sb->pending)
		rcc_dnsp_pending_free(sb->pending);
	while (sb->conns)
		conn_close(sb->conns);
	/* systemd's fd store holds copies: closing alone would leave the
	 * sockets in our epoll set, pointing at freed memory */
	for (k = 0; k < RCC_DNSL__MAX; k++)
		if (sb->l.fd[k] >= 0)
			epoll_ctl(sb->p->epfd, EPOLL_CTL_DEL, sb->l.fd[k], NULL);
	rcc_dnsp_fold_tick(sb, rcc_clock_ms(), true);
	if (!keep) {
		bpf_map_delete_elem(sb->p->o.listeners_fd, &id);
		rcc_learned_clear(&sb->learned);
	} else {
		rcc_learned_release(&sb->learned); /* the kernel keeps them */
	}
	rcc_dnslisten_close(&sb->l);
	free(sb);
}

void rcc_dnsproxy_close(struct rcc_dnsproxy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsb; i++)
		sandbox_free(p->sb[i], true);
	free(p->sb);
	rcc_upstream_close(p->up);
	close(p->epfd);
	free(p);
}

void rcc_dnsproxy_remove(struct rcc_dnsproxy *p, __u64 cgroup_id)
{
	size_t at;
	struct rcc_dnsp_sandbox *sb = sandbox_find(p, cgroup_id, &at);

	if (!sb)
		return;
	p->sb[at] = p->sb[--p->nsb];
	sandbox_free(sb, false);
}

void rcc_dnsproxy_adopt(struct rcc_dnsproxy *p)
{
	const struct rcc_config *cfg = p->o.cfg;
	struct rcc_learned_key k;
	struct rcc_prefix_val v;
	__u64 until = rcc_clock_ms() + ((__u64)cfg->dns_max_ttl + cfg->dns_answer_grace) * 1000;
	struct rcc_dnsp_sandbox *sb;
	void *prev = NULL;

	/* one walk of the map for every sandbox: it may hold 65,536 entries */
	while (!bpf_map_get_next_key(p->o.learned_fd, prev, &k)) {
		prev = &k;
		sb = sandbox_find(p, k.cgroup_id, NULL);
		if (sb && !bpf_map_lookup_elem(p->o.learned_fd, &k, &v))
			rcc_learned_adopt(&sb->learned, k.addr, &v, until);
	}
}

static int sandbox_listen(struct rcc_dnsp_sandbox *sb)
{
	struct rcc_dns_listener v = { .port = sb->l.port, .v6 = sb->l.v6 };
	struct rcc_sk_owner owner = { .cgroup_id = sb->cgroup_id };
	int i;

	for (i = 0; i < RCC_DNSL__MAX; i++) {
		struct rcc_dnsp_lsock *ls = &sb->ls[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ls->ev };

		ls->ev.kind = RCC_DNSP_EV_LISTEN;
		ls->sb = sb;
		ls->fd = sb->l.fd[i];
		ls->tcp = i == RCC_DNSL_TCP4 || i == RCC_DNSL_TCP6;
		if (ls->fd < 0)
			continue;
		/* the hooks let the sandbox reach this socket, no other */
		if (bpf_map_update_elem(sb->p->o.socks_fd, &ls->fd, &owner, BPF_ANY) ||
		    epoll_ctl(sb->p->epfd, EPOLL_CTL_ADD, ls->fd, &ev))
			return -errno;
	}
	/* last: from here on the sandbox's queries come to us */
	return bpf_map_update_elem(sb->p->o.listeners_fd, &sb->cgroup_id, &v, BPF_ANY) ? -errno : 0;
}

int rcc_dnsproxy_add(struct rcc_dnsproxy *p, __u64 cgroup_id, const char *policy,
		     struct rcc_dnslisten *l)
{
	struct rcc_dnsp_sandbox *sb = NULL;
	void *nv;
	int err;

	if (sandbox_find(p, cgroup_id, NULL))
		rcc_dnsproxy_remove(p, cgroup_id);
	nv = realloc(p->sb, (p->nsb + 1) * sizeof(*p->sb));
	sb = nv ? calloc(1, sizeof(*sb)) : NULL;
	if (nv)
		p->sb = nv;
	if (!sb) {
		rcc_dnslisten_close(l);
		return rcc_log_fail(-ENOMEM, "Failed to answer DNS for cgroup %llu",
				    (unsigned long long)cgroup_id);
	}
	sb->p = p;
	sb->cgroup_id = cgroup_id;
	snprintf(sb->policy, sizeof(sb->policy), "%s", policy);
	sb->l = *l;
	memset(l, -1, sizeof(l->fd));
	sb->tokens = p->o.cfg->dns_query_rate;
	sb->tokens_ms = rcc_clock_ms();
	if (rcc_learned_init(&sb->learned, cgroup_id, p->o.learned_fd)) {
		rcc_dnslisten_close(&sb->l);
		free(sb);
		return rcc_log_fail(-ENOMEM, "Failed to answer DNS for cgroup %llu",
				    (unsigned long long)cgroup_id);
	}
	p->sb[p->nsb++] = sb;
	err = sandbox_listen(sb);
	if (err) {
		rcc_dnsproxy_remove(p, cgroup_id);
		return rcc_log_fail(err, "Failed to answer DNS for cgroup %llu",
				    (unsigned long long)cgroup_id);
	}
	return 0;
}

void rcc_dnsproxy_each_fd(const struct rcc_dnsproxy *p,
			  void (*fn)(__u64 cgroup_id, enum rcc_dnslisten_kind kind, int fd,
				     void *ctx),
			  void *ctx)
{
	size_t i;
	int k;

	for (i = 0; i < p->nsb; i++)
		for (k = 0; k < RCC_DNSL__MAX; k++)
			if (p->sb[i]->l.fd[k] >= 0)
				fn(p->sb[i]->cgroup_id, k, p->sb[i]->l.fd[k], ctx);
}

void rcc_dnsp_reply(struct rcc_dnsp_sandbox *sb, const struct rcc_dnsp_client *to, size_t len)
{
	__u8 *out = sb->p->out;

	if (to->conn) {
		out[0] = len >> 8;
		out[1] = len & 0xff;
		/* a client that does not read its replies loses its connection
		 * (closed by its reader or the tick, never under a caller) */
		if (!to->conn->dead && send(to->conn->fd, out, len + 2,
					    MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len + 2)
			to->conn->dead = true;
		return;
	}
	if (to->fd >= 0)
		sendto(to->fd, out + 2, len, MSG_DONTWAIT, (const struct sockaddr *)&to->from,
		       to->fromlen);
}

static void udp_readable(struct rcc_dnsp_lsock *ls)
{
	__u8 buf[RCC_DNSP_MSG_MAX];
	struct rcc_dnsp_client to = { .fd = ls->fd };
	int i;

	for (i = 0; i < DATAGRAMS_PER_EVENT; i++) {
		ssize_t n;

		to.fromlen = sizeof(to.from);
		n = recvfrom(ls->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&to.from, &to.fromlen);
		if (n < 0)
			return;
		/* a longer datagram is cut (MSG_TRUNC told): what is left rarely parses */
		rcc_dnsp_query(ls->sb, buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n, &to);
	}
}

static void tcp_accept(struct rcc_dnsp_lsock *ls)
{
	struct rcc_dnsp_sandbox *sb = ls->sb;
	struct rcc_dnsp_conn *c;
	int fd;

	while ((fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 ||
	       errno == EMFILE || errno == ENFILE) {
		if (fd < 0) {
			/* the connection stays in the backlog, and a level-triggered
			 * listener would wake us for ever: a second's rest */
			epoll_ctl(sb->p->epfd, EPOLL_CTL_DEL, ls->fd, NULL);
			ls->paused_until = rcc_clock_ms() + 1000;
			return;
		}
		struct epoll_event ev = { .events = EPOLLIN };

		c = sb->nconns < CONNS_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->ev.kind = RCC_DNSP_EV_CONN;
		c->sb = sb;
		c->fd = fd;
		c->idle_deadline = rcc_clock_ms() + CONN_IDLE_MS;
		ev.data.ptr = &c->ev;
		if (epoll_ctl(sb->p->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = sb->conns;
		if (sb->conns)
			sb->conns->prev = c;
		sb->conns = c;
		sb->nconns++;
	}
}

/* Reads what came; each whole query is answered.  false: c is gone. */
static bool conn_readable(struct rcc_dnsp_conn *c)
{
	struct rcc_dnsp_client to = { .conn = c, .fd = -1 };
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	size_t want;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return false;
	}
	if (n > 0)
		c->len += n;
	c->idle_deadline = rcc_clock_ms() + CONN_IDLE_MS;
	while (c->len >= 2) {
		want = (size_t)c->buf[0] << 8 | c->buf[1];
		if (want > RCC_DNSP_MSG_MAX) { /* no query is that long */
			conn_close(c);
			return false;
		}
		if (c->len < 2 + want)
			break;
		rcc_dnsp_query(c->sb, c->buf + 2, want, &to);
		if (c->dead) {
			conn_close(c);
			return false;
		}
		memmove(c->buf, c->buf + 2 + want, c->len - 2 - want);
		c->len -= 2 + want;
	}
	return true;
}

void rcc_dnsproxy_process(struct rcc_dnsproxy *p)
{
	struct epoll_event evs[EVENTS_PER_ROUND];
	int n, i;

	n = epoll_wait(p->epfd, evs, EVENTS_PER_ROUND, 0);
	for (i = 0; i < n; i++) {
		struct rcc_dnsp_ev *ev = evs[i].data.ptr;

		if (ev->kind == RCC_DNSP_EV_UPSTREAM) {
			rcc_upstream_event(ev, evs[i].events);
		} else if (ev->kind == RCC_DNSP_EV_LISTEN) {
			struct rcc_dnsp_lsock *ls = (struct rcc_dnsp_lsock *)ev;

			if (ls->tcp)
				tcp_accept(ls);
			else
				udp_readable(ls);
		} else {
			conn_readable((struct rcc_dnsp_conn *)ev);
		}
	}
}

void rcc_dnsproxy_drain(struct rcc_dnsproxy *p, int timeout_ms)
{
	__u64 end = rcc_clock_ms() + timeout_ms;
	struct epoll_event evs[EVENTS_PER_ROUND];
	size_t i;
	int k, n;

	/* the listeners stop waking us: what they hold is the successor's */
	for (i = 0; i < p->nsb; i++) {
		for (k = 0; k < RCC_DNSL__MAX; k++)
			if (p->sb[i]->l.fd[k] >= 0)
				epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->sb[i]->l.fd[k], NULL);
		while (p->sb[i]->conns)
			conn_close(p->sb[i]->conns);
	}
	while (rcc_upstream_inflight(p->up) && rcc_clock_ms() < end) {
		n = epoll_wait(p->epfd, evs, EVENTS_PER_ROUND, 50);
		for (k = 0; k < n; k++) {
			struct rcc_dnsp_ev *ev = evs[k].data.ptr;

			if (ev->kind == RCC_DNSP_EV_UPSTREAM)
				rcc_upstream_event(ev, evs[k].events);
		}
		rcc_upstream_tick(p->up, rcc_clock_ms());
	}
}

/* Listeners paused for want of fds are watched again. */
static void resume_paused(struct rcc_dnsp_sandbox *sb, __u64 now)
{
	int k;

	for (k = 0; k < RCC_DNSL__MAX; k++) {
		struct rcc_dnsp_lsock *ls = &sb->ls[k];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ls->ev };

		if (ls->paused_until && now >= ls->paused_until) {
			ls->paused_until = 0;
			epoll_ctl(sb->p->epfd, EPOLL_CTL_ADD, ls->fd, &ev);
		}
	}
}

void rcc_dnsproxy_tick(struct rcc_dnsproxy *p, __u64 now)
{
	size_t i;

	rcc_upstream_tick(p->up, now);
	for (i = 0; i < p->nsb; i++) {
		struct rcc_dnsp_sandbox *sb = p->sb[i];
		struct rcc_dnsp_conn *c, *next;

		for (c = sb->conns; c; c = next) {
			next = c->next;
			if (c->dead || now >= c->idle_deadline)
				conn_close(c);
		}
		resume_paused(sb, now);
		rcc_learned_expire(&sb->learned, now);
		rcc_dnsp_fold_tick(sb, now, false);
	}
}

/* A learned name a reload no longer admits goes; one it still admits
 * takes the entries' rules as they are now. */
static void rejudge(struct rcc_dnsp_sandbox *sb)
{
	const struct rcc_policy_cfg *pol = rcc_config_policy(sb->p->o.cfg, sb->policy);
	size_t i = 0;

	while (i < sb->learned.n) {
		struct rcc_learned_name *r = sb->learned.names[i];
		struct rcc_dnsname_verdict v;
		struct rcc_rule rules[RCC_MAX_RULES];
		size_t n;

		if (pol)
			rcc_dnsname_judge(pol, r->name, &v);
		if (!pol || v.action != RCC_ACT_ALLOW) {
			/* "(answered before a restart)" too: its entries are unknown */
			rcc_learned_forget(&sb->learned, r->name);
			continue;
		}
		n = rcc_dnsname_rules(pol, v.allow, v.nallow, rules, RCC_MAX_RULES);
		rcc_learned_set_rules(&sb->learned, r->name, rules,
				      n > RCC_MAX_RULES ? RCC_MAX_RULES : n);
		i++;
	}
}

void rcc_dnsproxy_set_config(struct rcc_dnsproxy *p, const struct rcc_config *cfg,
			     const struct rcc_addr_list *host)
{
	size_t i;

	p->o.cfg = cfg;
	p->o.host = host;
	for (i = 0; i < p->nsb; i++)
		rejudge(p->sb[i]);
}

static struct json_object *stats_json(const struct rcc_dnsp_stats *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "queries", json_object_new_uint64(s->queries));
	json_object_object_add(o, "answered", json_object_new_uint64(s->answered));
	json_object_object_add(o, "nxdomain", json_object_new_uint64(s->nxdomain));
	json_object_object_add(o, "stripped", json_object_new_uint64(s->stripped));
	json_object_object_add(o, "refused", json_object_new_uint64(s->refused));
	json_object_object_add(o, "rate_limited", json_object_new_uint64(s->rate_limited));
	json_object_object_add(o, "servfail", json_object_new_uint64(s->servfail));
	json_object_object_add(o, "inserts", json_object_new_uint64(s->inserts));
	json_object_object_add(o, "insert_ns_total", json_object_new_uint64(s->insert_ns_total));
	json_object_object_add(o, "insert_ns_max", json_object_new_uint64(s->insert_ns_max));
	return o;
}

struct json_object *rcc_dnsproxy_to_json(const struct rcc_dnsproxy *p, __u64 now)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < p->nsb; i++) {
		const struct rcc_dnsp_sandbox *sb = p->sb[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "cgroup_id", json_object_new_uint64(sb->cgroup_id));
		json_object_object_add(o, "policy", json_object_new_string(sb->policy));
		json_object_object_add(o, "port", json_object_new_int(sb->l.port));
		json_object_object_add(o, "ipv6", json_object_new_boolean(sb->l.v6));
		json_object_object_add(o, "queries", stats_json(&sb->stats));
		json_object_object_add(o, "names_learned", json_object_new_uint64(sb->learned.n));
		json_object_object_add(o, "names",
				       rcc_learned_to_json(&sb->learned, now, STATUS_NAMES_MAX));
		json_object_array_add(arr, o);
	}
	return arr;
}
