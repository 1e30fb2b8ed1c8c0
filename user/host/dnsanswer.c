// SPDX-License-Identifier: GPL-2.0
/* The DNS proxy's decision on each query, and its answer (dnsproxy.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/dnsproxy_int.h"
#include "lib/clock.h"
#include "policy/dnsname.h"
#include "policy/policy.h"

#define PENDING_MAX 256	 /* queries of one sandbox waiting for the upstream */
#define INFLIGHT_MAX 2048 /* of all sandboxes */

/* What a query is, under its sandbox's policy now. */
struct judged {
	const struct rcc_policy_cfg *pol; /* NULL: the policy is gone */
	struct rcc_dnsname_verdict v;
	bool ask; /* asked upstream; else answered here (rcode) */
	int rcode;
	const char *verdict;
	const char *note;
	const struct rcc_entry *entry; /* the one that decided */
	bool audit; /* mode = audit: answered anyway, what would be is noted */
};

static void judge(const struct rcc_dnsp_sandbox *sb, const struct rcc_dns_query *q,
		  struct judged *j)
{
	memset(j, 0, sizeof(*j));
	j->pol = rcc_config_policy(sb->p->o.cfg, sb->policy);
	if (!j->pol) {
		j->rcode = RCC_DNS_NXDOMAIN;
		j->verdict = "nxdomain";
		j->note = "the sandbox's policy is no longer loaded";
		return;
	}
	rcc_dnsname_judge(j->pol, q->name, &j->v);
	if (j->v.action == RCC_ACT_ALLOW)
		j->entry = j->v.allow[0];
	else if (j->v.action == RCC_ACT_DENY)
		j->entry = j->v.deny;
	j->audit = j->pol->audit;
	if (j->v.action == RCC_ACT_DENY ||
	    (j->v.action != RCC_ACT_ALLOW && !j->pol->allow_public)) {
		j->rcode = RCC_DNS_NXDOMAIN;
		j->verdict = "nxdomain";
		if (!j->entry)
			j->note = "no allow entry names it (allow_public = no)";
		j->ask = j->audit;
		if (j->audit)
			j->note = "mode = audit: answered, would be nxdomain";
		return;
	}
	if (q->qtype == RCC_DNS_T_HTTPS || q->qtype == RCC_DNS_T_SVCB) {
		j->rcode = RCC_DNS_NOERROR;
		j->verdict = "nodata";
		j->note = "HTTPS and SVCB address hints would bypass the allowed addresses";
		j->ask = j->audit;
		if (j->audit)
			j->note = "mode = audit: answered, would be nodata (HTTPS and SVCB hints bypass the allowed addresses)";
		return;
	}
	j->ask = true;
}

static void record(struct rcc_dnsp_sandbox *sb, const struct rcc_dns_query *q,
		   const struct rcc_dnsp_client *to, const struct judged *j,
		   const struct rcc_dns_addr *a, size_t n, size_t stripped)
{
	struct rcc_dnsp_record r = {
		.cgroup_id = sb->cgroup_id,
		.policy = sb->policy,
		.name = q->name,
		.qtype = q->qtype,
		.transport = to->conn ? "tcp" : "udp",
		.verdict = j->verdict,
		.addrs = a,
		.naddrs = n,
		.nstripped = stripped,
		.entry = j->entry ? j->entry->text : NULL,
		.entry_deny = j->entry && j->entry->action == RCC_ACT_DENY,
		.entry_line = j->entry ? j->entry->line : 0,
		.note = j->note,
	};

	rcc_dnsp_record(sb, &r, rcc_clock_ms());
}

static void count(struct rcc_dnsp_sandbox *sb, const char *verdict)
{
	struct rcc_dnsp_stats *s = &sb->stats;

	if (!strcmp(verdict, "answered") || !strcmp(verdict, "nodata"))
		s->answered++;
	else if (!strcmp(verdict, "nxdomain"))
		s->nxdomain++;
	else if (!strcmp(verdict, "stripped"))
		s->stripped++;
	else if (!strcmp(verdict, "rate-limited"))
		s->rate_limited++;
	else if (!strcmp(verdict, "servfail"))
		s->servfail++;
	else
		s->refused++;
}

