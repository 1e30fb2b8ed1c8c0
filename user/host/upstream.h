/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS proxy's upstream: queries of its own (a fresh id from
 * getrandom, a fresh socket and so a fresh port each), never a client's
 * bytes, to [global] resolver or the nameservers of /etc/resolv.conf.
 * UDP first, TCP when the answer is truncated; each server in turn, two
 * rounds.  Non-blocking: its sockets join the caller's epoll set with
 * data.ptr pointing at a struct rcc_upstream_ev, handed back to
 * rcc_upstream_event().
 */
#ifndef RCC_UPSTREAM_H
#define RCC_UPSTREAM_H

#include <stddef.h>
#include <linux/types.h>

#include "policy/config.h"

#define RCC_UPSTREAM_SERVERS_MAX 3

/* The first member of whatever an epoll event points at, in the proxy. */
struct rcc_dnsp_ev {
	int kind; /* the owner's; RCC_DNSP_EV_UPSTREAM for an upstream query */
};
#define RCC_DNSP_EV_UPSTREAM 1

struct rcc_upstream;
struct rcc_upq;

struct rcc_dns_answer;

/* The answer (err 0: resp holds a response with our id and question, a
 * it parsed by rcc_dns_parse_answer; err -ELOOP: a CNAME chain too long)
 * or -ETIMEDOUT / -errno when no server gave one. */
typedef void (*rcc_upstream_done_fn)(void *ctx, int err, const __u8 *resp, size_t len,
				     const struct rcc_dns_answer *a);

/* Servers from cfg->resolver, else /etc/resolv.conf.  -errno with why
 * filled for people (no server, a bad line). */
int rcc_upstream_open(const struct rcc_config *cfg, int epfd, struct rcc_upstream **out, char *why,
		      size_t whylen);
void rcc_upstream_close(struct rcc_upstream *u);
/* Asks for name/qtype; fn is called once, later, unless the query is
 * cancelled first.  *handle (may be NULL) for rcc_upstream_cancel.
 * 0 or -errno (nothing will be called then). */
int rcc_upstream_query(struct rcc_upstream *u, const char *name, __u16 qtype,
		       rcc_upstream_done_fn fn, void *ctx, struct rcc_upq **handle);
void rcc_upstream_cancel(struct rcc_upq *q);
/* An epoll event whose data.ptr is an rcc_dnsp_ev of kind
 * RCC_DNSP_EV_UPSTREAM. */
void rcc_upstream_event(struct rcc_dnsp_ev *ev, __u32 events);
/* Timeouts: the next try, or the end. */
void rcc_upstream_tick(struct rcc_upstream *u, __u64 now);
size_t rcc_upstream_inflight(const struct rcc_upstream *u);
/* The servers as text, for status and messages ("10.0.0.53:53, ..."). */
void rcc_upstream_describe(const struct rcc_upstream *u, char *buf, size_t len);

#endif
