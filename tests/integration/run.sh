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
#   RCCT_FLOOD_COUNT=N    connect()s in each audit flood (default 1000000)
#
# Each test gets fresh network namespaces (sandbox SB, world W, one veth),
# its own cgroups and pin dir, and asserts on what ARRIVED in W (packet
# capture on W's veth plus a TCP/UDP sink), beside what the client saw.
# Needs root, cgroup2, bpffs (mounted if absent), python3, bpftool, and
# the C tools of the audit flood tests (make test-tools).

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
	test_audit_events
	test_audit_mode_log
	test_audit_hostile_comm
	test_audit_flood_reconcile
	test_audit_flood_rotation
	test_audit_kill9
	test_audit_flood_responsive
	test_audit_rotation_follow
	test_audit_log_filters
	test_audit_one_consumer
	test_dns_follows_change
	test_dns_no_gap_across_refreshes
	test_dns_resolver_down
	test_dns_rebinding_guard
	test_dns_one_shot_and_check
	test_dns_many_names
	test_dns_answers_while_locked
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

# ================================================================ 11. denial audit

test_audit_events() {
	# Each kind of denial: one record, with who, where, how and why.
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]

	[policy rawok]
	allow_raw_sockets = yes

	[policy rules]
	deny = 203.0.113.0/24
	EOF
	cg_make raw
	cg_make rules
	rcc_attach sb || return 1
	rcc_attach raw rawok || return 1
	rcc_attach rules rules || return 1
	daemon_start || return 1
	local sb raw rules sbid rawid common line
	sb=$(cg_path sb) raw=$(cg_path raw) rules=$(cg_path rules)
	sbid=$(stat -c %i "$sb") rawid=$(stat -c %i "$raw")
	common=(type=denial verdict=deny uid=0 gid=0 --absent rule)

	refused sb tcp-connect --comm rcct-tcp4 10.1.2.3 80
	expect_record "TCP connect: one record" "pid=$CASE_PID" "${common[@]}" \
		tid="$CASE_PID" comm=rcct-tcp4 cgroup="$sb" cgroup_id="$sbid" \
		policy=default hook=connect4 reason=private family=ipv4 \
		protocol=tcp dst=10.1.2.3 dport=80 --absent src --absent comm_hex

	refused sb udp-connect-send --comm rcct-udpc 192.168.1.1 5000
	expect_record "UDP connect: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udpc cgroup="$sb" hook=connect4 reason=private \
		family=ipv4 protocol=udp dst=192.168.1.1 dport=5000 --absent src

	refused sb udp-sendto --comm rcct-udps 169.254.169.254 5000
	expect_record "UDP sendto: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udps cgroup="$sb" hook=sendmsg4 reason=private \
		family=ipv4 protocol=udp dst=169.254.169.254 dport=5000 --absent src

	refused sb tcp-connect --comm rcct-tcp6 fd12:3456:789a::10 443
	expect_record "IPv6 connect: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-tcp6 cgroup="$sb" hook=connect6 reason=private \
		family=ipv6 protocol=tcp dst=fd12:3456:789a::10 dport=443

	refused sb udp-sendmsg --comm rcct-udp6 fd12:3456:789a::10 5000
	expect_record "IPv6 sendmsg: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udp6 hook=sendmsg6 reason=private family=ipv6 \
		protocol=udp dst=fd12:3456:789a::10 dport=5000

	refused sb tcp-connect --v4mapped --comm rcct-map 10.1.2.3 8080
	expect_record "v4-mapped connect: one record, the IPv4 address" \
		"pid=$CASE_PID" "${common[@]}" comm=rcct-map hook=connect6 \
		reason=private family=ipv6 protocol=tcp dst=10.1.2.3 dport=8080

	dropped raw raw-icmp --comm rcct-icmp 10.1.2.3
	expect_record "raw ICMP (allow_raw_sockets): one egress record" \
		"pid=$CASE_PID" "${common[@]}" comm=rcct-icmp cgroup="$raw" \
		cgroup_id="$rawid" policy=rawok hook=egress reason=private \
		family=ipv4 protocol=icmp dst=10.1.2.3 src="$SB_ADDR4"

	client sb --comm rcct-rawsk --show-pid socket-only inet raw icmp
	expect_result "socket(AF_INET, SOCK_RAW, ICMP)" "$RES" "err EPERM"
	expect_record "raw socket: one sock_create record" "pid=${RES##* pid=}" \
		"${common[@]}" comm=rcct-rawsk cgroup="$sb" hook=sock_create \
		reason=socket_type family=ipv4 protocol=icmp --absent dst \
		--absent dport

	line=$(conf_line "$T_CONF" "deny = 203.0.113.0/24")
	refused rules tcp-connect --comm rcct-rule 203.0.113.10 80
	expect_record "deny rule: one record naming the rule" "pid=$CASE_PID" \
		type=denial verdict=deny comm=rcct-rule cgroup="$rules" \
		policy=rules hook=connect4 reason=deny_rule dst=203.0.113.10 \
		dport=80 rule="deny = 203.0.113.0/24 (line $line)"

	allowed sb tcp-connect --comm rcct-okay 203.0.113.10 80
	sleep 0.5
	expect_eq "an allowed connect leaves no record" "$(audit_count "comm=rcct-okay")" 0

	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" 9
	expect_reconciled
	expect_eq "written = records" "$AUD_WRITTEN" 9
	rcc status
	expect "status prints the AUDIT line" grep -qE \
		"^AUDIT: $AUD_DENIALS denials counted = $AUD_WRITTEN written \+ $AUD_FOLDED folded into summaries \+ $AUD_LOST lost \(ring full\)" \
		<<<"$RCC_OUT"
}

