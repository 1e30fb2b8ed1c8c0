/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the BPF programs (bpf/) and the loader (user/).
 * __u* types only: this header is compiled for the kernel and for userspace.
 *
 * VERDICT RULES (both sides implement exactly this; rcc_judge() below is
 * the single implementation, used by the programs and by `rcc-bpf check`)
 *
 * Every destination is 16 bytes: IPv4 a.b.c.d is ::ffff:a.b.c.d, which is
 * also what its IPv4-mapped form is.  An IPv6 entry covers the IPv4 space
 * (::ffff:0:0/96) and the NAT64 space (64:ff9b::/96) only when it is
 * written inside them: `allow = [::/0]:443` allows no IPv4 address.  A
 * NAT64 destination 64:ff9b::a.b.c.d is judged in two steps: an entry
 * written inside 64:ff9b::/96 decides (rules 1 and 2) if one matches;
 * otherwise a.b.c.d is judged as IPv4.  Then, for a policy P, an L4
 * protocol and a port (0 for ICMP and protocols without ports):
 *
 *   1. an `allow` entry matching address, protocol and port  -> ALLOW
 *   2. a `deny` entry matching them                          -> DENY
 *   3. loopback (127/8, ::1, ::ffff:127/8), by where the socket is:
 *      a. in the sandbox's own network namespace (a container's):
 *         its own loopback: ALLOW if allow_loopback, else      DENY
 *      b. in the host's network namespace (`rcc-bpf run`,
 *         --network=host), to a socket bound inside the same
 *         enforced cgroup tree (the sandbox's own dev server):
 *         ALLOW if allow_loopback, else                        DENY
 *      c. in the host's network namespace, anything else: a host
 *         service, so the host's address -> DENY under block_host;
 *         without block_host, as rule 5 (127/8 and ::1 alike)
 *   4. a private/special range (block_private) or an address
 *      of the host itself (block_host)                      -> DENY
 *   5. otherwise: ALLOW if allow_public, else                  DENY
 *
 * Examples, with the default policy plus
 *   allow = 10.1.0.0/16:5432/tcp      deny = 198.51.100.0/24
 *   allow = 198.51.100.7
 *   10.1.2.3:5432/tcp   -> ALLOW (1: allow beats the private range)
 *   10.1.2.3:22/tcp     -> DENY  (4: private)
 *   198.51.100.7:80/udp -> ALLOW (1: allow beats deny)
 *   198.51.100.8:80/tcp -> DENY  (2)
 *   [::ffff:10.1.2.3]:5432/tcp -> ALLOW (same as 10.1.2.3)
 *   [64:ff9b::10.1.2.3]:5432/tcp -> ALLOW (no NAT64 entry: as 10.1.2.3)
 *   203.0.113.5:443/tcp -> ALLOW (5); with allow_public = no: DENY
 *   127.0.0.1:5432/tcp  -> in a container's own namespace: ALLOW (3a);
 *                          in the host's: DENY (3c, host_address), unless
 *                          the listener was bound inside the sandbox's
 *                          enforced cgroup tree: ALLOW (3b); with
 *                          allow = 127.0.0.1:5432/tcp: ALLOW (1) anywhere
 *   mode = audit: the verdict is computed and counted, never enforced.
 *
 * DNS under dns = proxy (RCC_POL_DNS_PROXY), before the rules above, in
 * connect4/6 and sendmsg4/6, for TCP and UDP whatever the address:
 *   port 53 -> steered: the destination is rewritten to the listener of
 *              the sandbox's enforced cgroup (rcc_dns_listeners: its port
 *              on 127.0.0.1, or ::1), which rcc-bpf answers; the original
 *              server is kept per socket, and recvmsg4/6 and getpeername
 *              give it back as the reply's source.  No listener: the call
 *              fails with ECONNREFUSED (reason dns_unanswered), and
 *              nothing leaves
 *   port 853 (DNS over TLS/QUIC), 5353 (mDNS), 5355 (LLMNR) -> DENY
 *              (reason dns_channel); egress refuses 53 too, for sockets
 *              connected before enforcement began
 *   the listener itself (loopback, its port)                -> ALLOW
 * Under dns = proxy, what a name allows comes from the answers the
 * sandbox itself got: rcc_learned (enforced cgroup + address -> port
 * rules) holds every address rcc-bpf answered for an allowed name,
 * inserted before the reply leaves.  It allows after rule 2 (a deny entry
 * by address still wins over an answer) and before rules 3-5 (the
 * rebinding guard kept loopback, private and host answers out unless the
 * entry said private_ok).  Another sandbox's listener is refused under
 * any policy (reason dns_channel): it would answer under its policy.
 *
 * Policy ids and versions: a cgroup names a policy by its id, which stays
 * for the policy's life (counters and events use it).  The entries and
 * flags belong to a version of the policy (rcc_versions: id -> version).
 * A reload writes a changed policy's new version beside the old one, then
 * switches the id to it in one write, then deletes the old version: every
 * decision sees one whole version, old or new, never a mix of the two.
 *
 * Which namespace is the host's: the one rcc-bpf ran in when it loaded
 * the programs (rcc_host holds its cookie).  The programs ask only for a
 * loopback destination.  Which socket is the sandbox's own: one bound
 * (cgroup/post_bind) or connected to loopback by a process of that
 * enforced cgroup tree; accepted sockets inherit it from their listener
 * (rcc_owner, per socket).  The caller finds out and passes `where`.
 *
 * Where entries live (the compiler in user/policy.c decides):
 *   rcc_ports    exact address + one port + one protocol  (hash)
 *   rcc_addrs    exact address, every port                (hash)
 *   rcc_prefixes everything else: real prefixes, wide port ranges, and
 *                the private/loopback/host sets (under block_host the
 *                loopback ranges are in the host set too, for 3c);
 *                each node carries the
 *                rules of every prefix that covers it, so the longest
 *                match alone decides                      (LPM trie)
 */
