# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Helpers for tests/integration/run.sh, one concern each:
#   results   - check/fail bookkeeping and the per-test verdict
#   env       - preflight: root, tools, cgroup2, bpffs
#   topology  - netns SB (sandbox) and W (world), one veth pair
#   world     - sink and capture in W, sync, arrival checks
#   cgroups   - the test's own cgroups
#   sandbox   - run a client inside a cgroup and netns SB
#   cases     - refused / allowed / dropped: one client call + arrival check
#   rcc       - config files, rcc-bpf invocations, status and bpftool views
#   audit     - the audit daemon, its log files, rcct_audit queries
#   lifecycle - per-test setup/teardown, leftovers, keep mode, sweeping
#
# Every name this run creates carries "rcct-$RCCT_RUN": netns
# rcct-RUN-IDX-{sb,w}, cgroups <cgroup2>/rcct-RUN/IDX/..., run cgroups
# <cgroup2>/rcct-RUN-IDX.run, pin dirs /sys/fs/bpf/rcct-RUN-IDX, files under
# /tmp/rcct-RUN.  Packets only ever travel SB -> W over the test's veth.

RCCT_RUN=${RCCT_RUN:-$$}
RUN_DIR=/tmp/rcct-$RCCT_RUN
TOOLS=$RUN_DIR/tools
TOOLS_BUILT=$ROOT/build/tests/tools	# `make test-tools` builds them there
RCCT_CMD_TIMEOUT=${RCCT_CMD_TIMEOUT:-20}  # one sandboxed command, seconds
RCCT_TEST_TIMEOUT=${RCCT_TEST_TIMEOUT:-300}
WORLD_PORTS=9,80,443,5000,8080,8081
SB_ADDR4=198.51.100.2 W_ADDR4=198.51.100.1
SB_ADDR6=2001:db8:0:1::2 W_ADDR6=2001:db8:0:1::1
W_LO_ADDRS="203.0.113.10/32 10.1.2.3/32 172.16.5.5/32 192.168.1.1/32
169.254.169.254/32 100.64.0.1/32 2001:db8:1::10/128 fd12:3456:789a::10/128"
BPFFS=/sys/fs/bpf

# ---------------------------------------------------------------- results

# Checks print "  ok: ..." or "  FAIL: ..." into the test's log; a test
# passes when it made at least one check and none failed.
T_CHECKS=0
T_FAILS=0

pass_check() {
	T_CHECKS=$((T_CHECKS + 1))
	echo "  ok: $*"
}

fail_check() {
	T_CHECKS=$((T_CHECKS + 1))
	T_FAILS=$((T_FAILS + 1))
	echo "  FAIL: $*"
}

# expect WHAT COMMAND...: the command must succeed
expect() {
	local what=$1
	shift
	if "$@"; then pass_check "$what"; else fail_check "$what"; fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass_check "$1 ($2)"
	else
		fail_check "$1: got '$2', want '$3'"
	fi
}

# expect_result WHAT RESULT WANT: WANT is "ok", "err" (any error),
# "err ENAME", or "any" (logged only)
expect_result() {
	local what=$1 got=$2 want=$3
	case $want in
	any) echo "  note: $what -> $got"; return 0 ;;
	ok) [ "${got%% *}" = ok ] ;;
	err) [ "${got%% *}" = err ] ;;
	*) [ "$got" = "$want" ] || [ "${got#"$want" }" != "$got" ] ;;
	esac
	if [ $? -eq 0 ]; then
		pass_check "$what -> $got"
	else
		fail_check "$what: got '$got', want '$want'"
	fi
}

# ---------------------------------------------------------------- env

cg2_mount() {
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

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

# need_rcc: the rcc-bpf binary is there (tests that need it call this)
need_rcc() {
	if [ ! -x "$RCC" ]; then
		fail_check "rcc-bpf not found or not executable at '$RCC' (build it, or set RCC=)"
		return 1
	fi
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt "$deadline" ] || { "$@"; return; }
		sleep 0.05
	done
}

# ---------------------------------------------------------------- topology

# nsenter, not `ip netns exec`: that one forks here, and the world's
# processes must be the very PIDs we remember and end
in_w() { nsenter --net="/run/netns/$NS_W" -- "$@"; }
in_sb_ns() { nsenter --net="/run/netns/$NS_SB" -- "$@"; }

