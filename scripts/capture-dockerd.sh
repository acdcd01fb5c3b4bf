#!/usr/bin/env bash
# Captures the seed's remaining failure patterns (issue #12 part 4, issue #11 items 4-6) from a
# real dockerd into OUT (default samples/dockerd): inspect, `docker logs -t`, events (JSON and
# text), `docker stats`, `docker info`/`version` (text and JSON), `docker image inspect`, and
# dockerd's own log rendered as `journalctl -u docker` would print it (short, short-iso,
# short-precise).
#
# Needs root, `apt-get install -y docker.io busybox-static`, python3, and no dockerd running.
# There is no systemd journal on the capture machine, so dockerd runs under a wrapper that stamps
# each line of its stderr on arrival (what journald does) and the three journal renderings are
# made from those stamps: `Mon DD HH:MM:SS host dockerd[PID]: <line>`.
# Never sends traffic to container addresses.
set -u
OUT=${1:-samples/dockerd}
WORK=$(mktemp -d)
mkdir -p "$OUT"
HOST=capturehost

# ---- dockerd under a stamping wrapper ------------------------------------------------------
( dockerd --iptables=false 2>&1 | while IFS= read -r l; do printf '%s %s\n' "$(date -u +%s.%6N)" "$l"; done > "$WORK/dockerd.stamped" ) &
for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
DPID=$(pidof dockerd)

# ---- images ---------------------------------------------------------------------------------
if ! docker image inspect bb:latest >/dev/null 2>&1; then
  R=$WORK/rootfs; mkdir -p $R/bin $R/etc && cp /bin/busybox $R/bin/
  for c in sh ls cat echo sleep wget httpd dd head yes ps env tr kill seq; do ln -s busybox $R/bin/$c; done
  echo 'root:x:0:0:root:/root:/bin/sh' > $R/etc/passwd
  tar -c -C $R . | docker import - bb:latest >/dev/null
fi
# An arm64 image whose entrypoint is an aarch64 ELF executable (header only: the kernel refuses
# it with ENOEXEC before reading further), loaded through `docker load` as a docker-save archive.
python3 - "$WORK/arm" <<'PY'
import hashlib, io, json, os, struct, sys, tarfile, time
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
# ELF64 little-endian, ET_EXEC, EM_AARCH64 (0xb7), one PT_LOAD program header.
eh = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
eh += struct.pack('<HHIQQQIHHHHHH', 2, 0xb7, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0)
ph = struct.pack('<IIQQQQQQ', 1, 5, 0, 0x400000, 0x400000, 0x80, 0x80, 0x1000)
code = bytes.fromhex('a00180d2a80b80d2010000d4')  # mov x0,#13; mov x8,#93; svc #0
elf = eh + ph + code
lb = io.BytesIO()
with tarfile.open(fileobj=lb, mode='w', format=tarfile.USTAR_FORMAT) as t:
    for name in ('usr', 'usr/local', 'usr/local/bin'):
        ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = int(time.time()); t.addfile(ti)
    ti = tarfile.TarInfo('usr/local/bin/server'); ti.size = len(elf); ti.mode = 0o755; ti.mtime = int(time.time())
    t.addfile(ti, io.BytesIO(elf))
layer = lb.getvalue(); diff = 'sha256:' + hashlib.sha256(layer).hexdigest()
cfg = {"architecture": "arm64", "variant": "v8", "os": "linux", "created": time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
       "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Entrypoint": ["/usr/local/bin/server"], "Cmd": None},
       "rootfs": {"type": "layers", "diff_ids": [diff]},
       "history": [{"created": time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), "created_by": "COPY server /usr/local/bin/server # buildkit"}]}
cb = json.dumps(cfg).encode(); cid = hashlib.sha256(cb).hexdigest()
with tarfile.open(os.path.join(d, 'harm.tar'), 'w', format=tarfile.USTAR_FORMAT) as t:
    def add(n, b):
        ti = tarfile.TarInfo(n); ti.size = len(b); ti.mode = 0o644; t.addfile(ti, io.BytesIO(b))
    add(cid + '.json', cb)
    add('layer0/layer.tar', layer)
    add('manifest.json', json.dumps([{"Config": cid + '.json', "RepoTags": ["harm:1.0"], "Layers": ["layer0/layer.tar"]}]).encode())
