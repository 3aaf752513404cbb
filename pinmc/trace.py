"""Traces: counterexamples and witnesses, rebuilt by replaying the system.

Engines report a trace as the list of (transition, parameter values) from
the initial state; `replay` re-executes it with the reference semantics
(`ir.eval`), so every trace shown is checked against the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinmc.ir.eval import State, evaluate, fire
from pinmc.ir.system import System


@dataclass(frozen=True, slots=True)
class Step:
    transition: int
    args: tuple[int, ...]
    state: State | None  # the state after the step; None when the step violates a check


@dataclass(frozen=True, slots=True)
class Trace:
    init: State
    steps: tuple[Step, ...]
    failed_check: str | None = None  # the property the last step violates, if any

    @property
    def final(self) -> State:
        """The last state reached (before a failing step)."""
        for step in reversed(self.steps):
            if step.state is not None:
                return step.state
        return self.init

    def __len__(self) -> int:
        return len(self.steps)


class ReplayError(AssertionError):
    """An engine produced a trace the reference semantics does not allow."""


def replay(system: System, moves: list[tuple[int, tuple[int, ...]]]) -> Trace:
    """Re-execute `moves` from the initial state; raises ReplayError if a
    step is not enabled, or a check fails before the last step."""
    state = system.init
    steps: list[Step] = []
    failed = None
    for n, (tid, args) in enumerate(moves):
        t = system.transitions[tid]
        prop, nxt = fire(t, state, args)
        if prop is not None:
            if n != len(moves) - 1:
                raise ReplayError(f"step {n + 1} ({t.name}) violates {prop} before the trace ends")
            steps.append(Step(tid, args, None))
            failed = prop
            break
        if nxt is None:
            raise ReplayError(f"step {n + 1} ({t.name}) is not enabled")
        steps.append(Step(tid, args, nxt))
        state = nxt
    return Trace(system.init, tuple(steps), failed)


def failing_check(system: System, trace: Trace) -> tuple[str, str] | None:
    """(property, message) of the check that the trace's last step violates."""
    if trace.failed_check is None or not trace.steps:
        return None
    last = trace.steps[-1]
    t = system.transitions[last.transition]
    before = trace.steps[-2].state if len(trace.steps) > 1 else trace.init
    assert before is not None
    env = {p.var.id: v for p, v in zip(t.params, last.args)}
    for check in t.checks:
        if evaluate(check.fail, before, env):
            return check.prop, check.message
    return None
