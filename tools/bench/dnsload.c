// SPDX-License-Identifier: GPL-2.0
/*
 * dnsload: DNS queries one at a time or many in flight, each one timed,
 * for the DNS proxy part of tools/bench/run.sh (dnsproxy.sh).
 *
 *   dnsload hosts UNIQUE REPEAT [ZONE]
 *       the names' hosts file (for dnsmasq's addn-hosts) on stdout:
 *       uI.ZONE -> 10.64.0.0 + 1 + I (I < UNIQUE), rJ.ZONE -> 10.78.0.0 + 1 + J
 *       (ZONE: bench.test unless given)
 *   dnsload run [--server ADDR] [--port P] [--zone Z] (--unique BASE | --repeat K)
 *               --count N [--depth D] [--connect PORT] [--before] [--procs FILE]
 *               [--cpu C] [--timeout-ms T] [--ready-ms W] [--lat FILE] [--out FILE]
 *       N A queries over UDP (one connected socket) to ADDR:P (default
 *       198.51.100.2:53): names uBASE.. uBASE+N-1 (each asked once), or
 *       r0 .. rK-1 over and over.  --depth 1 (default): one at a time;
 *       D > 1: D in flight.  --connect PORT (depth 1 only): right after
 *       each answer, a TCP connect() to the answered address:PORT, outside
 *       the timed part; EPERM means the kernel did not allow the address
 *       yet (a reply that left before its insert).  --before: a connect()
 *       to the name's address before each query too, which must be EPERM
 *       (nothing allows it yet; --unique only).  --procs: join that cgroup
 *       first; --cpu: pin to that CPU; --ready-ms W: first ask r0 until it
 *       is answered (a listener may come up late), for at most W ms
 *       (probes= says how many went out).
 *       --lat FILE: every answered query's latency in ns, one a line.
 *       One result line on stdout (and into --out FILE):
 *         dnsload depth= names= count= answered= lost= bad= seconds= qps=
 *         p50_us= p90_us= p99_us= max_us= mean_us= connects= reached=
 *         eperm= other= before= before_eperm= probes=
 *       exit 1 when a query went unanswered or wrong, or a connect() after
 *       an answer was refused (EPERM or anything but reaching the world).
 *   dnsload stats FILE...
 *       the latencies of --lat files together:
 *         n= p50_us= p90_us= p99_us= max_us= mean_us=
 *   dnsload ask SOCKET REQUEST
 *       one request to rcc-bpf's control socket, the answer on stdout.
 *
 * "Reached" is a connect() that got to the world: accepted, or refused by
 * it (ECONNREFUSED: an RST; the bench's world answers so).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 1500

struct opts {
	struct sockaddr_in server;
	const char *zone, *procs, *lat, *out;
	long unique_base; /* -1: repeated names */
	long repeat, count;
	int depth, connect_port, cpu, timeout_ms, ready_ms;
	int before;
};

