# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Attach and detach: the policy outlives the command, attach is
# idempotent and works by pid, a bad config keeps the policy, audit mode,
# status counters, `check` against the kernel, descendant cgroups, and a
# million entries.

TESTS+=(
	test_outlives_attach_and_detach
	test_attach_idempotent
	test_attach_by_pid
	test_bad_config_keeps_policy
	test_audit_mode
	test_status_counters
	test_check_matches_kernel
	test_descendant_cgroups
	test_million_entries
)

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
