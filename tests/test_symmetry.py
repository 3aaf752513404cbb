"""Symmetry reduction (pinmc/engines/explicit/symmetry.py).

With symmetry on, every verdict and every trace length is the unreduced
search's, every trace is concrete (it replays on the unreduced system),
and the state count never grows; a declared `symmetric` array that is not
interchangeable is refused with a note that says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from jobs import compile_text, counts, explicit_jobs, job_id
from pinmc.cli import main
from pinmc.engines.base import Options, Result
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.symmetry import analyse
from pinmc.semantics.pipeline import compile_spec
from pinmc.trace import replay

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
POOL = str(SPECS / "symmetric_pool.pin")
EXPANDERS = ("scalar", "vector")
OFF = Options(por=False, symmetry=False)
ON = Options(por=False, symmetry=True)

sys.path.insert(0, str(Path(__file__).parent))
from randomspec import generate  # noqa: E402


def shape(r: Result) -> list[tuple[str, str, int | None]]:
    return [(v.prop, v.status, len(v.trace) if v.trace is not None else None) for v in r.verdicts]


def replays(system, r: Result) -> None:
    """Every trace is concrete: it replays from the real initial state."""
    for v in r.verdicts:
        if v.trace is not None:
            again = replay(system, [(s.transition, s.args) for s in v.trace.steps])
            assert again == v.trace


# ------------------------------------------------------------ the pool spec

@pytest.mark.parametrize("expander", EXPANDERS)
def test_pool_reduces_more_than_tenfold(expander):
    system = compile_spec(POOL)
    off = check(system, OFF, expander=expander)
    on = check(system, ON, expander=expander)
    # 3 pages x 4 users: the orbits of S3 x S4 on 11,001 states
    assert counts(off) == (11001, 99379, 15)
    assert counts(on) == (384, 3289, 15)
    assert off.stats.states / on.stats.states >= 10
    assert shape(on) == shape(off)
    assert on.stats.notes == ("symmetry reduction: page P (3 interchangeable), thread user (4 interchangeable)",)
    replays(system, on)


def test_pool_blocks():
    sym = analyse(compile_spec(POOL))
    assert [(b.name, b.elements) for b in sym.blocks] == [
        ("page P", ("P[0]", "P[1]", "P[2]")),
        ("thread user", ("user[0]", "user[1]", "user[2]", "user[3]"))]
    assert sym.notes == ()


def test_default_turns_por_off_and_says_so():
    r = check(compile_spec(POOL))
    assert r.stats.states == 384
    assert r.stats.notes[-1] == "partial-order reduction off: it is not combined with symmetry reduction"


def test_pool_violation_traces_are_concrete_and_shortest(tmp_path):
    # kswapd that ignores pins: the pinned page is unmapped
    text = (SPECS / "symmetric_pool.pin").read_text().replace(
        "if p.mapped and not maybe_dma_pinned(p)", "if p.mapped")
    text = text.replace("expect pinned_stay_mapped holds", "expect pinned_stay_mapped violated")
    path = tmp_path / "pool.pin"
    path.write_text(text)
    system = compile_spec(str(path))
    off, on = check(system, OFF), check(system, ON)
    assert shape(on) == shape(off)
    v = on.verdict("pinned_stay_mapped")
    assert v.status == "violated" and len(v.trace) == 2
    names = [system.transitions[s.transition].name for s in v.trace.steps]
    assert names == ["user[0].pin", "kswapd.reclaim"]
    replays(system, on)


@pytest.mark.parametrize("expander", EXPANDERS)
def test_failing_check_trace_is_concrete(tmp_path, expander):
    system = compile_text(tmp_path, """
        spec sym_assert
        symmetric page P[2] { n: 0..3 = 0 }
        thread t[3] {
            bump: { choose p in P { p.n += 1 } }
            look: { choose p in P { assert p.n < 2, "two on one page" } }
        }
    """)
    off, on = check(system, OFF, expander=expander), check(system, ON, expander=expander)
    assert shape(on) == shape(off)
    assert on.verdict("t.look").status == "violated"
    assert on.verdict("t.look").trace.failed_check == "t.look"
    assert on.stats.states < off.stats.states
    replays(system, on)


# ------------------------------------------------------------ refusals

def test_property_naming_one_page_refuses_the_symmetry(tmp_path):
    system = compile_text(tmp_path, """
        spec sym_bad_prop
        symmetric page P[2] { n: 0..2 = 0 }
        daemon d { up: { choose p in P { if p.n < 2 { p.n += 1 } } } }
        invariant first_small: P[0].n < 3
    """)
    sym = analyse(system)
    assert not sym.active
    assert sym.notes == ("symmetry of page P not used: invariant first_small changes when "
                         "swapping P[0] and P[1]",)
    r = check(system, ON)
    assert r.stats.states == 9
    assert r.stats.notes == sym.notes


def test_step_naming_one_page_refuses_the_symmetry(tmp_path):
    system = compile_text(tmp_path, """
        spec sym_bad_step
        symmetric page P[2] { n: 0..2 = 0 }
        daemon d {
            up: { choose p in P { if p.n < 2 { p.n += 1 } } }
            reset: when P[1].n == 2 { P[1].n = 0 }
        }
    """)
    assert analyse(system).notes == ("symmetry of page P not used: d.reset has no counterpart when "
                                     "swapping P[0] and P[1]",)
    assert check(system, ON).stats.states == check(system, OFF).stats.states == 9


def test_dynamic_index_refuses_the_symmetry(tmp_path):
    # a counter used as a page index: the pages are not interchangeable
    system = compile_text(tmp_path, """
        spec sym_index
        symmetric page P[2] { n: 0..1 = 0 }
        var i: 0..1 = 0
        daemon d { go: when P[i].n == 0 { P[i].n = 1; i = 1 - i } }
    """)
    assert not analyse(system).active
    assert check(system, ON).stats.states == check(system, OFF).stats.states


def test_instances_using_self_are_not_interchangeable(tmp_path):
    # each pinner pins its own page: instances are not interchangeable alone
    system = compile_text(tmp_path, """
        spec sym_self
        page P[2] { n: 0..1 = 0 }
        thread u[2] { pin: { P[self].n = 1 } }
    """)
    sym = analyse(system)
    assert not sym.active and sym.notes == ()  # instance symmetry is tried silently
    assert counts(check(system, ON)) == counts(check(system, OFF)) == (4, 4, 2)


def test_undeclared_page_arrays_are_not_reduced(tmp_path):
    system = compile_text(tmp_path, """
        spec sym_undeclared
        page P[2] { n: 0..1 = 0 }
        daemon d { up: { choose p in P { p.n = 1 } } }
    """)
    assert not analyse(system).active
    assert check(system, ON).stats.states == 4


# ------------------------------------------------------------ canonical form

def test_matrix_and_tuple_canonical_forms_agree():
    system = compile_spec(POOL)
    sym = analyse(system)
    rng = np.random.default_rng(7)
    m = np.stack([rng.integers(0, 3, 500) for _ in system.vars]).astype(np.int64)
    cols = sym.canon_columns(m)
    for k in range(m.shape[1]):
        state = tuple(int(x) for x in m[:, k])
        assert tuple(int(x) for x in cols[:, k]) == sym.canon_state(state)
        assert sym.canon_state(sym.canon_state(state)) == sym.canon_state(state)


# ------------------------------------------------------------ every spec, random specs

@pytest.mark.parametrize("job", explicit_jobs(str(SPECS)), ids=job_id)
def test_specs_agree_with_and_without_symmetry(job):
    system = compile_spec(*job)
    off, on = check(system, OFF), check(system, ON)
    assert shape(on) == shape(off)
    assert on.stats.states <= off.stats.states
    assert on.stats.depth == off.stats.depth
    replays(system, on)


def _symmetric(seed: int) -> str:
    return generate(seed).replace("page P[2]", "symmetric page P[2]", 1)


@pytest.mark.parametrize("chunk", range(4))
def test_random_specs_agree(tmp_path, chunk):
    reduced = 0
    for seed in range(chunk * 60, chunk * 60 + 60):
        system = compile_text(tmp_path, _symmetric(seed))
        off, on = check(system, OFF), check(system, ON)
        assert shape(on) == shape(off), f"seed {seed}"
        assert on.stats.states <= off.stats.states, f"seed {seed}"
        replays(system, on)
        reduced += on.stats.states < off.stats.states
    assert reduced > 0  # the batch exercises the reduction


# ------------------------------------------------------------ command line

def test_cli_switch_and_notes(capsys):
    assert main(["check", POOL, "--no-time", "--no-symmetry", "--no-por"]) == 0
    out = capsys.readouterr().out
    assert "11,001 states" in out and "symmetry reduction" not in out
    assert main(["check", POOL, "--format", "json", "--no-time"]) == 0
    stats = json.loads(capsys.readouterr().out)["results"][0]["stats"]
    assert stats["states"] == 384
    assert stats["notes"] == [
        "symmetry reduction: page P (3 interchangeable), thread user (4 interchangeable)",
        "partial-order reduction off: it is not combined with symmetry reduction"]
