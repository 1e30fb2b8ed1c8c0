/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the DNS proxy: dnsproxy.c owns the sandboxes, their sockets and
 * the loop; dnsanswer.c decides and answers each query; dnsfold.c turns
 * queries into audit records, folding floods.
 */
#ifndef RCC_DNSPROXY_INT_H
#define RCC_DNSPROXY_INT_H

#include <sys/socket.h>

#include "host/dnsproxy.h"
#include "host/learned.h"
#include "host/upstream.h"

#define RCC_DNSP_MSG_MAX 2048 /* a client query we take; more: FORMERR */
#define RCC_DNSP_FOLD_SLOTS 256

enum {
	RCC_DNSP_EV_LISTEN = RCC_DNSP_EV_UPSTREAM + 1,
	RCC_DNSP_EV_CONN,
};

struct rcc_dnsp_sandbox;

/* One listening socket, as epoll sees it. */
struct rcc_dnsp_lsock {
	struct rcc_dnsp_ev ev;
	struct rcc_dnsp_sandbox *sb;
	int fd;
	bool tcp;
	__u64 paused_until; /* out of fds: not watched until then */
};

/* A TCP client: length-prefixed queries in, replies out. */
struct rcc_dnsp_conn {
	struct rcc_dnsp_ev ev;
	struct rcc_dnsp_sandbox *sb;
	struct rcc_dnsp_conn *prev, *next;
	int fd;
	__u8 buf[2 + RCC_DNSP_MSG_MAX];
	size_t len;
	__u64 idle_deadline;
	bool dead; /* a reply could not be sent: closed at the next chance */
};

/* Where a reply goes. */
struct rcc_dnsp_client {
	struct rcc_dnsp_conn *conn; /* TCP; NULL: UDP */
	int fd;			    /* UDP: the listener */
	struct sockaddr_storage from;
	socklen_t fromlen;
};

/* A query waiting for the upstream. */
struct rcc_dnsp_pending {
	struct rcc_dnsp_sandbox *sb;
	struct rcc_dnsp_pending *prev, *next;
	struct rcc_upq *upq;
	struct rcc_dnsp_client to;
	struct rcc_dns_query q;
	__u8 msg[RCC_DNSP_MSG_MAX];
	size_t len;
};

/* Records of one (name, type, verdict) in the current second. */
struct rcc_dnsp_fold {
	__u64 key; /* hash; 0: free */
	__u64 second;
	__u32 count;
	__u64 suppressed;
	char name[RCC_DNS_NAME_MAX];
	__u16 qtype;
	const char *verdict;
	const char *transport;
};

struct rcc_dnsp_stats {
	__u64 queries, answered, nxdomain, stripped, refused, rate_limited, servfail;
	__u64 inserts, insert_ns_total, insert_ns_max; /* kernel inserts, timed */
};

struct rcc_dnsp_sandbox {
	struct rcc_dnsproxy *p;
	__u64 cgroup_id;
	char policy[RCC_POLICY_NAME_MAX];
	struct rcc_dnslisten l;
	struct rcc_dnsp_lsock ls[RCC_DNSL__MAX];
	struct rcc_dnsp_conn *conns;
	size_t nconns;
	struct rcc_dnsp_pending *pending;
	size_t npending;
	double tokens;
	__u64 tokens_ms;
	struct rcc_learned learned;
	struct rcc_dnsp_fold folds[RCC_DNSP_FOLD_SLOTS];
	struct rcc_dnsp_stats stats;
};

struct rcc_dnsproxy {
	int epfd;
	struct rcc_dnsproxy_opts o;
	struct rcc_upstream *up;
	struct rcc_dnsp_sandbox **sb;
	size_t nsb;
	__u8 out[2 + RCC_DNS_MSG_MAX]; /* replies, with TCP's length prefix room */
};

/* dnsanswer.c: a client's query, from either transport. */
void rcc_dnsp_query(struct rcc_dnsp_sandbox *sb, const __u8 *msg, size_t len,
		    const struct rcc_dnsp_client *to);
/* dnsproxy.c: sends the reply in p->out + 2 (len bytes) to a client. */
void rcc_dnsp_reply(struct rcc_dnsp_sandbox *sb, const struct rcc_dnsp_client *to, size_t len);
void rcc_dnsp_pending_free(struct rcc_dnsp_pending *pd);
/* dnsfold.c: one query's record, folded past [global] audit_rate a second
 * per (name, type, verdict); due summaries on the tick. */
void rcc_dnsp_record(struct rcc_dnsp_sandbox *sb, struct rcc_dnsp_record *r, __u64 now);
void rcc_dnsp_fold_tick(struct rcc_dnsp_sandbox *sb, __u64 now, bool final);

#endif
