// SPDX-License-Identifier: GPL-2.0
/* `allow =` and `deny =` entries: ADDR[/PREFIX][:PORTS][/PROTO], ADDR
 * also a hostname or a wildcard. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "policy/dnsname.h"
#include "policy/entry.h"
#include "rcc_shared.h"

static const char no_host[1] = "";

/* What an entry is parsed into before it is made compact. */
struct entry_parts {
	struct rcc_port_range ports[RCC_MAX_PORT_RANGES];
	char host[RCC_HOSTNAME_MAX];
};

static int parse_ports(char *s, struct rcc_entry *e, struct entry_parts *pt, char *err,
		       size_t errlen)
{
	char *save = NULL, *tok;

	size_t len = strlen(s);

	if (!len) {
		snprintf(err, errlen, "empty port list");
		return -EINVAL;
	}
	if (s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,")) {
		snprintf(err, errlen, "empty port in the list '%s'", s);
		return -EINVAL;
	}
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long lo, hi;
		char *dash, *end;

		/* "80, 443" reads as people mean it */
		tok += strspn(tok, " \t");
		for (end = tok + strlen(tok); end > tok && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		dash = strchr(tok, '-');

		if (dash)
			*dash = '\0';
		if (rcc_parse_ulong(tok, 65535, &lo) || lo == 0 ||
		    (dash && (rcc_parse_ulong(dash + 1, 65535, &hi) || hi == 0))) {
			if (dash)
				*dash = '-';
			snprintf(err, errlen, "bad port '%s' (ports are 1-65535)", tok);
			return -EINVAL;
		}
		if (!dash)
			hi = lo;
		if (lo > hi) {
			snprintf(err, errlen, "bad port range '%lu-%lu' (low end above high end)",
				 lo, hi);
			return -EINVAL;
		}
		if (e->nports >= RCC_MAX_PORT_RANGES) {
			snprintf(err, errlen, "too many port ranges (at most %d an entry)",
				 RCC_MAX_PORT_RANGES);
			return -EINVAL;
		}
		pt->ports[e->nports].lo = lo;
		pt->ports[e->nports].hi = hi;
		e->nports++;
	}
	return 0;
}

static int parse_plen(const char *s, unsigned max, unsigned *plen, char *err, size_t errlen)
{
	unsigned long v;

	if (rcc_parse_ulong(s, 255, &v)) {
		snprintf(err, errlen, "bad prefix length '/%s'", s);
		return -EINVAL;
	}
	if (v > max) {
		snprintf(err, errlen, "prefix /%lu is over %u", v, max);
		return -EINVAL;
	}
	*plen = v;
	return 0;
}

/* The zone of a wildcard (`*.zone`, `**.zone`); s itself for a name,
 * NULL for a '*' anywhere else. */
static const char *wildcard_zone(const char *s)
{
	const char *zone = s;

	if (s[0] == '*')
		zone = s[1] == '*' ? s + 2 : s + 1;
	if (zone != s && *zone++ != '.')
		return NULL;
	return strchr(zone, '*') || !*zone ? NULL : zone;
}

/* HOST or a wildcard, normalised into pt->host; has_plen: a /PREFIX
 * followed it. */
static int parse_name(const char *s, bool has_plen, struct rcc_entry *e, struct entry_parts *pt,
		      char *err, size_t errlen)
{
	const char *zone = wildcard_zone(s), *dot;
	char norm[RCC_HOSTNAME_MAX];

	if (!zone) {
		snprintf(
			err, errlen,
			"bad wildcard '%s' (a '*' stands for whole labels in front: *.example.com for one, **.example.com for one or more)",
			s);
		return -EINVAL;
	}
	if (strchr(zone, ':') || !rcc_addr_hostname_valid(zone) ||
	    rcc_dnsname_normalize(zone, norm, sizeof(norm))) {
		snprintf(err, errlen, "bad address '%s'", s);
		return -EINVAL;
	}
	if (has_plen) {
		snprintf(err, errlen, "a hostname ('%s') takes no prefix length", s);
		return -EINVAL;
	}
	dot = strchr(norm, '.');
	if (zone != s && !dot) {
		snprintf(
			err, errlen,
			"'%s' is too broad: a wildcard's zone needs two labels or more (*.example.com)",
			s);
		return -EINVAL;
	}
	if (zone != s)
		e->flags |= RCC_ENTRY_WILDCARD;
	if (rcc_snprintf(pt->host, sizeof(pt->host), "%.*s%s", (int)(zone - s), s, norm)) {
		snprintf(err, errlen, "bad address '%s' (too long)", s);
		return -EINVAL;
	}
	e->plen = 128;
	return 0;
}

