# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# rcc-bpf beside nftables and iptables: sourced by tools/bench/run.sh once
# its sandbox SB and world W exist; its cleanup ends $CMP_SERVE_PID and
# removes the namespaces named in $CMP_NETNS.
#
# The same semantics everywhere: the private ranges dropped, the first N
# members of the test set allowed on TCP port 9 (ip:port pairs), and three
# CIDR:port entries (10.80.0.0/16:5001/tcp handshakes, 10.81.0.0/16:5002/udp
# datagrams, 10.82.0.0/16:5003/tcp streams), everything else allowed.
#   rcc / rcca   rcc-bpf, enforce / audit mode, on a cgroup in SB
#   nft          one netns per size: an output-hook chain with an interval
#                set of the private prefixes and an ipv4_addr . inet_service
#                set of the pairs ("ct state established" first)
#   ipt / iptl   iptables-nft / iptables-legacy, linear rules (ESTABLISHED
#                first), at sizes up to 1,000
# Each filter netns has its own veth to W (203.0.113.4k/30), routes only
# the test prefixes there; W answers for them (local routes) and runs
# `cmpbench serve`.  IPv4 only (connbench covers rcc-bpf's IPv6).

CMP_SERVE_PID=
CMP_NETNS=
PRIVATE_V4="0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 192.168.0.0/16 198.18.0.0/15 224.0.0.0/4 240.0.0.0/4"

cmp_cidr_rcc() {
	echo "allow = 10.80.0.0/16:5001/tcp"
	echo "allow = 10.81.0.0/16:5002/udp"
	echo "allow = 10.82.0.0/16:5003/tcp"
}

# cmp_netns NAME IDX: a filter netns joined to W by its own veth
cmp_netns() {
	local ns=$ID-$1 a=$((4 * $2))
	ip netns add "$ns"
	CMP_NETNS="$CMP_NETNS $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip -n "$ns" link add f0 type veth peer name "w$2" netns "$NS_W"
	ip -n "$ns" addr add "203.0.113.$((a + 1))/30" dev f0
	ip -n "$NS_W" addr add "203.0.113.$((a + 2))/30" dev "w$2"
	ip -n "$ns" link set f0 up
	ip -n "$NS_W" link set "w$2" up
	ip -n "$ns" route add 10.64.0.0/12 via "203.0.113.$((a + 2))"
	ip -n "$ns" route add 10.80.0.0/14 via "203.0.113.$((a + 2))"
}

# nft_elements add|delete: the addresses on stdin as "VERB element" lines
# of the pairs set (port 9), 10,000 a line
nft_elements() {
	awk -v verb="$1" '
		NR % 10000 == 1 { if (NR > 1) print " }"; printf "%s element ip rccb pairs {", verb; sep = " " }
		{ printf "%s%s . 9", sep, $1; sep = ", " }
		END { if (NR) print " }" }'
}

# cmp_nft N FILE: the nftables ruleset of size N
cmp_nft() {
	{
		echo "table ip rccb {"
		echo "  set private { type ipv4_addr; flags interval; elements = { $(echo "$PRIVATE_V4" | sed 's/ /, /g') } }"
		echo "  set pairs { type ipv4_addr . inet_service; size $(($1 + 1024)); }"
		echo "  chain out {"
		echo "    type filter hook output priority 0; policy accept;"
		echo "    ct state established,related accept"
		echo "    ip daddr . tcp dport @pairs accept"
		echo "    ip daddr 10.80.0.0/16 tcp dport 5001 accept"
		echo "    ip daddr 10.81.0.0/16 udp dport 5002 accept"
		echo "    ip daddr 10.82.0.0/16 tcp dport 5003 accept"
		echo "    ip daddr @private drop"
		echo "  }"
		echo "}"
		head -n "$1" "$WORK/members" | nft_elements add
	} >"$2"
}

