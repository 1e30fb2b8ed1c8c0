// SPDX-License-Identifier: GPL-2.0
/* run: COMMAND in a transient cgroup that is enforced before it starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "log.h"

struct run_user {
	bool drop;
	uid_t uid;
	gid_t gid;
	char name[64];
};

static pid_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* --user, else the user behind sudo, else stay root (with a warning). */
static int pick_user(const struct rcc_args *a, struct run_user *u)
{
	const char *sudo_uid = getenv("SUDO_UID");
	struct passwd *pw = NULL;

	memset(u, 0, sizeof(*u));
	if (a->user) {
		char *end;
		unsigned long v = strtoul(a->user, &end, 10);

		pw = *end ? getpwnam(a->user) : getpwuid(v);
		if (!pw) {
			pr_warn("run: no such user '%s'\n", a->user);
			return RCC_EXIT_USAGE;
		}
	} else if (sudo_uid && *sudo_uid) {
		pw = getpwuid(strtoul(sudo_uid, NULL, 10));
		if (!pw) {
			pr_warn("run: SUDO_UID=%s names no user; give --user\n", sudo_uid);
			return RCC_EXIT_USAGE;
		}
	}
	if (!pw || pw->pw_uid == 0) {
		pr_warn("warning: COMMAND runs as root, and root can leave its cgroup or remove the programs; give --user USER to sandbox it for real\n");
		return RCC_EXIT_OK;
	}
	u->drop = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	return RCC_EXIT_OK;
}

/* In the child: join the cgroup, become the user, exec. Never returns. */
static void child(const char *cg, const struct run_user *u, char **argv, int errfd)
{
	char procs[PATH_MAX + 16];
	int fd, err;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		goto fail;
	close(fd);
	if (u->drop && (initgroups(u->name, u->gid) || setgid(u->gid) || setuid(u->uid)))
		goto fail;
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static void cleanup(const struct rcc_config *cfg, const char *cg)
{
	struct rcc_kernel k;
	int err;

	err = rcc_cgroup_kill(cg, 5000);
	if (err)
		pr_warn("Failed to empty '%s': %s; it stays enforced\n", cg, strerror(-err));
	err = rcc_kernel_open(cfg, false, true, &k);
	if (!err) {
		err = rcc_kernel_detach(&k, cg);
		rcc_kernel_close(&k);
	}
	if (err && err != -ENOENT)
		pr_warn("Failed to detach '%s': %s\n", cg, strerror(-err));
	if (rmdir(cg) && errno != ENOENT)
		pr_warn("Failed to remove cgroup '%s': %s\n", cg, strerror(errno));
}

int cmd_run(struct rcc_args *a)
{
	const struct rcc_policy_cfg *p;
	struct rcc_config cfg;
	struct rcc_kernel k;
	struct run_user u;
	struct sigaction sa = { .sa_handler = forward_signal };
	char mnt[PATH_MAX], parent[PATH_MAX * 2], cg[PATH_MAX * 2 + 32];
	int rc, err, status, pipefd[2], child_err = 0;
	__u32 id;

	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	p = cli_policy(&cfg, a->policy);
	rc = p ? pick_user(a, &u) : RCC_EXIT_USAGE;
	if (rc)
		goto out;
	rcc_cgroup_mount(mnt, sizeof(mnt));
	snprintf(parent, sizeof(parent), "%s/%s", mnt, cfg.run_cgroup);
	snprintf(cg, sizeof(cg), "%s/run-%d", parent, (int)getpid());
	if ((mkdir(parent, 0755) && errno != EEXIST) || mkdir(cg, 0755)) {
		pr_warn("Failed to create cgroup '%s': %s\n", cg, strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	rc = cli_open_and_apply(&cfg, &k, NULL);
	if (rc) {
		rmdir(cg);
		goto out;
	}
	err = rcc_kernel_policy_id(&k, p->name, &id);
	err = err ?: rcc_kernel_attach(&k, cg, id);
	rcc_kernel_close(&k);
	if (err) {
		pr_warn("Failed to attach policy '%s' to '%s': %s\n", p->name, cg, strerror(-err));
		cleanup(&cfg, cg);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	pr_debug("running in %s with policy '%s'\n", cg, p->name);

	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = RCC_EXIT_FAIL;
		cleanup(&cfg, cg);
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	child_pid = fork();
	if (child_pid == 0)
		child(cg, &u, a->argv, pipefd[1]);
	close(pipefd[1]);
	if (child_pid < 0) {
		pr_warn("Failed to fork: %s\n", strerror(errno));
		close(pipefd[0]);
		cleanup(&cfg, cg);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	if (read(pipefd[0], &child_err, sizeof(child_err)) != sizeof(child_err))
		child_err = 0;
	close(pipefd[0]);
	while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
		;
	if (child_err) {
		pr_warn("cannot run '%s': %s\n", a->argv[0], strerror(child_err));
		rc = child_err == ENOENT ? 127 : 126;
	} else if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
	} else {
		rc = 128 + WTERMSIG(status);
	}
	cleanup(&cfg, cg);
out:
	rcc_config_free(&cfg);
	return rc;
}
