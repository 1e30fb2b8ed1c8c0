// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcc-bpf egress enforcement: every hook of one cgroup-attached policy.
 *
 * The programs only judge and count; policy is compiled in userspace into
 * the maps below.  The verdict rules live in include/rcc_shared.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "rcc_shared.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define ECONNREFUSED 111
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPOPT_LSRR 131
#define IPOPT_SSRR 137
#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IP_OFFSET 0x1fff
#define IP_MF 0x2000
/* IPv6 next-header values (uapi's in6.h enum is not in vmlinux.h) */
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6 58
#define IPPROTO_DSTOPTS 60

/* Map sizes are set by the loader before load; these are placeholders. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct rcc_cgroup_val);
} rcc_cgroups SEC(".maps");

/* Policy id -> the version in force: what the entries below are keyed by. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RCC_MAX_POLICIES);
	__type(key, __u32);
	__type(value, __u32);
} rcc_versions SEC(".maps");

/* Version -> the policy's flags; a version never changes while in force. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RCC_MAX_VERSIONS);
	__type(key, __u32);
	__type(value, struct rcc_policy);
} rcc_policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rcc_port_key);
	__type(value, struct rcc_port_val);
} rcc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rcc_addr_key);
	__type(value, struct rcc_addr_val);
} rcc_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rcc_prefix_key);
	__type(value, struct rcc_prefix_val);
} rcc_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rcc_counters);
} rcc_cgstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RCC_MAX_POLICIES);
	__type(key, __u32);
	__type(value, struct rcc_counters);
} rcc_polstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* set by the loader */
} rcc_events SEC(".maps");

/* The backlog that wakes the reader: set by the loader from ring_size. */
const volatile __u64 wakeup_bytes = RCC_RING_WAKEUP_BYTES;

/* Denials the ring had no room for (per CPU; userspace sums). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rcc_lost SEC(".maps");

/*
 * Per socket, the last destination the egress program allowed, and under
 * which generation of the maps: while the socket keeps sending there and
 * nothing changed (rcc_gen: bumped by the loader on every change of
 * policy or cgroups), a packet needs no lookups.  Only egress fills and
 * reads it, and egress judges by the socket's own cgroup, so an entry
 * never crosses from one policy to another.
 */
struct rcc_skcache {
	__u32 gen;
	__u32 policy_id;
	__u32 slot;
	__u32 pol_flags;
	__u8 daddr[16];
	__u16 dport;
	__u8 ipproto;
	__u8 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rcc_skcache);
} rcc_skcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rcc_gen SEC(".maps");

/*
 * The host's network namespace (its cookie): where rcc-bpf ran when it
 * loaded the programs.  There loopback is the host itself (rule 3c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rcc_host SEC(".maps");

/*
 * Per socket in the host's namespace, the enforced cgroup it belongs to
 * (rcc_shared.h, rule 3b).  BPF_F_CLONE: an accepted socket inherits its
 * listener's.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct rcc_sk_owner);
} rcc_owner SEC(".maps");

/* Enforced cgroup -> its DNS listener (dns = proxy); sized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct rcc_dns_listener);
} rcc_dns_listeners SEC(".maps");

/* What answers allowed, per enforced cgroup (rcc_shared.h, DNS). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rcc_learned_key);
	__type(value, struct rcc_prefix_val);
} rcc_learned SEC(".maps");

/* Per socket steered to a DNS listener: the server it asked for, given
 * back as the source of replies (recvmsg) and as the peer (getpeername). */
struct rcc_dns_orig {
	__u8 addr[16];	  /* the server asked for, 16-byte form */
	__u8 steered[16]; /* the listener it went to, as the socket sees it */
	__u16 port;	  /* the server's port, host order */
	__u16 lport;	  /* the listener's */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rcc_dns_orig);
} rcc_dns_orig SEC(".maps");

/*
 * rcc-bpf's own listener sockets, marked from userspace with the enforced
 * cgroup they answer for (BPF_F_CLONE: accepted sockets too).  In the
 * host's namespace any process may come to hold a loopback port: a
 * listener's port counts only while this socket holds it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct rcc_sk_owner);
} rcc_dns_socks SEC(".maps");

/* A verdict in the making: who asks, and where to. */
struct rcc_req {
	__u8 addr[16];
	__u16 port;
	__u8 proto;   /* RCC_PROTO_* */
	__u8 hook;    /* enum rcc_hook, for the event */
	__u8 family;  /* 4 or 6 */
	__u8 ipproto; /* IPPROTO_* */
	__u16 sport;
	__u8 saddr[16];
	__u32 policy_id; /* counts and reports */
	__u32 version;	 /* keys the lookups */
	__u32 slot;
	__u32 pol_flags;
	__u32 reason;  /* out: enum rcc_reason */
	__u32 rule_id; /* out: the entry that decided, if any */
	__u32 where;   /* enum rcc_where, for a loopback destination */
	__u64 cgroup_id;
	__u64 owner; /* the enforced cgroup whose entry applies */
};

static __always_inline void addr_from_v4(__u8 *dst, __u32 be_addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &be_addr, 4);
}

/* IPv6 as 16 bytes (IPv4-mapped is already the IPv4 form). */
static __always_inline void addr_from_v6(__u8 *dst, const __u32 *be_words)
{
	__u32 w0 = be_words[0], w1 = be_words[1], w2 = be_words[2];

	__builtin_memcpy(dst, &w0, 4);
	__builtin_memcpy(dst + 4, &w1, 4);
	__builtin_memcpy(dst + 8, &w2, 4);
	__builtin_memcpy(dst + 12, &be_words[3], 4);
}

static __always_inline __u8 proto_class(__u32 ipproto)
{
	switch (ipproto) {
	case IPPROTO_TCP:
		return RCC_PROTO_TCP;
	case IPPROTO_UDP:
		return RCC_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return RCC_PROTO_ICMP;
	default:
		return RCC_PROTO_OTHER;
	}
}

/*
 * The policy's version is read once: every lookup of this decision uses
 * it, so a reload (which switches rcc_versions) is seen whole or not.
 */
