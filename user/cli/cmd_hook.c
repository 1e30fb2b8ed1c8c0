// SPDX-License-Identifier: GPL-2.0
/*
 * oci-hook: an OCI runtime hook (createRuntime or prestart).  It reads the
 * container's state on stdin and enforces the policy on the container's
 * cgroup before the container's own process runs.  Any failure exits
 * non-zero, which makes the runtime refuse to start the container: no
 * container starts unenforced.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "lib/cgroup.h"
#include "cli/cli.h"
#include "host/container.h"
#include "host/enforce.h"
#include "lib/log.h"
#include "lib/util.h"

#define STATE_MAX (1 << 20)

/* What the bundle's config.json grants the container. */
struct bundle_caps {
	bool read;	/* false: config.json could not be read */
	bool userns;	/* a user namespace of its own */
	bool bpf;	/* CAP_SYS_ADMIN or CAP_BPF */
	bool net_admin; /* CAP_NET_ADMIN */
};

/*
 * Whether process pid's user namespace maps host uid 0: then its root is
 * the host's root (and so is a process in the host's own namespace).
 * Cannot tell: yes.
 */
static bool maps_host_root(int pid)
{
	char path[64];
	unsigned long inside, outside, count;
	bool mapped = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3)
		mapped |= outside == 0 && count > 0;
	fclose(f);
	return mapped;
}

static struct bundle_caps bundle_caps(const char *bundle, int pid)
{
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	json_object *cfg, *proc, *caps, *set, *linux_, *nss;
	struct bundle_caps bc = {};
	char path[PATH_MAX];
	size_t i, j;

	cfg = bundle && !rcc_snprintf(path, sizeof(path), "%s/config.json", bundle) ?
		      json_object_from_file(path) :
		      NULL;
	if (!cfg)
		return bc;
	bc.read = true;
	if (json_object_object_get_ex(cfg, "linux", &linux_) &&
	    json_object_object_get_ex(linux_, "namespaces", &nss)) {
		for (i = 0; i < json_object_array_length(nss); i++) {
			json_object *t, *ns = json_object_array_get_idx(nss, i);

			if (json_object_object_get_ex(ns, "type", &t) &&
			    !strcmp(json_object_get_string(t), "user"))
				bc.userns = true;
		}
	}
	if (json_object_object_get_ex(cfg, "process", &proc) &&
	    json_object_object_get_ex(proc, "capabilities", &caps)) {
		for (i = 0; i < 3; i++) {
			if (!json_object_object_get_ex(caps, sets[i], &set))
				continue;
			for (j = 0; j < json_object_array_length(set); j++) {
				const char *c =
					json_object_get_string(json_object_array_get_idx(set, j));

				bc.bpf |= !strcmp(c, "CAP_SYS_ADMIN") || !strcmp(c, "CAP_BPF");
				bc.net_admin |= !strcmp(c, "CAP_NET_ADMIN");
			}
		}
	}
	json_object_put(cfg);
	/* a user namespace that maps host uid 0 is no user namespace */
	if (bc.userns && maps_host_root(pid))
		bc.userns = false;
	return bc;
}

/*
 * Podman copies an image's annotations into its containers' (containers/
 * storage keeps the image beside the bundle: GRAPH/overlay-containers/ID/
 * userdata, GRAPH/overlay-containers/containers.json, GRAPH/overlay-images/
 * IMAGE/manifest).  Whether value, the container's rcc-bpf.policy
 * annotation, is its image's own; true also when that cannot be told.
 */
