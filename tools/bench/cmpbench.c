// SPDX-License-Identifier: GPL-2.0
/*
 * cmpbench: rcc-bpf beside nftables and iptables, for tools/bench/compare.sh.
 *
 *   cmpbench serve [TAG]
 *       in the world netns (TAG: for finding leftovers by command line): TCP 5001 accepts and closes (handshakes),
 *       TCP 5003 reads and discards (streams), UDP 5002 never reads.
 *   cmpbench run --members FILE --cfg KIND:SIZE:NETNS:CGROUP ... [options]
 *       the configurations side by side: one process that moves itself
 *       between network namespaces (setns) and cgroups, every round all
 *       (configuration, workload) batches in a random order, each batch's
 *       time divided by the no-filter batch of the same workload and round.
 *   cmpbench stall SECONDS ADDR PORT
 *       connect()s flat out from here for SECONDS (0: until SIGTERM); the
 *       longest one, for the control plane (an update while this runs).
 *
 * FILE: one member address a line (`connbench gen 4 N` turned into bare
 * addresses); a configuration of SIZE allows the first SIZE of them on TCP
 * port 9, and the CIDRs below; everything else private is dropped.
 * KIND: base, ctl (no filter), rcc, rcca (rcc-bpf audit mode), nft, ipt
 * (iptables-nft), iptl (iptables-legacy); only the label and the sanity
 * expectations depend on it.
 * Options: --rounds N, --seed N, --cpu N, --out DIR (report.md/.json
 * fragments: compare.md, compare.json), --sanity (checks only).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PORT_CLOSED 9 /* members: SYN -> RST */
#define PORT_OTHER 10 /* a member on another port: denied */
#define PORT_HS 5001
#define PORT_UDP 5002
#define PORT_STREAM 5003
#define ADDR_HS "10.80.0.1"
#define ADDR_UDP "10.81.0.1"
#define ADDR_STREAM "10.82.0.1"
#define MAX_CFG 32
#define CHUNK 65536

enum wl { W_WARM, W_COLD, W_HS, W_UDP, W_STREAM, NWL };
static const char *const wl_name[NWL] = { "connect, warm", "connect, cold (random of the set)",
					  "handshake + RST close", "UDP 64 B sendto",
					  "TCP stream, 2 MiB acknowledged, per 64 KiB" };
static const char *const wl_key[NWL] = { "connect_warm", "connect_cold", "handshake", "udp",
					 "stream" };
static const int wl_batch[NWL] = { 200, 200, 40, 500, 32 };

struct cfg {
	char kind[8];
	unsigned size;
	int netns, procs;
	int udp, stream; /* made in this configuration, kept */
	double *t[NWL];	 /* ns per operation, per round */
	double *ratio[NWL];
};

static struct cfg cfgs[MAX_CFG];
static int ncfg;
static uint32_t *members; /* host order */
static size_t nmembers;
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static int cur_netns = -1;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "cmpbench: ");
	fprintf(stderr, fmt, arg, strerror(errno));
	fputc('\n', stderr);
	exit(2);
}

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct sockaddr_in sa_of(uint32_t host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	sa.sin_addr.s_addr = htonl(host);
	return sa;
}

static uint32_t host_of(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return ntohl(a.s_addr);
}

/* ---- serve: the world's end ---- */

static int listener(int type, int port)
{
	struct sockaddr_in sa = sa_of(0, port);
	int one = 1, s = socket(AF_INET, type | SOCK_NONBLOCK, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || (type == SOCK_STREAM && listen(s, 4096)))
		die("serve: bind %s: %s", type == SOCK_STREAM ? "tcp" : "udp");
	return s;
}

static int cmd_serve(void) __attribute__((noreturn));
static int cmd_serve(void)
{
	static char buf[1 << 20];
	int hs = listener(SOCK_STREAM, PORT_HS), st = listener(SOCK_STREAM, PORT_STREAM);
	int ep = epoll_create1(0), small = 4096;
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int udp = listener(SOCK_DGRAM, PORT_UDP);

	setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)); /* never read: drops */
	ev.data.fd = hs;
	epoll_ctl(ep, EPOLL_CTL_ADD, hs, &ev);
	ev.data.fd = st;
	epoll_ctl(ep, EPOLL_CTL_ADD, st, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1), i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, c;

			if (fd == hs) {
				while ((c = accept4(hs, NULL, NULL, SOCK_NONBLOCK)) >= 0)
					close(c);
			} else if (fd == st) {
				while ((c = accept4(st, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else if (read(fd, buf, sizeof(buf)) <= 0 && errno != EAGAIN) {
				close(fd);
			}
		}
	}
}

/* ---- moving between configurations ---- */

static void enter(const struct cfg *c)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", getpid());

	if (c->netns != cur_netns) {
		if (setns(c->netns, CLONE_NEWNET))
			die("setns into %s's netns: %s", c->kind);
		cur_netns = c->netns;
	}
	if (write(c->procs, pid, n) != n)
		die("cannot move into %s's cgroup: %s", c->kind);
}

