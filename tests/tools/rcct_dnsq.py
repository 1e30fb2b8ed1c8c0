#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_dnsq: DNS clients from inside the test sandbox.

Runs the STEPs given, separated by "+", in one process (so a lookup and
the connect after it come from the same cgroup), and prints one line per
step: "STEP ARGS -> RESULT", RESULT being "ok ..." or "err ...".  The exit
code is 0 when every step printed "ok".  Every blocking call has a
timeout (RCCT_TIMEOUT seconds, default 2).

  gai NAME PORT MARKER [4|6]
      glibc getaddrinfo(NAME) (whatever /etc/resolv.conf says; AF_INET or
      AF_INET6 with 4/6), then a TCP connect to the first address, sending
      MARKER: "ok ADDR[,ADDR...]", "err EAI_NONAME" (the resolver's answer)
      or "err ENAME ADDR" (the connect failed)
  connect ADDR PORT MARKER
      a TCP connect sending MARKER: "ok" or "err ENAME"
  query HOW SERVER PORT NAME TYPE
      one DNS query for NAME (TYPE: A, AAAA, TXT, HTTPS, SVCB, ANY or a
      number) to SERVER:PORT; HOW is udp (connect, send, recv), sendto
      (an unconnected socket: sendto, recvfrom), sendmsg (the same with
      sendmsg/recvmsg), sendmmsg (two queries in one sendmmsg(2)), or tcp.
      "ok RCODE an=ADDR,... n=ANSWERS from=SRC" (from: the reply's source
      as the socket reports it; for sendmmsg both replies' sources), or
      "err ENAME" / "err timeout" / "err BADID"
  load HOW SERVER NAME COUNT SECONDS
      COUNT A queries (HOW udp or tcp), one every SECONDS/COUNT, each
      waiting 1 s for its answer and sent ONE more time if none came:
      "ok answered=N retried=R lost=L slowest_ms=M" (err when L > 0)
"""
import ctypes
import errno
import os
import random
import socket
import struct
import sys
import time

from rcct_client import IoVec, MMsgHdr, raw_sockaddr

TIMEOUT = float(os.environ.get("RCCT_TIMEOUT", "2"))
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "TXT": 16, "AAAA": 28, "SVCB": 64,
         "HTTPS": 65, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


class Fail(Exception):
    """A step's failure: its text is the result line."""


def errname(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    if isinstance(e, socket.gaierror):
        for n in dir(socket):
            if n.startswith("EAI_") and getattr(socket, n) == e.errno:
                return n
        return "EAI_%s" % e.errno
    return errno.errorcode.get(e.errno, str(e.errno))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, port):
    return (addr, port, 0, 0) if ":" in addr else (addr, port)


def question(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    t = TYPES.get(qtype.upper()) if not qtype.isdigit() else int(qtype)
    if t is None:
        raise Fail("err usage: unknown type %r" % qtype)
    return q + b"\0" + struct.pack(">HH", t, 1)


def skip_name(r, i):
    while r[i]:
        if r[i] >= 0xc0:
            return i + 2
        i += r[i] + 1
    return i + 1


def parse(r, qid):
    """(rcode name, [addresses], answer count) of reply r to query qid."""
    if len(r) < 12:
        raise Fail("err SHORT %d bytes" % len(r))
    rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
    if rid != qid:
        raise Fail("err BADID %d, sent %d" % (rid, qid))
    i = 12
    for _ in range(qd):
        i = skip_name(r, i) + 4
    addrs = []
    for _ in range(an):
        i = skip_name(r, i)
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntop(socket.AF_INET, r[i:i + 4]))
        elif rtype == 28 and rdlen == 16:
            addrs.append(socket.inet_ntop(socket.AF_INET6, r[i:i + 16]))
        i += rdlen
    return RCODES.get(flags & 0xf, "RCODE%d" % (flags & 0xf)), addrs, an


def source(sa):
    return "[%s]:%d" % sa[:2] if ":" in sa[0] else "%s:%d" % sa[:2]


def reply_line(r, qid, src):
    rcode, addrs, an = parse(r, qid)
    return "ok %s an=%s n=%d from=%s" % (rcode, ",".join(addrs) or "-", an, src)


def recv_tcp(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise Fail("err EOF after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def query_tcp(server, port, q):
    with socket.socket(family(server), socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        s.connect(sockaddr(server, port))
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", recv_tcp(s, 2))[0]
        return recv_tcp(s, n), source(s.getpeername())


def query_dgram(how, server, port, q):
    sa = sockaddr(server, port)
    with socket.socket(family(server), socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        if how == "udp":
            s.connect(sa)
            s.send(q)
            return s.recv(4096), source(s.getpeername())
        if how == "sendto":
            s.sendto(q, sa)
            r, src = s.recvfrom(4096)
        else:
            s.sendmsg([q], [], 0, sa)
            r, _, _, src = s.recvmsg(4096)
        return r, source(src)


def sendmmsg(fd, fam, sa, bufs):
    libc = ctypes.CDLL(None, use_errno=True)
    name = ctypes.create_string_buffer(raw_sockaddr(fam, sa))
    keep, msgs = [], (MMsgHdr * len(bufs))()
    for i, b in enumerate(bufs):
        buf = ctypes.create_string_buffer(b)
        iov = IoVec(ctypes.cast(buf, ctypes.c_void_p), len(b))
        keep += [buf, iov]
        msgs[i].msg_hdr.msg_name = ctypes.cast(name, ctypes.c_void_p)
        msgs[i].msg_hdr.msg_namelen = len(name.raw) - 1
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iov)
        msgs[i].msg_hdr.msg_iovlen = 1
    n = libc.sendmmsg(fd, msgs, len(bufs), 0)
    if n < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    if n != len(bufs):
        raise Fail("err SHORT sent %d of %d" % (n, len(bufs)))


def query_mmsg(server, port, name, qtype):
    """Two queries in one sendmmsg(2), both replies read back."""
    ids = random.sample(range(1, 65536), 2)
    qs = [question(i, name, qtype) for i in ids]
    fam, sa = family(server), sockaddr(server, port)
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT)
        sendmmsg(s.fileno(), fam, sa, qs)
        got = {}
        while len(got) < 2:
            r, src = s.recvfrom(4096)
            qid = struct.unpack(">H", r[:2])[0]
            if qid not in ids:
                raise Fail("err BADID %d" % qid)
            got[qid] = (r, source(src))
    lines = [reply_line(got[i][0], i, got[i][1]) for i in ids]
    rcode, an = lines[0].split()[1], lines[0].split()[2]
    if any(not l.startswith("ok " + rcode + " " + an + " ") for l in lines):
        raise Fail("err DIFFER " + " | ".join(lines))
    return "%s from=%s" % (lines[0].rsplit(" from=", 1)[0],
                           ",".join(l.rsplit(" from=", 1)[1] for l in lines))


def step_query(args):
    if len(args) != 5:
        raise Fail("err usage: query HOW SERVER PORT NAME TYPE")
    how, server, port, name, qtype = args
    port = int(port)
    if how == "sendmmsg":
        return query_mmsg(server, port, name, qtype)
    qid = random.randrange(1, 65536)
    q = question(qid, name, qtype)
    if how == "tcp":
        r, src = query_tcp(server, port, q)
    elif how in ("udp", "sendto", "sendmsg"):
        r, src = query_dgram(how, server, port, q)
    else:
        raise Fail("err usage: HOW is udp, sendto, sendmsg, sendmmsg or tcp")
    return reply_line(r, qid, src)


def connect_send(addr, port, marker):
    with socket.socket(family(addr), socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        s.connect(sockaddr(addr, port))
        s.sendall(marker.encode())
        s.shutdown(socket.SHUT_WR)
        try:  # let the peer read it all before we go away
            while s.recv(4096):
                pass
        except OSError:
            pass


def step_connect(args):
    if len(args) != 3:
        raise Fail("err usage: connect ADDR PORT MARKER")
    connect_send(args[0], int(args[1]), args[2])
    return "ok"


def step_gai(args):
    if len(args) not in (3, 4):
        raise Fail("err usage: gai NAME PORT MARKER [4|6]")
    fam = {"4": socket.AF_INET, "6": socket.AF_INET6}.get(
        args[3] if len(args) == 4 else "", socket.AF_UNSPEC)
    infos = socket.getaddrinfo(args[0], int(args[1]), fam, socket.SOCK_STREAM)
    addrs = []
    for info in infos:
        if info[4][0] not in addrs:
            addrs.append(info[4][0])
    try:
        connect_send(addrs[0], int(args[1]), args[2])
    except OSError as e:
        raise Fail("err %s %s" % (errname(e), addrs[0]))
    return "ok " + ",".join(addrs)


def load_one(how, server, q, qid):
    """True when the query got its answer within 1 s."""
    try:
        if how == "tcp":
            r, _ = query_tcp(server, 53, q)
        else:
            with socket.socket(family(server), socket.SOCK_DGRAM) as s:
                s.settimeout(1.0)
                s.sendto(q, sockaddr(server, 53))
                r = s.recv(4096)
        return parse(r, qid)[0] == "NOERROR"
    except (OSError, Fail):
        return False


def step_load(args):
    global TIMEOUT
    if len(args) != 5 or args[0] not in ("udp", "tcp"):
        raise Fail("err usage: load udp|tcp SERVER NAME COUNT SECONDS")
    how, server, name, count, secs = args[0], args[1], args[2], int(args[3]), float(args[4])
    TIMEOUT = 1.0
    start = time.monotonic()
    answered = retried = lost = slowest = 0
    for i in range(count):
        delay = start + i * secs / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.monotonic()
        qid = random.randrange(1, 65536)
        q = question(qid, name, "A")
        if load_one(how, server, q, qid):
            answered += 1
        else:
            retried += 1
            if load_one(how, server, q, qid):
                answered += 1
            else:
                lost += 1
        slowest = max(slowest, int((time.monotonic() - t0) * 1000))
    res = "answered=%d retried=%d lost=%d slowest_ms=%d" % (answered, retried, lost, slowest)
    return ("err " if lost else "ok ") + res


STEPS = {"gai": step_gai, "connect": step_connect, "query": step_query,
         "load": step_load}


def run_step(words):
    if not words or words[0] not in STEPS:
        return "err usage: unknown step %r" % (words[:1],)
    try:
        return STEPS[words[0]](words[1:])
    except Fail as e:
        return str(e)
    except (OSError, ValueError) as e:
        return "err " + (errname(e) if isinstance(e, OSError) else str(e))


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 2
    steps, cur = [], []
    for a in argv:
        if a == "+":
            steps.append(cur)
            cur = []
        else:
            cur.append(a)
    steps.append(cur)
    bad = 0
    for words in steps:
        res = run_step(words)
        print("%s -> %s" % (" ".join(words), res), flush=True)
        bad += not res.startswith("ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
