"""Facts about a trace that every rendering shows the same way: which
fields each step changed, and the values that break the property."""

from __future__ import annotations

from dataclasses import dataclass

from pinmc.engines.base import Verdict
from pinmc.ir.nodes import slots_of
from pinmc.ir.system import System
from pinmc.ir.types import show_value
from pinmc.trace import Trace, failing_check


@dataclass(frozen=True)
class StepFacts:
    number: int
    move: str  # actor.step
    actor: str
    step: str
    branch: str  # either branch / choose values, '' if none
    changes: tuple[tuple[str, str, str], ...]  # (var, before, after)
    line: int | None
    comment: str | None
    fails: bool  # this step violates a check


@dataclass(frozen=True)
class Violation:
    prop: str
    text: str  # the expression or assert message
    values: tuple[tuple[str, str], ...]  # (var, value) the expression reads


def show(system: System, slot: int, value: int) -> str:
    return show_value(system.vars[slot].ty, value)


def initial_values(system: System) -> list[tuple[str, str]]:
    return [(v.name, show(system, k, system.init[k])) for k, v in enumerate(system.vars)]


def step_facts(system: System, trace: Trace) -> list[StepFacts]:
    out = []
    before = trace.init
    for n, st in enumerate(trace.steps, 1):
        t = system.transitions[st.transition]
        values = [f"{p.var.name} = {a}" for p, a in zip(t.params, st.args)]
        branch = ", ".join(x for x in [t.branch, *values] if x)
        changes: list[tuple[str, str, str]] = []
        if st.state is not None:
            for k, (a, b) in enumerate(zip(before, st.state)):
                if a != b and system.vars[k].field != "pc":
                    changes.append((system.vars[k].name, show(system, k, a), show(system, k, b)))
        out.append(StepFacts(n, t.name, t.actor, t.step, branch, tuple(changes),
                             t.span.line if t.span else None, t.comment, st.state is None))
        if st.state is not None:
            before = st.state
    return out


def violation(system: System, verdict: Verdict) -> Violation | None:
    """What breaks the property at the end of the verdict's trace."""
    trace = verdict.trace
    if trace is None:
        return None
    if trace.failed_check is not None:
        found = failing_check(system, trace)
        if found is None:
            return None
        prop, message = found
        last = trace.steps[-1]
        t = system.transitions[last.transition]
        before = trace.steps[-2].state if len(trace.steps) > 1 else trace.init
        assert before is not None
        slots: set[int] = set()
        for c in t.checks:
            if c.prop == prop:
                slots_of(c.fail, slots)
        return Violation(prop, message, tuple((system.vars[s].name, show(system, s, before[s]))
                                              for s in sorted(slots) if system.vars[s].field != "pc"))
    if verdict.kind == "deadlock":
        state = trace.final
        waiting = [f"{a.name}@{system.vars[a.pc_slot].ty.show(state[a.pc_slot])}"  # type: ignore[union-attr]
                   for a in system.actors if a.pc_slot is not None
                   and state[a.pc_slot] < len(a.steps)]
        return Violation("deadlock", "no step of any actor is enabled", tuple((w, "waiting") for w in waiting))
    prop = next(p for p in system.properties if p.name == verdict.prop)
    state = trace.final
    slots = sorted(slots_of(prop.expr))
    return Violation(prop.name, prop.source, tuple((system.vars[s].name, show(system, s, state[s]))
                                                   for s in slots))
