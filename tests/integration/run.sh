#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Real-kernel integration tests for rcc-bpf.
#
#   tests/integration/run.sh                 every test
#   tests/integration/run.sh test_a test_b   a subset
#   tests/integration/run.sh --list          the test names
#   tests/integration/run.sh --cleanup RUN   remove what run RUN kept/left
#
#   RCC=path/to/rcc-bpf   binary under test (default: build/rcc-bpf)
#   RCC_KEEP=1            keep each test's environment, print how to enter
#   RCCT_VERBOSE=1        show the log of passing tests too
#   PYTHON=...            interpreter for the tools (default /usr/bin/python3)
#
# Each test gets fresh network namespaces (sandbox SB, world W, one veth),
# its own cgroups and pin dir, and asserts on what ARRIVED in W (packet
# capture on W's veth plus a TCP/UDP sink), beside what the client saw.
# Needs root, cgroup2, bpffs (mounted if absent), python3, bpftool.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RCCT_SELF=$HERE/run.sh
umask 022

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"

RCC=${RCC:-$ROOT/build/rcc-bpf}
case $RCC in
/*) ;;
*/*) RCC=$PWD/$RCC ;;
*) RCC=$(command -v "$RCC" || echo "$RCC") ;;
esac

# Every test, in the order they run.
TESTS=(
	test_baseline_unenforced
	test_default_tcp_private
	test_default_udp
	test_default_ipv6
	test_default_v4mapped
	test_default_icmp
	test_allow_port_entry
	test_allow_cidr_and_ranges
	test_deny_public
	test_allowlist_mode
	test_sock_create_raw
	test_sock_create_protocol
	test_lsrr
	test_outlives_attach_and_detach
	test_attach_idempotent
	test_attach_by_pid
	test_bad_config_keeps_policy
	test_run_command
	test_audit_mode
	test_status_counters
	test_check_matches_kernel
	test_descendant_cgroups
	test_escape_userns
	test_reload_no_refusals
	test_net_raw_warning
	test_million_entries
)

PRIVATE4="10.1.2.3 192.168.1.1 169.254.169.254 172.16.5.5 100.64.0.1"

# ================================================================ harness

test_baseline_unenforced() {
	# No rcc-bpf here: the world, the clients and the capture work, and
	# every destination the other tests refuse is reachable without it.
	local a sub
	for a in $PRIVATE4 203.0.113.10 198.51.100.1; do
		allowed sb tcp-connect "$a" 80
	done
	for sub in udp-connect-send udp-sendto udp-sendmsg udp-sendmmsg; do
		allowed sb "$sub" 10.1.2.3 5000
	done
	allowed sb tcp-connect fd12:3456:789a::10 80
	allowed sb udp-sendmmsg 2001:db8:1::10 5000
	allowed sb tcp-connect --v4mapped 10.1.2.3 80
	allowed sb udp-sendmsg ::ffff:192.168.1.1 5000
	allowed sb ping 10.1.2.3
	allowed sb ping fd12:3456:789a::10
	allowed sb raw-icmp 169.254.169.254
	allowed sb raw-icmp fd12:3456:789a::10
	allowed sb raw-hdrincl 10.1.2.3 5000

	new_marker
	client sb lsrr 10.1.2.3 203.0.113.10 5000 "$M"
	expect_result "lsrr via 10.1.2.3 to 203.0.113.10" "$RES" ok
	expect_arrived "$M"
	expect "the LSRR packet went to the hop, carrying the option" \
		grep -qE "^ip4 udp [^ ]+ [0-9]+ 10\.1\.2\.3 5000 [^ ]*lsrr.* $M\$" \
		"$CAPTURE_LOG"

	client sb socket-only inet raw icmp
	expect_result "socket(AF_INET, SOCK_RAW, ICMP)" "$RES" ok
	# a closed port: the client reports the error, the SYN still arrives
	capture_mark
	client sb tcp-connect 203.0.113.10 7
	expect_result "tcp-connect to a closed port" "$RES" "err ECONNREFUSED"
	world_sync
	expect "the SYN to the closed port is in the capture" \
		test -n "$(captured_to 203.0.113.10 7)"
	expect "IPv6 neighbour discovery is not in the capture" \
		test -z "$(awk '$2 == "icmp6" && $7 ~ /^type=13[3-7]$/' "$CAPTURE_LOG")"
}