PY
docker load -q -i "$WORK/arm/harm.tar" >/dev/null
mkdir -p $WORK/probe && printf 'FROM bb:latest\nHEALTHCHECK --interval=1s --timeout=1s --retries=3 CMD ["curl","-f","http://localhost/"]\nCMD ["httpd","-f","-p","80","-h","/"]\n' > $WORK/probe/Dockerfile
docker build -q -t hprobe:1.0 $WORK/probe >/dev/null

# ---- scenarios ------------------------------------------------------------------------------
docker rm -f $(docker ps -aq) >/dev/null 2>&1
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run() { docker run "$@" > /dev/null 2>>"$WORK/run-errors.txt"; }
# a shell as PID 1 sends itself SIGABRT: the kernel drops it (no handler in PID 1), exit 0
run -d --name habort bb:latest sh -c 'echo start; kill -ABRT $$; echo "still here after SIGABRT"'
# a Java-style heap above the memory limit, OOM-killed
run -d --name hjvm -m 56m --memory-swap 56m -e JAVA_OPTS=-Xmx512m bb:latest sh -c 'echo "exec java -Xmx512m -jar /app/app.jar"; exec dd if=/dev/zero of=/dev/null bs=300M count=1'
# ~12,000 lines, rotation keeps the newest few
run -d --name hchatty --log-opt max-size=30k --log-opt max-file=3 bb:latest sh -c '
 i=0; while [ $i -lt 12000 ]; do i=$((i+1)); echo "level=info msg=\"request handled\" path=/api/v1/items/$i status=200";
 if [ $((i%1000)) -eq 0 ]; then echo "level=error msg=\"upstream timeout\" upstream=payments attempt=$((i/1000))" >&2; fi; done; exit 2'
# a port already in use
run -d --name hport1 -p 18080:80 bb:latest httpd -f -p 80 -h /
sleep 1
run -d --name hport2 -p 18080:80 bb:latest httpd -f -p 80 -h /
# exec format error: an arm64 image on an amd64 host
run -d --name harm harm:1.0
# health probes whose tool is missing: exec form (runtime error) and shell form (exit 127)
run -d --name hprobe hprobe:1.0
run -d --name hprobe2 --health-cmd 'curl -f http://localhost/' --health-interval 1s --health-retries 3 bb:latest httpd -f -p 80 -h /
# a shell as PID 1 that neither execs nor traps: SIGTERM from docker stop goes nowhere
run -d --name hshell bb:latest sh -c 'echo serving; httpd -f -p 80 -h /'
# near its memory limit (tmpfs pages count in the memory cgroup), and an idle one for contrast
run -d --name hmem -m 32m --memory-swap 32m bb:latest sh -c 'head -c 29m /dev/zero > /dev/shm/fill; echo filled; sleep 3600'
run -d --name hidle -m 64m bb:latest sh -c 'echo idle; sleep 3600'
sleep 10
# httpd as PID 1 ignores SIGTERM, and so does hshell's sh: dockerd logs "failed to exit within 2s of signal 15"
docker stop -t 2 hport1 hshell >/dev/null
# a pull that fails (a registry on this machine's loopback that does not exist: no traffic leaves)
docker pull localhost:5999/shop/api:2.0 >/dev/null 2>>"$WORK/run-errors.txt"

# ---- collect --------------------------------------------------------------------------------
T1=$(date -u +%Y-%m-%dT%H:%M:%SZ)
docker stats --no-stream > "$OUT/docker-stats--no-stream.txt"
docker ps -a --no-trunc > "$OUT/docker-ps-a.txt"
for c in habort hjvm hchatty hport1 hport2 harm hprobe hprobe2 hshell hmem hidle; do
  mkdir -p "$OUT/containers/$c"
  docker inspect $c > "$OUT/containers/$c/inspect.json"
  docker logs -t $c > "$OUT/containers/$c/docker-logs-t.txt" 2>&1
