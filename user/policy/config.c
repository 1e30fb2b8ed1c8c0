// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "lib/log.h"
#include "rcc_shared.h"

struct parse_ctx {
	struct rcc_config *cfg;
	const char *name;		/* file name for messages */
	FILE *f;			/* stream, or NULL when parsing text */
	const char *text;
	int line;			/* line the reader handed out last */
	int errors;
	struct rcc_policy_cfg *cur;	/* NULL: [global] or no section */
	bool in_global, in_containers, bad_section;
	unsigned containers_seen;
	unsigned global_seen;
	int dns_ttl_line;		/* the last dns_*_ttl line, for min > max */
};

static void cfg_error(struct parse_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cfg_error(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", c->name, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	c->errors++;
}

void rcc_policy_cfg_defaults(struct rcc_policy_cfg *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->block_private = true;
	p->block_host = true;
	p->allow_loopback = true;
	p->allow_public = true;
}

static void config_defaults(struct rcc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", RCC_DEFAULT_PIN_DIR);
	snprintf(cfg->run_cgroup, sizeof(cfg->run_cgroup), "%s", RCC_DEFAULT_RUN_CGROUP);
	cfg->max_cgroups = 16384;
	cfg->max_ports = 1 << 21;
	cfg->max_addrs = 1 << 20;
	cfg->max_prefixes = 1 << 16;
	cfg->ring_size = 8 << 20;
	snprintf(cfg->audit_log, sizeof(cfg->audit_log), "%s", RCC_DEFAULT_AUDIT_LOG);
	cfg->audit_max_bytes = 100ull << 20;
	cfg->audit_keep = 5;
	cfg->audit_rate = 10;
	cfg->audit_fsync_ms = 1000;
	cfg->dns_min_ttl = 5;
	cfg->dns_max_ttl = 300;
	cfg->dns_stale_grace = 3600;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 RCC_DEFAULT_CONTROL_SOCKET);
	snprintf(cfg->runtime_sockets, sizeof(cfg->runtime_sockets), "%s",
		 RCC_DEFAULT_RUNTIME_SOCKETS);
	snprintf(cfg->default_policy, sizeof(cfg->default_policy), "default");
	cfg->enforce_all = true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_u32(const char *v, __u32 min, __u32 max, __u32 *out)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* 4096, 64K, 8M, 1G: a byte count with an optional binary suffix. */
static bool parse_size(const char *v, __u64 *out)
{
	unsigned long long n;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || n > (~0ull >> shift))
		return false;
	*out = n << shift;
	return true;
}