topo_up() {
	local a
	ip netns add "$NS_SB" || return 1
	ip netns add "$NS_W" || return 1
	for ns in "$NS_SB" "$NS_W"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip netns exec "$NS_SB" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
		return 1
	ip link add sb0 netns "$NS_SB" type veth peer name w0 netns "$NS_W" ||
		return 1
	ip -n "$NS_SB" addr add "$SB_ADDR4/24" dev sb0 &&
		ip -n "$NS_SB" addr add "$SB_ADDR6/64" dev sb0 nodad &&
		ip -n "$NS_SB" link set sb0 up &&
		ip -n "$NS_SB" route add default via "$W_ADDR4" &&
		ip -n "$NS_SB" -6 route add default via "$W_ADDR6" || return 1
	ip -n "$NS_W" addr add "$W_ADDR4/24" dev w0 &&
		ip -n "$NS_W" addr add "$W_ADDR6/64" dev w0 nodad &&
		ip -n "$NS_W" link set w0 up || return 1
	for a in $W_LO_ADDRS; do
		ip -n "$NS_W" addr add "$a" dev lo || return 1
	done
	world_start
}

# ns_extra NAME: one more netns of this test, rcct-RUN-IDX-NAME (lo up,
# no DAD), printed; topo_down removes it with SB and W
ns_extra() {
	local ns=rcct-$RCCT_RUN-$T_IDX-$1
	ip netns add "$ns" &&
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 &&
		ip -n "$ns" link set lo up || return 1
	echo "$ns"
}

# test_netns: every netns of this test (SB, W and ns_extra's)
test_netns() {
	ip netns list | awk -v p="rcct-$RCCT_RUN-$T_IDX-" 'index($1, p) == 1 { print $1 }'
}

topo_down() {
	local ns
	world_stop
	for ns in $(test_netns); do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- world

# remember_pid PID: a process this test started (killed by PID at teardown)
remember_pid() {
	echo "$1" >>"$T_DIR/pids"
}

world_start() {
	local lifetime=$RCCT_TEST_TIMEOUT
	[ "${RCC_KEEP:-0}" = 1 ] && lifetime=3600
	CAPTURE_LOG=$T_DIR/capture.log
	SINK_LOG=$T_DIR/sink.log
	: >"$CAPTURE_LOG"
	: >"$SINK_LOG"
	in_w "$PY" "$TOOLS/rcct_world.py" capture --log "$CAPTURE_LOG" \
		--ifname w0 --ready "$T_DIR/capture.ready" \
		--lifetime "$lifetime" </dev/null &
	remember_pid $!
	in_w "$PY" "$TOOLS/rcct_world.py" sink --log "$SINK_LOG" \
		--ports "$WORLD_PORTS" --ready "$T_DIR/sink.ready" \
		--lifetime "$lifetime" </dev/null &
	remember_pid $!
	wait_for 10 test -e "$T_DIR/capture.ready" ||
		{ echo "capture did not start"; return 1; }
	wait_for 10 test -e "$T_DIR/sink.ready" ||
		{ echo "sink did not start"; return 1; }
	# the tools write their own pid there
	cat "$T_DIR/capture.ready" "$T_DIR/sink.ready" >>"$T_DIR/pids"
	# the capture sees the link only once it is up on both sides
	world_sync || { echo "W does not receive from SB"; return 1; }
}

world_stop() {
	local pid
	[ -e "$T_DIR/pids" ] || return 0
	for pid in $(sort -u "$T_DIR/pids"); do
		kill "$pid" 2>/dev/null
	done
	for pid in $(sort -u "$T_DIR/pids"); do
		wait_for 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null # reap it if it is our child
	done
	return 0
}

# pid_gone PID: not running (an unreaped zombie counts as gone)
pid_gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# world_sync: every packet SB sent before now has been captured in W.
# A sentinel datagram from SB (the harness, not in any test cgroup) goes
# down the same veth after them; once it is in the capture, so are they.
RCCT_SYNC=0
world_sync() {
	RCCT_SYNC=$((RCCT_SYNC + 1))
	local tag="rcct-sync-$RCCT_RUN-$T_IDX-$RCCT_SYNC"
	in_sb_ns timeout 5 "$PY" "$TOOLS/rcct_client.py" udp-sendto \
		"$W_ADDR4" 9 "$tag" >/dev/null
	wait_for 5 grep -qF -- "$tag" "$CAPTURE_LOG"
}

captured() { grep -qF -- "$1" "$CAPTURE_LOG"; }
delivered() { grep -qF -- "$1" "$SINK_LOG"; }

# capture_mark: from now on, captured_to looks only at newer packets
CAPTURE_FROM=0
capture_mark() {
	CAPTURE_FROM=$(wc -l <"$CAPTURE_LOG")
}

# captured_to DST [PORT]: packets to DST[:PORT] since capture_mark,
# sync sentinels left out
captured_to() {
	awk -v d="$1" -v p="${2:-}" -v from="$CAPTURE_FROM" \
		'NR > from && $5 == d && (p == "" || $6 == p) && !/rcct-sync-/' \
		"$CAPTURE_LOG"
}

# expect_arrived MARKER: a packet carrying MARKER reached W's veth
expect_arrived() {
	if wait_for 3 captured "$1"; then
		pass_check "arrived in W: $1"
	else
		fail_check "expected in W's capture, not there: $1"
	fi
}

# expect_delivered MARKER: W's sink received it on a socket
expect_delivered() {
	if wait_for 3 delivered "$1"; then
		pass_check "delivered to W's sink: $1"
	else
		fail_check "expected in W's sink log, not there: $1"
	fi
}

# expect_not_arrived MARKER [DST [PORT]]: nothing with MARKER, and no
# packet at all to DST[:PORT] since capture_mark, reached W
expect_not_arrived() {
	local m=$1 dst=${2:-} port=${3:-} seen
	world_sync || fail_check "world sync failed (capture not running?)"
	if grep -q '^drops ' "$CAPTURE_LOG"; then
		fail_check "the capture lost packets; cannot tell that $m did not arrive"
		return
	fi
	if captured "$m" || delivered "$m"; then
		fail_check "arrived in W but should not have: $m"
		grep -hF -- "$m" "$CAPTURE_LOG" "$SINK_LOG" | sed 's/^/      /'
		return
	fi
	if [ -n "$dst" ]; then
		seen=$(captured_to "$dst" "$port")
		if [ -n "$seen" ]; then
			fail_check "packets to $dst${port:+ port $port} arrived in W"
			echo "$seen" | sed 's/^/      /'
			return
		fi
	fi
	pass_check "nothing arrived in W: $m${dst:+ (to $dst${port:+:$port})}"
}

# ---------------------------------------------------------------- cgroups

# cg_path NAME: the test's cgroup NAME ("" is the test's own root); an
# absolute path stays as it is (a cgroup the test did not make itself)
cg_path() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$T_CG${1:+/$1}" ;;
	esac
}

