"""The z3 prover (`pinmc prove`): certificates, the bulk-reference
counterexample, and cross-validation of every symbolic engine against the
explicit engine, on the specs in specs/ and on random specs
(tests/randomspec.py).

The explicit engine enumerates the reachable states exactly, so on a spec it
can finish, its verdicts and shortest trace lengths are the reference: every
property a symbolic engine decides must get the same verdict, and every BMC
counterexample must replay (reference semantics), reach the bad state or
move, and be exactly as long as the explicit engine's shortest trace.

Certificates (inductive invariants printed as pinmc) are checked twice: as
lemmas, by the explicit engine (independent of z3), and read back with
`--certificate`.

Spacer (`pdr`) can abort the whole process, so it only ever runs through
`prove(...)`, which keeps it in child processes (engines `auto` and `pdr`).
The random specs run in a pool of WORKERS processes (2 at most).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from jobs import explicit_ok, job_id
from pinmc.engines.base import (FREE, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Options, Result,
                                Verdict)
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, Outcome
from pinmc.engines.symbolic.prove import ProveOptions, outcomes, prove
from pinmc.ir.eval import evaluate, param_values
from pinmc.ir.system import System
from pinmc.report.text import certificate_line
from pinmc.semantics.pipeline import compile_spec
from pinmc.suite import discover, plan
from pinmc.trace import ReplayError, Trace, replay

sys.path.insert(0, str(Path(__file__).resolve().parent))
from randomspec import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
PIN_BIAS = str(SPECS / "pin_bias.pin")
BULK = str(SPECS / "pin_bias_bulk.pin")
KERNEL_BOUNDS = ["-D", "PINS=2097152", "-D", "GETS=1000000000"]  # 2^21 pins, 10^9 references
KERNEL_DEFINES = {"PINS": 2097152, "GETS": 1000000000}

JOB_ENGINE_TIMEOUT = 3.0  # seconds per in-process engine per job (only decided properties are compared)
AUTO_TIMEOUT = 30.0  # seconds for prove(engine='auto') per job
RANDOM_SEEDS = 500
RANDOM_CHUNK = 50
RANDOM_ENGINE_TIMEOUT = 2.0  # seconds per engine per random spec
PDR_SEEDS = 200  # random specs 0..199 whose properties all hold go to Spacer too
WORKERS = max(1, min(2, os.cpu_count() or 1))


# --------------------------------------------------------------- helpers

def _jobs() -> list[tuple[str, str | None]]:
    errors: list[object] = []
    jobs = plan(discover([str(SPECS)]), errors)  # type: ignore[arg-type]
    assert not errors
    # Cross-validation needs the explicit engine's verdicts as the reference,
    # so specs it refuses (PIN407: pin_bias_bulk, S01, S03) are left out.  The
    # library-based scenario suite (sNN_*.pin) is left out too: `pinmc test`
    # decides it (tests/test_suite_table.py, tests/test_gallery.py), and the
    # hand-modelled specs already exercise every engine on the same kernel logic.
    # independent_pinners is the partial-order reduction's benchmark: its
    # invariants are inductive only with each thread's program counter
    # (k-induction needs k of about 11 on three threads), beyond this budget.
    return [(j.spec_path, j.proposal_path) for j in jobs
            if explicit_ok(j.spec_path, j.proposal_path) and not re.match(r"s\d\d_", Path(j.spec_path).name)
            and Path(j.spec_path).name != "independent_pinners.pin"]


JOBS = _jobs()



_SYSTEMS: dict = {}
_EXPLICIT: dict = {}


def system_of(job: tuple[str, str | None]) -> System:
    if job not in _SYSTEMS:
        _SYSTEMS[job] = compile_spec(*job)
    return _SYSTEMS[job]


# The explicit reference: without symmetry reduction, whose traces are
# concrete but not always the first shortest ones that BMC finds too.
REFERENCE = Options(symmetry=False)


def explicit_of(job: tuple[str, str | None]) -> Result:
    if job not in _EXPLICIT:
        _EXPLICIT[job] = check(system_of(job), REFERENCE)
        assert _EXPLICIT[job].stats.complete
    return _EXPLICIT[job]


def goals_of(system: System) -> list[Goal]:
    """The goals `outcomes` numbers, in its order."""
    return Encoder(system).goals()


def trace_moves(trace: Trace) -> list[tuple[int, tuple[int, ...]]]:
    return [(s.transition, tuple(s.args)) for s in trace.steps]


def _move_text(system: System, tid: int, args: tuple[int, ...]) -> str:
    t = system.transitions[tid]
    extra = ([t.branch] if t.branch else []) + [f"{p.var.name}={a}" for p, a in zip(t.params, args)]
    return t.name + (f" [{', '.join(extra)}]" if extra else "")


def describe(system: System, trace: Trace | None) -> str:
    """A trace as its steps, e.g. `pinner[0].pin -> getter[1].get [n=3]`."""
    if trace is None:
        return "(no trace)"
    steps = [_move_text(system, s.transition, s.args) + (" (fails its check)" if s.state is None else "")
             for s in trace.steps]
    return f"{len(steps)} steps: " + (" -> ".join(steps) if steps else "(the initial state)")


def describe_moves(system: System, moves: tuple | list | None) -> str:
    if moves is None:
        return "(no trace)"
    try:
        return describe(system, replay(system, list(moves)))
    except ReplayError as e:
        raw = " -> ".join(_move_text(system, tid, tuple(a)) for tid, a in moves)
        return f"{len(moves)} steps, NOT REPLAYABLE ({e}): {raw}"


def is_failing(status: str) -> bool:
    """The bad state/move of the goal is reachable (violated, reachable, deadlock reachable)."""
    return status in (VIOLATED, REACHABLE)


def _deadlocked(system: System, state: tuple[int, ...]) -> bool:
    waiting = any(state[pc] != done for pc, done in system.thread_pcs())
    enabled = any(evaluate(t.guard, state, {p.var.id: v for p, v in zip(t.params, args)})
                  for t in system.transitions for args in param_values(t))
    return waiting and not enabled


def witnesses(system: System, goal: Goal, trace: Trace) -> bool:
    """The replayed trace ends in the goal's bad state (or failing move)."""
    if goal.on_move:
        return trace.failed_check == goal.prop
    if trace.failed_check is not None:
        return False
    if goal.kind == "deadlock":
        return _deadlocked(system, trace.final)
    prop = next(p for p in system.properties if p.name == goal.prop)
    value = bool(evaluate(prop.expr, trace.final))
    return value if prop.kind == "reachable" else not value


