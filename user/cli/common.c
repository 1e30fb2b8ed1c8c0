// SPDX-License-Identifier: GPL-2.0
/* What several commands do alike: config, target cgroup, kernel state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "cli/cli.h"
#include "host/container.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "host/hostaddr.h"
#include "daemon/control.h"
#include "host/dns.h"
#include <json-c/json.h>

int cli_load_config(const struct rcc_args *a, struct rcc_config *cfg)
{
	int err = rcc_config_load(a->config, cfg);

	if (err == -EINVAL) {
		pr_warn("configuration has errors; nothing was changed\n");
		rcc_config_free(cfg);
		return RCC_EXIT_USAGE;
	}
	if (err) {
		rcc_config_free(cfg);
		return RCC_EXIT_USAGE;
	}
	return RCC_EXIT_OK;
}

const struct rcc_policy_cfg *cli_policy(const struct rcc_config *cfg, const char *name)
{
	const struct rcc_policy_cfg *p;
	size_t i;

	if (!name)
		name = "default";
	p = rcc_config_policy(cfg, name);
	if (p)
		return p;
	fprintf(stderr, "rcc-bpf: no policy '%s' in %s; policies there:", name,
		cfg->path[0] ? cfg->path : "the built-in configuration");
	for (i = 0; i < cfg->npolicies; i++)
		fprintf(stderr, " %s", cfg->policies[i].name);
	fprintf(stderr, "%s\n", cfg->npolicies ? "" : " none");
	return NULL;
}

int cli_target_cgroup(const struct rcc_args *a, char *path, size_t len)
{
	char mnt[PATH_MAX];
	int err;

	if (!!a->cgroup == !!a->pid) {
		pr_warn("give exactly one of --cgroup PATH and --pid PID\n");
		return RCC_EXIT_USAGE;
	}
	if (a->pid) {
		err = rcc_cgroup_of_pid(a->pid, path, len);
		if (err == -ESRCH)
			pr_warn("no such process: %d\n", (int)a->pid);
		else if (err)
			pr_warn("process %d is in no cgroup v2 (%s)\n", (int)a->pid,
				strerror(-err));
		return err ? RCC_EXIT_FAIL : RCC_EXIT_OK;
	}
	err = rcc_cgroup_resolve(a->cgroup, path, len);
	if (!err)
		return RCC_EXIT_OK;
	rcc_cgroup_mount(mnt, sizeof(mnt));
	if (err == -EXDEV)
		pr_warn("'%s' is not under the cgroup v2 mount %s\n", a->cgroup, mnt);
	else if (err == -ENOTDIR)
		pr_warn("'%s' is not a cgroup directory\n", a->cgroup);
	else
		pr_warn("no such cgroup '%s' (cgroup v2 is mounted at %s; create it with mkdir)\n",
			a->cgroup, mnt);
	return RCC_EXIT_FAIL;
}

struct json_object *cli_daemon_ask(const struct rcc_config *cfg, const char *req)
{
	struct json_object *answer;
	char *resp = NULL;
	int err;

	err = rcc_control_ask(cfg->control_socket, req, &resp, 2000);
	if (err) {
		if (err != -ENOENT && err != -ECONNREFUSED)
			pr_warn("rcc-bpf daemon did not answer on %s: %s\n", cfg->control_socket,
				strerror(-err));
		return NULL;
	}
	answer = json_tokener_parse(resp);
	free(resp);
	if (!answer)
		pr_warn("rcc-bpf daemon answered nonsense on %s\n", cfg->control_socket);
	return answer;
}

struct json_object *cli_daemon_names(const struct rcc_config *cfg)
{
	return cli_daemon_ask(cfg, "names");
}

int cli_compile_init(const struct rcc_config *cfg, enum rcc_dns_mode mode, struct cli_compile *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = rcc_hostaddr_read(&c->host);
	if (err)
		pr_warn("Failed to read this host's addresses: %s; block_host covers none\n",
			strerror(-err));
	return rcc_names_compile_init(&c->names, cfg, &c->host, mode, &c->o);
}

void cli_compile_prepare(const struct rcc_config *cfg, enum rcc_dns_mode mode, bool ask_daemon,
			 struct cli_compile *c)
{
	struct json_object *arr;
	struct rcc_dns *dns;
	char why[256];

	if (cli_compile_init(cfg, mode, c) || !c->names.n)
		return;
	if (ask_daemon && (arr = cli_daemon_names(cfg))) {
		rcc_names_from_json(&c->names, arr, rcc_clock_ms());
		json_object_put(arr);
		c->from_daemon = true;
	}
	/* what the daemon did not report (or everything): ask DNS once */
	if (rcc_dns_open(cfg, &c->names, &dns, why, sizeof(why))) {
		pr_warn("Failed to resolve hostnames: %s\n", why);
		return;
	}
	rcc_dns_resolve_all(dns, 5000, true);
	rcc_dns_close(dns);
}