cg_make() {
	mkdir -p "$(cg_path "$1")"
}

# cg_kill_all DIR: kill every process in DIR and below (all started by
# this test), then wait until they are gone
cg_kill_all() {
	local dir=$1
	[ -d "$dir" ] || return 0
	if [ -e "$dir/cgroup.kill" ]; then
		echo 1 >"$dir/cgroup.kill" 2>/dev/null
	else
		find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null |
			while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
	fi
	wait_for 5 cg_empty "$dir"
}

cg_empty() {
	[ -z "$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]
}

# cg_has_procs NAME: some process is in the test's cgroup NAME
cg_has_procs() {
	[ -n "$(cat "$(cg_path "$1")/cgroup.procs" 2>/dev/null)" ]
}

cg_remove_tree() {
	[ -d "$1" ] || return 0
	cg_kill_all "$1"
	find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
	[ ! -d "$1" ]
}

# ---------------------------------------------------------------- sandbox

# in_sandbox CG COMMAND...: COMMAND inside cgroup CG and netns SB.  The
# process joins the cgroup first, then enters the netns, so everything
# it starts is enforced.  Bounded by RCCT_CMD_TIMEOUT.
in_sandbox() {
	local cg
	cg=$(cg_path "$1")
	shift
	timeout -k 2 "$RCCT_CMD_TIMEOUT" sh -c \
		'cg=$1 ns=$2; shift 2
		 echo $$ >"$cg/cgroup.procs" && exec ip netns exec "$ns" "$@"' \
		rcct-sandbox "$cg" "$NS_SB" "$@" </dev/null
}

# client CG ARGS...: rcct_client.py in the sandbox; result line in RES
client() {
	local cg=$1
	shift
	RES=$(in_sandbox "$cg" "$PY" "$TOOLS/rcct_client.py" "$@")
	RES=${RES:-"(no result line, exit $?)"}
	echo "  client[${cg:-/}] $* -> $RES"
}

# ---------------------------------------------------------------- cases

RCCT_MARK=0
# new_marker: a payload unique to this run, test and call, in M
new_marker() {
	RCCT_MARK=$((RCCT_MARK + 1))
	M="rcct-$RCCT_RUN-$T_IDX-m$RCCT_MARK"
}

# send_case WANT_RESULT ARRIVAL CG SUBCMD [--v4mapped] [--comm NAME] ADDR [PORT]
#   WANT_RESULT as for expect_result; ARRIVAL yes|no.  --comm (or
#   --comm-hex HEX) names the client process; its pid is then in CASE_PID.
#   Sends a fresh marker; "no" also asserts that no packet at all went to
#   ADDR[:PORT] (the IPv4 address on the wire for a v4-mapped ADDR).
send_case() {
	local want=$1 arrival=$2 cg=$3 sub=$4
	shift 4
	local opts=() addr port="" wire
	CASE_PID=""
	while :; do
		case ${1:-} in
		--v4mapped) opts+=("$1"); shift ;;
		--comm | --comm-hex) opts+=("$1" "$2" --show-pid); shift 2 ;;
		*) break ;;
		esac
	done
	addr=$1
	case $sub in
	ping | raw-icmp) ;;
	*) port=$2 ;;
	esac
	new_marker
	capture_mark
	client "$cg" "$sub" "${opts[@]}" "$addr" ${port:+"$port"} "$M"
	# shellcheck disable=SC2034 # for the tests
	case $RES in *" pid="[0-9]*) CASE_PID=${RES##* pid=} ;; esac
	expect_result "$sub $addr${port:+ $port}${opts:+ ${opts[*]}}" "$RES" "$want"
	wire=${addr#::ffff:}
	if [ "$arrival" = yes ]; then
		expect_arrived "$M"
		case $sub in
		tcp-* | udp-*) expect_delivered "$M" ;;
		esac
	else
		expect_not_arrived "$M" "$wire" "$port"
	fi
}