def compare(system: System, explicit: Result, engine: str, outs: dict[str, Outcome],
            bmc_complete: bool = False) -> list[str]:
    """Disagreements between an engine's outcomes and the explicit verdicts.

    bmc_complete: the BMC depth exceeds the explicit depth, so BMC must find
    every reachable bad state or move (unless it ran out of time)."""
    problems = []
    for goal in goals_of(system):
        o = outs.get(goal.prop)
        ev = explicit.verdict(goal.prop)
        ex_text = f"explicit {ev.status}, trace {describe(system, ev.trace)}"
        if o is None:
            problems.append(f"{goal.prop}: {engine} gave no outcome ({ex_text})")
            continue
        if o.status == PROVED and is_failing(ev.status):
            problems.append(f"{goal.prop}: {engine} proved it ({o.note}) but {ex_text}")
        elif o.status == FOUND and not is_failing(ev.status):
            problems.append(f"{goal.prop}: {engine} found {describe_moves(system, o.moves)} "
                            f"but explicit {ev.status}")
        elif o.status == FOUND and o.moves is not None:
            try:
                trace = replay(system, list(o.moves))
            except ReplayError as e:
                problems.append(f"{goal.prop}: {engine} trace does not replay ({e}): "
                                f"{describe_moves(system, o.moves)}; {ex_text}")
                continue
            if not witnesses(system, goal, trace):
                problems.append(f"{goal.prop}: {engine} trace {describe(system, trace)} does not reach "
                                f"the bad state; {ex_text}")
            if ev.trace is None or len(trace) != len(ev.trace):
                problems.append(f"{goal.prop}: {engine} trace {describe(system, trace)} is not as short "
                                f"as the explicit one: {ex_text}")
            elif engine == "bmc" and trace_moves(trace) != trace_moves(ev.trace):
                # both engines report the least shortest trace in the order of moves
                problems.append(f"{goal.prop}: bmc trace {describe(system, trace)} is not the explicit "
                                f"engine's: {ex_text}")
        elif (o.status == UNKNOWN and bmc_complete and engine == "bmc" and is_failing(ev.status)
              and "no counterexample up to depth" in o.note):
            problems.append(f"{goal.prop}: bmc missed it ({o.note}) but {ex_text}")
    return problems


def run_engine(system: System, engine: str, depth: int, timeout: float) -> dict[str, Outcome]:
    goals = goals_of(system)
    opts = ProveOptions(engine=engine, depth=depth, timeout=timeout)
    return {goals[i].prop: o for i, o in outcomes(system, engine, opts, time.monotonic() + timeout)}


