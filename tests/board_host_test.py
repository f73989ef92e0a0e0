#!/usr/bin/env python3
"""CTest board_host_checks: scripts/board_host.py refuses commands outside the core's limits before sending a
byte (the core does not check them: docs/rtl.md "Command limits"), and encodes an accepted one as pcg_top's
load register expects (its localparams C*)."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import board_host as bh  # noqa: E402

bad = [
    (dict(op=0, n=300, m=2), "slots"),
    (dict(op=0, n=2, m=2, sbase=255), "slots"),
    (dict(op=0, n=2, m=2000), "x words"),
    (dict(op=0, n=2, m=2, xbase=1023), "x words"),
    (dict(op=2, n=2, m=4, lo=3, hi=2), "lo < hi"),
    (dict(op=2, n=2, m=4, lo=0, hi=5), "lo < hi"),
    (dict(op=2, n=2, m=4, lo=0, hi=4, obase=1022), "out buffer"),
    (dict(op=0, n=2, m=2, shift=21), "at most 20"),
    (dict(op=0, n=2, m=2, wbase=16380), "SRAM"),
    (dict(op=0, n=2, m=2, bogus=1), "no such field"),
    (dict(op=0, n=2, m=2, act=8), "outside"),
]
failures = 0
for fields, why in bad:
    try:
        bh.check_command(fields)
        print(f"FAIL accepted {fields}")
        failures += 1
    except ValueError as e:
        if why not in str(e):
            print(f"FAIL {fields}: message {e!r} does not say {why!r}")
            failures += 1


class Recorder:
    def __init__(self):
        self.sent = []

    def write(self, data):
        self.sent.extend(data)


rec = Recorder()
board = bh.Board(rec)
board.command(op=0, n=2, m=2, wbase=16, act=1)
# 24 SHIFT frames (MSB byte first) and a CMD frame: decode them back into the 192-bit load register
frames = [(rec.sent[i], rec.sent[i + 1]) for i in range(0, len(rec.sent), 2)]
value = 0
for first, second in frames[:24]:
    assert first >> 7 == 1 and second >> 7 == 0, (first, second)
    ctl, addr, data = (first >> 5) & 3, (first >> 1) & 15, ((first & 1) << 7) | second
    assert ctl == 0 and addr == bh.SHIFT, (ctl, addr)
    value = (value << 8) | data
want = (2 << 168) | (2 << 152) | (16 << 136) | (1 << 53)
if value != want or frames[24][0] != 0x80 | (bh.CMD << 1) or len(frames) != 25:
    print(f"FAIL encoding {value:048x} want {want:048x}, frames {len(frames)}")
    failures += 1
print("PASS" if failures == 0 else "FAILED")
sys.exit(1 if failures else 0)
