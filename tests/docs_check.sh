#!/bin/bash
# The docs follow the code: the man page's key list is what the parser's
# tables say (make man), and the commented configuration and the README's
# table show every key.
# Ends with "docs: N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0
result() { # OK MESSAGE
	if [ "$1" = 0 ]; then
		passed=$((passed + 1))
	else
		echo "FAIL $2"
		failed=$((failed + 1))
	fi
}

if [ ! -x build/man-keys ] || [ ! -x build/rcc-bpf ]; then
	echo "FAIL build/man-keys or build/rcc-bpf is missing: run make check"
	echo "docs: 0 passed, 1 failed"
	[ -z "${TEST_COUNTS:-}" ] || echo "0 1" >"$TEST_COUNTS"
	exit 1
fi
tools/man/update-keys.sh --check
result $? "man/rcc-bpf.8: key list out of date"

keys=$(build/rcc-bpf validate --help | sed -n 's/^  \([a-z_]*\) = .*/\1/p')
[ -n "$keys" ]
result $? "validate --help lists no configuration keys"
for k in $keys; do
	grep -qE "^#? ?$k( |$)" conf/rcc-bpf.conf
	result $? "conf/rcc-bpf.conf does not show key '$k'"
	# the README's table names a key first in a row, or next to another
	grep -qE "^\| [^|]*\| (\`[a-z_]+\`, )?\`$k\`( |,)" README.md
	result $? "README.md's configuration table does not show key '$k'"
done
echo "docs: $passed passed, $failed failed"
[ -z "${TEST_COUNTS:-}" ] || echo "$passed $failed" >"$TEST_COUNTS"
[ "$failed" = 0 ]
