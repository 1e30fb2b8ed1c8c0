#!/bin/bash
# Every outside command that the tests, the bench, the demo and CI call
# comes from a package that tools/deps.sh installs, or from one that every
# Debian system has (Essential or Priority: required).  A fresh machine
# has nothing else.  Ends with "deps: N passed, N failed", and writes
# "PASSED FAILED" to the file TEST_COUNTS names, if any.
set -u
cd "$(dirname "$0")/.."

# Commands worth checking: the ones a machine may lack.  (A tool added to
# the tests joins this list.)
CANDIDATES="nft iptables iptables-nft-restore iptables-legacy-restore podman
crun dnsmasq busybox bpftool jq perf systemd-analyze nsenter unshare setpriv
setcap script flock ip tc bridge ss clang llvm-strip pkg-config gcc make dig"

# owner_of PATH: the package that ships PATH ("" if none)
owner_of() {
	dpkg -S "$1" 2>/dev/null | grep -v '^diversion by' | head -n 1 | cut -d: -f1
}

# counts PASSED FAILED: the summary line, the counts file, the exit code
counts() {
	echo "deps: $1 passed, $2 failed"
	[ -z "${TEST_COUNTS:-}" ] || echo "$1 $2" >"$TEST_COUNTS"
	[ "$2" = 0 ]
}

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "deps: FAIL: not a git checkout: cannot tell which commands the scripts call"
	counts 0 1
	exit
fi

pkgs=$(sed -n '/^PKGS="/,/"$/p' tools/deps.sh | tr -d '"' | sed 's/^PKGS=//')
passed=0 failed=0
for cmd in $CANDIDATES; do
	git grep -qIwE -- "$cmd" -- tests/lib tests/integration tests/containers tests/tools \
		tools Makefile .ci 2>/dev/null || continue
	path=$(command -v "$cmd" 2>/dev/null)
	owner=""
	# the path as called first (alternatives resolve to versioned packages)
	for p in "$path" "/usr/bin/$cmd" "/usr/sbin/$cmd" "/bin/$cmd" "/sbin/$cmd"; do
		[ -n "$p" ] && [ -e "$p" ] || continue
		owner=$(owner_of "$p")
		[ -n "$owner" ] || owner=$(owner_of "$(readlink -f "$p")")
		[ -n "$owner" ] && break
	done
	if [ -z "$owner" ]; then
		echo "deps: FAIL: '$cmd' is called but no package on this machine provides it"
		failed=$((failed + 1))
		continue
	fi
	owner=${owner%%,*}
	essential=$(dpkg-query -W -f='${Essential} ${Priority}' "$owner" 2>/dev/null)
	if grep -qw -- "$owner" <<<"$pkgs"; then
		passed=$((passed + 1))
	elif [[ $essential == yes* || $essential == *required ]]; then
		passed=$((passed + 1))
	else
		echo "deps: FAIL: '$cmd' (package $owner) is called, but tools/deps.sh does not install $owner"
		failed=$((failed + 1))
	fi
done
counts "$passed" "$failed"