# ================================================================ 1. default policy

test_default_tcp_private() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local a
	for a in $PRIVATE4; do
		refused sb tcp-connect "$a" 80
	done
	allowed sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 198.51.100.1 443
}

test_default_udp() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local sub
	for sub in udp-connect-send udp-sendto udp-sendmsg udp-sendmmsg; do
		refused sb "$sub" 10.1.2.3 5000
		refused sb "$sub" 169.254.169.254 5000
		allowed sb "$sub" 203.0.113.10 5000
	done
}

test_default_ipv6() {
	need_rcc || return 1
	rcc_attach sb || return 1
	refused sb tcp-connect fd12:3456:789a::10 80
	refused sb udp-sendto fd12:3456:789a::10 5000
	refused sb udp-sendmmsg fd12:3456:789a::10 5000
	allowed sb tcp-connect 2001:db8:1::10 80
	allowed sb udp-sendmsg 2001:db8:1::10 5000
}

test_default_v4mapped() {
	need_rcc || return 1
	rcc_attach sb || return 1
	refused sb tcp-connect --v4mapped 10.1.2.3 80
	refused sb udp-sendto --v4mapped 10.1.2.3 5000
	refused sb udp-connect-send ::ffff:192.168.1.1 5000
	allowed sb tcp-connect --v4mapped 203.0.113.10 80
	allowed sb udp-sendto --v4mapped 203.0.113.10 5000
}

test_default_icmp() {
	need_rcc || return 1
	rcc_attach sb || return 1
	# raw sockets are refused at socket() by default
	refused sb raw-icmp 10.1.2.3
	refused sb raw-icmp fd12:3456:789a::10
	# ping sockets are not raw; their echo to a private address must not
	# leave, whatever sendto() says
	dropped sb ping 10.1.2.3
	dropped sb ping 169.254.169.254
	dropped sb ping fd12:3456:789a::10
	allowed sb ping 203.0.113.10
	allowed sb ping 2001:db8:1::10
}

# ================================================================ 2. allow / deny entries

test_allow_port_entry() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	allow = 10.1.2.3:8080/tcp
	allow = [fd12:3456:789a::10]:443/tcp
	EOF
	rcc_attach sb || return 1
	allowed sb tcp-connect 10.1.2.3 8080
	refused sb tcp-connect 10.1.2.3 8081
	refused sb udp-sendto 10.1.2.3 8080
	refused sb tcp-connect 192.168.1.1 8080
	allowed sb tcp-connect fd12:3456:789a::10 443
	refused sb tcp-connect fd12:3456:789a::10 80
	allowed sb tcp-connect 203.0.113.10 80
}

test_allow_cidr_and_ranges() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	allow = 192.168.0.0/16
	allow = fd12:3456:789a::/48
	allow = 172.16.0.0/12:443,8080-8081/tcp
	EOF
	rcc_attach sb || return 1
	allowed sb tcp-connect 192.168.1.1 80
	allowed sb udp-sendto 192.168.1.1 5000
	allowed sb tcp-connect fd12:3456:789a::10 80
	allowed sb tcp-connect 172.16.5.5 443
	allowed sb tcp-connect 172.16.5.5 8081
	refused sb tcp-connect 172.16.5.5 80
	refused sb udp-sendto 172.16.5.5 8080
	refused sb tcp-connect 10.1.2.3 80
	refused sb tcp-connect 169.254.169.254 80
}

test_deny_public() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	deny = 203.0.113.0/24
	EOF
	rcc_attach sb || return 1
	refused sb tcp-connect 203.0.113.10 80
	refused sb udp-sendto 203.0.113.10 5000
	dropped sb ping 203.0.113.10
	allowed sb tcp-connect 198.51.100.1 80
	allowed sb udp-sendto 2001:db8:1::10 5000
}

