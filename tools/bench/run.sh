#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What rcc-bpf costs a connect(), how long a 1,000,000-entry policy takes
# to load, what the audit pipeline (ring + `rcc-bpf daemon`) sustains
# under a flood of denials, what hostname refreshes cost, what the DNS
# proxy adds to a query, and rcc-bpf beside nftables and iptables.  Called
# by `make bench` (root).
#
#   tools/bench/run.sh            full run (about 7 minutes on 2 cores)
#   BENCH_QUICK=1 tools/bench/run.sh     about 2 minutes, rougher figures
#   tools/bench/run.sh --sanity   tiny sizes: every configuration must filter,
#                                 a short flood of denials must reach the
#                                 audit log, and 50 queries through each DNS
#                                 proxy must be answered, each address
#                                 allowed before its reply (exit non-zero if
#                                 not); for make check
#
# Output: a Markdown report on stdout, build/bench/report.md and
# build/bench/report.json (--sanity: under build/bench/sanity/).
#
# Knobs (environment): RCC (binary, default build/rcc-bpf), BENCH_SIZES
# (default 10,10000,1000000), BENCH_ROUNDS, BENCH_BATCH, BENCH_STATS_ROUNDS,
# BENCH_LOAD_RUNS, BENCH_CPU, BENCH_PROFILE=1 (perf record one 1M attach
# into build/bench/attach-profile.txt, when perf is installed),
# BENCH_KEEP=1 (leave the environment up and print its names).
# The comparison with nftables and iptables (tools/bench/compare.sh,
# cmpbench.c): BENCH_COMPARE=0 skips it; BENCH_CMP_SIZES (default
# 10,1000,10000,1000000, quick 10,1000,10000), BENCH_CMP_ROUNDS (300, quick
# 60).  Hostname refreshes (dnsbench.c): BENCH_DNS_ENTRIES (100000).
# The DNS proxy (tools/bench/dnsproxy.sh, dnsload.c): added latency and
# throughput against dnsmasq asked directly, the kernel insert time, and
# replies sent before their insert; BENCH_DNS_PROXY=0 skips it;
# BENCH_DNS_QUERIES (a configuration, default 20000, quick 3000),
# BENCH_DNS_ROUNDS (8, quick 3), BENCH_DNS_DEPTH (queries in flight when
# pipelined, 32), BENCH_DNS_RUN=0 leaves out `rcc-bpf run`'s proxy.
# BENCH_ONLY=dnsproxy runs that part alone (with --sanity too; about 40 s,
# quick 25 s): its report becomes build/bench/report.md and report.json.
# The audit part (tools/bench/audit.sh): BENCH_AUDIT=0 skips it;
# BENCH_AUDIT_SECONDS (flood per run, default 10, quick 4),
# BENCH_AUDIT_RUNS (RING:AUDIT_RATE,..., default
# 8M:10,8M:1000000,256K:10,256K:1000000,64K:10); BENCH_PROFILE=1 also
# records the daemon and the flooder's CPU with perf into
# build/bench/audit-profile-*.
#
# Network safety: traffic stays between two network namespaces made here,
# sandbox SB and world W, joined by one veth pair.  SB routes only the test
# prefixes 10.64.0.0/12 and 2001:db8:1::/64 to W, which answers for them as
# a whole (`local` routes) with RSTs.  No default route, nothing else.
# The audit flood's connect()s are refused by the connect hook (EPERM)
# inside the sandbox: they make no packet at all.  The DNS part's dnsmasq
# listens on W's 198.51.100.2:53 only; the proxy asks it from SB.
# Everything made here carries "rccbench-$$" and goes on exit, the
# daemons and dnsmasq (ended by their pids) first.

set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RCC=${RCC:-$ROOT/build/rcc-bpf}

MODE=full
case ${1:-} in
--sanity) MODE=sanity ;;
"") [ "${BENCH_QUICK:-0}" = 1 ] && MODE=quick ;;
-h|--help) sed -n '3,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: $0 [--sanity]" >&2; exit 2 ;;
esac

