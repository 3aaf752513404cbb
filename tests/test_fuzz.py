"""Fuzzing the front end: mutants of valid specs never crash pinmc.

Hypothesis mutates the specs of specs/ (and the kernel library, and the
examples of /work/shared/examples when present) with the mutations of
bench/fuzz.py (bytes, tokens and lines deleted, duplicated, swapped or
replaced; random bytes, NUL, BOM, bytes that are not UTF-8; deep nesting;
huge literals; long lines; repeated statements; empty files) and runs
`pinmc parse` and, when that succeeds, `pinmc check --max-states 300` on
each mutant, in this process through `pinmc.cli.main`.  Every run must exit
0, 1, 2 or 3 without a traceback or an internal error, and an exit 2 must
start with `FILE:LINE:COL: error[PINnnn]: ...`, the line LINE of FILE and a
caret line (`judge` in bench/fuzz.py).  A handful of nasty inputs go through
a real subprocess too.  The regression tests below are the crashes the
fuzzer found, each reduced to a few lines.

The long run is `python3 bench/fuzz.py 100000` (see its docstring).
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pinmc_bench_fuzz", ROOT / "bench" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
CORPUS: list[tuple[str, bytes]] = fuzz.corpus()
BUDGET = 120.0  # seconds one run may take before it counts as a hang (generous: CI machines are slow)
FUZZ_SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def runs_of(data: bytes, where: Path, variant: int = 0) -> list:  # list of fuzz.Run
    """`pinmc parse` and, if it parses, `pinmc check` on `data`, in process."""
    return fuzz.run_input(data, where / "fuzz.pin", variant, BUDGET)


def assert_fine(runs: list, data: bytes) -> None:
    for run in runs:
        assert run.problem is None, (f"pinmc {' '.join(run.argv)} on {data[:300]!r}...: {run.problem}\n"
                                     f"{run.stderr[-2000:]}")


def test_corpus_is_valid(work: Path) -> None:
    """The unmutated inputs parse, and the specs among them check."""
    assert len(CORPUS) >= 60
    for name, data in CORPUS:
        runs = runs_of(data, work)
        assert_fine(runs, data)
        assert runs[0].status == 0, name


# ------------------------------------------------------------ property tests

@FUZZ_SETTINGS
@given(source=st.sampled_from(CORPUS), rng=st.randoms(use_true_random=False), variant=st.integers(0, 9))
def test_mutants_never_crash(work: Path, source: tuple[str, bytes], rng: random.Random, variant: int) -> None:
    data = fuzz.mutate(rng, source[1])
    assert_fine(runs_of(data, work, variant), data)


@settings(FUZZ_SETTINGS, max_examples=100)
@given(source=st.sampled_from(CORPUS), cut=st.integers(0, 10**6), junk=st.binary(min_size=1, max_size=24))
def test_random_bytes_never_crash(work: Path, source: tuple[str, bytes], cut: int, junk: bytes) -> None:
    data = source[1]
    at = cut % (len(data) + 1)
    mutant = data[:at] + junk + data[at:]
    assert_fine(runs_of(mutant, work), mutant)


@settings(FUZZ_SETTINGS, max_examples=60)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(work: Path, data: bytes) -> None:
    assert_fine(runs_of(data, work), data)


@settings(FUZZ_SETTINGS, max_examples=60)
@given(tokens=st.lists(st.sampled_from(fuzz.VOCABULARY + [b"x", b"P", b"X.refcount", b"\n"]), max_size=40))
def test_token_soup_never_crashes(work: Path, tokens: list[bytes]) -> None:
    data = b"spec s\n" + b" ".join(tokens)
    assert_fine(runs_of(data, work), data)


# ------------------------------------------------------------ the extremes, each kind

SPEC = """spec s
page X {{ c: i32 = 0 }}
var g: u8 = 0
thread t {{
    s: {{
{body}
    }}
}}
invariant inv: {prop}
"""


def spec_text(body: str = "X.c += 1", prop: str = "X.c < 100") -> bytes:
    return SPEC.format(body=body, prop=prop).encode()


def outcome(data: bytes, work: Path) -> tuple[int, str]:
    """(exit status of check, or of parse when it fails; its standard error)."""
    runs = runs_of(data, work)
    assert_fine(runs, data)
    return runs[-1].status, runs[-1].stderr


NESTINGS = {
    "parentheses": lambda n: spec_text(prop="(" * n + "X.c < 100" + ")" * n),
    "not": lambda n: spec_text(prop="not " * n + "(X.c < 100)"),
    "minus": lambda n: spec_text(prop="-" * n + "X.c < 100"),
    "plus chain": lambda n: spec_text(prop=" + ".join(["X.c"] * n) + " < 100"),
    "and chain": lambda n: spec_text(prop=" and ".join(["X.c < 100"] * n)),
    "if then else": lambda n: spec_text(prop="(if X.c > 0 then " * n + "true" + " else false)" * n),
    "if blocks": lambda n: spec_text(body="if X.c < 5 {" * n + " X.c += 1 " + "}" * n),
    "either blocks": lambda n: spec_text(body="either {" * n + " X.c += 1 " + "} or { skip }" * n),
    "else if chain": lambda n: spec_text(body="if X.c == 0 { X.c = 1 }" + " else if X.c == 1 { X.c = 2 }" * n),
    "calls": lambda n: ("spec s\npage X { c: i32 = 0 }\nfn f0(x: i32) -> i32 = x\n"
                        + "".join(f"fn f{k}(x: i32) -> i32 = f{k - 1}(x) + 1\n" for k in range(1, n + 1))
                        + f"thread t {{ s: {{ X.c = f{n}(X.c) }} }}\ninvariant inv: X.c < 100\n").encode(),
}


@pytest.mark.parametrize("n", [10, 60, 127, 128, 200, 1000, 5000])
@pytest.mark.parametrize("kind", list(NESTINGS))
def test_deep_nesting_works_or_is_located_pin106(work: Path, kind: str, n: int) -> None:
    status, err = outcome(NESTINGS[kind](n), work)
    if status == 2:
        assert "error[PIN106]: nested too deeply: more than 128 levels" in err \
            or "error[PIN411]" in err or "error[PIN401]" in err, err
    else:
        assert status in (0, 1), err


@pytest.mark.parametrize("n", [1, 50, 255, 256, 257, 1000])
def test_long_steps_work_or_are_located_pin411(work: Path, n: int) -> None:
    """Each `+=` on the same variable nests its value once more; a step of
    ~1000 statements used to hit a RecursionError in codegen."""
    status, err = outcome(spec_text(body="\n".join(["        X.c += 1"] * n), prop=f"X.c < {n}"), work)
    if n < 256:
        assert status == 1, err  # the invariant is violated after one step
    else:
        assert status == 2, err
        assert "error[PIN411]: step t.s is too large to check: its statements make an expression 257 levels " \
               "deep (at most 256); split it into several steps" in err


def test_many_statements_on_different_variables_work(work: Path) -> None:
    body = "\n".join(f"        g{k} = 1" for k in range(1000))
    decls = "".join(f"var g{k}: u8 = 0\n" for k in range(1000))
    data = f"spec s\n{decls}thread t {{ s: {{\n{body}\n    }} }}\ninvariant inv: g999 == 0\n".encode()
    status, err = outcome(data, work)
    assert status == 1, err


@pytest.mark.parametrize("literal, ok", [
    ("1" + "0" * 76, True), ("0x" + "f" * 64, True), ("0" * 5000 + "7", True), ("1_" * 40 + "1", True),
    ("2" + "0" * 77, False), ("0x1" + "0" * 64, False), ("9" * 4301, False), ("9" * 20000, False),
    ("0x" + "f" * 5000, False),
])
def test_huge_literals(work: Path, literal: str, ok: bool) -> None:
    data = f"spec s\nconst C = {literal}\nvar x: 0..1 = 0\nthread t {{ s: {{ x = 1 }} }}\n".encode()
    runs = runs_of(data, work)
    assert_fine(runs, data)
    if ok:
        assert runs[0].status == 0 and runs[-1].status == 0, runs[-1].stderr
    else:
        assert runs[0].status == 2, runs[0].stdout
        assert ":2:11: error[PIN107]: the number " in runs[0].stderr
        assert "is too large: integer literals are at most 2^256 - 1" in runs[0].stderr


@pytest.mark.parametrize("data", [
    b"", b"\n\n", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe\x00", b"// only a comment", b"/* unterminated",
    b'spec s "unterminated', b"spec", b"spec s\x00", b"\xef\xbb\xbfspec s\nvar x: u8 = $\n",
    b"spec s\nvar x: u8 = 0\xc3\n", b"spec s\r\nvar x: u8 = 1\r\nvar y: u8 = $\r\n", b"spec s\rvar x: u8 = $",
    b"spec s\n\x0c\x1c\x1d\x1e\x85 // \xe2\x80\xa8\xe2\x80\xa9\nvar x: u8 = $\n",
    b"spec s\n" + b"\t" * 5000 + b"$\n", b"spec s\nvar " + b"x" * 200_000 + b": u8 = 0 $\n",
], ids=lambda d: repr(d[:24]))
def test_odd_files(work: Path, data: bytes) -> None:
    outcome(data, work)


# ------------------------------------------------------------ the same through a subprocess

NASTY = {
    "nul": b"spec s\nvar x: u8 = 0\x00\n",
    "not utf-8": b"spec s\nvar x: u8 = 0 // \xff\xfe\n",
    "deep parentheses and blocks": spec_text(body="if true {" * 300 + "skip" + "}" * 300),
    "huge literal": b"spec s\nconst C = " + b"9" * 5000 + b"\n",
    "1000 statements": spec_text(body="\n".join(["        X.c += 1"] * 1000)),
    "empty": b"",
}


@pytest.mark.parametrize("name", list(NASTY))
@pytest.mark.parametrize("command", ["parse", "check"])
def test_nasty_inputs_through_a_subprocess(tmp_path: Path, name: str, command: str) -> None:
    path = tmp_path / "nasty.pin"
    path.write_bytes(NASTY[name])
    argv = [command, str(path)] + (["--max-states", "300"] if command == "check" else [])
    proc = subprocess.run([sys.executable, "-m", "pinmc", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    parses = name in ("1000 statements", "empty")  # syntax only: a long step, an empty library
    assert proc.returncode == (0 if command == "parse" and parses else 2), (proc.stdout, proc.stderr)
    assert fuzz.judge(proc.returncode, proc.stdout, proc.stderr) is None, proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------ regressions: what the fuzzer found

def first_error(data: bytes, work: Path) -> list[str]:
    """The first diagnostic of `pinmc check` on `data`: its three lines."""
    runs = runs_of(data, work)
    assert_fine(runs, data)
    assert runs[-1].status == 2, runs[-1].stdout
    return runs[-1].stderr.split("\n")[:3]


def test_caret_lines_count_newlines_only(work: Path) -> None:
    """Form feeds, lone CRs, NEL and Unicode line separators used to shift
    the line a diagnostic shows (str.splitlines), though lark counts '\\n' only."""
    data = "spec s\n// \x0c \x1c \x85 \u2028 \u2029\nvar x: u8 = $\n".encode()
    head, line, caret = first_error(data, work)
    assert head.endswith("fuzz.pin:3:13: error[PIN102]: unexpected character '$'")
    assert line == "var x: u8 = $"
    assert caret == " " * 12 + "^"


def test_control_characters_are_shown_as_replacement_characters(work: Path) -> None:
    head, line, caret = first_error(b"spec s\nvar x: u8 = 0\x0c\x00 $\n", work)
    assert head.endswith(":2:15: error[PIN102]: unexpected character '\\x00'")
    assert line == "var x: u8 = 0\ufffd\ufffd $" and caret == " " * 14 + "^"


def test_crlf_lines_are_shown_without_their_cr(work: Path) -> None:
    _, line, _ = first_error(b"spec s\r\nvar x: u8 = $\r\n", work)
    assert line == "var x: u8 = $"


def test_a_byte_order_mark_is_ignored(work: Path) -> None:
    runs = runs_of(b"\xef\xbb\xbfspec s\nvar x: u8 = 0\n", work)
    assert [r.status for r in runs] == [0, 0]


def test_long_lines_are_shown_around_the_error(work: Path) -> None:
    """A 200,000-character line is shown as 160 columns around the caret."""
    head, line, caret = first_error(b"spec s\nvar x: u8 = " + b"1 + " * 50_000 + b"$\n", work)
    assert head.endswith(":2:200013: error[PIN102]: unexpected character '$'")
    assert line.startswith("...") and line.endswith("$") and len(line) == 163
    assert caret == " " * 162 + "^"


def test_error_after_a_long_line_is_fast(work: Path) -> None:
    """Suggesting a keyword for the name before a syntax error took
    quadratic time (a regular expression anchored at the end of 100 KB)."""
    import time

    start = time.perf_counter()
    first_error(b"spec s\nvar x: u8 = " + b"x" * 200_000 + b" $\n", work)
    assert time.perf_counter() - start < 30


def test_long_chains_of_fn_calls_are_pin411_not_a_recursion_error(work: Path) -> None:
    """Each fn calls the next: inlined, elaboration recursed past Python's limit."""
    head, line, caret = first_error(NESTINGS["calls"](300), work)
    assert head.endswith(":225:31: error[PIN411]: nested too deeply: more than 160 levels of expressions and "
                         "statements once fn and proc calls are inlined (inlining f300 -> f299 -> f298 -> ... "
                         "-> f223 -> f222)")
    assert line == "fn f222(x: i32) -> i32 = f221(x) + 1" and caret == " " * 30 + "^"


