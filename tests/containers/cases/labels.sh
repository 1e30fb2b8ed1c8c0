# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Who may choose a container's policy (issue 10, item 6): a label or
# annotation its image carries chooses nothing; a run-time one chooses
# only a policy of [containers] label_policies; one that may not choose
# makes the hook refuse the container, and attach and the daemon enforce
# the inherited or default policy.  Images are made here from the test's
# root filesystem (podman import, podman build): no registry.

TESTS+=(
	test_label_policy
	test_image_label_chooses_nothing
	test_label_policies
)

test_label_policy() {
	local lab unl cg
	conf_containers
	ct_run strict --label rcc-bpf.policy=strict -- sleep 600 || return 1
	lab=$CT_NAME
	ct_run plain -- sleep 600 || return 1
	unl=$CT_NAME
	ct_run bad --label rcc-bpf.policy=nosuch -- sleep 600 || return 1

	rcc attach "$lab"
	expect_eq "attach the labelled container: exit code" "$RCC_RC" 0
	expect "its label chose policy strict" contains "$RCC_OUT" "attached policy 'strict'"
	rcc attach "$unl"
	expect_eq "attach the unlabelled container: exit code" "$RCC_RC" 0
	expect "it got the default policy" contains "$RCC_OUT" "attached policy 'default'"
	st_load
	expect_eq "status: policy of $lab" "$(st_field container_name "$lab" policy)" strict
	expect_eq "status: policy of $unl" "$(st_field container_name "$unl" policy)" default

	ct_refused "$lab" "$PUBLIC" 80
	ct_refused "$lab" 10.1.2.3 80
	ct_allowed "$lab" "$PUBLIC" 443
	ct_allowed "$unl" "$PUBLIC" 80
	ct_refused "$unl" 10.1.2.3 80

	# --policy beats the label
	rcc attach "$lab" --policy default
	expect_eq "attach --policy default over the label: exit code" "$RCC_RC" 0
	ct_allowed "$lab" "$PUBLIC" 80

	# a label naming no policy of the configuration chooses nothing: the
	# default policy holds, and attach says why
	rcc attach "$CT_NAME"
	expect_eq "attach a container labelled with a missing policy: exit code" "$RCC_RC" 0
	expect "the message names the missing policy" contains "$RCC_OUT" "policy 'nosuch'"
	cg=$(ct_cgroup "$CT_NAME")
	st_load
	expect_eq "status: default policy for it" "$(st_field path "$cg" policy)" default
	ct_refused "$CT_NAME" 10.1.2.3 80
	ct_allowed "$CT_NAME" "$PUBLIC" 80
}

# labels_conf [CONTAINERS-LINES]: default, strict (only $PUBLIC:443/tcp)
# and open (private ranges allowed)
labels_conf() {
	C_GLOBAL="control_socket = $T_DIR/ctl.sock" c_conf_write <<-EOF
	[containers]
	default_policy = default
	enforce = all
	${1:-}

	[policy default]
	mode = enforce

	[policy strict]
	mode = enforce
	allow_public = no
	allow = $PUBLIC:443/tcp

	[policy open]
	mode = enforce
	block_private = no
	EOF
}

# img_name TAG: this test's image called TAG
img_name() { echo "localhost/rcct-$RCCT_RUN-$T_IDX:$1"; }

# img_make: IMG_LABEL (LABEL rcc-bpf.policy=open) and IMG_ANN (built from
# it with the annotation rcc-bpf.policy=open), removed at the test's end
img_make() {
	IMG_LABEL=$(img_name label) IMG_ANN=$(img_name ann)
	tar -C "$ROOTFS" -cf "$T_DIR/rootfs.tar" . &&
		pod import --change 'LABEL rcc-bpf.policy=open' "$T_DIR/rootfs.tar" "$IMG_LABEL" \
			>/dev/null 2>"$T_DIR/img.err" &&
		printf 'FROM %s\n' "$IMG_LABEL" >"$T_DIR/Containerfile" &&
		pod build -q --annotation rcc-bpf.policy=open -t "$IMG_ANN" -f "$T_DIR/Containerfile" \
			"$T_DIR" >/dev/null 2>>"$T_DIR/img.err" ||
		{ fail_check "cannot make the test images: $(cat "$T_DIR/img.err")"; return 1; }
	echo "  images $IMG_LABEL (label open), $IMG_ANN (label and annotation open)"
}

img_remove() {
	ct_rm $(sort -u "$T_DIR/containers")
	pod rmi -f "$IMG_ANN" "$IMG_LABEL" >/dev/null 2>&1
}

# ct_run_image TAG IMAGE [PODMAN-RUN-OPTION...] -- COMMAND...: ct_run
# from an image instead of the root filesystem
ct_run_image() {
	CT_IMAGE=$2 ct_run "$1" "${@:3}"
}

test_image_label_chooses_nothing() {
	img_make || return 1
	image_label_cases
	img_remove
}

