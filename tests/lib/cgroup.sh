# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The test's own cgroups under the cgroup2 mount.

cg2_mount() {
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# cg_path NAME: the test's cgroup NAME ("" is the test's own root); an
# absolute path stays as it is (a cgroup the test did not make itself)
cg_path() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$T_CG${1:+/$1}" ;;
	esac
}

cg_make() {
	mkdir -p "$(cg_path "$1")"
}

# cg_kill_all DIR: kill every process in DIR and below (all started by
# this test), then wait until they are gone
cg_kill_all() {
	local dir=$1
	[ -d "$dir" ] || return 0
	if [ -e "$dir/cgroup.kill" ]; then
		echo 1 >"$dir/cgroup.kill" 2>/dev/null
	else
		find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null |
			while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
	fi
	wait_for 5 cg_empty "$dir"
}

cg_empty() {
	[ -z "$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]
}

# cg_has_procs NAME: some process is in the test's cgroup NAME
cg_has_procs() {
	[ -n "$(cat "$(cg_path "$1")/cgroup.procs" 2>/dev/null)" ]
}

cg_remove_tree() {
	[ -d "$1" ] || return 0
	cg_kill_all "$1"
	find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
	[ ! -d "$1" ]
}
