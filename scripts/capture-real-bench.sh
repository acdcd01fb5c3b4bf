#!/usr/bin/env bash
# Large benchmark inputs written by a real Docker Engine (issue #5 acceptance).
#
#   scripts/capture-real-bench.sh [OUT-DIR]      # default target/real-bench
#
# Needs a running dockerd (Debian: `apt-get install -y docker.io busybox-static;
# dockerd --iptables=false &`) and an image `bb:latest` holding a static busybox
# (`mkdir r && cp /bin/busybox r/ && ... | docker import`; see
# scripts/capture-sos-incident.sh). The file trees come from this host's own
# distribution (/usr/share, /usr/include, the Google Cloud SDK's Python tree):
# real packages' files, not generated ones. Nothing here is committed: the
# outputs are gigabytes.
#
# Writes:
#   save.tar     docker save of distro:2  (~1.2 GB, ~80k entries in 3 layers:
#                /usr/share + /usr/include + a 150 MB blob, then a layer that
#                removes /usr/share/doc and /usr/share/icons with rm -rf,
#                rewrites the blob and adds ~17k Python files)
#   oci-gzip.tar the same image converted by skopeo to an OCI archive with
#                gzip layers
#   export.tar   docker export of a container holding /usr/share without
#                locale + /usr/include (~570 MB, ~57k entries)
#   bundle/      the json-file log of a chatty container (~1.3 GB, written by
#                dockerd), its inspect, save.tar and export.tar side by side
set -euo pipefail
OUT="${1:-target/real-bench}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
docker image inspect bb:latest >/dev/null

cleanup() { docker rm -f rb-l2 rb-l3 rb-exp rb-chatty >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

if ! docker image inspect distro:2 >/dev/null 2>&1; then
    echo "== layer 2: /usr/share, /usr/include, a 150 MB blob"
    docker run --name rb-l2 -v /usr/share:/src/share:ro -v /usr/include:/src/include:ro bb:latest \
        sh -c 'mkdir -p /usr /opt && cp -a /src/share /usr/share && cp -a /src/include /usr/include &&
               head -c 150000000 /dev/urandom > /opt/blob.bin' >/dev/null
    docker commit rb-l2 distro:1 >/dev/null
    echo "== layer 3: rm -rf doc and icons, rewrite the blob, add the Cloud SDK's Python tree"
    docker run --name rb-l3 -v /usr/lib/google-cloud-sdk/lib/surface:/src/surface:ro distro:1 \
        sh -c 'rm -rf /usr/share/doc /usr/share/icons && head -c 150000000 /dev/urandom > /opt/blob.bin &&
               mkdir -p /usr/lib/gcloud && cp -a /src/surface /usr/lib/gcloud/surface' >/dev/null
    docker commit rb-l3 distro:2 >/dev/null
fi
echo "== docker save distro:2"
docker save distro:2 -o "$OUT/save.tar"

echo "== the same image as an OCI archive with gzip layers (skopeo)"
command -v skopeo >/dev/null || apt-get install -y skopeo >/dev/null
rm -f "$OUT/oci-gzip.tar"
skopeo copy -q --dest-compress docker-archive:"$OUT/save.tar" oci-archive:"$OUT/oci-gzip.tar":distro:2

echo "== docker export (~570 MB)"
docker run --name rb-exp -v /usr/share:/src/share:ro -v /usr/include:/src/include:ro bb:latest \
    sh -c 'mkdir -p /usr && cp -a /src/share /usr/share && rm -rf /usr/share/locale && cp -a /src/include /usr/include' >/dev/null
docker export rb-exp -o "$OUT/export.tar"

echo "== chatty container: ~1.3 GB json-file log"
docker run --name rb-chatty bb:latest sh -c '
    yes "level=info msg=\"GET /api/v1/orders/12345 200 3.2ms\" trace=0af7651916cd43dd8448eb211c80319c" | head -n 5400000
    yes "level=error msg=\"upstream timeout after 30s\" host=db.internal:5432 retry=3" | head -n 200000 >&2
    head -c 40000 /dev/zero | tr "\0" x; echo
    yes "level=info msg=\"POST /api/v1/payments 201 12.9ms\" trace=4bf92f3577b34da6a3ce929d0e0e4736" | head -n 2000000
    echo "panic: runtime error: invalid memory address or nil pointer dereference" >&2
    exit 2' >/dev/null 2>&1 || true
ID=$(docker inspect -f '{{.Id}}' rb-chatty)
rm -rf "$OUT/bundle"
mkdir -p "$OUT/bundle/containers/$ID"
cp "$(docker inspect -f '{{.LogPath}}' rb-chatty)" "$OUT/bundle/containers/$ID/"
docker inspect rb-chatty > "$OUT/bundle/inspect.json"
ln "$OUT/save.tar" "$OUT/bundle/save.tar"
ln "$OUT/export.tar" "$OUT/bundle/export.tar"
ls -l "$OUT" "$OUT/bundle" "$OUT/bundle/containers/$ID"
echo "entries: save $(tar -tf "$OUT/save.tar" | wc -l) top-level, export $(tar -tf "$OUT/export.tar" | wc -l)"
