// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/auditdns.h"
#include "cli/run_dns.h"
#include "lib/cgroup.h"
#include "lib/clock.h"
#include "lib/log.h"

#define TICK_MS 250

static void record(const struct rcc_dnsp_record *r, void *ctx)
{
	struct run_dns *d = ctx;
	int err = rcc_auditdns_append(d->audit_log, r);

	if (err && !d->warned) {
		d->warned = true;
		pr_warn("Failed to write DNS records to the audit log '%s': %s, ignoring\n",
			d->audit_log, strerror(-err));
	}
}

int run_dns_open(struct run_dns *d, const struct rcc_config *cfg, const struct rcc_kernel *k,
		 const char *cg, const struct rcc_policy_cfg *p)
{
	struct rcc_dnsproxy_opts o = { .cfg = cfg, .record = record, .record_ctx = d };
	struct rcc_dnslisten l;
	char why[256] = "";
	int err;

	memset(d, 0, sizeof(*d));
	memset(d->map_fd, -1, sizeof(d->map_fd));
	if (!p->dns_proxy)
		return 0;
	d->audit_log = cfg->audit_log;
	err = rcc_cgroup_id(cg, &d->cgroup_id);
	if (err)
		return rcc_log_fail(err, "Failed to read the id of cgroup '%s'", cg);
	if (rcc_hostaddr_read(&d->host))
		pr_warn("Failed to read the host's addresses; the DNS rebinding guard keeps out private and loopback answers only\n");
	d->map_fd[0] = dup(k->map_fd[RCC_MAP_DNS_LISTENERS]);
	d->map_fd[1] = dup(k->map_fd[RCC_MAP_LEARNED]);
	d->map_fd[2] = dup(k->map_fd[RCC_MAP_DNS_SOCKS]);
	o.host = &d->host;
	o.listeners_fd = d->map_fd[0];
	o.learned_fd = d->map_fd[1];
	o.socks_fd = d->map_fd[2];
	err = d->map_fd[0] < 0 || d->map_fd[1] < 0 || d->map_fd[2] < 0 ?
		      -errno :
		      rcc_dnsproxy_open(&o, &d->p, why, sizeof(why));
	if (err) {
		pr_warn("Failed to answer the sandbox's DNS: %s; set [global] resolver, or dns = open in policy '%s'\n",
			why[0] ? why : strerror(-err), p->name);
		run_dns_close(d);
		return err;
	}
	err = rcc_dnslisten_open(-1, &l) ?: rcc_dnsproxy_add(d->p, d->cgroup_id, p->name, &l);
	if (err)
		run_dns_close(d);
	return err;
}

int run_dns_fd(const struct run_dns *d)
{
	return d->p ? rcc_dnsproxy_fd(d->p) : -1;
}

int run_dns_timeout_ms(const struct run_dns *d)
{
	return d->p ? TICK_MS : -1;
}

void run_dns_serve(struct run_dns *d)
{
	if (!d->p)
		return;
	rcc_dnsproxy_process(d->p);
	rcc_dnsproxy_tick(d->p, rcc_clock_ms());
}

void run_dns_close(struct run_dns *d)
{
	int i;

	if (d->p) {
		rcc_dnsproxy_remove(d->p, d->cgroup_id);
		rcc_dnsproxy_close(d->p);
		d->p = NULL;
	}
	for (i = 0; i < 3; i++)
		if (d->map_fd[i] >= 0)
			close(d->map_fd[i]);
	memset(d->map_fd, -1, sizeof(d->map_fd));
	rcc_addr_list_free(&d->host);
}
