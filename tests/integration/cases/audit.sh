# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Denial audit: the records, audit mode, hostile process names, floods
# (reconciled totals, rotation, kill -9, responsiveness), `log` and its
# filters, one consumer at a time.

TESTS+=(
	test_audit_events
	test_audit_mode_log
	test_audit_hostile_comm
	test_audit_flood_reconcile
	test_audit_flood_rotation
	test_audit_kill9
	test_audit_flood_responsive
	test_audit_rotation_follow
	test_audit_log_filters
	test_audit_one_consumer
)

test_audit_events() {
	# Each kind of denial: one record, with who, where, how and why.
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]

	[policy rawok]
	allow_raw_sockets = yes

	[policy rules]
	deny = 203.0.113.0/24
	EOF
	cg_make raw
	cg_make rules
	rcc_attach sb || return 1
	rcc_attach raw rawok || return 1
	rcc_attach rules rules || return 1
	daemon_start || return 1
	local sb raw rules sbid rawid common line
	sb=$(cg_path sb) raw=$(cg_path raw) rules=$(cg_path rules)
	sbid=$(stat -c %i "$sb") rawid=$(stat -c %i "$raw")
	common=(type=denial verdict=deny uid=0 gid=0 --absent rule)

	refused sb tcp-connect --comm rcct-tcp4 10.1.2.3 80
	expect_record "TCP connect: one record" "pid=$CASE_PID" "${common[@]}" \
		tid="$CASE_PID" comm=rcct-tcp4 cgroup="$sb" cgroup_id="$sbid" \
		policy=default hook=connect4 reason=private family=ipv4 \
		protocol=tcp dst=10.1.2.3 dport=80 --absent src --absent comm_hex

	refused sb udp-connect-send --comm rcct-udpc 192.168.1.1 5000
	expect_record "UDP connect: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udpc cgroup="$sb" hook=connect4 reason=private \
		family=ipv4 protocol=udp dst=192.168.1.1 dport=5000 --absent src

	refused sb udp-sendto --comm rcct-udps 169.254.169.254 5000
	expect_record "UDP sendto: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udps cgroup="$sb" hook=sendmsg4 reason=private \
		family=ipv4 protocol=udp dst=169.254.169.254 dport=5000 --absent src

	refused sb tcp-connect --comm rcct-tcp6 fd12:3456:789a::10 443
	expect_record "IPv6 connect: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-tcp6 cgroup="$sb" hook=connect6 reason=private \
		family=ipv6 protocol=tcp dst=fd12:3456:789a::10 dport=443

	refused sb udp-sendmsg --comm rcct-udp6 fd12:3456:789a::10 5000
	expect_record "IPv6 sendmsg: one record" "pid=$CASE_PID" "${common[@]}" \
		comm=rcct-udp6 hook=sendmsg6 reason=private family=ipv6 \
		protocol=udp dst=fd12:3456:789a::10 dport=5000

	refused sb tcp-connect --v4mapped --comm rcct-map 10.1.2.3 8080
	expect_record "v4-mapped connect: one record, the IPv4 address" \
		"pid=$CASE_PID" "${common[@]}" comm=rcct-map hook=connect6 \
		reason=private family=ipv6 protocol=tcp dst=10.1.2.3 dport=8080

	dropped raw raw-icmp --comm rcct-icmp 10.1.2.3
	expect_record "raw ICMP (allow_raw_sockets): one egress record" \
		"pid=$CASE_PID" "${common[@]}" comm=rcct-icmp cgroup="$raw" \
		cgroup_id="$rawid" policy=rawok hook=egress reason=private \
		family=ipv4 protocol=icmp dst=10.1.2.3 src="$SB_ADDR4"

	client sb --comm rcct-rawsk --show-pid socket-only inet raw icmp
	expect_result "socket(AF_INET, SOCK_RAW, ICMP)" "$RES" "err EPERM"
	expect_record "raw socket: one sock_create record" "pid=${RES##* pid=}" \
		"${common[@]}" comm=rcct-rawsk cgroup="$sb" hook=sock_create \
		reason=socket_type family=ipv4 protocol=icmp --absent dst \
		--absent dport

	line=$(conf_line "$T_CONF" "deny = 203.0.113.0/24")
	refused rules tcp-connect --comm rcct-rule 203.0.113.10 80
	expect_record "deny rule: one record naming the rule" "pid=$CASE_PID" \
		type=denial verdict=deny comm=rcct-rule cgroup="$rules" \
		policy=rules hook=connect4 reason=deny_rule dst=203.0.113.10 \
		dport=80 rule="deny = 203.0.113.0/24 (line $line)"

	allowed sb tcp-connect --comm rcct-okay 203.0.113.10 80
	sleep 0.5
	expect_eq "an allowed connect leaves no record" "$(audit_count "comm=rcct-okay")" 0

	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" 9
	expect_reconciled
	expect_eq "written = records" "$AUD_WRITTEN" 9
	rcc status
	expect "status prints the AUDIT line" grep -qE \
		"^AUDIT: $AUD_DENIALS denials counted = $AUD_WRITTEN written \+ $AUD_FOLDED folded into summaries \+ $AUD_LOST lost \(ring full\)" \
		<<<"$RCC_OUT"
}

