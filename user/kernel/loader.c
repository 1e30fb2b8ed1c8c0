// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <linux/membarrier.h>

#include "host/cgroup.h"
#include "kernel/loader.h"
#include "lib/log.h"
#include "kernel/mapsync.h"
#include "rcc_enforce.skel.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define RCC_PIN_VERSION "v2"

static const char *const map_names[RCC_MAP__MAX] = {
	[RCC_MAP_CGROUPS] = "rcc_cgroups",
	[RCC_MAP_VERSIONS] = "rcc_versions",
	[RCC_MAP_POLICIES] = "rcc_policies",
	[RCC_MAP_PORTS] = "rcc_ports",
	[RCC_MAP_ADDRS] = "rcc_addrs",
	[RCC_MAP_PREFIXES] = "rcc_prefixes",
	[RCC_MAP_CGSTATS] = "rcc_cgstats",
	[RCC_MAP_POLSTATS] = "rcc_polstats",
	[RCC_MAP_POLNAMES] = "rcc_polnames",
	[RCC_MAP_EVENTS] = "rcc_events",
	[RCC_MAP_LOST] = "rcc_lost",
	[RCC_MAP_AUDITSTATS] = "rcc_auditstats",
	[RCC_MAP_GEN] = "rcc_gen",
};

static const struct {
	const char *name;		/* pin name of the link */
	const char *prog;		/* program (and its pin) */
	enum bpf_attach_type type;
} hooks[RCC_HOOK__MAX] = {
	[RCC_HOOK_CONNECT4] = { "connect4", "rcc_connect4", BPF_CGROUP_INET4_CONNECT },
	[RCC_HOOK_CONNECT6] = { "connect6", "rcc_connect6", BPF_CGROUP_INET6_CONNECT },
	[RCC_HOOK_SENDMSG4] = { "sendmsg4", "rcc_sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
	[RCC_HOOK_SENDMSG6] = { "sendmsg6", "rcc_sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	[RCC_HOOK_EGRESS] = { "egress", "rcc_egress", BPF_CGROUP_INET_EGRESS },
	[RCC_HOOK_SOCK_CREATE] = { "sock_create", "rcc_sock_create", BPF_CGROUP_INET_SOCK_CREATE },
	[RCC_HOOK_POST_BIND4] = { "post_bind4", "rcc_post_bind4", BPF_CGROUP_INET4_POST_BIND },
	[RCC_HOOK_POST_BIND6] = { "post_bind6", "rcc_post_bind6", BPF_CGROUP_INET6_POST_BIND },
};

/* rm -rf inside bpffs: pins and directories only. */
static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int err = 0;

	if (!d)
		return unlink(path) && errno != ENOENT ? -errno : 0;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (de->d_type == DT_DIR)
			err = remove_tree(sub) ?: err;
		else if (unlink(sub) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool on_bpffs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == BPF_FS_MAGIC;
}

/* pin_dir must live on bpffs; /sys/fs/bpf is mounted when it is not. */
static int ensure_bpffs(const char *pin_dir)
{
	char probe[PATH_MAX], *slash;

	snprintf(probe, sizeof(probe), "%s", pin_dir);
	while (access(probe, F_OK) && (slash = strrchr(probe, '/')) && slash != probe)
		*slash = '\0';
	if (on_bpffs(probe))
		return 0;
	if (!strncmp(pin_dir, "/sys/fs/bpf/", 12) && !on_bpffs("/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			pr_warn("Failed to mount bpffs at /sys/fs/bpf: %s; mount it with 'mount -t bpf bpf /sys/fs/bpf'\n",
				strerror(errno));
			return -errno;
		}
		pr_debug("mounted bpffs at /sys/fs/bpf\n");
		return 0;
	}
	pr_warn("pin_dir '%s' is not on a bpffs mount; mount one there ('mount -t bpf bpf DIR') or choose a pin_dir under /sys/fs/bpf\n",
		pin_dir);
	return -ENOTSUP;
}

static void path_of(const struct rcc_kernel *k, char *buf, size_t len,
		    const char *kind, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", k->dir, kind, name);
}

static int create_and_pin(const char *dir, enum bpf_map_type type, const char *name,
			  __u32 ksz, __u32 vsz, __u32 max, char *path, size_t len)
{
	int fd = bpf_map_create(type, name, ksz, vsz, max, NULL), err;

	snprintf(path, len, "%s/maps/%s", dir, name);
	if (fd < 0)
		return -errno;
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err;
}

static struct rcc_enforce_bpf *open_skel(const struct rcc_config *cfg, bool guard)
{
	struct rcc_enforce_bpf *skel = rcc_enforce_bpf__open();

	if (!skel)
		return NULL;
	bpf_map__set_max_entries(skel->maps.rcc_cgroups, cfg->max_cgroups);
	bpf_map__set_max_entries(skel->maps.rcc_cgstats, cfg->max_cgroups);
	bpf_map__set_max_entries(skel->maps.rcc_ports, cfg->max_ports);
	bpf_map__set_max_entries(skel->maps.rcc_addrs, cfg->max_addrs);
	bpf_map__set_max_entries(skel->maps.rcc_prefixes, cfg->max_prefixes);
	bpf_map__set_max_entries(skel->maps.rcc_events, cfg->ring_size);
	bpf_program__set_autoload(skel->progs.rcc_bpf_guard, guard);
	/* a quarter of a small ring, so the reader wakes before it fills */
	skel->rodata->wakeup_bytes = cfg->ring_size / 4 < RCC_RING_WAKEUP_BYTES
					     ? cfg->ring_size / 4 : RCC_RING_WAKEUP_BYTES;
	return skel;
}

/*
 * Whether this kernel lets us load an lsm/bpf program at all: a two
 * instruction probe, so that a refusal does not cost a second load (and
 * verification) of every program.
 */
static bool lsm_loadable(void)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id = libbpf_find_vmlinux_btf_id("bpf", BPF_LSM_MAC), fd;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC);

	if (id < 0)
		return false;
	o.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "rcc_probe", "GPL", insns, 2, &o);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * The programs' "host" is the network namespace this process runs in
 * (the one user/hostaddr.c reads the host's addresses from): from there
 * loopback is the host itself.  Recorded once, with the pins.
 */
static int record_host_netns(struct rcc_enforce_bpf *skel)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	__u32 zero = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (!err && bpf_map__update_elem(skel->maps.rcc_host, &zero, sizeof(zero), &cookie,
					 sizeof(cookie), BPF_ANY))
		err = -errno;
	if (err)
		pr_warn("Failed to record the host's network namespace: %s; the kernel needs SO_NETNS_COOKIE (5.14+)\n",
			strerror(-err));
	return err;
}

