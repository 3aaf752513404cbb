"""The JSON result (schema `pinmc.result/1`, documented in docs/json.md)."""

from __future__ import annotations

from typing import Any

from pinmc import __version__
from pinmc.engines.base import Result, Verdict
from pinmc.ir.system import System
from pinmc.report.facts import step_facts, violation
from pinmc.report.values import state_json, value_json
from pinmc.source import Span

SCHEMA = "pinmc.result/1"


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
            "file": t.span.file.name if t.span else None, "line": f.line,
            "source": step_source(t.span, t.end_line) if t.span else None, "comment": f.comment, "fails": f.fails,
            "changes": {n: [a, b] for n, a, b in f.changes},
            "state": state_json(system, st.state) if st.state is not None else None,
        })
    bad = violation(system, v)
    return {
        "length": len(trace),
        "initial": state_json(system, trace.init),
        "steps": steps,
        "violation": None if bad is None else {
            "property": bad.prop, "text": bad.text, "values": dict(bad.values)},
    }


def step_source(span: Span, end_line: int | None) -> str:
    """The source text of a step declaration: its whole lines, from its
    label to the end of its body (lines as the parser counts them: a form
    feed or a lone carriage return does not end one)."""
    last = max(end_line or span.end_line, span.end_line)
    return "\n".join(span.file.line_text(k) for k in range(span.line, last + 1))


def result_json(system: System, result: Result, spec_file: str, proposal_file: str | None,
                timing: bool = True, state_graph: dict[str, Any] | None = None) -> dict[str, Any]:
    """One spec's result as a JSON-ready dict; `state_graph` (from
    `report.graph.build`) is included when given, else null."""
    s = result.stats
    expected = {e.prop: e for e in system.expectations}
    stats: dict[str, Any] = {"states": s.states, "transitions": s.transitions, "depth": s.depth,
                             "complete": s.complete, "limit": s.limit}
    if s.notes:
        stats["notes"] = list(s.notes)
    if timing:
        stats.update({"seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second),
                      "peak_bytes": s.peak_bytes})
    return {
        "spec": system.name, "description": system.description, "file": spec_file,
        "proposal": system.proposal, "proposal_file": proposal_file,
        "constants": dict(system.constants), "engine": result.engine, "stats": stats,
        "vars": [{"name": v.name, "group": v.group, "field": v.field, "type": str(v.ty),
                  "init": value_json(system, k, v.init)}
                 for k, v in enumerate(system.vars)],
        "properties": [{
            "name": v.prop, "kind": v.kind, "verdict": v.status, "engine": v.engine,
            "failed": v.failed, "expected": expected[v.prop].verdict if v.prop in expected else None,
            "expected_file": expected[v.prop].origin if v.prop in expected else None,
            "as_expected": None if v.prop not in expected else expected[v.prop].verdict == v.status,
            "location": location(system, v.prop),
            "note": v.note, "certificate": v.certificate,
            "trace": trace_json(system, v)} for v in result.verdicts],
        "state_graph": state_graph,
    }


def location(system: System, prop: str) -> dict[str, Any] | None:
    """Where a property is declared: an invariant, lemma or reachable
    property at its declaration, an assert property (`ACTOR.STEP`) at the
    step's first assert, `range` at the first range-checked update; None
    for `deadlock`, which no line declares."""
    span: Span | None = None
    for p in system.properties:
        if p.name == prop:
            span = p.span
    if span is None and prop != "deadlock":
        span = next((c.span for t in system.transitions for c in t.checks if c.prop == prop and c.span), None)
    if span is None:
        return None
    return {"file": span.file.name, "line": span.line, "column": span.column}


def document(results: list[dict[str, Any]], exit_code: int) -> dict[str, Any]:
    return {"schema": SCHEMA, "pinmc": __version__, "exit": exit_code, "results": results}
