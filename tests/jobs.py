"""Which specs of specs/ each engine can decide (shared by the tests)."""

from __future__ import annotations

from functools import lru_cache

from pinmc.engines.base import EngineError
from pinmc.engines.explicit.codegen import compile_system
from pinmc.semantics.pipeline import compile_spec


@lru_cache(maxsize=None)
def explicit_ok(spec: str, proposal: str | None = None) -> bool:
    """False for specs the explicit engine refuses (a choose too wide to
    enumerate, like specs/pin_bias_bulk.pin); those are the prover's."""
    try:
        compile_system(compile_spec(spec, proposal))
    except EngineError:
        return False
    return True


def explicit_jobs(specs: str) -> list[tuple[str, str | None]]:
    """Every (spec, proposal) job under `specs` that the explicit engine
    can check, in `pinmc test` order."""
    from pinmc.suite import discover, plan

    errors: list[object] = []
    jobs = plan(discover([specs]), errors)  # type: ignore[arg-type]
    assert not errors
    return [(j.spec_path, j.proposal_path) for j in jobs if explicit_ok(j.spec_path, j.proposal_path)]
