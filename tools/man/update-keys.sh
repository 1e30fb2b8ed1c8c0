#!/bin/bash
# Puts the key list that build/man-keys prints between the KEYS markers of
# man/rcc-bpf.8 (--check: only says whether the page is up to date).
set -eu
cd "$(dirname "$0")/../.."
page=man/rcc-bpf.8
begin='.\" BEGIN KEYS: generated from user/policy/config_keys.c by make man'
end='.\" END KEYS'
keys=$(build/man-keys)
grep -qxF "$begin" "$page" && grep -qxF "$end" "$page" || {
	echo "$page: no KEYS markers" >&2
	exit 1
}
# through the environment: awk -v would read the backslashes as escapes
new=$(B=$begin E=$end K=$keys awk '
	$0 == ENVIRON["B"] { print; print ENVIRON["K"]; skip = 1; next }
	$0 == ENVIRON["E"] { skip = 0 }
	!skip { print }' "$page")
if [ "${1:-}" = --check ]; then
	if [ "$new" != "$(cat "$page")" ]; then
		echo "$page: the key list differs from the tables: run make man" >&2
		exit 1
	fi
	exit 0
fi
printf '%s\n' "$new" >"$page"
