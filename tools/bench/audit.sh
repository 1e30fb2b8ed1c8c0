# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The audit pipeline under a denial flood: sourced by tools/bench/run.sh,
# which has made the sandbox netns, $CGROOT, $PINROOT and $WORK, and whose
# cleanup ends $AUDIT_DPID and $AUDIT_PERF_PIDS.
#
# One run (audit_run): a fresh cgroup and pin dir (ring_size applies when
# the pin dir is made) with the default policy, so 10.64.0.1 is a private
# address: every connect() to it is EPERM at the connect hook, and no packet
# is made.  `rcc-bpf daemon` runs pinned to one CPU, writing the log to a
# temp dir on disk; auditflood, pinned to the other CPU in the sandbox
# netns and in the cgroup, connect()s flat out for a fixed time.  Then:
#   daemon CPU    utime+stime (/proc/PID/stat), from the flood's start until
#                 the daemon has read everything (status: written + folded
#                 + lost = denials; it adds its counts every 200 ms)
#   reconcile     after SIGTERM: written + folded + lost = denials = the
#                 flooder's EPERMs; the log holds `written` denial records
#                 and summaries whose "suppressed" add up to `folded`
# One line per run goes to $AUDIT_RESULTS ("KIND key=value ..."), which
# connbench turns into the report's audit section.

AUDIT_DPID=
AUDIT_PERF_PIDS=
AUDIT_PORT=4343
AUDIT_LOG_MAX=256M	# audit_max_bytes; with audit_keep = 3, at most ~1 GB on disk
AUDIT_LOG_KEEP=3
CLK_TCK=$(getconf CLK_TCK)

# CPUs: the flooder on $CPU (connbench's), the daemon on another one.
audit_cpus() {
	AUDIT_FCPU=$CPU
	AUDIT_DCPU=0
	[ "$AUDIT_FCPU" = 0 ] && AUDIT_DCPU=1
	return 0
}

# utime + stime of a process, in clock ticks (fields 14 and 15; the name
# in field 2 may hold blanks, so count from the ")")
proc_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}

# on-CPU ns of the process's main thread, for a finer cross-check
proc_ns() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }

# ticks of all CPUs (/proc/stat): in processes (user nice system), in
# interrupts (irq softirq: the ring's wake-ups among them), stolen by the
# host; to see what else ran during a flood
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4, $7 + $8, $9 }' /proc/stat; }

# status --json's .audit of CONF into T_D (denials) T_W (written) T_F
# (folded) T_L (lost)
audit_totals() {
	local s
	s=$("$RCC" -c "$1" status --json | jq -r '.audit | "\(.denials) \(.written) \(.folded) \(.lost)"') ||
		die "rcc-bpf -c $1 status --json failed"
	read -r T_D T_W T_F T_L <<<"$s"
	case "$T_D$T_W$T_F$T_L" in
	"" | *[!0-9]*) die "rcc-bpf status --json: no audit totals in '$s'" ;;
	esac
}

audit_conf() { # FILE PIN_DIR LOG RING RATE
	cat >"$1" <<-EOF
	[global]
	pin_dir = $2
	audit_log = $3
	ring_size = $4
	audit_rate = $5
	audit_max_bytes = $AUDIT_LOG_MAX
	audit_keep = $AUDIT_LOG_KEEP
	max_cgroups = 16
	max_port_entries = 16
	max_address_entries = 16
	max_prefix_entries = 1024

	# the defaults: the private ranges (10.64.0.1 among them) are denied
	[policy bench]
	EOF
}

# Stops the daemon with SIGTERM (it drains the ring, then exits); its exit
# status in AUDIT_DRC (124: it had to be killed after 30 s).
audit_stop_daemon() {
	local i
	AUDIT_DRC=0
	[ -n "$AUDIT_DPID" ] || return 0
	kill -TERM "$AUDIT_DPID" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		kill -0 "$AUDIT_DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$AUDIT_DPID" 2>/dev/null; then
		log "daemon $AUDIT_DPID did not stop in 30 s after SIGTERM: killing it"
		kill -KILL "$AUDIT_DPID" 2>/dev/null || true
		wait "$AUDIT_DPID" 2>/dev/null || true
		AUDIT_DRC=124
	else
		wait "$AUDIT_DPID" 2>/dev/null || AUDIT_DRC=$?
	fi
	AUDIT_DPID=
}