static int pin_all(const char *dir, const struct rcc_config *cfg)
{
	struct rcc_enforce_bpf *skel;
	struct bpf_map *map;
	struct bpf_program *prog;
	char path[PATH_MAX];
	bool guard;
	int err;

	/* the guard needs BPF LSM programs; the rest does not */
	guard = lsm_loadable();
	if (!guard)
		pr_warn("warning: this kernel does not load BPF LSM programs, so there is no bpf() guard: a sandbox given CAP_SYS_ADMIN or CAP_BPF could remove its own enforcement; never give sandboxes those capabilities\n");
	skel = open_skel(cfg, guard);
	if (!skel) {
		pr_warn("Failed to open the BPF object: %s\n", strerror(errno));
		return -errno;
	}
	err = rcc_enforce_bpf__load(skel);
	if (err && guard) {
		/* loadable in general, not this one: go on without it */
		rcc_enforce_bpf__destroy(skel);
		skel = open_skel(cfg, false);
		err = skel ? rcc_enforce_bpf__load(skel) : -errno;
		if (!err)
			pr_warn("warning: the bpf() guard failed to load (-v tells why); a sandbox given CAP_SYS_ADMIN or CAP_BPF could remove its own enforcement\n");
	}
	if (err) {
		pr_warn("Failed to load the BPF programs: %s; the kernel needs cgroup BPF (CONFIG_CGROUP_BPF) and BTF; run with -v for the verifier's log\n",
			strerror(-err));
		goto out;
	}
	err = record_host_netns(skel);
	if (err)
		goto out;
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue; /* .rodata: constants baked into the programs */
		snprintf(path, sizeof(path), "%s/maps/%s", dir, bpf_map__name(map));
		err = bpf_map__pin(map, path);
		if (err)
			goto pin_failed;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		snprintf(path, sizeof(path), "%s/progs/%s", dir, bpf_program__name(prog));
		err = bpf_program__pin(prog, path);
		if (err)
			goto pin_failed;
	}
	/* maps only userspace uses: policy names, the audit consumer's totals */
	err = create_and_pin(dir, BPF_MAP_TYPE_HASH, "rcc_polnames", RCC_POLICY_NAME_MAX,
			     sizeof(__u32), RCC_MAX_POLICIES, path, sizeof(path));
	err = err ?: create_and_pin(dir, BPF_MAP_TYPE_ARRAY, "rcc_auditstats", sizeof(__u32),
				    sizeof(struct rcc_audit_stats), 1, path, sizeof(path));
	if (err)
		goto pin_failed;
	goto out;
pin_failed:
	pr_warn("Failed to pin '%s': %s\n", path, strerror(-err));
out:
	if (skel)
		rcc_enforce_bpf__destroy(skel);
	return err;
}

