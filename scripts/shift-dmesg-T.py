#!/usr/bin/env python3
"""Shift every `dmesg -T` stamp of a file by whole hours, as the same ring
buffer prints on a host whose local zone is that many hours off UTC.

    scripts/shift-dmesg-T.py -5 samples/bundle/host/dmesg-T.txt > samples/clock/dmesg-T-utc-minus-5.txt

`[Sun Nov 29 03:19:52 2026] msg` becomes `[Sat Nov 28 22:19:52 2026] msg`;
everything else on the line is kept byte for byte (issue #12, one clock).
"""
import re
import sys
from datetime import datetime, timedelta

STAMP = re.compile(r"^\[(\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})\]")


def shift(line: str, hours: int) -> str:
    m = STAMP.match(line)
    if not m:
        return line
    t = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y") + timedelta(hours=hours)
    # dmesg -T prints the day of the month space-padded (`%e`, ctime style).
    stamp = t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")
    return "[" + stamp + "]" + line[m.end():]


def main() -> None:
    hours = int(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8", newline="") as f:
        for line in f:
            sys.stdout.write(shift(line, hours))


if __name__ == "__main__":
    main()
