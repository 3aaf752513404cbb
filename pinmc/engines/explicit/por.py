"""Partial-order reduction for the BFS: ample sets, applied as a filter.

The expander still expands every frontier state fully (so every check and
deadlock of a visited state is seen); then, per state, only the successors
of one *ample* actor are kept when that is safe.

Static analysis (from the lowered `System`).  Per transition t: R(t), the
slots its guard, checks and update right-hand sides read, and W(t), the
slots it updates plus its actor's pc slot.  A group (thread P, step L), or
a whole daemon D, is *usable* when every transition t in it

  * is independent of every transition u of every other actor, at any pc:
    W(t) is disjoint from R(u) and W(u), and W(u) is disjoint from R(t);
  * is invisible: W(t) reads no slot of any invariant, lemma or reachable.

Reading another thread's pc (`A@L`, `done(A)`) counts as reading its pc
slot, so such a reader makes A's steps dependent on it.

Per state s, ample(s) is every move of the first actor (threads in actor
order, then daemons) whose current group is usable and that has at least
one successor in s.  Then:

  C0  ample(s) is non-empty, or s is expanded fully.
  C1  others never write what P's step-L moves read (guard, checks, right
      hand sides) nor touch what they write, so along any path of other
      actors' moves P's enabledness, its successors' P-part and its check
      outcomes stay the same, and every such move commutes with P's.
  C2  ample moves write no slot a property reads.  A check of an ample
      move reads only slots no other actor writes, so if it does not fail
      in s it does not fail anywhere P's move is delayed to; one that fails
      in s is reported from s (the expander saw it).
  C3  (BFS) if any ample successor of s is already stored when s's level
      is expanded, s is expanded fully.  On a cycle of the reduced graph,
      the state expanded last has its cycle successor already stored, so
      every cycle has a fully expanded state.

Deadlocks (terminal states) are preserved by C0 and C1.
"""

from __future__ import annotations

import math

import numpy as np

from pinmc.engines.explicit.store import StateStore
from pinmc.ir.nodes import slots_of
from pinmc.ir.system import System, Transition


def reads(t: Transition) -> set[int]:
    """The slots `t` reads: its guard, its checks and its updates' right-hand sides."""
    acc: set[int] = set()
    slots_of(t.guard, acc)
    for c in t.checks:
        slots_of(c.fail, acc)
    for _, e in t.updates:
        slots_of(e, acc)
    return acc


def writes(t: Transition, pc: int | None) -> set[int]:
    """The slots `t` writes; a thread step always writes its pc."""
    acc = {slot for slot, _ in t.updates}
    if pc is not None:
        acc.add(pc)
    return acc


def usable_groups(system: System) -> dict[tuple[str, str], bool]:
    """(actor, step) -> whether its transitions may form an ample set.
    A daemon is one group, keyed (actor, '')."""
    pcs = {a.name: a.pc_slot for a in system.actors}
    kinds = {a.name: a.kind for a in system.actors}
    visible: set[int] = set()
    for p in system.properties:
        slots_of(p.expr, visible)
    r_of = [reads(t) for t in system.transitions]
    w_of = [writes(t, pcs[t.actor]) for t in system.transitions]
    r_actor: dict[str, set[int]] = {a.name: set() for a in system.actors}
    w_actor: dict[str, set[int]] = {a.name: set() for a in system.actors}
    for t in system.transitions:
        r_actor[t.actor] |= r_of[t.index]
        w_actor[t.actor] |= w_of[t.index]
    usable: dict[tuple[str, str], bool] = {}
    for t in system.transitions:
        key = (t.actor, t.step if pcs[t.actor] is not None else "")
        r_others: set[int] = set()
        w_others: set[int] = set()
        for a in system.actors:
            if a.name != t.actor:
                r_others |= r_actor[a.name]
                w_others |= w_actor[a.name]
        w, r = w_of[t.index], r_of[t.index]
        ok = not (w & (r_others | w_others)) and not (r & w_others) and not (w & visible)
        ok = ok and kinds[t.actor] in ("thread", "daemon")
        usable[key] = usable.get(key, True) and ok
    return usable


class Reduction:
    """The per-move priorities and the per-level successor filter."""

    def __init__(self, system: System, bases: tuple[int, ...]):
        self.system = system
        threads = [a for a in system.actors if a.pc_slot is not None]
        daemons = [a for a in system.actors if a.pc_slot is None]
        rank = {a.name: k for k, a in enumerate(threads + daemons)}  # threads first, then daemons
        self.none = len(rank)
        self.usable = usable_groups(system)
        moves = [math.prod(p.hi - p.lo + 1 for p in t.params) for t in system.transitions]
        total = (bases[-1] + moves[-1]) if moves else 0
        prio = np.full(total, self.none, dtype=np.int64)
        pcs = {a.name: a.pc_slot for a in system.actors}
        for t in system.transitions:
            key = (t.actor, t.step if pcs[t.actor] is not None else "")
            if self.usable[key]:
                prio[bases[t.index]:bases[t.index] + moves[t.index]] = rank[t.actor]
        self.prio = prio
        self.active = bool((prio < self.none).any())
        self.reduced_states = 0  # states expanded with an ample set
        self.proviso = 0  # states expanded fully by the cycle proviso

    def keep(self, nrows: int, parents: np.ndarray, codes: np.ndarray, keys: np.ndarray,
             store: StateStore) -> np.ndarray | None:
        """The indices of the successors to keep (ascending), or None for all.

        `parents` (frontier row of each successor) must be non-decreasing,
        as both expanders give them; `keys` are the packed successors."""
        if not parents.size:
            return None
        pr = self.prio[codes]
        if not (pr < self.none).any():
            return None
        starts = np.flatnonzero(np.concatenate(([True], parents[1:] != parents[:-1])))
        best = np.full(nrows, self.none, dtype=np.int64)
        best[parents[starts]] = np.minimum.reduceat(pr, starts)
        bp = best[parents]
        ample = (bp < self.none) & (pr == bp)
        cand = np.flatnonzero(ample)
        reduced = best < self.none
        hit = store.contains(keys[cand])
        if hit.any():  # C3: an ample successor is already visited: expand fully
            rows = np.unique(parents[cand[hit]])
            reduced[rows] = False
            self.proviso += int(rows.size)
        self.reduced_states += int(reduced.sum())
        keep = ~reduced[parents] | (pr == bp)
        if keep.all():
            return None
        return np.flatnonzero(keep)
