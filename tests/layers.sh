#!/bin/bash
# The layering of user/ (CONTRIBUTING.md), checked on every #include: a
# layer includes only itself and the layers before it in
#   lib policy kernel host audit daemon cli
# so policy/ never includes kernel/, and nothing but cli/ includes cli/;
# lib/ and policy/ are plain C (no libbpf).
# One check per rule and file; ends with "layers: N passed, N failed".
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0

# allowed LAYER: the folders its files may include: its own, and those
# before it in this order (CONTRIBUTING.md)
ORDER="lib policy kernel host audit daemon cli"
allowed() {
	local l out=""
	for l in $ORDER; do
		out="$out $l"
		[ "$l" = "$1" ] && { echo "${out# }"; return; }
	done
	echo ""
}

for f in user/*/*.[ch]; do
	layer=$(basename "$(dirname "$f")")
	ok=$(allowed "$layer")
	bad=""
	if [ -z "$ok" ]; then
		bad="$f: folder '$layer' is no layer (add it to tests/layers.sh and CONTRIBUTING.md)"
	fi
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' "$f"); do
		case " $ok " in
		*" $inc "*) ;;
		*) bad="$f includes $inc/: layer $layer may include only: $ok" ;;
		esac
	done
	if [ "$layer" = policy ] || [ "$layer" = lib ]; then
		if grep -q '^#include <bpf/' "$f"; then
			bad="$f includes libbpf: the $layer layer is plain C"
		fi
	fi
	# a flat include ("foo.h") would hide the layer it comes from
	if grep -q '^#include "[a-z_]*\.h"' "$f" &&
		grep '^#include "[a-z_]*\.h"' "$f" | grep -qv 'rcc_shared.h\|\.skel\.h'; then
		bad="$f: include user headers as \"LAYER/name.h\""
	fi
	if [ -n "$bad" ]; then
		echo "FAIL $bad"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
if [ -n "$(ls user/*.[ch] 2>/dev/null)" ]; then
	echo "FAIL user/ holds files outside the layers: $(ls user/*.[ch] | tr '\n' ' ')"
	failed=$((failed + 1))
fi
echo "layers: $passed passed, $failed failed"
[ -z "${TEST_COUNTS:-}" ] || echo "$passed $failed" >"$TEST_COUNTS"
[ "$failed" = 0 ]
