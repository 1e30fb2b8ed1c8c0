// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config_parse.h"
#include "policy/dnsname.h"
#include "lib/log.h"
#include "rcc_shared.h"

void cfg_error(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", c->name, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->errors++;
}

void rcc_config_policy_defaults(struct rcc_policy_cfg *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	cfg_section_defaults(RCC_SEC_POLICY, p);
}

static void config_defaults(struct rcc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg_section_defaults(RCC_SEC_GLOBAL, cfg);
	cfg_section_defaults(RCC_SEC_CONTAINERS, cfg);
}

static struct rcc_policy_cfg *policy_add(struct parse_ctx *c, const char *name)
{
	struct rcc_config *cfg = c->cfg;
	struct rcc_policy_cfg *p;
	size_t i;

	for (i = 0; i < cfg->npolicies; i++) {
		if (!strcmp(cfg->policies[i].name, name)) {
			cfg_error(c, "duplicate policy '%s' (first at line %d)", name,
				  cfg->policies[i].line);
			return NULL;
		}
	}
	if (cfg->npolicies >= RCC_MAX_POLICIES - 1) {
		cfg_error(c, "too many policies (at most %d)", RCC_MAX_POLICIES - 1);
		return NULL;
	}
	p = realloc(cfg->policies, (cfg->npolicies + 1) * sizeof(*p));
	if (!p) {
		cfg_error(c, "out of memory");
		return NULL;
	}
	cfg->policies = p;
	p = &cfg->policies[cfg->npolicies++];
	rcc_config_policy_defaults(p, name);
	p->line = c->line;
	return p;
}

static int on_line(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;

	/* inih calls with name == NULL when a section starts (INI_CALL_HANDLER_ON_NEW_SECTION);
	 * r55 on Debian does not, so sections are checked on their first key
	 * and in on_section below. */
	(void)section;
	if (!name)
		return 1;
	if (c->in_section)
		cfg_key(c, name, value);
	else if (!c->bad_section)
		cfg_error(c, "'%s' outside any section", name);
	return 1;
}

/* Sections are seen by the reader, which knows the line: inih does not
 * tell the handler when a section starts without keys. */