test_allowlist_mode() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	allow_public = no
	allow = 203.0.113.10:443/tcp
	allow = 2001:db8:1::10
	EOF
	rcc_attach sb || return 1
	allowed sb tcp-connect 203.0.113.10 443
	refused sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 198.51.100.1 80
	refused sb udp-sendto 198.51.100.1 5000
	refused sb tcp-connect 10.1.2.3 443
	dropped sb ping 198.51.100.1
	allowed sb udp-sendto 2001:db8:1::10 5000
	allowed sb tcp-connect 2001:db8:1::10 80
}

# ================================================================ 3. socket creation

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

# ================================================================ 4. source routing

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

# ================================================================ 5. lifecycle

# our_daemons: processes started by our rcc-bpf calls that are still
# running (they name this test's config on their command line)
our_daemons() {
	local p
	for p in /proc/[0-9]*; do
		grep -qsF "$T_CONF" "$p/cmdline" && echo "${p#/proc/}"
	done
}

test_outlives_attach_and_detach() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local pids
	pids=$(our_daemons)
	if [ -n "$pids" ]; then
		echo "  note: attach left processes $pids running; ending them"
		# shellcheck disable=SC2086 # one pid per word
		kill $pids
		sleep 0.5
	fi
	expect "programs attached to sb after attach exited" \
		test -n "$(attach_counts sb)"
	refused sb tcp-connect 10.1.2.3 80
	refused sb udp-sendto 10.1.2.3 5000
	allowed sb tcp-connect 203.0.113.10 80

	rcc_detach sb
	expect_eq "programs attached to sb after detach" "$(attach_counts sb)" ""
	allowed sb tcp-connect 10.1.2.3 80
	allowed sb udp-sendto 10.1.2.3 5000
	client sb socket-only inet raw icmp
	expect_result "after detach: socket(AF_INET, SOCK_RAW, ICMP)" "$RES" ok
}

