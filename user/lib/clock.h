/* SPDX-License-Identifier: GPL-2.0 */
/* The one clock for timeouts, ages and back-offs. */
#ifndef RCC_CLOCK_H
#define RCC_CLOCK_H

#include <linux/types.h>

/* Milliseconds on CLOCK_MONOTONIC: for intervals only, never wall time. */
__u64 rcc_clock_ms(void);
/* The same in nanoseconds. */
__u64 rcc_clock_ns(void);

#endif
