// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "cli/status_dns.h"
#include "lib/cgroup.h"

void status_dns_cgroup_json(json_object *o, const struct rcc_cgroup_info *cg)
{
	json_object_object_add(o, "dns_port",
			       cg->dns_port ? json_object_new_int(cg->dns_port) : NULL);
	json_object_object_add(o, "dns_learned", json_object_new_int64(cg->dns_learned));
}

/* The daemon's sandbox object for a cgroup id; NULL: not one of its. */
static json_object *daemon_sandbox(json_object *daemon, __u64 id)
{
	json_object *arr, *sb, *v;
	size_t i;

	if (!daemon || !json_object_object_get_ex(daemon, "sandboxes", &arr))
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		sb = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(sb, "cgroup_id", &v) &&
		    (__u64)json_object_get_uint64(v) == id)
			return sb;
	}
	return NULL;
}

static __u64 stat_of(json_object *sb, const char *key)
{
	json_object *q, *v;

	return json_object_object_get_ex(sb, "queries", &q) &&
			       json_object_object_get_ex(q, key, &v) ?
		       json_object_get_uint64(v) :
		       0;
}

/* The names the daemon's answers allowed one sandbox. */
static void names_text(json_object *sb)
{
	json_object *names, *n, *addrs, *a, *v;
	size_t i, j;

	if (!json_object_object_get_ex(sb, "names", &names))
		return;
	for (i = 0; i < json_object_array_length(names); i++) {
		n = json_object_array_get_idx(names, i);
		json_object_object_get_ex(n, "addresses", &addrs);
		printf("        %s:", json_object_get_string(json_object_object_get(n, "name")));
		for (j = 0; addrs && j < json_object_array_length(addrs); j++) {
			a = json_object_array_get_idx(addrs, j);
			json_object_object_get_ex(a, "expires_in_s", &v);
			printf(" %s (%llds)",
			       json_object_get_string(json_object_object_get(a, "address")),
			       (long long)json_object_get_int64(v));
		}
		putchar('\n');
	}
}

static void cgroup_text(const struct rcc_cgroup_info *cg, const char *policy, bool by_run,
			json_object *daemon)
{
	json_object *sb = daemon_sandbox(daemon, cg->id);
	const char *path = cg->path[0] ? cg->path : "(removed cgroup)";

	if (!cg->dns_port || (!sb && !by_run)) {
		printf("    %s (policy %s): NOBODY ANSWERS: %s; its queries fail (ECONNREFUSED) until `rcc-bpf daemon` runs, or set dns = open\n",
		       path, policy,
		       cg->dns_port ? "the daemon that answered it is not running" : "no listener");
		return;
	}
	printf("    %s (policy %s): answered on 127.0.0.1:%u by %s; %u address%s allowed by answers\n",
	       path, policy, cg->dns_port, sb ? "the daemon" : "its rcc-bpf run", cg->dns_learned,
	       cg->dns_learned == 1 ? "" : "es");
	if (!sb)
		return;
	printf("        queries %llu: answered %llu, nxdomain %llu, stripped %llu, refused %llu, rate-limited %llu, servfail %llu\n",
	       (unsigned long long)stat_of(sb, "queries"),
	       (unsigned long long)stat_of(sb, "answered"),
	       (unsigned long long)stat_of(sb, "nxdomain"),
	       (unsigned long long)stat_of(sb, "stripped"),
	       (unsigned long long)stat_of(sb, "refused"),
	       (unsigned long long)stat_of(sb, "rate_limited"),
	       (unsigned long long)stat_of(sb, "servfail"));
	names_text(sb);
}

void status_dns_text(const struct rcc_config *cfg, const struct rcc_cgroup_info *cg, size_t n,
		     status_policy_fn policy, void *ctx, json_object *daemon)
{
	char mnt[PATH_MAX], run[PATH_MAX * 2 + 2];
	json_object *running, *why;
	size_t i, shown = 0;

	rcc_cgroup_mount(mnt, sizeof(mnt));
	snprintf(run, sizeof(run), "%s/%s/", mnt, cfg->run_cgroup);
	for (i = 0; i < n; i++) {
		__u32 flags = 0;
		const char *name = policy(cg[i].policy_id, &flags, ctx);

		if (!(flags & RCC_POL_DNS_PROXY))
			continue;
		if (!shown++)
			printf("DNS (dns = proxy: rcc-bpf answers, the answers decide):\n");
		cgroup_text(&cg[i], name, !strncmp(cg[i].path, run, strlen(run)), daemon);
	}
	if (shown && daemon && json_object_object_get_ex(daemon, "running", &running) &&
	    !json_object_get_boolean(running) && json_object_object_get_ex(daemon, "why", &why))
		printf("    the daemon's DNS proxy is not running: %s\n",
		       json_object_get_string(why));
}
