#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_client: one network action from inside the test sandbox.

Prints exactly one result line on stdout and exits 0 ("ok ...") or
1 ("err ERRNONAME ..."); 2 on a usage error.  Every blocking call has a
timeout (RCCT_TIMEOUT seconds, default 2).  The payload is the marker the
world-side sink and capture use to tell packets apart.

  tcp-connect ADDR PORT [PAYLOAD]
  udp-connect-send ADDR PORT PAYLOAD     connect() then send()
  udp-sendto ADDR PORT PAYLOAD
  udp-sendmsg ADDR PORT PAYLOAD
  udp-sendmmsg ADDR PORT PAYLOAD         sendmmsg(2) via ctypes, 2 messages
  udp-cmsg KIND ADDR PORT PAYLOAD [GO]   connect(), then sendmsg() with no
                                         address and one control message:
                                         KIND pktinfo, tos, gso or tclass;
                                         with GO, create GO.ready once
                                         connected and wait for GO first
  raw-icmp ADDR [PAYLOAD]                SOCK_RAW ICMP/ICMPv6 echo request
  ping ADDR [PAYLOAD]                    SOCK_DGRAM ping socket echo request
  raw-hdrincl ADDR PORT PAYLOAD          IPPROTO_RAW (IP_HDRINCL) UDP packet
  lsrr HOP FINAL PORT PAYLOAD            UDP to FINAL with IP_OPTIONS LSRR via HOP
  raw-shape SHAPE ADDR PAYLOAD [HOP]     a hand-made IP packet (IP_HDRINCL) to
                                         ADDR; SHAPE is one of RAW_SHAPES below
  socket-only FAMILY TYPE PROTO          socket() and nothing else
  loop SECONDS SUBCOMMAND ARGS...        repeat SUBCOMMAND until SECONDS pass

The family follows ADDR (an IPv6 literal uses AF_INET6).  --v4mapped turns
an IPv4 ADDR into ::ffff:a.b.c.d on an AF_INET6 socket.

Options (anywhere on the line):
  --comm NAME       prctl(PR_SET_NAME) first: the name the kernel reports
  --comm-hex HEX    the same with raw bytes (any but NUL), given in hex
  --show-pid        end the result line with " pid=N" (this process)
