# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# A deny entry's hostname that stops resolving: fail closed keeps what it
# denies (an allow name's addresses go after dns_stale_grace, a deny
# name's stay until an answer moves them), and status and the daemon's
# log say the name is unresolved.  dnsmasq in W is the resolver (see
# dns_start); judged by what arrived in W.

DENY_ADDR=203.0.113.20	# the deny name's, on W's loopback
TWIN_ADDR=203.0.113.10	# not denied, on W's loopback too

# deny_twins: DENY_ADDR refused and nothing arrives; TWIN_ADDR arrives
deny_twins() {
	refused sb tcp-connect "$DENY_ADDR" 80
	allowed sb tcp-connect "$TWIN_ADDR" 80
}

test_dns_deny_kept_while_unresolved() {
	# the resolver dies: long past the TTL, dns_max_ttl and the grace,
	# and across a daemon restart, the deny name's address stays denied
	need_rcc || return 1
	ip -n "$NS_W" addr add "$DENY_ADDR/32" dev lo
	dns_world "dns_max_ttl = 2
dns_stale_grace = 2"
	dns_set "$DENY_ADDR bad.rcc.test"
	dns_start 1 || return 1
	conf_write <<-EOF
	[policy default]
	deny = bad.rcc.test
	EOF
	daemon_start || return 1
	rcc_attach sb || return 1
	deny_twins
	expect_eq "status before the outage" "$(name_state bad.rcc.test)" "ok $DENY_ADDR"

	kill "$DNS_PID"
	wait_for 5 pid_gone "$DNS_PID" || { fail_check "dnsmasq did not stop"; return 1; }
	# TTL 1 s (dns_max_ttl 2 s) + dns_stale_grace 2 s: an allow name's
	# address would have gone 3 or 4 s after this
	sleep 7
	deny_twins
	expect_eq "status during the outage: the address kept" \
		"$(name_state bad.rcc.test)" "stale $DENY_ADDR"
	expect_eq "status --json: unresolved" "$(name_field bad.rcc.test unresolved)" True
	expect_eq "status --json: a deny entry uses it" "$(name_field bad.rcc.test deny)" True
	rcc status
	expect "status says what an unresolved deny name keeps" \
		grep -q "unresolved: its deny entries keep the last good addresses until it resolves again" <<<"$RCC_OUT"
	expect "the daemon logged it unresolved" \
		grep -q "dns: bad.rcc.test: .*; unresolved: its deny entries keep the last good addresses" "$DAEMON_OUT"
	expect "the daemon removed nothing" bash -c '! grep -q "removed $1" "$2"' _ "$DENY_ADDR" "$DAEMON_OUT"

	# a daemon restarted during the outage: the saved table
	daemon_stop
	daemon_start || return 1
	deny_twins
	expect_eq "status after a restart during the outage" \
		"$(name_state bad.rcc.test)" "stale $DENY_ADDR"
	expect "the new daemon counts it unresolved" grep -q "(1 unresolved)" "$DAEMON_OUT"
	# a one-shot attach meanwhile loads the daemon's addresses
	rcc_attach sb || return 1
	deny_twins
	daemon_stop
}

test_dns_deny_never_resolved() {
	# the daemon starts with a deny name that never resolved and nothing
	# saved: the policies load (the rest of them enforces), and status
	# and the log say loudly that the name denies nothing; once it
	# resolves, its address is denied.  One-shot commands refuse it.
	need_rcc || return 1
	ip -n "$NS_W" addr add "$DENY_ADDR/32" dev lo
	dns_world "dns_max_ttl = 2"
	dns_set "$TWIN_ADDR api.rcc.test"
	dns_start 1 || return 1
	conf_write <<-EOF
	[policy default]
	deny = 203.0.113.10:443/tcp
	EOF
	rcc_attach sb || return 1
	conf_write <<-EOF
	[policy default]
	deny = 203.0.113.10:443/tcp
	deny = late.rcc.test
	EOF
	daemon_start || return 1
	expect "the daemon says the name is unresolved, nothing denied" \
		grep -q "dns: late.rcc.test: .*; unresolved: NO ADDRESS KNOWN: its deny entries deny nothing until it resolves" "$DAEMON_OUT"
	expect "the daemon counts it unresolved at start" grep -q "(1 unresolved)" "$DAEMON_OUT"
	expect_eq "status --json: unresolved" "$(name_field late.rcc.test unresolved)" True
	rcc status
	expect "status says it denies nothing" \
		grep -q "unresolved: NO ADDRESS KNOWN: its deny entries deny nothing until it resolves" <<<"$RCC_OUT"
	# the rest of the policy is in force
	refused sb tcp-connect "$TWIN_ADDR" 443
	allowed sb tcp-connect "$TWIN_ADDR" 80
	# a one-shot attach would open what the entry closes: refused
	rcc attach --cgroup "$(cg_path sb)"
	expect_eq "one-shot attach with the unresolved deny name: exit code" "$RCC_RC" 2
	expect "attach says nothing changed" grep -q "nothing was changed" <<<"$RCC_OUT"

	dns_set "$DENY_ADDR late.rcc.test" "$TWIN_ADDR api.rcc.test"
	probe_until 8 "err EPERM" sb "$DENY_ADDR" 80
	deny_twins
	expect_eq "status once it resolves" "$(name_state late.rcc.test)" "ok $DENY_ADDR"
	expect "the daemon logged that it resolved" \
		grep -q "dns: late.rcc.test: resolved after [0-9]* s unresolved" "$DAEMON_OUT"
	daemon_stop
}

TESTS+=(test_dns_deny_kept_while_unresolved test_dns_deny_never_resolved)
