// SPDX-License-Identifier: GPL-2.0
/* DNS names against a policy's name entries (see dnsname.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "policy/dnsname.h"

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

int rcc_dnsname_normalize(const char *in, char *out, size_t len)
{
	char buf[NAME_MAX_LEN + 1];
	size_t n = strlen(in), i, label = 0;

	if (n && in[n - 1] == '.')
		n--;
	if (!n || n > NAME_MAX_LEN || n >= len)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char ch = in[i];

		if (ch == '.' && !label)
			return -EINVAL;
		if (ch == '.') {
			label = 0;
		} else if (ch <= ' ' || ch > '~' || ++label > LABEL_MAX_LEN) {
			return -EINVAL;
		}
		buf[i] = tolower(ch);
	}
	if (!label)
		return -EINVAL; /* "a.." */
	buf[n] = '\0';
	memcpy(out, buf, n + 1);
	return 0;
}

/* s's length without one trailing dot. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool rcc_dnsname_is_wildcard(const char *pattern)
{
	return !strncmp(pattern, "*.", 2) || !strncmp(pattern, "**.", 3);
}

bool rcc_dnsname_match(const char *pattern, const char *name)
{
	size_t plen = name_len(pattern), nlen = name_len(name), zlen, head;
	bool deep = !strncmp(pattern, "**.", 3);
	const char *zone = pattern + (deep ? 3 : 2);

	if (!plen || !nlen)
		return false;
	if (!rcc_dnsname_is_wildcard(pattern))
		return plen == nlen && !strncasecmp(pattern, name, nlen);
	zlen = plen - (size_t)(zone - pattern);
	/* at least one label, a dot, then the zone */
	if (!zlen || nlen < zlen + 2)
		return false;
	head = nlen - zlen - 1;
	if (name[head] != '.' || name[0] == '.' || strncasecmp(name + head + 1, zone, zlen))
		return false;
	return deep || !memchr(name, '.', head);
}

void rcc_dnsname_judge(const struct rcc_policy_cfg *p, const char *name,
		       struct rcc_dnsname_verdict *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < p->nentries; i++) {
		const struct rcc_entry *e = &p->entries[i];

		if (!e->host[0] || !rcc_dnsname_match(e->host, name))
			continue;
		if (e->action != RCC_ACT_ALLOW) {
			if (!v->deny)
				v->deny = e;
			continue;
		}
		if (e->flags & RCC_ENTRY_PRIVATE_OK)
			v->private_ok = true;
		if (v->nallow < RCC_DNSNAME_MAX_RULES)
			v->allow[v->nallow++] = e;
		else
			v->more_allow = true;
	}
	v->action = v->nallow ? RCC_ACT_ALLOW : v->deny ? RCC_ACT_DENY : RCC_ACT_NONE;
}

size_t rcc_dnsname_rules(const struct rcc_policy_cfg *p, const struct rcc_entry *const *allow,
			 size_t n, struct rcc_rule *out, size_t max)
{
	bool overflow = false;
	size_t i, got = 0;

	for (i = 0; i < n; i++)
		got = rcc_entry_rules(allow[i], (__u32)(allow[i] - p->entries) + 1, out, got, max,
				      &overflow);
	return overflow ? max + 1 : got;
}

/* ---- explain ---- */

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* "tcp+udp", "icmp"; "" for every protocol. */
static void protos_format(__u8 protos, char *buf, size_t len)
{
	__u8 bit;

	buf[0] = '\0';
	if (protos == RCC_PROTO_ANY)
		return;
	for (bit = RCC_PROTO_TCP; bit <= RCC_PROTO_OTHER; bit <<= 1)
		if (protos & bit)
			append(buf, len, "%s%s", buf[0] ? "+" : "", rcc_addr_proto_name(bit));
}