void cli_compile_release(struct cli_compile *c)
{
	rcc_names_free(&c->names);
	rcc_addr_list_free(&c->host);
}

int cli_open_and_apply(const struct rcc_config *cfg, struct rcc_kernel *k,
		       const struct rcc_compile_opts *o)
{
	struct cli_compile own;
	int err;

	err = rcc_kernel_open(cfg, true, true, k);
	if (err)
		return RCC_EXIT_FAIL; /* reported */
	rcc_kernel_prune(k);
	if (!o) {
		/* under the lock: the daemon cannot apply between ask and load */
		cli_compile_prepare(cfg, RCC_DNS_ENFORCE, true, &own);
		err = rcc_kernel_apply(k, cfg, &own.o);
		cli_compile_release(&own);
	} else {
		err = rcc_kernel_apply(k, cfg, o);
	}
	if (!err)
		return RCC_EXIT_OK;
	rcc_kernel_close(k);
	/* the kernel layer said what failed; what it means: */
	pr_warn("nothing was changed; the policies already loaded keep enforcing\n");
	return err == -EINVAL || err == -EBUSY || err == -ENOSPC ? RCC_EXIT_USAGE : RCC_EXIT_FAIL;
}

int cli_target(const struct rcc_args *a, char *path, size_t len, struct rcc_container *c,
	       bool *is_container)
{
	char err[2048];
	int rc;

	*is_container = false;
	if (!a->argc)
		return cli_target_cgroup(a, path, len);
	if (a->cgroup || a->pid) {
		pr_warn("give a CONTAINER, --cgroup PATH or --pid PID: one of them\n");
		return RCC_EXIT_USAGE;
	}
	rc = rcc_container_find(a->argv[0], c, err, sizeof(err));
	if (rc) {
		pr_warn("%s\n", err);
		return RCC_EXIT_FAIL;
	}
	snprintf(path, len, "%s", c->cgroup);
	*is_container = true;
	return RCC_EXIT_OK;
}

const struct rcc_policy_cfg *cli_policy_for(const struct rcc_config *cfg, const char *option,
					    const struct rcc_container *c)
{
	const struct rcc_policy_cfg *p;

	char why[128];

	if (option || !c)
		return cli_policy(cfg, option);
	if (c->policy[0]) {
		p = rcc_config_label_policy(cfg, c->policy, why, sizeof(why));
		if (p)
			return p;
		/* enforced all the same: the inherited or default policy */
		pr_warn("container %.12s: its label " RCC_LABEL_POLICY
			"=%s chooses nothing (%s); the inherited or default policy holds\n",
			c->id, c->policy, why);
	}
	return cli_policy(cfg, cfg->default_policy);
}

void cli_dns_check(const struct rcc_config *cfg, struct rcc_kernel *k, const char *path,
		   const char *prefix)
{
	char name[RCC_POLICY_NAME_MAX + 8];
	const struct rcc_policy_cfg *p;
	struct json_object *pong;
	__u64 id;
	__u32 pid;
	int i;

	if (!rcc_kernel_is_attached(k, path, &pid) || rcc_cgroup_id(path, &id) ||
	    rcc_kernel_policy_name(k, pid, name, sizeof(name)))
		return;
	p = rcc_config_policy(cfg, name);
	if (!p || !p->dns_proxy)
		return;
	pong = cli_daemon_ask(cfg, "ping");
	if (!pong) {
		pr_warn("%spolicy '%s' has dns = proxy, and no rcc-bpf daemon answers on %s: the DNS queries of %s fail (ECONNREFUSED) until one runs (systemctl start rcc-bpf), or set dns = open\n",
			prefix, name, cfg->control_socket, path);
		return;
	}
	json_object_put(pong);
	rcc_kernel_unlock(k); /* the daemon may need the lock meanwhile */
	for (i = 0; i < 40 && !rcc_kernel_dns_listening(k, id); i++)
		usleep(50000);
	if (!rcc_kernel_dns_listening(k, id))
		pr_warn("%sthe daemon has no DNS listener for %s yet (it needs a process in the cgroup): its first queries may fail\n",
			prefix, path);
}
