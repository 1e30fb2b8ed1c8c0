// SPDX-License-Identifier: GPL-2.0
/* log: the audit log, its rotated files included; -f follows it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "policy/addr.h"
#include "audit/audit.h"
#include "audit/auditlog.h"
#include "lib/cgroup.h"
#include "cli/cli.h"
#include "daemon/consume.h"
#include "lib/log.h"
#include "lib/util.h"

struct filter {
	const char *container;
	char cgroup[PATH_MAX];
	char since[40]; /* ISO time; records sort as strings */
	bool has_dst;
	__u8 dst[16];
	unsigned dst_plen;
	bool json;
	bool dns; /* the "type": "dns" records, not the denials */
};

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long int_field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static bool addr_in(const struct filter *f, const char *text)
{
	__u8 a[16];
	bool v4;

	return text && !rcc_addr_parse(text, a, &v4) &&
	       rcc_addr_prefix_covers(f->dst, f->dst_plen, a);
}

/* A denial's destination, or one of the addresses a query was answered. */
static bool dst_matches(const struct filter *f, json_object *o)
{
	json_object *arr;
	size_t i;

	if (!f->dns)
		return addr_in(f, str_field(o, "dst"));
	if (!json_object_object_get_ex(o, "addresses", &arr))
		return false;
	for (i = 0; i < json_object_array_length(arr); i++)
		if (addr_in(f, json_object_get_string(json_object_array_get_idx(arr, i))))
			return true;
	return false;
}

static bool matches(const struct filter *f, json_object *o)
{
	const char *cg = str_field(o, "cgroup"), *t = str_field(o, "time");
	const char *type = str_field(o, "type");

	if ((type && !strcmp(type, "dns")) != f->dns)
		return false;
	if (f->since[0] && (!t || strcmp(t, f->since) < 0))
		return false;
	if (f->cgroup[0]) {
		size_t n = strlen(f->cgroup);

		if (!cg || strncmp(cg, f->cgroup, n) || (cg[n] && cg[n] != '/'))
			return false;
	}
	if (f->container) {
		const char *id = str_field(o, "container"), *name = str_field(o, "container_name");

		if (!(id && !strncmp(id, f->container, strlen(f->container))) &&
		    !(name && !strcmp(name, f->container)) && !(cg && strstr(cg, f->container)))
			return false;
	}
	return !f->has_dst || dst_matches(f, o);
}

/* For the table: a process name with its control bytes made visible. */
static void printable(const char *s, char *out, size_t len)
{
	size_t j = 0;

	for (; s && *s && j + 5 < len; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			j += snprintf(out + j, len - j, "\\x%02x", c);
		else
			out[j++] = c;
	}
	out[j] = '\0';
}

/* The last two parts of a cgroup path name it well enough. */
static const char *short_cgroup(const char *cg)
{
	const char *p = cg + strlen(cg);
	int slashes = 0;

	while (p > cg && slashes < 2)
		if (*--p == '/')
			slashes++;
	return p + (*p == '/');
}

static void print_dns_record(json_object *o)
{
	const char *t = str_field(o, "time"), *cg = str_field(o, "cgroup");
	const char *who = str_field(o, "container_name"), *rule = str_field(o, "rule");
	long long sup = int_field(o, "suppressed");
	char what[512] = "", name[300];
	json_object *arr;
	size_t i, off = 0;

	if (!who)
		who = cg ? short_cgroup(cg) : "?";
	if (json_object_object_get_ex(o, "addresses", &arr))
		for (i = 0; i < json_object_array_length(arr) && off < sizeof(what); i++)
			off += snprintf(what + off, sizeof(what) - off, "%s%s", i ? " " : "",
					json_object_get_string(json_object_array_get_idx(arr, i)));
	if (!what[0] && str_field(o, "note"))
		snprintf(what, sizeof(what), "(%s)", str_field(o, "note"));
	printable(str_field(o, "name"), name, sizeof(name));
	printf("%-27s %-12s %-28s %-6s %-40s %s%s%s", t ? t : "?", str_field(o, "verdict") ?: "?",
	       who, str_field(o, "qtype") ?: "?", name, what, rule ? "  by " : "", rule ?: "");
	if (sup > 0)
		printf(" (+%lld more, folded)", sup);
	putchar('\n');
}

