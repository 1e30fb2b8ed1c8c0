/* SPDX-License-Identifier: GPL-2.0 */
/*
 * status, the DNS part: for each enforced cgroup whose policy says dns =
 * proxy, who answers its queries (or that nobody does, and what that
 * means); and per policy, the names the daemon's answers allowed, with
 * their addresses and expiries.
 */
#ifndef RCC_STATUS_DNS_H
#define RCC_STATUS_DNS_H

#include <json-c/json.h>

#include "kernel/kernel.h"

/* The policy of a cgroup as status knows it: name, flags. */
typedef const char *(*status_policy_fn)(__u32 policy_id, __u32 *flags, void *ctx);

/* Adds dns_port and dns_learned to a cgroup's JSON object. */
void status_dns_cgroup_json(json_object *o, const struct rcc_cgroup_info *cg);
/* The text; daemon: its "dns" answer (NULL: no daemon answered). */
void status_dns_text(const struct rcc_config *cfg, const struct rcc_cgroup_info *cg, size_t n,
		     status_policy_fn policy, void *ctx, json_object *daemon);

#endif