/* Loads and pins into DIR-new, then renames: a crash leaves no half state. */
static int create_pins(const char *dir, const struct rcc_config *cfg)
{
	char tmp[PATH_MAX], sub[PATH_MAX + 16];
	int err;

	snprintf(tmp, sizeof(tmp), "%s-new", dir); /* bpffs refuses dots */
	remove_tree(tmp);
	err = mkdir_p(tmp, 0700);
	snprintf(sub, sizeof(sub), "%s/maps", tmp);
	err = err ?: mkdir_p(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/progs", tmp);
	err = err ?: mkdir_p(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/links", tmp);
	err = err ?: mkdir_p(sub, 0700);
	if (err) {
		pr_warn("Failed to create '%s': %s\n", tmp, strerror(-err));
		return err;
	}
	err = pin_all(tmp, cfg);
	if (!err && rename(tmp, dir)) {
		err = -errno;
		pr_warn("Failed to rename '%s' to '%s': %s\n", tmp, dir, strerror(errno));
	}
	if (err)
		remove_tree(tmp);
	return err;
}

static int open_pins(struct rcc_kernel *k, const struct rcc_config *cfg)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int i;

	for (i = 0; i < RCC_MAP__MAX; i++) {
		path_of(k, path, sizeof(path), "maps", map_names[i]);
		k->map_fd[i] = bpf_obj_get(path);
		if (k->map_fd[i] < 0)
			goto missing;
	}
	for (i = 1; i < RCC_HOOK__MAX; i++) {
		if (!hooks[i].prog)
			continue; /* the bpf() guard is attached once, not per cgroup */
		path_of(k, path, sizeof(path), "progs", hooks[i].prog);
		k->prog_fd[i] = bpf_obj_get(path);
		if (k->prog_fd[i] < 0)
			goto missing;
	}
	if (bpf_obj_get_info_by_fd(k->map_fd[RCC_MAP_CGSTATS], &info, &len))
		return -errno;
	k->max_cgroups = info.max_entries;
	if (cfg && k->max_cgroups != cfg->max_cgroups)
		pr_debug("pinned maps keep their sizes; max_cgroups is %u\n", k->max_cgroups);
	return 0;
missing:
	pr_warn("Failed to open '%s': %s; the pinned state is incomplete or from another rcc-bpf version: remove '%s' (its links go with it) and attach again\n",
		path, strerror(errno), k->dir);
	return -EUCLEAN;
}

/* Whether the kernel runs the BPF LSM; -1 when it cannot be told. */
static int bpf_lsm_active(void)
{
	char buf[512];
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	char *tok, *save = NULL;
	int active = 0;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (tok = strtok_r(buf, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save))
		active |= !strcmp(tok, "bpf");
	return active;
}

/*
 * The bpf() guard is attached once, for the whole host, and pinned like
 * the cgroup links.  Without it a sandbox holding CAP_SYS_ADMIN could
 * detach its own links by id: say so.
 */
static void ensure_guard(struct rcc_kernel *k)
{
	char pin[PATH_MAX + 32], prog[PATH_MAX + 32];
	int pfd, lfd;

	snprintf(pin, sizeof(pin), "%s/links/bpf-guard", k->dir);
	if (!access(pin, F_OK))
		return;
	snprintf(prog, sizeof(prog), "%s/progs/rcc_bpf_guard", k->dir);
	pfd = bpf_obj_get(prog);
	if (pfd < 0)
		return; /* not loadable here: warned when the programs were loaded */
	lfd = bpf_raw_tracepoint_open(NULL, pfd);
	if (lfd < 0 || bpf_obj_pin(lfd, pin))
		pr_warn("Failed to attach the bpf() guard: %s; a sandbox given CAP_SYS_ADMIN could remove its own enforcement\n",
			strerror(errno));
	else if (bpf_lsm_active() == 0)
		pr_warn("warning: the BPF LSM is not active (boot with lsm=...,bpf): the bpf() guard never runs, and a sandbox given CAP_SYS_ADMIN could remove its own enforcement\n");
	if (lfd >= 0)
		close(lfd);
	close(pfd);
}

bool rcc_kernel_guarded(const struct rcc_kernel *k)
{
	char pin[PATH_MAX + 32];

	snprintf(pin, sizeof(pin), "%s/links/bpf-guard", k->dir);
	/* an LSM list that cannot be read proves nothing: not guarded */
	return !access(pin, F_OK) && bpf_lsm_active() == 1;
}

int rcc_kernel_open(const struct rcc_config *cfg, bool create, bool lock,
		    struct rcc_kernel *k)
{
	char parent[PATH_MAX];
	int err, i;

	memset(k, 0, sizeof(*k));
	k->lock_fd = -1;
	for (i = 0; i < RCC_MAP__MAX; i++)
		k->map_fd[i] = -1;
	for (i = 0; i < RCC_HOOK__MAX; i++)
		k->prog_fd[i] = -1;
	snprintf(parent, sizeof(parent), "%s", cfg->pin_dir);
	snprintf(k->pin_dir, sizeof(k->pin_dir), "%s", cfg->pin_dir);
	snprintf(k->dir, sizeof(k->dir), "%s/" RCC_PIN_VERSION, cfg->pin_dir);

	if (!create && access(k->dir, F_OK))
		return -ENOENT;
	err = ensure_bpffs(parent);
	if (err)
		return err;
	if (create && (err = mkdir_p(parent, 0700))) {
		pr_warn("Failed to create pin_dir '%s': %s\n", parent, strerror(-err));
		return err;
	}
	/*
	 * Opening a pin takes no capability, only file access, and with a
	 * link or map fd anyone can detach or rewrite.  Mode 0 keeps out every
	 * process without CAP_DAC_OVERRIDE, uid 0 in a sandbox included.
	 */
	if (create && chmod(parent, 0)) {
		err = -errno;
		pr_warn("Failed to protect pin_dir '%s': %s\n", parent, strerror(errno));
		return err;
	}
	if (lock) {
		k->lock_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (k->lock_fd < 0 || flock(k->lock_fd, LOCK_EX)) {
			err = -errno;
			pr_warn("Failed to lock '%s': %s\n", parent, strerror(errno));
			return err;
		}
	}
	if (access(k->dir, F_OK)) {
		if (!create) {
			rcc_kernel_close(k);
			return -ENOENT;
		}
		err = create_pins(k->dir, cfg);
		if (err) {
			rcc_kernel_close(k);
			return err;
		}
		pr_debug("loaded and pinned the programs under %s\n", k->dir);
	}
	err = open_pins(k, cfg);
	if (err)
		rcc_kernel_close(k);
	else if (create)
		ensure_guard(k);
	return err;
}

void rcc_kernel_close(struct rcc_kernel *k)
{
	int i;

	for (i = 0; i < RCC_MAP__MAX; i++)
		if (k->map_fd[i] >= 0)
			close(k->map_fd[i]);
	for (i = 0; i < RCC_HOOK__MAX; i++)
		if (k->prog_fd[i] >= 0)
			close(k->prog_fd[i]);
	if (k->lock_fd >= 0)
		close(k->lock_fd); /* releases the flock */
	memset(k->map_fd, -1, sizeof(k->map_fd));
	memset(k->prog_fd, -1, sizeof(k->prog_fd));
	k->lock_fd = -1;
}

void rcc_kernel_unlock(struct rcc_kernel *k)
{
	if (k->lock_fd >= 0)
		close(k->lock_fd);
	k->lock_fd = -1;
}

static int lock_how(struct rcc_kernel *k, int how)
{
	if (k->lock_fd >= 0)
		return 0;
	k->lock_fd = open(k->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->lock_fd < 0 || flock(k->lock_fd, how)) {
		int err = -errno;

		rcc_kernel_unlock(k);
		return err;
	}
	return 0;
}

int rcc_kernel_lock(struct rcc_kernel *k)
{
	return lock_how(k, LOCK_EX);
}

int rcc_kernel_trylock(struct rcc_kernel *k)
{
	return lock_how(k, LOCK_EX | LOCK_NB);
}

bool rcc_kernel_is_attached(struct rcc_kernel *k, const char *path, __u32 *policy_id)
{
	struct rcc_cgroup_val v;
	__u64 id;

	if (rcc_cgroup_id(path, &id) ||
	    bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return false;
	if (policy_id)
		*policy_id = v.policy_id;
	return true;
}

/* ---- policies ---- */

struct polname {
	char name[RCC_POLICY_NAME_MAX];
	__u32 id;
};

static int polnames_dump(struct rcc_kernel *k, struct rcc_kvset *out)
{
	rcc_kvset_init(out, RCC_POLICY_NAME_MAX, sizeof(__u32));
	return rcc_map_dump(k->map_fd[RCC_MAP_POLNAMES], out);
}

int rcc_kernel_policy_id(struct rcc_kernel *k, const char *name, __u32 *id)
{
	char key[RCC_POLICY_NAME_MAX] = {};

	snprintf(key, sizeof(key), "%s", name);
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_POLNAMES], key, id))
		return -ENOENT;
	return 0;
}

