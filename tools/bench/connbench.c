// SPDX-License-Identifier: GPL-2.0
/*
 * connbench: what rcc-bpf costs a connect(), for tools/bench/run.sh.
 *
 *   connbench gen FAMILY N          the N `allow =` lines of the test set
 *   connbench sanity OPTIONS        every configuration filters (exit 1 if not)
 *   connbench run OPTIONS           sanity, timed rounds, BPF stats, report
 *
 * run --audit FILE adds the audit pipeline's results (tools/bench/audit.sh:
 * one "KIND key=value ..." line per flood) to the report; --sanity-extra
 * P,F adds checks made elsewhere to the closing "sanity:" line.
 *
 * It runs inside the sandbox network namespace and moves itself from
 * cgroup to cgroup (one per configuration; "base" has no program) by
 * writing its pid to CG/cgroup.procs.  Destinations are addresses of one
 * test prefix that the world namespace answers for as a whole (a `local`
 * route), on a port nobody listens on: every connect() that is let through
 * ends in the world's RST, ECONNREFUSED, without waiting on a peer.
 *
 * The test set: a seeded permutation of the prefix's host numbers; the set
 * of size N is its first N members, so smaller sets are subsets of larger
 * ones, and the last member is in no set (the denied probe).
 *   IPv4: 10.64.0.0/12 + k         IPv6: 2001:db8:1::/64 + k
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#define SPACE_BITS 20
#define SPACE (1u << SPACE_BITS) /* host numbers in the prefix */
#define SET_MAX (SPACE - 2)	 /* 1 .. SPACE-2: no .0, no all-ones */
#define MAX_CFG 16
#define CFG_BASE 0 /* no program: the baseline */
#define CFG_CTL 1  /* no program either: the A/A control */
#define MAX_BATCH 1024
#define MAX_LOAD 32

enum { PAT_WARM, PAT_RAND, NPAT };
static const char *const pat_name[NPAT] = { "warm", "random" };
enum { PR_CONNECT, PR_EGRESS, PR_SOCK, NPROG };
static const char *const prog_label[NPROG] = { "connect", "egress", "sock_create" };

struct cfg {
	char name[32];	  /* base, v4-10, ... */
	int family;	  /* 0 for base: serves every family */
	unsigned entries; /* 0: no program */
	int procs_fd;	  /* CG/cgroup.procs */
	int prog_fd[NPROG];
};

struct opts {
	const char *cgroot, *pinroot, *outdir, *rev;
	unsigned sizes[MAX_CFG];
	int nsizes;
	int families[2];
	int nfam;
	int rounds, batch, warmup, stats_rounds, cpu;
	unsigned port;
	uint64_t seed;
	bool quick;
	struct {
		char key[32];
		double v[16];
		int n;
	} load[MAX_LOAD];
	int nload;
	const char *audit_file;
	int extra_pass, extra_fail;
};

static struct cfg cfgs[MAX_CFG];
static int ncfg;
static uint32_t *perm;
static uint64_t rng_state;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("connbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The permutation behind every set; same seed, same sets (gen and run). */
static void make_perm(uint64_t seed)
{
	uint32_t i;

	perm = malloc(SET_MAX * sizeof(*perm));
	if (!perm)
		die("out of memory");
	for (i = 0; i < SET_MAX; i++)
		perm[i] = i + 1;
	rng_state = seed;
	for (i = SET_MAX - 1; i > 0; i--) {
		uint32_t j = rnd() % (i + 1), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
}

union sa {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static socklen_t make_sa(union sa *s, int family, uint32_t host, unsigned port)
{
	memset(s, 0, sizeof(*s));
	if (family == 4) {
		s->v4.sin_family = AF_INET;
		s->v4.sin_port = htons(port);
		s->v4.sin_addr.s_addr = htonl((10u << 24) | (64u << 16) | host);
		return sizeof(s->v4);
	}
	s->v6.sin6_family = AF_INET6;
	s->v6.sin6_port = htons(port);
	inet_pton(AF_INET6, "2001:db8:1::", &s->v6.sin6_addr);
	s->v6.sin6_addr.s6_addr32[3] = htonl(host);
	return sizeof(s->v6);
}

static const char *sa_str(const union sa *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (s->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &s->v4.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->v4.sin_port));
	} else {
		inet_ntop(AF_INET6, &s->v6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->v6.sin6_port));
	}
	return buf;
}

static int cmd_gen(int argc, char **argv, uint64_t seed, unsigned port)
{
	unsigned fam, n, i;
	union sa s;
	char buf[80];

	if (argc != 2)
		die("usage: connbench gen 4|6 N");
	fam = atoi(argv[0]);
	n = strtoul(argv[1], NULL, 10);
	if ((fam != 4 && fam != 6) || n == 0 || n > SET_MAX - 1)
		die("gen: family 4 or 6, N from 1 to %u", SET_MAX - 1);
	make_perm(seed);
	for (i = 0; i < n; i++) {
		make_sa(&s, fam, perm[i], port);
		printf("allow = %s/tcp\n", sa_str(&s, buf, sizeof(buf)));
	}
	return ferror(stdout) ? 1 : 0;
}

/* ---- kernel side: cgroups and BPF statistics ---- */

static void move_to(const struct cfg *c)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", getpid());

	if (write(c->procs_fd, pid, n) != n)
		die("cannot move into cgroup of '%s': %s", c->name, strerror(errno));
}

static int bpf_sys(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int obj_get(const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uintptr_t)path;
	return bpf_sys(BPF_OBJ_GET, &a);
}

static void prog_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	union bpf_attr a;

	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	if (bpf_sys(BPF_OBJ_GET_INFO_BY_FD, &a))
		die("cannot read BPF program info: %s", strerror(errno));
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
}

/* Run-time statistics on while the fd is open; off again when it closes. */
static int enable_stats(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	return bpf_sys(BPF_ENABLE_STATS, &a);
}

