"""Symmetry reduction: one representative per orbit of interchangeable
pages and actor instances.

A *block* is a set of interchangeable records: the pages of a `symmetric
page P[n]` array (a record is one page's fields), or the instances of an
actor array `thread user[n]` / `daemon d[n]` (a record is one instance's
locals and pc).  A permutation of a block's records is a permutation of
state slots.

Soundness.  A block is used only when every adjacent transposition of its
records is an *automorphism* of the system, checked on the lowered IR:
renaming the slots maps the multiset of transitions onto itself (guard,
updates and checks compared modulo commutativity and associativity of
`and or + * == != <=>`, and modulo names of bound variables) and maps
every invariant, lemma and `reachable` property onto itself.  Adjacent
transpositions generate the whole symmetric group, so every permutation of
the block is then an automorphism: enabledness, successors, check outcomes,
properties and deadlock are the same in every state of an orbit.  A
declared `symmetric` array that fails the check is not reduced, and the
note says which transition or property breaks the symmetry.  The check is
syntactic, so it may refuse a symmetry that holds, never accept one that
does not.

Canonical form.  Valid blocks act on disjoint slots and (because each is
an automorphism on its own) independently, so sorting the records of each
block is an exact canonical form: two states are in the same orbit iff
their sorted forms are equal.

Traces.  The search stores canonical states; `concretize` rebuilds a
concrete, replayable trace by following the canonical path and choosing,
from each concrete state, the first move (in transition order) whose
successor has the next canonical state.  Automorphisms preserve distances
from the orbit of the initial state, so trace lengths are those of the
unreduced search.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import numpy as np

from pinmc.ir.eval import State, fire, successors
from pinmc.ir.nodes import Bin, Cast, Expr, Ite, Lit, Quant, Slot, Un, Var
from pinmc.ir.system import System, Transition

_AC = frozenset({"and", "or", "+", "*"})  # associative and commutative: flattened, sorted
_COMM = frozenset({"==", "!=", "<=>"})  # commutative: operands sorted
_FLIP = {">": "<", ">=": "<="}  # a > b is b < a


@dataclass(frozen=True)
class Block:
    """Interchangeable records: `records[k]` are the slots of element k,
    in the same field order for every element."""

    name: str  # e.g. "page P" or "thread user"
    elements: tuple[str, ...]  # "P[0]", "P[1]", ... / "user[0]", ...
    records: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Symmetry:
    """The valid blocks of a system, and notes on the refused ones."""

    blocks: tuple[Block, ...]
    notes: tuple[str, ...]

    @property
    def active(self) -> bool:
        return bool(self.blocks)

    def describe(self) -> str:
        """One line naming what is reduced, e.g. `pages P[0..2], thread user[0..3]`."""
        return ", ".join(f"{b.name} ({len(b.records)} interchangeable)" for b in self.blocks)

    # ------------------------------------------------------------- canonical form
    def canon_state(self, state: State) -> State:
        """The canonical representative of `state`'s orbit."""
        out = list(state)
        for b in self.blocks:
            recs = sorted(tuple(state[s] for s in rec) for rec in b.records)
            for rec, values in zip(b.records, recs):
                for s, v in zip(rec, values):
                    out[s] = v
        return tuple(out)

    def canon_columns(self, m: np.ndarray) -> np.ndarray:
        """Canonicalise every column of a (slots x states) matrix."""
        if m.shape[1] == 0:
            return m
        out = m.copy()
        for b in self.blocks:
            sub = m[np.array(b.records, dtype=np.int64)]  # (elements, fields, states)
            order = np.broadcast_to(np.arange(sub.shape[0])[:, None], (sub.shape[0], sub.shape[2]))
            # a stable sort on each field, last field first, sorts records lexicographically
            for f in range(sub.shape[1] - 1, -1, -1):
                key = np.take_along_axis(sub[:, f, :], order, axis=0)
                order = np.take_along_axis(order, np.argsort(key, axis=0, kind="stable"), axis=0)
            ordered = np.take_along_axis(sub, order[:, None, :], axis=0)
            for k, rec in enumerate(b.records):
                out[list(rec)] = ordered[k]
        return out

    def canon(self, succ: Any) -> Any:
        """Canonicalise an expander's successors (a matrix or a list of tuples)."""
        if isinstance(succ, np.ndarray):
            return self.canon_columns(succ)
        return [self.canon_state(s) for s in succ]


def analyse(system: System) -> Symmetry:
    """The blocks of `system` that are automorphisms (see the module doc)."""
    blocks: list[Block] = []
    notes: list[str] = []
    for block, declared in _candidates(system):
        why = _refusal(system, block)
        if why is None:
            blocks.append(block)
        elif declared:
            notes.append(f"symmetry of {block.name} not used: {why}")
    return Symmetry(tuple(blocks), tuple(notes))


def _candidates(system: System) -> list[tuple[Block, bool]]:
    """Candidate blocks: symmetric page arrays (declared) and actor arrays
    of two or more instances (tried automatically)."""
    out: list[tuple[Block, bool]] = []
    by_group: dict[str, list[int]] = {}
    for i, v in enumerate(system.vars):
        by_group.setdefault(v.group, []).append(i)
    declared = {s for grp in system.symmetric for s in grp}
    arrays: dict[str, list[str]] = {}
    for group in by_group:
        if group.endswith("]") and "[" in group:
            arrays.setdefault(group[:group.index("[")], []).append(group)
    actor_decls = {a.decl: a.kind for a in system.actors}
    for base, groups in arrays.items():
        if len(groups) < 2:
            continue
        groups.sort(key=lambda g: int(g[g.index("[") + 1:-1]))
        fields = [system.vars[s].field for s in by_group[groups[0]]]
        records = []
        for g in groups:
            slot_of = {system.vars[s].field: s for s in by_group[g]}
            if sorted(slot_of) != sorted(fields):
                break
            records.append(tuple(slot_of[f] for f in fields))
        else:
            types = [tuple(system.vars[s].ty for s in rec) for rec in records]
            if len(set(types)) != 1:
                continue
            if base in actor_decls:
                out.append((Block(f"{actor_decls[base]} {base}", tuple(groups), tuple(records)), False))
            elif records[0][0] in declared:
                out.append((Block(f"page {base}", tuple(groups), tuple(records)), True))
    return out


