# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Escape attempts: root of a user namespace in a delegated cgroup below
# the enforced one tries to tamper with, detach, replace or leave it.

TESTS+=(
	test_escape_userns
)

# escape_run CG [unprivileged]: a shell in cgroup CG and netns SB that is
# root in a user namespace of its own (mapped to uid 65534 with
# "unprivileged", to host uid 0 otherwise) tries to get out; its report
# is in ESCAPE_OUT, one "what: result" line each.
escape_run() {
	local cg out=$T_DIR/escape.out drop=()
	cg=$(cg_path "$1")
	[ "${2:-}" = unprivileged ] &&
		drop=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	new_marker; local m1=$M
	new_marker; local m2=$M
	ESC_M1=$m1 ESC_M2=$m2
	capture_mark
	PY=$PY TOOLS=$TOOLS CG2=$CG2 CGSB=$(cg_path sb) CGSELF=$cg \
	CGPARENT=$T_CG M1=$m1 M2=$m2 \
	PROG_IDS=$(attached_prog_ids sb) LINK_IDS=$(cgroup_link_ids sb) \
	PIN_FILES=$(find "$T_PIN" -type f 2>/dev/null | paste -sd,) \
	timeout -k 2 60 sh -c \
		'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' rcct-escape "$cg" \
		nsenter --net="/run/netns/$NS_SB" -- "${drop[@]}" \
		unshare --user --map-root-user -- sh -c '
		say() { echo "$1: $2"; }
		bpf() { "$PY" "$TOOLS/rcct_bpf.py" "$@"; }
		say uid_map "$(tr -s " " </proc/self/uid_map)"
		say caps "$(grep CapEff /proc/self/status)"
		say tamper "$(bpf tamper --pin-files "$PIN_FILES")"
		say detach "$(bpf detach "$CGSB" --prog-ids "$PROG_IDS" \
			--link-ids "$LINK_IDS" --pin-files "$PIN_FILES")"
		below=$CGSELF
		if mkdir "$CGSELF/sub" && echo $$ >"$CGSELF/sub/cgroup.procs"; then
			below=$CGSELF/sub
		fi
		say below "$below"
		say attach-below "$(bpf attach "$below")"
		say attach-sb "$(bpf attach "$CGSB")"
		say move-root "$(bpf cg-move "$CG2")"
		say move-parent "$(bpf cg-move "$CGPARENT")"
		say cgroup "$(grep "^0::" /proc/self/cgroup)"
		say private "$("$PY" "$TOOLS/rcct_client.py" tcp-connect 10.1.2.3 80 "$M1")"
		say public "$("$PY" "$TOOLS/rcct_client.py" tcp-connect 203.0.113.10 80 "$M2")"
		' </dev/null >"$out"
	echo "  escape report:"
	sed 's/^/      /' "$out"
	ESCAPE_OUT=$(cat "$out")
}

escape_field() {
	printf '%s\n' "$ESCAPE_OUT" | sed -n "s/^$1: //p" | head -n 1
}

# expect_escape_tool_works: the same tool, run with real privileges on a
# scratch cgroup and a scratch map, does attach, detach and rewrite: its
# failures in the sandbox mean something
expect_escape_tool_works() {
	local scratch map=$T_PIN-scratch/map
	cg_make scratch
	scratch=$(cg_path scratch)
	expect_result "control: real root attaches with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" attach "$scratch" 2>/dev/null)" ok
	expect_result "control: real root detaches with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" detach "$scratch" 2>/dev/null)" ok
	mkdir -p "${map%/*}" &&
		bpftool map create "$map" type hash key 4 value 4 entries 1 \
			name rcct_scratch &&
		bpftool map update pinned "$map" key 1 0 0 0 value 1 0 0 0
	expect_result "control: real root rewrites a pinned map with rcct_bpf" \
		"$("$PY" "$TOOLS/rcct_bpf.py" tamper --pin-files "$map" 2>/dev/null)" ok
}

test_escape_userns() {
	# A rootless-container shape: uid 65534 outside, root inside its own
	# user namespace, in a delegated cgroup below the enforced one.
	need_rcc || return 1
	rcc_attach sb || return 1
	expect_escape_tool_works
	local deleg
	cg_make sb/deleg
	deleg=$(cg_path sb/deleg)
	chown 65534:65534 "$deleg" "$deleg/cgroup.procs" "$deleg/cgroup.threads" \
		"$deleg/cgroup.subtree_control"
	escape_run sb/deleg unprivileged
	expect_result "userns root cannot rewrite the pinned maps" "$(escape_field tamper)" err
	expect_result "userns root cannot detach the programs" "$(escape_field detach)" err
	expect_result "userns root cannot attach its own program below" \
		"$(escape_field attach-below)" err
	expect_result "userns root cannot attach its own program to sb" \
		"$(escape_field attach-sb)" err
	expect_result "userns root cannot move to the root cgroup" \
		"$(escape_field move-root)" err
	expect_result "userns root cannot move to the parent cgroup" \
		"$(escape_field move-parent)" err
	expect_result "userns root is still refused" "$(escape_field private)" "err EPERM"
	expect_not_arrived "$ESC_M1" 10.1.2.3 80
	expect_result "userns root reaches a public address" "$(escape_field public)" ok
	expect_arrived "$ESC_M2"
	expect_attached_once sb
}