test_audit_mode_log() {
	# mode = audit: the traffic goes out, the log says what would have
	# been refused, with verdict "audit"
	need_rcc || return 1
	conf_write <<-EOF
	[policy default]
	mode = audit
	EOF
	rcc_attach sb || return 1
	daemon_start || return 1
	local sb tcp_pid udp_pid
	sb=$(cg_path sb)
	allowed sb tcp-connect --comm rcct-audtcp 10.1.2.3 80
	tcp_pid=$CASE_PID
	expect_record "audited TCP connect: one connect4 record" \
		"pid=$tcp_pid,hook=connect4" type=denial verdict=audit \
		comm=rcct-audtcp cgroup="$sb" policy=default reason=private \
		protocol=tcp dst=10.1.2.3 dport=80
	allowed sb udp-sendto --comm rcct-aududp 192.168.1.1 5000
	udp_pid=$CASE_PID
	expect_record "audited UDP sendto: one sendmsg4 record" \
		"pid=$udp_pid,hook=sendmsg4" type=denial verdict=audit \
		comm=rcct-aududp cgroup="$sb" reason=private protocol=udp \
		dst=192.168.1.1 dport=5000
	allowed sb ping --comm rcct-audping 169.254.169.254
	wait_record "comm=rcct-audping"
	echo "  note: the audited TCP connection left records from hooks:" \
		"$(audit_qlog values hook "pid=$tcp_pid")"
	echo "  note: the audited ping left records from hooks:" \
		"$(audit_qlog values hook "comm=rcct-audping")"
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_log_whole
	expect_result "every record says verdict audit" \
		"$(audit_qlog every verdict=audit)" ok
	expect_reconciled
	expect_gt "status: audited for sb" "$(rcc_status_field sb audited)" 0
	expect_eq "status: denied for sb" "$(rcc_status_field sb denied)" 0
}

# Process names that break naive JSON writers: quotes, backslashes,
# control bytes, bytes >= 0x80 that are not UTF-8, a UTF-8 sequence the
# kernel's 15-byte limit cuts in two, and valid UTF-8.
HOSTILE_COMMS="61225c62
220a7d7b2278223a
5c7530303030095c
1b5b33316d7f08
fffe22800a5c41
c3a974c3a9
6161616161616161616161616161c3a9
e282ac2fc3bf
2c2c2c5d5d7d"

test_audit_hostile_comm() {
	need_rcc || return 1
	rcc_attach sb || return 1
	daemon_start || return 1
	local hex pids=() i=0 lines
	for hex in $HOSTILE_COMMS; do
		refused sb tcp-connect --comm-hex "$hex" 10.1.2.3 80
		pids+=("$CASE_PID")
	done
	for hex in $HOSTILE_COMMS; do
		expect_record "comm bytes $hex: one record, comm/comm_hex exact" \
			"pid=${pids[$i]}" hook=connect4 dst=10.1.2.3 --comm-of "$hex"
		i=$((i + 1))
	done
	daemon_stop
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" "$(wc -w <<<"$HOSTILE_COMMS")"
	# python's json.loads on every line, strictly (no control characters)
	expect "every line parses with json.loads(strict=True) into an object" \
		"$PY" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    assert line.endswith(b"\n"), n
    assert isinstance(json.loads(line.decode("utf-8"), strict=True), dict), n
' "$T_AUDIT_LOG"
	rcc log
	expect_eq "log (table): exit code" "$RCC_RC" 0
	lines=$(printf '%s\n' "$RCC_OUT" | wc -l)
	expect_eq "log (table): one line per record plus the header" "$lines" \
		$(($(wc -w <<<"$HOSTILE_COMMS") + 1))
	rcc log --json
	expect "log --json gives the file's lines unchanged" \
		cmp -s <(printf '%s\n' "$RCC_OUT") "$T_AUDIT_LOG"
}

