// SPDX-License-Identifier: GPL-2.0
/* The pinned maps by name, and small reads and writes of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/maps.h"
#include "kernel/mapsync.h"
#include "lib/log.h"

static const struct {
	const char *name;
	size_t ksz, vsz; /* for the maps that are dumped */
} maps[RCC_MAP__MAX] = {
	[RCC_MAP_CGROUPS] = { "rcc_cgroups", sizeof(__u64), sizeof(struct rcc_cgroup_val) },
	[RCC_MAP_VERSIONS] = { "rcc_versions" },
	[RCC_MAP_POLICIES] = { "rcc_policies" },
	[RCC_MAP_PORTS] = { "rcc_ports", sizeof(struct rcc_port_key), sizeof(struct rcc_port_val) },
	[RCC_MAP_ADDRS] = { "rcc_addrs", sizeof(struct rcc_addr_key), sizeof(struct rcc_addr_val) },
	[RCC_MAP_PREFIXES] = { "rcc_prefixes", sizeof(struct rcc_prefix_key),
			       sizeof(struct rcc_prefix_val) },
	[RCC_MAP_CGSTATS] = { "rcc_cgstats" },
	[RCC_MAP_POLSTATS] = { "rcc_polstats" },
	[RCC_MAP_POLNAMES] = { "rcc_polnames", RCC_POLICY_NAME_MAX, sizeof(__u32) },
	[RCC_MAP_EVENTS] = { "rcc_events" },
	[RCC_MAP_LOST] = { "rcc_lost" },
	[RCC_MAP_AUDITSTATS] = { "rcc_auditstats" },
	[RCC_MAP_GEN] = { "rcc_gen" },
	[RCC_MAP_DNS_LISTENERS] = { "rcc_dns_listeners", sizeof(__u64),
				    sizeof(struct rcc_dns_listener) },
	[RCC_MAP_LEARNED] = { "rcc_learned", sizeof(struct rcc_learned_key),
			      sizeof(struct rcc_prefix_val) },
	[RCC_MAP_DNS_SOCKS] = { "rcc_dns_socks" },
};

const char *rcc_maps_name(enum rcc_map_id m)
{
	return maps[m].name;
}

int rcc_maps_dump(struct rcc_kernel *k, enum rcc_map_id m, struct rcc_kvset *out)
{
	rcc_kvset_init(out, maps[m].ksz, maps[m].vsz);
	return rcc_mapsync_dump(k->map_fd[m], out);
}

int rcc_maps_read(struct rcc_kernel *k, enum rcc_map_id m, struct rcc_kvset *out)
{
	int err = rcc_maps_dump(k, m, out);

	return err ? rcc_log_fail(err, "Failed to read map %s", maps[m].name) : 0;
}

int rcc_maps_capacity(int fd, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max = info.max_entries;
	return 0;
}

__u32 rcc_maps_version_of(const struct rcc_kernel *k, __u32 id)
{
	__u32 v = 0;

	if (id >= RCC_MAX_POLICIES || bpf_map_lookup_elem(k->map_fd[RCC_MAP_VERSIONS], &id, &v) ||
	    v >= RCC_MAX_VERSIONS)
		return 0;
	return v;
}

int rcc_maps_zero_percpu(int fd, __u32 key, size_t vsz)
{
	int ncpu = libbpf_num_possible_cpus();
	void *zero;
	int err;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, (vsz + 7) & ~7ul);
	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(fd, &key, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	return err;
}

void rcc_maps_bump_gen(struct rcc_kernel *k)
{
	__u32 zero = 0, gen = 0;

	bpf_map_lookup_elem(k->map_fd[RCC_MAP_GEN], &zero, &gen);
	gen++;
	if (bpf_map_update_elem(k->map_fd[RCC_MAP_GEN], &zero, &gen, BPF_ANY))
		pr_warn("Failed to bump the maps' generation: %s; sockets keep cached verdicts until their destination changes\n",
			strerror(errno));
}

void rcc_maps_drop_dns(struct rcc_kernel *k, __u64 id, bool keep_listener)
{
	int fd = k->map_fd[RCC_MAP_LEARNED];
	struct rcc_learned_key key, *gone = NULL;
	size_t n = 0, cap = 0, i;
	void *prev = NULL;

	if (!keep_listener)
		bpf_map_delete_elem(k->map_fd[RCC_MAP_DNS_LISTENERS], &id);
	/* the keys first: deleting during the walk would lose its place */
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (key.cgroup_id != id)
			continue;
		if (n == cap) {
			void *nv = realloc(gone, (cap = cap ? cap * 2 : 64) * sizeof(*gone));

			if (!nv)
				break;
			gone = nv;
		}
		gone[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
}