# cmp_ipt N FILE: the iptables-restore input of size N
cmp_ipt() {
	{
		echo "*filter"
		echo ":OUTPUT ACCEPT [0:0]"
		echo "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"
		head -n "$1" "$WORK/members" | awk '{ printf "-A OUTPUT -d %s/32 -p tcp --dport 9 -j ACCEPT\n", $1 }'
		echo "-A OUTPUT -d 10.80.0.0/16 -p tcp --dport 5001 -j ACCEPT"
		echo "-A OUTPUT -d 10.81.0.0/16 -p udp --dport 5002 -j ACCEPT"
		echo "-A OUTPUT -d 10.82.0.0/16 -p tcp --dport 5003 -j ACCEPT"
		for p in $PRIVATE_V4; do echo "-A OUTPUT -d $p -j DROP"; done
		echo "COMMIT"
	} >"$2"
}

# cmp_rcc N MODE: config file of size N for rcc-bpf (enforce|audit)
cmp_rcc() {
	local conf=$WORK/cmp-$2-$1.conf
	{
		printf '[global]\npin_dir = %s/cmp-%s-%s\n' "$PINROOT" "$2" "$1"
		printf 'control_socket = %s/cmp.sock\n' "$WORK"
		printf 'max_port_entries = %s\nmax_address_entries = 16\n' "$(pow2 $(($1 + $1 / 5 + 16)))"
		printf 'max_prefix_entries = 1024\nmax_cgroups = 16\n\n'
		printf '[policy bench]\nmode = %s\n' "$2"
		head -n "$1" "$WORK/members" | awk '{ printf "allow = %s:9/tcp\n", $1 }'
		cmp_cidr_rcc
	} >"$conf"
	echo "$conf"
}

# timed VAR CMD...: CMD's wall time in seconds into VAR
timed() {
	local _var=$1 _t0=$EPOCHREALTIME
	shift
	"$@" >/dev/null || die "failed: $*"
	printf -v "$_var" '%s' "$(since "$_t0")"
}

CMP_CFGS=()
CMP_LOAD=()		# "what seconds" lines for the report

cmp_setup() {
	local n i=0 conf mode t big
	IFS=, read -r -a CMP_SIZE_LIST <<<"$CMP_SIZES"
	big=0
	for n in "${CMP_SIZE_LIST[@]}"; do [ "$n" -gt "$big" ] && big=$n; done
	CMP_BIG=$big
	# the members, and 10% new ones for the control plane's change (in
	# 10.96.0.0/11: the test set's /12 may have no 10% left outside it)
	"$CB" gen 4 "$big" | sed 's/^allow = //; s/:4242\/tcp$//' >"$WORK/members"
	[ "$(wc -l <"$WORK/members")" = "$big" ] || die "compare: connbench gen gave no members"
	awk -v n=$((big / 10)) 'BEGIN { for (i = 0; i < n; i++)
		printf "10.%d.%d.%d\n", 96 + int(i / 65536), int(i / 256) % 256, i % 256 }' >"$WORK/members-new"
	ip -n "$NS_SB" route add 10.80.0.0/14 via 198.51.100.2 dev sb0
	ip -n "$NS_W" route add local 10.80.0.0/14 dev lo
	nsenter --net="/run/netns/$NS_W" taskset -c 0 "$CMPB" serve "$ID" </dev/null &
	CMP_SERVE_PID=$!
	mkdir -p "$CGROOT/cmp-none"
	CMP_CFGS=(--cfg "base:0:$NS_SB:$CGROOT/base" --cfg "ctl:0:$NS_SB:$CGROOT/ctl")
	for n in "${CMP_SIZE_LIST[@]}"; do
		for mode in enforce audit; do
			conf=$(cmp_rcc "$n" "$mode")
			mkdir "$CGROOT/cmp-$mode-$n"
			timed t "$RCC" -c "$conf" attach --cgroup "$CGROOT/cmp-$mode-$n" --policy bench
			CMP_LOAD+=("rcc-bpf attach ($mode), $n entries, fresh pin dir|$t")
			CMP_CFGS+=(--cfg "$([ $mode = enforce ] && echo rcc || echo rcca):$n:$NS_SB:$CGROOT/cmp-$mode-$n")
		done
		i=$((i + 1))
		cmp_netns "nft-$n" "$i"
		cmp_nft "$n" "$WORK/nft-$n.nft"
		timed t ip netns exec "$ID-nft-$n" nft -f "$WORK/nft-$n.nft"
		CMP_LOAD+=("nft -f, $n entries|$t")
		CMP_CFGS+=(--cfg "nft:$n:$ID-nft-$n:$CGROOT/cmp-none")
		[ "$n" -le 1000 ] || continue
		for b in nft legacy; do
			i=$((i + 1))
			if ! command -v "iptables-$b-restore" >/dev/null; then
				log "compare: iptables-$b-restore missing: no $b back end"
				continue
			fi
			cmp_netns "ipt$b-$n" "$i"
			cmp_ipt "$n" "$WORK/ipt-$n.rules"
			timed t ip netns exec "$ID-ipt$b-$n" "iptables-$b-restore" "$WORK/ipt-$n.rules"
			CMP_LOAD+=("iptables-$b-restore, $n rules|$t")
			CMP_CFGS+=(--cfg "$([ $b = nft ] && echo ipt || echo iptl):$n:$ID-ipt$b-$n:$CGROOT/cmp-none")
		done
	done
}

