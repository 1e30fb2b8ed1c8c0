#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_world: the receiving side of the test world (run inside netns W).

  sink --log FILE --ports P[,P...] [--ready FILE] [--lifetime S]
      TCP and UDP listeners on every port, IPv4 and IPv6.  One line per
      connection or datagram:
          PROTO SRC SPORT DST DPORT PAYLOAD
  capture --log FILE --ifname IF [--ready FILE] [--lifetime S]
      AF_PACKET capture of every IP packet arriving on IF (nothing sent
      from W, no IPv6 neighbour discovery or MLD).  One line per packet:
          FAM PROTO SRC SPORT DST DPORT INFO PAYLOAD
      FAM ip4|ip6; ports '-' where the protocol has none; INFO is a
      comma list (tcp flags like S/SA/PA, icmp type=N, opt and lsrr/ssrr
      for IPv4 options) or '-'; PAYLOAD the L4 payload, escaped.
      When a packet carrying "rcct-sync-" arrives and the kernel dropped
      packets before the capture could read them, a line "drops N" comes
      first: absence cannot be proven past it.

Payloads are written with every byte outside '!'..'~' and the backslash
as \\xNN, so a line always splits into the same number of fields.  Both
modes write the --ready file once listening and stop by themselves after
--lifetime seconds (default 900).
"""
import argparse
import os
import select
import signal
import socket
import struct
import sys
import threading

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33
SYNC_TAG = b"rcct-sync-"
IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50
ND_MLD_TYPES = {130, 131, 132, 133, 134, 135, 136, 137, 143}
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp",
               136: "udplite"}
IPV6_EXT_HEADERS = {0, 43, 60}  # hop-by-hop, routing, destination options


def escape(data):
    if not data:
        return "-"
    out = []
    for b in data:
        if 0x21 <= b <= 0x7e and b != 0x5c:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


class Log:
    """Appends whole lines, one write(2) each, safe from several threads."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.lock = threading.Lock()

    def line(self, *fields):
        text = " ".join(str(f) for f in fields) + "\n"
        with self.lock:
            os.write(self.fd, text.encode())


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(path + ".tmp", path)


def stop_after(seconds):
    signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
    signal.alarm(int(seconds))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


def plain_addr(addr):
    return addr[7:] if addr.startswith("::ffff:") else addr


# --- sink ---------------------------------------------------------------

def listeners(ports):
    socks = []
    for port in ports:
        for fam, any_addr in ((socket.AF_INET, "0.0.0.0"),
                              (socket.AF_INET6, "::")):
            for stype in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(fam, stype)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                if stype == socket.SOCK_DGRAM:
                    if fam == socket.AF_INET:
                        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
                    else:
                        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
                s.bind((any_addr, port))
                if stype == socket.SOCK_STREAM:
                    s.listen(64)
                socks.append(s)
    return socks


def udp_dest(fam, ancillary):
    for level, kind, data in ancillary:
        if fam == socket.AF_INET and level == socket.IPPROTO_IP \
                and kind == IP_PKTINFO:
            return socket.inet_ntop(socket.AF_INET, data[8:12])
        if fam == socket.AF_INET6 and level == socket.IPPROTO_IPV6 \
                and kind == IPV6_PKTINFO:
            return socket.inet_ntop(socket.AF_INET6, data[:16])
    return "?"


def serve_tcp(log, conn):
    with conn:
        conn.settimeout(2)
        src, dst = conn.getpeername(), conn.getsockname()
        data = b""
        try:
            while len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        log.line("tcp", plain_addr(src[0]), src[1], plain_addr(dst[0]),
                 dst[1], escape(data))


def sink(opts):
    log = Log(opts.log)
    socks = listeners(int(p) for p in opts.ports.split(","))
    ready(opts.ready)
    while True:
        readable, _, _ = select.select(socks, [], [])
        for s in readable:
            if s.type == socket.SOCK_STREAM:
                conn, _ = s.accept()
                threading.Thread(target=serve_tcp, args=(log, conn),
                                 daemon=True).start()
                continue
            data, anc, _, src = s.recvmsg(65536, 256)
            log.line("udp", plain_addr(src[0]), src[1],
                     udp_dest(s.family, anc), s.getsockname()[1],
                     escape(data))


# --- capture ------------------------------------------------------------