# Sizes and round counts per mode.  A round is one timed batch per row of
# the report: 24 batches with 3 sizes, 35-70 ms here; the full run's
# timing takes about 4 minutes, loading the 1M policies 5 times ~30 s.
case $MODE in
full)
	SIZES=${BENCH_SIZES:-10,10000,1000000}
	ROUNDS=${BENCH_ROUNDS:-4000} BATCH=${BENCH_BATCH:-250}
	STATS_ROUNDS=${BENCH_STATS_ROUNDS:-300} LOAD_RUNS=${BENCH_LOAD_RUNS:-5}
	OUT=$ROOT/build/bench TIME_LIMIT=900
	CMP_SIZES=${BENCH_CMP_SIZES:-10,1000,10000,1000000} CMP_ROUNDS=${BENCH_CMP_ROUNDS:-300} ;;
quick)
	SIZES=${BENCH_SIZES:-10,10000,1000000}
	ROUNDS=${BENCH_ROUNDS:-600} BATCH=${BENCH_BATCH:-200}
	STATS_ROUNDS=${BENCH_STATS_ROUNDS:-50} LOAD_RUNS=${BENCH_LOAD_RUNS:-1}
	OUT=$ROOT/build/bench TIME_LIMIT=300
	CMP_SIZES=${BENCH_CMP_SIZES:-10,1000,10000} CMP_ROUNDS=${BENCH_CMP_ROUNDS:-60} ;;
sanity)
	SIZES=${BENCH_SIZES:-10,100}
	ROUNDS=3 BATCH=20 STATS_ROUNDS=1 LOAD_RUNS=1
	OUT=$ROOT/build/bench/sanity TIME_LIMIT=120
	CMP_SIZES=10,100 CMP_ROUNDS=3 ;;
esac
WARMUP=20
FAMILIES=4,6

ID=rccbench-$$
NS_SB=$ID-sb
NS_W=$ID-w
PINROOT=/sys/fs/bpf/$ID
WORK=
CGROOT=
BENCH_PID=
STATS_SYSCTL=/proc/sys/kernel/bpf_stats_enabled
STATS_ORIG=

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
pow2() { local n=16; while [ "$n" -lt "$1" ]; do n=$((n * 2)); done; echo $n; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'; }
# daemon_wait_running PID STDERR: until `rcc-bpf daemon` PID says it runs
# (5 s at most); non-zero if it never did
daemon_wait_running() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qs 'daemon running' "$2" && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	grep -qs 'daemon running' "$2"
}

# ------------------------------------------------------------ cleanup

cleanup() {
	local rc=$? d
	trap - EXIT INT TERM
	set +e
	if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
		kill "$BENCH_PID" 2>/dev/null || true
		wait "$BENCH_PID" 2>/dev/null || true
	fi
	compare_cleanup
	declare -F dnsp_cleanup >/dev/null && dnsp_cleanup
	for d in ${AUDIT_PERF_PIDS:-} ${AUDIT_DPID:-}; do
		kill "$d" 2>/dev/null && wait "$d" 2>/dev/null
	done
	[ -n "$STATS_ORIG" ] && echo "$STATS_ORIG" >"$STATS_SYSCTL" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ] && [ $rc -ne 130 ]; then
		log "kept: netns $NS_SB $NS_W, cgroups $CGROOT, pins $PINROOT, files $WORK"
		exit $rc
	fi
	# pins first: dropping a link's last pin detaches it
	[ -d "$PINROOT" ] && rm -rf "$PINROOT"
	if [ -n "$CGROOT" ] && [ -d "$CGROOT" ]; then
		for d in "$CGROOT"/*/; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
		rmdir "$CGROOT" 2>/dev/null || log "could not remove cgroup $CGROOT"
	fi
	ip netns del "$NS_SB" 2>/dev/null || true
	ip netns del "$NS_W" 2>/dev/null || true
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of runs that were killed outright (their pid is gone).
sweep() {
	local n pid d p
	# an audit daemon outlives a killed run: it names the run's config,
	# /tmp/rccbench-PID.XXXXXX/..., on its command line
	for p in /proc/[0-9]*; do
		n=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
		case $n in
		*" -c /tmp/rccbench-"[0-9]*.*" daemon"*)
			pid=${n#* -c /tmp/rccbench-} ;;
		*"cmpbench serve rccbench-"[0-9]*)
			pid=${n#*cmpbench serve rccbench-} ;;
		*"dnsmasq "*" --addn-hosts=/tmp/rccbench-"[0-9]*)
			pid=${n#* --addn-hosts=/tmp/rccbench-} ;;
		*) continue ;;
		esac
		pid=${pid%%[!0-9]*}
		kill -0 "$pid" 2>/dev/null || kill "${p#/proc/}" 2>/dev/null || true
	done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^rccbench-[0-9]*-' || true); do
		pid=${n#rccbench-}; pid=${pid%-*}
		kill -0 "$pid" 2>/dev/null || ip netns del "$n" 2>/dev/null || true
	done
	for d in /sys/fs/bpf/rccbench-[0-9]* "$CG2"/rccbench-[0-9]* /tmp/rccbench-[0-9]*.*; do
		[ -d "$d" ] || continue
		pid=${d##*/rccbench-}
		pid=${pid%%.*}
		kill -0 "$pid" 2>/dev/null && continue
		case $d in
		/sys/fs/bpf/* | /tmp/*) rm -rf "$d" ;;
		*) rmdir "$d"/*/ "$d" 2>/dev/null || true ;;
		esac
	done
}