/* A reply without records (rcode; NOERROR: NODATA), and its record. */
static void answer_rcode(struct rcc_dnsp_sandbox *sb, const __u8 *msg,
			 const struct rcc_dns_query *q, const struct rcc_dnsp_client *to,
			 const struct judged *j, int rcode, size_t stripped)
{
	int len = rcc_dns_build_error(msg, q, rcode, sb->p->out + 2, RCC_DNS_MSG_MAX);

	if (len > 0)
		rcc_dnsp_reply(sb, to, len);
	count(sb, j->verdict);
	record(sb, q, to, j, NULL, 0, stripped);
}

static __u32 clamp_ttl(const struct rcc_config *cfg, __u32 ttl)
{
	if (ttl < cfg->dns_min_ttl)
		return cfg->dns_min_ttl;
	return ttl > cfg->dns_max_ttl ? cfg->dns_max_ttl : ttl;
}

/* rcc_learned_add, timed for status (the bench reads it). */
static int learn(struct rcc_dnsp_sandbox *sb, const char *name, const struct rcc_rule *rules,
		 size_t nrules, const __u8 addr[16], __u64 expires_ms)
{
	__u64 t0 = rcc_clock_ns(), dt;
	int r = rcc_learned_add(&sb->learned, name, rules, nrules, addr, expires_ms, t0 / 1000000);

	dt = rcc_clock_ns() - t0;
	sb->stats.inserts++;
	sb->stats.insert_ns_total += dt;
	if (dt > sb->stats.insert_ns_max)
		sb->stats.insert_ns_max = dt;
	return r;
}

/* The port rules an answered address is allowed for: those of every
 * allow entry naming it, or only of those that say private_ok. */
static size_t entry_rules(const struct judged *j, bool private_only, struct rcc_rule *out)
{
	const struct rcc_entry *sel[RCC_DNSNAME_MAX_RULES];
	size_t i, n = 0, r;

	for (i = 0; i < j->v.nallow; i++)
		if (!private_only || (j->v.allow[i]->flags & RCC_ENTRY_PRIVATE_OK))
			sel[n++] = j->v.allow[i];
	r = n ? rcc_dnsname_rules(j->pol, sel, n, out, RCC_MAX_RULES) : 0;
	return r > RCC_MAX_RULES ? RCC_MAX_RULES : r;
}

/*
 * The addresses of an answer the sandbox gets: the rebinding guard's
 * leave out, and under an allow entry only those the kernel now allows.
 * Returns how many are in out; *stripped, *refused count the others.
 */
static size_t admit(struct rcc_dnsp_sandbox *sb, const struct judged *j,
		    const struct rcc_dns_answer *a, const char *name, struct rcc_dns_addr *out,
		    size_t *stripped, size_t *refused)
{
	const struct rcc_config *cfg = sb->p->o.cfg;
	struct rcc_rule rules[RCC_MAX_RULES], prules[RCC_MAX_RULES];
	size_t i, n = 0, nrules = 0, nprules = 0;
	__u64 now = rcc_clock_ms();

	if (j->v.action == RCC_ACT_ALLOW) {
		nrules = entry_rules(j, false, rules);
		nprules = entry_rules(j, true, prules);
	}
	*stripped = *refused = 0;
	for (i = 0; i < a->naddrs; i++) {
		__u32 ttl = clamp_ttl(cfg, a->addrs[i].ttl);
		bool internal = rcc_policy_addr_internal(a->addrs[i].addr, sb->p->o.host);

		/* the rebinding guard; an internal address is allowed only for
		 * the entries that say private_ok (audit mode: noted) */
		if (internal && !nprules) {
			(*stripped)++;
			if (!j->audit)
				continue;
		}
		if (j->v.action == RCC_ACT_ALLOW && (!internal || nprules) &&
		    learn(sb, name, internal ? prules : rules, internal ? nprules : nrules,
			  a->addrs[i].addr, now + ((__u64)ttl + cfg->dns_answer_grace) * 1000)) {
			(*refused)++;
			continue;
		}
		out[n] = a->addrs[i];
		out[n++].ttl = ttl;
	}
	return n;
}