def certificate_problems(spec: str, proposal: str | None, certs: dict[str, str], directory: str,
                         defines: dict[str, int] | None = None) -> list[str]:
    """Round trip of certificates (property -> inductive invariant, as
    printed): written as `lemma cert_...` lines (the CLI's format), each
    lemma must hold in every reachable state (explicit engine, independent
    of z3) and `prove --certificate` must accept it as the proof."""
    lines = {prop: certificate_line(Verdict(prop, "", HOLDS, "", certificate=c)) for prop, c in certs.items()}
    names = {prop: line.split(":", 1)[0].split()[1] for prop, line in lines.items()}
    path = os.path.join(directory, f"certs{len(os.listdir(directory))}.cert")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines.values()))
    problems = []
    with_lemmas = compile_spec(spec, proposal, defines, path)
    explicit = check(with_lemmas)
    for prop, name in names.items():
        v = explicit.verdict(name)
        if v.status != HOLDS:
            problems.append(f"certificate of {prop} is not an invariant ({v.status}, "
                            f"{describe(with_lemmas, v.trace)}): {lines[prop]}")
    _, result = prove(spec, proposal, defines, ProveOptions(engine="bmc", depth=0, timeout=20), path)
    for prop in certs:
        v = result.verdict(prop)
        if v.engine != "certificate":
            problems.append(f"certificate of {prop} not accepted on re-reading ({v.status} by {v.engine}): "
                            f"{lines[prop]}")
    return problems


