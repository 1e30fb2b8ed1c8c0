/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS proxy's records in the audit log: one JSON object per query
 * ("type": "dns"), beside the denials.  The daemon writes them through
 * its consumer (rcc_audit_dns in audit.h); `rcc-bpf run`, whose own proxy
 * answers, appends them itself.
 */
#ifndef RCC_AUDITDNS_H
#define RCC_AUDITDNS_H

#include <json-c/json.h>

#include "host/dnsproxy.h"

/* The record as an object, stamped with the wall clock now; cgroup_path,
 * container and container_name may be NULL or "". */
json_object *rcc_auditdns_object(const struct rcc_dnsp_record *r, const char *cgroup_path,
				 const char *container, const char *container_name);
/* Appends the record as one line to the log at path, in one write
 * (O_APPEND: whole beside a daemon's lines).  0 or -errno, printing
 * nothing. */
int rcc_auditdns_append(const char *path, const struct rcc_dnsp_record *r);
/* "A", "AAAA", ... or the number. */
const char *rcc_auditdns_type_name(__u16 qtype, char *buf, size_t len);

#endif
