// SPDX-License-Identifier: GPL-2.0
/* reload, check, validate: the configuration and what it means. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/log.h"
#include "daemon/control.h"
#include "host/dns.h"
#include "policy/dnsname.h"
#include <json-c/json.h>

/* A daemon runs: it reloads, so that its names and ours agree. */
static int reload_by_daemon(const struct rcc_config *cfg, int *rc)
{
	struct json_object *o, *v;
	char *resp = NULL;
	int err = rcc_control_ask(cfg->control_socket, "reload", &resp, 30000);

	if (err == -ENOENT || err == -ECONNREFUSED)
		return -ENOENT;
	if (err) {
		pr_warn("rcc-bpf daemon on %s did not answer the reload (%s); see its log\n",
			cfg->control_socket, strerror(-err));
		*rc = RCC_EXIT_FAIL;
		return 0;
	}
	o = json_tokener_parse(resp);
	free(resp);
	if (o && json_object_object_get_ex(o, "config", &v) &&
	    strcmp(json_object_get_string(v), cfg->path)) {
		pr_warn("rcc-bpf daemon runs with %s, not %s: it reloaded its own file\n",
			json_object_get_string(v),
			cfg->path[0] ? cfg->path : "the built-in default");
	}
	if (o && json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v)) {
		printf("rcc-bpf daemon reloaded %s\n",
		       json_object_object_get_ex(o, "config", &v) ? json_object_get_string(v) : "");
		*rc = RCC_EXIT_OK;
	} else {
		pr_warn("rcc-bpf daemon kept the configuration in force: %s\n",
			o && json_object_object_get_ex(o, "error", &v) ? json_object_get_string(v) :
									 "see its log");
		*rc = RCC_EXIT_USAGE;
	}
	json_object_put(o);
	return 0;
}

int cmd_reload(struct rcc_args *a)
{
	struct rcc_config cfg;
	struct rcc_kernel k;
	int rc = cli_load_config(a, &cfg);

	if (rc)
		return rc;
	if (!reload_by_daemon(&cfg, &rc)) {
		rcc_config_free(&cfg);
		return rc;
	}
	rc = cli_open_and_apply(&cfg, &k, NULL);
	if (!rc) {
		rcc_kernel_close(&k);
		printf("reloaded %zu %s from %s\n", cfg.npolicies,
		       cfg.npolicies == 1 ? "policy" : "policies",
		       cfg.path[0] ? cfg.path : "the built-in default");
	}
	rcc_config_free(&cfg);
	return rc;
}

int cmd_validate(struct rcc_args *a)
{
	struct cli_compile cc;
	struct rcc_config cfg;
	size_t i;
	int rc = cli_load_config(a, &cfg), bad = 0;

	if (rc)
		return rc;
	cli_compile_prepare(&cfg, RCC_DNS_STRICT, false, &cc);
	for (i = 0; i < cfg.npolicies; i++) {
		struct rcc_compiled c;

		if (rcc_policy_compile(&cfg.policies[i], i + 1, &cc.o, &c))
			bad = 1;
		else
			rcc_compiled_free(&c);
	}
	cli_compile_release(&cc);
	if (bad) {
		pr_warn("configuration has errors\n");
		rc = RCC_EXIT_USAGE;
	} else {
		printf("%s: ok (%zu %s)\n", cfg.path[0] ? cfg.path : "built-in default",
		       cfg.npolicies, cfg.npolicies == 1 ? "policy" : "policies");
	}
	rcc_config_free(&cfg);
	return rc;
}

/* PORT[/PROTO] or PROTO alone; default tcp, port 0 for icmp. */
static int parse_port_proto(const char *s, __u16 *port, __u8 *proto)
{
	char buf[64], *slash;
	unsigned long v;
	char *end;

	*port = 0;
	*proto = RCC_PROTO_TCP;
	if (!s)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		*proto = rcc_addr_proto_parse(slash + 1);
		if (!*proto)
			return -EINVAL;
	} else if (rcc_addr_proto_parse(buf)) {
		*proto = rcc_addr_proto_parse(buf);
		return 0;
	}
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || *end || !buf[0] || v > 65535)
		return -EINVAL;
	if (*proto == RCC_PROTO_ICMP && v)
		return -EINVAL;
	*port = v;
	return 0;
}

