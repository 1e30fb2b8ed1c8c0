// SPDX-License-Identifier: GPL-2.0
#include <time.h>

#include "lib/clock.h"

__u64 rcc_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

__u64 rcc_clock_ms(void)
{
	return rcc_clock_ns() / 1000000;
}
