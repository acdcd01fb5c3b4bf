#!/usr/bin/env bash
# Speed of a Docker data root read from tar-split only (issue #14): one big
# image (6 layers, ~79k entries, ~1.1 GB at CORONER_BENCH_SCALE=1) written
# both as a data root (imagedb + layerdb with tar-split.json.gz, no layer
# bodies, as Docker keeps it) and as the same image's `docker save`.
# Compares coroner on the data root with coroner on the `docker save` and,
# when it can be installed, with `dive --ci` on the `docker save`; checks
# that every run reports the exact wasted bytes the generator computed.
#
# Usage: CORONER_BENCH_SCALE=0.3 scripts/bench-data-root.sh [OUTDIR]
# Needs python3 and a release build (cargo build --release). Writes about
# 1.1 GB x scale under OUTDIR (default: a temp dir, removed at the end).
set -euo pipefail
SCALE="${CORONER_BENCH_SCALE:-0.3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CORONER="${CORONER:-$ROOT/target/release/coroner}"
OUT="${1:-$(mktemp -d)}"
KEEP="${1:+yes}"
mkdir -p "$OUT"
[ -x "$CORONER" ] || { echo "build first: cargo build --release" >&2; exit 2; }

# Reuses what an earlier run left in OUTDIR at the same scale.
if [ "$(cat "$OUT/scale" 2>/dev/null)" != "$SCALE" ] || [ ! -f "$OUT/expected.json" ]; then
rm -rf "$OUT/data-root" "$OUT/image-save.tar"
python3 - "$OUT" "$SCALE" <<'PY'
import base64, gzip, hashlib, io, json, os, sys, tarfile
out, scale = sys.argv[1], float(sys.argv[2])
n = lambda x: max(1, int(x * scale))

class Zeros(io.RawIOBase):
    def __init__(self, size): self.left = size
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k); self.left -= k
        return k

def add(t, name, size=0, kind=tarfile.REGTYPE, mode=0o644):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = mode
    ti.size = size if kind == tarfile.REGTYPE else 0; ti.mtime = 1700000000
    t.addfile(ti, io.BufferedReader(Zeros(ti.size)) if ti.size else None)

# Six layers; `wasted` is what a reference merge hides, computed here.
def layers():
    files = {}
    def l0(t):  # base: many small files (docs included)
        for d in range(200):
            add(t, f"usr/share/doc/pkg{d}", kind=tarfile.DIRTYPE, mode=0o755)
            for f in range(n(150)):
                s = 2000 + (d * 131 + f * 17) % 9000
                add(t, f"usr/share/doc/pkg{d}/f{f}.txt", s); files[f"usr/share/doc/pkg{d}/f{f}.txt"] = s
        for f in range(n(27000)):
            s = 5000 + (f * 7919) % 20000
            add(t, f"usr/lib/x/lib{f}.so", s, mode=0o755); files[f"usr/lib/x/lib{f}.so"] = s
    def l1(t):  # a large file
        s = n(150_000_000); add(t, "opt/big.bin", s); files["opt/big.bin"] = s
    def l2(t):  # app dependencies
        for f in range(n(15000)):
            s = 3000 + (f * 31) % 5000
            add(t, f"app/node_modules/m{f % 300}/f{f}.js", s); files[f"app/node_modules/m{f % 300}/f{f}.js"] = s
        for f in range(n(2000)):
            add(t, f"app/node_modules/.cache/c{f}", 4096); files[f"app/node_modules/.cache/c{f}"] = 4096
    def l3(t):  # rm -rf /usr/share/doc (one directory whiteout), overwrite big.bin
        add(t, "usr/share/.wh.doc")
        s = n(150_000_000); add(t, "opt/big.bin", s)
    def l4(t):  # the cache directory emptied (opaque) and refilled
        add(t, "app/node_modules/.cache", kind=tarfile.DIRTYPE, mode=0o755)
        add(t, "app/node_modules/.cache/.wh..wh..opq")
        add(t, "app/node_modules/.cache/new", 1000)
    def l5(t):  # config
        for f in range(n(5000)):
            add(t, f"etc/app/conf{f}.yaml", 300)
    return [l0, l1, l2, l3, l4, l5], files

steps, files = layers()
wasted_expected = 0
save = tarfile.open(os.path.join(out, "image-save.tar"), "w", format=tarfile.GNU_FORMAT)
dr = os.path.join(out, "data-root")
ldb = os.path.join(dr, "image/overlay2/layerdb/sha256")
diff_ids, chain, layer_names, entries = [], None, [], 0
for i, step in enumerate(steps):
    lp = os.path.join(out, f"layer{i}.tar")
    with tarfile.open(lp, "w", format=tarfile.GNU_FORMAT) as t:
        step(t)
    h = hashlib.sha256()
    with open(lp, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""): h.update(b)
    diff = "sha256:" + h.hexdigest(); diff_ids.append(diff)
    # tar-split: segments of raw non-body bytes, a file record per body.
    recs, pos, at = [], 0, 0
    with open(lp, "rb") as raw, tarfile.open(lp, "r") as t:
        for m in t:
            entries += 1
            raw.seek(at); seg = raw.read(m.offset_data - at)
            recs.append({"type": 2, "payload": base64.b64encode(seg).decode(), "position": pos}); pos += 1
            recs.append({"type": 1, "name": m.name, "size": m.size if m.isreg() else 0, "payload": None, "position": pos}); pos += 1
            at = m.offset_data + (m.size if m.isreg() else 0)
        raw.seek(at)
        recs.append({"type": 2, "payload": base64.b64encode(raw.read()).decode(), "position": pos})
    chain = diff if chain is None else "sha256:" + hashlib.sha256(f"{chain} {diff}".encode()).hexdigest()
    d = os.path.join(ldb, chain.split(":")[1]); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "diff"), "w").write(diff)
    if i: open(os.path.join(d, "parent"), "w").write(prev)
    open(os.path.join(d, "size"), "w").write(str(os.path.getsize(lp)))
    open(os.path.join(d, "cache-id"), "w").write(hashlib.sha256(chain.encode()).hexdigest())
    with gzip.open(os.path.join(d, "tar-split.json.gz"), "wt") as g:
        for r in recs: g.write(json.dumps(r, separators=(",", ":")) + "\n")
    prev = chain
    name = hashlib.sha256(f"layer{i}{diff}".encode()).hexdigest() + "/layer.tar"
    save.add(lp, name); layer_names.append(name); os.remove(lp)

