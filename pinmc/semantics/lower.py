"""Lowering: elaborated steps to the transitions of a `System`.

Each step is executed symbolically over the pre-state.  An `if` whose
branches only assign and assert is merged into if-then-else values; an
`if` containing `either`, `choose` or `goto`/`end` splits the step into
separate paths, as do `either` branches.  A `choose` over integers becomes
a parameter of the transition.  Each path is one `Transition`: a guard,
parallel updates, and the checks (asserts, ranges) in program order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.stmts import SAssert, SAssign, SChoose, SEither, SGoto, SIf, SLet, SStmt, has_split
from pinmc.ir.system import Actor, Check, Param, Property, StateVar, System, Transition
from pinmc.ir.types import BOOL, INT, PcT, value_type
from pinmc.semantics.elaborate import Model, StepBody
from pinmc.semantics.limits import MAX_PATHS, Measure
from pinmc.syntax.printer import show_expr


class TooLarge(Exception):
    """A step splits into too many paths or makes too deep an expression
    (raised during symbolic execution, reported as PIN411 at the step)."""


@dataclass
class Path:
    """A partial execution of one step."""

    guard: list[Expr]
    values: dict[int, Expr]
    env: dict[int, Expr]
    checks: list[Check]
    params: list[Param]
    labels: list[str]
    pc: int | None = None
    finished: bool = False

    def fork(self) -> "Path":
        return Path(list(self.guard), dict(self.values), dict(self.env), list(self.checks),
                    list(self.params), list(self.labels), self.pc, self.finished)


class Subst:
    """Rewrites pre-state expressions through a path's current values."""

    def __init__(self, values: dict[int, Expr], env: dict[int, Expr]):
        self.values, self.env = values, env
        self.memo: dict[int, Expr] = {}

    def __call__(self, e: Expr) -> Expr:
        key = id(e)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        out = self._do(e)
        self.memo[key] = out
        return out

    def _do(self, e: Expr) -> Expr:
        if isinstance(e, ir.Slot):
            return self.values.get(e.index, e)
        if isinstance(e, ir.Var):
            return self.env.get(e.id, e)
        if isinstance(e, ir.Lit):
            return e
        if isinstance(e, ir.Un):
            a = self(e.arg)
            return e if a is e.arg else ir.Un(e.op, a, e.ty)
        if isinstance(e, ir.Cast):
            a = self(e.arg)
            return e if a is e.arg else ir.Cast(a, e.ty)
        if isinstance(e, ir.Bin):
            a, b = self(e.left), self(e.right)
            return e if (a is e.left and b is e.right) else ir.Bin(e.op, a, b, e.ty)
        if isinstance(e, ir.Ite):
            return ir.ite(self(e.cond), self(e.then), self(e.else_))
        if isinstance(e, ir.Quant):
            b = self(e.body)
            return e if b is e.body else replace(e, body=b)
        raise AssertionError(f"unknown IR node {e!r}")


class Lowerer:
    """Symbolic execution of one step body into paths."""

    def __init__(self, model: Model):
        self.model = model
        self.measure = Measure()  # a new one for each step (see _step_transitions)

    def check_size(self, values: list[Expr]) -> None:
        """TooLarge as soon as a value a path computes is too deep or too large
        (before anything walks it recursively)."""
        why = self.measure.too_large(values)
        if why:
            raise TooLarge(f"its statements make {why}")

    def run(self, stmts: tuple[SStmt, ...], paths: list[Path]) -> list[Path]:
        for s in stmts:
            nxt: list[Path] = []
            for p in paths:
                nxt += [p] if p.finished else self.stmt(s, p)
            paths = nxt
            if len(paths) > MAX_PATHS:
                raise TooLarge(f"it splits into more than {MAX_PATHS} paths (one per combination "
                               "of its either branches, splitting ifs and choices of pages)")
        return paths

    def stmt(self, s: SStmt, p: Path) -> list[Path]:
        sub = Subst(p.values, p.env)
        if isinstance(s, SAssign):
            value = sub(s.value)
            if s.bounds is not None:
                lo, hi = s.bounds
                bad = ir.disj(ir.Bin("<", value, ir.Lit(lo, INT), BOOL), ir.Bin(">", value, ir.Lit(hi, INT), BOOL))
                name = self.model.tables.vars[s.slot].name
                p.checks.append(Check("range", bad, f"{name} assigned outside {lo}..{hi}", s.span))
            p.values[s.slot] = value
            self.check_size([value])
            return [p]
        if isinstance(s, SAssert):
            p.checks.append(Check(s.prop, ir.negate(sub(s.cond)), s.message, s.span))
            return [p]
        if isinstance(s, SLet):
            p.env[s.var.id] = sub(s.value)
            self.check_size([p.env[s.var.id]])
            return [p]
        if isinstance(s, SGoto):
            p.pc, p.finished = s.target, True
            return [p]
        if isinstance(s, SChoose):
            p.params.append(Param(s.var, s.lo, s.hi))
            return self.run(s.body, [p])
        if isinstance(s, SEither):
            out: list[Path] = []
            for label, body in s.branches:
                q = p.fork()
                q.labels.append(label)
                out += self.run(body, [q])
            return out
        if isinstance(s, SIf):
            cond = sub(s.cond)
            if has_split(s.then) or has_split(s.else_):
                return self.split(cond, s, p)
            return [self.merge(cond, s, p)]
        raise AssertionError(f"unknown statement {s!r}")

    def split(self, cond: Expr, s: SIf, p: Path) -> list[Path]:
        out: list[Path] = []
        for c, body in ((cond, s.then), (ir.negate(cond), s.else_)):
            if isinstance(c, ir.Lit) and not c.value:
                continue
            q = p.fork()
            q.guard.append(c)
            out += self.run(body, [q])
        return out

    def merge(self, cond: Expr, s: SIf, p: Path) -> Path:
        if isinstance(cond, ir.Lit):
            (res,) = self.run(s.then if cond.value else s.else_, [p])
            return res
        results = []
        for c, body in ((cond, s.then), (ir.negate(cond), s.else_)):
            q = p.fork()
            q.checks = []
            (res,) = self.run(body, [q])
            results.append((c, res))
        (_, a), (_, b) = results
        merged = p.fork()
        for c, res in results:
            merged.checks += [replace(ch, fail=ir.conj(c, ch.fail)) for ch in res.checks]
        merged.env = {**a.env, **b.env}
        for slot in sorted(set(a.values) | set(b.values)):
            va = a.values.get(slot, p.values.get(slot, ir.Slot(slot, _vt(self.model, slot))))
            vb = b.values.get(slot, p.values.get(slot, ir.Slot(slot, _vt(self.model, slot))))
            merged.values[slot] = ir.ite(cond, va, vb)
        self.check_size([merged.values[slot] for slot in set(a.values) | set(b.values)])
        return merged