# ------------------------------------------------------------ preflight

[ "$(id -u)" = 0 ] || die "needs root (run it through 'make bench', or with sudo)"
[ -x "$RCC" ] || die "no rcc-bpf binary at $RCC; run 'make' first"
for t in ip nsenter awk timeout taskset jq numfmt getconf; do
	command -v "$t" >/dev/null || die "'$t' is missing"
done
CG2=$(awk '{ split($0, p, " - "); split(p[2], f, " "); if (f[1] == "cgroup2") { split(p[1], g, " "); print g[5]; exit } }' /proc/self/mountinfo)
[ -n "$CG2" ] || die "cgroup v2 is not mounted"
if ! grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
	mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
fi
sweep

mkdir -p "$OUT"
WORK=$(mktemp -d "/tmp/$ID.XXXXXX")
# the bench's programs, built by `make bench` (and `make check`)
CB=$ROOT/build/bench/connbench
AF=$ROOT/build/bench/auditflood
CMPB=$ROOT/build/bench/cmpbench
for b in "$CB" "$AF" "$CMPB"; do
	[ -x "$b" ] || die "no $b; run 'make bench' (it builds it)"
done
# shellcheck source=tools/bench/audit.sh
. "$HERE/audit.sh"
# shellcheck source=tools/bench/compare.sh
. "$HERE/compare.sh"
# shellcheck source=tools/bench/dnsproxy.sh
. "$HERE/dnsproxy.sh"

# Run-time statistics stay off while timing (they cost every program
# run two clock reads); connbench turns them on for its statistics phase
# with BPF_ENABLE_STATS, which ends with it.  The sysctl goes back as found.
if [ -r "$STATS_SYSCTL" ]; then
	STATS_ORIG=$(cat "$STATS_SYSCTL")
	if [ "$STATS_ORIG" != 0 ]; then
		log "kernel.bpf_stats_enabled was $STATS_ORIG: off during the run, restored after"
		echo 0 >"$STATS_SYSCTL"
	fi
fi

# ------------------------------------------------------------ network

log "network: netns $NS_SB (sandbox) and $NS_W (world)"
ip netns add "$NS_SB"
ip netns add "$NS_W"
ip -n "$NS_SB" link add sb0 type veth peer name w0 netns "$NS_W"
for ns in "$NS_SB" "$NS_W"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$ns" link set lo up
done
ip -n "$NS_SB" addr add 198.51.100.1/24 dev sb0
ip -n "$NS_SB" addr add 2001:db8:ff::1/64 dev sb0 nodad
ip -n "$NS_W" addr add 198.51.100.2/24 dev w0
ip -n "$NS_W" addr add 2001:db8:ff::2/64 dev w0 nodad
ip -n "$NS_SB" link set sb0 up
ip -n "$NS_W" link set w0 up
ip -n "$NS_SB" route add 10.64.0.0/12 via 198.51.100.2 dev sb0
ip -n "$NS_SB" -6 route add 2001:db8:1::/64 via 2001:db8:ff::2 dev sb0
# every address of the prefixes is the world's own: a SYN gets an RST
ip -n "$NS_W" route add local 10.64.0.0/12 dev lo
ip -n "$NS_W" -6 route add local 2001:db8:1::/64 dev lo

