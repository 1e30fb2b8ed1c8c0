# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The harness itself, no rcc-bpf: the world, the clients and the capture
# work, and every destination the other tests refuse is reachable.

TESTS+=(
	test_baseline_unenforced
)

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
