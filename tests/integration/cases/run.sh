# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# rcc-bpf run: COMMAND runs enforced in a transient cgroup, and what it
# can do to the caller and to the host besides the network (privileges,
# session and terminal, leftovers, the runtime sockets).

TESTS+=(
	test_run_command
	test_run_privileges
	test_run_tty
	test_run_leftovers_killed
	test_run_unkillable_stays_enforced
	test_run_runtime_socket_warning
)

# run_result: the client's result line in RCC_OUT
run_result() {
	printf '%s\n' "$RCC_OUT" | grep -E '^(ok|err)( |$)' | tail -n 1
}

# expect_run_cgroups_gone: no transient cgroup left under run_cgroup
expect_run_cgroups_gone() {
	local left=""
	[ -d "$T_RUN_CG" ] && left=$(find "$T_RUN_CG" -mindepth 1 -type d)
	expect_eq "transient cgroups left under $T_RUN_CG_NAME" "$left" ""
}

test_run_command() {
	need_rcc || return 1
	local client_cmd=("$PY" "$TOOLS/rcct_client.py")
	rcc run -- sh -c 'exit 7'
	expect_eq "run returns the command's exit status" "$RCC_RC" 7
	expect_run_cgroups_gone

	rcc run -- cat /proc/self/cgroup
	expect "the command ran in a cgroup under $T_RUN_CG_NAME/" \
		grep -qE "^0::/$T_RUN_CG_NAME/." <<<"$RCC_OUT"
	expect_run_cgroups_gone

	new_marker
	capture_mark
	rcc run -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 10.1.2.3 80 "$M"
	expect_eq "run: refused connect exits 1" "$RCC_RC" 1
	expect_result "run: tcp-connect 10.1.2.3 80" "$(run_result)" "err EPERM"
	expect_not_arrived "$M" 10.1.2.3 80
	expect_run_cgroups_gone

	new_marker
	rcc run -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 203.0.113.10 80 "$M"
	expect_eq "run: allowed connect exits 0" "$RCC_RC" 0
	expect_arrived "$M"

	new_marker
	rcc run --policy open -- ip netns exec "$NS_SB" "${client_cmd[@]}" tcp-connect 10.1.2.3 80 "$M"
	expect_eq "run --policy open: private connect exits 0" "$RCC_RC" 0
	expect_arrived "$M"

	rcc run --user nobody -- id -u
	expect_eq "run --user nobody: exit code" "$RCC_RC" 0
	expect_eq "run --user nobody: uid" "$(printf '%s\n' "$RCC_OUT" | tail -n 1)" \
		"$(id -u nobody)"
	expect_run_cgroups_gone
}


# last_number: the last line of RCC_OUT that is only a number
last_number() {
	printf '%s\n' "$RCC_OUT" | grep -xE '[0-9]+' | tail -n 1
}

# cap_eff: CapEff from the /proc/PID/status lines in RCC_OUT (or stdin)
cap_eff() {
	awk '$1 == "CapEff:" { print $2 }'
}

