# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Containers below an enforced cgroup keep its policy (issue 10, item 1):
# the daemon, its reconcile and attach never put default_policy below an
# enforced parent, and a cgroup that root did not make is never taken as
# a container.  Docker's layouts come as fixtures (no Docker engine runs
# here): a directory of the runtime's name under the parent.

TESTS+=(
	test_parent_policy_inherited
	test_delegated_cgroup_not_container
)

# inherit_conf [GLOBAL-LINES]: the daemon's config: strict (an allowlist
# of $PUBLIC:443/tcp) on the parent sandboxes.slice, default elsewhere
inherit_conf() {
	C_GLOBAL="control_socket = $T_DIR/ctl.sock${1:+
$1}" c_conf_write <<-EOF
	[containers]
	default_policy = default
	enforce = all
	attach = ${T_CG#"$CG2"/}/sandboxes.slice strict

	[policy default]
	mode = enforce

	[policy strict]
	mode = enforce
	allow_public = no
	allow = $PUBLIC:443/tcp
	EOF
}

# wait_daemon_line TEXT: the daemon logged TEXT within 10 s
wait_daemon_line() {
	if wait_for 10 grep -qF -- "$1" "$DAEMON_OUT"; then
		pass_check "the daemon logged: $(grep -F -- "$1" "$DAEMON_OUT" | head -n 1)"
		return 0
	fi
	fail_check "the daemon did not log '$1' within 10 s"
	sed 's/^/      | /' "$DAEMON_OUT"
	return 1
}

test_parent_policy_inherited() {
	local sys cgfs id1 id2 n
	inherit_conf
	daemon_start || return 1
	wait_daemon_line "parent cgroup $(cg_path sandboxes.slice): policy 'strict'" || return 1
	# Docker, systemd driver (--cgroup-parent=sandboxes.slice) and
	# cgroupfs driver (--cgroup-parent=/sandboxes.slice)
	id1=$(rand_id) id2=$(rand_id)
	sys=sandboxes.slice/docker-$id1.scope cgfs=sandboxes.slice/$id2
	cg_make "$sys" && cg_make "$cgfs" || { fail_check "cannot make the container cgroups"; return 1; }
	wait_daemon_line "new container ${id1:0:12} " || return 1
	wait_daemon_line "new container ${id2:0:12} " || return 1
	expect "the daemon says the parent's policy holds" \
		contains "$(grep -F "new container ${id1:0:12} " "$DAEMON_OUT")" "policy 'strict' of $(cg_path sandboxes.slice)"
	for n in "$sys" "$cgfs"; do
		refused "$n" tcp-connect "$PUBLIC" 80
		refused "$n" tcp-connect 10.1.2.3 80
		allowed "$n" tcp-connect "$PUBLIC" 443
		expect_eq "status: no entry of its own for $n" "$(rcc_status_field "$n" policy)" missing
	done

	# attach by id, no --policy: the parent's policy holds there too
	rcc attach "${id1:0:16}"
	expect_eq "attach ${id1:0:12} below the parent: exit code" "$RCC_RC" 0
	expect "attach says the parent's policy holds" contains "$RCC_OUT" "enforced by policy 'strict'"
	expect_eq "status: still no entry of its own" "$(rcc_status_field "$sys" policy)" missing
	refused "$sys" tcp-connect "$PUBLIC" 80

	# what an older daemon left (default_policy of its own below the
	# parent) goes at the next reconcile (SIGHUP reloads, then reconciles)
	rcc attach --cgroup "$(cg_path "$cgfs")" --policy default
	allowed "$cgfs" tcp-connect "$PUBLIC" 80
	n=$(grep -c "reloaded" "$DAEMON_OUT")
	kill -HUP "$DAEMON_PID"
	wait_for 10 reloads_more_than "$n"
	wait_daemon_line "dropped its own default_policy 'default'" || return 1
	expect_eq "status: the left-over entry is gone" "$(rcc_status_field "$cgfs" policy)" missing
	refused "$cgfs" tcp-connect "$PUBLIC" 80
	allowed "$cgfs" tcp-connect "$PUBLIC" 443
	expect_eq "status: $sys has no entry of its own after the reconcile" \
		"$(rcc_status_field "$sys" policy)" missing
	refused "$sys" tcp-connect "$PUBLIC" 80
	expect "the daemon still runs" daemon_alive
}

# as_nobody COMMAND...: COMMAND as uid/gid 65534
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

test_delegated_cgroup_not_container() {
	local i id rid d real mine sb
	# max_cgroups 16 (the least): what a sandbox could fill
	inherit_conf "max_cgroups = 16"
	# a sandbox under strict whose cgroup is delegated to it (it may
	# mkdir there), and a delegated cgroup nobody enforces
	cg_make box && cg_make deleg || { fail_check "cannot make the cgroups"; return 1; }
	for d in box deleg; do
		chown 65534:65534 "$(cg_path "$d")" "$(cg_path "$d")/cgroup.procs" \
			"$(cg_path "$d")/cgroup.subtree_control" || { fail_check "cannot delegate $d"; return 1; }
	done
	rcc_attach box strict || return 1
	daemon_start || return 1
	# the sandbox names a cgroup of its own like a container, and many
	# more in the cgroup delegated to it
	id=$(rand_id)
	sb=box/libpod-$id
	as_nobody mkdir "$(cg_path "$sb")" || { fail_check "nobody cannot mkdir in its delegated cgroup"; return 1; }
	for i in $(seq 1 20); do
		as_nobody mkdir "$(cg_path "deleg/docker-$(rand_id).scope")"
	done
	expect_eq "owner of $sb" "$(stat -c %u "$(cg_path "$sb")")" 65534
	# a real container, made by root, after all those
	rid=$(rand_id)
	real=fix/docker-$rid.scope
	cg_make "$real"
	wait_daemon_line "new container ${rid:0:12} " || return 1
	sleep 1
	mine=$(grep -c "new container" "$DAEMON_OUT")
	expect_eq "containers the daemon took (only the one root made)" "$mine" 1
	expect_eq "status: entry of the sandbox's own cgroup" "$(rcc_status_field "$sb" policy)" missing
	expect_eq "status: entry of the real container" "$(rcc_status_field "$real" policy)" default
	refused "$sb" tcp-connect "$PUBLIC" 80
	allowed "$sb" tcp-connect "$PUBLIC" 443
	refused "$real" tcp-connect 10.1.2.3 80
	allowed "$real" tcp-connect "$PUBLIC" 80
}
