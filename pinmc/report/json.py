"""The JSON result (schema `pinmc.result/1`, documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from pinmc import __version__
from pinmc.engines.base import Result, Verdict
from pinmc.ir.system import System
from pinmc.ir.types import BoolT, EnumT, PcT
from pinmc.report.facts import step_facts, violation

SCHEMA = "pinmc.result/1"


def _value(system: System, slot: int, value: int) -> Any:
    t = system.vars[slot].ty
    if isinstance(t, BoolT):
        return bool(value)
    if isinstance(t, EnumT):
        return t.members[value]
    if isinstance(t, PcT):
        return t.show(value)
    return value


def _state(system: System, state: tuple[int, ...]) -> dict[str, Any]:
    return {v.name: _value(system, k, state[k]) for k, v in enumerate(system.vars)}


def trace_json(system: System, v: Verdict) -> dict[str, Any] | None:
    if v.trace is None:
        return None
    trace = v.trace
    steps = []
    for f, st in zip(step_facts(system, trace), trace.steps):
        t = system.transitions[st.transition]
        steps.append({
            "index": f.number, "move": f.move, "actor": f.actor, "actor_decl": t.actor_decl,
            "step": f.step, "branch": f.branch, "transition": st.transition,
            "args": {p.var.name: a for p, a in zip(t.params, st.args)},
            "line": f.line, "comment": f.comment, "fails": f.fails,
            "changes": {n: [a, b] for n, a, b in f.changes},
            "state": _state(system, st.state) if st.state is not None else None,
        })
    bad = violation(system, v)
    return {
        "length": len(trace),
        "initial": _state(system, trace.init),
        "steps": steps,
        "violation": None if bad is None else {
            "property": bad.prop, "text": bad.text, "values": dict(bad.values)},
    }


def result_json(system: System, result: Result, spec_file: str, proposal_file: str | None,
                timing: bool = True) -> dict[str, Any]:
    """One spec's result as a JSON-ready dict."""
    s = result.stats
    expected = {e.prop: e.verdict for e in system.expectations}
    stats: dict[str, Any] = {"states": s.states, "transitions": s.transitions, "depth": s.depth,
                             "complete": s.complete, "limit": s.limit}
    if timing:
        stats.update({"seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second),
                      "peak_bytes": s.peak_bytes})
    return {
        "spec": system.name, "description": system.description, "file": spec_file,
        "proposal": system.proposal, "proposal_file": proposal_file,
        "constants": dict(system.constants), "engine": result.engine, "stats": stats,
        "vars": [{"name": v.name, "type": str(v.ty), "init": _value(system, k, v.init)}
                 for k, v in enumerate(system.vars)],
        "properties": [{
            "name": v.prop, "kind": v.kind, "verdict": v.status, "engine": v.engine,
            "failed": v.failed, "expected": expected.get(v.prop),
            "as_expected": None if v.prop not in expected else expected[v.prop] == v.status,
            "note": v.note, "certificate": v.certificate,
            "trace": trace_json(system, v)} for v in result.verdicts],
    }


def document(results: list[dict[str, Any]], exit_code: int) -> dict[str, Any]:
    return {"schema": SCHEMA, "pinmc": __version__, "exit": exit_code, "results": results}
