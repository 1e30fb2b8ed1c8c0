# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# block_host follows the host's addresses.  The "host" here is a netns the
# test makes (H): the daemon and every one-shot command run there, so its
# addresses are the host's to them.  An address the test gives H is also on
# W's loopback, so the sandbox (SB, routed to W) has a listener to reach;
# its twin is on W only.  Judged by what arrived in W.

HOST_NEW4=10.77.0.1 HOST_TWIN4=10.77.0.2
HOST_NEW6=2001:db8:77::1 HOST_TWIN6=2001:db8:77::2

# hostaddr_world: netns H as rcc-bpf's host, the addresses in W, and a
# policy that allows private ranges (so only block_host denies HOST_NEW*)
hostaddr_world() {
	NS_H=$(ns_extra h) || { fail_check "cannot make the host netns"; return 1; }
	RCC_NETNS=$NS_H
	ip -n "$NS_W" addr add "$HOST_NEW4/32" dev lo &&
		ip -n "$NS_W" addr add "$HOST_TWIN4/32" dev lo &&
		ip -n "$NS_W" addr add "$HOST_NEW6/128" dev lo nodad &&
		ip -n "$NS_W" addr add "$HOST_TWIN6/128" dev lo nodad ||
		{ fail_check "cannot add the addresses to W"; return 1; }
	conf_write <<-EOF
	[policy default]
	block_private = no
	block_host = yes
	EOF
}

# host_give / host_take ADDR/PLEN: H gains or loses an address
host_give() {
	echo "  H: addr add $1"
	ip -n "$NS_H" addr add "$1" dev lo nodad 2>/dev/null ||
		ip -n "$NS_H" addr add "$1" dev lo
}
host_take() {
	echo "  H: addr del $1"
	ip -n "$NS_H" addr del "$1" dev lo
}

# host_view [ADDR]: from `status --json` in H: "daemon" or "read-now"
# (who computed the host set), then "in"/"out" for ADDR, or every address
host_view() {
	local out
	out=$(timeout 30 nsenter --net="/run/netns/$NS_H" -- "$RCC" -c "$T_CONF" \
		status --json 2>/dev/null </dev/null)
	printf '%s' "$out" | "$PY" -c '
import json, sys
try:
    h = json.load(sys.stdin)["host_addresses"]
    who = "daemon" if h["followed_by_daemon"] else "read-now"
    addrs = h["addresses"]
except (ValueError, KeyError, TypeError):
    print("none"); sys.exit()
if len(sys.argv) > 1:
    print(who + ":" + ("in" if sys.argv[1] in addrs else "out"))
else:
    print(who + ": " + " ".join(addrs))' "$@"
}

test_hostaddr_follows_changes() {
	# an address the host gains after the daemon started is denied within
	# a second, and allowed again once the host lost it
	need_rcc || return 1
	hostaddr_world || return 1
	allowed sb tcp-connect "$HOST_NEW4" 80
	allowed sb tcp-connect "$HOST_NEW6" 80
	rcc_attach sb || return 1
	daemon_start || return 1
	allowed sb tcp-connect "$HOST_NEW4" 80
	expect_eq "the daemon's host set before" "$(host_view "$HOST_NEW4")" daemon:out

	host_give "$HOST_NEW4/32"
	host_give "$HOST_NEW6/128"
	sleep 1
	refused sb tcp-connect "$HOST_NEW4" 80
	refused sb udp-sendto "$HOST_NEW4" 5000
	refused sb tcp-connect "$HOST_NEW6" 80
	allowed sb tcp-connect "$HOST_TWIN4" 80
	allowed sb udp-sendto "$HOST_TWIN4" 5000
	allowed sb tcp-connect "$HOST_TWIN6" 80
	expect_eq "the daemon's host set holds $HOST_NEW4" "$(host_view "$HOST_NEW4")" daemon:in
	expect_eq "the daemon's host set holds $HOST_NEW6" "$(host_view "$HOST_NEW6")" daemon:in
	rcc status
	expect "status lists it as followed by the daemon" \
		grep -qx "    $HOST_NEW4" <<<"$(sed -n '/^HOST ADDRESSES (denied by block_host; followed by rcc-bpf daemon)/,/^$/p' <<<"$RCC_OUT")"
	rcc check "$HOST_NEW4" 80
	expect "check: a host address" \
		grep -q "^deny: $HOST_NEW4 (address of this host, block_host)" <<<"$RCC_OUT"
	expect "the daemon logged the new address" \
		grep -q "host address $HOST_NEW4 added" "$DAEMON_OUT"

	host_take "$HOST_NEW4/32"
	host_take "$HOST_NEW6/128"
	sleep 1
	allowed sb tcp-connect "$HOST_NEW4" 80
	allowed sb tcp-connect "$HOST_NEW6" 80
	expect_eq "the daemon's host set after RTM_DELADDR" "$(host_view "$HOST_NEW4")" daemon:out
	rcc check "$HOST_NEW4" 80
	expect "check: no longer a host address" grep -q "^allow: " <<<"$RCC_OUT"
	daemon_stop
}

