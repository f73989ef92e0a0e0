#!/usr/bin/env python3
"""Host side of the iCEBreaker board top (rtl/board/pcg_icebreaker.sv; docs/synthesis.md, "On a board").

Talks the board's serial protocol: every host action of pcg_top (SHIFT, CMD, MEMWR, MEMRD, INJECT, CREDIT,
RSEL, WATCH) is a two-byte frame {1, ctl[1:0], addr[3:0], data[7]} {0, data[6:0]}; ctl 1 (READ) returns
pcg_top's readback byte, ctl 2 resets the tile.

    board_host.py --port /dev/ttyUSB1 selftest    # the board (FT2232H channel B, 115,200 baud 8N1)
    board_host.py --port /dev/ttyUSB1 status      # the build (tile or core, its units) and the status bytes
    board_host.py --pipe TO_BOARD FROM_BOARD selftest   # the simulated board (testbenches/board_pipe_tb.sv)
    board_host.py --port /dev/ttyUSB1 replay TRACE.jsonl   # a core's port trace from the simulator

The board says what it was built with (an INFO frame, ctl 3: scripts/board.sh's VARIANT tile, core + router
with a hidden-layer core, or core, the core alone with the softmax unit, leaky_relu/tanh/sigmoid and the
elementwise slices). Commands that need a unit the build lacks are refused here, before a byte is sent.

selftest resets the tile and checks, through the serial port only: a weight word written and read back, a
flit injected at the router's west input leaving its east output (with a router), and a forward pass of a
2 x 2 relu slice (v̂ = 385 and 0: the fixed-point specification's rounding, docs/fixed-point.md); with the
core's units also a leaky_relu forward pass (α = 328: −1000 → −10, 500 → 500) and the softmax-CE output
error of v̂ = (8, −16), label 1 (ε = (−4119, 4119)). It prints one line per check, then PASS or FAIL, and
exits 0 only when every check passed.

replay plays a port trace (`pcgrid train MAPPING --engine cycle --rtl-cores X,Y --vcd-core X,Y
--rtl-port-trace TRACE.jsonl`: every memory-port write, command and read of that core's RTL in the lockstep
run, docs/rtl.md) into the board and compares every word read back, and each command's cmd_err and
err_zero, with what the simulated RTL gave: the board's core must learn exactly as the simulator says.
It stops at the first difference (trace line, operation, both values) with exit 1. Python 3 standard
library only.
"""
import argparse
import os
import sys

# pcg_top's host actions (its header) and the command layout of its load register (its localparams C*:
# field -> (lsb, width)).
SHIFT, CMD, MEMWR, MEMRD, INJECT, CREDIT, RSEL, WATCH = range(8)
FIELDS = {"seed": (0, 32), "label": (32, 16), "shift": (48, 5), "act": (53, 3), "hi": (56, 16), "lo": (72, 16),
          "obase": (88, 16), "xbase": (104, 16), "sbase": (120, 16), "wbase": (136, 16), "m": (152, 16),
          "n": (168, 16), "ctx": (184, 2), "op": (186, 3), "first": (189, 1), "elem": (190, 1), "mul": (191, 1),
          "alpha": (192, 15)}
# pcg_top's load register: 192 bits, 224 with ACTS (the leaky slope `alpha` at 206:192)
LOAD_BITS, LOAD_BITS_ACTS = 192, 224
OPS = {"fwd": 0, "outerr": 1, "err": 2, "relax": 3, "update": 4, "seed": 5, "smax": 6}
# The board tile's memories (pcg_top's defaults): the core checks none of these limits (docs/rtl.md,
# "Command limits"), so the host must: an out-of-range field wraps an address silently.
SLOTS, XWORDS, OWORDS, SRAM_WORDS = 256, 1024, 1024, 16384


