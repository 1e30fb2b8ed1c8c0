/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asking DNS (c-ares, A and AAAA with their TTLs) for the names of an
 * rcc_names table, without blocking: the daemon polls rcc_dns_fd() and
 * calls rcc_dns_tick() on its timer.  One-shot commands use
 * rcc_dns_resolve_all() instead.
 */
#ifndef RCC_DNS_H
#define RCC_DNS_H

#include "policy/config.h"
#include "host/names.h"

struct rcc_dns;

/* A channel on cfg's resolver (or /etc/resolv.conf).  -errno; why says
 * what went wrong for people. */
int rcc_dns_open(const struct rcc_config *cfg, struct rcc_names *t, struct rcc_dns **out, char *why,
		 size_t whylen);
void rcc_dns_close(struct rcc_dns *d);
/* Readable when c-ares has sockets to serve: then call rcc_dns_process. */
int rcc_dns_fd(const struct rcc_dns *d);
void rcc_dns_process(struct rcc_dns *d);
/* Timeouts, and queries for the names that are due. */
void rcc_dns_tick(struct rcc_dns *d, __u64 now);
/* Asks for every name now (with only_new: those never asked) and waits
 * for the answers, at most timeout_ms. */
void rcc_dns_resolve_all(struct rcc_dns *d, int timeout_ms, bool only_new);
size_t rcc_dns_inflight(const struct rcc_dns *d);

#endif
