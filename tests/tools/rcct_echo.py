#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_echo: a request/response exchange, both directions proven.

  serve --log FILE --ready FILE ADDR PORT
      a TCP and a UDP socket bound to ADDR:PORT; every request is logged
      ("tcp|udp SRC SPORT DATA") and answered with "re:" + DATA
  talk tcp|udp ADDR PORT PAYLOAD [GO]
      sends PAYLOAD and waits for its answer; with GO, creates GO.ready
      after the first exchange, waits for GO, then does a second one on
      the same socket (PAYLOAD + "-2").  One result line: "ok" or
      "err ERRNONAME" / "err noreply" / "err badreply"; exit 0 or 1.
  late tcp|udp ADDR PORT PAYLOAD GO
      connects, creates GO.ready, waits for GO, then sends PAYLOAD on
      the socket it already had (no answer awaited): only the egress
      backstop sees that send

Blocking calls time out after RCCT_TIMEOUT seconds (default 2).
"""
import errno
import os
import select
import socket
import sys
import threading
import time

TIMEOUT = float(os.environ.get("RCCT_TIMEOUT", "2"))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def log_line(fd, *fields):
    os.write(fd, (" ".join(str(f) for f in fields) + "\n").encode())


def serve_conn(fd, conn, peer):
    with conn:
        conn.settimeout(30)
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                log_line(fd, "tcp", peer[0], peer[1], data.decode(errors="replace"))
                conn.sendall(b"re:" + data)
        except OSError:
            return


def serve(argv):
    opts = dict(zip(argv[0:4:2], argv[1:4:2]))
    addr, port = argv[4], int(argv[5])
    fd = os.open(opts["--log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    tcp = socket.socket(family(addr), socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(16)
    udp = socket.socket(family(addr), socket.SOCK_DGRAM)
    udp.bind((addr, port))
    with open(opts["--ready"] + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(opts["--ready"] + ".tmp", opts["--ready"])
    while True:
        readable, _, _ = select.select([tcp, udp], [], [])
        if tcp in readable:
            conn, peer = tcp.accept()
            threading.Thread(target=serve_conn, args=(fd, conn, peer),
                             daemon=True).start()
        if udp in readable:
            data, peer = udp.recvfrom(4096)
            log_line(fd, "udp", peer[0], peer[1], data.decode(errors="replace"))
            try:
                udp.sendto(b"re:" + data, peer)
            except OSError as e:
                log_line(fd, "reply-failed", errno.errorcode.get(e.errno, e.errno))


def exchange(s, stype, sa, data):
    if stype == socket.SOCK_STREAM:
        s.sendall(data)
    else:
        s.sendto(data, sa)
    want, got = b"re:" + data, b""
    while len(got) < len(want):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    if not got:
        return "err noreply"
    return "ok" if got == want else "err badreply %r" % got


def talk(argv):
    proto, addr, port, payload = argv[0], argv[1], int(argv[2]), argv[3].encode()
    go = argv[4] if len(argv) > 4 else None
    stype = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sa = (addr, port)
    with socket.socket(family(addr), stype) as s:
        s.settimeout(TIMEOUT)
        if stype == socket.SOCK_STREAM:
            s.connect(sa)
        res = exchange(s, stype, sa, payload)
        if res != "ok" or not go:
            return res
        if not wait_go(go):
            return "err ETIMEDOUT (no GO file)"
        return exchange(s, stype, sa, payload + b"-2")


def wait_go(go):
    open(go + ".ready", "w").close()
    deadline = time.monotonic() + 30
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def late(argv):
    proto, addr, port, payload, go = argv[0], argv[1], int(argv[2]), argv[3].encode(), argv[4]
    stype = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family(addr), stype) as s:
        s.settimeout(TIMEOUT)
        s.connect((addr, port))
        if not wait_go(go):
            return "err ETIMEDOUT (no GO file)"
        s.send(payload)
        if stype == socket.SOCK_STREAM:
            time.sleep(1)  # retransmissions, if any, have their chance
        return "ok"


def main(argv):
    if len(argv) >= 6 and argv[0] == "serve":
        serve(argv[1:])
        return 0
    if len(argv) >= 5 and argv[0] in ("talk", "late") and argv[1] in ("tcp", "udp"):
        try:
            res = (talk if argv[0] == "talk" else late)(argv[1:])
        except socket.timeout:
            res = "err noreply"
        except OSError as e:
            res = "err " + errno.errorcode.get(e.errno, str(e.errno))
        print(res)
        return 0 if res == "ok" else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