int rcc_kernel_policy_name(struct rcc_kernel *k, __u32 id, char *name, size_t len)
{
	struct rcc_kvset s;
	size_t i;
	int err = polnames_dump(k, &s);

	for (i = 0; !err && i < s.n; i++) {
		__u32 v;

		memcpy(&v, s.vals + i * s.vsz, sizeof(v));
		if (v == id) {
			snprintf(name, len, "%.*s", RCC_POLICY_NAME_MAX, s.keys + i * s.ksz);
			rcc_kvset_free(&s);
			return 0;
		}
	}
	rcc_kvset_free(&s);
	snprintf(name, len, "#%u", id);
	return err ?: -ENOENT;
}

static int zero_percpu(int fd, __u32 key, size_t vsz)
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

/*
 * The egress program keeps, per socket, the last destination it allowed
 * under a generation number; after a change of the maps the number moves
 * on and every socket is judged afresh.  Called after the change.
 */
static void bump_gen(struct rcc_kernel *k)
{
	__u32 zero = 0, gen = 0;

	bpf_map_lookup_elem(k->map_fd[RCC_MAP_GEN], &zero, &gen);
	gen++;
	if (bpf_map_update_elem(k->map_fd[RCC_MAP_GEN], &zero, &gen, BPF_ANY))
		pr_warn("Failed to bump the maps' generation: %s; sockets keep cached verdicts until their destination changes\n",
			strerror(errno));
}

static int sum_percpu(int fd, __u32 key, struct rcc_counters *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct rcc_counters *v;

	memset(out, 0, sizeof(*out));
	if (ncpu < 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -errno;
	}
	for (i = 0; i < ncpu; i++) {
		out->allowed += v[i].allowed;
		out->denied += v[i].denied;
		out->audited += v[i].audited;
	}
	free(v);
	return 0;
}

static int map_capacity(int fd, __u32 *max)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*max = info.max_entries;
	return 0;
}

static const char *const cap_keys[] = {
	[RCC_MAP_PORTS] = "max_port_entries",
	[RCC_MAP_ADDRS] = "max_address_entries",
	[RCC_MAP_PREFIXES] = "max_prefix_entries",
};

/* The maps whose entries belong to a policy version, and their sizes. */
static const int synced[3] = { RCC_MAP_PORTS, RCC_MAP_ADDRS, RCC_MAP_PREFIXES };
static const size_t synced_ksz[3] = {
	sizeof(struct rcc_port_key), sizeof(struct rcc_addr_key), sizeof(struct rcc_prefix_key),
};
static const size_t synced_vsz[3] = {
	sizeof(struct rcc_port_val), sizeof(struct rcc_addr_val), sizeof(struct rcc_prefix_val),
};

/* The version a key of synced map m belongs to. */
static __u32 key_version(int m, const __u8 *key)
{
	__u32 v;

	if (m == RCC_MAP_PREFIXES) {
		memcpy(&v, key + offsetof(struct rcc_prefix_key, version), sizeof(v));
		return ntohl(v);
	}
	/* rcc_port_key and rcc_addr_key both start with it */
	memcpy(&v, key, sizeof(v));
	return v;
}

/* The version in force for policy id; 0 when none. */
static __u32 version_of(const struct rcc_kernel *k, __u32 id)
{
	__u32 v = 0;

	if (id >= RCC_MAX_POLICIES ||
	    bpf_map_lookup_elem(k->map_fd[RCC_MAP_VERSIONS], &id, &v) ||
	    v >= RCC_MAX_VERSIONS)
		return 0;
	return v;
}

/*
 * Waits until no BPF program still runs a decision it began before now.
 * The cgroup programs run under rcu_read_lock, and membarrier's GLOBAL
 * command is a synchronize_rcu(); where it is refused (nohz_full), a
 * sleep far longer than any one decision stands in for it.
 */
static void wait_for_decisions(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(50 * 1000);
}

/* What one apply does: each policy of the configuration, and the maps. */
struct plan {
	size_t n;			/* the configuration's policies */
	__u32 *ids;			/* stable ids (rcc_polnames) */
	__u32 *was;			/* version in force before; 0: none */
	__u32 *ver;			/* version in force after */
	bool *named;			/* the id was named before */
	struct rcc_compiled *comp;	/* compiled under ver */
	struct rcc_kvset names;		/* rcc_polnames as it was */
	struct rcc_kvset have[3];	/* the synced maps as they were */
	struct rcc_kvset want[3];
	struct rcc_mapdiff diff[3];
	bool diffed;
};

static void plan_free_diffs(struct plan *p)
{
	int j;

	for (j = 0; j < 3 && p->diffed; j++)
		rcc_mapdiff_free(&p->diff[j]);
	for (j = 0; j < 3; j++)
		rcc_kvset_free(&p->want[j]);
	p->diffed = false;
}

static void plan_free(struct plan *p)
{
	size_t i;
	int j;

	plan_free_diffs(p);
	for (i = 0; p->comp && i < p->n; i++)
		rcc_compiled_free(&p->comp[i]);
	for (j = 0; j < 3; j++)
		rcc_kvset_free(&p->have[j]);
	rcc_kvset_free(&p->names);
	free(p->comp);
	free(p->ids);
	free(p->was);
	free(p->ver);
	free(p->named);
}

static const char *name_at(const struct rcc_kvset *names, size_t i, char *buf,
			   size_t len)
{
	snprintf(buf, len, "%.*s", RCC_POLICY_NAME_MAX, names->keys + i * names->ksz);
	return buf;
}

/* The lowest index from 1 not yet used, now marked used; 0: none left. */
static __u32 take_free(bool *used, __u32 n)
{
	__u32 i;

	for (i = 1; i < n; i++)
		if (!used[i]) {
			used[i] = true;
			return i;
		}
	return 0;
}

/* ids: kept for known names, the lowest free one for new names. */
static int plan_ids(struct rcc_kernel *k, const struct rcc_config *cfg,
		    struct plan *p)
{
	bool used[RCC_MAX_POLICIES] = {};
	size_t i;
	__u32 id;