# flood_run CG COUNT [FLOOD OPTIONS...] ADDR PORT: rcct_flood in the sandbox
# while the daemon runs, its RSS sampled every 0.1 s; the result line
# in FLOOD_RES, the largest RSS (KiB) in FLOOD_RSS_MAX
flood_run() {
	local cg=$1 count=$2 fpid rss
	shift 2
	local args=("$@")
	local addr=${args[-2]} port=${args[-1]}
	unset 'args[-1]' 'args[-1]'
	FLOOD_RSS_MAX=$(rss_kib "$DAEMON_PID")
	RCCT_CMD_TIMEOUT=90 in_sandbox "$cg" "$TOOLS/rcct_flood" --seconds 60 \
		"${args[@]}" "$addr" "$port" "$count" >"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	while ! pid_gone "$fpid"; do
		rss=$(rss_kib "$DAEMON_PID")
		[ "$rss" -gt "$FLOOD_RSS_MAX" ] && FLOOD_RSS_MAX=$rss
		sleep 0.1
	done
	wait "$fpid"
	FLOOD_RES=$(tail -n 1 "$T_DIR/flood.out")
	echo "  flood ${args[*]} $addr $port $count -> $FLOOD_RES"
	echo "  note: daemon RSS peaked at $FLOOD_RSS_MAX KiB during the flood"
}

# flood_field NAME: NAME=VALUE from FLOOD_RES
flood_field() {
	sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$FLOOD_RES"
}

