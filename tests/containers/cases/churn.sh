# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Many short-lived containers under the daemon: nothing of them is left
# (status entries, pins, cgroups), and the daemon still enforces.

CHURN=${RCCT_CHURN:-200}
CHURN_PARALLEL=4

TESTS+=(
	test_churn
)

test_churn() {
	local i j t0 secs failed cid id left stale pins entries ours batch dead0
	conf_containers
	daemon_start || return 1
	mkdir -p "$T_DIR/cid"
	dead0=$(dying)
	t0=$(now_ms)
	for ((i = 1; i <= CHURN; i += CHURN_PARALLEL)); do
		batch=()
		for ((j = i; j < i + CHURN_PARALLEL && j <= CHURN; j++)); do
			(
				pod run --rm --name "$(ct_name "churn$j")" --cidfile "$T_DIR/cid/$j" \
					"${CT_BASE[@]}" --network none --rootfs "$ROOTFS" true \
					>/dev/null 2>>"$T_DIR/churn.err" || echo "$j" >>"$T_DIR/churn.failed"
			) &
			batch+=($!)
		done
		# these only: the daemon and the world's tools are children too
		wait "${batch[@]}"
	done
	secs=$(($(now_ms) - t0))
	failed=0
	[ -e "$T_DIR/churn.failed" ] && failed=$(wc -l <"$T_DIR/churn.failed")
	expect_eq "churn containers whose podman run failed" "$failed" 0
	[ "$failed" = 0 ] || head -n 20 "$T_DIR/churn.err" | sed 's/^/      /'
	timing "churn: $CHURN containers (run --rm true, $CHURN_PARALLEL at a time) in $((secs / 1000)).$(printf %03d $((secs % 1000))) s under the daemon"
	timing "churn: the daemon enforced $(grep -c 'ms after its cgroup appeared' "$DAEMON_OUT") of them before they were gone; $(grep -v 'ms after its cgroup appeared\|daemon running' "$DAEMON_OUT" | grep -c .) other lines in its log; RSS $(rss_kib "$DAEMON_PID") KiB"
	grep -v 'ms after its cgroup appeared\|daemon running' "$DAEMON_OUT" |
		sed -E 's/[0-9a-f]{12,64}/ID/g' | sort | uniq -c |
		sort -rn | head -n 5 | sed 's/^/      daemon: /'

	# the daemon prunes on the cgroups' removal, at its next tick
	sleep 1
	wait_for 10 sh -c "[ -z \"\$(find '$T_PIN/v3/links' -mindepth 1 -maxdepth 1 -type d)\" ]"
	st_load
	stale=$(st_count 'not c.get("path")')
	entries=$(st_count True)
	ours=0 left=0
	for cid in "$T_DIR"/cid/*; do
		[ -s "$cid" ] || continue
		id=$(cat "$cid")
		[ "$(st_field container "$id" policy)" = missing ] || ours=$((ours + 1))
		[ -e "$CG2/libpod_parent/libpod-$id" ] && left=$((left + 1))
	done
	pins=$(find "$T_PIN/v3/links" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
	expect_eq "status entries of the churned containers" "$ours" 0
	expect_eq "status entries of removed cgroups" "$stale" 0
	expect_eq "status entries left at all" "$entries" 0
	expect_eq "pinned link dirs left" "$pins" 0
	expect_eq "container cgroups left under libpod_parent" "$left" 0
	expect_eq "churn containers podman still knows" \
		"$(pod ps -a --format '{{.Names}}' | grep -c "^$(ct_name churn)")" 0
	expect "the daemon still runs" daemon_alive
	wait_for 10 dying_at_most "$dead0"
	expect_eq "dying cgroups under libpod_parent (nothing holds the removed ones)" \
		"$(dying)" "$dead0"

	# positive control: the daemon still enforces a new container
	ct_run after -- sleep 600 || return 1
	wait_enforced_by_daemon "$CT_ID"
	ct_refused "$CT_NAME" 10.1.2.3 80
	ct_allowed "$CT_NAME" "$PUBLIC" 80
}
