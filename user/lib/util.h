/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every layer uses. */
#ifndef RCC_UTIL_H
#define RCC_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * snprintf that fails instead of cutting: 0, or -ENAMETOOLONG when the
 * result does not fit in len (buf then holds a cut string nobody may use).
 * For paths and names that are opened, pinned or compared.
 */
static inline __attribute__((format(printf, 3, 4))) int rcc_snprintf(char *buf, size_t len,
								     const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 ? -EINVAL : (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A decimal number from 0 to max, nothing around it; 0 or -EINVAL. */
static inline int rcc_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

#endif