test_attach_idempotent() {
	need_rcc || return 1
	local rel=${T_CG#"$CG2"/}/sb
	rcc_attach sb || return 1
	# again, by the path relative to the cgroup2 mount
	echo "$T_CONF $(cg_path sb)" >>"$T_DIR/attached"
	rcc attach --cgroup "$rel"
	expect_eq "second attach (relative path $rel) exit code" "$RCC_RC" 0
	expect_attached_once sb
	refused sb tcp-connect 10.1.2.3 80
	allowed sb tcp-connect 203.0.113.10 80

	rcc_attach sb open
	expect_attached_once sb
	allowed sb tcp-connect 10.1.2.3 80

	rcc_attach sb default
	expect_attached_once sb
	refused sb tcp-connect 10.1.2.3 80
}

test_attach_by_pid() {
	need_rcc || return 1
	local pid
	cg_make bypid
	in_sandbox bypid sleep 15 &
	wait_for 5 cg_has_procs bypid
	pid=$(head -n 1 "$(cg_path bypid)/cgroup.procs")
	echo "$T_CONF $(cg_path bypid)" >>"$T_DIR/attached"
	rcc attach --pid "$pid"
	expect_eq "attach --pid $pid exit code" "$RCC_RC" 0
	expect "programs attached to the cgroup of pid $pid" \
		test -n "$(attach_counts bypid)"
	refused bypid tcp-connect 10.1.2.3 80
	allowed bypid tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 10.1.2.3 80
	rcc detach --pid "$pid"
	expect_eq "detach --pid $pid exit code" "$RCC_RC" 0
	allowed bypid tcp-connect 10.1.2.3 80
}

test_bad_config_keeps_policy() {
	need_rcc || return 1
	rcc_attach sb || return 1
	refused sb tcp-connect 10.1.2.3 80
	local before after bad=$T_DIR/bad.conf line
	before=$(attached_prog_ids sb)
	# a valid line that would open 10.1.2.3 if applied, then a bad one
	conf_write "$bad" <<-EOF
	[policy default]
	allow = 10.1.2.3
	allow = 10.1.2.3:99999/tcp
	EOF
	line=$(conf_line "$bad" 99999)
	rcc -c "$bad" reload
	expect_eq "reload with a bad config: exit code" "$RCC_RC" 2
	expect "reload names $(basename "$bad"):$line:" \
		grep -qF "$(basename "$bad"):$line:" <<<"$RCC_OUT"
	rcc -c "$bad" attach --cgroup "$(cg_path sb)"
	expect_eq "attach with a bad config: exit code" "$RCC_RC" 2
	expect "attach names $(basename "$bad"):$line:" \
		grep -qF "$(basename "$bad"):$line:" <<<"$RCC_OUT"

	conf_write "$bad" <<-EOF
	[policy default]
	mode = sometimes
	EOF
	line=$(conf_line "$bad" sometimes)
	rcc -c "$bad" reload
	expect_eq "reload with mode = sometimes: exit code" "$RCC_RC" 2
	expect "reload names $(basename "$bad"):$line:" \
		grep -qF "$(basename "$bad"):$line:" <<<"$RCC_OUT"
	rcc -c "$bad" validate
	expect_eq "validate of the bad config: exit code" "$RCC_RC" 2

	after=$(attached_prog_ids sb)
	expect_eq "programs on sb unchanged" "$after" "$before"
	refused sb tcp-connect 10.1.2.3 80
	refused sb udp-sendto 10.1.2.3 5000
	allowed sb tcp-connect 203.0.113.10 80
}

# run_result: the client's result line in RCC_OUT
run_result() {
	printf '%s\n' "$RCC_OUT" | grep -E '^(ok|err)( |$)' | tail -n 1
}

# expect_run_cgroups_gone: no transient cgroup left under run_cgroup
expect_run_cgroups_gone() {
	local left=""
	[ -d "$T_RUN_CG" ] && left=$(find "$T_RUN_CG" -mindepth 1 -type d)
	expect_eq "transient cgroups left under $T_RUN_CG_NAME" "$left" ""
}

test_run_command() {
	need_rcc || return 1
	local client_cmd=("$PY" "$TOOLS/rcct_client.py")
	rcc run -- sh -c 'exit 7'
	expect_eq "run returns the command's exit status" "$RCC_RC" 7
	expect_run_cgroups_gone

	rcc run -- cat /proc/self/cgroup
	expect "the command ran in a cgroup under $T_RUN_CG_NAME/" \
		grep -qE "^0::/$T_RUN_CG_NAME/." <<<"$RCC_OUT"
	expect_run_cgroups_gone

	new_marker
	capture_mark
	rcc run -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 10.1.2.3 80 "$M"
	expect_eq "run: refused connect exits 1" "$RCC_RC" 1
	expect_result "run: tcp-connect 10.1.2.3 80" "$(run_result)" "err EPERM"
	expect_not_arrived "$M" 10.1.2.3 80
	expect_run_cgroups_gone

	new_marker
	rcc run -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 203.0.113.10 80 "$M"
	expect_eq "run: allowed connect exits 0" "$RCC_RC" 0
	expect_arrived "$M"

	new_marker
	rcc run --policy open -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 10.1.2.3 80 "$M"
	expect_eq "run --policy open: private connect exits 0" "$RCC_RC" 0
	expect_arrived "$M"

	rcc run --user nobody -- id -u
	expect_eq "run --user nobody: exit code" "$RCC_RC" 0
	expect_eq "run --user nobody: uid" "$(printf '%s\n' "$RCC_OUT" | tail -n 1)" \
		"$(id -u nobody)"
	expect_run_cgroups_gone
}

# expect_gt WHAT A B: A > B, both numbers
expect_gt() {
	if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$2" -gt "$3" ]; then
		pass_check "$1 ($2 > $3)"
	else
		fail_check "$1: want $2 > $3"
	fi
}

test_audit_mode() {
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	mode = audit
	EOF
	rcc_attach sb || return 1
	allowed sb tcp-connect 10.1.2.3 80
	allowed sb udp-sendto 192.168.1.1 5000
	allowed sb ping 169.254.169.254
	client sb socket-only inet raw icmp
	expect_result "audit: socket(AF_INET, SOCK_RAW, ICMP)" "$RES" ok
	expect_gt "status: audited for sb" "$(rcc_status_field sb audited)" 0
	expect_eq "status: denied for sb" "$(rcc_status_field sb denied)" 0
	expect_eq "status: mode for sb" "$(rcc_status_field sb mode)" audit
}

test_status_counters() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local a0 d0 a1 d1
	a0=$(rcc_status_field sb allowed)
	d0=$(rcc_status_field sb denied)
	expect "status lists sb with counters" test "$a0" != missing -a "$d0" != missing
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 10.1.2.3 80
	refused sb udp-sendto 10.1.2.3 5000
	a1=$(rcc_status_field sb allowed)
	d1=$(rcc_status_field sb denied)
	expect_gt "status: allowed grew" "$a1" "$a0"
	expect_gt "status: denied grew" "$d1" "$d0"
	expect_eq "status: policy of sb" "$(rcc_status_field sb policy)" default
	expect_eq "status: mode of sb" "$(rcc_status_field sb mode)" enforce
	rcc status --json >/dev/null
	expect "status lists policy default with denied > 0" "$PY" -c '
import json, sys
doc = json.loads(sys.argv[1])
sys.exit(not any(p.get("name") == "default" and p.get("denied", 0) > 0
                 for p in doc.get("policies", [])))' "$RCC_OUT"
}

