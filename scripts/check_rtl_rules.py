#!/usr/bin/env python3
"""Check rtl/ against the simulator-compatibility rules that lint does not catch.

Rule 1: no function calls inside an always_comb block. Icarus 11.0 (Debian 12's iverilog) puts a called
function's own variables (its arguments) into the always_comb block's sensitivity list, so two always_comb
blocks that call the same function with different arguments wake each other forever at one simulation
time: a zero-time loop (an always_comb defect of Icarus 11.0 of the kind of steveicarus/iverilog#508,
which upstream fixed after 11.0; not checked against a newer Icarus here). Call functions in a
continuous assignment or an always_ff block instead. Verilator and Yosys are not affected, so lint and
synthesis cannot catch it; the Icarus smoke tests only catch it when the data make the arguments differ.

Usage: check_rtl_rules.py FILE_OR_DIR...   (a directory: every *.sv below it)
Exit 0 when clean; 1 with one line per violation (FILE:LINE: ...); 2 on a usage error.
"""
import pathlib
import re
import sys

FUNC_DEF = re.compile(r"\bfunction\s+(?:automatic\s+|static\s+)?(?:[\w:]+\s*)?(?:signed\s*)?(?:\[[^\]]*\]\s*)?(\w+)\s*\(")


def strip_comments(text):
    """Blank out // and /* */ comments and string literals, keeping line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(c if c == "\n" else " " for c in text[i:j]))
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j + 1, n) - i))
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def always_comb_blocks(code):
    """Yield (start offset, body) for each always_comb statement: a begin ... end block or one statement."""
    for m in re.finditer(r"\balways_comb\b", code):
        k = m.end()
        rest = code[k:]
        lead = len(rest) - len(rest.lstrip())
        if re.match(r"begin\b", rest[lead:]):
            depth = 0
            for t in re.finditer(r"\b(begin|end)\b", code[k:]):
                depth += 1 if t.group(1) == "begin" else -1
                if depth == 0:
                    yield m.start(), code[k:k + t.end()]
                    break
            else:
                yield m.start(), code[k:]
        else:
            j = code.find(";", k)
            yield m.start(), code[k:(len(code) if j < 0 else j + 1)]


def check_file(path, functions):
    code = strip_comments(path.read_text())
    problems = []
    for start, body in always_comb_blocks(code):
        line = code.count("\n", 0, start) + 1
        for name in sorted(functions):
            call = re.search(r"\b" + re.escape(name) + r"\s*\(", body)
            if call:
                at = line + body.count("\n", 0, call.start())
                problems.append(f"{path}:{at}: call of function {name} inside the always_comb block of line {line} "
                                f"(Icarus 11.0 zero-time loop; use a continuous assignment)")
    return problems


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    files = []
    for arg in argv[1:]:
        p = pathlib.Path(arg)
        if p.is_dir():
            files.extend(sorted(p.rglob("*.sv")))
        elif p.is_file():
            files.append(p)
        else:
            print(f"check_rtl_rules.py: {arg}: no such file or directory", file=sys.stderr)
            return 2
    if not files:
        print("check_rtl_rules.py: no .sv files found in " + " ".join(argv[1:]), file=sys.stderr)
        return 2
    # Functions are module-local in this RTL, but a name defined in any file is checked everywhere.
    functions = set()
    for f in files:
        functions.update(FUNC_DEF.findall(strip_comments(f.read_text())))
    problems = [p for f in files for p in check_file(f, functions)]
    for p in problems:
        print(p)
    print(f"check_rtl_rules.py: {len(files)} files, {len(functions)} functions, {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