def test_deep_expression_is_pin106_not_a_recursion_error(work: Path) -> None:
    head, _, caret = first_error(b"spec s\nvar x: u8 = " + b"+".join([b"0"] * 5000) + b"\n", work)
    assert head.endswith(":2:13: error[PIN106]: nested too deeply: more than 128 levels of expressions, "
                         "statements and blocks; split it up (a fn, a proc, a const, another step)")
    assert caret == " " * 12 + "^"


def test_huge_hex_literal_is_pin107_not_a_printer_crash(work: Path) -> None:
    """`pinmc parse` printed a 5000-digit hex literal in decimal: ValueError."""
    head, _, _ = first_error(b"spec s\nconst C = 0x" + b"f" * 5000 + b"\n", work)
    assert "error[PIN107]: the number 0xffffffffff...ffffffff (5002 characters) is too large" in head


def test_huge_products_of_constants_are_pin303(work: Path) -> None:
    data = b"spec s\nconst A = 0x" + b"f" * 64 + b"\nconst B = A * A * A * A * A\n"
    head, _, _ = first_error(data, work)
    assert head.endswith(":3:11: error[PIN303]: '*' of constants gives a number of 1280 bits, "
                         "more than the 1024 bits of a constant")


def test_huge_arrays_are_pin308_not_a_hang(work: Path) -> None:
    head, _, _ = first_error(b"spec s\npage P[100000000] { c: u8 = 0 }\nthread t { s: { P[0].c = 1 } }\n",
                             work)
    assert head.endswith(":2:8: error[PIN308]: the size of page array P must be at most 64, found 100000000")
    head, _, _ = first_error(b"spec s\nvar g: u8 = 0\nthread t[5000] { s: { g = 1 } }\n", work)
    assert head.endswith(":3:10: error[PIN308]: the number of t instances must be at most 64, found 5000")


