// SPDX-License-Identifier: GPL-2.0
/*
 * The DNS proxy's audit records, folded as denials are: past [global]
 * audit_rate records a second for one key of a sandbox (an answered
 * name and type; any other verdict and type), the rest are counted, and
 * one summary record with "suppressed": N follows when the second is
 * over (it names the first name of the second).
 */
#include <string.h>

#include "host/dnsproxy_int.h"

/* An answer is folded per name; anything else per verdict alone, so that
 * a flood of made-up names (refused, rate-limited) folds too. */
static __u64 fold_key(const struct rcc_dnsp_record *r)
{
	const unsigned char *s;
	__u64 h = 1469598103934665603ull; /* FNV-1a */

	for (s = (const unsigned char *)r->name; *s && !strcmp(r->verdict, "answered"); s++)
		h = (h ^ *s) * 1099511628211ull;
	for (s = (const unsigned char *)r->verdict; *s; s++)
		h = (h ^ *s) * 1099511628211ull;
	h = (h ^ r->qtype) * 1099511628211ull;
	return h ?: 1;
}

static void emit(struct rcc_dnsp_sandbox *sb, const struct rcc_dnsp_record *r)
{
	if (sb->p->o.record)
		sb->p->o.record(r, sb->p->o.record_ctx);
}

/* The summary of a slot's folded records, if any; the slot is then free. */
static void summary(struct rcc_dnsp_sandbox *sb, struct rcc_dnsp_fold *f)
{
	struct rcc_dnsp_record r = {
		.cgroup_id = sb->cgroup_id,
		.policy = sb->policy,
		.name = f->name,
		.qtype = f->qtype,
		.transport = f->transport,
		.verdict = f->verdict,
		.suppressed = f->suppressed,
	};

	if (f->suppressed)
		emit(sb, &r);
	memset(f, 0, sizeof(*f));
}

void rcc_dnsp_record(struct rcc_dnsp_sandbox *sb, struct rcc_dnsp_record *r, __u64 now)
{
	__u64 key = fold_key(r), second = now / 1000;
	struct rcc_dnsp_fold *f = &sb->folds[key % RCC_DNSP_FOLD_SLOTS];

	if (f->key && (f->key != key || f->second != second))
		summary(sb, f);
	if (!f->key) {
		f->key = key;
		f->second = second;
		strncpy(f->name, r->name, sizeof(f->name) - 1);
		f->qtype = r->qtype;
		f->verdict = r->verdict; /* string constants */
		f->transport = r->transport;
	}
	if (++f->count > sb->p->o.cfg->audit_rate) {
		f->suppressed++;
		return;
	}
	emit(sb, r);
}

void rcc_dnsp_fold_tick(struct rcc_dnsp_sandbox *sb, __u64 now, bool final)
{
	size_t i;

	for (i = 0; i < RCC_DNSP_FOLD_SLOTS; i++) {
		struct rcc_dnsp_fold *f = &sb->folds[i];

		if (f->key && (final || f->second < now / 1000))
			summary(sb, f);
	}
}