def pinmc(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PINMC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def verdict_line(out: str, prop: str) -> str:
    """The report line of a property: `  NAME  KIND  STATUS  by ENGINE ...`."""
    for line in out.splitlines():
        if line.split()[:1] == [prop]:
            return line
    raise AssertionError(f"no verdict line for {prop} in:\n{out}")


# --------------------------------------------------------------- certificates (pin_bias, kernel bounds)

CERT_LINE = re.compile(r"^\s*lemma cert_no_false_negative: (.+)$", re.M)


@pytest.fixture(scope="module")
def pin_bias_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`pinmc prove specs/pin_bias.pin -D PINS=2^21 -D GETS=10^9 --certificate-out FILE`.

    false_positive stays unknown with these bounds (reachable, but 1023
    steps deep), so the run lasts its whole time limit."""
    out = tmp_path_factory.mktemp("cert") / "pin_bias.cert"
    r = pinmc("prove", "specs/pin_bias.pin", *KERNEL_BOUNDS, "--timeout", "10", "--no-time",
              "--certificate-out", str(out))
    return out, r


def test_certificate_is_printed_and_written(pin_bias_certificate):
    path, r = pin_bias_certificate
    assert r.returncode in (0, 3), r.stdout + r.stderr  # false_positive may stay unknown
    line = verdict_line(r.stdout, "no_false_negative")
    assert re.search(r"\binvariant\s+holds\s+by\s+\w+", line), line
    assert "by certificate" not in line
    printed = CERT_LINE.findall(r.stdout)
    assert len(printed) == 1, r.stdout
    written = path.read_text()
    assert CERT_LINE.findall(written) == printed, written
    # the certificate is the lemma read back by --certificate: a headerless pinmc file
    assert written.startswith("//")


def test_certificate_holds_in_the_explicit_engine(pin_bias_certificate):
    """Independent of z3: the certificate, added as a lemma to pin_bias with
    its small default bounds, holds in every reachable state."""
    path, _ = pin_bias_certificate
    system = compile_spec(PIN_BIAS, None, None, str(path))
    result = check(system)
    assert result.stats.complete
    assert result.verdict("cert_no_false_negative").status == HOLDS
    assert result.verdict("no_false_negative").status == HOLDS


def _corrupt(path: Path, dest: Path, old: str, new: str) -> Path:
    """The certificate of no_false_negative with `old` replaced by `new`.

    The CLI's certificate comes from whichever engine of the portfolio
    proves the property first (infer's has `== -1`); without `old`, the
    whole invariant is negated, which the initial state then violates."""
    text = path.read_text()
    lines = [ln for ln in text.splitlines() if ln.startswith("lemma cert_no_false_negative:")]
    assert len(lines) == 1, text
    line = lines[0]
    if old in line:
        line = line.replace(old, new, 1)
    else:
        head, body = line.split(": ", 1)
        line = f"{head}: not ({body})"
    dest.write_text(line + "\n")
    return dest


@pytest.fixture(scope="module")
def infer_certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """infer's certificate of no_false_negative with the kernel bounds, in process."""
    _, result = prove(PIN_BIAS, None, KERNEL_DEFINES, ProveOptions(engine="infer", timeout=60))
    v = result.verdict("no_false_negative")
    assert (v.status, v.engine) == (HOLDS, "infer") and v.certificate, v
    assert "== -1" in v.certificate and "-int(X.pins) + " in v.certificate, v.certificate
    path = tmp_path_factory.mktemp("infer") / "pin_bias.cert"
    path.write_text(certificate_line(v) + "\n")
    return path


def test_certificate_rerun_and_corrupted_certificate(pin_bias_certificate, tmp_path):
    """A second run with --certificate FILE proves no_false_negative `by
    certificate`; with `== -1` changed to `== 0` (false in the initial
    state) the certificate is not accepted: another engine decides, or
    nobody does.  The two runs go in parallel."""
    path, _ = pin_bias_certificate
    bad = _corrupt(path, tmp_path / "bad.cert", "== -1", "== 0")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pinmc", "prove", "specs/pin_bias.pin", *KERNEL_BOUNDS, "--timeout", "8",
           "--no-time", "--certificate"]
    procs = [subprocess.Popen(cmd + [str(p)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for p in (path, bad)]
    (good_out, good_err), (bad_out, bad_err) = [p.communicate(timeout=120) for p in procs]
    assert procs[0].returncode in (0, 3), good_out + good_err
    assert procs[1].returncode in (0, 3), bad_out + bad_err
    good_line = verdict_line(good_out, "no_false_negative")
    assert re.search(r"\bholds\s+by certificate\b", good_line), good_line
    bad_line = verdict_line(bad_out, "no_false_negative")
    assert "by certificate" not in bad_line, bad_line
    assert re.search(r"\b(holds\s+by (?!certificate)\w+|unknown)\b", bad_line), bad_line


@pytest.mark.parametrize("old,new,prop", [
    ("== -1", "== 0", "no_false_negative"),                      # false in the initial state
    ("-int(X.pins) + ", "", "no_false_negative"),                 # pinners' pins must stay 0: not inductive
    ("cert_no_false_negative:", "cert_pinned:", "pinned"),        # a proof of the wrong property
], ids=["not-initial", "not-inductive", "wrong-property"])
def test_corrupted_certificate_in_process(infer_certificate, tmp_path, old, new, prop):
    """The certificate check itself, with BMC (depth 2, so it proves
    nothing about daemons) as the only other engine: a corrupted
    certificate never decides the property."""
    cert = _corrupt(infer_certificate, tmp_path / "c.cert", old, new)
    _, result = prove(PIN_BIAS, None, KERNEL_DEFINES,
                      ProveOptions(engine="bmc", depth=2, timeout=20), str(cert))
    v = result.verdict(prop)
    assert v.engine != "certificate", v
    assert v.status == (REACHABLE if prop == "pinned" else UNKNOWN), v


@pytest.mark.parametrize("source", ["cli", "infer"])
def test_certificate_accepted_in_process(pin_bias_certificate, infer_certificate, source):
    path = pin_bias_certificate[0] if source == "cli" else infer_certificate
    _, result = prove(PIN_BIAS, None, KERNEL_DEFINES,
                      ProveOptions(engine="bmc", depth=1, timeout=20), str(path))
    v = result.verdict("no_false_negative")
    assert (v.status, v.engine) == (HOLDS, "certificate"), v
    assert v.certificate


# --------------------------------------------------------------- pin_bias_bulk: found only by BMC

def test_pin_bias_bulk_counterexample():
    system, result = prove(BULK, opts=ProveOptions(engine="auto", timeout=30))
    v = result.verdict("no_false_negative")
    assert (v.status, v.engine) == (VIOLATED, "bmc"), v
    assert v.trace is not None and len(v.trace) == 3, describe(system, v.trace)
    again = replay(system, trace_moves(v.trace))  # the reference semantics agrees, step by step
    assert again == v.trace
    slot = {var.name: k for k, var in enumerate(system.vars)}
    final = again.final
    assert final[slot["X.pins"]] > 0
    assert final[slot["X.refcount"]] % 2**32 < 1024, final  # u32(X.refcount) below BIAS: "not pinned"
    prop = next(p for p in system.properties if p.name == "no_false_negative")
    assert not evaluate(prop.expr, final)
    assert result.verdict("pinned").status == REACHABLE
    assert len(result.verdict("pinned").trace) == 1


def test_pin_bias_bulk_has_no_two_step_counterexample():
    system = compile_spec(BULK)
    outs = run_engine(system, "bmc", 2, 30)
    o = outs["no_false_negative"]
    assert o.status == UNKNOWN and "no counterexample up to depth 2" in o.note, o


def test_pin_bias_bulk_check_refuses():
    r = pinmc("check", "specs/pin_bias_bulk.pin")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "PIN407" in r.stdout + r.stderr


# --------------------------------------------------------------- every job in specs/

def test_jobs_found():
    assert len(JOBS) >= 10
    assert not any("pin_bias_bulk" in s for s, _ in JOBS)


@pytest.mark.parametrize("engine", ["bmc", "kind", "infer"])
@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_engine_agrees_with_explicit(job, engine):
    system, explicit = system_of(job), explicit_of(job)
    depth = min(explicit.stats.depth + 1, 30)
    outs = run_engine(system, engine, depth, JOB_ENGINE_TIMEOUT)
    problems = compare(system, explicit, engine, outs, bmc_complete=explicit.stats.depth < 30)
    assert not problems, f"{job_id(job)}:\n  " + "\n  ".join(problems)


_AUTO: dict = {}


def auto_of(job: tuple[str, str | None]) -> Result:
    if job not in _AUTO:
        _AUTO[job] = prove(job[0], job[1], None, ProveOptions(engine="auto", timeout=AUTO_TIMEOUT))[1]
    return _AUTO[job]


@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_auto_agrees_and_decides_expectations(job):
    system, explicit = system_of(job), explicit_of(job)
    result = auto_of(job)
    problems = []
    for v in result.verdicts:
        ev = explicit.verdict(v.prop)
        if v.status == UNKNOWN:
            continue
        if v.status != ev.status:
            problems.append(f"{v.prop}: auto says {v.status} by {v.engine} ({v.note}), trace "
                            f"{describe(system, v.trace)}; explicit {ev.status}, trace {describe(system, ev.trace)}")
        elif v.trace is not None and (ev.trace is None or len(v.trace) != len(ev.trace)):
            problems.append(f"{v.prop}: auto trace {describe(system, v.trace)} by {v.engine}; "
                            f"explicit trace {describe(system, ev.trace)}")
    for e in system.expectations:
        if e.verdict in (HOLDS, UNREACHABLE, FREE):
            v = result.verdict(e.prop)
            if v.status != e.verdict:
                problems.append(f"expect {e.prop} {e.verdict}: auto says {v.status} by {v.engine} ({v.note})")
    assert not problems, f"{job_id(job)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_auto_certificates_round_trip(job, tmp_path):
    """Every certificate auto prints (from infer or Spacer) is a true
    invariant and is accepted when read back."""
    certs = {v.prop: v.certificate for v in auto_of(job).verdicts if v.certificate}
    if not certs:
        pytest.skip("no certificates")
    problems = certificate_problems(job[0], job[1], certs, str(tmp_path))
    assert not problems, f"{job_id(job)}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------- hand-written corner cases

EDGE_SPECS = {
    "dynamic_index": """
        spec dynamic_index
        page P[3] { n: 0..2 = 0, b: bool = false }
        var i: 0..4 = 0
        thread t {
            s0: { P[i].n += 1; i += 1 }
            s1: { choose v in 0..3 { i = v } }
            s2: { P[i].b = true; assert P[i].n < 2, "small" }
        }
        daemon d { bump: when i < 4 { i += 1 } }
        invariant past_end_reads_last: P[i].b => P[2].b or i < 3
        reachable b3: P[i].b and i == 4
        reachable b1: P[1].b
    """,
    "enums_and_pc": """
        spec enums_and_pc
        enum Mode { IDLE, BUSY, DONE }
        var m: Mode = IDLE
        var c: u8 = 0
        thread t[2] {
            a: when m == IDLE { m = BUSY }
            b: { c += 1; if c == 2 { m = DONE } else { m = IDLE } }
        }
        invariant order: int(m) <= 2 and pc(t[0]) <= 2
        reachable both_done: done(t[0]) and done(t[1]) and m == DONE
        reachable one_b: t[0]@b and pc(t[1]) == 2
        invariant never_done_idle: not (done(t[0]) and done(t[1]) and m == IDLE)
    """,
    "wide_quantifiers": """
        spec wide_quantifiers
        var x: u16 = 0
        daemon d { inc: when x < 100 { x += 7 } }
        invariant mult7: exists k in 0..100: int(x) == 7 * k
        invariant not_square: forall k in 0..20: int(x) != k * k or x == 0 or x == 49
        reachable big: forall k in 0..90: int(x) >= k
    """,
    "signed_division": """
        spec signed_division
        var x: i32 = -7
        var y: i32 = 0
        var z: i64 = -9223372036854775807
        thread t {
            s0: { choose v in -3..3 { y = x / v; x = x % v } }
            s1: { z -= 1; y = i32(z / -1) }
            s2: { z = z / -1 }
        }
        invariant c1: t@s1 => (y == -3 or y == 7 or y == -7 or y == 2 or y == 3 or y == -2 or y == 0)
        reachable r1: t@s1 and x == -1
        reachable r2: t@s1 and x == 0
        reachable r3: done(t) and z == -9223372036854775807 - 1
        reachable r4: t@s2 and y == 0
    """,
    "wide_wrap": """
        spec wide_wrap
        var a: u64 = 18446744073709551614
        var b: i64 = 9223372036854775806
        var x: u8 = 250
        var r: 0..3 = 3
        thread t {
            s: { a += 3; b += 3; choose v in 590..600 { x += v } }
            s2: { a -= 2; b = -b; x = x + r * 100 }
        }
        reachable wrapped: a == 1 and b < 0 and x == 72
        invariant small: done(t) => a == 18446744073709551615
        invariant neg: done(t) => b == 9223372036854775807
        invariant x_wraps_mod_256: t@s2 => x >= 72 and x <= 82
    """,
    "failing_step_counts_as_enabled": """
        spec failing_step_counts_as_enabled
        var x: 0..3 = 0
        thread t { s0: { x = 1 } s1: when x == 2 { skip } }
        daemon d { s: when x == 1 { assert false, "boom" } }
    """,
    "real_deadlock": """
        spec real_deadlock
        var x: 0..3 = 0
        thread t[2] { s0: when x == self { x += 1 } s1: when x == 3 { skip } }
    """,
    "goto_end_either": """
        spec goto_end_either
        var n: 0..5 = 0
        var f: bool = false
        thread t {
            var k: 0..3 = 0
            s0: { either { n += 1; goto s2 } or { f = true; end } or { n += 2 } }
            s1: { if k < 3 { k += 1; goto s0 } }
            s2: when not f { n -= 1; if n == 0 { end }; goto s1 }
        }
        reachable five: n == 5
        invariant nf: f => n <= 4
        reachable k3: t.k == 3
    """,
    "procs_with_asserts": """
        spec procs_with_asserts
        page X { r: i32 = 1, pins: u32 = 0 }
        proc pin(p: page) { p.r += 1024; p.pins += 1; assert p.r > 0, "overflow" }
        proc unpin(p: page) { assert p.pins > 0, "unbalanced"; p.r -= 1024; p.pins -= 1 }
        thread a[2] { s0: { pin(X) } s1: { unpin(X) } s2: { unpin(X) } }
        invariant bias: u32(X.r) >= 1024 * X.pins
    """,
    "casts": """
        spec casts
        var x: u8 = 200
        var s: i32 = -1
        var r: 0..3 = 3
        thread t {
            s0: { x = x + r * 30; s = i32(u32(s) / 2) }
            s1: { x = u8(s); s = -s * 3 }
            s2: { s = s % 5 + i32(x) / 7 }
        }
        reachable a: x == 34
        reachable b: t@s1 and s == 2147483647
        reachable c: done(t) and s < 0
        reachable d: done(t) and s > 0
        invariant e: t@s2 => x == 255
    """,
}


@pytest.mark.parametrize("engine", ["bmc", "kind", "infer"])
@pytest.mark.parametrize("name", sorted(EDGE_SPECS))
def test_corner_cases_agree_with_explicit(tmp_path, name, engine):
    path = tmp_path / f"{name}.pin"
    path.write_text(textwrap.dedent(EDGE_SPECS[name]))
    system = compile_spec(str(path))
    explicit = check(system, REFERENCE)
    assert explicit.stats.complete
    outs = run_engine(system, engine, explicit.stats.depth + 1, JOB_ENGINE_TIMEOUT)
    problems = compare(system, explicit, engine, outs, bmc_complete=True)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_corner_case_verdicts(tmp_path):
    """What the corner cases are about, decided by the explicit engine."""
    want = {"failing_step_counts_as_enabled": {"deadlock": FREE, "d.s": VIOLATED},
            "real_deadlock": {"deadlock": REACHABLE},
            "wide_wrap": {"wrapped": REACHABLE, "small": HOLDS, "neg": HOLDS, "x_wraps_mod_256": HOLDS},
            "signed_division": {"c1": HOLDS, "r1": REACHABLE, "r2": REACHABLE, "r3": REACHABLE}}
    for name, verdicts in want.items():
        path = tmp_path / f"{name}.pin"
        path.write_text(textwrap.dedent(EDGE_SPECS[name]))
        result = check(compile_spec(str(path)))
        assert {p: result.verdict(p).status for p in verdicts} == verdicts, name


def test_property_named_like_a_certificate_is_checked(tmp_path):
    """A spec's own property whose name starts with `cert_` is a property
    like any other: prove must decide it (here: violated in one step)."""
    path = tmp_path / "c.pin"
    path.write_text(textwrap.dedent("""
        spec c
        var x: 0..3 = 0
        thread t { s: { x = 2 } }
        invariant cert_small: x < 2
    """))
    system, result = prove(str(path), opts=ProveOptions(engine="bmc", depth=3, timeout=20))
    assert [v.prop for v in result.verdicts] == system.property_names()
    v = result.verdict("cert_small")
    assert v.status == VIOLATED and len(v.trace) == 1


# --------------------------------------------------------------- random specs

def _random_system(seed: int, directory: str) -> System:
    path = os.path.join(directory, f"rand_{seed}.pin")
    with open(path, "w", encoding="utf-8") as f:
        f.write(generate(seed))
    return compile_spec(path)


def check_random(seed: int) -> tuple[int, list[str], dict[str, int]]:
    """Cross-validate random spec `seed`: (seed, problems, counts of decided outcomes)."""
    counts: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory() as d:
            system = _random_system(seed, d)
            explicit = check(system, Options(max_states=100_000, symmetry=False))
            if not explicit.stats.complete:
                return seed, [f"explicit search incomplete: {explicit.stats.limit}"], counts
            depth = explicit.stats.depth + 1  # makes BMC complete for violations
            problems = []
            certs: dict[str, str] = {}
            for engine in ("bmc", "kind", "infer"):
                outs = run_engine(system, engine, depth, RANDOM_ENGINE_TIMEOUT)
                for prop, o in outs.items():
                    key = f"{engine}:{o.status}"
                    counts[key] = counts.get(key, 0) + 1
                    if o.status == PROVED and o.certificate and not is_failing(explicit.verdict(prop).status):
                        certs[prop] = o.certificate
                problems += [f"[{engine}] {p}" for p in compare(system, explicit, engine, outs, bmc_complete=True)]
            if certs:
                counts["certificates"] = len(certs)
                problems += [f"[infer] {p}" for p in
                             certificate_problems(os.path.join(d, f"rand_{seed}.pin"), None, certs, d)]
        return seed, problems, counts
    except Exception as e:  # noqa: BLE001 - reported as a problem of this seed
        return seed, [f"{type(e).__name__}: {e}"], counts


def _pool_map(fn, items):
    if WORKERS == 1:
        return [fn(x) for x in items]
    with mp.get_context("fork").Pool(WORKERS) as pool:
        return pool.map(fn, items, chunksize=1)


_RANDOM_COUNTS: dict[str, int] = {}
_RANDOM_CHUNKS_RUN: set[int] = set()


@pytest.mark.parametrize("chunk", range(RANDOM_SEEDS // RANDOM_CHUNK))
def test_random_specs_agree_with_explicit(chunk):
    seeds = range(chunk * RANDOM_CHUNK, (chunk + 1) * RANDOM_CHUNK)
    _RANDOM_CHUNKS_RUN.add(chunk)
    failures = []
    for seed, problems, counts in _pool_map(check_random, seeds):
        for k, n in counts.items():
            _RANDOM_COUNTS[k] = _RANDOM_COUNTS.get(k, 0) + n
        if problems:
            failures.append(f"seed {seed} (python tests/randomspec.py {seed}):\n    " + "\n    ".join(problems))
    assert not failures, "\n".join(failures)


def test_random_specs_exercise_every_engine():
    """Each engine decided a fair share of the goals of the random specs
    (run after the chunks above; skipped when they were deselected)."""
    if len(_RANDOM_CHUNKS_RUN) < RANDOM_SEEDS // RANDOM_CHUNK:
        pytest.skip("not every random chunk ran")
    print("decided goals of the random specs:", dict(sorted(_RANDOM_COUNTS.items())))
    for key in ("bmc:found", "bmc:proved", "kind:found", "kind:proved", "infer:proved"):
        assert _RANDOM_COUNTS.get(key, 0) >= 50, _RANDOM_COUNTS


def _all_hold(seed: int) -> bool:
    with tempfile.TemporaryDirectory() as d:
        result = check(_random_system(seed, d))
    return result.stats.complete and not any(is_failing(v.status) for v in result.verdicts)


def test_random_specs_pdr_agrees(tmp_path):
    """Spacer, through prove (so in child processes), on the random specs
    whose properties all hold (on the others it cannot give traces and
    would run to its time limit): every verdict it decides agrees with the
    explicit engine, and its certificates round-trip."""
    seeds = [seed for seed, ok in zip(range(PDR_SEEDS), _pool_map(_all_hold, range(PDR_SEEDS))) if ok]
    assert len(seeds) >= 10
    failures, decided = [], 0
    for seed in seeds:
        system = _random_system(seed, str(tmp_path))
        path = str(tmp_path / f"rand_{seed}.pin")
        explicit = check(system)
        _, result = prove(path, opts=ProveOptions(engine="pdr", timeout=5))
        problems = []
        for v in result.verdicts:
            if v.status == UNKNOWN:
                continue
            decided += 1
            if v.status != explicit.verdict(v.prop).status:
                problems.append(f"{v.prop}: pdr says {v.status} by {v.engine} ({v.note}); explicit "
                                f"{explicit.verdict(v.prop).status}")
        certs = {v.prop: v.certificate for v in result.verdicts if v.certificate}
        if certs and not problems:
            problems += certificate_problems(path, None, certs, str(tmp_path))
        if problems:
            failures.append(f"seed {seed} (python tests/randomspec.py {seed}):\n    " + "\n    ".join(problems))
    assert not failures, "\n".join(failures)
    assert decided >= len(seeds) // 2


def _compiles(seed: int) -> str | None:
    try:
        with tempfile.TemporaryDirectory() as d:
            system = _random_system(seed, d)
        start = time.monotonic()
        result = check(system, Options(max_states=100_000))
        seconds = time.monotonic() - start
        if not result.stats.complete:
            return f"seed {seed}: state space too large ({result.stats.limit})"
        if result.stats.states > 5000 or seconds > 10.0:
            return f"seed {seed}: {result.stats.states} states, explicit engine took {seconds:.1f} s"
        return None
    except Exception as e:  # noqa: BLE001
        return f"seed {seed}: {type(e).__name__}: {e}\n{generate(seed)}"


def test_random_specs_compile_and_are_small():
    problems = [p for p in _pool_map(_compiles, range(RANDOM_SEEDS, RANDOM_SEEDS + 500)) if p]
    assert not problems, "\n".join(problems)


def test_random_specs_are_deterministic_and_varied():
    assert generate(7) == generate(7)
    texts = [generate(s) for s in range(200)]
    assert len(set(texts)) == 200
    joined = "\n".join(texts)
    for feature in ("thread ", "daemon ", "[2] {", "when ", "if ", "} else {", "either {", "choose v in 0..",
                    "choose p in P", "+= ", "-= ", "assert ", "invariant ", "reachable ", "allow deadlock",
                    ": bool", ": u8", ": i32", ": 0..", "goto ", "end }", "@", "done(", "u8(", "i32("):
        assert feature in joined, feature


# ------------------------------------------------------------ z3's budgets

ORDER1 = str(SPECS / "s03_order1_mappings.pin")


def test_check_tells_the_resource_limit_from_ctrl_c():
    """z3 answers "canceled" both when the resource limit runs out and on
    Ctrl-C (which prove() then reports as an interruption): `check` names
    the resource limit, so it is never taken for Ctrl-C."""
    import z3

    from pinmc.engines.symbolic.certificate import check, solver
    x, y, z = z3.Ints("x y z")
    s = solver(z3.main_ctx(), time.monotonic() + 60, rlimit=20_000)
    s.add(x * x * x + y * y * y == z * z * z, x > 1, y > 1, z > 1)
    r, why = check(s, 20_000)
    assert r == z3.unknown and why == "z3's resource limit of 20,000 reached"
    r, why = check(s, 20_000, x > 2)  # the limit is per check, not per solver
    assert r == z3.unknown and "resource limit" in why
    assert check(s, 20_000, x < 0) == (z3.unsat, "")


def test_infer_gives_up_on_a_goal_at_its_resource_limit(monkeypatch):
    """Each of infer's checks has a deterministic budget: a goal whose check
    runs out of it is left unknown, with the reason, and the engine goes on
    to the next goal; nothing says the run was interrupted."""
    from pinmc.engines.symbolic import infer
    monkeypatch.setattr(infer, "RLIMIT", 2_000)
    _, result = prove(ORDER1, None, None, ProveOptions(engine="infer", timeout=60))
    assert result.stats.limit is None
    assert [v.status for v in result.verdicts] == [UNKNOWN] * 6
    assert all("z3's resource limit of 2,000 reached" in v.note for v in result.verdicts), result.verdicts
    assert not any("interrupted" in v.note or "stopped" in v.note for v in result.verdicts)


def test_prover_does_not_depend_on_what_the_process_proved_before(monkeypatch):
    """Each engine works in a z3 context of its own: every encoder the
    prover makes has a fresh context (never z3's shared main one, whose
    earlier terms change z3's search), and the same spec gets the same
    verdicts, engines and certificates after other z3 work in the process
    (in CI the suite runs after hundreds of other prover tests)."""
    import z3

    from pinmc.engines.symbolic import prove as prove_module
    contexts: list[z3.Context] = []

    class Recording(Encoder):
        def __init__(self, system: System, ctx: z3.Context | None = None, case_wrap: bool = True):
            super().__init__(system, ctx, case_wrap)
            contexts.append(self.ctx)

    monkeypatch.setattr(prove_module, "Encoder", Recording)
    opts = ProveOptions(engine="infer", timeout=60)

    def run() -> list[tuple[str, str, str, str | None]]:
        _, result = prove(ORDER1, None, None, opts)
        return [(v.prop, v.status, v.engine, v.certificate) for v in result.verdicts]

    first = run()
    junk = [z3.Int(f"junk{i}") * 3 + i > z3.Int(f"junk{i + 1}") for i in range(5000)]
    assert run() == first
    assert first[5][:3] == ("deadlock", FREE, "infer") and len(junk) == 5000
    assert len(contexts) == 4  # prove()'s goals and the engine's, per run
    assert len({id(c) for c in contexts}) == 4 and all(c is not z3.main_ctx() for c in contexts)