# The reference merge: docs removed, big.bin overwritten once, cache opaqued.
wasted_expected = sum(s for p, s in files.items() if p.startswith("usr/share/doc/"))
wasted_expected += files["opt/big.bin"]
wasted_expected += sum(s for p, s in files.items() if p.startswith("app/node_modules/.cache/"))
config = json.dumps({
    "architecture": "amd64", "os": "linux", "created": "2026-12-01T00:00:00Z",
    "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": "2026-12-01T00:00:00Z", "created_by": f"step {i}"} for i in range(len(steps))],
}).encode()
cid = hashlib.sha256(config).hexdigest()
def add_bytes(t, name, data):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 1700000000
    t.addfile(ti, io.BytesIO(data))
add_bytes(save, cid + ".json", config)
add_bytes(save, "manifest.json", json.dumps([{"Config": cid + ".json", "RepoTags": ["distro:bench"], "Layers": layer_names}]).encode())
save.close()
cd = os.path.join(dr, "image/overlay2/imagedb/content/sha256"); os.makedirs(cd, exist_ok=True)
open(os.path.join(cd, cid), "wb").write(config)
json.dump({"Repositories": {"distro": {"distro:bench": "sha256:" + cid}}},
          open(os.path.join(dr, "image/overlay2/repositories.json"), "w"))
json.dump({"entries": entries, "wasted": wasted_expected, "id": "sha256:" + cid},
          open(os.path.join(out, "expected.json"), "w"))
print(f"generated: {entries} entries in {len(steps)} layers, wasted {wasted_expected} B")
PY
echo "$SCALE" > "$OUT/scale"
fi

EXPECTED=$(python3 -c "import json;print(json.load(open('$OUT/expected.json'))['wasted'])")
SAVE_BYTES=$(stat -c %s "$OUT/image-save.tar")
DR_BYTES=$(du -sb "$OUT/data-root" | cut -f1)

# best of 3: wall seconds and max RSS (KB)
measure() {
    local best="" rss=""
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$OUT/time.txt" bash -c "$1" >/dev/null 2>&1 || true
        read -r t m < <(tail -1 "$OUT/time.txt")
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; rss=$m; fi
    done
    echo "$best $rss"
}
wasted_of() {
    "$CORONER" report --format json "$1" | python3 -c "import json,sys;r=json.load(sys.stdin);print(r['images'][0]['wasted_bytes'] if r['images'] else -1)"
}

read -r T_DR M_DR <<<"$(measure "'$CORONER' report --format json '$OUT/data-root'")"
read -r T_SV M_SV <<<"$(measure "'$CORONER' report --format json '$OUT/image-save.tar'")"
W_DR=$(wasted_of "$OUT/data-root")
W_SV=$(wasted_of "$OUT/image-save.tar")

echo
echo "scale $SCALE: docker save $SAVE_BYTES B; data root $DR_BYTES B (tar-split only); expected wasted $EXPECTED B"
echo
echo "| input | tool | wall (best of 3) | max RSS | wasted bytes | exact |"
echo "|---|---|---:|---:|---:|---|"
echo "| data root (tar-split) | coroner | ${T_DR} s | $((M_DR / 1024)) MB | $W_DR | $([ "$W_DR" = "$EXPECTED" ] && echo yes || echo NO) |"
echo "| docker save | coroner | ${T_SV} s | $((M_SV / 1024)) MB | $W_SV | $([ "$W_SV" = "$EXPECTED" ] && echo yes || echo NO) |"
if command -v dive >/dev/null 2>&1; then
    read -r T_DV M_DV <<<"$(measure "CI=true dive --source docker-archive --ci '$OUT/image-save.tar'")"
    echo "| docker save | dive --ci ($(dive --version 2>/dev/null | head -1)) | ${T_DV} s | $((M_DV / 1024)) MB | (dive's own count) | - |"
    echo
    awk "BEGIN{printf \"data root vs dive: %.1fx faster\n\", $T_DV / $T_DR}"
else
    echo
    echo "dive: not installed (no network for its Go binary); compared with coroner on the docker save instead"
fi
awk "BEGIN{printf \"data root vs docker save (coroner): %.1fx faster\n\", $T_SV / $T_DR}"
[ -n "$KEEP" ] || rm -rf "$OUT"
