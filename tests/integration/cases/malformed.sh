# shellcheck shell=bash
# Raw packets whose headers the egress walk cannot get through are
# refused as malformed, never judged as protocol "other" on port 0
# (sourced by tests/integration/run.sh).

captured_any() { [ -n "$(captured_to "$1")" ]; }

# shape_case WANT ARRIVAL CG SHAPE ADDR [HOP]: one raw-shape packet
shape_case() {
	local want=$1 arrival=$2 cg=$3 shape=$4 addr=$5 hop=${6:-}
	new_marker
	capture_mark
	client "$cg" raw-shape "$shape" "$addr" "$M" ${hop:+"$hop"}
	expect_result "raw-shape $shape $addr${hop:+ via $hop}" "$RES" "$want"
	if [ "$arrival" = yes ] && [ "$shape" = frag-short ]; then
		# the fragment stops before the payload: look for the packet
		if wait_for 3 captured_any "$addr"; then
			pass_check "a packet to $addr arrived in W"
		else
			fail_check "no packet to $addr arrived in W"
		fi
	elif [ "$arrival" = yes ]; then
		expect_arrived "$M"
	else
		expect_not_arrived "$M" "$addr"
	fi
}

test_malformed_headers_refused() {
	need_rcc || return 1
	local pub6=2001:db8:1::10 priv6=fd12:3456:789a::10 pub4=203.0.113.10
	conf_write <<'CONF'
[policy default]
allow_raw_sockets = yes
CONF
	# without enforcement each vector reaches the world
	shape_case ok yes "" dstopts9-rh "$pub6" "$priv6"
	shape_case ok yes "" dstopts17 "$pub6"
	shape_case ok yes "" ah-rh "$pub6" "$priv6"
	shape_case ok yes "" opt-overlong "$pub4"
	shape_case ok yes "" frag-short "$pub4"

	rcc_attach sb || return 1
	# nine destination options, then a routing header to a private hop:
	# the walk gets to the routing header and judges the hop
	shape_case any no sb dstopts9-rh "$pub6" "$priv6"
	shape_case ok yes sb dstopts2-rh "$pub6" "$pub6"
	# longer chains than the walk follows, AH before a routing header, an
	# extension header it cannot measure, a first fragment without its
	# UDP header
	shape_case any no sb dstopts17 "$pub6"
	shape_case any no sb ah-rh "$pub6" "$priv6"
	shape_case ok yes sb ah-rh "$pub6" "$pub6"
	shape_case any no sb unknown-ext "$pub6"
	shape_case any no sb frag-short "$pub6"
	shape_case ok yes sb frag-whole "$pub6"
	# IPv4: an option longer than the options area, a first fragment
	# without its UDP header
	shape_case any no sb opt-overlong "$pub4"
	shape_case ok yes sb opt-noop "$pub4"
	shape_case any no sb frag-short "$pub4"
	shape_case ok yes sb frag-whole "$pub4"
}

TESTS+=(test_malformed_headers_refused)