test_check_matches_kernel() {
	# `check` (userspace) and the kernel agree on a few destinations
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	allow = 10.1.2.3:8080/tcp
	deny = 198.51.100.0/24
	EOF
	rcc_attach sb || return 1
	local addr port proto verdict
	while read -r addr port proto; do
		rcc check "$addr" "$port/$proto"
		verdict=${RCC_OUT%%[: ]*}
		case $verdict in
		allow) allowed sb "$proto-$([ "$proto" = tcp ] && echo connect || echo sendto)" "$addr" "$port" ;;
		deny) refused sb "$proto-$([ "$proto" = tcp ] && echo connect || echo sendto)" "$addr" "$port" ;;
		*) fail_check "check $addr $port/$proto: no allow/deny verdict: $RCC_OUT" ;;
		esac
	done <<-EOF
	10.1.2.3 8080 tcp
	10.1.2.3 8081 tcp
	10.1.2.3 8080 udp
	198.51.100.1 80 tcp
	203.0.113.10 80 tcp
	fd12:3456:789a::10 80 tcp
	2001:db8:1::10 5000 udp
	EOF
}

# ================================================================ 6. descendants

test_descendant_cgroups() {
	need_rcc || return 1
	rcc_attach sb || return 1
	cg_make sb/child
	cg_make sb/child/grandchild
	refused sb/child tcp-connect 10.1.2.3 80
	refused sb/child/grandchild udp-sendto 10.1.2.3 5000
	allowed sb/child tcp-connect 203.0.113.10 80

	rcc_attach sb/child open || return 1
	allowed sb/child tcp-connect 10.1.2.3 80
	allowed sb/child/grandchild udp-sendto 10.1.2.3 5000
	refused sb tcp-connect 10.1.2.3 80
	allowed sb tcp-connect 203.0.113.10 80
}

# ================================================================ 7. escape attempts