test_audit_mode_log() {
	# mode = audit: the traffic goes out, the log says what would have
	# been refused, with verdict "audit"
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	mode = audit
	EOF
	rcc_attach sb || return 1
	daemon_start || return 1
	local sb tcp_pid udp_pid
	sb=$(cg_path sb)
	allowed sb tcp-connect --comm rcct-audtcp 10.1.2.3 80
	tcp_pid=$CASE_PID
	expect_record "audited TCP connect: one connect4 record" \
		"pid=$tcp_pid,hook=connect4" type=denial verdict=audit \
		comm=rcct-audtcp cgroup="$sb" policy=default reason=private \
		protocol=tcp dst=10.1.2.3 dport=80
	allowed sb udp-sendto --comm rcct-aududp 192.168.1.1 5000
	udp_pid=$CASE_PID
	expect_record "audited UDP sendto: one sendmsg4 record" \
		"pid=$udp_pid,hook=sendmsg4" type=denial verdict=audit \
		comm=rcct-aududp cgroup="$sb" reason=private protocol=udp \
		dst=192.168.1.1 dport=5000
	allowed sb ping --comm rcct-audping 169.254.169.254
	wait_record "comm=rcct-audping"
	echo "  note: the audited TCP connection left records from hooks:" \
		"$(audit_qlog values hook "pid=$tcp_pid")"
	echo "  note: the audited ping left records from hooks:" \
		"$(audit_qlog values hook "comm=rcct-audping")"
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_log_whole
	expect_result "every record says verdict audit" \
		"$(audit_qlog every verdict=audit)" ok
	expect_reconciled
	expect_gt "status: audited for sb" "$(rcc_status_field sb audited)" 0
	expect_eq "status: denied for sb" "$(rcc_status_field sb denied)" 0
}

# Process names that break naive JSON writers: quotes, backslashes,
# control bytes, bytes >= 0x80 that are not UTF-8, a UTF-8 sequence the
# kernel's 15-byte limit cuts in two, and valid UTF-8.
HOSTILE_COMMS="61225c62
220a7d7b2278223a
5c7530303030095c
1b5b33316d7f08
fffe22800a5c41
c3a974c3a9
6161616161616161616161616161c3a9
e282ac2fc3bf
2c2c2c5d5d7d"

test_audit_hostile_comm() {
	need_rcc || return 1
	rcc_attach sb || return 1
	daemon_start || return 1
	local hex pids=() i=0 lines
	for hex in $HOSTILE_COMMS; do
		refused sb tcp-connect --comm-hex "$hex" 10.1.2.3 80
		pids+=("$CASE_PID")
	done
	for hex in $HOSTILE_COMMS; do
		expect_record "comm bytes $hex: one record, comm/comm_hex exact" \
			"pid=${pids[$i]}" hook=connect4 dst=10.1.2.3 --comm-of "$hex"
		i=$((i + 1))
	done
	daemon_stop
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" "$(wc -w <<<"$HOSTILE_COMMS")"
	# python's json.loads on every line, strictly (no control characters)
	expect "every line parses with json.loads(strict=True) into an object" \
		"$PY" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    assert line.endswith(b"\n"), n
    assert isinstance(json.loads(line.decode("utf-8"), strict=True), dict), n
' "$T_AUDIT_LOG"
	rcc log
	expect_eq "log (table): exit code" "$RCC_RC" 0
	lines=$(printf '%s\n' "$RCC_OUT" | wc -l)
	expect_eq "log (table): one line per record plus the header" "$lines" \
		$(($(wc -w <<<"$HOSTILE_COMMS") + 1))
	rcc log --json
	expect "log --json gives the file's lines unchanged" \
		cmp -s <(printf '%s\n' "$RCC_OUT") "$T_AUDIT_LOG"
}

# flood_run CG COUNT [FLOOD OPTIONS...] ADDR PORT: rcct_flood in the sandbox
# while the daemon runs, its RSS sampled every 0.1 s; the result line
# in FLOOD_RES, the largest RSS (KiB) in FLOOD_RSS_MAX
flood_run() {
	local cg=$1 count=$2 fpid rss
	shift 2
	local args=("$@")
	local addr=${args[-2]} port=${args[-1]}
	unset 'args[-1]' 'args[-1]'
	FLOOD_RSS_MAX=$(rss_kib "$DAEMON_PID")
	RCCT_CMD_TIMEOUT=90 in_sandbox "$cg" "$TOOLS/rcct_flood" --seconds 60 \
		"${args[@]}" "$addr" "$port" "$count" >"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	while ! pid_gone "$fpid"; do
		rss=$(rss_kib "$DAEMON_PID")
		[ "$rss" -gt "$FLOOD_RSS_MAX" ] && FLOOD_RSS_MAX=$rss
		sleep 0.1
	done
	wait "$fpid"
	FLOOD_RES=$(tail -n 1 "$T_DIR/flood.out")
	echo "  flood ${args[*]} $addr $port $count -> $FLOOD_RES"
	echo "  note: daemon RSS peaked at $FLOOD_RSS_MAX KiB during the flood"
}

# flood_field NAME: NAME=VALUE from FLOOD_RES
flood_field() {
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$FLOOD_RES"
}

