/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run's own DNS proxy (dns = proxy): the sandbox's queries are answered
 * in-process, for COMMAND's lifetime, on loopback in the network
 * namespace run started in.  No daemon is needed.
 */
#ifndef RCC_RUN_DNS_H
#define RCC_RUN_DNS_H

#include <stdbool.h>
#include <linux/types.h>

#include "host/dnsproxy.h"
#include "host/hostaddr.h"
#include "kernel/kernel.h"

struct run_dns {
	struct rcc_dnsproxy *p; /* NULL: the policy does not ask for it */
	__u64 cgroup_id;
	struct rcc_addr_list host;
	const char *audit_log;
	int map_fd[3]; /* listeners, learned, socks: dups of k's */
	bool warned;
};

/* Starts answering for the cgroup at cg under policy p when p says dns =
 * proxy.  0, or -errno printed with the remedy: run must not start. */
int run_dns_open(struct run_dns *d, const struct rcc_config *cfg, const struct rcc_kernel *k,
		 const char *cg, const struct rcc_policy_cfg *p);
/* The fd to poll (-1: none), and the work when it is readable or the
 * timeout (run_dns_timeout_ms) passed. */
int run_dns_fd(const struct run_dns *d);
int run_dns_timeout_ms(const struct run_dns *d);
void run_dns_serve(struct run_dns *d);
/* Stops answering: the listener and what answers allowed go. */
void run_dns_close(struct run_dns *d);

#endif
