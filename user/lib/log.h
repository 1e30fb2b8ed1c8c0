/* SPDX-License-Identifier: GPL-2.0 */
/* Messages: warnings always, info by default, debug with -v. */
#ifndef RCC_LOG_H
#define RCC_LOG_H

#include <stdbool.h>

enum rcc_log_level { RCC_LOG_WARN, RCC_LOG_INFO, RCC_LOG_DEBUG };

void rcc_log_set_level(enum rcc_log_level level);
enum rcc_log_level rcc_log_get_level(void);
/* Silences this thread's messages (for a retry whose failure was already
 * reported), until called with false. */
void rcc_log_mute(bool on);
void rcc_log(enum rcc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Reports a failure and hands its code on, for the function that found
 * it (CONTRIBUTING.md, "Errors"): prints "rcc-bpf: WHAT: strerror(-err)"
 * and returns err, a negative errno.
 *	return rcc_log_fail(-errno, "Failed to pin link '%s'", pin);
 */
int rcc_log_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...) rcc_log(RCC_LOG_WARN, __VA_ARGS__)
#define pr_info(...) rcc_log(RCC_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) rcc_log(RCC_LOG_DEBUG, __VA_ARGS__)

#endif