static void print_record(const struct filter *f, const char *line, json_object *o)
{
	const char *t = str_field(o, "time"), *cg = str_field(o, "cgroup");
	const char *who = str_field(o, "container_name");
	char dst[96], proc[96], comm[80];
	long long sup = int_field(o, "suppressed");

	if (f->json) {
		printf("%s\n", line);
		return;
	}
	if (f->dns) {
		print_dns_record(o);
		return;
	}
	if (!who && cg)
		who = short_cgroup(cg);
	if (str_field(o, "dst"))
		snprintf(dst, sizeof(dst), "%s%s%s:%lld",
			 strchr(str_field(o, "dst"), ':') ? "[" : "", str_field(o, "dst"),
			 strchr(str_field(o, "dst"), ':') ? "]" : "", int_field(o, "dport"));
	else
		snprintf(dst, sizeof(dst), "(socket)");
	printable(str_field(o, "comm") ? str_field(o, "comm") : "?", comm, sizeof(comm));
	snprintf(proc, sizeof(proc), "%lld/%s", int_field(o, "pid"), comm);
	printf("%-27s %-5s %-28s %-22s %-26s %-6s %s", t ? t : "?",
	       str_field(o, "verdict") ? str_field(o, "verdict") : "?", who ? who : "?", proc, dst,
	       str_field(o, "protocol") ? str_field(o, "protocol") : "?",
	       str_field(o, "reason") ? str_field(o, "reason") : "?");
	if (sup > 0)
		printf(" (+%lld more, folded)", sup);
	putchar('\n');
}

static void handle_line(const struct filter *f, const char *line)
{
	json_object *o = json_tokener_parse(line);

	if (!o)
		return;
	if (matches(f, o))
		print_record(f, line, o);
	json_object_put(o);
}

static void header(const struct filter *f)
{
	if (!f->json && f->dns)
		printf("%-27s %-12s %-28s %-6s %-40s %s\n", "TIME", "VERDICT", "CGROUP", "TYPE",
		       "NAME", "ANSWER");
	else if (!f->json)
		printf("%-27s %-5s %-28s %-22s %-26s %-6s %s\n", "TIME", "MODE", "CGROUP",
		       "PID/COMM", "DESTINATION", "PROTO", "REASON");
}

/* Reads whole lines from fd; a last partial line waits in carry. */
static void read_lines(const struct filter *f, int fd, char **carry, size_t *clen)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf, *nl;
		size_t left = n;

		while ((nl = memchr(p, '\n', left))) {
			size_t len = nl - p;
			char *line = malloc(*clen + len + 1);

			if (!line)
				return;
			memcpy(line, *carry, *clen);
			memcpy(line + *clen, p, len);
			line[*clen + len] = '\0';
			handle_line(f, line);
			free(line);
			*clen = 0;
			left -= len + 1;
			p = nl + 1;
		}
		if (left) {
			char *c = realloc(*carry, *clen + left);

			if (!c)
				return;
			memcpy(c + *clen, p, left);
			*carry = c;
			*clen += left;
		}
	}
	fflush(stdout);
}

static volatile bool stop_follow;

static void on_stop(int sig)
{
	(void)sig;
	stop_follow = true;
}

/* Follows the log across rotation: the old file is read to its end
 * before the new one is opened. */
static void follow_file(const struct filter *f, const char *path, int fd)
{
	char *carry = NULL;
	size_t clen = 0;

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	while (!stop_follow) {
		struct stat cur, now;
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		if (fd >= 0)
			read_lines(f, fd, &carry, &clen);
		if (fd < 0 || (!stat(path, &now) && !fstat(fd, &cur) && now.st_ino != cur.st_ino)) {
			if (fd >= 0) {
				read_lines(f, fd, &carry, &clen);
				close(fd);
				clen = 0;
			}
			fd = open(path, O_RDONLY | O_CLOEXEC);
			continue;
		}
		nanosleep(&ts, NULL);
	}
	if (fd >= 0)
		close(fd);
	free(carry);
}

static void echo_record(const char *json, void *ctx)
{
	handle_line(ctx, json);
	fflush(stdout);
}

/* 10m, 2h, 30s, 1d ago; or an ISO time (UTC); into f->since. */
static int parse_since(const char *s, char *out, size_t len)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	time_t t;
	struct tm tm = {};

	if (end != s && v >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
		long long mult = end[0] == 's' ? 1 :
				 end[0] == 'm' ? 60 :
				 end[0] == 'h' ? 3600 :
						 86400;

		t = time(NULL) - v * mult;
		gmtime_r(&t, &tm);
	} else {
		const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

		if (!rest)
			rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
		if (!rest) {
			memset(&tm, 0, sizeof(tm));
			rest = strptime(s, "%Y-%m-%d", &tm);
		}
		if (!rest || (*rest && strcmp(rest, "Z")))
			return -EINVAL;
	}
	/* the audit records' own form, so that strings compare as times */
	return strftime(out, len, "%Y-%m-%dT%H:%M:%S.000000Z", &tm) ? 0 : -EINVAL;
}

