// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "lib/cgroup.h"
#include "cli/cli.h"
#include "kernel/bpflog.h"
#include "lib/log.h"
#include "lib/util.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * Every option any command takes: where it goes in struct rcc_args and
 * what it is.  A command lists the ones it takes; its getopt tables and
 * its --help come from here.
 */
enum opt_type {
	OPT_STR,  /* const char *, the value as given */
	OPT_FLAG, /* bool, set when given */
	OPT_PID,  /* pid_t, checked */
};

struct cli_opt {
	const char *name;
	char short_name; /* 0: none */
	enum opt_type type;
	size_t off;	     /* in struct rcc_args */
	const char *metavar; /* NULL for a flag */
	const char *help;
};

#define ARG(m) offsetof(struct rcc_args, m)

static const struct cli_opt opt_cgroup = {
	"cgroup",    0,	     OPT_STR,
	ARG(cgroup), "PATH", "cgroup v2 path, absolute or relative to the cgroup2 mount"
};
static const struct cli_opt opt_pid = { "pid",	  0,	 OPT_PID,
					ARG(pid), "PID", "the cgroup v2 of this process" };
static const struct cli_opt opt_policy = {
	"policy",
	0,
	OPT_STR,
	ARG(policy),
	"NAME",
	"policy to enforce (default: a container's rcc-bpf.policy label, else the policy of the nearest enforced cgroup above, else [containers] default_policy, else 'default')"
};
static const struct cli_opt opt_user = {
	"user",	   0,	   OPT_STR,
	ARG(user), "USER", "run COMMAND as USER (default: the user who called sudo)"
};
static const struct cli_opt opt_json = { "json",    0,	  OPT_FLAG,
					 ARG(json), NULL, "machine-readable output" };
static const struct cli_opt opt_follow = {
	"follow", 'f', OPT_FLAG, ARG(follow), NULL, "keep printing new records (across rotation)"
};
static const struct cli_opt opt_container = {
	"container",	0,    OPT_STR,
	ARG(container), "ID", "records of this container (id prefix or name)"
};
static const struct cli_opt opt_since = {
	"since",    0,	    OPT_STR,
	ARG(since), "TIME", "records from TIME on: 10m, 2h, 1d, or 2026-11-23T10:00:00Z"
};
static const struct cli_opt opt_dns = {
	"dns", 0, OPT_FLAG, ARG(dns), NULL,
	"the DNS queries the proxy answered (dns = proxy), instead of the denials"
};
static const struct cli_opt opt_dst = { "dst",		 0,
					OPT_STR,	 ARG(dst),
					"ADDR[/PREFIX]", "records to these destinations" };

#define OPTS(...)                       \
	(const struct cli_opt *const[]) \
	{                               \
		__VA_ARGS__, NULL       \
	}

static void validate_help(FILE *f)
{
	fputs("\nConfiguration keys:\n", f);
	rcc_config_keys_print(f, false);
}

static const struct rcc_cmd commands[] = {
	{ "attach", "(CONTAINER | --cgroup PATH | --pid PID) [--policy NAME]",
	  "enforce a policy on a container or cgroup and everything below it",
	  OPTS(&opt_cgroup, &opt_pid, &opt_policy), 0, 1, .needs_kernel = true, .run = cmd_attach },
	{ "detach", "(CONTAINER | --cgroup PATH | --pid PID)",
	  "stop enforcing on a container or cgroup", OPTS(&opt_cgroup, &opt_pid), 0, 1,
	  .needs_kernel = true, .run = cmd_detach },
	{ "run", "[--policy NAME] [--user USER] -- COMMAND [ARG...]",
	  "run COMMAND in a new enforced cgroup as USER, with no_new_privs, in its own session "
	  "and pty; what it leaves behind is killed",
	  OPTS(&opt_policy, &opt_user), 1, -1, .needs_kernel = true, .options_first = true,
	  .run = cmd_run },
	{ "status", "[--json]",
	  "show enforced cgroups, policies, counters, the daemon's hostnames and the host's addresses",
	  OPTS(&opt_json), 0, 0, .needs_kernel = true, .run = cmd_status },
	{ "reload", "",
	  "re-read the configuration and update the loaded policies (through the daemon when one runs)",
	  OPTS(NULL), 0, 0, .needs_kernel = true, .run = cmd_reload },
	{ "check", "[--policy NAME] (ADDRESS | HOSTNAME) [PORT[/PROTO]]",
	  "explain the verdict for a destination; for a hostname, what each policy's DNS proxy answers and why (dns = open: resolved, each address explained)",
	  OPTS(&opt_policy), 1, 2, .run = cmd_check },
	{ "validate", "", "check the configuration; exit 0 if good, 2 if not", OPTS(NULL), 0, 0,
	  .more_help = validate_help, .run = cmd_validate },
	{ "daemon", "",
	  "enforce on containers as they start, keep hostnames and the host's addresses fresh, write the audit log",
	  OPTS(NULL), 0, 0, .needs_kernel = true, .run = cmd_daemon },
	{ "oci-hook", "< OCI-STATE-JSON",
	  "OCI runtime hook: enforce on the container's cgroup before it starts", OPTS(NULL), 0, 0,
	  .needs_kernel = true, .run = cmd_oci_hook },
	{ "log",
	  "[-f] [--json] [--dns] [--container ID] [--cgroup PATH] [--since TIME] [--dst ADDR[/PREFIX]]",
	  "show the audit log of denials (--dns: of DNS queries)",
	  OPTS(&opt_follow, &opt_json, &opt_dns, &opt_container, &opt_cgroup, &opt_since, &opt_dst),
	  0, 0,
	  .run = cmd_log },
};

