// SPDX-License-Identifier: GPL-2.0
/* status: what is enforced where, and what it counted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/status_dns.h"
#include "host/container.h"
#include "host/hostaddr.h"
#include "host/caps.h"
#include "lib/log.h"

/* The container behind each enforced cgroup, where there is one. */
struct ct_row {
	char id[65];
	char name[256];
};

static void containers_of(const struct rcc_cgroup_info *cg, size_t n, struct ct_row *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char runtime[16];

		out[i].id[0] = out[i].name[0] = '\0';
		if (cg[i].path[0] && rcc_container_in_path(cg[i].path, out[i].id, runtime))
			rcc_container_name(out[i].id, runtime, out[i].name, sizeof(out[i].name));
	}
}

struct pol_row {
	__u32 id;
	char name[RCC_POLICY_NAME_MAX + 8];
	__u32 flags;
	struct rcc_counters stats;
};

static const char *mode_of(__u32 flags)
{
	return flags & RCC_POL_AUDIT ? "audit" : "enforce";
}

static void add_counters(json_object *o, const struct rcc_counters *c)
{
	json_object_object_add(o, "allowed", json_object_new_uint64(c->allowed));
	json_object_object_add(o, "denied", json_object_new_uint64(c->denied));
	json_object_object_add(o, "audited", json_object_new_uint64(c->audited));
}

static const struct pol_row *row_of(const struct pol_row *rows, size_t n, __u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].id == id)
			return &rows[i];
	return NULL;
}

static void audit_json(json_object *root, const struct rcc_audit_totals *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "denials", json_object_new_uint64(t->denials));
	json_object_object_add(o, "written", json_object_new_uint64(t->consumer.written));
	json_object_object_add(o, "folded", json_object_new_uint64(t->consumer.folded));
	json_object_object_add(o, "lost", json_object_new_uint64(t->lost));
	json_object_object_add(root, "audit", o);
}

static void audit_text(const struct rcc_audit_totals *t)
{
	__u64 seen = t->consumer.written + t->consumer.folded + t->lost;

	printf("\nAUDIT: %llu denials counted = %llu written + %llu folded into summaries + %llu lost (ring full)",
	       (unsigned long long)t->denials, (unsigned long long)t->consumer.written,
	       (unsigned long long)t->consumer.folded, (unsigned long long)t->lost);
	if (seen < t->denials)
		printf(" + %llu not read yet", (unsigned long long)(t->denials - seen));
	putchar('\n');
}

static void print_json(const struct rcc_cgroup_info *cg, size_t ncg, const struct ct_row *ct,
		       const struct pol_row *pol, size_t npol, const struct rcc_audit_totals *t,
		       bool guarded, json_object *names, json_object *host, json_object *dns)
{
	json_object *root = json_object_new_object();
	json_object *cgs = json_object_new_array(), *pols = json_object_new_array();
	size_t i;

	for (i = 0; i < ncg; i++) {
		const struct pol_row *p = row_of(pol, npol, cg[i].policy_id);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_uint64(cg[i].id));
		json_object_object_add(o, "path",
				       cg[i].path[0] ? json_object_new_string(cg[i].path) : NULL);
		json_object_object_add(o, "policy", json_object_new_string(p ? p->name : "?"));
		json_object_object_add(o, "mode",
				       json_object_new_string(p ? mode_of(p->flags) : "?"));
		json_object_object_add(o, "linked", json_object_new_boolean(cg[i].linked));
		json_object_object_add(o, "container",
				       ct[i].id[0] ? json_object_new_string(ct[i].id) : NULL);
		json_object_object_add(o, "container_name",
				       ct[i].name[0] ? json_object_new_string(ct[i].name) : NULL);
		add_counters(o, &cg[i].stats);
		status_dns_cgroup_json(o, &cg[i]);
		json_object_array_add(cgs, o);
	}
	for (i = 0; i < npol; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(pol[i].name));
		json_object_object_add(o, "id", json_object_new_uint64(pol[i].id));
		json_object_object_add(o, "mode", json_object_new_string(mode_of(pol[i].flags)));
		add_counters(o, &pol[i].stats);
		json_object_array_add(pols, o);
	}
	json_object_object_add(root, "cgroups", cgs);
	json_object_object_add(root, "policies", pols);
	audit_json(root, t);
	json_object_object_add(root, "bpf_guard", json_object_new_boolean(guarded));
	/* null: no daemon keeps the names fresh */
	json_object_object_add(root, "names", names ? json_object_get(names) : NULL);
	json_object_object_add(root, "host_addresses", host ? json_object_get(host) : NULL);
	/* null: no daemon answers DNS */
	json_object_object_add(root, "dns", dns ? json_object_get(dns) : NULL);
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static size_t config_names(const struct rcc_config *cfg)
{
	struct rcc_names t;
	size_t n;

	rcc_names_init(&t, cfg, NULL);
	rcc_names_set(&t, cfg);
	n = t.n;
	rcc_names_free(&t);
	return n;
}