# cmp_stall_start NETNS CGROUP SECONDS: cmpbench stall in the background
# (SECONDS 0: until cmp_stall_stop), its pid in CMP_STALL_PID, its result
# in $WORK/stall.out
cmp_stall_start() {
	nsenter --net="/run/netns/$1" taskset -c "$CPU" sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" stall "$3" "$4" 9' \
		cmp-stall "$2" "$CMPB" "$3" "$(sed -n "$((CMP_BIG / 2))p" "$WORK/members")" \
		>"$WORK/stall.out" </dev/null &
	CMP_STALL_PID=$!
}

# cmp_update WHAT NETNS CGROUP CMD...: CMD's time, and the longest connect()
# from NETNS/CGROUP during it and during as long without; a CMP_CTRL line
cmp_update() {
	local what=$1 ns=$2 cg=$3 t busy idle res
	shift 3
	cmp_stall_start "$ns" "$cg" 0
	sleep 0.3
	# the updater on CPU 0, the client on $CPU: a stall is the update's
	# hold on the kernel, not the two sharing a CPU
	timed t taskset -c 0 "$@"
	sleep 0.1
	kill -TERM "$CMP_STALL_PID"
	wait "$CMP_STALL_PID"
	res=$(cat "$WORK/stall.out")
	busy=$(sed 's/.*max_us=\([0-9.]*\).*/\1/' <<<"$res")
	cmp_stall_start "$ns" "$cg" "$(awk -v t="$t" 'BEGIN { printf "%.2f", t + 0.4 }')"
	wait "$CMP_STALL_PID"
	idle=$(sed 's/.*max_us=\([0-9.]*\).*/\1/' "$WORK/stall.out")
	CMP_CTRL+=("$what|$t|$busy|$idle|$res")
}

# The control plane: a 10% change of the biggest set, with a concurrent
# client's longest connect() during it against as long without.
cmp_control() {
	local n=$CMP_BIG cut=$((CMP_BIG / 10)) conf
	# rcc-bpf: the same config with the first 10% swapped for 10% new
	conf=$WORK/cmp-enforce-$n.conf
	{
		sed '/^allow = /,$d' "$conf"
		tail -n +"$((cut + 1))" "$WORK/members" | cat - "$WORK/members-new" |
			awk '{ printf "allow = %s:9/tcp\n", $1 }'
		cmp_cidr_rcc
	} >"$WORK/cmp-change.conf"
	cmp_update "rcc-bpf reload, $cut of $n entries changed" "$NS_SB" "$CGROOT/cmp-enforce-$n" \
		"$RCC" -c "$WORK/cmp-change.conf" reload
	# nftables: delete 10%, add 10% (one nft -f, one transaction)
	{
		head -n "$cut" "$WORK/members" | nft_elements delete
		nft_elements add <"$WORK/members-new"
	} >"$WORK/nft-change.nft"
	cmp_update "nft -f, $cut of $n elements changed" "$ID-nft-$n" "$CGROOT/cmp-none" \
		ip netns exec "$ID-nft-$n" nft -f "$WORK/nft-change.nft"
}