	for (i = 0; i < p->names.n; i++) {
		__u32 v;

		memcpy(&v, p->names.vals + i * p->names.vsz, sizeof(v));
		if (v < RCC_MAX_POLICIES)
			used[v] = true;
	}
	for (i = 0; i < p->n; i++) {
		p->named[i] = !rcc_kernel_policy_id(k, cfg->policies[i].name, &p->ids[i]);
		if (p->named[i]) {
			p->was[i] = version_of(k, p->ids[i]);
			continue;
		}
		id = take_free(used, RCC_MAX_POLICIES);
		if (!id) {
			pr_warn("Failed to load policy '%s': all %d policy ids are in use\n",
				cfg->policies[i].name, RCC_MAX_POLICIES - 1);
			return -ENOSPC;
		}
		p->ids[i] = id;
	}
	return 0;
}

/* A policy that enforces a cgroup cannot vanish from under it. */
static int check_removals(struct rcc_kernel *k, const struct rcc_config *cfg,
			  const struct plan *p)
{
	struct rcc_kvset cgs;
	size_t i, j;
	int err;

	rcc_kvset_init(&cgs, sizeof(__u64), sizeof(struct rcc_cgroup_val));
	err = rcc_map_dump(k->map_fd[RCC_MAP_CGROUPS], &cgs);
	for (i = 0; !err && i < p->names.n; i++) {
		char name[RCC_POLICY_NAME_MAX + 1];
		__u32 id;

		if (rcc_config_policy(cfg, name_at(&p->names, i, name, sizeof(name))))
			continue;
		memcpy(&id, p->names.vals + i * p->names.vsz, sizeof(id));
		for (j = 0; j < cgs.n; j++) {
			struct rcc_cgroup_val cv;
			__u64 cgid;
			char path[PATH_MAX];

			memcpy(&cv, cgs.vals + j * cgs.vsz, sizeof(cv));
			memcpy(&cgid, cgs.keys + j * cgs.ksz, sizeof(cgid));
			if (cv.policy_id != id)
				continue;
			if (rcc_cgroup_path_by_id(cgid, path, sizeof(path)))
				continue; /* gone: prune will drop it */
			pr_warn("policy '%s' is missing from %s but enforces cgroup %s; keep it in the configuration, or detach that cgroup first\n",
				name, cfg->path[0] ? cfg->path : "the configuration", path);
			err = -EBUSY;
			break;
		}
	}
	rcc_kvset_free(&cgs);
	return err;
}

/* want: every policy's entries; diff: what the maps need for it. */
static int plan_diff(struct plan *p, struct rcc_kernel *k)
{
	size_t i;
	int j, err = 0;

	for (j = 0; j < 3; j++)
		rcc_kvset_init(&p->want[j], synced_ksz[j], synced_vsz[j]);
	for (i = 0; !err && i < p->n; i++) {
		const struct rcc_compiled *c = &p->comp[i];

		err = rcc_kvset_append(&p->want[0], c->port_keys, c->port_vals, c->nports);
		err = err ?: rcc_kvset_append(&p->want[1], c->addr_keys, c->addr_vals, c->naddrs);
		err = err ?: rcc_kvset_append(&p->want[2], c->prefix_keys, c->prefix_vals, c->nprefixes);
	}
	for (j = 0; !err && j < 3; j++) {
		err = rcc_map_diff_with(k->map_fd[synced[j]], &p->have[j], &p->want[j], &p->diff[j]);
		if (err)
			while (j--)
				rcc_mapdiff_free(&p->diff[j]);
	}
	p->diffed = !err;
	return err;
}

/*
 * Whether an entry (its value in synced map m) only allows, and is exact:
 * a port or address entry without a deny.  Such entries can change in
 * place (new ones first, old ones last): a decision then meets each
 * entry's old or new value, allow entries win whatever else it meets,
 * and nothing else differs, so it allows only what the old or the new
 * policy allows, and refuses only what both refuse.  Prefix nodes cannot:
 * the longest match may be an old node the new policy no longer has.
 */
static bool allow_only(int m, const __u8 *val)
{
	struct rcc_port_val pv;
	struct rcc_addr_val av;

	if (m == RCC_MAP_PORTS) {
		memcpy(&pv, val, sizeof(pv));
		return pv.action == RCC_ACT_ALLOW;
	}
	if (m == RCC_MAP_ADDRS) {
		memcpy(&av, val, sizeof(av));
		return !av.deny_protos && !av.deny_rule;
	}
	return false;
}

/* Marks the version of each entry of s (of synced map m); with
 * unsafe_only, of each that cannot change in place. */
static void mark_versions(const struct rcc_kvset *s, int m, bool unsafe_only, bool *mark)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		__u32 v = key_version(m, s->keys + i * s->ksz);

		if (v < RCC_MAX_VERSIONS && !(unsafe_only && allow_only(m, s->vals + i * s->vsz)))
			mark[v] = true;
	}
}

/*
 * Every policy that is new, or whose flags or entries change other than
 * by exact allow entries (allow_only), gets a fresh version: one that
 * nothing is in force under and no entry carries, so its entries can all
 * go in before anything uses them.  The others keep theirs: unchanged,
 * or changed in place (a hostname's new addresses).  Returns how many
 * got a fresh version.
 */
static int plan_versions(struct plan *p, struct rcc_kernel *k,
			 const struct rcc_config *cfg)
{
	bool unsafe[RCC_MAX_VERSIONS] = {}, busy[RCC_MAX_VERSIONS] = {};
	size_t i, changed = 0;
	__u32 v;
	int j;

	for (j = 0; j < 3; j++) {
		mark_versions(&p->diff[j].diff.puts, synced[j], true, unsafe);
		mark_versions(&p->diff[j].diff.old, synced[j], true, unsafe);
		mark_versions(&p->diff[j].diff.dels, synced[j], true, unsafe);
		mark_versions(&p->have[j], synced[j], false, busy);
	}
	busy[0] = true;
	for (i = 0; i < p->names.n; i++) {
		__u32 id;

		memcpy(&id, p->names.vals + i * p->names.vsz, sizeof(id));
		busy[version_of(k, id)] = true;
	}
	for (i = 0; i < p->n; i++) {
		struct rcc_policy now;
		__u32 w = p->was[i];

		p->ver[i] = w;
		if (w && !unsafe[w] &&
		    !bpf_map_lookup_elem(k->map_fd[RCC_MAP_POLICIES], &w, &now) &&
		    !memcmp(&now, &p->comp[i].pol, sizeof(now)))
			continue;
		v = take_free(busy, RCC_MAX_VERSIONS);
		if (!v) {
			pr_warn("Failed to load policy '%s': all %d policy versions are in use (a reload needs a free one for each changed policy); try again after this reload's leftovers are gone, or change fewer policies at once\n",
				cfg->policies[i].name, RCC_MAX_VERSIONS - 1);
			return -ENOSPC;
		}
		p->ver[i] = v;
		rcc_compiled_set_version(&p->comp[i], v);
		changed++;
	}
	return changed;
}

