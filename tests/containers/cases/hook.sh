# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The OCI hook: a container is enforced from its first instruction, the
# annotation picks the policy, a hook that fails keeps the container from
# starting, and what the hook's containers leave behind does not pile up.

TESTS+=(
	test_oci_hook
	test_oci_hook_fails_closed
	test_oci_hook_prunes
)

# median of the numbers given
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

test_oci_hook() {
	local hooks=$T_DIR/hooks ann=$T_DIR/hooks-ann m1 m2 i t0 with=() without=()
	local cg pid hook_ms
	conf_containers
	hook_dir "$hooks" "$T_CONF"
	sed 's/^/      /' "$hooks/rcc-bpf.json"

	# the container's very first action: a connect to a private address
	new_marker
	m1=$M
	new_marker
	m2=$M
	capture_mark
	hook_run "$hooks" first -- rcctc_probe connect 10.1.2.3 80 "$m1" connect "$PUBLIC" 80 "$m2"
	PROBE=$HOOK_OUT
	expect_eq "the container ran: exit code" "$HOOK_RC" 0
	expect_result "its first connect, to 10.1.2.3:80" "$(probe_result "connect 10.1.2.3 80")" "err EPERM"
	expect_result "then to $PUBLIC:80" "$(probe_result "connect $PUBLIC 80")" ok
	expect_not_arrived "$m1" 10.1.2.3 80
	expect_arrived "$m2"
	expect_delivered "$m2"

	# busybox nc, the way a script would do it
	new_marker
	capture_mark
	hook_run "$hooks" nc -- sh -c "echo $M | nc -w 2 169.254.169.254 80; echo nc-exit=\$?"
	expect "nc reports the refusal" contains "$HOOK_OUT" "Operation not permitted"
	expect_not_arrived "$M" 169.254.169.254 80

	# the annotation picks the policy
	new_marker
	m1=$M
	new_marker
	m2=$M
	capture_mark
	hook_run "$hooks" strict --annotation rcc-bpf.policy=strict -- \
		rcctc_probe connect "$PUBLIC" 80 "$m1" connect "$PUBLIC" 443 "$m2"
	PROBE=$HOOK_OUT
	expect_result "annotated strict: $PUBLIC:80" "$(probe_result "connect $PUBLIC 80")" "err EPERM"
	expect_result "annotated strict: $PUBLIC:443 (allowed)" "$(probe_result "connect $PUBLIC 443")" ok
	expect_not_arrived "$m1" "$PUBLIC" 80
	expect_arrived "$m2"

	# the shipped annotation-only hook: only annotated containers run it
	hook_dir "$ann" "$T_CONF" rcc-bpf-annotation.json
	new_marker
	m1=$M
	capture_mark
	hook_run "$ann" unann -- rcctc_probe connect 10.1.2.3 80 "$m1"
	PROBE=$HOOK_OUT
	expect_result "annotation hook, no annotation: not enforced" "$(probe_result "connect 10.1.2.3 80")" ok
	expect_arrived "$m1"
	new_marker
	m1=$M
	capture_mark
	hook_run "$ann" ann2 --annotation rcc-bpf.policy=default -- rcctc_probe connect 10.1.2.3 80 "$m1"
	PROBE=$HOOK_OUT
	expect_result "annotation hook, annotated: enforced" "$(probe_result "connect 10.1.2.3 80")" "err EPERM"
	expect_not_arrived "$m1" 10.1.2.3 80

	# what the hook costs a container start
	for i in 1 2 3 4 5; do
		t0=$(now_ms)
		pod run --rm "${CT_BASE[@]}" --network none --rootfs "$ROOTFS" true >/dev/null 2>&1
		without+=($(($(now_ms) - t0)))
		t0=$(now_ms)
		pod --hooks-dir "$hooks" run --rm "${CT_BASE[@]}" --network none --rootfs "$ROOTFS" true \
			>/dev/null 2>&1
		with+=($(($(now_ms) - t0)))
	done
	timing "oci-hook: podman run --rm true takes $(median "${without[@]}") ms without the hook, $(median "${with[@]}") ms with it (median of 5; ${without[*]} / ${with[*]})"
	# the hook alone, policies already loaded: a fake state for a
	# process in a scratch cgroup
	cg_make hooktime
	sleep 30 &
	pid=$!
	remember_pid $pid
	echo $pid >"$(cg_path hooktime)/cgroup.procs"
	# a bundle whose config.json grants no CAP_SYS_ADMIN (the hook reads it)
	mkdir -p "$T_DIR/bundle"
	echo '{"process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"]}}}' \
		>"$T_DIR/bundle/config.json"
	t0=$(now_ms)
	echo "{\"ociVersion\":\"1.0.2\",\"id\":\"rcct-hooktime\",\"status\":\"creating\",\"pid\":$pid,\"bundle\":\"$T_DIR/bundle\"}" |
		timeout 30 "$RCC" -c "$T_CONF" oci-hook >"$T_DIR/hook.out" 2>&1
	i=$?
	hook_ms=$(($(now_ms) - t0))
	expect_eq "rcc-bpf oci-hook with a hand-made state: exit code" "$i" 0
	st_load
	expect_eq "it enforced the process's cgroup" "$(st_field path "$(cg_path hooktime)" policy)" default
	timing "oci-hook: rcc-bpf oci-hook itself runs $hook_ms ms (policies loaded)"
	kill $pid 2>/dev/null
}

