"""Compile a `System` into Python functions over flat state tuples.

Generated once per system, the code touches no IR at run time:

    expand(s, i, out, par, codes, viols) -> bool
        appends every successor of state `s` (frontier index `i`) to
        `out`, with `i` to `par` and its move code to `codes`; appends
        (i, code, prop) to `viols` for each move that fails a check;
        returns whether any move of any actor was enabled.
    props(s) -> int
        bit k set when property k "hits" in `s` (an invariant is false,
        a reachable property true).

A move code numbers (transition, parameter values) densely: `decode`
turns it back.  Sub-expressions used more than once are computed once.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Callable

from pinmc.engines.base import EngineError
from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.system import System, Transition
from pinmc.ir.types import IntT, MachT, c_div, c_mod
from pinmc.source import Span

MAX_MOVES_PER_TRANSITION = 1 << 16


def _count_refs(roots: list[Expr]) -> dict[int, int]:
    refs: dict[int, int] = {}
    stack = list(roots)
    while stack:
        n = stack.pop()
        if isinstance(n, (ir.Lit, ir.Slot, ir.Var)):
            continue
        k = id(n)
        refs[k] = refs.get(k, 0) + 1
        if refs[k] == 1 and not isinstance(n, ir.Quant):  # a quantifier body is never hoisted
            stack.extend(ir.children(n))
    return refs


def _wrap(ty: object, text: str) -> str:
    if not isinstance(ty, MachT):
        return text
    mask = (1 << ty.bits) - 1
    if ty.signed:
        half = 1 << (ty.bits - 1)
        return f"(((({text}) + {half}) & {mask}) - {half})"
    return f"(({text}) & {mask})"


# a sub-expression nested this deep is computed into a temporary, so the
# generated source never nests more than Python's parser accepts (200
# parentheses; a wrapped machine-integer operation takes up to five)
HOIST_HEIGHT = 24


class HoistingEmitter:
    """Source text for expressions; a sub-expression used more than once
    (per `refs`) is computed once into a temporary, appended to `lines`.
    So is one nested HOIST_HEIGHT deep, if every variable it reads is bound
    where the temporary is assigned: those in `bound` (a transition's
    parameters, inside their loops), never a quantifier's."""

    def __init__(self, refs: dict[int, int], lines: list[str], indent: str):
        self.refs, self.lines, self.indent = refs, lines, indent
        self.names: dict[int, str] = {}
        self.heights: dict[int, int] = {}  # nesting of each emitted text (0: a name)
        self.reads: dict[int, frozenset[int]] = {}  # the variables each emitted node reads
        self.bound: frozenset[int] = frozenset()
        self.n = 0

    def __call__(self, e: Expr) -> str:
        k = id(e)
        if k in self.names:
            return self.names[k]
        text = self._text(e)
        kids = ir.children(e)
        height = 1 + max((self.heights.get(id(c), 0) for c in kids), default=0)
        if isinstance(e, ir.Var):
            reads = frozenset((e.id,))
        elif isinstance(e, ir.Quant):
            reads = frozenset(ir.var_ids(e.body) - {e.var.id})
        else:
            reads = frozenset().union(*(self.reads.get(id(c), frozenset()) for c in kids))
        if self.refs.get(k, 0) > 1 or (height >= HOIST_HEIGHT and reads <= self.bound):
            name = f"t{self.n}"
            self.n += 1
            self.lines.append(f"{self.indent}{name} = {text}")
            self.names[k] = name
            self.heights[k] = 0
            self.reads[k] = reads
            return name
        self.heights[k] = height
        self.reads[k] = reads
        return text

    def _text(self, e: Expr) -> str:
        raise NotImplementedError


class Emitter(HoistingEmitter):
    """Python source for expressions over state tuples."""

    def _text(self, e: Expr) -> str:
        if isinstance(e, ir.Lit):
            return repr(e.value)
        if isinstance(e, ir.Slot):
            return f"v{e.index}"
        if isinstance(e, ir.Var):
            return f"a{e.id}"
        if isinstance(e, ir.Un):
            if e.op == "not":
                return f"(not {self(e.arg)})"
            return _wrap(e.ty, f"-{self(e.arg)}")
        if isinstance(e, ir.Cast):
            return _wrap(e.ty, self(e.arg)) if isinstance(e.ty, MachT) else self(e.arg)
        if isinstance(e, ir.Ite):
            return f"({self(e.then)} if {self(e.cond)} else {self(e.else_)})"
        if isinstance(e, ir.Quant):
            fn = "all" if e.kind == "forall" else "any"
            sub = Emitter({}, self.lines, self.indent)  # no hoisting of what reads the variable
            sub.names = dict(self.names)
            body = sub(e.body)
            self.heights[id(e.body)] = sub.heights.get(id(e.body), 0)
            return f"{fn}({body} for a{e.var.id} in range({e.lo}, {e.hi + 1}))"
        assert isinstance(e, ir.Bin)
        a, b, op = self(e.left), self(e.right), e.op
        if op == "and":
            return f"({a} and {b})"
        if op == "or":
            return f"({a} or {b})"
        if op == "=>":
            return f"((not {a}) or {b})"
        if op == "<=>":
            return f"((not {a}) == (not {b}))"
        if op in ir.CMP_OPS:
            return f"({a} {op} {b})"
        if op == "/":
            return _wrap(e.ty, f"_div({a}, {b})")
        if op == "%":
            return _wrap(e.ty, f"_mod({a}, {b})")
        return _wrap(e.ty, f"({a} {op} {b})") if isinstance(e.ty, (MachT, IntT)) else f"({a} {op} {b})"


