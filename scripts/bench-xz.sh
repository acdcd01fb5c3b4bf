#!/usr/bin/env bash
# `coroner report` on a .tar.xz bundle holding a large json-file log, its
# inspect and samples/bundle's inspect-all, against `xz -dc` of the same file, alternating, with time and peak
# RSS from /usr/bin/time -v (issue #11, item 1).
#
#   scripts/bench-xz.sh WORKDIR [LOG_BYTES] [ROUNDS]
#
# LOG_BYTES defaults to 1e9 (a ~1 GB log written by gen_bench_data.py's
# write_log); the archive is packed single-threaded (`xz -T1 -2`, one block,
# like plain `xz`). Reuses WORKDIR/bundle.tar.xz if it is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:?usage: bench-xz.sh WORKDIR [LOG_BYTES] [ROUNDS]}"
bytes="${2:-1000000000}"
rounds="${3:-3}"
bin="$here/../target/release/coroner"
cid=5f3c0a9e1d2b4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d
mkdir -p "$work"
if [ ! -f "$work/bundle.tar.xz" ]; then
  mkdir -p "$work/b/containers/$cid" "$work/b/host"
  cp "$here/../samples/bundle/host/docker-inspect-all.json" "$work/b/host/"
  python3 - "$here" "$work/b/containers/$cid/$cid-json.log" "$bytes" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import gen_bench_data as g
g.write_log(sys.argv[2], int(float(sys.argv[3])), 7, start_sec=3600)
EOF
  # Its inspect: pworker's from samples/, renamed `bench`, with this id.
  python3 - "$here/../samples/bundle/containers/pworker/inspect.json" "$work/b/containers/$cid/inspect.json" "$cid" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))[0]
cid = sys.argv[3]
c["Id"], c["Name"] = cid, "/bench"
c["LogPath"] = f"/var/lib/docker/containers/{cid}/{cid}-json.log"
json.dump([c], open(sys.argv[2], "w"), indent=2)
EOF
  tar -C "$work" -cf - b | xz -T1 -2 -c > "$work/bundle.tar.xz.part"
  mv "$work/bundle.tar.xz.part" "$work/bundle.tar.xz"
  rm -rf "$work/b"
fi
xz -l "$work/bundle.tar.xz"
fmt='%e s wall, %U s user, %S s sys, %M KB peak RSS'
for i in $(seq "$rounds"); do
  /usr/bin/time -f "xz -dc   round $i: $fmt" xz -dc "$work/bundle.tar.xz" > /dev/null
  /usr/bin/time -f "coroner  round $i: $fmt" "$bin" report "$work/bundle.tar.xz" --format json > "$work/report.json" || true
done
python3 - "$work/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
lines = sum((c.get("logs") or {}).get("lines", 0) for c in r["containers"])
print(f"report: {len(r['containers'])} containers, {lines} log lines, {len(r['diagnostics'])} diagnostics")
EOF