CPU=${BENCH_CPU:-$(($(nproc) - 1))}
# the tree's revision and the binary's age: a stale binary shows
REV="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), binary built $(date -u -r "$RCC" +%Y-%m-%dT%H:%MZ)"

case ${BENCH_ONLY:-} in
"") ;;
dnsproxy)
	CGROOT=$CG2/$ID
	mkdir "$CGROOT"
	dnsp_only
	exit $? ;;
*) die "BENCH_ONLY: '$BENCH_ONLY' is not a part that runs alone (dnsproxy is)" ;;
esac

# ------------------------------------------------------------ policies

CGROOT=$CG2/$ID
mkdir "$CGROOT" "$CGROOT/base" "$CGROOT/ctl"
LOAD_ARGS=()
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a FAM_LIST <<<"$FAMILIES"
BIG=0
for n in "${SIZE_LIST[@]}"; do [ "$n" -gt "$BIG" ] && BIG=$n; done

for fam in "${FAM_LIST[@]}"; do
	for n in "${SIZE_LIST[@]}"; do
		name=v$fam-$n conf=$WORK/v$fam-$n.conf
		mkdir "$CGROOT/$name"
		{
			printf '[global]\npin_dir = %s/%s\n' "$PINROOT" "$name"
			printf 'max_port_entries = %s\nmax_address_entries = 16\n' "$(pow2 "$n")"
			printf 'max_prefix_entries = 1024\nmax_cgroups = 16\n\n'
			printf '[policy bench]\nallow_public = no\n'
			"$CB" gen "$fam" "$n"
		} >"$conf"
		runs=1
		[ "$n" = "$BIG" ] && runs=$LOAD_RUNS
		vt=() at=()
		for ((i = 0; i < runs; i++)); do
			t=$EPOCHREALTIME
			"$RCC" -c "$conf" validate >/dev/null || die "rcc-bpf validate failed on $conf"
			vt+=("$(since "$t")")
		done
		for ((i = 0; i < runs; i++)); do
			rm -rf "${PINROOT:?}/$name"
			t=$EPOCHREALTIME
			"$RCC" -c "$conf" attach --cgroup "$CGROOT/$name" --policy bench >/dev/null ||
				die "rcc-bpf attach failed for $name"
			at+=("$(since "$t")")
		done
		log "$name: validate ${vt[*]} s, attach ${at[*]} s"
		LOAD_ARGS+=(--load "attach IPv$fam $n entries=$(IFS=,; echo "${at[*]}")")
		LOAD_ARGS+=(--load "validate IPv$fam $n entries=$(IFS=,; echo "${vt[*]}")")
	done
done

if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
	name=v${FAM_LIST[0]}-$BIG
	rm -rf "${PINROOT:?}/$name"
	log "profiling one attach of $name (perf record --call-graph dwarf)"
	perf record -q --call-graph dwarf,16384 -F 2000 -o "$WORK/attach.perf" -- \
		"$RCC" -c "$WORK/$name.conf" attach --cgroup "$CGROOT/$name" --policy bench >/dev/null 2>&1
	perf report -q -i "$WORK/attach.perf" --stdio --children -g none --percent-limit 1 \
		>"$OUT/attach-profile.txt" 2>/dev/null || true
	log "profile in $OUT/attach-profile.txt"
fi

# ------------------------------------------------------------ measure

ARGS=(--cgroot "$CGROOT" --pinroot "$PINROOT" --sizes "$SIZES" --families "$FAMILIES"
	--rounds "$ROUNDS" --batch "$BATCH" --warmup "$WARMUP" --stats-rounds "$STATS_ROUNDS"
	--cpu "$CPU" --out "$OUT" "${LOAD_ARGS[@]}")
