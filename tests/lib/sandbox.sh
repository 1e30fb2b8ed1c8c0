# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Clients in a cgroup and netns SB, and the three shapes a case takes
# (refused, allowed, dropped): one client call plus an arrival check.

RCCT_CMD_TIMEOUT=${RCCT_CMD_TIMEOUT:-20}  # one sandboxed command, seconds

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

# probe_until SECONDS WANT CG ADDR PORT: polls a TCP connect from CG until
# its result is WANT (ok, or "err EPERM"); PROBE_MS: how long it took
probe_until() {
	local secs=$1 want=$2 cg=$3 addr=$4 port=$5 start res
	start=$(date +%s%N)
	while :; do
		res=$(in_sandbox "$cg" "$PY" "$TOOLS/rcct_client.py" tcp-connect "$addr" "$port" probe)
		PROBE_MS=$((($(date +%s%N) - start) / 1000000))
		case $res in "$want"*) return 0 ;; esac
		[ "$PROBE_MS" -ge $((secs * 1000)) ] && return 1
		sleep 0.1
	done
}
