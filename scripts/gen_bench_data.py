#!/usr/bin/env python3
"""Generates the large inputs of scripts/bench-peers.sh, reproducibly (fixed
seeds, fixed timestamps), without docker: issue #5.

  gen_bench_data.py OUTDIR SCALE

SCALE 1.0 gives the full-size inputs of the issue: a ~1.3 GB json-file log
(~7 M lines), a ~1.1 GB `docker save` archive (~80 k entries, a deleted
directory and an overwritten large file) and the same image as an OCI archive
with gzip layers, a ~630 MB `docker export`. Smaller scales shrink every
input proportionally (0.05 runs in about a minute).
"""

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile

CID = "5f3c0a9e1d2b4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"
MTIME = 1_764_374_400  # 2025-11-29T00:00:00Z: fixed so archives are reproducible


def json_str(s):
    return json.dumps(s, ensure_ascii=False)[1:-1]


def write_log(path, target_bytes, seed, start_sec=0):
    """dockerd json-file format: `{"log":...,"stream":...,"time":...}` with
    nanosecond times whose trailing zeros are trimmed, ~8% stderr lines, and
    one line in 1,500 longer than 16 KiB, split into 16 KiB partials."""
    rnd = random.Random(seed)
    msgs_out = [
        "GET /api/v1/orders/{n} 200 {ms}ms",
        "worker {n}: processed batch of {ms} items",
        "cache hit ratio {ms}% for shard {n}",
        "INFO  [main] request id={n} took {ms}ms",
        "POST /api/v1/login 302 {ms}ms user=u{n}",
        "\u001b[32mok\u001b[0m healthcheck {n} \"fine\" in {ms}ms",
    ]
    msgs_err = [
        "ERROR connection refused to db-{n}:5432 after {ms}ms",
        "WARN slow query {n} took {ms}ms",
        "Traceback (most recent call last): worker {n}",
        "dial tcp: lookup redis-{n}: no such host",
        "timeout waiting for lock {n} after {ms}ms",
    ]
    written = 0
    n = 0
    t = start_sec * 1_000_000_000
    out = []
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        while written < target_bytes:
            n += 1
            t += rnd.randrange(1, 2_000_000)
            secs, frac = divmod(t, 1_000_000_000)
            fs = ("%09d" % frac).rstrip("0")
            stamp = "2026-11-29T%02d:%02d:%02d%sZ" % (
                (secs // 3600) % 24, (secs // 60) % 60, secs % 60, ("." + fs) if fs else "")
            if n % 1500 == 0:
                # A 40,000-char line: dockerd writes 16 KiB partials.
                stream = "stdout"
                text = ("payload-%d " % n) * (40_000 // 12)
                pieces = [text[i:i + 16384] for i in range(0, len(text), 16384)]
                pieces[-1] += "\n"
                for p in pieces:
                    out.append('{"log":"%s","stream":"%s","time":"%s"}\n' % (json_str(p), stream, stamp))
            else:
                if rnd.random() < 0.08:
                    stream, tpl = "stderr", rnd.choice(msgs_err)
                else:
                    stream, tpl = "stdout", rnd.choice(msgs_out)
                msg = tpl.format(n=n, ms=rnd.randrange(1, 5000))
                out.append('{"log":"%s\\n","stream":"%s","time":"%s"}\n' % (json_str(msg), stream, stamp))
            if len(out) >= 20_000:
                s = "".join(out)
                f.write(s)
                written += len(s)
                out = []
        s = "".join(out)
        f.write(s)


def add_bytes(tar, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = MTIME
    tar.addfile(ti, io.BytesIO(data))


def add_dir(tar, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    ti.mtime = MTIME
    tar.addfile(ti)


class Blob:
    """A file-like body of `size` pseudo-random bytes, generated as read."""

    def __init__(self, size, seed):
        self.left = size
        self.rnd = random.Random(seed)

    def read(self, n=-1):
        if n < 0 or n > self.left:
            n = self.left
        self.left -= n
        return self.rnd.randbytes(n)


def add_blob(tar, name, size, seed):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = 0o644
    ti.mtime = MTIME
    tar.addfile(ti, Blob(size, seed))


def write_layers(tmp, scale):
    """Three layers: a base with many small files, one that deletes a
    directory (whiteout) and overwrites a large file, and a small app layer."""
    n_files = max(200, int(78_000 * scale))
    big = max(1 << 20, int(420e6 * scale))
    paths = []
    l1 = os.path.join(tmp, "l1.tar")
    with tarfile.open(l1, "w", format=tarfile.GNU_FORMAT) as t:
        for d in ["usr", "usr/lib", "usr/share", "var", "var/cache", "var/cache/apt", "opt", "opt/data"]:
            add_dir(t, d)
        for i in range(n_files):
            d = "usr/lib/pkg%03d" % (i // 400) if i % 2 else "usr/share/doc%03d" % (i // 400)
            if i % 400 in (0, 1):
                add_dir(t, d)
            add_bytes(t, "%s/file%06d.txt" % (d, i), (b"line %d of a small file\n" % i) * (1 + i % 40))
        for i in range(max(10, n_files // 100)):
            add_bytes(t, "var/cache/apt/pkg%05d.deb" % i, bytes([i % 251]) * 4096)
        add_blob(t, "opt/data/model.bin", big, 1)
    paths.append(l1)
    l2 = os.path.join(tmp, "l2.tar")
    with tarfile.open(l2, "w", format=tarfile.GNU_FORMAT) as t:
        add_dir(t, "var")
        add_dir(t, "var/cache")
        add_bytes(t, "var/cache/.wh.apt", b"")
        add_dir(t, "opt")
        add_dir(t, "opt/data")
        add_blob(t, "opt/data/model.bin", big, 2)
    paths.append(l2)
    l3 = os.path.join(tmp, "l3.tar")
    with tarfile.open(l3, "w", format=tarfile.GNU_FORMAT) as t:
        add_dir(t, "app")
        for i in range(50):
            add_bytes(t, "app/mod%02d.py" % i, b"print('hello')\n" * 100)
    paths.append(l3)
    return paths


def sha256_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def config_json(diff_ids):
    return json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["python", "/app/mod00.py"], "Env": ["PATH=/usr/bin"]},
        "created": "2026-11-29T00:00:00Z",
        "history": [{"created": "2026-11-29T00:00:00Z", "created_by": c} for c in
                    ["ADD base /", "RUN rm -rf /var/cache/apt && fetch model", "COPY app /app"]],
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
    }, sort_keys=True).encode()


def write_images(out, tmp, scale):
    layers = write_layers(tmp, scale)
    diff_ids = [sha256_file(p) for p in layers]
    cfg = config_json(diff_ids)
    cfg_id = hashlib.sha256(cfg).hexdigest()
    # docker save (legacy layout).
    with tarfile.open(os.path.join(out, "image-save.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        names = []
        for i, (p, d) in enumerate(zip(layers, diff_ids)):
            lid = hashlib.sha256(("layer%d" % i + d).encode()).hexdigest()
            add_dir(t, lid)
            add_bytes(t, lid + "/VERSION", b"1.0")
            add_bytes(t, lid + "/json", json.dumps({"id": lid}).encode())
            ti = t.gettarinfo(p, lid + "/layer.tar")
            ti.mtime = MTIME
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            with open(p, "rb") as f:
                t.addfile(ti, f)
            names.append(lid + "/layer.tar")
        add_bytes(t, cfg_id + ".json", cfg)
        add_bytes(t, "manifest.json", json.dumps(
            [{"Config": cfg_id + ".json", "RepoTags": ["bench/bloated:1.0"], "Layers": names}]).encode())
        add_bytes(t, "repositories", json.dumps({"bench/bloated": {"1.0": names[-1].split("/")[0]}}).encode())
    # OCI layout with gzip layers.
    gz_layers = []
    for p in layers:
        g = p + ".gz"
        with open(p, "rb") as src, open(g, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        gz_layers.append(g)
    with tarfile.open(os.path.join(out, "image-oci-gzip.tar"), "w", format=tarfile.GNU_FORMAT) as t:
        add_bytes(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_dir(t, "blobs")
        add_dir(t, "blobs/sha256")
        descs = []
        for g in gz_layers:
            dg = sha256_file(g)
            ti = t.gettarinfo(g, "blobs/sha256/" + dg)
            ti.mtime = MTIME
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            with open(g, "rb") as f:
                t.addfile(ti, f)
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                          "digest": "sha256:" + dg, "size": os.path.getsize(g)})
        add_bytes(t, "blobs/sha256/" + cfg_id, cfg)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + cfg_id, "size": len(cfg)},
            "layers": descs}).encode()
        mid = hashlib.sha256(manifest).hexdigest()
        add_bytes(t, "blobs/sha256/" + mid, manifest)
        add_bytes(t, "index.json", json.dumps({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": "sha256:" + mid, "size": len(manifest),
                           "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}).encode())
    # The gzip layer blobs, for the `gzip -dc` peer.
    os.makedirs(os.path.join(out, "oci-layers"), exist_ok=True)
    for i, g in enumerate(gz_layers):
        shutil.move(g, os.path.join(out, "oci-layers", "layer%d.tar.gz" % i))
    for p in layers:
        os.remove(p)


def write_export(path, scale):
    """A `docker export`-like tar: .dockerenv, empty etc/hostname, hosts and
    resolv.conf, dev/, and a filesystem of many files and a few large ones."""
    n_files = max(200, int(60_000 * scale))
    big = max(1 << 20, int(120e6 * scale))
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        add_bytes(t, ".dockerenv", b"")
        for d in ["dev", "etc", "proc", "sys", "usr", "usr/lib", "var", "var/log", "srv"]:
            add_dir(t, d)
        for f in ["etc/hostname", "etc/hosts", "etc/resolv.conf"]:
            add_bytes(t, f, b"")
        for i in range(n_files):
            d = "usr/lib/m%03d" % (i // 300)
            if i % 300 == 0:
                add_dir(t, d)
            add_bytes(t, "%s/f%06d.so" % (d, i), bytes([i % 256]) * (512 + (i * 37) % 6000))
        for i in range(4):
            add_blob(t, "srv/dump%d.bin" % i, big, 10 + i)
        add_blob(t, "var/log/app.log", big // 2, 20)


def main():
    out, scale = sys.argv[1], float(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "tmp")
    os.makedirs(tmp, exist_ok=True)
    log_dir = os.path.join(out, "bundle", "containers", CID)
    os.makedirs(log_dir, exist_ok=True)
    log = os.path.join(log_dir, CID + "-json.log")
    write_log(log, int(1.3e9 * scale), 7, start_sec=3600)
    # Rotated files: .1 plain and .2.gz, older times.
    write_log(log + ".1", int(20e6 * scale) + 10_000, 8, start_sec=1800)
    write_log(os.path.join(tmp, "r2"), int(20e6 * scale) + 10_000, 9, start_sec=0)
    with open(os.path.join(tmp, "r2"), "rb") as src, gzip.open(log + ".2.gz", "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.remove(os.path.join(tmp, "r2"))
    write_images(out, tmp, scale)
    write_export(os.path.join(out, "export.tar"), scale)
    inspect = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "bundle",
                           "host", "docker-inspect-all.json")
    host = os.path.join(out, "bundle", "host")
    os.makedirs(host, exist_ok=True)
    shutil.copy(inspect, os.path.join(host, "docker-inspect-all.json"))
    for name in ["image-save.tar", "export.tar"]:
        dst = os.path.join(out, "bundle", name)
        if os.path.exists(dst):
            os.remove(dst)
        os.link(os.path.join(out, name), dst)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
