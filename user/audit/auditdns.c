// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/auditdns.h"
#include "audit/auditlog.h"
#include "host/container.h"
#include "lib/cgroup.h"
#include "policy/addr.h"

static const struct {
	__u16 type;
	const char *name;
} types[] = {
	{ RCC_DNS_T_A, "A" },	    { RCC_DNS_T_NS, "NS" },	  { RCC_DNS_T_CNAME, "CNAME" },
	{ RCC_DNS_T_SOA, "SOA" },   { RCC_DNS_T_PTR, "PTR" },	  { RCC_DNS_T_MX, "MX" },
	{ RCC_DNS_T_TXT, "TXT" },   { RCC_DNS_T_AAAA, "AAAA" },	  { RCC_DNS_T_SRV, "SRV" },
	{ RCC_DNS_T_SVCB, "SVCB" }, { RCC_DNS_T_HTTPS, "HTTPS" }, { RCC_DNS_T_ANY, "ANY" },
};

const char *rcc_auditdns_type_name(__u16 qtype, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == qtype)
			return types[i].name;
	snprintf(buf, len, "TYPE%u", qtype);
	return buf;
}

static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06luZ", (unsigned long)(ts.tv_nsec / 1000));
}

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v && v[0])
		json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *addrs_array(const struct rcc_dns_addr *a, size_t n)
{
	json_object *arr = json_object_new_array();
	char text[64];
	size_t i;

	for (i = 0; i < n; i++) {
		rcc_addr_prefix_format(a[i].addr, 128, text, sizeof(text));
		json_object_array_add(arr, json_object_new_string(text));
	}
	return arr;
}

json_object *rcc_auditdns_object(const struct rcc_dnsp_record *r, const char *cgroup_path,
				 const char *container, const char *container_name)
{
	json_object *o = json_object_new_object();
	char t[40], tbuf[16], entry[512];

	now_iso(t, sizeof(t));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "type", json_object_new_string("dns"));
	json_object_object_add(o, "verdict", json_object_new_string(r->verdict));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(
		o, "qtype",
		json_object_new_string(rcc_auditdns_type_name(r->qtype, tbuf, sizeof(tbuf))));
	add_str(o, "transport", r->transport);
	add_str(o, "policy", r->policy);
	add_str(o, "cgroup", cgroup_path);
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(r->cgroup_id));
	add_str(o, "container", container);
	add_str(o, "container_name", container_name);
	if (r->naddrs)
		json_object_object_add(o, "addresses", addrs_array(r->addrs, r->naddrs));
	if (r->nstripped)
		json_object_object_add(o, "stripped", json_object_new_uint64(r->nstripped));
	if (r->entry) {
		snprintf(entry, sizeof(entry), "%s = %s (line %d)",
			 r->entry_deny ? "deny" : "allow", r->entry, r->entry_line);
		json_object_object_add(o, "rule", json_object_new_string(entry));
	}
	add_str(o, "note", r->note);
	if (r->suppressed)
		json_object_object_add(o, "suppressed", json_object_new_uint64(r->suppressed));
	return o;
}

int rcc_auditdns_append(const char *path, const struct rcc_dnsp_record *r)
{
	char cgpath[PATH_MAX], id[65] = "", runtime[16], name[128] = "";
	const char *line;
	json_object *o;
	int fd, err = 0;
	size_t len;

	if (rcc_cgroup_path_by_id(r->cgroup_id, cgpath, sizeof(cgpath)))
		cgpath[0] = '\0';
	else if (rcc_container_in_path(cgpath, id, runtime))
		rcc_container_name(id, runtime, name, sizeof(name));
	o = rcc_auditdns_object(r, cgpath, id, name);
	line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(line);
	err = rcc_auditlog_mkdirs(path);
	fd = err ? -1 : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = err ?: -errno;
	} else {
		char buf[8192];
		int n = snprintf(buf, sizeof(buf), "%s\n", line);

		if (n < 0 || (size_t)n >= sizeof(buf) ||
		    write(fd, buf, len + 1) != (ssize_t)len + 1)
			err = -EIO;
		close(fd);
	}
	json_object_put(o);
	return err;
}
