#!/usr/bin/env python3
"""Writes a set of hostile bundles into a directory (default target/hostile/):
each is a directory holding one bad input beside a good inspect file and a
good kernel log, like tests/hostile.rs. Used by hostile-acceptance.sh (#4)."""
import gzip, io, os, random, shutil, sys, tarfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target", "hostile")
samples = os.path.join(root, "samples", "bundle")
good_inspect = open(os.path.join(samples, "containers/pindexer/inspect.json"), "rb").read()
good_dmesg = open(os.path.join(samples, "host/dmesg.txt"), "rb").read()
rng = random.Random(4)


def hdr(name, size, kind=b"0", link=b""):
    h = bytearray(512)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = (b"%011o\0" % size) if size < 8**11 else size.to_bytes(12, "big")
    if size >= 8**11:
        h[124] |= 0x80
    h[136:148] = b"00000000000\0"
    h[156:157] = kind
    h[157:157 + len(link[:100])] = link[:100]
    h[257:265] = b"ustar\x0000"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(b):
    return b + b"\0" * (-len(b) % 512)


def pax(k, v):
    rest = len(k) + len(v) + 3
    n = rest + 1
    while len(str(n)) + rest != n:
        n = len(str(n)) + rest
    return b"%d %s=%s\n" % (n, k, v)


def member(name, body):
    return hdr(name, len(body)) + pad(body)


END = b"\0" * 1024
inner = member(b"inspect.json", good_inspect)
cases = {
    "traversal.tar": member(b"../../etc/cron.d/x", b"x") + member(b"/etc/passwd", b"r") + END,
    "truncated.tar": (inner + END)[:700],
    "huge-size.tar": hdr(b"big", 1 << 62) + b"abc" + END,
    "pax-zero-ustar.tar": hdr(b"P/x", len(pax(b"size", b"%d" % len(inner))), b"x") + pad(pax(b"size", b"%d" % len(inner))) + hdr(b"o", 0) + inner + END,
    "pax-bogus.tar": hdr(b"P/x", 20, b"x") + pad(b"99999999 path=x\n") + member(b"f", b"abc") + END,
    "pax-1gib.tar": hdr(b"P/x", 1 << 30, b"x") + pad(b"30 path=aaaaaaaaaaaaaaaaaaaaa\n"),
    "gnu-longname.tar": hdr(b"././@LongLink", 200001, b"L") + pad(b"n/" * 100000 + b"\0") + member(b"f", b"abc") + END,
    "symlink-loop.tar": hdr(b"a", 0, b"2", b"b") + hdr(b"b", 0, b"2", b"a") + hdr(b"s", 0, b"2", b"/etc/shadow") + inner + END,
    "sparse.tar": hdr(b"sp", 512, b"S") + b"x" * 512 + END,
    "trailing-garbage.tar": inner + END + b"\x1b]0;pwned\x07garbage" * 50,
    "escapes-json.log": b'{"log":"\\u001b[2J\\u001b]0;pwned\\u0007 ERROR boom\\n","stream":"stderr","time":"2026-11-29T03:20:00Z"}\n',
    "partial-chain-json.log": (b'{"log":"' + b"A" * 65536 + b'","stream":"stdout","time":"2026-11-29T03:20:00Z"}\n') * 64,
    "deep.json": b"[" * 200000 + b"]" * 200000,
    "random.bin": bytes(rng.getrandbits(8) for _ in range(100000)),
    "random.gz": b"\x1f\x8b" + bytes(rng.getrandbits(8) for _ in range(5000)),
}
# Bombs: gzip and zstd-free (python has no zstd): 1 GiB of zeros in many members.
z = gzip.compress(b"\0" * (8 << 20), 9)
cases["bomb.tar.gz"] = z * 128
multi = inner + END
cases["multi-member.tar.gz"] = gzip.compress(multi[:1000]) + gzip.compress(multi[1000:])
nested = good_inspect
for i in range(12):
    nested = gzip.compress(member(b"level-%d" % i, nested) + END)
cases["nested.tar.gz"] = nested

shutil.rmtree(out, ignore_errors=True)
for name, data in cases.items():
    d = os.path.join(out, name.replace(".", "_"))
    os.makedirs(d)
    open(os.path.join(d, "good-inspect.json"), "wb").write(good_inspect)
    open(os.path.join(d, "good-dmesg.txt"), "wb").write(good_dmesg)
    open(os.path.join(d, name), "wb").write(data)
print(f"{len(cases)} hostile bundles in {out}")
