"""Expression elaboration: names resolved, types checked, fn calls inlined.

`Elab.expr` turns an `ast.Expr` into a typed IR expression over state
slots.  Errors are collected, and the failing sub-expression becomes a
literal of type `ANY` so that one mistake is reported once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from pinmc.diagnostics import Note
from pinmc.ir import nodes as ir
from pinmc.ir.eval import evaluate
from pinmc.ir.nodes import Expr
from pinmc.ir.types import (ANY, BOOL, INT, MACHINE, PAGE, AnyT, BoolT, EnumT, IntT, MachT, PageT,
                            PcT, RangeT, Type, is_numeric, value_type)
from pinmc.semantics.limits import MAX_CONST_BITS, MAX_ELAB_DEPTH
from pinmc.semantics.tables import ActorInfo, ActorVal, ArrayName, PageVal, Tables, did_you_mean
from pinmc.source import Span
from pinmc.syntax import ast

POISON = ir.Lit(0, ANY)
Obj = Expr | PageVal | ActorVal | ArrayName


@dataclass
class Scope:
    """What names mean at one point of the spec."""

    bindings: dict[str, Expr | PageVal] = field(default_factory=dict)
    actor: ActorInfo | None = None
    instance: int | None = None
    step_prop: str | None = None  # ACTOR.STEP inside a step, for asserts
    in_proc: bool = False
    calls: tuple[str, ...] = ()
    bounds: list[tuple[Expr, str, Span | None]] | None = None  # dynamic-index checks
    quantified: frozenset[int] = frozenset()  # ids of quantifier variables in scope

    def bind(self, name: str, value: Expr | PageVal) -> "Scope":
        return replace(self, bindings={**self.bindings, name: value})


def is_const(e: Expr) -> bool:
    return not ir.slots_of(e) and not _has_var(e)


def _has_var(e: Expr) -> bool:
    """Whether `e` reads a bound variable other than one it quantifies itself."""
    stack = [e]
    while stack:  # not recursive: expressions may nest deep
        n = stack.pop()
        if isinstance(n, ir.Var):
            return True
        if not isinstance(n, ir.Quant):
            stack.extend(ir.children(n))
    return False


def _fits(t: Type, v: int) -> bool:
    if isinstance(t, MachT):
        return t.lo <= v <= t.hi
    if isinstance(t, RangeT):
        return t.lo <= v <= t.hi
    return True


class Elab:
    """Elaborates expressions against the declaration tables."""

    def __init__(self, tables: Tables):
        self.t = tables
        self.d = tables.diags
        self._ids = itertools.count()
        self.depth = 0  # expressions and statements being elaborated, one inside the other
        self._reported_depth = False

    # ------------------------------------------------------------ utilities
    def fresh(self, name: str, ty: Type) -> ir.Var:
        return ir.Var(next(self._ids), name, ty)

    def error(self, code: str, message: str, span: Span | None, *notes: Note) -> Expr:
        self.d.error(code, message, span, *notes)
        return POISON

    def nested_too_deeply(self, span: Span | None, scope: Scope) -> Expr:
        """PIN411 (once per spec): elaboration went MAX_ELAB_DEPTH levels deep."""
        if not self._reported_depth:
            self._reported_depth = True
            calls = list(scope.calls) if len(scope.calls) <= 6 else [*scope.calls[:3], "...", *scope.calls[-2:]]
            chain = f" (inlining {' -> '.join(calls)})" if calls else ""
            self.error("PIN411", f"nested too deeply: more than {MAX_ELAB_DEPTH} levels of expressions and "
                       f"statements once fn and proc calls are inlined{chain}", span)
        return POISON

    def const_int(self, e: ast.Expr, scope: Scope, what: str) -> int | None:
        """A constant integer expression (sizes, bounds, initial values)."""
        v = self.expr(e, scope)
        if isinstance(v.ty, AnyT):
            return None
        if not is_numeric(v.ty):
            self.error("PIN301", f"{what} must be an integer, found {v.ty}", e.span)
            return None
        if not is_const(v):
            self.error("PIN304", f"{what} must be a constant expression", e.span)
            return None
        return evaluate(v, ())

    def resolve_type(self, t: ast.TypeExpr, scope: Scope, allow_page: bool = False) -> Type:
        if isinstance(t, ast.RangeType):
            lo = self.const_int(t.lo, scope, "a range bound")
            hi = self.const_int(t.hi, scope, "a range bound")
            if lo is None or hi is None:
                return ANY
            if lo > hi:
                self.error("PIN309", f"empty range {lo}..{hi}", t.span)
                return ANY
            return RangeT(lo, hi)
        if t.name == "bool":
            return BOOL
        if t.name in MACHINE:
            return MACHINE[t.name]
        if t.name in self.t.enums:
            return self.t.enums[t.name]
        if t.name == "page" and allow_page:
            return PAGE
        known = ["bool", *MACHINE, *self.t.enums] + (["page"] if allow_page else [])
        self.error("PIN201", f"unknown type '{t.name}'{did_you_mean(t.name, known)}", t.span)
        return ANY

    def convert(self, v: Expr, target: Type, span: Span | None, what: str) -> Expr:
        """`v` as a value of type `target` (implicit conversion rules)."""
        src = v.ty
        if isinstance(src, AnyT) or isinstance(target, AnyT):
            return v
        if isinstance(target, BoolT) or isinstance(target, EnumT):
            if src != target:
                return self.error("PIN301", f"{what}: expected {target}, found {src}", span)
            return v
        if isinstance(target, (MachT, RangeT, IntT)):
            if not is_numeric(src):
                return self.error("PIN301", f"{what}: expected {target}, found {src}", span)
            if isinstance(target, MachT) and isinstance(src, MachT) and src != target:
                return self.error("PIN302", f"{what}: expected {target}, found {src}; "
                                  f"convert explicitly with {target}(...)", span)
            if is_const(v):
                value = evaluate(v, ())
                if not _fits(target, value):
                    return self.error("PIN303", f"{what}: {value} does not fit in {target}", span)
            if isinstance(target, MachT) and src != target:
                return ir.Lit(target.wrap(evaluate(v, ())), target) if is_const(v) else ir.Cast(v, target)
            return v
        return self.error("PIN301", f"{what}: expected {target}, found {src}", span)

    def boolean(self, e: ast.Expr, scope: Scope, what: str) -> Expr:
        return self.convert(self.expr(e, scope), BOOL, e.span, what)

    # ------------------------------------------------------------ names
    def obj(self, e: ast.Expr, scope: Scope) -> Obj:
        """Elaborate something that may denote a page or an actor."""
        if isinstance(e, ast.NameRef):
            return self.name(e, scope)
        if isinstance(e, ast.Index):
            return self.index(e, scope)
        return self.expr(e, scope)

    def name(self, e: ast.NameRef, scope: Scope) -> Obj:
        n = e.name
        if n in scope.bindings:
            return scope.bindings[n]
        if scope.actor is not None and n in scope.actor.locals:
            k = scope.instance or 0
            slot = scope.actor.local_slots[k][n]
            return ir.Slot(slot, value_type(self.t.vars[slot].ty))
        t = self.t
        if n in t.globals:
            return ir.Slot(t.globals[n], value_type(t.vars[t.globals[n]].ty))
        if n in t.consts:
            return ir.Lit(t.consts[n], INT)
        if n in t.members:
            enum, idx = t.members[n]
            return ir.Lit(idx, enum)
        if n in t.pages:
            info = t.pages[n]
            return PageVal(info, None) if info.size is None else ArrayName(info, None)
        if n in t.actors:
            a = t.actors[n]
            return ActorVal(a, None) if a.count is None else ArrayName(None, a)
        if n in t.fns or n in t.procs:
            return self.error("PIN301", f"'{n}' is a function; call it with {n}(...)", e.span)
        if n in MACHINE or n == "bool":
            return self.error("PIN301", f"'{n}' is a type, not a value", e.span)
        known = t.all_names() + list(scope.bindings)
        if scope.actor is not None:
            known += list(scope.actor.locals)
        return self.error("PIN201", f"unknown name '{n}'{did_you_mean(n, known)}", e.span)

    def index(self, e: ast.Index, scope: Scope) -> Obj:
        base = self.obj(e.obj, scope)
        if isinstance(base, ir.Lit) and isinstance(base.ty, AnyT):
            return POISON
        if not isinstance(base, ArrayName):
            return self.error("PIN301", "only page arrays and actor arrays can be indexed", e.span)
        size = base.page.size if base.page else base.actor.count  # type: ignore[union-attr]
        assert size is not None
        idx = self.convert(self.expr(e.index, scope), INT, e.index.span, "an index")
        if isinstance(idx.ty, AnyT):
            return POISON
        where: int | Expr
        if is_const(idx):
            k = evaluate(idx, ())
            if not 0 <= k < size:
                name = base.page.name if base.page else base.actor.name  # type: ignore[union-attr]
                return self.error("PIN308", f"index {k} is out of bounds for {name}[{size}]", e.index.span)
            where = k
        else:
            where = idx
            if scope.bounds is not None and not (ir.var_ids(idx) & scope.quantified):
                ok = ir.conj(ir.Bin(">=", idx, ir.Lit(0, INT), BOOL), ir.Bin("<", idx, ir.Lit(size, INT), BOOL))
                scope.bounds.append((ok, f"index out of bounds (size {size})", e.span))
        return PageVal(base.page, where) if base.page else ActorVal(base.actor, where)  # type: ignore[arg-type]

    def select(self, slots: list[int], index: int | Expr | None) -> Expr:
        """Read one of `slots` by a possibly dynamic index."""
        ty = value_type(self.t.vars[slots[0]].ty)
        if index is None:
            return ir.Slot(slots[0], ty)
        if isinstance(index, int):
            return ir.Slot(slots[index], ty)
        acc: Expr = ir.Slot(slots[-1], ty)
        for k in range(len(slots) - 2, -1, -1):
            acc = ir.ite(ir.Bin("==", index, ir.Lit(k, INT), BOOL), ir.Slot(slots[k], ty), acc)
        return acc

    def member(self, e: ast.Member, scope: Scope) -> Expr:
        base = self.obj(e.obj, scope)
        if isinstance(base, PageVal):
            info = base.info
            if e.name not in info.fields:
                return self.error("PIN203", f"page {info.name} has no field '{e.name}'"
                                  f"{did_you_mean(e.name, list(info.fields))}", e.span)
            slots = [info.slots[k][e.name] for k in range(info.size or 1)]
            return self.select(slots, base.index)
        if isinstance(base, ActorVal):
            a = base.info
            if e.name not in a.locals:
                return self.error("PIN203", f"actor {a.name} has no variable '{e.name}'"
                                  f"{did_you_mean(e.name, list(a.locals))}", e.span)
            slots = [a.local_slots[k][e.name] for k in range(a.count or 1)]
            return self.select(slots, base.index)
        if isinstance(base, ArrayName):
            name = base.page.name if base.page else base.actor.name  # type: ignore[union-attr]
            return self.error("PIN301", f"'{name}' is an array; index it, as in {name}[0].{e.name}", e.obj.span)
        if isinstance(base, ir.Lit) and isinstance(base.ty, AnyT):
            return POISON
        return self.error("PIN301", f"a value of type {base.ty} has no field '{e.name}'", e.span)

    def actor_pc(self, e: ast.Expr, scope: Scope, what: str) -> tuple[ActorInfo, Expr] | None:
        base = self.obj(e, scope)
        if isinstance(base, ActorVal):
            if not base.info.is_thread:
                self.error("PIN406", f"{what}: '{base.info.name}' is a daemon; daemons have no "
                           "program counter and are never done", e.span)
                return None
            return base.info, self.select(base.info.pc_slots, base.index)
        if isinstance(base, ir.Lit) and isinstance(base.ty, AnyT):
            return None
        self.error("PIN205", f"{what}: expected an actor instance", e.span)
        return None

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr, scope: Scope) -> Expr:
        """Elaborate an expression that denotes a value (PIN411 past
        MAX_ELAB_DEPTH levels of elaboration, calls inlined)."""
        if self.depth >= MAX_ELAB_DEPTH:
            return self.nested_too_deeply(e.span, scope)
        self.depth += 1
        try:
            return self._expr(e, scope)
        finally:
            self.depth -= 1

    def _expr(self, e: ast.Expr, scope: Scope) -> Expr:
        if isinstance(e, ast.IntLit):
            return ir.Lit(e.value, INT)
        if isinstance(e, ast.BoolLit):
            return ir.Lit(int(e.value), BOOL)
        if isinstance(e, ast.SelfRef):
            if scope.actor is None:
                return self.error("PIN201", "'self' is only defined inside an actor", e.span)
            return ir.Lit(scope.instance or 0, INT)
        if isinstance(e, (ast.NameRef, ast.Index)):
            v = self.obj(e, scope)
            if isinstance(v, (PageVal, ArrayName, ActorVal)):
                what = "a page" if isinstance(v, PageVal) else "an actor" if isinstance(v, ActorVal) else "an array"
                return self.error("PIN301", f"expected a value, found {what}", e.span)
            return v
        if isinstance(e, ast.Member):
            return self.member(e, scope)
        if isinstance(e, ast.At):
            got = self.actor_pc(e.actor, scope, "'@'")
            if got is None:
                return POISON
            info, pc = got
            if e.label not in info.labels:
                return self.error("PIN204", f"actor {info.name} has no step '{e.label}'"
                                  f"{did_you_mean(e.label, list(info.labels))}", e.span)
            return ir.Bin("==", pc, ir.Lit(info.labels.index(e.label), pc.ty), BOOL)
        if isinstance(e, ast.Done):
            got = self.actor_pc(e.actor, scope, "done()")
            if got is None:
                return POISON
            info, pc = got
            return ir.Bin("==", pc, ir.Lit(len(info.labels), pc.ty), BOOL)
        if isinstance(e, ast.Call):
            return self.call(e, scope)
        if isinstance(e, ast.Unary):
            return self.unary(e, scope)
        if isinstance(e, ast.Binary):
            return self.binary(e, scope)
        if isinstance(e, ast.Ite):
            c = self.boolean(e.cond, scope, "the condition of if-then-else")
            a, b = self.expr(e.then, scope), self.expr(e.else_, scope)
            ty = self.unify(a, b, e.span, "the branches of if-then-else")
            if ty is None:
                return POISON
            a, b = self.convert(a, ty, e.then.span, "if-then-else"), self.convert(b, ty, e.else_.span, "if-then-else")
            return ir.ite(c, a, b) if not isinstance(ty, AnyT) else POISON
        if isinstance(e, ast.Quant):
            return self.quant(e, scope)
        raise AssertionError(f"unknown expression node {e!r}")

    def unify(self, a: Expr, b: Expr, span: Span | None, what: str) -> Type | None:
        """The common type of two operands, or None after an error."""
        ta, tb = a.ty, b.ty
        if isinstance(ta, AnyT) or isinstance(tb, AnyT):
            return ANY
        if ta == tb:
            return ta
        if is_numeric(ta) and is_numeric(tb):
            if isinstance(ta, MachT) and isinstance(tb, MachT):
                self.error("PIN302", f"{what}: {ta} and {tb} mixed; convert one with {ta}(...) "
                           f"or {tb}(...)", span)
                return None
            if isinstance(ta, MachT):
                return ta
            if isinstance(tb, MachT):
                return tb
            return INT
        if isinstance(ta, PcT) and isinstance(tb, PcT):
            return ta
        self.error("PIN301", f"{what}: {ta} and {tb} do not match", span)
        return None

    def unary(self, e: ast.Unary, scope: Scope) -> Expr:
        v = self.expr(e.arg, scope)
        if isinstance(v.ty, AnyT):
            return POISON
        if e.op == "not":
            return ir.negate(self.convert(v, BOOL, e.arg.span, "the operand of 'not'"))
        if not is_numeric(v.ty):
            return self.error("PIN307", f"'-' needs a number, found {v.ty}", e.span)
        if is_const(v) and not isinstance(v.ty, MachT):
            return ir.Lit(-evaluate(v, ()), INT)
        return ir.Un("neg", v, v.ty)

    def binary(self, e: ast.Binary, scope: Scope) -> Expr:
        op = e.op
        a, b = self.expr(e.left, scope), self.expr(e.right, scope)
        if isinstance(a.ty, AnyT) or isinstance(b.ty, AnyT):
            return POISON
        if op in ir.BOOL_OPS:
            a = self.convert(a, BOOL, e.left.span, f"the left operand of '{op}'")
            b = self.convert(b, BOOL, e.right.span, f"the right operand of '{op}'")
            return POISON if POISON in (a, b) else ir.Bin(op, a, b, BOOL)
        ty = self.unify(a, b, e.span, f"the operands of '{op}'")
        if ty is None:
            return POISON
        if op in ("==", "!="):
            return ir.Bin(op, a, b, BOOL)
        if not is_numeric(ty):
            return self.error("PIN307", f"'{op}' needs numbers, found {a.ty} and {b.ty}", e.span)
        if op in ir.CMP_OPS:
            return ir.Bin(op, a, b, BOOL)
        a = self.convert(a, ty, e.left.span, f"the left operand of '{op}'")
        b = self.convert(b, ty, e.right.span, f"the right operand of '{op}'")
        out = ir.Bin(op, a, b, ty)
        if is_const(out) and isinstance(ty, IntT):
            value = evaluate(out, ())
            if value.bit_length() > MAX_CONST_BITS:
                return self.error("PIN303", f"'{op}' of constants gives a number of {value.bit_length()} bits, "
                                  f"more than the {MAX_CONST_BITS} bits of a constant", e.span)
            return ir.Lit(value, INT)
        return out

    def quant(self, e: ast.Quant, scope: Scope) -> Expr:
        if isinstance(e.domain, ast.SetDomain):
            info = self.t.pages.get(e.domain.name)
            if info is None or info.size is None:
                return self.error("PIN201", f"'{e.domain.name}' is not a page array", e.domain.span)
            parts = [self.boolean(e.body, scope.bind(e.var, PageVal(info, k)), "a quantifier body")
                     for k in range(info.size)]
            return ir.conj(*parts) if e.kind == "forall" else ir.disj(*parts)
        lo = self.const_int(e.domain.lo, scope, "a quantifier bound")
        hi = self.const_int(e.domain.hi, scope, "a quantifier bound")
        if lo is None or hi is None:
            return POISON
        var = self.fresh(e.var, INT)
        inner = replace(scope.bind(e.var, var), quantified=scope.quantified | {var.id})
        body = self.boolean(e.body, inner, "a quantifier body")
        if isinstance(body.ty, AnyT):
            return POISON
        return ir.Quant(e.kind, var, lo, hi, body)

    # ------------------------------------------------------------ calls
    def call(self, e: ast.Call, scope: Scope) -> Expr:
        if e.name in MACHINE:
            target = MACHINE[e.name]
            if len(e.args) != 1:
                return self.error("PIN305", f"{e.name}(...) takes one argument, given {len(e.args)}", e.span)
            v = self.expr(e.args[0], scope)
            if isinstance(v.ty, AnyT):
                return POISON
            if not is_numeric(v.ty):
                return self.error("PIN301", f"cannot convert {v.ty} to {e.name}", e.span)
            if v.ty == target:
                return v
            return ir.Lit(target.wrap(evaluate(v, ())), target) if is_const(v) else ir.Cast(v, target)
        if e.name in ("int", "pc") and e.name not in self.t.fns:
            return self.to_int(e, scope)
        fn = self.t.fns.get(e.name)
        if fn is None:
            if e.name in self.t.procs:
                return self.error("PIN404", f"'{e.name}' has statements and no value; "
                                  "call it as a statement", e.span)
            known = list(self.t.fns) + list(MACHINE)
            return self.error("PIN206", f"unknown function '{e.name}'{did_you_mean(e.name, known)}", e.span)
        if e.name in scope.calls:
            return self.error("PIN401", f"'{e.name}' calls itself: "
                              f"{' -> '.join(scope.calls + (e.name,))}", e.span)
        inner = self.bind_args(fn.name, fn.params, e.args, e.span, scope)
        if inner is None:
            return POISON
        inner.calls = scope.calls + (fn.name,)
        ret = self.resolve_type(fn.ret, inner)
        body = self.expr(fn.body, inner)
        return self.convert(body, value_type(ret), fn.body.span, f"the result of '{fn.name}'")

    def to_int(self, e: ast.Call, scope: Scope) -> Expr:
        """`int(e)`: a machine integer or enum as a mathematical integer;
        `pc(A)`: the index of thread A's next step (its number of steps when done)."""
        if len(e.args) != 1:
            return self.error("PIN305", f"{e.name}(...) takes one argument, given {len(e.args)}", e.span)
        if e.name == "pc":
            got = self.actor_pc(e.args[0], scope, "pc()")
            return POISON if got is None else ir.Cast(got[1], INT)
        v = self.expr(e.args[0], scope)
        if isinstance(v.ty, AnyT):
            return POISON
        if not (is_numeric(v.ty) or isinstance(v.ty, EnumT)):
            return self.error("PIN301", f"int() takes a number or an enum, not {v.ty}", e.span)
        return v if isinstance(v.ty, IntT) else ir.Cast(v, INT)

    def bind_args(self, name: str, params: tuple[ast.Param, ...], args: tuple[ast.Expr, ...],
                  span: Span | None, scope: Scope, lets: list[tuple[ir.Var, Expr]] | None = None) -> Scope | None:
        """A scope for a fn or proc body with its parameters bound.

        Page parameters bind to the page; value parameters to the argument's
        value (for procs, through a fresh variable recorded in `lets`, so the
        argument is evaluated once, before the body runs).
        """
        if len(params) != len(args):
            self.error("PIN305", f"'{name}' takes {len(params)} argument(s), given {len(args)}", span)
            return None
        inner = Scope(actor=None, instance=None, step_prop=scope.step_prop,
                      in_proc=True, calls=scope.calls, bounds=scope.bounds)
        ok = True
        for p, a in zip(params, args):
            pty = self.resolve_type(p.type, scope, allow_page=True)
            if isinstance(pty, PageT):
                v = self.obj(a, scope)
                if not isinstance(v, PageVal):
                    if not (isinstance(v, ir.Lit) and isinstance(v.ty, AnyT)):
                        self.error("PIN301", f"argument '{p.name}' of '{name}' must be a page", a.span)
                    ok = False
                    continue
                if lets is not None and v.index is not None and not isinstance(v.index, int) \
                        and not is_const(v.index):
                    # the page is chosen at the call, before the body runs
                    var = self.fresh(f"{p.name}.index", INT)
                    lets.append((var, v.index))
                    v = PageVal(v.info, var)
                inner.bindings[p.name] = v
                continue
            v = self.convert(self.expr(a, scope), value_type(pty), a.span, f"argument '{p.name}' of '{name}'")
            if isinstance(v.ty, AnyT):
                ok = False
                continue
            if lets is not None and not is_const(v):
                var = self.fresh(p.name, v.ty)
                lets.append((var, v))
                v = var
            inner.bindings[p.name] = v
        return inner if ok else None