static __always_inline int found_policy(struct rcc_req *req, const struct rcc_cgroup_val *cv)
{
	__u32 id = cv->policy_id, *ver = bpf_map_lookup_elem(&rcc_versions, &id);
	struct rcc_policy *p;
	__u32 v;

	if (!ver)
		return 0;
	v = *ver;
	p = bpf_map_lookup_elem(&rcc_policies, &v);
	if (!p || !(p->flags & RCC_POL_ACTIVE))
		return 0;
	req->policy_id = id;
	req->version = v;
	req->slot = cv->slot;
	req->pol_flags = p->flags;
	return 1;
}

/*
 * The policy of the nearest enforced ancestor-or-self of a cgroup: the
 * current task's (skb NULL) or the packet's socket's.  Only one link per
 * hook exists on any path from the root (the loader keeps it so), so this
 * runs once per decision.
 */
static __always_inline int policy_of(struct rcc_req *req, struct __sk_buff *skb)
{
	__u64 id = skb ? bpf_skb_cgroup_id(skb) : bpf_get_current_cgroup_id();
	struct rcc_cgroup_val *cv = bpf_map_lookup_elem(&rcc_cgroups, &id);
	struct rcc_cgroup_val *best = 0;
	int level;

	req->cgroup_id = id;
	req->owner = id;
	if (cv)
		return found_policy(req, cv);
	for (level = 1; level < RCC_MAX_CGROUP_DEPTH; level++) {
		__u64 anc = skb ? bpf_skb_ancestor_cgroup_id(skb, level) :
				  bpf_get_current_ancestor_cgroup_id(level);

		if (!anc || anc == id)
			break;
		cv = bpf_map_lookup_elem(&rcc_cgroups, &anc);
		if (cv) {
			best = cv;
			req->owner = anc;
		}
	}
	return best ? found_policy(req, best) : 0;
}

/*
 * The lookups and the verdict rules.  A global function: the verifier
 * checks it once, not once per call site (egress calls it per hop).
 */
__noinline int rcc_judge_req(struct rcc_req *req)
{
	struct rcc_port_key pk = {};
	struct rcc_addr_key ak = {};
	struct rcc_prefix_key xk = {};
	struct rcc_port_val *pt;
	struct rcc_addr_val *av;
	struct rcc_learned_key lk = {};
	struct rcc_prefix_val *pv, *lv = 0;
	__u32 rule_id = 0, reason = 0, action;

	if (!req)
		return RCC_ACT_DENY;
	pk.version = req->version;
	pk.port = req->port;
	pk.proto = req->proto;
	__builtin_memcpy(pk.addr, req->addr, 16);
	pt = bpf_map_lookup_elem(&rcc_ports, &pk);
	if (pt && pt->action == RCC_ACT_ALLOW) {
		req->reason = RCC_R_ALLOW_RULE;
		req->rule_id = pt->rule_id;
		return RCC_ACT_ALLOW;
	}
	ak.version = req->version;
	__builtin_memcpy(ak.addr, req->addr, 16);
	av = bpf_map_lookup_elem(&rcc_addrs, &ak);
	xk.prefixlen = 32 + 128;
	xk.version = bpf_htonl(req->version);
	__builtin_memcpy(xk.addr, req->addr, 16);
	pv = bpf_map_lookup_elem(&rcc_prefixes, &xk);
	if (req->pol_flags & RCC_POL_DNS_NAMES) {
		lk.cgroup_id = req->owner;
		__builtin_memcpy(lk.addr, req->addr, 16);
		lv = bpf_map_lookup_elem(&rcc_learned, &lk);
	}
	action = rcc_judge(req->pol_flags, req->where, pt, av, pv, lv, req->port, req->proto,
			   &reason, &rule_id);
	req->reason = reason;
	req->rule_id = rule_id;
	return action;
}

/* The verdict rules, NAT64's second step included (see rcc_shared.h). */
static __always_inline __u32 judge(struct rcc_req *req, __u32 *reason)
{
	__u32 action = rcc_judge_req(req);
	__u8 v4[16], nat64[16];

	if (rcc_nat64_second_step(req->addr, req->reason, v4)) {
		__u32 where = req->where;

		__builtin_memcpy(nat64, req->addr, 16);
		__builtin_memcpy(req->addr, v4, 16);
		req->where = RCC_WHERE_OWN_NETNS; /* a gateway's, not this loopback */
		action = rcc_judge_req(req);
		req->where = where;
		__builtin_memcpy(req->addr, nat64, 16); /* reported as sent */
	}
	*reason = req->reason;
	return action;
}

static __always_inline void bump(struct rcc_counters *c, __u32 action, int audit)
{
	if (!c)
		return;
	if (action == RCC_ACT_ALLOW)
		c->allowed++;
	else if (audit)
		c->audited++;
	else
		c->denied++;
}

/* The cgroup's counters and the policy's (per CPU: no atomics needed). */
static __always_inline void count(const struct rcc_req *req, __u32 action)
{
	__u32 slot = req->slot, pid = req->policy_id;
	int audit = req->pol_flags & RCC_POL_AUDIT;

	bump(bpf_map_lookup_elem(&rcc_cgstats, &slot), action, audit);
	bump(bpf_map_lookup_elem(&rcc_polstats, &pid), action, audit);
}

/*
 * One ring record for a denial.  Never blocks: a full ring is counted in
 * rcc_lost.  The reader is woken only once enough has piled up; it also
 * drains on a short timer, so one wake-up carries many events.
 */
