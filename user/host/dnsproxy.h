/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS proxy (dns = proxy): answers every query of its sandboxes.
 * The BPF hooks steer each sandbox's port-53 traffic to its listeners
 * (host/dnslisten.h), whose port rcc_dnsproxy_add() writes into
 * rcc_dns_listeners.  Per query, under the sandbox's policy
 * (policy/dnsname.h decides what a name is):
 *
 *   a name an allow entry admits   asked upstream (host/upstream.h);
 *                                  each A/AAAA address is stripped by the
 *                                  rebinding guard unless private_ok, or
 *                                  allowed in the kernel (host/learned.h)
 *                                  before the reply carries it
 *   a name a deny entry names,     NXDOMAIN, never asked upstream
 *   or any other name of an
 *   allowlist (allow_public = no)
 *   any other name (public)        asked upstream, the guard applied,
 *                                  nothing allowed by it
 *   HTTPS, SVCB                    NODATA: their address hints would
 *                                  bypass the kernel's entries
 *   ANY                            REFUSED
 *   other types, admitted names    passed through, nothing allowed
 *   over [global] dns_query_rate   SERVFAIL (rate-limited)
 *
 * Every query becomes a record for the audit log (folded under floods).
 * Single-threaded: the owner polls rcc_dnsproxy_fd() and calls
 * rcc_dnsproxy_process() and, on its timer, rcc_dnsproxy_tick().
 */
#ifndef RCC_DNSPROXY_H
#define RCC_DNSPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "host/dnslisten.h"
#include "lib/dnswire.h"
#include "policy/config.h"

struct json_object;
struct rcc_dnsproxy;

/* One query as the audit log records it. */
struct rcc_dnsp_record {
	__u64 cgroup_id;
	const char *policy;
	const char *name;
	__u16 qtype;
	const char *transport; /* "udp" or "tcp" */
	/* answered, nodata, nxdomain, stripped, refused, rate-limited, servfail */
	const char *verdict;
	const struct rcc_dns_addr *addrs; /* answered */
	size_t naddrs;
	size_t nstripped;  /* left out by the rebinding guard */
	const char *entry; /* the entry that allowed or denied the name */
	bool entry_deny;   /* it is a deny entry */
	int entry_line;
	const char *note; /* why, where the verdict needs it */
	__u64 suppressed; /* a summary: this many more were folded */
};

typedef void (*rcc_dnsp_record_fn)(const struct rcc_dnsp_record *r, void *ctx);

struct rcc_dnsproxy_opts {
	const struct rcc_config *cfg;	  /* kept: see rcc_dnsproxy_set_config */
	const struct rcc_addr_list *host; /* the rebinding guard's; kept */
	int listeners_fd, learned_fd;	  /* the maps; not owned */
	int socks_fd;			  /* rcc_dns_socks: our sockets, marked */
	rcc_dnsp_record_fn record;
	void *record_ctx;
};

/* 0 or -errno, why saying what for people (no upstream server). */
int rcc_dnsproxy_open(const struct rcc_dnsproxy_opts *o, struct rcc_dnsproxy **out, char *why,
		      size_t whylen);
/* Closes every listener; the kernel's entries stay (a restart takes them
 * up again).  rcc_dnsproxy_remove() first what must go. */
void rcc_dnsproxy_close(struct rcc_dnsproxy *p);
int rcc_dnsproxy_fd(const struct rcc_dnsproxy *p);
/* Serves whatever is ready; never blocks. */
void rcc_dnsproxy_process(struct rcc_dnsproxy *p);
/* Before a restart: the queries already asked upstream are answered (for
 * timeout_ms at most); new ones wait in the listeners for the successor. */
void rcc_dnsproxy_drain(struct rcc_dnsproxy *p, int timeout_ms);
/* Timeouts, expiries, fold summaries. */
void rcc_dnsproxy_tick(struct rcc_dnsproxy *p, __u64 now);
/* A reload: names are judged again under cfg (kept from now on), and
 * what a name no longer allows goes. */
void rcc_dnsproxy_set_config(struct rcc_dnsproxy *p, const struct rcc_config *cfg,
			     const struct rcc_addr_list *host);

/*
 * Answers for the enforced cgroup cgroup_id under policy, on l (taken
 * over, also on failure): listeners opened in its namespace
 * (rcc_dnslisten_open) or adopted from a predecessor.  0 or -errno,
 * printed.
 */
int rcc_dnsproxy_add(struct rcc_dnsproxy *p, __u64 cgroup_id, const char *policy,
		     struct rcc_dnslisten *l);
/* After a restart, once every sandbox is added: the addresses the kernel
 * still allows each (a predecessor's answers) are taken up, as they are,
 * until dns_max_ttl + dns_answer_grace from now at the latest. */
void rcc_dnsproxy_adopt(struct rcc_dnsproxy *p);
/* Stops answering for it, its kernel entries and listeners gone. */
void rcc_dnsproxy_remove(struct rcc_dnsproxy *p, __u64 cgroup_id);
bool rcc_dnsproxy_has(const struct rcc_dnsproxy *p, __u64 cgroup_id);
/* The policy a sandbox is answered under; NULL: not one of ours. */
const char *rcc_dnsproxy_policy(const struct rcc_dnsproxy *p, __u64 cgroup_id);
/* The sandboxes' cgroup ids into ids (at most max); how many there are. */
size_t rcc_dnsproxy_ids(const struct rcc_dnsproxy *p, __u64 *ids, size_t max);
/* Every sandbox's listeners, for the fd store: fn per fd. */
void rcc_dnsproxy_each_fd(const struct rcc_dnsproxy *p,
			  void (*fn)(__u64 cgroup_id, enum rcc_dnslisten_kind kind, int fd,
				     void *ctx),
			  void *ctx);
/* The sandboxes as a JSON array: cgroup, policy, port, counters and the
 * names learned with their addresses and expiries. */
struct json_object *rcc_dnsproxy_to_json(const struct rcc_dnsproxy *p, __u64 now);

#endif