[ "$MODE" = quick ] && ARGS+=(--quick)
ARGS+=(--rev "$REV")

# DNS refreshes (issue: hostnames that follow DNS): loading a policy of
# hostname entries, refreshes that move 10% of them, and the longest
# connect() a concurrent client sees during them against as long idle.
DB=$ROOT/build/bench/dnsbench
[ -x "$DB" ] || die "no $DB; run 'make bench' (it builds it)"
case $MODE in
full) DNS_N=${BENCH_DNS_ENTRIES:-100000} DNS_RUNS=9 ;;
quick) DNS_N=${BENCH_DNS_ENTRIES:-100000} DNS_RUNS=3 ;;
sanity) DNS_N=100 DNS_RUNS=2 ;;
esac
mkdir "$CGROOT/dns"
log "dns: $DNS_N hostname entries, $DNS_RUNS refreshes of 10%"
EXTRA_PASS=0 EXTRA_FAIL=0
if nsenter --net="/run/netns/$NS_SB" "$DB" "$PINROOT/dns" "$CGROOT/dns" "$DNS_N" \
	"$DNS_RUNS" 10.64.0.1 9 >"$WORK/dns.out" && grep -q '^dns entries=' "$WORK/dns.out"; then
	EXTRA_PASS=$((EXTRA_PASS + 1))
	log "$(cat "$WORK/dns.out")"
else
	EXTRA_FAIL=$((EXTRA_FAIL + 1))
	log "dnsbench failed: $(cat "$WORK/dns.out")"
fi
rm -rf "${PINROOT:?}/dns"

# The audit flood first (before connbench, which puts it in the report;
# its log files are gone before the timing starts).  --sanity: a short
# one, counted in connbench's closing "sanity:" line.
if [ "$(nproc)" -lt 2 ]; then
	log "audit: one CPU only; the flood needs two (flooder, daemon): skipped"
elif [ "$MODE" = sanity ]; then
	log "audit: a 0.5 s flood of denials must reach the log"
	if audit_sanity; then EXTRA_PASS=$((EXTRA_PASS + 1)); else EXTRA_FAIL=$((EXTRA_FAIL + 1)); fi
elif [ "${BENCH_AUDIT:-1}" != 0 ]; then
	audit_bench
	ARGS+=(--audit "$AUDIT_RESULTS")
fi

# The DNS proxy: --sanity checks that it answers and that each answer's
# address is allowed before the reply leaves; otherwise it is timed after
# connbench, whose report it joins.
if [ "$MODE" = sanity ] && [ "${BENCH_DNS_PROXY:-1}" != 0 ]; then
	log "dnsproxy: 50 queries through each proxy, each answer's address allowed before the reply"
	dnsp_sanity || true
	EXTRA_PASS=$((EXTRA_PASS + DNSP_OK)) EXTRA_FAIL=$((EXTRA_FAIL + DNSP_BAD))
	dnsp_cleanup
fi

# nftables and iptables beside rcc-bpf: --sanity checks that every
# configuration filters (cmpbench's own "sanity:" line, counted here);
# otherwise it is timed after connbench, whose report it joins.
if [ "$MODE" = sanity ] && [ "${BENCH_COMPARE:-1}" != 0 ]; then
	compare_bench >"$WORK/compare.out" 2>&1 || true
	cat "$WORK/compare.out" >&2
	p= f=
	read -r p f < <(sed -n 's/^sanity: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/compare.out" | tail -n 1) || true
	if [ -n "${p:-}" ]; then
		EXTRA_PASS=$((EXTRA_PASS + p)) EXTRA_FAIL=$((EXTRA_FAIL + f))
	else
		EXTRA_FAIL=$((EXTRA_FAIL + 1))
		log "compare: no sanity result (see above)"
	fi
fi
ARGS+=(--sanity-extra "$EXTRA_PASS,$EXTRA_FAIL")

# connbench checks first that every configuration filters (exit 1 if one
# does not), then times; in --sanity mode the timing is tiny, just enough
# to exercise the measuring path.
log "connbench: sizes $SIZES, families $FAMILIES, $ROUNDS rounds of batch $BATCH"
timeout "$TIME_LIMIT" nsenter --net="/run/netns/$NS_SB" "$CB" run "${ARGS[@]}" &
BENCH_PID=$!
rc=0
wait "$BENCH_PID" || rc=$?
BENCH_PID=
case $rc in
0) ;;
1) die "a sanity check failed (see above)" ;;
124) die "connbench ran over its time limit of $TIME_LIMIT s" ;;
*) die "connbench failed (exit $rc)" ;;
esac
# --sanity ends on connbench's "sanity: N passed, 0 failed"
[ "$MODE" = sanity ] && exit 0

