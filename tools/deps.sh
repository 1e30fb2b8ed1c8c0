#!/bin/sh
# Debian/Ubuntu packages rcc-bpf needs to build, test, demo and bench.
#   tools/deps.sh check     name the missing ones and exit 1 if any is missing
#   tools/deps.sh install   apt-get install the missing ones (root)
# Besides the build: nftables and iptables are what make bench (and the
# sanity part of make check) measures rcc-bpf against; linux-perf is the
# profiler of BENCH_PROFILE=1; libcap2-bin's setcap makes a test's file
# with capabilities; libclang-rt-dev is clang's libFuzzer runtime (make
# fuzz), only recommended by clang; bind9-dnsutils is dig, a client of the
# DNS proxy tests.
set -eu

PKGS="clang llvm libbpf-dev libelf-dev zlib1g-dev libinih-dev libjson-c-dev libc-ares-dev dnsmasq-base
pkgconf make gcc libcmocka-dev iproute2 python3 jq util-linux
procps bpftool netbase podman crun busybox-static systemd
nftables iptables linux-perf libcap2-bin libclang-rt-dev bind9-dnsutils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done

case "${1:-check}" in
check)
	[ -z "$missing" ] || {
		echo "rcc-bpf: missing packages:$missing (install them with: make deps)" >&2
		exit 1
	} ;;
install)
	[ -z "$missing" ] && exit 0
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing ;;
*)
	echo "usage: $0 check|install" >&2; exit 2 ;;
esac
