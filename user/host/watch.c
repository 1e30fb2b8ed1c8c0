// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lib/log.h"
#include "host/watch.h"

struct rcc_watch {
	int fd;
	char **paths; /* by watch descriptor */
	size_t cap;
};

static int add(struct rcc_watch *w, const char *path)
{
	int wd = inotify_add_watch(
		w->fd, path, IN_CREATE | IN_DELETE | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK);

	if (wd < 0)
		return -errno;
	if ((size_t)wd >= w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char **p;

		while (cap <= (size_t)wd)
			cap *= 2;
		p = realloc(w->paths, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memset(p + w->cap, 0, (cap - w->cap) * sizeof(*p));
		w->paths = p;
		w->cap = cap;
	}
	free(w->paths[wd]);
	w->paths[wd] = strdup(path);
	return w->paths[wd] ? 0 : -ENOMEM;
}

/* Watches path and every cgroup below it; created() for each when given. */
static int add_tree(struct rcc_watch *w, const char *path, rcc_watch_fn created, void *ctx)
{
	DIR *d;
	struct dirent *de;
	int err = add(w, path);

	if (err)
		return err == -ENOENT ? 0 : err;
	if (created)
		created(path, ctx);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		err = add_tree(w, sub, created, ctx);
		if (err == -ENOSPC) {
			pr_warn("inotify watch limit reached (fs.inotify.max_user_watches); new cgroups below '%s' are found by the periodic rescan only\n",
				sub);
			break;
		}
	}
	closedir(d);
	return err == -ENOSPC ? 0 : err;
}

int rcc_watch_open(const char *root, struct rcc_watch **out)
{
	struct rcc_watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		free(w);
		return -errno;
	}
	err = add_tree(w, root, NULL, NULL);
	if (err) {
		rcc_watch_close(w);
		return err;
	}
	*out = w;
	return 0;
}

int rcc_watch_fd(const struct rcc_watch *w)
{
	return w->fd;
}

int rcc_watch_read(struct rcc_watch *w, rcc_watch_fn created, rcc_watch_fn removed, void *ctx)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	int overflow = 0;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			char path[PATH_MAX];

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				overflow = 1;
				continue;
			}
			if (ev->mask & IN_IGNORED) {
				if ((size_t)ev->wd < w->cap) {
					free(w->paths[ev->wd]);
					w->paths[ev->wd] = NULL;
				}
				continue;
			}
			if (!(ev->mask & IN_ISDIR) || !ev->len || (size_t)ev->wd >= w->cap ||
			    !w->paths[ev->wd])
				continue;
			snprintf(path, sizeof(path), "%s/%s", w->paths[ev->wd], ev->name);
			if (ev->mask & IN_CREATE)
				add_tree(w, path, created, ctx);
			else if (ev->mask & IN_DELETE)
				removed(path, ctx);
		}
	}
	return overflow ? -EOVERFLOW : 0;
}

void rcc_watch_close(struct rcc_watch *w)
{
	size_t i;

	if (!w)
		return;
	close(w->fd);
	for (i = 0; i < w->cap; i++)
		free(w->paths[i]);
	free(w->paths);
	free(w);
}
