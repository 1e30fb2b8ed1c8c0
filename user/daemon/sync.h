/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the control thread and the event loop share, and the one lock
 * over it.  The loop owns the name table and the host's addresses and
 * changes them only inside rcc_sync_write(); the control thread reads
 * them only as JSON, here.  A reload the control socket is asked for is
 * handed to the loop and its answer handed back, here too.
 *
 * The control socket has a thread of its own so that it answers even
 * while the loop waits for the state lock, which a one-shot command (the
 * OCI hook of the container the loop is enforcing) may hold while it
 * asks for the names.
 */
#ifndef RCC_SYNC_H
#define RCC_SYNC_H

#include <limits.h>
#include <stdbool.h>

#include "host/names.h"

struct rcc_sync;
struct json_object;

/* How a reload went, for the one who asked. */
struct rcc_sync_answer {
	bool ok;
	char why[256];	       /* when !ok */
	char config[PATH_MAX]; /* the file in force */
};

/* Over the loop's names and host (which it keeps owning); 0 or -errno,
 * printed. */
int rcc_sync_new(const struct rcc_names *names, const struct rcc_addr_list *host,
		 struct rcc_sync **out);
void rcc_sync_free(struct rcc_sync *s);

/* The loop: fn(ctx) under the lock, for any change to the names or the
 * host's addresses; fn's result.  Its own reads need no lock. */
int rcc_sync_write(struct rcc_sync *s, int (*fn)(void *ctx), void *ctx);

/* The control thread: the names (rcc_names_to_json) and the host's
 * addresses (rcc_hostaddr_to_json) as they are now. */
struct json_object *rcc_sync_names_json(struct rcc_sync *s);
struct json_object *rcc_sync_host_json(struct rcc_sync *s);
/* The loop: the DNS proxy's state for status (o is taken); the control
 * thread: a copy of the last one ({} before the first). */
void rcc_sync_set_dns(struct rcc_sync *s, struct json_object *o);
struct json_object *rcc_sync_dns_json(struct rcc_sync *s);
/* The control thread: asks the loop for a reload and waits for its
 * answer, 60 s at most; 0, or -errno when the loop could not be woken. */
int rcc_sync_reload_ask(struct rcc_sync *s, struct rcc_sync_answer *a);

/* The loop: readable when a reload is asked. */
int rcc_sync_reload_fd(const struct rcc_sync *s);
/* The loop, when that fd is readable: true when a reload waits for
 * rcc_sync_reload_done(). */
bool rcc_sync_reload_asked(struct rcc_sync *s);
void rcc_sync_reload_done(struct rcc_sync *s, bool ok, const char *why, const char *config);
/* At stop, before the control thread is joined: a reload still waiting
 * is told no. */
void rcc_sync_reload_cancel(struct rcc_sync *s, const char *config);

#endif