static bool policy_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RCC_POLICY_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static struct rcc_policy_cfg *policy_add(struct parse_ctx *c, const char *name)
{
	struct rcc_config *cfg = c->cfg;
	struct rcc_policy_cfg *p;
	size_t i;

	for (i = 0; i < cfg->npolicies; i++) {
		if (!strcmp(cfg->policies[i].name, name)) {
			cfg_error(c, "duplicate policy '%s' (first at line %d)",
				  name, cfg->policies[i].line);
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
	rcc_policy_cfg_defaults(p, name);
	p->line = c->line;
	return p;
}

static int entry_add(struct parse_ctx *c, __u32 action, const char *value)
{
	struct rcc_policy_cfg *p = c->cur;
	struct rcc_entry e;
	char err[256];

	if (rcc_entry_parse(value, action, &e, err, sizeof(err))) {
		cfg_error(c, "%s = %s: %s", action == RCC_ACT_ALLOW ? "allow" : "deny",
			  value, err);
		return 0;
	}
	e.line = c->line;
	if (p->nentries == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct rcc_entry *n = realloc(p->entries, cap * sizeof(*n));

		if (!n) {
			cfg_error(c, "out of memory");
			rcc_entry_release(&e);
			return 0;
		}
		p->entries = n;
		p->cap = cap;
	}
	p->entries[p->nentries++] = e;
	return 0;
}

static void parse_protocols(struct parse_ctx *c, const char *value)
{
	char buf[1024], *save = NULL, *tok;
	struct rcc_policy_cfg *p = c->cur;

	snprintf(buf, sizeof(buf), "%s", value);
	memset(p->protocols, 0, sizeof(p->protocols));
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		__u32 n;
		struct protoent *pe;

		if (!strcasecmp(tok, "mptcp")) {
			n = 262; /* IPPROTO_MPTCP: a socket() protocol, not an IP one */
		} else if (!parse_u32(tok, 0, 255, &n)) {
			pe = getprotobyname(tok);
			if (!pe || pe->p_proto < 0 || pe->p_proto > 255) {
				cfg_error(c, "allow_protocols: unknown protocol '%s'", tok);
				continue;
			}
			n = pe->p_proto;
		}
		p->protocols[n / 64] |= 1ull << (n % 64);
	}
}

enum { K_MODE, K_BLOCK_PRIVATE, K_BLOCK_HOST, K_ALLOW_LOOPBACK,
       K_ALLOW_PUBLIC, K_ALLOW_RAW, K_ALLOW_PROTOCOLS };

static const char *const policy_keys[] = {
	[K_MODE] = "mode",
	[K_BLOCK_PRIVATE] = "block_private",
	[K_BLOCK_HOST] = "block_host",
	[K_ALLOW_LOOPBACK] = "allow_loopback",
	[K_ALLOW_PUBLIC] = "allow_public",
	[K_ALLOW_RAW] = "allow_raw_sockets",
	[K_ALLOW_PROTOCOLS] = "allow_protocols",
};

static void policy_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct rcc_policy_cfg *p = c->cur;
	bool *flag = NULL;
	size_t k;

	if (!strcmp(key, "allow")) {
		entry_add(c, RCC_ACT_ALLOW, value);
		return;
	}
	if (!strcmp(key, "deny")) {
		entry_add(c, RCC_ACT_DENY, value);
		return;
	}
	for (k = 0; k < sizeof(policy_keys) / sizeof(policy_keys[0]); k++)
		if (!strcmp(key, policy_keys[k]))
			break;
	if (k == sizeof(policy_keys) / sizeof(policy_keys[0])) {
		cfg_error(c, "unknown key '%s' in [policy %s]", key, p->name);
		return;
	}
	if (p->seen & (1u << k)) {
		cfg_error(c, "'%s' given twice in [policy %s]", key, p->name);
		return;
	}
	p->seen |= 1u << k;
	switch (k) {
	case K_MODE:
		if (!strcasecmp(value, "enforce"))
			p->audit = false;
		else if (!strcasecmp(value, "audit"))
			p->audit = true;
		else
			cfg_error(c, "mode: '%s' is neither enforce nor audit", value);
		return;
	case K_ALLOW_PROTOCOLS:
		parse_protocols(c, value);
		return;
	case K_BLOCK_PRIVATE: flag = &p->block_private; break;
	case K_BLOCK_HOST: flag = &p->block_host; break;
	case K_ALLOW_LOOPBACK: flag = &p->allow_loopback; break;
	case K_ALLOW_PUBLIC: flag = &p->allow_public; break;
	case K_ALLOW_RAW: flag = &p->allow_raw_sockets; break;
	}
	if (!parse_bool(value, flag))
		cfg_error(c, "%s: '%s' is not yes or no", key, value);
}

enum { G_PIN_DIR, G_RUN_CGROUP, G_MAX_CGROUPS, G_MAX_PORTS, G_MAX_ADDRS,
       G_MAX_PREFIXES, G_RING_SIZE, G_AUDIT_LOG, G_AUDIT_MAX_BYTES, G_AUDIT_KEEP,
       G_AUDIT_RATE, G_AUDIT_FSYNC, G_DNS_MIN_TTL, G_DNS_MAX_TTL, G_DNS_GRACE,
       G_RESOLVER, G_CONTROL_SOCKET, G_RUNTIME_SOCKETS };

static const char *const global_keys[] = {
	[G_PIN_DIR] = "pin_dir",
	[G_RUN_CGROUP] = "run_cgroup",
	[G_MAX_CGROUPS] = "max_cgroups",
	[G_MAX_PORTS] = "max_port_entries",
	[G_MAX_ADDRS] = "max_address_entries",
	[G_MAX_PREFIXES] = "max_prefix_entries",
	[G_RING_SIZE] = "ring_size",
	[G_AUDIT_LOG] = "audit_log",
	[G_AUDIT_MAX_BYTES] = "audit_max_bytes",
	[G_AUDIT_KEEP] = "audit_keep",
	[G_AUDIT_RATE] = "audit_rate",
	[G_AUDIT_FSYNC] = "audit_fsync_ms",
	[G_DNS_MIN_TTL] = "dns_min_ttl",
	[G_DNS_MAX_TTL] = "dns_max_ttl",
	[G_DNS_GRACE] = "dns_stale_grace",
	[G_RESOLVER] = "resolver",
	[G_CONTROL_SOCKET] = "control_socket",
	[G_RUNTIME_SOCKETS] = "runtime_sockets",
};