# expect_log_bounded MAX KEEP: each file at most MAX bytes, at most KEEP+1
# files, none beyond PATH.KEEP
expect_log_bounded() {
	local max=$1 keep=$2 f size big=""
	for f in $(audit_files); do
		size=$(stat -c %s "$f")
		echo "      $(basename "$f"): $size bytes"
		[ "$size" -le "$max" ] || big="$big $(basename "$f")($size)"
	done
	expect_eq "log files larger than $max bytes" "${big# }" ""
	expect "at most $((keep + 1)) log files" \
		test "$(audit_files | wc -l)" -le $((keep + 1))
	expect "nothing beyond $(basename "$T_AUDIT_LOG").$keep" \
		test -z "$(find "${T_AUDIT_LOG%/*}" -name "$(basename "$T_AUDIT_LOG").*" |
			awk -F. -v k="$keep" '$NF > k')"
}

FLOOD_COUNT=${RCCT_FLOOD_COUNT:-1000000}
RSS_LIMIT_KIB=$((64 * 1024))

test_audit_flood_reconcile() {
	# A million refused connect()s to one private address, on 1000 ports
	# in turn, the daemon folding them (audit_rate 10 per destination):
	# every denial accounted for, exactly.  keep is large enough that no
	# file rotates away, so the log itself adds up.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 64K
audit_keep = 500"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local calls eperm stats den sup
	capture_mark
	flood_run sb "$FLOOD_COUNT" --comm rcct-flood --ports 1000 10.1.2.3 20000
	expect_result "flood: every connect() refused with EPERM" "$FLOOD_RES" ok
	calls=$(flood_field calls) eperm=$(flood_field eperm)
	expect_eq "flood: calls made" "$calls" "$FLOOD_COUNT"
	echo "  note: flood rate $(flood_field rate) connect()/s"
	expect_not_arrived "flood to 10.1.2.3" 10.1.2.3
	expect "daemon RSS stayed under $((RSS_LIMIT_KIB / 1024)) MiB" \
		test "$FLOOD_RSS_MAX" -lt "$RSS_LIMIT_KIB"
	wait_for 15 audit_reconciled
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_reconciled
	echo "  note: lost (ring full): $AUD_LOST of $AUD_DENIALS"
	expect_eq "denials counted = the flood's refused calls" "$AUD_DENIALS" "$eperm"
	expect "the log rotated (there is a $(basename "$T_AUDIT_LOG").1)" \
		test -e "$T_AUDIT_LOG.1"
	expect_log_bounded 65536 500
	expect_log_whole
	stats=$(audit_qlog stats)
	echo "  log: $stats"
	den=$(sed -n 's/.* denial=\([0-9]*\).*/\1/p' <<<"$stats")
	sup=$(sed -n 's/.* suppressed=\([0-9]*\).*/\1/p' <<<"$stats")
	expect_eq "written = denial records in the log" "$den" "$AUD_WRITTEN"
	expect_eq "folded = sum of suppressed in the summaries" "$sup" "$AUD_FOLDED"
	expect_result "every record is of the flood" \
		"$(audit_qlog every comm=rcct-flood,dst=10.1.2.3,hook=connect4)" ok
	# summaries go out in batches, each stamped with its last folded
	# event: only the denial records are in strict time order
	expect_result "the denial records' times never go back" \
		"$(audit_qlog order type=denial)" ok
	echo "  note: all records in time order? $(audit_qlog order)"
}

test_audit_flood_rotation() {
	# Every event written (audit_rate at its maximum), a small ring and
	# small files: the files stay bounded, the ring overflows into "lost",
	# and the totals still add up.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 64K
audit_keep = 3
audit_rate = 1000000
ring_size = 256K"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local eperm
	capture_mark
	flood_run sb "$FLOOD_COUNT" --comm rcct-flood 10.1.2.3 80
	expect_result "flood: every connect() refused with EPERM" "$FLOOD_RES" ok
	eperm=$(flood_field eperm)
	echo "  note: flood rate $(flood_field rate) connect()/s"
	expect_not_arrived "flood to 10.1.2.3:80" 10.1.2.3 80
	expect "daemon RSS stayed under $((RSS_LIMIT_KIB / 1024)) MiB" \
		test "$FLOOD_RSS_MAX" -lt "$RSS_LIMIT_KIB"
	wait_for 15 audit_reconciled
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_reconciled
	echo "  note: lost (ring full): $AUD_LOST of $AUD_DENIALS"
	expect_eq "denials counted = the flood's refused calls" "$AUD_DENIALS" "$eperm"
	expect "files rotated: $(basename "$T_AUDIT_LOG").3 exists" test -e "$T_AUDIT_LOG.3"
	expect_log_bounded 65536 3
	expect_log_whole
}

# file_larger FILE BYTES
file_larger() {
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]
}

not() { ! "$@"; }

test_audit_kill9() {
	# kill -9 of the daemon while it writes a flood: the log holds whole
	# lines (at most a cut last one), and a new daemon appends after them
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_rate = 1000000
ring_size = 1M"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local fpid snap=$T_DIR/audit.killed out n tail keep_len size
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-flood \
		--seconds 3 10.1.2.3 80 100000000 >"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	wait_for 5 file_larger "$T_AUDIT_LOG" 2000000
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	echo "  killed the daemon (pid $DAEMON_PID) with SIGKILL at $(stat -c %s "$T_AUDIT_LOG") bytes"
	expect "the flood was still running when the daemon was killed" \
		not pid_gone "$fpid"
	wait "$fpid"
	echo "  flood: $(tail -n 1 "$T_DIR/flood.out")"
	cp "$T_AUDIT_LOG" "$snap"
	out=$(audit_q lines --partial-tail "$snap")
	expect_result "after kill -9: every whole line is JSON" "$out" ok
	n=$(sed -n 's/.*lines=\([0-9]*\).*/\1/p' <<<"$out")
	tail=$(sed -n 's/.*tail=\([0-9]*\).*/\1/p' <<<"$out")
	echo "  note: $n whole lines, a cut last line of ${tail:-?} bytes"
	keep_len=$(($(stat -c %s "$snap") - ${tail:-0}))
	audit_totals
	expect "after kill -9: written + folded + lost <= denials" \
		test $((AUD_WRITTEN + AUD_FOLDED + AUD_LOST)) -le "$AUD_DENIALS"
	expect "after kill -9: written <= records in the log" \
		test "$AUD_WRITTEN" -le "${n:-0}"

	daemon_start || return 1
	refused sb tcp-connect --comm rcct-after 10.1.2.3 443
	wait_record "comm=rcct-after"
	daemon_stop
	expect_eq "restarted daemon: exit code after SIGTERM" "$DAEMON_RC" 0
	size=$(stat -c %s "$T_AUDIT_LOG")
	expect "the restarted daemon kept the $keep_len bytes of whole lines" \
		cmp -s -n "$keep_len" "$snap" "$T_AUDIT_LOG"
	expect "the restarted daemon appended ($size > $keep_len bytes)" \
		test "$size" -gt "$keep_len"
	expect_log_whole
	expect "the new record comes after the old lines" test \
		"$(grep -n '"comm":"rcct-after"' "$T_AUDIT_LOG" | cut -d: -f1)" -gt "${n:-0}"
	if [ "${tail:-0}" -gt 0 ]; then
		expect "the restarted daemon said it dropped the cut line" \
			grep -q "dropped $tail bytes" "$DAEMON_OUT"
	fi
}

