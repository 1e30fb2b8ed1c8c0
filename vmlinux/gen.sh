#!/bin/sh
# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
set -eu
cd "$(dirname "$0")"
arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
mkdir -p "$arch"
"$bpftool" btf dump file /sys/kernel/btf/vmlinux format c > "$arch/vmlinux.h.tmp"
mv "$arch/vmlinux.h.tmp" "$arch/vmlinux.h"
echo "wrote vmlinux/$arch/vmlinux.h from $(uname -r); note it in vmlinux/README.md"
