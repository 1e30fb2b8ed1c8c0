#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""rcct_audit: questions about rcc-bpf audit logs (JSON Lines).

FILEs are read in the order given (oldest first: PATH.K .. PATH.1 PATH).
Each prints one result line, "ok ..." (exit 0) or "err ..." (exit 1).

  lines [--partial-tail] FILE...
      every line of every file is a whole JSON object and ends with a
      newline; --partial-tail lets the last file end in one unterminated
      piece (a writer killed mid-write), reported as "tail=N" bytes
  one SEL [--eq KEY=VALUE]... [--absent KEY]... [--has KEY]...
          [--comm-of HEX] FILE...
      exactly one record matches SEL (KEY=VALUE[,KEY=VALUE...]) and it has
      the fields given; VALUE is compared with the JSON text of the field
      for numbers, true/false/null, and with the string itself otherwise.
      --comm-of: comm and comm_hex are what a process named by these raw
      bytes (first 15) must get: valid UTF-8 as it is and no comm_hex,
      anything else as Latin-1 with comm_hex the bytes in hex
  values KEY [SEL] FILE...
      "ok V1,V2,...": KEY of every record (matching SEL), sorted
  count [SEL] FILE...
      "ok N": records matching SEL (every record without one; "-" too)
  every SEL FILE...
      every record matches SEL; "ok N" (N records)
  stats FILE...
      "ok denial=N summary=M suppressed=S lines=L"
  order [SEL] FILE...
      the times of the records (matching SEL) never go back, across the
      files in the order given
  stream FILE
      FILE holds `rcc-bpf log --json` output: the same checks as lines