def check_command(f):
    """Raises ValueError for a command the core would carry out on wrapped addresses (the limits of
    docs/rtl.md, as the lockstep harness checks them)."""
    for k, v in f.items():
        if k not in FIELDS:
            raise ValueError(f"command field {k!r}: no such field (fields: {', '.join(FIELDS)})")
        if not 0 <= v < (1 << FIELDS[k][1]):
            raise ValueError(f"command field {k}={v}: outside 0..{(1 << FIELDS[k][1]) - 1}")
    n, m, op = f.get("n", 0), f.get("m", 0), f.get("op", 0)
    if op == OPS["seed"]:
        return
    if not 1 <= n <= SLOTS or f.get("sbase", 0) + n > SLOTS:
        raise ValueError(f"n={n}, sbase={f.get('sbase', 0)}: the slots must lie in 0..{SLOTS - 1}")
    if op in (OPS["fwd"], OPS["err"], OPS["update"]) and not f.get("elem", 0):
        if not 1 <= m <= XWORDS or f.get("xbase", 0) + m > XWORDS:
            raise ValueError(f"m={m}, xbase={f.get('xbase', 0)}: the inputs must lie in x words 0..{XWORDS - 1}")
        if f.get("wbase", 0) + n * (m + 1) > SRAM_WORDS:
            raise ValueError(f"wbase={f.get('wbase', 0)} + n*(m+1)={n * (m + 1)}: beyond the {SRAM_WORDS}-word SRAM")
    if op == OPS["err"]:
        lo, hi = f.get("lo", 0), f.get("hi", 0)
        if not lo < hi <= (m if not f.get("elem", 0) else hi):
            raise ValueError(f"lo={lo}, hi={hi}, m={m}: need lo < hi <= m")
        if f.get("obase", 0) + (hi - lo) > OWORDS:
            raise ValueError(f"obase={f.get('obase', 0)} + (hi-lo)={hi - lo}: beyond the {OWORDS}-word out buffer")
    if f.get("shift", 0) > 20:
        raise ValueError(f"shift={f['shift']}: at most 20 (the weight step's 11 + shift stays below 32)")


def check_units(f, info):
    """Raises ValueError for a command that needs a unit the board's build lacks (info: Board.info())."""
    act, op = f.get("act", 0), f.get("op", 0)
    need = []
    if op == OPS["smax"] and not info["smax"]:
        need.append("the softmax unit (op smax)")
    if op == OPS["fwd"] and act in (2, 4, 5) and not info["acts"]:
        need.append(f"pcg_act (activation {act}: leaky_relu, tanh or sigmoid)")
    if (f.get("elem", 0) or f.get("mul", 0)) and not info["elem"]:
        need.append("the elementwise slices (elem/mul)")
    if need:
        raise ValueError(f"the command needs {' and '.join(need)}, which the board's build ({info['variant']}) lacks: "
                         "build the core variant, scripts/board.sh icebreaker OUT_DIR 1 core")


class SerialPort:
    """A tty (the board's FTDI channel) in raw mode at 115,200 baud 8N1."""

    def __init__(self, path, timeout_s=2.0):
        import termios

        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        attrs = termios.tcgetattr(self.fd)
        attrs[0] = 0  # iflag: no input processing
        attrs[1] = 0  # oflag: no output processing
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL  # cflag: 8N1, receiver on
        attrs[3] = 0  # lflag: raw
        attrs[4] = attrs[5] = termios.B115200
        attrs[6][termios.VMIN] = 0
        attrs[6][termios.VTIME] = max(1, int(timeout_s * 10))
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        termios.tcflush(self.fd, termios.TCIOFLUSH)

    def write(self, data):
        os.write(self.fd, bytes(data))

    def read_byte(self):
        b = os.read(self.fd, 1)
        if not b:
            raise TimeoutError("no answer from the board within the timeout (is it programmed? the right port?)")
        return b[0]


class PipePort:
    """The simulated board: bytes as two-digit hex lines through two named pipes."""

    def __init__(self, to_board, from_board):
        self.out = open(to_board, "w")  # opened first, as the testbench opens its end first
        self.inp = open(from_board, "r")

    def write(self, data):
        for b in data:
            self.out.write(f"{b:02x}\n")
        self.out.flush()

    def read_byte(self):
        line = self.inp.readline()
        if not line:
            raise TimeoutError("the simulated board closed its pipe")
        try:
            return int(line, 16)
        except ValueError:
            raise TimeoutError(f"the simulated board sent {line.strip()!r}, not a byte (undefined bits)") from None