test_hostaddr_burst_overflow() {
	# thousands of addresses while the daemon cannot read: its netlink
	# socket overflows (ENOBUFS); it reads the set whole, once, and the
	# address that came last is denied
	need_rcc || return 1
	local i
	hostaddr_world || return 1
	rcc_attach sb || return 1
	daemon_start || return 1
	kill -STOP "$DAEMON_PID"
	{
		for i in $(seq 0 2999); do
			echo "addr add 10.78.$((i / 250)).$((i % 250 + 1))/32 dev lo"
		done
		echo "addr add $HOST_NEW4/32 dev lo"
	} | ip -n "$NS_H" -batch -
	expect_eq "addresses in H" "$(ip -n "$NS_H" -4 addr show dev lo | grep -c 'inet ')" 3002
	kill -CONT "$DAEMON_PID"
	sleep 1
	refused sb tcp-connect "$HOST_NEW4" 80
	allowed sb tcp-connect "$HOST_TWIN4" 80
	expect_eq "the daemon's host set holds the last one" "$(host_view "$HOST_NEW4")" daemon:in
	expect_eq "the daemon's host set holds them all" \
		"$(host_view | tr ' ' '\n' | grep -c '^10\.')" 3001
	# /proc/net/netlink: a NETLINK_ROUTE socket in the IPv4 and IPv6
	# address groups (bits 4 and 8) that dropped notifications
	expect "the daemon's netlink socket did overflow (the ENOBUFS path ran)" \
		nsenter --net="/run/netns/$NS_H" -- awk \
		'$2 == 0 && $4 == "00000110" && $9 > 0 { f = 1 } END { exit !f }' /proc/net/netlink
	expect_eq "one read for the burst (log lines that sum it up)" \
		"$(grep -c "and 2993 more host addresses added or removed" "$DAEMON_OUT")" 1
	daemon_stop
}

test_hostaddr_reload_keeps_one_shot() {
	# a one-shot attach and a reload through the daemon compute the same
	# host set: the reload keeps what attach denied
	need_rcc || return 1
	local seen_by_daemon
	hostaddr_world || return 1
	cg_make other || { fail_check "cannot make cgroup other"; return 1; }
	rcc_attach sb || return 1
	daemon_start || return 1
	host_give "$HOST_NEW4/32"
	rcc_attach other || return 1
	refused sb tcp-connect "$HOST_NEW4" 80
	rcc reload
	expect_eq "reload through the daemon: exit code" "$RCC_RC" 0
	refused sb tcp-connect "$HOST_NEW4" 80
	refused other tcp-connect "$HOST_NEW4" 80
	allowed sb tcp-connect "$HOST_TWIN4" 80
	allowed other tcp-connect "$HOST_TWIN4" 80
	seen_by_daemon=$(host_view)
	daemon_stop
	expect_eq "the one-shots' host set is the daemon's" \
		"$(host_view)" "read-now:${seen_by_daemon#daemon:}"
	expect "it holds $HOST_NEW4" grep -qw "$HOST_NEW4" <<<"$seen_by_daemon"
}

TESTS+=(
	test_hostaddr_follows_changes
	test_hostaddr_burst_overflow
	test_hostaddr_reload_keeps_one_shot
)
