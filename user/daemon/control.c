// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/control.h"
#include "lib/clock.h"

#define SERVE_TIMEOUT_MS 200
#define REQ_MAX 256

static int addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static void mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	mkdir_parent(dir);
	mkdir(dir, 0755);
}

int rcc_control_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	char *resp = NULL;
	mode_t old;
	int s, err;

	err = addr_of(path, &sa);
	if (err)
		return err;
	if (!rcc_control_ask(path, "ping", &resp, 500)) {
		free(resp);
		return -EADDRINUSE;
	}
	mkdir_parent(path);
	unlink(path); /* a stale socket of a daemon that died */
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	old = umask(0077);
	err = bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16) ? -errno : 0;
	umask(old);
	if (err) {
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

void rcc_control_close(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

/* Writes all of buf, giving up after ms in total. */
static int write_all(int fd, const char *buf, size_t len, int ms)
{
	__u64 end = rcc_clock_ms() + ms;

	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (rcc_clock_ms() >= end || wait_fd(fd, POLLOUT, (int)(end - rcc_clock_ms())))
			return -ETIMEDOUT;
	}
	return 0;
}

void rcc_control_serve(int lfd, char *(*answer)(const char *req, void *ctx), void *ctx)
{
	char req[REQ_MAX];
	size_t got = 0;
	char *resp, *nl;
	int c;

	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return;
	for (;;) {
		ssize_t n;

		if (wait_fd(c, POLLIN, SERVE_TIMEOUT_MS))
			goto out;
		n = read(c, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			goto out;
		got += n;
		req[got] = '\0';
		nl = strchr(req, '\n');
		if (nl) {
			*nl = '\0';
			break;
		}
		if (got == sizeof(req) - 1)
			goto out;
	}
	resp = answer(req, ctx);
	if (resp) {
		/* a big table to a reader that stalls: bounded, then dropped */
		write_all(c, resp, strlen(resp), 1000);
		free(resp);
	}
out:
	close(c);
}

/* Reads s until the peer closes it, into *buf (malloc'd, NUL-ended),
 * giving up at end; 0 or -errno, *buf set either way. */
static int read_all(int s, char **buf, size_t *len, __u64 end)
{
	size_t cap = 0;
	int err = 0;

	*len = 0;
	while (!err) {
		ssize_t n;

		if (*len + 4096 + 1 > cap) {
			char *nb = realloc(*buf, cap = cap ? cap * 2 : 65536);

			if (!nb)
				return -ENOMEM;
			*buf = nb;
		}
		n = read(s, *buf + *len, cap - *len - 1);
		if (n > 0) {
			*len += n;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (rcc_clock_ms() >= end)
			err = -ETIMEDOUT;
		else
			err = wait_fd(s, POLLIN, (int)(end - rcc_clock_ms()));
	}
	if (!err)
		(*buf)[*len] = '\0';
	return err;
}

/* A socket anyone could have made answers nothing we load: -EPERM unless
 * root or we answer on s. */
static int peer_trusted(int s)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != 0 && cred.uid != geteuid()))
		return -EPERM;
	return 0;
}

int rcc_control_ask(const char *path, const char *req, char **resp, int timeout_ms)
{
	struct sockaddr_un sa;
	size_t len = 0;
	char *buf = NULL;
	__u64 end = rcc_clock_ms() + timeout_ms;
	int s, err;

	*resp = NULL;
	err = addr_of(path, &sa);
	if (err)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		err = -errno;
		goto out;
	}
	err = write_all(s, req, strlen(req), timeout_ms);
	err = err ?: write_all(s, "\n", 1, timeout_ms);
	err = err ?: read_all(s, &buf, &len, end);
	if (!err && !len)
		err = -ECONNRESET;
	err = err ?: peer_trusted(s);
	if (!err) {
		*resp = buf;
		buf = NULL;
	}
out:
	free(buf);
	close(s);
	return err;
}