/* ADDR[/PREFIX] or HOST into e; IPv6 allowed only when v6ok. */
static int parse_target(char *s, struct rcc_entry *e, struct entry_parts *pt, char *err,
			size_t errlen)
{
	char *slash = strchr(s, '/');
	unsigned plen = 0;
	bool v4;
	__u8 masked[16];
	unsigned i;

	if (slash)
		*slash = '\0';
	if (!*s) {
		snprintf(err, errlen, "missing address");
		return -EINVAL;
	}
	if (inet_pton(AF_INET6, s, e->addr) == 1) {
		v4 = false; /* as written: see the IPv6 rules in rcc_shared.h */
	} else if (rcc_addr_parse(s, e->addr, &v4)) {
		return parse_name(s, slash != NULL, e, pt, err, errlen);
	}
	if (slash) {
		if (parse_plen(slash + 1, v4 ? 32 : 128, &plen, err, errlen))
			return -EINVAL;
	} else {
		plen = v4 ? 32 : 128;
	}
	if (v4)
		plen += 96;
	memcpy(masked, e->addr, 16);
	for (i = plen; i < 128; i++)
		masked[i / 8] &= ~(0x80 >> (i % 8));
	if (memcmp(masked, e->addr, 16)) {
		char want[64];

		rcc_addr_prefix_format(masked, plen, want, sizeof(want));
		snprintf(err, errlen, "'%s/%s' has bits set after the prefix; did you mean %s?", s,
			 slash + 1, want);
		return -EINVAL;
	}
	e->plen = plen;
	return 0;
}

/* A trailing word of letters after a blank: an entry option. */
static int parse_marker(char *s, struct rcc_entry *e, char *err, size_t errlen)
{
	char *word = s + strlen(s), *end;

	while (word > s && (islower((unsigned char)word[-1]) || word[-1] == '_'))
		word--;
	if (word == s || !isblank((unsigned char)word[-1]) || !*word)
		return 0;
	if (strcmp(word, "private_ok") && !strchr(word, '_'))
		return 0; /* "bad name": the address is what is wrong */
	if (strcmp(word, "private_ok")) {
		snprintf(err, errlen, "unknown option '%s' (the one option is private_ok)", word);
		return -EINVAL;
	}
	e->flags |= RCC_ENTRY_PRIVATE_OK;
	for (end = word; end > s && isblank((unsigned char)end[-1]);)
		end--;
	*end = '\0';
	return 0;
}

