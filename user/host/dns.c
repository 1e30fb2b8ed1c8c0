// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "host/dns.h"
#include "lib/clock.h"

/* Thousands of names: a few dozen at a time (each is an A and an AAAA
 * query on one UDP socket; a bigger burst overflows its receive buffer). */
#define INFLIGHT_MAX 64
#define QUERY_TIMEOUT_MS 2000
#define QUERY_TRIES 2

struct rcc_dns {
	ares_channel ch;
	int epfd;
	struct rcc_names *t;
	size_t inflight;
	size_t cursor; /* where the due-scan resumes */
	__u64 due_ms;  /* no name is due before this */
};

struct query {
	struct rcc_dns *d;
	char name[];
};

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct rcc_dns *d = data;
	struct epoll_event ev = { .data.fd = fd };

	ev.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	if (!ev.events) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int rcc_dns_open(const struct rcc_config *cfg, struct rcc_names *t, struct rcc_dns **out, char *why,
		 size_t whylen)
{
	struct ares_options o = {
		.timeout = QUERY_TIMEOUT_MS,
		.tries = QUERY_TRIES,
		.sock_state_cb = sock_state,
	};
	struct rcc_dns *d;
	int rc;

	*out = NULL;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc) {
		snprintf(why, whylen, "c-ares: %s", ares_strerror(rc));
		return -EIO;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->t = t;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		rc = -errno;
		free(d);
		snprintf(why, whylen, "epoll: %s", strerror(-rc));
		return rc;
	}
	o.sock_state_cb_data = d;
	rc = ares_init_options(&d->ch, &o,
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (rc) {
		snprintf(why, whylen, "c-ares cannot start (%s); check /etc/resolv.conf",
			 ares_strerror(rc));
		close(d->epfd);
		free(d);
		return -EIO;
	}
	if (cfg->resolver[0]) {
		__u8 a[16];
		__u16 port;
		char csv[96], shown[64];

		rcc_addr_port_parse(cfg->resolver, a, &port, why, whylen); /* checked at load */
		rcc_addr_prefix_format(a, 128, shown, sizeof(shown));
		snprintf(csv, sizeof(csv), rcc_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", shown, port);
		rc = ares_set_servers_ports_csv(d->ch, csv);
		if (rc) {
			snprintf(why, whylen, "resolver '%s': %s", cfg->resolver,
				 ares_strerror(rc));
			rcc_dns_close(d);
			return -EINVAL;
		}
	}
	*out = d;
	return 0;
}

void rcc_dns_close(struct rcc_dns *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->t->n; i++)
		d->t->v[i].inflight = false; /* a next channel asks again */
	d->t = NULL;			     /* the callbacks of cancelled queries touch nothing */
	ares_destroy(d->ch);
	close(d->epfd);
	free(d);
}

int rcc_dns_fd(const struct rcc_dns *d)
{
	return d->epfd;
}

size_t rcc_dns_inflight(const struct rcc_dns *d)
{
	return d->inflight;
}