image_label_cases() {
	local hooks=$T_DIR/hooks m1 m2
	labels_conf
	# attach: the image's label chooses nothing
	ct_run_image img "$IMG_LABEL" -- sleep 600 || return 1
	rcc attach "$CT_NAME"
	expect "attach gives the default policy" contains "$RCC_OUT" "attached policy 'default'"
	expect "attach says the label is the image's" contains "$RCC_OUT" "comes from its image"
	ct_refused "$CT_NAME" 10.1.2.3 80
	ct_allowed "$CT_NAME" "$PUBLIC" 80
	# a label given at run time does choose
	ct_run_image run "$IMG_LABEL" --label rcc-bpf.policy=strict -- sleep 600 || return 1
	rcc attach "$CT_NAME"
	expect "attach: the run-time label chose strict" contains "$RCC_OUT" "attached policy 'strict'"
	ct_refused "$CT_NAME" "$PUBLIC" 80
	ct_allowed "$CT_NAME" "$PUBLIC" 443

	# the daemon, for a new container of that image
	daemon_start || return 1
	ct_run_image new "$IMG_LABEL" -- sleep 600 || return 1
	wait_enforced_by_daemon "$CT_ID" || return 1
	expect "the daemon gave the default policy" contains "$(daemon_log_line "$CT_ID")" "policy 'default'"
	ct_refused "$CT_NAME" 10.1.2.3 80
	daemon_stop

	# the OCI hook: the image's annotation chooses nothing
	hook_dir "$hooks" "$T_CONF"
	new_marker
	m1=$M
	capture_mark
	HOOK_OUT=$(pod --hooks-dir "$hooks" run --rm "${CT_BASE[@]}" --network "ns:/run/netns/$NS_SB" \
		"$IMG_ANN" rcctc_probe connect 10.1.2.3 80 "$m1" 2>&1)
	PROBE=$HOOK_OUT
	echo "$HOOK_OUT" | sed 's/^/      | /'
	expect_result "image annotated open, under the hook: 10.1.2.3:80" \
		"$(probe_result "connect 10.1.2.3 80")" "err EPERM"
	expect_not_arrived "$m1" 10.1.2.3 80
	# an annotation given at run time does choose
	new_marker
	m1=$M
	new_marker
	m2=$M
	capture_mark
	HOOK_OUT=$(pod --hooks-dir "$hooks" run --rm "${CT_BASE[@]}" --network "ns:/run/netns/$NS_SB" \
		--annotation rcc-bpf.policy=strict "$IMG_ANN" \
		rcctc_probe connect "$PUBLIC" 80 "$m1" connect "$PUBLIC" 443 "$m2" 2>&1)
	PROBE=$HOOK_OUT
	echo "$HOOK_OUT" | sed 's/^/      | /'
	expect_result "run-time annotation strict: $PUBLIC:80" "$(probe_result "connect $PUBLIC 80")" "err EPERM"
	expect_result "run-time annotation strict: $PUBLIC:443" "$(probe_result "connect $PUBLIC 443")" ok
	expect_not_arrived "$m1" "$PUBLIC" 80
	expect_arrived "$m2"
}

test_label_policies() {
	local open nosuch strict hooks=$T_DIR/hooks
	labels_conf "label_policies = strict"
	ct_run open --label rcc-bpf.policy=open -- sleep 600 || return 1
	open=$CT_NAME
	ct_run nosuch --label rcc-bpf.policy=nosuch -- sleep 600 || return 1
	nosuch=$CT_NAME
	ct_run strict --label rcc-bpf.policy=strict -- sleep 600 || return 1
	strict=$CT_NAME

	# attach: an unlisted label chooses nothing, default holds
	rcc attach "$open"
	expect_eq "attach $open: exit code" "$RCC_RC" 0
	expect "attach gives the default policy" contains "$RCC_OUT" "attached policy 'default'"
	expect "attach names label_policies" contains "$RCC_OUT" "label_policies"
	ct_refused "$open" 10.1.2.3 80
	rcc detach "$open"

	# the daemon's first reconcile: each of them enforced
	daemon_start || return 1
	for c in "$open" "$nosuch" "$strict"; do
		wait_for 10 grep -qF "($c): policy" "$DAEMON_OUT" ||
			fail_check "the daemon did not enforce $c within 10 s"
	done
	grep -F "label" "$DAEMON_OUT" | sed 's/^/      | /'
	ct_refused "$open" 10.1.2.3 80
	ct_refused "$nosuch" 10.1.2.3 80
	ct_allowed "$nosuch" "$PUBLIC" 80
	ct_refused "$strict" "$PUBLIC" 80
	ct_allowed "$strict" "$PUBLIC" 443
	daemon_stop

	# the hook refuses a container whose annotation may not choose
	hook_dir "$hooks" "$T_CONF"
	new_marker
	capture_mark
	hook_run "$hooks" hopen --annotation rcc-bpf.policy=open -- rcctc_probe connect "$PUBLIC" 80 "$M"
	expect "the hook refuses a container annotated with an unlisted policy" test "$HOOK_RC" != 0
	expect "its command never ran" not_contains "$HOOK_OUT" "connect $PUBLIC 80 ->"
	expect_not_arrived "$M" "$PUBLIC" 80
	new_marker
	capture_mark
	hook_run "$hooks" hstrict --annotation rcc-bpf.policy=strict -- rcctc_probe connect "$PUBLIC" 443 "$M"
	expect_eq "a container annotated with a listed policy starts: exit code" "$HOOK_RC" 0
	expect_arrived "$M"
}
