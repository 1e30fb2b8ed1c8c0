// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/upstream.h"
#include "lib/clock.h"
#include "lib/dnswire.h"
#include "lib/util.h"
#include "policy/addr.h"

#define UDP_TIMEOUT_MS 1500
#define TCP_TIMEOUT_MS 3000
#define ROUNDS 2
#define QUERY_MAX 512 /* a name of 253 and an OPT fit easily */

struct server {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct rcc_upq {
	struct rcc_dnsp_ev ev; /* first: epoll hands it back */
	struct rcc_upstream *u;
	struct rcc_upq *prev, *next;
	int fd;
	bool tcp, sent;
	unsigned attempt; /* tries so far; server = attempt % nservers */
	__u64 deadline;
	__u16 id;
	__u16 qtype;
	rcc_upstream_done_fn fn;
	void *ctx;
	__u8 query[2 + QUERY_MAX]; /* TCP's length prefix, then the query */
	size_t qlen;
	__u8 *resp;		   /* TCP: the response as it arrives (2 + up to 65535) */
	struct rcc_dns_answer ans; /* the response, parsed */
	int ans_err;
	size_t rlen;
	char name[RCC_DNS_NAME_MAX];
};

struct rcc_upstream {
	int epfd;
	struct server servers[RCC_UPSTREAM_SERVERS_MAX];
	size_t nservers;
	struct rcc_upq *head;
	size_t inflight;
};

static int server_add(struct rcc_upstream *u, const char *text, char *why, size_t whylen)
{
	struct server *s = &u->servers[u->nservers];
	__u8 a[16];
	__u16 port = 53;

	if (u->nservers == RCC_UPSTREAM_SERVERS_MAX)
		return 0;
	if (rcc_addr_port_parse(text, a, &port, why, whylen))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (rcc_addr_is_v4(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&s->sa;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port ?: 53);
		memcpy(&sin->sin_addr, a + 12, 4);
		s->len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->sa;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port ?: 53);
		memcpy(&sin6->sin6_addr, a, 16);
		s->len = sizeof(*sin6);
	}
	u->nservers++;
	return 0;
}

/* nameserver lines of /etc/resolv.conf (a scoped IPv6 one is skipped). */
static int servers_from_resolv_conf(struct rcc_upstream *u, char *why, size_t whylen)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256], addr[128];
	int err = 0;

	if (!f) {
		snprintf(why, whylen, "cannot read /etc/resolv.conf: %s; set [global] resolver",
			 strerror(errno));
		return -errno;
	}
	while (!err && fgets(line, sizeof(line), f))
		if (sscanf(line, " nameserver %127s", addr) == 1 && !strchr(addr, '%'))
			err = server_add(u, addr, why, whylen);
	fclose(f);
	if (!err && !u->nservers) {
		snprintf(why, whylen,
			 "/etc/resolv.conf names no nameserver; set [global] resolver");
		err = -ENOENT;
	}
	return err;
}

int rcc_upstream_open(const struct rcc_config *cfg, int epfd, struct rcc_upstream **out, char *why,
		      size_t whylen)
{
	struct rcc_upstream *u = calloc(1, sizeof(*u));
	int err;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->epfd = epfd;
	err = cfg->resolver[0] ? server_add(u, cfg->resolver, why, whylen) :
				 servers_from_resolv_conf(u, why, whylen);
	if (err) {
		free(u);
		return err;
	}
	*out = u;
	return 0;
}

static void query_free(struct rcc_upq *q)
{
	struct rcc_upstream *u = q->u;

	if (q->fd >= 0) {
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, q->fd, NULL);
		close(q->fd);
	}
	if (q->prev)
		q->prev->next = q->next;
	else
		u->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	u->inflight--;
	free(q->resp);
	free(q);
}

void rcc_upstream_close(struct rcc_upstream *u)
{
	if (!u)
		return;
	while (u->head)
		query_free(u->head);
	free(u);
}

void rcc_upstream_cancel(struct rcc_upq *q)
{
	if (q)
		query_free(q);
}

static void finish(struct rcc_upq *q, int err, const __u8 *resp, size_t len)
{
	rcc_upstream_done_fn fn = q->fn;
	void *ctx = q->ctx;

	/* the callback may cancel other queries, never this one: it is gone */
	q->fn = NULL;
	fn(ctx, err ?: q->ans_err, resp, len, &q->ans);
	query_free(q);
}

/* A fresh socket to the attempt's server; the query goes out (UDP) or
 * waits for the connection (TCP). */
static int try_send(struct rcc_upq *q)
{
	struct rcc_upstream *u = q->u;
	const struct server *s = &u->servers[q->attempt % u->nservers];
	int type = (q->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
	struct epoll_event ev = { .data.ptr = &q->ev };

	if (q->fd >= 0) {
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, q->fd, NULL);
		close(q->fd);
	}
	q->sent = false;
	q->rlen = 0;
	q->fd = socket(s->sa.ss_family, type, 0);
	if (q->fd < 0)
		return -errno;
	if (connect(q->fd, (const struct sockaddr *)&s->sa, s->len) && errno != EINPROGRESS)
		return -errno;
	if (!q->tcp) {
		if (send(q->fd, q->query + 2, q->qlen, 0) < 0)
			return -errno;
		q->sent = true;
	}
	ev.events = q->sent ? EPOLLIN : EPOLLOUT;
	q->deadline = rcc_clock_ms() + (q->tcp ? TCP_TIMEOUT_MS : UDP_TIMEOUT_MS);
	return epoll_ctl(u->epfd, EPOLL_CTL_ADD, q->fd, &ev) ? -errno : 0;
}

