"""The vectorised expander: a whole BFS frontier per numpy operation.

A frontier is a (slots x states) int64 matrix.  Each transition becomes a
few array operations: one guard mask, one fail mask per check, one column
per update, for every parameter value.  Successors are put in the same
canonical order as the scalar expander's (frontier row, then move code),
so both give identical state ids, counts and traces.  A second function
gives the successors packed instead of as columns (`expand_keys`): each
from its parent's packed row and the fields its move writes.

Usable when every slot fits in int64 with room for arithmetic (no u64,
ranges within +-2^31): `supports` says.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from pinmc.engines.base import EngineError
from pinmc.engines.explicit.codegen import HoistingEmitter, _count_refs, _moves
from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.system import System, Transition
from pinmc.ir.types import MachT, RangeT

_MASK64 = (1 << 64) - 1


class _TooBig(Exception):
    pass


def _bound(e: Expr, bounds: dict[int, int], memo: dict[int, int]) -> int:
    """An upper bound of |e| over every state.  Raises _TooBig if an untyped
    (mathematical) intermediate may not fit in int64; machine-typed
    results are exact anyway, since int64 arithmetic wraps modulo 2^64."""
    k = id(e)
    if k in memo:
        return memo[k]
    if isinstance(e.ty, MachT):
        for child in ir.children(e):
            _bound(child, bounds, memo)
        r = max(abs(e.ty.lo), abs(e.ty.hi))
    elif isinstance(e, ir.Lit):
        r = abs(e.value)
    elif isinstance(e, ir.Slot):
        r = bounds.get(e.index, 1 << 64)
    elif isinstance(e, ir.Var):
        r = bounds.get(-1 - e.id, 1 << 64)
    elif isinstance(e, (ir.Un, ir.Cast)):
        r = _bound(e.arg, bounds, memo)
    elif isinstance(e, ir.Ite):
        _bound(e.cond, bounds, memo)
        r = max(_bound(e.then, bounds, memo), _bound(e.else_, bounds, memo))
    elif isinstance(e, ir.Quant):
        bounds[-1 - e.var.id] = max(abs(e.lo), abs(e.hi))
        _bound(e.body, bounds, memo)
        r = 1
    elif isinstance(e, ir.Bin):
        a, b = _bound(e.left, bounds, memo), _bound(e.right, bounds, memo)
        r = {"+": a + b, "-": a + b, "*": a * b, "/": a, "%": a}.get(e.op, 1)
    else:
        r = 1 << 64
    if r >= 1 << 63:
        raise _TooBig
    memo[k] = r
    return r


def supports(system: System) -> bool:
    """Whether every value and intermediate result of `system` fits the
    vectorised engine's int64 (no u64 slot, untyped arithmetic bounded)."""
    bounds: dict[int, int] = {}
    for k, v in enumerate(system.vars):
        t = v.ty
        if isinstance(t, MachT):
            if t.bits == 64 and not t.signed:
                return False
            bounds[k] = max(abs(t.lo), abs(t.hi))
        elif isinstance(t, RangeT):
            bounds[k] = max(abs(t.lo), abs(t.hi))
        else:
            bounds[k] = 1 << 16
    exprs: list[Expr] = [p.expr for p in system.properties]
    for t in system.transitions:
        for p in t.params:
            bounds[-1 - p.var.id] = max(abs(p.lo), abs(p.hi))
        exprs += [t.guard] + [c.fail for c in t.checks] + [e for _, e in t.updates]
    memo: dict[int, int] = {}
    try:
        for e in exprs:
            _bound(e, bounds, memo)
    except _TooBig:
        return False
    return True


def _wrap(ty: object, text: str) -> str:
    if not isinstance(ty, MachT) or ty.bits == 64:  # i64 wraps natively in int64
        return text
    mask = (1 << ty.bits) - 1
    if ty.signed:
        half = 1 << (ty.bits - 1)
        return f"(((({text}) + {half}) & {mask}) - {half})"
    return f"(({text}) & {mask})"


def _vdiv(a: Any, b: Any) -> Any:
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    safe = np.where(b == 0, 1, b)
    q = np.abs(a) // np.abs(safe)
    q = np.where((a >= 0) == (safe >= 0), q, -q)
    return np.where(b == 0, 0, q)