static long secs(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return -1;
	return (long)((json_object_get_int64(v) + 999) / 1000);
}

static void names_text(const struct rcc_config *cfg, json_object *arr)
{
	size_t i, j, n = config_names(cfg);

	if (!arr) {
		if (n)
			printf("\nNAMES: %zu hostname%s resolved once when loaded; no rcc-bpf daemon answers on %s to keep them fresh\n",
			       n, n == 1 ? "" : "s", cfg->control_socket);
		return;
	}
	printf("\nNAMES (kept fresh by rcc-bpf daemon): %zu\n", json_object_array_length(arr));
	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v, *as, *in;
		long last = secs(o, "last_query_ago_ms");
		bool deny = json_object_get_boolean(json_object_object_get(o, "deny"));

		json_object_object_get_ex(o, "addresses", &as);
		json_object_object_get_ex(o, "refused_internal", &in);
		printf("%-32s %-8s", json_object_get_string(json_object_object_get(o, "name")),
		       json_object_get_string(json_object_object_get(o, "state")));
		if (last >= 0)
			printf(" asked %lds ago, next in %lds", last, secs(o, "next_in_ms"));
		if (json_object_object_get_ex(o, "error", &v) && v)
			printf("; last error: %s", json_object_get_string(v));
		printf("\n");
		if (json_object_get_boolean(json_object_object_get(o, "unresolved")))
			printf("    unresolved: %s\n",
			       rcc_names_unresolved_means(deny,
							  as && json_object_array_length(as)));
		for (j = 0; as && j < json_object_array_length(as); j++) {
			json_object *a = json_object_array_get_idx(as, j);
			long long ms =
				json_object_get_int64(json_object_object_get(a, "expires_in_ms"));

			if (ms >= 0)
				printf("    %-39s expires in %llds\n",
				       json_object_get_string(json_object_object_get(a, "addr")),
				       (ms + 999) / 1000);
			else
				printf("    %-39s expired %llds ago, kept %s\n",
				       json_object_get_string(json_object_object_get(a, "addr")),
				       -ms / 1000,
				       deny ? "until it resolves (a deny entry uses it)" :
					      "for dns_stale_grace");
		}
		for (j = 0; in && j < json_object_array_length(in); j++)
			printf("    %-39s refused: internal address (rebinding guard)\n",
			       json_object_get_string(json_object_array_get_idx(in, j)));
	}
}

/* block_host's addresses: as the daemon follows them, else read here and
 * now.  {"followed_by_daemon": bool, "addresses": [...]}, or NULL. */
static json_object *host_addresses(const struct rcc_config *cfg)
{
	struct rcc_addr_list l;
	json_object *o = cli_daemon_ask(cfg, "host");

	if (o && json_object_object_get_ex(o, "addresses", NULL)) {
		json_object_object_add(o, "followed_by_daemon", json_object_new_boolean(true));
		return o;
	}
	json_object_put(o); /* a daemon that does not follow them */
	if (rcc_hostaddr_read(&l))
		return NULL;
	o = rcc_hostaddr_to_json(&l);
	rcc_addr_list_free(&l);
	json_object_object_add(o, "followed_by_daemon", json_object_new_boolean(false));
	return o;
}

