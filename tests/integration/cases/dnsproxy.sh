# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# dns = proxy: rcc-bpf answers every DNS query a sandbox sends, whatever
# server it names (`rcc-bpf run` in-process, the daemon for attached
# cgroups).  dnsmasq in W is the upstream; the clients are glibc's
# getaddrinfo, dig, and Python sockets (rcct_dnsq.py).  Each case judges
# by what arrived in W: the sink and the capture on W's veth, and
# dnsmasq's query log for what was (never) asked upstream.
#
# 203.0.113.53 and 2001:db8:99::53 are DNS servers nobody holds: SB routes
# them to W (not on-link), so a query that escaped the steering would be
# in W's capture.

TESTS+=(
	test_dnsproxy_getaddrinfo
	test_dnsproxy_any_server
	test_dnsproxy_unconnected
	test_dnsproxy_channels
	test_dnsproxy_rebinding
	test_dnsproxy_rotation
	test_dnsproxy_public
	test_dnsproxy_open
	test_dnsproxy_unanswered
	test_dnsproxy_daemon
	test_dnsproxy_daemon_restart
	test_dnsproxy_expiry_and_rate
	test_dnsproxy_shared_netns
)

NOWHERE4=203.0.113.53
NOWHERE6=2001:db8:99::53

# dnsp_up [TTL [GLOBAL]]: dnsmasq in W with the names below (TTL, default 60), the
# resolver in [global], and the policies: allowlist (names and wildcards),
# public (deny entries), open (dns = open); a resolv.conf naming nobody.
# The denied names resolve to an address of their own: the daemon and
# attach resolve deny names and refuse their addresses too.
dnsp_up() {
	dns_world "${2:-}"
	dns_set "203.0.113.10 good.rcc.test" "2001:db8:1::10 good.rcc.test" \
		"203.0.113.10 a.wild.rcc.test" "203.0.113.10 x.y.wild.rcc.test" \
		"203.0.113.10 x.y.deep.rcc.test" "203.0.113.10 other.rcc.test" \
		"10.1.2.3 priv.rcc.test" "10.1.2.3 privok.rcc.test" \
		"203.0.113.66 denied.rcc.test" "203.0.113.66 a.denyzone.rcc.test" \
		"203.0.113.10 denyzone.rcc.test" "203.0.113.10 evildenyzone.rcc.test" \
		"203.0.113.10 x.y.denyzone.rcc.test"
	dns_start "${1:-60}" || return 1
	conf_write <<-EOF
	[policy allowlist]
	mode = enforce
	allow_public = no
	allow = good.rcc.test:80/tcp
	allow = *.wild.rcc.test:80/tcp
	allow = **.deep.rcc.test:80/tcp
	allow = priv.rcc.test:80/tcp
	allow = privok.rcc.test:8080/tcp private_ok
	allow = 203.0.113.10:5000/udp

	[policy public]
	mode = enforce
	deny = denied.rcc.test
	deny = *.denyzone.rcc.test

	[policy open]
	mode = enforce
	dns = open
	allow_public = no
	allow = $W_ADDR4:53/udp
	EOF
	printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$NOWHERE4" >"$T_DIR/resolv.conf"
	# run appends its DNS records to the audit log but does not create
	# the log's directory (the daemon's writer does)
	mkdir -p "$(dirname "$T_AUDIT_LOG")"
}