# expect_log_bounded MAX KEEP: each file at most MAX bytes, at most KEEP+1
# files, none beyond PATH.KEEP
expect_log_bounded() {
	local max=$1 keep=$2 f size big=""
	for f in $(audit_files); do
		size=$(stat -c %s "$f")
		echo "      $(basename "$f"): $size bytes"
		[ "$size" -le "$max" ] || big="$big $(basename "$f")($size)"
	done
	expect_eq "log files larger than $max bytes" "${big# }" ""
	expect "at most $((keep + 1)) log files" \
		test "$(audit_files | wc -l)" -le $((keep + 1))
	expect "nothing beyond $(basename "$T_AUDIT_LOG").$keep" \
		test -z "$(find "${T_AUDIT_LOG%/*}" -name "$(basename "$T_AUDIT_LOG").*" |
			awk -F. -v k="$keep" '$NF > k')"
}

FLOOD_COUNT=${RCCT_FLOOD_COUNT:-1000000}
RSS_LIMIT_KIB=$((64 * 1024))

test_audit_flood_reconcile() {
	# A million refused connect()s to one private address, on 1000 ports
	# in turn, the daemon folding them (audit_rate 10 per destination):
	# every denial accounted for, exactly.  keep is large enough that no
	# file rotates away, so the log itself adds up.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 64K
audit_keep = 500"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local calls eperm stats den sup
	capture_mark
	flood_run sb "$FLOOD_COUNT" --comm rcct-flood --ports 1000 10.1.2.3 20000
	expect_result "flood: every connect() refused with EPERM" "$FLOOD_RES" ok
	calls=$(flood_field calls) eperm=$(flood_field eperm)
	expect_eq "flood: calls made" "$calls" "$FLOOD_COUNT"
	echo "  note: flood rate $(flood_field rate) connect()/s"
	expect_not_arrived "flood to 10.1.2.3" 10.1.2.3
	expect "daemon RSS stayed under $((RSS_LIMIT_KIB / 1024)) MiB" \
		test "$FLOOD_RSS_MAX" -lt "$RSS_LIMIT_KIB"
	wait_for 15 audit_reconciled
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_reconciled
	echo "  note: lost (ring full): $AUD_LOST of $AUD_DENIALS"
	expect_eq "denials counted = the flood's refused calls" "$AUD_DENIALS" "$eperm"
	expect "the log rotated (there is a $(basename "$T_AUDIT_LOG").1)" \
		test -e "$T_AUDIT_LOG.1"
	expect_log_bounded 65536 500
	expect_log_whole
	stats=$(audit_qlog stats)
	echo "  log: $stats"
	den=$(sed -n 's/.* denial=\([0-9]*\).*/\1/p' <<<"$stats")
	sup=$(sed -n 's/.* suppressed=\([0-9]*\).*/\1/p' <<<"$stats")
	expect_eq "written = denial records in the log" "$den" "$AUD_WRITTEN"
	expect_eq "folded = sum of suppressed in the summaries" "$sup" "$AUD_FOLDED"
	expect_result "every record is of the flood" \
		"$(audit_qlog every comm=rcct-flood,dst=10.1.2.3,hook=connect4)" ok
	# summaries go out in batches, each stamped with its last folded
	# event: only the denial records are in strict time order
	expect_result "the denial records' times never go back" \
		"$(audit_qlog order type=denial)" ok
	echo "  note: all records in time order? $(audit_qlog order)"
}

test_audit_flood_rotation() {
	# Every event written (audit_rate at its maximum), a small ring and
	# small files: the files stay bounded, the ring overflows into "lost",
	# and the totals still add up.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 64K
audit_keep = 3
audit_rate = 1000000
ring_size = 256K"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local eperm
	capture_mark
	flood_run sb "$FLOOD_COUNT" --comm rcct-flood 10.1.2.3 80
	expect_result "flood: every connect() refused with EPERM" "$FLOOD_RES" ok
	eperm=$(flood_field eperm)
	echo "  note: flood rate $(flood_field rate) connect()/s"
	expect_not_arrived "flood to 10.1.2.3:80" 10.1.2.3 80
	expect "daemon RSS stayed under $((RSS_LIMIT_KIB / 1024)) MiB" \
		test "$FLOOD_RSS_MAX" -lt "$RSS_LIMIT_KIB"
	wait_for 15 audit_reconciled
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	expect_reconciled
	echo "  note: lost (ring full): $AUD_LOST of $AUD_DENIALS"
	expect_eq "denials counted = the flood's refused calls" "$AUD_DENIALS" "$eperm"
	expect "files rotated: $(basename "$T_AUDIT_LOG").3 exists" test -e "$T_AUDIT_LOG.3"
	expect_log_bounded 65536 3
	expect_log_whole
}

# file_larger FILE BYTES
file_larger() {
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ]
}

test_audit_kill9() {
	# kill -9 of the daemon while it writes a flood: the log holds whole
	# lines (at most a cut last one), and a new daemon appends after them
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_rate = 1000000
ring_size = 1M"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local fpid snap=$T_DIR/audit.killed out n tail keep_len size
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-flood \
		--seconds 3 10.1.2.3 80 100000000 >"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	wait_for 5 file_larger "$T_AUDIT_LOG" 2000000
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	echo "  killed the daemon (pid $DAEMON_PID) with SIGKILL at $(stat -c %s "$T_AUDIT_LOG") bytes"
	expect "the flood was still running when the daemon was killed" \
		not pid_gone "$fpid"
	wait "$fpid"
	echo "  flood: $(tail -n 1 "$T_DIR/flood.out")"
	cp "$T_AUDIT_LOG" "$snap"
	out=$(audit_q lines --partial-tail "$snap")
	expect_result "after kill -9: every whole line is JSON" "$out" ok
	n=$(sed -n 's/.*lines=\([0-9]*\).*/\1/p' <<<"$out")
	tail=$(sed -n 's/.*tail=\([0-9]*\).*/\1/p' <<<"$out")
	echo "  note: $n whole lines, a cut last line of ${tail:-?} bytes"
	keep_len=$(($(stat -c %s "$snap") - ${tail:-0}))
	audit_totals
	expect "after kill -9: written + folded + lost <= denials" \
		test $((AUD_WRITTEN + AUD_FOLDED + AUD_LOST)) -le "$AUD_DENIALS"
	expect "after kill -9: written <= records in the log" \
		test "$AUD_WRITTEN" -le "${n:-0}"

	daemon_start || return 1
	refused sb tcp-connect --comm rcct-after 10.1.2.3 443
	wait_record "comm=rcct-after"
	daemon_stop
	expect_eq "restarted daemon: exit code after SIGTERM" "$DAEMON_RC" 0
	size=$(stat -c %s "$T_AUDIT_LOG")
	expect "the restarted daemon kept the $keep_len bytes of whole lines" \
		cmp -s -n "$keep_len" "$snap" "$T_AUDIT_LOG"
	expect "the restarted daemon appended ($size > $keep_len bytes)" \
		test "$size" -gt "$keep_len"
	expect_log_whole
	expect "the new record comes after the old lines" test \
		"$(grep -n '"comm":"rcct-after"' "$T_AUDIT_LOG" | cut -d: -f1)" -gt "${n:-0}"
	if [ "${tail:-0}" -gt 0 ]; then
		expect "the restarted daemon said it dropped the cut line" \
			grep -q "dropped $tail bytes" "$DAEMON_OUT"
	fi
}

