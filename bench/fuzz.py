"""Fuzz the front end: mutate valid specs and run pinmc on every mutant.

    python3 bench/fuzz.py 100000                  # 100,000 inputs, seed 0
    python3 bench/fuzz.py 5000 --seed 7 --out /tmp/fuzz-crashes
    python3 bench/fuzz.py --replay /tmp/fuzz-crashes/crash-0001.pin

(100,000 inputs took 37 minutes on a loaded two-core machine: 30,995 of
them parsed and were checked too; no crash.)

Each input is a valid spec of `specs/` (the examples of
/work/shared/examples/ and the kernel library too, when present) changed by
one to four mutations: bytes, tokens or lines deleted, duplicated, swapped
or replaced; random bytes inserted (NUL, a BOM, bytes that are not UTF-8,
lone carriage returns, Unicode line separators); parentheses, `if`,
`either`, `not` and `-` nested thousands deep; long flat chains of `+` and
`and`; a line repeated hundreds of times; huge integer literals; very long
lines; truncated or empty files.  Every input runs, in this process (for
speed), through `pinmc parse FILE`, and, when it parses, through
`pinmc check FILE --max-states 300 --no-time` (now and then with `--format
json`, `--expander scalar` or `--no-por`).

An input is fine when every run exits 0, 1, 2 or 3, prints no traceback
and no internal error, and, when it exits 2, starts with a located
diagnostic `FILE:LINE:COL: error[PINnnn]: ...` whose next line is the line
LINE of FILE and whose caret line follows it.  Anything else is a crash: a
run that takes longer than `--budget` seconds (default 20) counts as one
too.  The script prints the number of inputs and runs, the exit-status
histogram, the seconds, and each crash; it saves every crash's input as
`OUT/crash-NNNN.pin` with `OUT/crash-NNNN.txt` (the command, the exit
status and the output).  Exit status 0 when no input crashed, 1 otherwise.

tests/test_fuzz.py drives the same mutations from hypothesis in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinmc.cli import main as pinmc_main  # noqa: E402
from pinmc.source import MAX_SHOWN, shown_line  # noqa: E402

EXAMPLES = Path("/work/shared/examples")
MAX_STATES = 300


def corpus() -> list[tuple[str, bytes]]:
    """The valid inputs mutated: (name, bytes), sorted by name."""
    files = sorted((ROOT / "specs").glob("*.pin")) + sorted((ROOT / "pinmc" / "lib" / "kernel").glob("*.pin"))
    if EXAMPLES.is_dir():
        files += sorted(EXAMPLES.glob("*.pin"))
    return [(str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f), f.read_bytes()) for f in files]


# ---------------------------------------------------------------- mutations

TOKEN = re.compile(rb'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z_0-9]*|0[xX][0-9a-fA-F_]*'
                   rb'|[0-9][0-9_]*|<=>|=>|==|!=|<=|>=|\+=|-=|->|\.\.|\s+|.', re.S)
NUMBER = re.compile(rb"[0-9]")
VOCABULARY = [w.encode() for w in (
    "spec proposal for use const enum symmetric page var fn proc rule thread daemon when invariant "
    "lemma reachable expect allow if else then either or choose in assert goto end skip and not "
    "forall exists true false self done struct template bool u8 u16 u32 u64 i32 i64 int pc "
    "holds violated unreachable free deadlock range").split()] + [p.encode() for p in (
    "{ } ( ) [ ] : ; , . .. @ = += -= == != < <= > >= + - * / % => <=> -> \" /* */ //").split()] + [
    b"0", b"1", b"2", b"255", b"256", b"65536", b"4294967296", b"18446744073709551616",
    b"0x", b"0x_", b"0xffffffffffffffff", b"1_000", b"9" * 40]
SPECIAL_BYTES = [b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xe2\x82", b"\x80", b"\r", b"\r\n", b"\t",
                 b"\x0c", b"\x0b", b"\x1c", b"\xe2\x80\xa8", b"\xc2\x85", "\u00e9".encode(), "\u4e2d".encode(),
                 b"\\", b'"', b"/*", b"*/", b"//", b"\x1b[31m"]
DEPTHS = (3, 30, 100, 199, 250, 600, 2000)
COUNTS = (2, 10, 100, 400, 1200)


def _tokens(data: bytes) -> list[bytes]:
    return TOKEN.findall(data)


def _solid(tokens: list[bytes]) -> list[int]:
    """Indexes of tokens that are not white space or comments."""
    return [i for i, t in enumerate(tokens) if not t.isspace() and not t.startswith((b"//", b"/*"))]


def _span(rng: random.Random, data: bytes, most: int = 16) -> tuple[int, int]:
    a = rng.randrange(len(data) + 1)
    return a, min(len(data), a + rng.randint(1, most))


def m_delete_bytes(rng: random.Random, data: bytes) -> bytes:
    a, b = _span(rng, data)
    return data[:a] + data[b:]


def m_duplicate_bytes(rng: random.Random, data: bytes) -> bytes:
    a, b = _span(rng, data, 40)
    return data[:b] + data[a:b] + data[b:]


def m_swap_bytes(rng: random.Random, data: bytes) -> bytes:
    if len(data) < 2:
        return data
    i, j = sorted(rng.sample(range(len(data)), 2))
    return data[:i] + data[j:j + 1] + data[i + 1:j] + data[i:i + 1] + data[j + 1:]


def m_insert_bytes(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        junk = rng.choice(SPECIAL_BYTES) * rng.choice((1, 1, 2, 3))
    else:
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return data[:at] + junk + data[at:]


def m_token(rng: random.Random, data: bytes) -> bytes:
    """Delete, duplicate, swap or replace tokens."""
    toks = _tokens(data)
    solid = _solid(toks)
    if not solid:
        return data
    i = rng.choice(solid)
    how = rng.randrange(4)
    if how == 0:
        toks[i] = b""
    elif how == 1:
        toks[i] = toks[i] + b" " + toks[i]
    elif how == 2:
        j = rng.choice(solid)
        toks[i], toks[j] = toks[j], toks[i]
    else:
        toks[i] = rng.choice(VOCABULARY) if rng.random() < 0.7 else toks[rng.choice(solid)]
    return b"".join(toks)


def m_lines(rng: random.Random, data: bytes) -> bytes:
    """Delete, duplicate, swap or move lines."""
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    how = rng.randrange(4)
    if how == 0:
        del lines[i:i + rng.randint(1, 3)]
    elif how == 1:
        lines[i:i] = lines[i:i + rng.randint(1, 5)]
    elif how == 2:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines.insert(j, lines.pop(i))
    return b"\n".join(lines)


def m_repeat_line(rng: random.Random, data: bytes) -> bytes:
    """A line (often a statement) repeated many times: long steps and files."""
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    stmts = [k for k, line in enumerate(lines) if re.search(rb"(\+=|-=|[^=!<>]=[^=>])", line)
             and not re.match(rb"\s*(const|var|page|fn|rule|//)", line)]
    if stmts and rng.random() < 0.8:
        i = rng.choice(stmts)
    lines[i:i + 1] = [lines[i]] * rng.choice(COUNTS)
    return b"\n".join(lines)


def m_truncate(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def m_nest(rng: random.Random, data: bytes) -> bytes:
    """Deep nesting: parentheses, unary operators, `if`/`either` blocks,
    `if then else` expressions, long flat chains of binary operators."""
    toks = _tokens(data)
    n = rng.choice(DEPTHS)
    atoms = [i for i, t in enumerate(toks) if NUMBER.match(t) or t in (b"true", b"false")]
    opens = [i for i, t in enumerate(toks) if t == b"{"]
    how = rng.randrange(8)
    if how <= 4 and atoms:
        i = rng.choice(atoms)
        t = toks[i]
        boolean = t in (b"true", b"false")
        if how == 0:
            toks[i] = b"(" * n + t + b")" * n
        elif how == 1:
            toks[i] = (b"not " if boolean else b"-") * n + t
        elif how == 2:
            toks[i] = (b"true and " if boolean else b"1 + ") * n + t
        elif how == 3:
            toks[i] = b"(if true then " * n + t + (b" else " + t + b")") * n
        else:
            toks[i] = (b"(" + t + (b" or " if boolean else b" * ")) * n + t + b")" * n
    elif opens:
        i = rng.choice(opens)
        if how == 5:
            toks[i] += b" if true {" * n + b" skip " + b"}" * n
        elif how == 6:
            toks[i] += b" either {" * n + b" skip " + b"} or { skip }" * n
        else:
            toks[i] += b" if false { skip } else {" * n + b" skip " + b"}" * n
    else:
        return m_truncate(rng, data)
    return b"".join(toks)


def m_huge_number(rng: random.Random, data: bytes) -> bytes:
    toks = _tokens(data)
    nums = [i for i, t in enumerate(toks) if NUMBER.match(t)]
    k = rng.choice((20, 40, 100, 1000, 4300, 4301, 5000, 20000))
    huge = rng.choice((b"9" * k, b"1" + b"0" * k, b"0x" + b"f" * k, b"0x1" + b"0" * k, b"1_" * k + b"1"))
    if nums:
        toks[rng.choice(nums)] = huge
    else:
        toks.insert(rng.randrange(len(toks) + 1), huge)
    return b"".join(toks)


def m_long_line(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    k = rng.choice((1000, 10_000, 100_000))
    line = rng.choice((b"// " + b"x" * k, b"x" * k, b'"' + b"a" * k + b'"', b" " * k, b"\t" * k,
                       b"/* " + b"*" * k + b" */", b"const " + b"N" * k + b" = 1"))
    return data[:at] + b"\n" + line + b"\n" + data[at:]


def m_layout(rng: random.Random, data: bytes) -> bytes:
    """Line endings, tabs, a byte-order mark, a NUL."""
    how = rng.randrange(6)
    if how == 0:
        return data.replace(b"\n", b"\r\n")
    if how == 1:
        return data.replace(b"\n", b"\r")
    if how == 2:
        return data.replace(b"    ", b"\t")
    if how == 3:
        return b"\xef\xbb\xbf" + data
    if how == 4:
        return data.replace(b"\n", "\u2028".encode(), rng.randint(1, 5))
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\x00" + data[at:]


def m_empty(rng: random.Random, data: bytes) -> bytes:
    return rng.choice((b"", b"\n", b"   \n\t\n", b"// nothing\n", b"/* */", b"\x00", b"\xef\xbb\xbf",
                       b"spec", b"spec x", b"proposal p", b"spec x\n" * 3, b"\xff\xfe"))


MUTATIONS: tuple[tuple[Callable[[random.Random, bytes], bytes], int], ...] = (
    (m_delete_bytes, 10), (m_duplicate_bytes, 6), (m_swap_bytes, 6), (m_insert_bytes, 10),
    (m_token, 30), (m_lines, 14), (m_repeat_line, 3), (m_truncate, 3), (m_nest, 6),
    (m_huge_number, 3), (m_long_line, 2), (m_layout, 4), (m_empty, 1),
)


# a mutant grows to at most this many bytes (a mutation that would make it
# larger is not applied): pinmc parses about 100 KB a second, and the fuzzer
# looks for crashes, not for slow inputs
MAX_INPUT = 256 * 1024


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four mutations of `data`, chosen by `rng`."""
    funcs = [f for f, _ in MUTATIONS]
    weights = [w for _, w in MUTATIONS]
    for _ in range(rng.choices((1, 2, 3, 4), (50, 30, 13, 7))[0]):
        out = rng.choices(funcs, weights)[0](rng, data)
        if len(out) <= MAX_INPUT:
            data = out
    return data