static void answer_addrs(struct rcc_dnsp_pending *pd, struct judged *j,
			 const struct rcc_dns_answer *a)
{
	struct rcc_dnsp_sandbox *sb = pd->sb;
	struct rcc_dns_addr out[RCC_DNS_ADDRS_MAX];
	size_t n, stripped, refused;
	int len;

	n = admit(sb, j, a, pd->q.name, out, &stripped, &refused);
	if (!n && refused) {
		j->verdict = "servfail";
		j->note = "no address could be allowed: the name's or the kernel's table is full";
		answer_rcode(sb, pd->msg, &pd->q, &pd->to, j, RCC_DNS_SERVFAIL, stripped);
		return;
	}
	if (!n) {
		j->verdict = stripped ? "stripped" : "answered";
		if (stripped)
			j->note = "private, loopback or host addresses (no private_ok)";
		answer_rcode(sb, pd->msg, &pd->q, &pd->to, j, RCC_DNS_NOERROR, stripped);
		return;
	}
	if (j->audit && stripped && !j->note)
		j->note = "mode = audit: private, loopback or host addresses kept, would be stripped";
	j->verdict = "answered";
	if (refused || a->addrs_dropped)
		j->note = "some addresses left out: the name's or the kernel's table is full";
	len = rcc_dns_build_addrs(pd->msg, &pd->q, out, n, sb->p->out + 2,
				  pd->to.conn ? RCC_DNS_MSG_MAX : pd->q.udp_size);
	if (len > 0)
		rcc_dnsp_reply(sb, &pd->to, len);
	count(sb, j->verdict);
	record(sb, &pd->q, &pd->to, j, out, n, stripped);
}

static void answer_relay(struct rcc_dnsp_pending *pd, struct judged *j, const __u8 *resp,
			 const struct rcc_dns_answer *a)
{
	struct rcc_dnsp_sandbox *sb = pd->sb;
	int len = rcc_dns_build_relay(pd->msg, &pd->q, resp, a, sb->p->out + 2,
				      pd->to.conn ? RCC_DNS_MSG_MAX : pd->q.udp_size);

	if (len < 0) {
		j->verdict = "servfail";
		j->note = "the upstream's answer could not be passed on";
		answer_rcode(sb, pd->msg, &pd->q, &pd->to, j, RCC_DNS_SERVFAIL, 0);
		return;
	}
	j->verdict = "answered";
	rcc_dnsp_reply(sb, &pd->to, len);
	count(sb, j->verdict);
	record(sb, &pd->q, &pd->to, j, NULL, 0, 0);
}

/* The upstream answered pd (or gave up): judged again, since a reload
 * may have come in between, then answered. */
static void upstream_done(void *ctx, int err, const __u8 *resp, size_t len,
			  const struct rcc_dns_answer *a)
{
	struct rcc_dnsp_pending *pd = ctx;
	struct judged j;

	(void)len;
	pd->upq = NULL; /* the upstream frees it */
	judge(pd->sb, &pd->q, &j);
	if (!j.ask) {
		answer_rcode(pd->sb, pd->msg, &pd->q, &pd->to, &j, j.rcode, 0);
	} else if (err) {
		j.verdict = "servfail";
		j.note = err == -ELOOP ? "a CNAME chain over 8 steps" :
					 "the upstream did not answer";
		answer_rcode(pd->sb, pd->msg, &pd->q, &pd->to, &j, RCC_DNS_SERVFAIL, 0);
	} else if (a->rcode != RCC_DNS_NOERROR) {
		j.verdict = a->rcode == RCC_DNS_NXDOMAIN ? "nxdomain" :
			    a->rcode == RCC_DNS_REFUSED	 ? "refused" :
							   "servfail";
		j.note = "the upstream's answer, passed on";
		answer_rcode(pd->sb, pd->msg, &pd->q, &pd->to, &j, a->rcode, 0);
	} else if (pd->q.qtype == RCC_DNS_T_A || pd->q.qtype == RCC_DNS_T_AAAA) {
		answer_addrs(pd, &j, a);
	} else {
		answer_relay(pd, &j, resp, a);
	}
	rcc_dnsp_pending_free(pd);
}

