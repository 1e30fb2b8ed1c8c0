// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF object: loaded from the skeleton once, its programs and maps
 * pinned under PIN_DIR/v3, opened from there by every later command.
 * The only file that includes the skeleton.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/kernel.h"
#include "kernel/maps.h"
#include "kernel/object.h"
#include "lib/log.h"
#include "lib/util.h"
#include "rcc_enforce.skel.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define RCC_PIN_VERSION "v3"

/* Each hook's program (rcc_shared.h); per cgroup ones are opened. */
static const struct {
	const char *prog;
	bool per_cgroup;
} hooks[RCC_HOOK__MAX] = {
#define HOOK_PROG(id, name, prog, type, per_cgroup) [RCC_HOOK_##id] = { prog, per_cgroup },
	RCC_HOOKS(HOOK_PROG)
#undef HOOK_PROG
};

int rcc_object_unpin_tree(const char *path)
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
		if (rcc_snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name))
			err = -ENAMETOOLONG;
		else if (de->d_type == DT_DIR)
			err = rcc_object_unpin_tree(sub) ?: err;
		else if (unlink(sub) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

/* mkdir -p; prints nothing. */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;
	int err = rcc_snprintf(buf, sizeof(buf), "%s", path);

	for (p = buf + 1; !err && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			err = -errno;
		*p = '/';
	}
	if (!err && mkdir(buf, mode) && errno != EEXIST)
		err = -errno;
	return err;
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
	int err;

	if (rcc_snprintf(probe, sizeof(probe), "%s", pin_dir))
		return rcc_log_fail(-ENAMETOOLONG, "Failed to use pin_dir '%s'", pin_dir);
	while (access(probe, F_OK) && (slash = strrchr(probe, '/')) && slash != probe)
		*slash = '\0';
	if (on_bpffs(probe))
		return 0;
	if (!strncmp(pin_dir, "/sys/fs/bpf/", 12) && !on_bpffs("/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("Failed to mount bpffs at /sys/fs/bpf: %s; mount it with 'mount -t bpf bpf /sys/fs/bpf'\n",
				strerror(-err));
			return err;
		}
		pr_debug("mounted bpffs at /sys/fs/bpf\n");
		return 0;
	}
	pr_warn("pin_dir '%s' is not on a bpffs mount; mount one there ('mount -t bpf bpf DIR') or choose a pin_dir under /sys/fs/bpf\n",
		pin_dir);
	return -ENOTSUP;
}

