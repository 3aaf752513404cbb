"""Elaborated statements: the body of a step after names are resolved,
types checked and calls inlined.  `lower` turns them into transitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from pinmc.ir.nodes import Expr, Var
from pinmc.source import Span


@dataclass(frozen=True, slots=True)
class SAssign:
    slot: int
    value: Expr  # already of the slot's value type
    bounds: tuple[int, int] | None  # a range slot: checked at the assignment
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SIf:
    cond: Expr
    then: tuple["SStmt", ...]
    else_: tuple["SStmt", ...]


@dataclass(frozen=True, slots=True)
class SEither:
    branches: tuple[tuple[str, tuple["SStmt", ...]], ...]  # (label, body)


@dataclass(frozen=True, slots=True)
class SChoose:
    var: Var
    lo: int
    hi: int
    body: tuple["SStmt", ...]


@dataclass(frozen=True, slots=True)
class SLet:
    var: Var
    value: Expr


@dataclass(frozen=True, slots=True)
class SAssert:
    cond: Expr
    prop: str
    message: str
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SGoto:
    """Finish the step; the thread's next step is `target` (len = done)."""

    target: int


SStmt = Union[SAssign, SIf, SEither, SChoose, SLet, SAssert, SGoto]


def has_split(stmts: tuple[SStmt, ...]) -> bool:
    """Whether a block contains either/choose/goto (forcing a path split)."""
    for s in stmts:
        if isinstance(s, (SEither, SChoose, SGoto)):
            return True
        if isinstance(s, SIf) and (has_split(s.then) or has_split(s.else_)):
            return True
    return False