/* A token of the sandbox's query rate ([global] dns_query_rate a second,
 * as many in a burst). */
static bool take_token(struct rcc_dnsp_sandbox *sb, __u64 now)
{
	double rate = sb->p->o.cfg->dns_query_rate;

	sb->tokens += (now - sb->tokens_ms) * rate / 1000.0;
	if (sb->tokens > rate)
		sb->tokens = rate;
	sb->tokens_ms = now;
	if (sb->tokens < 1)
		return false;
	sb->tokens -= 1;
	return true;
}

static void ask(struct rcc_dnsp_sandbox *sb, const __u8 *msg, size_t len,
		const struct rcc_dns_query *q, const struct rcc_dnsp_client *to, struct judged *j)
{
	struct rcc_dnsp_pending *pd = NULL;
	int err = -EBUSY;

	/* each waiting query holds a socket: bounded per sandbox and in all */
	if (sb->npending < PENDING_MAX && rcc_upstream_inflight(sb->p->up) < INFLIGHT_MAX)
		pd = calloc(1, sizeof(*pd));
	if (pd) {
		pd->sb = sb;
		pd->to = *to;
		pd->q = *q;
		memcpy(pd->msg, msg, len);
		pd->len = len;
		pd->next = sb->pending;
		if (sb->pending)
			sb->pending->prev = pd;
		sb->pending = pd;
		sb->npending++;
		err = rcc_upstream_query(sb->p->up, q->name, q->qtype, upstream_done, pd, &pd->upq);
		if (err)
			rcc_dnsp_pending_free(pd);
	}
	if (err) {
		j->verdict = "servfail";
		j->note = err == -EBUSY ? "too many queries waiting" :
					  "the upstream cannot be asked";
		answer_rcode(sb, msg, q, to, j, RCC_DNS_SERVFAIL, 0);
	}
}

void rcc_dnsp_query(struct rcc_dnsp_sandbox *sb, const __u8 *msg, size_t len,
		    const struct rcc_dnsp_client *to)
{
	struct rcc_dns_query q = {};
	struct judged j = { .verdict = "refused" };
	int err;

	/* a response (QR set) is never answered: two listeners, or one and
	 * a spoofed source, would bounce it for ever */
	if (len < 12 || (msg[2] & 0x80))
		return;
	err = rcc_dns_parse_query(msg, len, &q);
	sb->stats.queries++;
	if (err) {
		j.note = err == -ENOTSUP ? "not a standard query" : "malformed";
		answer_rcode(sb, msg, &q, to, &j,
			     err == -ENOTSUP ? RCC_DNS_NOTIMP : RCC_DNS_FORMERR, 0);
		return;
	}
	if (!take_token(sb, rcc_clock_ms())) {
		j.verdict = "rate-limited";
		j.note = "over [global] dns_query_rate";
		answer_rcode(sb, msg, &q, to, &j, RCC_DNS_SERVFAIL, 0);
		return;
	}
	if (q.qclass != RCC_DNS_CLASS_IN || q.qtype == RCC_DNS_T_ANY) {
		j.note = q.qtype == RCC_DNS_T_ANY ? "ANY queries are refused" : "not class IN";
		answer_rcode(sb, msg, &q, to, &j, RCC_DNS_REFUSED, 0);
		return;
	}
	judge(sb, &q, &j);
	if (j.ask)
		ask(sb, msg, len, &q, to, &j);
	else
		answer_rcode(sb, msg, &q, to, &j, j.rcode, 0);
}
