/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Containers under the configuration's [containers] rules: which policy a
 * container gets (its rcc-bpf.policy label or annotation, else
 * default_policy; only labelled ones with enforce = labelled), for the
 * daemon and the OCI hook.
 */
#ifndef RCC_ENFORCE_H
#define RCC_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/config.h"
#include "kernel/kernel.h"

enum rcc_enforce_result {
	RCC_ENFORCED,	/* attached now */
	RCC_ALREADY,	/* had an entry of its own, left as it was */
	RCC_NOT_WANTED, /* enforce = labelled and no label */
	RCC_INHERITED,	/* no label, below an enforced cgroup: its policy holds */
};

/* The nearest enforced cgroup above path (path itself left out): its
 * policy id and, with from, its path. */
bool rcc_enforce_nearest_above(struct rcc_kernel *k, const char *path, __u32 *policy_id, char *from,
			       size_t len);

/*
 * Enforces on the container cgroup at path.  policy: the container's own
 * choice (a run-time label or annotation), or NULL.  Without one, or
 * when the label may not choose (rcc_config_label_policy; warned), the
 * policy of the nearest enforced cgroup above holds (nothing is
 * attached), else default_policy.  Returns enum rcc_enforce_result,
 * or -errno with msg saying what was not done: the kernel layer has
 * printed why when it failed (kernel/kernel.h), else msg says why too.
 */
int rcc_enforce_container(const struct rcc_config *cfg, struct rcc_kernel *k, const char *path,
			  const char *policy, bool keep_existing, char *msg, size_t len);

/* The [containers] attach = parents: made when missing, enforced. */
void rcc_enforce_parents(const struct rcc_config *cfg, struct rcc_kernel *k);

/* Every running container the runtimes and the tree know; how many were
 * enforced now. */
int rcc_enforce_all_containers(const struct rcc_config *cfg, struct rcc_kernel *k);

#endif