static void setup_cfgs(const struct opts *o)
{
	char path[4096];
	int f, s, p;

	/* f = -2: "base", the baseline; f = -1: "ctl", a second cgroup
	 * without a program, the A/A control of the method */
	for (f = -2; f < o->nfam; f++) {
		for (s = 0; s < (f < 0 ? 1 : o->nsizes); s++) {
			struct cfg *c = &cfgs[ncfg++];

			if (ncfg > MAX_CFG)
				die("too many configurations");
			memset(c, 0, sizeof(*c));
			if (f < 0) {
				snprintf(c->name, sizeof(c->name), f == -2 ? "base" : "ctl");
			} else {
				c->family = o->families[f];
				c->entries = o->sizes[s];
				snprintf(c->name, sizeof(c->name), "v%d-%u", c->family, c->entries);
			}
			snprintf(path, sizeof(path), "%s/%s/cgroup.procs", o->cgroot, c->name);
			c->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
			if (c->procs_fd < 0)
				die("cannot open '%s': %s", path, strerror(errno));
			for (p = 0; p < NPROG; p++) {
				static const char *const pn[NPROG] = { NULL, "rcc_egress",
								       "rcc_sock_create" };
				const char *name =
					p == PR_CONNECT ?
						(c->family == 4 ? "rcc_connect4" : "rcc_connect6") :
						pn[p];

				c->prog_fd[p] = -1;
				if (!c->entries)
					continue;
				snprintf(path, sizeof(path), "%s/%s/v3/progs/%s", o->pinroot,
					 c->name, name);
				c->prog_fd[p] = obj_get(path);
				if (c->prog_fd[p] < 0)
					die("cannot open pinned program '%s': %s", path,
					    strerror(errno));
			}
		}
	}
}