static void on_answer(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query *q = arg;
	struct rcc_dns *d = q->d;
	struct rcc_names_answer_addr a[64];
	struct ares_addrinfo_node *n;
	struct rcc_name *r;
	__u64 now = rcc_clock_ms();
	size_t k = 0;

	(void)timeouts;
	d->inflight--;
	r = d->t ? rcc_names_find(d->t, q->name) : NULL;
	for (n = res ? res->nodes : NULL; r && n && k < 64; n = n->ai_next) {
		if (n->ai_family == AF_INET)
			rcc_addr_from_v4(a[k].addr, &((struct sockaddr_in *)n->ai_addr)->sin_addr);
		else if (n->ai_family == AF_INET6)
			memcpy(a[k].addr, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
		else
			continue;
		a[k++].ttl = n->ai_ttl > 0 ? n->ai_ttl : 0;
	}
	if (r && status == ARES_SUCCESS && k)
		rcc_names_answer(d->t, r, a, k, now);
	else if (r && status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
		rcc_names_failure(d->t, r,
				  status == ARES_ENOTFOUND || status == ARES_ENODATA ||
						  status == ARES_SUCCESS ?
					  -ENOENT :
					  -EAGAIN,
				  status == ARES_SUCCESS ? "no A or AAAA records" :
							   ares_strerror(status),
				  now);
	if (r && r->next_ms < d->due_ms)
		d->due_ms = r->next_ms; /* a back-off may come before the rest */
	if (res)
		ares_freeaddrinfo(res);
	free(q);
}

static bool ask(struct rcc_dns *d, struct rcc_name *r, __u64 now)
{
	struct ares_addrinfo_hints hints = { .ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT };
	size_t len = strlen(r->name) + 1;
	struct query *q = malloc(sizeof(*q) + len);

	if (!q)
		return false;
	q->d = d;
	memcpy(q->name, r->name, len);
	r->inflight = true;
	r->last_query_ms = r->last_query_ms ?: now;
	d->inflight++;
	/* may call on_answer at once (a hosts-file name) */
	ares_getaddrinfo(d->ch, q->name, NULL, &hints, on_answer, q);
	return true;
}

/*
 * Starts queries for due names, a bounded number.  A pass that finds room
 * for all that are due remembers when the next one is, so the loop's
 * wake-ups do not walk thousands of names that are not due.
 */
static void start_due(struct rcc_dns *d, __u64 now)
{
	struct rcc_names *t = d->t;
	__u64 next = UINT64_MAX;
	size_t scanned;

	if (now < d->due_ms)
		return;
	for (scanned = 0; scanned < t->n && d->inflight < INFLIGHT_MAX; scanned++) {
		struct rcc_name *r;

		if (d->cursor >= t->n)
			d->cursor = 0;
		r = &t->v[d->cursor++];
		if (r->inflight)
			continue;
		if (r->next_ms > now) {
			if (r->next_ms < next)
				next = r->next_ms;
		} else if (!ask(d, r, now)) {
			break;
		}
	}
	/* a full pass: nothing more is due before `next` (answers lower it) */
	d->due_ms = scanned == t->n ? next : 0;
}

void rcc_dns_process(struct rcc_dns *d)
{
	struct epoll_event evs[32];
	int n, i;

	n = epoll_wait(d->epfd, evs, 32, 0);
	for (i = 0; i < n; i++)
		ares_process_fd(d->ch,
				evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? evs[i].data.fd :
										  ARES_SOCKET_BAD,
				evs[i].events & EPOLLOUT ? evs[i].data.fd : ARES_SOCKET_BAD);
	/* answers made room: the queue moves on without waiting for a tick */
	if (n > 0)
		start_due(d, rcc_clock_ms());
}

void rcc_dns_tick(struct rcc_dns *d, __u64 now)
{
	ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
	rcc_names_expire(d->t, now);
	start_due(d, now);
}

void rcc_dns_resolve_all(struct rcc_dns *d, int timeout_ms, bool only_new)
{
	__u64 start = rcc_clock_ms(), now = start;
	size_t i;

	for (i = 0; i < d->t->n; i++)
		if (!only_new || !d->t->v[i].last_query_ms)
			d->t->v[i].next_ms = 0;
	d->due_ms = 0; /* the table may have changed under us (a reload) */
	start_due(d, now);
	while (d->inflight && now - start < (__u64)timeout_ms) {
		struct epoll_event ev;

		epoll_wait(d->epfd, &ev, 1, 50);
		rcc_dns_process(d);
		ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		now = rcc_clock_ms();
		start_due(d, now);
	}
	if (!d->inflight)
		return;
	ares_cancel(d->ch);
	for (i = 0; i < d->t->n; i++) {
		struct rcc_name *r = &d->t->v[i];

		if (r->inflight)
			rcc_names_failure(d->t, r, -EAGAIN, "no answer in time", now);
	}
	d->inflight = 0;
}
