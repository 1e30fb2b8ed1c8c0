// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sdnotify.h"

void rcc_sdnotify(const char *msg)
{
	rcc_sdnotify_fds(msg, NULL, 0);
}

void rcc_sdnotify_fds(const char *msg, const int *fds, size_t n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int) * RCC_SDNOTIFY_FDS_MAX)];
		struct cmsghdr align;
	} ctl = {};
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path) || n > RCC_SDNOTIFY_FDS_MAX)
		return;
	strcpy(sa.sun_path, path);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	mh.msg_namelen = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if (n) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		pr_warn("Failed to notify systemd: %s, ignoring\n", strerror(errno));
	close(fd);
}

size_t rcc_sdnotify_listen_fds(char ***names)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	const char *fdnames = getenv("LISTEN_FDNAMES");
	size_t count, i;
	char *copy, *tok, *save = NULL;

	*names = NULL;
	if (!pid || !n || strtol(pid, NULL, 10) != getpid())
		return 0;
	count = strtoul(n, NULL, 10);
	if (count > 65536)
		count = 65536;
	if (count && !(*names = calloc(count, sizeof(char *)))) {
		/* unnamed, they would be of no use: not kept open either */
		for (i = 0; i < count; i++)
			close(RCC_SDNOTIFY_LISTEN_FDS_START + i);
		count = 0;
	}
	if (!count)
		return 0;
	copy = strdup(fdnames ?: "");
	for (i = 0, tok = copy ? strtok_r(copy, ":", &save) : NULL; tok && i < count;
	     tok = strtok_r(NULL, ":", &save))
		(*names)[i++] = strdup(tok);
	free(copy);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return count;
}

__u64 rcc_sdnotify_watchdog_ms(void)
{
	const char *wd = getenv("WATCHDOG_USEC");

	return wd && *wd ? strtoull(wd, NULL, 10) / 1000 : 0;
}