/* The destinations of one batch, drawn before the clock starts. */
static void fill_dests(const struct opts *o, int family, int pat, unsigned set, union sa *sa,
		       socklen_t *len, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uint32_t host = pat == PAT_WARM ? perm[0] : perm[rnd() % set];

		len[i] = make_sa(&sa[i], family, host, o->port);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * n connect()s from the current cgroup; sockets are made before and closed
 * after the clock.  Returns ns per connect; *bad counts results other than
 * ECONNREFUSED (the world's RST).
 */
static double batch(int family, const union sa *sa, const socklen_t *len, int n, int *bad)
{
	static int fds[MAX_BATCH];
	int i, dom = family == 4 ? AF_INET : AF_INET6;
	uint64_t t0, t1;

	for (i = 0; i < n; i++) {
		fds[i] = socket(dom, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			die("socket: %s", strerror(errno));
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (connect(fds[i], &sa[i].sa, len[i]) == 0 || errno != ECONNREFUSED)
			(*bad)++;
	t1 = now_ns();
	for (i = 0; i < n; i++)
		close(fds[i]);
	return (double)(t1 - t0) / n;
}

/* errno of one connect() to sa from the current cgroup (0: connected). */
static int probe(int family, const union sa *sa, socklen_t len)
{
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc, err;

	if (fd < 0)
		return errno;
	rc = connect(fd, &sa->sa, len);
	err = rc ? errno : 0;
	close(fd);
	return err;
}

/* (configuration, family) pairs that passed and failed the sanity check */
static int san_pass, san_fail;
static int extra_pass, extra_fail; /* --sanity-extra: checks made elsewhere */

/* The closing line, and the counts for tests/run-all.sh in the file
 * $TEST_COUNTS names ("PASSED FAILED"). */
static void sanity_summary(void)
{
	const char *path = getenv("TEST_COUNTS");
	FILE *f = path && *path ? fopen(path, "w") : NULL;

	fprintf(stderr, "sanity: %d passed, %d failed\n", san_pass + extra_pass,
		san_fail + extra_fail);
	if (f) {
		fprintf(f, "%d %d\n", san_pass + extra_pass, san_fail + extra_fail);
		fclose(f);
	}
}

static unsigned biggest(const struct opts *o)
{
	unsigned max = 0;
	int i;

	for (i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > max)
			max = o->sizes[i];
	return max;
}

/*
 * Before any timing: under every configuration, members of its set reach
 * the world (ECONNREFUSED), and a destination outside it (an address in no
 * set; a member on another port) is refused by the program (EPERM).  The
 * baseline reaches everything.  One line per configuration and family;
 * every probe is shown when one fails.
 */
static int sanity(const struct opts *o)
{
	int i, f, fails = 0;

	for (i = 0; i < ncfg; i++) {
		const struct cfg *c = &cfgs[i];

		move_to(c);
		for (f = 0; f < o->nfam; f++) {
			int fam = o->families[f];
			unsigned size = c->entries ? c->entries : biggest(o);
			struct {
				const char *what;
				uint32_t host;
				unsigned port;
				int want;
			} t[] = {
				{ "first member", perm[0], o->port, ECONNREFUSED },
				{ "last member", perm[size - 1], o->port, ECONNREFUSED },
				{ "middle member", perm[size / 2], o->port, ECONNREFUSED },
				{ "address in no set", perm[SET_MAX - 1], o->port,
				  c->entries ? EPERM : ECONNREFUSED },
				{ "member on another port", perm[0], o->port + 1,
				  c->entries ? EPERM : ECONNREFUSED },
			};
			char lines[sizeof(t) / sizeof(t[0])][200];
			size_t k, n = sizeof(t) / sizeof(t[0]);
			int bad = 0;

			if (c->family && c->family != fam)
				continue;
			for (k = 0; k < n; k++) {
				union sa sa;
				socklen_t len = make_sa(&sa, fam, t[k].host, t[k].port);
				int got = probe(fam, &sa, len);
				char buf[80];

				bad += got != t[k].want;
				snprintf(lines[k], sizeof(lines[k]),
					 "    %s %-22s %-30s got %s, want %s",
					 got == t[k].want ? "ok  " : "FAIL", t[k].what,
					 sa_str(&sa, buf, sizeof(buf)), strerror(got),
					 strerror(t[k].want));
			}
			san_pass += !bad;
			san_fail += !!bad;
			if (!bad) {
				fprintf(stderr,
					"  ok   %-10s IPv%d: 3 members reached the world, %s\n",
					c->name, fam,
					c->entries ? "2 outside the set refused (EPERM)" :
						     "and so did 2 outsiders (no program)");
			} else {
				fprintf(stderr, "  FAIL %-10s IPv%d:\n", c->name, fam);
				for (k = 0; k < n; k++)
					fprintf(stderr, "%s\n", lines[k]);
			}
			fails += bad;
		}
	}
	return fails;
}

/* ---- statistics ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Quantile q of v[0..n) (sorts v), linear between order statistics. */
static double quant(double *v, int n, double q)
{
	double h;
	int lo;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	h = (n - 1) * q;
	lo = (int)h;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

struct q3 {
	double q1, med, q3;
};

static struct q3 q3_of(const double *src, int n)
{
	double *v = malloc((n + 1) * sizeof(*v));
	struct q3 r;

	if (!v)
		die("out of memory");
	memcpy(v, src, n * sizeof(*v));
	r.q1 = quant(v, n, 0.25);
	r.med = quant(v, n, 0.5);
	r.q3 = quant(v, n, 0.75);
	free(v);
	return r;
}

/* ---- the run ---- */

/*
 * One row of the report: batches of one (family, destinations,
 * configuration, set).  Random destinations cost the kernel more the more
 * of them there are (with or without a program), so each random row has
 * its own no-program row drawing from the same set: the pair.
 */
struct row {
	int fam; /* index into o->families */
	int pat;
	int cfg;				  /* index into cfgs; 0 = base */
	unsigned set;				  /* destinations: the set's first `set` members */
	int pair;				  /* the no-program row it is divided by */
	double *t;				  /* ns per connect, per round */
	uint64_t ns[NPROG], cnt[NPROG], connects; /* BPF statistics */
};

static struct row rows[4 * MAX_CFG];
static int nrows;
static double migrate_ns_sum;
static long migrate_n;
static long bad_total;

static void shuffle(int *v, int n)
{
	int i;

	for (i = n - 1; i > 0; i--) {
		int j = rnd() % (i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static int add_row(const struct opts *o, int f, int pat, int cfg, unsigned set, int pair)
{
	struct row *r = &rows[nrows];

	if (nrows == (int)(sizeof(rows) / sizeof(rows[0])))
		die("too many rows");
	memset(r, 0, sizeof(*r));
	r->fam = f;
	r->pat = pat;
	r->cfg = cfg;
	r->set = set;
	r->pair = pair < 0 ? nrows : pair;
	r->t = calloc(o->rounds, sizeof(double));
	if (!r->t)
		die("out of memory");
	return nrows++;
}

static void make_rows(const struct opts *o)
{
	int f, i, s, base;

	for (f = 0; f < o->nfam; f++) {
		base = add_row(o, f, PAT_WARM, CFG_BASE, 1, -1);
		add_row(o, f, PAT_WARM, CFG_CTL, 1, base);
		for (i = 0; i < ncfg; i++)
			if (cfgs[i].family == o->families[f])
				add_row(o, f, PAT_WARM, i, 1, base);
		for (s = 0; s < o->nsizes; s++) {
			base = add_row(o, f, PAT_RAND, CFG_BASE, o->sizes[s], -1);
			if (o->sizes[s] == biggest(o))
				add_row(o, f, PAT_RAND, CFG_CTL, o->sizes[s], base);
			for (i = 0; i < ncfg; i++)
				if (cfgs[i].family == o->families[f] &&
				    cfgs[i].entries == o->sizes[s])
					add_row(o, f, PAT_RAND, i, o->sizes[s], base);
		}
	}
}

static void run_row(const struct opts *o, struct row *w, int round, bool stats)
{
	static union sa sa[MAX_BATCH];
	static socklen_t len[MAX_BATCH];
	const struct cfg *c = &cfgs[w->cfg];
	int fam = o->families[w->fam], bad = 0, p;
	uint64_t t0 = now_ns(), ns0[NPROG] = {}, cnt0[NPROG] = {};
	double t;

	move_to(c);
	migrate_ns_sum += now_ns() - t0;
	migrate_n++;
	/* warm-up: the path, the destination, the program's maps */
	fill_dests(o, fam, w->pat, w->set, sa, len, o->warmup);
	batch(fam, sa, len, o->warmup, &bad);
	fill_dests(o, fam, w->pat, w->set, sa, len, o->batch);
	if (stats)
		for (p = 0; p < NPROG; p++)
			if (c->prog_fd[p] >= 0)
				prog_stats(c->prog_fd[p], &ns0[p], &cnt0[p]);
	t = batch(fam, sa, len, o->batch, &bad);
	if (stats) {
		for (p = 0; p < NPROG; p++) {
			uint64_t ns, cnt;

			if (c->prog_fd[p] < 0)
				continue;
			prog_stats(c->prog_fd[p], &ns, &cnt);
			w->ns[p] += ns - ns0[p];
			w->cnt[p] += cnt - cnt0[p];
		}
		w->connects += o->batch;
	} else {
		w->t[round] = t;
	}
	if (bad) {
		bad_total += bad;
		if (bad > o->batch / 10)
			die("%s, %s v%d: %d of %d connects did not end in ECONNREFUSED; the test network or the filter is broken",
			    c->name, pat_name[w->pat], fam, bad, o->batch + o->warmup);
	}
}

static const char *count_label(unsigned n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%uM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

static const char *row_label(const struct row *w, char *buf, size_t len)
{
	char n[32];

	if (cfgs[w->cfg].entries)
		return count_label(cfgs[w->cfg].entries, buf, len);
	if (w->cfg == CFG_CTL)
		snprintf(buf, len, "A/A control: no program, 2nd cgroup");
	else if (w->pat == PAT_WARM)
		snprintf(buf, len, "no program");
	else
		snprintf(buf, len, "no program (set of %s)", count_label(w->set, n, sizeof(n)));
	return buf;
}

static const char *pf(bool ok)
{
	return ok ? "PASS" : "MISS";
}

static struct q3 row_ratio(const struct opts *o, const struct row *w)
{
	double *v = malloc(o->rounds * sizeof(*v));
	struct q3 r;
	int k;

	if (!v)
		die("out of memory");
	for (k = 0; k < o->rounds; k++)
		v[k] = w->t[k] / rows[w->pair].t[k];
	r = q3_of(v, o->rounds);
	free(v);
	return r;
}

/* (connect hook + egress) ns per connect() */
static double row_prog_ns(const struct row *w)
{
	return w->connects ? (double)(w->ns[PR_CONNECT] + w->ns[PR_EGRESS]) / w->connects : 0;
}

static const struct row *find_row(int f, int pat, unsigned entries)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (rows[i].fam == f && rows[i].pat == pat && cfgs[rows[i].cfg].entries == entries)
			return &rows[i];
	return NULL;
}

static void json_str(FILE *js, const char *s)
{
	fputc('"', js);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', js);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, js);
	}
	fputc('"', js);
}

/* ---- the audit pipeline (results of tools/bench/audit.sh) ---- */

#define MAX_AUDIT 32
#define MAX_AKEYS 32
#define DEFAULT_RING (8u << 20)

struct arow {
	char kind[16]; /* "alone" or "run" */
	int n;
	char key[MAX_AKEYS][32];
	double v[MAX_AKEYS];
};

static struct arow arows[MAX_AUDIT];
static int narows;

static double aget(const struct arow *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->v[i];
	return 0;
}

static void read_audit(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[2048];

	if (!f)
		die("cannot read '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) && narows < MAX_AUDIT) {
		struct arow *r = &arows[narows];
		char *tok, *save = NULL;

		memset(r, 0, sizeof(*r));
		tok = strtok_r(line, " \t\n", &save);
		if (!tok)
			continue;
		snprintf(r->kind, sizeof(r->kind), "%s", tok);
		while ((tok = strtok_r(NULL, " \t\n", &save)) && r->n < MAX_AKEYS) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = '\0';
			snprintf(r->key[r->n], sizeof(r->key[0]), "%s", tok);
			r->v[r->n++] = strtod(eq + 1, NULL);
		}
		narows++;
	}
	fclose(f);
}

/* Figures of one run, derived from its counts. */
struct afig {
	double secs, flood, read_rate, cores, ns_event, lost_pct, cpu_s;
	unsigned long long d, w, f, l, flooder;
};

static struct afig afig(const struct arow *r)
{
	struct afig a = {};
	double tck = aget(r, "clk_tck");

	a.secs = aget(r, "seconds");
	a.flooder = aget(r, "denials_flooder");
	a.d = aget(r, "denials");
	a.w = aget(r, "written");
	a.f = aget(r, "folded");
	a.l = aget(r, "lost");
	a.cpu_s = tck > 0 ? aget(r, "cpu_ticks") / tck : 0;
	if (a.secs > 0) {
		a.flood = a.flooder / a.secs;
		a.read_rate = (a.w + a.f) / a.secs;
		a.cores = a.cpu_s / a.secs;
	}
	a.ns_event = a.w + a.f ? a.cpu_s * 1e9 / (a.w + a.f) : 0;
	a.lost_pct = a.d ? 100.0 * a.l / a.d : 0;
	return a;
}

static const struct arow *audit_alone(void)
{
	int i;

	for (i = 0; i < narows; i++)
		if (!strcmp(arows[i].kind, "alone"))
			return &arows[i];
	return NULL;
}

static const char *size_label(double bytes, char *buf, size_t len)
{
	unsigned long long b = bytes;

	if (b >= (1ull << 20) && b % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", b >> 20);
	else if (b >= 1024 && b % 1024 == 0)
		snprintf(buf, len, "%llu KiB", b >> 10);
	else
		snprintf(buf, len, "%llu B", b);
	return buf;
}

static bool audit_pass(const struct arow *r)
{
	struct afig a = afig(r);

	return a.l == 0 && a.cores < 0.5 && aget(r, "reconciled") == 1;
}

/* a row's raw counts, and its rate, as JSON members */
static void json_arow(FILE *js, const struct arow *r)
{
	int k;

	for (k = 0; k < r->n; k++)
		fprintf(js, "%s\"%s\": %.*f", k ? ", " : "", r->key[k],
			r->v[k] == (double)(long long)r->v[k] ? 0 : 6, r->v[k]);
	fprintf(js, ", \"denials_per_s\": %.1f", afig(r).flood);
}

#define NOISY_CORES 0.25 /* others busy beyond this: a noisy row */

static double other_cores(const struct arow *r)
{
	double secs = aget(r, "seconds"), tck = aget(r, "clk_tck");

	return secs > 0 && tck > 0 ? aget(r, "other_busy_ticks") / tck / secs : 0;
}

static void audit_section(const struct opts *o, FILE *md, FILE *js)
{
	const struct arow *al = audit_alone();
	double alone = al ? afig(al).flood : 0;
	char rl[32], cnt[32];
	int i, first = 1, noisy = 0, headline = 0;

	fprintf(md, "\n## Audit pipeline under a denial flood\n\n");
	fprintf(md,
		"**Method.** One process (auditflood) pinned to CPU %d, in the sandbox netns and in a cgroup enforced with the default policy, connect()s flat out to 10.64.0.1:4343/tcp, a private address: each attempt is EPERM from the connect hook (nothing leaves), and each is one ring event. "
		"It reuses one socket (a refused connect() leaves it unconnected), so the loop is connect() alone, the most denials one core can make. "
		"`rcc-bpf daemon`, pinned to CPU %d, consumes the ring and writes the log to a temp dir on disk (audit_max_bytes 256M, audit_keep 3, audit_fsync_ms 1000). "
		"Each row has its own cgroup and pin dir (ring_size applies when it is made). "
		"The programs wake the reader only when more than 64 KiB is waiting in the ring (RCC_RING_WAKEUP_BYTES); otherwise it reads on its 200 ms tick. "
		"*Daemon CPU*: utime+stime from /proc/PID/stat, from the flood's start until the daemon has read everything (status: written + folded + lost = denials), over the flood's duration, so a backlog read after the flood counts too; *ns/event* is that CPU over the events read. "
		"*Reconciled*: after SIGTERM, written + folded + lost = denials counted in the kernel = the flooder's EPERMs, and the log holds `written` denial records and summaries whose `suppressed` add up to `folded` (when rotation dropped no file). "
		"*Others busy*: process time of all CPUs (/proc/stat user+nice+system) during the flood beyond the flooder's and the daemon's: anything else that ran (kernel writeback of the log included), which makes a row noisy when the flooder and the daemon already take both CPUs; interrupt time (the ring's wake-ups) is in report.json only. "
		"*Flooder alone*: no consumer and a 4 KiB ring, so every reserve but the first few fails (counted lost): what the core makes when nothing reads; a flood row well under it means the producer side slowed the flooder down.\n\n",
		o->cpu, o->cpu ? 0 : 1);
	if (al) {
		noisy += other_cores(al) >= NOISY_CORES;
		fprintf(md,
			"Flooder alone: **%.0f denials/s** over %.1f s (others busy: %.2f cores%s).\n\n",
			alone, aget(al, "seconds"), other_cores(al),
			other_cores(al) >= NOISY_CORES ? " †" : "");
	}
	fprintf(md,
		"| ring | audit_rate | flood, denials/s | of flooder alone | read, events/s | lost | daemon CPU, cores | daemon ns/event | written | folded | caught up after flood | log | reconciled | others busy, cores |\n");
	fprintf(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
	fprintf(js,
		"  \"audit\": {\"method\": {\"flooder_cpu\": %d, \"daemon_cpu\": %d, \"destination\": \"10.64.0.1:4343/tcp (EPERM at the connect hook)\", \"cpu\": \"utime+stime of /proc/PID/stat, flood start to caught up\", \"log\": \"temp dir on disk, audit_max_bytes 256M, audit_keep 3\"}",
		o->cpu, o->cpu ? 0 : 1);
	if (al) {
		fprintf(js, ",\n    \"flooder_alone\": {");
		json_arow(js, al);
		fprintf(js, "}");
	}
	for (i = 0; i < narows; i++) {
		const struct arow *r = &arows[i];
		struct afig a = afig(r);

		if (strcmp(r->kind, "run"))
			continue;
		fprintf(js, "%s", first ? ",\n    \"runs\": [\n      {" : ",\n      {");
		json_arow(js, r);
		fprintf(js,
			", \"read_per_s\": %.1f, \"lost_pct\": %.4f, \"daemon_cpu_s\": %.3f, \"daemon_cores\": %.4f, \"daemon_ns_per_event\": %.1f, \"of_flooder_alone\": %.4f, \"other_busy_cores\": %.3f, \"irq_cores\": %.3f}",
			a.read_rate, a.lost_pct, a.cpu_s, a.cores, a.ns_event,
			alone > 0 ? a.flood / alone : 0,
			a.secs > 0 && aget(r, "clk_tck") > 0 ?
				aget(r, "other_busy_ticks") / aget(r, "clk_tck") / a.secs :
				0,
			a.secs > 0 && aget(r, "clk_tck") > 0 ?
				aget(r, "irq_ticks") / aget(r, "clk_tck") / a.secs :
				0);
		first = 0;
		noisy += other_cores(r) >= NOISY_CORES;
		fprintf(md,
			"| %s | %s | %.0f | %.0f%% | %.0f | %llu (%.1f%%) | %.2f | %.0f | %llu | %llu | %.1f s | %.1f %s%s | %s | %.2f%s |\n",
			size_label(aget(r, "ring"), rl, sizeof(rl)),
			count_label(aget(r, "rate"), cnt, sizeof(cnt)), a.flood,
			alone > 0 ? 100 * a.flood / alone : 0, a.read_rate, a.l, a.lost_pct,
			a.cores, a.ns_event, a.w, a.f, aget(r, "catchup_s"),
			aget(r, "log_bytes") / (aget(r, "log_bytes") < 1e6 ? 1e3 : 1e6),
			aget(r, "log_bytes") < 1e6 ? "kB" : "MB",
			aget(r, "log_complete") == 1 ? ", records match" :
						       ", rotated (not checked)",
			aget(r, "reconciled") == 1 ? "yes" : "**NO**", other_cores(r),
			other_cores(r) >= NOISY_CORES ? " †" : "");
	}
	/* the headline: per audit_rate, the fastest flood read with no loss */
	for (i = 0; i < narows; i++) {
		const struct arow *r = &arows[i], *best = NULL;
		double rate = aget(r, "rate");
		int j, seen = 0;

		if (strcmp(r->kind, "run"))
			continue;
		for (j = 0; j < i; j++)
			seen |= !strcmp(arows[j].kind, "run") && aget(&arows[j], "rate") == rate;
		if (seen)
			continue;
		for (j = i; j < narows; j++) {
			const struct arow *q = &arows[j];

			if (strcmp(q->kind, "run") || aget(q, "rate") != rate || afig(q).l)
				continue;
			if (!best || afig(q).flood > afig(best).flood)
				best = q;
		}
		if (!headline++)
			fprintf(md, "\n");
		if (best)
			fprintf(md,
				"- Sustained with zero losses at audit_rate %s: **%.0f denials/s** (ring %s, daemon %.2f cores, %.0f ns/event%s).\n",
				count_label(rate, cnt, sizeof(cnt)), afig(best).flood,
				size_label(aget(best, "ring"), rl, sizeof(rl)), afig(best).cores,
				afig(best).ns_event,
				alone > 0 && afig(best).flood < 0.5 * alone ?
					"; the flooder was slowed to this pace, under half its rate alone" :
					"");
		else
			fprintf(md, "- At audit_rate %s every ring lost events.\n",
				count_label(rate, cnt, sizeof(cnt)));
	}
	if (noisy)
		fprintf(md,
			"\n† Other work took %.2f of a core or more during that flood: its figures are disturbed; run again on a quiet machine.\n",
			NOISY_CORES);
	fprintf(js, "%s\n  },\n", first ? "" : "\n    ]");
}

static void report(const struct opts *o, FILE *md, FILE *js)
{
	struct utsname u;
	char cpu[256] = "?", date[64], lbl[64];
	FILE *f = fopen("/proc/cpuinfo", "re");
	time_t now = time(NULL);
	int fi, i, k, first;

	if (f) {
		char line[512];

		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
				snprintf(cpu, sizeof(cpu), "%s", strchr(line, ':') + 2);
				cpu[strcspn(cpu, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

	fprintf(md, "# rcc-bpf benchmark%s\n\n",
		o->quick ? " (BENCH_QUICK: few rounds, rough figures)" : "");
	fprintf(md,
		"rcc-bpf %s; %s, kernel %s, %s, %ld CPUs online; connbench pinned to CPU %d.\n\n",
		o->rev ? o->rev : "(revision unknown)", date, u.release, cpu,
		sysconf(_SC_NPROCESSORS_ONLN), o->cpu);
	fprintf(md,
		"**Method.** One process in a sandbox netns moves itself between cgroups, one per configuration: each has its own rcc-bpf pin dir and one policy of N `allow = ip:port/tcp` entries (`allow_public = no`, other keys default; `max_port_entries` = the power of two at or above N); `no program` is a cgroup with nothing attached. "
		"Every round runs one batch of %d timed connect()s (after %d untimed) for every row below, rows in a fresh random order each round; a ratio is a row's batch over its no-program batch of the same round, and the table gives the median and interquartile range over %d rounds. "
		"Destinations: TCP to a port nobody listens on, in a prefix that the world netns answers for as a whole (a `local` route), so each connect() is one SYN out and one RST back (ECONNREFUSED), never waiting on a peer. "
		"The *A/A control* rows time a second cgroup without a program against the first: what the method reads when nothing differs. "
		"*warm* = the same allowed ip:port every time; *random* = drawn uniformly from the configuration's allowed set, and its no-program pair draws from the same set (the kernel itself pays for many destinations). "
		"Sockets are made before and closed after the clock: the time is connect() alone, which includes the connect hook and the egress hook on the SYN.\n\n",
		o->batch, o->warmup, o->rounds);

	fprintf(md, "## connect() cost\n\n");
	fprintf(md,
		"| family | destinations | allow entries | ratio to no program, median | IQR | ns/connect, median (absolute: noisy, machines drift ±25%%) | IQR |\n");
	fprintf(md, "|---|---|---:|---:|---|---:|---|\n");
	fprintf(js, "{\n  \"schema\": 1,\n  \"rcc_bpf\": ");
	json_str(js, o->rev ? o->rev : "");
	fprintf(js, ",\n  \"date\": \"%s\",\n  \"kernel\": ", date);
	json_str(js, u.release);
	fprintf(js, ",\n  \"cpu\": ");
	json_str(js, cpu);
	fprintf(js, ",\n  \"quick\": %s,\n", o->quick ? "true" : "false");
	fprintf(js,
		"  \"method\": {\"rounds\": %d, \"batch\": %d, \"warmup\": %d, \"stats_rounds\": %d, \"cpu\": %d, \"port\": %u, \"seed\": %llu, \"prefix_v4\": \"10.64.0.0/12\", \"prefix_v6\": \"2001:db8:1::/64\", \"peer\": \"RST from the world netns (no listener)\", \"timed\": \"connect() only\", \"migrate_us_mean\": %.1f, \"unexpected_results\": %ld},\n",
		o->rounds, o->batch, o->warmup, o->stats_rounds, o->cpu, o->port,
		(unsigned long long)o->seed, migrate_n ? migrate_ns_sum / migrate_n / 1000 : 0,
		bad_total);
	fprintf(js, "  \"connect\": [");
	for (i = 0; i < nrows; i++) {
		const struct row *w = &rows[i];
		struct q3 r = row_ratio(o, w), a = q3_of(w->t, o->rounds);

		fprintf(md, "| IPv%d | %s | %s | %.3f× | %.3f–%.3f | %.0f | %.0f–%.0f |\n",
			o->families[w->fam], pat_name[w->pat], row_label(w, lbl, sizeof(lbl)),
			r.med, r.q1, r.q3, a.med, a.q1, a.q3);
		fprintf(js,
			"%s\n    {\"family\": %d, \"destinations\": \"%s\", \"entries\": %u, \"set\": %u, \"ratio_median\": %.4f, \"ratio_q1\": %.4f, \"ratio_q3\": %.4f, \"ns_median\": %.1f, \"ns_q1\": %.1f, \"ns_q3\": %.1f, \"ns_per_round\": [",
			i ? "," : "", o->families[w->fam], pat_name[w->pat], cfgs[w->cfg].entries,
			w->set, r.med, r.q1, r.q3, a.med, a.q1, a.q3);
		for (k = 0; k < o->rounds; k++)
			fprintf(js, "%s%.1f", k ? ", " : "", w->t[k]);
		fprintf(js, "]}");
	}
	fprintf(js, "\n  ],\n");

	fprintf(md, "\n## Program run time (kernel BPF statistics)\n\n");
	fprintf(md,
		"run_time_ns / run_cnt per program over %d more batches per row with run-time statistics on (BPF_ENABLE_STATS: the counters of `kernel.bpf_stats_enabled=1` and `bpftool prog show`; off during the timed rounds). "
		"The connect hook is rcc_connect4/rcc_connect6; egress runs once per connect(), on the SYN; sock_create runs in socket(), outside the timed call. "
		"*Per connect()* = (connect hook + egress) time / connects.\n\n",
		o->stats_rounds);
	fprintf(md,
		"| family | destinations | allow entries | connect hook ns/run | egress ns/run | sock_create ns/run | program ns per connect() |\n");
	fprintf(md, "|---|---|---:|---:|---:|---:|---:|\n");
	fprintf(js, "  \"programs\": [");
	first = 1;
	for (i = 0; i < nrows; i++) {
		const struct row *w = &rows[i];
		double per[NPROG];

		if (!cfgs[w->cfg].entries)
			continue;
		for (k = 0; k < NPROG; k++)
			per[k] = w->cnt[k] ? (double)w->ns[k] / w->cnt[k] : 0;
		fprintf(md, "| IPv%d | %s | %s | %.0f | %.0f | %.0f | %.0f |\n",
			o->families[w->fam], pat_name[w->pat], row_label(w, lbl, sizeof(lbl)),
			per[0], per[1], per[2], row_prog_ns(w));
		fprintf(js,
			"%s\n    {\"family\": %d, \"destinations\": \"%s\", \"entries\": %u, \"connects\": %llu",
			first ? "" : ",", o->families[w->fam], pat_name[w->pat],
			cfgs[w->cfg].entries, (unsigned long long)w->connects);
		for (k = 0; k < NPROG; k++)
			fprintf(js, ", \"%s_ns_per_run\": %.1f, \"%s_runs\": %llu", prog_label[k],
				per[k], prog_label[k], (unsigned long long)w->cnt[k]);
		fprintf(js, ", \"ns_per_connect\": %.1f}", row_prog_ns(w));
		first = 0;
	}
	fprintf(js, "\n  ],\n");

	fprintf(md, "\n## Loading a policy\n\n");
	fprintf(md,
		"Wall time of the command. attach: each run with a fresh pin dir, so it parses and compiles the configuration, loads and verifies the programs, creates and fills the maps and links the cgroup. validate: parses and compiles the same configuration, no kernel.\n\n");
	fprintf(md, "| what | runs | median s | min s | max s |\n|---|---:|---:|---:|---:|\n");
	fprintf(js, "  \"load\": {");
	for (i = 0; i < o->nload; i++) {
		struct q3 r = q3_of(o->load[i].v, o->load[i].n);
		double mn = o->load[i].v[0], mx = o->load[i].v[0];

		for (k = 0; k < o->load[i].n; k++) {
			mn = o->load[i].v[k] < mn ? o->load[i].v[k] : mn;
			mx = o->load[i].v[k] > mx ? o->load[i].v[k] : mx;
		}
		fprintf(md, "| %s | %d | %.3f | %.3f | %.3f |\n", o->load[i].key, o->load[i].n,
			r.med, mn, mx);
		fprintf(js, "%s\n    ", i ? "," : "");
		json_str(js, o->load[i].key);
		fprintf(js, ": {\"median_s\": %.4f, \"runs_s\": [", r.med);
		for (k = 0; k < o->load[i].n; k++)
			fprintf(js, "%s%.4f", k ? ", " : "", o->load[i].v[k]);
		fprintf(js, "]}");
	}
	fprintf(js, "\n  },\n");

	if (narows)
		audit_section(o, md, js);

	fprintf(md,
		"\n## Targets\n\n| target | measured | limit | result |\n|---|---:|---:|---|\n");
	fprintf(js, "  \"targets\": [");
	first = 1;
	for (fi = 0; fi < o->nfam; fi++) {
		int fam = o->families[fi];
		const struct row *w = find_row(fi, PAT_WARM, 1000000);
		const struct row *rr = find_row(fi, PAT_RAND, 1000000);
		char name[128];

		if (w) {
			struct q3 r = row_ratio(o, w);

			snprintf(name, sizeof(name),
				 "connect() at 1M entries, warm, IPv%d, to no program", fam);
			fprintf(md, "| %s | %.3f× (IQR %.3f–%.3f) | ≤ 1.02× | %s |\n", name, r.med,
				r.q1, r.q3, pf(r.med <= 1.02));
			fprintf(js,
				"%s\n    {\"target\": \"%s\", \"measured\": %.4f, \"limit\": 1.02, \"result\": \"%s\"}",
				first ? "" : ",", name, r.med, pf(r.med <= 1.02));
			first = 0;
		}
		if (rr && o->stats_rounds) {
			double conn = row_prog_ns(rr);

			snprintf(name, sizeof(name),
				 "program time per connect() at 1M entries, random, IPv%d", fam);
			fprintf(md, "| %s | %.3f µs | ≤ 0.5 µs | %s |\n", name, conn / 1000,
				pf(conn <= 500));
			fprintf(js,
				"%s\n    {\"target\": \"%s\", \"measured_us\": %.4f, \"limit_us\": 0.5, \"result\": \"%s\"}",
				first ? "" : ",", name, conn / 1000, pf(conn <= 500));
			first = 0;
		}
	}
	for (i = 0; i < o->nload; i++) {
		struct q3 r;

		if (strncmp(o->load[i].key, "attach", 6) || !strstr(o->load[i].key, " 1000000 "))
			continue;
		r = q3_of(o->load[i].v, o->load[i].n);
		fprintf(md, "| load: %s | %.3f s | ≤ 1 s | %s |\n", o->load[i].key, r.med,
			pf(r.med <= 1.0));
		fprintf(js,
			"%s\n    {\"target\": \"load: %s\", \"measured_s\": %.4f, \"limit_s\": 1.0, \"result\": \"%s\"}",
			first ? "" : ",", o->load[i].key, r.med, pf(r.med <= 1.0));
		first = 0;
	}
	for (i = 0; i < narows; i++) {
		const struct arow *r = &arows[i];
		struct afig a = afig(r);
		char name[160], cnt[32];

		if (strcmp(r->kind, "run") || aget(r, "ring") != DEFAULT_RING)
			continue;
		snprintf(
			name, sizeof(name),
			"audit: one core flooding denied connect()s, ring 8 MiB (default), audit_rate %s: zero losses, daemon under half a core",
			count_label(aget(r, "rate"), cnt, sizeof(cnt)));
		fprintf(md,
			"| %s | %.0f denials/s, %llu lost, %.2f cores%s%s | 0 lost, < 0.5 cores | %s |\n",
			name, a.flood, a.l, a.cores,
			aget(r, "reconciled") == 1 ? "" : ", totals do not reconcile",
			other_cores(r) >= NOISY_CORES ? " (noisy †)" : "", pf(audit_pass(r)));
		fprintf(js,
			"%s\n    {\"target\": \"%s\", \"denials_per_s\": %.1f, \"lost\": %llu, \"daemon_cores\": %.4f, \"reconciled\": %s, \"noisy\": %s, \"limit_lost\": 0, \"limit_cores\": 0.5, \"result\": \"%s\"}",
			first ? "" : ",", name, a.flood, a.l, a.cores,
			aget(r, "reconciled") == 1 ? "true" : "false",
			other_cores(r) >= NOISY_CORES ? "true" : "false", pf(audit_pass(r)));
		first = 0;
	}
	fprintf(js, "\n  ]\n}\n");
	fprintf(md,
		"\nMoving between cgroups took %.0f µs on average (not timed). connect() results other than ECONNREFUSED while timing: %ld.\n",
		migrate_n ? migrate_ns_sum / migrate_n / 1000 : 0, bad_total);
}

static void parse_list(const char *s, unsigned *out, int *n, int max)
{
	char *dup = strdup(s), *tok, *save = NULL;

	*n = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == max)
			die("list '%s' too long", s);
		out[(*n)++] = strtoul(tok, NULL, 10);
	}
	free(dup);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--quick")) {
			o->quick = true;
			continue;
		}
		if (!v)
			die("option '%s' needs a value", a);
		i++;
		if (!strcmp(a, "--cgroot"))
			o->cgroot = v;
		else if (!strcmp(a, "--pinroot"))
			o->pinroot = v;
		else if (!strcmp(a, "--out"))
			o->outdir = v;
		else if (!strcmp(a, "--rev"))
			o->rev = v;
		else if (!strcmp(a, "--sizes"))
			parse_list(v, o->sizes, &o->nsizes, MAX_CFG / 2 - 1);
		else if (!strcmp(a, "--families")) {
			unsigned f[2];

			parse_list(v, f, &o->nfam, 2);
			o->families[0] = f[0];
			o->families[1] = o->nfam > 1 ? (int)f[1] : 0;
		} else if (!strcmp(a, "--rounds"))
			o->rounds = atoi(v);
		else if (!strcmp(a, "--batch"))
			o->batch = atoi(v);
		else if (!strcmp(a, "--warmup"))
			o->warmup = atoi(v);
		else if (!strcmp(a, "--stats-rounds"))
			o->stats_rounds = atoi(v);
		else if (!strcmp(a, "--cpu"))
			o->cpu = atoi(v);
		else if (!strcmp(a, "--audit"))
			o->audit_file = v;
		else if (!strcmp(a, "--sanity-extra")) {
			if (sscanf(v, "%d,%d", &o->extra_pass, &o->extra_fail) != 2)
				die("--sanity-extra PASSED,FAILED");
		} else if (!strcmp(a, "--load")) {
			/* "KEY=S1,S2,..." in seconds */
			const char *eq = strchr(v, '=');
			char *dup, *tok, *save = NULL;

			if (!eq || o->nload == MAX_LOAD)
				die("--load KEY=SECONDS[,SECONDS...]");
			snprintf(o->load[o->nload].key, sizeof(o->load[0].key), "%.*s",
				 (int)(eq - v), v);
			dup = strdup(eq + 1);
			for (tok = strtok_r(dup, ",", &save); tok && o->load[o->nload].n < 16;
			     tok = strtok_r(NULL, ",", &save))
				o->load[o->nload].v[o->load[o->nload].n++] = strtod(tok, NULL);
			free(dup);
			if (o->load[o->nload].n)
				o->nload++;
		} else
			die("unknown option '%s'", a);
	}
	if (!o->cgroot || !o->pinroot || !o->nsizes || !o->nfam)
		die("--cgroot, --pinroot, --sizes and --families are required");
	if (o->batch < 1 || o->batch > MAX_BATCH || o->warmup < 0 || o->warmup > MAX_BATCH ||
	    o->rounds < 1 || o->stats_rounds < 0)
		die("bad --batch/--warmup/--rounds/--stats-rounds");
	for (i = 0; i < o->nfam; i++)
		if (o->families[i] != 4 && o->families[i] != 6)
			die("families are 4 and 6");
	for (i = 0; i < o->nsizes; i++)
		if (!o->sizes[i] || o->sizes[i] > SET_MAX - 1)
			die("sizes go from 1 to %u", SET_MAX - 1);
}

int main(int argc, char **argv)
{
	struct opts o = { .rounds = 30,
			  .batch = 200,
			  .warmup = 20,
			  .stats_rounds = 5,
			  .cpu = -1,
			  .port = 4242,
			  .seed = 20241122 };
	int order[4 * MAX_CFG];
	int r, i, stats_fd;
	const char *env;
	cpu_set_t set;
	FILE *md, *js;
	char path[4096];

	if ((env = getenv("CONNBENCH_SEED")))
		o.seed = strtoull(env, NULL, 10);
	if (argc < 2)
		die("usage: connbench gen|sanity|run ...");
	if (!strcmp(argv[1], "gen"))
		return cmd_gen(argc - 2, argv + 2, o.seed, o.port);
	if (strcmp(argv[1], "sanity") && strcmp(argv[1], "run"))
		die("unknown command '%s'", argv[1]);
	parse_opts(argc - 2, argv + 2, &o);
	make_perm(o.seed);
	rng_state = o.seed ^ now_ns();
	if (o.cpu < 0)
		o.cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "connbench: cannot pin to CPU %d: %s, ignoring\n", o.cpu,
			strerror(errno));
	setup_cfgs(&o);
	extra_pass = o.extra_pass;
	extra_fail = o.extra_fail;
	if (o.audit_file)
		read_audit(o.audit_file);

	fprintf(stderr,
		"sanity: under every configuration, its set reaches the world and nothing else does\n");
	if (sanity(&o)) {
		sanity_summary();
		return 1;
	}
	if (!strcmp(argv[1], "sanity")) {
		sanity_summary();
		return extra_fail ? 1 : 0;
	}

	make_rows(&o);
	for (i = 0; i < nrows; i++)
		order[i] = i;
	fprintf(stderr, "timing: %d rounds of %d batches of %d connects\n", o.rounds, nrows,
		o.batch);
	for (r = 0; r < o.rounds; r++) {
		shuffle(order, nrows);
		for (i = 0; i < nrows; i++)
			run_row(&o, &rows[order[i]], r, false);
		if ((r + 1) % ((o.rounds + 9) / 10) == 0 || r + 1 == o.rounds)
			fprintf(stderr, "  round %d/%d\n", r + 1, o.rounds);
	}

	fprintf(stderr, "BPF statistics: %d rounds\n", o.stats_rounds);
	stats_fd = o.stats_rounds ? enable_stats() : -1;
	if (o.stats_rounds && stats_fd < 0)
		fprintf(stderr,
			"connbench: cannot enable BPF run-time statistics: %s; program times will read 0\n",
			strerror(errno));
	for (r = 0; r < o.stats_rounds; r++) {
		shuffle(order, nrows);
		for (i = 0; i < nrows; i++)
			if (cfgs[rows[order[i]].cfg].entries)
				run_row(&o, &rows[order[i]], r, true);
	}
	if (stats_fd >= 0)
		close(stats_fd);
	move_to(&cfgs[CFG_BASE]);

	snprintf(path, sizeof(path), "%s/report.md", o.outdir ? o.outdir : ".");
	md = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/report.json", o.outdir ? o.outdir : ".");
	js = fopen(path, "w");
	if (!md || !js)
		die("cannot write the report under '%s': %s", o.outdir ? o.outdir : ".",
		    strerror(errno));
	report(&o, md, js);
	if (fclose(md) || fclose(js))
		die("cannot write the report: %s", strerror(errno));
	sanity_summary(); /* last: the closing line of `run.sh --sanity` */
	return extra_fail ? 1 : 0;
}
