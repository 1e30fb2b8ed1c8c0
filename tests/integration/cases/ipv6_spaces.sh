# shellcheck shell=bash
# IPv6 entries cover the IPv4 space (::ffff:0:0/96) and the NAT64 space
# (64:ff9b::/96) only when written inside them; a NAT64 destination is
# judged by entries written inside 64:ff9b::/96 first, else as the IPv4
# address it carries (sourced by tests/integration/run.sh).

NAT64_W=64:ff9b::cb00:710a	# 64:ff9b::203.0.113.10, on W's loopback

test_ipv6_entry_not_ipv4() {
	need_rcc || return 1
	conf_write <<'CONF'
[policy default]
allow_public = no
allow = [::/0]:80/tcp
CONF
	rcc_attach sb || return 1
	# all of IPv6 on port 80...
	allowed sb tcp-connect 2001:db8:1::10 80
	# ...and no IPv4 address: the metadata service, a public one, either form
	refused sb tcp-connect 169.254.169.254 80
	refused sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect --v4mapped 203.0.113.10 80
	refused sb tcp-connect 2001:db8:1::10 443
	rcc check 169.254.169.254 80/tcp
	expect "check says the IPv6 entry does not cover IPv4" \
		grep -q "covers the IPv4 (::ffff:0:0/96) space only when written inside it" <<<"$RCC_OUT"

	# written inside the IPv4 space, an IPv6 entry is an IPv4 entry
	conf_write <<'CONF'
[policy default]
allow_public = no
allow = [::ffff:203.0.113.0/120]:80/tcp
CONF
	rcc reload
	expect_eq "reload exit code" "$RCC_RC" 0
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 2001:db8:1::10 80
}

test_nat64_two_steps() {
	need_rcc || return 1
	ip -n "$NS_W" addr add "$NAT64_W/128" dev lo || return 1
	# the NAT64 address is reachable in the test's world
	allowed sb tcp-connect "$NAT64_W" 80

	conf_write <<'CONF'
[policy default]
allow_public = no
allow = [64:ff9b::/96]:80/tcp
CONF
	rcc_attach sb || return 1
	# an entry written inside the NAT64 space allows NAT64 destinations...
	allowed sb tcp-connect "$NAT64_W" 80
	# ...and no IPv4 address
	refused sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect "$NAT64_W" 443

	# no entry inside the NAT64 space: the IPv4 address inside is judged
	conf_write <<'CONF'
[policy default]
deny = 203.0.113.0/24
CONF
	rcc reload
	expect_eq "reload exit code" "$RCC_RC" 0
	refused sb tcp-connect "$NAT64_W" 80
	refused sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 2001:db8:1::10 80
	rcc check "$NAT64_W" 80/tcp
	expect "check explains the NAT64 step" \
		grep -q "so judged as 203.0.113.10" <<<"$RCC_OUT"
}

TESTS+=(test_ipv6_entry_not_ipv4 test_nat64_two_steps)