# Cross-check with bpftool: the counters as the kernel shows them (only
# the statistics phase counted; they are off otherwise).
{
	echo
	echo "### bpftool prog show (cumulative, statistics phase only)"
	echo
	echo '| configuration | program | run_cnt | run_time_ns | ns/run |'
	echo '|---|---|---:|---:|---:|'
	for fam in "${FAM_LIST[@]}"; do
		for n in "${SIZE_LIST[@]}"; do
			for p in rcc_connect$fam rcc_egress rcc_sock_create; do
				bpftool prog show pinned "$PINROOT/v$fam-$n/v3/progs/$p" 2>/dev/null |
					awk -v c="v$fam-$n" -v p="$p" '
					{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i+1); if ($i == "run_cnt") n = $(i+1) } }
					END { if (n) printf "| %s | %s | %d | %d | %.0f |\n", c, p, n, t, t / n;
					      else printf "| %s | %s | 0 | 0 | - |\n", c, p }'
			done
		done
	done
} >>"$OUT/report.md"

# the DNS figures, in both reports
if [ "$EXTRA_FAIL" = 0 ] && grep -q '^dns entries=' "$WORK/dns.out"; then
	# shellcheck disable=SC2046 # key=value words into variables
	declare $(sed 's/^dns //' "$WORK/dns.out")
	{
		echo
		echo "### Hostnames: loading and refreshing (rcc_kernel_apply_dns, as the daemon does)"
		echo
		echo "| what | figure |"
		echo "|---|---:|"
		echo "| programs and maps created (fresh pin dir) | $open_ms ms |"
		echo "| load of $entries hostname entries | $load_ms ms |"
		echo "| refresh moving $changed of them (median of $runs; max) | $refresh_ms_median ms; $refresh_ms_max ms |"
		echo "| longest connect() during the refreshes ($connects_update connects) | $stall_update_us µs |"
		echo "| longest connect() in as long idle ($connects_idle connects) | $stall_idle_us µs |"
		echo
		echo "Times are noisy (shared VM); compare the two connect() figures with each other."
	} >>"$OUT/report.md"
	jq -n --argjson e "$entries" --argjson c "$changed" --argjson o "$open_ms" \
		--argjson l "$load_ms" --argjson m "$refresh_ms_median" --argjson x "$refresh_ms_max" \
		--argjson su "$stall_update_us" --argjson si "$stall_idle_us" \
		'{entries: $e, changed: $c, open_ms: $o, load_ms: $l, refresh_ms_median: $m,
		  refresh_ms_max: $x, stall_update_us: $su, stall_idle_us: $si}' >"$OUT/dns.json"
	jq --slurpfile d "$OUT/dns.json" '. + {dns: $d[0]}' "$OUT/report.json" >"$WORK/r.json" &&
		mv "$WORK/r.json" "$OUT/report.json"
fi

if [ "${BENCH_DNS_PROXY:-1}" != 0 ]; then
	dnsp_bench
	dnsp_cleanup
	cat "$OUT/dnsproxy.md" >>"$OUT/report.md"
	jq --slurpfile d "$OUT/dnsproxy.json" '. + {dnsproxy: $d[0]}' "$OUT/report.json" >"$WORK/r.json" &&
		mv "$WORK/r.json" "$OUT/report.json"
fi

if [ "${BENCH_COMPARE:-1}" != 0 ]; then
	compare_bench || die "compare: a sanity check failed (see above)"
	cat "$OUT/compare.md" >>"$OUT/report.md"
fi

cat "$OUT/report.md"
log "report: $OUT/report.md, $OUT/report.json"