# escape_run CG [unprivileged]: a shell in cgroup CG and netns SB that is
# root in a user namespace of its own (mapped to uid 65534 with
# "unprivileged", to host uid 0 otherwise) tries to get out; its report
# is in ESCAPE_OUT, one "what: result" line each.
escape_run() {
	local cg out=$T_DIR/escape.out drop=()
	cg=$(cg_path "$1")
	[ "${2:-}" = unprivileged ] &&
		drop=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	new_marker; local m1=$M
	new_marker; local m2=$M
	ESC_M1=$m1 ESC_M2=$m2
	capture_mark
	PY=$PY TOOLS=$TOOLS CG2=$CG2 CGSB=$(cg_path sb) CGSELF=$cg \
	CGPARENT=$T_CG M1=$m1 M2=$m2 \
	PROG_IDS=$(attached_prog_ids sb) LINK_IDS=$(cgroup_link_ids sb) \
	PIN_FILES=$(find "$T_PIN" -type f 2>/dev/null | paste -sd,) \
	timeout -k 2 60 sh -c \
		'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' rcct-escape "$cg" \
		nsenter --net="/run/netns/$NS_SB" -- "${drop[@]}" \
		unshare --user --map-root-user -- sh -c '
		say() { echo "$1: $2"; }
		bpf() { "$PY" "$TOOLS/rcct_bpf.py" "$@"; }
		say uid_map "$(tr -s " " </proc/self/uid_map)"
		say caps "$(grep CapEff /proc/self/status)"
		say tamper "$(bpf tamper --pin-files "$PIN_FILES")"
		say detach "$(bpf detach "$CGSB" --prog-ids "$PROG_IDS" \
			--link-ids "$LINK_IDS" --pin-files "$PIN_FILES")"
		below=$CGSELF
		if mkdir "$CGSELF/sub" && echo $$ >"$CGSELF/sub/cgroup.procs"; then
			below=$CGSELF/sub
		fi
		say below "$below"
		say attach-below "$(bpf attach "$below")"
		say attach-sb "$(bpf attach "$CGSB")"
		say move-root "$(bpf cg-move "$CG2")"
		say move-parent "$(bpf cg-move "$CGPARENT")"
		say cgroup "$(grep "^0::" /proc/self/cgroup)"
		say private "$("$PY" "$TOOLS/rcct_client.py" tcp-connect 10.1.2.3 80 "$M1")"
		say public "$("$PY" "$TOOLS/rcct_client.py" tcp-connect 203.0.113.10 80 "$M2")"
		' </dev/null >"$out"
	echo "  escape report:"
	sed 's/^/      /' "$out"
	ESCAPE_OUT=$(cat "$out")
}

escape_field() {
	printf '%s\n' "$ESCAPE_OUT" | sed -n "s/^$1: //p" | head -n 1
}

# expect_escape_tool_works: the same tool, run with real privileges on a
# scratch cgroup and a scratch map, does attach, detach and rewrite: its
# failures in the sandbox mean something
expect_escape_tool_works() {
	local scratch map=$T_PIN-scratch/map
	cg_make scratch
	scratch=$(cg_path scratch)
	expect_result "control: real root attaches with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" attach "$scratch" 2>/dev/null)" ok
	expect_result "control: real root detaches with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" detach "$scratch" 2>/dev/null)" ok
	mkdir -p "${map%/*}" &&
		bpftool map create "$map" type hash key 4 value 4 entries 1 \
			name rcct_scratch &&
		bpftool map update pinned "$map" key 1 0 0 0 value 1 0 0 0
	expect_result "control: real root rewrites a pinned map with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" tamper --pin-files "$map" 2>/dev/null)" ok
}

test_escape_userns() {
	# A rootless-container shape: uid 65534 outside, root inside its own
	# user namespace, in a delegated cgroup below the enforced one.
	need_rcc || return 1
	rcc_attach sb || return 1
	expect_escape_tool_works
	local deleg
	cg_make sb/deleg
	deleg=$(cg_path sb/deleg)
	chown 65534:65534 "$deleg" "$deleg/cgroup.procs" "$deleg/cgroup.threads" \
		"$deleg/cgroup.subtree_control"
	escape_run sb/deleg unprivileged
	expect_result "userns root cannot rewrite the pinned maps" "$(escape_field tamper)" err
	expect_result "userns root cannot detach the programs" "$(escape_field detach)" err
	expect_result "userns root cannot attach its own program below" \
		"$(escape_field attach-below)" err
	expect_result "userns root cannot attach its own program to sb" \
		"$(escape_field attach-sb)" err
	expect_result "userns root cannot move to the root cgroup" \
		"$(escape_field move-root)" err
	expect_result "userns root cannot move to the parent cgroup" \
		"$(escape_field move-parent)" err
	expect_result "userns root is still refused" "$(escape_field private)" "err EPERM"
	expect_not_arrived "$ESC_M1" 10.1.2.3 80
	expect_result "userns root reaches a public address" "$(escape_field public)" ok
	expect_arrived "$ESC_M2"
	expect_attached_once sb
}