#ifndef RCC_SHARED_H
#define RCC_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RCC_ABI_VERSION 3

#define RCC_MAX_POLICIES 256		  /* policy ids 1..255; 0 = none */
#define RCC_MAX_VERSIONS 512		  /* versions 1..511: two per policy at a reload */
#define RCC_MAX_RULES 16		  /* port rules one prefix node can carry */
#define RCC_MAX_CGROUP_DEPTH 32		  /* ancestors walked to find a policy */
#define RCC_MAX_EXT_HDRS 16		  /* IPv6 extension headers walked; more: malformed */
#define RCC_RING_WAKEUP_BYTES (64 * 1024) /* wake the reader past this */

/* Protocol classes, as bits, for rules. */
#define RCC_PROTO_TCP (1u << 0)
#define RCC_PROTO_UDP (1u << 1)
#define RCC_PROTO_ICMP (1u << 2)  /* ICMP and ICMPv6 */
#define RCC_PROTO_OTHER (1u << 3) /* any other IP protocol */
#define RCC_PROTO_ANY 0xfu

/* struct rcc_policy.flags */
#define RCC_POL_ACTIVE (1u << 0)
#define RCC_POL_AUDIT (1u << 1)
#define RCC_POL_ALLOW_LOOPBACK (1u << 2)
#define RCC_POL_ALLOW_PUBLIC (1u << 3)
#define RCC_POL_ALLOW_RAW (1u << 4)
#define RCC_POL_DNS_PROXY (1u << 5) /* dns = proxy: see DNS above */
/* dns = proxy and an allow entry names hosts: answers can allow, so
 * rcc_learned is looked up (other policies skip that lookup) */
#define RCC_POL_DNS_NAMES (1u << 6)
/* block_private/block_host have no flag: they decide whether the compiler
 * emits the private and host sets into the policy's prefixes at all. */

/* struct rcc_prefix_val.flags: which special set an address is in. */
#define RCC_SET_LOOPBACK (1u << 0)
#define RCC_SET_PRIVATE (1u << 1)
#define RCC_SET_HOST (1u << 2)

enum rcc_action {
	RCC_ACT_NONE = 0,
	RCC_ACT_ALLOW = 1,
	RCC_ACT_DENY = 2,
};

/* Why a verdict was reached: step of the rules above. */
enum rcc_reason {
	RCC_R_ALLOW_RULE = 1,
	RCC_R_DENY_RULE,
	RCC_R_LOOPBACK,
	RCC_R_PRIVATE,
	RCC_R_HOST,
	RCC_R_PUBLIC,
	RCC_R_NOT_ALLOWED,    /* allow_public = no and no allow entry */
	RCC_R_SOCKET,	      /* socket type/protocol refused at creation */
	RCC_R_NO_POLICY,      /* socket used outside the cgroup that made it */
	RCC_R_SOURCE_ROUTE,   /* a hop in a source route is denied */
	RCC_R_BPF,	      /* a sandbox called bpf() */
	RCC_R_MALFORMED,      /* IP options or extension headers that do not parse */
	RCC_R_DNS_UNANSWERED, /* dns = proxy, and no listener answers for the sandbox */
	RCC_R_DNS_CHANNEL,    /* dns = proxy: DoT/DoQ, mDNS, LLMNR, or 53 past the steering */
	RCC_R__MAX,
};

