"""Statement elaboration: a step's block to `ir.stmts`, procs inlined."""

from __future__ import annotations

from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.stmts import SAssert, SAssign, SChoose, SEither, SGoto, SIf, SLet, SStmt
from pinmc.ir.types import BOOL, INT, AnyT, RangeT, is_numeric, value_type
from pinmc.semantics.exprs import Elab, Scope, is_const
from pinmc.semantics.limits import MAX_ELAB_DEPTH, Measure
from pinmc.semantics.tables import ActorVal, PageVal, did_you_mean
from pinmc.syntax import ast
from pinmc.ir.eval import evaluate


class StmtElab:
    """Elaborates statements of one actor instance's steps."""

    def __init__(self, elab: Elab):
        self.e = elab
        self.t = elab.t
        self.measure = Measure()

    def block(self, stmts: tuple[ast.Stmt, ...], scope: Scope) -> tuple[SStmt, ...]:
        out: list[SStmt] = []
        for s in stmts:
            out += self.stmt(s, scope)
        return tuple(out)

    def stmt(self, s: ast.Stmt, scope: Scope) -> list[SStmt]:
        """One statement, preceded by the bounds checks of any dynamic index
        it evaluates (a failed one is a `range` violation).  PIN411 past
        MAX_ELAB_DEPTH levels of elaboration (calls inlined), or for an
        expression deeper or larger than the limits allow."""
        if self.e.depth >= MAX_ELAB_DEPTH:
            self.e.nested_too_deeply(s.span, scope)
            return []
        outer = scope.bounds
        scope.bounds = []
        self.e.depth += 1
        try:
            body = self._stmt(s, scope)
        finally:
            self.e.depth -= 1
        checks: list[SStmt] = [SAssert(c, "range", msg, span) for c, msg, span in scope.bounds]
        scope.bounds = outer
        why = self.measure.too_large([x for st in checks + body for x in _exprs(st)])
        if why:
            self.e.error("PIN411", f"this statement makes {why}", s.span)
            return []
        return checks + body

    def _stmt(self, s: ast.Stmt, scope: Scope) -> list[SStmt]:
        if isinstance(s, ast.Assign):
            return self.assign(s, scope)
        if isinstance(s, ast.If):
            return [self.if_(s.branches, s.else_body, scope)]
        if isinstance(s, ast.Either):
            return [SEither(tuple((f"either {i + 1}", self.block(b, scope))
                                  for i, b in enumerate(s.branches)))]
        if isinstance(s, ast.Choose):
            return self.choose(s, scope)
        if isinstance(s, ast.Assert):
            cond = self.e.boolean(s.cond, scope, "an assertion")
            msg = s.message or "assertion failed"
            assert scope.step_prop is not None
            return [SAssert(cond, scope.step_prop, msg, s.span)]
        if isinstance(s, (ast.Goto, ast.End)):
            return self.goto(s, scope)
        if isinstance(s, ast.Skip):
            return []
        if isinstance(s, ast.CallStmt):
            return self.call(s, scope)
        raise AssertionError(f"unknown statement {s!r}")

    def if_(self, branches: tuple[tuple[ast.Expr, tuple[ast.Stmt, ...]], ...],
            else_body: tuple[ast.Stmt, ...] | None, scope: Scope) -> SIf:
        cond_ast, body = branches[0]
        cond = self.e.boolean(cond_ast, scope, "an if condition")
        then = self.block(body, scope)
        if len(branches) > 1:
            rest: tuple[SStmt, ...] = (self.if_(branches[1:], else_body, scope),)
        else:
            rest = self.block(else_body, scope) if else_body else ()
        return SIf(cond, then, rest)

    def choose(self, s: ast.Choose, scope: Scope) -> list[SStmt]:
        if isinstance(s.domain, ast.SetDomain):
            info = self.t.pages.get(s.domain.name)
            if info is None or info.size is None:
                self.e.error("PIN201", f"'{s.domain.name}' is not a page array", s.domain.span)
                return []
            return [SEither(tuple((f"{s.var} = {info.element_name(k)}",
                                   self.block(s.body, scope.bind(s.var, PageVal(info, k))))
                                  for k in range(info.size)))]
        lo = self.e.const_int(s.domain.lo, scope, "a choose bound")
        hi = self.e.const_int(s.domain.hi, scope, "a choose bound")
        if lo is None or hi is None:
            return []
        if lo > hi:
            self.e.error("PIN309", f"choose over the empty range {lo}..{hi}", s.domain.span)
            return []
        var = self.e.fresh(s.var, INT)
        return [SChoose(var, lo, hi, self.block(s.body, scope.bind(s.var, var)))]

    def goto(self, s: ast.Goto | ast.End, scope: Scope) -> list[SStmt]:
        word = "goto" if isinstance(s, ast.Goto) else "end"
        a = scope.actor
        if scope.in_proc or a is None:
            self.e.error("PIN404", f"'{word}' is only allowed in a step of a thread, "
                         "not in a proc or rule", s.span)
            return []
        if not a.is_thread:
            self.e.error("PIN404", f"'{word}' in daemon '{a.name}': a daemon's steps have no order", s.span)
            return []
        if isinstance(s, ast.End):
            return [SGoto(len(a.labels))]
        if s.label not in a.labels:
            self.e.error("PIN204", f"no step '{s.label}' in {a.name}{did_you_mean(s.label, list(a.labels))}",
                         s.span)
            return []
        return [SGoto(a.labels.index(s.label))]

    def call(self, s: ast.CallStmt, scope: Scope) -> list[SStmt]:
        proc = self.t.procs.get(s.name)
        if proc is None:
            if s.name in self.t.fns:
                self.e.error("PIN404", f"'{s.name}' is a function; its value would be unused", s.span)
            else:
                self.e.error("PIN206", f"unknown procedure or rule '{s.name}'"
                             f"{did_you_mean(s.name, list(self.t.procs))}", s.span)
            return []
        if s.name in scope.calls:
            self.e.error("PIN401", f"'{s.name}' calls itself: {' -> '.join(scope.calls + (s.name,))}", s.span)
            return []
        lets: list[tuple[ir.Var, Expr]] = []
        inner = self.e.bind_args(proc.name, proc.params, s.args, s.span, scope, lets)
        if inner is None:
            return []
        inner.calls = scope.calls + (proc.name,)
        body = self.block(proc.body, inner)
        return [SLet(v, e) for v, e in lets] + list(body)

    # ------------------------------------------------------------ assignment
    def assign(self, s: ast.Assign, scope: Scope) -> list[SStmt]:
        targets = self.targets(s.target, scope)
        if targets is None:
            self.e.expr(s.value, scope)  # still report errors in the value
            return []
        first = targets[0][1]
        decl_ty = self.t.vars[first].ty
        vty = value_type(decl_ty)
        value = self.e.expr(s.value, scope)
        if s.op != "=":
            current = self.e.select([slot for _, slot in targets], None) if len(targets) == 1 \
                else self._read(targets)
            op = "+" if s.op == "+=" else "-"
            ty = self.e.unify(current, value, s.span, f"'{s.op}'")
            if ty is None or isinstance(ty, AnyT):
                return []
            if not is_numeric(ty):
                self.e.error("PIN307", f"'{s.op}' needs a number, found {decl_ty}", s.span)
                return []
            value = ir.Bin(op, self.e.convert(current, ty, s.span, "the target"),
                           self.e.convert(value, ty, s.value.span, f"the value of '{s.op}'"), ty)
        value = self.e.convert(value, vty, s.value.span, f"assignment to {self.t.vars[first].name}")
        if isinstance(value.ty, AnyT):
            return []
        bounds = (decl_ty.lo, decl_ty.hi) if isinstance(decl_ty, RangeT) else None
        if len(targets) == 1:
            return [SAssign(first, value, bounds, s.span)]
        out: tuple[SStmt, ...] = ()
        for cond, slot in reversed(targets):
            out = (SIf(cond, (SAssign(slot, value, bounds, s.span),), out),)
        return list(out)

    def _read(self, targets: list[tuple[Expr, int]]) -> Expr:
        ty = value_type(self.t.vars[targets[0][1]].ty)
        acc: Expr = ir.Slot(targets[-1][1], ty)
        for cond, slot in reversed(targets[:-1]):
            acc = ir.ite(cond, ir.Slot(slot, ty), acc)
        return acc

    def targets(self, target: ast.Expr, scope: Scope) -> list[tuple[Expr, int]] | None:
        """The slots an assignment may write: [(condition, slot)]; one
        unconditional entry for a static target."""
        e = self.e
        if isinstance(target, ast.NameRef):
            n = target.name
            if scope.actor is not None and n in scope.actor.locals:
                return [(ir.TRUE, scope.actor.local_slots[scope.instance or 0][n])]
            if n in self.t.globals:
                return [(ir.TRUE, self.t.globals[n])]
            v = e.obj(target, scope)
            if not (isinstance(v, ir.Lit) and isinstance(v.ty, AnyT)):
                e.error("PIN306", f"cannot assign to '{n}': not a variable or field", target.span)
            return None
        if isinstance(target, ast.Member):
            base = e.obj(target.obj, scope)
            if isinstance(base, PageVal):
                info, index, fields = base.info, base.index, base.info.fields
                slots = [info.slots[k].get(target.name) for k in range(info.size or 1)]
                owner = info.name
            elif isinstance(base, ActorVal):
                info2 = base.info
                index, fields = base.index, info2.locals
                slots = [info2.local_slots[k].get(target.name) for k in range(info2.count or 1)]
                owner = info2.name
            else:
                if not (isinstance(base, ir.Lit) and isinstance(base.ty, AnyT)):
                    e.error("PIN306", "cannot assign to this expression", target.span)
                return None
            if target.name not in fields:
                e.error("PIN203", f"{owner} has no field '{target.name}'"
                        f"{did_you_mean(target.name, list(fields))}", target.span)
                return None
            if index is None:
                return [(ir.TRUE, slots[0])]  # type: ignore[list-item]
            if isinstance(index, int):
                return [(ir.TRUE, slots[index])]  # type: ignore[list-item]
            return [(ir.Bin("==", index, ir.Lit(k, INT), BOOL), slot)  # type: ignore[misc]
                    for k, slot in enumerate(slots)]
        e.error("PIN306", "cannot assign to this expression", target.span)
        return None


def _exprs(s: SStmt) -> list[Expr]:
    """Every expression in a statement and the statements inside it (those
    measured before are measured again from the memo, at no cost)."""
    out: list[Expr] = []
    stack = [s]
    while stack:
        st = stack.pop()
        if isinstance(st, (SAssign, SLet)):
            out.append(st.value)
        elif isinstance(st, SAssert):
            out.append(st.cond)
        elif isinstance(st, SIf):
            out.append(st.cond)
            stack += [*st.then, *st.else_]
        elif isinstance(st, SEither):
            stack += [x for _, body in st.branches for x in body]
        elif isinstance(st, SChoose):
            stack += list(st.body)
    return out


def fold(e: Expr) -> Expr:
    """Evaluate a constant expression to a literal."""
    return ir.Lit(evaluate(e, ()), e.ty) if is_const(e) else e
