// SPDX-License-Identifier: GPL-2.0
/* libbpf's own messages, through ours. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "kernel/bpflog.h"
#include "lib/log.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are our debug output: we report failures. */
	if (level == LIBBPF_DEBUG || rcc_log_get_level() < RCC_LOG_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void rcc_bpflog_hook(void)
{
	libbpf_set_print(libbpf_print);
}
