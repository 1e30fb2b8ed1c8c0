# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The daemon enforces new containers by itself (default policy, label),
# drops what podman rm removes, and keeps enforcing across SIGHUP and
# SIGTERM.

TESTS+=(
	test_daemon_new_container
	test_daemon_sighup
)

test_daemon_new_container() {
	local id name cg cgid t0 t1 line ms m n i
	conf_containers
	daemon_start || return 1
	t0=$(now_ms)
	ct_run d -- sleep 600 || return 1
	t1=$(now_ms)
	id=$CT_ID name=$CT_NAME
	# podman's cgroupfs layout here (test_attach_container checks it):
	# no podman inspect between the start and the look at the pins
	cg=$CG2/libpod_parent/libpod-$id
	cgid=$(stat -c %i "$cg")
	wait_for 10 test -e "$T_PIN/v3/links/$cgid/connect4"
	timing "daemon: links pinned $(($(now_ms) - t1)) ms after podman run -d returned (which took $((t1 - t0)) ms)"
	wait_enforced_by_daemon "$id" || return 1
	line=$(daemon_log_line "$id")
	expect "the log names policy and cgroup" contains "$line" "(podman): policy 'default' on $cg,"
	ms=$(sed -n 's/.*, \([0-9]*\) ms after its cgroup appeared.*/\1/p' <<<"$line")
	timing "daemon: enforced ${ms:-?} ms after its cgroup appeared (daemon log)"
	ct_refused "$name" 10.1.2.3 80
	ct_allowed "$name" "$PUBLIC" 80
	st_load
	expect_eq "status: policy of the container" "$(st_field container "$id" policy)" default
	expect_eq "status: its name" "$(st_field container "$id" container_name)" "$name"

	# the label, seen by the daemon
	ct_run s --label rcc-bpf.policy=strict -- sleep 600 || return 1
	wait_enforced_by_daemon "$CT_ID" &&
		expect "the label chose strict" contains "$(daemon_log_line "$CT_ID")" "policy 'strict'"
	ct_refused "$CT_NAME" "$PUBLIC" 80
	ct_allowed "$CT_NAME" "$PUBLIC" 443

	# the window before the daemon acts: a container whose first
	# instructions are connects to a private address (the OCI hook
	# closes it)
	new_marker
	m=$M
	capture_mark
	hook_run - race -- sh -c \
		"i=0; while [ \$i -lt 40 ]; do rcctc_probe connect 10.1.2.3 80 $m-\$i; i=\$((i + 1)); done" >/dev/null
	world_sync
	n=$(grep -c -- "$m-" "$SINK_LOG")
	i=$(printf '%s\n' "$HOOK_OUT" | grep -c 'err EPERM')
	timing "daemon: $n of 40 connects a new container made to 10.1.2.3 from its first instruction arrived before the daemon enforced ($i refused)"

	# podman rm: pins and entry go
	ct_rm "$name"
	if wait_for 10 test ! -e "$T_PIN/v3/links/$cgid"; then
		pass_check "pins $T_PIN/v3/links/$cgid gone after podman rm"
	else
		fail_check "pins $T_PIN/v3/links/$cgid still there 10 s after podman rm"
	fi
	st_load
	expect_eq "status: no entry for the removed container" "$(st_field container "$id" policy)" missing
	expect_eq "status: no entry for its cgroup id" "$(st_field id "$cgid" policy)" missing
	expect "the daemon still runs" daemon_alive
}

test_daemon_sighup() {
	local name n
	conf_containers
	daemon_start || return 1
	ct_run h -- sleep 600 || return 1
	name=$CT_NAME
	wait_enforced_by_daemon "$CT_ID" || return 1
	ct_refused "$name" 10.1.2.3 80
	ct_allowed "$name" "$PUBLIC" 80

	# a bad configuration: the old one stays, the daemon too
	c_conf_write <<-EOF
	[containers]
	default_policy = default
	enforce = all

	[policy default]
	allow = 10.1.2.3:80/tcp
	allow = this is not an address
	EOF
	kill -HUP "$DAEMON_PID"
	if wait_for 10 grep -q "the configuration has errors" "$DAEMON_OUT"; then
		pass_check "the daemon reports the bad configuration"
	else
		fail_check "the daemon said nothing of the bad configuration within 10 s"
	fi
	expect "the daemon still runs after a bad SIGHUP" daemon_alive
	ct_refused "$name" 10.1.2.3 80
	ct_allowed "$name" "$PUBLIC" 80

	# a good one changes the policy in place
	n=$(grep -c "reloaded" "$DAEMON_OUT")
	conf_containers "allow = 10.1.2.3:80/tcp"
	kill -HUP "$DAEMON_PID"
	if wait_for 10 reloads_more_than "$n"; then
		pass_check "the daemon reloaded the good configuration"
	else
		fail_check "no 'reloaded' in the daemon's output within 10 s"
	fi
	ct_allowed "$name" 10.1.2.3 80
	ct_refused "$name" 172.16.5.5 80

	# SIGTERM: the daemon goes, enforcement stays
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	ct_refused "$name" 172.16.5.5 80
	ct_allowed "$name" 10.1.2.3 80
}
