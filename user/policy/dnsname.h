/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS names against a policy's name entries: `allow = NAME`, and the
 * wildcards `*.zone` (exactly one label before the zone) and `**.zone`
 * (one or more labels, never the zone itself).  Matching is on label
 * boundaries and case-insensitive: `*.github.com` matches `api.github.com`,
 * not `evilgithub.com`, `github.com` or `a.b.github.com`.
 *
 * Under dns = proxy, rcc-bpf answers a sandbox's queries with this: the
 * verdict says whether a name is answered, and which entries' port rules
 * its answered addresses are allowed for.  Plain memory, prints nothing.
 */
#ifndef RCC_DNSNAME_H
#define RCC_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "policy/config.h"
#include "rcc_shared.h"

#define RCC_DNSNAME_MAX_RULES 16 /* allow entries a verdict lists */

/* The error of a wildcard in a dns = open policy (%s: the wildcard),
 * which the configuration and the compiler report at its line. */
#define RCC_DNSNAME_NEEDS_PROXY \
	"%s: a wildcard needs dns = proxy (rcc-bpf answers the sandbox's DNS)"

/*
 * in, lowercased and without one trailing dot, into out (len bytes).
 * 0, or -EINVAL when it is empty, has an empty label or one over 63
 * bytes, is over 253 bytes, holds a byte that is not printable ASCII
 * (blanks and controls), or does not fit in out.
 */
int rcc_dnsname_normalize(const char *in, char *out, size_t len);

/* Whether name is what pattern names: an exact name, `*.zone` or
 * `**.zone`.  Case-insensitive; one trailing dot on either is ignored. */
bool rcc_dnsname_match(const char *pattern, const char *name);

/* Whether pattern is a wildcard (`*.zone`, `**.zone`). */
bool rcc_dnsname_is_wildcard(const char *pattern);

struct rcc_dnsname_verdict {
	__u32 action; /* RCC_ACT_ALLOW, RCC_ACT_DENY or RCC_ACT_NONE */
	/* every allow entry naming it, in the policy's order (at most
	 * RCC_DNSNAME_MAX_RULES; more_allow: there were more) */
	const struct rcc_entry *allow[RCC_DNSNAME_MAX_RULES];
	size_t nallow;
	bool more_allow;
	/* the first deny entry naming it; also set under ALLOW, where the
	 * allow entries win (as they do over deny entries for addresses) */
	const struct rcc_entry *deny;
	bool private_ok; /* an allow entry naming it says private_ok */
};

/*
 * What policy p says of name (a query name, normalised or not): ALLOW
 * when an allow entry names it, else DENY when a deny entry does, else
 * NONE (answered under allow_public = yes, NXDOMAIN under no: the
 * caller's decision).  Address entries play no part.
 */
void rcc_dnsname_judge(const struct rcc_policy_cfg *p, const char *name,
		       struct rcc_dnsname_verdict *v);

/*
 * The port rules that an answered address is allowed for: those of the
 * n allow entries (of p, from a verdict), each port range of each entry
 * with its protocols, every port being 0..65535 (the compiler's prefix
 * rules), action RCC_ACT_ALLOW, rule_id the entry's index in p + 1.  A
 * rule with the ports, protocols and action of one before it is left
 * out (the first entry names it).  Writes at most max into out; returns
 * how many, or max + 1 when they did not all fit.
 */
size_t rcc_dnsname_rules(const struct rcc_policy_cfg *p, const struct rcc_entry *const *allow,
			 size_t n, struct rcc_rule *out, size_t max);

/*
 * One line for people on what the proxy does with name under p, e.g.
 *   answered (dns = proxy): allow = *.example.com:443/tcp (line 12) admits
 *   it; its addresses are allowed for 443/tcp
 *   nxdomain: deny = ads.example.com (line 9)
 * proto (an RCC_PROTO_* bit, 0: none asked) and port: a destination to
 * say whether the answered addresses are allowed for.  Returns the
 * verdict's action.
 */
__u32 rcc_dnsname_explain(const struct rcc_policy_cfg *p, const char *name, __u16 port, __u8 proto,
			  char *buf, size_t len);

#endif