# The three shapes a case takes:
#   refused: the kernel refuses the call with EPERM, nothing arrives
#   allowed: the call succeeds and the packet arrives (and is delivered)
#   dropped: whatever the call says, nothing arrives (egress backstop)
refused() { send_case "err EPERM" no "$@"; }
allowed() { send_case ok yes "$@"; }
dropped() { send_case any no "$@"; }

# ---------------------------------------------------------------- rcc

# conf_write [FILE]: a config with this test's [global] section and the
# policy sections read from stdin (which starts with a section).  The
# audit log is always the test's own (T_AUDIT_LOG); T_GLOBAL holds more
# [global] lines, one a line.
conf_write() {
	local file=${1:-$T_CONF}
	{
		echo "[global]"
		echo "pin_dir = $T_PIN"
		echo "run_cgroup = $T_RUN_CG_NAME"
		echo "audit_log = $T_AUDIT_LOG"
		echo "control_socket = $T_DIR/ctl.sock"
		[ -z "${T_GLOBAL:-}" ] || printf '%s\n' "$T_GLOBAL"
		echo
		# a daemon enforces running containers unless labelled: keep
		# the test's daemon off containers that are not the test's
		echo "[containers]"
		echo "enforce = labelled"
		echo
		cat
	} >"$file"
}