# ---------------------------------------------------------------- the runs

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error\[PIN\d{3}\]: \S")
CARET = re.compile(r"^ *\^+$")


class Hang(BaseException):
    """A run took longer than its budget (a BaseException: pinmc's last
    line of defence catches Exception only)."""


@dataclass(frozen=True)
class Run:
    """One pinmc command on one input and what it did."""

    argv: tuple[str, ...]
    status: int
    stdout: str
    stderr: str
    seconds: float
    problem: str | None  # None: as required


def _expected_line(path: str, line: int) -> str | None:
    """Line `line` of `path` as a diagnostic shows it, or None if unknown."""
    try:
        text = Path(path).read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    return shown_line(lines[line - 1].removesuffix("\r")) if 0 < line <= len(lines) else None


def judge(status: int, stdout: str, stderr: str) -> str | None:
    """None if a run is as required, else what is wrong with it: a short
    kind of problem, a colon, the details."""
    if status not in (0, 1, 2, 3):
        return f"exit status {status}: {stderr[-300:]}"
    if "Traceback" in stdout or "Traceback" in stderr:
        return f"a traceback: {stderr[-300:]}"
    if "internal error" in stderr:
        return f"an internal error: {stderr[-300:]}"
    if status != 2:
        return None
    lines = stderr.split("\n")
    m = LOCATED.match(lines[0])
    if not m:
        code = re.search(r"PIN\d{3}", lines[0])
        return f"exit 2 without a located diagnostic ({code.group(0) if code else 'no code'}): {lines[0][:200]}"
    if len(lines) < 3 or not CARET.match(lines[2]):
        return f"a diagnostic without a caret line: {lines[:3]}"
    want = _expected_line(m.group("file"), int(m.group("line")))
    window = lines[1].removeprefix("...").removesuffix("...")  # a long line is shown in part
    if want is not None and lines[1] != want and not (len(want) > MAX_SHOWN and window in want):
        return f"a diagnostic showing another line: {lines[1][:80]!r} for line {m.group('line')} {want[:80]!r}"
    return None


