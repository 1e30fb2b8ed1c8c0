// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/auditlog.h"
#include "lib/log.h"

#define RCC_LOGW_BUF (256 * 1024)

struct rcc_logw {
	char path[PATH_MAX];
	int fd;
	__u64 size, max_bytes;
	unsigned keep, fsync_ms;
	__u64 last_sync_ms;
	bool dirty;
	char *buf;
	size_t len;
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int rcc_auditlog_mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* A crash between write()s can leave a line without its end: cut it. */
static int trim_partial_line(struct rcc_logw *w)
{
	char chunk[4096];
	off_t end = w->size;

	if (!w->size)
		return 0;
	while (end > 0) {
		size_t n = end > (off_t)sizeof(chunk) ? sizeof(chunk) : (size_t)end;
		ssize_t got = pread(w->fd, chunk, n, end - n);

		if (got != (ssize_t)n)
			return -EIO;
		if (end == (off_t)w->size && chunk[n - 1] == '\n')
			return 0;
		while (n && chunk[n - 1] != '\n')
			n--;
		if (n) {
			end = end - (off_t)(got - n);
			break;
		}
		end -= got;
	}
	if (ftruncate(w->fd, end))
		return -errno;
	pr_warn("audit log '%s': dropped %llu bytes of a line cut short by a crash\n", w->path,
		(unsigned long long)(w->size - end));
	w->size = end;
	return 0;
}

static int open_current(struct rcc_logw *w)
{
	struct stat st;

	w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return -errno;
	if (fstat(w->fd, &st))
		return -errno;
	w->size = st.st_size;
	return 0;
}

int rcc_auditlog_open(const char *path, __u64 max_bytes, unsigned keep, unsigned fsync_ms,
		      struct rcc_logw **out)
{
	struct rcc_logw *w = calloc(1, sizeof(*w));
	int err, rfd;

	if (!w)
		return -ENOMEM;
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->max_bytes = max_bytes;
	w->keep = keep;
	w->fsync_ms = fsync_ms;
	w->last_sync_ms = now_ms();
	w->fd = -1;
	w->buf = malloc(RCC_LOGW_BUF);
	err = w->buf ? rcc_auditlog_mkdirs(path) : -ENOMEM;
	err = err ?: open_current(w);
	if (!err) {
		/* trimming needs a descriptor that can read */
		rfd = open(path, O_RDWR | O_CLOEXEC);
		if (rfd < 0) {
			err = -errno;
		} else {
			int wfd = w->fd;

			w->fd = rfd;
			err = trim_partial_line(w);
			w->fd = wfd;
			close(rfd);
		}
	}
	if (err) {
		rcc_auditlog_close(w);
		return err;
	}
	*out = w;
	return 0;
}

static int rotate(struct rcc_logw *w)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	unsigned i;

	fsync(w->fd);
	close(w->fd);
	w->fd = -1;
	for (i = w->keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", w->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", w->path, i);
		if (rename(from, to) && errno != ENOENT)
			pr_warn("Failed to rotate '%s': %s, ignoring\n", from, strerror(errno));
	}
	snprintf(to, sizeof(to), "%s.1", w->path);
	if (rename(w->path, to))
		pr_warn("Failed to rotate '%s': %s, ignoring\n", w->path, strerror(errno));
	return open_current(w);
}

/* write() until done: a short write leaves the rest for the next call. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= k;
	}
	return 0;
}

int rcc_auditlog_flush(struct rcc_logw *w, bool sync)
{
	int err = 0;

	if (w->len) {
		if (w->size && w->size + w->len > w->max_bytes)
			err = rotate(w);
		err = err ?: write_all(w->fd, w->buf, w->len);
		if (!err) {
			w->size += w->len;
			w->len = 0;
			w->dirty = true;
		}
	}
	if (!err && w->dirty && (sync || now_ms() - w->last_sync_ms >= w->fsync_ms)) {
		if (fdatasync(w->fd))
			err = -errno;
		w->dirty = false;
		w->last_sync_ms = now_ms();
	}
	return err;
}

int rcc_auditlog_line(struct rcc_logw *w, const char *line, size_t len)
{
	int err;

	if (len + 1 > RCC_LOGW_BUF)
		return -E2BIG;
	/* a file's lines stay within max_bytes: flush before it would cross */
	if (w->len + len + 1 > RCC_LOGW_BUF ||
	    (w->size + w->len + len + 1 > w->max_bytes && w->len)) {
		err = rcc_auditlog_flush(w, false);
		if (err)
			return err;
	}
	memcpy(w->buf + w->len, line, len);
	w->buf[w->len + len] = '\n';
	w->len += len + 1;
	return 0;
}

void rcc_auditlog_close(struct rcc_logw *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		rcc_auditlog_flush(w, true);
		close(w->fd);
	}
	free(w->buf);
	free(w);
}

int rcc_auditlog_files(const char *path, unsigned max_keep, char ***files, size_t *n)
{
	char **f = calloc(max_keep + 2, sizeof(*f));
	size_t k = 0;
	unsigned i;

	if (!f)
		return -ENOMEM;
	for (i = max_keep; i >= 1; i--) {
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s.%u", path, i);
		if (!access(p, R_OK))
			f[k++] = strdup(p);
	}
	if (!access(path, R_OK))
		f[k++] = strdup(path);
	*files = f;
	*n = k;
	return 0;
}

void rcc_auditlog_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
