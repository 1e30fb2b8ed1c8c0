// SPDX-License-Identifier: GPL-2.0
/* A configuration's compiled key/value sets: plain memory, no kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "policy/ruleset.h"

static const size_t key_size[RCC_RS__MAX] = {
	[RCC_RS_PORTS] = sizeof(struct rcc_port_key),
	[RCC_RS_ADDRS] = sizeof(struct rcc_addr_key),
	[RCC_RS_PREFIXES] = sizeof(struct rcc_prefix_key),
};

static const size_t val_size[RCC_RS__MAX] = {
	[RCC_RS_PORTS] = sizeof(struct rcc_port_val),
	[RCC_RS_ADDRS] = sizeof(struct rcc_addr_val),
	[RCC_RS_PREFIXES] = sizeof(struct rcc_prefix_val),
};

static void sets_init(struct rcc_kvset sets[RCC_RS__MAX])
{
	int m;

	for (m = 0; m < RCC_RS__MAX; m++)
		rcc_kvset_init(&sets[m], key_size[m], val_size[m]);
}

static void sets_free(struct rcc_kvset sets[RCC_RS__MAX])
{
	int m;

	for (m = 0; m < RCC_RS__MAX; m++)
		rcc_kvset_free(&sets[m]);
}

/* Appends policy c's entries to rs's sets, and notes where they are. */
static int take(struct rcc_ruleset *rs, struct rcc_rs_policy *p, const struct rcc_compiled *c)
{
	const void *keys[RCC_RS__MAX] = { c->port_keys, c->addr_keys, c->prefix_keys };
	const void *vals[RCC_RS__MAX] = { c->port_vals, c->addr_vals, c->prefix_vals };
	const size_t n[RCC_RS__MAX] = { c->nports, c->naddrs, c->nprefixes };
	int m, err = 0;

	p->pol = c->pol;
	for (m = 0; !err && m < RCC_RS__MAX; m++) {
		p->first[m] = rs->sets[m].n;
		p->count[m] = n[m];
		err = rcc_kvset_append(&rs->sets[m], keys[m], vals[m], n[m]);
	}
	return err;
}

int rcc_ruleset_build(const struct rcc_config *cfg, const struct rcc_compile_opts *opts,
		      struct rcc_ruleset *out)
{
	struct rcc_ruleset rs = { .n = cfg->npolicies };
	size_t i;
	int err = 0;

	sets_init(rs.sets);
	snprintf(rs.source, sizeof(rs.source), "%s",
		 cfg->path[0] ? cfg->path : "the configuration");
	rs.policies = calloc(rs.n + 1, sizeof(*rs.policies));
	if (!rs.policies) {
		err = rcc_log_fail(-ENOMEM, "Failed to compile the policies");
		goto out;
	}
	for (i = 0; i < rs.n; i++) {
		const struct rcc_policy_cfg *pc = &cfg->policies[i];
		struct rcc_compiled c;
		/* every policy, so that every problem is printed */
		int e = rcc_policy_compile(pc, 0, opts, &c);

		snprintf(rs.policies[i].name, sizeof(rs.policies[i].name), "%s", pc->name);
		e = e ?: take(&rs, &rs.policies[i], &c);
		rcc_compiled_free(&c);
		if (e && e != -EINVAL)
			e = rcc_log_fail(e, "Failed to compile policy '%s'", pc->name);
		err = err ?: e;
	}
out:
	if (err)
		rcc_ruleset_free(&rs);
	*out = rs;
	return err;
}

void rcc_ruleset_free(struct rcc_ruleset *rs)
{
	sets_free(rs->sets);
	free(rs->policies);
	memset(rs, 0, sizeof(*rs));
}

const struct rcc_rs_policy *rcc_ruleset_policy(const struct rcc_ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strncmp(rs->policies[i].name, name, RCC_POLICY_NAME_MAX))
			return &rs->policies[i];
	return NULL;
}

__u32 rcc_ruleset_key_version(enum rcc_rs_map m, const void *key)
{
	__u32 v;

	if (m == RCC_RS_PREFIXES) {
		memcpy(&v, (const __u8 *)key + offsetof(struct rcc_prefix_key, version), sizeof(v));
		return ntohl(v);
	}
	/* rcc_port_key and rcc_addr_key both start with it */
	memcpy(&v, key, sizeof(v));
	return v;
}

static void key_set_version(enum rcc_rs_map m, __u8 *key, __u32 version)
{
	__u32 v = m == RCC_RS_PREFIXES ? htonl(version) : version;

	if (m == RCC_RS_PREFIXES)
		key += offsetof(struct rcc_prefix_key, version);
	memcpy(key, &v, sizeof(v));
}

int rcc_ruleset_label(const struct rcc_ruleset *rs, const __u32 *versions,
		      struct rcc_kvset want[RCC_RS__MAX])
{
	size_t i, j;
	int m, err = 0;

	sets_free(want);
	sets_init(want);
	for (m = 0; !err && m < RCC_RS__MAX; m++)
		err = rcc_kvset_append(&want[m], rs->sets[m].keys, rs->sets[m].vals, rs->sets[m].n);
	for (m = 0; !err && m < RCC_RS__MAX; m++)
		for (i = 0; i < rs->n; i++)
			for (j = 0; j < rs->policies[i].count[m]; j++)
				key_set_version(m,
						want[m].keys + (rs->policies[i].first[m] + j) *
								       want[m].ksz,
						versions[i]);
	if (err)
		sets_free(want);
	return err;
}