# conf_line FILE TEXT: line number of the first line containing TEXT
conf_line() {
	grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# rcc [-c FILE] ARGS...: run rcc-bpf, output in RCC_OUT, exit code RCC_RC
rcc() {
	local conf=$T_CONF
	if [ "${1:-}" = -c ]; then
		conf=$2
		shift 2
	fi
	# RCC_NETNS=NAME: in that netns (to reach the test's DNS server)
	RCC_OUT=$(timeout -k 2 60 ${RCC_NETNS:+nsenter --net=/run/netns/$RCC_NETNS --} \
		"$RCC" -c "$conf" "$@" 2>&1 </dev/null)
	RCC_RC=$?
	echo "  \$ rcc-bpf -c $conf $(printf '%q ' "$@")-> exit $RCC_RC"
	[ -z "$RCC_OUT" ] || printf '%s\n' "$RCC_OUT" | sed 's/^/      /'
	return $RCC_RC
}

# rcc_attach CG [POLICY]: attach must succeed; remembered for teardown
rcc_attach() {
	local cg
	cg=$(cg_path "$1")
	echo "$T_CONF $cg" >>"$T_DIR/attached"
	rcc attach --cgroup "$cg" ${2:+--policy "$2"}
	expect_eq "attach ${1:-/}${2:+ --policy $2} exit code" "$RCC_RC" 0
	[ "$RCC_RC" = 0 ]
}

rcc_detach() {
	rcc detach --cgroup "$(cg_path "$1")"
	expect_eq "detach ${1:-/} exit code" "$RCC_RC" 0
}

# rcc_status_field CG FIELD: FIELD of CG's entry in `status --json`
# ("missing" when there is none).  The entry is found by cgroup id or
# by path, absolute or relative to the cgroup2 mount.
rcc_status_field() {
	local cg
	cg=$(cg_path "$1")
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, os, sys
cg, root, cgid, field = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rel = "/" + os.path.relpath(cg, root)
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit()
for c in doc.get("cgroups", []):
    p = (c.get("path") or "").rstrip("/")
    if c.get("id") == cgid or p in (cg, rel):
        print(c.get(field, "missing")); break
else:
    print("missing")' "$cg" "$CG2" "$(stat -c %i "$cg")" "$2"
}

# attach_counts CG: "ATTACH_TYPE COUNT" per attach type on CG itself
attach_counts() {
	bpftool -j cgroup show "$(cg_path "$1")" 2>/dev/null | "$PY" -c '
import collections, json, sys
text = sys.stdin.read().strip()
progs = json.loads(text) if text else []
for t, n in sorted(collections.Counter(p["attach_type"] for p in progs).items()):
    print(t, n)'
}

# attached_prog_ids CG: ids of the programs attached to CG, comma list
attached_prog_ids() {
	bpftool -j cgroup show "$(cg_path "$1")" 2>/dev/null |
		"$PY" -c 'import json,sys; t=sys.stdin.read().strip(); print(",".join(str(p["id"]) for p in (json.loads(t) if t else [])))'
}

# cgroup_link_ids CG: ids of bpf links whose target is CG, comma list
cgroup_link_ids() {
	bpftool -j link show 2>/dev/null | "$PY" -c '
import json, sys
t = sys.stdin.read().strip()
cgid = int(sys.argv[1])
print(",".join(str(l["id"]) for l in (json.loads(t) if t else [])
               if l.get("cgroup_id") == cgid))' "$(stat -c %i "$(cg_path "$1")")"
}

RCC_ATTACH_TYPES="cgroup_inet4_connect cgroup_inet6_connect cgroup_udp4_sendmsg
cgroup_udp6_sendmsg cgroup_inet_egress cgroup_inet_sock_create"

# expect_attached_once CG: each rcc attach type exactly once, nothing twice
expect_attached_once() {
	local counts t n
	counts=$(attach_counts "$1")
	echo "$counts" | sed 's/^/      /'
	for t in $RCC_ATTACH_TYPES; do
		n=$(echo "$counts" | awk -v t="$t" '$1 == t { print $2 }')
		expect_eq "programs of type $t on ${1:-/}" "${n:-0}" 1
	done
	n=$(echo "$counts" | awk '$2 > 1' | wc -l)
	expect_eq "attach types with more than one program on ${1:-/}" "$n" 0
}

# ---------------------------------------------------------------- audit

# tools_install: the C tools that `make test-tools` built, copied into
# $TOOLS; one that was not built is named here, and the tests that need
# it fail (need_tool)
tools_install() {
	local src bin
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

# audit_q ARGS...: rcct_audit.py
audit_q() {
	"$PY" "$TOOLS/rcct_audit.py" "$@"
}

# audit_files: the test's log files that exist, oldest first
audit_files() {
	local log=$T_AUDIT_LOG f
	for f in "$log".[0-9]*; do
		[ -e "$f" ] && echo "${f##*.} $f"
	done | sort -rn | cut -d' ' -f2-
	[ -e "$log" ] && echo "$log"
	return 0
}

# audit_qlog ARGS...: rcct_audit.py on the test's log files
audit_qlog() {
	# shellcheck disable=SC2046 # one path a word, no spaces in them
	audit_q "$@" $(audit_files)
}

# audit_count SEL: records matching SEL in the test's log files
audit_count() {
	local out
	out=$(audit_qlog count "$1")
	echo "${out#ok }"
}

audit_has() { [ "$(audit_count "$1")" -ge "${2:-1}" ] 2>/dev/null; }

# wait_record SEL [N]: at least N (1) records match SEL within 5 s
wait_record() {
	if wait_for 5 audit_has "$1" "${2:-1}"; then
		return 0
	fi
	fail_check "no${2:+ $2} audit record(s) with $1 within 5 s (log: $(audit_files | tr '\n' ' '))"
	return 1
}

# expect_record WHAT SEL [KEY=VALUE | --absent KEY | --has KEY | --comm-of HEX]...:
# exactly one record matches SEL, with these fields
expect_record() {
	local what=$1 sel=$2 args=() out
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--absent | --has | --comm-of) args+=("$1" "$2"); shift 2 ;;
		*) args+=(--eq "$1"); shift ;;
		esac
	done
	wait_record "$sel" || return 1
	out=$(audit_qlog one "$sel" "${args[@]}")
	printf '%s\n' "$out" | grep -v '^ok' | grep -v '^err' | head -n 1
	expect_result "$what" "$(printf '%s\n' "$out" | tail -n 1)" ok
}

# expect_log_whole: every line of every file is a whole JSON object
expect_log_whole() {
	local out
	out=$(audit_qlog lines)
	expect_result "every line of the audit log is whole JSON" "$out" ok
}