test_audit_rotation_follow() {
	# Small files, distinct destinations (nothing folded): the rotated
	# files are there and bounded, `log --json` reads them in order, and
	# `log -f` goes on across a rotation.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 8K
audit_keep = 3"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	daemon_start || return 1
	local fpid res before ino0 ino1 files rc
	res=$(in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-rot1 --ports 100 \
		10.1.2.3 20000 100)
	expect_result "100 refused connects to 100 ports" "$res" ok
	wait_record "comm=rcct-rot1,dport=20099"
	sleep 0.5
	files=$(audit_files)
	echo "  log files: $(echo "$files" | xargs -n1 basename | paste -sd' ')"
	for f in 1 2 3; do
		expect "$(basename "$T_AUDIT_LOG").$f exists" test -e "$T_AUDIT_LOG.$f"
	done
	expect_log_bounded 8192 3
	expect_log_whole
	# shellcheck disable=SC2086
	echo "  note: $(audit_q count comm=rcct-rot1 $files | cut -d' ' -f2) of 100 records still in the files"
	rcc log --json
	expect_eq "log --json: exit code" "$RCC_RC" 0
	# shellcheck disable=SC2086
	expect "log --json = the files' lines, oldest file first" \
		cmp -s <(printf '%s\n' "$RCC_OUT") <(cat $files)
	printf '%s\n' "$RCC_OUT" >"$T_DIR/log.json"
	expect_result "log --json: times in order" "$(audit_q order "$T_DIR/log.json")" ok

	# log -f from now on; a slow second batch crosses a rotation
	before=$(printf '%s\n' "$RCC_OUT" | wc -l)
	timeout --foreground -k 2 40 "$RCC" -c "$T_CONF" log -f --json </dev/null \
		>"$T_DIR/follow.out" 2>"$T_DIR/follow.err" &
	fpid=$!
	remember_pid "$fpid"
	wait_for 5 lines_ge "$T_DIR/follow.out" "$before"
	expect_eq "log -f printed the existing records first" \
		"$(wc -l <"$T_DIR/follow.out")" "$before"
	ino0=$(stat -c %i "$T_AUDIT_LOG")
	res=$(in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-rot2 --ports 40 \
		--every-us 100000 10.1.2.3 21000 40)
	expect_result "40 refused connects, 0.1 s apart" "$res" ok
	wait_for 10 audit_has_file comm=rcct-rot2 40 "$T_DIR/follow.out"
	ino1=$(stat -c %i "$T_AUDIT_LOG")
	expect "the log rotated while log -f ran (inode $ino0 -> $ino1)" \
		test "$ino0" != "$ino1"
	kill -TERM "$fpid"
	wait "$fpid"
	rc=$?
	expect_eq "log -f: exit code after SIGTERM" "$rc" 0
	sed 's/^/      follow stderr: /' "$T_DIR/follow.err"
	expect_result "log -f output: whole JSON lines" \
		"$(audit_q lines "$T_DIR/follow.out")" ok
	expect_eq "log -f: the 40 new records, each once" \
		"$(audit_q count comm=rcct-rot2 "$T_DIR/follow.out")" "ok 40"
	expect_eq "log -f: the 40 new ports in order" \
		"$(audit_q values dport comm=rcct-rot2 "$T_DIR/follow.out")" \
		"ok $(seq 21000 21039 | paste -sd,)"
	expect_result "log -f output: times in order" \
		"$(audit_q order type=denial "$T_DIR/follow.out")" ok
	expect_eq "log -f output: no summaries (nothing folded)" \
		"$(audit_q count type=summary "$T_DIR/follow.out")" "ok 0"
	grep -h '"type":"summary"' "$T_DIR/follow.out" | sed 's/^/      summary: /'
	daemon_stop
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	audit_totals
	expect_eq "nothing folded" "$AUD_FOLDED" 0
	expect_log_bounded 8192 3
}