def _vmod(a: Any, b: Any) -> Any:
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return np.where(b == 0, a, a - b * _vdiv(a, b))


class VEmitter(HoistingEmitter):
    """numpy source for expressions over frontier columns (`c3` is slot 3
    of every frontier state; with `prefix` "r", of the enabled rows only)."""

    prefix = "c"

    def _text(self, e: Expr) -> str:
        if isinstance(e, ir.Lit):
            return repr(e.value)
        if isinstance(e, ir.Slot):
            return f"{self.prefix}{e.index}"
        if isinstance(e, ir.Var):
            return f"a{e.id}"
        if isinstance(e, ir.Un):
            if e.op == "not":
                return f"_not({self(e.arg)})"
            return _wrap(e.ty, f"(-{self(e.arg)})")
        if isinstance(e, ir.Cast):
            return _wrap(e.ty, self(e.arg)) if isinstance(e.ty, MachT) else self(e.arg)
        if isinstance(e, ir.Ite):
            return f"_where({self(e.cond)}, {self(e.then)}, {self(e.else_)})"
        if isinstance(e, ir.Quant):
            fn = "_all" if e.kind == "forall" else "_any"
            sub = VEmitter({}, self.lines, self.indent)
            sub.names = dict(self.names)
            sub.prefix = self.prefix
            return f"{fn}([{sub(e.body)} for a{e.var.id} in range({e.lo}, {e.hi + 1})])"
        assert isinstance(e, ir.Bin)
        a, b, op = self(e.left), self(e.right), e.op
        if op == "and":
            return f"_and({a}, {b})"
        if op == "or":
            return f"_or({a}, {b})"
        if op == "=>":
            return f"_or(_not({a}), {b})"
        if op == "<=>":
            return f"(_not({a}) == _not({b}))"
        if op in ir.CMP_OPS:
            return f"({a} {op} {b})"
        if op == "/":
            return _wrap(e.ty, f"_div({a}, {b})")
        if op == "%":
            return _wrap(e.ty, f"_mod({a}, {b})")
        return _wrap(e.ty, f"({a} {op} {b})")


def _bool_all(parts: list[Any]) -> Any:
    acc: Any = True
    for p in parts:
        acc = np.logical_and(acc, p)
    return acc


def _bool_any(parts: list[Any]) -> Any:
    acc: Any = False
    for p in parts:
        acc = np.logical_or(acc, p)
    return acc


def _vec(x: Any, n: int, dtype: np.dtype) -> np.ndarray:
    """`x` as an array of n values (a constant is repeated)."""
    if isinstance(x, np.ndarray) and x.shape == (n,) and x.dtype == dtype:
        return x
    return np.broadcast_to(np.asarray(x, dtype=dtype), (n,))


_BOOL = np.dtype(bool)

NAMESPACE = {"_vec": _vec, "_BOOL": _BOOL, "_U64": np.uint64, "_and": np.logical_and, "_or": np.logical_or,
             "_not": np.logical_not, "_where": np.where, "_div": _vdiv, "_mod": _vmod, "_all": _bool_all,
             "_any": _bool_any, "np": np}


