#!/usr/bin/env python3
"""CTest board_host_checks: scripts/board_host.py refuses commands outside the core's limits before sending a
byte (the core does not check them: docs/rtl.md "Command limits"), refuses commands that need a unit the
board's build lacks (its INFO byte), and encodes an accepted one as pcg_top's load register expects (its
localparams C*; 224 bits with pcg_act)."""
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


# Commands that need a unit: refused by the tile's build (INFO 0xa8), accepted by the core's (0xa7).
tile = {"variant": "tile", "router": 1, "smax": 0, "acts": 0, "elem": 0}
core = {"variant": "core", "router": 0, "smax": 1, "acts": 1, "elem": 1}
units = [
    (dict(op=6, n=2, label=1), "softmax unit"),
    (dict(op=0, n=2, m=2, act=4), "activation 4"),
    (dict(op=0, n=2, m=2, act=2, alpha=328), "activation 2"),
    (dict(op=0, n=2, m=1, elem=1), "elementwise"),
    (dict(op=2, n=2, m=1, lo=0, hi=1, elem=1, mul=1), "elementwise"),
]
for fields, why in units:
    try:
        bh.check_units(fields, core)
    except ValueError as e:
        print(f"FAIL the core build refused {fields}: {e}")
        failures += 1
    try:
        bh.check_units(fields, tile)
        print(f"FAIL the tile build accepted {fields}")
        failures += 1
    except ValueError as e:
        if why not in str(e) or "scripts/board.sh icebreaker OUT_DIR 1 core" not in str(e):
            print(f"FAIL {fields}: message {e!r} does not say {why!r} and how to build the core variant")
            failures += 1


class Recorder:
    """A port that records what is sent and answers every read with the given INFO byte."""

    def __init__(self, info):
        self.sent = []
        self.info = info

    def write(self, data):
        self.sent.extend(data)

    def read_byte(self):
        return self.info


def load_value(frames, nbytes):
    """The load register that nbytes SHIFT frames (MSB byte first) fill."""
    value = 0
    for first, second in frames[:nbytes]:
        assert first >> 7 == 1 and second >> 7 == 0, (first, second)
        ctl, addr, data = (first >> 5) & 3, (first >> 1) & 15, ((first & 1) << 7) | second
        assert ctl == 0 and addr == bh.SHIFT, (ctl, addr)
        value = (value << 8) | data
    return value


for info, nbytes, fields, want in (
    (0xA8, 24, dict(op=0, n=2, m=2, wbase=16, act=1), (2 << 168) | (2 << 152) | (16 << 136) | (1 << 53)),
    # a port trace's relu command carries its slice's alpha: the tile (no slope bits) drops it, as the core
    # reads alpha only for leaky_relu
    (0xA8, 24, dict(op=0, n=2, m=2, wbase=16, act=1, alpha=328), (2 << 168) | (2 << 152) | (16 << 136) | (1 << 53)),
    (0xA7, 28, dict(op=0, n=2, m=2, wbase=16, act=2, alpha=328),
     (328 << 192) | (2 << 168) | (2 << 152) | (16 << 136) | (2 << 53)),
):
    rec = Recorder(info)
    board = bh.Board(rec)
    board.command(**fields)
    # an INFO frame (asked once), nbytes SHIFT frames and a CMD frame
    frames = [(rec.sent[i], rec.sent[i + 1]) for i in range(0, len(rec.sent), 2)]
    value = load_value(frames[1:], nbytes)
    if (frames[0] != (0x80 | (3 << 5), 0) or value != want or frames[-1][0] != 0x80 | (bh.CMD << 1)
            or len(frames) != nbytes + 2):
        print(f"FAIL encoding (INFO 0x{info:02x}) {value:056x} want {want:056x}, frames {len(frames)}")
        failures += 1
    board.command(**fields)
    if len(rec.sent) != 2 * (2 * nbytes + 3):
        print(f"FAIL INFO asked again: {len(rec.sent)} bytes sent")
        failures += 1

# A board that does not answer INFO with 0xA?: an error that says so, not a guess
try:
    bh.Board(Recorder(0x40)).info()
    print("FAIL an INFO answer 0x40 was taken for a build")
    failures += 1
except TimeoutError as e:
    if "older than the INFO frame" not in str(e):
        print(f"FAIL INFO 0x40: message {e!r}")
        failures += 1
print("PASS" if failures == 0 else "FAILED")
sys.exit(1 if failures else 0)
