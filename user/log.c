// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum rcc_log_level log_level = RCC_LOG_INFO;

void rcc_log_set_level(enum rcc_log_level level)
{
	log_level = level;
}

void rcc_log(enum rcc_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (level == RCC_LOG_WARN)
		fputs("rcc-bpf: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's warnings are our debug output: we report failures. */
	if (level == LIBBPF_DEBUG || log_level < RCC_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void rcc_log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
