# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The world W: a capture on its veth and a TCP/UDP sink (rcct_world.py),
# the processes a test started (ended by pid at teardown), and the checks
# on what arrived in W.

WORLD_PORTS=9,80,443,5000,8080,8081

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