"""
import json
import sys


def read_records(files, partial_tail=False):
    """[(file, lineno, text, obj)], tail bytes; raises ValueError on a bad line"""
    out, tail = [], 0
    for fi, path in enumerate(files):
        with open(path, "rb") as f:
            data = f.read()
        parts = data.split(b"\n")
        last = parts.pop()  # after the final newline: b"" when whole
        if last:
            if partial_tail and fi == len(files) - 1:
                tail = len(last)
            else:
                raise ValueError("%s: ends in %d bytes without a newline: %r"
                                 % (path, len(last), last[:80]))
        for n, raw in enumerate(parts, 1):
            try:
                text = raw.decode("utf-8")
                obj = json.loads(text)
            except (UnicodeDecodeError, ValueError) as e:
                raise ValueError("%s:%d: not JSON (%s): %r" % (path, n, e, raw[:120]))
            if not isinstance(obj, dict):
                raise ValueError("%s:%d: not an object: %r" % (path, n, raw[:120]))
            out.append((path, n, text, obj))
    return out, tail


def field_text(v):
    return v if isinstance(v, str) else json.dumps(v)


def parse_sel(sel):
    if sel in ("", "-"):
        return []
    pairs = []
    for part in sel.split(","):
        if "=" not in part:
            raise SystemExit("bad selector %r" % part)
        k, v = part.split("=", 1)
        pairs.append((k, v))
    return pairs


def matches(obj, pairs):
    return all(k in obj and field_text(obj[k]) == v for k, v in pairs)


def cmd_lines(args):
    partial = "--partial-tail" in args
    files = [a for a in args if a != "--partial-tail"]
    recs, tail = read_records(files, partial)
    return "ok lines=%d tail=%d" % (len(recs), tail)


def cmd_one(args):
    sel, eqs, absent, has, files = parse_sel(args[0]), [], [], [], []
    comm_raw = None
    i = 1
    while i < len(args):
        a = args[i]
        if a in ("--eq", "--absent", "--has"):
            {"--eq": eqs, "--absent": absent, "--has": has}[a].append(args[i + 1])
            i += 2
        elif a == "--comm-of":
            comm_raw = bytes.fromhex(args[i + 1])[:15]
            i += 2
        else:
            files.append(a)
            i += 1
    recs, _ = read_records(files)
    hits = [r for r in recs if matches(r[3], sel)]
    if len(hits) != 1:
        return "err %d records match %s" % (len(hits), args[0])
    obj = hits[0][3]
    bad = []
    for e in eqs:
        k, v = e.split("=", 1)
        if k not in obj:
            bad.append("%s missing (want %r)" % (k, v))
        elif field_text(obj[k]) != v:
            bad.append("%s=%r (want %r)" % (k, field_text(obj[k]), v))
    bad += ["%s present (%r)" % (k, obj[k]) for k in absent if k in obj]
    bad += ["%s missing" % k for k in has if k not in obj]
    if comm_raw is not None:
        try:
            want, want_hex = comm_raw.decode("utf-8"), None
        except UnicodeDecodeError:
            want, want_hex = comm_raw.decode("latin-1"), comm_raw.hex()
        if obj.get("comm") != want:
            bad.append("comm=%r (want %r)" % (obj.get("comm"), want))
        if obj.get("comm_hex") != want_hex:
            bad.append("comm_hex=%r (want %r)" % (obj.get("comm_hex"), want_hex))
    print("    record: " + hits[0][2])
    if bad:
        return "err " + "; ".join(bad)
    return "ok"


def cmd_count(args):
    if args and "=" in args[0] or args and args[0] == "-":
        sel, files = parse_sel(args[0]), args[1:]
    else:
        sel, files = [], args
    recs, _ = read_records(files)
    return "ok %d" % sum(1 for r in recs if matches(r[3], sel))


def cmd_values(args):
    key, rest = args[0], args[1:]
    sel = []
    if rest and ("=" in rest[0] or rest[0] == "-"):
        sel, rest = parse_sel(rest[0]), rest[1:]
    recs, _ = read_records(rest)
    vals = sorted(field_text(r[3].get(key)) for r in recs if matches(r[3], sel))
    return "ok " + ",".join(vals)


def cmd_every(args):
    sel, files = parse_sel(args[0]), args[1:]
    recs, _ = read_records(files)
    bad = [r for r in recs if not matches(r[3], sel)]
    if bad:
        return "err %d of %d records do not match %s, e.g. %s" % (
            len(bad), len(recs), args[0], bad[0][2])
    return "ok %d" % len(recs)


def cmd_stats(args):
    recs, _ = read_records(args)
    den = sum(1 for r in recs if r[3].get("type") == "denial")
    sums = [r[3] for r in recs if r[3].get("type") == "summary"]
    sup = sum(int(s.get("suppressed", 0)) for s in sums)
    return "ok denial=%d summary=%d suppressed=%d lines=%d" % (
        den, len(sums), sup, len(recs))


def cmd_order(args):
    sel = []
    if args and ("=" in args[0] or args[0] == "-"):
        sel, args = parse_sel(args[0]), args[1:]
    recs, _ = read_records(args)
    prev, n_checked = None, 0
    for path, n, text, obj in recs:
        if not matches(obj, sel):
            continue
        n_checked += 1
        t = obj.get("time")
        if not isinstance(t, str):
            return "err %s:%d: no time" % (path, n)
        if prev is not None and t < prev[0]:
            return "err %s:%d: %s at %s before the %s at %s (%s:%d)" % (
                path, n, obj.get("type"), t, prev[3], prev[0], prev[1], prev[2])
        prev = (t, path, n, obj.get("type"))
    return "ok %d" % n_checked


COMMANDS = {"lines": cmd_lines, "one": cmd_one, "count": cmd_count,
            "every": cmd_every, "values": cmd_values, "stats": cmd_stats, "order": cmd_order,
            "stream": cmd_lines}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.stdout.write(__doc__)
        return 2
    try:
        line = COMMANDS[argv[0]](argv[1:])
    except (OSError, ValueError) as e:
        line = "err %s" % e
    print(line)
    return 0 if line.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