def l4_fields(proto, seg):
    """(sport, dport, info, payload) of one L4 segment."""
    if proto in (6,) and len(seg) >= 20:
        sport, dport, _, _, off_flags = struct.unpack("!HHIIH", seg[:14])
        flags = "".join(c for bit, c in ((0x02, "S"), (0x10, "A"),
                                         (0x01, "F"), (0x04, "R"),
                                         (0x08, "P")) if off_flags & bit)
        return sport, dport, flags or ".", seg[(off_flags >> 12) * 4:]
    if proto in (17, 136) and len(seg) >= 8:
        sport, dport = struct.unpack("!HH", seg[:4])
        return sport, dport, "-", seg[8:]
    if proto in (1, 58) and len(seg) >= 8:
        return "-", "-", "type=%d" % seg[0], seg[8:]
    return "-", "-", "-", seg


def ipv4_options(opts):
    """Names of the interesting IPv4 options present."""
    names, i = ["opt"], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if kind == 131:
            names.append("lsrr")
        elif kind == 137:
            names.append("ssrr")
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        i += opts[i + 1]
    return names


def parse_ipv4(pkt):
    ihl = (pkt[0] & 0x0f) * 4
    total = struct.unpack("!H", pkt[2:4])[0]
    proto = pkt[9]
    src = socket.inet_ntop(socket.AF_INET, pkt[12:16])
    dst = socket.inet_ntop(socket.AF_INET, pkt[16:20])
    extra = ipv4_options(pkt[20:ihl]) if ihl > 20 else []
    sport, dport, info, payload = l4_fields(proto, pkt[ihl:total])
    if extra:
        info = ",".join(([] if info == "-" else [info]) + extra)
    return ("ip4", PROTO_NAMES.get(proto, proto), src, sport, dst, dport,
            info, escape(payload))


def parse_ipv6(pkt):
    nxt, off = pkt[6], 40
    src = socket.inet_ntop(socket.AF_INET6, pkt[8:24])
    dst = socket.inet_ntop(socket.AF_INET6, pkt[24:40])
    while nxt in IPV6_EXT_HEADERS and off + 8 <= len(pkt):
        nxt, off = pkt[off], off + (pkt[off + 1] + 1) * 8
    if nxt == 44 and off + 8 <= len(pkt):  # fragment header
        nxt, off = pkt[off], off + 8
    seg = pkt[off:40 + struct.unpack("!H", pkt[4:6])[0]]
    if nxt == 58 and seg and seg[0] in ND_MLD_TYPES:
        return None
    sport, dport, info, payload = l4_fields(nxt, seg)
    return ("ip6", PROTO_NAMES.get(nxt, nxt), src, sport, dst, dport, info,
            escape(payload))


def capture(opts):
    log = Log(opts.log)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.bind((opts.ifname, 0))
    ready(opts.ready)
    drops = 0
    while True:
        frame, addr = s.recvfrom(65600)
        if addr[2] == PACKET_OUTGOING or len(frame) < 14:
            continue
        if SYNC_TAG in frame:  # reading the statistics resets them
            drops += struct.unpack("=II", s.getsockopt(
                SOL_PACKET, PACKET_STATISTICS, 8))[1]
            if drops:
                log.line("drops", drops)
        ethertype, pkt = struct.unpack("!H", frame[12:14])[0], frame[14:]
        fields = None
        try:
            if ethertype == 0x0800 and len(pkt) >= 20:
                fields = parse_ipv4(pkt)
            elif ethertype == 0x86dd and len(pkt) >= 40:
                fields = parse_ipv6(pkt)
        except (struct.error, IndexError, ValueError) as e:
            fields = ("bad", "-", "-", "-", "-", "-", type(e).__name__,
                      escape(pkt[:64]))
        if fields:
            log.line(*fields)


def main():
    p = argparse.ArgumentParser(description="rcct world side")
    sub = p.add_subparsers(dest="mode", required=True)
    for mode in ("sink", "capture"):
        sp = sub.add_parser(mode)
        sp.add_argument("--log", required=True)
        sp.add_argument("--ready")
        sp.add_argument("--lifetime", type=float, default=900)
        if mode == "sink":
            sp.add_argument("--ports", required=True)
        else:
            sp.add_argument("--ifname", required=True)
    opts = p.parse_args()
    stop_after(opts.lifetime)
    (sink if opts.mode == "sink" else capture)(opts)


if __name__ == "__main__":
    sys.exit(main())
