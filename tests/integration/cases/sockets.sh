# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Sockets beyond connect(): raw and other-protocol sockets refused at
# socket(), IP source routing, and the AF_PACKET (CAP_NET_RAW) warning.

TESTS+=(
	test_sock_create_raw
	test_sock_create_protocol
	test_lsrr
	test_net_raw_warning
)

test_sock_create_raw() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]

	[policy rawok]
	allow_raw_sockets = yes
	EOF
	cg_make raw
	rcc_attach sb || return 1
	rcc_attach raw rawok || return 1

	client sb socket-only inet raw icmp
	expect_result "default: socket(AF_INET, SOCK_RAW, ICMP)" "$RES" "err EPERM"
	client sb socket-only inet6 raw icmpv6
	expect_result "default: socket(AF_INET6, SOCK_RAW, ICMPV6)" "$RES" "err EPERM"
	client sb socket-only inet raw raw
	expect_result "default: socket(AF_INET, SOCK_RAW, IPPROTO_RAW)" "$RES" "err EPERM"
	refused sb raw-hdrincl 203.0.113.10 5000
	allowed sb ping 203.0.113.10

	client raw socket-only inet raw icmp
	expect_result "allow_raw_sockets: socket(AF_INET, SOCK_RAW, ICMP)" "$RES" ok
	# the socket is allowed; the egress backstop still judges each packet
	dropped raw raw-icmp 10.1.2.3
	dropped raw raw-icmp 169.254.169.254
	dropped raw raw-icmp fd12:3456:789a::10
	dropped raw raw-hdrincl 10.1.2.3 5000
	dropped raw raw-hdrincl 192.168.1.1 5000
	allowed raw raw-icmp 203.0.113.10
	allowed raw raw-icmp 2001:db8:1::10
	allowed raw raw-hdrincl 203.0.113.10 5000
}

test_sock_create_protocol() {
	need_rcc || return 1
	# SCTP when the kernel has it; otherwise UDP-Lite stands in as the
	# "other IP protocol" (this machine's kernel has no SCTP)
	local type proto value
	if in_sb_ns "$PY" "$TOOLS/rcct_client.py" socket-only inet stream sctp >/dev/null; then
		type=stream proto=sctp value=sctp
	elif in_sb_ns "$PY" "$TOOLS/rcct_client.py" socket-only inet dgram udplite >/dev/null; then
		type=dgram proto=udplite value=136
		echo "  note: no SCTP in this kernel; using UDP-Lite (136) instead"
	else
		fail_check "the kernel has neither SCTP nor UDP-Lite sockets"
		return 1
	fi
	conf_write <<-EOF
	[policy default]

	[policy proto]
	allow_protocols = $value
	EOF
	cg_make proto
	rcc_attach sb || return 1
	rcc_attach proto proto || return 1
	client sb socket-only inet "$type" "$proto"
	expect_result "default: socket(AF_INET, $type, $proto)" "$RES" "err EPERM"
	client sb socket-only inet6 "$type" "$proto"
	expect_result "default: socket(AF_INET6, $type, $proto)" "$RES" "err EPERM"
	client proto socket-only inet "$type" "$proto"
	expect_result "allow_protocols = $value: socket(AF_INET, $type, $proto)" "$RES" ok
	client sb socket-only inet stream tcp
	expect_result "default: socket(AF_INET, STREAM, TCP)" "$RES" ok
	allowed sb tcp-connect 203.0.113.10 80
	allowed proto udp-sendto 203.0.113.10 5000
}

# source routing

test_lsrr() {
	need_rcc || return 1
	rcc_attach sb || return 1
	# public destination, private hop: the connect/sendmsg hooks see only
	# the public address; the packet itself goes to the private hop
	new_marker
	capture_mark
	client sb lsrr 10.1.2.3 203.0.113.10 5000 "$M"
	expect_result "lsrr via 10.1.2.3 to 203.0.113.10" "$RES" any
	expect_not_arrived "$M" 10.1.2.3
	expect_not_arrived "$M" 203.0.113.10 5000
	# private destination behind a public hop
	new_marker
	capture_mark
	client sb lsrr 198.51.100.1 10.1.2.3 5000 "$M"
	expect_result "lsrr via 198.51.100.1 to 10.1.2.3" "$RES" "err EPERM"
	expect_not_arrived "$M" 198.51.100.1 5000
	allowed sb udp-sendto 203.0.113.10 5000
}

# AF_PACKET warning

test_net_raw_warning() {
	# AF_PACKET bypasses every cgroup hook: attach and status name the
	# pids that hold CAP_NET_RAW, and say nothing of those that do not.
	need_rcc || return 1
	local raw_pid plain_pid
	cg_make rawcap
	cg_make nocap
	in_sandbox rawcap sleep 15 &
	in_sandbox nocap setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all sleep 15 &
	wait_for 5 cg_has_procs rawcap
	wait_for 5 cg_has_procs nocap
	raw_pid=$(head -n 1 "$(cg_path rawcap)/cgroup.procs")
	plain_pid=$(head -n 1 "$(cg_path nocap)/cgroup.procs")
	rcc_attach rawcap || return 1
	expect "attach names pid $raw_pid as holding CAP_NET_RAW" \
		grep -qE "CAP_NET_RAW \(pids( [0-9]+)* $raw_pid[ )]" <<<"$RCC_OUT"
	expect "attach tells what to do" grep -q -- "--cap-drop NET_RAW" <<<"$RCC_OUT"
	rcc_attach nocap || return 1
	expect "attach of a cgroup without CAP_NET_RAW warns of nothing" \
		test -z "$(grep CAP_NET_RAW <<<"$RCC_OUT")"
	rcc status
	expect "status names pid $raw_pid" grep -qE "pids( [0-9]+)* $raw_pid[ )]" <<<"$RCC_OUT"
	expect "status does not name pid $plain_pid" \
		test -z "$(grep -E "pids.* $plain_pid[ )]" <<<"$RCC_OUT")"
}
