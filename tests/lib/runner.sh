# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# A test runner that knows nothing of what it runs.  A suite is a script
# that sources this file and the fixtures it needs (runner_use), its
# cases (runner_cases: files that define test_* functions and add their
# names to TESTS), and ends with `runner_main "$@"`.  Each test runs in a
# subshell of its own under a watchdog; one result line a test (its log
# shown only when it fails); at the end a summary line, and the exit code
# says whether anything failed.
#
# The suite sets, before runner_main:
#   SUITE        its name, in the summary line "SUITE: N passed, N failed"
#   TESTS        its tests, in the order they run (runner_cases fills it)
#   RUNNER_DIR   where this run keeps its files; a test's are in
#                T_DIR=RUNNER_DIR/IDX-NAME, its output in T_DIR/log
#   RUNNER_RUN   the name of this run (for --cleanup RUN)
#   RUNNER_SELF  its script, by default the one running: --help prints
#                the script's leading comment
# and may define these hooks (each is optional):
#   suite_preflight    what the suite needs: prints what is missing and
#                      fails; runs in a subshell (it sets nothing)
#   suite_setup        once before the first test, in the runner's shell;
#                      failing, it counts like a failed preflight
#   suite_sweep RUN    remove what run RUN made or left: at exit (unless
#                      RCC_KEEP=1) and for --cleanup RUN
#   suite_test_init    per test, in the runner's shell (T_IDX, T_NAME and
#                      T_DIR are set, T_DIR exists)
#   suite_test_setup   per test, in its subshell, before test_NAME
#   suite_test_finish  the EXIT trap of the test's subshell: T_RC holds
#                      what suite_test_setup && test_NAME returned (unset
#                      when interrupted); the exit code is the verdict
#
# A test that cannot run (preflight or setup failed) fails: nothing is
# skipped.  A test's subshell may write two files the runner shows under
# its result line even when it passes: T_DIR/timings (see `timing`) and,
# with RCC_KEEP=1, T_DIR/kept (how to enter the environment it kept).
#
# Options: NAME... (only those), --list, --tap, --cleanup RUN, -h.
# Environment:
#   RCCT_TEST_TIMEOUT=S  the watchdog: a test still running after S
#                        seconds is ended and fails (default 300)
#   RCC_KEEP=1           keep each test's environment (no teardown, no
#                        sweep at exit)
#   RCCT_VERBOSE=1       show the log of passing tests too
#   RUNNER_TAP=1         TAP output, like --tap
#   TEST_COUNTS=FILE     the runner writes "PASSED FAILED" there at the
#                        end (tests/run-all.sh reads it)

RCCT_TEST_TIMEOUT=${RCCT_TEST_TIMEOUT:-300}
RUNNER_TAP=${RUNNER_TAP:-0}
RUNNER_CUR=""
RUNNER_SELF=${RUNNER_SELF:-$(cd "$(dirname "$0")" && pwd)/$(basename "$0")}
RUNNER_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS=()

RUNNER_LOAD_ERRORS=""

# runner_source FILE: sourced; a file that does not load (a syntax error
# drops what follows it) is remembered, and every test of the suite fails
runner_source() {
	# shellcheck source=/dev/null
	. "$1" || RUNNER_LOAD_ERRORS+="${RUNNER_LOAD_ERRORS:+; }$1 does not load"
}

# runner_use NAME...: source the fixtures tests/lib/NAME.sh, in this order
runner_use() {
	local lib
	for lib in "$@"; do
		runner_source "$RUNNER_LIB/$lib.sh"
	done
}

