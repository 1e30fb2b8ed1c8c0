#!/bin/bash
# make demo: a sandboxed command, in throwaway network namespaces, is
# refused a private address and reaches a public one; then the counters.
#
# Everything here lives in namespaces made for the demo: a "sandbox"
# joined by a veth to a "world" that holds a private address (10.1.2.3,
# standing in for your router or database) and a public one (203.0.113.10,
# a documentation address).  Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

RCC=${RCC:-build/rcc-bpf}
tag=rccdemo$$
SB=$tag-sb
W=$tag-w
PIN=/sys/fs/bpf/$tag
work=$(mktemp -d /tmp/rcc-demo.XXXXXX)
listener=
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)

cleanup() {
	if [ -n "$listener" ]; then
		kill "$listener" 2>/dev/null
		wait "$listener" 2>/dev/null || true
	fi
	ip netns del "$SB" 2>/dev/null || true
	ip netns del "$W" 2>/dev/null || true
	rm -rf "$PIN" "$work"
	[ -n "$CG2" ] && rmdir "$CG2/$tag" 2>/dev/null
	return 0
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "make demo loads BPF programs: run it as root (the Makefile uses sudo)" >&2
	exit 1
fi
# the system's python3: the sandboxed user must be able to run it
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "$PY is missing: make deps" >&2; exit 1; }

ip netns add "$SB"
ip netns add "$W"
ip link add "$tag-a" type veth peer name "$tag-b"
ip link set "$tag-a" netns "$SB"
ip link set "$tag-b" netns "$W"
ip -n "$SB" addr add 198.51.100.2/24 dev "$tag-a"
ip -n "$W" addr add 198.51.100.1/24 dev "$tag-b"
ip -n "$W" addr add 10.1.2.3/32 dev lo
ip -n "$W" addr add 203.0.113.10/32 dev lo
for ns in "$SB" "$W"; do
	ip -n "$ns" link set lo up
done
ip -n "$SB" link set "$tag-a" up
ip -n "$W" link set "$tag-b" up
ip -n "$SB" route add default via 198.51.100.1

# The world side writes down every connection that reaches it.
ip netns exec "$W" timeout 60 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 80)); s.listen(16)
while True:
    c, peer = s.accept()
    dst = c.getsockname()[0].replace("::ffff:", "")
    print("  world: a connection from the sandbox ARRIVED at %s:80" % dst, flush=True)
    c.close()
' &
listener=$!
sleep 0.3

cat >"$work/rcc-bpf.conf" <<CONF
[global]
pin_dir = $PIN
run_cgroup = $tag

[policy default]
# the built-in defaults: private ranges denied, public allowed
CONF

cat >"$work/client.py" <<'PY'
import socket, sys
for dst in sys.argv[1:]:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((dst, 80))
        print("  sandbox: connect %s:80 -> connected" % dst, flush=True)
    except OSError as e:
        print("  sandbox: connect %s:80 -> %s" % (dst, e.strerror), flush=True)
    s.close()
PY
chmod 0755 "$work"
chmod 0644 "$work/client.py"

echo "== rcc-bpf check: what the policy says, from the configuration alone"
for d in 10.1.2.3 169.254.169.254 203.0.113.10; do
	printf '  %-16s ' "$d:"
	"$RCC" -c "$work/rcc-bpf.conf" check "$d" 80
done
echo
echo "== rcc-bpf run --user nobody -- python3 client.py 10.1.2.3 203.0.113.10"
echo "   (the command runs in a new cgroup, enforced before it starts)"
# nsenter joins only the sandbox's network namespace: rcc-bpf still sees
# the host's bpffs and cgroup tree.
nsenter --net="/run/netns/$SB" "$RCC" -c "$work/rcc-bpf.conf" run --user nobody -- \
	"$PY" "$work/client.py" 10.1.2.3 203.0.113.10
sleep 0.3
echo
echo "== rcc-bpf status: the policy's counters (programs and maps stay pinned"
echo "   under $PIN until removed; the run's own cgroup is gone)"
"$RCC" -c "$work/rcc-bpf.conf" status
echo
echo "The private address was refused in the kernel (EPERM) and never reached the"
echo "world; the public one arrived.  Next: 'make check', and README.md."
