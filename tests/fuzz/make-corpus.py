#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpus of tests/fuzz/fuzz_dnswire.c: small DNS messages,
queries and responses of the shapes the proxy meets (and some it must
refuse), one file each, into tests/fuzz/corpus/dnswire/.  Plain python3,
no packages.  Run it again after changing it and commit the files:
    tests/fuzz/make-corpus.py
The unit tests (tests/unit/test_dnswire.c) replay every file."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dnswire")

A, NS, CNAME, SOA, MX, TXT, AAAA, SRV, OPT, HTTPS = 1, 2, 5, 6, 15, 16, 28, 33, 41, 65
IN = 1
QR, RD, RA, TC = 0x8000, 0x0100, 0x0080, 0x0200


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def labels(name):
    """Labels of a dotted name, without the root byte."""
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l)


def name(n):
    return labels(n) + b"\0"


def ptr(off):
    return u16(0xC000 | off)


def header(id_, flags, qd=1, an=0, ns=0, ar=0):
    return u16(id_) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar)


def question(n, qtype, qclass=IN):
    return name(n) + u16(qtype) + u16(qclass)


def rr(owner, rtype, ttl, rdata, rclass=IN):
    return owner + u16(rtype) + u16(rclass) + u32(ttl) + u16(len(rdata)) + rdata


def opt(size=1232):
    return rr(b"\0", OPT, 0, b"", rclass=size)


def query(n, qtype, id_=0x1234, flags=RD, edns=True):
    return header(id_, flags, ar=1 if edns else 0) + question(n, qtype) + (opt() if edns else b"")


def response(n, qtype, answers, id_=0x1234, flags=QR | RD | RA, ns=(), ar=()):
    return (header(id_, flags, an=len(answers), ns=len(ns), ar=len(ar)) + question(n, qtype)
            + b"".join(answers) + b"".join(ns) + b"".join(ar))


def v4(s):
    return bytes(int(x) for x in s.split("."))


def v6(last):
    return bytes.fromhex("20010db8000000000000000000000000")[:15] + bytes([last])


def chain(n_cnames, order):
    """A response for a.example: n_cnames CNAMEs c1..cN, then an A of the
    last, the records in the given order of indexes."""
    names = ["a.example"] + ["c%d.example" % i for i in range(1, n_cnames + 1)]
    recs = [rr(name(names[i]), CNAME, 300 + i, name(names[i + 1])) for i in range(n_cnames)]
    recs.append(rr(name(names[-1]), A, 60, v4("192.0.2.7")))
    return response("a.example", A, [recs[i] for i in order(len(recs))])


def corpus():
    q = {}
    q["q_a"] = query("example.com", A, edns=False)
    q["q_aaaa_edns"] = query("www.example.com", AAAA)
    q["q_mixed_case_mx"] = query("MaIl.ExAmPlE.org", MX)
    q["q_root_ns"] = query("", NS, edns=False)
    q["q_long_name"] = query(".".join(["a" * 63] * 3 + ["b" * 61]), A)
    q["q_https"] = query("svc.example", HTTPS)
    q["q_notify_opcode4"] = header(7, 4 << 11) + question("example.com", SOA)
    q["q_tsig_like_additional"] = (header(9, RD, ar=1) + question("example.com", TXT)
                                   + rr(ptr(12), 250, 0, b"\x00" * 8, rclass=255))
    q["q_bad_label64"] = header(3, RD) + b"\x40" + b"a" * 64 + b"\0" + u16(A) + u16(IN)
    q["q_bad_compressed"] = header(4, RD) + b"\x03www" + ptr(12) + u16(A) + u16(IN)
    q["q_bad_two_opts"] = header(5, RD, ar=2) + question("example.com", A) + opt() + opt(512)

    q["r_a"] = response("example.com", A, [rr(ptr(12), A, 300, v4("192.0.2.1")),
                                           rr(ptr(12), A, 200, v4("192.0.2.2"))])
    q["r_aaaa"] = response("www.example.com", AAAA, [rr(ptr(12), AAAA, 60, v6(1))])
    q["r_cname_chain3_shuffled"] = chain(3, lambda n: [2, 3, 0, 1])
    q["r_cname_chain9"] = chain(9, lambda n: list(range(n)))
    q["r_cname_loop"] = response("a.example", A, [
        rr(ptr(12), CNAME, 60, name("b.example")),
        rr(name("b.example"), CNAME, 60, name("a.example"))])
    # the owner of the answer points at itself: must end as malformed
    base = header(0x1234, QR | RD | RA, an=1) + question("example.com", A)
    q["r_compression_loop"] = (base + b"\x01x" + ptr(len(base)) + u16(A) + u16(IN) + u32(1)
                               + u16(4) + v4("192.0.2.9"))
    q["r_forward_pointer"] = (base + ptr(len(base) + 2) + name("a") + u16(A) + u16(IN) + u32(1)
                              + u16(4) + v4("192.0.2.9"))
    # a pointer into the last byte of the A before it, whose "label" would
    # run on past the pointer (the fuzzer's first find): malformed
    q["r_pointer_runs_on"] = response("example.com", A, [
        rr(ptr(12), A, 1, v4("192.0.2.3")), rr(ptr(44), A, 1, v4("192.0.2.1"))],
        ns=[rr(ptr(12), NS, 1, name("ns.example.com"))])
    q["r_a_rdlen5"] = response("example.com", A, [rr(ptr(12), A, 300, b"\xc0\x00\x02\x01\x00")])
    q["r_other_owner"] = response("example.com", A, [
        rr(name("evil.example"), A, 300, v4("203.0.113.1")),
        rr(ptr(12), A, 300, v4("192.0.2.1"))])
    mx_rdata = u16(10) + b"\x04mail" + ptr(12)
    q["r_mx_authority"] = response(
        "example.com", MX, [rr(ptr(12), MX, 3600, mx_rdata)],
        ns=[rr(ptr(12), NS, 3600, b"\x02ns" + ptr(12))],
        ar=[rr(name("mail.example.com"), A, 3600, v4("192.0.2.25")), opt()])
    soa = name("ns.example.com") + name("admin.example.com") + u32(1) + u32(2) + u32(3) + u32(4) + u32(5)
    q["r_nxdomain_soa"] = response("nope.example.com", A, [],
                                   flags=QR | RD | RA | 3, ns=[rr(b"\x07example\x03com\x00", SOA, 900, soa)])
    q["r_truncated"] = response("example.com", AAAA, [], flags=QR | RD | RA | TC)
    q["r_srv"] = response("_x._tcp.example.com", SRV,
                          [rr(ptr(12), SRV, 60, u16(1) + u16(2) + u16(443) + name("h.example.com"))])
    q["r_many_a"] = response("example.com", A,
                             [rr(ptr(12), A, 100 + i, bytes([198, 51, 100, i])) for i in range(40)])
    return q


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    for n, data in sorted(corpus().items()):
        with open(os.path.join(OUT, n), "wb") as f:
            f.write(data)
    print("%d files in %s" % (len(corpus()), OUT))


if __name__ == "__main__":
    main()
