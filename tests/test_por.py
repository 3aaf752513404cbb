"""Partial-order reduction in the explicit engine (`Options.por`, `--por`).

With POR on, every verdict and every trace length must be what the full
search gives (traces are rebuilt by an unreduced search bounded by the
depth the reduced one found them at), the traces must replay, the state
count may only go down, and both expanders must agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import compile_text, counts, explicit_jobs, job_id

from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.por import usable_groups
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec
from pinmc.trace import replay

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
EXPANDERS = ["scalar", "vector"]
PINNERS = str(SPECS / "independent_pinners.pin")


JOBS = explicit_jobs(str(SPECS))





def verdicts(result) -> list[tuple[str, str, str, int | None]]:
    return [(v.prop, v.kind, v.status, None if v.trace is None else len(v.trace)) for v in result.verdicts]


def summary(result) -> tuple:
    s = result.stats
    return ((s.states, s.transitions, s.depth, s.complete, s.limit),
            tuple((v.prop, v.status, None if v.trace is None else
                   tuple((st.transition, tuple(st.args)) for st in v.trace.steps)) for v in result.verdicts))


def assert_same_verdicts(system: System, off, on) -> None:
    assert verdicts(on) == verdicts(off)
    for v in on.verdicts:
        if v.trace is not None:
            assert replay(system, [(s.transition, s.args) for s in v.trace.steps]) == v.trace
            if v.kind in ("assert", "range"):
                assert v.trace.failed_check == v.prop
    assert on.stats.states <= off.stats.states
    assert on.stats.transitions <= off.stats.transitions
    assert on.stats.complete == off.stats.complete


# --------------------------------------------------------------- every job in specs/

@pytest.mark.parametrize("expander", EXPANDERS)
@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_por_keeps_verdicts_and_trace_lengths(job, expander):
    system = compile_spec(*job)
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert_same_verdicts(system, off, on)
    for e in system.expectations:
        assert on.verdict(e.prop).status == e.verdict, e.prop


@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_por_scalar_and_vector_agree(job):
    system = compile_spec(*job)
    assert summary(check(system, Options(por=True, symmetry=False), expander="scalar")) == \
        summary(check(system, Options(por=True, symmetry=False), expander="vector"))


def test_por_is_deterministic():
    system = compile_spec(PINNERS)
    runs = {summary(check(system, Options(por=True, symmetry=False), expander=e)) for e in EXPANDERS for _ in range(2)}
    assert len(runs) == 1


# --------------------------------------------------------------- the reducible spec

@pytest.mark.parametrize("expander", EXPANDERS)
def test_independent_pinners_reduced_5x(expander):
    system = compile_spec(PINNERS)
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    # Off: each thread has 11 pcs (pin, dma1..dma8, unpin, done) and the
    # rest follows from them: 11^3 states.  On: only the 27 combinations of
    # {pin, unpin, done} branch; every other state runs one thread's DMA
    # steps alone: 27 * (8 + 1) states.
    assert counts(off) == (1331, 3630, 30)
    assert counts(on) == (243, 270, 30)
    assert off.stats.states >= 5 * on.stats.states
    assert_same_verdicts(system, off, on)
    assert on.verdict("all_pinned").status == "reachable"
    assert len(on.verdict("all_pinned").trace) == 3


def test_independent_pinners_groups():
    usable = usable_groups(compile_spec(PINNERS))
    for t in ("dx", "dy", "dz"):
        assert not usable[t, "pin"] and not usable[t, "unpin"]  # visible: the invariants read the page
        assert all(usable[t, f"dma{k}"] for k in range(1, 9))


def test_build_graph_is_never_reduced():
    system = compile_spec(PINNERS)
    assert check(system, Options(por=True, symmetry=False, build_graph=True)).stats.states == 1331


# --------------------------------------------------------------- soundness

TWO_ACTOR_INVARIANT = """
    spec s
    thread a {
        var x: 0..1 = 0
        w1: { skip }
        set: { x = 1 }
        w2: { skip }
        clr: { x = 0 }
    }
    thread b {
        var y: 0..1 = 0
        w1: { skip }
        set: { y = 1 }
        w2: { skip }
        clr: { y = 0 }
    }
    invariant not_both: not (a.x == 1 and b.y == 1)
    """

ASSERT_ON_OTHER = """
    spec s
    thread a {
        var x: 0..1 = 0
        s1: { x = 1 }
        s2: { x = 0 }
    }
    thread b {
        w: { skip }
        chk: { assert a.x == 0, "a is in its critical section" }
    }
    """

IGNORED = """
    spec s
    var g: 0..1 = 0
    thread t {
        go: { g = 1 }
    }
    daemon d {
        var c: 0..1 = 0
        flip: { c = 1 - c }
    }
    invariant never: g == 0
    """

DEADLOCK = """
    spec s
    var gate: bool = false
    thread a {
        w1: { skip }
        w2: { skip }
        stuck: when gate { skip }
    }
    thread b {
        var n: 0..2 = 0
        s1: { n = 1 }
        s2: { n = 2 }
    }
    """


@pytest.mark.parametrize("expander", EXPANDERS)
def test_invariant_over_two_actors_found(tmp_path, expander):
    system = compile_text(tmp_path, TWO_ACTOR_INVARIANT)
    usable = usable_groups(system)
    assert usable["a", "w1"] and not usable["a", "set"]  # POR is active here
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert on.verdict("not_both").status == "violated"
    assert on.stats.states < off.stats.states
    assert_same_verdicts(system, off, on)
    assert len(on.verdict("not_both").trace) == 4  # a.w1 a.set b.w1 b.set, in some order


@pytest.mark.parametrize("expander", EXPANDERS)
def test_assert_reading_another_actor_found(tmp_path, expander):
    system = compile_text(tmp_path, ASSERT_ON_OTHER)
    usable = usable_groups(system)
    assert usable["b", "w"] and not usable["b", "chk"] and not usable["a", "s1"]
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert on.verdict("b.chk").status == "violated"
    assert_same_verdicts(system, off, on)


@pytest.mark.parametrize("expander", EXPANDERS)
def test_cycle_proviso(tmp_path, expander):
    # The daemon is independent and invisible, so it is always ample; its
    # flips cycle back to the initial state.  Without the proviso, t would
    # never move and the violation would be missed (the ignoring problem).
    system = compile_text(tmp_path, IGNORED)
    assert usable_groups(system)["d", ""] and not usable_groups(system)["t", "go"]
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert on.verdict("never").status == "violated"
    assert len(on.verdict("never").trace) == 1
    assert_same_verdicts(system, off, on)


@pytest.mark.parametrize("expander", EXPANDERS)
def test_deadlock_found(tmp_path, expander):
    system = compile_text(tmp_path, DEADLOCK)
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert on.verdict("deadlock").status == "reachable"
    assert on.stats.states < off.stats.states
    assert_same_verdicts(system, off, on)
    assert len(on.verdict("deadlock").trace) == 4


@pytest.mark.parametrize("expander", EXPANDERS)
def test_shortest_trace_rebuilt(tmp_path, expander):
    # The reduced search runs a's skips before b gets to move, so it finds
    # the violation later than the full search; the trace is the full one's.
    system = compile_text(tmp_path, """
        spec s
        var g: 0..1 = 0
        thread a { w1: { skip } w2: { skip } w3: { skip } }
        thread b { go: { g = 1 } }
        invariant never: g == 0
        """)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert [system.transitions[s.transition].name for s in on.verdict("never").trace.steps] == ["b.go"]
    assert on.stats.depth == 4


# --------------------------------------------------------------- the CLI

def _stats(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "pinmc", "check", "--format", "json", "--no-time", *args],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["results"][0]["stats"]


def test_cli_flags():
    spec = "specs/independent_pinners.pin"
    assert _stats(spec, "--por")["states"] == 243
    assert _stats(spec, "--no-por")["states"] == 1331
    assert _stats(spec)["states"] == (243 if Options.por else 1331)