static void usage_cmd(FILE *f, const struct rcc_cmd *c)
{
	const struct cli_opt *const *o;

	fprintf(f, "Usage: rcc-bpf [-c FILE] %s %s\n\n%s.\n\nOptions:\n", c->name, c->usage,
		c->summary);
	for (o = c->opts; *o; o++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", (*o)->short_name ? "-" : "",
			 (*o)->short_name ? (*o)->short_name : ' ', (*o)->short_name ? ", " : "",
			 (*o)->name, (*o)->metavar ? " " : "", (*o)->metavar ? (*o)->metavar : "");
		fprintf(f, "  %-20s %s\n", left + !(*o)->short_name, (*o)->help);
	}
	fprintf(f, "  %-20s %s\n", "-c, --config FILE",
		"configuration (default $RCC_BPF_CONFIG or " RCC_DEFAULT_CONFIG ")");
	fprintf(f, "  %-20s %s\n", "-v, --verbose", "debug output");
	fprintf(f, "  %-20s %s\n", "-h, --help", "this help");
	if (c->more_help)
		c->more_help(f);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: rcc-bpf [-c FILE] [-v] COMMAND [OPTIONS]\n\n"
		   "Keeps sandboxed processes from reaching the private network, with\n"
		   "BPF programs on their cgroup v2.\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'rcc-bpf COMMAND --help' for a command's options; man rcc-bpf(8).\n"
		   "Exit status: 0 success, 1 failure, 2 usage or configuration error.\n");
}

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* Root, cgroup2, BTF, cgroup BPF: checked once, each with a remedy. */
static int check_environment(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	char mnt[PATH_MAX];

	/* CAP_DAC_OVERRIDE: the pins are mode 0, see kernel/object.c */
	if (syscall(SYS_capget, &h, d) || !has_cap(d, CAP_DAC_OVERRIDE) ||
	    !(has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_NET_ADMIN)))) {
		pr_warn("this command needs root (CAP_DAC_OVERRIDE, with CAP_SYS_ADMIN or CAP_BPF and CAP_NET_ADMIN): run it with sudo\n");
		return RCC_EXIT_FAIL;
	}
	if (rcc_cgroup_mount(mnt, sizeof(mnt))) {
		pr_warn("cgroup v2 is not mounted; mount it ('mount -t cgroup2 none /sys/fs/cgroup') or boot with systemd.unified_cgroup_hierarchy=1\n");
		return RCC_EXIT_FAIL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_warn("the kernel has no BTF (/sys/kernel/btf/vmlinux): rcc-bpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later)\n");
		return RCC_EXIT_FAIL;
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL) != 1) {
		pr_warn("the kernel cannot run cgroup BPF programs: it needs CONFIG_CGROUP_BPF=y and CONFIG_BPF_SYSCALL=y\n");
		return RCC_EXIT_FAIL;
	}
	return RCC_EXIT_OK;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x3fffffff)
		return -EINVAL;
	*pid = v;
	return 0;
}

/* Stores one option's value where its descriptor says; RCC_EXIT_*. */
static int opt_store(const struct rcc_cmd *c, const struct cli_opt *o, const char *value,
		     struct rcc_args *a)
{
	void *field = (char *)a + o->off;

	switch (o->type) {
	case OPT_STR:
		*(const char **)field = value;
		break;
	case OPT_FLAG:
		*(bool *)field = true;
		break;
	case OPT_PID:
		if (parse_pid(value, field)) {
			pr_warn("%s: bad pid '%s'\n", c->name, value);
			return RCC_EXIT_USAGE;
		}
		break;
	}
	return RCC_EXIT_OK;
}

