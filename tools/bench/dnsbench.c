// SPDX-License-Identifier: GPL-2.0
/*
 * dnsbench: what a DNS refresh costs, for tools/bench/run.sh.
 *
 *   dnsbench PIN_DIR CGROUP ENTRIES RUNS DEST PORT
 *
 * Loads a policy of ENTRIES hostname entries (allow = hN.bench:443/tcp,
 * each name one IPv6 address, as the daemon's table would hold them; the
 * policy says dns = open, where the daemon resolves its names) into
 * fresh maps under PIN_DIR, then RUNS times applies a refresh in which 10%
 * of the names changed address, the way the daemon does (gap-free).
 * Meanwhile a child in CGROUP (enforced by that policy, which also allows
 * DEST:PORT/tcp) connects to DEST:PORT in a tight loop and records how long
 * each connect() took, during the updates and during as long idle.
 * Run it inside the sandbox netns, where DEST answers with an RST.
 * Prints one line: "dns key=value ...".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "host/names.h"

enum { PH_WARM, PH_IDLE, PH_UPDATE, PH_STOP, NPH };

struct shared {
	volatile int phase;
	unsigned long long max_ns[NPH], count[NPH], fails[NPH];
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "dnsbench: %s\n", what);
	exit(1);
}

/* The child: connect, connect, connect; the longest one per phase. */
static void connector(struct shared *sh, const char *cgroup, const char *dest, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die("cannot join the cgroup");
	inet_pton(AF_INET, dest, &sa.sin_addr);
	while (sh->phase != PH_STOP) {
		int ph = sh->phase, s = socket(AF_INET, SOCK_STREAM, 0);
		unsigned long long t = now_ns(), d;
		int rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));

		d = now_ns() - t;
		close(s);
		if (rc && errno != ECONNREFUSED)
			sh->fails[ph]++;
		if (d > sh->max_ns[ph])
			sh->max_ns[ph] = d;
		sh->count[ph]++;
	}
	_exit(0);
}

static double ms_since(unsigned long long t)
{
	return (now_ns() - t) / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Every name one address: 2001:db8:100::N, or :200:: when moved. */
static void answer(struct rcc_names *t, size_t i, bool moved, __u64 now)
{
	struct rcc_names_answer_addr a = { .ttl = 5 };

	inet_pton(AF_INET6, moved ? "2001:db8:200::" : "2001:db8:100::", a.addr);
	a.addr[12] = i >> 24;
	a.addr[13] = i >> 16;
	a.addr[14] = i >> 8;
	a.addr[15] = i;
	rcc_names_answer(t, &t->v[i], &a, 1, now);
}

int main(int argc, char **argv)
{
	struct rcc_compile_opts o = { .dns_mode = RCC_DNS_QUIET, .resolve = rcc_names_lookup };
	struct shared *sh;
	struct rcc_config cfg;
	struct rcc_names t;
	struct rcc_kernel k;
	char *text, *p;
	size_t n, i, len;
	int runs, r, port;
	double open_ms, load_ms, *refresh;
	unsigned long long t0;
	__u64 clock = 0;
	__u32 id;
	pid_t child;

	if (argc != 7)
		die("usage: dnsbench PIN_DIR CGROUP ENTRIES RUNS DEST PORT");
	n = strtoul(argv[3], NULL, 10);
	runs = atoi(argv[4]);
	port = atoi(argv[6]);
	len = 4096 + n * 40;
	text = malloc(len);
	refresh = calloc(runs, sizeof(*refresh));
	if (!text || !refresh)
		die("out of memory");
	p = text +
	    snprintf(text, len,
		     "[global]\npin_dir = %s\ncontrol_socket = /nonexistent/dnsbench.sock\n"
		     "max_cgroups = 16\n\n[policy bench]\ndns = open\nallow_public = no\nallow = %s:%d/tcp\n",
		     argv[1], argv[5], port);
	for (i = 0; i < n; i++)
		p += sprintf(p, "allow = h%zu.bench:443/tcp\n", i);
	if (rcc_config_parse_string("dnsbench", text, &cfg))
		die("the generated configuration does not parse");
	rcc_names_init(&t, &cfg, NULL);
	if (rcc_names_set(&t, &cfg) || t.n != n)
		die("the name table is wrong");
	for (i = 0; i < n; i++)
		answer(&t, i, false, clock);
	o.resolve_ctx = &t;

	t0 = now_ns();
	if (rcc_kernel_open(&cfg, true, true, &k))
		die("cannot load the programs and maps");
	open_ms = ms_since(t0);
	t0 = now_ns();
	if (rcc_kernel_apply(&k, &cfg, &o))
		die("cannot load the policy");
	load_ms = ms_since(t0);
	if (rcc_kernel_policy_id(&k, "bench", &id) || rcc_kernel_attach(&k, argv[2], id))
		die("cannot attach to the cgroup");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	memset(sh, 0, sizeof(*sh));
	child = fork();
	if (child == 0)
		connector(sh, argv[2], argv[5], port);
	usleep(200000);
	/* as much idle time as updates, interleaved, so both see the same noise */
	for (r = 0; r < runs; r++) {
		double ms;

		clock += 10000; /* every earlier address is past its TTL */
		for (i = 0; i < n; i++)
			answer(&t, i, i % 10 == 0 && r % 2 == 0, clock);
		sh->phase = PH_UPDATE;
		t0 = now_ns();
		if (rcc_kernel_apply_dns(&k, &cfg, &o))
			die("cannot apply a refresh");
		ms = ms_since(t0);
		sh->phase = PH_IDLE;
		usleep(ms * 1000 + 1000);
		sh->phase = PH_WARM;
		refresh[r] = ms;
		usleep(50000);
	}
	sh->phase = PH_STOP;
	waitpid(child, NULL, 0);
	qsort(refresh, runs, sizeof(*refresh), cmp_d);
	printf("dns entries=%zu changed=%zu open_ms=%.1f load_ms=%.1f refresh_ms_median=%.1f "
	       "refresh_ms_max=%.1f runs=%d stall_update_us=%.1f stall_idle_us=%.1f "
	       "connects_update=%llu connects_idle=%llu connect_errors=%llu\n",
	       n, (n + 9) / 10, open_ms, load_ms, refresh[runs / 2], refresh[runs - 1], runs,
	       sh->max_ns[PH_UPDATE] / 1e3, sh->max_ns[PH_IDLE] / 1e3, sh->count[PH_UPDATE],
	       sh->count[PH_IDLE], sh->fails[PH_UPDATE] + sh->fails[PH_IDLE]);
	rcc_kernel_detach(&k, argv[2]);
	rcc_kernel_close(&k);
	rcc_names_free(&t);
	rcc_config_free(&cfg);
	free(text);
	free(refresh);
	return sh->fails[PH_UPDATE] + sh->fails[PH_IDLE] ? 1 : 0;
}