# lines_ge FILE N: FILE has at least N lines
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# audit_has_file SEL N FILE: FILE has at least N records matching SEL
audit_has_file() {
	local out
	out=$(audit_q count "$1" "$3" 2>/dev/null)
	[ "${out#ok }" -ge "$2" ] 2>/dev/null
}

# log_comms ARGS...: `log --json ARGS`; the comm of each record, sorted
log_comms() {
	rcc log --json "$@" >/dev/null
	[ "$RCC_RC" = 0 ] || { echo "exit $RCC_RC"; return; }
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
print(",".join(sorted(json.loads(l)["comm"] for l in sys.stdin if l.strip())))'
}

test_audit_log_filters() {
	need_rcc || return 1
	local sb child ctr rel mid all
	cg_make sb/child
	cg_make sbx-ctr-abc123def
	sb=$(cg_path sb) child=$(cg_path sb/child) ctr=$(cg_path sbx-ctr-abc123def)
	rel=${sb#"$CG2"/}
	rcc_attach sb || return 1
	rcc_attach sbx-ctr-abc123def || return 1
	daemon_start || return 1
	rcc log
	refused sb tcp-connect --comm rcct-f1 10.1.2.3 80
	refused sb udp-sendto --comm rcct-f2 192.168.1.1 5000
	wait_record comm=rcct-f2
	sleep 1.1
	mid=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	refused sbx-ctr-abc123def tcp-connect --comm rcct-f3 172.16.5.5 80
	refused sbx-ctr-abc123def tcp-connect --comm rcct-f4 fd12:3456:789a::10 80
	refused sb/child tcp-connect --comm rcct-f5 169.254.169.254 80
	wait_record comm=rcct-f5
	daemon_stop
	all=rcct-f1,rcct-f2,rcct-f3,rcct-f4,rcct-f5
	expect_eq "log --json: everything" "$(log_comms)" "$all"
	expect_eq "--cgroup SB (absolute): it and below" "$(log_comms --cgroup "$sb")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB (relative to the mount)" "$(log_comms --cgroup "$rel")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB/ (trailing slash)" "$(log_comms --cgroup "$sb/")" \
		rcct-f1,rcct-f2,rcct-f5
	expect_eq "--cgroup SB/child" "$(log_comms --cgroup "$child")" rcct-f5
	expect_eq "--cgroup of the sibling sbx-...: not sb" "$(log_comms --cgroup "$ctr")" \
		rcct-f3,rcct-f4
	expect_eq "--cgroup of the test's root: all" "$(log_comms --cgroup "$T_CG")" "$all"
	expect_eq "--cgroup of a cgroup that never was" \
		"$(log_comms --cgroup "$T_CG/nothere")" ""
	expect_eq "--dst 10.0.0.0/8" "$(log_comms --dst 10.0.0.0/8)" rcct-f1
	expect_eq "--dst 192.168.1.1" "$(log_comms --dst 192.168.1.1)" rcct-f2
	expect_eq "--dst 172.16.0.0/12" "$(log_comms --dst 172.16.0.0/12)" rcct-f3
	expect_eq "--dst fd00::/8" "$(log_comms --dst fd00::/8)" rcct-f4
	expect_eq "--dst fd12:3456:789a::10" "$(log_comms --dst fd12:3456:789a::10)" rcct-f4
	expect_eq "--dst 169.254.169.254/32" "$(log_comms --dst 169.254.169.254/32)" rcct-f5
	expect_eq "--dst 0.0.0.0/0: every IPv4 destination" \
		"$(log_comms --dst 0.0.0.0/0)" rcct-f1,rcct-f2,rcct-f3,rcct-f5
	expect_eq "--dst 203.0.113.0/24: none" "$(log_comms --dst 203.0.113.0/24)" ""
	expect_eq "--since 1h: everything" "$(log_comms --since 1h)" "$all"
	expect_eq "--since 10m: everything" "$(log_comms --since 10m)" "$all"
	expect_eq "--since 2099-01-01T00:00:00Z: nothing" \
		"$(log_comms --since 2099-01-01T00:00:00Z)" ""
	expect_eq "--since an hour ahead: nothing" \
		"$(log_comms --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)")" ""
	expect_eq "--since $mid: the later three" "$(log_comms --since "$mid")" \
		rcct-f3,rcct-f4,rcct-f5
	expect_eq "--container abc123 (cgroup path substring)" \
		"$(log_comms --container abc123)" rcct-f3,rcct-f4
	expect_eq "--container with no match" "$(log_comms --container nomatch999)" ""
	expect_eq "--container abc123 --dst 172.16.0.0/12" \
		"$(log_comms --container abc123 --dst 172.16.0.0/12)" rcct-f3
	expect_eq "--cgroup SB --since $mid" "$(log_comms --cgroup "$sb" --since "$mid")" rcct-f5
	rcc log --json --dst 10.0.0.0/8
	expect "--json prints the record's line as it is in the file" \
		grep -qxF -- "$RCC_OUT" "$T_AUDIT_LOG"
	rcc log --container abc123
	expect_eq "table: exit code" "$RCC_RC" 0
	expect_eq "table: header plus two rows" "$(printf '%s\n' "$RCC_OUT" | wc -l)" 3
	expect "table: the header" grep -q "^TIME.*DESTINATION" <<<"$RCC_OUT"
	expect "table: the row of rcct-f3 (pid/comm, destination)" \
		grep -qE "[0-9]+/rcct-f3 +172\.16\.5\.5:80 " <<<"$RCC_OUT"
	expect "table: the row of rcct-f4 ([v6]:port)" \
		grep -qE "/rcct-f4 +\[fd12:3456:789a::10\]:80 " <<<"$RCC_OUT"
	rcc log --dst not-an-address
	expect_eq "--dst not-an-address: exit code" "$RCC_RC" 2
	rcc log --since yesterday
	expect_eq "--since yesterday: exit code" "$RCC_RC" 2
}

