// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cgroup.h"

int rcc_cgroup_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], *sep = strstr(line, " - ");
		char fstype[64];

		/* fields: id parent maj:min root mountpoint ... - fstype ... */
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, mnt);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int rcc_cgroup_resolve(const char *arg, char *out, size_t len)
{
	char mnt[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
	size_t n;
	struct stat st;
	int err = rcc_cgroup_mount(mnt, sizeof(mnt));

	if (err)
		return err;
	if (arg[0] == '/' && !strncmp(arg, mnt, strlen(mnt)) &&
	    (arg[strlen(mnt)] == '/' || !arg[strlen(mnt)]))
		snprintf(joined, sizeof(joined), "%s", arg);
	else
		snprintf(joined, sizeof(joined), "%s/%s", mnt, arg + (arg[0] == '/'));
	if (!realpath(joined, real))
		return -errno;
	if (stat(real, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	n = strlen(mnt);
	if (strncmp(real, mnt, n) || (real[n] && real[n] != '/'))
		return -EXDEV;
	/* a directory that is a cgroup has cgroup.procs */
	snprintf(joined, sizeof(joined), "%s/cgroup.procs", real);
	if (access(joined, F_OK))
		return -ENOENT;
	if (strlen(real) >= len)
		return -ENAMETOOLONG;
	strcpy(out, real);
	return 0;
}

int rcc_cgroup_of_pid(pid_t pid, char *out, size_t len)
{
	char path[64], line[PATH_MAX + 32], mnt[PATH_MAX];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	if (rcc_cgroup_mount(mnt, sizeof(mnt))) {
		fclose(f);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3))
			continue;
		if (snprintf(out, len, "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "") >=
		    (int)len)
			err = -ENAMETOOLONG;
		else
			err = 0;
		break;
	}
	fclose(f);
	return err;
}

int rcc_cgroup_id(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int rcc_cgroup_path_by_id(__u64 id, char *out, size_t len)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh = { .handle_bytes = sizeof(__u64), .handle_type = 0xfe } };
	char mnt[PATH_MAX], link[64];
	int mfd, fd, err;
	ssize_t n;

	/* cgroupfs file handles are kernfs ids: FILEID_KERNFS (0xfe) */
	err = rcc_cgroup_mount(mnt, sizeof(mnt));
	if (err)
		return err;
	h.id = id;
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(mfd);
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	out[n] = '\0';
	/* a removed cgroup reads back as "... (deleted)" */
	if (strstr(out, " (deleted)"))
		return -ESTALE;
	return 0;
}

int rcc_cgroup_walk(const char *path, rcc_cgroup_walk_fn fn, void *ctx)
{
	DIR *d;
	struct dirent *de;
	__u64 id = 0;
	int err = rcc_cgroup_id(path, &id);

	if (err)
		return err;
	err = fn(path, id, ctx);
	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub))
			continue;
		err = rcc_cgroup_walk(sub, fn, ctx);
		if (err && err != -ENOENT)
			break;
		err = 0;
	}
	closedir(d);
	return err;
}

int rcc_cgroup_ancestors(const char *path, rcc_cgroup_walk_fn fn, void *ctx)
{
	char mnt[PATH_MAX], cur[PATH_MAX], *slash;
	int err = rcc_cgroup_mount(mnt, sizeof(mnt));

	if (err)
		return err;
	snprintf(cur, sizeof(cur), "%s", path);
	while (strlen(cur) > strlen(mnt)) {
		__u64 id = 0;

		slash = strrchr(cur, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (strlen(cur) < strlen(mnt))
			break;
		if (rcc_cgroup_id(cur, &id))
			continue;
		err = fn(cur, id, ctx);
		if (err)
			return err;
	}
	return 0;
}

int rcc_cgroup_procs(const char *path, int (*fn)(pid_t pid, void *ctx), void *ctx)
{
	char file[PATH_MAX + 16];
	FILE *f;
	int pid, err = 0;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fscanf(f, "%d", &pid) == 1) {
		err = fn(pid, ctx);
		if (err)
			break;
	}
	fclose(f);
	return err;
}

/* The value of KEY in cgroup.events (0 or 1), or -errno. */
static int events_flag(const char *path, const char *key)
{
	char file[PATH_MAX + 16], line[64];
	size_t n = strlen(key);
	FILE *f;
	int val = -ENOENT;

	snprintf(file, sizeof(file), "%s/cgroup.events", path);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			val = line[n + 1] == '1';
	fclose(f);
	return val;
}

/* Polls cgroup.events until KEY reads WANT; -EBUSY after timeout_ms. */
static int wait_flag(const char *path, const char *key, int want, int timeout_ms)
{
	int waited = 0, val;

	while ((val = events_flag(path, key)) != want) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (val < 0)
			return val;
		if (waited >= timeout_ms)
			return -EBUSY;
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return 0;
}

static int write_knob(const char *path, const char *knob, const char *val)
{
	char file[PATH_MAX + 32];
	int fd, err = 0;

	snprintf(file, sizeof(file), "%s/%s", path, knob);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		err = -errno;
	close(fd);
	return err;
}

static int kill_pid(pid_t pid, void *ctx)
{
	(void)ctx;
	kill(pid, SIGKILL); /* one that already died is fine */
	return 0;
}

static int kill_procs(const char *path, __u64 id, void *ctx)
{
	(void)id;
	(void)ctx;
	rcc_cgroup_procs(path, kill_pid, NULL);
	return 0;
}

int rcc_cgroup_kill_by_freezing(const char *path, int timeout_ms)
{
	int err = write_knob(path, "cgroup.freeze", "1");

	if (err)
		return err == -ENOENT ? -EOPNOTSUPP : err;
	/* Frozen, nothing forks between reading cgroup.procs and the kill.
	 * A task that does not freeze is killed all the same; whatever
	 * escapes shows up below as a cgroup that stays populated. */
	wait_flag(path, "frozen", 1, timeout_ms);
	rcc_cgroup_walk(path, kill_procs, NULL);
	err = write_knob(path, "cgroup.freeze", "0");
	return wait_flag(path, "populated", 0, timeout_ms) ?: err;
}

int rcc_cgroup_kill(const char *path, int timeout_ms)
{
	int err;

	if (events_flag(path, "populated") == 0)
		return 0;
	err = write_knob(path, "cgroup.kill", "1");
	if (err == -ENOENT) /* cgroup.kill came in 5.14 */
		return rcc_cgroup_kill_by_freezing(path, timeout_ms);
	return err ?: wait_flag(path, "populated", 0, timeout_ms);
}
