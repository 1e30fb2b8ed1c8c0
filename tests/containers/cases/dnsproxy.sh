# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# dns = proxy for a container: the daemon answers inside the container's
# network namespace, whatever server busybox's own resolver names; an
# allowed name resolves and connects, an unlisted one never reaches the
# upstream (dnsmasq in W).

TESTS+=(
	test_container_dnsproxy
)

# 203.0.113.53: a server nobody holds, routed (not on-link) from SB to W
CT_NOWHERE=203.0.113.53

# nslookup NAME NAME [SERVER]: busybox nslookup inside container NAME;
# output in NSL_OUT, exit code in NSL_RC
ct_nslookup() {
	NSL_OUT=$(timeout -k 2 30 podman exec "$1" busybox nslookup "$2" ${3:+"$3"} 2>&1)
	NSL_RC=$?
	echo "  \$ podman exec ${1#rcct-"$RCCT_RUN"-} busybox nslookup $2 ${3:-} -> exit $NSL_RC"
	printf '%s\n' "$NSL_OUT" | sed 's/^/      | /'
}

test_container_dnsproxy() {
	local hooks=$T_DIR/hooks name cg seen
	command -v dnsmasq >/dev/null || { fail_check "missing tool: dnsmasq"; return 1; }
	RCC_NETNS=$NS_SB # the daemon reaches dnsmasq from there
	dns_set "203.0.113.10 good.rcc.test" "2001:db8:1::10 good.rcc.test" \
		"203.0.113.10 other.rcc.test"
	dns_start 60 || return 1
	C_GLOBAL="resolver = $W_ADDR4
control_socket = $T_DIR/ctl.sock" c_conf_write <<-EOF
	[containers]
	default_policy = default
	enforce = labelled

	[policy default]
	mode = enforce

	[policy dnsallow]
	mode = enforce
	allow_public = no
	allow = good.rcc.test:80/tcp
	EOF
	hook_dir "$hooks" "$T_CONF"
	daemon_start || return 1
	CT_GLOBAL=(--hooks-dir "$hooks")
	ct_run dns --annotation rcc-bpf.policy=dnsallow -- sleep 600
	local rc=$?
	CT_GLOBAL=()
	[ "$rc" = 0 ] || return 1
	name=$CT_NAME
	cg=$CG2/libpod_parent/libpod-$CT_ID
	if wait_for 10 grep -qF "dns: answering for $cg " "$DAEMON_OUT"; then
		pass_check "the daemon answers for the container's cgroup"
	else
		fail_check "the daemon did not start answering for $cg within 10 s"
		sed 's/^/      | /' "$DAEMON_OUT"
		return 1
	fi
	# before any answer, the name's address is not allowed
	ct_refused "$name" 203.0.113.10 80

	capture_mark
	ct_nslookup "$name" good.rcc.test "$CT_NOWHERE"
	expect "nslookup good.rcc.test $CT_NOWHERE: answered with 203.0.113.10" \
		grep -q "Address: *203.0.113.10" <<<"$NSL_OUT"
	expect "nslookup good.rcc.test $CT_NOWHERE: and with 2001:db8:1::10" \
		grep -q "Address: *2001:db8:1::10" <<<"$NSL_OUT"
	expect_eq "nslookup good.rcc.test: exit code" "$NSL_RC" 0
	ct_allowed "$name" 203.0.113.10 80
	# busybox nc, the way a script would do it (busybox-static's own
	# getaddrinfo cannot resolve in this root filesystem: the address)
	new_marker
	timeout -k 2 20 podman exec "$name" sh -c "echo $M | nc -w 2 203.0.113.10 80" 2>&1 |
		sed 's/^/      | nc: /'
	expect_delivered "$M"

	ct_nslookup "$name" other.rcc.test "$CT_NOWHERE"
	expect "nslookup other.rcc.test: NXDOMAIN" grep -q "NXDOMAIN" <<<"$NSL_OUT"
	expect "nslookup other.rcc.test: no address" not grep -q "Address: *203.0.113.10" <<<"$NSL_OUT"
	ct_nslookup "$name" other.rcc.test
	expect "nslookup other.rcc.test (the container's resolv.conf): NXDOMAIN" grep -q "NXDOMAIN" <<<"$NSL_OUT"

	world_sync
	seen=$(awk -v from="$CAPTURE_FROM" -v r="$W_ADDR4" \
		'NR > from && ($5 == "'$CT_NOWHERE'" || ($6 == 53 && $5 != r))' "$CAPTURE_LOG")
	expect_eq "packets to $CT_NOWHERE or to any :53 but the resolver" "$seen" ""
	expect "dnsmasq was asked for good.rcc.test" grep -q "query\[A\] good.rcc.test from" "$DNS_LOG"
	expect_eq "queries for other.rcc.test that reached dnsmasq" \
		"$(grep -c "other.rcc.test" "$DNS_LOG")" 0
	# the audit log names the container
	wait_for 5 grep -q '"type":"dns"' "$T_AUDIT_LOG"
	expect "audit: good.rcc.test answered for the container" "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if (r.get("type") == "dns" and r.get("name") == "good.rcc.test" and
            r.get("verdict") == "answered" and r.get("container") == sys.argv[2] and
            r.get("container_name") == sys.argv[3]):
        sys.exit(0)
sys.exit(1)' "$T_AUDIT_LOG" "$CT_ID" "$name"
	daemon_stop
}
