/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the configuration parser: the state config.c (reading INI
 * lines and sections) shares with config_keys.c (what each key means).
 * Only policy/config*.c include this header.
 */
#ifndef RCC_CONFIG_PARSE_H
#define RCC_CONFIG_PARSE_H

#include <stdio.h>

#include "policy/config.h"

/* The sections, in the order the key tables are kept. */
enum rcc_section { RCC_SEC_GLOBAL, RCC_SEC_CONTAINERS, RCC_SEC_POLICY, RCC_SEC__MAX };

#define RCC_SECTION_KEYS_MAX 32 /* a section's "given twice" bitmask */

struct parse_ctx {
	struct rcc_config *cfg;
	const char *name; /* file name for messages */
	FILE *f;	  /* stream, or NULL when parsing text */
	const char *text;
	int line; /* line the reader handed out last */
	int errors;
	enum rcc_section section;			  /* valid when in_section */
	bool in_section, bad_section;			  /* bad: its keys are ignored */
	struct rcc_policy_cfg *cur;			  /* the [policy NAME] being read */
	int key_line[RCC_SEC__MAX][RCC_SECTION_KEYS_MAX]; /* [global], [containers] */
};

/* Reports "FILE:LINE: problem" for the line being read, and counts it. */
void cfg_error(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One "key = value" line of the current section: looked up in its key
 * table, checked, stored; every problem reported through cfg_error. */
void cfg_key(struct parse_ctx *c, const char *key, const char *value);

/* The built-in values of every key of a section, into base (struct
 * rcc_config for [global] and [containers], rcc_policy_cfg for a policy). */
void cfg_section_defaults(enum rcc_section s, void *base);

/* The line where a key of [global] or [containers] was given; 0: not. */
int cfg_key_line(const struct parse_ctx *c, enum rcc_section s, const char *key);

bool cfg_policy_name_valid(const char *s);

#endif