/*
 * Every hook, once: X(ID, name, program, attach type, per cgroup).
 *   ID          enum rcc_hook's RCC_HOOK_ID, in struct rcc_event.hook: the
 *               values stay put (pinned programs outlive an upgrade)
 *   name        the audit log's "hook" and the link's pin name
 *               (PIN_DIR/v2/links/CGID/name)
 *   program     the program in bpf/rcc_enforce.bpf.c, and its pin name
 *   attach type its enum bpf_attach_type (expanded only where it is known)
 *   per cgroup  1: linked to every enforced cgroup; 0: the bpf() guard,
 *               attached once for the whole host
 */
#define RCC_HOOKS(X)                                                                         \
	X(CONNECT4, "connect4", "rcc_connect4", BPF_CGROUP_INET4_CONNECT, 1)                 \
	X(CONNECT6, "connect6", "rcc_connect6", BPF_CGROUP_INET6_CONNECT, 1)                 \
	X(SENDMSG4, "sendmsg4", "rcc_sendmsg4", BPF_CGROUP_UDP4_SENDMSG, 1)                  \
	X(SENDMSG6, "sendmsg6", "rcc_sendmsg6", BPF_CGROUP_UDP6_SENDMSG, 1)                  \
	X(EGRESS, "egress", "rcc_egress", BPF_CGROUP_INET_EGRESS, 1)                         \
	X(SOCK_CREATE, "sock_create", "rcc_sock_create", BPF_CGROUP_INET_SOCK_CREATE, 1)     \
	/* lsm/bpf: the bpf() syscall */                                                     \
	X(BPF, "bpf", "rcc_bpf_guard", BPF_LSM_MAC, 0)                                       \
	/* post_bind: marks the sandbox's own sockets; never denies */                       \
	X(POST_BIND4, "post_bind4", "rcc_post_bind4", BPF_CGROUP_INET4_POST_BIND, 1)         \
	X(POST_BIND6, "post_bind6", "rcc_post_bind6", BPF_CGROUP_INET6_POST_BIND, 1)         \
	/* recvmsg, getpeername: the steered DNS server given back; never deny */            \
	X(RECVMSG4, "recvmsg4", "rcc_recvmsg4", BPF_CGROUP_UDP4_RECVMSG, 1)                  \
	X(RECVMSG6, "recvmsg6", "rcc_recvmsg6", BPF_CGROUP_UDP6_RECVMSG, 1)                  \
	X(GETPEERNAME4, "getpeername4", "rcc_getpeername4", BPF_CGROUP_INET4_GETPEERNAME, 1) \
	X(GETPEERNAME6, "getpeername6", "rcc_getpeername6", BPF_CGROUP_INET6_GETPEERNAME, 1)

/* The X-macro expands to enumerators, which clang-format cannot see. */
/* clang-format off */
enum rcc_hook {
	RCC_HOOK__NONE = 0,
#define RCC_HOOK_ENUM(id, ...) RCC_HOOK_##id,
	RCC_HOOKS(RCC_HOOK_ENUM)
#undef RCC_HOOK_ENUM
	RCC_HOOK__MAX,
};
/* clang-format on */

/* Where a loopback destination leads (rule 3); the caller finds out. */
enum rcc_where {
	RCC_WHERE_OWN_NETNS = 0, /* 3a: the sandbox's own namespace */
	RCC_WHERE_OWN_LISTENER,	 /* 3b: the host's, a socket of the sandbox */
	RCC_WHERE_HOST,		 /* 3c: the host's, anything else */
};

/* rcc_owner (per socket): the enforced cgroup (its rcc_cgroups key)
 * whose process bound or connected the socket, in the host's namespace. */
struct rcc_sk_owner {
	__u64 cgroup_id;
};