def _transition(t: Transition, base: int, lines: list[str], keyed: bool = False) -> None:
    """Code that appends this transition's successor block to `blocks`:
    the successors' columns, or with `keyed` their packed rows (see
    `compile_vector`)."""
    refs = _count_refs([t.guard] + [c.fail for c in t.checks] + [e for _, e in t.updates])
    lines.append(f"    # {t.name} {t.branch}".rstrip())
    ind = "    "
    code = str(base)
    if t.params:
        acc = ""
        for p in t.params:
            n = p.hi - p.lo + 1
            acc = f"(({acc}) * {n} + (a{p.var.id} - {p.lo}))" if acc else f"(a{p.var.id} - {p.lo})"
        code = f"{base} + {acc}"
    for p in t.params:
        lines.append(f"{ind}for a{p.var.id} in range({p.lo}, {p.hi + 1}):")
        ind += "    "
    em = VEmitter(refs, lines, ind)
    em.bound = frozenset(p.var.id for p in t.params)  # deep sub-expressions may be hoisted inside the loops
    g = em(t.guard)
    lines.append(f"{ind}g = _vec({g}, n, _BOOL)")
    lines.append(f"{ind}enabled |= g")
    if t.checks:
        lines.append(f"{ind}if g.any():")
        ind += "    "
        em.indent = ind
        lines.append(f"{ind}ok = g.copy()")
        for c in t.checks:
            f = em(c.fail)
            lines.append(f"{ind}bad = ok & _vec({f}, n, _BOOL)")
            lines.append(f"{ind}if bad.any():")
            lines.append(f"{ind}    viols.append((int(np.argmax(bad)), {code}, {c.prop!r}))")
            lines.append(f"{ind}    ok &= ~bad")
        lines.append(f"{ind}rows = np.flatnonzero(ok)")
    else:
        lines.append(f"{ind}rows = np.flatnonzero(g)")
    lines.append(f"{ind}if rows.size:")
    ind += "    "
    em.indent = ind
    em.names = {}
    em.prefix = "r"  # updates are computed over the enabled rows only, from their old values
    read = sorted({x.index for _, e in t.updates for x in ir.walk(e) if isinstance(x, ir.Slot)})
    if keyed:
        _keyed_updates(t, ind, em, read, lines)
    else:
        lines.append(f"{ind}blk = F[:, rows]")
        # the old values are rows of the block itself: every new value is
        # computed before the first is stored, and one that is only a name
        # (an old value, or a temporary that may be one) is copied, not aliased
        lines += [f"{ind}r{k} = blk[{k}]" for k in read]
        for j, (_, e) in enumerate(t.updates):
            text = em(e)
            lines.append(f"{ind}u{j} = " + (f"np.copy({text})" if re.fullmatch(r"[rt]\d+", text) else text))
        lines += [f"{ind}blk[{slot}] = u{j}" for j, (slot, _) in enumerate(t.updates)]
    lines.append(f"{ind}blocks.append(blk); parents.append(rows); codes.append(np.full(rows.size, {code}, dtype=np.int64))")


def _keyed_updates(t: Transition, ind: str, em: VEmitter, read: list[int], lines: list[str]) -> None:
    """The packed rows of a transition's successors: the parents' rows
    (`K`) with each written field changed.  `P` gives each field (word `W`,
    shift `S`, clear mask `C`, offset `L`, largest code `M`, and as Python
    ints the shift `s`, the lowest value `lo` and the highest `hi`).  A new
    value that does not fit its field returns None, so a value of a machine
    type need not be wrapped at the top: one that fits the field is in its
    type's range (the field's values are), and one that does not falls
    back to `expand` anyway.

    A field that only moves by a constant (`x = x + 4`, `x = x - 1`) is
    checked at its extreme old value and moved by adding the constant at
    its place in the word; any other gets its new value encoded."""
    lines.append(f"{ind}blk = K[:, rows]")
    lines += [f"{ind}r{k} = c{k}[rows]" for k in read]
    moves: list[tuple[int, int]] = []  # (slot, constant)
    texts: list[tuple[int, str]] = []  # (slot, new value)
    for slot, e in t.updates:  # every new value from the old ones, before any field is written
        step = _constant_step(slot, e)
        if step is not None:
            moves.append((slot, step))
        else:
            texts.append((slot, _unwrapped(em, e)))
    for slot, c in moves:
        if c > 0:
            lines.append(f"{ind}if int(r{slot}.max()) + {c} > hi{slot}:")
        else:
            lines.append(f"{ind}if int(r{slot}.min()) - {-c} < lo{slot}:")
        lines.append(f"{ind}    return None")
    for slot, text in texts:
        lines.append(f"{ind}e{slot} = np.subtract({text}, L{slot}).view(_U64)")
        lines.append(f"{ind}if e{slot}.max() > M{slot}:")
        lines.append(f"{ind}    return None")
    for slot, c in moves:
        lines.append(f"{ind}x = blk[W{slot}]; x += _U64(({c} << s{slot}) & {_MASK64})")
    for slot, _ in texts:
        lines.append(f"{ind}x = blk[W{slot}]; x &= C{slot}; x |= e{slot} << S{slot}")


def _constant_step(slot: int, e: Expr) -> int | None:
    """c if `e` is the slot's own value plus or minus a literal c (0 is no step)."""
    if not (isinstance(e, ir.Bin) and e.op in ("+", "-")):
        return None
    a, b = e.left, e.right
    if e.op == "+" and isinstance(a, ir.Lit):
        a, b = b, a
    if not (isinstance(a, ir.Slot) and a.index == slot and isinstance(b, ir.Lit)) or not b.value:
        return None
    return b.value if e.op == "+" else -b.value


