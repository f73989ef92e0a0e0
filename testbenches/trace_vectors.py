#!/usr/bin/env python3
"""A core's port trace (pcgrid train --rtl-port-trace, JSON lines; docs/rtl.md) as the vector file of
testbenches/trace_replay_tb.sv: one line per operation, `W sel addr word` / `R sel addr word` (hex) and
`C load cmd_err err_zero cycles` (the command's 224-bit load register of pcg_top built with ACTS = 1, in hex, as
scripts/board_host.py packs it; then the flags and the busy cycles, decimal). Every command is checked against
the core's limits first (board_host.check_command), as the board replay does.

    trace_vectors.py TRACE.jsonl VECTORS.txt
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import board_host as bh  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print("usage: trace_vectors.py TRACE.jsonl VECTORS.txt", file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    out = []
    try:
        with open(src) as f:
            for no, line in enumerate(f, 1):
                try:
                    t = json.loads(line)
                    if t["op"] in ("write", "read"):
                        out.append(f"{t['op'][0].upper()} {t['sel']:x} {t['addr']:x} {t['value'] & 0xFFFF:04x}")
                    elif t["op"] == "cmd":
                        c = t["cmd"]
                        bh.check_command(c)
                        load = 0
                        for k, v in c.items():
                            load |= v << bh.FIELDS[k][0]
                        out.append(f"C {load:056x} {t['cmd_err']} {t['err_zero']} {t['cycles']}")
                    else:
                        raise ValueError(f"unknown operation {t['op']!r} (expected write, cmd or read)")
                except (KeyError, TypeError, ValueError) as e:  # json.JSONDecodeError is a ValueError
                    print(f"trace_vectors.py: {src}:{no}: not a port-trace line ({type(e).__name__}: {e})",
                          file=sys.stderr)
                    return 1
    except OSError as e:
        print(f"trace_vectors.py: {src}: {e.strerror}", file=sys.stderr)
        return 2
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(out)} vectors from {src}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