static int check_capacity(struct rcc_kernel *k, const struct plan *p)
{
	int j;

	for (j = 0; j < 3; j++) {
		const struct rcc_mapdiff *d = &p->diff[j];
		size_t wanted = d->have + d->diff.puts.n - d->diff.old.n;
		__u32 max = 0;
		int m = synced[j], err = map_capacity(k->map_fd[m], &max);

		if (err) {
			pr_warn("Failed to read map %s: %s\n", map_names[m], strerror(-err));
			return err;
		}
		if (wanted > max) {
			pr_warn("map %s is too small: %zu entries wanted during the update (a changed policy is held twice until the switch), room for %u; raise [global] %s (takes effect when the maps are created anew: detach everything and remove '%s')\n",
				map_names[m], wanted, max, cap_keys[m], k->dir);
			return -ENOSPC;
		}
	}
	return 0;
}

/* Points policy id at version v (0: none), the one write a switch is. */
static int set_version(struct rcc_kernel *k, __u32 id, __u32 v)
{
	return bpf_map_update_elem(k->map_fd[RCC_MAP_VERSIONS], &id, &v, BPF_ANY) ? -errno : 0;
}

static void deactivate(struct rcc_kernel *k, __u32 v)
{
	struct rcc_policy off = {};

	if (v)
		bpf_map_update_elem(k->map_fd[RCC_MAP_POLICIES], &v, &off, BPF_ANY);
}

/*
 * Makes the kernel hold the plan.  Every decision reads a policy's
 * version once, so it sees the old version whole or the new one whole:
 *   1. names of new policies, flags and entries of the new versions
 *      (nothing uses them yet);
 *   2. the switch: one write per changed or removed policy;
 *   3. once no decision that began before the switch still runs, the
 *      old versions' entries go, and their flags.
 */
static int plan_commit(struct rcc_kernel *k, const struct rcc_config *cfg,
		       struct plan *p, bool keep_flows)
{
	__u32 gone[RCC_MAX_POLICIES];	/* versions of removed policies */
	size_t i, nswitched = 0, ngone = 0;
	bool switched = false;
	int j, err = 0;

	for (i = 0; !err && i < p->n; i++) {
		char key[RCC_POLICY_NAME_MAX] = {};

		snprintf(key, sizeof(key), "%s", cfg->policies[i].name);
		if (!p->named[i] &&
		    bpf_map_update_elem(k->map_fd[RCC_MAP_POLNAMES], key, &p->ids[i], BPF_ANY))
			err = -errno;
		if (!err && p->ver[i] != p->was[i] &&
		    bpf_map_update_elem(k->map_fd[RCC_MAP_POLICIES], &p->ver[i],
					&p->comp[i].pol, BPF_ANY))
			err = -errno;
		if (err)
			pr_warn("Failed to load policy '%s': %s\n", cfg->policies[i].name,
				strerror(-err));
	}
	for (j = 0; !err && j < 3; j++) {
		err = rcc_map_apply_puts(&p->diff[j]);
		if (err) {
			pr_warn("Failed to update map %s: %s\n", map_names[synced[j]], strerror(-err));
			while (j--)
				rcc_map_undo_puts(&p->diff[j]);
		}
	}
	if (err)
		goto undo;

	for (nswitched = 0; nswitched < p->n; nswitched++) {
		i = nswitched;
		if (p->ver[i] == p->was[i])
			continue;
		err = set_version(k, p->ids[i], p->ver[i]);
		if (err) {
			pr_warn("Failed to switch policy '%s' to its new version: %s\n",
				cfg->policies[i].name, strerror(-err));
			goto unswitch;
		}
		switched = true;
	}
	for (i = 0; i < p->names.n; i++) {
		char name[RCC_POLICY_NAME_MAX + 1];
		__u32 id;

		if (rcc_config_policy(cfg, name_at(&p->names, i, name, sizeof(name))))
			continue;
		memcpy(&id, p->names.vals + i * p->names.vsz, sizeof(id));
		gone[ngone++] = version_of(k, id);
		set_version(k, id, 0); /* enforces no cgroup: checked before */
	}
	if (!keep_flows)
		bump_gen(k);
	/* an old version's entries go only once nothing reads them; entries
	 * changed in place need no wait */
	if (switched || ngone)
		wait_for_decisions();

	for (j = 0; j < 3; j++)
		err = rcc_map_apply_dels(&p->diff[j]) ?: err;
	if (err)
		pr_warn("Failed to remove some stale entries: %s, ignoring (the next change removes them)\n",
			strerror(-err));
	for (i = 0; i < p->n; i++)
		if (p->ver[i] != p->was[i])
			deactivate(k, p->was[i]);
	while (ngone--)
		deactivate(k, gone[ngone]);
	for (i = 0; i < p->names.n; i++) {
		char name[RCC_POLICY_NAME_MAX + 1];
		__u32 id;

		if (rcc_config_policy(cfg, name_at(&p->names, i, name, sizeof(name))))
			continue;
		memcpy(&id, p->names.vals + i * p->names.vsz, sizeof(id));
		zero_percpu(k->map_fd[RCC_MAP_POLSTATS], id, sizeof(struct rcc_counters));
		bpf_map_delete_elem(k->map_fd[RCC_MAP_POLNAMES], p->names.keys + i * p->names.ksz);
		pr_debug("policy '%s' unloaded\n", name);
	}
	return 0;

unswitch:
	while (nswitched--)
		if (p->ver[nswitched] != p->was[nswitched])
			set_version(k, p->ids[nswitched], p->was[nswitched]);
	wait_for_decisions();
	for (j = 0; j < 3; j++)
		rcc_map_undo_puts(&p->diff[j]);
undo:
	/* new versions and the names of new policies go again */
	for (i = 0; i < p->n; i++) {
		char key[RCC_POLICY_NAME_MAX] = {};

		if (p->ver[i] != p->was[i])
			deactivate(k, p->ver[i]);
		snprintf(key, sizeof(key), "%s", cfg->policies[i].name);
		if (!p->named[i])
			bpf_map_delete_elem(k->map_fd[RCC_MAP_POLNAMES], key);
	}
	return err;
}