"""
import ctypes
import errno
import os
import socket
import struct
import sys
import time

TIMEOUT = float(os.environ.get("RCCT_TIMEOUT", "2"))
LOOP_MAX = 20000  # iterations, whatever SECONDS says

IPPROTO_NAMES = {
    "ip": 0, "icmp": 1, "tcp": 6, "udp": 17, "ipv6": 41, "icmpv6": 58,
    "sctp": 132, "udplite": 136, "raw": 255, "mptcp": 262,
}
TYPE_NAMES = {
    "stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM,
    "raw": socket.SOCK_RAW, "seqpacket": socket.SOCK_SEQPACKET,
}
FAMILY_NAMES = {"inet": socket.AF_INET, "4": socket.AF_INET,
                "inet6": socket.AF_INET6, "6": socket.AF_INET6}


class Usage(Exception):
    pass


class Result(Exception):
    """A non-errno failure worth one result line (e.g. short send)."""


def target(addr, port, v4mapped=False):
    """(family, sockaddr tuple) for ADDR and PORT."""
    if v4mapped:
        if ":" in addr:
            raise Usage("--v4mapped wants an IPv4 address")
        addr = "::ffff:" + addr
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        socket.inet_pton(fam, addr)
    except OSError:
        raise Usage("bad address %r" % addr)
    if fam == socket.AF_INET6:
        return fam, (addr, port, 0, 0)
    return fam, (addr, port)


def sock(family, stype, proto=0):
    s = socket.socket(family, stype, proto)
    s.settimeout(TIMEOUT)
    return s


def port_of(text):
    try:
        port = int(text)
    except ValueError:
        raise Usage("bad port %r" % text)
    if not 0 <= port <= 65535:
        raise Usage("bad port %r" % text)
    return port


def payload_of(args, i, required=True):
    if len(args) > i:
        return args[i].encode()
    if required:
        raise Usage("missing PAYLOAD")
    return b""


def need(args, n, what):
    if len(args) < n:
        raise Usage("usage: " + what)


# --- TCP / UDP -----------------------------------------------------------

def do_tcp_connect(args, v4mapped):
    need(args, 2, "tcp-connect ADDR PORT [PAYLOAD]")
    fam, sa = target(args[0], port_of(args[1]), v4mapped)
    data = payload_of(args, 2, required=False)
    with sock(fam, socket.SOCK_STREAM) as s:
        s.connect(sa)
        if data:
            s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        try:  # let the peer read it all before we go away
            while s.recv(4096):
                pass
        except OSError:
            pass
    return "ok"


def do_udp_connect_send(args, v4mapped):
    need(args, 3, "udp-connect-send ADDR PORT PAYLOAD")
    fam, sa = target(args[0], port_of(args[1]), v4mapped)
    with sock(fam, socket.SOCK_DGRAM) as s:
        s.connect(sa)
        s.send(payload_of(args, 2))
    return "ok"


def do_udp_sendto(args, v4mapped):
    need(args, 3, "udp-sendto ADDR PORT PAYLOAD")
    fam, sa = target(args[0], port_of(args[1]), v4mapped)
    with sock(fam, socket.SOCK_DGRAM) as s:
        s.sendto(payload_of(args, 2), sa)
    return "ok"


def do_udp_sendmsg(args, v4mapped):
    need(args, 3, "udp-sendmsg ADDR PORT PAYLOAD")
    fam, sa = target(args[0], port_of(args[1]), v4mapped)
    with sock(fam, socket.SOCK_DGRAM) as s:
        s.sendmsg([payload_of(args, 2)], [], 0, sa)
    return "ok"


# (level, type, data) of each control message udp-cmsg sends
CMSGS = {
    "pktinfo": (socket.IPPROTO_IP, 8, bytes(12)),        # IP_PKTINFO
    "tos": (socket.IPPROTO_IP, 1, struct.pack("=i", 2)),  # IP_TOS, ECT(0)
    "gso": (socket.IPPROTO_UDP, 103, struct.pack("=H", 1200)),  # UDP_SEGMENT
    "tclass": (socket.IPPROTO_IPV6, 67, struct.pack("=i", 2)),  # IPV6_TCLASS
}


def do_udp_cmsg(args, v4mapped):
    need(args, 4, "udp-cmsg KIND ADDR PORT PAYLOAD [GO]")
    if args[0] not in CMSGS:
        raise Usage("udp-cmsg: KIND is one of " + ", ".join(CMSGS))
    fam, sa = target(args[1], port_of(args[2]), v4mapped)
    go = args[4] if len(args) > 4 else None
    with sock(fam, socket.SOCK_DGRAM) as s:
        s.connect(sa)
        if go:
            open(go + ".ready", "w").close()
            deadline = time.monotonic() + 5 * TIMEOUT
            while not os.path.exists(go):
                if time.monotonic() > deadline:
                    return "err ETIMEDOUT (no GO file)"
                time.sleep(0.01)
        s.sendmsg([payload_of(args, 3)], [CMSGS[args[0]]])
    return "ok"


class IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p),
                ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(IoVec)),
                ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p),
                ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", MsgHdr), ("msg_len", ctypes.c_uint)]


def raw_sockaddr(fam, sa):
    """struct sockaddr_in / sockaddr_in6 as bytes."""
    if fam == socket.AF_INET:
        return (struct.pack("=H", fam) + struct.pack("!H", sa[1]) +
                socket.inet_pton(fam, sa[0]) + bytes(8))
    return (struct.pack("=H", fam) + struct.pack("!HI", sa[1], 0) +
            socket.inet_pton(fam, sa[0]) + struct.pack("=I", 0))


def do_udp_sendmmsg(args, v4mapped):
    need(args, 3, "udp-sendmmsg ADDR PORT PAYLOAD")
    fam, sa = target(args[0], port_of(args[1]), v4mapped)
    base = payload_of(args, 2)
    libc = ctypes.CDLL(None, use_errno=True)
    name = ctypes.create_string_buffer(raw_sockaddr(fam, sa))
    bufs, iovs = [], []
    msgs = (MMsgHdr * 2)()
    for i in range(2):
        bufs.append(ctypes.create_string_buffer(base + b"#%d" % i))
        iovs.append(IoVec(ctypes.cast(bufs[i], ctypes.c_void_p),
                          len(bufs[i].raw) - 1))
        msgs[i].msg_hdr.msg_name = ctypes.cast(name, ctypes.c_void_p)
        msgs[i].msg_hdr.msg_namelen = len(name.raw) - 1
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    with sock(fam, socket.SOCK_DGRAM) as s:
        n = libc.sendmmsg(s.fileno(), msgs, 2, 0)
        if n < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
        if n != 2:
            raise Result("err SHORT sent %d of 2" % n)
    return "ok"


# --- ICMP and raw --------------------------------------------------------

def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def echo_request(fam, data, ident):
    kind = 8 if fam == socket.AF_INET else 128
    hdr = struct.pack("!BBHHH", kind, 0, 0, ident, 1)
    if fam == socket.AF_INET:  # ICMPv6 checksums are the kernel's job
        hdr = struct.pack("!BBHHH", kind, 0, inet_csum(hdr + data), ident, 1)
    return hdr + data


def do_echo(args, v4mapped, stype):
    need(args, 1, "raw-icmp|ping ADDR [PAYLOAD]")
    fam, sa = target(args[0], 0, v4mapped)
    proto = socket.IPPROTO_ICMP if fam == socket.AF_INET else 58
    with sock(fam, stype, proto) as s:
        s.sendto(echo_request(fam, payload_of(args, 1, required=False),
                              os.getpid() & 0xffff), sa)
    return "ok"


def do_raw_icmp(args, v4mapped):
    return do_echo(args, v4mapped, socket.SOCK_RAW)


def do_ping(args, v4mapped):
    return do_echo(args, v4mapped, socket.SOCK_DGRAM)


def do_raw_hdrincl(args, v4mapped):
    need(args, 3, "raw-hdrincl ADDR PORT PAYLOAD")
    if ":" in args[0] or v4mapped:
        raise Usage("raw-hdrincl is IPv4 only")
    dst, port, data = args[0], port_of(args[1]), payload_of(args, 2)
    udp = struct.pack("!HHHH", 40000, port, 8 + len(data), 0) + data
    # saddr, id, tot_len and checksum 0: the kernel fills them in
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64, 17, 0,
                     bytes(4), socket.inet_aton(dst))
    with sock(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as s:
        s.sendto(ip + udp, (dst, 0))
    return "ok"


def ext6(nxt, body=b""):
    """An IPv6 extension header in 8-byte units: next, length, body."""
    body = body + bytes((6 - len(body)) % 8)
    return bytes([nxt, (len(body) + 2) // 8 - 1]) + body


def srh(nxt, hop):
    """A segment routing header (type 4) whose one segment is HOP."""
    seg = socket.inet_pton(socket.AF_INET6, hop)
    return bytes([nxt, 2, 4, 0, 0, 0, 0, 0]) + seg


def udp(port, data):
    return struct.pack("!HHHH", 40000, port, 8 + len(data), 0) + data


def dstopts(n, nxt, body):
    """n destination-options headers before body, whose type is nxt."""
    for _ in range(n):
        body, nxt = ext6(nxt) + body, 60
    return nxt, body


def shape6(shape, data, hop):
    """(first next-header value, the bytes after the IPv6 header)."""
    u = udp(5000, data)
    if shape in ("dstopts9-rh", "dstopts2-rh"):
        return dstopts(9 if shape == "dstopts9-rh" else 2, 43, srh(17, hop) + u)
    if shape == "dstopts17":
        return dstopts(17, 17, u)
    if shape == "ah-rh":
        # AH: next, length in 4-byte units minus 2, reserved, SPI, sequence, ICV
        ah = bytes([43, 4, 0, 0]) + struct.pack("!II", 0x100, 1) + bytes(12)
        return 51, ah + srh(17, hop) + u
    if shape == "unknown-ext":
        return 253, bytes([17, 0, 0, 0, 0, 0, 0, 0]) + u
    if shape == "frag-short":
        # first fragment (offset 0, more to come) that stops inside UDP
        return 44, bytes([17, 0, 0, 1]) + struct.pack("!I", 7) + u[:2]
    if shape == "frag-whole":
        # an atomic fragment: offset 0, no more, the whole datagram
        return 44, bytes([17, 0, 0, 0]) + struct.pack("!I", 7) + u
    raise Usage("no IPv6 shape %r" % shape)


def shape4(shape, data):
    """(IPv4 options, flags/fragment field, the bytes after the header)."""
    u = udp(5000, data)
    if shape == "opt-overlong":
        # a timestamp option that claims 48 bytes of a 4-byte options area
        return bytes([0x44, 48, 5, 0]), 0, u
    if shape == "opt-noop":
        return bytes([1, 1, 1, 0]), 0, u
    if shape == "frag-short":
        return b"", 0x2000, u[:2]   # MF set, offset 0, UDP header cut short
    if shape == "frag-whole":
        return b"", 0, u
    raise Usage("no IPv4 shape %r" % shape)


def source6(dst):
    """The source address the kernel would pick for dst (:: if none):
    IPv6 raw packets with the header included are sent as written."""
    try:
        with sock(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.connect((dst, 9))
            return socket.inet_pton(socket.AF_INET6, s.getsockname()[0])
    except OSError:
        return bytes(16)


RAW_SHAPES = ("IPv6: dstopts9-rh, dstopts2-rh, dstopts17, ah-rh, unknown-ext, "
              "frag-short, frag-whole; IPv4: opt-overlong, opt-noop, "
              "frag-short, frag-whole; HOP: the routing header's segment")


def do_raw_shape(args, v4mapped):
    need(args, 3, "raw-shape SHAPE ADDR PAYLOAD [HOP]  (" + RAW_SHAPES + ")")
    shape, dst, data = args[0], args[1], payload_of(args, 2)
    hop = args[3] if len(args) > 3 else dst
    if ":" in dst:
        nxt, rest = shape6(shape, data, hop)
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(rest), nxt, 64,
                         source6(dst), socket.inet_pton(socket.AF_INET6, dst))
        with sock(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW) as s:
            s.sendto(ip + rest, (dst, 0))
        return "ok"
    opts, frag, rest = shape4(shape, data)
    ihl = 5 + len(opts) // 4
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 0, 0, frag, 64, 17, 0,
                     bytes(4), socket.inet_aton(dst)) + opts
    with sock(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as s:
        s.sendto(ip + rest, (dst, 0))
    return "ok"


def do_lsrr(args, v4mapped):
    need(args, 4, "lsrr HOP FINAL PORT PAYLOAD")
    hop, final = args[0], args[1]
    port, data = port_of(args[2]), payload_of(args, 3)
    # Linux takes the first address of a user-supplied route as the next
    # hop and writes the real destination into the last slot, so one slot
    # holding HOP gives: IP dst = HOP, LSRR = [FINAL].
    opt = bytes([131, 7, 4]) + socket.inet_aton(hop) + b"\0"
    with sock(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, opt)
        s.sendto(data, (final, port))
    return "ok"


def lookup(table, text, what):
    key = text.lower()
    for prefix in ("af_", "sock_", "ipproto_"):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if key in table:
        return table[key]
    try:
        return int(text, 0)
    except ValueError:
        raise Usage("unknown %s %r" % (what, text))


def do_socket_only(args, v4mapped):
    need(args, 3, "socket-only FAMILY TYPE PROTO")
    fam = lookup(FAMILY_NAMES, args[0], "family")
    stype = lookup(TYPE_NAMES, args[1], "type")
    proto = lookup(IPPROTO_NAMES, args[2], "protocol")
    socket.socket(fam, stype, proto).close()
    return "ok"


COMMANDS = {
    "tcp-connect": do_tcp_connect,
    "udp-connect-send": do_udp_connect_send,
    "udp-sendto": do_udp_sendto,
    "udp-sendmsg": do_udp_sendmsg,
    "udp-cmsg": do_udp_cmsg,
    "raw-shape": do_raw_shape,
    "udp-sendmmsg": do_udp_sendmmsg,
    "raw-icmp": do_raw_icmp,
    "ping": do_ping,
    "raw-hdrincl": do_raw_hdrincl,
    "lsrr": do_lsrr,
    "socket-only": do_socket_only,
}


def errname(e):
    if isinstance(e, socket.timeout):
        return "ETIMEDOUT"
    return errno.errorcode.get(e.errno, str(e.errno))


def run_once(cmd, args, v4mapped):
    """Result line for one action; never raises for network errors."""
    try:
        return COMMANDS[cmd](args, v4mapped)
    except Result as e:
        return str(e)
    except OSError as e:
        return "err " + errname(e)


def do_loop(args, v4mapped):
    """loop SECONDS SUBCOMMAND ARGS: 'ok N' or 'err FIRSTERR FAILED/N'."""
    need(args, 2, "loop SECONDS SUBCOMMAND ARGS...")
    seconds, cmd = float(args[0]), args[1]
    if cmd not in COMMANDS:
        raise Usage("unknown command %r" % cmd)
    deadline = time.monotonic() + seconds
    runs, failed, first = 0, 0, None
    while time.monotonic() < deadline and runs < LOOP_MAX:
        line = run_once(cmd, args[2:], v4mapped)
        runs += 1
        if line != "ok":
            failed += 1
            first = first or line.split()[1]
        time.sleep(0.002)
    if failed:
        return "err %s %d/%d" % (first, failed, runs)
    return "ok %d" % runs


def set_comm(name):
    """prctl(PR_SET_NAME): the kernel keeps the first 15 bytes."""
    if not name or b"\0" in name:
        raise Usage("a process name is 1 to 15 bytes, no NUL")
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(name[:15])
    if libc.prctl(15, buf, 0, 0, 0):  # PR_SET_NAME
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def take_options(argv):
    """(argv without the options, v4mapped, comm bytes or None, show_pid)"""
    rest, v4mapped, comm, show_pid = [], False, None, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--v4mapped":
            v4mapped = True
        elif a == "--show-pid":
            show_pid = True
        elif a in ("--comm", "--comm-hex"):
            if i + 1 >= len(argv):
                raise Usage(a + " wants a value")
            i += 1
            try:
                comm = (argv[i].encode() if a == "--comm"
                        else bytes.fromhex(argv[i]))
            except ValueError:
                raise Usage("bad hex %r" % argv[i])
        else:
            rest.append(a)
        i += 1
    return rest, v4mapped, comm, show_pid


def main(argv):
    try:
        argv, v4mapped, comm, show_pid = take_options(argv)
        if comm is not None:
            set_comm(comm)
    except Usage as e:
        print("usage: %s" % e, file=sys.stderr)
        return 2
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "loop":
            line = do_loop(args, v4mapped)
        elif cmd in COMMANDS:
            if not args and cmd != "socket-only":
                raise Usage("missing arguments")
            line = run_once(cmd, args, v4mapped)
        else:
            raise Usage("unknown command %r" % cmd)
    except Usage as e:
        print("usage: %s" % e, file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:  # bad address literal and the like
        print("err EINVAL %s" % e)
        return 1
    ok = line.startswith("ok")
    if show_pid:
        line += " pid=%d" % os.getpid()
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