# runner_cases DIR: source every DIR/*.sh, each adding its tests to TESTS
runner_cases() {
	local f
	for f in "$1"/*.sh; do
		runner_source "$f"
	done
}

# runner_check_lists: every test_* function is listed in TESTS and every
# listed test is a function, else a load error (no test goes unrun)
runner_check_lists() {
	local f
	for f in $(declare -F | awk '$3 ~ /^test_/ { print $3 }'); do
		runner_is_test "$f" ||
			RUNNER_LOAD_ERRORS+="${RUNNER_LOAD_ERRORS:+; }$f is defined but not in TESTS"
	done
	for f in "${TESTS[@]}"; do
		runner_has "$f" ||
			RUNNER_LOAD_ERRORS+="${RUNNER_LOAD_ERRORS:+; }$f is in TESTS but not defined"
	done
}

# timing TEXT: into the test's log, and shown under its result line
timing() {
	echo "  timing: $*"
	echo "$*" >>"$T_DIR/timings"
}

runner_usage() {
	awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$RUNNER_SELF"
}

runner_is_test() {
	local t
	for t in "${TESTS[@]}"; do [ "$t" = "$1" ] && return 0; done
	return 1
}

runner_has() { declare -F "$1" >/dev/null; }

runner_on_interrupt() {
	echo "interrupted; cleaning up" >&2
	[ -n "$RUNNER_CUR" ] && kill -TERM "$RUNNER_CUR" 2>/dev/null && wait "$RUNNER_CUR"
	exit 130
}

runner_on_exit() {
	[ "${RCC_KEEP:-0}" = 1 ] && return
	runner_has suite_sweep && suite_sweep "$RUNNER_RUN" >/dev/null 2>&1
	return 0
}

# runner_default_finish: without suite_test_finish, the test's own result
runner_default_finish() {
	trap - EXIT
	exit "${T_RC:-1}"
}

# runner_watched NAME: test NAME in a subshell of its own (output in
# $T_DIR/log), stopped by a watchdog after RCCT_TEST_TIMEOUT seconds;
# returns the subshell's exit code
runner_watched() {
	local name=$1 finish=runner_default_finish rc wd
	runner_has suite_test_finish && finish=suite_test_finish
	(
		trap "$finish" EXIT
		trap 'exit 143' TERM
		T_RC=1
		if runner_has suite_test_setup; then
			suite_test_setup && "$name"
		else
			"$name"
		fi
		T_RC=$?
	) >"$T_DIR/log" 2>&1 &
	RUNNER_CUR=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$RCCT_TEST_TIMEOUT" &
		s=$!
		wait $s && echo "  watchdog: $name ran past ${RCCT_TEST_TIMEOUT}s" >>"$T_DIR/log" &&
			kill -TERM "$RUNNER_CUR" 2>/dev/null
	) &
	wd=$!
	wait "$RUNNER_CUR"
	rc=$?
	kill -TERM "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	RUNNER_CUR=""
	return $rc
}

# runner_result IDX NAME RC: the result line of a test
runner_result() {
	if [ "$RUNNER_TAP" = 1 ]; then
		if [ "$3" = 0 ]; then echo "ok $1 - $2"; else echo "not ok $1 - $2"; fi
	elif [ "$3" = 0 ]; then
		echo "PASS $2"
	else
		echo "FAIL $2"
	fi
}

# runner_detail PREFIX: stdin under a result line (a TAP comment in TAP)
runner_detail() {
	local p="    "
	[ "$RUNNER_TAP" = 1 ] && p="#   "
	sed "s/^/$p$1/"
}

# runner_report IDX NAME RC: result line, timings, and the log on failure
# (or always with RCCT_VERBOSE=1), or what a kept test left; returns RC
runner_report() {
	local idx=$1 name=$2 rc=$3
	runner_result "$idx" "$name" "$rc"
	[ -s "$T_DIR/timings" ] && runner_detail "timing: " <"$T_DIR/timings"
	if [ "$rc" != 0 ] || [ "${RCCT_VERBOSE:-0}" = 1 ]; then
		runner_detail "" <"$T_DIR/log"
	elif [ "${RCC_KEEP:-0}" = 1 ] && [ -s "$T_DIR/kept" ]; then
		if [ "$RUNNER_TAP" = 1 ]; then sed 's/^/#/' "$T_DIR/kept"; else cat "$T_DIR/kept"; fi
	fi
	return "$rc"
}

# runner_run_one IDX NAME: one test; returns its verdict
runner_run_one() {
	T_IDX=$1
	T_NAME=$2
	T_DIR=$RUNNER_DIR/$T_IDX-$T_NAME
	mkdir -p -m 0755 "$T_DIR"
	runner_has suite_test_init && suite_test_init
	runner_watched "$T_NAME"
	runner_report "$T_IDX" "$T_NAME" $?
}

# runner_end PASSED FAILED: the summary, the counts file, the exit code
runner_end() {
	local c=""
	[ "$RUNNER_TAP" = 1 ] && c="# "
	echo "$c$SUITE: $1 passed, $2 failed"
	[ -z "${TEST_COUNTS:-}" ] || echo "$1 $2" >"$TEST_COUNTS"
	[ "$2" = 0 ]
}

# runner_cannot_run WHY TEST...: each test fails, WHY under it
runner_cannot_run() {
	local why=$1 t idx=0
	shift
	for t in "$@"; do
		idx=$((idx + 1))
		runner_result "$idx" "$t" 1
		printf '%s\n' "$why" | runner_detail "cannot run: "
	done
	runner_end 0 $#
}

runner_main() {
	local selected=() t passed=0 failed=0 idx=0 why
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) runner_usage; return 0 ;;
		--list) printf '%s\n' "${TESTS[@]}"; return 0 ;;
		--tap) RUNNER_TAP=1 ;;
		--cleanup)
			[ -n "${2:-}" ] || { runner_usage >&2; return 2; }
			runner_has suite_sweep && suite_sweep "$2"
			return 0 ;;
		*)
			runner_is_test "$1" || { echo "unknown test: $1 (see --list)" >&2; return 2; }
			selected+=("$1") ;;
		esac
		shift
	done
	[ ${#selected[@]} -gt 0 ] || selected=("${TESTS[@]}")
	[ ${#selected[@]} -gt 0 ] || selected=(suite_has_no_tests)
	[ "$RUNNER_TAP" = 1 ] && echo "1..${#selected[@]}"

	runner_check_lists
	if [ -n "$RUNNER_LOAD_ERRORS" ]; then
		runner_cannot_run "$RUNNER_LOAD_ERRORS" "${selected[@]}"
		return 1
	fi

	if runner_has suite_preflight && ! why=$(suite_preflight); then
		runner_cannot_run "$why" "${selected[@]}"
		return 1
	fi
	trap runner_on_exit EXIT
	trap runner_on_interrupt INT TERM
	if runner_has suite_setup; then
		why=$(mktemp) || return 1
		if ! suite_setup >"$why" 2>&1; then
			runner_cannot_run "$(cat "$why")" "${selected[@]}"
			rm -f "$why"
			return 1
		fi
		if [ "$RUNNER_TAP" = 1 ]; then sed 's/^/# /' "$why"; else cat "$why"; fi
		rm -f "$why"
	fi

	for t in "${selected[@]}"; do
		idx=$((idx + 1))
		if runner_run_one "$idx" "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	if [ "${RCC_KEEP:-0}" = 1 ]; then
		[ "$RUNNER_TAP" = 1 ] && printf '# '
		echo "kept; remove with: $RUNNER_SELF --cleanup $RUNNER_RUN"
	fi
	runner_end "$passed" "$failed"
}