static void host_text(const struct rcc_config *cfg, json_object *host)
{
	json_object *arr, *followed;
	size_t i, n;
	bool used = false;

	for (i = 0; i < cfg->npolicies; i++)
		used |= cfg->policies[i].block_host;
	if (!used || !host || !json_object_object_get_ex(host, "addresses", &arr))
		return;
	json_object_object_get_ex(host, "followed_by_daemon", &followed);
	n = json_object_array_length(arr);
	printf("\nHOST ADDRESSES (denied by block_host; %s): %zu\n",
	       json_object_get_boolean(followed) ? "followed by rcc-bpf daemon" :
						   "read now; no rcc-bpf daemon follows them",
	       n);
	for (i = 0; i < n; i++)
		printf("    %s\n", json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void print_text(const struct rcc_cgroup_info *cg, size_t ncg, const struct ct_row *ct,
		       const struct pol_row *pol, size_t npol)
{
	size_t i;

	printf("%-12s %-8s %12s %12s %12s  %s\n", "POLICY", "MODE", "ALLOWED", "DENIED", "AUDITED",
	       "CGROUP");
	for (i = 0; i < ncg; i++) {
		const struct pol_row *p = row_of(pol, npol, cg[i].policy_id);

		printf("%-12s %-8s %12llu %12llu %12llu  %s%s", p ? p->name : "?",
		       p ? mode_of(p->flags) : "?", (unsigned long long)cg[i].stats.allowed,
		       (unsigned long long)cg[i].stats.denied,
		       (unsigned long long)cg[i].stats.audited,
		       cg[i].path[0] ? cg[i].path : "(removed cgroup)",
		       cg[i].linked ? "" : " (via the cgroup above)");
		if (ct[i].id[0])
			printf("  [container %.12s%s%s]", ct[i].id, ct[i].name[0] ? " " : "",
			       ct[i].name);
		putchar('\n');
	}
	if (!ncg)
		printf("(no cgroup is enforced)\n");
	printf("\n%-12s %-8s %12s %12s %12s\n", "POLICY", "MODE", "ALLOWED", "DENIED", "AUDITED");
	for (i = 0; i < npol; i++)
		printf("%-12s %-8s %12llu %12llu %12llu\n", pol[i].name, mode_of(pol[i].flags),
		       (unsigned long long)pol[i].stats.allowed,
		       (unsigned long long)pol[i].stats.denied,
		       (unsigned long long)pol[i].stats.audited);
}

/* Everything status shows, read once. */
struct status {
	struct pol_row pol[RCC_MAX_POLICIES];
	size_t npol;
	struct rcc_cgroup_info *cg;
	struct ct_row *ct;
	size_t ncg;
	struct rcc_audit_totals totals;
	bool guarded;
	json_object *names, *host, *dns;
};

static const char *policy_of(__u32 id, __u32 *flags, void *ctx)
{
	const struct status *st = ctx;
	const struct pol_row *p = row_of(st->pol, st->npol, id);

	*flags = p ? p->flags : 0;
	return p ? p->name : "?";
}

static void read_policies(struct rcc_kernel *k, struct status *st)
{
	__u32 id;

	for (id = 1; id < RCC_MAX_POLICIES; id++) {
		struct pol_row *r = &st->pol[st->npol];

		if (rcc_kernel_policy_flags(k, id, &r->flags) || !(r->flags & RCC_POL_ACTIVE))
			continue;
		r->id = id;
		rcc_kernel_policy_name(k, id, r->name, sizeof(r->name));
		rcc_kernel_policy_stats(k, id, &r->stats);
		st->npol++;
	}
}

/* The kernel side's state into st; RCC_EXIT_*, or -ENOENT when nothing
 * is loaded. */
static int read_status(const struct rcc_config *cfg, struct status *st)
{
	struct rcc_kernel k;
	int err = rcc_kernel_open(cfg, false, false, &k);

	if (err == -ENOENT)
		return err;
	if (err)
		return RCC_EXIT_FAIL; /* reported */
	read_policies(&k, st);
	err = rcc_kernel_cgroups(&k, &st->cg, &st->ncg);
	if (!err)
		rcc_kernel_cgroups_dns(&k, st->cg, st->ncg);
	if (!err)
		err = rcc_kernel_audit_totals(&k, &st->totals);
	st->guarded = rcc_kernel_guarded(&k);
	rcc_kernel_close(&k);
	if (err) {
		pr_warn("Failed to read the enforced cgroups: %s\n", strerror(-err));
		return RCC_EXIT_FAIL;
	}
	st->ct = calloc(st->ncg + 1, sizeof(*st->ct));
	if (!st->ct)
		return RCC_EXIT_FAIL;
	containers_of(st->cg, st->ncg, st->ct);
	st->names = cli_daemon_names(cfg);
	st->dns = cli_daemon_ask(cfg, "dns");
	st->host = host_addresses(cfg);
	return RCC_EXIT_OK;
}

static void status_text(const struct rcc_config *cfg, const struct status *st)
{
	size_t i;

	print_text(st->cg, st->ncg, st->ct, st->pol, st->npol);
	audit_text(&st->totals);
	names_text(cfg, st->names);
	status_dns_text(cfg, st->cg, st->ncg, policy_of, (void *)st, st->dns);
	host_text(cfg, st->host);
	printf("BPF GUARD: %s\n",
	       st->guarded ?
		       "active (sandboxes cannot reach our objects through bpf())" :
		       "not running here: sandboxes must not hold CAP_SYS_ADMIN or CAP_BPF outside a user namespace");
	for (i = 0; i < st->ncg; i++)
		if (st->cg[i].path[0])
			rcc_caps_warn(st->cg[i].path, st->guarded);
}

int cmd_status(struct rcc_args *a)
{
	struct status *st = calloc(1, sizeof(*st));
	struct rcc_config cfg = {};
	int rc;

	if (!st)
		return RCC_EXIT_FAIL;
	rc = cli_load_config(a, &cfg);
	if (rc)
		goto out;
	rc = read_status(&cfg, st);
	if (rc == -ENOENT) {
		if (a->json)
			printf("{ \"cgroups\": [ ], \"policies\": [ ] }\n");
		else
			printf("nothing is loaded under %s\n", cfg.pin_dir);
		rc = RCC_EXIT_OK;
	} else if (rc == RCC_EXIT_OK && a->json) {
		print_json(st->cg, st->ncg, st->ct, st->pol, st->npol, &st->totals, st->guarded,
			   st->names, st->host, st->dns);
	} else if (rc == RCC_EXIT_OK) {
		status_text(&cfg, st);
	}
out:
	rcc_config_free(&cfg);
	json_object_put(st->names);
	json_object_put(st->host);
	json_object_put(st->dns);
	free(st->ct);
	free(st->cg);
	free(st);
	return rc;
}