test_run_privileges() {
	need_rcc || return 1
	local dir=$T_DIR/priv nobody caller_sid line pid sid
	nobody=$(id -u nobody)
	# a setuid-root binary and one with a file capability, made here
	mkdir -m 0755 "$dir" && cp /usr/bin/id "$dir/id" &&
		chown root:root "$dir/id" && chmod 4755 "$dir/id" &&
		cp "$(command -v grep)" "$dir/grep" && setcap cap_net_raw+ep "$dir/grep" || {
		fail_check "cannot make the setuid-root and file-capability copies in $dir (setcap: libcap2-bin)"
		return 1
	}
	# twins: outside run they do raise a plain user, so the checks in run mean something
	expect_eq "setuid-root id run by nobody outside run: euid" \
		"$(setpriv --reuid="$nobody" --regid="$nobody" --clear-groups "$dir/id" -u)" 0
	line=$(setpriv --reuid="$nobody" --regid="$nobody" --clear-groups "$dir/grep" CapEff /proc/self/status | cap_eff)
	expect "grep with cap_net_raw+ep run by nobody outside run has CapEff ($line)" \
		test "$line" != 0000000000000000

	rcc run --user nobody -- grep NoNewPrivs /proc/self/status
	expect_eq "NoNewPrivs of COMMAND" "$(printf '%s\n' "$RCC_OUT" | awk '$1 == "NoNewPrivs:" { print $2 }')" 1
	rcc run --user nobody -- "$dir/id" -u
	expect_eq "setuid-root id in run: euid" "$(last_number)" "$nobody"
	rcc run --user nobody -- "$dir/grep" CapEff /proc/self/status
	expect_eq "grep with cap_net_raw+ep in run: CapEff" \
		"$(printf '%s\n' "$RCC_OUT" | cap_eff)" 0000000000000000

	# rcc (the helper) runs rcc-bpf in this shell's session
	caller_sid=$(cut -d' ' -f6 "/proc/$BASHPID/stat")
	rcc run --user nobody -- sh -c 'echo "pid=$$ sid=$(cut -d" " -f6 /proc/$$/stat)"'
	line=$(printf '%s\n' "$RCC_OUT" | grep -E '^pid=[0-9]+ sid=[0-9]+$')
	pid=${line#pid=}
	pid=${pid%% *}
	sid=${line##*sid=}
	expect "COMMAND's session ($sid) is not the caller's ($caller_sid)" \
		test -n "$sid" -a "$sid" != "$caller_sid"
	expect_eq "COMMAND leads its own session" "$sid" "$pid"
	expect_run_cgroups_gone
}

# run_on_pty SCRIPT [rcct_pty.py options]: SCRIPT (bash) as a user at a
# terminal would run it; its output in PTY_OUT
run_on_pty() {
	local script=$1
	shift
	PTY_OUT=$(RCC="$RCC" CONF="$T_CONF" PY="$PY" timeout -k 2 90 \
		"$PY" "$TOOLS/rcct_pty.py" "$@" -- bash "$script" </dev/null 2>&1)
	printf '%s\n' "$PTY_OUT" | sed 's/^/      | /'
}

# pty_line PREFIX: the first output line that starts with PREFIX
pty_line() {
	printf '%s\n' "$PTY_OUT" | grep -m1 -F -- "$1"
}

test_run_tty() {
	need_rcc || return 1
	local dir=$T_DIR/tty outer inner
	mkdir -m 0755 "$dir" || return 1
	# interactive COMMAND: terminal on both ends, size, typed input, SIGWINCH
	cat >"$dir/inner.sh" <<-'EOF'
	test -t 0 && test -t 1 && echo TTY-BOTH
	echo "INNER=$(tty)"
	echo "SIZE[$(stty size)]"
	printf 'name? '
	read -r x
	echo "HELLO[$x]"
	trap 'echo "WINCH[$(stty size)]"; exit 5' WINCH
	echo WAITING
	while :; do sleep 0.1; done
	EOF
	cat >"$dir/outer.sh" <<-EOF
	s=\$(stty -g)
	echo "OUTER=\$(tty)"
	"\$RCC" -c "\$CONF" run --user nobody -- sh "$dir/inner.sh"
	echo "RC=\$?"
	[ "\$(stty -g)" = "\$s" ] && echo TERM-RESTORED
	EOF
	run_on_pty "$dir/outer.sh" --size 30x90 --on "name? " send 'world\r' \
		--on WAITING resize 40x100
	expect "COMMAND's stdin and stdout are a terminal" pty_line TTY-BOTH
	outer=$(pty_line OUTER=)
	inner=$(pty_line INNER=)
	expect "COMMAND's terminal (${inner#INNER=}) is not the caller's (${outer#OUTER=})" \
		test -n "${inner#INNER=}" -a "${inner#INNER=}" != "${outer#OUTER=}"
	expect_eq "COMMAND's window size" "$(pty_line SIZE)" "SIZE[30 90]"
	expect_eq "typed input reaches COMMAND" "$(pty_line HELLO)" "HELLO[world]"
	expect_eq "a resize reaches COMMAND as SIGWINCH with the new size" \
		"$(pty_line WINCH)" "WINCH[40 100]"
	expect_eq "run's exit status is COMMAND's" "$(pty_line RC=)" "RC=5"
	expect "the caller's terminal settings are back after run" pty_line TERM-RESTORED

	# TIOCSTI: COMMAND types into its terminal; the caller's shell must not
	# read it afterwards, while what the user types it does read
	new_marker
	cat >"$dir/inject.py" <<-'EOF'
	import fcntl, sys, termios
	try:
	    for c in (sys.argv[1] + "\n").encode():
	        fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))
	    print("tiocsti done")
	except OSError as e:
	    print("tiocsti refused:", e.strerror)
	EOF
	cat >"$dir/inject.sh" <<-EOF
	"\$RCC" -c "\$CONF" run --user nobody -- "\$PY" "$dir/inject.py" "$M"
	read -r -t 2 line; echo "GOT[\$line]"
	echo READ-NOW; read -r -t 5 line; echo "TYPED[\$line]"
	EOF
	run_on_pty "$dir/inject.sh" --on READ-NOW send 'typed-by-user\r'
	expect "COMMAND tried TIOCSTI" pty_line tiocsti
	expect_eq "the caller's shell read nothing COMMAND injected" "$(pty_line GOT)" "GOT[]"
	expect_eq "the caller's shell reads what the user types" \
		"$(pty_line TYPED)" "TYPED[typed-by-user]"
	expect_run_cgroups_gone
}

