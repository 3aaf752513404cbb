"""Typed IR expressions over the state slots of a transition system.

Expressions are pure and fully resolved: a `Slot` reads a state variable,
a `Var` a bound variable (a `choose` parameter of a transition or a
quantified variable).  Every node carries its type; arithmetic nodes of a
machine type wrap, those of `IntT` are exact.  Operands of an arithmetic
node always have the node's type (elaboration inserts `Cast`s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union

from pinmc.ir.types import BOOL, Type


@dataclass(frozen=True, slots=True)
class Lit:
    value: int
    ty: Type


@dataclass(frozen=True, slots=True)
class Slot:
    index: int
    ty: Type


@dataclass(frozen=True, slots=True)
class Var:
    id: int
    name: str
    ty: Type


@dataclass(frozen=True, slots=True)
class Un:
    op: str  # "not" | "neg"
    arg: "Expr"
    ty: Type


@dataclass(frozen=True, slots=True)
class Bin:
    op: str  # and or => <=> == != < <= > >= + - * / %
    left: "Expr"
    right: "Expr"
    ty: Type


@dataclass(frozen=True, slots=True)
class Ite:
    cond: "Expr"
    then: "Expr"
    else_: "Expr"
    ty: Type


@dataclass(frozen=True, slots=True)
class Cast:
    """Convert an integer to `ty`: a machine type wraps, `IntT` keeps it."""

    arg: "Expr"
    ty: Type


@dataclass(frozen=True, slots=True)
class Quant:
    """forall/exists over the integers lo..hi (constant bounds)."""

    kind: str
    var: Var
    lo: int
    hi: int
    body: "Expr"
    ty: Type = BOOL


Expr = Union[Lit, Slot, Var, Un, Bin, Ite, Cast, Quant]

TRUE = Lit(1, BOOL)
FALSE = Lit(0, BOOL)
BOOL_OPS = frozenset({"and", "or", "=>", "<=>"})
CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
ARITH_OPS = frozenset({"+", "-", "*", "/", "%"})


def conj(*parts: Expr) -> Expr:
    """The conjunction of `parts`, folding literal true/false."""
    out: list[Expr] = []
    for p in parts:
        if isinstance(p, Lit):
            if not p.value:
                return FALSE
            continue
        out.append(p)
    if not out:
        return TRUE
    acc = out[0]
    for p in out[1:]:
        acc = Bin("and", acc, p, BOOL)
    return acc


def disj(*parts: Expr) -> Expr:
    """The disjunction of `parts`, folding literal true/false."""
    out: list[Expr] = []
    for p in parts:
        if isinstance(p, Lit):
            if p.value:
                return TRUE
            continue
        out.append(p)
    if not out:
        return FALSE
    acc = out[0]
    for p in out[1:]:
        acc = Bin("or", acc, p, BOOL)
    return acc


def negate(e: Expr) -> Expr:
    if isinstance(e, Lit):
        return FALSE if e.value else TRUE
    if isinstance(e, Un) and e.op == "not":
        return e.arg
    return Un("not", e, BOOL)


def ite(c: Expr, a: Expr, b: Expr) -> Expr:
    if isinstance(c, Lit):
        return a if c.value else b
    if a == b:
        return a
    return Ite(c, a, b, a.ty)


def children(e: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `e`."""
    if isinstance(e, (Un, Cast)):
        return (e.arg,)
    if isinstance(e, Bin):
        return (e.left, e.right)
    if isinstance(e, Ite):
        return (e.cond, e.then, e.else_)
    if isinstance(e, Quant):
        return (e.body,)
    return ()


def walk(e: Expr) -> Iterator[Expr]:
    """`e` and all its sub-expressions (shared ones once per path)."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(children(n))


def slots_of(e: Expr, acc: set[int] | None = None) -> set[int]:
    """The state slots an expression reads."""
    acc = set() if acc is None else acc
    acc.update(n.index for n in walk(e) if isinstance(n, Slot))
    return acc


def var_ids(e: Expr) -> set[int]:
    """The bound variables an expression reads (including quantified ones)."""
    return {n.id for n in walk(e) if isinstance(n, Var)}