# ================================================================ 8. reload under load

test_reload_no_refusals() {
	need_rcc || return 1
	local base extra i tcp_pid udp_pid m_tcp m_udp
	base="[policy default]
allow = 10.1.2.3:8080/tcp
allow = 10.1.2.3:5000/udp"
	extra="deny = 203.0.113.0/24
allow = 192.168.1.1:443/tcp"
	conf_write <<<"$base"
	rcc_attach sb || return 1

	new_marker; m_tcp=$M
	new_marker; m_udp=$M
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop 4 tcp-connect 10.1.2.3 8080 "$m_tcp" >"$T_DIR/loop-tcp.out" &
	tcp_pid=$!
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop 4 udp-sendto 10.1.2.3 5000 "$m_udp" >"$T_DIR/loop-udp.out" &
	udp_pid=$!
	sleep 0.5
	for i in 1 2 3 4; do
		if [ $((i % 2)) = 1 ]; then
			conf_write <<<"$base
$extra"
		else
			conf_write <<<"$base"
		fi
		rcc reload
		expect_eq "reload $i exit code" "$RCC_RC" 0
		sleep 0.4
	done
	wait "$tcp_pid" "$udp_pid"
	expect_result "tcp loop to 10.1.2.3:8080 across reloads" \
		"$(cat "$T_DIR/loop-tcp.out")" ok
	expect_result "udp loop to 10.1.2.3:5000 across reloads" \
		"$(cat "$T_DIR/loop-udp.out")" ok
	expect_arrived "$m_tcp"
	expect_arrived "$m_udp"

	# the last reload (without the extra lines) took effect, the one
	# before it too
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 192.168.1.1 443
	conf_write <<<"$base
$extra"
	rcc reload
	expect_eq "final reload exit code" "$RCC_RC" 0
	refused sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 192.168.1.1 443
}

# ================================================================ 9. AF_PACKET warning

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

# ================================================================ 10. a million entries

test_million_entries() {
	# At least 1,000,000 allow entries load, and the kernel judges by
	# them: a member arrives, its neighbour port and a non-member do not.
	need_rcc || return 1
	local t0 t1
	ip -n "$NS_W" addr add 10.64.1.2/32 dev lo
	ip -n "$NS_W" addr add 10.64.1.3/32 dev lo
	conf_write <<<"[policy default]"
	# 10.64.0.0 and the 999,999 addresses after it, less 10.64.1.3
	"$PY" - "$T_CONF" <<-'PY'
	import ipaddress, sys
	base = int(ipaddress.IPv4Address("10.64.0.0"))
	hole = int(ipaddress.IPv4Address("10.64.1.3"))
	with open(sys.argv[1], "a") as f:
	    for a in range(base, base + 1000000):
	        if a != hole:
	            f.write("allow = %s:443/tcp\n" % ipaddress.IPv4Address(a))
	PY
	expect "the configuration holds 999,999 entries" \
		test "$(grep -c '^allow' "$T_CONF")" -eq 999999
	t0=$(date +%s%N)
	rcc_attach sb || return 1
	t1=$(date +%s%N)
	echo "  note: attach with 999,999 entries took $(((t1 - t0) / 1000000)) ms"
	allowed sb tcp-connect 10.64.1.2 443
	refused sb tcp-connect 10.64.1.2 80
	refused sb tcp-connect 10.64.1.3 443
	allowed sb tcp-connect 203.0.113.10 80
}

