# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The cgroup layouts of container runtimes (fixtures of the unit tests,
# made as plain cgroups): attach and detach by container id find them.

FIXTURES=$ROOT/tests/unit/fixtures/cgroup_layouts.txt

TESTS+=(
	test_fixture_layouts
)

test_fixture_layouts() {
	local runtime tmpl id rel dir n=0 ids=() rels=() runtimes=()
	conf_containers
	[ -r "$FIXTURES" ] || { fail_check "no fixture file $FIXTURES"; return 1; }
	while read -r runtime tmpl; do
		case $runtime in '' | '#'*) continue ;; esac
		id=$(rand_id)
		rel=fix/${tmpl//\{ID\}/$id}
		mkdir -p "$(cg_path "$rel")" || { fail_check "cannot make cgroup $rel"; continue; }
		ids+=("$id") rels+=("$rel") runtimes+=("$runtime")
	done <"$FIXTURES"
	expect "the fixture file lists layouts" test ${#ids[@]} -gt 0
	# positive control: unenforced, the private address answers
	allowed "${rels[0]}" tcp-connect 10.1.2.3 80
	for n in "${!ids[@]}"; do
		id=${ids[$n]} rel=${rels[$n]}
		dir=$(cg_path "$rel")
		echo "# ${runtimes[$n]}: $rel"
		rcc attach "${id:0:16}"
		expect_eq "attach ${id:0:16} (${runtimes[$n]}: ${rel#fix/}): exit code" "$RCC_RC" 0
		expect "attach names the container and its cgroup" \
			contains "$RCC_OUT" "to container ${id:0:12}: $dir"
		st_load
		expect_eq "status: the container of $rel" "$(st_field path "$dir" container)" "$id"
		expect_eq "status: policy of $rel" "$(st_field path "$dir" policy)" default
		refused "$rel" tcp-connect 10.1.2.3 80
		allowed "$rel" tcp-connect "$PUBLIC" 80
		rcc detach "${id:0:16}"
		expect_eq "detach ${id:0:16}: exit code" "$RCC_RC" 0
		st_load
		expect_eq "status after detach: entry of $rel" "$(st_field path "$dir" policy)" missing
	done
}