test_audit_one_consumer() {
	need_rcc || return 1
	rcc_attach sb || return 1
	local lpid rc
	rcc log
	expect_eq "log before any daemon wrote: exit code" "$RCC_RC" 1
	daemon_start || return 1
	rcc daemon
	expect_eq "a second daemon while one runs: exit code" "$RCC_RC" 1
	expect "it names the other consumer" grep -q "another rcc-bpf daemon answers on" <<<"$RCC_OUT"
	refused sb tcp-connect --comm rcct-d1 10.1.2.3 80
	wait_record comm=rcct-d1
	daemon_stop
	expect_eq "the first daemon: exit code after SIGTERM" "$DAEMON_RC" 0

	# no daemon: log -f reads the ring itself, and writes the log too
	timeout --foreground -k 2 40 "$RCC" -c "$T_CONF" log -f --json </dev/null \
		>"$T_DIR/follow.out" 2>"$T_DIR/follow.err" &
	lpid=$!
	remember_pid "$lpid"
	expect "log -f says it reads the events itself" \
		wait_for 5 grep -q "no daemon is running" "$T_DIR/follow.err"
	rcc daemon
	expect_eq "a daemon while log -f consumes: exit code" "$RCC_RC" 1
	refused sb tcp-connect --comm rcct-lf 10.1.2.3 80
	refused sb udp-sendto --comm rcct-lf2 fd12:3456:789a::10 5000
	expect_record "log -f wrote the record to the log file" "pid=$CASE_PID" \
		comm=rcct-lf2 hook=sendmsg6 dst=fd12:3456:789a::10
	expect "log -f printed the new records" \
		wait_for 5 audit_has_file "comm=rcct-lf2" 1 "$T_DIR/follow.out"
	expect_eq "log -f printed the old record too" \
		"$(audit_q count comm=rcct-d1 "$T_DIR/follow.out")" "ok 1"
	expect_eq "log -f printed rcct-lf once" \
		"$(audit_q count comm=rcct-lf "$T_DIR/follow.out")" "ok 1"
	kill -TERM "$lpid"
	wait "$lpid"
	rc=$?
	expect_eq "log -f: exit code after SIGTERM" "$rc" 0
	sed 's/^/      follow stderr: /' "$T_DIR/follow.err"
	expect_result "log -f output: whole JSON lines" \
		"$(audit_q lines "$T_DIR/follow.out")" ok
	expect_log_whole
	expect_eq "records in the log" "$(audit_count -)" 3
	expect_reconciled
	# the ring is free again
	daemon_start || return 1
	daemon_stop
	expect_eq "a daemon after log -f ended: exit code" "$DAEMON_RC" 0
}