/*
 * Plan, then commit: everything is compiled and checked before anything
 * in the kernel changes.
 */
static int apply(struct rcc_kernel *k, const struct rcc_config *cfg,
		 const struct rcc_compile_opts *opts, bool keep_flows)
{
	struct plan p = { .n = cfg->npolicies };
	size_t i;
	int j, err;

	for (j = 0; j < 3; j++)
		rcc_kvset_init(&p.have[j], synced_ksz[j], synced_vsz[j]);
	err = polnames_dump(k, &p.names);
	if (err)
		goto out;
	p.comp = calloc(p.n + 1, sizeof(*p.comp));
	p.ids = calloc(p.n + 1, sizeof(*p.ids));
	p.was = calloc(p.n + 1, sizeof(*p.was));
	p.ver = calloc(p.n + 1, sizeof(*p.ver));
	p.named = calloc(p.n + 1, sizeof(*p.named));
	if (!p.comp || !p.ids || !p.was || !p.ver || !p.named) {
		err = -ENOMEM;
		goto out;
	}
	err = plan_ids(k, cfg, &p);
	if (err)
		goto out;
	for (i = 0; i < p.n; i++) {
		int e = rcc_policy_compile(&cfg->policies[i], p.was[i], opts, &p.comp[i]);

		err = err ?: e;
	}
	err = err ?: check_removals(k, cfg, &p);
	for (j = 0; !err && j < 3; j++) {
		err = rcc_map_dump(k->map_fd[synced[j]], &p.have[j]);
		if (err)
			pr_warn("Failed to read map %s: %s\n", map_names[synced[j]], strerror(-err));
	}
	err = err ?: plan_diff(&p, k);
	if (err)
		goto out;
	err = plan_versions(&p, k, cfg);
	if (err > 0) {
		/* relabelled: diff again, against the same dump */
		plan_free_diffs(&p);
		err = plan_diff(&p, k);
	}
	err = err ?: check_capacity(k, &p);
	err = err ?: plan_commit(k, cfg, &p, keep_flows);
out:
	plan_free(&p);
	return err;
}

int rcc_kernel_apply(struct rcc_kernel *k, const struct rcc_config *cfg,
		     const struct rcc_compile_opts *opts)
{
	return apply(k, cfg, opts, false);
}

int rcc_kernel_apply_dns(struct rcc_kernel *k, const struct rcc_config *cfg,
			 const struct rcc_compile_opts *opts)
{
	return apply(k, cfg, opts, true);
}

/* ---- cgroups and links ---- */

static void link_dir(const struct rcc_kernel *k, __u64 id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%llu", k->dir, (unsigned long long)id);
}

static bool is_linked(const struct rcc_kernel *k, __u64 id)
{
	char dir[PATH_MAX];

	link_dir(k, id, dir, sizeof(dir));
	return !access(dir, F_OK);
}

static bool is_enforced(const struct rcc_kernel *k, __u64 id)
{
	struct rcc_cgroup_val v;

	return !bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v);
}

/* Creates whichever of the cgroup's links are missing, and pins them. */
static int link_cgroup(struct rcc_kernel *k, const char *path, __u64 id)
{
	char dir[PATH_MAX], pin[PATH_MAX + 32];
	int cgfd, h, err = 0;

	link_dir(k, id, dir, sizeof(dir));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	cgfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	for (h = 1; h < RCC_HOOK__MAX && !err; h++) {
		int fd;

		if (!hooks[h].prog)
			continue;
		snprintf(pin, sizeof(pin), "%s/%s", dir, hooks[h].name);
		if (!access(pin, F_OK))
			continue;
		/* a bpf_link: multi-attach, and only its owner can detach it */
		fd = bpf_link_create(k->prog_fd[h], cgfd, hooks[h].type, NULL);
		if (fd < 0) {
			err = -errno;
			pr_warn("Failed to attach %s to cgroup '%s': %s\n", hooks[h].name,
				path, strerror(errno));
			break;
		}
		if (bpf_obj_pin(fd, pin)) {
			err = -errno;
			pr_warn("Failed to pin link '%s': %s\n", pin, strerror(errno));
		}
		close(fd);
	}
	close(cgfd);
	return err;
}

static int unlink_cgroup(struct rcc_kernel *k, __u64 id)
{
	char dir[PATH_MAX];

	link_dir(k, id, dir, sizeof(dir));
	return remove_tree(dir); /* the last reference: the links detach */
}

static int first_linked_ancestor(const char *path, __u64 id, void *ctx)
{
	(void)path;
	return is_linked(ctx, id) ? 1 : 0;
}

struct walk_ctx {
	struct rcc_kernel *k;
	__u64 self;
	int err;
};

/* Links that became redundant below a newly linked cgroup go away. */
static int unlink_descendant(const char *path, __u64 id, void *ctx)
{
	struct walk_ctx *w = ctx;

	(void)path;
	if (id != w->self && is_linked(w->k, id))
		w->err = unlink_cgroup(w->k, id) ?: w->err;
	return 0;
}