/* errno of one connect() from here (0: connected; EINPROGRESS: no answer
 * in 300 ms, what a netfilter drop of the SYN looks like) */
static int probe(uint32_t host, int port)
{
	struct sockaddr_in sa = sa_of(host, port);
	struct timeval tv = { 0, 300000 };
	int s = socket(AF_INET, SOCK_STREAM, 0), err;

	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	err = connect(s, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	close(s);
	return err;
}

static void setup_cfg(struct cfg *c)
{
	struct sockaddr_in sa = sa_of(host_of(ADDR_STREAM), PORT_STREAM);
	int nd = 1;

	enter(c);
	c->udp = socket(AF_INET, SOCK_DGRAM, 0);
	c->stream = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c->stream, IPPROTO_TCP, TCP_NODELAY, &nd, sizeof(nd));
	if (connect(c->stream, (struct sockaddr *)&sa, sizeof(sa)))
		c->stream = -1; /* the sanity check says so */
}

/* ---- sanity: every filter filters, every path reaches the world ---- */

static int sanity(void)
{
	int i, pass = 0, fail = 0;

	for (i = 0; i < ncfg; i++) {
		struct cfg *c = &cfgs[i];
		bool filters = strcmp(c->kind, "base") && strcmp(c->kind, "ctl") &&
			       strcmp(c->kind, "rcca");
		uint32_t last = members[(c->size ? c->size : nmembers) - 1];
		struct sockaddr_in u = sa_of(host_of(ADDR_UDP), PORT_UDP);
		char hs_ok, udp_ok;
		int m0, m1, other, hs;

		enter(c);
		m0 = probe(members[0], PORT_CLOSED);
		m1 = probe(last, PORT_CLOSED);
		other = probe(members[0], PORT_OTHER);
		hs = probe(host_of(ADDR_HS), PORT_HS);
		hs_ok = hs == 0;
		udp_ok = sendto(c->udp, "x", 1, 0, (struct sockaddr *)&u, sizeof(u)) == 1;
		/* rcc-bpf refuses at connect(); netfilter drops the SYN */
		if (m0 == ECONNREFUSED && m1 == ECONNREFUSED && hs_ok && udp_ok && c->stream >= 0 &&
		    (filters ? other == EPERM || other == EINPROGRESS : other == ECONNREFUSED)) {
			pass++;
			fprintf(stderr,
				"  ok   %-5s %8u: members reach the world; a member on another port %s\n",
				c->kind, c->size,
				!filters       ? "too (no filter, or audit)" :
				other == EPERM ? "is refused (EPERM)" :
						 "is dropped (no answer)");
		} else {
			fail++;
			fprintf(stderr,
				"  FAIL %-5s %8u: first member %s, last member %s, other port %s (want %s), handshake %s, udp %s, stream %s\n",
				c->kind, c->size, strerror(m0), strerror(m1), strerror(other),
				filters ? "EPERM or no answer" : "ECONNREFUSED", strerror(hs),
				udp_ok ? "ok" : "failed",
				c->stream >= 0 ? "connected" : "not connected");
		}
	}
	fprintf(stderr, "sanity: %d passed, %d failed\n", pass, fail);
	return fail;
}

/* ---- the workloads: ns per operation ---- */

