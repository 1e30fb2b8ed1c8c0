/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit log file: JSON Lines, appended in whole lines only, rotated
 * by size keeping K old files (PATH.1 newest .. PATH.K oldest), synced
 * on an interval.  A line cut short by a crash is trimmed on reopen.
 */
#ifndef RCC_AUDITLOG_H
#define RCC_AUDITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct rcc_logw;

int rcc_auditlog_open(const char *path, __u64 max_bytes, unsigned keep, unsigned fsync_ms,
		      struct rcc_logw **out);
/* Makes the directories above the log at path (mode 0750); 0 or -errno. */
int rcc_auditlog_mkdirs(const char *path);
/* Buffers one line (without its newline). */
int rcc_auditlog_line(struct rcc_logw *w, const char *line, size_t len);
/* Writes what is buffered; syncs when the interval is up or force. */
int rcc_auditlog_flush(struct rcc_logw *w, bool sync);
void rcc_auditlog_close(struct rcc_logw *w);

/* The files of a log, oldest first: PATH.K .. PATH.1, PATH. */
int rcc_auditlog_files(const char *path, unsigned max_keep, char ***files, size_t *n);
void rcc_auditlog_files_free(char **files, size_t n);

#endif
