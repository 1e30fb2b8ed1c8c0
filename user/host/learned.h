/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What DNS answers allowed one sandbox (dns = proxy): per name, the
 * addresses rcc-bpf answered and until when, and the port rules of the
 * allow entries that admitted the name.  Every change goes to the kernel
 * at once (rcc_learned: enforced cgroup + address -> the union of the
 * rules of every name holding the address), before the answer leaves.
 *
 * An address stays for its TTL (clamped to dns_min_ttl..dns_max_ttl)
 * plus dns_answer_grace.  A name holds at most RCC_LEARNED_ADDRS_MAX:
 * past that, the least recently answered address whose time is up makes
 * room, never one still in use; with none, the new one is refused.  A
 * sandbox holds at most RCC_LEARNED_NAMES_MAX names (a wildcard makes
 * names cheap), and RCC_LEARNED_SANDBOX_MAX addresses, so that one
 * sandbox cannot fill max_learned_entries for all: past either, a new
 * one is refused.
 */
#ifndef RCC_LEARNED_H
#define RCC_LEARNED_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "rcc_shared.h"

#define RCC_LEARNED_ADDRS_MAX 256
#define RCC_LEARNED_NAMES_MAX 4096 /* names one sandbox holds addresses for */
#define RCC_LEARNED_SANDBOX_MAX 8192 /* addresses one sandbox holds: its share of the map */

struct json_object;

struct rcc_learned_addr {
	__u8 addr[16];
	__u64 expires_ms;
	__u64 answered_ms;
};

struct rcc_learned_name {
	char *name;
	struct rcc_learned_name *next; /* in its hash bucket */
	struct rcc_rule rules[RCC_MAX_RULES];
	size_t nrules;
	struct rcc_learned_addr *addrs;
	size_t n;
};

struct rcc_learned_at; /* one address and the names holding it */

#define RCC_LEARNED_BUCKETS 4096

struct rcc_learned {
	__u64 cgroup_id;
	int map_fd;			 /* rcc_learned; not owned */
	struct rcc_learned_name **names; /* n of them, in no order */
	size_t n, cap;
	/* indexes, so that an answer costs the same with ten names or ten
	 * thousand: names by name, addresses by address */
	struct rcc_learned_name **by_name;
	struct rcc_learned_at **by_addr;
	size_t naddrs; /* distinct addresses, each one kernel entry */
};

/* Why an address was not added (struct rcc_learned_result.why). */
enum rcc_learned_refusal {
	RCC_LEARNED_OK = 0,
	RCC_LEARNED_NAME_FULL, /* RCC_LEARNED_ADDRS_MAX in use */
	RCC_LEARNED_MAP_FULL,  /* the kernel map: max_learned_entries */
	RCC_LEARNED_FAILED,    /* another kernel error */
};

/* 0 or -ENOMEM. */
int rcc_learned_init(struct rcc_learned *l, __u64 cgroup_id, int map_fd);
/* Drops every address from the kernel too. */
void rcc_learned_clear(struct rcc_learned *l);
/* Frees l, leaving the kernel's entries as they are (for a successor). */
void rcc_learned_release(struct rcc_learned *l);

/*
 * Allows addr for name under rules until expires_ms, in the kernel
 * first.  Returns RCC_LEARNED_OK when the sandbox may now reach it, or
 * why not (nothing changed then).
 */
enum rcc_learned_refusal rcc_learned_add(struct rcc_learned *l, const char *name,
					 const struct rcc_rule *rules, size_t nrules,
					 const __u8 addr[16], __u64 expires_ms, __u64 now);
/* Takes up an address the kernel allows with value v (a predecessor's
 * answer, name unknown) until until_ms; the kernel entry stays as it is.
 * Each goes under a name of its own, so that its rules stay its own. */
void rcc_learned_adopt(struct rcc_learned *l, const __u8 addr[16], const struct rcc_prefix_val *v,
		       __u64 until_ms);
/* Drops the addresses whose time is up; how many went. */
size_t rcc_learned_expire(struct rcc_learned *l, __u64 now);
/* Drops a name (a reload no longer allows it) with its addresses. */
void rcc_learned_forget(struct rcc_learned *l, const char *name);
/* Gives a name new rules (a reload changed its entries). */
void rcc_learned_set_rules(struct rcc_learned *l, const char *name, const struct rcc_rule *rules,
			   size_t nrules);
/* At most max names as a JSON array: name, addresses with seconds left. */
struct json_object *rcc_learned_to_json(const struct rcc_learned *l, __u64 now, size_t max);

#endif
