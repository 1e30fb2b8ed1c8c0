# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The network of a test: netns SB (the sandbox) and W (the world), one
# veth pair between them, the world's addresses on W's loopback; more
# namespaces of the test with ns_extra.  Packets only ever travel SB -> W
# over the test's veth.

SB_ADDR4=198.51.100.2 W_ADDR4=198.51.100.1
SB_ADDR6=2001:db8:0:1::2 W_ADDR6=2001:db8:0:1::1
W_LO_ADDRS="203.0.113.10/32 10.1.2.3/32 172.16.5.5/32 192.168.1.1/32
169.254.169.254/32 100.64.0.1/32 2001:db8:1::10/128 fd12:3456:789a::10/128"
# the private IPv4 addresses among them
PRIVATE4="10.1.2.3 192.168.1.1 169.254.169.254 172.16.5.5 100.64.0.1"

# nsenter, not `ip netns exec`: that one forks here, and the world's
# processes must be the very PIDs we remember and end
in_w() { nsenter --net="/run/netns/$NS_W" -- "$@"; }
in_sb_ns() { nsenter --net="/run/netns/$NS_SB" -- "$@"; }

topo_up() {
	local a
	ip netns add "$NS_SB" || return 1
	ip netns add "$NS_W" || return 1
	for ns in "$NS_SB" "$NS_W"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip netns exec "$NS_SB" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
		return 1
	ip link add sb0 netns "$NS_SB" type veth peer name w0 netns "$NS_W" ||
		return 1
	ip -n "$NS_SB" addr add "$SB_ADDR4/24" dev sb0 &&
		ip -n "$NS_SB" addr add "$SB_ADDR6/64" dev sb0 nodad &&
		ip -n "$NS_SB" link set sb0 up &&
		ip -n "$NS_SB" route add default via "$W_ADDR4" &&
		ip -n "$NS_SB" -6 route add default via "$W_ADDR6" || return 1
	ip -n "$NS_W" addr add "$W_ADDR4/24" dev w0 &&
		ip -n "$NS_W" addr add "$W_ADDR6/64" dev w0 nodad &&
		ip -n "$NS_W" link set w0 up || return 1
	for a in $W_LO_ADDRS; do
		ip -n "$NS_W" addr add "$a" dev lo || return 1
	done
	world_start
}

# ns_extra NAME: one more netns of this test, rcct-RUN-IDX-NAME (lo up,
# no DAD), printed; topo_down removes it with SB and W
ns_extra() {
	local ns=rcct-$RCCT_RUN-$T_IDX-$1
	ip netns add "$ns" &&
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 &&
		ip -n "$ns" link set lo up || return 1
	echo "$ns"
}

# netns_of_test: every netns of this test (SB, W and ns_extra's)
netns_of_test() {
	ip netns list | awk -v p="rcct-$RCCT_RUN-$T_IDX-" 'index($1, p) == 1 { print $1 }'
}

topo_down() {
	local ns
	world_stop
	for ns in $(netns_of_test); do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