# dnsp_run POLICY COMMAND...: `rcc-bpf run --policy POLICY` started in SB's
# netns (where its listener is), /etc/resolv.conf being T_DIR/resolv.conf
# (a mount namespace of its own); output (no CRs) in DQ_OUT, exit in DQ_RC
dnsp_run() {
	local pol=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	DQ_OUT=$(timeout -k 2 60 nsenter --net="/run/netns/$NS_SB" -- \
		unshare -m --propagation private -- sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
		"$T_DIR/resolv.conf" "$RCC" -c "$T_CONF" run --policy "$pol" -- "$@" \
		2>&1 </dev/null)
	DQ_RC=$?
	DQ_OUT=${DQ_OUT//$'\r'/}
	echo "  \$ rcc-bpf run --policy $pol -- $(printf '%q ' "$@")-> exit $DQ_RC"
	printf '%s\n' "$DQ_OUT" | sed 's/^/      | /'
}

# dq_run POLICY STEP... : rcct_dnsq.py STEPs under dnsp_run
dq_run() {
	local pol=$1
	shift
	dnsp_run "$pol" "$PY" "$TOOLS/rcct_dnsq.py" "$@"
}

# dq_sb CG STEP...: rcct_dnsq.py STEPs in the test's cgroup CG (netns SB)
dq_sb() {
	local cg=$1
	shift
	DQ_OUT=$(in_sandbox "$cg" "$PY" "$TOOLS/rcct_dnsq.py" "$@" 2>&1)
	DQ_RC=$?
	echo "  \$ [${cg:-/}] rcct_dnsq.py $*-> exit $DQ_RC"
	printf '%s\n' "$DQ_OUT" | sed 's/^/      | /'
}

# dq_result STEP: the result of the line "STEP -> RESULT" in DQ_OUT
dq_result() {
	printf '%s\n' "$DQ_OUT" | awk -v w="$1 -> " \
		'index($0, w) == 1 { print substr($0, length(w) + 1); f = 1; exit }
		 END { if (!f) print "(no such line)" }'
}

# expect_dq STEP WANT: its result is WANT (as for expect_result)
expect_dq() {
	expect_result "$1" "$(dq_result "$1")" "$2"
}

# upstream_asked NAME: how many queries (any type) for NAME reached dnsmasq
upstream_asked() {
	grep -ciE "query\[[A-Za-z0-9]+\] ${1//./\\.} from" "$DNS_LOG"
}

# expect_upstream NAME yes|no: NAME was (not) asked upstream
expect_upstream() {
	local n
	n=$(upstream_asked "$1")
	if [ "$2" = yes ]; then
		expect "dnsmasq was asked for $1 ($n queries)" test "$n" -gt 0
	else
		expect_eq "queries for $1 that reached dnsmasq" "$n" 0
	fi
}

# expect_no_dns_escape: since capture_mark, nothing went to the servers
# nobody holds, and no port-53 packet went anywhere but the resolver
expect_no_dns_escape() {
	local seen
	world_sync || fail_check "world sync failed"
	seen=$(awk -v from="$CAPTURE_FROM" -v r="$W_ADDR4" \
		'NR > from && ($5 == "'$NOWHERE4'" || $5 == "'$NOWHERE6'" ||
		 ($6 == 53 && $5 != r) || $6 == 853)' "$CAPTURE_LOG")
	expect_eq "packets in W to the DNS servers nobody holds, or to any :53 but the resolver" \
		"$seen" ""
}

# audit_jq SEL: records of the test's audit log for which the jq condition
# SEL holds, one compact line each
audit_jq() {
	# shellcheck disable=SC2046 # one path a word
	cat $(audit_files) 2>/dev/null | jq -c "select($1)"
}

# expect_audit_jq WHAT SEL: at least one record with SEL (within 5 s)
expect_audit_jq() {
	local got
	wait_for 5 test -n "$(audit_jq "$2")"
	got=$(audit_jq "$2" | head -n 1)
	if [ -n "$got" ]; then
		pass_check "audit: $1: $got"
	else
		fail_check "audit: no record $1 ($2); the log:"
		audit_jq true | tail -n 20 | sed 's/^/      /'
	fi
}

# expect_dns_record WHAT SEL: at least one "type":"dns" record with SEL
expect_dns_record() {
	expect_audit_jq "$1" ".type == \"dns\" and ($2)"
}

need_dns_tools() {
	local t bad=0
	for t in dnsmasq dig jq unshare; do
		command -v "$t" >/dev/null ||
			{ fail_check "missing tool: $t (tools/deps.sh install)"; bad=1; }
	done
	return $bad
}

test_dnsproxy_getaddrinfo() {
	# glibc's getaddrinfo asks whatever resolv.conf names (nobody): the
	# proxy answers allowed names and wildcards, and the connects arrive
	need_rcc && need_dns_tools || return 1
	local m0 m1 m2 m3 m4 m5 m6 m7
	dnsp_up || return 1
	new_marker; m0=$M; new_marker; m1=$M; new_marker; m2=$M; new_marker; m3=$M
	new_marker; m4=$M; new_marker; m5=$M; new_marker; m6=$M; new_marker; m7=$M
	capture_mark
	dq_run allowlist connect 203.0.113.10 80 "$m0" \
		+ gai good.rcc.test 80 "$m1" 4 \
		+ gai a.wild.rcc.test 80 "$m2" 4 \
		+ gai A.Wild.RCC.test 80 "$m3" 4 \
		+ gai x.y.wild.rcc.test 80 "$m4" 4 \
		+ gai x.y.deep.rcc.test 80 "$m5" 4 \
		+ gai other.rcc.test 80 "$m6" 4 \
		+ gai good.rcc.test 80 "$m7" 6
	expect_dq "connect 203.0.113.10 80 $m0" "err EPERM"
	expect_dq "gai good.rcc.test 80 $m1 4" "ok 203.0.113.10"
	expect_dq "gai a.wild.rcc.test 80 $m2 4" "ok 203.0.113.10"
	expect_dq "gai A.Wild.RCC.test 80 $m3 4" "ok 203.0.113.10"
	expect_dq "gai x.y.wild.rcc.test 80 $m4 4" "err EAI_NONAME"
	expect_dq "gai x.y.deep.rcc.test 80 $m5 4" "ok 203.0.113.10"
	expect_dq "gai other.rcc.test 80 $m6 4" "err EAI_NONAME"
	expect_dq "gai good.rcc.test 80 $m7 6" "ok 2001:db8:1::10"
	for M in "$m1" "$m2" "$m3" "$m5" "$m7"; do
		expect_delivered "$M"
	done
	expect_not_arrived "$m0"
	expect_not_arrived "$m4"
	expect_not_arrived "$m6"
	expect_no_dns_escape
	expect_upstream good.rcc.test yes
	expect_upstream a.wild.rcc.test yes
	expect_upstream x.y.deep.rcc.test yes
	expect_upstream x.y.wild.rcc.test no
	expect_upstream other.rcc.test no

	# the audit log
	expect_dns_record "good.rcc.test answered with its address" \
		'.name == "good.rcc.test" and .qtype == "A" and .verdict == "answered" and
		 (.addresses | index(["203.0.113.10"])) != null and .policy == "allowlist" and
		 (.rule | startswith("allow = good.rcc.test:80/tcp"))'
	expect_dns_record "good.rcc.test AAAA answered" \
		'.name == "good.rcc.test" and .qtype == "AAAA" and .verdict == "answered" and
		 (.addresses | index(["2001:db8:1::10"])) != null'
	expect_dns_record "a.wild.rcc.test answered by the wildcard" \
		'.name == "a.wild.rcc.test" and .verdict == "answered" and
		 (.rule | startswith("allow = *.wild.rcc.test"))'
	expect_dns_record "x.y.deep.rcc.test answered by **" \
		'.name == "x.y.deep.rcc.test" and .verdict == "answered" and
		 (.rule | startswith("allow = **.deep.rcc.test"))'
	expect_dns_record "other.rcc.test nxdomain" \
		'.name == "other.rcc.test" and .verdict == "nxdomain" and .policy == "allowlist" and
		 (.cgroup | test("'"$T_RUN_CG_NAME"'/"))'
	expect_dns_record "x.y.wild.rcc.test nxdomain" \
		'.name == "x.y.wild.rcc.test" and .verdict == "nxdomain"'
	expect_log_whole
}

# dig_line: the status and the answers of dig's output in DQ_OUT, per
# query "STATUS ADDR,ADDR" (in order), one query a line
dig_lines() {
	printf '%s\n' "$DQ_OUT" | awk '
		/->>HEADER<<-/ { if (st != "") print st, (an == "" ? "-" : an)
				 st = $6; sub(/,$/, "", st); an = "" }
		/^[^;].*[ \t]IN[ \t]+(A|AAAA)[ \t]/ { an = an (an == "" ? "" : ",") $NF }
		END { if (st != "") print st, (an == "" ? "-" : an) }'
}

test_dnsproxy_any_server() {
	# dig @ADDRESS, UDP and TCP, IPv4 and IPv6: answered whatever server it
	# names; no packet to that server, or to any :53 but the resolver
	need_rcc && need_dns_tools || return 1
	local lines dig=(dig +tries=1 +time=3 +noall +comments +answer)
	dnsp_up || return 1
	capture_mark
	dnsp_run allowlist sh -c '"$@" @'$NOWHERE4' good.rcc.test A
		"$@" +tcp @'$NOWHERE4' good.rcc.test A
		"$@" @'$NOWHERE6' good.rcc.test AAAA
		"$@" +tcp @'$NOWHERE6' good.rcc.test AAAA
		"$@" @'$NOWHERE4' other.rcc.test A
		"$@" +tcp @'$NOWHERE6' x.y.wild.rcc.test A
		"$@" -p 53 @'"$W_ADDR4"' a.wild.rcc.test A' sh "${dig[@]}"
	lines=$(dig_lines)
	echo "$lines" | sed 's/^/      dig: /'
	expect_eq "dig @$NOWHERE4 good.rcc.test A (UDP)" "$(sed -n 1p <<<"$lines")" "NOERROR 203.0.113.10"
	expect_eq "dig +tcp @$NOWHERE4 good.rcc.test A" "$(sed -n 2p <<<"$lines")" "NOERROR 203.0.113.10"
	expect_eq "dig @$NOWHERE6 good.rcc.test AAAA (UDP)" "$(sed -n 3p <<<"$lines")" "NOERROR 2001:db8:1::10"
	expect_eq "dig +tcp @$NOWHERE6 good.rcc.test AAAA" "$(sed -n 4p <<<"$lines")" "NOERROR 2001:db8:1::10"
	expect_eq "dig @$NOWHERE4 other.rcc.test (unlisted)" "$(sed -n 5p <<<"$lines")" "NXDOMAIN -"
	expect_eq "dig +tcp @$NOWHERE6 x.y.wild.rcc.test (two labels under *.)" "$(sed -n 6p <<<"$lines")" "NXDOMAIN -"
	expect_eq "dig @$W_ADDR4 (the real server) a.wild.rcc.test: steered too" "$(sed -n 7p <<<"$lines")" "NOERROR 203.0.113.10"
	expect_no_dns_escape
	# the allowed twin: the proxy's own query reached the upstream
	expect_upstream good.rcc.test yes
	expect_upstream other.rcc.test no
	expect_upstream x.y.wild.rcc.test no
	expect_dns_record "a TCP query" '.name == "good.rcc.test" and .transport == "tcp" and .verdict == "answered"'
}

test_dnsproxy_unconnected() {
	# Python sockets: connected and unconnected UDP, sendmsg, sendmmsg,
	# TCP, v4-mapped: answered, the reply's source the server named
	need_rcc && need_dns_tools || return 1
	local s
	dnsp_up || return 1
	capture_mark
	dq_run allowlist query sendto $NOWHERE4 53 good.rcc.test A \
		+ query sendmsg $NOWHERE4 53 good.rcc.test A \
		+ query sendmmsg $NOWHERE4 53 good.rcc.test A \
		+ query udp $NOWHERE4 53 good.rcc.test A \
		+ query tcp $NOWHERE4 53 good.rcc.test A \
		+ query sendto $NOWHERE6 53 good.rcc.test AAAA \
		+ query sendmmsg $NOWHERE6 53 good.rcc.test AAAA \
		+ query tcp $NOWHERE6 53 good.rcc.test AAAA \
		+ query sendto ::ffff:$NOWHERE4 53 good.rcc.test A \
		+ query tcp ::ffff:$NOWHERE4 53 good.rcc.test A \
		+ query sendto $NOWHERE4 53 other.rcc.test A \
		+ connect 203.0.113.10 80 "rcct-$RCCT_RUN-$T_IDX-after"
	for s in sendto sendmsg udp tcp; do
		expect_dq "query $s $NOWHERE4 53 good.rcc.test A" \
			"ok NOERROR an=203.0.113.10 n=1 from=$NOWHERE4:53"
	done
	expect_dq "query sendmmsg $NOWHERE4 53 good.rcc.test A" \
		"ok NOERROR an=203.0.113.10 n=1 from=$NOWHERE4:53,$NOWHERE4:53"
	expect_dq "query sendto $NOWHERE6 53 good.rcc.test AAAA" \
		"ok NOERROR an=2001:db8:1::10 n=1 from=[$NOWHERE6]:53"
	expect_dq "query sendmmsg $NOWHERE6 53 good.rcc.test AAAA" \
		"ok NOERROR an=2001:db8:1::10 n=1 from=[$NOWHERE6]:53,[$NOWHERE6]:53"
	expect_dq "query tcp $NOWHERE6 53 good.rcc.test AAAA" \
		"ok NOERROR an=2001:db8:1::10 n=1 from=[$NOWHERE6]:53"
	expect_dq "query sendto ::ffff:$NOWHERE4 53 good.rcc.test A" \
		"ok NOERROR an=203.0.113.10 n=1 from=[::ffff:$NOWHERE4]:53"
	expect_dq "query tcp ::ffff:$NOWHERE4 53 good.rcc.test A" \
		"ok NOERROR an=203.0.113.10 n=1 from=[::ffff:$NOWHERE4]:53"
	expect_dq "query sendto $NOWHERE4 53 other.rcc.test A" \
		"ok NXDOMAIN an=- n=0 from=$NOWHERE4:53"
	expect_dq "connect 203.0.113.10 80 rcct-$RCCT_RUN-$T_IDX-after" ok
	expect_delivered "rcct-$RCCT_RUN-$T_IDX-after"
	expect_no_dns_escape
	expect_upstream other.rcc.test no
}

test_dnsproxy_channels() {
	# DNS over TLS/QUIC (853), mDNS (5353), LLMNR (5355): refused, TCP and
	# UDP, v4, v6, v4-mapped, whatever the address; the same address on
	# other ports is allowed (the policy is public)
	need_rcc && need_dns_tools || return 1
	local port
	dnsp_up || return 1
	daemon_start || return 1
	rcc_attach sb public || return 1
	allowed sb tcp-connect 203.0.113.10 80
	allowed sb udp-sendto 203.0.113.10 5000
	allowed sb tcp-connect 2001:db8:1::10 443
	for port in 853 5353 5355; do
		refused sb tcp-connect 203.0.113.10 $port
		refused sb udp-sendto 203.0.113.10 $port
		refused sb udp-connect-send 2001:db8:1::10 $port
		refused sb tcp-connect --v4mapped 203.0.113.10 $port
	done
	refused sb udp-sendmmsg 203.0.113.10 853
	refused sb udp-sendto 224.0.0.251 5353
	refused sb udp-sendto ff02::fb 5353
	refused sb udp-sendto 224.0.0.252 5355
	refused sb tcp-connect "$W_ADDR4" 853
	expect_audit_jq "853/tcp refused as a DNS channel" \
		'.type == "denial" and .dport == 853 and .protocol == "tcp" and .reason == "dns_channel"'
	expect_audit_jq "853/udp refused as a DNS channel" \
		'.type == "denial" and .dport == 853 and .protocol == "udp" and .reason == "dns_channel"'
	expect_audit_jq "5353 refused as a DNS channel" \
		'.type == "denial" and .dport == 5353 and .reason == "dns_channel"'
	expect_audit_jq "5355 refused as a DNS channel" \
		'.type == "denial" and .dport == 5355 and .reason == "dns_channel"'
	daemon_stop
}

test_dnsproxy_rebinding() {
	# a private answer is stripped (NODATA) unless the entry says
	# private_ok; a stripped address is not allowed, a private_ok one is
	need_rcc && need_dns_tools || return 1
	local m1 m2 m3 m4
	dnsp_up || return 1
	new_marker; m1=$M; new_marker; m2=$M; new_marker; m3=$M; new_marker; m4=$M
	capture_mark
	dq_run allowlist gai priv.rcc.test 80 "$m1" 4 \
		+ query sendto $NOWHERE4 53 priv.rcc.test A \
		+ connect 10.1.2.3 80 "$m2" \
		+ gai privok.rcc.test 8080 "$m3" 4 \
		+ connect 10.1.2.3 80 "$m4"
	expect_dq "gai priv.rcc.test 80 $m1 4" "err EAI_NODATA"
	expect_dq "query sendto $NOWHERE4 53 priv.rcc.test A" "ok NOERROR an=- n=0"
	expect_dq "connect 10.1.2.3 80 $m2" "err EPERM"
	expect_dq "gai privok.rcc.test 8080 $m3 4" "ok 10.1.2.3"
	expect_dq "connect 10.1.2.3 80 $m4" "err EPERM"
	expect_delivered "$m3"
	expect_not_arrived "$m1"
	expect_not_arrived "$m2" 10.1.2.3 80
	expect_not_arrived "$m4" 10.1.2.3 80
	expect_upstream priv.rcc.test yes
	expect_dns_record "priv.rcc.test stripped" \
		'.name == "priv.rcc.test" and .verdict == "stripped" and .stripped == 1 and (.addresses // []) == []'
	expect_dns_record "privok.rcc.test answered" \
		'.name == "privok.rcc.test" and .verdict == "answered" and .addresses == ["10.1.2.3"]'
}

test_dnsproxy_rotation() {
	# the upstream's answer changes between two lookups: right after the
	# second, the connect to the new address succeeds (no refresh wait);
	# before it, the new address is refused
	need_rcc && need_dns_tools || return 1
	local m1 m2 m3 m4 py=("$PY" "$TOOLS/rcct_dnsq.py") bg
	ip -n "$NS_W" addr add 203.0.113.11/32 dev lo
	dnsp_up 60 || return 1
	new_marker; m1=$M; new_marker; m2=$M; new_marker; m3=$M; new_marker; m4=$M
	# one sandbox, two lookups; the test changes dnsmasq's answer between
	# shellcheck disable=SC2016 # expanded by the inner sh
	dnsp_run allowlist sh -c '
		"$@" gai good.rcc.test 80 '"$m1"' 4 >"$0/rot1"
		touch "$0/rot1.done"
		i=0
		while [ ! -e "$0/rot.go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
		"$@" connect 203.0.113.11 80 '"$m2"' + gai good.rcc.test 80 '"$m3"' 4 \
			+ connect 203.0.113.11 80 '"$m4"' >"$0/rot2"' "$T_DIR" "${py[@]}" \
		>"$T_DIR/rot.run" 2>&1 &
	bg=$!
	remember_pid "$bg"
	wait_for 20 test -e "$T_DIR/rot1.done" || fail_check "the first lookup did not finish"
	DQ_OUT=$(cat "$T_DIR/rot1")
	printf '%s\n' "$DQ_OUT" | sed 's/^/      | /'
	expect_dq "gai good.rcc.test 80 $m1 4" "ok 203.0.113.10"
	dns_set "203.0.113.11 good.rcc.test"
	touch "$T_DIR/rot.go"
	wait "$bg"
	cat "$T_DIR/rot.run"
	DQ_OUT=$(cat "$T_DIR/rot2" 2>/dev/null)
	printf '%s\n' "$DQ_OUT" | sed 's/^/      | /'
	expect_dq "connect 203.0.113.11 80 $m2" "err EPERM"
	expect_dq "gai good.rcc.test 80 $m3 4" "ok 203.0.113.11"
	expect_dq "connect 203.0.113.11 80 $m4" ok
	expect_delivered "$m1"
	expect_delivered "$m3"
	expect_delivered "$m4"
	expect_not_arrived "$m2"
	expect "dnsmasq was asked twice for good.rcc.test" test "$(upstream_asked good.rcc.test)" -ge 2
}

test_dnsproxy_public() {
	# a public policy: every name resolves but deny = NAME and deny =
	# *.zone (one label, label boundaries), which get NXDOMAIN and are
	# never asked upstream; HTTPS/SVCB get NODATA, ANY is refused
	need_rcc && need_dns_tools || return 1
	local m1 m2 q="query sendto $NOWHERE4 53" n0 n1
	dnsp_up || return 1
	new_marker; m1=$M; new_marker; m2=$M
	# run resolves deny names itself when it loads the policy: what one
	# run that sends no query asks for denied.rcc.test is the baseline
	dnsp_run public true
	n0=$(upstream_asked denied.rcc.test)
	capture_mark
	dq_run public $q denied.rcc.test A + $q denied.rcc.test TXT + $q a.denyzone.rcc.test A \
		+ $q A.DenyZone.rcc.test AAAA + $q x.y.denyzone.rcc.test A \
		+ $q denyzone.rcc.test A + $q evildenyzone.rcc.test A \
		+ $q other.rcc.test A + $q good.rcc.test HTTPS + $q good.rcc.test SVCB \
		+ query tcp $NOWHERE4 53 good.rcc.test ANY + $q good.rcc.test ANY \
		+ gai other.rcc.test 80 "$m1" 4 + gai denied.rcc.test 80 "$m2" 4
	expect_dq "$q denied.rcc.test A" "ok NXDOMAIN an=- n=0"
	expect_dq "$q denied.rcc.test TXT" "ok NXDOMAIN an=- n=0"
	expect_dq "$q a.denyzone.rcc.test A" "ok NXDOMAIN an=- n=0"
	expect_dq "$q A.DenyZone.rcc.test AAAA" "ok NXDOMAIN an=- n=0"
	expect_dq "$q x.y.denyzone.rcc.test A" "ok NOERROR an=203.0.113.10 n=1"
	expect_dq "$q denyzone.rcc.test A" "ok NOERROR an=203.0.113.10 n=1"
	expect_dq "$q evildenyzone.rcc.test A" "ok NOERROR an=203.0.113.10 n=1"
	expect_dq "$q other.rcc.test A" "ok NOERROR an=203.0.113.10 n=1"
	expect_dq "$q good.rcc.test HTTPS" "ok NOERROR an=- n=0"
	expect_dq "$q good.rcc.test SVCB" "ok NOERROR an=- n=0"
	expect_dq "query tcp $NOWHERE4 53 good.rcc.test ANY" "ok REFUSED an=- n=0"
	expect_dq "$q good.rcc.test ANY" "ok REFUSED an=- n=0"
	expect_dq "gai other.rcc.test 80 $m1 4" "ok 203.0.113.10"
	expect_dq "gai denied.rcc.test 80 $m2 4" "err EAI_NONAME"
	expect_delivered "$m1"
	expect_not_arrived "$m2"
	expect_no_dns_escape
	n1=$(upstream_asked denied.rcc.test)
	expect_eq "queries for denied.rcc.test that reached dnsmasq beyond run's own load" \
		"$((n1 - n0))" "$n0"
	expect_eq "TXT queries for denied.rcc.test that reached dnsmasq" \
		"$(grep -c "query\[TXT\] denied.rcc.test" "$DNS_LOG")" 0
	expect_upstream a.denyzone.rcc.test no
	expect_upstream x.y.denyzone.rcc.test yes
	expect_upstream evildenyzone.rcc.test yes
	expect_dns_record "denied.rcc.test nxdomain by its deny entry" \
		'.name == "denied.rcc.test" and .verdict == "nxdomain" and
		 (.rule | startswith("deny = denied.rcc.test"))'
	expect_dns_record "a.denyzone.rcc.test nxdomain by the wildcard" \
		'.name == "a.denyzone.rcc.test" and .verdict == "nxdomain" and
		 (.rule | startswith("deny = *.denyzone.rcc.test"))'
	expect_dns_record "ANY refused" '.qtype == "ANY" and .verdict == "refused"'
	expect_dns_record "HTTPS answered without data" '.qtype == "HTTPS" and .verdict == "nodata"'
}

test_dnsproxy_open() {
	# dns = open: port 53 is ordinary traffic, judged by the policy; the
	# query reaches dnsmasq from the sandbox's own socket
	need_rcc && need_dns_tools || return 1
	local port=$((40000 + RANDOM % 20000)) seen
	dnsp_up || return 1
	capture_mark
	dnsp_run open sh -c '"$@" -b '"$SB_ADDR4#$port"' +tries=1 +time=3 +short @'"$W_ADDR4"' good.rcc.test A
		'"$PY $TOOLS/rcct_dnsq.py"' query sendto '"$NOWHERE4"' 53 good.rcc.test A \
			+ query tcp '"$W_ADDR4"' 53 good.rcc.test A' sh dig
	expect "dig @$W_ADDR4 answered directly by dnsmasq" grep -qx 203.0.113.10 <<<"$DQ_OUT"
	expect_dq "query sendto $NOWHERE4 53 good.rcc.test A" "err EPERM"
	expect_dq "query tcp $W_ADDR4 53 good.rcc.test A" "err EPERM"
	world_sync
	seen=$(awk -v from="$CAPTURE_FROM" -v p="$port" 'NR > from && $2 == "udp" &&
		$3 == "'"$SB_ADDR4"'" && $4 == p && $5 == "'"$W_ADDR4"'" && $6 == 53' "$CAPTURE_LOG")
	expect "W got the query from dig's own port $port" test -n "$seen"
	expect "dnsmasq logged it from the sandbox's address" \
		grep -q "query\[A\] good.rcc.test from $SB_ADDR4" "$DNS_LOG"
	expect_eq "packets to $NOWHERE4" "$(captured_to "$NOWHERE4")" ""
	expect_eq "dns records in the audit log under dns = open" \
		"$(audit_jq '.type == "dns"' | wc -l)" 0
}

test_dnsproxy_unanswered() {
	# a cgroup attached under dns = proxy with no daemon: every query
	# fails at once with ECONNREFUSED and nothing reaches W; other
	# traffic the policy allows still goes
	need_rcc && need_dns_tools || return 1
	local t0 ms seen
	dnsp_up || return 1
	rcc_attach sb allowlist || return 1
	expect "attach says nobody answers its DNS" grep -q "dns = proxy, and no rcc-bpf daemon answers" <<<"$RCC_OUT"
	allowed sb udp-sendto 203.0.113.10 5000
	capture_mark
	t0=$(date +%s%N)
	dq_sb sb query udp $NOWHERE4 53 good.rcc.test A \
		+ query sendto $NOWHERE4 53 good.rcc.test A \
		+ query tcp $NOWHERE4 53 good.rcc.test A \
		+ query sendto $W_ADDR4 53 good.rcc.test A \
		+ query tcp $W_ADDR4 53 good.rcc.test A \
		+ query sendto $NOWHERE6 53 good.rcc.test AAAA \
		+ query tcp $NOWHERE6 53 good.rcc.test AAAA \
		+ gai good.rcc.test 80 nomarker 4
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_dq "query udp $NOWHERE4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query sendto $NOWHERE4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query tcp $NOWHERE4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query sendto $W_ADDR4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query tcp $W_ADDR4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query sendto $NOWHERE6 53 good.rcc.test AAAA" "err ECONNREFUSED"
	expect_dq "query tcp $NOWHERE6 53 good.rcc.test AAAA" "err ECONNREFUSED"
	expect_result "gai good.rcc.test (glibc)" "$(dq_result "gai good.rcc.test 80 nomarker 4")" err
	expect "all of them failed at once (${ms} ms for 8, with interpreter start)" test "$ms" -lt 3000
	world_sync
	seen=$(awk -v from="$CAPTURE_FROM" 'NR > from && ($6 == 53 || $5 == "'$NOWHERE4'" ||
		$5 == "'$NOWHERE6'")' "$CAPTURE_LOG")
	expect_eq "port-53 packets in W" "$seen" ""
	expect_upstream good.rcc.test no
	rcc status
	expect "status says nobody answers its DNS" grep -q "NOBODY ANSWERS" <<<"$RCC_OUT"
}

# sb_sleeper: a process in cgroup sb (netns SB), for the daemon to find
# the sandbox's namespace by; ended at teardown with the cgroup
sb_sleeper() {
	RCCT_CMD_TIMEOUT=$RCCT_TEST_TIMEOUT in_sandbox sb sleep "$RCCT_TEST_TIMEOUT" &
	remember_pid $!
	wait_for 5 cg_has_procs sb
}

# daemon_answers_sb: the daemon said it answers for cgroup sb, and a
# query from sb gets an answer, within 10 s
daemon_answers_sb() {
	local cg
	cg=$(cg_path sb)
	if ! wait_for 10 grep -qF "dns: answering for $cg " "$DAEMON_OUT"; then
		fail_check "the daemon did not start answering for $cg within 10 s"
		sed 's/^/      | /' "$DAEMON_OUT"
		return 1
	fi
	pass_check "the daemon answers for $cg"
}

test_dnsproxy_daemon() {
	# attach --cgroup and the daemon: it opens a listener in the
	# sandbox's netns and answers there; stopped (no fd store), the
	# queries fail at once again
	need_rcc && need_dns_tools || return 1
	local m1 m2 m3 cg
	cg=$(cg_path sb)
	dnsp_up || return 1
	rcc_attach sb allowlist || return 1
	sb_sleeper || { fail_check "no process in sb"; return 1; }
	daemon_start || return 1
	daemon_answers_sb || return 1
	new_marker; m1=$M; new_marker; m2=$M; new_marker; m3=$M
	capture_mark
	dq_sb sb connect 203.0.113.10 80 "$m1" \
		+ gai good.rcc.test 80 "$m2" 4 \
		+ gai other.rcc.test 80 "$m3" 4 \
		+ query tcp $NOWHERE6 53 a.wild.rcc.test A \
		+ query sendto $NOWHERE4 53 x.y.wild.rcc.test A
	expect_dq "connect 203.0.113.10 80 $m1" "err EPERM"
	expect_dq "gai good.rcc.test 80 $m2 4" "ok 203.0.113.10"
	expect_dq "gai other.rcc.test 80 $m3 4" "err EAI_NONAME"
	expect_dq "query tcp $NOWHERE6 53 a.wild.rcc.test A" \
		"ok NOERROR an=203.0.113.10 n=1 from=[$NOWHERE6]:53"
	expect_dq "query sendto $NOWHERE4 53 x.y.wild.rcc.test A" \
		"ok NXDOMAIN an=- n=0 from=$NOWHERE4:53"
	expect_delivered "$m2"
	expect_not_arrived "$m1"
	expect_not_arrived "$m3"
	expect_no_dns_escape
	expect_upstream good.rcc.test yes
	expect_upstream other.rcc.test no
	expect_upstream x.y.wild.rcc.test no
	expect_dns_record "good.rcc.test answered for sb" \
		'.name == "good.rcc.test" and .verdict == "answered" and .cgroup == "'"$cg"'" and
		 .addresses == ["203.0.113.10"]'
	expect_dns_record "other.rcc.test nxdomain for sb" \
		'.name == "other.rcc.test" and .verdict == "nxdomain" and .cgroup == "'"$cg"'"'
	rcc status --json
	expect "status --json lists sb among the DNS sandboxes" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(not any(str(s.get("cgroup")) in (sys.argv[2], sys.argv[3]) or s.get("cgroup_id") == int(sys.argv[3])
                 for s in (d.get("dns") or {}).get("sandboxes") or []))' \
		"$RCC_OUT" "$cg" "$(stat -c %i "$cg")"

	# the daemon stops (no fd store): nobody answers, at once
	daemon_stop
	capture_mark
	dq_sb sb query sendto $NOWHERE4 53 good.rcc.test A + query tcp $NOWHERE4 53 good.rcc.test A
	expect_dq "query sendto $NOWHERE4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_dq "query tcp $NOWHERE4 53 good.rcc.test A" "err ECONNREFUSED"
	expect_no_dns_escape
}

# fdstore_daemon: the daemon under tests/lib/fdstore.py (systemd's fd
# store), in SB's netns like daemon_start; FDS_PID, FDS_LOG, DAEMON_OUT
fdstore_daemon() {
	FDS_LOG=$T_DIR/fdstore.log
	DAEMON_OUT=$T_DIR/daemon.fdstore.out
	: >"$FDS_LOG"
	nsenter --net="/run/netns/$NS_SB" -- "$PY" "$ROOT/tests/lib/fdstore.py" \
		--socket "$T_DIR/notify.sock" --log "$FDS_LOG" --lifetime "$RCCT_TEST_TIMEOUT" \
		-- "$RCC" -c "$T_CONF" daemon </dev/null >"$DAEMON_OUT" 2>&1 &
	FDS_PID=$!
	remember_pid "$FDS_PID"
	echo "  fdstore.py (pid $FDS_PID) runs rcc-bpf daemon"
	wait_for 10 grep -q "daemon running" "$DAEMON_OUT" ||
		{ fail_check "the daemon did not start under fdstore.py"; sed 's/^/      | /' "$DAEMON_OUT" "$FDS_LOG"; return 1; }
}

# fds_started N: fdstore.py started the daemon N times
fds_started() { [ "$(grep -c ' start pid=' "$FDS_LOG")" -ge "$1" ]; }

test_dnsproxy_daemon_restart() {
	# a daemon restart under a query load (systemd's fd store keeps the
	# listeners): every query is answered, at worst on its one retry
	need_rcc && need_dns_tools || return 1
	local cgid lu lt t_stop t_start before after
	cgid=$(stat -c %i "$(cg_path sb)")
	dnsp_up 60 "dns_query_rate = 1000" || return 1
	rcc_attach sb allowlist || return 1
	sb_sleeper || { fail_check "no process in sb"; return 1; }
	fdstore_daemon || return 1
	daemon_answers_sb || return 1
	wait_for 5 grep -q "stored dns-$cgid-tcp4 " "$FDS_LOG"
	expect "the daemon stored its listeners (dns-$cgid-udp4, -tcp4)" \
		grep -q "stored dns-$cgid-udp4 " "$FDS_LOG"
	grep -E ' (stored|duplicate|removed) ' "$FDS_LOG" | sed 's/^/      fdstore: /'
	dq_sb sb query sendto $NOWHERE4 53 good.rcc.test A
	expect_dq "query sendto $NOWHERE4 53 good.rcc.test A" "ok NOERROR an=203.0.113.10"

	# 200 UDP and 100 TCP queries over 4 s; the restart in the middle
	in_sandbox sb "$PY" "$TOOLS/rcct_dnsq.py" load udp $NOWHERE4 good.rcc.test 200 4 \
		>"$T_DIR/load.udp" 2>&1 &
	lu=$!
	in_sandbox sb "$PY" "$TOOLS/rcct_dnsq.py" load tcp $NOWHERE6 good.rcc.test 100 4 \
		>"$T_DIR/load.tcp" 2>&1 &
	lt=$!
	sleep 1.5
	kill -USR1 "$FDS_PID"
	wait "$lu" "$lt"
	wait_for 10 fds_started 2
	sed 's/^/      fdstore: /' "$FDS_LOG" | grep -vE 'WATCHDOG|msg pid=[0-9]+ fds=0 $'
	DQ_OUT=$(cat "$T_DIR/load.udp" "$T_DIR/load.tcp")
	printf '%s\n' "$DQ_OUT" | sed 's/^/      | /'
	expect "fdstore.py restarted the daemon" fds_started 2
	expect "the new daemon got the listeners (LISTEN_FDNAMES)" \
		grep -qE " start pid=[0-9]+ fds=[1-9][0-9]* names=.*dns-$cgid-udp4" "$FDS_LOG"
	# it stored them again: the very sockets it was given, not new ones
	expect "the new daemon answers on the stored sockets" \
		grep -q "duplicate dns-$cgid-udp4" "$FDS_LOG"
	expect_dq "load udp $NOWHERE4 good.rcc.test 200 4" "ok answered=200"
	expect_dq "load tcp $NOWHERE6 good.rcc.test 100 4" "ok answered=100"
	timing "restart under load: $(dq_result "load udp $NOWHERE4 good.rcc.test 200 4") (UDP); $(dq_result "load tcp $NOWHERE6 good.rcc.test 100 4") (TCP)"
	wait_for 10 test "$(grep -c "daemon running" "$DAEMON_OUT")" -ge 2
	expect "the second daemon answers for sb" test "$(grep -c "dns: answering for $(cg_path sb) " "$DAEMON_OUT")" -ge 2

	# records from both lifetimes: before the stop and after the start
	t_stop=$(awk '$2 == "stop" { print $1; exit }' "$FDS_LOG")
	t_start=$(awk '$2 == "start" { n++ } n == 2 { print $1; exit }' "$FDS_LOG")
	read -r before after < <(audit_jq '.type == "dns" and .name == "good.rcc.test"' | "$PY" -c '
import datetime, json, sys
stop, start = float(sys.argv[1]), float(sys.argv[2])
b = a = 0
for line in sys.stdin:
    t = datetime.datetime.strptime(json.loads(line)["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    b += t <= stop
    a += t >= start
print(b, a)' "${t_stop:-0}" "${t_start:-0}")
	expect "audit: records of the first daemon ($before before its stop)" test "${before:-0}" -gt 0
	expect "audit: records of the second daemon ($after after its start)" test "${after:-0}" -gt 0
	new_marker
	dq_sb sb gai good.rcc.test 80 "$M" 4
	expect_dq "gai good.rcc.test 80 $M 4" "ok 203.0.113.10"
	expect_delivered "$M"
	# detached, sb is no sandbox of the daemon: its listeners leave the store
	rcc_detach sb
	wait_for 5 grep -q "removed dns-$cgid-udp4 n=1" "$FDS_LOG"
	expect "the daemon took its listeners out of the store (FDSTOREREMOVE)" \
		grep -q "removed dns-$cgid-udp4 n=1" "$FDS_LOG"
	kill "$FDS_PID"
	wait_for 25 pid_gone "$FDS_PID"
	wait "$FDS_PID"
	expect_eq "fdstore.py and its daemon stopped: exit code" "$?" 0
}

test_dnsproxy_expiry_and_rate() {
	# an answered address expires (TTL 1 s, no grace): a connection opened
	# while it was allowed goes on, a new one is refused; past
	# dns_query_rate a burst of queries gets SERVFAIL (rate-limited)
	need_rcc && need_dns_tools || return 1
	local m1 m2 m3 n_ok n_sf
	dnsp_up 1 "dns_max_ttl = 1
dns_answer_grace = 0
dns_query_rate = 5" || return 1
	new_marker; m1=$M; new_marker; m2=$M; new_marker; m3=$M
	capture_mark
	# shellcheck disable=SC2016 # the script is Python's
	dnsp_run allowlist "$PY" -c '
import socket, sys, time
m1, m2, m3 = sys.argv[1:4]
a = socket.getaddrinfo("good.rcc.test", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
s = socket.create_connection((a, 80), timeout=2)
s.sendall(m1.encode())
time.sleep(1.7)
try:
    s.sendall(m2.encode()); print("held ok")
except OSError as e:
    print("held err", e)
s.close()
try:
    socket.create_connection((a, 80), timeout=2).sendall(m3.encode()); print("new ok")
except OSError as e:
    print("new err", e.errno)
' "$m1" "$m2" "$m3"
	expect_result "the connection opened while allowed goes on" \
		"$(printf '%s\n' "$DQ_OUT" | grep '^held ')" "held ok"
	expect_result "a new connection after the expiry is refused" \
		"$(printf '%s\n' "$DQ_OUT" | grep '^new ')" "new err 1"
	expect_delivered "$m1"
	expect_delivered "$m2"
	expect_not_arrived "$m3"

	# 12 queries at once: the bucket holds 5
	dq_run allowlist $(for i in $(seq 12); do
		printf '%s ' "query udp $NOWHERE4 53 good.rcc.test A +"; done) \
		query udp "$NOWHERE4" 53 good.rcc.test A
	n_ok=$(printf '%s\n' "$DQ_OUT" | grep -c -- '-> ok NOERROR')
	n_sf=$(printf '%s\n' "$DQ_OUT" | grep -c -- '-> ok SERVFAIL')
	expect "a burst past dns_query_rate is cut (answered $n_ok, SERVFAIL $n_sf)" \
		test "$n_ok" -ge 4 -a "$n_ok" -le 8 -a "$n_sf" -ge 5
	expect_dns_record "the rate-limited queries are in the audit log" \
		'.name == "good.rcc.test" and .verdict == "rate-limited"'
	expect_no_dns_escape
}

# dns_port_of CG: the DNS listener port status --json shows for cgroup CG
dns_port_of() {
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
for c in json.load(sys.stdin)["cgroups"]:
    if c["path"] == sys.argv[1]:
        print(c.get("dns_port") or "")' "$(cg_path "$1")"
}

test_dnsproxy_shared_netns() {
	# two sandboxes in one network namespace (a pod): the allowlist one
	# must not have its queries answered by the public one's listener
	need_rcc && need_dns_tools || return 1
	local pa pb
	dnsp_up || return 1
	cg_make sa
	rcc_attach sa public || return 1
	rcc_attach sb allowlist || return 1
	for c in sa sb; do
		RCCT_CMD_TIMEOUT=$RCCT_TEST_TIMEOUT in_sandbox $c sleep "$RCCT_TEST_TIMEOUT" &
		remember_pid $!
		wait_for 5 cg_has_procs $c || { fail_check "no process in $c"; return 1; }
	done
	daemon_start || return 1
	wait_for 10 sh -c "grep -qF 'dns: answering for $(cg_path sa) ' '$DAEMON_OUT' &&
		grep -qF 'dns: answering for $(cg_path sb) ' '$DAEMON_OUT'" ||
		{ fail_check "the daemon does not answer for both"; return 1; }
	pa=$(dns_port_of sa)
	pb=$(dns_port_of sb)
	expect "each has a listener of its own ($pa, $pb)" test -n "$pa" -a -n "$pb" -a "$pa" != "$pb"
	dq_sb sb query udp 127.0.0.1 "$pa" other.rcc.test A + query tcp 127.0.0.1 "$pa" other.rcc.test A \
		+ query udp 127.0.0.1 "$pb" other.rcc.test A
	expect_dq "query udp 127.0.0.1 $pa other.rcc.test A" "err EPERM"
	expect_dq "query tcp 127.0.0.1 $pa other.rcc.test A" "err EPERM"
	expect_dq "query udp 127.0.0.1 $pb other.rcc.test A" "ok NXDOMAIN an=- n=0 from=127.0.0.1:$pb"
	expect_upstream other.rcc.test no
	expect_audit_jq "sb's query to sa's listener refused (dns_channel)" \
		'.reason == "dns_channel" and .cgroup == "'"$(cg_path sb)"'" and .dport == '"$pa"
	# the twin: sa's own listener answers it
	dq_sb sa query udp 127.0.0.1 "$pa" other.rcc.test A
	expect_dq "query udp 127.0.0.1 $pa other.rcc.test A" "ok NOERROR an=203.0.113.10 n=1 from=127.0.0.1:$pa"
	expect_upstream other.rcc.test yes
}
