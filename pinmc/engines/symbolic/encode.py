"""The transition system in z3, and z3 models back to moves.

One `Encoder` owns both directions: IR to z3 terms (`expr`, `init`,
`trans`, `goal`) and a z3 model back to the (transition, arguments) moves
that `trace.replay` turns into the same `Trace` the explicit engine gives.

Machine integers are z3 integers holding the interpreted value, wrapped
explicitly (`x mod 2^n`, shifted for signed types) after every operation:
the semantics of `ir.eval`, for every value, with no bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import z3

from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.system import System, Transition
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT

QUANT_EXPAND = 64

State = list[Any]  # z3 terms, one per slot


def _wrap(ty: object, x: Any, once: bool = False, over: bool = True, under: bool = True) -> Any:
    """x reduced into the range of machine type `ty`.

    `once`: x is known to lie within one period of the range (a sum,
    difference or negation of in-range values, or a same-width cast), so
    a case split replaces the costly `mod`."""
    if not isinstance(ty, MachT):
        return x
    mod = 1 << ty.bits
    if once:
        if over and under:
            return z3.If(x > ty.hi, x - mod, z3.If(x < ty.lo, x + mod, x))
        if over:
            return z3.If(x > ty.hi, x - mod, x)
        return z3.If(x < ty.lo, x + mod, x) if under else x
    if ty.signed:
        half = 1 << (ty.bits - 1)
        return (x + half) % mod - half
    return x % mod


def _cdiv(a: Any, b: Any) -> Any:
    q = z3.If(a >= 0, a, -a) / z3.If(b >= 0, b, -b)
    return z3.If(b == 0, 0, z3.If((a >= 0) == (b >= 0), q, -q))


@dataclass(frozen=True)
class Goal:
    """A property as a reachability question: is a `bad` state reachable?

    kind: invariant | lemma | reachable | assert | range | deadlock.  For
    `assert`/`range` the bad thing is a move (the failing step)."""

    prop: str
    kind: str
    on_move: bool  # the target is a failing move, not a state


class Encoder:
    """z3 encodings of one system (in one z3 context)."""

    def __init__(self, system: System, ctx: z3.Context | None = None, case_wrap: bool = True):
        self.system = system
        self.case_wrap = case_wrap  # wrap sums by a case split (fast for BMC), else by mod
        self.ctx = ctx or z3.main_ctx()
        self._n = 0
        # what an engine works out once per system and reuses for every goal
        # (infer's Houdini survivors), by the engine's key
        self.memo: dict[str, Any] = {}

    # -------------------------------------------------------------- states
    def state(self, tag: str) -> State:
        out = []
        for k, v in enumerate(self.system.vars):
            name = f"{v.name}@{tag}"
            out.append(z3.Bool(name, self.ctx) if isinstance(v.ty, BoolT) else z3.Int(name, self.ctx))
        return out

    def domain(self, s: State) -> Any:
        """Every slot holds a value of its type."""
        parts = []
        for x, v in zip(s, self.system.vars):
            t = v.ty
            if isinstance(t, (MachT, RangeT)):
                parts += [x >= t.lo, x <= t.hi]
            elif isinstance(t, EnumT):
                parts += [x >= 0, x < len(t.members)]
            elif isinstance(t, PcT):
                parts += [x >= 0, x <= len(t.labels)]
        return z3.And(parts) if parts else z3.BoolVal(True, self.ctx)

    def init(self, s: State) -> Any:
        parts = []
        for x, v, val in zip(s, self.system.vars, self.system.init):
            parts.append(x == (z3.BoolVal(bool(val), self.ctx) if isinstance(v.ty, BoolT) else val))
        return z3.And(parts)

    def value(self, model: z3.ModelRef, s: State) -> tuple[int, ...]:
        out = []
        for x in s:
            v = model.eval(x, model_completion=True)
            out.append(1 if z3.is_true(v) else 0 if z3.is_false(v) else v.as_long())
        return tuple(out)

    # -------------------------------------------------------------- terms
    def expr(self, e: Expr, s: State, env: dict[int, Any]) -> Any:
        memo: dict[int, Any] = {}

        def go(n: Expr) -> Any:
            key = id(n)
            if key in memo:
                return memo[key]
            memo[key] = r = self._term(n, s, env, go)
            return r
        return go(e)

    def _term(self, e: Expr, s: State, env: dict[int, Any], go: Callable[[Expr], Any]) -> Any:
        if isinstance(e, ir.Lit):
            return z3.BoolVal(bool(e.value), self.ctx) if isinstance(e.ty, BoolT) else z3.IntVal(e.value, self.ctx)
        if isinstance(e, ir.Slot):
            return s[e.index]
        if isinstance(e, ir.Var):
            return env[e.id]
        if isinstance(e, ir.Un):
            a = go(e.arg)
            return z3.Not(a) if e.op == "not" else _wrap(e.ty, -a, self.case_wrap)
        if isinstance(e, ir.Cast):
            src = e.arg.ty
            once = isinstance(src, MachT) and isinstance(e.ty, MachT) and src.bits <= e.ty.bits
            return _wrap(e.ty, go(e.arg), once and self.case_wrap)
        if isinstance(e, ir.Ite):
            return z3.If(go(e.cond), go(e.then), go(e.else_))
        if isinstance(e, ir.Quant):
            return self._quant(e, s, env)
        assert isinstance(e, ir.Bin)
        a, b, op = go(e.left), go(e.right), e.op
        if op == "and":
            return z3.And(a, b)
        if op == "or":
            return z3.Or(a, b)
        if op == "=>":
            return z3.Implies(a, b)
        if op == "<=>":
            return a == b
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op in ("<", "<=", ">", ">="):
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        if op in ("+", "-"):
            # adding a positive constant can only overflow, and so on
            c = e.right.value if isinstance(e.right, ir.Lit) else None
            if c is not None and op == "-":
                c = -c
            over = c is None or c > 0
            under = c is None or c < 0
            return _wrap(e.ty, a + b if op == "+" else a - b, self.case_wrap, over, under)
        if op == "*":
            return _wrap(e.ty, a * b)
        if op == "/":
            return _wrap(e.ty, _cdiv(a, b))
        if op == "%":
            return _wrap(e.ty, z3.If(b == 0, a, a - b * _cdiv(a, b)))
        raise AssertionError(op)

    def _quant(self, e: ir.Quant, s: State, env: dict[int, Any]) -> Any:
        if e.hi - e.lo < QUANT_EXPAND:
            parts = [self.expr(e.body, s, {**env, e.var.id: z3.IntVal(v, self.ctx)})
                     for v in range(e.lo, e.hi + 1)]
            return z3.And(parts) if e.kind == "forall" else z3.Or(parts)
        x = z3.Int(f"{e.var.name}!{self._fresh()}", self.ctx)
        body = self.expr(e.body, s, {**env, e.var.id: x})
        rng = z3.And(x >= e.lo, x <= e.hi)
        if e.kind == "forall":
            return z3.ForAll([x], z3.Implies(rng, body))
        return z3.Exists([x], z3.And(rng, body))

    def _fresh(self) -> int:
        self._n += 1
        return self._n

    # -------------------------------------------------------------- moves
    def params(self, t: Transition, tag: str) -> tuple[dict[int, Any], Any]:
        """Fresh variables for t's parameters, and their range constraint."""
        env, parts = {}, []
        for p in t.params:
            x = z3.Int(f"{t.name}.{p.var.name}#{t.index}@{tag}", self.ctx)
            env[p.var.id] = x
            parts += [x >= p.lo, x <= p.hi]
        return env, z3.And(parts) if parts else z3.BoolVal(True, self.ctx)

    def move(self, t: Transition, s: State, s2: State, env: dict[int, Any]) -> Any:
        """t fires in s (its checks pass) and leads to s2."""
        guard = self.expr(t.guard, s, env)
        ok = [z3.Not(self.expr(c.fail, s, env)) for c in t.checks]
        upd = dict(t.updates)
        eqs = [s2[k] == (self.expr(upd[k], s, env) if k in upd else s[k]) for k in range(len(s))]
        return z3.And([guard] + ok + eqs)

    def trans(self, s: State, s2: State, tag: str) -> tuple[Any, Any, list[dict[int, Any]]]:
        """The transition relation with a move selector: (formula, selector, params per transition)."""
        sel = z3.Int(f"move@{tag}", self.ctx)
        parts, envs = [], []
        for t in self.system.transitions:
            env, rng = self.params(t, tag)
            envs.append(env)
            parts.append(z3.And(sel == t.index, rng, self.move(t, s, s2, env)))
        if not parts:
            return z3.BoolVal(False, self.ctx), sel, envs
        return z3.Or(parts), sel, envs

    def decode_move(self, model: z3.ModelRef, sel: Any, envs: list[dict[int, Any]]) -> tuple[int, tuple[int, ...]]:
        tid = model.eval(sel, model_completion=True).as_long()
        t = self.system.transitions[tid]
        args = tuple(model.eval(envs[tid][p.var.id], model_completion=True).as_long() for p in t.params)
        return tid, args

    # -------------------------------------------------------------- goals
    def goals(self) -> list[Goal]:
        out = [Goal(p.name, p.kind, False) for p in self.system.properties]
        out += [Goal(name, "assert", True) for name in self.system.assert_props]
        if self.system.has_range_checks:
            out.append(Goal("range", "range", True))
        if not self.system.allow_deadlock:
            out.append(Goal("deadlock", "deadlock", False))
        return out

    def bad(self, goal: Goal, s: State, tag: str) -> tuple[Any, Any, list[dict[int, Any]]]:
        """The bad condition of a goal at state s.

        For a failing move: (formula, selector, params) to decode the move.
        A reachable property's "bad" state is the one it asks for."""
        if not goal.on_move:
            if goal.kind == "deadlock":
                return self._deadlock(s, tag), None, []
            p = next(p for p in self.system.properties if p.name == goal.prop)
            e = self.expr(p.expr, s, {})
            return (e if p.kind == "reachable" else z3.Not(e)), None, []
        sel = z3.Int(f"fail@{tag}", self.ctx)
        parts, envs = [], []
        for t in self.system.transitions:
            env, rng = self.params(t, tag)
            envs.append(env)
            fails = self._first_fail(t, goal.prop, s, env)
            if fails is not None:
                parts.append(z3.And(sel == t.index, rng, self.expr(t.guard, s, env), fails))
        return (z3.Or(parts) if parts else z3.BoolVal(False, self.ctx)), sel, envs

    def _first_fail(self, t: Transition, prop: str, s: State, env: dict[int, Any]) -> Any:
        """t's checks report `prop`: one of its checks fails, the earlier pass."""
        options, earlier = [], []
        for c in t.checks:
            f = self.expr(c.fail, s, env)
            if c.prop == prop:
                options.append(z3.And(earlier + [f]))
            earlier.append(z3.Not(f))
        return z3.Or(options) if options else None

    def enabled(self, s: State, tag: str) -> Any:
        parts = []
        for t in self.system.transitions:
            env, rng = self.params(t, tag)
            g = z3.And(rng, self.expr(t.guard, s, env))
            parts.append(z3.Exists(list(env.values()), g) if env else g)
        return z3.Or(parts) if parts else z3.BoolVal(False, self.ctx)

    def _deadlock(self, s: State, tag: str) -> Any:
        waiting = [s[pc] != done for pc, done in self.system.thread_pcs()]
        return z3.And(z3.Or(waiting) if waiting else z3.BoolVal(False, self.ctx),
                      z3.Not(self.enabled(s, tag)))

    def holds(self, goal: Goal, s: State, tag: str) -> Any:
        """The goal's property holds at s, for every parameter value (for
        induction hypotheses and certificates)."""
        formula, _, envs = self.bad(goal, s, tag)
        params = [x for env in envs for x in env.values()]
        if params:
            formula = z3.Exists(params, formula)
        return z3.Not(formula)

