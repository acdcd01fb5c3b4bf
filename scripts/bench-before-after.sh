#!/usr/bin/env bash
# Before/after: two coroner binaries on the same inputs, alternating, in one
# run (hyperfine), so a regression shows as a ratio and not as machine noise.
#
#   scripts/bench-before-after.sh OLD_BIN NEW_BIN [DIR]
#
# DIR holds the inputs of scripts/bench-peers.sh (default target/bench-data,
# made by scripts/gen_bench_data.py). Prints, per input, new/old median time
# (below 1.0: the new binary is faster) and both peak RSS.
set -euo pipefail
OLD="$1"; NEW="$2"; DIR="${3:-target/bench-data}"; RUNS="${CORONER_BENCH_RUNS:-5}"
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
CID=$(ls "$DIR/bundle/containers" | head -1)
row() {
    local name="$1"; shift
    hyperfine -i -N --style none --warmup 1 --runs "$RUNS" --export-json "$TMP/h.json" \
        "$OLD report $*" "$NEW report $*" >/dev/null 2>&1
    local o n orss nrss
    read -r o n < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"])' "$TMP/h.json")
    orss=$(/usr/bin/time -f %M "$OLD" report "$@" 2>&1 >/dev/null | tail -1)
    nrss=$(/usr/bin/time -f %M "$NEW" report "$@" 2>&1 >/dev/null | tail -1)
    awk -v n="$name" -v o="$o" -v w="$n" -v a="$orss" -v b="$nrss" 'BEGIN {
        printf "%-28s new/old time %5.2f  (old %.3fs %4d MB, new %.3fs %4d MB)\n", n, w / o, o, a / 1024, w, b / 1024 }'
}
echo "== $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), runs $RUNS"
row "json-file log" "$DIR/bundle/containers/$CID/$CID-json.log"
row "docker save" "$DIR/image-save.tar"
row "OCI gzip image" "$DIR/image-oci-gzip.tar"
row "docker export" "$DIR/export.tar"
row "bundle, 2 threads" --threads 2 "$DIR/bundle"
row "bundle, 1 thread" --threads 1 "$DIR/bundle"
