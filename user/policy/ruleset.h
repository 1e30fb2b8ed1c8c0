/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ruleset: what the kernel should hold for a configuration, as a value
 * (systemd's bpf_firewall_compile; kernel/plan.h and kernel/commit.c
 * install it).  Every policy is compiled (policy/policy.h) and its
 * entries gathered into one key/value set per synced map, in the
 * configuration's order.  Plain memory, no kernel.
 *
 * The keys carry version 0: which version each policy's entries go in
 * under is the kernel layer's decision (rcc_ruleset_label).
 */
#ifndef RCC_RULESET_H
#define RCC_RULESET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"
#include "policy/kvset.h"
#include "policy/policy.h"
#include "rcc_shared.h"

/* The maps whose entries belong to a policy version. */
enum rcc_rs_map {
	RCC_RS_PORTS,	 /* rcc_port_key -> rcc_port_val */
	RCC_RS_ADDRS,	 /* rcc_addr_key -> rcc_addr_val */
	RCC_RS_PREFIXES, /* rcc_prefix_key -> rcc_prefix_val */
	RCC_RS__MAX,
};

/* One policy of the ruleset. */
struct rcc_rs_policy {
	/* zero-padded: also its key in rcc_polnames */
	char name[RCC_POLICY_NAME_MAX];
	struct rcc_policy pol;	   /* its flags, for rcc_policies */
	size_t first[RCC_RS__MAX]; /* its entries in sets[m]: */
	size_t count[RCC_RS__MAX]; /* count[m] from first[m] on */
};

struct rcc_ruleset {
	char source[PATH_MAX]; /* the file, for messages */
	size_t n;
	struct rcc_rs_policy *policies;	    /* n of them */
	struct rcc_kvset sets[RCC_RS__MAX]; /* every policy's entries */
};

/*
 * Compiles every policy of cfg into out (zero-initialised or not: it is
 * overwritten).  Every policy is compiled, so that every problem is
 * printed as FILE:LINE: problem; then -EINVAL.  -ENOMEM likewise
 * printed.  On failure out holds nothing; else rcc_ruleset_free it.
 */
int rcc_ruleset_build(const struct rcc_config *cfg, const struct rcc_compile_opts *opts,
		      struct rcc_ruleset *out);
/* Frees what rs holds and zeroes it; safe on a zeroed or freed one. */
void rcc_ruleset_free(struct rcc_ruleset *rs);

/* The policy named name (a NUL-terminated or zero-padded name); NULL
 * when rs has none. */
const struct rcc_rs_policy *rcc_ruleset_policy(const struct rcc_ruleset *rs, const char *name);

/* The version a key of map m carries (rcc_prefix_key's is big endian). */
__u32 rcc_ruleset_key_version(enum rcc_rs_map m, const void *key);

/*
 * Copies rs's sets into want[] (initialised or freed ones; whatever they
 * held is replaced), the entries of policy i labelled with versions[i].
 * 0 or -ENOMEM (want then holds nothing).  Prints nothing.
 */
int rcc_ruleset_label(const struct rcc_ruleset *rs, const __u32 *versions,
		      struct rcc_kvset want[RCC_RS__MAX]);

#endif
