# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# CAP_NET_ADMIN (issue 10, item 7): with it a sandbox's VXLAN tunnel or
# tun device with forwarding sends packets that no cgroup hook judges.
# attach and status warn about its holders; the OCI hook refuses such
# containers unless [containers] allow_net_admin = yes.

TESTS+=(
	test_net_admin
)

test_net_admin() {
	local hooks=$T_DIR/hooks
	conf_containers
	ct_run na --cap-add NET_ADMIN -- sleep 600 || return 1
	rcc attach "$CT_NAME"
	expect_eq "attach a NET_ADMIN container: exit code" "$RCC_RC" 0
	expect "attach warns of CAP_NET_ADMIN" contains "$RCC_OUT" "hold CAP_NET_ADMIN"
	rcc status
	expect "status warns of CAP_NET_ADMIN" contains "$RCC_OUT" "hold CAP_NET_ADMIN"
	# positive control: a container without it draws no such warning
	ct_run plain -- sleep 600 || return 1
	rcc attach "$CT_NAME"
	expect "attach of a plain container: no CAP_NET_ADMIN warning" \
		not_contains "$RCC_OUT" "CAP_NET_ADMIN"

	hook_dir "$hooks" "$T_CONF"
	new_marker
	capture_mark
	hook_run "$hooks" hna --cap-add NET_ADMIN -- rcctc_probe connect "$PUBLIC" 80 "$M"
	expect "the hook refuses a container with CAP_NET_ADMIN" test "$HOOK_RC" != 0
	expect "its command never ran" not_contains "$HOOK_OUT" "connect $PUBLIC 80 ->"
	expect_not_arrived "$M" "$PUBLIC" 80
	new_marker
	capture_mark
	hook_run "$hooks" hplain -- rcctc_probe connect "$PUBLIC" 80 "$M"
	expect_eq "the hook starts a container without it: exit code" "$HOOK_RC" 0
	expect_arrived "$M"
	# the administrator accepts the risk
	sed -i 's/^enforce = all$/enforce = all\nallow_net_admin = yes/' "$T_CONF"
	new_marker
	capture_mark
	hook_run "$hooks" haccept --cap-add NET_ADMIN -- rcctc_probe connect 10.1.2.3 80 "$M"
	expect_eq "allow_net_admin = yes starts it: exit code" "$HOOK_RC" 0
	expect "its command ran" contains "$HOOK_OUT" "connect 10.1.2.3 80 ->"
	expect_not_arrived "$M" 10.1.2.3 80
}
