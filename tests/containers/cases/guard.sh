# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# When the bpf() guard counts (issue 10, item 11): an LSM list that
# cannot be read proves no guard, and a user namespace that maps host
# uid 0 is no user namespace for the OCI hook.

TESTS+=(
	test_guard_needs_lsm_list
	test_hook_userns_maps_host_root
)

test_guard_needs_lsm_list() {
	local out guard
	conf_containers
	ct_run g --cap-add SYS_ADMIN -- sleep 600 || return 1
	rcc attach "$CT_NAME" || return 1
	# a guard link pinned where rcc-bpf looks for it (any object will do)
	bpftool map pin name rcc_gen "$T_PIN/v3/links/bpf-guard" 2>/dev/null ||
		bpftool map pin pinned "$T_PIN/v3/maps/rcc_gen" "$T_PIN/v3/links/bpf-guard" ||
		{ fail_check "cannot pin a stand-in guard link"; return 1; }
	# the LSM list unreadable: securityfs hidden in a mount namespace
	out=$(unshare -m sh -c 'mount -t tmpfs none /sys/kernel/security && exec "$@"' sh \
		"$RCC" -c "$T_CONF" status --json 2>/dev/null)
	guard=$(printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("bpf_guard"))' 2>&1)
	expect_eq "status: bpf_guard with no readable LSM list" "$guard" False
	out=$(unshare -m sh -c 'mount -t tmpfs none /sys/kernel/security && exec "$@"' sh \
		"$RCC" -c "$T_CONF" attach "$CT_NAME" 2>&1)
	printf '%s\n' "$out" | sed 's/^/      | /'
	expect "attach warns of CAP_SYS_ADMIN" contains "$out" "CAP_SYS_ADMIN or CAP_BPF outside a user namespace"
	rm -f "$T_PIN/v3/links/bpf-guard"
}

test_hook_userns_maps_host_root() {
	local hooks=$T_DIR/hooks
	conf_containers
	hook_dir "$hooks" "$T_CONF"
	if guard_runs; then
		fail_check "the bpf() guard runs here: the hook lets CAP_SYS_ADMIN containers start, this test cannot check the user namespace rule"
		return 1
	fi
	# root of this user namespace is host root (--network none: crun
	# cannot set a joined host-owned netns's sysctls from a user namespace)
	userns_run "$hooks" hostroot 0 || return 1
	expect "the hook refuses CAP_SYS_ADMIN in a user namespace mapping host uid 0" test "$HOOK_RC" != 0
	expect "its command never ran" not_contains "$HOOK_OUT" "ran-$M"
	# positive control: root mapped to an unprivileged uid
	userns_run "$hooks" mapped 200000 || return 1
	expect_eq "CAP_SYS_ADMIN in a user namespace of its own starts: exit code" "$HOOK_RC" 0
	expect "its command ran" contains "$HOOK_OUT" "ran-$M"
}

# userns_run HOOKDIR TAG HOSTUID: a CAP_SYS_ADMIN container whose root is
# HOSTUID, under the hooks; HOOK_RC, HOOK_OUT; it echoes ran-MARKER
userns_run() {
	local name
	name=$(ct_name "$2")
	ct_remember "$name"
	new_marker
	HOOK_OUT=$(pod --hooks-dir "$1" run --rm --name "$name" "${CT_BASE[@]}" --network none \
		--uidmap "0:$3:65536" --gidmap "0:$3:65536" --cap-add SYS_ADMIN \
		--rootfs "$ROOTFS" echo "ran-$M" 2>&1)
	HOOK_RC=$?
	echo "  \$ podman run --rm --name $name --uidmap 0:$3:65536 --cap-add SYS_ADMIN ... -> exit $HOOK_RC"
	printf '%s\n' "$HOOK_OUT" | sed 's/^/      | /'
}
