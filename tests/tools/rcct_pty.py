#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Runs a command on a pseudo-terminal of its own, like a user at a
terminal: it is the session leader, the pty its controlling terminal.

  rcct_pty.py [--size ROWSxCOLS] [--on TEXT send|resize ARG]... -- CMD...

--on TEXT send STR: once TEXT shows in the output, type STR (\\r, \\n
escapes understood); --on TEXT resize ROWSxCOLS: then resize the window.
Actions fire in the order given.  Prints the whole output, then a line
"exit N" (or "signal N", or "timeout").
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split("x"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main(argv):
    size, actions = "24x80", []
    while argv and argv[0] != "--":
        if argv[0] == "--size":
            size, argv = argv[1], argv[2:]
        elif argv[0] == "--on":
            actions.append((argv[1].encode(), argv[2], argv[3]))
            argv = argv[4:]
        else:
            sys.exit("usage: rcct_pty.py [--size RxC] [--on TEXT send|resize ARG]... -- CMD...")
    cmd = argv[1:]
    master, slave = pty.openpty()
    set_size(master, size)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.execvp(cmd[0], cmd)
    os.close(slave)
    out, seen, deadline = b"", 0, time.time() + 60
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out += data
        while actions and actions[0][0] in out[seen:]:
            text, what, arg = actions.pop(0)
            seen = out.index(text, seen) + len(text)
            if what == "send":
                os.write(master, arg.encode().decode("unicode_escape").encode())
            else:
                set_size(master, arg)
    else:
        os.kill(pid, 9)
        sys.stdout.write(out.decode(errors="replace") + "\ntimeout\n")
        return
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    if os.WIFEXITED(status):
        print("\nexit %d" % os.WEXITSTATUS(status))
    else:
        print("\nsignal %d" % os.WTERMSIG(status))


main(sys.argv[1:])