/* HOST as the kernel sees it: the daemon's addresses for a name it
 * keeps, else one DNS answer.  How many, or -1 with a message. */
static int check_resolve(const struct rcc_config *cfg, struct cli_compile *cc, const char *host,
			 __u8 (*addrs)[16], size_t max)
{
	struct rcc_name *r = rcc_names_find(&cc->names, host);
	struct rcc_names one;
	struct rcc_name rec = { .name = (char *)host };
	struct rcc_dns *dns;
	char why[256];
	int n;

	if (r && r->n) {
		n = rcc_names_lookup(host, addrs, max, &cc->names);
		printf("%s: %d address%s (%s; an allow entry's name)\n", host, n,
		       n == 1 ? "" : "es",
		       cc->from_daemon ? "as rcc-bpf daemon keeps them" : "resolved now");
		return n;
	}
	rcc_names_init(&one, cfg, &cc->host);
	one.v = &rec;
	one.n = 1;
	if (rcc_dns_open(cfg, &one, &dns, why, sizeof(why))) {
		pr_warn("check: cannot resolve '%s': %s\n", host, why);
		return -1;
	}
	rcc_dns_resolve_all(dns, 5000, false);
	rcc_dns_close(dns);
	n = rec.n ? rcc_names_lookup(host, addrs, max, &one) : -1;
	if (n < 0)
		pr_warn("check: cannot resolve '%s': %s\n", host, rec.last_error);
	else
		printf("%s: %d address%s (resolved now)\n", host, n, n == 1 ? "" : "es");
	free(rec.addrs);
	free(rec.internal);
	return n;
}

/*
 * Loopback leads to the sandbox's own namespace or to the host, depending
 * on where the sandbox runs (rule 3): when no entry decided, say both.
 */
static void check_loopback_cases(const struct rcc_policy_cfg *p, const struct rcc_compiled *c,
				 const __u8 addr[16], __u16 port, __u8 proto)
{
	static const struct {
		__u32 where;
		const char *label;
	} cases[] = {
		{ RCC_WHERE_HOST,
		  "in the host's network namespace (rcc-bpf run, --network=host), a host service" },
		{ RCC_WHERE_OWN_LISTENER,
		  "in the host's network namespace, a socket bound inside the sandbox's own cgroup" },
	};
	struct rcc_explain x;
	char line[512];
	size_t i;

	rcc_compiled_judge(c, addr, port, proto, &x);
	if (!rcc_addr_is_loopback(addr) || x.reason == RCC_R_ALLOW_RULE ||
	    x.reason == RCC_R_DENY_RULE)
		return;
	printf("  (above: in the sandbox's own network namespace, a container's)\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rcc_compiled_judge_at(c, cases[i].where, addr, port, proto, &x);
		rcc_policy_explain_format(p, &x, line, sizeof(line));
		printf("  %s: %s\n", cases[i].label, line);
	}
}

/* Each of n addresses under p, as the kernel judges it: one line each
 * (named: the address first, and why an internal one is refused). */
static int check_addresses(const struct rcc_policy_cfg *p, struct cli_compile *cc,
			   const __u8 (*addrs)[16], int n, bool named, __u16 port, __u8 proto)
{
	struct rcc_compiled c;
	int i;

	if (rcc_policy_compile(p, 1, &cc->o, &c))
		return RCC_EXIT_USAGE;
	for (i = 0; i < n; i++) {
		struct rcc_explain x;
		char line[512], shown[64];

		rcc_compiled_judge(&c, addrs[i], port, proto, &x);
		rcc_policy_explain_format(p, &x, line, sizeof(line));
		if (named) {
			rcc_addr_prefix_format(addrs[i], 128, shown, sizeof(shown));
			printf("%s: %s%s\n", shown, line,
			       x.action != RCC_ACT_ALLOW &&
					       rcc_policy_addr_internal(addrs[i], &cc->host) ?
				       " [an internal address: allow = NAME entries need private_ok for it]" :
				       "");
		} else {
			printf("%s\n", line);
		}
		check_loopback_cases(p, &c, addrs[i], port, proto);
	}
	rcc_compiled_free(&c);
	return RCC_EXIT_OK;
}

