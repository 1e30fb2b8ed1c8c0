// SPDX-License-Identifier: GPL-2.0
/*
 * Capabilities that reach around the cgroup hooks, named with the pids
 * that hold them:
 *   CAP_NET_RAW: AF_PACKET sockets never pass the hooks;
 *   CAP_NET_ADMIN (in any user namespace: over the sandbox's own network
 *   namespace): a VXLAN tunnel's kernel socket and a tun device's
 *   forwarded packets never pass them either;
 *   CAP_SYS_ADMIN or CAP_BPF outside a user namespace: bpf() can fetch
 *   our links and maps by id and detach them, unless the bpf() guard
 *   (BPF LSM) runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cgroup.h"
#include "host/caps.h"
#include "lib/log.h"

#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13
#define CAP_SYS_ADMIN_BIT 21
#define CAP_BPF_BIT 39

struct pids {
	int pids[16];
	int n, more;
};

struct scan {
	struct pids net_raw, net_admin, bpf;
};

static void add(struct pids *p, pid_t pid)
{
	if (p->n < 16)
		p->pids[p->n++] = pid;
	else
		p->more++;
}

/* Capabilities in the host's user namespace count for bpf(). */
static int in_host_userns(pid_t pid)
{
	struct stat self, init;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat(path, &self) || stat("/proc/1/ns/user", &init))
		return 1; /* cannot tell: assume the worst */
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

static int check_pid(pid_t pid, void *ctx)
{
	struct scan *s = ctx;
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
	if (caps & (1ull << CAP_NET_RAW_BIT))
		add(&s->net_raw, pid);
	if (caps & (1ull << CAP_NET_ADMIN_BIT))
		add(&s->net_admin, pid);
	if ((caps & ((1ull << CAP_SYS_ADMIN_BIT) | (1ull << CAP_BPF_BIT))) && in_host_userns(pid))
		add(&s->bpf, pid);
	return 0;
}

static int check_cgroup(const char *path, __u64 id, void *ctx)
{
	(void)id;
	rcc_cgroup_procs(path, check_pid, ctx);
	return 0;
}

static void say(const char *path, const char *cap, const struct pids *p, const char *why)
{
	int i;

	if (!p->n)
		return;
	fprintf(stderr, "rcc-bpf: warning: processes in %s hold %s (pids", path, cap);
	for (i = 0; i < p->n; i++)
		fprintf(stderr, " %d", p->pids[i]);
	if (p->more)
		fprintf(stderr, " and %d more", p->more);
	fprintf(stderr, "): %s\n", why);
}

void rcc_caps_warn(const char *path, bool guarded)
{
	struct scan s = {};

	rcc_cgroup_walk(path, check_cgroup, &s);
	say(path, "CAP_NET_RAW", &s.net_raw,
	    "AF_PACKET sockets bypass every cgroup hook; run sandboxes with --cap-drop NET_RAW");
	say(path, "CAP_NET_ADMIN", &s.net_admin,
	    "VXLAN tunnels and tun devices with forwarding send packets no cgroup hook judges; run sandboxes with --cap-drop NET_ADMIN");
	if (!guarded)
		say(path, "CAP_SYS_ADMIN or CAP_BPF outside a user namespace", &s.bpf,
		    "without the bpf() guard (this kernel does not load BPF LSM programs) they can detach their own enforcement; never give sandboxes those capabilities");
}
