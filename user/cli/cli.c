// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "host/cgroup.h"
#include "cli/cli.h"
#include "kernel/bpflog.h"
#include "lib/log.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

enum {
	RCC_OPT_END,
	RCC_OPT_CGROUP,
	RCC_OPT_PID,
	RCC_OPT_POLICY,
	RCC_OPT_USER,
	RCC_OPT_JSON,
	RCC_OPT_FOLLOW,
	RCC_OPT_CONTAINER,
	RCC_OPT_SINCE,
	RCC_OPT_DST,
	RCC_OPT__MAX,
};

static const struct {
	const char *name;
	int has_arg;
	const char *metavar;
	const char *help;
} opt_table[RCC_OPT__MAX] = {
	[RCC_OPT_CGROUP] = { "cgroup", 1, "PATH",
		"cgroup v2 path, absolute or relative to the cgroup2 mount" },
	[RCC_OPT_PID] = { "pid", 1, "PID", "the cgroup v2 of this process" },
	[RCC_OPT_POLICY] = { "policy", 1, "NAME",
		"policy to enforce (default: a container's rcc-bpf.policy label, else the policy of the nearest enforced cgroup above, else [containers] default_policy, else 'default')" },
	[RCC_OPT_USER] = { "user", 1, "USER",
		"run COMMAND as USER (default: the user who called sudo)" },
	[RCC_OPT_JSON] = { "json", 0, NULL, "machine-readable output" },
	[RCC_OPT_FOLLOW] = { "follow", 0, NULL,
		"-f: keep printing new records (across rotation)" },
	[RCC_OPT_CONTAINER] = { "container", 1, "ID", "records of this container (id prefix or name)" },
	[RCC_OPT_SINCE] = { "since", 1, "TIME", "records from TIME on: 10m, 2h, 1d, or 2026-11-23T10:00:00Z" },
	[RCC_OPT_DST] = { "dst", 1, "ADDR[/PREFIX]", "records to these destinations" },
};

static const unsigned target_opts[] = { RCC_OPT_CGROUP, RCC_OPT_PID, RCC_OPT_POLICY, 0 };
static const unsigned detach_opts[] = { RCC_OPT_CGROUP, RCC_OPT_PID, 0 };
static const unsigned run_opts[] = { RCC_OPT_POLICY, RCC_OPT_USER, 0 };
static const unsigned status_opts[] = { RCC_OPT_JSON, 0 };
static const unsigned check_opts[] = { RCC_OPT_POLICY, 0 };
static const unsigned no_opts[] = { 0 };
static const unsigned log_opts[] = { RCC_OPT_FOLLOW, RCC_OPT_JSON, RCC_OPT_CONTAINER,
				     RCC_OPT_CGROUP, RCC_OPT_SINCE, RCC_OPT_DST, 0 };

