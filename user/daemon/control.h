/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's control socket ([global] control_socket, root only): a
 * client writes one request line and reads one JSON answer.  Requests:
 *   names    the hostname table (see names.h), for status and one-shots
 *   host     the host's addresses as the daemon follows them (hostaddr.h)
 *   reload   load the configuration again; {"ok": bool, "error": "..."}
 *   ping     {}
 */
#ifndef RCC_CONTROL_H
#define RCC_CONTROL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/sync.h"

/* The daemon's end: the socket, and the thread that answers on it. */
struct rcc_control {
	int fd;	     /* listening; -1: none */
	int stop_fd; /* eventfd: the thread ends */
	pthread_t thread;
	bool running;
	struct rcc_sync *sync;
};

/* Listens on path; -EADDRINUSE when another daemon answers there.
 * Prints nothing. */
int rcc_control_listen(const char *path, int *fd);
void rcc_control_close(int fd, const char *path);

/* Answers on ctl->fd in a thread of its own, which blocks every signal,
 * from what sync holds; 0 or -errno, printed. */
int rcc_control_start(struct rcc_control *ctl, struct rcc_sync *sync);
/* Ends the thread; a reload it still waits for is told no (config: the
 * file in force). */
void rcc_control_stop(struct rcc_control *ctl, const char *config);

/* Asks the daemon at path; *resp is malloc'd.  -ENOENT/-ECONNREFUSED:
 * no daemon; -ETIMEDOUT: it did not answer within timeout_ms; -EPERM: the
 * process that answers is neither root nor us.  Prints nothing. */
int rcc_control_ask(const char *path, const char *req, char **resp, int timeout_ms);

#endif