static void on_section(struct parse_ctx *c, const char *line)
{
	char buf[512], *s = buf, *end;

	snprintf(buf, sizeof(buf), "%s", line);
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return;
	end = strchr(s, ']');
	if (!end)
		return; /* inih reports it */
	*end = '\0';
	s++;
	while (isspace((unsigned char)*s))
		s++;
	for (end = s + strlen(s); end > s && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	c->cur = NULL;
	c->in_section = false;
	c->bad_section = false;
	if (!strcmp(s, "global") || !strcmp(s, "containers")) {
		c->section = s[0] == 'g' ? RCC_SEC_GLOBAL : RCC_SEC_CONTAINERS;
		c->in_section = true;
		return;
	}
	if (!strncmp(s, "policy", 6) && isspace((unsigned char)s[6])) {
		char *name = s + 7;

		while (isspace((unsigned char)*name))
			name++;
		if (!cfg_policy_name_valid(name)) {
			cfg_error(
				c,
				"bad policy name '%s' (letters, digits, '_', '.', '-'; at most %d)",
				name, RCC_POLICY_NAME_MAX - 1);
			c->bad_section = true;
			return;
		}
		c->cur = policy_add(c, name);
		c->bad_section = !c->cur;
		c->section = RCC_SEC_POLICY;
		c->in_section = c->cur != NULL;
		return;
	}
	cfg_error(c, "unknown section [%s] (expected [global], [containers] or [policy NAME])", s);
	c->bad_section = true;
}

/* "value ; comment" and "value # comment": the comment goes (a ';' or '#'
 * after a blank; entries never hold either). */
static void strip_inline_comment(char *s)
{
	char *p;

	for (p = s + 1; *p; p++) {
		if ((*p == ';' || *p == '#') && (p[-1] == ' ' || p[-1] == '\t')) {
			p[0] = '\n';
			p[1] = '\0';
			return;
		}
	}
}

/* The rest of a line longer than the reader's buffer goes unread. */
static void skip_long_line(struct parse_ctx *c, int num)
{
	int ch;

	cfg_error(c, "line too long (at most %d characters)", num - 2);
	if (c->f)
		while ((ch = fgetc(c->f)) != EOF && ch != '\n')
			;
	else
		c->text += strcspn(c->text, "\n") + (strchr(c->text, '\n') != NULL);
}

/*
 * inih hands us lines through this reader, so we count them (Debian's
 * inih gives handlers no line numbers), see sections start, and report
 * every malformed line ourselves instead of inih's first one only.
 * Leading blanks are dropped: indentation must not turn a line into
 * inih's continuation of the previous value.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	size_t n, skip;
	bool whole;

	if (c->f) {
		if (!fgets(str, num, c->f))
			return NULL;
	} else {
		const char *nl;

		if (!*c->text)
			return NULL;
		nl = strchr(c->text, '\n');
		n = nl ? (size_t)(nl - c->text + 1) : strlen(c->text);
		if (n > (size_t)num - 1)
			n = num - 1;
		memcpy(str, c->text, n);
		str[n] = '\0';
		c->text += n;
	}
	c->line++;
	n = strlen(str);
	whole = (n && str[n - 1] == '\n') || (c->f ? feof(c->f) : !*c->text);
	if (!whole) {
		skip_long_line(c, num);
		strcpy(str, "\n");
		return str;
	}
	/* a UTF-8 byte order mark may open the file */
	if (c->line == 1 && !strncmp(str, "\xEF\xBB\xBF", 3))
		memmove(str, str + 3, n - 2);
	skip = strspn(str, " \t\r");
	memmove(str, str + skip, strlen(str + skip) + 1);
	strip_inline_comment(str);
	if (!*str || strchr(";#\n", *str))
		return str;
	if (*str == '[') {
		if (!strchr(str, ']')) {
			cfg_error(c, "section header without ']'");
			c->bad_section = true;
			c->cur = NULL;
			c->in_section = false;
			strcpy(str, "\n");
		} else {
			on_section(c, str);
		}
		return str;
	}
	if (!strpbrk(str, "=:")) {
		cfg_error(c, "syntax error (expected [section] or key = value)");
		strcpy(str, "\n");
	}
	return str;
}

/* A wildcard needs the proxy, whichever line comes first in the policy. */
static void check_wildcards(struct parse_ctx *c, const struct rcc_policy_cfg *p)
{
	size_t j;

	for (j = 0; !p->dns_proxy && j < p->nentries; j++) {
		if (!(p->entries[j].flags & RCC_ENTRY_WILDCARD))
			continue;
		c->line = p->entries[j].line;
		cfg_error(c, RCC_DNSNAME_NEEDS_PROXY, p->entries[j].host);
	}
}

/* Checks that need the whole file: each is a mistake of the line that
 * named something. */
static void check_references(struct parse_ctx *c)
{
	size_t i;

	if (c->cfg->dns_min_ttl > c->cfg->dns_max_ttl) {
		int lmin = cfg_key_line(c, RCC_SEC_GLOBAL, "dns_min_ttl");
		int lmax = cfg_key_line(c, RCC_SEC_GLOBAL, "dns_max_ttl");

		c->line = lmin > lmax ? lmin : lmax;
		cfg_error(c, "dns_min_ttl (%u) is above dns_max_ttl (%u)", c->cfg->dns_min_ttl,
			  c->cfg->dns_max_ttl);
	}
	/* a policy name that names no policy is a mistake of its line */
	if (c->cfg->default_policy_line && !rcc_config_policy(c->cfg, c->cfg->default_policy)) {
		c->line = c->cfg->default_policy_line;
		cfg_error(c, "default_policy: no [policy %s] in this file", c->cfg->default_policy);
	}
	for (i = 0; i < c->cfg->nlabel_policies; i++) {
		if (!rcc_config_policy(c->cfg, c->cfg->label_policies[i])) {
			c->line = c->cfg->label_policies_line;
			cfg_error(c, "label_policies: no [policy %s] in this file",
				  c->cfg->label_policies[i]);
		}
	}
	for (i = 0; i < c->cfg->npolicies; i++)
		check_wildcards(c, &c->cfg->policies[i]);
	for (i = 0; i < c->cfg->nparents; i++) {
		const struct rcc_parent *p = &c->cfg->parents[i];

		if (p->policy[0] && !rcc_config_policy(c->cfg, p->policy)) {
			c->line = p->line;
			cfg_error(c, "attach: no [policy %s] in this file", p->policy);
		}
	}
}

