/* SPDX-License-Identifier: GPL-2.0 */
/* inotify over the whole cgroup v2 tree: cgroups made and removed. */
#ifndef RCC_WATCH_H
#define RCC_WATCH_H

struct rcc_watch;

typedef void (*rcc_watch_fn)(const char *path, void *ctx);

int rcc_watch_open(const char *root, struct rcc_watch **out);
int rcc_watch_fd(const struct rcc_watch *w);
/* Handles what is queued: created(path) for each new cgroup (and those
 * below it, made before the watch caught up), removed(path) for each
 * removed one.  -EOVERFLOW: events were lost; rescan. */
int rcc_watch_read(struct rcc_watch *w, rcc_watch_fn created, rcc_watch_fn removed, void *ctx);
void rcc_watch_close(struct rcc_watch *w);

#endif
