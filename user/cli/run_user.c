// SPDX-License-Identifier: GPL-2.0
/* run: the user COMMAND runs as, becoming it, and what it can reach. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lib/log.h"
#include "cli/run_user.h"

#define MAX_SOCKETS 16

int run_user_pick(const char *option, struct run_user *u)
{
	const char *sudo_uid = getenv("SUDO_UID");
	struct passwd *pw = NULL;

	memset(u, 0, sizeof(*u));
	if (option) {
		char *end;
		unsigned long v = strtoul(option, &end, 10);

		pw = *end ? getpwnam(option) : getpwuid(v);
		if (!pw) {
			pr_warn("run: no such user '%s'\n", option);
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

int run_user_become(const struct run_user *u)
{
	if (u->drop && (initgroups(u->name, u->gid) || setgid(u->gid) || setuid(u->uid)))
		return -errno;
	/* kept across execve and fork; setuid-root binaries then run as u */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* In a child that became u: which of the candidates u may write to. */
static void probe_as_user(const struct run_user *u, char *const paths[], const bool candidate[],
			  int n, int out)
{
	unsigned char i;

	if (run_user_become(u))
		_exit(1);
	for (i = 0; i < n; i++)
		if (candidate[i] && !access(paths[i], W_OK) && write(out, &i, 1) != 1)
			_exit(1);
	_exit(0);
}

void run_user_warn_sockets(const struct run_user *u, const char *sockets)
{
	char list[4096], *paths[MAX_SOCKETS], *save = NULL, *p;
	bool candidate[MAX_SOCKETS] = {};
	struct stat st[MAX_SOCKETS];
	unsigned char i;
	int n = 0, j, pipefd[2];
	pid_t pid;

	if (!u->drop) /* root was warned about already */
		return;
	snprintf(list, sizeof(list), "%s", sockets);
	for (p = strtok_r(list, " \t", &save); p && n < MAX_SOCKETS;
	     p = strtok_r(NULL, " \t", &save)) {
		paths[n] = p;
		candidate[n] = !stat(p, &st[n]) && S_ISSOCK(st[n].st_mode);
		/* /var/run is usually /run: one warning per socket */
		for (j = 0; j < n && candidate[n]; j++)
			if (candidate[j] && st[j].st_dev == st[n].st_dev &&
			    st[j].st_ino == st[n].st_ino)
				candidate[n] = false;
		n++;
	}
	if (!n || pipe2(pipefd, O_CLOEXEC))
		return;
	pid = fork();
	if (pid == 0)
		probe_as_user(u, paths, candidate, n, pipefd[1]);
	close(pipefd[1]);
	while (pid > 0 && read(pipefd[0], &i, 1) == 1) {
		struct group *g = i < n ? getgrgid(st[i].st_gid) : NULL;

		if (i >= n)
			break;
		pr_warn("warning: %s can connect to '%s' (group '%s', mode %04o), a container runtime's API: through it COMMAND can start a privileged container, which is host root by another door; take %s out of that group, or run as another user\n",
			u->name, paths[i], g ? g->gr_name : "?", (unsigned)(st[i].st_mode & 07777),
			u->name);
	}
	close(pipefd[0]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}
