"""Refusals: what an export target cannot express, as located PIN420 errors.

An exporter never writes a model that could give a different answer from
pinmc's; where the target cannot hold a value or an operation exactly, it
raises the `SpecError` built here (the CLI prints it and exits 2).
"""

from __future__ import annotations

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.ir import nodes as ir
from pinmc.ir.system import System
from pinmc.source import Span

CODE = "PIN420"


def refusal(target: str, message: str, span: Span | None) -> SpecError:
    """The error for a spec that `target` (`Promela`, `TLA+`) cannot express."""
    return SpecError([Diagnostic(CODE, f"cannot export to {target}: {message}", span)])


def slot_span(system: System, slot: int) -> Span | None:
    """Where the state variable `slot` is first used: the first step that
    reads or writes it, else the first property that reads it, else the
    first located item of the spec (state variables carry no span)."""
    for t in system.transitions:
        exprs = [t.guard, *(c.fail for c in t.checks), *(e for _, e in t.updates)]
        if any(s == slot for s, _ in t.updates) or any(slot in ir.slots_of(e) for e in exprs):
            return t.span
    for p in system.properties:
        if slot in ir.slots_of(p.expr):
            return p.span
    spans = [t.span for t in system.transitions] + [p.span for p in system.properties]
    return next((s for s in spans if s is not None), None)
