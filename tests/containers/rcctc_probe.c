// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcctc_probe: the container side of tests/containers/run.sh: a TCP
 * client that reports the exact errno, and what a hostile container with
 * CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN (not --privileged) tries
 * against the programs that enforce on it.  Built with `cc -static` and
 * copied into the test rootfs, which has no bpftool and no python.  Run
 * it inside a test container only: every change it attempts is aimed at
 * the container's own cgroup (the root of its cgroup namespace), at
 * nothing else.
 *
 *   rcctc_probe STEP...      steps run in order, in this one process
 *
 *   mount    mount cgroup2 at /tmp/cg (the container's cgroup namespace
 *            makes its root the container's own cgroup)
 *   query    BPF_PROG_QUERY on that cgroup, per attach type
 *   detach   BPF_PROG_DETACH of each type, without and with the fd of
 *            each program found (BPF_PROG_GET_FD_BY_ID)
 *   replace  load an allow-all connect4 program and attach it exclusive,
 *            with BPF_F_ALLOW_OVERRIDE, and with BPF_F_REPLACE over the
 *            program found; then with BPF_F_ALLOW_MULTI beside them
 *   move     write its pid to cgroup.procs: of the namespace root, of a
 *            new sub-cgroup (it stays there), of the parent through ".."
 *   byid     BPF_LINK_GET_FD_BY_ID + BPF_LINK_DETACH of the links on its
 *            own cgroup; BPF_MAP_GET_FD_BY_ID of maps named rcc_cgroups
 *            + BPF_MAP_DELETE_ELEM of its own cgroup's entry
 *   connect ADDR PORT MSG    a TCP connect (3 s) that sends MSG
 *
 * One line per attempt, "STEP WHAT -> ok ..." or "STEP WHAT -> err ENAME".
 * Exit 0 unless the usage is wrong (2).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CG "/tmp/cg"

static const struct {
	const char *name;
	enum bpf_attach_type type;
} types[] = {
	{ "connect4", BPF_CGROUP_INET4_CONNECT }, { "connect6", BPF_CGROUP_INET6_CONNECT },
	{ "sendmsg4", BPF_CGROUP_UDP4_SENDMSG },  { "sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	{ "egress", BPF_CGROUP_INET_EGRESS },	  { "sock_create", BPF_CGROUP_INET_SOCK_CREATE },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static __u32 found[NTYPES][16];
static __u32 nfound[NTYPES];

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void result(const char *step, const char *what, long rc)
{
	if (rc < 0)
		printf("%s %s -> err %s\n", step, what, ename(errno));
	else
		printf("%s %s -> ok\n", step, what);
	fflush(stdout);
}

static int cg_fd(void)
{
	int fd = open(CG, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		printf("cgroup open %s -> err %s\n", CG, ename(errno));
	return fd;
}

static unsigned long long own_cgroup_id(void)
{
	struct stat st;

	return stat(CG, &st) ? 0 : (unsigned long long)st.st_ino;
}

static void step_mount(void)
{
	mkdir("/tmp", 01777);
	mkdir(CG, 0755);
	result("mount", "cgroup2 " CG, mount("none", CG, "cgroup2", 0, NULL));
	printf("mount own-cgroup-id -> ok %llu\n", own_cgroup_id());
}

static void step_query(void)
{
	int fd = cg_fd();
	size_t t;

	if (fd < 0)
		return;
	for (t = 0; t < NTYPES; t++) {
		union bpf_attr a = {};
		char what[64];
		__u32 i;

		a.query.target_fd = fd;
		a.query.attach_type = types[t].type;
		a.query.query_flags = BPF_F_QUERY_EFFECTIVE;
		a.query.prog_ids = (unsigned long)found[t];
		a.query.prog_cnt = 16;
		snprintf(what, sizeof(what), "%s", types[t].name);
		if (sys_bpf(BPF_PROG_QUERY, &a) < 0) {
			result("query", what, -1);
			continue;
		}
		nfound[t] = a.query.prog_cnt < 16 ? a.query.prog_cnt : 16;
		printf("query %s -> ok %u program(s):", what, nfound[t]);
		for (i = 0; i < nfound[t]; i++)
			printf(" %u", found[t][i]);
		printf("\n");
	}
	close(fd);
}

static int prog_fd_by_id(__u32 id)
{
	union bpf_attr a = {};

	a.prog_id = id;
	return sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
}

static void step_detach(void)
{
	int fd = cg_fd();
	size_t t;

	if (fd < 0)
		return;
	for (t = 0; t < NTYPES; t++) {
		union bpf_attr a = {};
		char what[64];
		__u32 i;

		a.target_fd = fd;
		a.attach_type = types[t].type;
		snprintf(what, sizeof(what), "%s", types[t].name);
		result("detach", what, sys_bpf(BPF_PROG_DETACH, &a));
		for (i = 0; i < nfound[t]; i++) {
			int pfd = prog_fd_by_id(found[t][i]);

			snprintf(what, sizeof(what), "%s prog-get-fd %u", types[t].name,
				 found[t][i]);
			result("detach", what, pfd);
			if (pfd < 0)
				continue;
			memset(&a, 0, sizeof(a));
			a.target_fd = fd;
			a.attach_bpf_fd = pfd;
			a.attach_type = types[t].type;
			snprintf(what, sizeof(what), "%s prog %u", types[t].name, found[t][i]);
			result("detach", what, sys_bpf(BPF_PROG_DETACH, &a));
			close(pfd);
		}
	}
	close(fd);
}

/* an allow-all cgroup/connect4 program: r0 = 1; exit */
static int load_allow_all(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a = {};

	a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	a.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static void attach_try(int cgfd, int pfd, __u32 flags, int replace_fd, const char *what)
{
	union bpf_attr a = {};

	a.target_fd = cgfd;
	a.attach_bpf_fd = pfd;
	a.attach_type = BPF_CGROUP_INET4_CONNECT;
	a.attach_flags = flags;
	a.replace_bpf_fd = replace_fd;
	result("replace", what, sys_bpf(BPF_PROG_ATTACH, &a));
}

static void step_replace(void)
{
	int fd = cg_fd(), pfd;
	__u32 i;

	if (fd < 0)
		return;
	pfd = load_allow_all();
	result("replace", "load allow-all connect4", pfd);
	if (pfd < 0) {
		close(fd);
		return;
	}
	attach_try(fd, pfd, 0, 0, "attach-exclusive");
	attach_try(fd, pfd, BPF_F_ALLOW_OVERRIDE, 0, "attach-override");
	for (i = 0; i < nfound[0]; i++) {
		int old = prog_fd_by_id(found[0][i]);
		char what[64];

		snprintf(what, sizeof(what), "attach-replace prog %u", found[0][i]);
		if (old < 0) {
			result("replace", what, -1);
			continue;
		}
		attach_try(fd, pfd, BPF_F_ALLOW_MULTI | BPF_F_REPLACE, old, what);
		close(old);
	}
	/* beside rcc's programs: each must allow, so this allows nothing more */
	attach_try(fd, pfd, BPF_F_ALLOW_MULTI, 0, "attach-multi-beside");
	close(pfd);
	close(fd);
}

static void write_procs(const char *path)
{
	char what[256], pid[32];
	int fd = open(path, O_WRONLY);
	long rc = -1;

	snprintf(what, sizeof(what), "%s", path);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (fd >= 0) {
		rc = write(fd, pid, strlen(pid));
		if (rc < 0) {
			int e = errno;

			close(fd);
			errno = e;
		} else {
			close(fd);
		}
	}
	result("move", what, rc);
}

static void print_own_cgroup(void)
{
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *line, *save = NULL;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3))
			printf("move now-in %s\n", line + 3);
}

static void step_move(void)
{
	write_procs(CG "/cgroup.procs");
	write_procs(CG "/../cgroup.procs");
	result("move", "mkdir " CG "/rcctc-esc", mkdir(CG "/rcctc-esc", 0755));
	write_procs(CG "/rcctc-esc/cgroup.procs");
	print_own_cgroup();
}

static void step_byid(void)
{
	unsigned long long own = own_cgroup_id();
	union bpf_attr a = {};
	__u32 id = 0;
	int seen = 0;

	printf("byid own-cgroup-id -> ok %llu\n", own);
	for (;;) {
		struct bpf_link_info info = {};
		char what[64];
		int fd;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(BPF_LINK_GET_NEXT_ID, &a) < 0) {
			if (errno != ENOENT || !seen)
				result("byid", "link-get-next-id", -1);
			break;
		}
		id = a.next_id;
		seen++;
		memset(&a, 0, sizeof(a));
		a.link_id = id;
		fd = sys_bpf(BPF_LINK_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info = (unsigned long)&info;
		a.info.info_len = sizeof(info);
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && info.type == BPF_LINK_TYPE_CGROUP &&
		    info.cgroup.cgroup_id == own && own) {
			snprintf(what, sizeof(what), "link-detach %u", id);
			memset(&a, 0, sizeof(a));
			a.link_detach.link_fd = fd;
			result("byid", what, sys_bpf(BPF_LINK_DETACH, &a));
		}
		close(fd);
	}
	printf("byid links-seen -> ok %d\n", seen);
	id = 0;
	seen = 0;
	for (;;) {
		struct bpf_map_info info = {};
		char what[64];
		int fd;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (sys_bpf(BPF_MAP_GET_NEXT_ID, &a) < 0) {
			if (errno != ENOENT || !seen)
				result("byid", "map-get-next-id", -1);
			break;
		}
		id = a.next_id;
		seen++;
		memset(&a, 0, sizeof(a));
		a.map_id = id;
		fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info = (unsigned long)&info;
		a.info.info_len = sizeof(info);
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && !strcmp(info.name, "rcc_cgroups") &&
		    own) {
			__u64 key = own;

			snprintf(what, sizeof(what), "map-delete %u", id);
			memset(&a, 0, sizeof(a));
			a.map_fd = fd;
			a.key = (unsigned long)&key;
			/* ENOENT: this map (another rcc-bpf's) has no entry for us */
			if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) == 0)
				result("byid", what, 0);
			else if (errno != ENOENT)
				result("byid", what, -1);
		}
		close(fd);
	}
	printf("byid maps-seen -> ok %d\n", seen);
}

