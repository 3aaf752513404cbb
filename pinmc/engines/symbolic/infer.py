"""Invariant inference: affine equalities guessed from samples, kept by
Houdini, then used to prove the goal by induction.

1. Sample reachable states near the initial one (breadth-first, with the
   reference semantics; wide `choose` ranges sampled at their ends).
2. Columns: every slot's value and, for signed machine integers, also its
   unsigned view (as `u32(x)` reads it).  The affine hull of the samples
   gives candidate equalities `c . v == d`; slot bounds `v >= min` are
   candidates too.
3. Houdini: drop every candidate that the initial state or one move from
   a state satisfying all candidates can break, until none breaks.
4. The survivors are an inductive invariant I.  If I and the goal's
   property together are inductive, the goal holds for every value; the
   formula is re-checked by `certify` and printed as a certificate.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from fractions import Fraction
from functools import reduce
from math import gcd
from typing import Any

import z3

from pinmc.engines.symbolic.certificate import OUT_OF_RESOURCES, certify, check, solver
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import PROVED, UNKNOWN, Outcome
from pinmc.ir.eval import State, fire
from pinmc.ir.system import System
from pinmc.ir.types import BoolT, MachT

SAMPLES = 400
# z3 resource units per check (Houdini's and the certificate's): a move
# check that the candidates fail can take z3 minutes where the proofs of
# specs/ take at most ~0.6M units; past this, the check counts as failed
# (deterministically) and the engine goes on to the next goal
RLIMIT = 3_000_000


def _sample_args(system: System, t_index: int) -> list[tuple[int, ...]]:
    t = system.transitions[t_index]
    choices = []
    for p in t.params:
        n = p.hi - p.lo + 1
        choices.append(range(p.lo, p.hi + 1) if n <= 8 else sorted({p.lo, p.lo + 1, (p.lo + p.hi) // 2, p.hi - 1, p.hi}))
    return list(itertools.product(*choices))


def sample(system: System, limit: int = SAMPLES) -> list[State]:
    """Up to `limit` reachable states, breadth-first from the initial one."""
    seen = {system.init}
    order = [system.init]
    queue = deque([system.init])
    args = [_sample_args(system, t.index) for t in system.transitions]
    while queue and len(order) < limit:
        s = queue.popleft()
        for t in system.transitions:
            for a in args[t.index]:
                _, nxt = fire(t, s, a)
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    order.append(nxt)
                    queue.append(nxt)
    return order


class Columns:
    """The numeric views of a state that candidate equalities range over."""

    def __init__(self, system: System):
        self.system = system
        # unsigned views first: the elimination then expresses the other
        # equalities through them, and they survive a signed wrap-around
        self.cols: list[tuple[int, bool]] = []  # (slot, unsigned view)
        for k, v in enumerate(system.vars):
            if isinstance(v.ty, MachT) and v.ty.signed:
                self.cols.append((k, True))
        for k, v in enumerate(system.vars):
            if not isinstance(v.ty, BoolT):
                self.cols.append((k, False))

    def values(self, s: State) -> list[int]:
        out = []
        for k, unsigned in self.cols:
            x = s[k]
            if unsigned:
                x %= 1 << self.system.vars[k].ty.bits  # type: ignore[union-attr]
            out.append(x)
        return out

    def term(self, i: int, state: list[Any]) -> Any:
        k, unsigned = self.cols[i]
        x = state[k]
        if unsigned:
            return z3.If(x < 0, x + (1 << self.system.vars[k].ty.bits), x)  # type: ignore[union-attr]
        return x

    def text(self, i: int) -> str:
        k, unsigned = self.cols[i]
        v = self.system.vars[k]
        if v.field == "pc":
            return f"pc({v.group})"
        if unsigned:
            return f"int(u{v.ty.bits}({v.name}))"  # type: ignore[union-attr]
        return f"int({v.name})" if isinstance(v.ty, MachT) or hasattr(v.ty, "members") else v.name


def affine_hull(rows: list[list[int]]) -> list[tuple[list[int], int]]:
    """Integer equalities (c, d) with c . r == d for every row r."""
    if not rows:
        return []
    m = len(rows[0])
    base = rows[0]
    diffs = [[Fraction(r[j] - base[j]) for j in range(m)] for r in rows[1:]]
    # row-reduce the differences; the null space gives the equalities
    pivots: list[int] = []
    mat: list[list[Fraction]] = []
    for r in diffs:
        r = r[:]
        for pi, pr in zip(pivots, mat):
            if r[pi] != 0:
                f = r[pi] / pr[pi]
                r = [a - f * b for a, b in zip(r, pr)]
        nz = next((j for j in range(m) if r[j] != 0), None)
        if nz is not None:
            pivots.append(nz)
            mat.append(r)
    free = [j for j in range(m) if j not in pivots]
    out = []
    for f in free:
        c = [Fraction(0)] * m
        c[f] = Fraction(1)
        for pi, pr in reversed(list(zip(pivots, mat))):
            s = sum(pr[j] * c[j] for j in range(m) if j != pi)
            c[pi] = -s / pr[pi]
        denom = reduce(lambda a, b: a * b // gcd(a, b), (x.denominator for x in c), 1)
        ints = [int(x * denom) for x in c]
        g = reduce(gcd, (abs(x) for x in ints if x), 0) or 1
        ints = [x // g for x in ints]
        d = sum(a * b for a, b in zip(ints, base))
        out.append((ints, d))
    return out


def _equality_text(cols: Columns, c: list[int], d: int) -> str:
    terms = []
    for i, a in enumerate(c):
        if a:
            name = cols.text(i)
            terms.append(name if a == 1 else f"-{name}" if a == -1 else f"{a} * {name}")
    lhs = " + ".join(terms).replace("+ -", "- ")
    return f"{lhs} == {d}"


def invariant(enc: Encoder, deadline: float) -> list[tuple[Any, Any, str]] | None:
    """The candidates (formula at s, at n, pinmc text) that survive Houdini,
    or None if the deadline came first.  They depend on the system only, not
    on the goal: they are worked out once per encoder (`enc.memo`) and reused
    by every goal, unless z3 gave up on a check on the way."""
    if "houdini" in enc.memo:
        return enc.memo["houdini"]  # type: ignore[no-any-return]
    system = enc.system
    cols = Columns(system)
    rows = [cols.values(s) for s in sample(system)]
    s, n = enc.state("s"), enc.state("n")
    cands: list[tuple[Any, Any, str]] = []  # (formula at s, formula at n, pinmc text)
    for c, d in affine_hull(rows):
        fs = sum((a * cols.term(i, s) for i, a in enumerate(c) if a), z3.IntVal(0, enc.ctx)) == d
        fn = sum((a * cols.term(i, n) for i, a in enumerate(c) if a), z3.IntVal(0, enc.ctx)) == d
        cands.append((fs, fn, _equality_text(cols, c, d)))
    for i in range(len(cols.cols)):
        lo, hi = min(r[i] for r in rows), max(r[i] for r in rows)
        cands.append((cols.term(i, s) >= lo, cols.term(i, n) >= lo, f"{cols.text(i)} >= {lo}"))
        cands.append((cols.term(i, s) <= hi, cols.term(i, n) <= hi, f"{cols.text(i)} <= {hi}"))
    step = z3.And(enc.domain(s), enc.trans(s, n, "h")[0])
    init = enc.init(s)
    undecided = False  # a check z3 gave up on (time): the survivors are not kept for other goals
    while cands:
        if time.monotonic() >= deadline:
            return None
        step_solver = solver(enc.ctx, deadline, RLIMIT)
        step_solver.add(step, *(f for f, _, _ in cands))
        keep = []
        changed = False
        for fs, fn, text in cands:
            bad_init = solver(enc.ctx, deadline, RLIMIT)
            bad_init.add(init, z3.Not(fs))
            r_init, why_init = check(bad_init, RLIMIT)
            r_step, why_step = None, ""
            if r_init == z3.unsat:
                r_step, why_step = check(step_solver, RLIMIT, z3.Not(fn))
            if r_init != z3.unsat or r_step != z3.unsat:
                # out of time: the survivors may differ on a later try; out
                # of resources: they would not
                undecided = undecided or any(r == z3.unknown and not why.startswith(OUT_OF_RESOURCES)
                                             for r, why in ((r_init, why_init), (r_step, why_step)))
                changed = True
                continue
            keep.append((fs, fn, text))
        cands = keep
        if not changed:
            break
    if not undecided:
        enc.memo["houdini"] = cands
    return cands


def infer(enc: Encoder, goal: Goal, deadline: float) -> Outcome:
    """Try to prove `goal` with an inferred inductive invariant."""
    start = time.monotonic()
    cands = invariant(enc, deadline)
    if cands is None:
        return Outcome(UNKNOWN, "infer", note="time limit during Houdini")
    s = enc.state("s")
    inv = z3.And([f for f, _, _ in cands]) if cands else z3.BoolVal(True, enc.ctx)
    prop = enc.holds(goal, s, "p")
    problem = certify(enc, goal, z3.And(inv, prop), deadline, RLIMIT)
    if problem is not None:
        return Outcome(UNKNOWN, "infer", note=f"inferred invariant not strong enough ({problem})",
                       seconds=time.monotonic() - start)
    text = " and ".join(f"({t})" for _, _, t in cands) or "true"
    return Outcome(PROVED, "infer", note=f"inductive with {len(cands)} inferred invariant(s)",
                   certificate=text, seconds=time.monotonic() - start)