/* Creates the map name (for userspace only) and pins it under dir. */
static int create_and_pin(const char *dir, enum bpf_map_type type, const char *name, __u32 ksz,
			  __u32 vsz, __u32 max)
{
	char path[PATH_MAX];
	int fd = -1, err = rcc_snprintf(path, sizeof(path), "%s/maps/%s", dir, name);

	if (!err) {
		fd = bpf_map_create(type, name, ksz, vsz, max, NULL);
		err = fd < 0 || bpf_obj_pin(fd, path) ? -errno : 0;
	}
	if (fd >= 0)
		close(fd);
	return err ? rcc_log_fail(err, "Failed to pin '%s'", path) : 0;
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
	bpf_map__set_max_entries(skel->maps.rcc_dns_listeners, cfg->max_cgroups);
	bpf_map__set_max_entries(skel->maps.rcc_learned, cfg->dns_max_learned);
	bpf_program__set_autoload(skel->progs.rcc_bpf_guard, guard);
	/* a quarter of a small ring, so the reader wakes before it fills */
	skel->rodata->wakeup_bytes = cfg->ring_size / 4 < RCC_RING_WAKEUP_BYTES ?
					     cfg->ring_size / 4 :
					     RCC_RING_WAKEUP_BYTES;
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

/* Opens and loads the BPF object, with the bpf() guard where it loads. */
static int load_skel(const struct rcc_config *cfg, struct rcc_enforce_bpf **out)
{
	/* the guard needs BPF LSM programs; the rest does not */
	bool guard = lsm_loadable();
	struct rcc_enforce_bpf *skel;
	int err;

	if (!guard)
		pr_warn("warning: this kernel does not load BPF LSM programs, so there is no bpf() guard: a sandbox given CAP_SYS_ADMIN or CAP_BPF could remove its own enforcement; never give sandboxes those capabilities\n");
	skel = open_skel(cfg, guard);
	if (!skel)
		return rcc_log_fail(-errno, "Failed to open the BPF object");
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
		rcc_enforce_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * The programs' "host" is the network namespace this process runs in
 * (the one host/hostaddr.c reads the host's addresses from): from there
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

/* Pins the object's maps (not .rodata: constants baked into the
 * programs) and the programs it loaded, under dir. */
static int pin_skel(struct rcc_enforce_bpf *skel, const char *dir)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err = 0;

	bpf_object__for_each_map(map, skel->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		err = rcc_snprintf(path, sizeof(path), "%s/maps/%s", dir, bpf_map__name(map));
		err = err ?: bpf_map__pin(map, path);
		if (err)
			return rcc_log_fail(err, "Failed to pin '%s'", path);
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		err = rcc_snprintf(path, sizeof(path), "%s/progs/%s", dir, bpf_program__name(prog));
		err = err ?: bpf_program__pin(prog, path);
		if (err)
			return rcc_log_fail(err, "Failed to pin '%s'", path);
	}
	return 0;
}

static int pin_all(const char *dir, const struct rcc_config *cfg)
{
	struct rcc_enforce_bpf *skel = NULL;
	int err = load_skel(cfg, &skel);

	err = err ?: record_host_netns(skel);
	err = err ?: pin_skel(skel, dir);
	/* maps only userspace uses: policy names, the audit consumer's totals */
	err = err   ?:
		      create_and_pin(dir, BPF_MAP_TYPE_HASH, "rcc_polnames", RCC_POLICY_NAME_MAX,
				     sizeof(__u32), RCC_MAX_POLICIES);
	err = err   ?:
		      create_and_pin(dir, BPF_MAP_TYPE_ARRAY, "rcc_auditstats", sizeof(__u32),
				     sizeof(struct rcc_audit_stats), 1);
	rcc_enforce_bpf__destroy(skel);
	return err;
}

/* Loads and pins into DIR-new, then renames: a crash leaves no half state. */
static int create_pins(const char *dir, const struct rcc_config *cfg)
{
	static const char *const subdirs[] = { "maps", "progs", "links" };
	char tmp[PATH_MAX], sub[PATH_MAX];
	size_t i;
	int err;

	if (rcc_snprintf(tmp, sizeof(tmp), "%s-new", dir)) /* bpffs refuses dots */
		return rcc_log_fail(-ENAMETOOLONG, "Failed to create '%s-new'", dir);
	rcc_object_unpin_tree(tmp);
	err = mkdir_p(tmp, 0700);
	for (i = 0; !err && i < ARRAY_SIZE(subdirs); i++)
		err = rcc_snprintf(sub, sizeof(sub), "%s/%s", tmp, subdirs[i]) ?:
										 mkdir_p(sub, 0700);
	if (err)
		return rcc_log_fail(err, "Failed to create '%s'", tmp);
	err = pin_all(tmp, cfg);
	if (!err && rename(tmp, dir))
		err = rcc_log_fail(-errno, "Failed to rename '%s' to '%s'", tmp, dir);
	if (err)
		rcc_object_unpin_tree(tmp);
	return err;
}

/* Opens PIN_DIR/v3/kind/name into *fd. */
static int open_pin(const struct rcc_kernel *k, const char *kind, const char *name, int *fd)
{
	char path[PATH_MAX];
	int pfd;

	if (rcc_snprintf(path, sizeof(path), "%s/%s/%s", k->dir, kind, name))
		return rcc_log_fail(-ENAMETOOLONG, "Failed to open '%s/%s/%s'", k->dir, kind, name);
	pfd = bpf_obj_get(path);
	if (pfd < 0) {
		pr_warn("Failed to open '%s': %s; the pinned state is incomplete or from another rcc-bpf version: remove '%s' (its links go with it) and attach again\n",
			path, strerror(errno), k->dir);
		return -EUCLEAN;
	}
	*fd = pfd;
	return 0;
}

static int open_pins(struct rcc_kernel *k, const struct rcc_config *cfg)
{
	int i, err = 0;

	for (i = 0; !err && i < RCC_MAP__MAX; i++)
		err = open_pin(k, "maps", rcc_maps_name(i), &k->map_fd[i]);
	/* the bpf() guard is attached once, not per cgroup */
	for (i = 1; !err && i < RCC_HOOK__MAX; i++)
		if (hooks[i].per_cgroup)
			err = open_pin(k, "progs", hooks[i].prog, &k->prog_fd[i]);
	if (err)
		return err;
	err = rcc_maps_capacity(k->map_fd[RCC_MAP_CGSTATS], &k->max_cgroups);
	if (err)
		return rcc_log_fail(err, "Failed to read map %s", rcc_maps_name(RCC_MAP_CGSTATS));
	if (cfg && k->max_cgroups != cfg->max_cgroups)
		pr_debug("pinned maps keep their sizes; max_cgroups is %u\n", k->max_cgroups);
	return 0;
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

static int guard_pin(const struct rcc_kernel *k, char *buf, size_t len)
{
	return rcc_snprintf(buf, len, "%s/links/bpf-guard", k->dir);
}

/*
 * The bpf() guard is attached once, for the whole host, and pinned like
 * the cgroup links.  Without it a sandbox holding CAP_SYS_ADMIN could
 * detach its own links by id: say so.  Never fails the command.
 */
static void ensure_guard(struct rcc_kernel *k)
{
	char pin[PATH_MAX], prog[PATH_MAX];
	int pfd = -1, lfd = -1, err;

	err = guard_pin(k, pin, sizeof(pin)) ?:
					       rcc_snprintf(prog, sizeof(prog), "%s/progs/%s", k->dir,
							    hooks[RCC_HOOK_BPF].prog);
	if (!err && !access(pin, F_OK))
		goto out;
	if (!err) {
		pfd = bpf_obj_get(prog);
		if (pfd < 0)
			goto out; /* not loadable here: warned when the programs were loaded */
		lfd = bpf_raw_tracepoint_open(NULL, pfd);
		err = lfd < 0 || bpf_obj_pin(lfd, pin) ? -errno : 0;
	}
	if (err)
		pr_warn("Failed to attach the bpf() guard: %s; a sandbox given CAP_SYS_ADMIN could remove its own enforcement\n",
			strerror(-err));
	else if (bpf_lsm_active() == 0)
		pr_warn("warning: the BPF LSM is not active (boot with lsm=...,bpf): the bpf() guard never runs, and a sandbox given CAP_SYS_ADMIN could remove its own enforcement\n");
out:
	if (lfd >= 0)
		close(lfd);
	if (pfd >= 0)
		close(pfd);
}

bool rcc_kernel_guarded(const struct rcc_kernel *k)
{
	char pin[PATH_MAX];

	/* an LSM list that cannot be read proves nothing: not guarded */
	return !guard_pin(k, pin, sizeof(pin)) && !access(pin, F_OK) && bpf_lsm_active() == 1;
}

/* Makes pin_dir (on bpffs) and closes it to every process without
 * CAP_DAC_OVERRIDE. */
static int make_pin_dir(const char *pin_dir)
{
	int err = mkdir_p(pin_dir, 0700);

	if (err)
		return rcc_log_fail(err, "Failed to create pin_dir '%s'", pin_dir);
	/*
	 * Opening a pin takes no capability, only file access, and with a
	 * link or map fd anyone can detach or rewrite.  Mode 0 keeps out every
	 * process without CAP_DAC_OVERRIDE, uid 0 in a sandbox included.
	 */
	if (chmod(pin_dir, 0))
		return rcc_log_fail(-errno, "Failed to protect pin_dir '%s'", pin_dir);
	return 0;
}

static void kernel_init(struct rcc_kernel *k)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->lock_fd = -1;
	for (i = 0; i < RCC_MAP__MAX; i++)
		k->map_fd[i] = -1;
	for (i = 0; i < RCC_HOOK__MAX; i++)
		k->prog_fd[i] = -1;
}

int rcc_kernel_open(const struct rcc_config *cfg, bool create, bool lock, struct rcc_kernel *k)
{
	int err;

	kernel_init(k);
	if (rcc_snprintf(k->pin_dir, sizeof(k->pin_dir), "%s", cfg->pin_dir) ||
	    rcc_snprintf(k->dir, sizeof(k->dir), "%s/" RCC_PIN_VERSION, cfg->pin_dir))
		return rcc_log_fail(-ENAMETOOLONG, "Failed to use pin_dir '%s'", cfg->pin_dir);
	if (!create && access(k->dir, F_OK))
		return -ENOENT;
	err = ensure_bpffs(k->pin_dir);
	if (!err && create)
		err = make_pin_dir(k->pin_dir);
	if (!err && lock)
		err = rcc_kernel_lock(k);
	if (!err && access(k->dir, F_OK)) {
		err = create ? create_pins(k->dir, cfg) : -ENOENT;
		if (!err)
			pr_debug("loaded and pinned the programs under %s\n", k->dir);
	}
	err = err ?: open_pins(k, cfg);
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
	rcc_kernel_unlock(k);
	memset(k->map_fd, -1, sizeof(k->map_fd));
	memset(k->prog_fd, -1, sizeof(k->prog_fd));
}
