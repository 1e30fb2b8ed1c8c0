// SPDX-License-Identifier: GPL-2.0
/* attach and detach: a cgroup's enforcement on and off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/cgroup.h"
#include "cli/cli.h"
#include "host/container.h"
#include "host/enforce.h"
#include "host/caps.h"
#include "lib/log.h"

static void print_attached(const struct rcc_policy_cfg *p, const struct rcc_container *ct,
			   const char *path)
{
	if (ct)
		printf("attached policy '%s' (%s) to container %.12s%s%s%s: %s\n", p->name,
		       p->audit ? "audit" : "enforce", ct->id, ct->name[0] ? " (" : "", ct->name,
		       ct->name[0] ? ")" : "", path);
	else
		printf("attached policy '%s' (%s) to %s\n", p->name, p->audit ? "audit" : "enforce",
		       path);
	fflush(stdout); /* before the notes on stderr */
}

int cmd_attach(struct rcc_args *a)
{
	const struct rcc_policy_cfg *p = NULL;
	struct rcc_container ct;
	struct rcc_config cfg;
	struct rcc_kernel k;
	char path[PATH_MAX], from[PATH_MAX], name[RCC_POLICY_NAME_MAX + 8];
	bool is_ct, guarded, inherited;
	__u32 id;
	int rc, err;

	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	rc = cli_target(a, path, sizeof(path), &ct, &is_ct);
	if (!rc) {
		p = cli_policy_for(&cfg, a->policy, is_ct ? &ct : NULL);
		rc = p ? RCC_EXIT_OK : RCC_EXIT_USAGE;
	}
	if (!rc)
		rc = cli_open_and_apply(&cfg, &k, NULL);
	if (rc) {
		rcc_config_free(&cfg);
		return rc;
	}
	/* unasked, a cgroup below an enforced one keeps that one's policy */
	inherited = !a->policy && !(is_ct && ct.policy[0] && !strcmp(p->name, ct.policy)) &&
		    rcc_enforce_nearest_above(&k, path, &id, from, sizeof(from));
	if (inherited) {
		rcc_kernel_policy_name(&k, id, name, sizeof(name));
		err = 0;
	} else {
		/* not loaded is an answer the kernel layer does not report;
		 * rcc_kernel_attach reports its own failures */
		err = rcc_kernel_policy_id(&k, p->name, &id);
		if (err)
			rcc_log_fail(err, "Failed to attach policy '%s' to '%s'", p->name, path);
		err = err ?: rcc_kernel_attach(&k, path, id);
		if (err == -ENOENT) /* a cgroup gone is not reported below */
			rcc_log_fail(err, "Failed to attach policy '%s' to '%s'", p->name, path);
	}
	guarded = rcc_kernel_guarded(&k);
	if (inherited) {
		printf("%s is enforced by policy '%s' of %s, the enforced cgroup above; nothing attached (--policy attaches another)\n",
		       path, name, from);
		rcc_caps_warn(path, guarded);
	} else if (err) {
		rc = RCC_EXIT_FAIL;
	} else {
		print_attached(p, is_ct ? &ct : NULL, path);
		rcc_caps_warn(path, guarded);
		cli_dns_check(&cfg, &k, path, "note: ");
	}
	rcc_kernel_close(&k);
	rcc_config_free(&cfg);
	return rc;
}

int cmd_detach(struct rcc_args *a)
{
	struct rcc_container ct;
	struct rcc_config cfg;
	struct rcc_kernel k;
	char path[PATH_MAX];
	bool is_ct;
	int rc, err;

	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	rc = cli_target(a, path, sizeof(path), &ct, &is_ct);
	if (rc)
		goto out;
	err = rcc_kernel_open(&cfg, false, true, &k);
	if (err == -ENOENT) {
		pr_warn("'%s' is not attached: nothing is loaded under '%s'\n", path, cfg.pin_dir);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	if (err) {
		rc = RCC_EXIT_FAIL; /* reported */
		goto out;
	}
	err = rcc_kernel_detach(&k, path);
	if (err == -ENOENT) {
		char from[PATH_MAX];

		if (rcc_enforce_nearest_above(&k, path, NULL, from, sizeof(from)))
			pr_warn("'%s' is not attached itself: it is enforced through '%s'; detach that one\n",
				path, from);
		else
			pr_warn("'%s' is not attached\n", path);
		rc = RCC_EXIT_FAIL;
	} else if (err) {
		rc = RCC_EXIT_FAIL; /* reported */
	} else {
		printf("detached %s\n", path);
	}
	rcc_kernel_close(&k);
out:
	rcc_config_free(&cfg);
	return rc;
}
