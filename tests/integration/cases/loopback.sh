# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Loopback in the host's network namespace is the host itself (`rcc-bpf
# run`, --network=host).  The "host" is a netns the test makes (H): every
# rcc-bpf command runs there, so H is the namespace the programs were
# loaded from.  A host service (the sink, outside any sandbox cgroup)
# listens in H on every address, ports LO_SVC and LO_SVC2; the sandboxed
# clients run in cgroup sb but in netns H.  Judged by what the host
# service and the sandbox's own servers logged.

LO_SVC=5432 LO_SVC2=5433 LO_LATE=5434 LO_DEV=3000 LO_OTHER=3002

# loopback_world [POLICY LINES...]: netns H as the host, its service
# running, and a policy with the lines given (default block_host = yes)
loopback_world() {
	local line
	NS_H=$(ns_extra h) || { fail_check "cannot make the host netns"; return 1; }
	RCC_NETNS=$NS_H
	H_SINK_LOG=$T_DIR/host-service.log
	: >"$H_SINK_LOG"
	nsenter --net="/run/netns/$NS_H" -- "$PY" "$TOOLS/rcct_world.py" sink \
		--log "$H_SINK_LOG" --ports "$LO_SVC,$LO_SVC2" --ready "$T_DIR/hsink.ready" \
		--lifetime "$RCCT_TEST_TIMEOUT" </dev/null &
	remember_pid $!
	wait_for 10 test -e "$T_DIR/hsink.ready" ||
		{ fail_check "the host service did not start"; return 1; }
	cat "$T_DIR/hsink.ready" >>"$T_DIR/pids"
	{
		echo "[policy default]"
		for line in "$@"; do echo "$line"; done
	} | conf_write
}

# in_host_sandbox CG COMMAND...: in_sandbox, but in netns H (what
# `rcc-bpf run` gives)
in_host_sandbox() {
	local NS_SB=$NS_H
	in_sandbox "$@"
}

# host_case WANT ARRIVAL CG SUBCMD [--v4mapped] ADDR PORT: one rcct_client
# call from CG in H with a fresh marker; ARRIVAL yes|no at the host service
host_case() {
	local want=$1 arrival=$2 cg=$3 sub=$4 v4m=""
	shift 4
	[ "$1" = --v4mapped ] && { v4m=$1; shift; }
	new_marker
	RES=$(in_host_sandbox "$cg" "$PY" "$TOOLS/rcct_client.py" "$sub" $v4m "$1" "$2" "$M")
	RES=${RES:-"(no result line, exit $?)"}
	echo "  client[$cg in H] $sub $v4m $1 $2 -> $RES"
	expect_result "$sub $v4m $1 $2 from $cg in H" "$RES" "$want"
	if [ "$arrival" = yes ]; then
		if wait_for 3 grep -qF -- "$M" "$H_SINK_LOG"; then
			pass_check "the host service got $M"
		else
			fail_check "the host service did not get $M"
		fi
	else
		sleep 0.5
		if grep -qF -- "$M" "$H_SINK_LOG"; then
			fail_check "the host service got $M but should not have"
		else
			pass_check "nothing reached the host service: $M"
		fi
	fi
}

# host_echo ADDR PORT NAME: rcct_echo serving in H, outside any sandbox
# cgroup: a host service; its log is $T_DIR/NAME.log
host_echo() {
	: >"$T_DIR/$3.log"
	nsenter --net="/run/netns/$NS_H" -- "$PY" "$TOOLS/rcct_echo.py" serve \
		--log "$T_DIR/$3.log" --ready "$T_DIR/$3.ready" "$1" "$2" </dev/null &
	remember_pid $!
	wait_for 10 test -e "$T_DIR/$3.ready" ||
		{ fail_check "host service $3 did not start"; return 1; }
}

# dev_server CG ADDR PORT NAME: rcct_echo serving in cgroup CG, in H;
# its log is $T_DIR/NAME.log
dev_server() {
	local cg
	cg=$(cg_path "$1")
	: >"$T_DIR/$4.log"
	sh -c 'cg=$1 ns=$2; shift 2
	       echo $$ >"$cg/cgroup.procs" && exec nsenter --net="/run/netns/$ns" -- "$@"' \
		rcct-dev-server "$cg" "$NS_H" "$PY" "$TOOLS/rcct_echo.py" serve \
		--log "$T_DIR/$4.log" --ready "$T_DIR/$4.ready" "$2" "$3" </dev/null &
	remember_pid $!
	wait_for 10 test -e "$T_DIR/$4.ready" ||
		{ fail_check "dev server $4 did not start"; return 1; }
}