test_audit_rotation_follow() {
	# Small files, distinct destinations (nothing folded): the rotated
	# files are there and bounded, `log --json` reads them in order, and
	# `log -f` goes on across a rotation.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 8K
audit_keep = 3"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local fpid res before ino0 ino1 files rc
	res=$(in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-rot1 --ports 100 \
		10.1.2.3 20000 100)
	expect_result "100 refused connects to 100 ports" "$res" ok
	wait_record "comm=rcct-rot1,dport=20099"
	sleep 0.5
	files=$(audit_files)
	echo "  log files: $(echo "$files" | xargs -n1 basename | paste -sd' ')"
	for f in 1 2 3; do
		expect "$(basename "$T_AUDIT_LOG").$f exists" test -e "$T_AUDIT_LOG.$f"
	done
	expect_log_bounded 8192 3
	expect_log_whole
	# shellcheck disable=SC2086
	echo "  note: $(audit_q count comm=rcct-rot1 $files | cut -d' ' -f2) of 100 records still in the files"
	rcc log --json
	expect_eq "log --json: exit code" "$RCC_RC" 0
	# shellcheck disable=SC2086
	expect "log --json = the files' lines, oldest file first" \
		cmp -s <(printf '%s\n' "$RCC_OUT") <(cat $files)
	printf '%s\n' "$RCC_OUT" >"$T_DIR/log.json"
	expect_result "log --json: times in order" "$(audit_q order "$T_DIR/log.json")" ok

	# log -f from now on; a slow second batch crosses a rotation
	before=$(printf '%s\n' "$RCC_OUT" | wc -l)
	timeout --foreground -k 2 40 "$RCC" -c "$T_CONF" log -f --json </dev/null \
		>"$T_DIR/follow.out" 2>"$T_DIR/follow.err" &
	fpid=$!
	remember_pid "$fpid"
	wait_for 5 lines_ge "$T_DIR/follow.out" "$before"
	expect_eq "log -f printed the existing records first" \
		"$(wc -l <"$T_DIR/follow.out")" "$before"
	ino0=$(stat -c %i "$T_AUDIT_LOG")
	res=$(in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-rot2 --ports 40 \
		--every-us 100000 10.1.2.3 21000 40)
	expect_result "40 refused connects, 0.1 s apart" "$res" ok
	wait_for 10 audit_has_file comm=rcct-rot2 40 "$T_DIR/follow.out"
	ino1=$(stat -c %i "$T_AUDIT_LOG")
	expect "the log rotated while log -f ran (inode $ino0 -> $ino1)" \
		test "$ino0" != "$ino1"
	kill -TERM "$fpid"
	wait "$fpid"
	rc=$?
	expect_eq "log -f: exit code after SIGTERM" "$rc" 0
	sed 's/^/      follow stderr: /' "$T_DIR/follow.err"
	expect_result "log -f output: whole JSON lines" \
		"$(audit_q lines "$T_DIR/follow.out")" ok
	expect_eq "log -f: the 40 new records, each once" \
		"$(audit_q count comm=rcct-rot2 "$T_DIR/follow.out")" "ok 40"
	expect_eq "log -f: the 40 new ports in order" \
		"$(audit_q values dport comm=rcct-rot2 "$T_DIR/follow.out")" \
		"ok $(seq 21000 21039 | paste -sd,)"
	expect_result "log -f output: times in order" \
		"$(audit_q order type=denial "$T_DIR/follow.out")" ok
	expect_eq "log -f output: no summaries (nothing folded)" \
		"$(audit_q count type=summary "$T_DIR/follow.out")" "ok 0"
	grep -h '"type":"summary"' "$T_DIR/follow.out" | sed 's/^/      summary: /'
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	audit_totals
	expect_eq "nothing folded" "$AUD_FOLDED" 0
	expect_log_bounded 8192 3
}

# lines_ge FILE N: FILE has at least N lines
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# audit_has_file SEL N FILE: FILE has at least N records matching SEL
audit_has_file() {
	local out
	out=$(audit_q count "$1" "$3" 2>/dev/null)
	[ "${out#ok }" -ge "$2" ] 2>/dev/null
}

# log_comms ARGS...: `log --json ARGS`; the comm of each record, sorted
log_comms() {
	rcc log --json "$@" >/dev/null
	[ "$RCC_RC" = 0 ] || { echo "exit $RCC_RC"; return; }
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
print(",".join(sorted(json.loads(l)["comm"] for l in sys.stdin if l.strip())))'
}

