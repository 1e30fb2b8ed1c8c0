# shellcheck shell=bash
# Reloads: connections under way are never refused across reloads, and a
# decision sees the old configuration whole or the new one whole, never a
# mix.

TESTS+=(test_reload_no_refusals test_reload_never_mixes)

test_reload_no_refusals() {
	need_rcc || return 1
	local base extra i tcp_pid udp_pid m_tcp m_udp
	base="[policy default]
allow = 10.1.2.3:8080/tcp
allow = 10.1.2.3:5000/udp"
	extra="deny = 203.0.113.0/24
allow = 192.168.1.1:443/tcp"
	conf_write <<<"$base"
	rcc_attach sb || return 1

	new_marker; m_tcp=$M
	new_marker; m_udp=$M
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop 4 tcp-connect 10.1.2.3 8080 "$m_tcp" >"$T_DIR/loop-tcp.out" &
	tcp_pid=$!
	RCCT_CMD_TIMEOUT=30 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop 4 udp-sendto 10.1.2.3 5000 "$m_udp" >"$T_DIR/loop-udp.out" &
	udp_pid=$!
	sleep 0.5
	for i in 1 2 3 4; do
		if [ $((i % 2)) = 1 ]; then
			conf_write <<<"$base
$extra"
		else
			conf_write <<<"$base"
		fi
		rcc reload
		expect_eq "reload $i exit code" "$RCC_RC" 0
		sleep 0.4
	done
	wait "$tcp_pid" "$udp_pid"
	expect_result "tcp loop to 10.1.2.3:8080 across reloads" \
		"$(cat "$T_DIR/loop-tcp.out")" ok
	expect_result "udp loop to 10.1.2.3:5000 across reloads" \
		"$(cat "$T_DIR/loop-udp.out")" ok
	expect_arrived "$m_tcp"
	expect_arrived "$m_udp"

	# the last reload (without the extra lines) took effect, the one
	# before it too
	allowed sb tcp-connect 203.0.113.10 80
	refused sb tcp-connect 192.168.1.1 443
	conf_write <<<"$base
$extra"
	rcc reload
	expect_eq "final reload exit code" "$RCC_RC" 0
	refused sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 192.168.1.1 443
}

# A: allowlist; 203.0.113.0/25 open on 443 only; many exact entries of
#    its own, so that removing them takes a while.
# B: public allowed, 203.0.113.0/24 denied.
# 203.0.113.10:80 is refused by both.  A mix of B's flags with A's /25
# node (no rule for port 80, no deny) would let it through: that is what
# a reload that changes flags and entries one map at a time did.
# 10.1.2.3:8080 is allowed by both, so it must never be refused.
test_reload_never_mixes() {
	need_rcc || return 1
	local a b bulk i n x_pid z_pid m_x m_z out secs=8 t0
	bulk=$T_DIR/bulk.conf
	for i in $(seq 0 119999); do
		echo "allow = 10.200.$((i / 250 % 250)).$((i % 250 + 1)):$((i / 62500 + 9))/tcp"
	done >"$bulk"
	a="[policy default]
allow_public = no
allow = 203.0.113.0/25:443/tcp
allow = 10.1.2.3:8080/tcp
$(cat "$bulk")"
	b="[policy default]
allow_public = yes
deny = 203.0.113.0/24
allow = 10.1.2.3:8080/tcp"

	# without enforcement, the probe's destination is reachable
	allowed sb tcp-connect 203.0.113.10 80

	conf_write <<<"$a"
	rcc_attach sb || return 1
	refused sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 203.0.113.10 443
	allowed sb tcp-connect 10.1.2.3 8080

	new_marker; m_x=$M
	new_marker; m_z=$M
	RCCT_CMD_TIMEOUT=60 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop "$secs" tcp-connect 203.0.113.10 80 "$m_x" >"$T_DIR/loop-x.out" &
	x_pid=$!
	RCCT_CMD_TIMEOUT=60 in_sandbox sb "$PY" "$TOOLS/rcct_client.py" \
		loop "$secs" tcp-connect 10.1.2.3 8080 "$m_z" >"$T_DIR/loop-z.out" &
	z_pid=$!
	sleep 0.5
	t0=$SECONDS
	# as many reloads as fit in the probes' time (each takes a while),
	# in pairs B then A, so that A is in force at the end
	n=0
	while [ $((n % 2)) = 1 ] ||
		{ [ "$n" -lt 8 ] && [ $((SECONDS - t0)) -lt $((secs - 3)) ]; }; do
		n=$((n + 1)) i=$n
		if [ $((i % 2)) = 1 ]; then conf_write <<<"$b"; else conf_write <<<"$a"; fi
		rcc reload >/dev/null
		expect_eq "reload $i exit code" "$RCC_RC" 0
	done
	echo "  $n reloads in $((SECONDS - t0)) s"
	[ "$n" -ge 2 ] || fail_check "fewer than two reloads ran while the probes did"
	wait "$x_pid" "$z_pid"
	echo "  probe 203.0.113.10:80 (both refuse): $(cat "$T_DIR/loop-x.out")"
	echo "  probe 10.1.2.3:8080 (both allow): $(cat "$T_DIR/loop-z.out")"
	expect_not_arrived "$m_x" 203.0.113.10 80
	expect_arrived "$m_z"
	out=$(cat "$T_DIR/loop-z.out")
	case $out in
	"ok "*) pass_check "10.1.2.3:8080 never refused across the reloads" ;;
	*) fail_check "10.1.2.3:8080 refused during a reload: $out" ;;
	esac
	# the last reload (A) is in force
	refused sb tcp-connect 203.0.113.10 80
	allowed sb tcp-connect 203.0.113.10 443
}