/* "443/tcp", "8000-8100/tcp+udp", "icmp", "every port and protocol". */
static void rule_format(const struct rcc_rule *r, char *buf, size_t len)
{
	bool every = r->port_lo == 0 && r->port_hi == 65535;
	char protos[32];

	buf[0] = '\0';
	protos_format(r->protos, protos, sizeof(protos));
	if (every && !protos[0])
		append(buf, len, "every port and protocol");
	else if (every && !(r->protos & (RCC_PROTO_TCP | RCC_PROTO_UDP)))
		append(buf, len, "%s", protos);
	else if (every)
		append(buf, len, "every port/%s", protos);
	else if (r->port_lo == r->port_hi)
		append(buf, len, "%u%s%s", r->port_lo, protos[0] ? "/" : "", protos);
	else
		append(buf, len, "%u-%u%s%s", r->port_lo, r->port_hi, protos[0] ? "/" : "", protos);
}

static bool rules_admit(const struct rcc_rule *r, size_t n, __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((r[i].protos & proto) && port >= r[i].port_lo && port <= r[i].port_hi)
			return true;
	return false;
}

/* "; its addresses are allowed for 443/tcp, 80/tcp" and what the
 * rebinding guard and the asked port make of them. */
static void allow_rules_explain(const struct rcc_policy_cfg *p, const struct rcc_dnsname_verdict *v,
				__u16 port, __u8 proto, char *buf, size_t len)
{
	struct rcc_rule rules[RCC_MAX_RULES];
	size_t n = rcc_dnsname_rules(p, v->allow, v->nallow, rules, RCC_MAX_RULES), i;
	char one[64];

	append(buf, len, "; its addresses are allowed for ");
	for (i = 0; i < n && i < RCC_MAX_RULES; i++) {
		rule_format(&rules[i], one, sizeof(one));
		append(buf, len, "%s%s", i ? ", " : "", one);
	}
	if (n > RCC_MAX_RULES)
		append(buf, len, " (more than %d port rules: the first %d are kept)", RCC_MAX_RULES,
		       RCC_MAX_RULES);
	append(buf, len, "%s",
	       v->private_ok ?
		       "; private answers are kept (private_ok)" :
		       "; private, loopback and host answers are stripped (rebinding guard)");
	if (!proto)
		return;
	if (proto == RCC_PROTO_ICMP)
		snprintf(one, sizeof(one), "icmp");
	else
		snprintf(one, sizeof(one), "%u/%s", port, rcc_addr_proto_name(proto));
	if (rules_admit(rules, n < RCC_MAX_RULES ? n : RCC_MAX_RULES, port, proto))
		append(buf, len, "; %s: allowed", one);
	else
		append(buf, len, "; %s is not among them: judged as any other address", one);
}

/* "allow = a (line 1), allow = b (line 2) admit it" */
static void allow_entries_explain(const struct rcc_dnsname_verdict *v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < v->nallow; i++)
		append(buf, len, "%sallow = %s (line %d)", i ? ", " : "", v->allow[i]->text,
		       v->allow[i]->line);
	append(buf, len, "%s %s it", v->more_allow ? " and more" : "",
	       v->nallow > 1 || v->more_allow ? "admit" : "admits");
	if (v->deny)
		append(buf, len, " (over deny = %s, line %d: allow entries win)", v->deny->text,
		       v->deny->line);
}

__u32 rcc_dnsname_explain(const struct rcc_policy_cfg *p, const char *name, __u16 port, __u8 proto,
			  char *buf, size_t len)
{
	struct rcc_dnsname_verdict v;

	rcc_dnsname_judge(p, name, &v);
	buf[0] = '\0';
	if (!p->dns_proxy) {
		append(buf, len,
		       "dns = open: the sandbox's own resolver answers; rcc-bpf resolves the name itself and its addresses are judged as any other");
	} else if (v.action == RCC_ACT_ALLOW) {
		append(buf, len, "answered (dns = proxy): ");
		allow_entries_explain(&v, buf, len);
		allow_rules_explain(p, &v, port, proto, buf, len);
	} else if (v.action == RCC_ACT_DENY) {
		append(buf, len, "nxdomain: deny = %s (line %d)%s", v.deny->text, v.deny->line,
		       v.deny->flags & RCC_ENTRY_WILDCARD ?
			       "" :
			       "; the addresses rcc-bpf resolves for it are denied too");
	} else if (!p->allow_public) {
		append(buf, len, "nxdomain: no allow entry names it (allow_public = no)");
	} else {
		append(buf, len,
		       "resolved (allow_public = yes); its addresses are judged as any other");
	}
	return v.action;
}