test_audit_log_filters() {
	need_rcc || return 1
	local sb child ctr rel mid all
	cg_make sb/child
	cg_make sbx-ctr-abc123def
	sb=$(cg_path sb) child=$(cg_path sb/child) ctr=$(cg_path sbx-ctr-abc123def)
	rel=${sb#"$CG2"/}
	rcc_attach sb || return 1
	rcc_attach sbx-ctr-abc123def || return 1
	daemon_start || return 1
	rcc log
	refused sb tcp-connect --comm rcct-f1 10.1.2.3 80
	refused sb udp-sendto --comm rcct-f2 192.168.1.1 5000
	wait_record comm=rcct-f2
	sleep 1.1
	mid=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	refused sbx-ctr-abc123def tcp-connect --comm rcct-f3 172.16.5.5 80
	refused sbx-ctr-abc123def tcp-connect --comm rcct-f4 fd12:3456:789a::10 80
	refused sb/child tcp-connect --comm rcct-f5 169.254.169.254 80
	wait_record comm=rcct-f5
	daemon_stop
	all=rcct-f1,rcct-f2,rcct-f3,rcct-f4,rcct-f5
	expect_eq "log --json: everything" "$(log_comms)" "$all"
	expect_eq "--cgroup SB (absolute): it and below" "$(log_comms --cgroup "$sb")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB (relative to the mount)" "$(log_comms --cgroup "$rel")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB/ (trailing slash)" "$(log_comms --cgroup "$sb/")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB/child" "$(log_comms --cgroup "$child")" rcct-f5
	expect_eq "--cgroup of the sibling sbx-...: not sb" "$(log_comms --cgroup "$ctr")" \
		rcct-f3,rcct-f4
	expect_eq "--cgroup of the test's root: all" "$(log_comms --cgroup "$T_CG")" "$all"
	expect_eq "--cgroup of a cgroup that never was" \
		"$(log_comms --cgroup "$T_CG/nothere")" ""
	expect_eq "--dst 10.0.0.0/8" "$(log_comms --dst 10.0.0.0/8)" rcct-f1
	expect_eq "--dst 192.168.1.1" "$(log_comms --dst 192.168.1.1)" rcct-f2
	expect_eq "--dst 172.16.0.0/12" "$(log_comms --dst 172.16.0.0/12)" rcct-f3
	expect_eq "--dst fd00::/8" "$(log_comms --dst fd00::/8)" rcct-f4
	expect_eq "--dst fd12:3456:789a::10" "$(log_comms --dst fd12:3456:789a::10)" rcct-f4
	expect_eq "--dst 169.254.169.254/32" "$(log_comms --dst 169.254.169.254/32)" rcct-f5
	expect_eq "--dst 0.0.0.0/0: every IPv4 destination" \
		"$(log_comms --dst 0.0.0.0/0)" rcct-f1,rcct-f2,rcct-f3,rcct-f5
	expect_eq "--dst 203.0.113.0/24: none" "$(log_comms --dst 203.0.113.0/24)" ""
	expect_eq "--since 1h: everything" "$(log_comms --since 1h)" "$all"
	expect_eq "--since 10m: everything" "$(log_comms --since 10m)" "$all"
	expect_eq "--since 2099-01-01T00:00:00Z: nothing" \
		"$(log_comms --since 2099-01-01T00:00:00Z)" ""
	expect_eq "--since an hour ahead: nothing" \
		"$(log_comms --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)")" ""
	expect_eq "--since $mid: the later three" "$(log_comms --since "$mid")" \
		rcct-f3,rcct-f4,rcct-f5
	expect_eq "--container abc123 (cgroup path substring)" \
		"$(log_comms --container abc123)" rcct-f3,rcct-f4
	expect_eq "--container with no match" "$(log_comms --container nomatch999)" ""
	expect_eq "--container abc123 --dst 172.16.0.0/12" \
		"$(log_comms --container abc123 --dst 172.16.0.0/12)" rcct-f3
	expect_eq "--cgroup SB --since $mid" "$(log_comms --cgroup "$sb" --since "$mid")" rcct-f5
	rcc log --json --dst 10.0.0.0/8
	expect "--json prints the record's line as it is in the file" \
		grep -qxF -- "$RCC_OUT" "$T_AUDIT_LOG"
	rcc log --container abc123
	expect_eq "table: exit code" "$RCC_RC" 0
	expect_eq "table: header plus two rows" "$(printf '%s\n' "$RCC_OUT" | wc -l)" 3
	expect "table: the header" grep -q "^TIME.*DESTINATION" <<<"$RCC_OUT"
	expect "table: the row of rcct-f3 (pid/comm, destination)" \
		grep -qE "[0-9]+/rcct-f3 +172\.16\.5\.5:80 " <<<"$RCC_OUT"
	expect "table: the row of rcct-f4 ([v6]:port)" \
		grep -qE "/rcct-f4 +\[fd12:3456:789a::10\]:80 " <<<"$RCC_OUT"
	rcc log --dst not-an-address
	expect_eq "--dst not-an-address: exit code" "$RCC_RC" 2
	rcc log --since yesterday
	expect_eq "--since yesterday: exit code" "$RCC_RC" 2
}

test_audit_one_consumer() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local lpid rc
	rcc log
	expect_eq "log before any daemon wrote: exit code" "$RCC_RC" 1
	daemon_start || return 1
	rcc daemon
	expect_eq "a second daemon while one runs: exit code" "$RCC_RC" 1
	expect "it names the other consumer" grep -q "another rcc-bpf daemon answers on" <<<"$RCC_OUT"
	refused sb tcp-connect --comm rcct-d1 10.1.2.3 80
	wait_record comm=rcct-d1
	daemon_stop
	expect_eq "the first daemon: exit code after SIGTERM" "$DAEMON_RC" 0

	# no daemon: log -f reads the ring itself, and writes the log too
	timeout --foreground -k 2 40 "$RCC" -c "$T_CONF" log -f --json </dev/null \
		>"$T_DIR/follow.out" 2>"$T_DIR/follow.err" &
	lpid=$!
	remember_pid "$lpid"
	expect "log -f says it reads the events itself" \
		wait_for 5 grep -q "no daemon is running" "$T_DIR/follow.err"
	rcc daemon
	expect_eq "a daemon while log -f consumes: exit code" "$RCC_RC" 1
	refused sb tcp-connect --comm rcct-lf 10.1.2.3 80
	refused sb udp-sendto --comm rcct-lf2 fd12:3456:789a::10 5000
	expect_record "log -f wrote the record to the log file" "pid=$CASE_PID" \
		comm=rcct-lf2 hook=sendmsg6 dst=fd12:3456:789a::10
	expect "log -f printed the new records" \
		wait_for 5 audit_has_file "comm=rcct-lf2" 1 "$T_DIR/follow.out"
	expect_eq "log -f printed the old record too" \
		"$(audit_q count comm=rcct-d1 "$T_DIR/follow.out")" "ok 1"
	expect_eq "log -f printed rcct-lf once" \
		"$(audit_q count comm=rcct-lf "$T_DIR/follow.out")" "ok 1"
	kill -TERM "$lpid"
	wait "$lpid"
	rc=$?
	expect_eq "log -f: exit code after SIGTERM" "$rc" 0
	sed 's/^/      follow stderr: /' "$T_DIR/follow.err"
	expect_result "log -f output: whole JSON lines" \
		"$(audit_q lines "$T_DIR/follow.out")" ok
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" 3
	expect_reconciled
	# the ring is free again
	daemon_start || return 1
	daemon_stop
	expect_eq "a daemon after log -f ended: exit code" "$DAEMON_RC" 0
}

