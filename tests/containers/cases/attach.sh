# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# rcc-bpf attach and detach a running container by id, unique prefix or
# name; ambiguous, unknown, stopped and never started ones are refused.

TESTS+=(
	test_attach_container
	test_attach_errors
)

test_attach_container() {
	local id name cg prefix form
	conf_containers
	ct_run a -- sleep 600 || return 1
	id=$CT_ID name=$CT_NAME
	cg=$(ct_cgroup "$name")
	expect_eq "the container's cgroup" "$cg" "$CG2/libpod_parent/libpod-$id"
	# positive control: nothing enforces yet, the private address answers
	ct_allowed "$name" 10.1.2.3 80
	prefix=$(unique_prefix "$id")
	for form in "$id" "$prefix" "$name"; do
		echo "# attach by '$form'"
		rcc attach "$form"
		expect_eq "attach $form: exit code" "$RCC_RC" 0
		expect "attach $form names the container and its cgroup" \
			contains "$RCC_OUT" "attached policy 'default' (enforce) to container ${id:0:12} ($name): $cg"
		st_load
		expect_eq "status: container of $cg" "$(st_field path "$cg" container)" "$id"
		expect_eq "status: container_name of $cg" "$(st_field path "$cg" container_name)" "$name"
		expect_eq "status: policy of $cg" "$(st_field path "$cg" policy)" default
		ct_refused "$name" 10.1.2.3 80
		ct_refused "$name" 169.254.169.254 80
		ct_allowed "$name" "$PUBLIC" 80
		rcc detach "$name"
		expect_eq "detach $name: exit code" "$RCC_RC" 0
		ct_allowed "$name" 10.1.2.3 80
	done
	st_load
	expect_eq "status after the last detach: entry of $cg" "$(st_field path "$cg" container)" missing
}

test_attach_errors() {
	local i id ids=() prev a="" b="" c name
	conf_containers
	# created, never started, until two ids share a first character
	# (16 hex digits: the 17th makes a pair at the latest)
	for i in $(seq 1 17); do
		name=$(ct_name "amb$i")
		ct_remember "$name"
		id=$(pod create --name "$name" "${CT_BASE[@]}" --network none \
			--rootfs "$ROOTFS" true 2>>"$T_DIR/podman.err") ||
			{ fail_check "podman create $name failed: $(cat "$T_DIR/podman.err")"; return 1; }
		for prev in "${ids[@]}"; do
			if [ "${prev:0:1}" = "${id:0:1}" ]; then
				a=$prev b=$id
				break 2
			fi
		done
		ids+=("$id")
	done
	echo "  ${#ids[@]} containers made; ${a:0:12} and ${b:0:12} share '${a:0:1}'"
	c=${a:0:1}
	rcc attach "$c"
	expect_eq "attach '$c' (ambiguous): exit code" "$RCC_RC" 1
	expect "the message says it is ambiguous" contains "$RCC_OUT" "'$c' is ambiguous"
	expect "the message lists ${a:0:12}" contains "$RCC_OUT" "${a:0:12}"
	expect "the message lists ${b:0:12}" contains "$RCC_OUT" "${b:0:12}"

	name=$(ct_name nosuch)
	rcc attach "$name"
	expect_eq "attach an unknown name: exit code" "$RCC_RC" 1
	expect "the message names it" contains "$RCC_OUT" "no container '$name'"
	rcc detach "$name"
	expect_eq "detach an unknown name: exit code" "$RCC_RC" 1

	# stopped: ran and exited; and one created but never started
	name=$(ct_name stopped)
	ct_remember "$name"
	pod run --name "$name" "${CT_BASE[@]}" --network none --rootfs "$ROOTFS" true \
		>/dev/null 2>>"$T_DIR/podman.err"
	rcc attach "$name"
	expect_eq "attach a stopped container: exit code" "$RCC_RC" 1
	expect "the message says it is not running" contains "$RCC_OUT" "($name) is not running"
	rcc attach "$a"
	expect_eq "attach a created, never started container: exit code" "$RCC_RC" 1
	expect "the message says it is not running" contains "$RCC_OUT" "is not running"
	st_load
	expect_eq "nothing got enforced" "$(st_count True)" 0

	# positive control: a running one among them, by a unique prefix
	ct_run run -- sleep 600 || return 1
	rcc attach "$(unique_prefix "$CT_ID")"
	expect_eq "attach a running container by unique prefix: exit code" "$RCC_RC" 0
	ct_refused "$CT_NAME" 10.1.2.3 80
	ct_allowed "$CT_NAME" "$PUBLIC" 80
}
