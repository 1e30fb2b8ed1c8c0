// SPDX-License-Identifier: GPL-2.0
/* Reads for status and the audit consumer: names, counters, totals.
 * Every function here prints nothing: the caller reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/cgroup.h"
#include "kernel/links.h"
#include "kernel/kernel.h"
#include "kernel/maps.h"
#include "lib/util.h"

int rcc_kernel_policy_id(struct rcc_kernel *k, const char *name, __u32 *id)
{
	char key[RCC_POLICY_NAME_MAX] = {};

	/* a name too long for a key was never loaded */
	if (rcc_snprintf(key, sizeof(key), "%s", name) ||
	    bpf_map_lookup_elem(k->map_fd[RCC_MAP_POLNAMES], key, id))
		return -ENOENT;
	return 0;
}

int rcc_kernel_policy_name(struct rcc_kernel *k, __u32 id, char *name, size_t len)
{
	struct rcc_kvset s = {};
	size_t i;
	int err = rcc_maps_dump(k, RCC_MAP_POLNAMES, &s);

	for (i = 0; !err && i < s.n; i++) {
		__u32 v;

		memcpy(&v, s.vals + i * s.vsz, sizeof(v));
		if (v == id) {
			snprintf(name, len, "%.*s", RCC_POLICY_NAME_MAX, s.keys + i * s.ksz);
			goto out;
		}
	}
	snprintf(name, len, "#%u", id);
	err = err ?: -ENOENT;
out:
	rcc_kvset_free(&s);
	return err;
}

static int sum_percpu(int fd, __u32 key, struct rcc_counters *out)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct rcc_counters *v;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v))
		err = -errno;
	for (i = 0; !err && i < ncpu; i++) {
		out->allowed += v[i].allowed;
		out->denied += v[i].denied;
		out->audited += v[i].audited;
	}
	free(v);
	return err;
}

bool rcc_kernel_dns_listening(struct rcc_kernel *k, __u64 id)
{
	struct rcc_dns_listener l;

	return !bpf_map_lookup_elem(k->map_fd[RCC_MAP_DNS_LISTENERS], &id, &l);
}

void rcc_kernel_cgroups_dns(struct rcc_kernel *k, struct rcc_cgroup_info *info, size_t n)
{
	struct rcc_learned_key key;
	struct rcc_dns_listener l;
	void *prev = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (!bpf_map_lookup_elem(k->map_fd[RCC_MAP_DNS_LISTENERS], &info[i].id, &l))
			info[i].dns_port = l.port;
	while (!bpf_map_get_next_key(k->map_fd[RCC_MAP_LEARNED], prev, &key)) {
		prev = &key;
		for (i = 0; i < n; i++)
			if (info[i].id == key.cgroup_id)
				info[i].dns_learned++;
	}
}

int rcc_kernel_cgroups(struct rcc_kernel *k, struct rcc_cgroup_info **out, size_t *n)
{
	struct rcc_cgroup_info *info = NULL;
	struct rcc_kvset cgs = {};
	size_t i;
	int err = rcc_maps_dump(k, RCC_MAP_CGROUPS, &cgs);

	if (!err && !(info = calloc(cgs.n + 1, sizeof(*info))))
		err = -ENOMEM;
	for (i = 0; !err && i < cgs.n; i++) {
		struct rcc_cgroup_val v;

		memcpy(&info[i].id, cgs.keys + i * cgs.ksz, sizeof(__u64));
		memcpy(&v, cgs.vals + i * cgs.vsz, sizeof(v));
		info[i].policy_id = v.policy_id;
		if (rcc_cgroup_path_by_id(info[i].id, info[i].path, sizeof(info[i].path)))
			info[i].path[0] = '\0';
		info[i].linked = rcc_links_held(k, info[i].id);
		sum_percpu(k->map_fd[RCC_MAP_CGSTATS], v.slot, &info[i].stats);
	}
	if (!err) {
		*out = info;
		*n = cgs.n;
	}
	rcc_kvset_free(&cgs);
	return err;
}

int rcc_kernel_policy_stats(struct rcc_kernel *k, __u32 id, struct rcc_counters *out)
{
	return sum_percpu(k->map_fd[RCC_MAP_POLSTATS], id, out);
}

int rcc_kernel_policy_flags(struct rcc_kernel *k, __u32 id, __u32 *flags)
{
	struct rcc_policy p;
	__u32 v = rcc_maps_version_of(k, id);

	if (!v)
		return -ENOENT;
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_POLICIES], &v, &p))
		return -errno;
	*flags = p.flags;
	return 0;
}

int rcc_kernel_audit_totals(struct rcc_kernel *k, struct rcc_audit_totals *t)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u32 zero = 0, id;
	__u64 *lost;
	int err;

	memset(t, 0, sizeof(*t));
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_AUDITSTATS], &zero, &t->consumer))
		return -errno;
	if (ncpu < 0)
		return ncpu;
	lost = calloc(ncpu, sizeof(*lost));
	if (!lost)
		return -ENOMEM;
	err = bpf_map_lookup_elem(k->map_fd[RCC_MAP_LOST], &zero, lost) ? -errno : 0;
	for (i = 0; !err && i < ncpu; i++)
		t->lost += lost[i];
	free(lost);
	/* policy id 0 counts refusals of sockets used outside their cgroup */
	for (id = 0; !err && id < RCC_MAX_POLICIES; id++) {
		struct rcc_counters c;

		err = sum_percpu(k->map_fd[RCC_MAP_POLSTATS], id, &c);
		t->denials += c.denied + c.audited;
	}
	return err;
}

int rcc_kernel_audit_stats_add(struct rcc_kernel *k, const struct rcc_audit_stats *d)
{
	struct rcc_audit_stats cur;
	__u32 zero = 0;

	/* one consumer at a time (it holds the ring's lock): no race here */
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_AUDITSTATS], &zero, &cur))
		return -errno;
	cur.written += d->written;
	cur.folded += d->folded;
	if (bpf_map_update_elem(k->map_fd[RCC_MAP_AUDITSTATS], &zero, &cur, BPF_ANY))
		return -errno;
	return 0;
}