test_audit_flood_responsive() {
	# A sandboxed process cycling through many destinations (each a key
	# of its own, so most events are written, not folded) outruns the
	# daemon.  With the default rate and ring, the daemon must still
	# tick and answer SIGTERM while the flood goes on.  Small files keep
	# the disk use bounded.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 1M
audit_keep = 2"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	local fpid t0 t1 i last=-1 tl now gap maxgap=0 cpu=()
	# daemon and flood on CPUs of their own: neither waits for the other
	if [ "$(nproc)" -ge 2 ]; then
		cpu=(--cpu 1)
		DAEMON_CPU=0 daemon_start || return 1
	else
		echo "  note: one CPU: daemon and flood share it"
		daemon_start || return 1
	fi
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-flood \
		--seconds 10 "${cpu[@]}" --ports 60000 10.1.2.3 1024 100000000 \
		>"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	# the longest the totals in status stood still (the daemon ticks
	# every 200 ms)
	tl=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8; do
		sleep 0.25
		audit_totals >/dev/null
		now=$(date +%s%N)
		if [ "$AUD_WRITTEN" != "$last" ]; then
			gap=$(((now - tl) / 1000000))
			[ "$gap" -gt "$maxgap" ] && maxgap=$gap
			tl=$now last=$AUD_WRITTEN
		fi
	done
	gap=$((($(date +%s%N) - tl) / 1000000))
	[ "$gap" -gt "$maxgap" ] && maxgap=$gap
	audit_totals
	echo "  note: during the flood, status totals stood still for up to $maxgap ms"
	t0=$(date +%s%N)
	kill -TERM "$DAEMON_PID"
	wait_for 3 pid_gone "$DAEMON_PID"
	t1=$(date +%s%N)
	expect "the flood was still running at SIGTERM" not pid_gone "$fpid"
	if pid_gone "$DAEMON_PID"; then
		pass_check "SIGTERM during the flood: the daemon stopped in $(((t1 - t0) / 1000000)) ms"
	else
		fail_check "SIGTERM during the flood: the daemon still runs $(((t1 - t0) / 1000000)) ms later"
	fi
	wait "$fpid"
	echo "  flood: $(tail -n 1 "$T_DIR/flood.out")"
	# no second SIGTERM: one that arrives while the daemon drains kills it
	daemon_wait 20
	t1=$(date +%s%N)
	[ "$DAEMON_RC" = running ] && daemon_stop
	echo "  note: the daemon was gone $(((t1 - t0) / 1000000)) ms after SIGTERM (the flood ended $(($(flood_ms) / 1000)) s after it started)"
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	# what the flood added after the daemon stopped waits in the ring
	audit_totals
	echo "  note: $((AUD_DENIALS - AUD_WRITTEN - AUD_FOLDED - AUD_LOST)) events left in the ring; a new daemon reads them"
	daemon_start || return 1
	wait_for 20 audit_reconciled
	daemon_stop
	expect_reconciled
	expect_log_bounded $((1024 * 1024)) 2
	expect_log_whole
}

flood_ms() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T_DIR/flood.out"
}

# ================================================================ 12. hostnames that follow DNS
#
# dnsmasq in W is the resolver; the daemon (and the one-shot commands)
# run in SB's netns to reach it, outside the sandbox cgroup.

# probe_until SECONDS WANT CG ADDR PORT: polls a TCP connect from CG until
# its result is WANT (ok, or "err EPERM"); PROBE_MS: how long it took
probe_until() {
	local secs=$1 want=$2 cg=$3 addr=$4 port=$5 start res
	start=$(date +%s%N)
	while :; do
		res=$(in_sandbox "$cg" "$PY" "$TOOLS/rcct_client.py" tcp-connect "$addr" "$port" probe)
		PROBE_MS=$((($(date +%s%N) - start) / 1000000))
		case $res in "$want"*) return 0 ;; esac
		[ "$PROBE_MS" -ge $((secs * 1000)) ] && return 1
		sleep 0.1
	done
}

# dns_api_up TTL [GLOBAL]: api.rcc.test -> 203.0.113.10 with TTL, the
# default policy allowing only api.rcc.test:80/tcp, a daemon, sb attached
dns_api_up() {
	dns_world "${2:-}"
	dns_set "203.0.113.10 api.rcc.test"
	dns_start "$1" || return 1
	conf_write <<-EOF
	[policy default]
	allow_public = no
	allow = api.rcc.test:80/tcp
	EOF
	daemon_start || return 1
	rcc_attach sb
}

test_dns_follows_change() {
	# a name's address changes: the new one is allowed and the old one
	# refused within TTL + 1 s
	need_rcc || return 1
	ip -n "$NS_W" addr add 203.0.113.11/32 dev lo
	dns_api_up 2 || return 1
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 203.0.113.11 80

	local t0
	dns_set "203.0.113.11 api.rcc.test"
	t0=$(date +%s%N)
	if dns_answers api.rcc.test 203.0.113.10; then
		fail_check "dnsmasq still answers the old address"
	else
		pass_check "dnsmasq answers only the new address"
	fi
	probe_until 3 ok sb 203.0.113.11 80
	expect "the new address is allowed within TTL + 1 s (took $PROBE_MS ms)" \
		test "$PROBE_MS" -lt 3000
	probe_until 3 "err EPERM" sb 203.0.113.10 80
	PROBE_MS=$((($(date +%s%N) - t0) / 1000000))
	expect "the old address is refused within TTL + 1 s of the change (took $PROBE_MS ms)" \
		test "$PROBE_MS" -lt 3000
	allowed sb tcp-connect 203.0.113.11 80
	refused sb tcp-connect 203.0.113.10 80
	expect_eq "status: the name's state and address" "$(name_state api.rcc.test)" "ok 203.0.113.11"
	expect "the daemon logged the change" grep -q "dns: api.rcc.test: removed 203.0.113.10" "$DAEMON_OUT"
	daemon_stop
}

