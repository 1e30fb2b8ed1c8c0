// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration keys, one line each in a descriptor table per
 * section: where the value goes, what it may be, its default, and one
 * line of help.  Parsing, the errors, `validate --help` and the key list
 * in the man page all come from these tables.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "policy/config_parse.h"
#include "rcc_shared.h"

enum key_type {
	KEY_BOOL,    /* yes|no, into a bool */
	KEY_CHOICE,  /* one of choices[], into a bool */
	KEY_U32,     /* a number from min to max */
	KEY_SECONDS, /* the same, in seconds */
	KEY_SIZE,    /* a byte count (K, M, G) of at least min, into a __u64 */
	KEY_POW2,    /* a power of two from min to max bytes, into a __u32 */
	KEY_PATH,    /* an absolute path of at most max bytes */
	KEY_SOCKET,  /* the same, said with its limit (a socket path) */
	KEY_FN,	     /* its own parser */
};

struct key_choice {
	const char *name;
	bool value;
};

struct cfg_key {
	const char *name;
	enum key_type type;
	size_t off, len; /* the field in the section's struct, its size */
	__u64 min, max;
	void (*parse)(struct parse_ctx *c, const struct cfg_key *k, void *field, const char *value);
	const struct key_choice *choices; /* KEY_CHOICE, NULL-ended */
	bool repeat;			  /* may be given many times */
	const char *syntax;		  /* KEY_FN: what the value looks like */
	const char *def;		  /* the built-in value, parsed like any other */
	const char *help;
};

#define FIELD(st, m) offsetof(st, m), sizeof(((st *)0)->m)
#define G(m) FIELD(struct rcc_config, m)
#define P(m) FIELD(struct rcc_policy_cfg, m)

/* ---- value parsers ---- */

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return true;
		}
	}
	return false;
}

static bool parse_u32(const char *v, __u64 min, __u64 max, __u32 *out)
{
	unsigned long n;

	if (rcc_parse_ulong(v, max, &n) || n < min)
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
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || n > (~0ull >> shift))
		return false;
	*out = n << shift;
	return true;
}