static bool annotation_from_image(const char *bundle, const char *id, const char *value)
{
	char graph[PATH_MAX], path[PATH_MAX + 64], *end;
	json_object *all = NULL, *man = NULL, *v, *ann;
	const char *image = NULL;
	bool from_image = true; /* until told otherwise */
	size_t i;

	if (rcc_snprintf(graph, sizeof(graph), "%s", bundle ?: "") ||
	    rcc_snprintf(path, sizeof(path), "/overlay-containers/%s/userdata", id))
		goto out;
	end = strstr(graph, "/overlay-containers/");
	if (!end || strcmp(end, path))
		goto out;
	*end = '\0';
	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", graph);
	all = json_object_from_file(path);
	for (i = 0; all && json_object_is_type(all, json_type_array) &&
		    i < json_object_array_length(all) && !image;
	     i++) {
		json_object *c = json_object_array_get_idx(all, i);

		if (json_object_object_get_ex(c, "id", &v) &&
		    !strcmp(json_object_get_string(v), id))
			image = json_object_object_get_ex(c, "image", &v) ?
					json_object_get_string(v) :
					"";
	}
	if (!image)
		goto out;
	if (!*image || strchr(image, '/') || strstr(image, "..")) {
		from_image = !!*image; /* "": its own root filesystem, no image */
		goto out;
	}
	snprintf(path, sizeof(path), "%s/overlay-images/%s/manifest", graph, image);
	man = json_object_from_file(path);
	if (man)
		from_image = json_object_object_get_ex(man, "annotations", &ann) &&
			     json_object_object_get_ex(ann, RCC_LABEL_POLICY, &v) &&
			     !strcmp(json_object_get_string(v), value);
out:
	json_object_put(man);
	json_object_put(all);
	return from_image;
}

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

/* What the hook needs of the OCI state. */
struct hook_state {
	char id[256];
	int pid;
	char bundle[PATH_MAX];
	char policy[64]; /* the rcc-bpf.policy annotation, "" if none */
};