test_dns_no_gap_across_refreshes() {
	# two addresses, one drops out: connects to the other never fail,
	# across at least 20 refreshes
	need_rcc || return 1
	local m loop_pid sent got queries
	ip -n "$NS_W" addr add 203.0.113.12/32 dev lo
	dns_world
	dns_set "203.0.113.10 api.rcc.test" "203.0.113.12 api.rcc.test"
	dns_start 1 || return 1
	conf_write <<-EOF
	[policy default]
	allow_public = no
	allow = api.rcc.test:80/tcp
	EOF
	daemon_start || return 1
	rcc_attach sb || return 1
	allowed sb tcp-connect 203.0.113.12 80
	queries=$(dns_queries api.rcc.test)

	new_marker
	m=$M
	RCCT_CMD_TIMEOUT=40 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop 28 tcp-connect 203.0.113.10 80 "$m" >"$T_DIR/loop.out" &
	loop_pid=$!
	sleep 5
	dns_set "203.0.113.10 api.rcc.test"
	wait "$loop_pid"
	expect_result "tight connect loop to 203.0.113.10:80 across refreshes" \
		"$(cat "$T_DIR/loop.out")" ok
	sent=$(awk '{ print $2 }' "$T_DIR/loop.out")
	world_sync
	got=$(grep -cF -- "$m" "$SINK_LOG")
	expect_eq "connections that reached W" "$got" "$sent"
	queries=$(($(dns_queries api.rcc.test) - queries))
	expect "at least 20 refreshes during the loop ($queries A queries)" test "$queries" -ge 20
	refused sb tcp-connect 203.0.113.12 80
	daemon_stop
}

test_dns_resolver_down() {
	# the resolver stops answering: the last good address works during
	# dns_stale_grace and is removed after it
	need_rcc || return 1
	local t0 waited before after
	dns_api_up 1 "dns_stale_grace = 8" || return 1
	allowed sb tcp-connect 203.0.113.10 80

	kill "$DNS_PID"
	wait_for 5 pid_gone "$DNS_PID"
	t0=$(date +%s%N)
	wait_for 4 name_state_is api.rcc.test "stale 203.0.113.10"
	allowed sb tcp-connect 203.0.113.10 80
	expect_eq "status during the grace" "$(name_state api.rcc.test)" "stale 203.0.113.10"
	before=$(name_expiry_ms api.rcc.test)
	# a daemon restarted during the outage keeps the last good address,
	# and its expiry: the grace still counts from the last answer
	daemon_stop
	daemon_start || return 1
	allowed sb tcp-connect 203.0.113.10 80
	expect_eq "status during the grace, after a restart" "$(name_state api.rcc.test)" "stale 203.0.113.10"
	after=$(name_expiry_ms api.rcc.test)
	expect "the restart kept the address's expiry (moved by $((after - before)) ms)" \
		test "$((after - before))" -ge -1000 -a "$((after - before))" -le 1000
	rcc status
	expect "status shows the last error" grep -q "last error:" <<<"$RCC_OUT"
	probe_until 14 "err EPERM" sb 203.0.113.10 80
	waited=$((($(date +%s%N) - t0) / 1000000))
	# the last answer came at most TTL (1 s) before the resolver went:
	# removal falls 8 to 9 s after that, plus the probes' own pace
	expect "removed after the grace, not before (TTL 1 s + grace 8 s; ${waited} ms after the resolver went)" \
		test "$waited" -ge 7500 -a "$waited" -le 12000
	refused sb tcp-connect 203.0.113.10 80
	expect_eq "status after the grace" "$(name_state api.rcc.test)" "failing "
	expect "the daemon logged the removal" grep -q "removed 203.0.113.10, stale past dns_stale_grace" "$DAEMON_OUT"
	daemon_stop
}

test_dns_rebinding_guard() {
	# names that resolve to internal addresses are not allowed unless the
	# entry says private_ok; the daemon logs them
	need_rcc || return 1
	dns_world
	dns_set "169.254.169.254 meta.rcc.test" "10.1.2.3 db.rcc.test" \
		"10.1.2.3 internal.rcc.test" "203.0.113.10 api.rcc.test"
	dns_start 1 || return 1
	conf_write <<-EOF
	[policy default]
	allow_public = no
	allow = meta.rcc.test:80/tcp
	allow = db.rcc.test:80/tcp
	allow = internal.rcc.test:8080/tcp private_ok
	allow = api.rcc.test:80/tcp
	EOF
	daemon_start || return 1
	rcc_attach sb || return 1
	refused sb tcp-connect 169.254.169.254 80
	refused sb tcp-connect 10.1.2.3 80
	allowed sb tcp-connect 10.1.2.3 8080
	allowed sb tcp-connect 203.0.113.10 80
	expect "logged: meta.rcc.test -> 169.254.169.254" \
		grep -q "dns: meta.rcc.test resolves to 169.254.169.254, an internal address: left out" "$DAEMON_OUT"
	expect "logged: db.rcc.test -> 10.1.2.3" \
		grep -q "dns: db.rcc.test resolves to 10.1.2.3, an internal address" "$DAEMON_OUT"
	expect "not logged: internal.rcc.test (private_ok)" \
		bash -c '! grep -q "internal.rcc.test resolves" "$1"' _ "$DAEMON_OUT"
	# a public name rebinds to the metadata service
	dns_set "169.254.169.254 meta.rcc.test" "10.1.2.3 db.rcc.test" \
		"10.1.2.3 internal.rcc.test" "169.254.169.254 api.rcc.test"
	wait_for 4 grep -q "dns: api.rcc.test resolves to 169.254.169.254" "$DAEMON_OUT"
	expect "logged: api.rcc.test rebinding to 169.254.169.254" \
		grep -q "dns: api.rcc.test resolves to 169.254.169.254" "$DAEMON_OUT"
	refused sb tcp-connect 169.254.169.254 80
	probe_until 3 "err EPERM" sb 203.0.113.10 80
	refused sb tcp-connect 203.0.113.10 80
	rcc check api.rcc.test 80/tcp
	expect "check explains the guard" grep -q "169.254.169.254: deny.*private_ok" <<<"$RCC_OUT"
	daemon_stop
}