test_oci_hook_fails_closed() {
	local good=$T_DIR/hooks bad=$T_DIR/hooks-bad badconf=$T_DIR/bad.conf
	conf_containers
	hook_dir "$good" "$T_CONF"
	c_conf_write "$badconf" <<-EOF
	[policy default]
	mode = enforce
	allow = 10.1.2.300
	EOF
	hook_dir "$bad" "$badconf"

	# a configuration with an error: the container must not start
	new_marker
	capture_mark
	hook_run "$bad" badconf -- rcctc_probe connect "$PUBLIC" 80 "$M"
	expect "podman run fails when the hook's configuration has errors" test "$HOOK_RC" != 0
	expect "the container's command never ran" not_contains "$HOOK_OUT" "connect $PUBLIC 80 ->"
	expect_not_arrived "$M" "$PUBLIC" 80

	# an annotation naming a policy the configuration lacks
	new_marker
	capture_mark
	hook_run "$good" nopolicy --annotation rcc-bpf.policy=nosuch -- \
		rcctc_probe connect "$PUBLIC" 80 "$M"
	expect "podman run fails when the annotated policy is missing" test "$HOOK_RC" != 0
	# crun does not pass the hook's stderr on: only its exit code shows
	echo "  note: podman's error $(contains "$HOOK_OUT" nosuch && echo names || echo does not name) the policy"
	expect "the container's command never ran" not_contains "$HOOK_OUT" "connect $PUBLIC 80 ->"
	expect_not_arrived "$M" "$PUBLIC" 80

	# positive control: the same good hook, no annotation
	new_marker
	capture_mark
	hook_run "$good" control -- rcctc_probe connect "$PUBLIC" 80 "$M"
	PROBE=$HOOK_OUT
	expect_eq "the control container runs: exit code" "$HOOK_RC" 0
	expect_result "the control reaches $PUBLIC:80" "$(probe_result "connect $PUBLIC 80")" ok
	expect_arrived "$M"
}

test_oci_hook_prunes() {
	# Without a daemon, nothing but the hook runs per container.  What
	# the containers it enforced leave behind when they go must not pile
	# up: each holds a slot of [global] max_cgroups (and a pinned link
	# per hook).  With max_cgroups = 16 (the least allowed), 16
	# containers come and go, then one more must still start, enforced.
	local hooks=$T_DIR/hooks i ok=0 stale entries pins
	C_GLOBAL="max_cgroups = 16" conf_containers
	hook_dir "$hooks" "$T_CONF"
	for i in $(seq 1 16); do
		hook_run "$hooks" "gone$i" -- true >/dev/null
		[ "$HOOK_RC" != 0 ] || ok=$((ok + 1))
	done
	expect_eq "hook containers that ran" "$ok" 16
	st_load
	echo "  after 16 hook containers came and went: $(st_count True) entries, $(st_count 'not c.get("path")') of removed cgroups, $(find "$T_PIN/v3/links" -mindepth 1 -maxdepth 1 -type d | wc -l) link dirs; libpod_parent has $(dying) dying cgroups"
	# the next container start runs the hook again
	CT_GLOBAL=(--hooks-dir "$hooks")
	ct_run last -- sleep 600
	i=$?
	CT_GLOBAL=()
	expect_eq "the 17th container starts under the hook (exit code)" "$i" 0
	if [ "$i" = 0 ]; then
		ct_refused "$CT_NAME" 10.1.2.3 80
		ct_allowed "$CT_NAME" "$PUBLIC" 80
	fi
	st_load
	stale=$(st_count 'not c.get("path")')
	entries=$(st_count True)
	pins=$(find "$T_PIN/v3/links" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
	echo "  after the next hook run: $entries entries, $stale of removed cgroups, $pins link dirs"
	expect_eq "status entries of removed containers after the next hook run" "$stale" 0
	expect_eq "pinned link dirs after the next hook run (the running container's)" "$pins" "$((i == 0))"
}
