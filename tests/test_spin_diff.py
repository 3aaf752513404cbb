"""SPIN against pinmc: `pinmc export --promela` models checked by pan.

For every spec (and spec + proposal pair, as `pinmc test` pairs them) in
specs/ that the explicit engine can check, for corner-case specs below, and
for random specs (tests/randomspec.py, `generate(seed, size)` with the size
growing over the batch), the exported model is run through

    spin -o1 -o2 -o3 -a MODEL.pml
    gcc -O0 -fwrapv -DNOREDUCE -DBFS -DSAFETY -DNOCLAIM -o pan pan.c
    ./pan -c0 -m100000000 -wN

(every reduction off, every error reported without stopping) and must give
the explicit engine's verdict for every property and store exactly as many
states as the explicit engine without partial-order and symmetry reduction.
The random specs are also decided by the symbolic prover (`prove`, engine
`kind`: k-induction with its BMC base case): every verdict it decides must
be the explicit one (unknown is allowed).  A translator test runs random
machine-integer expressions through pan and compares each value with the
reference semantics (ir.eval).

CI runs 100 random specs; PINMC_RANDOM_SPECS=N runs N (the nightly-sized
run: PINMC_RANDOM_SPECS=1000 python3 -m pytest tests/test_spin_diff.py).
Without spin or gcc the tests are skipped, except when the CI environment
variable is set: then they fail, so that CI always really runs them.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs import explicit_jobs, job_id
from pinmc.engines.base import FREE, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Options, Result
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.prove import ProveOptions, prove
from pinmc.export.promela import PromelaModel, to_promela
from pinmc.export.promela_expr import Translator, Unrepresentable, compare, literal
from pinmc.ir import nodes as ir
from pinmc.ir.eval import evaluate
from pinmc.ir.system import System
from pinmc.ir.types import BOOL, INT, MACHINE, MachT
from pinmc.semantics.pipeline import compile_spec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from randomspec import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RANDOM_SPECS = int(os.environ.get("PINMC_RANDOM_SPECS", "100"))
RANDOM_CHUNK = 25
PROVER_TIMEOUT = 2.0  # seconds per random spec
WORKERS = max(1, min(2, os.cpu_count() or 1))
GCC = ["gcc", "-O0", "-fwrapv", "-DNOREDUCE", "-DBFS", "-DSAFETY", "-DNOCLAIM", "-o", "pan", "pan.c"]

MISSING = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]


@pytest.fixture(autouse=True)
def _spin_present() -> None:
    """Skip without spin/gcc locally; in CI (CI set) that is a failure."""
    if MISSING:
        message = f"{' and '.join(MISSING)} not installed (Debian: apt-get install spin gcc; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SPIN differential tests: {message}")
        pytest.skip(message)


# ------------------------------------------------------------------ running pan

@dataclass(frozen=True)
class PanRun:
    states: int
    verdicts: dict[str, str]  # pinmc property -> verdict, as pan's errors say
    output: str


class SpinError(Exception):
    pass


def run_pan(model: PromelaModel, system: System, workdir: str, states_hint: int) -> PanRun:
    """Verify `model` with SPIN, reductions off, and read pan's verdicts."""
    with open(os.path.join(workdir, "model.pml"), "w", encoding="utf-8") as f:
        f.write(model.text)
    p = subprocess.run(["spin", "-o1", "-o2", "-o3", "-a", "model.pml"], cwd=workdir, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0 or not os.path.exists(os.path.join(workdir, "pan.c")):
        raise SpinError(f"spin -a failed:\n{p.stdout}{p.stderr}")
    p = subprocess.run(GCC, cwd=workdir, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise SpinError(f"gcc failed:\n{p.stderr[-3000:]}")
    w = max(10, math.ceil(math.log2(max(states_hint, 1))) + 2)
    p = subprocess.run(["./pan", "-c0", "-m100000000", f"-w{w}"], cwd=workdir, capture_output=True,
                       text=True, timeout=600)
    out = p.stdout + p.stderr
    stored = re.search(r"^\s*(\d+) states, stored", out, re.M)
    if p.returncode != 0 or stored is None or "Search not completed" in out:
        raise SpinError(f"pan did not finish the search:\n{out[-3000:]}")
    failed = set(re.findall(r"^pan:\d+: assertion violated (\w+) ", out, re.M))
    unknown = failed - set(model.assertions)
    if unknown:
        raise SpinError(f"pan reports assertions the model does not name: {sorted(unknown)}\n{out[-3000:]}")
    dead = re.search(r"^pan:\d+: invalid end state", out, re.M) is not None
    hit = {model.assertions[name][0] for name in failed} | ({"deadlock"} if dead and model.deadlock else set())
    verdicts = {}
    for prop in system.property_names():
        kind = "deadlock" if prop == "deadlock" else next(
            (p.kind for p in system.properties if p.name == prop), "check")
        yes, no = {"reachable": (REACHABLE, UNREACHABLE), "deadlock": (REACHABLE, FREE)}.get(kind, (VIOLATED, HOLDS))
        verdicts[prop] = yes if prop in hit else no
    return PanRun(int(stored.group(1)), verdicts, out)


def explicit_unreduced(system: System) -> Result:
    """The explicit engine with every reduction off (SPIN counts every state)."""
    fields = Options.__dataclass_fields__  # symmetry reduction is newer than partial-order reduction
    opts = Options(por=False, **({"symmetry": False} if "symmetry" in fields else {}))
    result = check(system, opts)
    assert result.stats.complete
    return result


def spin_problems(system: System, explicit: Result) -> list[str]:
    """Where SPIN (on the exported model) and the explicit engine disagree."""
    model = to_promela(system)
    with tempfile.TemporaryDirectory(prefix="pinmc-spin.") as d:
        pan = run_pan(model, system, d, explicit.stats.states)
    problems = []
    if pan.states != explicit.stats.states:
        problems.append(f"pan stored {pan.states} states, the explicit engine {explicit.stats.states}")
    for v in explicit.verdicts:
        if pan.verdicts.get(v.prop) != v.status:
            problems.append(f"{v.prop}: SPIN {pan.verdicts.get(v.prop)}, explicit {v.status}")
    return problems


# ------------------------------------------------------------------ specs/

JOBS = explicit_jobs(str(ROOT / "specs"))


def test_every_checkable_spec_is_covered() -> None:
    assert len(JOBS) >= 50
    names = {job_id(j) for j in JOBS}
    assert {"lpc2018_writeback", "pin_bias", "dma_pinned_flag+foll_pin", "independent_pinners"} <= names


@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_spec_agrees_with_spin(job: tuple[str, str | None]) -> None:
    system = compile_spec(*job)
    problems = spin_problems(system, explicit_unreduced(system))
    assert not problems, "\n".join(problems)


def test_larger_instance_agrees_with_spin() -> None:
    """pin_bias with 40 ordinary references per getter: 15,129 states."""
    system = compile_spec(str(ROOT / "specs" / "pin_bias.pin"), None, {"GETS": 40})
    explicit = explicit_unreduced(system)
    assert explicit.stats.states == 15129
    problems = spin_problems(system, explicit)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ corner cases

CORNERS = {
    # u32 around 2^31 and 2^32, i32 around its extremes, u16 and u8 wrap-around
    "wrap": """
        spec wrap
        var a: u32 = 4294967294
        var b: i32 = 2147483646
        var c: u16 = 65534
        var d: u8 = 254
        var e: u32 = 2147483646
        thread t {
            s0: { a += 1; b += 1; c += 1; d += 1; e += 1 }
            s1: { a += 1; b += 1; c += 1; d += 1; e += 1 }
            s2: { a -= 2; b = -b; c -= 3; d = (d - 7) * 200; e = e * 3 }
        }
        reachable a_top: a == 4294967295 and e == 2147483647
        reachable a_zero: a == 0 and b == -2147483648 and c == 0 and d == 0 and e == 2147483648
        reachable wrapped_back: done(t) and a == 4294967294 and b == -2147483648 and c == 65533 and d == 136
                                and e == 2147483648
        invariant unsigned_cmp: a >= 1024 or a <= 2 or a == 4294967294
        invariant big_e: e > 2147483647 or e < 2147483648
    """,
    # C division and remainder: negative operands, zero and -1 divisors, u32 above 2^31
    "division": """
        spec division
        var x: i32 = -2147483648
        var y: i32 = 0
        var u: u32 = 4294967295
        var v: u32 = 0
        thread t {
            s0: { x = x / y; y = -7 % y }
            s1: { y = -1; v = u / 3 }
            s2: { x = -2147483648 / y; v = u % 10; u = u / 4294967295 }
            s3: { x = -7 / 2; y = -7 % 2; v = 4294967295 % 2147483648 }
        }
        reachable s1_values: t@s1 and x == 0 and y == -7
        reachable s2_values: t@s2 and v == 1431655765
        reachable s3_values: t@s3 and x == -2147483648 and v == 5 and u == 1
        reachable end_values: done(t) and x == -3 and y == -1 and v == 2147483647
    """,
    # casts between machine types and into int, comparisons across signedness
    # (statements of a step run in order: r = i32(w) reads the w of the step's start)
    "casts": """
        spec casts
        var r: i32 = -1
        var w: u32 = 3000000000
        var h: u16 = 40000
        thread t {
            s0: { h = u16(w); r = i32(w); w = u32(r) + 1 }
            s1: { r = i32(h) - 50000; w = w / u32(h) }
        }
        reachable low16: t@s1 and h == 24064 and w == 3000000001 and r == -1294967296
        reachable after: done(t) and r == -25936 and w == 124667
        invariant casts_agree: int(u32(r)) >= 0 and (u32(r) > 2147483647 <=> r < 0)
    """,
    # the initial state has no move: a deadlock pan can only see through the monitor process
    "stuck_at_start": """
        spec stuck_at_start
        var g: 0..3 = 1
        thread t { s0: when g == 0 { g = 2 } }
        invariant small: g < 1
        reachable one: g == 1
    """,
    "free_at_start": """
        spec free_at_start
        var g: bool = false
        daemon d { s: when g { g = false } }
        thread t { s0: when g { skip } }
        allow deadlock
        reachable never: g
    """,
    # choose values, a failing check in a finishing step, range checks, goto
    "choose_and_checks": """
        spec choose_and_checks
        var n: 0..5 = 0
        var m: u8 = 250
        thread t {
            s0: { choose v in 0..3 { n = n + v; m += 3 } }
            s1: { if n < 3 { goto s0 } else { assert n != 4, "four"; n += 2 } }
        }
        daemon d { bump: when m < 3 and n < 5 { n += 1 } }
        reachable wrapped: m < 250
        invariant bounded: n <= 5
    """,
    # every pinmc name shape: page arrays, actor arrays, locals, A@L, quantifiers
    "names": """
        spec names
        page P[2] { do: bool = false, int: 0..2 = 0 }
        thread now[2] {
            var od: bool = false
            s0: { choose p in P { p.do = true; p.int += 1 }; od = true }
        }
        invariant all: forall p in P: p.int <= 2
        reachable both: forall p in P: p.do
        reachable at: now[0]@s0 and done(now[1])
    """,
}


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_corner_case_agrees_with_spin(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.pin"
    path.write_text("\n".join(line.strip() for line in CORNERS[name].strip().splitlines()) + "\n")
    system = compile_spec(str(path))
    explicit = explicit_unreduced(system)
    problems = spin_problems(system, explicit)
    assert not problems, "\n".join(problems)


def test_corner_case_verdicts(tmp_path: Path) -> None:
    """What the corner cases are about, as the explicit engine (and so SPIN) decides it."""
    want = {"wrap": {"a_top": REACHABLE, "a_zero": REACHABLE, "wrapped_back": REACHABLE,
                     "unsigned_cmp": HOLDS, "big_e": HOLDS},
            "division": {"s1_values": REACHABLE, "s2_values": REACHABLE, "s3_values": REACHABLE,
                         "end_values": REACHABLE},
            "casts": {"low16": REACHABLE, "after": REACHABLE, "casts_agree": HOLDS},
            "stuck_at_start": {"small": VIOLATED, "one": REACHABLE, "deadlock": REACHABLE},
            "free_at_start": {"never": UNREACHABLE},
            "choose_and_checks": {"wrapped": REACHABLE, "t.s1": VIOLATED, "range": VIOLATED, "deadlock": FREE}}
    for name, verdicts in want.items():
        path = tmp_path / f"{name}.pin"
        path.write_text("\n".join(line.strip() for line in CORNERS[name].strip().splitlines()) + "\n")
        result = explicit_unreduced(compile_spec(str(path)))
        assert {p: result.verdict(p).status for p in verdicts} == verdicts, name


# ------------------------------------------------------------------ the translator, value by value

TYPES = [MACHINE["u8"], MACHINE["u16"], MACHINE["u32"], MACHINE["i32"]]
SAMPLES = {8: [0, 1, 2, 127, 128, 254, 255], 16: [0, 1, 3, 32767, 32768, 65534, 65535],
           32: [0, 1, 2, 7, 2**31 - 2, 2**31 - 1, 2**31, 2**31 + 1, 2**32 - 2, 2**32 - 1]}


def _sample(r: random.Random, ty: MachT) -> int:
    return ty.wrap(r.choice(SAMPLES[ty.bits]) if r.random() < 0.8 else r.randint(ty.lo, ty.hi))


def _random_expr(r: random.Random, slots: list[MachT], ty: object, depth: int) -> ir.Expr:
    """A random IR expression of type `ty` (a machine type or INT) over the slots."""
    if depth == 0 or r.random() < 0.25:
        if isinstance(ty, MachT):
            same = [k for k, t in enumerate(slots) if t == ty]
            if same and r.random() < 0.7:
                return ir.Slot(r.choice(same), ty)
            return ir.Lit(_sample(r, ty), ty)
        k = r.randrange(len(slots))
        return ir.Cast(ir.Slot(k, slots[k]), INT) if r.random() < 0.6 else ir.Lit(r.randint(-9, 9), INT)
    x = r.random()
    if x < 0.55:
        op = r.choice(["+", "-", "*", "/", "%", "/", "%"])
        return ir.Bin(op, _random_expr(r, slots, ty, depth - 1), _random_expr(r, slots, ty, depth - 1), ty)
    if x < 0.65:
        return ir.Un("neg", _random_expr(r, slots, ty, depth - 1), ty)
    if x < 0.85:
        src = r.choice(TYPES + [INT])
        inner = _random_expr(r, slots, src, depth - 1)
        return inner if src == ty else ir.Cast(inner, ty)
    cond = ir.Bin(r.choice(sorted(ir.CMP_OPS)), _random_expr(r, slots, r.choice(TYPES), depth - 1),
                  _random_expr(r, slots, r.choice(TYPES + [INT]), depth - 1), BOOL)
    return ir.Ite(cond, _random_expr(r, slots, ty, depth - 1), _random_expr(r, slots, ty, depth - 1), ty)


def test_translated_expressions_compute_pinmc_values(tmp_path: Path) -> None:
    """Random machine-integer expressions, translated for Promela, evaluated
    by pan in many states: each must equal the reference semantics' value
    (and each comparison of them its truth), else `assertion violated eK`."""
    r = random.Random(20240611)
    slot_types = [TYPES[k % len(TYPES)] for k in range(8)]
    names = [f"s{k}" for k in range(len(slot_types))]
    tr = Translator([(n, t.lo, t.hi, t.bits == 32 and not t.signed) for n, t in zip(names, slot_types)])
    states = [tuple(_sample(r, t) for t in slot_types) for _ in range(8)]
    checks: list[tuple[str, ir.Expr]] = []
    body: list[str] = []
    while len(checks) < 300:
        ty = r.choice(TYPES + [INT])
        e = _random_expr(r, slot_types, ty, r.randint(1, 3))
        if r.random() < 0.3:
            e = ir.Bin(r.choice(sorted(ir.CMP_OPS)), e, _random_expr(r, slot_types, r.choice(TYPES), 2), BOOL)
        try:
            tr.expr(e, {})
        except Unrepresentable:
            continue  # refused (INT arithmetic beyond 32 bits): the exporter would say so
        checks.append((f"e{len(checks)}", e))
    for state in states:  # one d_step per state (SPIN allows at most 2047 statements in one)
        stmts = [f"{name} = {literal(value).text}" for name, value in zip(names, state)]
        for name, e in checks:
            got = tr.expr(e, {})
            want = evaluate(e, state)
            stmts += [f"{name} = {compare('==', got, literal(want))}", f"assert({name})", f"{name} = true"]
        body.append("    d_step {\n        " + ";\n        ".join(stmts) + "\n    }")
    decls = []
    for name, t in zip(names, slot_types):
        storage = {8: "byte", 16: "unsigned"}.get(t.bits, "int")
        decls.append(f"unsigned {name} : 16 = 0;" if storage == "unsigned" else f"{storage} {name} = 0;")
    decls += [f"bool {name} = true;" for name, _ in checks]
    text = "\n".join(decls) + "\nactive proctype t() {\n" + ";\n".join(body) + "\n}\n"
    model = PromelaModel(text, {name: (name, "invariant") for name, _ in checks}, False)
    (tmp_path / "exprs.pml").write_text(text)
    pan = run_pan(model, _expr_system(checks), str(tmp_path), 4)
    wrong = [name for name, _ in checks if pan.verdicts[name] == VIOLATED]
    detail = []
    for name, e in checks:
        if name in wrong:
            values = [(s, evaluate(e, s)) for s in states]
            detail.append(f"{name}: {e}\n    promela: {tr.expr(e, {}).text}\n    pinmc values: {values}")
    assert not wrong, "\n".join(detail[:5])


def _expr_system(checks: list[tuple[str, ir.Expr]]) -> System:
    """A stand-in System whose properties are the checked expressions (for run_pan)."""
    from pinmc.ir.system import Property

    props = tuple(Property(name, "invariant", e, name) for name, e in checks)
    return System("exprs", None, None, (), (), (), props, (), (), False, True, (), (), ())


# ------------------------------------------------------------------ random specs

def _random_size(seed: int) -> int:
    """Sizes 1..4 over the batch, growing with the seed."""
    return 1 + (4 * seed) // max(RANDOM_SPECS, 1)


def check_random(seed: int) -> tuple[int, list[str], int, int]:
    """Random spec `seed`: (seed, disagreements, prover verdicts decided, verdicts)."""
    size = _random_size(seed)
    try:
        with tempfile.TemporaryDirectory(prefix="pinmc-rand.") as d:
            path = os.path.join(d, f"rand_{seed}.pin")
            with open(path, "w", encoding="utf-8") as f:
                f.write(generate(seed, size))
            system = compile_spec(path)
            explicit = explicit_unreduced(system)
            problems = [f"[spin] {p}" for p in spin_problems(system, explicit)]
            _, proved = prove(path, opts=ProveOptions(engine="kind", depth=explicit.stats.depth + 1,
                                                      timeout=PROVER_TIMEOUT))
            decided = 0
            for v in proved.verdicts:
                if v.status == UNKNOWN:
                    continue
                decided += 1
                if v.status != explicit.verdict(v.prop).status:
                    problems.append(f"[prove] {v.prop}: prover {v.status} by {v.engine}, "
                                    f"explicit {explicit.verdict(v.prop).status}")
            return seed, problems, decided, len(proved.verdicts)
    except Exception as e:  # noqa: BLE001 - reported as a problem of this seed
        return seed, [f"{type(e).__name__}: {e}"], 0, 0


def _pool_map(fn, items):  # noqa: ANN001, ANN202
    if WORKERS == 1:
        return [fn(x) for x in items]
    with mp.get_context("fork").Pool(WORKERS) as pool:
        return pool.map(fn, items, chunksize=1)


_DECIDED: list[tuple[int, int]] = []


@pytest.mark.parametrize("chunk", range(math.ceil(RANDOM_SPECS / RANDOM_CHUNK)))
def test_random_specs_agree(chunk: int) -> None:
    seeds = range(chunk * RANDOM_CHUNK, min(RANDOM_SPECS, (chunk + 1) * RANDOM_CHUNK))
    failures = []
    for seed, problems, decided, total in _pool_map(check_random, seeds):
        _DECIDED.append((decided, total))
        if problems:
            size = _random_size(seed)
            failures.append(f"seed {seed} size {size} (python tests/randomspec.py {seed}:{size}):\n    "
                            + "\n    ".join(problems))
    assert not failures, "\n".join(failures)


def test_prover_decides_most_random_verdicts() -> None:
    """The agreement above is not vacuous: the prover decided most verdicts
    (run after the chunks; skipped when they were deselected)."""
    if sum(1 for _ in _DECIDED) < RANDOM_SPECS:
        pytest.skip("not every random chunk ran")
    decided = sum(d for d, _ in _DECIDED)
    total = sum(t for _, t in _DECIDED)
    print(f"prover: {decided} of {total} verdicts of the random specs decided")
    assert decided >= 0.6 * total, f"the prover decided only {decided} of {total} verdicts"
