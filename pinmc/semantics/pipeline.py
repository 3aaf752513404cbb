"""The front end in one call: text to transition system."""

from __future__ import annotations

from pinmc.ir.system import System
from pinmc.semantics.elaborate import elaborate
from pinmc.semantics.load import load
from pinmc.semantics.lower import lower


def compile_spec(spec: str, proposal: str | None = None, defines: dict[str, int] | None = None,
                 extra: str | None = None) -> System:
    """Parse, check, elaborate and lower `spec` (with `proposal` applied,
    and the lemmas of the headerless file `extra` added, e.g. a certificate).

    Raises SpecError with located diagnostics on any user error.
    """
    return lower(elaborate(load(spec, proposal, extra), defines))