static double run_batch(struct cfg *c, enum wl w)
{
	static int fds[256];
	static char chunk[CHUNK];
	int n = wl_batch[w], i;
	unsigned set = c->size ? c->size : nmembers;
	uint64_t t0, t1;

	if (w == W_WARM || w == W_COLD) {
		struct sockaddr_in sa[256];

		for (i = 0; i < n; i++) {
			sa[i] = sa_of(members[w == W_WARM ? set / 2 : rnd() % set], PORT_CLOSED);
			fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		}
		t0 = now_ns();
		for (i = 0; i < n; i++)
			connect(fds[i], (struct sockaddr *)&sa[i], sizeof(sa[i]));
		t1 = now_ns();
		for (i = 0; i < n; i++)
			close(fds[i]);
	} else if (w == W_HS) {
		struct sockaddr_in sa = sa_of(host_of(ADDR_HS), PORT_HS);
		struct linger l = { 1, 0 };

		t0 = now_ns();
		for (i = 0; i < n; i++) {
			int s = socket(AF_INET, SOCK_STREAM, 0);

			connect(s, (struct sockaddr *)&sa, sizeof(sa));
			setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(s);
		}
		t1 = now_ns();
	} else if (w == W_UDP) {
		struct sockaddr_in sa = sa_of(host_of(ADDR_UDP), PORT_UDP);

		t0 = now_ns();
		for (i = 0; i < n; i++)
			sendto(c->udp, chunk, 64, 0, (struct sockaddr *)&sa, sizeof(sa));
		t1 = now_ns();
	} else {
		int queued;

		/* until the world has acknowledged it all: each batch starts
		 * with an empty send queue, so batches do not lean on each other */
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (write(c->stream, chunk, CHUNK) < 0)
				break;
		while (!ioctl(c->stream, SIOCOUTQ, &queued) && queued > 0)
			sched_yield();
		t1 = now_ns();
	}
	return (double)(t1 - t0) / n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quant(const double *src, int n, double q)
{
	double *v = malloc(n * sizeof(*v)), h, r;
	int lo;

	memcpy(v, src, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_d);
	h = (n - 1) * q;
	lo = (int)h;
	r = lo + 1 >= n ? v[n - 1] : v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
	free(v);
	return r;
}

static bool cold_applies(const struct cfg *c, unsigned biggest)
{
	return !c->size || c->size == biggest;
}

static void report(const char *out, int rounds, unsigned biggest)
{
	char path[4096];
	FILE *md, *js;
	int i, w, r;
	double *diff = malloc(rounds * sizeof(double));

	snprintf(path, sizeof(path), "%s/compare.md", out);
	md = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/compare.json", out);
	js = fopen(path, "w");
	if (!md || !js || !diff)
		die("cannot write the report under %s: %s", out);
	fprintf(md, "| configuration | entries |");
	for (w = 0; w < NWL; w++)
		fprintf(md, " %s |", wl_name[w]);
	fprintf(md, "\n|---|---:|");
	for (w = 0; w < NWL; w++)
		fprintf(md, "---|");
	fprintf(md, "\n");
	fprintf(js, "[");
	for (i = 0; i < ncfg; i++) {
		struct cfg *c = &cfgs[i];

		fprintf(md, "| %s | %u |", c->kind, c->size);
		fprintf(js, "%s\n {\"kind\": \"%s\", \"entries\": %u", i ? "," : "", c->kind,
			c->size);
		for (w = 0; w < NWL; w++) {
			double med, q1, q3, abs_ns, added;

			if (w == W_COLD && !cold_applies(c, biggest)) {
				fprintf(md, " - |");
				continue;
			}
			med = quant(c->ratio[w], rounds, 0.5);
			q1 = quant(c->ratio[w], rounds, 0.25);
			q3 = quant(c->ratio[w], rounds, 0.75);
			abs_ns = quant(c->t[w], rounds, 0.5);
			for (r = 0; r < rounds; r++)
				diff[r] = c->t[w][r] - cfgs[0].t[w][r];
			added = quant(diff, rounds, 0.5);
			if (i == 0)
				fprintf(md, " %.0f ns |", abs_ns);
			else
				fprintf(md, " %.3f× (%.3f–%.3f), %+.0f ns |", med, q1, q3, added);
			fprintf(js,
				", \"%s\": {\"ratio\": %.4f, \"q1\": %.4f, \"q3\": %.4f, \"ns\": %.1f, \"added_ns\": %.1f}",
				wl_key[w], med, q1, q3, abs_ns, added);
		}
		fprintf(md, "\n");
		fprintf(js, "}");
	}
	fprintf(js, "\n]\n");
	fclose(md);
	fclose(js);
	free(diff);
}

static int cmd_run(int argc, char **argv)
{
	const char *out = ".", *mfile = NULL;
	int rounds = 100, cpu = -1, i, w, r, n;
	bool only_sanity = false;
	unsigned biggest = 0;
	int *order;
	FILE *f;
	char line[64];

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "--sanity")) {
			only_sanity = true;
			continue;
		}
		i++;
		if (!strcmp(a, "--members")) {
			mfile = v;
		} else if (!strcmp(a, "--rounds")) {
			rounds = atoi(v);
		} else if (!strcmp(a, "--cpu")) {
			cpu = atoi(v);
		} else if (!strcmp(a, "--seed")) {
			rs = strtoull(v, NULL, 0) | 1;
		} else if (!strcmp(a, "--out")) {
			out = v;
		} else if (!strcmp(a, "--cfg")) {
			struct cfg *c = &cfgs[ncfg++];
			char kind[8], ns[256], cg[3800], path[4096];

			if (ncfg > MAX_CFG ||
			    sscanf(v, "%7[^:]:%u:%255[^:]:%3799s", kind, &c->size, ns, cg) != 4)
				die("bad --cfg '%s' (KIND:SIZE:NETNS:CGROUP)%s", v);
			snprintf(c->kind, sizeof(c->kind), "%s", kind);
			snprintf(path, sizeof(path), "/run/netns/%s", ns);
			c->netns = open(path, O_RDONLY | O_CLOEXEC);
			snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
			c->procs = open(path, O_WRONLY | O_CLOEXEC);
			if (c->netns < 0 || c->procs < 0)
				die("cannot open the netns or cgroup of '%s': %s", v);
			if (c->size > biggest)
				biggest = c->size;
		} else {
			die("unknown option '%s'%s", a);
		}
	}
	if (!mfile || !ncfg || strcmp(cfgs[0].kind, "base"))
		die("need --members FILE and --cfg base:... first%s", "");
	f = fopen(mfile, "r");
	if (!f)
		die("cannot read %s: %s", mfile);
	members = malloc((biggest + 1) * sizeof(*members));
	while (nmembers <= biggest && fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \n")] = '\0';
		members[nmembers++] = host_of(line);
	}
	fclose(f);
	if (nmembers < biggest || !nmembers)
		die("%s has fewer members than the biggest configuration%s", mfile);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	for (i = 0; i < ncfg; i++)
		setup_cfg(&cfgs[i]);
	if (sanity())
		return 1;
	if (only_sanity)
		rounds = 3;
	for (i = 0; i < ncfg; i++)
		for (w = 0; w < NWL; w++) {
			cfgs[i].t[w] = calloc(rounds, sizeof(double));
			cfgs[i].ratio[w] = calloc(rounds, sizeof(double));
		}
	n = ncfg * NWL;
	order = malloc(n * sizeof(*order));
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n - 1; i > 0; i--) {
			int j = rnd() % (i + 1), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++) {
			struct cfg *c = &cfgs[order[i] / NWL];

			w = order[i] % NWL;
			if (w == W_COLD && !cold_applies(c, biggest))
				continue;
			enter(c);
			if (getenv("CMPBENCH_DEBUG"))
				fprintf(stderr, "round %d %s %u %s\n", r, c->kind, c->size,
					wl_key[w]);
			run_batch(c, w); /* warm-up: path, destination, maps */
			c->t[w][r] = run_batch(c, w);
		}
		for (i = 0; i < ncfg; i++)
			for (w = 0; w < NWL; w++)
				cfgs[i].ratio[w][r] = cfgs[i].t[w][r] / cfgs[0].t[w][r];
		if ((r + 1) % 50 == 0)
			fprintf(stderr, "  round %d/%d\n", r + 1, rounds);
	}
	report(out, rounds, biggest);
	return 0;
}

/* ---- stall: the longest connect() while something else happens ---- */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* SECONDS 0: until SIGTERM */
static int cmd_stall(int argc, char **argv)
{
	uint64_t end, max = 0, n = 0, fails = 0;
	struct sockaddr_in sa;
	double secs;

	if (argc != 3)
		die("usage: cmpbench stall SECONDS ADDR PORT%s", "");
	signal(SIGTERM, on_term);
	sa = sa_of(host_of(argv[1]), atoi(argv[2]));
	secs = atof(argv[0]);
	end = secs > 0 ? now_ns() + (uint64_t)(secs * 1e9) : UINT64_MAX;
	while (!stop && now_ns() < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		uint64_t t = now_ns(), d;

		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != ECONNREFUSED)
			fails++;
		d = now_ns() - t;
		close(s);
		if (d > max)
			max = d;
		n++;
	}
	printf("stall max_us=%.1f connects=%llu refused_or_failed=%llu\n", max / 1e3,
	       (unsigned long long)n, (unsigned long long)fails);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve();
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "stall"))
		return cmd_stall(argc - 2, argv + 2);
	fprintf(stderr, "usage: cmpbench serve [TAG] | run OPTIONS | stall SECONDS ADDR PORT\n");
	return 2;
}