test_audit_flood_responsive() {
	# A sandboxed process cycling through many destinations (each a key
	# of its own, so most events are written, not folded) outruns the
	# daemon.  With the default rate and ring, the daemon must still
	# tick and answer SIGTERM while the flood goes on.  Small files keep
	# the disk use bounded.
	need_rcc || return 1
	need_tool rcct_flood || return 1
	T_GLOBAL="audit_max_bytes = 1M
audit_keep = 2"
	conf_write <<<"[policy default]"
	rcc_attach sb || return 1
	local fpid t0 t1 i last=-1 tl now gap maxgap=0 cpu=()
	# daemon and flood on CPUs of their own: neither waits for the other
	if [ "$(nproc)" -ge 2 ]; then
		cpu=(--cpu 1)
		DAEMON_CPU=0 daemon_start || return 1
	else
		echo "  note: one CPU: daemon and flood share it"
		daemon_start || return 1
	fi
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$TOOLS/rcct_flood" --comm rcct-flood \
		--seconds 10 "${cpu[@]}" --ports 60000 10.1.2.3 1024 100000000 \
		>"$T_DIR/flood.out" 2>&1 &
	fpid=$!
	# the longest the totals in status stood still (the daemon ticks
	# every 200 ms)
	tl=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8; do
		sleep 0.25
		audit_totals >/dev/null
		now=$(date +%s%N)
		if [ "$AUD_WRITTEN" != "$last" ]; then
			gap=$(((now - tl) / 1000000))
			[ "$gap" -gt "$maxgap" ] && maxgap=$gap
			tl=$now last=$AUD_WRITTEN
		fi
	done
	gap=$((($(date +%s%N) - tl) / 1000000))
	[ "$gap" -gt "$maxgap" ] && maxgap=$gap
	audit_totals
	echo "  note: during the flood, status totals stood still for up to $maxgap ms"
	t0=$(date +%s%N)
	kill -TERM "$DAEMON_PID"
	wait_for 3 pid_gone "$DAEMON_PID"
	t1=$(date +%s%N)
	expect "the flood was still running at SIGTERM" not pid_gone "$fpid"
	if pid_gone "$DAEMON_PID"; then
		pass_check "SIGTERM during the flood: the daemon stopped in $(((t1 - t0) / 1000000)) ms"
	else
		fail_check "SIGTERM during the flood: the daemon still runs $(((t1 - t0) / 1000000)) ms later"
	fi
	wait "$fpid"
	echo "  flood: $(tail -n 1 "$T_DIR/flood.out")"
	# no second SIGTERM: one that arrives while the daemon drains kills it
	daemon_wait 20
	t1=$(date +%s%N)
	[ "$DAEMON_RC" = running ] && daemon_stop
	echo "  note: the daemon was gone $(((t1 - t0) / 1000000)) ms after SIGTERM (the flood ended $(($(flood_ms) / 1000)) s after it started)"
	expect_eq "daemon exit code after SIGTERM" "$DAEMON_RC" 0
	# what the flood added after the daemon stopped waits in the ring
	audit_totals
	echo "  note: $((AUD_DENIALS - AUD_WRITTEN - AUD_FOLDED - AUD_LOST)) events left in the ring; a new daemon reads them"
	daemon_start || return 1
	wait_for 20 audit_reconciled
	daemon_stop
	expect_reconciled
	expect_log_bounded $((1024 * 1024)) 2
	expect_log_whole
}

flood_ms() {
	sed -n 's/.* ms=\([0-9]*\).*/\1/p' "$T_DIR/flood.out"
}