# ================================================================ main

usage() {
	sed -n '3,17s/^# \{0,1\}//p' "$RCCT_SELF"
}

is_test() {
	local t
	for t in "${TESTS[@]}"; do [ "$t" = "$1" ] && return 0; done
	return 1
}

RCCT_CUR=""
on_interrupt() {
	echo "interrupted; cleaning up" >&2
	[ -n "$RCCT_CUR" ] && kill -TERM "$RCCT_CUR" 2>/dev/null && wait "$RCCT_CUR"
	exit 130
}

on_exit() {
	[ "${RCC_KEEP:-0}" = 1 ] || sweep_run "$RCCT_RUN" >/dev/null 2>&1
}

# run_one IDX NAME: the test in a subshell of its own, with a watchdog;
# prints PASS/FAIL, and the test's log on failure
run_one() {
	local idx=$1 name=$2 rc wd
	t_init "$idx" "$name"
	(
		trap t_finish EXIT
		trap 'exit 143' TERM
		T_RC=1
		t_setup && "$name"
		T_RC=$?
	) >"$T_DIR/log" 2>&1 &
	RCCT_CUR=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$RCCT_TEST_TIMEOUT" &
		s=$!
		wait $s && echo "  watchdog: $name ran past ${RCCT_TEST_TIMEOUT}s" >>"$T_DIR/log" &&
			kill -TERM "$RCCT_CUR" 2>/dev/null
	) &
	wd=$!
	wait "$RCCT_CUR"
	rc=$?
	kill -TERM "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	RCCT_CUR=""
	if [ $rc = 0 ]; then
		echo "PASS $name"
		if [ "${RCCT_VERBOSE:-0}" = 1 ]; then
			sed 's/^/    /' "$T_DIR/log"
		elif [ "${RCC_KEEP:-0}" = 1 ]; then
			sed -n '/^  kept/,/clean up/p' "$T_DIR/log"
		fi
		return 0
	fi
	echo "FAIL $name"
	sed 's/^/    /' "$T_DIR/log"
	return 1
}

main() {
	local selected=() t passed=0 failed=0 idx=0 why
	case ${1:-} in
	-h | --help) usage; return 0 ;;
	--list) printf '%s\n' "${TESTS[@]}"; return 0 ;;
	--cleanup)
		[ -n "${2:-}" ] || { usage >&2; return 2; }
		CG2=$(cg2_mount)
		sweep_run "$2"
		return 0 ;;
	esac
	for t in "$@"; do
		is_test "$t" || { echo "unknown test: $t (see --list)" >&2; return 2; }
		selected+=("$t")
	done
	[ ${#selected[@]} -gt 0 ] || selected=("${TESTS[@]}")

	if ! why=$(preflight); then
		for t in "${selected[@]}"; do
			echo "FAIL $t"
			printf '%s\n' "$why" | sed 's/^/    cannot run: /'
		done
		echo "integration: 0 passed, ${#selected[@]} failed"
		return 1
	fi
	PY=$(pick_python)
	CG2=$(cg2_mount)
	mkdir -p -m 0755 "$RUN_DIR" "$TOOLS" && chmod 0755 "$RUN_DIR" &&
		cp "$ROOT"/tests/tools/rcct_*.py "$TOOLS/" || {
		echo "cannot prepare $RUN_DIR" >&2
		return 1
	}
	trap on_exit EXIT
	trap on_interrupt INT TERM
	[ -x "$RCC" ] || echo "note: no rcc-bpf at $RCC; the tests that need it will fail"

	for t in "${selected[@]}"; do
		idx=$((idx + 1))
		if run_one "$idx" "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "integration: $passed passed, $failed failed"
	[ "${RCC_KEEP:-0}" = 1 ] && echo "kept; remove with: $RCCT_SELF --cleanup $RCCT_RUN"
	[ $failed = 0 ]
}

main "$@"
