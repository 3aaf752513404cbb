"""The front end in one call: text to transition system."""

from __future__ import annotations

from pinmc.ir.system import System
from pinmc.semantics.elaborate import elaborate
from pinmc.semantics.load import load
from pinmc.semantics.lower import lower


def compile_spec(spec: str, proposal: str | None = None, defines: dict[str, int] | None = None) -> System:
    """Parse, check, elaborate and lower `spec` (with `proposal` applied).

    Raises SpecError with located diagnostics on any user error.
    """
    return lower(elaborate(load(spec, proposal), defines))
