// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"

static enum rcc_log_level log_level = RCC_LOG_INFO;
/* per thread: the daemon's loop mutes its retries, not the control thread */
static __thread bool muted;

void rcc_log_mute(bool on)
{
	muted = on;
}

void rcc_log_set_level(enum rcc_log_level level)
{
	log_level = level;
}

enum rcc_log_level rcc_log_get_level(void)
{
	return log_level;
}

void rcc_log(enum rcc_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level || muted)
		return;
	va_start(ap, fmt);
	if (level == RCC_LOG_WARN)
		fputs("rcc-bpf: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int rcc_log_fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (muted)
		return err;
	va_start(ap, fmt);
	fputs("rcc-bpf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err < 0 ? -err : err));
	va_end(ap);
	return err;
}