# talk WANT CG PROTO ADDR PORT NAME [GO]: a request/response from CG in H
# to a dev server; "ok" also means the server logged the request
talk() {
	local want=$1 cg=$2 proto=$3 addr=$4 port=$5 name=$6 go=${7:-}
	new_marker
	RES=$(in_host_sandbox "$cg" "$PY" "$TOOLS/rcct_echo.py" talk "$proto" "$addr" \
		"$port" "$M" $go)
	RES=${RES:-"(no result line, exit $?)"}
	expect_result "$proto exchange with $addr:$port from $cg in H" "$RES" "$want"
	if [ "$want" = ok ]; then
		expect "$name logged the request" grep -qF -- "$M" "$T_DIR/$name.log"
	else
		expect "$name got nothing" sh -c "! grep -qF -- '$M' '$T_DIR/$name.log'"
	fi
}

test_loopback_host_service() {
	# a sandbox in the host's netns: the host's loopback services were
	# reachable; under block_host they are the host's address
	need_rcc || return 1
	loopback_world "block_host = yes" || return 1
	host_case ok yes sb tcp-connect 127.0.0.1 $LO_SVC
	host_case ok yes sb udp-sendto ::1 $LO_SVC
	rcc_attach sb || return 1
	host_case "err EPERM" no sb tcp-connect 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb tcp-connect 127.0.0.2 $LO_SVC
	host_case "err EPERM" no sb tcp-connect ::1 $LO_SVC
	host_case "err EPERM" no sb tcp-connect --v4mapped 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb udp-sendto 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb udp-connect-send 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb udp-sendto ::1 $LO_SVC
	# with block_host = no the host's loopback is not refused
	loopback_policy_reload "block_host = no"
	host_case ok yes sb tcp-connect 127.0.0.1 $LO_SVC
	host_case ok yes sb udp-sendto ::1 $LO_SVC
}

# loopback_policy_reload LINES...: the default policy, now with LINES
loopback_policy_reload() {
	local line
	{
		echo "[policy default]"
		for line in "$@"; do echo "$line"; done
	} | conf_write
	rcc reload
	expect_eq "reload exit code" "$RCC_RC" 0
}

# late_start NAME PROTO ADDR: a socket of sb in H connects to a host
# service (rcct_echo outside any sandbox, on LO_LATE: it logs each
# request as it comes) now, and sends marker NAME only once told
late_start() {
	rm -f "$T_DIR/$1" "$T_DIR/$1.ready"
	in_host_sandbox sb "$PY" "$TOOLS/rcct_echo.py" late "$2" "$3" $LO_LATE \
		"rcct-$RCCT_RUN-$T_IDX-$1" "$T_DIR/$1" >"$T_DIR/$1.res" &
	LATE_PIDS+=($!)
	wait_for 10 test -e "$T_DIR/$1.ready" || fail_check "$1: the socket did not connect"
}

# late_send NAME...: each sends now; late_arrived NAME yes|no: judged by
# the host service's log
late_send() {
	local n
	for n in "$@"; do touch "$T_DIR/$n"; done
	wait "${LATE_PIDS[@]}"
	LATE_PIDS=()
	for n in "$@"; do echo "  $n -> $(cat "$T_DIR/$n.res")"; done
	sleep 0.5
}
late_arrived() {
	if cat "$T_DIR"/late4.log "$T_DIR"/late6.log | grep -qF -- "rcct-$RCCT_RUN-$T_IDX-$1"; then
		[ "$2" = yes ] && pass_check "$1 arrived" || fail_check "$1 arrived at the host service"
	else
		[ "$2" = no ] && pass_check "$1 did not arrive" || fail_check "$1 did not arrive"
	fi
}

test_loopback_egress_backstop() {
	# sockets connected to a host service before enforcement: what they
	# send after it only the egress program judges, on lo
	need_rcc || return 1
	local n
	LATE_PIDS=()
	loopback_world "block_host = yes" || return 1
	host_echo 127.0.0.1 $LO_LATE late4 || return 1
	host_echo ::1 $LO_LATE late6 || return 1
	late_start before-udp4 udp 127.0.0.1
	late_start before-tcp6 tcp ::1
	late_send before-udp4 before-tcp6
	late_arrived before-udp4 yes
	late_arrived before-tcp6 yes
	late_start udp4 udp 127.0.0.1
	late_start tcp4 tcp 127.0.0.1
	late_start udp6 udp ::1
	late_start tcp6 tcp ::1
	rcc_attach sb || return 1
	late_send udp4 tcp4 udp6 tcp6
	for n in udp4 tcp4 udp6 tcp6; do
		late_arrived "$n" no
	done
}

test_loopback_allow_entry() {
	# `allow = 127.0.0.1:PORT/tcp` reaches that one host service, and
	# nothing else on the host's loopback
	need_rcc || return 1
	loopback_world "allow = 127.0.0.1:$LO_SVC/tcp" || return 1
	rcc_attach sb || return 1
	host_case ok yes sb tcp-connect 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb tcp-connect 127.0.0.1 $LO_SVC2
	host_case "err EPERM" no sb udp-sendto 127.0.0.1 $LO_SVC
	host_case "err EPERM" no sb tcp-connect ::1 $LO_SVC
}

