# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Checks and the verdict they make.  Checks print "  ok: ..." or
# "  FAIL: ..." into the test's log; a test passes when it made at least
# one check, none failed, and its body returned 0.

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

# contains TEXT PART, not_contains TEXT PART, not COMMAND...
contains() { case $1 in *"$2"*) return 0 ;; *) return 1 ;; esac; }
not_contains() { ! contains "$@"; }
not() { ! "$@"; }

# expect_gt WHAT A B: A > B, both numbers
expect_gt() {
	if [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] && [ "$2" -gt "$3" ]; then
		pass_check "$1 ($2 > $3)"
	else
		fail_check "$1: want $2 > $3"
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

# checks_verdict: the test's verdict from its checks and T_RC (what its
# setup and body returned); prints the tally, returns 0 when it passed
checks_verdict() {
	if [ "${T_RC:-1}" != 0 ] && [ "$T_FAILS" = 0 ]; then
		fail_check "test body returned ${T_RC:-nothing (interrupted)}"
	fi
	[ "$T_CHECKS" -gt 0 ] || fail_check "test made no checks"
	echo "# $T_NAME: $T_CHECKS checks, $T_FAILS failed"
	[ "$T_FAILS" = 0 ]
}
