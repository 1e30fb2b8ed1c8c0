/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line: option tables, help, the environment check, commands. */
#ifndef RCC_CLI_H
#define RCC_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "policy/config.h"
#include "host/names.h"
#include "kernel/kernel.h"

enum { RCC_EXIT_OK = 0, RCC_EXIT_FAIL = 1, RCC_EXIT_USAGE = 2 };

/* Every option any command takes, parsed into one place. */
struct rcc_args {
	const char *config;
	const char *cgroup;
	const char *policy;
	const char *user;
	pid_t pid;
	bool json;
	bool follow;
	bool dns; /* log: the DNS proxy's records instead of denials */
	const char *container;
	const char *since;
	const char *dst;
	int argc; /* positional arguments */
	char **argv;
};

struct cli_opt;

#define CLI_OPTS_MAX 16 /* options one command takes */

struct rcc_cmd {
	const char *name;
	const char *usage; /* after "rcc-bpf [-c FILE] NAME " */
	const char *summary;
	const struct cli_opt *const *opts; /* NULL-ended */
	int min_args, max_args;		   /* positional; max -1: any */
	bool needs_kernel;		   /* root, cgroup2, BTF, cgroup BPF */
	bool options_first;		   /* options end at the first argument (run's
				 * COMMAND keeps its own); else they may follow */
	void (*more_help)(FILE *f);	   /* after the options in --help */
	int (*run)(struct rcc_args *a);
};

/* Commands (cmd_*.c). */
int cmd_attach(struct rcc_args *a);
int cmd_detach(struct rcc_args *a);
int cmd_run(struct rcc_args *a);
int cmd_status(struct rcc_args *a);
int cmd_reload(struct rcc_args *a);
int cmd_check(struct rcc_args *a);
int cmd_validate(struct rcc_args *a);
int cmd_daemon(struct rcc_args *a);
int cmd_log(struct rcc_args *a);
int cmd_oci_hook(struct rcc_args *a);

int cli_main(int argc, char **argv);

/* Helpers the commands share. */
/* Loads the configuration; prints problems; RCC_EXIT_* */
int cli_load_config(const struct rcc_args *a, struct rcc_config *cfg);
/* The policy --policy names (or "default"), or NULL with a message. */
const struct rcc_policy_cfg *cli_policy(const struct rcc_config *cfg, const char *name);
/* --cgroup or --pid into a cgroup path; RCC_EXIT_* with a message. */
int cli_target_cgroup(const struct rcc_args *a, char *path, size_t len);
struct rcc_container;
/* CONTAINER (the positional argument), --cgroup or --pid into a cgroup
 * path; c is filled when a container was named.  RCC_EXIT_* */
int cli_target(const struct rcc_args *a, char *path, size_t len, struct rcc_container *c,
	       bool *is_container);
/* The policy for a target: --policy, else the container's label when it
 * may choose (else warned), else [containers] default_policy (containers)
 * or "default". */
const struct rcc_policy_cfg *cli_policy_for(const struct rcc_config *cfg, const char *option,
					    const struct rcc_container *c);
/* Compile options for this host: its addresses (block_host, rebinding
 * guard; rcc_hostaddr_read, as the daemon reads them) and the addresses of
 * cfg's hostnames. */
struct cli_compile {
	struct rcc_compile_opts o;
	struct rcc_addr_list host;
	struct rcc_names names;
	bool from_daemon; /* the names came from rcc-bpf daemon */
};
/* The options over c's own table of cfg's names, none asked yet (the
 * daemon's start); 0 or -ENOMEM. */
int cli_compile_init(const struct rcc_config *cfg, enum rcc_dns_mode mode, struct cli_compile *c);
/* With ask_daemon, the names come from the daemon's table when it
 * answers, so that a one-shot command loads what the daemon keeps;
 * otherwise (and for names it lacks) DNS is asked once, here. */
void cli_compile_prepare(const struct rcc_config *cfg, enum rcc_dns_mode mode, bool ask_daemon,
			 struct cli_compile *c);
void cli_compile_release(struct cli_compile *c);
struct json_object;
/* The daemon's JSON answer to req (see control.h), or NULL when no daemon
 * answers on control_socket (said when it is there but does not answer). */
struct json_object *cli_daemon_ask(const struct rcc_config *cfg, const char *req);
/* After enforcing the cgroup at path: under a dns = proxy policy, waits
 * (2 s at most) for the daemon's DNS listener, or says (prefix first)
 * that nobody answers and what that means.  Lets go of k's lock. */
void cli_dns_check(const struct rcc_config *cfg, struct rcc_kernel *k, const char *path,
		   const char *prefix);
/* The daemon's name table (rcc_names_to_json), or NULL as above. */
struct json_object *cli_daemon_names(const struct rcc_config *cfg);
/* Opens the kernel state and loads cfg into it (o: NULL for a one-shot
 * command's own); RCC_EXIT_* */
int cli_open_and_apply(const struct rcc_config *cfg, struct rcc_kernel *k,
		       const struct rcc_compile_opts *o);

#endif