test_loopback_own_listener() {
	# the sandbox's own dev server on 127.0.0.1 stays reachable from the
	# sandbox, both ways and across a reload; one in another enforced
	# cgroup tree is a host service to it
	need_rcc || return 1
	loopback_world "block_host = yes" || return 1
	cg_make other || { fail_check "cannot make cgroup other"; return 1; }
	rcc_attach sb || return 1
	rcc_attach other || return 1
	dev_server sb 127.0.0.1 $LO_DEV dev || return 1
	dev_server sb ::1 $LO_DEV dev6 || return 1
	dev_server other 127.0.0.1 $LO_OTHER other || return 1

	talk ok sb tcp 127.0.0.1 $LO_DEV dev
	talk ok sb udp 127.0.0.1 $LO_DEV dev
	talk ok sb tcp ::1 $LO_DEV dev6
	talk ok sb udp ::1 $LO_DEV dev6
	talk "err EPERM" sb tcp 127.0.0.1 $LO_OTHER other
	talk "err EPERM" sb udp 127.0.0.1 $LO_OTHER other
	talk ok other tcp 127.0.0.1 $LO_OTHER other

	# a connection open across a reload (the egress cache's generation
	# changes): its next exchange is judged again, and still goes through
	rm -f "$T_DIR/go" "$T_DIR/go.ready"
	in_host_sandbox sb "$PY" "$TOOLS/rcct_echo.py" talk tcp 127.0.0.1 $LO_DEV \
		"rcct-$RCCT_RUN-$T_IDX-across" "$T_DIR/go" >"$T_DIR/across.res" &
	local talker=$!
	wait_for 10 test -e "$T_DIR/go.ready" || fail_check "the first exchange did not finish"
	loopback_policy_reload "block_host = yes" "deny = 203.0.113.99"
	touch "$T_DIR/go"
	wait "$talker"
	expect_eq "the exchange across the reload" "$(cat "$T_DIR/across.res")" ok
	expect "dev logged the request after the reload" \
		grep -qF -- "rcct-$RCCT_RUN-$T_IDX-across-2" "$T_DIR/dev.log"
	talk ok sb tcp 127.0.0.1 $LO_DEV dev
	talk ok sb udp 127.0.0.1 $LO_DEV dev
	talk "err EPERM" sb tcp 127.0.0.1 $LO_OTHER other
}

test_loopback_own_netns() {
	# in a sandbox's own netns (a container's, SB) loopback is its own:
	# still allowed, while H is the host
	need_rcc || return 1
	loopback_world "block_host = yes" || return 1
	: >"$T_DIR/sb-lo.log"
	nsenter --net="/run/netns/$NS_SB" -- "$PY" "$TOOLS/rcct_echo.py" serve \
		--log "$T_DIR/sb-lo.log" \
		--ready "$T_DIR/sb-lo.ready" 127.0.0.1 $LO_SVC </dev/null &
	remember_pid $!
	wait_for 10 test -e "$T_DIR/sb-lo.ready" || { fail_check "SB's listener did not start"; return 1; }
	rcc_attach sb || return 1
	new_marker
	RES=$(in_sandbox sb "$PY" "$TOOLS/rcct_echo.py" talk tcp 127.0.0.1 $LO_SVC "$M")
	expect_result "tcp exchange with 127.0.0.1:$LO_SVC in SB" "$RES" ok
	expect "SB's listener logged it" grep -qF -- "$M" "$T_DIR/sb-lo.log"
	new_marker
	RES=$(in_sandbox sb "$PY" "$TOOLS/rcct_echo.py" talk udp 127.0.0.1 $LO_SVC "$M")
	expect_result "udp exchange with 127.0.0.1:$LO_SVC in SB" "$RES" ok
	# the same port in H is the host's
	host_case "err EPERM" no sb tcp-connect 127.0.0.1 $LO_SVC
	rcc check 127.0.0.1 $LO_SVC
	expect "check: own namespace" grep -q "^allow: 127.0.0.0/8 (loopback)" <<<"$RCC_OUT"
	expect "check: the host's namespace" \
		grep -q "host's network namespace.*deny: 127.0.0.0/8 (the host's loopback" <<<"$RCC_OUT"
	expect "check: the sandbox's own listener" \
		grep -q "sandbox's own cgroup.*allow: 127.0.0.0/8" <<<"$RCC_OUT"
}

TESTS+=(
	test_loopback_host_service
	test_loopback_allow_entry
	test_loopback_egress_backstop
	test_loopback_own_listener
	test_loopback_own_netns
)