test_dns_one_shot_and_check() {
	# without a daemon: attach resolves once; a name that does not
	# resolve is left out with a warning (validate calls it an error);
	# check HOST resolves and explains
	need_rcc || return 1
	local line
	dns_world
	dns_set "203.0.113.10 api.rcc.test"
	dns_start 1 || return 1
	conf_write <<-EOF
	[policy default]
	allow_public = no
	allow = api.rcc.test:80/tcp
	allow = nx.rcc.test:80/tcp
	EOF
	line=$(conf_line "$T_CONF" nx.rcc.test)
	rcc validate
	expect_eq "validate exit code" "$RCC_RC" 2
	expect "validate names the line" grep -q "rcc.conf:$line: allow = nx.rcc.test:80/tcp: cannot resolve 'nx.rcc.test' (no such name)" <<<"$RCC_OUT"
	rcc_attach sb || return 1
	expect "attach warns, names the line" grep -q "rcc.conf:$line: warning: allow = nx.rcc.test:80/tcp: cannot resolve 'nx.rcc.test' (no such name); enforcing without it" <<<"$RCC_OUT"
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 10.1.2.3 80
	rcc status
	expect "status: names resolved once, no daemon" grep -q "resolved once when loaded; no rcc-bpf daemon" <<<"$RCC_OUT"
	rcc check api.rcc.test 80/tcp
	expect_eq "check exit code" "$RCC_RC" 0
	expect "check resolves and explains" grep -q "^203.0.113.10: allow: " <<<"$RCC_OUT"
	rcc check www.rcc.test 80/tcp
	expect_eq "check of a name that does not resolve: exit code" "$RCC_RC" 1
	expect "check says why" grep -q "check: cannot resolve 'www.rcc.test'" <<<"$RCC_OUT"
	# a deny entry whose name does not resolve would open what it closes
	conf_write <<-EOF
	[policy default]
	deny = nx.rcc.test
	EOF
	rcc attach --cgroup "$(cg_path sb)"
	expect_eq "attach with an unresolvable deny name: exit code" "$RCC_RC" 2
	expect "attach says nothing changed" grep -q "nothing was changed" <<<"$RCC_OUT"
	refused sb tcp-connect 10.1.2.3 80
}

# ask_names: ms the daemon took to answer "names" on its socket
ask_names() {
	"$PY" - "$T_DIR/ctl.sock" <<-'PYEOF'
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(10)
	t = time.monotonic()
	s.connect(sys.argv[1]); s.sendall(b"names\n")
	while s.recv(1 << 20): pass
	print(int((time.monotonic() - t) * 1000))
	PYEOF
}

test_dns_answers_while_locked() {
	# the daemon answers for its names while its loop waits for the state
	# lock: the OCI hook holds that lock while it asks (no 2 s stall)
	need_rcc || return 1
	local holder ms
	dns_api_up 1 || return 1
	flock "$T_PIN" sleep 3 &
	holder=$!
	remember_pid "$holder"
	sleep 0.3
	kill -HUP "$DAEMON_PID" # its reload waits for the lock
	sleep 0.3
	ms=$(ask_names)
	expect "names answered while the loop waits for the lock (${ms} ms)" test "${ms:-9999}" -lt 500
	rcc status
	expect "status lists the name meanwhile" grep -q "^api.rcc.test *ok" <<<"$RCC_OUT"
	wait "$holder"
	wait_for 5 grep -q "rcc-bpf: reloaded" "$DAEMON_OUT"
	expect "the reload went through once the lock was free" grep -q "rcc-bpf: reloaded" "$DAEMON_OUT"
	allowed sb tcp-connect 203.0.113.10 80
	daemon_stop
}

test_dns_many_names() {
	# 5,000 names refreshed at a 5 s TTL: status answers within 100 ms;
	# the daemon's CPU is reported
	need_rcc || return 1
	local i hosts="" t0 c0 c1 worst=0 slow=0 ms ticks ok_names
	dns_world
	T_GLOBAL="resolver = $W_ADDR4"	# dns_min_ttl: the default 5 s
	for i in $(seq 1 5000); do
		printf '203.0.113.%d n%d.rcc.test\n' $((i % 250 + 1)) "$i"
	done >"$T_DIR/dns.hosts"
	dns_start 5 || return 1
	{
		echo "[policy default]"
		echo "allow_public = no"
		for i in $(seq 1 5000); do echo "allow = n$i.rcc.test:443/tcp"; done
	} | conf_write
	daemon_start || return 1
	rcc_attach sb || return 1
	ok_names=$(rcc status --json >/dev/null; printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
print(sum(1 for n in json.load(sys.stdin)["names"] if n["state"] == "ok"))' 2>/dev/null)
	expect_eq "names resolved" "$ok_names" 5000
	allowed sb tcp-connect 203.0.113.10 443
	refused sb tcp-connect 203.0.113.10 80

	ticks=$(getconf CLK_TCK)
	c0=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	t0=$(date +%s%N)
	for i in $(seq 1 40); do
		ms=$(ask_names)
		[ "$ms" -gt "$worst" ] && worst=$ms
		[ "$ms" -ge 100 ] && slow=$((slow + 1))
		sleep 0.25
	done
	c1=$(awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat")
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "  daemon CPU: $(((c1 - c0) * 1000 * 100 / ticks / ms))% of a core over ${ms} ms; $(grep -c "query\[A\] n" "$DNS_LOG") A queries answered in all"
	expect "the daemon's table answered within 100 ms every time (worst $worst ms, $slow slow of 40)" test "$slow" = 0
	expect "refreshes happened meanwhile" test "$(grep -c "query\[A\] n1.rcc.test " "$DNS_LOG")" -ge 3
	daemon_stop
}

# ================================================================ main

usage() {
	sed -n '3,18s/^# \{0,1\}//p' "$RCCT_SELF"
}

# Suites of one topic each live in cases/*.sh: they define test_*
# functions and append their names to TESTS.
for f in "$HERE"/cases/*.sh; do
	# shellcheck source=/dev/null
	[ -e "$f" ] && . "$f"
done
unset f

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
	local idx=$1 name=$2 rc
	t_init "$idx" "$name"
	run_watched "$name" t_finish
	rc=$?
	report_one "$name" "$rc"
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
	tools_install || { echo "cannot prepare $TOOLS" >&2; return 1; }
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
