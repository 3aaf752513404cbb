"""k-induction with simple-path constraints, strengthened by lemmas.

Step case for k: k+1 distinct states linked by transitions, the property
(and every lemma) holding in the first k, the property failing in the
last.  If that is unsatisfiable and no counterexample of length < k exists
(the base case, BMC), the property holds in every reachable state.
"""

from __future__ import annotations

import time

import z3

from pinmc.engines.symbolic.bmc import bmc
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, UNKNOWN, Outcome


def _distinct(a: list[object], b: list[object]) -> object:
    return z3.Or([x != y for x, y in zip(a, b)])  # type: ignore[comparison-overlap]


def kinduction(enc: Encoder, goal: Goal, max_k: int, deadline: float,
               lemmas: list[Goal] = ()) -> Outcome:  # type: ignore[assignment]
    """Prove `goal` by k-induction for k = 1..max_k, assuming `lemmas`
    (which the caller must have proved) in every state of the step case."""
    start = time.monotonic()
    step = z3.Solver(ctx=enc.ctx)
    states = [enc.state("k0")]
    step.add(enc.domain(states[0]))
    for lem in lemmas:
        step.add(enc.holds(lem, states[0], "l0"))
    for k in range(1, max_k + 1):
        if time.monotonic() >= deadline:
            break
        prev = states[-1]
        step.add(enc.holds(goal, prev, f"h{k - 1}"))
        nxt = enc.state(f"k{k}")
        step.add(enc.domain(nxt))
        step.add(enc.trans(prev, nxt, f"kt{k}")[0])
        for lem in lemmas:
            step.add(enc.holds(lem, nxt, f"l{k}"))
        for old in states:
            step.add(_distinct(old, nxt))
        states.append(nxt)
        step.push()
        step.add(enc.bad(goal, nxt, f"kb{k}")[0])
        step.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
        r = step.check()
        step.pop()
        if r == z3.unsat:
            base = bmc(enc, goal, k - 1, deadline)
            if base.status == FOUND:
                return base
            if base.status == UNKNOWN and "no counterexample up to" not in base.note:
                return Outcome(UNKNOWN, "kind", note=base.note)
            return Outcome(PROVED, "kind", note=f"{k}-inductive" + (f" with {len(lemmas)} lemma(s)" if lemmas else ""),
                           seconds=time.monotonic() - start)
        if r == z3.unknown:
            return Outcome(UNKNOWN, "kind", note=f"z3: {step.reason_unknown()} at k={k}")
    if time.monotonic() >= deadline:
        return Outcome(UNKNOWN, "kind", note=f"time limit at k={len(states) - 1}")
    base = bmc(enc, goal, max_k, deadline)
    if base.status == FOUND:
        return base
    return Outcome(UNKNOWN, "kind", note=f"not {max_k}-inductive; no counterexample up to depth {max_k}",
                   seconds=time.monotonic() - start)