# The report section and the targets, into $OUT/compare.md and report.json
cmp_report() {
	local js=$OUT/compare.json line
	{
		echo
		echo "## rcc-bpf beside nftables and iptables (IPv4)"
		echo
		echo "Median of paired ratios to the no-filter batch of the same round (IQR), and the median added time per operation; the base row shows absolute times (noisy: a shared VM). $CMP_ROUNDS rounds, every (configuration, workload) batch in a random order each round."
		echo
		cat "$OUT/compare.md"
		echo
		echo "### Control plane"
		echo
		echo "| what | seconds |"
		echo "|---|---:|"
		for line in "${CMP_LOAD[@]}"; do echo "| ${line%%|*} | ${line##*|} |"; done
		echo
		echo "| update | seconds | longest connect() during it | in as long without |"
		echo "|---|---:|---:|---:|"
		for line in "${CMP_CTRL[@]}"; do
			IFS='|' read -r what t busy idle _ <<<"$line"
			echo "| $what | $t | $busy µs | $idle µs |"
		done
		echo
		echo "### Targets"
		echo
		cmp_targets
	} >"$WORK/compare-section.md"
	mv "$WORK/compare-section.md" "$OUT/compare.md"
	jq --slurpfile c "$js" --arg load "$(printf '%s\n' "${CMP_LOAD[@]}")" \
		--arg ctrl "$(printf '%s\n' "${CMP_CTRL[@]}")" --arg targets "$(cmp_targets)" \
		'. + {compare: {rows: $c[0], load: ($load | split("\n") | map(select(length > 0) | split("|") | {what: .[0], seconds: (.[1] | tonumber)})),
		                 control: ($ctrl | split("\n") | map(select(length > 0) | split("|") | {what: .[0], seconds: (.[1] | tonumber), stall_us: (.[2] | tonumber), idle_us: (.[3] | tonumber)})),
		                 targets: ($targets | split("\n") | map(select(length > 0)))}}' \
		"$OUT/report.json" >"$WORK/r.json" && mv "$WORK/r.json" "$OUT/report.json"
}