/* A list of absolute paths separated by spaces (may be empty). */
static void parse_paths(struct parse_ctx *c, const char *key, const char *value,
			char *out, size_t len)
{
	const char *p = value;

	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n && *p != '/') {
			cfg_error(c, "%s: '%.*s' is not an absolute path", key, (int)n, p);
			return;
		}
		p += n;
	}
	if (strlen(value) >= len)
		cfg_error(c, "%s: longer than %zu bytes", key, len - 1);
	else
		snprintf(out, len, "%s", value);
}

static void global_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct rcc_config *cfg = c->cfg;
	__u32 *num = NULL;
	size_t k;

	for (k = 0; k < sizeof(global_keys) / sizeof(global_keys[0]); k++)
		if (!strcmp(key, global_keys[k]))
			break;
	if (k == sizeof(global_keys) / sizeof(global_keys[0])) {
		cfg_error(c, "unknown key '%s' in [global]", key);
		return;
	}
	if (c->global_seen & (1u << k)) {
		cfg_error(c, "'%s' given twice in [global]", key);
		return;
	}
	c->global_seen |= 1u << k;
	switch (k) {
	case G_PIN_DIR:
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->pin_dir) - 64)
			cfg_error(c, "pin_dir: '%s' is not an absolute path", value);
		else
			snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", value);
		return;
	case G_RUN_CGROUP:
		if (!*value || strstr(value, "..") ||
		    strlen(value) >= sizeof(cfg->run_cgroup) - 64)
			cfg_error(c, "run_cgroup: '%s' is not a cgroup path", value);
		else
			snprintf(cfg->run_cgroup, sizeof(cfg->run_cgroup), "%s",
				 value + (value[0] == '/'));
		return;
	case G_AUDIT_LOG:
		if (value[0] != '/' || strlen(value) >= sizeof(cfg->audit_log) - 16)
			cfg_error(c, "audit_log: '%s' is not an absolute path", value);
		else
			snprintf(cfg->audit_log, sizeof(cfg->audit_log), "%s", value);
		return;
	case G_RING_SIZE: {
		__u64 v;

		if (!parse_size(value, &v) || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
			cfg_error(c, "ring_size: '%s' is not a power of two from 4K to 1G", value);
		else
			cfg->ring_size = v;
		return;
	}
	case G_AUDIT_MAX_BYTES:
		if (!parse_size(value, &cfg->audit_max_bytes) || cfg->audit_max_bytes < 4096)
			cfg_error(c, "audit_max_bytes: '%s' is not a size of at least 4K (e.g. 100M)", value);
		return;
	case G_AUDIT_KEEP:
		if (!parse_u32(value, 1, 1000, &cfg->audit_keep))
			cfg_error(c, "audit_keep: '%s' is not a number from 1 to 1000", value);
		return;
	case G_AUDIT_RATE:
		if (!parse_u32(value, 1, 1000000, &cfg->audit_rate))
			cfg_error(c, "audit_rate: '%s' is not a number from 1 to 1000000", value);
		return;
	case G_AUDIT_FSYNC:
		if (!parse_u32(value, 10, 3600000, &cfg->audit_fsync_ms))
			cfg_error(c, "audit_fsync_ms: '%s' is not a number from 10 to 3600000", value);
		return;
	case G_DNS_MIN_TTL:
	case G_DNS_MAX_TTL:
	case G_DNS_GRACE:
		num = k == G_DNS_MIN_TTL ? &cfg->dns_min_ttl :
		      k == G_DNS_MAX_TTL ? &cfg->dns_max_ttl : &cfg->dns_stale_grace;
		if (!parse_u32(value, k == G_DNS_GRACE ? 0 : 1, 604800, num))
			cfg_error(c, "%s: '%s' is not a number of seconds from %d to 604800",
				  key, value, k == G_DNS_GRACE ? 0 : 1);
		else if (k != G_DNS_GRACE)
			c->dns_ttl_line = c->line;
		return;
	case G_RESOLVER: {
		char why[96];

		if (rcc_resolver_parse(value, NULL, NULL, why, sizeof(why)))
			cfg_error(c, "resolver: %s", why);
		else
			snprintf(cfg->resolver, sizeof(cfg->resolver), "%s", value);
		return;
	}
	case G_CONTROL_SOCKET:
		if (value[0] != '/' || strlen(value) >= 100)
			cfg_error(c, "control_socket: '%s' is not an absolute path of under 100 bytes", value);
		else
			snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", value);
		return;
	case G_RUNTIME_SOCKETS:
		parse_paths(c, key, value, cfg->runtime_sockets,
			    sizeof(cfg->runtime_sockets));
		return;
	case G_MAX_CGROUPS: num = &cfg->max_cgroups; break;
	case G_MAX_PORTS: num = &cfg->max_ports; break;
	case G_MAX_ADDRS: num = &cfg->max_addrs; break;
	case G_MAX_PREFIXES: num = &cfg->max_prefixes; break;
	}
	if (!parse_u32(value, 16, 1u << 26, num))
		cfg_error(c, "%s: '%s' is not a number from 16 to %u", key, value,
			  1u << 26);
}

