// SPDX-License-Identifier: GPL-2.0
/*
 * oci-hook: an OCI runtime hook (createRuntime or prestart).  It reads the
 * container's state on stdin and enforces the policy on the container's
 * cgroup before the container's own process runs.  Any failure exits
 * non-zero, which makes the runtime refuse to start the container: no
 * container starts unenforced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "enforcer.h"
#include "log.h"

#define STATE_MAX (1 << 20)

static char *read_stdin(void)
{
	char *buf = malloc(STATE_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (len < STATE_MAX && (n = read(0, buf + len, STATE_MAX - len)) > 0)
		len += n;
	buf[len] = '\0';
	return buf;
}

int cmd_oci_hook(struct rcc_args *a)
{
	json_object *state, *v, *ann;
	struct rcc_config cfg;
	struct rcc_kernel k;
	char path[PATH_MAX], msg[PATH_MAX + 128], policy[64] = "";
	const char *id = "?";
	char *in = read_stdin();
	__u32 pid_id;
	int rc, r, pid = 0;
	bool loaded = false;

	state = in ? json_tokener_parse(in) : NULL;
	free(in);
	if (!state || !json_object_is_type(state, json_type_object)) {
		pr_warn("oci-hook: no OCI state JSON on stdin\n");
		json_object_put(state);
		return RCC_EXIT_USAGE;
	}
	if (json_object_object_get_ex(state, "id", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(state, "pid", &v))
		pid = json_object_get_int(v);
	if (json_object_object_get_ex(state, "annotations", &ann) &&
	    json_object_object_get_ex(ann, RCC_LABEL_POLICY, &v))
		snprintf(policy, sizeof(policy), "%s", json_object_get_string(v));
	if (pid <= 0) {
		pr_warn("oci-hook: container %s: the state has no pid; run the hook at the createRuntime or prestart stage\n",
			id);
		json_object_put(state);
		return RCC_EXIT_FAIL;
	}
	rc = cli_load_config(a, &cfg);
	if (rc) {
		pr_warn("oci-hook: container %s not started: the configuration has errors\n", id);
		json_object_put(state);
		return rc;
	}
	if (rcc_cgroup_of_pid(pid, path, sizeof(path))) {
		pr_warn("oci-hook: container %s: process %d is in no cgroup v2; not started\n", id, pid);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	/* the policies as loaded, if they are: loading is reload's job */
	if (!rcc_kernel_open(&cfg, false, false, &k)) {
		loaded = !rcc_kernel_policy_id(&k, policy[0] ? policy : cfg.default_policy, &pid_id);
		if (!loaded)
			rcc_kernel_close(&k);
	}
	if (!loaded) {
		rc = cli_open_and_apply(&cfg, &k);
		if (rc) {
			pr_warn("oci-hook: container %s not started\n", id);
			goto out;
		}
		rcc_kernel_unlock(&k);
	}
	r = rcc_enforce_container(&cfg, &k, path, policy, false, msg, sizeof(msg));
	rcc_kernel_close(&k);
	if (r < 0) {
		pr_warn("oci-hook: container %s not started: %s\n", id, msg);
		rc = RCC_EXIT_FAIL;
	}
out:
	json_object_put(state);
	rcc_config_free(&cfg);
	return rc;
}
