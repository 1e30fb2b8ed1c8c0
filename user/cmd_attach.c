// SPDX-License-Identifier: GPL-2.0
/* attach and detach: a cgroup's enforcement on and off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "log.h"

int cmd_attach(struct rcc_args *a)
{
	const struct rcc_policy_cfg *p = NULL;
	struct rcc_container ct;
	struct rcc_config cfg;
	struct rcc_kernel k;
	char path[PATH_MAX];
	bool is_ct, guarded;
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
	err = rcc_kernel_policy_id(&k, p->name, &id);
	err = err ?: rcc_kernel_attach(&k, path, id);
	guarded = rcc_kernel_guarded(&k);
	rcc_kernel_close(&k);
	if (err) {
		pr_warn("Failed to attach policy '%s' to '%s': %s\n", p->name, path,
			strerror(-err));
		rc = RCC_EXIT_FAIL;
	} else {
		if (is_ct)
			printf("attached policy '%s' (%s) to container %.12s%s%s%s: %s\n", p->name,
			       p->audit ? "audit" : "enforce", ct.id, ct.name[0] ? " (" : "",
			       ct.name, ct.name[0] ? ")" : "", path);
		else
			printf("attached policy '%s' (%s) to %s\n", p->name,
			       p->audit ? "audit" : "enforce", path);
		cli_warn_caps(path, guarded);
	}
	rcc_config_free(&cfg);
	return rc;
}

struct cover {
	struct rcc_kernel *k;
	char path[PATH_MAX];
};

static int covered_by(const char *path, __u64 id, void *ctx)
{
	struct cover *c = ctx;
	struct rcc_cgroup_val v;

	if (bpf_map_lookup_elem(c->k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return 0;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 1;
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
		pr_warn("'%s' is not attached: nothing is loaded under '%s'\n", path,
			cfg.pin_dir);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	if (err) {
		pr_warn("Failed to open the BPF state under '%s': %s\n", cfg.pin_dir,
			strerror(-err));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	err = rcc_kernel_detach(&k, path);
	if (err == -ENOENT) {
		struct cover c = { .k = &k };

		if (rcc_cgroup_ancestors(path, covered_by, &c) == 1)
			pr_warn("'%s' is not attached itself: it is enforced through '%s'; detach that one\n",
				path, c.path);
		else
			pr_warn("'%s' is not attached\n", path);
		rc = RCC_EXIT_FAIL;
	} else if (err) {
		pr_warn("Failed to detach '%s': %s\n", path, strerror(-err));
		rc = RCC_EXIT_FAIL;
	} else {
		printf("detached %s\n", path);
	}
	rcc_kernel_close(&k);
out:
	rcc_config_free(&cfg);
	return rc;
}
