#!/bin/sh
# Acceptance run over hostile bundles (#4). For every bundle directory in
# DIR (default: generated into target/hostile/ by gen-hostile.py) and every
# format, runs `coroner report` under a 4 GiB address-space limit and a 60 s
# timeout, and checks: the exit code is 0, 1 or 2 (no signal, abort or 101
# panic); text and md output and stderr hold no raw ESC byte; no file was
# written: coroner runs in an empty working directory with TMPDIR pointing
# at an empty directory, and both must still be empty afterwards.
# Usage: scripts/hostile-acceptance.sh [DIR] [CORONER_BIN]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-}
bin=${2:-$root/target/debug/coroner}
if [ -z "$dir" ]; then
  dir=$root/target/hostile
  python3 "$root/scripts/gen-hostile.py" "$dir" || exit 2
fi
[ -x "$bin" ] || (cd "$root" && cargo build -q) || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/coroner-accept.XXXXXX")
mkdir -p "$work/cwd" "$work/tmp"
fail=0; n=0
for b in "$dir"/*/; do
  for fmt in text md json; do
    n=$((n + 1))
    start=$(date +%s)
    ( cd "$work/cwd" && ulimit -v 4194304 && TMPDIR="$work/tmp" exec timeout 60 "$bin" report "$b" --format "$fmt" ) >"$work/out" 2>"$work/err"
    rc=$?
    secs=$(( $(date +%s) - start ))
    verdict=ok
    case $rc in 0|1|2) ;; *) verdict="exit $rc"; fail=$((fail + 1)) ;; esac
    if [ "$fmt" != json ] && grep -q "$(printf '\033')" "$work/out"; then verdict="$verdict, raw ESC in stdout"; fail=$((fail + 1)); fi
    if grep -q "$(printf '\033')" "$work/err"; then verdict="$verdict, raw ESC in stderr"; fail=$((fail + 1)); fi
    if [ -n "$(find "$work/cwd" "$work/tmp" -mindepth 1)" ]; then verdict="$verdict, files written"; fail=$((fail + 1)); rm -rf "$work/cwd"/* "$work/tmp"/*; fi
    printf '%-28s %-5s rc=%s %3ss %s\n' "$(basename "$b")" "$fmt" "$rc" "$secs" "$verdict"
  done
done
rm -rf "$work"
echo "$n runs, $fail failures"
[ "$fail" -eq 0 ]