static int parse(struct parse_ctx *c)
{
	int rc = ini_parse_stream(reader, c, on_line, c);

	/* "default" always exists: the built-in one unless the file has its own */
	if (!c->errors && !rcc_config_policy(c->cfg, "default")) {
		struct rcc_policy_cfg *p;

		if (c->cfg->npolicies >= RCC_MAX_POLICIES - 1) {
			cfg_error(
				c,
				"%d policies leave no room for the built-in 'default': name one of them default",
				RCC_MAX_POLICIES - 1);
			return -EINVAL;
		}
		p = realloc(c->cfg->policies, (c->cfg->npolicies + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->cfg->policies = p;
		rcc_config_policy_defaults(&p[c->cfg->npolicies++], "default");
	}

	check_references(c);
	if (rc > 0 && !c->errors) {
		c->line = rc;
		cfg_error(c, "syntax error");
	} else if (rc < 0) {
		fprintf(stderr, "%s: cannot parse\n", c->name);
		c->errors++;
	}
	return c->errors ? -EINVAL : 0;
}

int rcc_config_parse_string(const char *name, const char *text, struct rcc_config *cfg)
{
	struct parse_ctx c = { .cfg = cfg, .name = name, .text = text };

	config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	return parse(&c);
}

int rcc_config_load(const char *path, struct rcc_config *cfg)
{
	struct parse_ctx c = { .cfg = cfg };
	const char *env = getenv("RCC_BPF_CONFIG");
	bool explicit = path || (env && *env);
	int err;

	config_defaults(cfg);
	if (!path)
		path = (env && *env) ? env : RCC_DEFAULT_CONFIG;
	c.f = fopen(path, "re");
	if (!c.f) {
		err = -errno;
		if (err == -ENOENT && !explicit) {
			/* No file: the built-in default policy. */
			cfg->policies = calloc(1, sizeof(*cfg->policies));
			if (!cfg->policies)
				return -ENOMEM;
			rcc_config_policy_defaults(cfg->policies, "default");
			cfg->npolicies = 1;
			return 0;
		}
		fprintf(stderr, "rcc-bpf: cannot read configuration '%s': %s\n", path,
			strerror(-err));
		return err;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	c.name = cfg->path;
	err = parse(&c);
	fclose(c.f);
	return err;
}

void rcc_config_free(struct rcc_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->npolicies; i++) {
		size_t j;

		for (j = 0; j < cfg->policies[i].nentries; j++)
			rcc_entry_release(&cfg->policies[i].entries[j]);
		free(cfg->policies[i].entries);
	}
	free(cfg->policies);
	cfg->policies = NULL;
	cfg->npolicies = 0;
	free(cfg->parents);
	cfg->parents = NULL;
	cfg->nparents = 0;
	free(cfg->label_policies);
	cfg->label_policies = NULL;
	cfg->nlabel_policies = 0;
}

const struct rcc_policy_cfg *rcc_config_policy(const struct rcc_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->npolicies; i++)
		if (!strcmp(cfg->policies[i].name, name))
			return &cfg->policies[i];
	return NULL;
}

const struct rcc_policy_cfg *rcc_config_label_policy(const struct rcc_config *cfg,
						     const char *label, char *why, size_t len)
{
	const struct rcc_policy_cfg *p = rcc_config_policy(cfg, label);
	size_t i;

	if (!p) {
		snprintf(why, len, "policy '%s' is not in %s", label,
			 cfg->path[0] ? cfg->path : "the built-in configuration");
		return NULL;
	}
	if (!cfg->label_policies_line)
		return p;
	for (i = 0; i < cfg->nlabel_policies; i++)
		if (!strcmp(cfg->label_policies[i], label))
			return p;
	snprintf(why, len, "policy '%s' is not in [containers] label_policies", label);
	return NULL;
}
