"""`pinmc estimate`: how many states a search will store, and how deep it
will go, before running it.

Method: *exact searches of scaled-down instances, extrapolated.*

1. The search itself runs first, bounded to `samples` states.  If it
   completes, the answer is exact (method `exact`).
2. Otherwise the constants given with `-D` (the knobs that make kernel
   specs large: `-D GETS=600`) are scaled down together, keeping their
   ratios: by 1/2, 1/4, ... (each at least 1), and each scaled instance is
   searched exactly, again bounded to `samples` states.  The instances
   that complete give points (x, states) and (x, depth), x being the
   largest scaled constant.
3. Five growth models are fitted to the points: quadratic and cubic
   polynomials, a power law in x + 1, a power law in x, and an exponential.  Each is
   fitted without the largest point and scored by how well it predicts
   that point (the error of one doubling, in log terms).  The best is
   fitted to all the points and extrapolated to the real constants
   (method `scaling`).
4. The range: the best model's validation error plus 5%, per doubling of
   extrapolation, both ways; and never below the states the bounded real
   search already stored (a hard lower bound).

No randomness is involved: the same spec, constants and budget give the
same estimate.  When there is no `-D` constant to scale, or fewer than
three scaled instances complete, the only honest statement is the lower
bound (method `lower bound`): the states and depth the bounded search
reached.

How good it is: exact whenever the space fits in the budget; for state
counts polynomial in the constants (counters bounded by a constant, the
usual shape of these specs) the model fits the points exactly and the
estimate is within a few percent (tests/test_estimate.py checks pin_bias
and a thread pool against exact counts); for other shapes the validation
error widens the range accordingly.  It cannot see behaviour that only
appears at the real constants (a counter that wraps only there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.semantics.pipeline import compile_spec

MIN_POINTS = 3  # completed scaled instances needed to extrapolate
MAX_POINTS = 6  # scaled instances used at most (the largest that complete)
FLOOR = 0.05  # least log-error allowed per doubling of extrapolation


@dataclass(frozen=True)
class Trial:
    """One bounded exact search: its constants and what it found."""

    constants: tuple[tuple[str, int], ...]
    states: int
    depth: int
    complete: bool


@dataclass(frozen=True)
class Figure:
    """An estimated quantity: the value and a range that should hold it."""

    value: int
    low: int
    high: int


@dataclass(frozen=True)
class Estimate:
    spec: str  # the spec's name (with its proposal's)
    proposal: str | None  # the proposal file
    method: str  # exact | scaling | lower bound
    states: Figure
    depth: Figure
    trials: tuple[Trial, ...]  # the searches run, real constants first
    scaled: tuple[str, ...]  # the constants scaled
    models: tuple[str, str] | None  # (states model, depth model) chosen, with method scaling
    note: str = ""


# ------------------------------------------------------------ growth models

def _lstsq(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(a, y, rcond=None)[0]


def _fit(model: str, xs: np.ndarray, ys: np.ndarray):  # noqa: ANN202 - returns a predictor
    """A predictor x -> y fitted to the points, or None if the model cannot
    be fitted (too few points, non-positive values)."""
    if model == "power":
        c = _lstsq(np.stack([np.ones_like(xs), np.log(xs)], axis=1), np.log(ys))
        return lambda x: math.exp(c[0] + c[1] * math.log(x))
    if model == "power+1":
        c = _lstsq(np.stack([np.ones_like(xs), np.log(xs + 1)], axis=1), np.log(ys))
        return lambda x: math.exp(c[0] + c[1] * math.log(x + 1))
    if model in ("quadratic", "cubic"):
        degree = 2 if model == "quadratic" else 3
        if len(xs) < degree + 1:
            return None
        c = _lstsq(np.stack([xs ** k for k in range(degree + 1)], axis=1), ys)
        return lambda x: sum(c[k] * x ** k for k in range(degree + 1))
    if model == "exponential":
        c = _lstsq(np.stack([np.ones_like(xs), xs], axis=1), np.log(ys))
        return lambda x: math.exp(min(700.0, c[0] + c[1] * x))
    raise ValueError(model)


MODELS = ("quadratic", "cubic", "power+1", "power", "exponential")  # ties go to the earlier


def extrapolate(points: list[tuple[int, int]], target: int) -> tuple[Figure, str]:
    """The value at `target` from points (x, y) with x ascending (x, y >= 1),
    the model chosen by predicting the largest point from the others, and
    a range of (that error + FLOOR) per doubling from the largest x."""
    xs = np.array([float(x) for x, _ in points])
    ys = np.array([float(max(1, y)) for _, y in points])
    best, best_err = MODELS[0], math.inf
    for m in MODELS:
        f = _fit(m, xs[:-1], ys[:-1])
        if f is None:
            continue
        pred = f(xs[-1])
        err = abs(math.log(pred / ys[-1])) if pred > 0 else math.inf
        if err < best_err - 1e-9:
            best, best_err = m, err
    f = _fit(best, xs, ys)
    value = f(float(target)) if f is not None else math.nan
    if not math.isfinite(value) or value <= 0 or not math.isfinite(best_err):
        return Figure(int(ys[-1]), int(ys[-1]), int(ys[-1])), "none"
    doublings = max(1.0, math.log2(target / xs[-1]))
    spread = math.exp((best_err + FLOOR) * doublings)
    v = max(1, round(value))
    return Figure(v, max(1, math.floor(value / spread)), math.ceil(value * spread)), best


# ------------------------------------------------------------ the estimate

def _trial(spec: str, proposal: str | None, constants: dict[str, int], options: Options,
           samples: int) -> tuple[Trial, str]:
    """One exact search bounded to `samples` states, and the system's name."""
    system = compile_spec(spec, proposal, constants)
    r = check(system, replace(options, max_states=samples, max_depth=None, build_graph=False))
    name = system.name + (f" with proposal {system.proposal}" if system.proposal else "")
    return Trial(tuple(sorted(constants.items())), r.stats.states, r.stats.depth, r.stats.complete), name