def test_dynamic_indexes_into_the_largest_arrays(work: Path) -> None:
    """An index that is not constant selects through a chain as long as the
    array: 64 pages work; indexes nested in indexes are a located PIN411."""
    text = ("spec s\npage P[64] {{ c: 0..127 = 0 }}\nvar i: 0..63 = 5\n"
            "thread t {{ s: {{ {body} }} }}\ninvariant inv: {prop}\n")
    status, err = outcome(text.format(body="P[i].c = P[63 - i].c + 1", prop="P[5].c == 0").encode(), work)
    assert status == 1, err
    head, _, _ = first_error(text.format(body="P[P[P[i].c].c].c = 1", prop="true").encode(), work)
    assert ":4:17: error[PIN411]: this statement makes expressions of 1,331,467 nodes (at most 200,000)" in head


def test_exponentially_many_paths_are_pin411_not_a_hang(work: Path) -> None:
    """Twenty `choose` over three pages in one step: 3^20 paths."""
    body = "\n".join(["        choose p in P { p.c += 1 }"] * 20)
    data = f"spec s\npage P[3] {{ c: u8 = 0 }}\nthread t {{\n    s: {{\n{body}\n    }}\n}}\n".encode()
    head, line, _ = first_error(data, work)
    assert head.endswith(":4:5: error[PIN411]: step t.s is too large to check: it splits into more than 4096 "
                         "paths (one per combination of its either branches, splitting ifs and choices of "
                         "pages); split it into several steps")
    assert line == "    s: {"