/* attach = CGROUP [POLICY]: a parent cgroup the daemon keeps enforced. */
static void parent_add(struct parse_ctx *c, const char *value)
{
	struct rcc_config *cfg = c->cfg;
	struct rcc_parent *p;
	char cg[PATH_MAX], pol[RCC_POLICY_NAME_MAX + 8] = "";
	int n = sscanf(value, "%4095s %71s", cg, pol);
	char extra[8];

	if (n < 1 || sscanf(value, "%*s %*s %7s", extra) == 1 || strstr(cg, "..")) {
		cfg_error(c, "attach: '%s' is not CGROUP [POLICY]", value);
		return;
	}
	if (n == 2 && !policy_name_valid(pol)) {
		cfg_error(c, "attach: bad policy name '%s'", pol);
		return;
	}
	p = realloc(cfg->parents, (cfg->nparents + 1) * sizeof(*p));
	if (!p) {
		cfg_error(c, "out of memory");
		return;
	}
	cfg->parents = p;
	p = &cfg->parents[cfg->nparents++];
	snprintf(p->cgroup, sizeof(p->cgroup), "%s", cg + (cg[0] == '/'));
	snprintf(p->policy, sizeof(p->policy), "%s", n == 2 ? pol : "");
	p->line = c->line;
}

/* label_policies = NAME...: checked against the policies once all are read. */
static void label_policies_set(struct parse_ctx *c, const char *value)
{
	struct rcc_config *cfg = c->cfg;
	char *copy = strdup(value), *tok, *save = NULL;

	cfg->label_policies_line = c->line;
	for (tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		char (*p)[RCC_POLICY_NAME_MAX];

		if (!policy_name_valid(tok)) {
			cfg_error(c, "label_policies: bad policy name '%s'", tok);
			continue;
		}
		p = realloc(cfg->label_policies, (cfg->nlabel_policies + 1) * sizeof(*p));
		if (!p) {
			cfg_error(c, "out of memory");
			break;
		}
		cfg->label_policies = p;
		snprintf(p[cfg->nlabel_policies++], RCC_POLICY_NAME_MAX, "%s", tok);
	}
	free(copy);
}

/* [containers]: how containers found by name or by the daemon are enforced. */
static void containers_key(struct parse_ctx *c, const char *key, const char *value)
{
	struct rcc_config *cfg = c->cfg;
	unsigned bit = !strcmp(key, "default_policy") ? 1 : !strcmp(key, "enforce") ? 2 :
		       !strcmp(key, "allow_sys_admin") ? 4 : !strcmp(key, "label_policies") ? 8 :
		       !strcmp(key, "allow_net_admin") ? 16 : 0;

	if (!strcmp(key, "attach")) {
		parent_add(c, value);
		return;
	}
	if (!bit) {
		cfg_error(c, "unknown key '%s' in [containers]", key);
		return;
	}
	if (c->containers_seen & bit) {
		cfg_error(c, "'%s' given twice in [containers]", key);
		return;
	}
	c->containers_seen |= bit;
	if (bit == 1) {
		if (!policy_name_valid(value)) {
			cfg_error(c, "default_policy: bad policy name '%s'", value);
			return;
		}
		snprintf(cfg->default_policy, sizeof(cfg->default_policy), "%s", value);
		cfg->default_policy_line = c->line;
		return;
	}
	if (bit == 4) {
		if (!parse_bool(value, &cfg->allow_sys_admin))
			cfg_error(c, "allow_sys_admin: '%s' is not yes or no", value);
		return;
	}
	if (bit == 8) {
		label_policies_set(c, value);
		return;
	}
	if (bit == 16) {
		if (!parse_bool(value, &cfg->allow_net_admin))
			cfg_error(c, "allow_net_admin: '%s' is not yes or no", value);
		return;
	}
	if (!strcasecmp(value, "all"))
		cfg->enforce_all = true;
	else if (!strcasecmp(value, "labelled") || !strcasecmp(value, "labeled"))
		cfg->enforce_all = false;
	else
		cfg_error(c, "enforce: '%s' is neither all nor labelled", value);
}

