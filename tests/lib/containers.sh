# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Podman containers of a test (crun, a busybox root filesystem, no
# image): named rcct-RUN-IDX-WHAT, in netns SB (--network
# ns:/run/netns/SB), removed at the test's end.  Their probe (rcctc_probe,
# static) runs inside them; the checks look at what arrived in W.  Also
# the host checks podman needs, the root filesystem, and the views of
# `status --json` the container tests read.  Sourced after testenv.sh:
# the runner's hooks at the end replace some of testenv's.

ROOTFS=$RUN_DIR/rootfs
PROBE_BUILT=$TOOLS_BUILT/rcctc_probe	# `make test-tools` builds it, static
PUBLIC=203.0.113.10
CT_GLOBAL=()

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# pod ARGS...: podman, bounded
pod() { timeout -k 5 "${POD_TIMEOUT:-90}" podman "$@"; }

# ct_name TAG: this test's container called TAG
ct_name() { echo "rcct-$RCCT_RUN-$T_IDX-$1"; }

# ct_remember NAME: removed at teardown
ct_remember() { echo "$1" >>"$T_DIR/containers"; }

# ct_run TAG [PODMAN-RUN-OPTION...] -- COMMAND...: a detached container
# in netns SB (podman's global options in CT_GLOBAL) from the root
# filesystem, or from the image CT_IMAGE when set; CT_ID (full id) and
# CT_NAME.  Every option goes before --rootfs: podman 4.3 takes what
# follows DIR as the command.
ct_run() {
	local tag=$1 opts=() from=(--rootfs "$ROOTFS")
	[ -z "${CT_IMAGE:-}" ] || from=("$CT_IMAGE")
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	CT_NAME=$(ct_name "$tag")
	ct_remember "$CT_NAME"
	CT_ID=$(pod "${CT_GLOBAL[@]}" run -d --name "$CT_NAME" "${CT_BASE[@]}" \
		--network "ns:/run/netns/$NS_SB" "${opts[@]}" "${from[@]}" "$@" \
		2>"$T_DIR/podman.err")
	local rc=$?
	echo "  \$ podman ${CT_GLOBAL[*]:+${CT_GLOBAL[*]} }run -d --name $CT_NAME ${opts[*]} ${CT_IMAGE:-...} $* -> exit $rc, id $CT_ID"
	if [ $rc != 0 ] || [ ${#CT_ID} != 64 ]; then
		fail_check "cannot start container $CT_NAME"
		sed 's/^/      /' "$T_DIR/podman.err"
		return 1
	fi
}

# ct_cgroup NAME: the cgroup v2 of the container's init process
ct_cgroup() {
	local pid rel
	pid=$(pod inspect -f '{{.State.Pid}}' "$1") || return 1
	rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup") || return 1
	echo "$CG2$rel"
}

# ct_rm NAME...: gone now, without the 10 s SIGTERM grace
ct_rm() { pod rm -f -i -t 0 "$@" >/dev/null 2>&1; }

# ct_probe NAME STEP...: rcctc_probe inside the container; lines in PROBE
ct_probe() {
	local name=$1
	shift
	PROBE=$(timeout -k 2 60 podman exec "$name" rcctc_probe "$@" 2>&1)
	echo "  \$ podman exec ${name#rcct-"$RCCT_RUN"-} rcctc_probe $*"
	printf '%s\n' "$PROBE" | sed 's/^/      | /'
}

# probe_result TEXT: the result of the probe's line "TEXT -> RESULT"
probe_result() {
	printf '%s\n' "$PROBE" | awk -v w="$1 -> " \
		'index($0, w) == 1 { print substr($0, length(w) + 1); f = 1; exit }
		 END { if (!f) print "(no such line)" }'
}

# ct_send WANT ARRIVAL NAME ADDR PORT: a TCP connect from inside the
# container carrying a fresh marker; WANT as for expect_result, ARRIVAL
# yes (captured and delivered in W) or no (nothing at all to ADDR:PORT)
ct_send() {
	local want=$1 arrival=$2 name=$3 addr=$4 port=$5
	new_marker
	capture_mark
	ct_probe "$name" connect "$addr" "$port" "$M"
	expect_result "${name#rcct-"$RCCT_RUN"-} connects to $addr:$port" \
		"$(probe_result "connect $addr $port")" "$want"
	[ "$want" != ok ] || [ "$(probe_result "connect $addr $port")" = ok ] ||
		foreign_note "$name"
	if [ "$arrival" = yes ]; then
		expect_arrived "$M"
		expect_delivered "$M"
	else
		expect_not_arrived "$M" "$addr" "$port"
	fi
}
ct_refused() { ct_send "err EPERM" no "$@"; }
ct_allowed() { ct_send ok yes "$@"; }

# foreign_note NAME: explain an unexpected refusal when another rcc-bpf
# (another pin dir: a daemon with enforce = all, say) enforces there too
foreign_note() {
	local cg n ours
	cg=$(ct_cgroup "$1") || return 0
	n=$(bpftool -j cgroup show "$cg" 2>/dev/null | "$PY" -c '
import json, sys
t = sys.stdin.read().strip()
print(sum(1 for p in (json.loads(t) if t else []) if p.get("name", "").startswith("rcc_")))')
	ours=$(find "$T_PIN/v3/links/$(stat -c %i "$cg")" -mindepth 1 2>/dev/null | wc -l)
	[ "${n:-0}" -le "$ours" ] && return 0
	echo "  note: $n rcc_ programs are attached to $cg, $ours through this test's pins: another rcc-bpf enforces this container too (running daemons: $(pgrep -ax rcc-bpf | tr '\n' ';'))"
}

# st_load: `status --json` (stdout only) into ST_JSON
st_load() {
	ST_JSON=$(timeout -k 2 60 "$RCC" -c "$T_CONF" status --json 2>"$T_DIR/status.err" </dev/null)
	ST_RC=$?
	[ $ST_RC = 0 ] || echo "  status --json exit $ST_RC: $(cat "$T_DIR/status.err")"
}

# st_field KEY VALUE FIELD: FIELD of the first cgroups[] entry whose KEY
# is VALUE ("missing" when none, "null" for a JSON null)
st_field() {
	printf '%s' "$ST_JSON" | "$PY" -c '
import json, sys
key, val, field = sys.argv[1:4]
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit()
for c in doc.get("cgroups", []):
    if str(c.get(key)) == val:
        v = c.get(field, "missing")
        print("null" if v is None else v)
        break
else:
    print("missing")' "$1" "$2" "$3"
}

# st_count EXPR: cgroups[] entries for which the python EXPR on c holds
st_count() {
	printf '%s' "$ST_JSON" | "$PY" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit()
print(sum(1 for c in doc.get("cgroups", []) if eval(sys.argv[1])))' "$1"
}

# c_conf_write [FILE]: a config (default T_CONF) with this test's
# [global] section (pin dir, audit log, run cgroup, the lines in
# C_GLOBAL), then stdin
c_conf_write() {
	{
		echo "[global]"
		echo "pin_dir = $T_PIN"
		echo "run_cgroup = $T_RUN_CG_NAME"
		echo "audit_log = $T_AUDIT_LOG"
		[ -z "${C_GLOBAL:-}" ] || printf '%s\n' "$C_GLOBAL"
		echo
		cat
	} >"${1:-$T_CONF}"
}

# conf_containers [DEFAULT_POLICY_EXTRA]: the usual test config:
# [containers] enforce = all, default_policy = default; policies default
# (private refused, public allowed, plus the lines given) and strict (an
# allowlist: only 203.0.113.10:443/tcp)
conf_containers() {
	c_conf_write <<-EOF
	[containers]
	default_policy = default
	enforce = all

	[policy default]
	mode = enforce
	${1:-}

	[policy strict]
	mode = enforce
	allow_public = no
	allow = $PUBLIC:443/tcp
	EOF
}

# hook_dir DIR CONF [FILE]: DIR holds the shipped hook JSON FILE (of
# conf/oci-hooks, default rcc-bpf-always.json) pointing at the binary
# under test with -c CONF
hook_dir() {
	mkdir -p "$1"
	"$PY" - "$ROOT/conf/oci-hooks/${3:-rcc-bpf-always.json}" "$RCC" "$2" \
		>"$1/rcc-bpf.json" <<-'EOF'
	import json, sys
	src, rcc, conf = sys.argv[1:4]
	h = json.load(open(src))
	h["hook"]["path"] = rcc
	h["hook"]["args"] = ["rcc-bpf", "-c", conf, "oci-hook"]
	print(json.dumps(h, indent=2))
	EOF
}

# hook_run HOOKDIR TAG [PODMAN-RUN-OPTION...] -- COMMAND...: a --rm
# container in the foreground under the hooks in HOOKDIR ("-": podman's
# own hook dirs); exit code in HOOK_RC, output in HOOK_OUT
hook_run() {
	local dir=$1 name global=()
	name=$(ct_name "$2")
	shift 2
	[ "$dir" = - ] || global=(--hooks-dir "$dir")
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	ct_remember "$name"
	HOOK_OUT=$(pod "${global[@]}" run --rm --name "$name" "${CT_BASE[@]}" \
		--network "ns:/run/netns/$NS_SB" "${opts[@]}" --rootfs "$ROOTFS" "$@" 2>&1)
	HOOK_RC=$?
	echo "  \$ podman ${global[*]} run --rm --name $name ${opts[*]} ... $* -> exit $HOOK_RC"
	printf '%s\n' "$HOOK_OUT" | sed 's/^/      | /'
}

# daemon_log_line ID: the daemon's "new container" line for ID
daemon_log_line() {
	grep -F "new container ${1:0:12} " "$DAEMON_OUT" | head -n 1
}

# wait_enforced_by_daemon ID: the daemon logged it within 10 s
wait_enforced_by_daemon() {
	if wait_for 10 grep -qF "new container ${1:0:12} " "$DAEMON_OUT"; then
		pass_check "the daemon enforced ${1:0:12}: $(daemon_log_line "$1" | sed 's/^rcc-bpf: //')"
		return 0
	fi
	fail_check "the daemon did not log container ${1:0:12} within 10 s"
	sed 's/^/      | /' "$DAEMON_OUT"
	return 1
}

daemon_alive() { ! pid_gone "$DAEMON_PID"; }

# reloads_more_than N: the daemon has logged more than N reloads
reloads_more_than() { [ "$(grep -c "reloaded" "$DAEMON_OUT")" -gt "$1" ]; }

# unique_prefix ID: the shortest prefix (4 characters at least) that no
# other container podman knows shares
unique_prefix() {
	local ids n=4
	ids=$(pod ps -a --no-trunc --format '{{.ID}}')
	while [ $n -lt 64 ] && [ "$(grep -c "^${1:0:$n}" <<<"$ids")" -gt 1 ]; do
		n=$((n + 1))
	done
	echo "${1:0:$n}"
}

rand_id() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# dying: removed cgroups under libpod_parent the kernel still holds
# (a pinned link keeps its cgroup so)
dying() {
	awk '$1 == "nr_dying_descendants" { print $2 }' "$CG2/libpod_parent/cgroup.stat" 2>/dev/null
}

# dying_at_most N
dying_at_most() { [ "$(dying)" -le "$1" ]; }

# Whether the bpf() guard runs here: its link is pinned and the kernel's
# active LSMs include bpf (this machine's kernel refuses BPF LSM programs).
guard_runs() {
	[ -e "$T_PIN/v3/links/bpf-guard" ] &&
		grep -qw bpf /sys/kernel/security/lsm 2>/dev/null
}

# ct_sweep RUN: every container of run RUN
ct_sweep() {
	local names
	names=$(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^rcct-$1-")
	# shellcheck disable=SC2086 # names: one a word
	[ -z "$names" ] || timeout 120 podman rm -f -i -t 0 $names >/dev/null 2>&1
	return 0
}

# c_preflight: what this suite needs beyond the common preflight
c_preflight() {
	local bad=0 tool ctl
	for tool in podman crun; do
		command -v "$tool" >/dev/null || { echo "missing tool: $tool"; bad=1; }
	done
	[ -x "$PROBE_BUILT" ] ||
		{ echo "no static probe at $PROBE_BUILT: run make test-tools (it builds it)"; bad=1; }
	if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
		[ ! -x /bin/busybox ]; then
		echo "busybox-static is not installed (the containers' root filesystem): apt-get install busybox-static"
		bad=1
	elif ldd /bin/busybox >/dev/null 2>&1; then
		echo "/bin/busybox is not static (busybox-static is installed, but something else owns /bin/busybox)"
		bad=1
	fi
	[ -x "$RCC" ] || { echo "no rcc-bpf at $RCC (run make, or set RCC=)"; bad=1; }
	[ $bad = 0 ] || return 1
	# crun refuses to run on a hybrid host while the cgroup v2 tree offers
	# a controller ("cgroups in hybrid mode not supported"); here that is
	# hugetlb, and moving it to a v1 mount is the fix (see NOTES.md).  It
	# is a host setting that other users of podman need too: left mounted.
	if [ "$CG2" != /sys/fs/cgroup ] && grep -qw hugetlb "$CG2/cgroup.controllers" &&
		! awk '$5 == "/sys/fs/cgroup/hugetlb" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		mkdir -p /sys/fs/cgroup/hugetlb &&
			mount -t cgroup -o hugetlb none /sys/fs/cgroup/hugetlb &&
			echo "note: moved the hugetlb controller to a v1 mount for crun" >&2
	fi
	ctl=$(cat "$CG2/cgroup.controllers" 2>/dev/null)
	if [ "$CG2" != /sys/fs/cgroup ] && [ -n "$ctl" ]; then
		echo "hybrid cgroups and the v2 tree offers controllers ($ctl): crun refuses to run"
		return 1
	fi
	return 0
}

# rootfs_build: busybox-static and its applets, and the static probe
rootfs_build() {
	local a
	mkdir -p "$ROOTFS"/{bin,proc,sys,dev,etc,tmp,run} || return 1
	cp /bin/busybox "$ROOTFS/bin/busybox" || return 1
	for a in sh nc wget sleep cat echo true; do
		ln -sf busybox "$ROOTFS/bin/$a" || return 1
	done
	cp "$PROBE_BUILT" "$ROOTFS/bin/rcctc_probe" || return 1
}

# ulimits the runtime may set: at or below this shell's hard limits
ct_base() {
	local n=1024 h
	for h in "$(ulimit -Hn)" "$(ulimit -Hu)"; do
		[ "$h" = unlimited ] || [ "$h" -ge "$n" ] || n=$h
	done
	CT_BASE=(--ulimit "nofile=$n:$n" --ulimit "nproc=$n:$n")
}

# smoke: one container runs at all
c_smoke() {
	local out
	out=$(pod run --rm --name "rcct-$RCCT_RUN-smoke" "${CT_BASE[@]}" --network none \
		--rootfs "$ROOTFS" echo rcct-smoke 2>&1)
	[ "$out" = rcct-smoke ] && return 0
	echo "podman cannot run a container from $ROOTFS:"
	printf '%s\n' "$out"
	return 1
}

# other_daemons: pids of rcc-bpf daemons this run did not start
other_daemons() {
	local p args
	for p in $(pgrep -x rcc-bpf); do
		args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
		contains "$args" "/tmp/rcct-$RCCT_RUN/" && continue
		contains "$args" " daemon" && echo "$p"
	done
}

c_finish() {
	local left
	if [ "${RCC_KEEP:-0}" != 1 ]; then
		# shellcheck disable=SC2046 # names: one a word
		[ -s "$T_DIR/containers" ] &&
			timeout 120 podman rm -f -i -t 0 $(sort -u "$T_DIR/containers") >/dev/null 2>&1
		left=$(podman ps -a --format '{{.Names}}' | grep "^rcct-$RCCT_RUN-$T_IDX-")
		[ -z "$left" ] || fail_check "containers left behind: $(echo "$left" | tr '\n' ' ')"
	else
		echo "  kept containers (podman exec -it NAME sh): $(sort -u "$T_DIR/containers" 2>/dev/null | tr '\n' ' ')" |
			tee -a "$T_DIR/kept"
	fi
	t_finish
}

# ct_setup: once after run_setup: the root filesystem, and one container
# runs at all
ct_setup() {
	local others
	ct_base
	rootfs_build && c_smoke || return 1
	others=$(other_daemons | tr '\n' ' ')
	[ -z "$others" ] ||
		echo "note: other rcc-bpf daemons run (pids $others); one with enforce = all enforces these tests' containers too"
	return 0
}

# The runner's hooks for the container suite
suite_preflight() {
	CG2=$(cg2_mount)
	preflight && c_preflight
}
suite_setup() { run_setup && ct_setup; }
suite_test_init() {
	t_init
	: >"$T_DIR/containers"
}
suite_test_finish() { c_finish; }
suite_sweep() {
	CG2=${CG2:-$(cg2_mount)}
	ct_sweep "$1"
	sweep_run "$1"
}
