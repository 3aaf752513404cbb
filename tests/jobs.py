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