static int on_line(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_ctx *c = user;

	/* inih calls with name == NULL when a section starts (INI_CALL_HANDLER_ON_NEW_SECTION);
	 * r55 on Debian does not, so sections are checked on their first key
	 * and in on_section below. */
	(void)section;
	if (!name)
		return 1;
	if (c->bad_section)
		return 1;
	if (c->in_global)
		global_key(c, name, value);
	else if (c->in_containers)
		containers_key(c, name, value);
	else if (c->cur)
		policy_key(c, name, value);
	else
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
	c->in_global = false;
	c->in_containers = false;
	c->bad_section = false;
	if (!strcmp(s, "global")) {
		c->in_global = true;
		return;
	}
	if (!strcmp(s, "containers")) {
		c->in_containers = true;
		return;
	}
	if (!strncmp(s, "policy", 6) && isspace((unsigned char)s[6])) {
		char *name = s + 7;

		while (isspace((unsigned char)*name))
			name++;
		if (!policy_name_valid(name)) {
			cfg_error(c, "bad policy name '%s' (letters, digits, '_', '.', '-'; at most %d)",
				  name, RCC_POLICY_NAME_MAX - 1);
			c->bad_section = true;
			return;
		}
		c->cur = policy_add(c, name);
		c->bad_section = !c->cur;
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
		int ch;

		cfg_error(c, "line too long (at most %d characters)", num - 2);
		if (c->f)
			while ((ch = fgetc(c->f)) != EOF && ch != '\n')
				;
		else
			c->text += strcspn(c->text, "\n") + (strchr(c->text, '\n') != NULL);
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
			c->in_global = false;
			c->in_containers = false;
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

static int parse(struct parse_ctx *c)
{
	int rc = ini_parse_stream(reader, c, on_line, c);
	size_t i;

	/* "default" always exists: the built-in one unless the file has its own */
	if (!c->errors && !rcc_config_policy(c->cfg, "default")) {
		struct rcc_policy_cfg *p;

		if (c->cfg->npolicies >= RCC_MAX_POLICIES - 1) {
			cfg_error(c, "%d policies leave no room for the built-in 'default': name one of them default",
				  RCC_MAX_POLICIES - 1);
			return -EINVAL;
		}
		p = realloc(c->cfg->policies, (c->cfg->npolicies + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->cfg->policies = p;
		rcc_policy_cfg_defaults(&p[c->cfg->npolicies++], "default");
	}

	if (c->cfg->dns_min_ttl > c->cfg->dns_max_ttl) {
		c->line = c->dns_ttl_line;
		cfg_error(c, "dns_min_ttl (%u) is above dns_max_ttl (%u)", c->cfg->dns_min_ttl,
			  c->cfg->dns_max_ttl);
	}
	/* a policy name that names no policy is a mistake of its line */
	if (c->cfg->default_policy_line &&
	    !rcc_config_policy(c->cfg, c->cfg->default_policy)) {
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
	for (i = 0; i < c->cfg->nparents; i++) {
		const struct rcc_parent *p = &c->cfg->parents[i];

		if (p->policy[0] && !rcc_config_policy(c->cfg, p->policy)) {
			c->line = p->line;
			cfg_error(c, "attach: no [policy %s] in this file", p->policy);
		}
	}

	if (rc > 0 && !c->errors) {
		c->line = rc;
		cfg_error(c, "syntax error");
	} else if (rc < 0) {
		fprintf(stderr, "%s: cannot parse\n", c->name);
		c->errors++;
	}
	return c->errors ? -EINVAL : 0;
}

int rcc_config_parse_string(const char *name, const char *text,
			    struct rcc_config *cfg)
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
			rcc_policy_cfg_defaults(cfg->policies, "default");
			cfg->npolicies = 1;
			return 0;
		}
		fprintf(stderr, "rcc-bpf: cannot read configuration '%s': %s\n",
			path, strerror(-err));
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

const struct rcc_policy_cfg *rcc_config_policy(const struct rcc_config *cfg,
					       const char *name)
{
	size_t i;

	for (i = 0; i < cfg->npolicies; i++)
		if (!strcmp(cfg->policies[i].name, name))
			return &cfg->policies[i];
	return NULL;
}

const struct rcc_policy_cfg *rcc_config_label_policy(const struct rcc_config *cfg,
						     const char *label, char *why,
						     size_t len)
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