test_run_leftovers_killed() {
	need_rcc && need_tool rcct_cgkill || return 1
	local client=("$PY" "$TOOLS/rcct_client.py") left p1 p2 out
	cat >"$T_DIR/leftover.sh" <<-'EOF'
	# leaves COMMAND's session, ignores SIGHUP, acts once COMMAND is gone
	setsid nohup sh -c 'sleep 1.5; exec "$@"' leftover "$@" >/dev/null 2>&1 &
	echo "leftover=$!"
	EOF
	# twin: a background process that COMMAND waits for reaches the world
	new_marker
	capture_mark
	rcc run -- ip netns exec "$NS_SB" sh -c '"$@" & wait' sh \
		"${client[@]}" tcp-connect 203.0.113.10 80 "$M"
	expect_arrived "$M"
	expect_delivered "$M"

	new_marker
	capture_mark
	rcc run -- ip netns exec "$NS_SB" sh "$T_DIR/leftover.sh" \
		"${client[@]}" tcp-connect 203.0.113.10 80 "$M"
	expect_eq "run exits when COMMAND does" "$RCC_RC" 0
	left=$(printf '%s\n' "$RCC_OUT" | sed -n 's/^leftover=//p')
	expect "the leftover (${left:-none}) is gone when run returns" \
		pid_gone "${left:-1}"
	expect_run_cgroups_gone
	sleep 2.5
	expect_not_arrived "$M" 203.0.113.10 80

	# the fallback for kernels without cgroup.kill: freeze, SIGKILL, thaw;
	# one process forks all the time, one sits in a cgroup below
	cg_make kf/sub || return 1
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "while :; do sleep 100 & sleep 0.02; done"' \
		sh "$(cg_path kf)" &
	p1=$!
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 1000' sh "$(cg_path kf/sub)" &
	p2=$!
	remember_pid "$p1"
	remember_pid "$p2"
	wait_for 5 test "$(wc -l <"$(cg_path kf)/cgroup.procs")" -ge 5
	out=$("$TOOLS/rcct_cgkill" "$(cg_path kf)")
	expect_eq "kill by freezing" "$out" ok
	expect "nothing is left in kf and below" cg_empty "$(cg_path kf)"
	expect_eq "kf is thawed again" "$(cat "$(cg_path kf)/cgroup.freeze")" 0
	wait "$p1" "$p2" 2>/dev/null
	return 0
}

# freezer_v1: the mount of the cgroup v1 freezer, if any
freezer_v1() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break
	       if ($(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)freezer(,|$)/) { print $5; exit } }' \
		/proc/self/mountinfo
}