static int make_filter(const struct rcc_args *a, struct filter *f)
{
	memset(f, 0, sizeof(*f));
	f->json = a->json;
	f->dns = a->dns;
	f->container = a->container;
	if (a->cgroup) {
		char mnt[PATH_MAX];

		/* the cgroup may be gone: a path, not a lookup */
		if ((a->cgroup[0] == '/' || rcc_cgroup_mount(mnt, sizeof(mnt)) ?
			     rcc_snprintf(f->cgroup, sizeof(f->cgroup), "%s", a->cgroup) :
			     rcc_snprintf(f->cgroup, sizeof(f->cgroup), "%s/%s", mnt, a->cgroup))) {
			pr_warn("log: --cgroup '%s' is too long\n", a->cgroup);
			return RCC_EXIT_USAGE;
		}
		while (strlen(f->cgroup) > 1 && f->cgroup[strlen(f->cgroup) - 1] == '/')
			f->cgroup[strlen(f->cgroup) - 1] = '\0';
	}
	if (a->since && parse_since(a->since, f->since, sizeof(f->since))) {
		pr_warn("log: bad --since '%s' (e.g. 10m, 2h, 1d, 2026-11-23T10:00:00Z)\n",
			a->since);
		return RCC_EXIT_USAGE;
	}
	if (a->dst) {
		struct rcc_entry e;
		char err[128];

		if (rcc_entry_parse(a->dst, RCC_ACT_DENY, &e, err, sizeof(err)) || e.host[0] ||
		    e.nports) {
			pr_warn("log: bad --dst '%s' (ADDR or ADDR/PREFIX)\n", a->dst);
			if (!err[0])
				rcc_entry_release(&e);
			return RCC_EXIT_USAGE;
		}
		memcpy(f->dst, e.addr, 16);
		f->dst_plen = e.plen;
		f->has_dst = true;
		rcc_entry_release(&e);
	}
	return RCC_EXIT_OK;
}

/* Prints the records of every log file, oldest first; returns the live
 * file, left open when following it, else -1. */
static int print_files(const struct rcc_config *cfg, struct filter *f, char **files, size_t n,
		       bool follow)
{
	int fd = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		char *carry = NULL;
		size_t clen = 0;
		int lfd = open(files[i], O_RDONLY | O_CLOEXEC);

		if (lfd < 0)
			continue;
		read_lines(f, lfd, &carry, &clen);
		free(carry);
		if (follow && !strcmp(files[i], cfg->audit_log))
			fd = lfd;
		else
			close(lfd);
	}
	return fd;
}

/* -f: with no daemon running, this command consumes the ring itself
 * (and writes the log) while it runs; else it follows the file. */
static int follow(const struct rcc_config *cfg, struct filter *f, int fd)
{
	struct rcc_audit *au = NULL;
	struct rcc_kernel k;
	int rc;

	if (!geteuid() && !rcc_kernel_open(cfg, false, false, &k)) {
		if (!rcc_audit_open(cfg, &k, echo_record, f, &au)) {
			if (fd >= 0)
				close(fd);
			pr_info("rcc-bpf: no daemon is running: reading the events here, writing %s\n",
				cfg->audit_log);
			rc = rcc_consume_run(au) ? RCC_EXIT_FAIL : RCC_EXIT_OK;
			rcc_audit_close(au);
			rcc_kernel_close(&k);
			return rc;
		}
		rcc_kernel_close(&k);
	}
	follow_file(f, cfg->audit_log, fd);
	return RCC_EXIT_OK;
}

int cmd_log(struct rcc_args *a)
{
	struct rcc_config cfg = {};
	char **files = NULL;
	struct filter f;
	size_t n = 0;
	int rc, fd;

	rc = cli_load_config(a, &cfg);
	if (rc)
		goto out;
	rc = make_filter(a, &f);
	if (rc)
		goto out;
	if (rcc_auditlog_files(cfg.audit_log, cfg.audit_keep, &files, &n)) {
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	if (!n && !a->follow) {
		pr_warn("no audit log at '%s' yet (rcc-bpf daemon writes it)\n", cfg.audit_log);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	header(&f);
	fd = print_files(&cfg, &f, files, n, a->follow);
	if (a->follow)
		rc = follow(&cfg, &f, fd);
out:
	rcc_auditlog_files_free(files, n);
	rcc_config_free(&cfg);
	return rc;
}