/* 4096 as "4K", 1 << 30 as "1G": for messages and help. */
static const char *size_str(__u64 v, char *buf, size_t len)
{
	static const char units[] = "GMK";
	int i;

	for (i = 0; i < 3; i++) {
		__u64 unit = 1ull << (30 - 10 * i);

		if (v && v % unit == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / unit), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

bool cfg_policy_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= RCC_POLICY_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* ---- the keys with their own parser ---- */

static void run_cgroup_set(struct parse_ctx *c, const struct cfg_key *k, void *field,
			   const char *value)
{
	if (!*value || strstr(value, "..") || strlen(value) > k->max)
		cfg_error(c, "run_cgroup: '%s' is not a cgroup path", value);
	else
		snprintf(field, k->len, "%s", value + (value[0] == '/'));
}

static void resolver_set(struct parse_ctx *c, const struct cfg_key *k, void *field,
			 const char *value)
{
	char why[96];

	if (rcc_addr_port_parse(value, NULL, NULL, why, sizeof(why)))
		cfg_error(c, "resolver: %s", why);
	else
		snprintf(field, k->len, "%s", value);
}

/* A list of absolute paths separated by spaces (may be empty). */
static void paths_set(struct parse_ctx *c, const struct cfg_key *k, void *field, const char *value)
{
	const char *p = value;

	while (*p) {
		size_t n;

		p += strspn(p, " \t");
		n = strcspn(p, " \t");
		if (n && *p != '/') {
			cfg_error(c, "%s: '%.*s' is not an absolute path", k->name, (int)n, p);
			return;
		}
		p += n;
	}
	if (strlen(value) >= k->len)
		cfg_error(c, "%s: longer than %zu bytes", k->name, k->len - 1);
	else
		snprintf(field, k->len, "%s", value);
}

static void entry_add(struct parse_ctx *c, const struct cfg_key *k, void *field, const char *value)
{
	struct rcc_policy_cfg *p = field;
	struct rcc_entry e, *n;
	char err[256];

	if (rcc_entry_parse(value, k->min, &e, err, sizeof(err))) {
		cfg_error(c, "%s = %s: %s", k->name, value, err);
		return;
	}
	e.line = c->line;
	if (p->nentries == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;

		n = realloc(p->entries, cap * sizeof(*n));
		if (!n) {
			cfg_error(c, "out of memory");
			rcc_entry_release(&e);
			return;
		}
		p->entries = n;
		p->cap = cap;
	}
	p->entries[p->nentries++] = e;
}

static void protocols_set(struct parse_ctx *c, const struct cfg_key *k, void *field,
			  const char *value)
{
	char buf[1024], *save = NULL, *tok;
	__u64 *bits = field;

	snprintf(buf, sizeof(buf), "%s", value);
	memset(bits, 0, k->len);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct protoent *pe;
		__u32 n;

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
		bits[n / 64] |= 1ull << (n % 64);
	}
}

static void default_policy_set(struct parse_ctx *c, const struct cfg_key *k, void *field,
			       const char *value)
{
	if (!cfg_policy_name_valid(value)) {
		cfg_error(c, "default_policy: bad policy name '%s'", value);
		return;
	}
	snprintf(field, k->len, "%s", value);
	c->cfg->default_policy_line = c->line;
}

/* label_policies = NAME...: checked against the policies once all are read. */
static void label_policies_set(struct parse_ctx *c, const struct cfg_key *k, void *field,
			       const char *value)
{
	struct rcc_config *cfg = c->cfg;
	char *copy = strdup(value), *tok, *save = NULL;

	(void)k;
	(void)field;
	cfg->label_policies_line = c->line;
	for (tok = copy ? strtok_r(copy, " \t,", &save) : NULL; tok;
	     tok = strtok_r(NULL, " \t,", &save)) {
		char(*p)[RCC_POLICY_NAME_MAX];

		if (!cfg_policy_name_valid(tok)) {
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

/* attach = CGROUP [POLICY]: a parent cgroup the daemon keeps enforced. */
static void parent_add(struct parse_ctx *c, const struct cfg_key *k, void *field, const char *value)
{
	struct rcc_config *cfg = c->cfg;
	char cg[PATH_MAX], pol[RCC_POLICY_NAME_MAX + 8] = "", extra[8];
	int n = sscanf(value, "%4095s %71s", cg, pol);
	struct rcc_parent *p;

	(void)k;
	(void)field;
	if (n < 1 || sscanf(value, "%*s %*s %7s", extra) == 1 || strstr(cg, "..")) {
		cfg_error(c, "attach: '%s' is not CGROUP [POLICY]", value);
		return;
	}
	if (n == 2 && !cfg_policy_name_valid(pol)) {
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

/* ---- the tables ---- */

static const struct key_choice modes[] = { { "enforce", false }, { "audit", true }, {} };
static const struct key_choice dns_modes[] = { { "proxy", true }, { "open", false }, {} };
static const struct key_choice enforce_modes[] = { { "all", true },
						   { "labelled", false },
						   { "labeled", false },
						   {} };

#define MAP_SIZE(name, m, dflt, what)                                        \
	{                                                                    \
		name, KEY_U32, G(m), 16, 1u << 26, .def = dflt, .help = what \
	}
#define DNS_SECONDS(name, m, min, dflt, what)                                   \
	{                                                                       \
		name, KEY_SECONDS, G(m), min, 604800, .def = dflt, .help = what \
	}

static const struct cfg_key global_keys[] = {
	{ "pin_dir", KEY_PATH, G(pin_dir), 0, PATH_MAX - 65, .def = RCC_DEFAULT_PIN_DIR,
	  .help = "where programs, maps and links are pinned (bpffs)" },
	{ "run_cgroup", KEY_FN, G(run_cgroup), 0, PATH_MAX - 65, run_cgroup_set, .syntax = "CGROUP",
	  .def = RCC_DEFAULT_RUN_CGROUP,
	  .help = "parent of the cgroups 'run' makes, relative to the cgroup2 mount" },
	MAP_SIZE("max_cgroups", max_cgroups, "16384", "cgroups enforced at once"),
	MAP_SIZE("max_port_entries", max_ports, "2097152",
		 "exact ADDRESS:PORT/PROTO entries, all policies together"),
	MAP_SIZE("max_address_entries", max_addrs, "1048576",
		 "exact addresses without ports (hostnames resolve to these)"),
	MAP_SIZE("max_prefix_entries", max_prefixes, "65536",
		 "prefixes, wide port ranges and the built-in private set"),
	{ "ring_size", KEY_POW2, G(ring_size), 4096, 1u << 30, .def = "8M",
	  .help = "the ring buffer that carries denials to the daemon" },
	{ "audit_log", KEY_PATH, G(audit_log), 0, PATH_MAX - 17, .def = RCC_DEFAULT_AUDIT_LOG,
	  .help = "the JSON Lines audit log" },
	{ "audit_max_bytes", KEY_SIZE, G(audit_max_bytes), 4096, ~0ull, .def = "100M",
	  .help = "rotate the audit log before it passes this size" },
	{ "audit_keep", KEY_U32, G(audit_keep), 1, 1000, .def = "5",
	  .help = "rotated audit logs kept" },
	{ "audit_rate", KEY_U32, G(audit_rate), 1, 1000000, .def = "10",
	  .help = "denials a second per cgroup and destination before they are folded" },
	{ "audit_fsync_ms", KEY_U32, G(audit_fsync_ms), 10, 3600000, .def = "1000",
	  .help = "sync the audit log at least this often (milliseconds)" },
	DNS_SECONDS(
		"dns_min_ttl", dns_min_ttl, 1, "5",
		"the TTLs of the daemon's hostnames and of the DNS proxy's answers are raised to this"),
	DNS_SECONDS(
		"dns_max_ttl", dns_max_ttl, 1, "300",
		"the TTLs of the daemon's hostnames and of the DNS proxy's answers are cut to this"),
	DNS_SECONDS("dns_stale_grace", dns_stale_grace, 0, "3600",
		    "how long a name that stopped resolving keeps its last addresses"),
	MAP_SIZE("max_learned_entries", dns_max_learned, "65536",
		 "addresses DNS answers allowed (dns = proxy), all sandboxes together"),
	{ "dns_query_rate", KEY_U32, G(dns_query_rate), 1, 1000000, .def = "100",
	  .help = "DNS queries a second each sandbox may send (dns = proxy): a token bucket whose burst is the same number" },
	{ "dns_answer_grace", KEY_SECONDS, G(dns_answer_grace), 0, 3600, .def = "30",
	  .help = "how long past its TTL an answer's addresses stay allowed (dns = proxy)" },
	{ "resolver", KEY_FN, G(resolver), .parse = resolver_set, .syntax = "ADDR[:PORT]",
	  .help = "the upstream DNS server of the proxy and the daemon (default: /etc/resolv.conf)" },
	{ "control_socket", KEY_SOCKET, G(control_socket), 0, 99, .def = RCC_DEFAULT_CONTROL_SOCKET,
	  .help = "the daemon's control socket" },
	{ "runtime_sockets", KEY_FN, G(runtime_sockets), .parse = paths_set, .syntax = "PATH...",
	  .def = RCC_DEFAULT_RUNTIME_SOCKETS,
	  .help = "container runtime sockets that 'run' warns its user can reach (empty: none)" },
};

static const struct cfg_key containers_keys[] = {
	{ "default_policy", KEY_FN, G(default_policy), .parse = default_policy_set,
	  .syntax = "NAME", .def = "default",
	  .help = "the policy of a container without a label choosing one" },
	{ "enforce", KEY_CHOICE, G(enforce_all), .choices = enforce_modes, .def = "all",
	  .help = "which containers the daemon and the OCI hook enforce" },
	{ "attach", KEY_FN, 0, 0, .parse = parent_add, .repeat = true, .syntax = "CGROUP [POLICY]",
	  .help = "a parent cgroup the daemon keeps enforced (repeatable)" },
	{ "allow_sys_admin", KEY_BOOL, G(allow_sys_admin), .def = "no",
	  .help = "the OCI hook starts CAP_SYS_ADMIN containers without the bpf() guard" },
	{ "label_policies", KEY_FN, 0, 0, .parse = label_policies_set, .syntax = "NAME...",
	  .help = "the policies a run-time label may choose (default: every policy)" },
	{ "allow_net_admin", KEY_BOOL, G(allow_net_admin), .def = "no",
	  .help = "the OCI hook starts CAP_NET_ADMIN containers" },
};

static const struct cfg_key policy_keys[] = {
	{ "mode", KEY_CHOICE, P(audit), .choices = modes, .def = "enforce",
	  .help = "audit: log what would be refused, refuse nothing" },
	{ "block_private", KEY_BOOL, P(block_private), .def = "yes",
	  .help = "deny the private and special ranges (10/8, 169.254/16, fc00::/7, ...)" },
	{ "block_host", KEY_BOOL, P(block_host), .def = "yes",
	  .help = "deny the host's own addresses" },
	{ "allow_loopback", KEY_BOOL, P(allow_loopback), .def = "yes",
	  .help = "allow 127.0.0.0/8 and ::1 of the sandbox's own network namespace" },
	{ "allow_public", KEY_BOOL, P(allow_public), .def = "yes",
	  .help = "yes: what nothing denies is allowed; no: an allowlist" },
	{ "allow_raw_sockets", KEY_BOOL, P(allow_raw_sockets), .def = "no",
	  .help = "raw sockets pass socket(); their packets are still judged" },
	{ "dns", KEY_CHOICE, P(dns_proxy), .choices = dns_modes, .def = "proxy",
	  .help = "proxy: rcc-bpf answers every DNS query and the answers decide what names allow; open: DNS is ordinary traffic" },
	{ "allow_protocols", KEY_FN, P(protocols), .parse = protocols_set, .syntax = "PROTO...",
	  .help = "IP protocols besides TCP, UDP and ICMP that socket() accepts" },
	{ "allow", KEY_FN, 0, 0, RCC_ACT_ALLOW, .parse = entry_add, .repeat = true,
	  .syntax = "ENTRY",
	  .help = "ADDR[/PREFIX][:PORTS][/PROTO], ADDR also a hostname, or *.ZONE (one label) or **.ZONE (any depth) under dns = proxy; wins over deny entries and the block_* sets (repeatable)" },
	{ "deny", KEY_FN, 0, 0, RCC_ACT_DENY, .parse = entry_add, .repeat = true, .syntax = "ENTRY",
	  .help = "the same syntax; wins over allow_public (repeatable)" },
};

static const struct {
	const char *title; /* as in "unknown key 'k' in [TITLE]" */
	const struct cfg_key *keys;
	size_t n;
} sections[RCC_SEC__MAX] = {
	[RCC_SEC_GLOBAL] = { "global", global_keys, ARRAY_SIZE(global_keys) },
	[RCC_SEC_CONTAINERS] = { "containers", containers_keys, ARRAY_SIZE(containers_keys) },
	[RCC_SEC_POLICY] = { "policy", policy_keys, ARRAY_SIZE(policy_keys) },
};

_Static_assert(ARRAY_SIZE(global_keys) <= RCC_SECTION_KEYS_MAX, "too many [global] keys");
_Static_assert(ARRAY_SIZE(policy_keys) <= 32, "rcc_policy_cfg.seen is 32 bits");

/* ---- parsing a key ---- */

/* The typed keys: stores value, or says what it should have been. */
static void typed_set(struct parse_ctx *c, const struct cfg_key *k, void *field, const char *value)
{
	const struct key_choice *ch;
	char lo[24], hi[24];
	__u64 v;

	switch (k->type) {
	case KEY_BOOL:
		if (!parse_bool(value, field))
			cfg_error(c, "%s: '%s' is not yes or no", k->name, value);
		return;
	case KEY_CHOICE:
		for (ch = k->choices; ch->name; ch++)
			if (!strcasecmp(value, ch->name)) {
				*(bool *)field = ch->value;
				return;
			}
		cfg_error(c, "%s: '%s' is neither %s nor %s", k->name, value, k->choices[0].name,
			  k->choices[1].name);
		return;
	case KEY_U32:
	case KEY_SECONDS:
		if (!parse_u32(value, k->min, k->max, field))
			cfg_error(c, "%s: '%s' is not a number %sfrom %llu to %llu", k->name, value,
				  k->type == KEY_SECONDS ? "of seconds " : "",
				  (unsigned long long)k->min, (unsigned long long)k->max);
		return;
	case KEY_SIZE:
		if (!parse_size(value, &v) || v < k->min || v > k->max)
			cfg_error(c, "%s: '%s' is not a size of at least %s (e.g. 100M)", k->name,
				  value, size_str(k->min, lo, sizeof(lo)));
		else
			*(__u64 *)field = v;
		return;
	case KEY_POW2:
		if (!parse_size(value, &v) || v < k->min || v > k->max || (v & (v - 1)))
			cfg_error(c, "%s: '%s' is not a power of two from %s to %s", k->name, value,
				  size_str(k->min, lo, sizeof(lo)),
				  size_str(k->max, hi, sizeof(hi)));
		else
			*(__u32 *)field = v;
		return;
	case KEY_PATH:
	case KEY_SOCKET:
		if (value[0] == '/' && strlen(value) <= k->max)
			snprintf(field, k->len, "%s", value);
		else if (k->type == KEY_SOCKET)
			cfg_error(c, "%s: '%s' is not an absolute path of under %llu bytes",
				  k->name, value, (unsigned long long)k->max + 1);
		else
			cfg_error(c, "%s: '%s' is not an absolute path", k->name, value);
		return;
	case KEY_FN:
		k->parse(c, k, field, value);
		return;
	}
}

/* The struct a section's keys point into. */
static void *section_base(struct parse_ctx *c)
{
	return c->section == RCC_SEC_POLICY ? (void *)c->cur : (void *)c->cfg;
}

static bool key_seen_before(struct parse_ctx *c, size_t i)
{
	if (c->section == RCC_SEC_POLICY) {
		bool seen = c->cur->seen & (1u << i);

		c->cur->seen |= 1u << i;
		return seen;
	}
	if (c->key_line[c->section][i])
		return true;
	c->key_line[c->section][i] = c->line;
	return false;
}

void cfg_key(struct parse_ctx *c, const char *key, const char *value)
{
	const struct cfg_key *keys = sections[c->section].keys;
	char title[RCC_POLICY_NAME_MAX + 16];
	size_t i, n = sections[c->section].n;

	if (c->section == RCC_SEC_POLICY)
		snprintf(title, sizeof(title), "policy %s", c->cur->name);
	else
		snprintf(title, sizeof(title), "%s", sections[c->section].title);
	for (i = 0; i < n && strcmp(key, keys[i].name); i++)
		;
	if (i == n) {
		cfg_error(c, "unknown key '%s' in [%s]", key, title);
		return;
	}
	if (!keys[i].repeat && key_seen_before(c, i)) {
		cfg_error(c, "'%s' given twice in [%s]", key, title);
		return;
	}
	typed_set(c, &keys[i], (char *)section_base(c) + keys[i].off, value);
}

void cfg_section_defaults(enum rcc_section s, void *base)
{
	struct rcc_config scratch = {};
	struct parse_ctx c = { .cfg = &scratch, .name = "built-in" };
	size_t i;

	/* the [containers] parsers that write outside their field write to
	 * the configuration itself */
	if (s != RCC_SEC_POLICY)
		c.cfg = base;
	for (i = 0; i < sections[s].n; i++)
		if (sections[s].keys[i].def)
			typed_set(&c, &sections[s].keys[i], (char *)base + sections[s].keys[i].off,
				  sections[s].keys[i].def);
}

int cfg_key_line(const struct parse_ctx *c, enum rcc_section s, const char *key)
{
	size_t i;

	for (i = 0; i < sections[s].n; i++)
		if (!strcmp(sections[s].keys[i].name, key))
			return c->key_line[s][i];
	return 0;
}

/* ---- the key list, for validate --help and the man page ---- */

static const char *key_syntax(const struct cfg_key *k, char *buf, size_t len)
{
	char lo[24], hi[24];

	switch (k->type) {
	case KEY_BOOL:
		return "yes|no";
	case KEY_CHOICE:
		snprintf(buf, len, "%s|%s", k->choices[0].name, k->choices[1].name);
		return buf;
	case KEY_U32:
	case KEY_SECONDS:
		snprintf(buf, len, "%s (%llu..%llu)", k->type == KEY_SECONDS ? "SECONDS" : "N",
			 (unsigned long long)k->min, (unsigned long long)k->max);
		return buf;
	case KEY_SIZE:
		snprintf(buf, len, "SIZE (at least %s)", size_str(k->min, lo, sizeof(lo)));
		return buf;
	case KEY_POW2:
		snprintf(buf, len, "SIZE (a power of two, %s..%s)",
			 size_str(k->min, lo, sizeof(lo)), size_str(k->max, hi, sizeof(hi)));
		return buf;
	case KEY_PATH:
	case KEY_SOCKET:
		return "PATH";
	case KEY_FN:
		return k->syntax;
	}
	return "";
}

/* Backslashes and leading dots would be roff requests or escapes. */
static void man_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '-')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void key_print(FILE *f, const struct cfg_key *k, bool man)
{
	char buf[64];
	const char *syn = key_syntax(k, buf, sizeof(buf));
	if (!man) {
		fprintf(f, "  %s = %s\n      %s", k->name, syn, k->help);
		if (k->def)
			fprintf(f, " (default: %s)", *k->def ? k->def : "none");
		fputc('\n', f);
		return;
	}
	fprintf(f, ".TP\n\\fB%s\\fR = \\fI", k->name);
	man_text(f, syn);
	fputs("\\fR\n", f);
	man_text(f, k->help);
	if (k->def) {
		fputs(" (default: ", f);
		man_text(f, *k->def ? k->def : "none");
		fputc(')', f);
	}
	fputs(".\n", f);
}

void rcc_config_keys_print(FILE *f, bool man)
{
	size_t s, i;

	for (s = 0; s < RCC_SEC__MAX; s++) {
		const char *title = s == RCC_SEC_POLICY ? "policy NAME" : sections[s].title;

		if (man)
			fprintf(f, ".SS [%s]\n", title);
		else
			fprintf(f, "%s[%s]\n", s ? "\n" : "", title);
		for (i = 0; i < sections[s].n; i++)
			key_print(f, &sections[s].keys[i], man);
	}
}
