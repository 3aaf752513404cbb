"""The reference semantics: a plain interpreter of IR over state tuples.

Slow and obviously right.  Trace replay and the tests use it; the explicit
engine's generated code must agree with it (a test checks that).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

from pinmc.ir.nodes import Bin, Cast, Expr, Ite, Lit, Quant, Slot, Un, Var
from pinmc.ir.system import System, Transition
from pinmc.ir.types import MachT, c_div, c_mod

State = tuple[int, ...]


def evaluate(e: Expr, state: State, env: Mapping[int, int] | None = None) -> int:
    """The value of `e` in `state`, with bound variables from `env`."""
    env = env or {}
    if isinstance(e, Lit):
        return e.value
    if isinstance(e, Slot):
        return state[e.index]
    if isinstance(e, Var):
        return env[e.id]
    if isinstance(e, Un):
        v = evaluate(e.arg, state, env)
        if e.op == "not":
            return 0 if v else 1
        return _fit(e.ty, -v)
    if isinstance(e, Bin):
        return _binary(e, state, env)
    if isinstance(e, Ite):
        c = evaluate(e.cond, state, env)
        return evaluate(e.then if c else e.else_, state, env)
    if isinstance(e, Cast):
        return _fit(e.ty, evaluate(e.arg, state, env))
    if isinstance(e, Quant):
        inner = dict(env)
        results = []
        for v in range(e.lo, e.hi + 1):
            inner[e.var.id] = v
            results.append(evaluate(e.body, state, inner))
            if e.kind == "forall" and not results[-1]:
                return 0
            if e.kind == "exists" and results[-1]:
                return 1
        return 1 if e.kind == "forall" else 0
    raise TypeError(f"not an IR expression: {e!r}")


def _fit(ty: object, v: int) -> int:
    return ty.wrap(v) if isinstance(ty, MachT) else v


def _binary(e: Bin, state: State, env: Mapping[int, int]) -> int:
    op = e.op
    a = evaluate(e.left, state, env)
    if op == "and":
        return 1 if a and evaluate(e.right, state, env) else 0
    if op == "or":
        return 1 if a or evaluate(e.right, state, env) else 0
    if op == "=>":
        return 1 if (not a) or evaluate(e.right, state, env) else 0
    b = evaluate(e.right, state, env)
    if op == "<=>":
        return 1 if bool(a) == bool(b) else 0
    cmp = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}
    if op in cmp:
        return 1 if cmp[op] else 0
    if op == "+":
        r = a + b
    elif op == "-":
        r = a - b
    elif op == "*":
        r = a * b
    elif op == "/":
        r = c_div(a, b)
    elif op == "%":
        r = c_mod(a, b)
    else:
        raise ValueError(f"unknown operator {op}")
    return _fit(e.ty, r)


def param_values(t: Transition) -> Iterator[tuple[int, ...]]:
    """Every combination of the transition's choose parameters, in order."""
    return itertools.product(*(range(p.lo, p.hi + 1) for p in t.params))


def fire(t: Transition, state: State, args: tuple[int, ...]) -> tuple[str | None, State | None]:
    """Execute `t` with parameter values `args` in `state`.

    Returns (None, None) if the guard is false, (prop, None) if a check
    fails (prop is the violated property), else (None, successor).
    """
    env = {p.var.id: v for p, v in zip(t.params, args)}
    if not evaluate(t.guard, state, env):
        return None, None
    for check in t.checks:
        if evaluate(check.fail, state, env):
            return check.prop, None
    nxt = list(state)
    for slot, expr in t.updates:
        nxt[slot] = evaluate(expr, state, env)
    return None, tuple(nxt)


def successors(system: System, state: State) -> Iterator[tuple[int, tuple[int, ...], str | None, State | None]]:
    """Every enabled (transition, args) in `state` with its outcome, in the
    canonical order (transition index, then parameter values)."""
    for t in system.transitions:
        for args in param_values(t):
            prop, nxt = fire(t, state, args)
            if prop is not None or nxt is not None:
                yield t.index, args, prop, nxt