@dataclass(frozen=True)
class Compiled:
    """The generated functions and how to decode their move codes."""

    expand: Callable[..., bool]
    props: Callable[[tuple[int, ...]], int]
    source: str
    bases: tuple[int, ...]  # first move code of each transition
    system: System

    def decode(self, code: int) -> tuple[int, tuple[int, ...]]:
        """(transition index, parameter values) of a move code."""
        tid = bisect.bisect_right(self.bases, code) - 1
        t = self.system.transitions[tid]
        offset = code - self.bases[tid]
        args = []
        for p in reversed(t.params):
            n = p.hi - p.lo + 1
            args.append(p.lo + offset % n)
            offset //= n
        return tid, tuple(reversed(args))


def _moves(t: Transition) -> int:
    return math.prod(p.hi - p.lo + 1 for p in t.params)


def move_count(system: System) -> int:
    """The number of move codes of `system` (at least 1): codes are
    0 .. move_count - 1, transition by transition (`Compiled.bases`)."""
    return max(1, sum(_moves(t) for t in system.transitions))


def _transition(t: Transition, base: int, nvars: int, lines: list[str]) -> None:
    roots = [t.guard] + [c.fail for c in t.checks] + [e for _, e in t.updates]
    refs = _count_refs(roots)
    lines.append(f"    # {t.name} {t.branch}".rstrip())
    ind = "    "
    guard_has_params = bool(t.params) and _uses_vars(t.guard)
    code_expr = str(base)
    if t.params:
        parts = []
        for p in t.params:
            n = p.hi - p.lo + 1
            parts.append((p, n))
        code_expr = f"{base}"
        acc = ""
        for p, n in parts:
            acc = f"(({acc}) * {n} + (a{p.var.id} - {p.lo}))" if acc else f"(a{p.var.id} - {p.lo})"
        code_expr = f"{base} + {acc}"
    em = Emitter(refs, lines, ind)
    if not guard_has_params:
        g = em(t.guard)
        lines.append(f"{ind}if {g}:")
        ind += "    "
        em.indent = ind
        lines.append(f"{ind}fired = True")
    for p in t.params:
        lines.append(f"{ind}for a{p.var.id} in range({p.lo}, {p.hi + 1}):")
        ind += "    "
        em.indent = ind
        em.names = {}  # hoisted values may depend on the parameter
        em.bound = em.bound | {p.var.id}
    if guard_has_params:
        g = em(t.guard)
        lines.append(f"{ind}if {g}:")
        ind += "    "
        em.indent = ind
        lines.append(f"{ind}fired = True")
    fails = [em(c.fail) for c in t.checks]
    new = {slot: em(e) for slot, e in t.updates}
    kw = "if"
    for c, f in zip(t.checks, fails):
        lines.append(f"{ind}{kw} {f}:")
        lines.append(f"{ind}    viols.append((i, {code_expr}, {c.prop!r}))")
        kw = "elif"
    body = ind + ("else:" if t.checks else "")
    inner = ind + ("    " if t.checks else "")
    if t.checks:
        lines.append(body)
    items = ", ".join(new.get(k, f"v{k}") for k in range(nvars))
    lines.append(f"{inner}out.append(({items}{',' if nvars == 1 else ''}))")
    lines.append(f"{inner}par.append(i)")
    lines.append(f"{inner}codes.append({code_expr})")


def _uses_vars(e: Expr) -> bool:
    return bool(ir.var_ids(e))


def compile_system(system: System) -> Compiled:
    """Generate and compile the search functions of `system`.

    Raises EngineError when a `choose` has too many values to enumerate.
    """
    nvars = len(system.vars)
    unpack = (", ".join(f"v{k}" for k in range(nvars)) + ("," if nvars == 1 else "") + " = s") if nvars else "pass"
    lines = ["def expand(s, i, out, par, codes, viols):", f"    {unpack}", "    fired = False"]
    owners: list[tuple[int, Span | None, str]] = []  # (first source line, span, what) of each part
    bases = []
    code = 0
    for t in system.transitions:
        moves = _moves(t)
        if moves > MAX_MOVES_PER_TRANSITION:
            raise EngineError("PIN407", f"{t.name}: choose has {moves} values, too many for the explicit "
                              f"engine (at most {MAX_MOVES_PER_TRANSITION}); use pinmc prove", t.span)
        bases.append(code)
        owners.append((len(lines) + 1, t.span, f"step {t.name}"))
        _transition(t, code, nvars, lines)
        code += moves
    lines.append("    return fired")
    lines += ["", "def props(s):", f"    {unpack}", "    hits = 0"]
    for k, p in enumerate(system.properties):
        owners.append((len(lines) + 1, p.span, f"property {p.name}"))
        refs = _count_refs([p.expr])
        em = Emitter(refs, lines, "    ")
        text = em(p.expr)
        hit = f"not {text}" if p.kind != "reachable" else text
        lines.append(f"    if {hit}:")
        lines.append(f"        hits |= {1 << k}")
    lines.append("    return hits")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, object] = {"_div": c_div, "_mod": c_mod}
    try:
        compiled = compile(source, f"<pinmc:{system.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError) as e:  # a quantifier's body nested too deep for Python
        line = getattr(e, "lineno", None) or 0
        _, span, what = max((o for o in owners if o[0] <= line), default=(0, None, f"spec {system.name}"),
                            key=lambda o: o[0])
        raise EngineError("PIN411", f"{what} nests an expression too deeply for the explicit engine's "
                          "generated code (in a quantifier's body); use pinmc prove", span) from None
    exec(compiled, namespace)  # noqa: S102 - generated from IR
    return Compiled(namespace["expand"], namespace["props"], source, tuple(bases), system)  # type: ignore[arg-type]
