"""The syntax tree of a spec or proposal file: immutable, with spans.

Nodes are frozen dataclasses; `span` is keyword-only and excluded from
equality, so trees built from differently laid-out text compare equal.
Declarations carry the span of their name, expressions and statements the
span of their whole text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from pinmc.source import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False, kw_only=True)  # type: ignore[return-value]


# ----------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class NameRef:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SelfRef:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Member:
    obj: "Expr"
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Index:
    obj: "Expr"
    index: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class At:
    """`A@L`: actor A's next step is L."""

    actor: "Expr"
    label: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Done:
    actor: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`f(args)`: a fn or rule call, or a cast such as `u32(e)`."""

    name: str
    args: tuple["Expr", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    arg: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # and or => <=> == != < <= > >= + - * / %
    left: "Expr"
    right: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RangeDomain:
    lo: "Expr"
    hi: "Expr"
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class SetDomain:
    """A page array (`P`) as the domain of a quantifier or `choose`."""

    name: str
    span: Span | None = _span()


Domain = Union[RangeDomain, SetDomain]


@dataclass(frozen=True, slots=True)
class Quant:
    kind: str  # "forall" | "exists"
    var: str
    domain: Domain
    body: "Expr"
    span: Span | None = _span()


Expr = Union[IntLit, BoolLit, NameRef, SelfRef, Member, Index, At, Done, Call,
             Unary, Binary, Ite, Quant]


# ----------------------------------------------------------------------- types
@dataclass(frozen=True, slots=True)
class NamedType:
    name: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class RangeType:
    lo: Expr
    hi: Expr
    span: Span | None = _span()


TypeExpr = Union[NamedType, RangeType]


# ------------------------------------------------------------------ statements
@dataclass(frozen=True, slots=True)
class Assign:
    target: Expr
    op: str  # "=" | "+=" | "-="
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[tuple[Expr, tuple["Stmt", ...]], ...]
    else_body: tuple["Stmt", ...] | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Either:
    branches: tuple[tuple["Stmt", ...], ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Choose:
    var: str
    domain: Domain
    body: tuple["Stmt", ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Assert:
    cond: Expr
    message: str | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Goto:
    label: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class End:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Skip:
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class CallStmt:
    name: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


Stmt = Union[Assign, If, Either, Choose, Assert, Goto, End, Skip, CallStmt]


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True, slots=True)
class Use:
    path: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Const:
    name: str
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class EnumDecl:
    name: str
    members: tuple[str, ...]
    member_spans: tuple[Span | None, ...] = field(default=(), compare=False, repr=False)
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: str
    type: TypeExpr
    init: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class FieldInit:
    """`name = value` in a page of a struct type: a new initial value."""

    name: str
    value: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class StructDecl:
    """`struct NAME { fields }`: the fields of a kind of page (a folio)."""

    name: str
    fields: tuple[FieldDecl, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class PageDecl:
    name: str
    size: Expr | None  # None: a single page; else an array
    symmetric: bool
    fields: tuple[FieldDecl, ...]  # after expansion: the struct's fields, then its own
    struct: str | None = None  # `page X: folio { ... }`: the struct it instantiates
    inits: tuple[FieldInit, ...] = ()  # new initial values for the struct's fields
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: str
    type: TypeExpr
    init: Expr | None
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeExpr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class FnDecl:
    """`fn`, or a `rule` with an expression body (is_rule)."""

    name: str
    params: tuple[Param, ...]
    ret: TypeExpr
    body: Expr
    is_rule: bool = False
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ProcDecl:
    """`proc`, or a `rule` with a statement body (is_rule)."""

    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    is_rule: bool = False
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class StepDecl:
    label: str
    guard: Expr | None
    body: tuple[Stmt, ...]
    comment: str | None = field(default=None, compare=False)
    end_line: int | None = field(default=None, compare=False)  # the last line of the step's body
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ActorDecl:
    kind: str  # "thread" | "daemon"
    name: str
    count: Expr | None
    locals: tuple[VarDecl, ...]
    steps: tuple[StepDecl, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class TemplateDecl:
    """`template thread NAME(params) { locals steps }`: an actor with parameters."""

    kind: str  # "thread" | "daemon"
    name: str
    params: tuple[Param, ...]
    locals: tuple[VarDecl, ...]
    steps: tuple[StepDecl, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class InstanceDecl:
    """`thread NAME[count] = TEMPLATE(args)`: an actor made from a template."""

    kind: str
    name: str
    count: Expr | None
    template: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class PropertyDecl:
    kind: str  # "invariant" | "lemma" | "reachable"
    name: str
    expr: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ExpectDecl:
    spec: str | None  # proposals name the spec: `expect SPEC: PROP VERDICT`
    prop: str
    verdict: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class AllowDecl:
    what: str
    span: Span | None = _span()


Decl = Union[Use, Const, EnumDecl, StructDecl, PageDecl, VarDecl, FnDecl, ProcDecl, ActorDecl,
             TemplateDecl, InstanceDecl, PropertyDecl, ExpectDecl, AllowDecl]


@dataclass(frozen=True, slots=True)
class File:
    """One parsed `.pin` file: a spec or a proposal."""

    kind: str  # "spec" | "proposal"
    name: str
    description: str | None
    targets: tuple[str, ...]  # proposals: the specs named after `for`
    items: tuple[Decl, ...]
    path: str = field(default="", compare=False)
    span: Span | None = _span()
