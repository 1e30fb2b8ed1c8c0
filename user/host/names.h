/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The addresses behind hostname entries, as DNS last said, and when to
 * ask again.  No I/O here (dns.c asks); times are CLOCK_MONOTONIC ms.
 *
 * An address stays while it is in the answers, and after it leaves them
 * until its own TTL runs out: a sandbox that resolved the name earlier may
 * still use it.  When the name stops resolving, the last good addresses
 * stay for dns_stale_grace past their expiry.  Those of a name that a
 * deny entry uses stay until it resolves again: fail closed, so a DNS
 * outage drops what allows and keeps what denies.  An address is only ever
 * removed by an answer without it or by the grace running out, never
 * because a refresh is late.
 */
#ifndef RCC_NAMES_H
#define RCC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "policy/config.h"
#include "policy/policy.h"

struct json_object;

struct rcc_name_addr {
	__u8 addr[16];
	__u64 expires_ms;
};

struct rcc_name {
	char *name;
	struct rcc_name_addr *addrs;
	size_t n;
	bool guarded; /* an entry without private_ok uses it */
	bool deny;    /* a deny entry uses it: no grace limit */
	bool inflight;
	__u64 next_ms;	     /* when to ask next */
	__u64 last_query_ms; /* 0: never asked */
	__u64 last_ok_ms;
	__u64 failing_since_ms; /* 0: the last answer was good */
	unsigned failures;	/* in a row, for the back-off */
	int last_status;	/* 0, -ENOENT (no such name), -EAGAIN */
	char last_error[64];
	__u8 (*internal)[16]; /* internal addresses it resolved to */
	size_t ninternal;
};

struct rcc_names {
	struct rcc_name *v; /* sorted by name */
	size_t n;
	__u32 min_ttl, max_ttl, grace;	  /* seconds */
	const struct rcc_addr_list *host; /* for the rebinding guard */
	bool changed;			  /* an address came or went */
	bool touched;			  /* anything answered since the last save */
	bool verbose;			  /* log failures and the guard (the daemon) */
	bool log_changes;		  /* and each address that comes or goes */
};

/* One address of an answer, with its TTL in seconds. */
struct rcc_names_answer_addr {
	__u8 addr[16];
	__u32 ttl;
};

/* An empty table with cfg's TTL bounds; host: the addresses the
 * rebinding guard keeps out (NULL: none), which the table reads, never
 * frees. */
void rcc_names_init(struct rcc_names *t, const struct rcc_config *cfg,
		    const struct rcc_addr_list *host);
/* Takes cfg's dns_min_ttl, dns_max_ttl and dns_stale_grace (a reload's,
 * or the one in force again). */
void rcc_names_bounds(struct rcc_names *t, const struct rcc_config *cfg);
/* rcc_names_init() and rcc_names_set(), and o set to compile cfg over the
 * table (its names reported as mode says) and over host: what a command
 * loads.  None is asked yet.  0 or -ENOMEM; prints nothing. */
int rcc_names_compile_init(struct rcc_names *t, const struct rcc_config *cfg,
			   const struct rcc_addr_list *host, enum rcc_dns_mode mode,
			   struct rcc_compile_opts *o);
/* Makes the table hold the hostnames of cfg's entries: known ones keep
 * their addresses, new ones are due at once.  0 or -ENOMEM. */
int rcc_names_set(struct rcc_names *t, const struct rcc_config *cfg);
/* The names of both (a reload: the old stay until the new one is in). */
int rcc_names_set_both(struct rcc_names *t, const struct rcc_config *cfg,
		       const struct rcc_config *more);
void rcc_names_free(struct rcc_names *t);
struct rcc_name *rcc_names_find(const struct rcc_names *t, const char *name);

/* A good answer (n >= 1 addresses). */
void rcc_names_answer(struct rcc_names *t, struct rcc_name *r,
		      const struct rcc_names_answer_addr *a, size_t n, __u64 now);
/* No answer: status -ENOENT (NXDOMAIN, no records) or -EAGAIN. */
void rcc_names_failure(struct rcc_names *t, struct rcc_name *r, int status, const char *why,
		       __u64 now);
/* Drops what outlived the grace; sets t->changed when anything went. */
void rcc_names_expire(struct rcc_names *t, __u64 now);
/* How many names the last query failed for (unresolved). */
size_t rcc_names_unresolved(const struct rcc_names *t);
/* What an unresolved name leaves in force, for the log and status. */
const char *rcc_names_unresolved_means(bool deny, bool has_addrs);

/* An rcc_resolve_fn over the table (ctx: the table): how many addresses
 * the name has now; -ENOENT/-EAGAIN when none and the last query failed;
 * -ENOENT for a name the table does not hold. */
int rcc_names_lookup(const char *name, __u8 (*addrs)[16], size_t max, void *ctx);

/* The table for `status` and for one-shot commands: a JSON array. */
struct json_object *rcc_names_to_json(const struct rcc_names *t, __u64 now);
/* Takes the addresses of names the daemon reported (a to_json array);
 * names it does not know are left as they are (and alone are due to be
 * asked).  How many were taken. */
size_t rcc_names_from_json(struct rcc_names *t, struct json_object *arr, __u64 now);

/* The table across daemon restarts (a crash, an upgrade): saved after
 * each change, loaded at start, so the last good addresses keep their
 * expiry and grace while DNS is down.  0 or -errno. */
int rcc_names_save(const struct rcc_names *t, const char *path);
int rcc_names_load(struct rcc_names *t, const char *path);

#endif