static void step_connect(const char *addr, const char *port, const char *msg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	struct pollfd p;
	char what[128];
	int fd, err = 0;
	socklen_t len = sizeof(err);

	snprintf(what, sizeof(what), "%s %s", addr, port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		result("connect", what, -1);
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		result("connect", what, -1);
		return;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS) {
		result("connect", what, -1);
		close(fd);
		return;
	}
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, 3000) != 1) {
		errno = ETIMEDOUT;
		result("connect", what, -1);
		close(fd);
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		errno = err;
		result("connect", what, -1);
		close(fd);
		return;
	}
	result("connect", what, send(fd, msg, strlen(msg), MSG_NOSIGNAL));
	close(fd);
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "mount"))
			step_mount();
		else if (!strcmp(argv[i], "query"))
			step_query();
		else if (!strcmp(argv[i], "detach"))
			step_detach();
		else if (!strcmp(argv[i], "replace"))
			step_replace();
		else if (!strcmp(argv[i], "move"))
			step_move();
		else if (!strcmp(argv[i], "byid"))
			step_byid();
		else if (!strcmp(argv[i], "connect") && argc - i > 3) {
			step_connect(argv[i + 1], argv[i + 2], argv[i + 3]);
			i += 3;
		} else {
			fprintf(stderr,
				"usage: rcctc_probe (mount|query|detach|replace|move|byid|connect ADDR PORT MSG)...\n");
			return 2;
		}
	}
	return 0;
}
