# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# rcc-bpf under test: the binary (RCC), config files, one-shot commands,
# the daemon, status and bpftool views of what is attached.

# rcc_resolve: RCC (default ROOT/build/rcc-bpf) as an absolute path
rcc_resolve() {
	RCC=${RCC:-$ROOT/build/rcc-bpf}
	case $RCC in
	/*) ;;
	*/*) RCC=$PWD/$RCC ;;
	*) RCC=$(command -v "$RCC" || echo "$RCC") ;;
	esac
}

# need_rcc: the rcc-bpf binary is there (tests that need it call this)
need_rcc() {
	if [ ! -x "$RCC" ]; then
		fail_check "rcc-bpf not found or not executable at '$RCC' (build it, or set RCC=)"
		return 1
	fi
}

# conf_global LINES...: the [global] section of this test's configs (its
# pin dir, run cgroup and audit log), the non-empty LINES, a blank line
conf_global() {
	local line
	echo "[global]"
	echo "pin_dir = $T_PIN"
	echo "run_cgroup = $T_RUN_CG_NAME"
	echo "audit_log = $T_AUDIT_LOG"
	for line in "$@"; do
		[ -z "$line" ] || printf '%s\n' "$line"
	done
	echo
}

# conf_write [FILE]: a config with this test's [global] section and the
# policy sections read from stdin (which starts with a section).  The
# audit log is always the test's own (T_AUDIT_LOG); T_GLOBAL holds more
# [global] lines, one a line.
conf_write() {
	local file=${1:-$T_CONF}
	{
		conf_global "control_socket = $T_DIR/ctl.sock" "${T_GLOBAL:-}"
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

# rss_kib PID: VmRSS of PID in KiB (0 when gone)
rss_kib() {
	{ awk '$1 == "VmRSS:" { print $2; f = 1 } END { if (!f) print 0 }' \
		<"/proc/$1/status"; } 2>/dev/null || echo 0
}