def _unwrapped(em: VEmitter, e: Expr) -> str:
    """`em(e)` without the wrap of a machine type at the top (see `_keyed_updates`)."""
    if id(e) in em.names or not isinstance(e.ty, MachT):
        return em(e)
    if isinstance(e, ir.Bin) and e.op in ("+", "-", "*"):
        return f"({em(e.left)} {e.op} {em(e.right)})"
    if isinstance(e, ir.Un) and e.op == "-":
        return f"(-{em(e.arg)})"
    if isinstance(e, ir.Cast):
        return em(e.arg)
    return em(e)


@dataclass(frozen=True)
class VCompiled:
    """The generated functions.  `expand(F)` gives the successors' blocks of
    columns; `expand_keys(F, K, P)` gives their packed rows instead (blocks
    of words x states), from the frontier's packed rows `K` (words x
    states) and the layout's fields `P` (`field_params`), or None if some
    new value does not fit its field.  Both also give parents, move codes,
    failing checks (row, code, property) and which rows have a move enabled."""

    expand: Callable[..., Any]
    expand_keys: Callable[..., Any]
    props: Callable[[np.ndarray, int], list[tuple[int, int]]]
    source: str


def field_params(layout: Any) -> tuple[tuple[Any, ...], ...]:
    """Per slot of a packing `Layout` without u64 slots, as `expand_keys`
    takes them: (word, shift, clear mask, offset, largest code) as numpy
    scalars, then (shift, lowest value, highest value) as Python ints."""
    out = []
    for word, shift, width, lo in layout.fields:
        top = (1 << width) - 1
        clear = ~(top << shift) & _MASK64
        out.append((word, np.uint64(shift), np.uint64(clear), np.int64(lo), np.uint64(top), shift, lo, lo + top))
    return tuple(out)


def compile_vector(system: System) -> VCompiled:
    k = len(system.vars)
    cols = "".join(f"    c{i} = F[{i}]\n" for i in range(k))
    written = sorted({slot for t in system.transitions for slot, _ in t.updates})
    lines: list[str] = []
    for keyed in (False, True):
        if keyed:
            lines += ["", "def expand_keys(F, K, P):", "    n = F.shape[1]", cols.rstrip("\n")]
            lines += [f"    W{i}, S{i}, C{i}, L{i}, M{i}, s{i}, lo{i}, hi{i} = P[{i}]" for i in written]
        else:
            lines += ["def expand(F):", "    n = F.shape[1]", cols.rstrip("\n")]
        lines += ["    enabled = np.zeros(n, dtype=bool)", "    blocks, parents, codes, viols = [], [], [], []"]
        base = 0
        for t in system.transitions:
            _transition(t, base, lines, keyed)
            base += _moves(t)
        lines.append("    return blocks, parents, codes, viols, enabled")
    lines += ["", "def props(F, open_mask):", "    n = F.shape[1]", cols.rstrip("\n"), "    hits = []"]
    for j, p in enumerate(system.properties):
        em = VEmitter(_count_refs([p.expr]), [], "        ")
        body: list[str] = []
        em.lines = body
        text = em(p.expr)
        hit = f"_not({text})" if p.kind != "reachable" else text
        lines.append(f"    if open_mask >> {j} & 1:")
        lines += body
        lines.append(f"        m = np.broadcast_to(np.asarray({hit}, dtype=bool), (n,))")
        lines.append("        if m.any():")
        lines.append(f"            hits.append(({j}, int(np.argmax(m))))")
    lines.append("    return hits")
    source = "\n".join(l for l in lines if l) + "\n"
    namespace: dict[str, Any] = dict(NAMESPACE)
    try:
        code = compile(source, f"<pinmc-vector:{system.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):  # a quantifier's body nested too deep for Python
        raise EngineError("PIN411", f"spec {system.name} nests an expression too deeply for the vector "
                          "expander's generated code (in a quantifier's body); use --expander scalar") from None
    exec(code, namespace)  # noqa: S102 - generated from IR
    return VCompiled(namespace["expand"], namespace["expand_keys"], namespace["props"], source)
