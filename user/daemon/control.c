// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/control.h"
#include "lib/clock.h"
#include "lib/log.h"

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

/* The answer to req (see control.h), malloc'd; NULL: none. */
static char *answer(struct rcc_sync *sync, const char *req)
{
	struct rcc_sync_answer ra;
	struct json_object *o;
	char *out;

	if (!strcmp(req, "names")) {
		o = rcc_sync_names_json(sync);
	} else if (!strcmp(req, "host")) {
		o = rcc_sync_host_json(sync);
	} else if (!strcmp(req, "dns")) {
		o = rcc_sync_dns_json(sync);
	} else if (!strcmp(req, "reload")) {
		if (rcc_sync_reload_ask(sync, &ra))
			return NULL;
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(ra.ok));
		json_object_object_add(o, "config", json_object_new_string(ra.config));
		if (!ra.ok)
			json_object_object_add(o, "error", json_object_new_string(ra.why));
	} else if (!strcmp(req, "ping")) {
		o = json_object_new_object();
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string("unknown request"));
	}
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

/* Accepts one client and answers it.  Never blocks for long: a slow
 * client is dropped. */
static void serve(struct rcc_control *ctl)
{
	char req[REQ_MAX];
	size_t got = 0;
	char *resp, *nl;
	int c;

	c = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
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
	resp = answer(ctl->sync, req);
	if (resp) {
		/* a big table to a reader that stalls: bounded, then dropped */
		write_all(c, resp, strlen(resp), 1000);
		free(resp);
	}
out:
	close(c);
}

static void *thread_main(void *arg)
{
	struct rcc_control *ctl = arg;
	struct pollfd p[2] = { { .fd = ctl->fd, .events = POLLIN },
			       { .fd = ctl->stop_fd, .events = POLLIN } };
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the loop's */
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			serve(ctl);
	}
	return NULL;
}

int rcc_control_start(struct rcc_control *ctl, struct rcc_sync *sync)
{
	int err;

	ctl->sync = sync;
	ctl->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ctl->stop_fd < 0)
		return rcc_log_fail(-errno, "Failed to start the control socket's thread");
	err = pthread_create(&ctl->thread, NULL, thread_main, ctl);
	if (err)
		return rcc_log_fail(-err, "Failed to start the control socket's thread");
	ctl->running = true;
	return 0;
}

void rcc_control_stop(struct rcc_control *ctl, const char *config)
{
	__u64 one = 1;

	if (ctl->running) {
		rcc_sync_reload_cancel(ctl->sync, config);
		if (write(ctl->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(ctl->thread, NULL);
	}
	ctl->running = false;
	if (ctl->stop_fd >= 0)
		close(ctl->stop_fd);
	ctl->stop_fd = -1;
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
