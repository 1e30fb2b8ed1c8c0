#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_bpf: what a sandboxed process could try against the enforcement.

Uses the raw bpf(2) syscall through ctypes (no libbpf, no bpftool).  Prints
one result line: "ok ..." when the attempt SUCCEEDED (an escape, when run
from inside the sandbox), "err ERRNONAME ..." when every try failed.  Each
try is also described on stderr.

  detach CGROUP [--prog-ids I,J] [--link-ids I,J] [--pin-files F,G]
                [--pin-dir DIR]
      BPF_PROG_QUERY and BPF_PROG_DETACH (with no program) on every rcc
      attach type of CGROUP, BPF_PROG_GET_FD_BY_ID / BPF_LINK_GET_FD_BY_ID
      for the ids given, BPF_OBJ_GET on each pinned file given and on
      every file under DIR, then BPF_LINK_DETACH / BPF_PROG_DETACH with
      every fd obtained.
  tamper --pin-files F,G
      BPF_OBJ_GET on each pinned file; for every map obtained, write its
      first entry back unchanged (BPF_MAP_UPDATE_ELEM, BPF_EXIST): ok
      means the policy could have been rewritten.
  attach CGROUP
      BPF_PROG_LOAD an allow-everything cgroup/connect4 program and
      BPF_PROG_ATTACH it (BPF_F_ALLOW_MULTI) to CGROUP.
  cg-move CGROUP
      write our own pid to CGROUP/cgroup.procs; ok only if /proc/self/cgroup
      then names CGROUP.
