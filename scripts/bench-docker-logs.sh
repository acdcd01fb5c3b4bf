#!/usr/bin/env bash
# `docker logs -t` text at json-file speed (issue #11, "Speed"): coroner on a
# generated `docker logs -t` text file with its inspect beside it, against
# `wc -l` on the same file, alternately in one run, with peak RSS.
#
#   scripts/bench-docker-logs.sh            # 1 GB, ~7 M lines (the issue's size)
#   CORONER_BENCH_SCALE=0.1 scripts/bench-docker-logs.sh   # ~100 MB
#
# Env: CORONER_BENCH_SCALE (1.0 = 1 GB), CORONER_BENCH_DIR (default
# target/bench-data), CORONER_BENCH_RUNS (default 5), CORONER_BIN (default
# target/release/coroner). The input is written by the Python below with a
# fixed seed (same scale, same bytes): app lines of a web service, ~3 % of
# them errors (a few Go panics, DNS and permission failures among them),
# stamps as docker/cli writes them (RFC3339NanoFixed, nine digits, `Z`).
# Target: coroner within 3x of `wc -l`, peak RSS <= 256 MB, every line counted.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${CORONER_BENCH_SCALE:-1}"
ROOT="${CORONER_BENCH_DIR:-target/bench-data}"
RUNS="${CORONER_BENCH_RUNS:-5}"
CORONER="${CORONER_BIN:-$PWD/target/release/coroner}"
DIR="$ROOT/docker-logs-$SCALE"
SHORT=3f9c2b7d41e0
LOG="$DIR/docker_logs_-t_$SHORT"

if [ ! -f "$DIR/.done" ]; then
    echo "== generating $LOG at scale $SCALE"
    rm -rf "$DIR" && mkdir -p "$DIR"
    python3 - "$DIR" "$SCALE" "$SHORT" <<'PY'
import json, os, random, sys
out, scale, short = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rnd = random.Random(11)
cid = short + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829"[:64 - len(short)]
target = int(1_000_000_000 * scale)
paths = ["/api/v1/orders", "/api/v1/users/%d", "/healthz", "/api/v1/cart/%d/items", "/static/app.%x.js"]
methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
infos = [
    'level=info ts={t} caller=http.go:112 msg="request served" method={m} path={p} status={s} bytes={b} duration={d}ms request_id={r:032x}',
    'level=info ts={t} caller=pool.go:58 msg="db pool stats" open={b} idle={s} in_use={d} wait_count=0',
    '{{"level":"info","ts":"{t}","logger":"cache","msg":"cache hit ratio","ratio":0.{d},"keys":{b}}}',
    'level=debug ts={t} caller=worker.go:201 msg="job done" queue=emails job_id={r:032x} attempts=1',
    '10.0.{s}.{d} - - [{t}] "{m} {p} HTTP/1.1" {s} {b} "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"',
]
errors = [
    'level=error ts={t} caller=upstream.go:77 msg="upstream timeout" upstream=payments attempt={s} err="context deadline exceeded"',
    'level=error ts={t} caller=db.go:140 msg="query failed" err="pq: deadlock detected" request_id={r:032x}',
    'level=warn ts={t} caller=http.go:130 msg="slow request" path={p} duration={d}ms',
    'ERROR [{t}] Exception in thread "worker-{s}" java.lang.IllegalStateException: queue full',
    'level=error ts={t} msg="lookup redis on 127.0.0.11:53: no such host"',
    'level=error ts={t} msg="open /data/uploads/{d}.bin: permission denied"',
]
panic = ["panic: runtime error: invalid memory address or nil pointer dereference",
         "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6f1c2a]", "",
         "goroutine 1 [running]:", "main.(*Server).handle(0xc000120000, 0xc0001a4000)",
         "\t/src/server.go:212 +0x3a", "created by main.main", "\t/src/main.go:40 +0x1c5"]
