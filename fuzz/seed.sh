#!/bin/sh
# Seeds fuzz/corpus/<target>/ from samples/ (small files only), so every
# target starts from real artifacts. Run from the repository root or fuzz/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
s="$root/samples"
c="$root/fuzz/corpus"
mkdir -p "$c/tar_index" "$c/compressed" "$c/inspect" "$c/json_log" "$c/kernel_log" "$c/pipeline" "$c/render"
small() { find "$s" -type f -size -256k "$@"; }
n=0
for f in $(small); do
  n=$((n + 1))
  head=$(od -An -tx1 -N4 "$f" | tr -d ' \n')
  case "$head" in
    1f8b*|28b52ffd) cp "$f" "$c/compressed/$n" ;;
  esac
  if [ "$(dd if="$f" bs=1 skip=257 count=5 2>/dev/null)" = "ustar" ]; then cp "$f" "$c/tar_index/$n"; fi
  case "$f" in
    *inspect*|*.json) cp "$f" "$c/inspect/$n" ;;
    *-json.log*) [ "${head#1f8b}" = "$head" ] && cp "$f" "$c/json_log/$n" ;;
    *dmesg*|*kern*|*journal*|*syslog*|*/kernel/*) cp "$f" "$c/kernel_log/$n" ;;
  esac
  cp "$f" "$c/pipeline/$n"
done
# A bundle tar made from a few members, for the tar and pipeline targets.
tar -C "$s/bundle" -cf "$c/tar_index/bundle.tar" containers/pindexer host/dmesg.txt 2>/dev/null || true
cp "$c/tar_index/bundle.tar" "$c/pipeline/bundle.tar" 2>/dev/null || true
gzip -c "$c/tar_index/bundle.tar" > "$c/compressed/bundle.tar.gz" 2>/dev/null || true
# render: a mode byte, then field texts cut at 0x1f (issue #10's hostile set).
printf '\000exited\037\033]0;pwned\007\037\033[2J\037\302\2330m\037\342\200\256rtl\037\342\200\213zw\037a\010\015\000b\037\377\303(\037panic: boom\037lookup redis: no such host' > "$c/render/hostile"
printf '\001dd\037/docker/x\037crash' > "$c/render/replace"
for d in "$c"/*; do echo "$(ls "$d" | wc -l) seeds in $d"; done