static __always_inline void report(const struct rcc_req *req)
{
	struct rcc_event *e = bpf_ringbuf_reserve(&rcc_events, sizeof(*e), 0);
	__u64 id, ug, avail, before;
	int crossed;
	__u32 zero = 0;

	if (!e) {
		__u64 *lost = bpf_map_lookup_elem(&rcc_lost, &zero);

		if (lost)
			(*lost)++;
		return;
	}
	id = bpf_get_current_pid_tgid();
	ug = bpf_get_current_uid_gid();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = req->cgroup_id;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->uid = (__u32)ug;
	e->gid = ug >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->policy_id = req->policy_id;
	e->rule_id = req->rule_id;
	e->family = req->family;
	e->ipproto = req->ipproto;
	e->hook = req->hook;
	e->reason = req->reason;
	e->audit = !!(req->pol_flags & RCC_POL_AUDIT);
	e->pad = 0;
	e->dport = req->port;
	e->sport = req->sport;
	e->pad2 = 0;
	__builtin_memcpy(e->daddr, req->addr, 16);
	__builtin_memcpy(e->saddr, req->saddr, 16);
	/*
	 * Wake the reader each time the backlog grows past another
	 * wakeup_bytes (not on every event: a wake-up is an interrupt, and
	 * under a flood one per event halves the flooder and the reader); a
	 * timer reads what stays below the first mark.
	 */
	avail = bpf_ringbuf_query(&rcc_events, BPF_RB_AVAIL_DATA);
	before = avail - sizeof(*e) - 8; /* the backlog without this event */
	crossed = avail >= wakeup_bytes && avail / wakeup_bytes != before / wakeup_bytes;
	bpf_ringbuf_submit(e, crossed ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Counts the verdict, reports a denial, gives the hook's return value. */
static __always_inline int enforce(const struct rcc_req *req, __u32 action)
{
	count(req, action);
	if (action != RCC_ACT_ALLOW)
		report(req);
	if (action == RCC_ACT_ALLOW || (req->pol_flags & RCC_POL_AUDIT))
		return 1;
	return 0;
}

/*
 * No enforced cgroup above the caller, though the program runs: a socket
 * made in an enforced cgroup, used by a process outside it.  Refused, and
 * counted under policy id 0.
 */
static __always_inline int refuse_orphan(struct rcc_req *req)
{
	req->policy_id = 0;
	req->slot = ~0u;
	req->pol_flags = 0;
	req->reason = RCC_R_NO_POLICY;
	return enforce(req, RCC_ACT_DENY);
}

static __always_inline int addr_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static __always_inline int addr_is_zero(const __u8 a[16], int v6)
{
	__u64 hi, lo;
	__u32 last;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	__builtin_memcpy(&last, a + 12, 4);
	return v6 ? !hi && !lo : !last; /* IPv4 is ::ffff:a.b.c.d */
}

/*
 * A sendmsg on a connected UDP socket that carries a control message
 * (IP_TOS, IP_PKTINFO, UDP_SEGMENT, IPV6_TCLASS: what QUIC stacks send)
 * runs this hook with no address: the datagram goes to the socket's
 * peer, so that is what is judged.  An unconnected socket's peer is zero
 * too, and then zero is judged, as before.
 */
static __always_inline void peer_of(struct bpf_sock_addr *ctx, int v6, struct rcc_req *req)
{
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return;
	if (v6) {
		__u32 w[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

		addr_from_v6(req->addr, w);
	} else {
		addr_from_v4(req->addr, sk->dst_ip4);
	}
	req->port = bpf_ntohs(sk->dst_port);
}

/* Whether a netns cookie is the host's (rcc_host). */
static __always_inline int host_netns(__u64 cookie)
{
	__u32 zero = 0;
	__u64 *host = bpf_map_lookup_elem(&rcc_host, &zero);

	return host && *host == cookie;
}

/* Whether a socket found by a lookup belongs to the caller's enforced
 * cgroup (rule 3b); releases it. */
static __always_inline int owned_by(struct bpf_sock *sk, __u64 owner)
{
	struct rcc_sk_owner *o;
	int own;

	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&rcc_owner, sk, 0, 0);
	own = o && o->cgroup_id == owner;
	bpf_sk_release(sk);
	return own;
}

/* Marks a socket as the caller's own (rule 3b). */
static __always_inline void mark_owner(struct bpf_sock *sk, __u64 owner)
{
	struct rcc_sk_owner *o = bpf_sk_storage_get(&rcc_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (o)
		o->cgroup_id = owner;
}

/*
 * A socket's lookup tuple from 16-byte addresses and host-order ports:
 * (saddr, sport) is the sender, (daddr, dport) the socket to find.
 * Returns its size, IPv4's when both addresses are IPv4 (the kernel
 * takes IPv4-mapped destinations to the IPv4 stack).
 */
static __always_inline __u32 lookup_tuple(struct bpf_sock_tuple *t, const __u8 *saddr, __u16 sport,
					  const __u8 *daddr, __u16 dport)
{
	if (daddr[10] == 0xff && daddr[11] == 0xff) {
		__builtin_memcpy(&t->ipv4.saddr, saddr + 12, 4);
		__builtin_memcpy(&t->ipv4.daddr, daddr + 12, 4);
		t->ipv4.sport = bpf_htons(sport);
		t->ipv4.dport = bpf_htons(dport);
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, saddr, 16);
	__builtin_memcpy(t->ipv6.daddr, daddr, 16);
	t->ipv6.sport = bpf_htons(sport);
	t->ipv6.dport = bpf_htons(dport);
	return sizeof(t->ipv6);
}

/*
 * Where a loopback destination of a connect or sendmsg leads (rule 3):
 * in the host's namespace, the socket bound there is looked up, and it
 * counts as the sandbox's own when a process of the same enforced cgroup
 * bound it.  Only for loopback, so other destinations pay nothing.  A
 * global function: verified once, not along every path of its callers.
 */
__noinline __u32 rcc_sock_addr_where(struct bpf_sock_addr *ctx, struct rcc_req *req)
{
	struct bpf_sock_tuple t = {};
	__u8 any[16] = {};
	struct bpf_sock *peer = 0;
	__u32 len;

	if (!req || !rcc_addr_is_loopback(req->addr) || !host_netns(bpf_get_netns_cookie(ctx)))
		return RCC_WHERE_OWN_NETNS;
	len = lookup_tuple(&t, any, 0, req->addr, req->port);
	if (req->ipproto == IPPROTO_TCP)
		peer = bpf_sk_lookup_tcp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	else if (req->ipproto == IPPROTO_UDP)
		peer = bpf_sk_lookup_udp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	return owned_by(peer, req->owner) ? RCC_WHERE_OWN_LISTENER : RCC_WHERE_HOST;
}

/* What a destination means under dns = proxy (rcc_shared.h, DNS). */
enum dns_class {
	DNS_NONE,
	DNS_QUERY,    /* port 53: steered to the listener */
	DNS_CHANNEL,  /* 853, 5353, 5355: refused */
	DNS_LISTENER, /* the sandbox's own listener: allowed */
};

/* 127.0.0.1 (::ffff:127.0.0.1) or ::1: where listeners are bound. */
static __always_inline void listener_addr(__u8 a[16], int v6)
{
	__builtin_memset(a, 0, 16);
	if (v6) {
		a[15] = 1;
		return;
	}
	a[10] = 0xff;
	a[11] = 0xff;
	a[12] = 127;
	a[15] = 1;
}

static __always_inline int addr_is_listener(const __u8 a[16])
{
	__u8 lo4[16], lo6[16];

	listener_addr(lo4, 0);
	listener_addr(lo6, 1);
	return addr_eq(a, lo4) || addr_eq(a, lo6);
}

/* Whose listener a socket a lookup found is: 1 rcc-bpf's for owner, -1
 * rcc-bpf's for another sandbox, 0 none of rcc-bpf's; releases it. */
static __always_inline int listener_owner(struct bpf_sock *sk, __u64 owner)
{
	struct rcc_sk_owner *o;
	int who = 0;

	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&rcc_dns_socks, sk, 0, 0);
	if (o)
		who = o->cgroup_id == owner ? 1 : -1;
	bpf_sk_release(sk);
	return who;
}

/*
 * Whose listener req's destination (127.0.0.1 or ::1, a port) is, as
 * listener_owner says.  Sandboxes may share a network namespace (a pod),
 * and any process may come to hold a port once a listener is gone (a
 * daemon killed): the socket itself is asked.  Global: verified once.
 */
__noinline int rcc_sock_addr_ours(struct bpf_sock_addr *ctx, struct rcc_req *req)
{
	struct bpf_sock_tuple t = {};
	__u8 any[16] = {};
	struct bpf_sock *sk = 0;
	__u32 len;

	if (!req)
		return 0;
	len = lookup_tuple(&t, any, 0, req->addr, req->port);
	if (req->ipproto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(ctx, &t, len, BPF_F_CURRENT_NETNS, 0);
	return listener_owner(sk, req->owner);
}

/* The same for a packet: its socket at the listener's end. */
__noinline int rcc_skb_ours(struct __sk_buff *skb, struct rcc_req *req)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = 0;
	__u32 len;

	if (!req)
		return 0;
	len = lookup_tuple(&t, req->saddr, req->sport, req->addr, req->port);
	if (req->ipproto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	return listener_owner(sk, req->owner);
}

/* A global function: verified once, not along every path of egress. */
__noinline int rcc_dns_class(const struct rcc_req *req)
{
	struct rcc_dns_listener *l;
	__u64 owner;

	if (!req)
		return DNS_NONE;
	owner = req->owner;
	if (!(req->pol_flags & RCC_POL_DNS_PROXY) ||
	    !(req->proto & (RCC_PROTO_TCP | RCC_PROTO_UDP)))
		return DNS_NONE;
	if (req->port == RCC_DNS_PORT)
		return DNS_QUERY;
	if (req->port == RCC_DOT_PORT || req->port == RCC_MDNS_PORT || req->port == RCC_LLMNR_PORT)
		return DNS_CHANNEL;
	if (!addr_is_listener(req->addr))
		return DNS_NONE;
	l = bpf_map_lookup_elem(&rcc_dns_listeners, &owner);
	return l && l->port == req->port ? DNS_LISTENER : DNS_NONE;
}

/*
 * A query to port 53, whatever the server: rewritten to the listener of
 * the sandbox's enforced cgroup, the server kept for the replies.  With
 * no listener (or no room to keep the server) nothing leaves: the call
 * fails with ECONNREFUSED, at once.  Audit mode lets it go on instead.
 */
static __always_inline int dns_steer(struct bpf_sock_addr *ctx, int v6, struct rcc_req *req)
{
	struct rcc_dns_listener *l;
	struct rcc_dns_orig *o = 0;
	__u64 owner = req->owner;
	int native6;

	l = bpf_map_lookup_elem(&rcc_dns_listeners, &owner);
	if (l) {
		struct rcc_req to = *req;

		native6 = v6 && l->v6 && !(req->addr[10] == 0xff && req->addr[11] == 0xff);
		listener_addr(to.addr, native6);
		to.port = l->port;
		if (rcc_sock_addr_ours(ctx, &to) != 1)
			l = 0; /* its socket is gone, and the port may be anyone's */
	}
	if (l && ctx->sk)
		o = bpf_sk_storage_get(&rcc_dns_orig, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!l || !o) {
		req->reason = RCC_R_DNS_UNANSWERED;
		if (enforce(req, RCC_ACT_DENY))
			return 1;
		bpf_set_retval(-ECONNREFUSED);
		return 0;
	}
	__builtin_memcpy(o->addr, req->addr, 16);
	listener_addr(o->steered, native6);
	o->port = req->port;
	o->lport = l->port;
	if (!v6) {
		ctx->user_ip4 = bpf_htonl(0x7f000001);
	} else if (native6) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = 0;
		ctx->user_ip6[3] = bpf_htonl(1);
	} else {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = bpf_htonl(0x7f000001);
	}
	ctx->user_port = bpf_htons(l->port);
	count(req, RCC_ACT_ALLOW);
	return 1;
}

static __always_inline int sock_addr_verdict(struct bpf_sock_addr *ctx, int v6, __u8 hook)
{
	struct rcc_req req = {};
	__u32 reason, action;
	int cls;

	req.hook = hook;
	req.family = v6 ? 6 : 4;
	req.ipproto = ctx->protocol;
	if (v6) {
		__u32 w[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			       ctx->user_ip6[3] };

		addr_from_v6(req.addr, w);
	} else {
		addr_from_v4(req.addr, ctx->user_ip4);
	}
	req.port = bpf_ntohs(ctx->user_port & 0xffff);
	if ((hook == RCC_HOOK_SENDMSG4 || hook == RCC_HOOK_SENDMSG6) && !req.port &&
	    addr_is_zero(req.addr, v6))
		peer_of(ctx, v6, &req);
	req.proto = proto_class(ctx->protocol);
	if (req.proto & (RCC_PROTO_ICMP | RCC_PROTO_OTHER))
		req.port = 0;
	if (!policy_of(&req, 0))
		return refuse_orphan(&req);
	cls = rcc_dns_class(&req);
	if (cls == DNS_QUERY)
		return dns_steer(ctx, v6, &req);
	if (cls == DNS_CHANNEL) {
		req.reason = RCC_R_DNS_CHANNEL;
		return enforce(&req, RCC_ACT_DENY);
	}
	if ((req.proto & (RCC_PROTO_TCP | RCC_PROTO_UDP)) && addr_is_listener(req.addr)) {
		int own = rcc_sock_addr_ours(ctx, &req);

		/* another sandbox's listener would answer under its policy */
		if (own < 0) {
			req.reason = RCC_R_DNS_CHANNEL;
			return enforce(&req, RCC_ACT_DENY);
		}
		if (own > 0 && cls == DNS_LISTENER)
			return enforce(&req, RCC_ACT_ALLOW);
	}
	req.where = rcc_sock_addr_where(ctx, &req);
	action = judge(&req, &reason);
	/* the sandbox's own end of a loopback exchange in the host's
	 * namespace: its server's replies come back to it (rule 3b) */
	if (action == RCC_ACT_ALLOW && req.where != RCC_WHERE_OWN_NETNS && ctx->sk)
		mark_owner(ctx->sk, req.owner);
	return enforce(&req, action);
}

SEC("cgroup/connect4")
int rcc_connect4(struct bpf_sock_addr *ctx)
{
	return sock_addr_verdict(ctx, 0, RCC_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int rcc_connect6(struct bpf_sock_addr *ctx)
{
	return sock_addr_verdict(ctx, 1, RCC_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int rcc_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_addr_verdict(ctx, 0, RCC_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int rcc_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_addr_verdict(ctx, 1, RCC_HOOK_SENDMSG6);
}

/*
 * A reply from the listener a socket's query was steered to: its source
 * (recvmsg) or the socket's peer (getpeername) is given back as the
 * server the sandbox asked.  Never refuses.
 */
static __always_inline int dns_unsteer(struct bpf_sock_addr *ctx, int v6)
{
	struct rcc_dns_orig *o;
	__u8 from[16];

	if (!ctx->sk)
		return 1;
	o = bpf_sk_storage_get(&rcc_dns_orig, ctx->sk, 0, 0);
	if (!o || bpf_ntohs(ctx->user_port & 0xffff) != o->lport)
		return 1;
	if (v6) {
		__u32 w[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			       ctx->user_ip6[3] };

		addr_from_v6(from, w);
	} else {
		addr_from_v4(from, ctx->user_ip4);
	}
	if (!addr_eq(from, o->steered))
		return 1;
	if (v6) {
		__u32 w[4];

		__builtin_memcpy(w, o->addr, 16);
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	} else {
		__u32 a;

		__builtin_memcpy(&a, o->addr + 12, 4);
		ctx->user_ip4 = a;
	}
	ctx->user_port = bpf_htons(o->port);
	return 1;
}

SEC("cgroup/recvmsg4")
int rcc_recvmsg4(struct bpf_sock_addr *ctx)
{
	return dns_unsteer(ctx, 0);
}

SEC("cgroup/recvmsg6")
int rcc_recvmsg6(struct bpf_sock_addr *ctx)
{
	return dns_unsteer(ctx, 1);
}

SEC("cgroup/getpeername4")
int rcc_getpeername4(struct bpf_sock_addr *ctx)
{
	return dns_unsteer(ctx, 0);
}

SEC("cgroup/getpeername6")
int rcc_getpeername6(struct bpf_sock_addr *ctx)
{
	return dns_unsteer(ctx, 1);
}

/*
 * A socket bound in the host's namespace by a sandbox is the sandbox's
 * own (rule 3b): its listeners stay reachable from it.  Never refuses.
 */
static __always_inline int post_bind(struct bpf_sock *sk)
{
	struct rcc_req req = {};

	if (host_netns(bpf_get_netns_cookie(sk)) && policy_of(&req, 0))
		mark_owner(sk, req.owner);
	return 1;
}

SEC("cgroup/post_bind4")
int rcc_post_bind4(struct bpf_sock *sk)
{
	return post_bind(sk);
}

SEC("cgroup/post_bind6")
int rcc_post_bind6(struct bpf_sock *sk)
{
	return post_bind(sk);
}

/*
 * Sockets the egress backstop can judge but the socket hooks cannot are
 * refused at creation unless the policy allows them: raw sockets, and
 * protocols other than TCP, UDP and ICMP (ping sockets).
 */
SEC("cgroup/sock_create")
int rcc_sock_create(struct bpf_sock *sk)
{
	struct rcc_req req = {};
	struct rcc_policy *p;
	__u32 proto = sk->protocol, v;

	if (sk->family != AF_INET && sk->family != AF_INET6)
		return 1;
	req.hook = RCC_HOOK_SOCK_CREATE;
	req.family = sk->family == AF_INET6 ? 6 : 4;
	req.ipproto = proto;
	if (!policy_of(&req, 0))
		return refuse_orphan(&req);
	req.reason = RCC_R_SOCKET;
	v = req.version;
	p = bpf_map_lookup_elem(&rcc_policies, &v);
	if (!p)
		return 0;
	if (sk->type == SOCK_RAW) {
		if (req.pol_flags & RCC_POL_ALLOW_RAW)
			return 1;
		return enforce(&req, RCC_ACT_DENY);
	}
	if (proto == 0 || proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP ||
	    proto == IPPROTO_ICMPV6)
		return 1;
	if (proto < 512 && (p->protocols[(proto / 64) & 7] & (1ull << (proto % 64))))
		return 1;
	return enforce(&req, RCC_ACT_DENY);
}

/*
 * The ports of the TCP or UDP header at off (0 for other protocols);
 * -1 when the packet does not hold them: a truncated packet, or a first
 * fragment that stops before its L4 header.
 */
static __always_inline int l4_ports(struct __sk_buff *skb, __u32 off, __u8 proto, __u16 *sport,
				    __u16 *dport)
{
	__be16 ports[2];

	*sport = *dport = 0;
	if (!(proto & (RCC_PROTO_TCP | RCC_PROTO_UDP)))
		return 0;
	if (bpf_skb_load_bytes(skb, off, ports, sizeof(ports)))
		return -1;
	*sport = bpf_ntohs(ports[0]);
	*dport = bpf_ntohs(ports[1]);
	return 0;
}

/* A header the walk cannot follow or trust: refused, whatever it carries. */
static __always_inline __u32 malformed(struct rcc_req *req)
{
	req->reason = RCC_R_MALFORMED;
	return RCC_ACT_DENY;
}

/*
 * Where a loopback packet leads (rule 3), by the socket that will take
 * it: the full tuple finds an established socket, else a listener.  A
 * source route's hop (!lookup) is a place the packet passes, never a
 * socket of the sandbox.  Global, as rcc_sock_addr_where.
 */
__noinline __u32 rcc_skb_where(struct __sk_buff *skb, struct rcc_req *req, int lookup)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *peer = 0;
	__u32 len;

	if (!req || !rcc_addr_is_loopback(req->addr) || !host_netns(bpf_get_netns_cookie(skb)))
		return RCC_WHERE_OWN_NETNS;
	if (!lookup)
		return RCC_WHERE_HOST;
	len = lookup_tuple(&t, req->saddr, req->sport, req->addr, req->port);
	if (req->ipproto == IPPROTO_TCP)
		peer = bpf_sk_lookup_tcp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	else if (req->ipproto == IPPROTO_UDP)
		peer = bpf_sk_lookup_udp(skb, &t, len, BPF_F_CURRENT_NETNS, 0);
	return owned_by(peer, req->owner) ? RCC_WHERE_OWN_LISTENER : RCC_WHERE_HOST;
}

/*
 * One hop of a source route (h: the request, with the hop's address).  A
 * global function: verified once, not once per iteration of the loops
 * over hops.
 */
__noinline __u32 rcc_judge_hop(struct __sk_buff *skb, struct rcc_req *h)
{
	__u32 reason;

	if (!h)
		return RCC_ACT_DENY;
	h->where = rcc_skb_where(skb, h, 0);
	return judge(h, &reason);
}

/* Judges one more hop of a source route: DENY wins. */
static __always_inline __u32 judge_hop(struct __sk_buff *skb, struct rcc_req *req, __u8 *hop)
{
	struct rcc_req h = *req;

	__builtin_memcpy(h.addr, hop, 16);
	return rcc_judge_hop(skb, &h);
}

/*
 * IPv4: the header's destination, and every hop of an LSRR/SSRR option.
 * Options that do not parse are refused (malformed), never skipped.
 */
static __always_inline __u32 judge_ipv4(struct __sk_buff *skb, struct rcc_req *req)
{
	struct iphdr iph;
	__u32 reason, action, hl, off, i;

	if (bpf_skb_load_bytes(skb, 0, &iph, sizeof(iph)))
		return malformed(req);
	hl = iph.ihl * 4;
	addr_from_v4(req->addr, iph.daddr);
	addr_from_v4(req->saddr, iph.saddr);
	req->family = 4;
	req->ipproto = iph.protocol;
	req->proto = proto_class(iph.protocol);
	req->port = 0;
	if (hl < sizeof(iph))
		return malformed(req);
	if (!(iph.frag_off & bpf_htons(IP_OFFSET)) &&
	    l4_ports(skb, hl, req->proto, &req->sport, &req->port))
		return malformed(req);
	req->where = rcc_skb_where(skb, req, 1);
	action = judge(req, &reason);
	if (action != RCC_ACT_ALLOW || hl == sizeof(iph))
		return action;

	/* Options: walk them for source routes; each listed hop is judged. */
	off = sizeof(iph);
	for (i = 0; i < 40; i++) {
		__u8 ol[2];

		if (off >= hl)
			break;
		if (bpf_skb_load_bytes(skb, off, ol, 1))
			return malformed(req);
		if (ol[0] == IPOPT_END)
			break;
		if (ol[0] == IPOPT_NOOP) {
			off++;
			continue;
		}
		if (bpf_skb_load_bytes(skb, off, ol, 2) || ol[1] < 2 || off + ol[1] > hl)
			return malformed(req);
		if (ol[0] == IPOPT_LSRR || ol[0] == IPOPT_SSRR) {
			__u32 a;

			/* route data: 4 bytes a hop from the option's third byte */
			for (a = 3; a + 4 <= 40; a += 4) {
				__u32 v4;
				__u8 hop[16];

				if (a + 4 > ol[1])
					break;
				if (bpf_skb_load_bytes(skb, off + a, &v4, 4))
					return malformed(req);
				addr_from_v4(hop, v4);
				if (judge_hop(skb, req, hop) != RCC_ACT_ALLOW) {
					req->reason = RCC_R_SOURCE_ROUTE;
					return RCC_ACT_DENY;
				}
			}
		}
		off += ol[1];
	}
	return action;
}

/*
 * Extension headers that may stand before the L4 header.  ESP is not one:
 * what follows it is encrypted, for the destination alone to read.
 */
static __always_inline int ipv6_ext_hdr(__u8 h)
{
	return h == IPPROTO_HOPOPTS || h == IPPROTO_ROUTING || h == IPPROTO_FRAGMENT ||
	       h == IPPROTO_DSTOPTS || h == IPPROTO_AH || h == 135 /* mobility */ ||
	       h == 139 /* HIP */ || h == 140 /* Shim6 */ || h == 253 || h == 254;
}

/* Where an IPv6 packet's extension headers end (rcc_walk_ipv6). */
struct rcc_walk6 {
	__u32 off;	 /* the L4 header, or a later fragment's data */
	__u32 rh_off;	 /* the routing header; 0: none */
	__u8 nexthdr;	 /* the L4 protocol */
	__u8 later_frag; /* a fragment past the first: no L4 header */
};

/*
 * The extension headers, to the L4 header.  What the walk cannot get
 * through is malformed (-1) rather than judged as protocol "other": a
 * chain longer than RCC_MAX_EXT_HDRS, a second routing header, an
 * extension header it cannot measure, a header cut short.  A global
 * function, so that the verifier checks the loop once, on its own.
 */
__noinline int rcc_walk_ipv6(struct __sk_buff *skb, struct rcc_walk6 *w)
{
	__u32 i, off = sizeof(struct ipv6hdr), rh_off = 0;
	__u8 nexthdr, rh_seen = 0;

	if (!w || bpf_skb_load_bytes(skb, offsetof(struct ipv6hdr, nexthdr), &nexthdr, 1))
		return -1;
	w->later_frag = 0;
	for (i = 0; i < RCC_MAX_EXT_HDRS; i++) {
		struct ipv6_opt_hdr eh;
		struct frag_hdr fh;

		if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_DSTOPTS ||
		    nexthdr == IPPROTO_ROUTING || nexthdr == IPPROTO_AH) {
			if (bpf_skb_load_bytes(skb, off, &eh, sizeof(eh)))
				return -1;
			if (nexthdr == IPPROTO_ROUTING) {
				/* tested apart from rh_off: a test of rh_off itself
				 * would make the verifier track every offset exactly
				 * and walk each chain of headers on its own */
				if (rh_seen)
					return -1;
				rh_seen = 1;
				rh_off = off;
			}
			/* AH counts 4-byte units, less two; the rest 8-byte units, less one */
			off += nexthdr == IPPROTO_AH ? (eh.hdrlen + 2) * 4 : (eh.hdrlen + 1) * 8;
			nexthdr = eh.nexthdr;
			continue;
		}
		if (nexthdr != IPPROTO_FRAGMENT)
			break;
		if (bpf_skb_load_bytes(skb, off, &fh, sizeof(fh)))
			return -1;
		nexthdr = fh.nexthdr;
		off += sizeof(fh);
		if (fh.frag_off & bpf_htons(0xfff8)) {
			w->later_frag = 1;
			break;
		}
	}
	if (!w->later_frag && ipv6_ext_hdr(nexthdr))
		return -1;
	w->off = off;
	w->rh_off = rh_off;
	w->nexthdr = nexthdr;
	return 0;
}

/* IPv6: the header's destination, and every address of a routing header. */
static __always_inline __u32 judge_ipv6(struct __sk_buff *skb, struct rcc_req *req)
{
	struct ipv6hdr ip6;
	struct rcc_walk6 w = {};
	__u32 reason, action;
	__u8 rh[8];

	if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
		return malformed(req);
	addr_from_v6(req->addr, ip6.daddr.in6_u.u6_addr32);
	addr_from_v6(req->saddr, ip6.saddr.in6_u.u6_addr32);
	req->family = 6;
	req->port = 0;
	if (rcc_walk_ipv6(skb, &w))
		return malformed(req);
	req->ipproto = w.nexthdr;
	req->proto = proto_class(w.nexthdr);
	if (!w.later_frag && l4_ports(skb, w.off, req->proto, &req->sport, &req->port))
		return malformed(req);
	req->where = rcc_skb_where(skb, req, 1);
	action = judge(req, &reason);
	if (action != RCC_ACT_ALLOW || !w.rh_off)
		return action;

	/*
	 * Routing header: every address it lists is a destination the packet
	 * will visit.  Type 0 and SRH (4) list 16-byte addresses after an
	 * 8-byte header; type 2 (mobile) holds one.
	 */
	if (bpf_skb_load_bytes(skb, w.rh_off, rh, sizeof(rh)))
		return malformed(req);
	{
		__u32 n = rh[1] / 2, k;
		__u8 hop[16];

		for (k = 0; k < 16; k++) {
			__u32 a[4];

			if (k >= n)
				break;
			if (bpf_skb_load_bytes(skb, w.rh_off + 8 + k * 16, a, 16))
				return malformed(req);
			addr_from_v6(hop, a);
			if (judge_hop(skb, req, hop) != RCC_ACT_ALLOW) {
				req->reason = RCC_R_SOURCE_ROUTE;
				return RCC_ACT_DENY;
			}
		}
		if (n > 16)
			return malformed(req);
	}
	return action;
}

/*
 * The backstop: whatever leaves through the IP stack from the cgroup,
 * judged by the packet's own header.  Socket hooks already refused what
 * they saw; this catches raw, ping, IP_HDRINCL, source routes, and
 * sockets connected before enforcement began.
 */
static __always_inline __u32 maps_gen(void)
{
	__u32 zero = 0, *g = bpf_map_lookup_elem(&rcc_gen, &zero);

	return g ? *g : 0;
}

/*
 * The destination of a plain packet (no IPv4 options, no IPv6 extension
 * headers, not a later fragment) into req; 0 when the packet is not plain
 * and must be judged in full.
 */
static __always_inline int plain_dest(struct __sk_buff *skb, struct rcc_req *req)
{
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr iph;

		if (bpf_skb_load_bytes(skb, 0, &iph, sizeof(iph)) || iph.ihl != 5 ||
		    (iph.frag_off & bpf_htons(IP_OFFSET)))
			return 0;
		addr_from_v4(req->addr, iph.daddr);
		addr_from_v4(req->saddr, iph.saddr);
		req->ipproto = iph.protocol;
		return !l4_ports(skb, sizeof(iph), proto_class(iph.protocol), &req->sport,
				 &req->port);
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) ||
		    (ip6.nexthdr != IPPROTO_TCP && ip6.nexthdr != IPPROTO_UDP &&
		     ip6.nexthdr != IPPROTO_ICMPV6))
			return 0;
		addr_from_v6(req->addr, ip6.daddr.in6_u.u6_addr32);
		addr_from_v6(req->saddr, ip6.saddr.in6_u.u6_addr32);
		req->ipproto = ip6.nexthdr;
		return !l4_ports(skb, sizeof(ip6), proto_class(ip6.nexthdr), &req->sport,
				 &req->port);
	}
	return 0;
}

/* A TCP SYN (of a plain packet: the TCP header follows the IP header). */
static __always_inline int tcp_syn(struct __sk_buff *skb, __u8 ipproto)
{
	__u32 off = skb->protocol == bpf_htons(ETH_P_IP) ? sizeof(struct iphdr) :
							   sizeof(struct ipv6hdr);
	__u8 flags;

	if (ipproto != IPPROTO_TCP || bpf_skb_load_bytes(skb, off + 13, &flags, 1))
		return 0;
	return flags & 0x02;
}

/*
 * Egress, for a plain packet: under dns = proxy steered queries leave for
 * the listener, and DNS anywhere else (a socket connected before
 * enforcement, a raw one) is a way around it; under any policy another
 * sandbox's listener is refused.  RCC_ACT_NONE: judge as usual.  Global:
 * verified once.
 */
__noinline __u32 rcc_egress_dns(struct __sk_buff *skb, struct rcc_req *req)
{
	int cls, own;

	if (!req)
		return RCC_ACT_DENY;
	cls = rcc_dns_class(req);
	if (cls == DNS_QUERY || cls == DNS_CHANNEL) {
		req->reason = RCC_R_DNS_CHANNEL;
		return RCC_ACT_DENY;
	}
	if (!(req->proto & (RCC_PROTO_TCP | RCC_PROTO_UDP)) || !addr_is_listener(req->addr))
		return RCC_ACT_NONE;
	own = rcc_skb_ours(skb, req);
	if (own < 0) { /* another sandbox's listener */
		req->reason = RCC_R_DNS_CHANNEL;
		return RCC_ACT_DENY;
	}
	return own > 0 && cls == DNS_LISTENER ? RCC_ACT_ALLOW : RCC_ACT_NONE;
}

SEC("cgroup_skb/egress")
int rcc_egress(struct __sk_buff *skb)
{
	struct rcc_req req = { .hook = RCC_HOOK_EGRESS };
	struct rcc_skcache *c = 0;
	struct bpf_sock *sk = skb->sk;
	__u32 action, gen = maps_gen();
	int plain;

	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (sk)
		c = bpf_sk_storage_get(&rcc_skcache, sk, 0, 0);
	plain = plain_dest(skb, &req);
	if (plain && c && c->valid && c->gen == gen && c->dport == req.port &&
	    c->ipproto == req.ipproto && addr_eq(c->daddr, req.addr)) {
		/* the same allowed destination as the last packet, nothing changed */
		req.policy_id = c->policy_id;
		req.slot = c->slot;
		req.pol_flags = c->pol_flags;
		count(&req, RCC_ACT_ALLOW);
		return 1;
	}

	if (!policy_of(&req, skb))
		return refuse_orphan(&req);
	if (plain && ((req.pol_flags & RCC_POL_DNS_PROXY) || rcc_addr_is_loopback(req.addr))) {
		req.proto = proto_class(req.ipproto);
		req.family = skb->protocol == bpf_htons(ETH_P_IP) ? 4 : 6;
		action = rcc_egress_dns(skb, &req);
		if (action != RCC_ACT_NONE)
			return enforce(&req, action);
	}
	if (skb->protocol == bpf_htons(ETH_P_IP))
		action = judge_ipv4(skb, &req);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		action = judge_ipv6(skb, &req);
	else
		return 1;
	/* DNS in a packet that is not plain (options, extension headers):
	 * the check above did not see it, and the steering never does */
	if (!plain && action == RCC_ACT_ALLOW && (req.pol_flags & RCC_POL_DNS_PROXY) &&
	    (req.proto & (RCC_PROTO_TCP | RCC_PROTO_UDP)) &&
	    (req.port == RCC_DNS_PORT || req.port == RCC_DOT_PORT || req.port == RCC_MDNS_PORT ||
	     req.port == RCC_LLMNR_PORT)) {
		req.reason = RCC_R_DNS_CHANNEL;
		action = RCC_ACT_DENY;
	}
	/* a UDP socket's peer can change under one destination: a verdict
	 * that rests on which socket took it (rule 3b) is not kept */
	if (action == RCC_ACT_ALLOW && plain && sk &&
	    (req.where != RCC_WHERE_OWN_LISTENER || req.ipproto == IPPROTO_TCP)) {
		/* storage costs an allocation: not for a SYN, which may be all a
		 * short connection sends; its next packet makes it */
		if (!c && !tcp_syn(skb, req.ipproto))
			c = bpf_sk_storage_get(&rcc_skcache, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (c) {
			c->gen = gen;
			c->policy_id = req.policy_id;
			c->slot = req.slot;
			c->pol_flags = req.pol_flags;
			__builtin_memcpy(c->daddr, req.addr, 16);
			c->dport = req.port;
			c->ipproto = req.ipproto;
			c->valid = 1;
		}
	}
	return enforce(&req, action);
}

/*
 * Whether a bpf() command from a sandbox could reach or undo enforcement:
 * fetching existing objects by id or path (our links and maps among
 * them), detaching, replacing, and attaching programs anywhere but the
 * device controller (runtimes load device filters from inside the
 * container's cgroup).
 */
static __always_inline int bpf_cmd_dangerous(int cmd, union bpf_attr *attr)
{
	switch (cmd) {
	case BPF_OBJ_GET:
	case BPF_PROG_GET_FD_BY_ID:
	case BPF_MAP_GET_FD_BY_ID:
	case BPF_LINK_GET_FD_BY_ID:
	case BPF_PROG_DETACH:
	case BPF_LINK_DETACH:
	case BPF_LINK_UPDATE:
	case BPF_RAW_TRACEPOINT_OPEN:
		return 1;
	case BPF_PROG_ATTACH:
		return BPF_CORE_READ(attr, attach_type) != BPF_CGROUP_DEVICE;
	case BPF_LINK_CREATE:
		return BPF_CORE_READ(attr, link_create.attach_type) != BPF_CGROUP_DEVICE;
	}
	return 0;
}

/*
 * The guard.  With CAP_SYS_ADMIN (a container given --cap-add SYS_ADMIN
 * without a user namespace) bpf() could fetch our links and maps by id
 * and detach or rewrite them: the BPF LSM refuses those commands from an
 * enforced cgroup.  Attached where the kernel has the BPF LSM.
 */
SEC("lsm/bpf")
int BPF_PROG(rcc_bpf_guard, int cmd, union bpf_attr *attr, unsigned int size, bool kernel)
{
	struct rcc_req req = { .hook = RCC_HOOK_BPF };

	if (kernel || !bpf_cmd_dangerous(cmd, attr) || !policy_of(&req, 0))
		return 0;
	req.reason = RCC_R_BPF;
	/* the event names the command */
	req.ipproto = cmd;
	/* -EPERM */
	return enforce(&req, RCC_ACT_DENY) ? 0 : -1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