static int alloc_slot(struct rcc_kernel *k, __u32 *slot)
{
	struct rcc_kvset cgs;
	__u8 *used;
	size_t i;
	int err;

	rcc_kvset_init(&cgs, sizeof(__u64), sizeof(struct rcc_cgroup_val));
	err = rcc_map_dump(k->map_fd[RCC_MAP_CGROUPS], &cgs);
	used = calloc(k->max_cgroups, 1);
	if (!used)
		err = -ENOMEM;
	for (i = 0; !err && i < cgs.n; i++) {
		struct rcc_cgroup_val v;

		memcpy(&v, cgs.vals + i * cgs.vsz, sizeof(v));
		if (v.slot < k->max_cgroups)
			used[v.slot] = 1;
	}
	rcc_kvset_free(&cgs);
	if (err) {
		free(used);
		return err;
	}
	for (i = 0; i < k->max_cgroups && used[i]; i++)
		;
	free(used);
	if (i == k->max_cgroups) {
		pr_warn("all %u cgroup slots are in use; raise [global] max_cgroups\n",
			k->max_cgroups);
		return -ENOSPC;
	}
	*slot = i;
	return zero_percpu(k->map_fd[RCC_MAP_CGSTATS], i, sizeof(struct rcc_counters));
}

int rcc_kernel_attach(struct rcc_kernel *k, const char *path, __u32 policy_id)
{
	struct rcc_cgroup_val v;
	struct walk_ctx w = { .k = k };
	bool fresh;
	__u64 id;
	int err = rcc_cgroup_id(path, &id);

	if (err)
		return err;
	fresh = bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v) != 0;
	if (fresh && (err = alloc_slot(k, &v.slot)))
		return err;
	v.policy_id = policy_id;
	/* the entry first: a program that runs from here on finds it */
	if (bpf_map_update_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v, BPF_ANY))
		return -errno;
	if (!is_linked(k, id) && rcc_cgroup_ancestors(path, first_linked_ancestor, k) == 1) {
		bump_gen(k); /* the cgroup's policy may have changed */
		return 0; /* an ancestor's links already run for this cgroup */
	}
	err = link_cgroup(k, path, id);
	if (err) {
		if (fresh) {
			unlink_cgroup(k, id);
			bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id);
		}
		return err;
	}
	/* new links are in place: the ones below them are now redundant */
	w.self = id;
	rcc_cgroup_walk(path, unlink_descendant, &w);
	if (w.err)
		pr_warn("Failed to remove redundant links below '%s': %s, ignoring\n",
			path, strerror(-w.err));
	bump_gen(k);
	return 0;
}

/* Gives links to the topmost enforced cgroups below dir. */
static int relink_below(struct rcc_kernel *k, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && !err) {
		char sub[PATH_MAX];
		__u64 id;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub))
			continue;
		if (rcc_cgroup_id(sub, &id))
			continue;
		if (is_enforced(k, id))
			err = link_cgroup(k, sub, id);
		else
			err = relink_below(k, sub);
	}
	closedir(d);
	return err;
}

int rcc_kernel_detach(struct rcc_kernel *k, const char *path)
{
	struct rcc_cgroup_val v;
	__u64 id;
	int err = rcc_cgroup_id(path, &id);

	if (err)
		return err;
	if (bpf_map_lookup_elem(k->map_fd[RCC_MAP_CGROUPS], &id, &v))
		return -ENOENT;
	if (is_linked(k, id)) {
		/* enforced cgroups below keep their enforcement: new links
		 * first, then ours go */
		err = relink_below(k, path);
		if (err) {
			pr_warn("Failed to keep the cgroups below '%s' enforced: %s; nothing detached\n",
				path, strerror(-err));
			return err;
		}
		err = unlink_cgroup(k, id);
		if (err)
			return err;
	}
	if (bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id))
		return -errno;
	zero_percpu(k->map_fd[RCC_MAP_CGSTATS], v.slot, sizeof(struct rcc_counters));
	bump_gen(k);
	return 0;
}

int rcc_kernel_prune(struct rcc_kernel *k)
{
	struct rcc_kvset cgs;
	size_t i;
	int err;

	rcc_kvset_init(&cgs, sizeof(__u64), sizeof(struct rcc_cgroup_val));
	err = rcc_map_dump(k->map_fd[RCC_MAP_CGROUPS], &cgs);
	for (i = 0; !err && i < cgs.n; i++) {
		char path[PATH_MAX];
		__u64 id;

		memcpy(&id, cgs.keys + i * cgs.ksz, sizeof(id));
		if (rcc_cgroup_path_by_id(id, path, sizeof(path)) != -ESTALE)
			continue;
		unlink_cgroup(k, id);
		bpf_map_delete_elem(k->map_fd[RCC_MAP_CGROUPS], &id);
		bump_gen(k); /* its slot may be given to another cgroup */
		pr_debug("dropped state of removed cgroup %llu\n", (unsigned long long)id);
	}
	rcc_kvset_free(&cgs);
	return err;
}

int rcc_kernel_cgroups(struct rcc_kernel *k, struct rcc_cgroup_info **out,
		       size_t *n)
{
	struct rcc_kvset cgs;
	struct rcc_cgroup_info *info;
	size_t i;
	int err;

	rcc_kvset_init(&cgs, sizeof(__u64), sizeof(struct rcc_cgroup_val));
	err = rcc_map_dump(k->map_fd[RCC_MAP_CGROUPS], &cgs);
	if (err)
		return err;
	info = calloc(cgs.n + 1, sizeof(*info));
	if (!info) {
		rcc_kvset_free(&cgs);
		return -ENOMEM;
	}
	for (i = 0; i < cgs.n; i++) {
		struct rcc_cgroup_val v;

		memcpy(&info[i].id, cgs.keys + i * cgs.ksz, sizeof(__u64));
		memcpy(&v, cgs.vals + i * cgs.vsz, sizeof(v));
		info[i].policy_id = v.policy_id;
		if (rcc_cgroup_path_by_id(info[i].id, info[i].path, sizeof(info[i].path)))
			info[i].path[0] = '\0';
		info[i].linked = is_linked(k, info[i].id);
		sum_percpu(k->map_fd[RCC_MAP_CGSTATS], v.slot, &info[i].stats);
	}
	*out = info;
	*n = cgs.n;
	rcc_kvset_free(&cgs);
	return 0;
}

int rcc_kernel_policy_stats(struct rcc_kernel *k, __u32 id, struct rcc_counters *out)
{
	return sum_percpu(k->map_fd[RCC_MAP_POLSTATS], id, out);
}

int rcc_kernel_policy_flags(struct rcc_kernel *k, __u32 id, __u32 *flags)
{
	struct rcc_policy p;
	__u32 v = version_of(k, id);

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