static const struct rcc_cmd commands[] = {
	{ "attach", "(CONTAINER | --cgroup PATH | --pid PID) [--policy NAME]",
	  "enforce a policy on a container or cgroup and everything below it",
	  target_opts, 0, 1, true, cmd_attach },
	{ "detach", "(CONTAINER | --cgroup PATH | --pid PID)",
	  "stop enforcing on a container or cgroup", detach_opts, 0, 1, true, cmd_detach },
	{ "run", "[--policy NAME] [--user USER] -- COMMAND [ARG...]",
	  "run COMMAND in a new enforced cgroup as USER, with no_new_privs, in its own session "
	  "and pty; what it leaves behind is killed",
	  run_opts, 1, -1, true, cmd_run },
	{ "status", "[--json]", "show enforced cgroups, policies, counters, the daemon's hostnames and the host's addresses",
	  status_opts, 0, 0, true, cmd_status },
	{ "reload", "", "re-read the configuration and update the loaded policies (through the daemon when one runs)",
	  no_opts, 0, 0, true, cmd_reload },
	{ "check", "[--policy NAME] (ADDRESS | HOSTNAME) [PORT[/PROTO]]",
	  "explain the verdict for a destination; a hostname is resolved, each address explained",
	  check_opts, 1, 2, false, cmd_check },
	{ "validate", "", "check the configuration; exit 0 if good, 2 if not",
	  no_opts, 0, 0, false, cmd_validate },
	{ "daemon", "", "enforce on containers as they start, keep hostnames and the host's addresses fresh, write the audit log",
	  no_opts, 0, 0, true, cmd_daemon },
	{ "oci-hook", "< OCI-STATE-JSON",
	  "OCI runtime hook: enforce on the container's cgroup before it starts",
	  no_opts, 0, 0, true, cmd_oci_hook },
	{ "log", "[-f] [--json] [--container ID] [--cgroup PATH] [--since TIME] [--dst ADDR[/PREFIX]]",
	  "show the audit log of denials", log_opts, 0, 0, false, cmd_log },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage_cmd(FILE *f, const struct rcc_cmd *c)
{
	const unsigned *o;

	fprintf(f, "Usage: rcc-bpf [-c FILE] %s %s\n\n%s.\n\nOptions:\n", c->name,
		c->usage, c->summary);
	for (o = c->opts; *o; o++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opt_table[*o].name,
			 opt_table[*o].metavar ? " " : "",
			 opt_table[*o].metavar ? opt_table[*o].metavar : "");
		fprintf(f, "  %-20s %s\n", left, opt_table[*o].help);
	}
	fprintf(f, "  %-20s %s\n", "-c, --config FILE",
		"configuration (default $RCC_BPF_CONFIG or " RCC_DEFAULT_CONFIG ")");
	fprintf(f, "  %-20s %s\n", "-v, --verbose", "debug output");
	fprintf(f, "  %-20s %s\n", "-h, --help", "this help");
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: rcc-bpf [-c FILE] [-v] COMMAND [OPTIONS]\n\n"
		   "Keeps sandboxed processes from reaching the private network, with\n"
		   "BPF programs on their cgroup v2.\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
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

static int parse_cmd_args(const struct rcc_cmd *c, int argc, char **argv,
			  struct rcc_args *a)
{
	struct option longopts[RCC_OPT__MAX + 4];
	const unsigned *o;
	int n = 0, ch;

	for (o = c->opts; *o; o++)
		longopts[n++] = (struct option){ opt_table[*o].name, opt_table[*o].has_arg,
						 NULL, 256 + *o };
	longopts[n++] = (struct option){ "config", 1, NULL, 'c' };
	longopts[n++] = (struct option){ "verbose", 0, NULL, 'v' };
	longopts[n++] = (struct option){ "help", 0, NULL, 'h' };
	longopts[n] = (struct option){ 0 };
	optind = 0; /* 0: glibc starts afresh, permutation state included */
	opterr = 0;
	/* run: stop at the first non-option, so COMMAND keeps its own;
	 * elsewhere options may follow the arguments */
	while ((ch = getopt_long(argc, argv, c->run == cmd_run ? "+c:vhf" : "c:vhf", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'f':
			if (c->run != cmd_log) {
				pr_warn("%s: unknown option '-f'; see 'rcc-bpf %s --help'\n",
					c->name, c->name);
				return RCC_EXIT_USAGE;
			}
			a->follow = true;
			break;
		case 256 + RCC_OPT_FOLLOW:
			a->follow = true;
			break;
		case 256 + RCC_OPT_CONTAINER:
			a->container = optarg;
			break;
		case 256 + RCC_OPT_SINCE:
			a->since = optarg;
			break;
		case 256 + RCC_OPT_DST:
			a->dst = optarg;
			break;
		case 'v':
			rcc_log_set_level(RCC_LOG_DEBUG);
			break;
		case 'h':
			usage_cmd(stdout, c);
			return -1;
		case 256 + RCC_OPT_CGROUP:
			a->cgroup = optarg;
			break;
		case 256 + RCC_OPT_PID:
			if (parse_pid(optarg, &a->pid)) {
				pr_warn("%s: bad pid '%s'\n", c->name, optarg);
				return RCC_EXIT_USAGE;
			}
			break;
		case 256 + RCC_OPT_POLICY:
			a->policy = optarg;
			break;
		case 256 + RCC_OPT_USER:
			a->user = optarg;
			break;
		case 256 + RCC_OPT_JSON:
			a->json = true;
			break;
		default:
			if (optopt && optopt < 256)
				pr_warn("%s: unknown option '-%c'; see 'rcc-bpf %s --help'\n",
					c->name, optopt, c->name);
			else if (optopt >= 256)
				pr_warn("%s: option '--%s' needs a value\n", c->name,
					opt_table[optopt - 256].name);
			else
				pr_warn("%s: unknown option '%s'; see 'rcc-bpf %s --help'\n",
					c->name, argv[optind - 1], c->name);
			return RCC_EXIT_USAGE;
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

int rcc_main(int argc, char **argv)
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
	for (i = 0; i < NCOMMANDS; i++)
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