def _vt(model: Model, slot: int) -> object:
    return value_type(model.tables.vars[slot].ty)


def lower(model: Model) -> System:
    """The transition system of an elaborated model."""
    lw = Lowerer(model)
    transitions: list[Transition] = []
    diags: list[Diagnostic] = []
    for sb in model.steps:
        where = f"{sb.actor.instance_name(sb.instance)}.{sb.decl.label}"
        try:
            ts = _step_transitions(lw, sb, len(transitions))
        except TooLarge as e:
            diags.append(Diagnostic("PIN411", f"step {where} is too large to check: {e}; "
                                    "split it into several steps", sb.decl.span))
            lw.measure = Measure()  # let go of its expressions
            continue
        why = Measure().too_large([r for t in ts for r in (t.guard, *(c.fail for c in t.checks),
                                                          *(e for _, e in t.updates))])
        if why:
            diags.append(Diagnostic("PIN411", f"step {where} is too large to check: its guard, checks and "
                                    f"updates make {why}; split it into several steps", sb.decl.span))
        transitions += ts
    for p in model.properties:
        why = Measure().too_large([p.expr])
        if why:
            diags.append(Diagnostic("PIN411", f"property {p.decl.name} is too large to check: it makes {why}",
                                    p.decl.span))
    if diags:
        raise SpecError(diags)
    props = tuple(Property(p.decl.name, p.decl.kind, p.expr, show_expr(p.decl.expr), p.decl.span)
                  for p in model.properties)
    actors = []
    for a in model.tables.actors.values():
        for k in range(a.count or 1):
            actors.append(Actor(a.instance_name(k), a.name, a.decl.kind,
                                a.pc_slots[k] if a.is_thread else None, a.labels))
    vars_: tuple[StateVar, ...] = tuple(model.tables.vars)
    return System(model.name, model.description, model.proposal, vars_, tuple(v.init for v in vars_),
                  tuple(transitions), props, tuple(actors), tuple(model.assert_props),
                  any(c.prop == "range" for t in transitions for c in t.checks), model.allow_deadlock,
                  tuple(model.expectations), tuple(model.constants), model.files,
                  tuple(model.symmetric))


def _step_transitions(lw: Lowerer, sb: StepBody, start: int) -> list[Transition]:
    a = sb.actor
    guard: list[Expr] = []
    pc_slot = a.pc_slots[sb.instance] if a.is_thread else None
    if pc_slot is not None:
        guard.append(ir.Bin("==", ir.Slot(pc_slot, PcT(a.labels)), ir.Lit(sb.index, PcT(a.labels)), BOOL))
    checks: list[Check] = []
    if sb.guard_bounds:
        # an out-of-bounds index in the guard is a range violation whenever
        # the step is tried, whatever the rest of the guard says
        inside = ir.conj(*(c for c, _, _ in sb.guard_bounds))
        guard.append(ir.disj(sb.guard, ir.negate(inside)))
        checks = [Check("range", ir.negate(c), msg, span) for c, msg, span in sb.guard_bounds]
    else:
        guard.append(sb.guard)
    lw.measure = Measure()
    paths = lw.run(sb.body, [Path(guard, {}, {}, checks, [], [])])
    out = []
    for p in paths:
        g = ir.conj(*p.guard)
        if isinstance(g, ir.Lit) and not g.value:
            continue
        values = dict(p.values)
        if pc_slot is not None:
            target = p.pc if p.pc is not None else sb.index + 1
            values[pc_slot] = ir.Lit(target, PcT(a.labels))
        updates = tuple((slot, e) for slot, e in sorted(values.items())
                        if not (isinstance(e, ir.Slot) and e.index == slot))
        checks = tuple(c for c in p.checks if not (isinstance(c.fail, ir.Lit) and not c.fail.value))
        out.append(Transition(start + len(out), a.instance_name(sb.instance), a.name, sb.decl.label,
                              ", ".join(p.labels), tuple(p.params), g, updates, checks,
                              sb.decl.span, sb.decl.comment, sb.decl.end_line))
    return out
