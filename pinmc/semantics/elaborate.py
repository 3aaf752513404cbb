"""Elaboration: a loaded `Unit` to a `Model` of typed, inlined steps.

Passes, in order: constants (with -D overrides), enums, pages, globals,
actors (state layout), functions, then every step of every actor instance,
the properties and the expectations.  All errors of all passes are
collected and raised together as one SpecError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinmc.diagnostics import Collector, Note
from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.eval import evaluate
from pinmc.ir.stmts import SAssert, SAssign, SChoose, SEither, SIf, SStmt
from pinmc.ir.system import Expectation, StateVar
from pinmc.ir.types import MACHINE, AnyT, EnumT, PcT, RangeT, Type, value_type
from pinmc.semantics.exprs import Elab, Scope, is_const
from pinmc.semantics.limits import MAX_ARRAY
from pinmc.semantics.load import Unit
from pinmc.semantics.stmts import StmtElab
from pinmc.semantics.tables import ActorInfo, PageInfo, Tables, did_you_mean
from pinmc.source import Span
from pinmc.syntax import ast

VERDICTS = {"invariant": ("holds", "violated"), "lemma": ("holds", "violated"),
            "assert": ("holds", "violated"), "range": ("holds", "violated"),
            "reachable": ("reachable", "unreachable"), "deadlock": ("free", "reachable")}


@dataclass(frozen=True)
class StepBody:
    """One step of one actor instance, elaborated."""

    actor: ActorInfo
    instance: int
    decl: ast.StepDecl
    index: int
    guard: Expr
    body: tuple[SStmt, ...]
    guard_bounds: tuple[tuple[Expr, str, Span | None], ...] = ()  # dynamic indices the guard reads


@dataclass(frozen=True)
class ModelProperty:
    decl: ast.PropertyDecl
    expr: Expr


@dataclass
class Model:
    """Everything `lower` needs."""

    name: str
    description: str | None
    proposal: str | None
    tables: Tables
    steps: list[StepBody]
    properties: list[ModelProperty]
    assert_props: list[str]
    allow_deadlock: bool
    expectations: list[Expectation]
    constants: list[tuple[str, int]]
    files: tuple[str, ...]
    symmetric: list[tuple[int, ...]] = field(default_factory=list)


def _default(ty: Type) -> int:
    return ty.lo if isinstance(ty, RangeT) else 0


def elaborate(unit: Unit, defines: dict[str, int] | None = None) -> Model:
    """Check and elaborate `unit`; raises SpecError with every error found."""
    diags = Collector()
    t = Tables(diags)
    el = Elab(t)
    defines = dict(defines or {})
    top = Scope()
    items = unit.items
    _declare_names(items, t, diags)

    # constants, in order; -D values replace the declared expression
    for d in items:
        if isinstance(d, ast.Const):
            if d.name in defines:
                t.consts[d.name] = defines.pop(d.name)
                continue
            v = el.const_int(d.value, top, f"constant {d.name}")
            t.consts[d.name] = v if v is not None else 0
    for name in sorted(defines):
        diags.error("PIN209", f"-D {name}: the spec declares no constant '{name}'"
                    f"{did_you_mean(name, list(t.consts))}")
    for d in items:
        if isinstance(d, ast.EnumDecl):
            enum = EnumT(d.name, d.members)
            t.enums[d.name] = enum
            for i, m in enumerate(d.members):
                t.members[m] = (enum, i)
    for d in items:
        if isinstance(d, ast.PageDecl):
            _declare_page(d, t, el, top)
        elif isinstance(d, ast.VarDecl):
            ty, init = _typed_init(d, el, top, "global")
            t.globals[d.name] = t.add_var(StateVar(d.name, ty, init, "global", d.name))
        elif isinstance(d, (ast.FnDecl,)):
            t.fns[d.name] = d
        elif isinstance(d, ast.ProcDecl):
            t.procs[d.name] = d
    for d in items:
        if isinstance(d, ast.ActorDecl):
            _declare_actor(d, t, el, top)

    steps: list[StepBody] = []
    se = StmtElab(el)
    assert_props: list[str] = []
    for info in t.actors.values():
        for k in range(info.count or 1):
            for i, st in enumerate(info.decl.steps):
                prop = f"{info.name}.{st.label}"
                scope = Scope(actor=info, instance=k, step_prop=prop, bounds=[])
                guard = el.boolean(st.guard, scope, "a step guard") if st.guard else ir.TRUE
                guard_bounds = tuple(scope.bounds or ())
                scope.bounds = None
                body = se.block(st.body, scope)
                steps.append(StepBody(info, k, st, i, guard, body, guard_bounds))
                if k == 0 and _has_assert(body, prop) and prop not in assert_props:
                    assert_props.append(prop)

    props = [ModelProperty(d, el.boolean(d.expr, Scope(), f"{d.kind} {d.name}"))
             for d in items if isinstance(d, ast.PropertyDecl)]
    allow = False
    for d in items:
        if isinstance(d, ast.AllowDecl):
            if d.what != "deadlock":
                diags.error("PIN405", f"'allow {d.what}': only 'allow deadlock' exists", d.span)
            allow = True
    has_range = any(_has_range(s.body) for s in steps)
    expectations = _expectations(unit, t, assert_props, has_range, allow, diags)
    diags.raise_if_any()
    symmetric = [tuple(s for k in range(p.size or 1) for s in p.slots[k].values())
                 for p in t.pages.values() if p.decl.symmetric]
    return Model(unit.spec.name, unit.spec.description, unit.proposal.name if unit.proposal else None,
                 t, steps, props, assert_props, allow, expectations, sorted(t.consts.items()),
                 unit.files, symmetric)


def _declare_names(items: tuple[ast.Decl, ...], t: Tables, diags: Collector) -> None:
    """Report names declared twice (one namespace for all top-level names)."""
    seen: dict[str, Span | None] = {}
    props: dict[str, Span | None] = {}

    def add(table: dict[str, Span | None], name: str, span: Span | None) -> None:
        if name in table:
            diags.error("PIN202", f"'{name}' is declared twice", span, Note("first declared here", table[name]))
        elif name in MACHINE or name in ("bool", "page"):
            diags.error("PIN202", f"'{name}' is a built-in type name", span)
        else:
            table[name] = span

    for d in items:
        if isinstance(d, ast.EnumDecl):
            add(seen, d.name, d.span)
            for m, sp in zip(d.members, d.member_spans or (d.span,) * len(d.members)):
                add(seen, m, sp)
        elif isinstance(d, ast.PropertyDecl):
            add(props, d.name, d.span)
        elif isinstance(d, (ast.Const, ast.PageDecl, ast.VarDecl, ast.FnDecl, ast.ProcDecl, ast.ActorDecl)):
            add(seen, d.name, d.span)
            if isinstance(d, ast.ActorDecl):
                labels: dict[str, Span | None] = {}
                for st in d.steps:
                    add(labels, st.label, st.span)
                local: dict[str, Span | None] = {}
                for v in d.locals:
                    add(local, v.name, v.span)
            if isinstance(d, ast.PageDecl):
                fields: dict[str, Span | None] = {}
                for f in d.fields:
                    add(fields, f.name, f.span)
    t.decl_spans = seen


def _typed_init(d: ast.VarDecl | ast.FieldDecl, el: Elab, scope: Scope, what: str) -> tuple[Type, int]:
    ty = el.resolve_type(d.type, scope)
    if isinstance(ty, AnyT):
        return ty, 0
    if d.init is None:
        return ty, _default(ty)
    v = el.convert(el.expr(d.init, scope), value_type(ty), d.init.span, f"the initial value of {d.name}")
    if isinstance(v.ty, AnyT):
        return ty, 0
    if not is_const(v):
        el.error("PIN304", f"the initial value of {d.name} must be a constant", d.init.span)
        return ty, 0
    value = evaluate(v, ())
    if isinstance(ty, RangeT) and not ty.lo <= value <= ty.hi:
        el.error("PIN303", f"the initial value {value} of {d.name} is outside {ty}", d.init.span)
    return ty, value


def _size(e: ast.Expr | None, el: Elab, scope: Scope, what: str) -> int | None:
    if e is None:
        return None
    n = el.const_int(e, scope, what)
    if n is not None and n < 1:
        el.error("PIN308", f"{what} must be at least 1, found {n}", e.span)
        return 1
    if n is not None and n > MAX_ARRAY:
        el.error("PIN308", f"{what} must be at most {MAX_ARRAY}, found {n}", e.span)
        return 1
    return n if n is not None else 1


def _declare_page(d: ast.PageDecl, t: Tables, el: Elab, scope: Scope) -> None:
    size = _size(d.size, el, scope, f"the size of page array {d.name}")
    typed = [(f, *_typed_init(f, el, scope, "field")) for f in d.fields]
    info = PageInfo(d, size, {f.name: value_type(ty) for f, ty, _ in typed}, [])
    for k in range(size or 1):
        group = info.element_name(k)
        info.slots.append({f.name: t.add_var(StateVar(f"{group}.{f.name}", ty, init, group, f.name))
                           for f, ty, init in typed})
    t.pages[d.name] = info


def _declare_actor(d: ast.ActorDecl, t: Tables, el: Elab, scope: Scope) -> None:
    count = _size(d.count, el, scope, f"the number of {d.name} instances")
    labels = tuple(st.label for st in d.steps)
    typed = [(v, *_typed_init(v, el, scope, "local")) for v in d.locals]
    info = ActorInfo(d, count, {v.name: value_type(ty) for v, ty, _ in typed}, [], [], labels)
    for k in range(count or 1):
        group = info.instance_name(k)
        if d.kind == "thread":
            info.pc_slots.append(t.add_var(StateVar(f"{group}.pc", PcT(labels), 0, group, "pc")))
        info.local_slots.append({v.name: t.add_var(StateVar(f"{group}.{v.name}", ty, init, group, v.name))
                                 for v, ty, init in typed})
    t.actors[d.name] = info


def _has_assert(body: tuple[SStmt, ...], prop: str) -> bool:
    for s in body:
        if isinstance(s, SAssert) and s.prop == prop:
            return True
        if isinstance(s, SIf) and (_has_assert(s.then, prop) or _has_assert(s.else_, prop)):
            return True
        if isinstance(s, SEither) and any(_has_assert(b, prop) for _, b in s.branches):
            return True
        if isinstance(s, SChoose) and _has_assert(s.body, prop):
            return True
    return False


def _has_range(body: tuple[SStmt, ...]) -> bool:
    for s in body:
        if isinstance(s, SAssign) and s.bounds is not None:
            return True
        if isinstance(s, SAssert) and s.prop == "range":
            return True
        if isinstance(s, SIf) and (_has_range(s.then) or _has_range(s.else_)):
            return True
        if isinstance(s, SEither) and any(_has_range(b) for _, b in s.branches):
            return True
        if isinstance(s, SChoose) and _has_range(s.body):
            return True
    return False


def _expectations(unit: Unit, t: Tables, assert_props: list[str], has_range: bool, allow: bool,
                  diags: Collector) -> list[Expectation]:
    """The spec's expectations, overridden by the proposal's for this spec."""
    kinds: dict[str, str] = {}
    for d in unit.items:
        if isinstance(d, ast.PropertyDecl):
            kinds[d.name] = d.kind
    steps = {f"{a.name}.{s.label}" for a in t.actors.values() for s in a.decl.steps}
    for name in steps:
        kinds.setdefault(name, "assert")
    kinds["range"] = "range"
    kinds["deadlock"] = "deadlock"
    found: dict[str, Expectation] = {}

    def take(d: ast.ExpectDecl, origin: str) -> None:
        kind = kinds.get(d.prop)
        if kind is None:
            diags.error("PIN208", f"expectation for unknown property '{d.prop}'"
                        f"{did_you_mean(d.prop, list(kinds))}", d.span)
            return
        if d.verdict not in VERDICTS[kind]:
            diags.error("PIN405", f"'{d.verdict}' is not a verdict of {kind} {d.prop}: use "
                        f"{' or '.join(VERDICTS[kind])}", d.span)
            return
        found[d.prop] = Expectation(d.prop, d.verdict, origin, d.span)

    for d in unit.spec.items:
        if isinstance(d, ast.ExpectDecl):
            if d.spec is not None:
                diags.error("PIN405", "a spec's expectations name no spec; 'expect SPEC: ...' "
                            "is for proposals", d.span)
                continue
            take(d, unit.spec.path)
    if unit.proposal is not None:
        for d in unit.proposal.items:
            if isinstance(d, ast.ExpectDecl):
                if d.spec is None:
                    diags.error("PIN405", "a proposal's expectation names its spec: "
                                f"expect {unit.spec.name}: {d.prop} {d.verdict}", d.span)
                elif d.spec == unit.spec.name:
                    take(d, unit.proposal.path)
    return list(found.values())
