# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The default policy (private ranges refused, public allowed, over TCP,
# UDP, IPv6, v4-mapped and ICMP) and allow/deny entries.

TESTS+=(
	test_default_tcp_private
	test_default_udp
	test_default_ipv6
	test_default_v4mapped
	test_default_icmp
	test_allow_port_entry
	test_allow_cidr_and_ranges
	test_deny_public
	test_allowlist_mode
)

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