# daemon_start: `rcc-bpf daemon` in the background (host netns, the
# harness's cgroup; DAEMON_CPU pins it); DAEMON_PID, output in DAEMON_OUT.  Remembered, so
# teardown ends it if the test does not.
RCCT_DAEMONS=0
daemon_start() {
	local conf=$T_CONF pin=()
	# DAEMON_CPU=N: pinned to CPU N (taskset execs: the pid is the daemon's)
	[ -n "${DAEMON_CPU:-}" ] && pin=(taskset -c "$DAEMON_CPU")
	RCCT_DAEMONS=$((RCCT_DAEMONS + 1))
	DAEMON_OUT=$T_DIR/daemon.$RCCT_DAEMONS.out
	: >"$DAEMON_OUT"
	# RCC_NETNS=NAME: in that netns (to reach the test's DNS server)
	[ -n "${RCC_NETNS:-}" ] && pin+=(nsenter "--net=/run/netns/$RCC_NETNS" --)
	"${pin[@]}" "$RCC" -c "$conf" daemon </dev/null >"$DAEMON_OUT" 2>&1 &
	DAEMON_PID=$!
	remember_pid "$DAEMON_PID"
	echo "  \$ rcc-bpf -c $conf daemon &  (pid $DAEMON_PID)"
	if wait_for 10 grep -q "daemon running" "$DAEMON_OUT"; then
		return 0
	fi
	fail_check "the daemon did not start within 10 s"
	sed 's/^/      /' "$DAEMON_OUT"
	return 1
}

# daemon_stop: SIGTERM, then its exit code in DAEMON_RC ("hung" if it
# had to be killed after 20 s)
daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	if wait_for 20 pid_gone "$DAEMON_PID"; then
		wait "$DAEMON_PID"
		DAEMON_RC=$?
	else
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_RC=hung
	fi
	echo "  daemon $DAEMON_PID stopped: exit $DAEMON_RC"
	sed 's/^/      | /' "$DAEMON_OUT"
}

# daemon_wait SECONDS: the daemon, already told to stop, exits by itself
# within SECONDS; exit code in DAEMON_RC ("running" if it did not)
daemon_wait() {
	if wait_for "$1" pid_gone "$DAEMON_PID"; then
		wait "$DAEMON_PID"
		DAEMON_RC=$?
	else
		DAEMON_RC=running
	fi
	echo "  daemon $DAEMON_PID: exit $DAEMON_RC"
}