# one line a target: "PASS|MISS|n/a: what (figures)"
cmp_targets() {
	local js=$OUT/compare.json big=$CMP_BIG
	jq -r --argjson big "$big" '
	def row(k; n): map(select(.kind == k and .entries == n))[0];
	def v(k; n; w; f): (row(k; n)[w][f] // null);
	def pf(c): if c == null then "n/a" elif c then "PASS" else "MISS" end;
	. as $r |
	(map(select(.kind == "rcc")) | map(.entries)) as $sizes |
	( "\(pf(if v("rcc"; $big; "connect_warm"; "ratio") == null then null else v("rcc"; $big; "connect_warm"; "ratio") <= 1.02 end)): connect, warm, \($big) entries: \(v("rcc"; $big; "connect_warm"; "ratio"))× (target ≤ 1.02×)",
	  "\(pf(if v("rcc"; $big; "udp"; "ratio") == null then null else v("rcc"; $big; "udp"; "ratio") <= 1.05 end)): UDP datagrams, \($big) entries: \(v("rcc"; $big; "udp"; "ratio"))× (target ≤ 1.05×)",
	  ( (v("ctl"; 0; "stream"; "q3") - v("ctl"; 0; "stream"; "q1") | . * 1000 | round / 1000) as $noise |
	    (v("rcc"; $big; "stream"; "ratio")) as $s |
	    if $noise > 0.2 then
	      "n/a: TCP stream, \($big) entries: \($s)×, but the A/A control itself spreads \($noise) (IQR width): too noisy here to judge"
	    else
	      "\(pf(($s - 1 | fabs) <= ([$noise / 2, 0.02] | max))): TCP stream, \($big) entries: \($s)× (target: within noise, here ±\([$noise / 2, 0.02] | max), half the A/A control'"'"'s IQR)"
	    end ),
	  ( $sizes[] as $n | v("rcc"; $n; "connect_warm"; "added_ns") as $a | v("nft"; $n; "connect_warm"; "added_ns") as $b |
	    "\(pf(if $b == null then null else $a <= 0.5 * $b end)): added cost per connect at \($n): rcc-bpf \($a) ns, nftables \($b) ns (target: at most half)" ),
	  ( ["ipt", "iptl"][] as $k | v($k; 1000; "connect_warm"; "added_ns") as $b | v("rcc"; 1000; "connect_warm"; "added_ns") as $a |
	    "\(pf(if $b == null then null else $b >= 10 * $a end)): added cost per connect at 1000, \($k): rcc-bpf \($a) ns, \($k) \($b) ns (target: 10× below)" )
	)' "$js"
	for line in "${CMP_LOAD[@]}"; do
		case $line in
		"rcc-bpf attach (enforce), 1000000 entries"*)
			awk -v t="${line##*|}" 'BEGIN { printf "%s: load of 1,000,000 entries: %.2f s (target ≤ 1 s)\n", (t <= 1 ? "PASS" : "MISS"), t }' ;;
		esac
	done
	return 0
}

compare_bench() {
	log "compare: nftables and iptables beside rcc-bpf, sizes $CMP_SIZES"
	cmp_setup
	local args=(--members "$WORK/members" --rounds "$CMP_ROUNDS" --cpu "$CPU" --out "$OUT" "${CMP_CFGS[@]}")
	[ "$MODE" = sanity ] && args+=(--sanity)
	CMP_CTRL=()
	local rc=0 p=0 f=0 n got
	timeout "$TIME_LIMIT" nsenter --net="/run/netns/$NS_SB" "$CMPB" run "${args[@]}" \
		2>"$WORK/cmp-run.err" || rc=$?
	grep -v '^sanity: ' "$WORK/cmp-run.err" >&2 || true
	read -r p f < <(sed -n 's/^sanity: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$WORK/cmp-run.err") || true
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || f=$((f + 1))
	# audit mode lets everything through: it must have counted the
	# sanity probe's would-be denial (a member on another port)
	for n in "${CMP_SIZE_LIST[@]}"; do
		got=$("$RCC" -c "$WORK/cmp-audit-$n.conf" status --json 2>/dev/null |
			jq '[.policies[] | select(.name == "bench") | .audited] | add // 0')
		if [ "${got:-0}" -gt 0 ]; then
			p=$((p + 1))
			echo "  ok   rcca  $(printf '%8s' "$n"): the would-be denials were counted (audited $got)" >&2
		else
			f=$((f + 1))
			echo "  FAIL rcca  $(printf '%8s' "$n"): audit mode counted no would-be denial" >&2
		fi
	done
	echo "sanity: $p passed, $f failed" >&2
	[ "$f" = 0 ] || return 1
	[ "$MODE" = sanity ] && return 0
	log "compare: control plane (10% of $CMP_BIG changed)"
	cmp_control
	cmp_report
}

compare_cleanup() {
	local ns
	if [ -n "$CMP_SERVE_PID" ]; then
		kill "$CMP_SERVE_PID" 2>/dev/null && wait "$CMP_SERVE_PID" 2>/dev/null
	fi
	for ns in $CMP_NETNS; do ip netns del "$ns" 2>/dev/null; done
	return 0
}
