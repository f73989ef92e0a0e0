#!/usr/bin/env python3
"""Summarises a Verilator coverage.dat by file and kind (line, toggle, branch, expr).

Each data line is  C '<key><value>...' <count>  with keys separated by \\x01 and key/value by \\x02;
the 'page' key starts with v_line, v_toggle, v_branch or v_expr. Also lists the uncovered line points
(file:line and their comment) so docs/rtl.md can explain them.
"""
import collections
import sys


def points(path):
    with open(path, encoding="latin-1") as f:
        for line in f:
            if not line.startswith("C '"):
                continue
            body, count = line.rsplit(" ", 1)
            fields = {}
            for kv in body[3:-1].split("\x01"):
                if "\x02" in kv:
                    k, v = kv.split("\x02", 1)
                    fields[k] = v
            yield fields, int(count)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: rtl_coverage_summary.py merged.dat")
    total = collections.defaultdict(lambda: [0, 0])
    missed = []
    for f, n in points(sys.argv[1]):
        kind = f.get("page", "?").split("/")[0].replace("v_", "")
        fname = f.get("f", "?").split("/")[-1]
        t = total[(fname, kind)]
        t[0] += 1
        t[1] += n > 0
        if n == 0 and kind in ("line", "branch"):
            missed.append((fname, int(f.get("l", 0)), kind, f.get("o", "")))
    print(f"{'file':<16} {'kind':<8} {'covered':>8} {'points':>7} {'%':>6}")
    for (fname, kind), (pts, hit) in sorted(total.items()):
        print(f"{fname:<16} {kind:<8} {hit:>8} {pts:>7} {100.0 * hit / max(pts, 1):6.1f}")
    print("\nuncovered line/branch points:")
    for fname, line, kind, comment in sorted(set(missed)):
        print(f"  {fname}:{line} {kind} {comment}")


if __name__ == "__main__":
    main()