def _scaled(defines: dict[str, int], factor: float) -> dict[str, int]:
    """The constants times `factor`, rounded, each at least 1; constants
    below 2 (flags, zero) are kept."""
    return {k: (max(1, round(v * factor)) if v >= 2 else v) for k, v in defines.items()}


def estimate(spec: str, proposal: str | None = None, defines: dict[str, int] | None = None,
             options: Options = Options(), samples: int = 100_000) -> Estimate:
    """Estimate the states and depth of `pinmc check` on the spec with these
    constants and options (reductions included), running bounded exact
    searches of at most `samples` states each (see the module docstring).
    Raises SpecError or EngineError as `check` would."""
    defines = dict(defines or {})
    real, name = _trial(spec, proposal, defines, options, samples)
    trials = [real]
    if real.complete:
        return Estimate(name, proposal, "exact", Figure(real.states, real.states, real.states),
                        Figure(real.depth, real.depth, real.depth), tuple(trials), (), None)
    knobs = tuple(sorted(k for k, v in defines.items() if v >= 2))
    points: list[Trial] = []
    factor = 1.0
    seen = {real.constants}
    while knobs and len(points) < MAX_POINTS:
        factor /= 2
        constants = _scaled(defines, factor)
        smallest = all(constants[k] <= 1 for k in knobs)
        if tuple(sorted(constants.items())) not in seen:
            seen.add(tuple(sorted(constants.items())))
            t, _ = _trial(spec, proposal, constants, options, samples)
            trials.append(t)
            if t.complete:
                points.append(t)
        if smallest:
            break
    lower = Figure(real.states, real.states, real.states)
    if len(points) < MIN_POINTS:
        why = ("no -D constant to scale" if not knobs else
               f"only {len(points)} scaled instance(s) fit in {samples:,} states")
        return Estimate(name, proposal, "lower bound", lower, Figure(real.depth, real.depth, real.depth),
                        tuple(trials), knobs, None, why)
    key = max(knobs, key=lambda k: defines[k])  # the x axis: the largest constant
    by_x = sorted({dict(t.constants)[key]: t for t in points}.items())
    states, sm = extrapolate([(x, t.states) for x, t in by_x], defines[key])
    depth, dm = extrapolate([(x, t.depth) for x, t in by_x], defines[key])
    states = Figure(max(states.value, real.states), max(states.low, real.states), max(states.high, real.states))
    depth = Figure(max(depth.value, real.depth), max(depth.low, real.depth), max(depth.high, real.depth))
    return Estimate(name, proposal, "scaling", states, depth, tuple(trials), knobs, (sm, dm))