# audit_totals: status --json .audit into AUD_DENIALS AUD_WRITTEN
# AUD_FOLDED AUD_LOST ("?" each when status failed)
audit_totals() {
	local out
	out=$(timeout 30 "$RCC" -c "$T_CONF" status --json 2>/dev/null </dev/null)
	read -r AUD_DENIALS AUD_WRITTEN AUD_FOLDED AUD_LOST < <(printf '%s' "$out" |
		"$PY" -c '
import json, sys
try:
    a = json.load(sys.stdin)["audit"]
    print(a["denials"], a["written"], a["folded"], a["lost"])
except (ValueError, KeyError, TypeError):
    print("? ? ? ?")')
	echo "  audit totals: denials=$AUD_DENIALS written=$AUD_WRITTEN folded=$AUD_FOLDED lost=$AUD_LOST"
}

audit_reconciled() {
	audit_totals >/dev/null
	[ "$AUD_DENIALS" != "?" ] &&
		[ $((AUD_WRITTEN + AUD_FOLDED + AUD_LOST)) = "$AUD_DENIALS" ]
}

# expect_reconciled: written + folded + lost == denials (status --json)
expect_reconciled() {
	wait_for 10 audit_reconciled
	audit_totals
	if [ "$AUD_DENIALS" = "?" ]; then
		fail_check "status --json has no audit object"
		return 1
	fi
	expect_eq "audit: written + folded + lost = denials" \
		"$((AUD_WRITTEN + AUD_FOLDED + AUD_LOST))" "$AUD_DENIALS"
}

# rss_kib PID: VmRSS of PID in KiB (0 when gone)
rss_kib() {
	{ awk '$1 == "VmRSS:" { print $2; f = 1 } END { if (!f) print 0 }' \
		<"/proc/$1/status"; } 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- DNS

# dns_start TTL: dnsmasq in W, answering on W_ADDR4:53 from DNS_HOSTS
# (an /etc/hosts file) with TTL; nx.rcc.test is NXDOMAIN.  DNS_PID.
dns_start() {
	DNS_HOSTS=$T_DIR/dns.hosts
	DNS_LOG=$T_DIR/dnsmasq.log
	[ -e "$DNS_HOSTS" ] || : >"$DNS_HOSTS"
	: >"$DNS_LOG"
	# nsenter itself, not in_w: $! must be dnsmasq (nsenter execs it)
	nsenter --net="/run/netns/$NS_W" -- dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$W_ADDR4" \
		--port=53 --addn-hosts="$DNS_HOSTS" --local-ttl="$1" \
		--pid-file= --user=root --log-queries --log-facility="$DNS_LOG" \
		--address=/nx.rcc.test/ </dev/null &
	DNS_PID=$!
	remember_pid "$DNS_PID"
	echo "  dnsmasq in W (pid $DNS_PID), TTL $1, hosts $DNS_HOSTS"
	wait_for 5 grep -q "read $DNS_HOSTS" "$DNS_LOG" ||
		{ fail_check "dnsmasq did not start"; cat "$DNS_LOG"; return 1; }
	expect_eq "dnsmasq's pid is the one we will end" \
		"$(cat /proc/$DNS_PID/comm 2>/dev/null)" dnsmasq
}

# dns_set LINE...: the hosts file becomes these "ADDR NAME" lines; a
# running dnsmasq reads it again (SIGHUP), and we wait until it answers
# the first line's name with the first line's address
dns_set() {
	DNS_HOSTS=$T_DIR/dns.hosts
	printf '%s\n' "$@" >"$DNS_HOSTS"
	echo "  dns now: $*"
	[ -n "${DNS_PID:-}" ] || return 0
	kill -HUP "$DNS_PID"
	set -- $1
	wait_for 5 dns_answers "$2" "$1" ||
		fail_check "dnsmasq does not answer $2 with $1 after SIGHUP"
}

# dns_answers NAME ADDR: the test's dnsmasq has ADDR among NAME's A records
# (asked from SB's netns, outside the sandbox cgroup)
dns_answers() {
	in_sb_ns "$PY" - "$W_ADDR4" "$1" "$2" <<-'PYEOF'
	import random, socket, struct, sys
	server, name, want = sys.argv[1:4]
	qid = random.randrange(65536)
	q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
	q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
	q += struct.pack(">HH", 1, 1)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(1)
	s.sendto(q, (server, 53))
	r = s.recv(4096)
	an = struct.unpack(">H", r[6:8])[0]
	i = len(q)
	got = []
	for _ in range(an):
	    while r[i] and r[i] < 0xc0:
	        i += r[i] + 1
	    i += 2 if r[i] >= 0xc0 else 1
	    rtype, _, _, rdlen = struct.unpack(">HHIH", r[i:i + 10])
	    i += 10
	    if rtype == 1:
	        got.append(socket.inet_ntoa(r[i:i + rdlen]))
	    i += rdlen
	sys.exit(0 if want in got else 1)
	PYEOF
}

# dns_queries NAME: how many A queries for NAME dnsmasq answered
dns_queries() {
	grep -c "query\[A\] $1 " "$DNS_LOG"
}

# dns_world: the test's DNS server, the daemon and the one-shots in SB
# (outside the sandbox cgroup), and TTLs down to 1 s
dns_world() {
	RCC_NETNS=$NS_SB
	T_GLOBAL="resolver = $W_ADDR4
dns_min_ttl = 1${1:+
$1}"
}

# name_query NAME EXPR MISSING: the Python EXPR of n, NAME's entry in
# `status --json` (the daemon's table); MISSING when there is none
name_query() {
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit()
for n in doc.get("names") or []:
    if n["name"] == sys.argv[1]:
        print(eval(sys.argv[2]))
        break
else:
    print(sys.argv[3])' "$1" "$2" "$3"
}

# name_state NAME: its state and addresses ("stale 203.0.113.10")
name_state() {
	name_query "$1" '"%s %s" % (n["state"], " ".join(a["addr"] for a in n["addresses"]))' missing
}

# name_field NAME FIELD: FIELD of NAME
name_field() {
	name_query "$1" "n.get(\"$2\", \"missing\")" "no such name"
}

# name_state_is NAME WANT: name_state NAME is WANT (for wait_for)
name_state_is() {
	[ "$(name_state "$1")" = "$2" ]
}

# name_expiry_ms NAME: wall-clock ms when NAME's first address expires, as
# the daemon's status says (its expiry in ms from now, plus our clock)
name_expiry_ms() {
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys, time
now = int(time.time() * 1000)
for n in json.load(sys.stdin).get("names") or []:
    if n["name"] == sys.argv[1] and n["addresses"]:
        print(now + n["addresses"][0]["expires_in_ms"])
        break
else:
    print(0)' "$1"
}

# ---------------------------------------------------------------- lifecycle

# t_init IDX NAME: the names this test uses
t_init() {
	T_IDX=$1
	T_NAME=$2
	T_DIR=$RUN_DIR/$T_IDX-$T_NAME
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
	mkdir -p -m 0755 "$T_DIR"
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

# t_teardown: undo everything, in the order that frees it
t_teardown() {
	local conf cg
	cg_kill_all "$T_CG"
	cg_kill_all "$T_RUN_CG"
	if [ -s "$T_DIR/attached" ] && [ -x "$RCC" ]; then
		sort -u "$T_DIR/attached" | while read -r conf cg; do
			[ -d "$cg" ] && timeout 30 "$RCC" -c "$conf" detach --cgroup "$cg" \
				>/dev/null 2>&1 </dev/null
		done
	fi
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
	[ -z "$(test_netns)" ] || echo "netns $(test_netns | tr '\n' ' ')"
	[ -e "$T_CG" ] && echo "cgroup $T_CG"
	[ -e "$T_RUN_CG" ] && echo "cgroup $T_RUN_CG"
	[ -e "$T_PIN" ] && echo "pin dir $T_PIN"
	[ -e "$T_PIN-scratch" ] && echo "pin dir $T_PIN-scratch"
	for pid in $(sort -u "$T_DIR/pids"); do
		pid_gone "$pid" || echo "process $pid"
	done
	return 0
}

t_keep_notice() {
	cat <<-EOF
	  kept (RCC_KEEP=1): $T_NAME
	    sandbox shell : sh -c 'echo \$\$ > $(cg_path sb)/cgroup.procs && exec ip netns exec $NS_SB bash'
	    world shell   : ip netns exec $NS_W bash
	    config        : $T_CONF   (rcc-bpf -c $T_CONF status)
	    world logs    : $CAPTURE_LOG $SINK_LOG
	    clean up      : $RCCT_SELF --cleanup $RCCT_RUN
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
	if [ "${T_RC:-1}" != 0 ] && [ "$T_FAILS" = 0 ]; then
		fail_check "test body returned ${T_RC:-nothing (interrupted)}"
	fi
	[ "$T_CHECKS" -gt 0 ] || fail_check "test made no checks"
	echo "# $T_NAME: $T_CHECKS checks, $T_FAILS failed"
	[ "$T_FAILS" = 0 ]
	exit $?
}

# sweep_run RUN: remove whatever a run left (interrupted, or kept)
sweep_run() {
	local run=$1 dir pid conf cg ns
	for dir in /tmp/rcct-"$run"/*/; do
		[ -e "$dir/pids" ] || continue
		while read -r pid; do
			# only our own tools, in case the pid was reused
			grep -qsE "rcct_|/tmp/rcct-$run/" "/proc/$pid/cmdline" &&
				kill "$pid" 2>/dev/null
		done <"$dir/pids"
		if [ -x "$RCC" ] && [ -s "$dir/attached" ]; then
			sort -u "$dir/attached" | while read -r conf cg; do
				[ -d "$cg" ] && timeout 30 "$RCC" -c "$conf" detach \
					--cgroup "$cg" >/dev/null 2>&1 </dev/null
			done
		fi
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

# ---------------------------------------------------------------- running

# run_watched NAME FINISH: test NAME in a subshell of its own (log in
# $T_DIR/log), FINISH as its exit trap, stopped by a watchdog after
# RCCT_TEST_TIMEOUT; returns the test's exit code
run_watched() {
	local name=$1 finish=$2 rc wd
	(
		trap "$finish" EXIT
		trap 'exit 143' TERM
		T_RC=1
		t_setup && "$name"
		T_RC=$?
	) >"$T_DIR/log" 2>&1 &
	RCCT_CUR=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$RCCT_TEST_TIMEOUT" &
		s=$!
		wait $s && echo "  watchdog: $name ran past ${RCCT_TEST_TIMEOUT}s" >>"$T_DIR/log" &&
			kill -TERM "$RCCT_CUR" 2>/dev/null
	) &
	wd=$!
	wait "$RCCT_CUR"
	rc=$?
	kill -TERM "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	RCCT_CUR=""
	return $rc
}

# report_one NAME RC: PASS/FAIL, the test's timings, and its log on
# failure (or always with RCCT_VERBOSE=1); returns RC
report_one() {
	local name=$1 rc=$2
	if [ "$rc" = 0 ]; then
		echo "PASS $name"
	else
		echo "FAIL $name"
	fi
	[ -s "$T_DIR/timings" ] && sed 's/^/    timing: /' "$T_DIR/timings"
	if [ "$rc" != 0 ] || [ "${RCCT_VERBOSE:-0}" = 1 ]; then
		sed 's/^/    /' "$T_DIR/log"
	elif [ "${RCC_KEEP:-0}" = 1 ]; then
		sed -n '/^  kept/,/clean up/p' "$T_DIR/log"
	fi
	return "$rc"
}
