# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Containers with NET_ADMIN, NET_RAW and SYS_ADMIN (not --privileged)
# try to detach, replace or leave what enforces them.

TESTS+=(
	test_cap_escape
	test_cap_sysadmin_by_id
)

# cap_container TAG: a container with NET_ADMIN, NET_RAW and SYS_ADMIN (not
# --privileged) in its own cgroup namespace, enforced by attach
cap_container() {
	ct_run "$1" --cgroupns=private --cap-add NET_ADMIN,NET_RAW,SYS_ADMIN -- sleep 600 ||
		return 1
	rcc attach "$CT_NAME"
	expect_eq "attach $CT_NAME: exit code" "$RCC_RC" 0
	expect "attach warns of CAP_NET_RAW" contains "$RCC_OUT" "CAP_NET_RAW"
	[ "$RCC_RC" = 0 ]
}

# expect_links_intact CG: each of rcc-bpf's six hooks still attached to CG
expect_links_intact() {
	local t n counts
	counts=$(bpftool -j cgroup show "$1" 2>/dev/null | "$PY" -c '
import collections, json, sys
t = sys.stdin.read().strip()
for k, v in collections.Counter(p["attach_type"] for p in (json.loads(t) if t else [])
                                 if p.get("name", "").startswith("rcc_")).items():
    print(k, v)')
	for t in $RCC_ATTACH_TYPES; do
		n=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$counts")
		expect "rcc-bpf's $t program still on the container's cgroup" test "${n:-0}" -ge 1
	done
}

test_cap_escape() {
	local name cg m1 m2 bad
	conf_containers
	cap_container x || return 1
	name=$CT_NAME
	cg=$(ct_cgroup "$name")
	new_marker
	m1=$M
	new_marker
	m2=$M
	capture_mark
	ct_probe "$name" mount query detach replace move \
		connect 10.1.2.3 80 "$m1" connect "$PUBLIC" 80 "$m2"
	expect_result "the probe mounted its cgroup2" "$(probe_result "mount cgroup2 /tmp/cg")" ok
	expect "BPF_PROG_QUERY shows programs on its cgroup (the probe can see them)" \
		contains "$(probe_result "query connect4")" "ok "
	bad=$(printf '%s\n' "$PROBE" | grep -E '^detach [a-z_0-9]+( prog [0-9]+)? -> ok')
	expect_eq "BPF_PROG_DETACH that succeeded" "${bad:-none}" none
	expect_result "attach an allow-all program exclusively" "$(probe_result "replace attach-exclusive")" err
	expect_result "attach one with BPF_F_ALLOW_OVERRIDE" "$(probe_result "replace attach-override")" err
	bad=$(printf '%s\n' "$PROBE" | grep -E '^replace attach-replace .* -> ok')
	expect_eq "BPF_F_REPLACE over rcc-bpf's program that succeeded" "${bad:-none}" none
	echo "  note: attach-multi-beside -> $(probe_result "replace attach-multi-beside") (runs beside rcc-bpf's; both must allow)"
	expect_result "move to the parent cgroup through .." "$(probe_result "move /tmp/cg/../cgroup.procs")" err
	expect "it stays inside its own cgroup (namespace root or below)" \
		contains "$(printf '%s\n' "$PROBE" | grep '^move now-in ')" "move now-in /"
	expect_result "after all that, the private connect" "$(probe_result "connect 10.1.2.3 80")" "err EPERM"
	expect_result "and the public one (positive control)" "$(probe_result "connect $PUBLIC 80")" ok
	expect_not_arrived "$m1" 10.1.2.3 80
	expect_arrived "$m2"
	expect_links_intact "$cg"
	st_load
	expect_eq "status: the container is still enforced" "$(st_field path "$cg" policy)" default
	# a fresh process in the container, from the sub-cgroup it made
	ct_refused "$name" 10.1.2.3 80
}

test_cap_sysadmin_by_id() {
	# CAP_SYS_ADMIN without a user namespace is CAP_SYS_ADMIN of the host
	# for bpf(2): BPF_LINK_GET_FD_BY_ID and BPF_MAP_GET_FD_BY_ID need no
	# pin.  Where the bpf() guard runs, the probe (touching only its own
	# cgroup's links and entry) must fail; where it cannot run, rcc-bpf
	# must say so on attach and the OCI hook must refuse such containers.
	local name cg m1 m2 bad hooks=$T_DIR/hooks
	conf_containers
	cap_container y || return 1
	name=$CT_NAME
	cg=$(ct_cgroup "$name")
	if ! guard_runs; then
		echo "  note: no bpf() guard on this kernel: checking that rcc-bpf fails closed instead"
		expect "attach names CAP_SYS_ADMIN and what it allows" \
			contains "$RCC_OUT" "CAP_SYS_ADMIN or CAP_BPF outside a user namespace"
		hook_dir "$hooks" "$T_CONF"
		new_marker
		capture_mark
		hook_run "$hooks" sysadmin --cap-add SYS_ADMIN -- rcctc_probe connect "$PUBLIC" 80 "$M"
		expect "the hook refuses a container with CAP_SYS_ADMIN" test "$HOOK_RC" != 0
		expect "its command never ran" not_contains "$HOOK_OUT" "connect $PUBLIC 80 ->"
		expect_not_arrived "$M" "$PUBLIC" 80
		# positive control: the same hook starts a container without it
		new_marker
		capture_mark
		hook_run "$hooks" plain -- rcctc_probe connect "$PUBLIC" 80 "$M"
		expect_eq "a container without CAP_SYS_ADMIN starts: exit code" "$HOOK_RC" 0
		expect_arrived "$M"
		# and the administrator can accept the risk explicitly
		conf_containers
		sed -i 's/^enforce = all$/enforce = all\nallow_sys_admin = yes/' "$T_CONF"
		new_marker
		capture_mark
		hook_run "$hooks" accepted --cap-add SYS_ADMIN -- rcctc_probe connect 10.1.2.3 80 "$M"
		expect_eq "allow_sys_admin = yes starts it: exit code" "$HOOK_RC" 0
		expect_not_arrived "$M" 10.1.2.3 80
		return 0
	fi
	new_marker
	m1=$M
	new_marker
	m2=$M
	capture_mark
	ct_probe "$name" mount byid connect 10.1.2.3 80 "$m1" connect "$PUBLIC" 80 "$m2"
	expect_result "the probe mounted its cgroup2" "$(probe_result "mount cgroup2 /tmp/cg")" ok
	bad=$(printf '%s\n' "$PROBE" | grep -E '^byid link-detach [0-9]+ -> ok' | tr '\n' ' ')
	expect_eq "links of its cgroup detached by id from inside" "${bad:-none}" none
	bad=$(printf '%s\n' "$PROBE" | grep -E '^byid map-delete [0-9]+ -> ok' | tr '\n' ' ')
	expect_eq "rcc_cgroups entries deleted by id from inside" "${bad:-none}" none
	expect_result "after that, the private connect" "$(probe_result "connect 10.1.2.3 80")" "err EPERM"
	expect_result "and the public one (positive control)" "$(probe_result "connect $PUBLIC 80")" ok
	expect_not_arrived "$m1" 10.1.2.3 80
	expect_arrived "$m2"
	st_load
	expect_eq "status: the container is still enforced" "$(st_field path "$cg" policy)" default
}