ns = 1_764_612_000 * 10**9  # 2025-12-01T18:00:00Z
written = lines = errs = 0
buf = []
with open(os.path.join(out, "docker_logs_-t_" + short), "w", newline="\n") as f:
    while written < target:
        ns += rnd.randrange(50_000, 300_000)
        s, frac = divmod(ns, 10**9)
        h, m, sec = (s // 3600) % 24, (s // 60) % 60, s % 60
        d = 1 + (s - 1_764_547_200) // 86400
        stamp = "2025-12-%02dT%02d:%02d:%02d.%09dZ" % (d, h, m, sec, frac)
        t = stamp[:23] + "Z"
        roll = rnd.random()
        if roll < 0.00002:
            text = "\n".join(stamp + " " + p for p in panic)
            n = len(panic)
            buf.append(text + "\n"); lines += n; errs += 1; written += len(text) + 1
            continue
        pool = errors if roll < 0.03 else infos
        tpl = pool[rnd.randrange(len(pool))]
        p = paths[rnd.randrange(len(paths))]
        if "%" in p:
            p = p % rnd.randrange(1, 1 << 20)
        line = stamp + " " + tpl.format(t=t, m=methods[rnd.randrange(6)], p=p,
            s=rnd.choice((200, 200, 200, 201, 204, 304, 404, 500)), b=rnd.randrange(100, 90000),
            d=rnd.randrange(1, 999), r=rnd.getrandbits(128)) + "\n"
        errs += pool is errors
        buf.append(line); lines += 1; written += len(line)
        if len(buf) >= 20000:
            f.write("".join(buf)); buf.clear()
    f.write("".join(buf))
inspect = [{
    "Id": cid, "Created": "2025-12-01T17:59:58.123456789Z", "Path": "/app/server", "Args": [],
    "State": {"Status": "exited", "Running": False, "OOMKilled": False, "Dead": False, "Pid": 0,
              "ExitCode": 2, "Error": "", "StartedAt": "2025-12-01T18:00:00.000000000Z",
              "FinishedAt": stamp},
    "Image": "sha256:" + "ab" * 32, "Name": "/bench-app", "RestartCount": 0, "Driver": "overlay2",
    "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {}}, "RestartPolicy": {"Name": "no"}},
    "Config": {"Image": "bench/app:1.0", "Env": ["PATH=/usr/bin"], "Labels": {}},
}]
json.dump(inspect, open(os.path.join(out, "inspect.json"), "w"), indent=2)
json.dump({"lines": lines, "bytes": written, "error_like": errs},
          open(os.path.join(out, "expected.json"), "w"))
print("wrote %d lines, %d bytes, %d error-like" % (lines, written, errs))
PY
    touch "$DIR/.done"
fi
[ -n "${CORONER_BIN:-}" ] || cargo build --release --quiet
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null 2>&1 || { echo "need /usr/bin/time"; exit 1; }
command -v hyperfine >/dev/null 2>&1 || apt-get install -y hyperfine >/dev/null 2>&1 || true

echo "== $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), runs $RUNS"
echo "== input: $(du -h --apparent-size "$LOG" | cut -f1), $(wc -l < "$LOG") lines; expected $(cat "$DIR/expected.json")"
# Every line counted: the JSON report's line count for the log.
"$CORONER" report --format json "$DIR" 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("lines", "line_count", "logical_lines") and isinstance(v, int):
                print("report:", k, v)
            walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(r)' | sort -u | head -5
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
if command -v hyperfine >/dev/null 2>&1; then
    # One hyperfine call with both commands: runs alternate per round only
    # when each is given --runs 1, so loop rounds by hand.
    for i in $(seq "$RUNS"); do
        hyperfine -N --style none --runs 1 --export-json "$TMP/h$i.json" \
            "wc -l $LOG" "$CORONER report $DIR" >/dev/null 2>&1
    done
    python3 - "$TMP" "$RUNS" <<'PY'
import json, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
w, c, wu, cu = [], [], [], []
for i in range(1, runs + 1):
    r = json.load(open("%s/h%d.json" % (tmp, i)))["results"]
    w.append(r[0]["times"][0]); c.append(r[1]["times"][0])
    # CPU time (user + system): less moved by other work on a shared machine.
    wu.append(r[0]["user"] + r[0]["system"]); cu.append(r[1]["user"] + r[1]["system"])
mw, mc = statistics.median(w), statistics.median(c)
print("wc -l    wall s:", " ".join("%.3f" % x for x in w), " median %.3f" % mw)
print("coroner  wall s:", " ".join("%.3f" % x for x in c), " median %.3f" % mc)
print("wc -l    cpu  s:", " ".join("%.3f" % x for x in wu))
print("coroner  cpu  s:", " ".join("%.3f" % x for x in cu))
print("ratio coroner / wc -l, wall (medians): %.2fx   (sums: %.2fx)" % (mc / mw, sum(c) / sum(w)))
print("ratio coroner / wc -l, cpu  (medians): %.2fx" % (statistics.median(cu) / statistics.median(wu)))
PY
else
    for i in $(seq "$RUNS"); do
        /usr/bin/time -f "wc -l %e s" wc -l "$LOG" >/dev/null
        /usr/bin/time -f "coroner %e s" "$CORONER" report "$DIR" >/dev/null
    done
fi
/usr/bin/time -v "$CORONER" report "$DIR" 2>"$TMP/v" >/dev/null || true
echo "coroner peak RSS: $(awk -F: '/Maximum resident/ {print $2/1024 " MB"}' "$TMP/v"), user $(awk -F: '/User time/ {print $2}' "$TMP/v") s, sys $(awk -F: '/System time/ {print $2}' "$TMP/v") s"
/usr/bin/time -v wc -l "$LOG" 2>"$TMP/v" >/dev/null
echo "wc -l   peak RSS: $(awk -F: '/Maximum resident/ {print $2/1024 " MB"}' "$TMP/v"), user $(awk -F: '/User time/ {print $2}' "$TMP/v") s"