struct result {
	long answered, lost, bad;
	long connects, reached, eperm, other, before, before_eperm;
	long probes; /* --ready-ms queries sent to a connected socket */
	uint64_t *lat; /* answered queries' latencies, ns */
	double seconds;
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("dnsload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ------------------------------------------------------------ names */

static uint32_t name_addr(int unique, long i)
{
	return (unique ? 0x0a400000u : 0x0a4e0000u) + 1 + (uint32_t)i;
}

static void name_of(const struct opts *o, long i, char *buf, size_t len, uint32_t *addr)
{
	int unique = o->unique_base >= 0;
	long n = unique ? o->unique_base + i : i % o->repeat;

	snprintf(buf, len, "%c%ld.%s", unique ? 'u' : 'r', n, o->zone);
	if (addr)
		*addr = name_addr(unique, n);
}

static int cmd_hosts(int argc, char **argv)
{
	const char *zone = argc > 4 ? argv[4] : "bench.test";
	long u, r, i;
	uint32_t a;

	if (argc != 4 && argc != 5)
		die("usage: dnsload hosts UNIQUE REPEAT [ZONE]");
	u = atol(argv[2]);
	r = atol(argv[3]);
	if (u < 0 || r < 0 || u > 0x0dfffff || r > 0x1fffe)
		die("too many names");
	for (i = 0; i < u + r; i++) {
		a = i < u ? name_addr(1, i) : name_addr(0, i - u);
		printf("%u.%u.%u.%u %c%ld.%s\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
		       i < u ? 'u' : 'r', i < u ? i : i - u, zone);
	}
	return 0;
}

/* ------------------------------------------------------------ wire */

/* An A query for name with id; its length. */
static size_t build_query(uint8_t *q, uint16_t id, const char *name)
{
	size_t n = 12;
	const char *l = name, *dot;

	memset(q, 0, 12);
	q[0] = id >> 8;
	q[1] = id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	while (*l) {
		size_t ll;

		dot = strchr(l, '.');
		ll = dot ? (size_t)(dot - l) : strlen(l);
		q[n++] = ll;
		memcpy(q + n, l, ll);
		n += ll;
		l += ll + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = 0, q[n++] = 1; /* A */
	q[n++] = 0, q[n++] = 1; /* IN */
	return n;
}

/* Skips a name at r[*i]; 0, or -1 when it runs past len. */
static int skip_name(const uint8_t *r, size_t len, size_t *i)
{
	while (*i < len) {
		if (r[*i] >= 0xc0) {
			*i += 2;
			return *i <= len ? 0 : -1;
		}
		if (!r[*i]) {
			(*i)++;
			return 0;
		}
		*i += r[*i] + 1;
	}
	return -1;
}

/*
 * The reply to query q (qlen bytes): its first A address into *addr.
 * 0: a good answer; -1: not ours (another id: a late one); -2: wrong.
 */
static int parse_reply(const uint8_t *r, size_t len, const uint8_t *q, size_t qlen,
		       uint32_t *addr)
{
	size_t i = qlen;
	int an;

	if (len < 12 || r[0] != q[0] || r[1] != q[1])
		return -1;
	if (!(r[2] & 0x80) || (r[3] & 0x0f) || len < qlen || r[5] != 1 ||
	    strncasecmp((const char *)r + 12, (const char *)q + 12, qlen - 12))
		return -2;
	for (an = (r[6] << 8) | r[7]; an > 0; an--) {
		uint16_t type, rdlen;

		if (skip_name(r, len, &i) || i + 10 > len)
			return -2;
		type = (r[i] << 8) | r[i + 1];
		rdlen = (r[i + 8] << 8) | r[i + 9];
		i += 10;
		if (i + rdlen > len)
			return -2;
		if (type == 1 && rdlen == 4) {
			memcpy(addr, r + i, 4);
			*addr = ntohl(*addr);
			return 0;
		}
		i += rdlen;
	}
	return -2;
}

/* ------------------------------------------------------------ run */

static int udp_socket(const struct opts *o)
{
	struct timeval tv = { .tv_sec = o->timeout_ms / 1000,
			      .tv_usec = (o->timeout_ms % 1000) * 1000 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die("socket: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (const struct sockaddr *)&o->server, sizeof(o->server))) {
		close(s);
		return -errno;
	}
	return s;
}

/* TCP connect() to addr:port: 0 reached the world, else the errno. */
static int try_connect(uint32_t addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(addr) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (s < 0)
		die("socket: %s", strerror(errno));
	rc = connect(s, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	close(s);
	return rc == ECONNREFUSED ? 0 : rc;
}

/* One query, sent and answered on s: latency ns into *lat, the address
 * into *addr; 0, -1 lost (timeout), -2 wrong. */
static int ask_one(int s, uint16_t id, const char *name, uint64_t *lat, uint32_t *addr)
{
	uint8_t q[MSG_MAX], r[MSG_MAX];
	size_t qlen = build_query(q, id, name);
	uint64_t t0 = now_ns();
	ssize_t n;
	int rc;

	if (send(s, q, qlen, 0) != (ssize_t)qlen)
		return errno == ECONNREFUSED ? -1 : -2;
	for (;;) {
		n = recv(s, r, sizeof(r), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ? -1 :
												 -2;
		rc = parse_reply(r, n, q, qlen, addr);
		if (rc != -1)
			break;
	}
	*lat = now_ns() - t0;
	return rc;
}

/* --ready-ms: r0 until it is answered. */
static int wait_ready(const struct opts *o, struct result *res)
{
	uint64_t end = now_ns() + (uint64_t)o->ready_ms * 1000000, lat;
	char name[256];
	uint32_t addr;
	int s;

	snprintf(name, sizeof(name), "r0.%s", o->zone);
	while (now_ns() < end) {
		s = udp_socket(o);
		if (s >= 0) {
			int rc = ask_one(s, 0x5a5a, name, &lat, &addr);

			res->probes++;
			close(s);
			if (!rc)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void count_connect(struct result *res, int rc)
{
	res->connects++;
	if (!rc)
		res->reached++;
	else if (rc == EPERM)
		res->eperm++;
	else
		res->other++;
}

static void run_sequential(const struct opts *o, int s, struct result *res)
{
	char name[256];
	uint32_t want, addr;
	long i;

	for (i = 0; i < o->count; i++) {
		uint64_t lat;
		int rc;

		name_of(o, i, name, sizeof(name), &want);
		if (o->before) {
			res->before++;
			if (try_connect(want, o->connect_port) == EPERM)
				res->before_eperm++;
		}
		rc = ask_one(s, (uint16_t)i, name, &lat, &addr);
		if (rc == -1) {
			res->lost++;
			continue;
		}
		if (rc || addr != want) {
			res->bad++;
			continue;
		}
		res->lat[res->answered++] = lat;
		if (o->connect_port)
			count_connect(res, try_connect(addr, o->connect_port));
	}
}

/* Pipelined: up to depth queries in flight; query i has id i & 0xffff. */
struct flight {
	uint64_t sent;
	size_t qlen;
	uint8_t q[260];
	int state; /* 0 waiting to be sent, 1 in flight, 2 done */
};

static void receive_ready(const struct opts *o, int s, struct flight *f, struct result *res,
			  long *inflight)
{
	uint8_t r[MSG_MAX];
	char name[256];
	ssize_t n;

	while ((n = recv(s, r, sizeof(r), MSG_DONTWAIT)) > 0) {
		long i;
		uint32_t addr, want;
		struct flight *x;
		int rc;

		/* the in-flight query whose id this is (ids repeat every 65536) */
		for (i = ((r[0] << 8) | r[1]); i < o->count; i += 65536)
			if (f[i].state == 1)
				break;
		if (n < 2 || i >= o->count)
			continue;
		x = &f[i];
		rc = parse_reply(r, n, x->q, x->qlen, &addr);
		if (rc == -1)
			continue;
		x->state = 2;
		(*inflight)--;
		name_of(o, i, name, sizeof(name), &want);
		if (rc || addr != want)
			res->bad++;
		else
			res->lat[res->answered++] = now_ns() - x->sent;
	}
}

static void run_pipelined(const struct opts *o, int s, struct result *res)
{
	struct flight *f = calloc(o->count, sizeof(*f));
	long next = 0, oldest = 0, inflight = 0;
	char name[256];

	if (!f)
		die("out of memory");
	while (oldest < o->count) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		uint64_t deadline;
		int ms;

		while (inflight < o->depth && next < o->count) {
			name_of(o, next, name, sizeof(name), NULL);
			f[next].qlen = build_query(f[next].q, (uint16_t)next, name);
			f[next].sent = now_ns();
			f[next].state = 1;
			if (send(s, f[next].q, f[next].qlen, 0) != (ssize_t)f[next].qlen)
				f[next].sent = 0; /* counts as lost at its deadline */
			inflight++;
			next++;
		}
		while (oldest < o->count && f[oldest].state == 2)
			oldest++;
		if (oldest >= o->count)
			break;
		deadline = f[oldest].sent + (uint64_t)o->timeout_ms * 1000000;
		ms = deadline > now_ns() ? (int)((deadline - now_ns()) / 1000000) + 1 : 0;
		if (poll(&p, 1, ms) > 0) {
			receive_ready(o, s, f, res, &inflight);
		} else if (now_ns() >= deadline) {
			f[oldest].state = 2;
			inflight--;
			res->lost++;
		}
	}
	free(f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank */
static double pct_us(const uint64_t *v, long n, double p)
{
	long k = (long)(p * n + 0.999999);

	if (!n)
		return 0;
	if (k < 1)
		k = 1;
	return v[(k > n ? n : k) - 1] / 1e3;
}

/* "p50_us=.. p90_us=.. p99_us=.. max_us=.. mean_us=.." of v (sorted here) */
static void print_pcts(FILE *f, uint64_t *v, long n)
{
	double sum = 0;
	long i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += v[i];
	fprintf(f, "p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f", pct_us(v, n, 0.5),
		pct_us(v, n, 0.9), pct_us(v, n, 0.99), n ? v[n - 1] / 1e3 : 0, n ? sum / n / 1e3 : 0);
}

static void print_result(FILE *f, const struct opts *o, struct result *res)
{
	fprintf(f, "dnsload depth=%d names=%s count=%ld answered=%ld lost=%ld bad=%ld seconds=%.4f qps=%.0f ",
		o->depth, o->unique_base >= 0 ? "unique" : "repeat", o->count, res->answered,
		res->lost, res->bad, res->seconds, res->seconds > 0 ? res->answered / res->seconds : 0);
	print_pcts(f, res->lat, res->answered);
	fprintf(f, " connects=%ld reached=%ld eperm=%ld other=%ld before=%ld before_eperm=%ld probes=%ld\n",
		res->connects, res->reached, res->eperm, res->other, res->before, res->before_eperm,
		res->probes);
}

static void write_lat(const char *path, const struct result *res)
{
	FILE *f = fopen(path, "w");
	long i;

	if (!f)
		die("cannot write: %s", path);
	for (i = 0; i < res->answered; i++)
		fprintf(f, "%llu\n", (unsigned long long)res->lat[i]);
	if (fclose(f))
		die("cannot write: %s", path);
}

static void join_cgroup(const char *procs)
{
	FILE *f = fopen(procs, "w");

	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die("cannot join the cgroup: %s", procs);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity: %s", strerror(errno));
}

static void parse_run(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "server", 1, 0, 's' },  { "port", 1, 0, 'P' },    { "zone", 1, 0, 'z' },
		{ "unique", 1, 0, 'u' },  { "repeat", 1, 0, 'r' },  { "count", 1, 0, 'n' },
		{ "depth", 1, 0, 'd' },	  { "connect", 1, 0, 'c' }, { "before", 0, 0, 'b' },
		{ "procs", 1, 0, 'p' },	  { "cpu", 1, 0, 'C' },	    { "timeout-ms", 1, 0, 't' },
		{ "ready-ms", 1, 0, 'w' }, { "lat", 1, 0, 'l' },    { "out", 1, 0, 'o' },
		{ 0 },
	};
	const char *server = "198.51.100.2";
	int port = 53, c;

	*o = (struct opts){ .zone = "bench.test", .unique_base = -1, .depth = 1, .cpu = -1,
			    .timeout_ms = 1000 };
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'P': port = atoi(optarg); break;
		case 'z': o->zone = optarg; break;
		case 'u': o->unique_base = atol(optarg); break;
		case 'r': o->repeat = atol(optarg); break;
		case 'n': o->count = atol(optarg); break;
		case 'd': o->depth = atoi(optarg); break;
		case 'c': o->connect_port = atoi(optarg); break;
		case 'b': o->before = 1; break;
		case 'p': o->procs = optarg; break;
		case 'C': o->cpu = atoi(optarg); break;
		case 't': o->timeout_ms = atoi(optarg); break;
		case 'w': o->ready_ms = atoi(optarg); break;
		case 'l': o->lat = optarg; break;
		case 'o': o->out = optarg; break;
		default: die("usage: see the comment at the top of tools/bench/dnsload.c");
		}
	}
	o->server.sin_family = AF_INET;
	o->server.sin_port = htons(port);
	if (inet_pton(AF_INET, server, &o->server.sin_addr) != 1)
		die("--server is not an IPv4 address: %s", server);
	if (o->count <= 0 || o->depth < 1 || o->depth > 4096 || o->timeout_ms < 1 ||
	    (o->unique_base < 0) == (o->repeat <= 0))
		die("need --count N > 0, 1 <= --depth <= 4096, and --unique or --repeat");
	if (strlen(o->zone) > 200)
		die("--zone is too long: %s", o->zone);
	if ((o->connect_port || o->before) && o->depth != 1)
		die("--connect and --before need --depth 1");
	if (o->before && (o->unique_base < 0 || !o->connect_port))
		die("--before needs --unique and --connect");
}

static int cmd_run(int argc, char **argv)
{
	struct result res = { 0 };
	struct opts o;
	uint64_t t0;
	int s;

	parse_run(argc, argv, &o);
	if (o.procs)
		join_cgroup(o.procs);
	if (o.cpu >= 0)
		pin_cpu(o.cpu);
	res.lat = calloc(o.count, sizeof(*res.lat));
	if (!res.lat)
		die("out of memory");
	if (o.ready_ms && wait_ready(&o, &res))
		die("no answer to r0 in --ready-ms");
	s = udp_socket(&o);
	if (s < 0)
		die("connect (UDP): %s", strerror(-s));
	t0 = now_ns();
	if (o.depth == 1)
		run_sequential(&o, s, &res);
	else
		run_pipelined(&o, s, &res);
	res.seconds = (now_ns() - t0) / 1e9;
	close(s);
	if (o.lat)
		write_lat(o.lat, &res);
	if (o.out) {
		FILE *f = fopen(o.out, "w");

		if (!f)
			die("cannot write: %s", o.out);
		print_result(f, &o, &res);
		fclose(f);
	}
	print_result(stdout, &o, &res);
	return res.lost || res.bad || res.eperm || res.other ? 1 : 0;
}

/* ------------------------------------------------------------ stats, ask */

static int cmd_stats(int argc, char **argv)
{
	size_t n = 0, cap = 1 << 16;
	uint64_t *v = malloc(cap * sizeof(*v));
	unsigned long long x;
	int i;

	if (!v)
		die("out of memory");
	for (i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f)
			die("cannot read: %s", argv[i]);
		while (fscanf(f, "%llu", &x) == 1) {
			if (n == cap && !(v = realloc(v, (cap *= 2) * sizeof(*v))))
				die("out of memory");
			v[n++] = x;
		}
		fclose(f);
	}
	printf("n=%zu ", n);
	print_pcts(stdout, v, n);
	putchar('\n');
	free(v);
	return 0;
}

static int cmd_ask(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int s;

	if (argc != 4 || strlen(argv[2]) >= sizeof(sa.sun_path))
		die("usage: dnsload ask SOCKET REQUEST");
	strcpy(sa.sun_path, argv[2]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)))
		die("cannot connect to the control socket: %s", argv[2]);
	snprintf(buf, sizeof(buf), "%s\n", argv[3]);
	if (write(s, buf, strlen(buf)) != (ssize_t)strlen(buf))
		die("cannot write the request: %s", strerror(errno));
	while ((n = read(s, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(s);
	return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "hosts"))
		return cmd_hosts(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "stats"))
		return cmd_stats(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "ask"))
		return cmd_ask(argc, argv);
	die("usage: dnsload hosts|run|stats|ask ... (see tools/bench/dnsload.c)");
}