static void json_str(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

/* The OCI state from stdin; RCC_EXIT_*, with the message printed. */
static int read_state(struct hook_state *st)
{
	json_object *state, *v, *ann;
	char *in = read_stdin();
	int rc = RCC_EXIT_OK;

	memset(st, 0, sizeof(*st));
	strcpy(st->id, "?");
	state = in ? json_tokener_parse(in) : NULL;
	free(in);
	if (!state || !json_object_is_type(state, json_type_object)) {
		pr_warn("oci-hook: no OCI state JSON on stdin\n");
		rc = RCC_EXIT_USAGE;
		goto out;
	}
	json_str(state, "id", st->id, sizeof(st->id));
	json_str(state, "bundle", st->bundle, sizeof(st->bundle));
	if (json_object_object_get_ex(state, "pid", &v))
		st->pid = json_object_get_int(v);
	if (json_object_object_get_ex(state, "annotations", &ann))
		json_str(ann, RCC_LABEL_POLICY, st->policy, sizeof(st->policy));
	if (st->pid <= 0) {
		pr_warn("oci-hook: container %s: the state has no pid; run the hook at the createRuntime or prestart stage\n",
			st->id);
		rc = RCC_EXIT_FAIL;
	}
out:
	json_object_put(state);
	return rc;
}

/* The policy the annotation chooses, if it may: else "" (image) or an
 * error (a policy it may not choose); RCC_EXIT_*. */
static int check_annotation(const struct rcc_config *cfg, struct hook_state *st)
{
	char why[PATH_MAX + 128];

	if (st->policy[0] &&
	    annotation_from_image(st->bundle[0] ? st->bundle : NULL, st->id, st->policy)) {
		pr_warn("oci-hook: container %s: its annotation " RCC_LABEL_POLICY
			"=%s comes from its image (or that cannot be told): ignored; an annotation given at run time chooses\n",
			st->id, st->policy);
		st->policy[0] = '\0';
	}
	if (st->policy[0] && !rcc_config_label_policy(cfg, st->policy, why, sizeof(why))) {
		pr_warn("oci-hook: container %s not started: its annotation " RCC_LABEL_POLICY
			"=%s chooses nothing: %s\n",
			st->id, st->policy, why);
		return RCC_EXIT_FAIL;
	}
	return RCC_EXIT_OK;
}

/* The kernel side with the policies loaded: as they are when the one
 * the container needs is there (loading is reload's job), else loaded
 * now.  Unlocked on return; RCC_EXIT_*. */
static int open_loaded(const struct rcc_config *cfg, const struct hook_state *st,
		       struct rcc_kernel *k)
{
	__u32 policy_id;
	int rc;

	if (!rcc_kernel_open(cfg, false, false, k)) {
		if (!rcc_kernel_policy_id(k, st->policy[0] ? st->policy : cfg->default_policy,
					  &policy_id))
			return RCC_EXIT_OK;
		rcc_kernel_close(k);
	}
	rc = cli_open_and_apply(cfg, k, NULL);
	if (rc) {
		pr_warn("oci-hook: container %s not started\n", st->id);
		return rc;
	}
	rcc_kernel_unlock(k);
	return RCC_EXIT_OK;
}

/* A container that could undo or bypass its enforcement is not started,
 * unless the configuration says it may be; RCC_EXIT_*. */
static int check_caps(const struct rcc_config *cfg, struct rcc_kernel *k,
		      const struct hook_state *st)
{
	struct bundle_caps caps = bundle_caps(st->bundle[0] ? st->bundle : NULL, st->pid);
	bool enforced = st->policy[0] || cfg->enforce_all;
	const char *unread = caps.read ? "" : " (or its bundle could not be read)";

	if (enforced && !rcc_kernel_guarded(k) && !cfg->allow_sys_admin &&
	    (!caps.read || (caps.bpf && !caps.userns))) {
		pr_warn("oci-hook: container %s not started: it holds CAP_SYS_ADMIN or CAP_BPF without a user namespace%s, and this kernel runs no bpf() guard (BPF LSM), so it could detach its own enforcement; drop those capabilities, use a user namespace, or set [containers] allow_sys_admin = yes\n",
			st->id, unread);
		return RCC_EXIT_FAIL;
	}
	/* tunnels (VXLAN) and tun with forwarding send what no hook judges */
	if (enforced && !cfg->allow_net_admin && (!caps.read || caps.net_admin)) {
		pr_warn("oci-hook: container %s not started: it holds CAP_NET_ADMIN%s, with which a VXLAN tunnel or a tun device with forwarding sends packets that no cgroup hook judges; drop it (--cap-drop NET_ADMIN) or set [containers] allow_net_admin = yes\n",
			st->id, unread);
		return RCC_EXIT_FAIL;
	}
	return RCC_EXIT_OK;
}

int cmd_oci_hook(struct rcc_args *a)
{
	char path[PATH_MAX], msg[PATH_MAX + 128];
	struct rcc_config cfg = {};
	struct rcc_kernel k;
	struct hook_state st;
	bool opened = false;
	int rc;

	rc = read_state(&st);
	if (rc)
		return rc;
	rc = cli_load_config(a, &cfg);
	if (rc) {
		pr_warn("oci-hook: container %s not started: the configuration has errors\n",
			st.id);
		goto out;
	}
	rc = check_annotation(&cfg, &st);
	if (rc)
		goto out;
	if (rcc_cgroup_of_pid(st.pid, path, sizeof(path))) {
		pr_warn("oci-hook: container %s: process %d is in no cgroup v2; not started\n",
			st.id, st.pid);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	rc = open_loaded(&cfg, &st, &k);
	if (rc)
		goto out;
	opened = true;
	rc = check_caps(&cfg, &k, &st);
	if (rc)
		goto out;
	if (rcc_enforce_container(&cfg, &k, path, st.policy, false, msg, sizeof(msg)) < 0) {
		pr_warn("oci-hook: container %s not started: %s\n", st.id, msg);
		rc = RCC_EXIT_FAIL;
	} else {
		cli_dns_check(&cfg, &k, path, "oci-hook: ");
	}
out:
	if (opened)
		rcc_kernel_close(&k);
	rcc_config_free(&cfg);
	return rc;
}
