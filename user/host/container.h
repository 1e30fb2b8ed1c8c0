/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Containers: from what people type (a full id, a unique id prefix, a
 * name) to the cgroup v2 that holds the container, for Podman, Docker,
 * containerd/nerdctl and CRI-O.  The runtime's CLI is asked when it is
 * there; the runtimes' cgroup naming is the fallback and the fixture.
 */
#ifndef RCC_CONTAINER_H
#define RCC_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RCC_LABEL_POLICY "rcc-bpf.policy"

struct rcc_container {
	char id[65];
	char name[256];	  /* "" when only the cgroup is known */
	char runtime[16]; /* podman, docker, containerd, cri-o */
	bool running;
	pid_t pid;	       /* 0 when not known */
	char cgroup[PATH_MAX]; /* "" when not known (not running) */
	char policy[64];       /* its rcc-bpf.policy label given at run time */
};

/*
 * The container QUERY names.  0, or (with a message in err):
 * -ENOENT not found, -EEXIST ambiguous prefix (candidates in err),
 * -ESRCH not running, -ENOTSUP in no cgroup v2.
 */
int rcc_container_find(const char *query, struct rcc_container *out, char *err, size_t errlen);
/* Every container the runtimes and the cgroup tree know. */
int rcc_container_list(struct rcc_container **out, size_t *n);

/*
 * The container a cgroup path belongs to, by the runtimes' naming:
 * libpod-ID.scope, libpod_parent/libpod-ID, docker-ID.scope, docker/ID,
 * cri-containerd-ID.scope, crio-ID.scope, nerdctl-ID.scope.  Looks at
 * the last component only; false when it names no container.
 */
bool rcc_container_of_cgroup(const char *path, char id[65], char runtime[16]);
/* The same, for the cgroup or any of its ancestors (a container's own
 * sub-cgroups belong to it): the outermost one that names a container. */
bool rcc_container_in_path(const char *path, char id[65], char runtime[16]);
/*
 * Whether the cgroup at path is itself a container's, where runtimes make
 * them: its name is a runtime's, no cgroup above it is a container's (a
 * container's sub-cgroups, whatever their names, belong to it), and root
 * owns it (a delegated cgroup is never a container).  What the daemon and
 * the tree scan take as containers.
 */
bool rcc_container_at(const char *path, char id[65], char runtime[16]);
/* The rcc-bpf.policy label of container id, asking its runtime; "" when
 * it has none or the label is its image's own (warned about). */
void rcc_container_label(const char *id, const char *runtime, char *policy, size_t len);
/* The name of container id, asking its runtime; "" when none is known. */
void rcc_container_name(const char *id, const char *runtime, char *name, size_t len);

#endif
