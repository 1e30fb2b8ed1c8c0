#!/bin/bash
# Every test rcc-bpf has: the unit tests given as arguments, the unit
# file, the layering of user/, the docs against the code, that
# tools/deps.sh installs what the scripts call, then the real-kernel
# integration and container tests, then the benchmark's own sanity check.  The last line is the total:
# "N passed, N failed"; the exit code is non-zero when anything failed.
#
# How each part is counted, without reading its output:
#   unit binaries  cmocka's TAP (CMOCKA_MESSAGE_OUTPUT=TAP): the tests it
#                  planned that did not report "ok" failed (a skip
#                  included), and a non-zero exit with none failed is one
#   suites         run with TEST_COUNTS=FILE, they write "PASSED FAILED"
#                  there (tests/lib/runner.sh does for every suite it
#                  runs); a suite that writes nothing, or exits non-zero
#                  with no failure counted, counts one failure more
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
COUNTS=$(mktemp)
trap 'rm -f "$COUNTS" "$COUNTS.out" "$COUNTS.err"' EXIT

# tally NAME PASSED FAILED
tally() {
	echo "$1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

# unit BINARY: one cmocka binary, counted from its TAP
unit() {
	local t=$1 rc line plan=0 ok=0 f
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$COUNTS.out" 2>"$COUNTS.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		1..[0-9]*) plan=$((plan + ${line#1..})) ;;
		"ok "*"# SKIP"* | "ok "*"# skip"*) ;;
		"ok "*) ok=$((ok + 1)) ;;
		esac
	done <"$COUNTS.out"
	f=$((plan - ok))
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || f=1 # crashed, or a failure it did not plan
	[ "$f" = 0 ] || cat "$COUNTS.out" "$COUNTS.err"
	tally "unit $(basename "$t")" "$ok" "$f"
}

# count NAME RC: add the counts a suite that exited RC wrote to COUNTS
count() {
	local p="" f=""
	read -r p f <"$COUNTS"
	if ! [[ $p =~ ^[0-9]+$ && $f =~ ^[0-9]+$ ]]; then
		echo "$1: reported no counts (exit $2): counted as one failure" >&2
		p=0 f=1
	elif [ "$2" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# run_suite NAME COMMAND...: a suite that writes its counts to TEST_COUNTS
run_suite() {
	local name=$1
	shift
	: >"$COUNTS"
	TEST_COUNTS=$COUNTS "$@" 2>&1
	count "$name" $?
}

# The systemd unit, as installed, passes systemd-analyze verify.
check_unit() {
	local unit rc
	unit=$(mktemp -d)/rcc-bpf.service
	sed "s|@SBINDIR@/rcc-bpf|$PWD/build/rcc-bpf|" conf/rcc-bpf.service >"$unit"
	systemd-analyze verify --man=no "$unit"
	rc=$?
	rm -rf "$(dirname "$unit")"
	if [ "$rc" = 0 ]; then
		tally "unit file" 1 0
	else
		tally "unit file" 0 1
		echo "  (systemd-analyze verify)"
	fi
}

for t in "$@"; do
	unit "$t"
done
check_unit
run_suite layers tests/layers.sh
run_suite docs tests/docs_check.sh
run_suite deps tests/deps_check.sh
run_suite integration tests/integration/run.sh
run_suite containers tests/containers/run.sh
run_suite sanity tools/bench/run.sh --sanity

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