/* 127/8 (as ::ffff:127.0.0.0/104) or ::1: the addresses rule 3 is about. */
static __always_inline int rcc_addr_is_loopback(const __u8 a[16])
{
	int i;

	for (i = 0; i < 10; i++)
		if (a[i])
			return 0;
	if (a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127;
	return !a[10] && !a[11] && !a[12] && !a[13] && !a[14] && a[15] == 1;
}

struct rcc_policy {
	__u32 flags; /* RCC_POL_* */
	__u32 reserved;
	__u64 protocols[8]; /* IP protocols allowed at socket() beyond
					   TCP/UDP/ICMP: bit n = protocol n */
};

/*
 * rcc_events (ring buffer): one record per denial, and per would-be
 * denial of a policy in audit mode.  When the ring is full the program
 * counts the loss in rcc_lost and decides as usual, so that
 *   events read + events lost = denials counted (rcc_cgstats/rcc_polstats)
 */
struct rcc_event {
	__u64 ts_ns;	 /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id; /* the process's (or socket's) cgroup */
	__u32 pid, tgid; /* egress: best effort, 0 in softirq */
	__u32 uid, gid;
	char comm[16];
	__u32 policy_id; /* 0: no policy (socket used outside) */
	__u32 rule_id;	 /* entry index + 1 for rule verdicts */
	__u8 family;	 /* 4 or 6, as the process asked */
	__u8 ipproto;	 /* IPPROTO_* on the wire */
	__u8 hook;	 /* enum rcc_hook */
	__u8 reason;	 /* enum rcc_reason */
	__u8 audit;	 /* 1: audit mode, not blocked */
	__u8 pad;
	__u16 dport, sport; /* host order; 0 where none */
	__u16 pad2;
	__u8 daddr[16]; /* 16-byte form: IPv4 as ::ffff:a.b.c.d */
	__u8 saddr[16]; /* zero where not known */
};

/* rcc_cgroups: cgroup id -> what enforces it. */
struct rcc_cgroup_val {
	__u32 policy_id;
	__u32 slot; /* index in rcc_cgstats */
};

/* rcc_cgstats and rcc_polstats values (per CPU; userspace sums). */
struct rcc_counters {
	__u64 allowed;
	__u64 denied;
	__u64 audited; /* would have been denied (mode = audit) */
	__u64 reserved;
};

/* rcc_dns_listeners: enforced cgroup id -> where its DNS is answered. */
struct rcc_dns_listener {
	__u16 port; /* host order: on 127.0.0.1, and on ::1 when v6 */
	__u8 v6;    /* 0: IPv6 queries go to ::ffff:127.0.0.1 */
	__u8 pad;
	__u32 pad2;
};

/* DNS ports under dns = proxy. */
#define RCC_DNS_PORT 53
#define RCC_DOT_PORT 853
#define RCC_MDNS_PORT 5353
#define RCC_LLMNR_PORT 5355

/* rcc_learned key: what an answer allowed one enforced cgroup.  The
 * value is a struct rcc_prefix_val (flags 0): the port rules of every
 * allow entry whose name led to the address. */
struct rcc_learned_key {
	__u64 cgroup_id; /* the enforced cgroup (its rcc_cgroups key) */
	__u8 addr[16];
};

/* rcc_ports key: exact address, one port, one protocol class. */
struct rcc_port_key {
	__u32 version; /* the policy's version */
	__u16 port;    /* host byte order */
	__u8 proto;    /* one RCC_PROTO_* bit */
	__u8 pad;
	__u8 addr[16];
};

struct rcc_port_val {
	__u32 action; /* enum rcc_action */
	__u32 rule_id;
};

/* rcc_addrs key/value: exact address, every port. */
struct rcc_addr_key {
	__u32 version;
	__u8 addr[16];
};

struct rcc_addr_val {
	__u8 allow_protos; /* RCC_PROTO_* bits allowed */
	__u8 deny_protos;  /* RCC_PROTO_* bits denied */
	__u16 pad;
	__u32 allow_rule;
	__u32 deny_rule;
};

/* rcc_prefixes key: LPM over version (32 bits, always matched) + addr. */
struct rcc_prefix_key {
	__u32 prefixlen; /* 32 + address prefix length */
	__u32 version;	 /* big endian */
	__u8 addr[16];
};

struct rcc_rule {
	__u16 port_lo; /* 0..65535; ICMP/other: 0 */
	__u16 port_hi;
	__u8 protos; /* RCC_PROTO_* */
	__u8 action; /* enum rcc_action */
	__u16 pad;
	__u32 rule_id;
};

struct rcc_prefix_val {
	__u32 flags; /* RCC_SET_* */
	__u32 nrules;
	struct rcc_rule rules[RCC_MAX_RULES];
};

/*
 * rcc_judge: the verdict rules above, given what the four lookups found
 * (NULL where nothing matched; learned: rcc_learned's) and, for loopback, where it leads (enum
 * rcc_where).  Returns enum rcc_action; *reason and *rule_id say why.
 */
static __always_inline __u32 rcc_rules_match(const struct rcc_prefix_val *pv, __u32 action,
					     __u16 port, __u8 proto, __u32 *rule_id)
{
	__u32 i;

	for (i = 0; i < RCC_MAX_RULES; i++) {
		const struct rcc_rule *r = &pv->rules[i];

		if (i >= pv->nrules)
			break;
		if (r->action == action && (r->protos & proto) && port >= r->port_lo &&
		    port <= r->port_hi) {
			*rule_id = r->rule_id;
			return 1;
		}
	}
	return 0;
}

static __always_inline __u32 rcc_judge(__u32 pol_flags, __u32 where, const struct rcc_port_val *pt,
				       const struct rcc_addr_val *av,
				       const struct rcc_prefix_val *pv,
				       const struct rcc_prefix_val *learned, __u16 port, __u8 proto,
				       __u32 *reason, __u32 *rule_id)
{
	*rule_id = 0;
	if (pt && pt->action == RCC_ACT_ALLOW) {
		*rule_id = pt->rule_id;
		goto allow_rule;
	}
	if (av && (av->allow_protos & proto)) {
		*rule_id = av->allow_rule;
		goto allow_rule;
	}
	if (pv && rcc_rules_match(pv, RCC_ACT_ALLOW, port, proto, rule_id))
		goto allow_rule;

	if (pt && pt->action == RCC_ACT_DENY) {
		*rule_id = pt->rule_id;
		goto deny_rule;
	}
	if (av && (av->deny_protos & proto)) {
		*rule_id = av->deny_rule;
		goto deny_rule;
	}
	if (pv && rcc_rules_match(pv, RCC_ACT_DENY, port, proto, rule_id))
		goto deny_rule;
	/* an answer allows what no deny entry names (DNS above) */
	if (learned && rcc_rules_match(learned, RCC_ACT_ALLOW, port, proto, rule_id))
		goto allow_rule;

	if (pv && (pv->flags & RCC_SET_LOOPBACK) && where != RCC_WHERE_HOST) {
		*reason = RCC_R_LOOPBACK;
		return (pol_flags & RCC_POL_ALLOW_LOOPBACK) ? RCC_ACT_ALLOW : RCC_ACT_DENY;
	}
	if (pv && (pv->flags & RCC_SET_LOOPBACK)) {
		/* 3c: the host's loopback */
		if (pv->flags & RCC_SET_HOST) {
			*reason = RCC_R_HOST;
			return RCC_ACT_DENY;
		}
		goto public;
	}
	if (pv && (pv->flags & RCC_SET_PRIVATE)) {
		*reason = RCC_R_PRIVATE;
		return RCC_ACT_DENY;
	}
	if (pv && (pv->flags & RCC_SET_HOST)) {
		*reason = RCC_R_HOST;
		return RCC_ACT_DENY;
	}

      public:
	if (pol_flags & RCC_POL_ALLOW_PUBLIC) {
		*reason = RCC_R_PUBLIC;
		return RCC_ACT_ALLOW;
	}
	*reason = RCC_R_NOT_ALLOWED;
	return RCC_ACT_DENY;

allow_rule:
	*reason = RCC_R_ALLOW_RULE;
	return RCC_ACT_ALLOW;
deny_rule:
	*reason = RCC_R_DENY_RULE;
	return RCC_ACT_DENY;
}

/*
 * A NAT64 destination (64:ff9b::/96) whose first step did not decide:
 * writes the IPv4 address it carries, in the 16-byte form, into v4.
 */
static __always_inline int rcc_nat64_second_step(const __u8 a[16], __u32 reason, __u8 v4[16])
{
	int i;

	if (reason == RCC_R_ALLOW_RULE || reason == RCC_R_DENY_RULE)
		return 0;
	if (a[0] || a[1] != 0x64 || a[2] != 0xff || a[3] != 0x9b)
		return 0;
	for (i = 4; i < 12; i++)
		if (a[i])
			return 0;
	for (i = 0; i < 10; i++)
		v4[i] = 0;
	v4[10] = 0xff;
	v4[11] = 0xff;
	for (i = 12; i < 16; i++)
		v4[i] = a[i];
	return 1;
}

#endif /* RCC_SHARED_H */
