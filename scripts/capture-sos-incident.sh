#!/usr/bin/env bash
# Produces a second real incident with a real Docker engine, laid out like a
# sosreport (extension-less `sos_commands/docker/docker_inspect_<name>`, logs
# under var/lib/docker/containers, raw dmesg, proc/uptime, `date --utc`), and
# packs it as .tar.zst. It is how samples/sos/ was made (issue #2 acceptance:
# another host's containers, another layout).
#
# Needs: dockerd running (`apt-get install -y docker.io busybox-static zstd;
# dockerd --iptables=false &`). Never sends traffic to container addresses.
set -euo pipefail
OUT=${1:-target/sos-incident}
P=q
rm -rf "$OUT" && mkdir -p "$OUT"
ROOT="$OUT/sosreport-qhost-2026"
mkdir -p "$ROOT/sos_commands/docker" "$ROOT/sos_commands/kernel" "$ROOT/sos_commands/date" "$ROOT/proc"

if ! docker image inspect bb:latest >/dev/null 2>&1; then
  tmp=$(mktemp -d); mkdir -p "$tmp/bin" "$tmp/etc"
  cp /bin/busybox "$tmp/bin/"
  for c in sh ls cat echo sleep wget httpd dd head yes ps env tr kill nslookup true; do ln -sf busybox "$tmp/bin/$c"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$tmp/etc/passwd"
  tar -c -C "$tmp" . | docker import - bb:latest >/dev/null
  rm -rf "$tmp"
fi
for c in $(docker ps -aq --filter "name=^${P}"); do docker rm -f "$c" >/dev/null; done
docker network rm ${P}net >/dev/null 2>&1 || true
docker network create ${P}net >/dev/null

# A Python-style traceback on every start, restarted by on-failure:3.
docker run -d --name ${P}trace --restart on-failure:3 bb:latest sh -c 'echo "worker starting"; echo "Traceback (most recent call last):" >&2; echo "  File \"/app/main.py\", line 42, in <module>" >&2; echo "KeyError: '"'"'DATABASE_HOST'"'"'" >&2; exit 1' >/dev/null
# abort(): exit 134.
docker run -d --name ${P}abort bb:latest sh -c 'echo "assertion failed: queue.len() > 0" >&2; kill -ABRT $$' >/dev/null
# Not executable: exit 126.
docker run -d --name ${P}noexec bb:latest /etc/passwd >/dev/null 2>&1 || true
# OOM of PID 1 at a 24 MiB limit.
docker run -d --name ${P}oom --memory 24m --memory-swap 24m bb:latest sh -c 'echo "allocating"; exec dd if=/dev/zero of=/dev/null bs=64M count=1' >/dev/null
# Published port where nothing listens: httpd on 8000, mapped 9090->9090.
docker run -d --name ${P}port -p 127.0.0.1:19090:9090 bb:latest httpd -f -p 8000 >/dev/null
# Healthy control with a health check.
docker run -d --name ${P}fine --health-cmd 'true' --health-interval 1s bb:latest sh -c 'echo "serving"; sleep 3600' >/dev/null
# Chatty with uncompressed rotation and a 40,000-byte line.
docker run -d --name ${P}chatty --log-opt max-size=100k --log-opt max-file=3 bb:latest sh -c 'i=0; while [ $i -lt 6000 ]; do i=$((i+1)); echo "GET /health 200 $i"; if [ $((i%1500)) -eq 0 ]; then echo "ERROR db timeout after ${i}ms" >&2; fi; done; head -c 40000 /dev/zero | tr "\0" "y"; echo; exit 0' >/dev/null
# Name resolution failure on a user-defined network.
docker run -d --name ${P}dns --network ${P}net bb:latest sh -c 'for i in 1 2 3; do wget -q -T 1 -O- http://qmissing:8080/ || true; sleep 1; done; exit 1' >/dev/null

sleep 12
docker stop -t 1 ${P}fine >/dev/null || true
sleep 1

collected=$(date -u '+%a %b %e %H:%M:%S UTC %Y')
for n in $(docker ps -a --format '{{.Names}}' | grep "^${P}" | sort); do
  docker inspect "$n" > "$ROOT/sos_commands/docker/docker_inspect_${n}"
  id=$(docker inspect -f '{{.Id}}' "$n")
  d=/var/lib/docker/containers/$id
  if ls "$d"/*-json.log* >/dev/null 2>&1; then
    mkdir -p "$ROOT/var/lib/docker/containers/$id"
    cp "$d"/*-json.log* "$ROOT/var/lib/docker/containers/$id/"
  fi
done
docker ps -a > "$ROOT/sos_commands/docker/docker_ps_-a"
dmesg > "$ROOT/sos_commands/kernel/dmesg"
cat /proc/uptime > "$ROOT/proc/uptime"
echo "$collected" > "$ROOT/sos_commands/date/date_--utc"
tar -C "$OUT" -c sosreport-qhost-2026 | zstd -q -19 -o "$OUT/sosreport-qhost-2026.tar.zst"
echo "$OUT/sosreport-qhost-2026.tar.zst"