class Board:
    def __init__(self, port):
        self.port = port
        self._info = None

    def info(self):
        """The board's build from an INFO frame (ctl 3): {4'hA, WITH_ROUTER, ELEM, ACTS, SMAX}; asked once."""
        if self._info is None:
            self.frame(3, 0, 0)
            b = self.port.read_byte()
            if b >> 4 != 0xA:
                raise TimeoutError(f"the board answered INFO with 0x{b:02x}, not 0xA?: a bitstream older than the INFO "
                                   "frame? (rebuild it with scripts/board.sh)")
            router, elem, acts, smax = (b >> 3) & 1, (b >> 2) & 1, (b >> 1) & 1, b & 1
            variant = ("tile" if (router, elem, acts, smax) == (1, 0, 0, 0) else
                       "core" if (router, elem, acts, smax) == (0, 1, 1, 1) else "custom")
            self._info = {"variant": variant, "router": router, "smax": smax, "acts": acts, "elem": elem}
        return self._info

    def frame(self, ctl, addr, data):
        self.port.write([0x80 | (ctl << 5) | (addr << 1) | (data >> 7), data & 0x7F])

    def act(self, addr, data):
        self.frame(0, addr, data)

    def read(self, rsel):
        self.act(RSEL, rsel)
        self.frame(1, 0, 0)
        return self.port.read_byte()

    def reset(self):
        self.frame(2, 0, 0)

    def shift(self, value, nbytes):
        for k in reversed(range(nbytes)):
            self.act(SHIFT, (value >> (8 * k)) & 0xFF)

    def memwr(self, sel, addr, word):
        self.shift((sel << 32) | (addr << 16) | (word & 0xFFFF), 5)
        self.act(MEMWR, 0)

    def memrd(self, sel, addr):
        self.shift((sel << 32) | (addr << 16), 5)
        self.act(MEMRD, 0)
        return self.read(5) | (self.read(6) << 8)

    def inject(self, port, head, tail, flit):
        self.shift(flit, 4)
        self.act(INJECT, (tail << 4) | (head << 3) | port)

    def command(self, **fields):
        """One command to the core: its fields by name (FIELDS; op, act, n, m, wbase, ...), checked first."""
        check_command(fields)
        info = self.info()
        check_units(fields, info)
        if not info["acts"]:
            # no slope bits in a 192-bit load register; the core reads alpha only for leaky_relu, refused above
            # (a port trace carries the slice's alpha with every command)
            fields = {k: v for k, v in fields.items() if k != "alpha"}
        value = 0
        for k, v in fields.items():
            value |= v << FIELDS[k][0]
        self.shift(value, (LOAD_BITS_ACTS if info["acts"] else LOAD_BITS) // 8)
        self.act(CMD, 0)

    def status(self):
        s7, s8 = self.read(7), self.read(8)
        return {
            "busy": s7 & 1,
            "err_zero": (s7 >> 1) & 1,
            "router_overflow": (s7 >> 2) & 1,
            "flit_left_output": [(s7 >> (3 + p)) & 1 for p in range(5)],
            "cmd_err": s8 & 1,
            "ni_state": (s8 >> 1) & 3,
            "ni_fifo": (s8 >> 3) & 7,
            "router_local_ready": (s8 >> 6) & 1,
            "ni_dropped": (s8 >> 7) & 1,
        }


def s16(w):
    return w - 0x10000 if w & 0x8000 else w


def selftest(board):
    board.reset()
    checks = []
    info = board.info()
    print(f"build: {info['variant']} (router {info['router']}, softmax unit {info['smax']}, pcg_act {info['acts']}, "
          f"elementwise slices {info['elem']})")

    def check(name, ok, got):
        checks.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {got}")

    st = board.status()
    check("status after reset (not busy, router ready, no overflow)",
          st["busy"] == 0 and st["router_local_ready"] == 1 and st["router_overflow"] == 0, st)
    board.memwr(0, 5, 0x1234)
    w = board.memrd(0, 5)
    check("weight word 5 written and read back", w == 0x1234, f"0x{w:04x}")
    if info["router"]:
        board.act(WATCH, 1)  # watch the east output
        board.inject(2, 1, 1, (0xBEEF << 16) | (3 << 8) | 5)  # from the west, to x=5, y=3: leaves east
        flit = [board.read(k) for k in range(5)]
        check("flit from the west input left the east output (dest 5,3; from 2, head, tail)",
              flit[0] == 5 and flit[1] == 3 and flit[4] == 0b00001011, flit)
    else:
        print("skip flit across the router: this build has no router")
    # FWD of a 2 x 2 relu slice (as testbenches/pcg_top_smoke.sv): weights at 16 (row r at 16 + 3r),
    # biases in slots 0 and 1, x in x-buffer words 0 and 1.
    for a, v in ((16, 3072), (17, -1024), (19, -3072), (20, 1000)):
        board.memwr(0, a, v)
    board.memwr(1, 0, 514)
    board.memwr(1, 1, -100)
    board.memwr(2, 0, 2048)
    board.memwr(2, 1, 4096)
    board.command(op=OPS["fwd"], n=2, m=2, wbase=16, act=1)  # act 1 = relu
    v = [s16(board.memrd(4, r)) for r in range(2)]
    st = board.status()
    check("FWD 2 x 2 relu: v_hat = (385, 0), command accepted", v == [385, 0] and st["cmd_err"] == 0, v)
    # 2 x 1 slices with W = pre (x = 8192 = 4.0, bias 0: pre = round(W·x / 2^13) = W), as
    # testbenches/pcg_top_smoke.sv (values from fx::act_forward and fx::softmax_ce_error)
    if info["acts"] or info["smax"]:
        board.memwr(2, 0, 8192)
        board.memwr(1, 0, 0)
        board.memwr(1, 1, 0)
    if info["acts"]:
        board.memwr(0, 40, -1000)
        board.memwr(0, 42, 500)
        board.command(op=OPS["fwd"], n=2, m=1, wbase=40, act=2, alpha=328)  # act 2 = leaky_relu, alpha 0.01
        v = [s16(board.memrd(4, r)) for r in range(2)]
        st = board.status()
        check("FWD 2 x 1 leaky_relu alpha 328: v_hat = (-10, 500), command accepted",
              v == [-10, 500] and st["cmd_err"] == 0, v)
    if info["smax"]:
        board.memwr(0, 40, 8)
        board.memwr(0, 42, -16)
        board.command(op=OPS["fwd"], n=2, m=1, wbase=40)  # identity: v_hat = (8, -16)
        board.command(op=OPS["smax"], n=2, label=1)
        e = [s16(board.memrd(7, r)) for r in range(2)]
        st = board.status()
        check("softmax-CE output error of v_hat = (8, -16), label 1: eps = (-4119, 4119), command accepted",
              e == [-4119, 4119] and st["cmd_err"] == 0, e)
    ok = all(checks)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


class ReplayError(Exception):
    pass


def replay(board, path):
    import json

    board.reset()
    counts = {"write": 0, "cmd": 0, "read": 0}
    with open(path) as f:
        for no, line in enumerate(f, 1):
            where = f"{path}:{no}"
            try:
                t = json.loads(line)
                op = t["op"]
                if op == "write":
                    board.memwr(t["sel"], t["addr"], t["value"])
                elif op == "read":
                    got = s16(board.memrd(t["sel"], t["addr"]))
                    if got != t["value"]:
                        raise ReplayError(f"{where}: read of memory select {t['sel']} address {t['addr']}: "
                                          f"the board gave {got}, the simulated RTL {t['value']}")
                elif op == "cmd":
                    c = dict(t["cmd"])
                    board.command(**c)
                    st = board.status()
                    for k in ("cmd_err", "err_zero"):
                        if st[k] != t[k]:
                            raise ReplayError(f"{where}: after command op {c['op']}: the board's {k} is {st[k]}, "
                                              f"the simulated RTL's {t[k]}")
                else:
                    raise ReplayError(f"{where}: unknown operation {op!r} (expected write, cmd or read)")
            except (KeyError, TypeError, json.JSONDecodeError) as e:
                raise ReplayError(f"{where}: not a port-trace line ({type(e).__name__}: {e})") from None
            except ValueError as e:
                raise ReplayError(f"{where}: {e}") from None
            except TimeoutError as e:
                raise ReplayError(f"{where}: {e}") from None
            counts[op] += 1
            if no % 200 == 0:
                print(f"replay: {no} lines", file=sys.stderr, flush=True)
    print(f"replayed {path}: {counts['write']} writes, {counts['cmd']} commands, {counts['read']} reads, "
          "every word read back equal to the simulated RTL's")
    print("PASS")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--port", help="the board's serial device, e.g. /dev/ttyUSB1")
    g.add_argument("--pipe", nargs=2, metavar=("TO_BOARD", "FROM_BOARD"), help="named pipes of the simulated board")
    ap.add_argument("what", choices=["selftest", "status", "replay"])
    ap.add_argument("trace", nargs="?", help="replay: the port trace (JSON lines)")
    a = ap.parse_args()
    if (a.what == "replay") != (a.trace is not None):
        ap.error("replay takes a trace file; selftest and status take none")
    if a.trace is not None and not os.path.isfile(a.trace):
        print(f"board_host.py: {a.trace}: no such file", file=sys.stderr)
        return 2
    try:
        port = SerialPort(a.port) if a.port else PipePort(*a.pipe)
    except OSError as e:
        print(f"board_host.py: cannot open {a.port or a.pipe}: {e.strerror}", file=sys.stderr)
        return 2
    board = Board(port)
    try:
        if a.what == "status":
            for k, v in board.info().items():
                print(f"build_{k}: {v}")
            for k, v in board.status().items():
                print(f"{k}: {v}")
            return 0
        if a.what == "replay":
            return replay(board, a.trace)
        return selftest(board)
    except ReplayError as e:
        print(f"board_host.py: {e}", file=sys.stderr)
        print("FAIL")
        return 1
    except TimeoutError as e:
        print(f"board_host.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
