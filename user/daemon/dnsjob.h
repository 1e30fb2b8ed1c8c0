/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's DNS proxy (host/dnsproxy.h) as a job of its loop: a
 * listener inside the network namespace of each enforced cgroup whose
 * policy says dns = proxy (but not `rcc-bpf run`'s, which answer for
 * themselves), opened as soon as the cgroup has a process, closed when
 * it is gone.  The listeners go to systemd's fd store (FDSTORE=1) and
 * come back on a restart (LISTEN_FDS), so that queries wait in their
 * sockets meanwhile instead of being refused.
 */
#ifndef RCC_DNSJOB_H
#define RCC_DNSJOB_H

#include <stdbool.h>
#include <linux/types.h>

#include "daemon/consume.h"
#include "daemon/loop.h"
#include "host/dnsproxy.h"
#include "kernel/kernel.h"

struct rcc_dnsjob_adopted;

struct rcc_dnsjob {
	struct rcc_dnsproxy *p; /* NULL: not answering, why says why */
	char why[256];
	const struct rcc_config *cfg;
	struct rcc_kernel *k;
	struct rcc_consume *consume;
	struct rcc_dnsjob_adopted *adopted; /* from LISTEN_FDS, until the first sync */
	size_t nadopted;
	bool synced;
	__u64 last_sync_ms;
	/* cgroups whose listener could not be opened: tried again later */
	struct rcc_dnsjob_retry {
		__u64 cgroup_id, at_ms;
	} retry[64];
	size_t nretry;
};

/* Opens the proxy over k's maps (a failure is warned about: sandboxes
 * under dns = proxy then get ECONNREFUSED) and adds it to l. */
void rcc_dnsjob_open(struct rcc_dnsjob *j, const struct rcc_config *cfg, struct rcc_kernel *k,
		     const struct rcc_addr_list *host, struct rcc_consume *consume,
		     struct rcc_loop *l);
/* Listeners for every enforced cgroup that wants one, none for others. */
void rcc_dnsjob_sync(struct rcc_dnsjob *j);
void rcc_dnsjob_tick(struct rcc_dnsjob *j, __u64 now);
/* After a reload (cfg's content replaced; host's too). */
void rcc_dnsjob_reload(struct rcc_dnsjob *j, const struct rcc_addr_list *host);
/* For status: the sandboxes answered, or why none are. */
struct json_object *rcc_dnsjob_to_json(const struct rcc_dnsjob *j);
void rcc_dnsjob_close(struct rcc_dnsjob *j, struct rcc_loop *l);

#endif
