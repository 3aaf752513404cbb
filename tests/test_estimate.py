"""`pinmc estimate` against exact counts: exact when the search fits the
budget, within its stated range when it extrapolates scaled-down
constants, and only a lower bound when there is nothing to scale."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobs import counts, explicit_jobs, job_id
from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.estimate import Figure, estimate, extrapolate
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent

POOL = """\
    spec pool "N users pin a page, work on it and unpin it"
    const N = 3
    const BIAS = 1024
    page X {
        refcount: i32 = 1
        pins: u32 = 0
    }
    thread user[N] {
        pin: { X.refcount += BIAS; X.pins += 1 }
        work: { skip }
        unpin: { X.refcount -= BIAS; X.pins -= 1 }
    }
    invariant counted: X.pins > 0 => X.refcount >= BIAS
"""


@pytest.fixture
def pool(tmp_path: Path) -> str:
    path = tmp_path / "pool.pin"
    path.write_text(textwrap.dedent(POOL))
    return str(path)


def within(f: Figure, exact: int) -> bool:
    return f.low <= exact <= f.high


# ------------------------------------------------------------ extrapolation

def test_a_quadratic_is_found_and_extrapolated_exactly() -> None:
    f, model = extrapolate([(x, 9 * (x + 1) ** 2) for x in (4, 9, 19, 38, 75)], 600)
    assert model == "quadratic" and f.value == 9 * 601 ** 2
    assert f.low < f.value < f.high and f.high / f.value == pytest.approx(math.exp(0.05 * 3), rel=1e-3)


def test_an_exponential_is_found() -> None:
    f, model = extrapolate([(x, 4 ** x) for x in (1, 2, 3, 6)], 12)
    assert model == "exponential" and f.value == 4 ** 12


def test_a_cubic_is_found() -> None:
    f, model = extrapolate([(x, math.comb(x + 3, 3)) for x in (1, 2, 5, 10, 20)], 40)
    assert model == "cubic" and f.value == math.comb(43, 3)


def test_a_poor_fit_widens_the_range() -> None:
    """Points no model predicts well (a step): the range is wide."""
    points = [(1, 10), (2, 11), (4, 12), (8, 400)]
    f, _ = extrapolate(points, 64)
    assert f.high / f.low > 100


# ------------------------------------------------------------ against exact counts

@pytest.mark.parametrize("job", explicit_jobs("specs"), ids=job_id)
def test_exact_when_the_search_fits(job: tuple[str, str | None]) -> None:
    e = estimate(*job)
    states, _, depth = counts(check(compile_spec(*job)))
    assert e.method == "exact"
    assert e.states == Figure(states, states, states) and e.depth == Figure(depth, depth, depth)


@pytest.mark.parametrize("gets, samples", [(200, 10_000), (350, 20_000)])
def test_pin_bias_scaled(gets: int, samples: int) -> None:
    """pin_bias's states grow as a quadratic in GETS: found from GETS = 2
    .. 50 (or .. 87), the estimate is exact, and the range holds it."""
    exact = check(compile_spec("specs/pin_bias.pin", None, {"GETS": gets}))
    e = estimate("specs/pin_bias.pin", None, {"GETS": gets}, Options(), samples)
    assert e.method == "scaling" and e.scaled == ("GETS",) and e.models == ("quadratic", "quadratic")
    assert within(e.states, exact.stats.states) and within(e.depth, exact.stats.depth)
    assert e.states.value == exact.stats.states and e.depth.value == exact.stats.depth
    assert e.states.high < 1.25 * exact.stats.states
    assert not e.trials[0].complete and samples <= e.trials[0].states < exact.stats.states


def test_pin_bias_two_constants() -> None:
    """GETS and PINS scaled together: rounding PINS (6, 3, 2, 1) bends the
    points, the validation error shows it, and the range still holds."""
    exact = check(compile_spec("specs/pin_bias.pin", None, {"GETS": 300, "PINS": 6}))
    e = estimate("specs/pin_bias.pin", None, {"GETS": 300, "PINS": 6}, Options(), 20_000)
    assert e.method == "scaling" and e.scaled == ("GETS", "PINS")
    assert within(e.states, exact.stats.states) and within(e.depth, exact.stats.depth)
    assert e.states.high / e.states.low > 4  # honest about the bend


def test_a_pool_with_symmetry(pool: str) -> None:
    """40 interchangeable threads: C(N + 3, 3) states under symmetry."""
    exact = check(compile_spec(pool, None, {"N": 40}))
    assert exact.stats.states == math.comb(43, 3)
    e = estimate(pool, None, {"N": 40}, Options(), 2000)
    assert e.models == ("cubic", "quadratic")
    assert e.states.value == exact.stats.states and within(e.states, exact.stats.states)
    assert e.depth.value == exact.stats.depth == 120


def test_a_pool_without_reductions(pool: str) -> None:
    """12 threads unreduced: 4^12 states (4^N checked for N = 1..7), too
    many to count here; the estimate finds the exponential."""
    for n in range(1, 8):
        assert check(compile_spec(pool, None, {"N": n}), Options(por=False, symmetry=False)).stats.states == 4 ** n
    e = estimate(pool, None, {"N": 12}, Options(por=False, symmetry=False), 20_000)
    assert e.models is not None and e.models[0] == "exponential"
    assert e.states.value == 4 ** 12 and within(e.states, 4 ** 12) and within(e.depth, 36)


def test_only_a_lower_bound_without_constants() -> None:
    exact = check(compile_spec("specs/nic_hugepage_ref.pin"))
    e = estimate("specs/nic_hugepage_ref.pin", None, None, Options(), 1000)
    assert e.method == "lower bound" and e.note == "no -D constant to scale" and e.models is None
    assert 1000 <= e.states.value == e.states.high < exact.stats.states
    assert e.depth.value < exact.stats.depth


def test_deterministic() -> None:
    a = estimate("specs/pin_bias.pin", None, {"GETS": 100}, Options(), 5000)
    b = estimate("specs/pin_bias.pin", None, {"GETS": 100}, Options(), 5000)
    assert a == b


# ------------------------------------------------------------ the command line

def pinmc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_scaling() -> None:
    r = pinmc("estimate", "specs/pin_bias.pin", "-D", "GETS=200", "--samples", "10000")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "spec pin_bias (GETS = 200): estimated by scaling GETS down\n"
        "  states: about 121,806 (between 110,214 and 134,617)\n"
        "  depth:  about 404 (between 365 and 447)\n"
        "  from exact searches at GETS = 2, 3, 6, 12, 25, 50: states grow as a quadratic in GETS, "
        "depth as a quadratic in GETS\n"
        "  the search itself stopped at 10,088 states, 82 levels deep (budget 10,000)\n"
        "  for a CI bound: --max-states 134617\n")


def test_cli_exact_and_lower_bound() -> None:
    r = pinmc("estimate", "specs/lpc2018_writeback.pin", "specs/nic_hugepage_ref.pin", "--samples", "1000")
    assert r.returncode == 3, r.stderr  # a lower bound is inconclusive
    assert r.stdout.startswith(
        "spec lpc2018_writeback: exact, the search completed within 1,000 states\n"
        "  states: 9\n  depth:  3\n\n"
        "spec nic_hugepage_ref: at least ")
    assert "no estimate beyond that: no -D constant to scale; raise --samples" in r.stdout


def test_cli_json() -> None:
    r = pinmc("estimate", "specs/pin_bias.pin", "-D", "GETS=200", "--samples", "10000", "--format", "json")
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["schema"] == "pinmc.estimate/1" and doc["exit"] == 0
    (res,) = doc["results"]
    assert res["method"] == "scaling" and res["constants"] == {"GETS": 200}
    assert res["states"] == {"value": 121806, "low": 110214, "high": 134617}
    assert res["models"] == {"states": "quadratic", "depth": "quadratic"}
    assert [t["constants"]["GETS"] for t in res["trials"]] == [200, 100, 50, 25, 12, 6, 3, 2]
    assert [t["complete"] for t in res["trials"]] == [False, False, True, True, True, True, True, True]