/* The next server, or the end after ROUNDS over all of them. */
static void retry(struct rcc_upq *q, int err)
{
	while (++q->attempt < ROUNDS * q->u->nservers) {
		if (!try_send(q))
			return;
	}
	finish(q, err ?: -ETIMEDOUT, NULL, 0);
}

static int new_id(__u16 *id)
{
	return getrandom(id, sizeof(*id), 0) == sizeof(*id) ? 0 : -EIO;
}

int rcc_upstream_query(struct rcc_upstream *u, const char *name, __u16 qtype,
		       rcc_upstream_done_fn fn, void *ctx, struct rcc_upq **handle)
{
	struct rcc_upq *q = calloc(1, sizeof(*q));
	int len, err;

	if (!q)
		return -ENOMEM;
	q->ev.kind = RCC_DNSP_EV_UPSTREAM;
	q->u = u;
	q->fd = -1;
	q->fn = fn;
	q->ctx = ctx;
	q->qtype = qtype;
	snprintf(q->name, sizeof(q->name), "%s", name);
	err = new_id(&q->id);
	len = err ? err : rcc_dns_build_query(q->id, name, qtype, q->query + 2, QUERY_MAX);
	if (len < 0) {
		free(q);
		return len;
	}
	q->qlen = len;
	q->query[0] = len >> 8;
	q->query[1] = len & 0xff;
	q->next = u->head;
	if (u->head)
		u->head->prev = q;
	u->head = q;
	u->inflight++;
	if (handle)
		*handle = q;
	err = try_send(q);
	if (err) {
		if (handle)
			*handle = NULL;
		query_free(q);
	}
	return err;
}

/* Whether resp is a response to q: QR, our id and our question.  A
 * datagram from anyone else (a spoofer, a late answer to an old try) is
 * not one, and the query keeps waiting. */
static bool ours(struct rcc_upq *q, const __u8 *resp, size_t len)
{
	q->ans_err = rcc_dns_parse_answer(resp, len, q->id, q->name, q->qtype, &q->ans);
	return q->ans_err != -EINVAL;
}

static void udp_readable(struct rcc_upq *q)
{
	__u8 buf[4096];
	ssize_t n;

	while ((n = recv(q->fd, buf, sizeof(buf), 0)) >= 0) {
		if (!ours(q, buf, n))
			continue;
		if (q->ans.truncated) { /* ask again over TCP */
			q->tcp = true;
			q->attempt--;
			retry(q, 0);
			return;
		}
		finish(q, 0, buf, n);
		return;
	}
	if (errno != EAGAIN && errno != EINTR)
		retry(q, -errno); /* ICMP unreachable: the next server */
}

static void tcp_writable(struct rcc_upq *q)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &q->ev };

	if (send(q->fd, q->query, q->qlen + 2, MSG_NOSIGNAL) != (ssize_t)(q->qlen + 2)) {
		retry(q, -errno);
		return;
	}
	q->sent = true;
	epoll_ctl(q->u->epfd, EPOLL_CTL_MOD, q->fd, &ev);
}

static void tcp_readable(struct rcc_upq *q)
{
	size_t want;
	ssize_t n;

	if (!q->resp && !(q->resp = malloc(2 + RCC_DNS_MSG_MAX))) {
		finish(q, -ENOMEM, NULL, 0);
		return;
	}
	for (;;) {
		want = q->rlen < 2 ? 2 : 2 + ((size_t)q->resp[0] << 8 | q->resp[1]);
		if (q->rlen >= 2 && q->rlen == want)
			break;
		n = recv(q->fd, q->resp + q->rlen, want - q->rlen, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			retry(q, n < 0 ? -errno : -ECONNRESET);
			return;
		}
		q->rlen += n;
	}
	if (ours(q, q->resp + 2, q->rlen - 2))
		finish(q, 0, q->resp + 2, q->rlen - 2);
	else
		retry(q, -EPROTO);
}

void rcc_upstream_event(struct rcc_dnsp_ev *ev, __u32 events)
{
	struct rcc_upq *q = (struct rcc_upq *)ev;

	if (!q->tcp)
		udp_readable(q);
	else if (!q->sent)
		tcp_writable(q);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		tcp_readable(q);
}

void rcc_upstream_tick(struct rcc_upstream *u, __u64 now)
{
	struct rcc_upq *q = u->head, *next;

	for (; q; q = next) {
		next = q->next;
		if (now >= q->deadline)
			retry(q, -ETIMEDOUT);
	}
}

size_t rcc_upstream_inflight(const struct rcc_upstream *u)
{
	return u ? u->inflight : 0;
}

void rcc_upstream_describe(const struct rcc_upstream *u, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < u->nservers && off < len; i++) {
		const struct server *s = &u->servers[i];
		char a[INET6_ADDRSTRLEN] = "";
		int port;

		if (s->sa.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)&s->sa;

			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
			port = ntohs(sin->sin_port);
		} else {
			const struct sockaddr_in6 *sin6 = (const void *)&s->sa;

			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
			port = ntohs(sin6->sin6_port);
		}
		off += snprintf(buf + off, len - off, "%s%s%s%s:%d", i ? ", " : "",
				s->sa.ss_family == AF_INET6 ? "[" : "", a,
				s->sa.ss_family == AF_INET6 ? "]" : "", port);
	}
}
