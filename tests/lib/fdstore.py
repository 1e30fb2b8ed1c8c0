#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""fdstore: a stand-in for systemd's file descriptor store, for one service.

  fdstore.py --socket PATH --log FILE [--lifetime S] -- COMMAND [ARG...]

Runs COMMAND with NOTIFY_SOCKET=PATH (a unix datagram socket it makes)
and keeps what COMMAND sends there, as systemd does for a service with
FileDescriptorStoreMax=:
  FDSTORE=1 and FDNAME=NAME, with SCM_RIGHTS fds   kept under NAME; an fd
      of an open file already kept is closed instead (systemd's same_fd)
  FDSTOREREMOVE=1 and FDNAME=NAME                  the fds kept under
      NAME are closed
Other messages (READY=1, STOPPING=1, WATCHDOG=1...) are only logged.

SIGUSR1 restarts COMMAND: SIGTERM, wait (SIGKILL after 20 s), then
COMMAND again with the kept fds as 3, 4, ... and, as sd_listen_fds(3)
wants them, LISTEN_FDS=N, LISTEN_PID=<its pid> and LISTEN_FDNAMES=
NAME:NAME:... (set in the child after fork, before exec).
SIGTERM or SIGINT: COMMAND is stopped the same way, and fdstore exits
with COMMAND's exit status.  When COMMAND exits by itself, so does
fdstore (its status: COMMAND's).  After --lifetime seconds (default
600) it stops everything.

The log gets one line per event, the first field the wall clock in
seconds (float):
  T start pid=PID fds=N names=NAME:NAME...
  T msg pid=SENDER fds=N KEY=VALUE|KEY=VALUE...
  T stored NAME fd=FD | T duplicate NAME | T removed NAME n=N
  T stop pid=PID | T exited pid=PID status=S
"""
import argparse
import array
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

MSG_CMSG_CLOEXEC = 0x40000000
MAX_FDS = 253
STOP_WAIT = 20.0


class Store:
    def __init__(self, log):
        self.log = log
        self.fds = []  # [(name, fd)] in the order they came

    def same(self, fd):
        st = os.fstat(fd)
        for _, kept in self.fds:
            k = os.fstat(kept)
            if (k.st_dev, k.st_ino) == (st.st_dev, st.st_ino):
                return True
        return False

    def add(self, name, fds):
        for fd in fds:
            if self.same(fd):
                self.log("duplicate %s" % name)
                os.close(fd)
            else:
                self.fds.append((name, fd))
                self.log("stored %s fd=%d" % (name, fd))

    def remove(self, name):
        keep, n = [], 0
        for nm, fd in self.fds:
            if nm == name:
                os.close(fd)
                n += 1
            else:
                keep.append((nm, fd))
        self.fds = keep
        self.log("removed %s n=%d" % (name, n))


def receive(sock, store, log):
    """One datagram from the service; its fds kept or closed."""
    data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(MAX_FDS * 4) +
                                   socket.CMSG_SPACE(12), MSG_CMSG_CLOEXEC)
    fds, pid = [], "?"
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(payload[:len(payload) - len(payload) % 4])
            fds.extend(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("=iII", payload[:12])[0]
    fields = dict(l.split("=", 1) for l in data.decode(errors="replace").split("\n") if "=" in l)
    log("msg pid=%s fds=%d %s" % (pid, len(fds), "|".join(
        "%s=%s" % kv for kv in fields.items())))
    name = fields.get("FDNAME", "stored")
    if fields.get("FDSTORE") == "1":
        store.add(name, fds)
        fds = []
    elif fields.get("FDSTOREREMOVE") == "1":
        store.remove(name)
    for fd in fds:  # fds nobody asked to keep
        os.close(fd)


def spawn(cmd, store, notify, log):
    """COMMAND with the kept fds as 3, 4, ...; its pid."""
    kept = list(store.fds)
    pid = os.fork()
    if pid == 0:
        try:
            base = 3 + len(kept) + 64
            tmp = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, base) for _, fd in kept]
            for i, fd in enumerate(tmp):
                os.dup2(fd, 3 + i, inheritable=True)
            env = dict(os.environ, NOTIFY_SOCKET=notify)
            for k in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
                env.pop(k, None)
            if kept:
                env["LISTEN_FDS"] = str(len(kept))
                env["LISTEN_PID"] = str(os.getpid())
                env["LISTEN_FDNAMES"] = ":".join(n for n, _ in kept)
            os.execvpe(cmd[0], cmd, env)
        except BaseException as e:  # noqa: B902 - the child must never return
            sys.stderr.write("fdstore: cannot start %s: %s\n" % (cmd[0], e))
        os._exit(127)
    log("start pid=%d fds=%d names=%s" % (pid, len(kept), ":".join(n for n, _ in kept)))
    return pid


def status_of(st):
    return os.waitstatus_to_exitcode(st)


def stop(pid, log):
    """SIGTERM, wait, SIGKILL after STOP_WAIT; the exit status."""
    log("stop pid=%d" % pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    while True:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, st = os.waitpid(pid, 0)
            break
        time.sleep(0.01)
    log("exited pid=%d status=%d" % (pid, status_of(st)))
    return status_of(st)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    opts = ap.parse_args()
    cmd = opts.cmd[1:] if opts.cmd[:1] == ["--"] else opts.cmd
    if not cmd:
        ap.error("no COMMAND")
    logf = open(opts.log, "a", buffering=1)

    def log(text):
        logf.write("%.6f %s\n" % (time.time(), text))

    flags = {"restart": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: flags.__setitem__("restart", True))
    signal.signal(signal.SIGTERM, lambda *_: flags.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: flags.__setitem__("stop", True))

    if os.path.exists(opts.socket):
        os.unlink(opts.socket)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(opts.socket)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    store = Store(log)
    pid = spawn(cmd, store, opts.socket, log)
    end = time.monotonic() + opts.lifetime
    status = 0
    while True:
        if flags["stop"] or time.monotonic() > end:
            status = stop(pid, log)
            break
        if flags["restart"]:
            flags["restart"] = False
            stop(pid, log)
            while select.select([sock], [], [], 0)[0]:  # what it sent last
                receive(sock, store, log)
            pid = spawn(cmd, store, opts.socket, log)
        try:
            ready = select.select([sock], [], [], 0.05)[0]
        except InterruptedError:
            ready = []
        if ready:
            receive(sock, store, log)
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = status_of(st)
            log("exited pid=%d status=%d" % (pid, status))
            break
    sock.close()
    os.unlink(opts.socket)
    return status


if __name__ == "__main__":
    sys.exit(main())
