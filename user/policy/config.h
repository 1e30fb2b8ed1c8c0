/* SPDX-License-Identifier: GPL-2.0 */
/* The INI configuration: [global] and [policy NAME] sections. */
#ifndef RCC_CONFIG_H
#define RCC_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "policy/entry.h"

#define RCC_DEFAULT_CONFIG "/etc/rcc-bpf/rcc-bpf.conf"
#define RCC_DEFAULT_PIN_DIR "/sys/fs/bpf/rcc-bpf"
#define RCC_DEFAULT_RUN_CGROUP "rcc-bpf.run"
#define RCC_POLICY_NAME_MAX 64
#define RCC_DEFAULT_AUDIT_LOG "/var/log/rcc-bpf/audit.jsonl"
#define RCC_DEFAULT_CONTROL_SOCKET "/run/rcc-bpf/control.sock"
#define RCC_DEFAULT_RUNTIME_SOCKETS              \
	"/var/run/docker.sock /run/docker.sock " \
	"/run/podman/podman.sock /run/containerd/containerd.sock /run/crio/crio.sock"

struct rcc_policy_cfg {
	char name[RCC_POLICY_NAME_MAX];
	int line;
	bool audit;
	bool block_private;
	bool block_host;
	bool allow_loopback;
	bool allow_public;
	bool allow_raw_sockets;
	bool dns_proxy; /* dns = proxy: rcc-bpf answers the sandbox's DNS */
	__u64 protocols[8]; /* allow_protocols, bit n = protocol n */
	struct rcc_entry *entries;
	size_t nentries, cap;
	unsigned seen; /* scalar keys already given */
};

struct rcc_config {
	char path[PATH_MAX]; /* "" for the built-in default */
	char pin_dir[PATH_MAX];
	char run_cgroup[PATH_MAX];
	__u32 max_cgroups;
	__u32 max_ports;
	__u32 max_addrs;
	__u32 max_prefixes;
	__u32 ring_size; /* bytes, a power of two */
	char audit_log[PATH_MAX];
	__u64 audit_max_bytes;
	__u32 audit_keep;
	__u32 audit_rate; /* events a second per cgroup and destination */
	__u32 audit_fsync_ms;
	/* DNS: how the daemon keeps hostname entries fresh, and how long
	 * the proxy's answers last (seconds) */
	__u32 dns_min_ttl, dns_max_ttl, dns_stale_grace;
	__u32 dns_max_learned; /* rcc_learned's size: addresses answers allowed */
	/* dns = proxy: queries a second per sandbox (a token bucket whose
	 * burst is the same number); seconds an answer's addresses outlive
	 * its TTL */
	__u32 dns_query_rate, dns_answer_grace;
	char resolver[80];	       /* "" : /etc/resolv.conf; else ADDR[:PORT] */
	char control_socket[PATH_MAX]; /* the daemon answers status here */
	char runtime_sockets[1024];    /* run warns when its user can write one */
	/* [containers] */
	char default_policy[RCC_POLICY_NAME_MAX];
	int default_policy_line;
	bool enforce_all;	       /* enforce = all (else: labelled only) */
	bool allow_sys_admin;	       /* the hook starts CAP_SYS_ADMIN containers unguarded */
	bool allow_net_admin;	       /* the hook starts CAP_NET_ADMIN containers */
	struct rcc_parent {	       /* attach = CGROUP [POLICY]: the daemon's */
		char cgroup[PATH_MAX]; /* relative to the cgroup2 mount */
		char policy[RCC_POLICY_NAME_MAX];
		int line;
	} * parents;
	size_t nparents;
	/* label_policies = NAME...: what a run-time label may choose;
	 * unset (label_policies_line 0): every policy */
	char (*label_policies)[RCC_POLICY_NAME_MAX];
	size_t nlabel_policies;
	int label_policies_line;
	struct rcc_policy_cfg *policies;
	size_t npolicies;
};

/*
 * Loads path (NULL: $RCC_BPF_CONFIG, else the default path, else the
 * built-in default policy).  Problems are printed as FILE:LINE: problem,
 * all of them; returns 0, or -EINVAL when any was found, or -errno when
 * the file cannot be read.
 */
int rcc_config_load(const char *path, struct rcc_config *cfg);
/* Parses text as if read from name (for tests). */
int rcc_config_parse_string(const char *name, const char *text, struct rcc_config *cfg);
void rcc_config_free(struct rcc_config *cfg);
const struct rcc_policy_cfg *rcc_config_policy(const struct rcc_config *cfg, const char *name);
void rcc_config_policy_defaults(struct rcc_policy_cfg *p, const char *name);
/*
 * The policy a container's run-time label (or annotation) names, when it
 * may choose it: defined, and listed in label_policies when that is set.
 * NULL otherwise, with the reason in why.
 */
const struct rcc_policy_cfg *rcc_config_label_policy(const struct rcc_config *cfg,
						     const char *label, char *why, size_t len);

/* Every key of every section with its values, default and one line of
 * help: plain for validate --help, or as man page source (roff). */
void rcc_config_keys_print(FILE *f, bool man);

#endif
