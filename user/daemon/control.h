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

#include <stddef.h>

/* Listens on path; -EADDRINUSE when another daemon answers there. */
int rcc_control_listen(const char *path, int *fd);
void rcc_control_close(int fd, const char *path);

/* Accepts one client on lfd and answers with answer(request, ctx), a
 * malloc'd string.  Never blocks for long: a slow client is dropped. */
void rcc_control_serve(int lfd, char *(*answer)(const char *req, void *ctx),
		       void *ctx);

/* Asks the daemon at path; *resp is malloc'd.  -ENOENT/-ECONNREFUSED:
 * no daemon; -ETIMEDOUT: it did not answer within timeout_ms; -EPERM: the
 * process that answers is neither root nor us. */
int rcc_control_ask(const char *path, const char *req, char **resp,
		    int timeout_ms);

#endif