done
ROOT=$(docker info --format '{{.DockerRootDir}}')
id=$(docker inspect -f '{{.Id}}' hchatty); cp $ROOT/containers/$id/*-json.log* "$OUT/containers/hchatty/"
docker image inspect harm:1.0 bb:latest > "$OUT/image-inspect.json"
docker info > "$OUT/docker-info.txt"; docker info --format '{{json .}}' > "$OUT/docker-info.json"
docker version > "$OUT/docker-version.txt"; docker version --format '{{json .}}' > "$OUT/docker-version.json"
docker events --since "$T0" --until "$T1" --format '{{json .}}' > "$OUT/docker-events.jsonl"
docker events --since "$T0" --until "$T1" > "$OUT/docker-events.txt"
cp "$WORK/run-errors.txt" "$OUT/docker-run-errors.txt"
uname -m > "$OUT/uname-m.txt"

# ---- stop dockerd, render its log as journalctl would -----------------------------------------
docker rm -f $(docker ps -aq) >/dev/null 2>&1
kill $DPID; for i in $(seq 1 30); do pidof dockerd >/dev/null || break; sleep 1; done
python3 - "$WORK/dockerd.stamped" "$OUT" "$HOST" "$DPID" <<'PY'
import sys, time, datetime
src, out, host, pid = sys.argv[1:5]
rows = []
for l in open(src, encoding='utf-8', errors='replace'):
    ts, _, msg = l.rstrip('\n').partition(' ')
    rows.append((float(ts), msg))
def fmt(kind, t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    if kind == 'short': return d.strftime('%b %d %H:%M:%S')
    if kind == 'short-iso': return d.strftime('%Y-%m-%dT%H:%M:%S+0000')
    return d.strftime('%b %d %H:%M:%S.') + '%06d' % d.microsecond
for kind in ('short', 'short-iso', 'short-precise'):
    with open(f'{out}/journalctl-u-docker.{kind}.txt', 'w') as f:
        if rows:
            f.write('-- Logs begin at %s, end at %s. --\n' % (fmt('short', rows[0][0]), fmt('short', rows[-1][0])))
        for t, m in rows:
            f.write(f'{fmt(kind, t)} {host} dockerd[{pid}]: {m}\n')
PY
cp "$WORK/dockerd.stamped" "$OUT/dockerd-stderr.stamped.txt"
echo "captured into $OUT (T0=$T0 T1=$T1)"

# ---- trim to what the tests need (samples stay small; every kept line is verbatim) -------------
# health-probe exec_create/exec_start/exec_die events (one per probe per second) are dropped;
# short-iso and short-precise keep only dockerd's warning/error lines and the forced stops
# and `short` keeps every line but containerd's start-up chatter (`loading plugin`, grpc `[core]`);
# `docker logs -t` of hchatty is dropped (its json-file logs are kept).
grep -vE 'msg="(loading plugin|skip loading plugin|\[core\])' "$OUT/journalctl-u-docker.short.txt" > "$OUT/j.tmp"
mv "$OUT/j.tmp" "$OUT/journalctl-u-docker.short.txt"
for f in docker-events.jsonl docker-events.txt; do grep -v 'exec_' "$OUT/$f" > "$OUT/$f.tmp"; mv "$OUT/$f.tmp" "$OUT/$f"; done
for k in short-iso short-precise; do
  grep -E 'level=(warning|error)|using the force' "$OUT/journalctl-u-docker.$k.txt" | grep -v 'stream copy error' > "$OUT/j.tmp"
  mv "$OUT/j.tmp" "$OUT/journalctl-u-docker.$k.txt"
done
rm -f "$OUT/containers/hchatty/docker-logs-t.txt" "$OUT/dockerd-stderr.stamped.txt"
find "$OUT/containers" -name docker-logs-t.txt -empty -delete   # hport*, hprobe*: nothing written
