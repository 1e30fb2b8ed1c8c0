// SPDX-License-Identifier: GPL-2.0
/*
 * AF_PACKET sockets never pass the cgroup hooks: a sandboxed process with
 * CAP_NET_RAW can send frames around them.  Say so, naming the pids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cli.h"
#include "log.h"

#define CAP_NET_RAW_BIT 13

struct raw_pids {
	int pids[16];
	int n, more;
};

static int check_pid(pid_t pid, void *ctx)
{
	struct raw_pids *r = ctx;
	char path[64], line[256];
	unsigned long long caps = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	if (!(caps & (1ull << CAP_NET_RAW_BIT)))
		return 0;
	if (r->n < 16)
		r->pids[r->n++] = pid;
	else
		r->more++;
	return 0;
}

static int check_cgroup(const char *path, __u64 id, void *ctx)
{
	(void)id;
	rcc_cgroup_procs(path, check_pid, ctx);
	return 0;
}

void cli_warn_net_raw(const char *path)
{
	struct raw_pids r = {};
	int i;

	rcc_cgroup_walk(path, check_cgroup, &r);
	if (!r.n)
		return;
	fprintf(stderr, "rcc-bpf: warning: processes in %s hold CAP_NET_RAW (pids", path);
	for (i = 0; i < r.n; i++)
		fprintf(stderr, " %d", r.pids[i]);
	if (r.more)
		fprintf(stderr, " and %d more", r.more);
	fprintf(stderr, "): AF_PACKET sockets bypass every cgroup hook; run sandboxes with --cap-drop NET_RAW\n");
}