# audit_run NAME RING RATE SECONDS [alone]
# RATE "-" with "alone": no daemon at all (the flooder's own rate).
# Sets A_* and appends a line to $AUDIT_RESULTS; dies only when the
# set-up fails or the flooder sees something other than EPERM.
audit_run() {
	local name=$1 ring=$2 rate=$3 secs=$4 alone=${5:-}
	local dir=$WORK/$name cg=$CGROOT/$name pin=$PINROOT/$name
	local conf=$dir/rcc.conf logf=$dir/log/audit.jsonl
	local c0 c1 cm n0 n1 out i d0 w0 f0 l0 files prof
	local tend b0 b1 q0 q1 s0 s1

	mkdir -p "$dir"
	mkdir "$cg"
	audit_conf "$conf" "$pin" "$logf" "$ring" "${rate/-/10}"
	"$RCC" -c "$conf" attach --cgroup "$cg" --policy bench >/dev/null ||
		die "rcc-bpf attach failed for $name"
	AUDIT_DPID=
	if [ -z "$alone" ]; then
		taskset -c "$AUDIT_DCPU" "$RCC" -c "$conf" daemon 2>"$dir/daemon.err" &
		AUDIT_DPID=$!
		daemon_wait_running "$AUDIT_DPID" "$dir/daemon.err" ||
			die "rcc-bpf daemon did not start for $name: $(cat "$dir/daemon.err")"
	fi
	audit_totals "$conf"
	d0=$T_D w0=$T_W f0=$T_F l0=$T_L
	prof=
	if [ -n "$AUDIT_DPID" ] && [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$MODE" != sanity ] &&
		command -v perf >/dev/null; then
		# the daemon, and the flooder's CPU (where the BPF side runs)
		# (dwarf: rcc-bpf keeps no frame pointers)
		prof=$OUT/audit-profile-${name#audit-}
		perf record -q --call-graph dwarf,16384 -F 499 -o "$dir/daemon.perf" \
			-p "$AUDIT_DPID" -- sleep "$secs" \
			>/dev/null 2>&1 &
		AUDIT_PERF_PIDS="$!"
		perf record -q -g -F 999 -o "$dir/flooder.perf" -C "$AUDIT_FCPU" -- sleep "$secs" \
			>/dev/null 2>&1 &
		AUDIT_PERF_PIDS+=" $!"
	fi
	c0=0 cm=0
	if [ -n "$AUDIT_DPID" ]; then
		c0=$(proc_ticks "$AUDIT_DPID")
		n0=$(proc_ns "$AUDIT_DPID")
	fi
	read -r b0 q0 s0 <<<"$(cpu_busy)"
	out=$(timeout $((${secs%.*} + 20)) nsenter --net="/run/netns/$NS_SB" "$AF" \
		--procs "$cg/cgroup.procs" --cpu "$AUDIT_FCPU" --seconds "$secs" --port "$AUDIT_PORT") ||
		die "auditflood failed in $name (exit $?): ${out:-no output}"
	tend=$EPOCHREALTIME
	read -r b1 q1 s1 <<<"$(cpu_busy)"
	[ -n "$AUDIT_DPID" ] && cm=$(proc_ticks "$AUDIT_DPID")
	A_EPERM=$(sed -n 's/.* eperm=\([0-9]*\) .*/\1/p' <<<"$out")
	A_SECS=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' <<<"$out")
	A_FCPU=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")
	# what else kept the CPUs busy during the flood: all process ticks
	# but the flooder's and the daemon's (a benchmark on a shared machine)
	A_OTHER=$(awk -v b=$((b1 - b0)) -v d=$((cm - c0)) -v f="${A_FCPU:-0}" -v h="$CLK_TCK" \
		'BEGIN { o = b - d - f * h; printf "%d", o < 0 ? 0 : o }')
	A_STEAL=$((s1 - s0)) A_IRQ=$((q1 - q0))
	if [ -z "$A_EPERM" ] || [ -z "$A_SECS" ]; then
		die "auditflood said '$out'"
	fi

	A_CATCHUP=0 A_CPU_TICKS=0 A_CPU_NS=0 AUDIT_DRC=0
	if [ -n "$AUDIT_DPID" ]; then
		# read everything? (the daemon adds its counts every 200 ms)
		for ((i = 0; i < 300; i++)); do
			audit_totals "$conf"
			[ $((T_W + T_F + T_L)) -ge "$T_D" ] && break
			sleep 0.1
		done
		A_CATCHUP=$(awk -v a="$tend" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
		c1=$(proc_ticks "$AUDIT_DPID")
		n1=$(proc_ns "$AUDIT_DPID")
		A_CPU_TICKS=$((c1 - c0))
		A_CPU_NS=$((n1 - n0))
		if [ -n "$prof" ]; then
			# shellcheck disable=SC2086 # one pid per word
			wait $AUDIT_PERF_PIDS 2>/dev/null || true
			AUDIT_PERF_PIDS=
			{
				echo "# self time"
				perf report -q -i "$dir/daemon.perf" --stdio --no-children \
					--sort dso,sym -g none --percent-limit 1
				echo "# with callees (children)"
				perf report -q -i "$dir/daemon.perf" --stdio --children \
					--sort sym -g none --percent-limit 3
			} >"$prof-daemon.txt" 2>/dev/null
			perf report -q -i "$dir/flooder.perf" --stdio --no-children --sort comm,dso,sym \
				-g caller,0.5,callee --percent-limit 5 >"$prof-flooder-cpu.txt" 2>/dev/null
			log "$name: profiles in $prof-daemon.txt, $prof-flooder-cpu.txt"
		fi
		audit_stop_daemon
	fi
	audit_totals "$conf"
	A_D=$((T_D - d0)) A_W=$((T_W - w0)) A_F=$((T_F - f0)) A_L=$((T_L - l0))
	# the log: denial records, and the summaries' "suppressed"
	files=("$logf"*)
	A_LOG_COMPLETE=1
	[ -e "$logf.$AUDIT_LOG_KEEP" ] && A_LOG_COMPLETE=0 # older files may have gone
	A_LOG_BYTES=0 A_LOG_DENIALS=0 A_LOG_SUPPRESSED=0 A_LOG_SAMPLE=
	if [ -e "${files[0]}" ]; then
		A_LOG_BYTES=$(cat "${files[@]}" | wc -c)
		A_LOG_DENIALS=$(cat "${files[@]}" | grep -c '"type":"denial"' || true)
		A_LOG_SUPPRESSED=$({ grep -h '"type":"summary"' "${files[@]}" || true; } |
			sed -n 's/.*"suppressed":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
		A_LOG_SAMPLE=$(grep -m1 -h '"type":"denial"' "${files[@]}" || true)
	fi
	A_RECONCILED=0
	if [ -z "$alone" ] && [ "$A_D" = "$A_EPERM" ] && [ $((A_W + A_F + A_L)) = "$A_D" ] &&
		[ "$AUDIT_DRC" = 0 ] &&
		{ [ "$A_LOG_COMPLETE" = 0 ] ||
			{ [ "$A_LOG_DENIALS" = "$A_W" ] && [ "$A_LOG_SUPPRESSED" = "$A_F" ]; }; }; then
		A_RECONCILED=1
	fi
	echo "${alone:-run} ring=$(numfmt --from=iec "$ring") rate=${rate/-/0} seconds=$A_SECS" \
		"denials_flooder=$A_EPERM denials=$A_D written=$A_W folded=$A_F lost=$A_L" \
		"cpu_ticks=$A_CPU_TICKS clk_tck=$CLK_TCK cpu_ns_schedstat=$A_CPU_NS catchup_s=$A_CATCHUP" \
		"flooder_cpu_s=${A_FCPU:-0} other_busy_ticks=$A_OTHER irq_ticks=$A_IRQ steal_ticks=$A_STEAL" \
		"daemon_exit=$AUDIT_DRC log_bytes=$A_LOG_BYTES log_denials=$A_LOG_DENIALS" \
		"log_suppressed=$A_LOG_SUPPRESSED log_complete=$A_LOG_COMPLETE reconciled=$A_RECONCILED" \
		>>"$AUDIT_RESULTS"
	log "$name: $A_EPERM denials in $A_SECS s; read $((A_W + A_F)) (written $A_W, folded $A_F), lost $A_L;" \
		"daemon $(awk -v t="$A_CPU_TICKS" -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }') s CPU," \
		"caught up ${A_CATCHUP} s after; exit $AUDIT_DRC; log ${A_LOG_DENIALS} denial lines," \
		"${A_LOG_SUPPRESSED} suppressed; reconciled $A_RECONCILED;" \
		"others busy $(awk -v t="$A_OTHER" -v h="$CLK_TCK" -v s="$A_SECS" 'BEGIN { printf "%.2f", t / h / s }') cores"
	# the log can be a GB: gone before the next run
	rm -rf "$dir/log" "$dir"/*.perf
	rm -rf "$pin"
	rmdir "$cg" 2>/dev/null || log "could not remove cgroup $cg"
}

# make bench: the flooder alone, then each RING:AUDIT_RATE of
# $BENCH_AUDIT_RUNS: the default ring (8M) and a small one (256K), each
# with the default audit_rate (10: a flood folds into summaries) and the
# highest (every event written, the daemon's worst case); and a ring no
# bigger than the wake-up threshold (64 KiB, RCC_RING_WAKEUP_BYTES).
audit_bench() {
	local secs=${BENCH_AUDIT_SECONDS:-10} plan r t0=$SECONDS
	[ "$MODE" = quick ] && secs=${BENCH_AUDIT_SECONDS:-4}
	IFS=, read -r -a plan <<<"${BENCH_AUDIT_RUNS:-8M:10,8M:1000000,256K:10,256K:1000000,64K:10}"
	AUDIT_RESULTS=$WORK/audit.results
	: >"$AUDIT_RESULTS"
	audit_cpus
	log "audit: flooder on CPU $AUDIT_FCPU, daemon on CPU $AUDIT_DCPU, ${secs} s per run;" \
		"ring:audit_rate ${plan[*]}"
	# no consumer and a 4 KiB ring: every reserve but the first few fails
	audit_run audit-alone 4K - 2 alone
	for r in "${plan[@]}"; do
		case $r in
		*:*) audit_run "audit-${r%%:*}-${r#*:}" "${r%%:*}" "${r#*:}" "$secs" ;;
		*) die "BENCH_AUDIT_RUNS: '$r' is not RING:AUDIT_RATE" ;;
		esac
	done
	log "audit: done in $((SECONDS - t0)) s"
}

# --sanity: a short flood reaches the log, and the totals add up.
# Prints one "ok"/"FAIL" line; returns non-zero on failure.
audit_sanity() {
	local bad=
	AUDIT_RESULTS=$WORK/audit.results
	: >"$AUDIT_RESULTS"
	audit_cpus
	audit_run audit-sanity 256K 10 0.5
	[ "$A_EPERM" -gt 0 ] || bad+=" no denial made;"
	[ "$A_D" = "$A_EPERM" ] || bad+=" kernel counted $A_D denials, the flooder $A_EPERM;"
	[ $((A_W + A_F + A_L)) = "$A_D" ] ||
		bad+=" written $A_W + folded $A_F + lost $A_L != denials $A_D;"
	[ "$A_W" -gt 0 ] || bad+=" nothing written;"
	[ "$A_LOG_DENIALS" = "$A_W" ] || bad+=" log has $A_LOG_DENIALS denial records, written says $A_W;"
	[ "$A_LOG_SUPPRESSED" = "$A_F" ] || bad+=" log summaries suppress $A_LOG_SUPPRESSED, folded says $A_F;"
	[ "$AUDIT_DRC" = 0 ] || bad+=" daemon exit $AUDIT_DRC;"
	case $A_LOG_SAMPLE in
	*'"dst":"10.64.0.1"'*'"dport":'"$AUDIT_PORT"*) ;;
	*) bad+=" first denial record is not for 10.64.0.1:$AUDIT_PORT: ${A_LOG_SAMPLE:-none};" ;;
	esac
	if [ -z "$bad" ]; then
		echo "  ok   audit: $A_D denials in ${A_SECS} s = $A_W written + $A_F folded + $A_L lost; the log holds them" >&2
		return 0
	fi
	echo "  FAIL audit:$bad" >&2
	return 1
}
