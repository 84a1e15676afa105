#!/usr/bin/env python3
"""Split a RAW audit.log into per-script files by capture.sh's time windows.

split-log.py OUTDIR   (reads OUTDIR/audit.log and OUTDIR/windows.tsv and
writes OUTDIR/<script>.raw: every event whose timestamp is in the window)."""
import collections, re, sys
d = sys.argv[1]
events = collections.OrderedDict()
for line in open(f"{d}/audit.log", errors="replace"):
    m = re.search(r"msg=audit\((\d+\.\d+):(\d+)\)", line)
    if m:
        events.setdefault((m.group(1), m.group(2)), []).append(line)
for row in open(f"{d}/windows.tsv"):
    script, start, end, rc = row.rstrip("\n").split("\t")
    lo, hi = float(start) - 0.005, float(end) + 0.005
    with open(f"{d}/{script[:-3]}.raw", "w") as out:
        for (ts, _), lines in events.items():
            if lo <= float(ts) <= hi:
                out.writelines(lines)
