"""The z3 prover (`pinmc prove`): certificates, the bulk-reference
counterexample, and cross-validation of every symbolic engine against the
explicit engine, on the specs in specs/ and on random specs
(tests/randomspec.py).

The explicit engine enumerates the reachable states exactly, so on a spec it
can finish, its verdicts and shortest trace lengths are the reference: every
property a symbolic engine decides must get the same verdict, and every BMC
counterexample must replay (reference semantics), reach the bad state or
move, and be exactly as long as the explicit engine's shortest trace.

Spacer (`pdr`) can abort the whole process, so it only ever runs through
`prove(...)`, which keeps it in child processes (engine `auto` here).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pinmc.engines.base import (FREE, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Options, Result)
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, Outcome
from pinmc.engines.symbolic.prove import CERT_PREFIX, ProveOptions, outcomes, prove
from pinmc.ir.eval import evaluate, fire, param_values
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec
from pinmc.suite import discover, plan
from pinmc.trace import ReplayError, Trace, replay

sys.path.insert(0, str(Path(__file__).resolve().parent))
from randomspec import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
PIN_BIAS = str(SPECS / "pin_bias.pin")
BULK = str(SPECS / "pin_bias_bulk.pin")
KERNEL_BOUNDS = ["-D", "PINS=2097152", "-D", "GETS=1000000000"]  # 2^21 pins, as many references

JOB_ENGINE_TIMEOUT = 3.0  # seconds per in-process engine per job (only decided properties are compared)
AUTO_TIMEOUT = 30.0  # seconds for prove(engine='auto') per job
RANDOM_SEEDS = 500
RANDOM_CHUNK = 50
RANDOM_ENGINE_TIMEOUT = 2.0  # seconds per engine per random spec
WORKERS = max(1, min(2, os.cpu_count() or 1))


# --------------------------------------------------------------- helpers

def _jobs() -> list[tuple[str, str | None]]:
    errors: list[object] = []
    jobs = plan(discover([str(SPECS)]), errors)  # type: ignore[arg-type]
    assert not errors
    # the explicit engine refuses pin_bias_bulk (PIN407): no reference verdicts
    return [(j.spec_path, j.proposal_path) for j in jobs if Path(j.spec_path).stem != "pin_bias_bulk"]


JOBS = _jobs()


def _id(job: tuple[str, str | None]) -> str:
    spec, proposal = job
    return Path(spec).stem + (f"+{Path(proposal).stem}" if proposal else "")


_SYSTEMS: dict = {}
_EXPLICIT: dict = {}


def system_of(job: tuple[str, str | None]) -> System:
    if job not in _SYSTEMS:
        _SYSTEMS[job] = compile_spec(*job)
    return _SYSTEMS[job]


def explicit_of(job: tuple[str, str | None]) -> Result:
    if job not in _EXPLICIT:
        _EXPLICIT[job] = check(system_of(job))
        assert _EXPLICIT[job].stats.complete
    return _EXPLICIT[job]


def goals_of(system: System) -> list[Goal]:
    """The goals `outcomes` numbers, in its order."""
    return [g for g in Encoder(system).goals() if not g.prop.startswith(CERT_PREFIX)]


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
        elif (o.status == UNKNOWN and bmc_complete and engine == "bmc" and is_failing(ev.status)
              and "no counterexample up to depth" in o.note):
            problems.append(f"{goal.prop}: bmc missed it ({o.note}) but {ex_text}")
    return problems


def run_engine(system: System, engine: str, depth: int, timeout: float) -> dict[str, Outcome]:
    goals = goals_of(system)
    opts = ProveOptions(engine=engine, depth=depth, timeout=timeout)
    return {goals[i].prop: o for i, o in outcomes(system, engine, opts, time.monotonic() + timeout)}


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
    text = path.read_text()
    lines = [ln for ln in text.splitlines() if ln.startswith("lemma cert_no_false_negative:")]
    assert len(lines) == 1 and old in lines[0], text
    dest.write_text(lines[0].replace(old, new, 1) + "\n")
    return dest


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
def test_corrupted_certificate_in_process(pin_bias_certificate, tmp_path, old, new, prop):
    """The certificate check itself, with BMC (depth 2, so it proves
    nothing about daemons) as the only other engine: a corrupted
    certificate never decides the property."""
    path, _ = pin_bias_certificate
    cert = _corrupt(path, tmp_path / "c.cert", old, new)
    _, result = prove(PIN_BIAS, None, {"PINS": 2097152, "GETS": 1000000000},
                      ProveOptions(engine="bmc", depth=2, timeout=20), str(cert))
    v = result.verdict(prop)
    assert v.engine != "certificate", v
    assert v.status == (REACHABLE if prop == "pinned" else UNKNOWN), v


def test_certificate_accepted_in_process(pin_bias_certificate):
    path, _ = pin_bias_certificate
    _, result = prove(PIN_BIAS, None, {"PINS": 2097152, "GETS": 1000000000},
                      ProveOptions(engine="bmc", depth=1, timeout=20), str(path))
    v = result.verdict("no_false_negative")
    assert (v.status, v.engine) == (HOLDS, "certificate"), v
    assert v.certificate and "u32(X.refcount)" in v.certificate


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
@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_job_engine_agrees_with_explicit(job, engine):
    system, explicit = system_of(job), explicit_of(job)
    depth = min(explicit.stats.depth + 1, 30)
    outs = run_engine(system, engine, depth, JOB_ENGINE_TIMEOUT)
    problems = compare(system, explicit, engine, outs, bmc_complete=explicit.stats.depth < 30)
    assert not problems, f"{_id(job)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_job_auto_agrees_and_decides_expectations(job):
    system, explicit = system_of(job), explicit_of(job)
    _, result = prove(job[0], job[1], None, ProveOptions(engine="auto", timeout=AUTO_TIMEOUT))
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
    assert not problems, f"{_id(job)}:\n  " + "\n  ".join(problems)


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
        explicit = check(system, Options(max_states=100_000))
        if not explicit.stats.complete:
            return seed, [f"explicit search incomplete: {explicit.stats.limit}"], counts
        depth = explicit.stats.depth + 1  # makes BMC complete for violations
        problems = []
        for engine in ("bmc", "kind", "infer"):
            outs = run_engine(system, engine, depth, RANDOM_ENGINE_TIMEOUT)
            for o in outs.values():
                key = f"{engine}:{o.status}"
                counts[key] = counts.get(key, 0) + 1
            problems += [f"[{engine}] {p}" for p in compare(system, explicit, engine, outs, bmc_complete=True)]
        return seed, problems, counts
    except Exception as e:  # noqa: BLE001 - reported as a problem of this seed
        return seed, [f"{type(e).__name__}: {e}"], counts


def _pool_map(fn, items):
    if WORKERS == 1:
        return [fn(x) for x in items]
    with mp.get_context("fork").Pool(WORKERS) as pool:
        return pool.map(fn, items, chunksize=1)


_RANDOM_COUNTS: dict[str, int] = {}


@pytest.mark.parametrize("chunk", range(RANDOM_SEEDS // RANDOM_CHUNK))
def test_random_specs_agree_with_explicit(chunk):
    seeds = range(chunk * RANDOM_CHUNK, (chunk + 1) * RANDOM_CHUNK)
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
    if not _RANDOM_COUNTS:
        pytest.skip("the random chunks did not run")
    for key in ("bmc:found", "bmc:proved", "kind:found", "kind:proved", "infer:proved"):
        assert _RANDOM_COUNTS.get(key, 0) >= 50, _RANDOM_COUNTS


def _compiles(seed: int) -> str | None:
    try:
        with tempfile.TemporaryDirectory() as d:
            system = _random_system(seed, d)
        start = time.monotonic()
        result = check(system, Options(max_states=100_000))
        seconds = time.monotonic() - start
        if not result.stats.complete:
            return f"seed {seed}: state space too large ({result.stats.limit})"
        if seconds > 2.0:
            return f"seed {seed}: explicit engine took {seconds:.1f} s"
        return None
    except Exception as e:  # noqa: BLE001
        return f"seed {seed}: {type(e).__name__}: {e}\n{generate(seed)}"


def test_random_specs_compile_and_are_small():
    problems = [p for p in _pool_map(_compiles, range(RANDOM_SEEDS, RANDOM_SEEDS + 1000)) if p]
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
