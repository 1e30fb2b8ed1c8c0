#!/bin/bash
# Every test rcc-bpf has: the unit tests given as arguments, the unit
# file, that tools/deps.sh installs what the scripts call, then the
# real-kernel integration tests, then the benchmark's own sanity check.
# The last line is the total: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)".
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1 # crashed or printed no summary: that counts as a failure
	fi
	[ "$f" = 0 ] || printf '%s\n' "$out"
	echo "unit $(basename "$t"): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done

run_suite() { # NAME COMMAND...: a suite that ends with "NAME: N passed, N failed"
	local name=$1 out rc p f tmp
	shift
	# shown as it runs, and kept to read the summary from (not through
	# /dev/stderr: reopening it truncates a log file it points to)
	tmp=$(mktemp)
	"$@" 2>&1 | tee "$tmp"
	rc=${PIPESTATUS[0]}
	out=$(cat "$tmp")
	rm -f "$tmp"
	p=$(sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p" <<<"$out" | tail -n1)
	f=$(sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p" <<<"$out" | tail -n1)
	if [ -z "$p" ]; then
		echo "$name: no summary line (exit $rc): counted as one failure" >&2
		p=0
		f=1
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
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
		echo "unit file: 1 passed, 0 failed"
		passed=$((passed + 1))
	else
		echo "unit file: 0 passed, 1 failed (systemd-analyze verify)"
		failed=$((failed + 1))
	fi
}

check_unit
run_suite layers tests/layers.sh
run_suite docs tests/docs_check.sh
run_suite deps tests/deps_check.sh
run_suite integration tests/integration/run.sh
run_suite containers tests/containers/run.sh
run_suite sanity tools/bench/run.sh --sanity

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
