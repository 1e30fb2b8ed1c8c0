# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The audit log of a test: its files, rcct_audit.py queries on them, and
# the daemon's audit totals.

# audit_q ARGS...: rcct_audit.py
audit_q() {
	"$PY" "$TOOLS/rcct_audit.py" "$@"
}

# audit_files: the test's log files that exist, oldest first
audit_files() {
	local log=$T_AUDIT_LOG f
	for f in "$log".[0-9]*; do
		[ -e "$f" ] && echo "${f##*.} $f"
	done | sort -rn | cut -d' ' -f2-
	[ -e "$log" ] && echo "$log"
	return 0
}

# audit_qlog ARGS...: rcct_audit.py on the test's log files
audit_qlog() {
	# shellcheck disable=SC2046 # one path a word, no spaces in them
	audit_q "$@" $(audit_files)
}

# audit_count SEL: records matching SEL in the test's log files
audit_count() {
	local out
	out=$(audit_qlog count "$1")
	echo "${out#ok }"
}

audit_has() { [ "$(audit_count "$1")" -ge "${2:-1}" ] 2>/dev/null; }

# wait_record SEL [N]: at least N (1) records match SEL within 5 s
wait_record() {
	if wait_for 5 audit_has "$1" "${2:-1}"; then
		return 0
	fi
	fail_check "no${2:+ $2} audit record(s) with $1 within 5 s (log: $(audit_files | tr '\n' ' '))"
	return 1
}

# expect_record WHAT SEL [KEY=VALUE | --absent KEY | --has KEY | --comm-of HEX]...:
# exactly one record matches SEL, with these fields
expect_record() {
	local what=$1 sel=$2 args=() out
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--absent | --has | --comm-of) args+=("$1" "$2"); shift 2 ;;
		*) args+=(--eq "$1"); shift ;;
		esac
	done
	wait_record "$sel" || return 1
	out=$(audit_qlog one "$sel" "${args[@]}")
	printf '%s\n' "$out" | grep -v '^ok' | grep -v '^err' | head -n 1
	expect_result "$what" "$(printf '%s\n' "$out" | tail -n 1)" ok
}

# expect_log_whole: every line of every file is a whole JSON object
expect_log_whole() {
	local out
	out=$(audit_qlog lines)
	expect_result "every line of the audit log is whole JSON" "$out" ok
}

# audit_totals: status --json .audit into AUD_DENIALS AUD_WRITTEN
# AUD_FOLDED AUD_LOST ("?" each when status failed)
audit_totals() {
	local out
	out=$(timeout 30 "$RCC" -c "$T_CONF" status --json 2>/dev/null </dev/null)
	read -r AUD_DENIALS AUD_WRITTEN AUD_FOLDED AUD_LOST < <(printf '%s' "$out" |
		"$PY" -c '
import json, sys
try:
    a = json.load(sys.stdin)["audit"]
    print(a["denials"], a["written"], a["folded"], a["lost"])
except (ValueError, KeyError, TypeError):
    print("? ? ? ?")')
	echo "  audit totals: denials=$AUD_DENIALS written=$AUD_WRITTEN folded=$AUD_FOLDED lost=$AUD_LOST"
}

audit_reconciled() {
	audit_totals >/dev/null
	[ "$AUD_DENIALS" != "?" ] &&
		[ $((AUD_WRITTEN + AUD_FOLDED + AUD_LOST)) = "$AUD_DENIALS" ]
}

# expect_reconciled: written + folded + lost == denials (status --json)
expect_reconciled() {
	wait_for 10 audit_reconciled
	audit_totals
	if [ "$AUD_DENIALS" = "?" ]; then
		fail_check "status --json has no audit object"
		return 1
	fi
	expect_eq "audit: written + folded + lost = denials" \
		"$((AUD_WRITTEN + AUD_FOLDED + AUD_LOST))" "$AUD_DENIALS"
}
