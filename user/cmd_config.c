// SPDX-License-Identifier: GPL-2.0
/* reload, check, validate: the configuration and what it means. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "netinfo.h"

int cmd_reload(struct rcc_args *a)
{
	struct rcc_config cfg;
	struct rcc_kernel k;
	int rc = cli_load_config(a, &cfg);

	if (rc)
		return rc;
	rc = cli_open_and_apply(&cfg, &k);
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
	struct rcc_compile_opts o;
	struct rcc_addr_list host;
	struct rcc_config cfg;
	size_t i;
	int rc = cli_load_config(a, &cfg), bad = 0;

	if (rc)
		return rc;
	cli_compile_opts(&cfg, &o, &host);
	for (i = 0; i < cfg.npolicies; i++) {
		struct rcc_compiled c;

		if (rcc_policy_compile(&cfg.policies[i], i + 1, &o, &c))
			bad = 1;
		else
			rcc_compiled_free(&c);
	}
	rcc_addr_list_free(&host);
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
		*proto = rcc_proto_parse(slash + 1);
		if (!*proto)
			return -EINVAL;
	} else if (rcc_proto_parse(buf)) {
		*proto = rcc_proto_parse(buf);
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

int cmd_check(struct rcc_args *a)
{
	const struct rcc_policy_cfg *p;
	struct rcc_compile_opts o;
	struct rcc_addr_list host;
	struct rcc_compiled c;
	struct rcc_config cfg;
	__u8 addrs[64][16];
	__u16 port;
	__u8 proto;
	bool v4;
	int rc, n, i;

	if (parse_port_proto(a->argc > 1 ? a->argv[1] : NULL, &port, &proto)) {
		pr_warn("check: bad PORT[/PROTO] '%s' (e.g. 443, 53/udp, icmp)\n", a->argv[1]);
		return RCC_EXIT_USAGE;
	}
	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	p = cli_policy(&cfg, a->policy);
	if (!p) {
		rcc_config_free(&cfg);
		return RCC_EXIT_USAGE;
	}
	if (!rcc_addr_parse(a->argv[0], addrs[0], &v4)) {
		n = 1;
	} else if (rcc_hostname_valid(a->argv[0])) {
		n = rcc_resolve_system(a->argv[0], addrs, 64, NULL);
		if (n < 0) {
			pr_warn("check: cannot resolve '%s'\n", a->argv[0]);
			rcc_config_free(&cfg);
			return RCC_EXIT_FAIL;
		}
	} else {
		pr_warn("check: bad address '%s'\n", a->argv[0]);
		rcc_config_free(&cfg);
		return RCC_EXIT_USAGE;
	}
	cli_compile_opts(&cfg, &o, &host);
	if (rcc_policy_compile(p, 1, &o, &c)) {
		rcc_addr_list_free(&host);
		rcc_config_free(&cfg);
		return RCC_EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		struct rcc_explain x;
		char line[512], shown[64];

		rcc_compiled_judge(&c, addrs[i], port, proto, &x);
		rcc_explain_format(p, &x, line, sizeof(line));
		if (n > 1) {
			rcc_prefix_format(addrs[i], 128, shown, sizeof(shown));
			printf("%s: %s\n", shown, line);
		} else {
			printf("%s\n", line);
		}
	}
	rcc_compiled_free(&c);
	rcc_addr_list_free(&host);
	rcc_config_free(&cfg);
	return RCC_EXIT_OK;
}
