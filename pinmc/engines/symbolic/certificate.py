"""Certificates: inductive invariants, re-checked and printed as pinmc.

`certify` checks, with a fresh solver, the three facts that make a
formula I over the state a proof of a goal: init implies I; I (in a state
of the right types) is preserved by every move; I excludes the bad states.
`to_pinmc` prints I in pinmc syntax, so a later run can parse and
re-check it (`pinmc prove --certificate FILE`).
"""

from __future__ import annotations

import time
from typing import Any

import z3

from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.ir.system import System
from pinmc.ir.types import EnumT, MachT, PcT


OUT_OF_RESOURCES = "z3's resource limit"  # how `check` starts its reason when the resource limit ran out


def _rlimit_count(solver: Any) -> int:
    """z3's resource counter (one per context, counting up)."""
    st = solver.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def solver(ctx: Any, deadline: float, rlimit: int | None = None) -> Any:
    """A z3 solver that gives up at the deadline and, if given, after
    `rlimit` units of z3's resource counter per check.  The resource limit
    is deterministic where the deadline is not: a query that runs out of it
    does so on every machine.  (Parameters are set once: setting them
    again before each check resets an incremental solver.)"""
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    if rlimit is not None:
        s.set("rlimit", rlimit)
    return s


def check(s: Any, rlimit: int | None = None, *assumptions: Any) -> tuple[Any, str]:
    """`s.check(*assumptions)` for a `solver(..., rlimit)`: (result, why it
    is unknown).  z3 says "canceled" both for Ctrl-C and for the resource
    limit; the reason returned here tells them apart."""
    base = _rlimit_count(s) if rlimit is not None else 0
    r = s.check(*assumptions)
    if r != z3.unknown:
        return r, ""
    if rlimit is not None and _rlimit_count(s) - base >= rlimit:
        return r, f"{OUT_OF_RESOURCES} of {rlimit:,} reached"
    return r, s.reason_unknown()


def certify(enc: Encoder, goal: Goal, inv_s: Any, deadline: float, rlimit: int | None = None) -> str | None:
    """None if `inv_s` (a formula over enc.state("s")) proves `goal`, else
    why not.  Each of the three checks may use `rlimit` units of z3's
    resource counter (`check`)."""
    s, n = enc.state("s"), enc.state("n")
    inv_n = z3.substitute(inv_s, *zip(s, n))
    checks = [
        ("the initial state does not satisfy it", z3.And(enc.init(s), z3.Not(inv_s))),
        ("a move does not preserve it", z3.And(enc.domain(s), inv_s, enc.trans(s, n, "c")[0], z3.Not(inv_n))),
        ("it does not exclude the bad states", z3.And(enc.domain(s), inv_s, enc.bad(goal, s, "cb")[0])),
    ]
    for what, formula in checks:
        sol = solver(enc.ctx, deadline, rlimit)
        sol.add(formula)
        r, why = check(sol, rlimit)
        if r != z3.unsat:
            return what if r == z3.sat else f"could not re-check ({why})"
    return None


class _Printer:
    """z3 terms over state variables to pinmc expressions (mathematical
    integers: machine-integer slots are read through `int(...)`)."""

    def __init__(self, system: System, state: list[Any]):
        self.system = system
        self.slot = {str(x): k for k, x in enumerate(state)}
        self.names = {k: self._name(k) for k in range(len(system.vars))}

    def _name(self, k: int) -> str:
        v = self.system.vars[k]
        if isinstance(v.ty, PcT):
            return f"pc({v.group})"
        if isinstance(v.ty, (MachT, EnumT)):
            return f"int({v.name})"
        return v.name

    def __call__(self, e: Any) -> str:
        if z3.is_true(e):
            return "true"
        if z3.is_false(e):
            return "false"
        if z3.is_int_value(e):
            v = e.as_long()
            return str(v) if v >= 0 else f"(-{-v})"
        if z3.is_const(e) and str(e) in self.slot:
            return self.names[self.slot[str(e)]]
        k = e.decl().kind()
        args = [self(a) for a in e.children()]
        if k == z3.Z3_OP_AND:
            return "(" + " and ".join(args) + ")" if args else "true"
        if k == z3.Z3_OP_OR:
            return "(" + " or ".join(args) + ")" if args else "false"
        if k == z3.Z3_OP_NOT:
            return f"(not {args[0]})"
        if k == z3.Z3_OP_IMPLIES:
            return f"({args[0]} => {args[1]})"
        if k == z3.Z3_OP_ITE:
            return f"(if {args[0]} then {args[1]} else {args[2]})"
        if k in (z3.Z3_OP_EQ, z3.Z3_OP_IFF):
            op = "<=>" if z3.is_bool(e.children()[0]) else "=="
            return f"({args[0]} {op} {args[1]})"
        binops = {z3.Z3_OP_LE: "<=", z3.Z3_OP_GE: ">=", z3.Z3_OP_LT: "<", z3.Z3_OP_GT: ">",
                  z3.Z3_OP_SUB: "-"}
        if k in binops:
            return f"({args[0]} {binops[k]} {args[1]})"
        if k == z3.Z3_OP_ADD:
            return "(" + " + ".join(args) + ")"
        if k == z3.Z3_OP_MUL:
            return "(" + " * ".join(args) + ")"
        if k == z3.Z3_OP_UMINUS:
            return f"(-{args[0]})"
        if k == z3.Z3_OP_MOD:  # z3's mod is never negative; pinmc's % follows C
            return f"((({args[0]} % {args[1]}) + {args[1]}) % {args[1]})"
        if k == z3.Z3_OP_DISTINCT and len(args) == 2:
            return f"({args[0]} != {args[1]})"
        raise ValueError(f"no pinmc form for {e.decl()}")


def to_pinmc(system: System, formula: Any, state: list[Any]) -> str | None:
    """`formula` as a pinmc expression, or None if it uses an operator
    pinmc cannot write."""
    try:
        return _Printer(system, state)(formula)
    except ValueError:
        return None