test_run_unkillable_stays_enforced() {
	need_rcc || return 1
	local frz xdir fcg rpid rc pid runcg progs
	# A task frozen by the v1 freezer ignores SIGKILL until thawed: a
	# leftover that cgroup.kill cannot end.
	frz=$(freezer_v1)
	if [ -z "$frz" ]; then
		fail_check "no cgroup v1 freezer mounted: cannot make a process that SIGKILL does not end"
		return 1
	fi
	xdir=$T_DIR/stuck
	fcg=$frz/rcct-$RCCT_RUN-$T_IDX
	mkdir -m 1777 "$xdir" && mkdir "$fcg" || return 1
	cat >"$xdir/cmd.sh" <<-'EOF'
	sleep 1000 &
	echo $! >"$1/pid"
	while [ ! -e "$1/go" ]; do sleep 0.05; done
	EOF
	timeout -k 2 60 "$RCC" -c "$T_CONF" run --user nobody -- sh "$xdir/cmd.sh" "$xdir" \
		>"$T_DIR/run.out" 2>&1 </dev/null &
	rpid=$!
	wait_for 10 test -s "$xdir/pid"
	pid=$(cat "$xdir/pid" 2>/dev/null)
	echo "${pid:-0}" >"$fcg/cgroup.procs" && echo FROZEN >"$fcg/freezer.state" &&
		wait_for 5 grep -qx FROZEN "$fcg/freezer.state"
	expect "the leftover ($pid) is frozen (v1)" grep -qx FROZEN "$fcg/freezer.state"
	touch "$xdir/go"
	wait "$rpid"
	rc=$?
	sed 's/^/      /' "$T_DIR/run.out"
	expect_eq "run exits with COMMAND's status" "$rc" 0
	runcg=$(find "$T_RUN_CG" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)
	[ -z "$runcg" ] || echo "$T_CONF $runcg" >>"$T_DIR/attached"
	expect "run kept its cgroup, which still holds the leftover" \
		grep -qx "${pid:-x}" "${runcg:-/nonexistent}/cgroup.procs"
	expect "run says it stays enforced" grep -q "stays enforced" "$T_DIR/run.out"
	progs=$(bpftool cgroup show "${runcg:-/nonexistent}" 2>/dev/null | grep -c rcc_)
	expect "its programs are still attached ($progs)" test "${progs:-0}" -gt 0
	if [ -n "$runcg" ]; then
		refused "$runcg" tcp-connect 10.1.2.3 80
		allowed "$runcg" tcp-connect 203.0.113.10 80
	fi
	# the leftover dies once thawed (the kill is pending)
	echo THAWED >"$fcg/freezer.state"
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	wait_for 5 test ! -e "/proc/${pid:-0}"
	rmdir "$fcg"
	return 0
}

test_run_runtime_socket_warning() {
	need_rcc || return 1
	# short: the whole list is one config line
	local sdir=$RUN_DIR/rt$T_IDX sock n
	sock=$sdir/docker.sock
	mkdir -m 0755 "$sdir" &&
		"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock" &&
		chown "root:$(id -gn nobody)" "$sock" || {
		fail_check "cannot make a socket at $sock"
		return 1
	}
	# two names of one socket, and one that is not there
	T_GLOBAL="runtime_sockets = $sdir/absent.sock $sock $sdir/../rt$T_IDX/docker.sock"
	conf_write <<-EOF
	[policy default]
	mode = enforce
	EOF
	chmod 0660 "$sock"
	rcc run --user nobody -- true
	expect_eq "run exits 0" "$RCC_RC" 0
	n=$(printf '%s\n' "$RCC_OUT" | grep -c "nobody can connect to '.*docker.sock'")
	expect_eq "warnings that nobody can connect to the runtime socket (group-writable)" "$n" 1
	chmod 0600 "$sock"
	rcc run --user nobody -- true
	expect_eq "run exits 0" "$RCC_RC" 0
	expect "no warning when nobody cannot connect to it" \
		test -z "$(printf '%s\n' "$RCC_OUT" | grep -F docker.sock)"
	rm -rf "$sdir"
}