"""
import ctypes
import errno
import os
import platform
import struct
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361,
          "s390x": 351}

BPF_MAP_LOOKUP_ELEM = 1
BPF_MAP_UPDATE_ELEM = 2
BPF_MAP_GET_NEXT_KEY = 4
BPF_PROG_LOAD = 5
BPF_OBJ_GET = 7
BPF_PROG_ATTACH = 8
BPF_PROG_DETACH = 9
BPF_PROG_GET_FD_BY_ID = 13
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_PROG_QUERY = 16
BPF_LINK_GET_FD_BY_ID = 30
BPF_LINK_DETACH = 34

BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18
BPF_F_ALLOW_MULTI = 2
BPF_EXIST = 2
PERCPU_MAP_TYPES = {5, 6, 10}  # percpu hash, percpu array, lru percpu hash

# attach types rcc-bpf uses
ATTACH_TYPES = {
    "cgroup_inet_egress": 1,
    "cgroup_inet_sock_create": 2,
    "cgroup_inet4_connect": 10,
    "cgroup_inet6_connect": 11,
    "cgroup_udp4_sendmsg": 14,
    "cgroup_udp6_sendmsg": 15,
}

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr, out=None):
    """bpf(2); returns the result or -errno.  out (a list) gets the attr
    as the kernel left it."""
    nr = NR_BPF.get(platform.machine())
    if nr is None:
        return -errno.ENOSYS
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_int(cmd), buf,
                       ctypes.c_uint(128))
    if out is not None:
        out.append(buf.raw)
    return ret if ret >= 0 else -ctypes.get_errno()


def name(ret):
    return errno.errorcode.get(-ret, str(-ret)) if ret < 0 else "ok"


class Tries:
    """Collects attempts; any success is the result."""

    def __init__(self):
        self.succeeded, self.first_err = [], None

    def note(self, what, ret):
        print("%s: %s" % (what, name(ret)), file=sys.stderr)
        if ret >= 0:
            self.succeeded.append(what)
        elif self.first_err is None:
            self.first_err = name(ret)
        return ret

    def line(self):
        if self.succeeded:
            return "ok " + ",".join(self.succeeded)
        return "err %s" % (self.first_err or "ENOENT")


def id_list(text):
    return [int(x) for x in text.split(",") if x] if text else []


def ptr(buf):
    return ctypes.addressof(buf)


def detach(cg, prog_ids, link_ids, pin_files, pin_dir):
    t = Tries()
    try:
        cgfd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        print("open %s: %s" % (cg, errno.errorcode.get(e.errno)),
              file=sys.stderr)
        return "err " + errno.errorcode.get(e.errno, "EIO")
    ids = (ctypes.c_uint32 * 64)()
    for aname, atype in ATTACH_TYPES.items():
        q = struct.pack("=IIIIQI", cgfd, atype, 0, 0, ptr(ids), 64)
        out = []
        ret = bpf(BPF_PROG_QUERY, q, out)
        print("query %s: %s" % (aname, name(ret)), file=sys.stderr)
        if ret == 0:
            cnt = struct.unpack_from("=I", out[0], 24)[0]
            prog_ids += list(ids)[:cnt]
        t.note("prog_detach %s (no prog fd)" % aname,
               bpf(BPF_PROG_DETACH, struct.pack("=III", cgfd, 0, atype)))
    prog_fds, link_fds = [], []
    for pid in sorted(set(prog_ids)):
        fd = bpf(BPF_PROG_GET_FD_BY_ID, struct.pack("=I", pid))
        print("prog_get_fd_by_id %d: %s" % (pid, name(fd)), file=sys.stderr)
        if fd >= 0:
            prog_fds.append(fd)
    for lid in link_ids:
        fd = bpf(BPF_LINK_GET_FD_BY_ID, struct.pack("=I", lid))
        print("link_get_fd_by_id %d: %s" % (lid, name(fd)), file=sys.stderr)
        if fd >= 0:
            link_fds.append(fd)
    for root, _, files in os.walk(pin_dir or "/nonexistent"):
        pin_files += [os.path.join(root, f) for f in files]
    for f in sorted(set(pin_files)):
        fd = obj_get(f)
        print("obj_get %s: %s" % (f, name(fd)), file=sys.stderr)
        if fd >= 0:
            link_fds.append(fd)
            prog_fds.append(fd)
    for fd in link_fds:
        t.note("link_detach fd %d" % fd,
               bpf(BPF_LINK_DETACH, struct.pack("=I", fd)))
    for fd in prog_fds:
        for aname, atype in ATTACH_TYPES.items():
            t.note("prog_detach %s fd %d" % (aname, fd),
                   bpf(BPF_PROG_DETACH, struct.pack("=III", cgfd, fd, atype)))
    if t.first_err is None and not t.succeeded:
        t.first_err = "ENOENT"
    return t.line()


def obj_get(path):
    buf = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("=QII", ptr(buf), 0, 0))


def possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        last = 0
        for part in f.read().strip().split(","):
            last = max(last, int(part.split("-")[-1]))
    return last + 1


def rewrite_first_entry(fd):
    """Write a map's first entry back unchanged; bpf() result or -errno."""
    info = ctypes.create_string_buffer(80)
    ret = bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("=IIQ", fd, 80, ptr(info)))
    if ret < 0:
        return ret
    mtype, _, key_size, value_size = struct.unpack_from("=IIII", info.raw)
    if mtype in PERCPU_MAP_TYPES:
        value_size = ((value_size + 7) // 8 * 8) * possible_cpus()
    key = ctypes.create_string_buffer(max(key_size, 1))
    value = ctypes.create_string_buffer(max(value_size, 1))
    ret = bpf(BPF_MAP_GET_NEXT_KEY, struct.pack("=IIQQ", fd, 0, 0, ptr(key)))
    if ret < 0:
        return ret
    ret = bpf(BPF_MAP_LOOKUP_ELEM,
              struct.pack("=IIQQ", fd, 0, ptr(key), ptr(value)))
    if ret < 0:
        return ret
    return bpf(BPF_MAP_UPDATE_ELEM,
               struct.pack("=IIQQQ", fd, 0, ptr(key), ptr(value), BPF_EXIST))


def tamper(pin_files):
    t = Tries()
    for f in sorted(set(pin_files)):
        fd = obj_get(f)
        if fd < 0:
            t.note("obj_get " + f, fd)
            continue
        t.note("rewrite " + f, rewrite_first_entry(fd))
    if t.first_err is None and not t.succeeded:
        t.first_err = "ENOENT"
    return t.line()


def attach(cg):
    # r0 = 1; exit  -> allow every connect()
    insns = struct.pack("<BBhiBBhi", 0xb7, 0, 0, 1, 0x95, 0, 0, 0)
    ibuf = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = struct.pack("=IIQQIIQII16sII", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 2,
                       ptr(ibuf), ptr(lic), 0, 0, 0, 0, 0, b"rcct_escape", 0,
                       ATTACH_TYPES["cgroup_inet4_connect"])
    t = Tries()
    prog = t.note("prog_load cgroup/connect4", bpf(BPF_PROG_LOAD, attr))
    if prog < 0:
        return t.line()
    try:
        cgfd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        return "err " + errno.errorcode.get(e.errno, "EIO")
    ret = bpf(BPF_PROG_ATTACH, struct.pack(
        "=IIII", cgfd, prog, ATTACH_TYPES["cgroup_inet4_connect"],
        BPF_F_ALLOW_MULTI))
    print("prog_attach %s: %s" % (cg, name(ret)), file=sys.stderr)
    if ret < 0:
        return "err " + name(ret)
    return "ok attached"


def cgroup_of_self():
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    return "?"


def cg_move(cg):
    procs = os.path.join(cg, "cgroup.procs")
    try:
        with open(procs, "w") as f:
            f.write("%d\n" % os.getpid())
    except OSError as e:
        return "err " + errno.errorcode.get(e.errno, str(e.errno))
    with open(procs) as f:
        if str(os.getpid()) in f.read().split():
            return "ok moved to " + cgroup_of_self()
    return "err NOTMOVED still in " + cgroup_of_self()


def main(argv):
    if len(argv) < 2 or argv[0] not in ("detach", "tamper", "attach",
                                         "cg-move"):
        sys.stdout.write(__doc__)
        return 2
    if argv[0] == "tamper":
        cmd, cg, rest = argv[0], None, argv[1:]
    else:
        cmd, cg, rest = argv[0], argv[1], argv[2:]
    opts = {}
    while rest:
        if len(rest) < 2 or rest[0] not in ("--prog-ids", "--link-ids",
                                            "--pin-files", "--pin-dir"):
            print("usage: bad option %r" % rest[0], file=sys.stderr)
            return 2
        opts[rest[0]] = rest[1]
        rest = rest[2:]
    if cmd == "detach":
        pins = [f for f in opts.get("--pin-files", "").split(",") if f]
        line = detach(cg, id_list(opts.get("--prog-ids")),
                      id_list(opts.get("--link-ids")), pins,
                      opts.get("--pin-dir"))
    elif cmd == "tamper":
        line = tamper([f for f in opts.get("--pin-files", "").split(",")
                       if f])
    elif cmd == "attach":
        line = attach(cg)
    else:
        line = cg_move(cg)
    print(line)
    return 0 if line.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
