# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# A test's environment: the names of a run and of a test, what the host
# must offer (preflight), the tools, and each test's setup, teardown,
# leftovers and keep mode; a run's sweep.  At the end, the runner's hooks
# (tests/lib/runner.sh) for a suite in this environment.
#
# Every name a run creates carries "rcct-$RCCT_RUN": netns
# rcct-RUN-IDX-{sb,w}, cgroups <cgroup2>/rcct-RUN/IDX/..., run cgroups
# <cgroup2>/rcct-RUN-IDX.run, pin dirs /sys/fs/bpf/rcct-RUN-IDX, files under
# /tmp/rcct-RUN.

RCCT_RUN=${RCCT_RUN:-$$}
RUN_DIR=/tmp/rcct-$RCCT_RUN
RUNNER_RUN=$RCCT_RUN
RUNNER_DIR=$RUN_DIR
TOOLS=$RUN_DIR/tools
TOOLS_BUILT=$ROOT/build/tests/tools	# `make test-tools` builds them there
BPFFS=/sys/fs/bpf

bpffs_mounted() {
	awk -v d="$BPFFS" '$5 == d && $9 == "bpf" { f = 1 } END { exit !f }' \
		/proc/self/mountinfo
}

pick_python() {
	# The system python first: the escape tests run it as uid 65534,
	# which cannot reach an interpreter under /root.
	local p
	for p in "${PYTHON:-}" /usr/bin/python3 "$(command -v python3)"; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# preflight: prints what is missing and fails; mounts bpffs if absent
preflight() {
	local bad=0 tool
	if [ "$(id -u)" != 0 ]; then
		echo "not root: these tests create namespaces, cgroups and BPF programs"
		bad=1
	fi
	if ! PY=$(pick_python); then
		echo "no python3 (set PYTHON=)"
		bad=1
	fi
	for tool in ip nsenter unshare setpriv timeout bpftool awk; do
		command -v "$tool" >/dev/null || { echo "missing tool: $tool"; bad=1; }
	done
	CG2=$(cg2_mount)
	if [ -z "$CG2" ]; then
		echo "no cgroup2 mount in /proc/self/mountinfo"
		bad=1
	fi
	if ! bpffs_mounted; then
		if mount -t bpf bpf "$BPFFS" 2>/dev/null; then
			echo "note: mounted bpffs at $BPFFS" >&2
		else
			echo "no bpffs at $BPFFS and mounting one failed"
			bad=1
		fi
	fi
	return $bad
}

# tools_install: the Python tools and the C tools that `make test-tools`
# built, copied into TOOLS (under /tmp: the escape tests run them as uid
# 65534).  A C tool that was not built is named here, and the tests that
# need it fail (need_tool).
tools_install() {
	local src bin
	mkdir -p -m 0755 "$RUN_DIR" "$TOOLS" && chmod 0755 "$RUN_DIR" "$TOOLS" &&
		cp "$ROOT"/tests/tools/rcct_*.py "$TOOLS/" ||
		{ echo "cannot prepare $RUN_DIR"; return 1; }
	for src in "$ROOT"/tests/tools/rcct_*.c; do
		bin=$TOOLS_BUILT/$(basename "$src" .c)
		if [ -x "$bin" ]; then
			cp "$bin" "$TOOLS/" || return 1
		else
			echo "note: no $bin (make test-tools builds it): the tests that need it fail" >&2
		fi
	done
}

# need_tool NAME: the C tool NAME is there
need_tool() {
	[ -x "$TOOLS/$1" ] && return 0
	fail_check "tool $1 was not built: no $TOOLS_BUILT/$1 (run make test-tools)"
	return 1
}

# t_init: the names test T_IDX (T_NAME, files in T_DIR) uses
t_init() {
	NS_SB=rcct-$RCCT_RUN-$T_IDX-sb
	NS_W=rcct-$RCCT_RUN-$T_IDX-w
	T_CG=$CG2/rcct-$RCCT_RUN/$T_IDX
	T_RUN_CG_NAME=rcct-$RCCT_RUN-$T_IDX.run
	T_RUN_CG=$CG2/$T_RUN_CG_NAME
	T_PIN=$BPFFS/rcct-$RCCT_RUN-$T_IDX
	T_CONF=$T_DIR/rcc.conf
	T_AUDIT_LOG=$T_DIR/audit/audit.jsonl
	T_GLOBAL=""
	RCC_NETNS=""
	DNS_PID=""
	: >"$T_DIR/pids"
	: >"$T_DIR/attached"
	{
		echo "NS_SB=$NS_SB"
		echo "NS_W=$NS_W"
		echo "T_CG=$T_CG"
		echo "T_RUN_CG=$T_RUN_CG"
		echo "T_PIN=$T_PIN"
	} >"$T_DIR/names"
}

# t_setup: fresh topology, the sandbox cgroup "sb", a default config
t_setup() {
	echo "# $T_NAME: netns $NS_SB/$NS_W, cgroup $T_CG, pin dir $T_PIN"
	topo_up || { fail_check "topology setup failed"; return 1; }
	cg_make sb || { fail_check "cannot make cgroup $(cg_path sb)"; return 1; }
	conf_write <<-EOF
	[policy default]
	mode = enforce

	[policy open]
	mode = enforce
	block_private = no
	EOF
}

# detach_attached FILE: detach every "CONF CGROUP" of FILE (what a test
# attached) from the cgroups still there
detach_attached() {
	local conf cg
	[ -s "$1" ] && [ -x "$RCC" ] || return 0
	sort -u "$1" | while read -r conf cg; do
		[ -d "$cg" ] && timeout 30 "$RCC" -c "$conf" detach --cgroup "$cg" \
			>/dev/null 2>&1 </dev/null
	done
}

# t_teardown: undo everything, in the order that frees it
t_teardown() {
	cg_kill_all "$T_CG"
	cg_kill_all "$T_RUN_CG"
	detach_attached "$T_DIR/attached"
	rm -rf "$T_PIN" "$T_PIN-scratch"
	topo_down
	cg_remove_tree "$T_CG"
	cg_remove_tree "$T_RUN_CG"
	rmdir "$CG2/rcct-$RCCT_RUN" 2>/dev/null
	return 0
}

# t_leftovers: anything of this test still there
t_leftovers() {
	local pid
	[ -z "$(netns_of_test)" ] || echo "netns $(netns_of_test | tr '\n' ' ')"
	[ -e "$T_CG" ] && echo "cgroup $T_CG"
	[ -e "$T_RUN_CG" ] && echo "cgroup $T_RUN_CG"
	[ -e "$T_PIN" ] && echo "pin dir $T_PIN"
	[ -e "$T_PIN-scratch" ] && echo "pin dir $T_PIN-scratch"
	for pid in $(sort -u "$T_DIR/pids"); do
		pid_gone "$pid" || echo "process $pid"
	done
	return 0
}

# t_keep_notice: how to enter what the test kept (into T_DIR/kept too,
# which the runner shows)
t_keep_notice() {
	tee -a "$T_DIR/kept" <<-EOF
	  kept (RCC_KEEP=1): $T_NAME
	    sandbox shell : sh -c 'echo \$\$ > $(cg_path sb)/cgroup.procs && exec ip netns exec $NS_SB bash'
	    world shell   : ip netns exec $NS_W bash
	    config        : $T_CONF   (rcc-bpf -c $T_CONF status)
	    world logs    : $CAPTURE_LOG $SINK_LOG
	    clean up      : $RUNNER_SELF --cleanup $RCCT_RUN
	EOF
}

# t_finish: EXIT trap of the test's subshell: teardown, verdict
t_finish() {
	local left
	trap - EXIT
	if [ "${RCC_KEEP:-0}" = 1 ]; then
		t_keep_notice
	else
		t_teardown >/dev/null 2>&1
		left=$(t_leftovers)
		[ -z "$left" ] || fail_check "left behind after teardown: $(echo "$left" | tr '\n' ' ')"
	fi
	checks_verdict
	exit $?
}

# sweep_run RUN: remove whatever a run left (interrupted, or kept)
sweep_run() {
	local run=$1 dir pid ns
	for dir in /tmp/rcct-"$run"/*/; do
		[ -e "$dir/pids" ] || continue
		while read -r pid; do
			# only our own tools, in case the pid was reused
			grep -qsE "rcct_|/tmp/rcct-$run/" "/proc/$pid/cmdline" &&
				kill "$pid" 2>/dev/null
		done <"$dir/pids"
		detach_attached "$dir/attached"
	done
	for ns in $(ip netns list | awk -v p="rcct-$run-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns"
	done
	for dir in "$CG2"/rcct-"$run" "$CG2"/rcct-"$run"-*.run; do
		[ -d "$dir" ] && cg_remove_tree "$dir"
	done
	rm -rf "$BPFFS"/rcct-"$run"-*
	rm -rf "/tmp/rcct-$run"
}

# run_setup: once before the first test: the interpreter, the cgroup2
# mount, the tools
run_setup() {
	PY=$(pick_python)
	CG2=$(cg2_mount)
	tools_install || return 1
	[ -x "$RCC" ] || echo "note: no rcc-bpf at $RCC; the tests that need it will fail"
	return 0
}

# The runner's hooks (a suite with more to do redefines some)
suite_preflight() { preflight; }
suite_setup() { run_setup; }
suite_test_init() { t_init; }
suite_test_setup() { t_setup; }
suite_test_finish() { t_finish; }
suite_sweep() {
	CG2=${CG2:-$(cg2_mount)}
	sweep_run "$1"
}
