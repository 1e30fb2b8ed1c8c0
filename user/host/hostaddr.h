/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's own addresses: what block_host denies and what the rebinding
 * guard keeps out of allow names.  Every command reads them with the same
 * function, so a one-shot command and the daemon agree on the set; the
 * daemon follows changes over rtnetlink and reads the set again.
 */
#ifndef RCC_HOSTADDR_H
#define RCC_HOSTADDR_H

#include <stdbool.h>

#include "policy/policy.h"

/* Every address on this network namespace's interfaces, loopback
 * excluded, sorted and without duplicates; 0 or -errno. */
int rcc_hostaddr_read(struct rcc_addr_list *out);
struct json_object;
/* {"addresses": ["10.0.0.5", ...]}: the daemon's answer to "host". */
struct json_object *rcc_hostaddr_to_json(const struct rcc_addr_list *l);

/* A netlink socket told of every address added or removed here
 * (nonblocking); open it before reading the set, so that no change falls
 * in between.  fd or -errno. */
int rcc_hostaddr_watch_open(void);
/* Reads what the socket holds.  1: the addresses may have changed, read
 * them again (a lost notification counts: the socket overflowed);
 * 0: nothing about addresses; -errno: the socket failed. */
int rcc_hostaddr_watch_read(int fd);

#endif
