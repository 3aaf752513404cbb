"""The output of `pinmc estimate`: text lines and the `pinmc.estimate/1`
JSON form of an `Estimate` (docs/cli.md)."""

from __future__ import annotations

from typing import Any

from pinmc.engines.explicit.estimate import Estimate, Figure

def growth(model: str, x: str) -> str:
    """How a model names the growth in constant x: `as a quadratic in GETS`."""
    return {"quadratic": f"as a quadratic in {x}", "cubic": f"as a cubic in {x}",
            "power": f"as a power of {x}", "power+1": f"as a power of {x} + 1",
            "exponential": f"exponentially in {x}"}.get(model, "in no way a model fits")


def _constants(c: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sorted(dict(c).items()))


def _figure(f: Figure) -> str:
    if f.low == f.high:
        return f"{f.value:,}"
    return f"about {f.value:,} (between {f.low:,} and {f.high:,})"


def estimate_text(e: Estimate, defines: dict[str, int], samples: int) -> str:
    """The text report of one estimate."""
    head = f"spec {e.spec}" + (f" ({_constants(defines)})" if defines else "")
    real = e.trials[0]
    if e.method == "exact":
        lines = [f"{head}: exact, the search completed within {samples:,} states",
                 f"  states: {e.states.value:,}", f"  depth:  {e.depth.value:,}"]
    elif e.method == "scaling":
        done = [t for t in e.trials[1:] if t.complete]
        key = max(e.scaled, key=lambda k: defines[k])
        xs = ", ".join(str(dict(t.constants)[key]) for t in sorted(done, key=lambda t: dict(t.constants)[key]))
        sm, dm = e.models or ("none", "none")
        lines = [f"{head}: estimated by scaling {', '.join(e.scaled)} down",
                 f"  states: {_figure(e.states)}",
                 f"  depth:  {_figure(e.depth)}",
                 f"  from exact searches at {key} = {xs}: states grow {growth(sm, key)}, depth {growth(dm, key)}",
                 f"  the search itself stopped at {real.states:,} states, {real.depth} levels deep "
                 f"(budget {samples:,})",
                 f"  for a CI bound: --max-states {e.states.high}"]
    else:
        lines = [f"{head}: at least {real.states:,} states and {real.depth} levels "
                 f"(the search stopped at its budget of {samples:,} states)",
                 f"  no estimate beyond that: {e.note}; raise --samples, or give the constants "
                 "that size the spec with -D"]
    return "\n".join(lines) + "\n"


def estimate_json(e: Estimate, defines: dict[str, int]) -> dict[str, Any]:
    """One estimate as a JSON-ready dict."""
    def fig(f: Figure) -> dict[str, int]:
        return {"value": f.value, "low": f.low, "high": f.high}

    return {
        "spec": e.spec, "proposal_file": e.proposal, "constants": dict(sorted(defines.items())),
        "method": e.method, "states": fig(e.states), "depth": fig(e.depth),
        "scaled": list(e.scaled), "models": None if e.models is None else {"states": e.models[0], "depth": e.models[1]},
        "trials": [{"constants": dict(t.constants), "states": t.states, "depth": t.depth, "complete": t.complete}
                   for t in e.trials],
        "note": e.note,
    }
