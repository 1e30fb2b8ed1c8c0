# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# DNS of a test: dnsmasq in W as the resolver, and the daemon's table of
# names as `status --json` shows it.

# dns_start TTL: dnsmasq in W, answering on W_ADDR4:53 from DNS_HOSTS
# (an /etc/hosts file) with TTL; nx.rcc.test is NXDOMAIN.  DNS_PID.
dns_start() {
	DNS_HOSTS=$T_DIR/dns.hosts
	DNS_LOG=$T_DIR/dnsmasq.log
	[ -e "$DNS_HOSTS" ] || : >"$DNS_HOSTS"
	: >"$DNS_LOG"
	# nsenter itself, not in_w: $! must be dnsmasq (nsenter execs it)
	nsenter --net="/run/netns/$NS_W" -- dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$W_ADDR4" \
		--port=53 --addn-hosts="$DNS_HOSTS" --local-ttl="$1" \
		--pid-file= --user=root --log-queries --log-facility="$DNS_LOG" \
		--address=/nx.rcc.test/ </dev/null &
	DNS_PID=$!
	remember_pid "$DNS_PID"
	echo "  dnsmasq in W (pid $DNS_PID), TTL $1, hosts $DNS_HOSTS"
	wait_for 5 grep -q "read $DNS_HOSTS" "$DNS_LOG" ||
		{ fail_check "dnsmasq did not start"; cat "$DNS_LOG"; return 1; }
	expect_eq "dnsmasq's pid is the one we will end" \
		"$(cat /proc/$DNS_PID/comm 2>/dev/null)" dnsmasq
}

# dns_set LINE...: the hosts file becomes these "ADDR NAME" lines; a
# running dnsmasq reads it again (SIGHUP), and we wait until it answers
# the first line's name with the first line's address
dns_set() {
	DNS_HOSTS=$T_DIR/dns.hosts
	printf '%s\n' "$@" >"$DNS_HOSTS"
	echo "  dns now: $*"
	[ -n "${DNS_PID:-}" ] || return 0
	kill -HUP "$DNS_PID"
	set -- $1
	wait_for 5 dns_answers "$2" "$1" ||
		fail_check "dnsmasq does not answer $2 with $1 after SIGHUP"
}

# dns_answers NAME ADDR: the test's dnsmasq has ADDR among NAME's A records
# (asked from SB's netns, outside the sandbox cgroup)
dns_answers() {
	in_sb_ns "$PY" - "$W_ADDR4" "$1" "$2" <<-'PYEOF'
	import random, socket, struct, sys
	server, name, want = sys.argv[1:4]
	qid = random.randrange(65536)
	q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
	q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
	q += struct.pack(">HH", 1, 1)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(1)
	s.sendto(q, (server, 53))
	r = s.recv(4096)
	an = struct.unpack(">H", r[6:8])[0]
	i = len(q)
	got = []
	for _ in range(an):
	    while r[i] and r[i] < 0xc0:
	        i += r[i] + 1
	    i += 2 if r[i] >= 0xc0 else 1
	    rtype, _, _, rdlen = struct.unpack(">HHIH", r[i:i + 10])
	    i += 10
	    if rtype == 1:
	        got.append(socket.inet_ntoa(r[i:i + rdlen]))
	    i += rdlen
	sys.exit(0 if want in got else 1)
	PYEOF
}

# dns_queries NAME: how many A queries for NAME dnsmasq answered
dns_queries() {
	grep -c "query\[A\] $1 " "$DNS_LOG"
}

# dns_world: the test's DNS server, the daemon and the one-shots in SB
# (outside the sandbox cgroup), and TTLs down to 1 s
dns_world() {
	RCC_NETNS=$NS_SB
	T_GLOBAL="resolver = $W_ADDR4
dns_min_ttl = 1${1:+
$1}"
}

# name_query NAME EXPR MISSING: the Python EXPR of n, NAME's entry in
# `status --json` (the daemon's table); MISSING when there is none
name_query() {
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys
try:
    doc = json.load(sys.stdin)
except ValueError:
    print("badjson"); sys.exit()
for n in doc.get("names") or []:
    if n["name"] == sys.argv[1]:
        print(eval(sys.argv[2]))
        break
else:
    print(sys.argv[3])' "$1" "$2" "$3"
}

# name_state NAME: its state and addresses ("stale 203.0.113.10")
name_state() {
	name_query "$1" '"%s %s" % (n["state"], " ".join(a["addr"] for a in n["addresses"]))' missing
}

# name_field NAME FIELD: FIELD of NAME
name_field() {
	name_query "$1" "n.get(\"$2\", \"missing\")" "no such name"
}

# name_state_is NAME WANT: name_state NAME is WANT (for wait_for)
name_state_is() {
	[ "$(name_state "$1")" = "$2" ]
}

# name_expiry_ms NAME: wall-clock ms when NAME's first address expires, as
# the daemon's status says (its expiry in ms from now, plus our clock)
name_expiry_ms() {
	rcc status --json >/dev/null
	printf '%s' "$RCC_OUT" | "$PY" -c '
import json, sys, time
now = int(time.time() * 1000)
for n in json.load(sys.stdin).get("names") or []:
    if n["name"] == sys.argv[1] and n["addresses"]:
        print(now + n["addresses"][0]["expires_in_ms"])
        break
else:
    print(0)' "$1"
}
