/* SPDX-License-Identifier: GPL-2.0 */
/* run: the user COMMAND runs as, becoming it, and what it can reach. */
#ifndef RCC_RUN_USER_H
#define RCC_RUN_USER_H

#include <stdbool.h>
#include <sys/types.h>

struct run_user {
	bool drop; /* false: COMMAND stays root */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* --user (name or uid), else the user behind sudo ($SUDO_UID), else root
 * with a warning.  RCC_EXIT_OK, or RCC_EXIT_USAGE with a message. */
int run_user_pick(const char *option, struct run_user *u);
/* Becomes u for good (groups, gid, uid) and sets no_new_privs, so that
 * no setuid binary or file capability raises COMMAND again.  0 or -errno. */
int run_user_become(const struct run_user *u);
/* Warns about each of sockets (paths separated by spaces) that u can
 * connect to: the API of a container runtime is host root by another door. */
void run_user_warn_sockets(const struct run_user *u, const char *sockets);

#endif