/* check ADDRESS: its verdict under one policy (--policy, else default). */
static int check_address(const struct rcc_args *a, const struct rcc_config *cfg,
			 const __u8 addr[16], __u16 port, __u8 proto)
{
	const struct rcc_policy_cfg *p = cli_policy(cfg, a->policy);
	struct cli_compile cc;
	int rc;

	if (!p)
		return RCC_EXIT_USAGE;
	cli_compile_prepare(cfg, RCC_DNS_ENFORCE, true, &cc);
	rc = check_addresses(p, &cc, (const __u8(*)[16])addr, 1, false, port, proto);
	cli_compile_release(&cc);
	return rc;
}

/*
 * check NAME: under each policy (or --policy's), what rcc-bpf's DNS proxy
 * answers and which entry decides; under dns = open the name is resolved
 * here (once) and each address explained.  asked: a PORT[/PROTO] was given.
 */
static int check_name(const struct rcc_args *a, const struct rcc_config *cfg, const char *name,
		      __u16 port, __u8 proto, bool asked)
{
	const struct rcc_policy_cfg *only = a->policy ? cli_policy(cfg, a->policy) : NULL;
	size_t i = only ? (size_t)(only - cfg->policies) : 0;
	size_t end = only ? i + 1 : cfg->npolicies;
	struct cli_compile cc = {};
	bool prepared = false;
	__u8 addrs[64][16];
	int n = 0, rc = RCC_EXIT_OK;

	if (a->policy && !only)
		return RCC_EXIT_USAGE;
	for (; i < end && rc == RCC_EXIT_OK; i++) {
		const struct rcc_policy_cfg *p = &cfg->policies[i];
		char line[1024];

		rcc_dnsname_explain(p, name, port, asked ? proto : 0, line, sizeof(line));
		printf("%s: %s: %s\n", p->name, name, line);
		if (p->dns_proxy)
			continue;
		if (!prepared) {
			cli_compile_prepare(cfg, RCC_DNS_ENFORCE, true, &cc);
			prepared = true;
			n = check_resolve(cfg, &cc, name, addrs, 64);
		}
		rc = n < 0 ? RCC_EXIT_FAIL : check_addresses(p, &cc, addrs, n, true, port, proto);
	}
	if (prepared)
		cli_compile_release(&cc);
	return rc;
}

int cmd_check(struct rcc_args *a)
{
	char name[RCC_HOSTNAME_MAX];
	struct rcc_config cfg;
	bool v4, is_addr;
	__u8 addr[16];
	__u16 port;
	__u8 proto;
	int rc;

	if (parse_port_proto(a->argc > 1 ? a->argv[1] : NULL, &port, &proto)) {
		pr_warn("check: bad PORT[/PROTO] '%s' (e.g. 443, 53/udp, icmp)\n", a->argv[1]);
		return RCC_EXIT_USAGE;
	}
	is_addr = !rcc_addr_parse(a->argv[0], addr, &v4);
	if (!is_addr && (!rcc_addr_hostname_valid(a->argv[0]) ||
			 rcc_dnsname_normalize(a->argv[0], name, sizeof(name)))) {
		pr_warn("check: bad address '%s'\n", a->argv[0]);
		return RCC_EXIT_USAGE;
	}
	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	if (is_addr)
		rc = check_address(a, &cfg, addr, port, proto);
	else
		rc = check_name(a, &cfg, name, port, proto, a->argc > 1);
	rcc_config_free(&cfg);
	return rc;
}