def _innermost_pinmc_frame(tb: traceback.StackSummary) -> str:
    for fr in reversed(tb):
        if "/pinmc/" in fr.filename:
            return f"{Path(fr.filename).name}:{fr.lineno} ({fr.name})"
    return "?"


def run_cli(argv: list[str], budget: float | None = None) -> Run:
    """`pinmc ARGV` in this process, stdout and stderr captured, judged."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang()

    old = signal.signal(signal.SIGALRM, alarm) if budget else None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if budget:
                signal.setitimer(signal.ITIMER_REAL, budget)
            status = pinmc_main(list(argv))
        if budget:
            signal.setitimer(signal.ITIMER_REAL, 0)
        problem = judge(status, out.getvalue(), err.getvalue())
    except Hang as e:
        status = -1
        where = _innermost_pinmc_frame(traceback.extract_tb(e.__traceback__))
        problem = f"more than {budget} s (stopped in {where})"
    finally:
        if budget:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    return Run(tuple(argv), status, out.getvalue(), err.getvalue(), time.perf_counter() - start, problem)


def check_argv(path: str, variant: int) -> list[str]:
    """The `check` command run on a mutant that parses (variant: 0..9)."""
    argv = ["check", path, "--max-states", str(MAX_STATES), "--no-time"]
    extra = {7: ["--format", "json"], 8: ["--expander", "scalar"], 9: ["--no-por"]}
    return argv + extra.get(variant, [])


def run_input(data: bytes, path: Path, variant: int, budget: float | None = None) -> list[Run]:
    """Write `data` to `path`, run `parse` and, if it parses, `check`."""
    path.write_bytes(data)
    runs = [run_cli(["parse", str(path)], budget)]
    if runs[0].status == 0:
        runs.append(run_cli(check_argv(str(path), variant), budget))
    return runs


def signature(run: Run) -> str:
    """What a crash is, for grouping: the command, the kind of problem, the
    PIN code or the exception, and where pinmc failed."""
    kind = (run.problem or "").split(":")[0]
    m = re.findall(r'File "[^"]*/pinmc/([^"]+)", line (\d+), in (\w+)', run.stderr)
    where = f" at {m[-1][0]}:{m[-1][1]} ({m[-1][2]})" if m else ""
    exc = re.search(r"internal error \(this is a bug in pinmc, please report it\): (\w+)", run.stderr)
    code = re.search(r"error\[(PIN\d{3})\]", run.stderr)
    what = f" {exc.group(1)}" if exc else f" {code.group(1)}" if code else ""
    return f"{run.argv[0]}: {kind}{what}{where}"


# ---------------------------------------------------------------- the long run

@dataclass
class Tally:
    inputs: int = 0
    runs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    crashes: dict[str, list[str]] = field(default_factory=dict)  # signature -> saved files


def _save(out_dir: Path, n: int, data: bytes, run: Run, origin: str) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"crash-{n:04d}"
    stem.with_suffix(".pin").write_bytes(data)
    cmd = " ".join(["pinmc", *(a if a != run.argv[1] else str(stem.with_suffix(".pin")) for a in run.argv)])
    stem.with_suffix(".txt").write_text(
        f"mutant of {origin}\n$ {cmd}\nexit status {run.status}: {run.problem}\n"
        f"--- stdout\n{run.stdout[-4000:]}\n--- stderr\n{run.stderr[-8000:]}\n", encoding="utf-8")
    return str(stem.with_suffix(".pin"))


def fuzz(n: int, seed: int, out_dir: Path, budget: float, report_every: int) -> Tally:
    """Run `n` mutants; input i is drawn from random.Random(f"{seed}:{i}")."""
    files = corpus()
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    path = work / "fuzz.pin"
    tally = Tally()
    start = time.perf_counter()
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        origin, seed_bytes = rng.choice(files)
        data = mutate(rng, seed_bytes)
        runs = run_input(data, path, rng.randrange(10), budget)
        tally.inputs += 1
        for run in runs:
            tally.runs += 1
            tally.statuses[f"{run.argv[0]} {run.status if run.status >= 0 else 'hang'}"] += 1
            if run.problem:
                sig = signature(run)
                saved = tally.crashes.setdefault(sig, [])
                if len(saved) < 3:
                    saved.append(_save(out_dir, sum(map(len, tally.crashes.values())) + 1, data, run,
                                       f"{origin} (input {i}, seed {seed})"))
                    print(f"CRASH input {i}: {sig}\n  {(run.problem or '')[:300]}\n  reproducer: {saved[-1]}",
                          flush=True)
                else:
                    saved.append("")
        if report_every and (i + 1) % report_every == 0:
            print(f"  {i + 1:,} inputs, {tally.runs:,} runs, {len(tally.crashes)} kinds of crash, "
                  f"{time.perf_counter() - start:,.0f} s", flush=True)
    return tally


def replay(path: str, budget: float) -> int:
    """Run `parse` and `check` (every variant) on one saved input, show the outcome."""
    bad = 0
    for argv in [["parse", path]] + [check_argv(path, v) for v in (0, 7, 8, 9)]:
        run = run_cli(argv, budget)
        print(f"$ pinmc {' '.join(argv)}\nexit {run.status}: {run.problem or 'fine'}\n{run.stderr[-3000:]}")
        bad += bool(run.problem)
        if argv[0] == "parse" and run.status != 0:
            break
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=1000, help="how many inputs (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    default_out = os.path.join(tempfile.gettempdir(), "pinmc-fuzz")
    ap.add_argument("--out", default=default_out, help=f"where crashes are saved (default {default_out})")
    ap.add_argument("--budget", type=float, default=20.0, help="seconds a run may take (default 20)")
    ap.add_argument("--memory", type=int, default=4096, help="address-space limit in MiB (default 4096)")
    ap.add_argument("--every", type=int, default=5000, help="print progress every N inputs")
    ap.add_argument("--replay", metavar="FILE", help="run one saved input and exit")
    args = ap.parse_args()
    os.environ["PINMC_DEBUG"] = "1"  # tracebacks of internal errors, to say where they are
    limit = args.memory * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    if args.replay:
        return replay(args.replay, args.budget)
    start = time.perf_counter()
    tally = fuzz(args.n, args.seed, Path(args.out), args.budget, args.every)
    seconds = time.perf_counter() - start
    print(f"\n{tally.inputs:,} inputs, {tally.runs:,} runs in {seconds:,.0f} s "
          f"({tally.inputs / seconds:,.0f} inputs/s), seed {args.seed}")
    print("exit statuses:")
    for key, count in sorted(tally.statuses.items()):
        print(f"  {key:12} {count:>8,}")
    if not tally.crashes:
        print("no crash: every run exited 0-3 with no traceback, every exit 2 with a located diagnostic")
        return 0
    print(f"{sum(map(len, tally.crashes.values())):,} crashing runs, {len(tally.crashes)} kinds:")
    for sig, saved in sorted(tally.crashes.items()):
        print(f"  {len(saved):>6,}  {sig}  e.g. {saved[0]}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
