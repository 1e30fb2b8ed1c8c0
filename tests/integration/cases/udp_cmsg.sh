# shellcheck shell=bash
# Connected UDP with a control message (sourced by tests/integration/run.sh).
# The kernel runs the sendmsg hook for it with no address: what counts is
# the socket's peer.  QUIC stacks send GSO and ECN this way.

# cmsg_case WANT ARRIVAL KIND ADDR PORT [GO]: one udp-cmsg from sb
cmsg_case() {
	local want=$1 arrival=$2 kind=$3 addr=$4 port=$5
	new_marker
	capture_mark
	client sb udp-cmsg "$kind" "$addr" "$port" "$M" ${6:+"$6"}
	expect_result "udp-cmsg $kind $addr $port" "$RES" "$want"
	if [ "$arrival" = yes ]; then
		expect_arrived "$M"
		expect_delivered "$M"
	else
		expect_not_arrived "$M" "$addr" "$port"
	fi
}

test_udp_cmsg_connected_peer() {
	need_rcc || return 1
	local kind
	conf_write <<'CONF'
[policy default]
allow = 10.1.2.3:5000/udp
allow = [2001:db8:1::10]:5000/udp
CONF
	rcc_attach sb || return 1
	# to an allowed peer, every kind arrives (refused before: the hook
	# judged 0.0.0.0:0)
	for kind in pktinfo tos gso; do
		cmsg_case ok yes "$kind" 10.1.2.3 5000
	done
	cmsg_case ok yes tclass 2001:db8:1::10 5000
	cmsg_case ok yes gso 2001:db8:1::10 5000
	# a peer the policy never allowed: refused, as with an address
	cmsg_case "err EPERM" no tos 172.16.5.5 5000
	cmsg_case "err EPERM" no tclass fd12:3456:789a::10 5000
}

# A socket connected while its peer was allowed, whose peer is denied by
# the time it sends: the peer is judged now, not at connect().
test_udp_cmsg_peer_denied_later() {
	need_rcc || return 1
	local go pid kind
	conf_write <<'CONF'
[policy default]
allow = 10.1.2.3:5000/udp
allow = [2001:db8:1::10]:5000/udp
CONF
	rcc_attach sb || return 1
	for kind in tos tclass; do
		local addr=10.1.2.3
		[ "$kind" = tclass ] && addr=2001:db8:1::10
		go=$T_DIR/go-$kind
		rm -f "$go" "$go.ready"
		new_marker
		capture_mark
		in_sandbox sb "$PY" "$TOOLS/rcct_client.py" udp-cmsg "$kind" "$addr" 5000 "$M" "$go" \
			>"$T_DIR/late-$kind.out" &
		pid=$!
		wait_for 5 test -e "$go.ready" || fail_check "udp-cmsg $kind never connected"
		conf_write <<'CONF'
[policy default]
allow_public = no
CONF
		rcc reload
		expect_eq "reload exit code" "$RCC_RC" 0
		touch "$go"
		wait "$pid"
		expect_result "udp-cmsg $kind to $addr after its peer was denied" \
			"$(cat "$T_DIR/late-$kind.out")" "err EPERM"
		expect_not_arrived "$M" "$addr" 5000
		conf_write <<'CONF'
[policy default]
allow = 10.1.2.3:5000/udp
allow = [2001:db8:1::10]:5000/udp
CONF
		rcc reload
	done
}

TESTS+=(test_udp_cmsg_connected_peer test_udp_cmsg_peer_denied_later)
