/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit consumer: turns ring events into JSON records, folds floods
 * (per cgroup and destination, events beyond [global] audit_rate a
 * second become one summary record with "suppressed": N), and writes the
 * audit log.  One consumer per ring: it holds a lock while it lives.
 */
#ifndef RCC_AUDIT_H
#define RCC_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include "policy/config.h"
#include "kernel/kernel.h"

struct rcc_audit;

/* Called with each record written, e.g. to show it (rcc-bpf log -f). */
typedef void (*rcc_audit_echo_fn)(const char *json, void *ctx);

/* Takes the consumer lock: -EWOULDBLOCK when another consumer holds it. */
int rcc_audit_open(const struct rcc_config *cfg, struct rcc_kernel *k, rcc_audit_echo_fn echo,
		   void *echo_ctx, struct rcc_audit **out);
/* Reads what the ring holds, up to a budget; returns events read,
 * RCC_AUDIT_MORE when the budget ran out with more waiting, or -errno. */
#define RCC_AUDIT_MORE (1 << 30)
#define RCC_AUDIT_DRAIN_BUDGET 32768
int rcc_audit_drain(struct rcc_audit *a);
/* Writes what was read, syncs on schedule, updates the totals. */
int rcc_audit_flush(struct rcc_audit *a, bool sync);
/* On the timer: due summaries, idle keys forgotten, then a flush.
 * final: everything now (shutdown). */
int rcc_audit_tick(struct rcc_audit *a, bool final);
int rcc_audit_epoll_fd(struct rcc_audit *a);
/* After a reload: rates and rule texts from the new configuration (the
 * log file itself stays until restart). */
void rcc_audit_set_config(struct rcc_audit *a, const struct rcc_config *cfg);
void rcc_audit_close(struct rcc_audit *a);

struct rcc_dnsp_record;
/* A DNS proxy's record (already folded by the proxy), into the log. */
void rcc_audit_dns(struct rcc_audit *a, const struct rcc_dnsp_record *r);

#endif