/* The entry without surrounding blanks, into buf; 0 or -EINVAL. */
static int entry_trim(const char *text, char *buf, size_t len, char *err, size_t errlen)
{
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	if (strlen(text) >= len) {
		snprintf(err, errlen, "entry too long");
		return -EINVAL;
	}
	strcpy(buf, text);
	for (end = buf + strlen(buf); end > buf && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	if (!*buf) {
		snprintf(err, errlen, "empty entry");
		return -EINVAL;
	}
	return 0;
}

/* A trailing /PROTO is letters after the last slash: cut off, into proto. */
static int entry_proto(char *s, __u8 *proto, char *err, size_t errlen)
{
	char *slash = strrchr(s, '/');

	*proto = 0;
	if (!slash || !isalpha((unsigned char)slash[1]))
		return 0;
	*proto = rcc_addr_proto_parse(slash + 1);
	if (!*proto) {
		snprintf(err, errlen, "bad protocol '%s' (tcp, udp or icmp)", slash + 1);
		return -EINVAL;
	}
	*slash = '\0';
	return 0;
}

/* ADDR[:PORTS] or [IPV6][:PORTS]: *target is the address, *ports what
 * follows its colon (NULL: none).  A bare IPv6 address has no ports. */
static int entry_split(char *s, char **target, char **ports, char *err, size_t errlen)
{
	char *close;

	*target = s;
	*ports = NULL;
	if (*s != '[') {
		if (strchr(s, ':') == strrchr(s, ':') && (*ports = strchr(s, ':')))
			*(*ports)++ = '\0';
		return 0;
	}
	close = strchr(s, ']');
	if (!close) {
		snprintf(err, errlen, "missing ']' after IPv6 address");
		return -EINVAL;
	}
	*close = '\0';
	if (close[1] == ':') {
		*ports = close + 2;
	} else if (close[1]) {
		snprintf(err, errlen, "unexpected '%s' after ']'", close + 1);
		return -EINVAL;
	}
	*target = s + 1;
	if (!strchr(*target, ':')) {
		snprintf(err, errlen, "brackets are for IPv6 addresses, not '%s'", *target);
		return -EINVAL;
	}
	return 0;
}

/* The parsed parts, copied into e's own memory. */
static int entry_store(struct rcc_entry *e, const char *text, const struct entry_parts *pt,
		       char *err, size_t errlen)
{
	e->text = strdup(text);
	e->host = pt->host[0] ? strdup(pt->host) : (char *)no_host;
	e->ports = e->nports ? malloc(e->nports * sizeof(*e->ports)) : NULL;
	if (!e->text || !e->host || (e->nports && !e->ports)) {
		rcc_entry_release(e);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (e->nports)
		memcpy(e->ports, pt->ports, e->nports * sizeof(*e->ports));
	return 0;
}

int rcc_entry_parse(const char *text, __u32 action, struct rcc_entry *e, char *err, size_t errlen)
{
	char buf[256], orig[256], *target, *ports;
	struct entry_parts pt = {};
	__u8 proto;

	memset(e, 0, sizeof(*e));
	e->action = action;
	if (entry_trim(text, buf, sizeof(buf), err, errlen))
		return -EINVAL;
	strcpy(orig, buf);
	if (parse_marker(buf, e, err, errlen) || entry_proto(buf, &proto, err, errlen) ||
	    entry_split(buf, &target, &ports, err, errlen) ||
	    parse_target(target, e, &pt, err, errlen) ||
	    (ports && parse_ports(ports, e, &pt, err, errlen)))
		return -EINVAL;
	if (proto == RCC_PROTO_ICMP && e->nports) {
		snprintf(err, errlen, "icmp has no ports");
		return -EINVAL;
	}
	if (proto)
		e->protos = proto;
	else
		e->protos = e->nports ? RCC_PROTO_TCP | RCC_PROTO_UDP : RCC_PROTO_ANY;
	if ((e->flags & RCC_ENTRY_PRIVATE_OK) && (!pt.host[0] || action != RCC_ACT_ALLOW)) {
		snprintf(
			err, errlen,
			"private_ok is for allow = HOSTNAME entries (it lets the name resolve to private addresses)");
		return -EINVAL;
	}
	return entry_store(e, orig, &pt, err, errlen);
}

void rcc_entry_release(struct rcc_entry *e)
{
	free(e->text);
	if (e->host != no_host)
		free(e->host);
	free(e->ports);
	e->text = NULL;
	e->host = (char *)no_host;
	e->ports = NULL;
}

size_t rcc_entry_rule_add(struct rcc_rule *rules, size_t n, size_t max, const struct rcc_rule *r,
			  bool *overflow)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rules[i].port_lo == r->port_lo && rules[i].port_hi == r->port_hi &&
		    rules[i].protos == r->protos && rules[i].action == r->action)
			return n;
	if (n >= max) {
		*overflow = true;
		return n;
	}
	rules[n] = *r;
	return n + 1;
}

size_t rcc_entry_rules(const struct rcc_entry *e, __u32 rule_id, struct rcc_rule *rules, size_t n,
		       size_t max, bool *overflow)
{
	struct rcc_rule r = {
		.protos = e->protos,
		.action = e->action,
		.rule_id = rule_id,
		.port_lo = 0,
		.port_hi = 65535,
	};
	__u32 i;

	if (!e->nports)
		return rcc_entry_rule_add(rules, n, max, &r, overflow);
	for (i = 0; i < e->nports; i++) {
		r.port_lo = e->ports[i].lo;
		r.port_hi = e->ports[i].hi;
		n = rcc_entry_rule_add(rules, n, max, &r, overflow);
	}
	return n;
}