/* getopt's tables for a command: its options (as 256 + index, or their
 * short letter) and the ones every command takes. */
static void getopt_tables(const struct rcc_cmd *c, struct option *longopts, char *shortopts)
{
	size_t n = 0;

	shortopts += sprintf(shortopts, "%sc:vh", c->options_first ? "+" : "");
	for (; c->opts[n]; n++) {
		longopts[n] = (struct option){ c->opts[n]->name, c->opts[n]->metavar != NULL, NULL,
					       256 + (int)n };
		if (c->opts[n]->short_name)
			shortopts += sprintf(shortopts, "%c%s", c->opts[n]->short_name,
					     c->opts[n]->metavar ? ":" : "");
	}
	longopts[n++] = (struct option){ "config", 1, NULL, 'c' };
	longopts[n++] = (struct option){ "verbose", 0, NULL, 'v' };
	longopts[n++] = (struct option){ "help", 0, NULL, 'h' };
	longopts[n] = (struct option){ 0 };
}

/* The option a getopt result stands for; NULL: none of the command's. */
static const struct cli_opt *opt_of(const struct rcc_cmd *c, int ch)
{
	size_t i;

	for (i = 0; c->opts[i]; i++)
		if (ch == 256 + (int)i || (ch < 256 && ch == c->opts[i]->short_name))
			return c->opts[i];
	return NULL;
}

static int bad_option(const struct rcc_cmd *c, char **argv)
{
	if (optopt && optopt < 256)
		pr_warn("%s: unknown option '-%c'; see 'rcc-bpf %s --help'\n", c->name, optopt,
			c->name);
	else if (optopt >= 256)
		pr_warn("%s: option '--%s' needs a value\n", c->name, c->opts[optopt - 256]->name);
	else
		pr_warn("%s: unknown option '%s'; see 'rcc-bpf %s --help'\n", c->name,
			argv[optind - 1], c->name);
	return RCC_EXIT_USAGE;
}

/* RCC_EXIT_*, or -1 when --help was shown. */
static int parse_cmd_args(const struct rcc_cmd *c, int argc, char **argv, struct rcc_args *a)
{
	struct option longopts[CLI_OPTS_MAX + 4];
	char shortopts[2 * CLI_OPTS_MAX + 8];
	const struct cli_opt *o;
	int ch, rc;

	getopt_tables(c, longopts, shortopts);
	optind = 0; /* 0: glibc starts afresh, permutation state included */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == 'c') {
			a->config = optarg;
		} else if (ch == 'v') {
			rcc_log_set_level(RCC_LOG_DEBUG);
		} else if (ch == 'h') {
			usage_cmd(stdout, c);
			return -1;
		} else if (ch != '?' && (o = opt_of(c, ch))) {
			if ((rc = opt_store(c, o, optarg, a)))
				return rc;
		} else {
			return bad_option(c, argv);
		}
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < c->min_args || (c->max_args >= 0 && a->argc > c->max_args)) {
		pr_warn("%s: %s arguments; usage: rcc-bpf %s %s\n", c->name,
			a->argc < c->min_args ? "missing" : "too many", c->name, c->usage);
		return RCC_EXIT_USAGE;
	}
	return RCC_EXIT_OK;
}

int cli_main(int argc, char **argv)
{
	struct rcc_args a = {};
	const struct rcc_cmd *c = NULL;
	static const struct option global[] = {
		{ "config", 1, NULL, 'c' },
		{ "verbose", 0, NULL, 'v' },
		{ "help", 0, NULL, 'h' },
		{ "version", 0, NULL, 'V' },
		{ 0 },
	};
	size_t i;
	int ch, rc;

	rcc_bpflog_hook();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:vh", global, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.config = optarg;
			break;
		case 'v':
			rcc_log_set_level(RCC_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return RCC_EXIT_OK;
		case 'V':
			printf("rcc-bpf %s\n", RCC_VERSION);
			return RCC_EXIT_OK;
		default:
			pr_warn("unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return RCC_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return RCC_EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			c = &commands[i];
	if (!c) {
		pr_warn("unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return RCC_EXIT_USAGE;
	}
	rc = parse_cmd_args(c, argc - optind, argv + optind, &a);
	if (rc)
		return rc < 0 ? RCC_EXIT_OK : rc;
	if (c->needs_kernel && (rc = check_environment()))
		return rc;
	return c->run(&a);
}