def _refusal(system: System, block: Block) -> str | None:
    """Why some adjacent transposition of `block` is not an automorphism
    of `system`, or None when all of them are."""
    base = _Normal({})
    trans = Counter(base.transition(t, block_names={}) for t in system.transitions)
    props = {p.name: base.expr(p.expr) for p in system.properties}
    for k in range(len(block.records) - 1):
        a, b = block.records[k], block.records[k + 1]
        swap = {x: y for x, y in zip(a, b)} | {y: x for x, y in zip(a, b)}
        names = {block.elements[k]: block.elements[k + 1], block.elements[k + 1]: block.elements[k]}
        sw = _Normal(swap)
        what = f"swapping {block.elements[k]} and {block.elements[k + 1]}"
        for p in system.properties:
            if sw.expr(p.expr) != props[p.name]:
                return f"{p.kind} {p.name} changes when {what}"
        image = Counter(sw.transition(t, names) for t in system.transitions)
        if image != trans:
            for t in system.transitions:
                if trans[sw.transition(t, names)] == 0:
                    return f"{t.name} has no counterpart when {what}"
            return f"the transitions change when {what}"  # pragma: no cover - counts differ only with a missing image
    return None


class _Normal:
    """A normal form of IR under a slot renaming: hashable nested tuples,
    equal for expressions equal up to commutativity, associativity and the
    names of bound variables."""

    def __init__(self, rename: dict[int, int]):
        self.rename = rename

    def transition(self, t: Transition, block_names: dict[str, str]) -> Hashable:
        env = {p.var.id: ("param", k, p.lo, p.hi) for k, p in enumerate(t.params)}
        slot: Callable[[int], int] = lambda s: self.rename.get(s, s)  # noqa: E731
        updates = tuple(sorted(((slot(s), self.expr(e, env)) for s, e in t.updates), key=repr))
        checks = tuple(sorted(((c.prop, self.expr(c.fail, env)) for c in t.checks), key=repr))
        return (block_names.get(t.actor, t.actor), t.actor_decl, t.step,
                self.expr(t.guard, env), updates, checks)

    def expr(self, e: Expr, env: dict[int, Hashable] | None = None) -> Hashable:
        env = env or {}
        if isinstance(e, Lit):
            return ("lit", e.value, e.ty)
        if isinstance(e, Slot):
            return ("slot", self.rename.get(e.index, e.index))
        if isinstance(e, Var):
            return env.get(e.id, ("var", e.id))
        if isinstance(e, Un):
            return ("un", e.op, e.ty, self.expr(e.arg, env))
        if isinstance(e, Cast):
            return ("cast", e.ty, self.expr(e.arg, env))
        if isinstance(e, Ite):
            return ("ite", e.ty, self.expr(e.cond, env), self.expr(e.then, env), self.expr(e.else_, env))
        if isinstance(e, Quant):
            inner = env | {e.var.id: ("bound", len(env))}
            return ("quant", e.kind, e.lo, e.hi, self.expr(e.body, inner))
        assert isinstance(e, Bin)
        if e.op in _AC:
            parts = sorted((self.expr(x, env) for x in _flatten(e)), key=repr)
            return ("ac", e.op, e.ty, tuple(parts))
        left, right = self.expr(e.left, env), self.expr(e.right, env)
        if e.op in _COMM:
            left, right = sorted((left, right), key=repr)
            return ("bin", e.op, e.ty, left, right)
        if e.op in _FLIP:
            return ("bin", _FLIP[e.op], e.ty, right, left)
        return ("bin", e.op, e.ty, left, right)


def _flatten(e: Bin) -> list[Expr]:
    """The operands of a chain of `e.op` (same operator and type)."""
    out: list[Expr] = []
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Bin) and x.op == e.op and x.ty == e.ty:
            stack += [x.right, x.left]
        else:
            out.append(x)
    return out


def concretize(system: System, sym: Symmetry, moves: list[tuple[int, tuple[int, ...]]],
               failing: str | None = None) -> list[tuple[int, tuple[int, ...]]]:
    """Map a path of moves between canonical states (from the canonical
    initial state) to a path of concrete moves from the initial state that
    visits the same orbits; `failing`, when given, is the property that the
    last move violates (a check), matched by the first concrete move that
    violates it."""
    canon = sym.canon_state
    rep = canon(system.init)
    state = system.init
    out: list[tuple[int, tuple[int, ...]]] = []
    for n, (tid, args) in enumerate(moves):
        prop, nxt = fire(system.transitions[tid], rep, args)
        last_check = failing is not None and n == len(moves) - 1
        if last_check:
            assert prop == failing, "the canonical path must end in the failing check"
            for t, a, p, _ in successors(system, state):
                if p == failing:
                    out.append((t, a))
                    return out
            raise AssertionError(f"no concrete move violates {failing}")
        assert nxt is not None, "a stored path's moves are enabled"
        rep = canon(nxt)
        for t, a, p, s in successors(system, state):
            if p is None and s is not None and canon(s) == rep:
                out.append((t, a))
                state = s
                break
        else:
            raise AssertionError("no concrete move reaches the next orbit")
    return out
