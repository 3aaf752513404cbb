"""The transition system: the boundary between front end and engines.

`lower` produces a `System`: state variables (slots) with their types and
initial values, one initial state, a list of deterministic `Transition`s
(each an enabled-when guard, parallel updates, and the checks an execution
must pass), and the properties.  Every engine works on this and nothing
else; the explicit engine compiles it to Python, the symbolic one to z3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinmc.ir.nodes import Expr, Var
from pinmc.ir.types import PcT, Type
from pinmc.source import Span


@dataclass(frozen=True, slots=True)
class StateVar:
    """One slot of the state vector, e.g. `X.refcount` or `dio.pc`."""

    name: str
    ty: Type  # the declared type (RangeT kept, for checks and widths)
    init: int
    group: str  # what it belongs to: a page (`X`, `P[1]`), `global`, or an actor instance
    field: str  # the field/local name within the group, or `pc`


@dataclass(frozen=True, slots=True)
class Check:
    """A condition under which executing a transition is a violation."""

    prop: str  # `ACTOR.STEP` for asserts, `range` for range violations
    fail: Expr  # over the pre-state and the transition's parameters
    message: str
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Param:
    """A `choose v in lo..hi` value: one transition per value."""

    var: Var
    lo: int
    hi: int


@dataclass(frozen=True, slots=True)
class Transition:
    """One way a step can execute, run atomically.

    Enabled in states where `guard` holds (for some parameter values);
    then, unless a check fails, the successor is the state with `updates`
    applied in parallel (all right-hand sides read the pre-state).
    """

    index: int
    actor: str  # the instance: `user[1]`
    actor_decl: str  # the declaration: `user`
    step: str
    branch: str  # which either/if branch, '' when the step has one path
    params: tuple[Param, ...]
    guard: Expr
    updates: tuple[tuple[int, Expr], ...]
    checks: tuple[Check, ...]
    span: Span | None = field(default=None, compare=False)
    comment: str | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)  # the last source line of the step

    @property
    def name(self) -> str:
        return f"{self.actor}.{self.step}"


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    kind: str  # "invariant" | "lemma" | "reachable"
    expr: Expr
    source: str  # the expression as written
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Expectation:
    prop: str
    verdict: str
    origin: str  # the file that states it
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Actor:
    """An actor instance; threads have a program-counter slot."""

    name: str
    decl: str
    kind: str
    pc_slot: int | None
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class System:
    name: str
    description: str | None
    proposal: str | None
    vars: tuple[StateVar, ...]
    init: tuple[int, ...]
    transitions: tuple[Transition, ...]
    properties: tuple[Property, ...]
    actors: tuple[Actor, ...]
    assert_props: tuple[str, ...]  # every ACTOR.STEP that contains an assert
    has_range_checks: bool
    allow_deadlock: bool
    expectations: tuple[Expectation, ...]
    constants: tuple[tuple[str, int], ...]
    files: tuple[str, ...]  # every file read: spec, proposal, used files
    symmetric: tuple[tuple[int, ...], ...] = ()  # groups of page slots, for later reductions

    def thread_pcs(self) -> list[tuple[int, int]]:
        """(pc slot, done value) of every thread instance."""
        out = []
        for a in self.actors:
            if a.pc_slot is not None:
                ty = self.vars[a.pc_slot].ty
                assert isinstance(ty, PcT)
                out.append((a.pc_slot, len(ty.labels)))
        return out

    def property_names(self) -> list[str]:
        """Every checked property, in report order."""
        names = [p.name for p in self.properties]
        names += list(self.assert_props)
        if self.has_range_checks:
            names.append("range")
        if not self.allow_deadlock:
            names.append("deadlock")
        return names