def test_sequential_ifs_multiplying_a_value_are_pin411(work: Path) -> None:
    """Each `if` on x reads x three times: 30 of them make 3^30 nodes when
    shared values are counted once per use (the reference interpreter)."""
    body = "\n".join(["        if X.c > 3 { X.c = X.c - 1 } else { X.c = X.c + 2 }"] * 30)
    head, _, _ = first_error(spec_text(body=body), work)
    assert head.endswith(":5:5: error[PIN411]: step t.s is too large to check: its statements make expressions "
                         "of 265,717 nodes (at most 200,000); split it into several steps")


def test_a_file_without_header_is_located(work: Path) -> None:
    head, line, caret = first_error(b"var x: u8 = 0\n", work)
    assert head.endswith("fuzz.pin:1:1: error[PIN105]: " + str(work / "fuzz.pin")
                         + " has no header: a spec starts with 'spec NAME'")
    assert (line, caret) == ("var x: u8 = 0", "^")


def test_deep_expressions_with_choose_parameters_compile(work: Path) -> None:
    """The generated code hoists deep sub-expressions into temporaries
    (Python's parser refuses more than 200 nested parentheses), also those
    reading a `choose` variable, inside its loop."""
    body = "choose k in 0..3 {\n" + "X.c += k\n" * 100 + "}"
    for expander in ("scalar", "vector"):
        path = work / "fuzz.pin"
        path.write_bytes(spec_text(body=body, prop="X.c < 250"))
        run = fuzz.run_cli(["check", str(path), "--expander", expander], BUDGET)
        assert run.status == 1 and run.problem is None, run.stderr
        assert "1. t.s [k = 3]  X.c: 0 -> 300" in run.stdout


def test_deep_quantifier_bodies_are_located_pin411(work: Path) -> None:
    """A quantifier's body is not hoisted (its variable is bound only
    inside); too deep for Python's parser, it is a located PIN411."""
    prop = "forall i in 0..0: X.c" + " + X.c * i" * 100 + " < 5"
    for expander in ("scalar", "vector"):
        path = work / "fuzz.pin"
        path.write_bytes(spec_text(prop=prop))
        run = fuzz.run_cli(["check", str(path), "--expander", expander], BUDGET)
        assert run.status == 2 and run.problem is None, run.stderr
        assert ":9:11: error[PIN411]: property inv nests an expression too deeply for the" in run.stderr


def test_certificate_out_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    """Found by the determinism test: an internal error (FileNotFoundError) before."""
    run = fuzz.run_cli(["prove", str(ROOT / "specs" / "lpc2018_writeback.pin"), "--timeout", "60",
                        "--certificate-out", str(tmp_path / "missing" / "certs.pin")], BUDGET)
    assert run.status == 2, run.stderr
    assert f"pinmc prove: cannot write --certificate-out {tmp_path / 'missing' / 'certs.pin'}: " \
           "No such file or directory" in run.stderr
