"""IC3/PDR through z3's Spacer, on constrained Horn clauses.

    Inv(s)  <- init(s)
    Inv(s') <- Inv(s), move_t(s, s')          (one clause per transition)
    Err     <- Inv(s), bad(s)

Err unreachable: Spacer's interpretation of Inv is an inductive invariant
that excludes every bad state.  We do not take its word for it: the
invariant is re-checked with a separate solver (`certify`) before the
property is called proved, and printed in pinmc syntax as a certificate.
"""

from __future__ import annotations

import time

import z3

from pinmc.engines.symbolic.certificate import certify, to_pinmc
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, UNKNOWN, Outcome


def pdr(enc: Encoder, goal: Goal, deadline: float, global_gen: bool) -> Outcome:
    """Decide `goal` with Spacer (`spacer.global` on or off)."""
    name = "pdr" + ("-global" if global_gen else "")
    start = time.monotonic()
    ctx = enc.ctx
    fp = z3.Fixedpoint(ctx=ctx)
    fp.set(engine="spacer")
    fp.set("spacer.global", global_gen)
    fp.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    sorts = [x.sort() for x in enc.state("sort")]
    inv = z3.Function("Inv", *sorts, z3.BoolSort(ctx))
    err = z3.Function("Err", z3.BoolSort(ctx))
    fp.register_relation(inv, err)
    s, s2 = enc.state("s"), enc.state("n")
    fp.declare_var(*s, *s2)
    fp.rule(inv(*s), enc.init(s))
    for t in enc.system.transitions:
        env, rng = enc.params(t, "p")
        if env:
            fp.declare_var(*env.values())
        fp.rule(inv(*s2), [inv(*s), enc.domain(s), rng, enc.move(t, s, s2, env)])
    bad, sel, envs = enc.bad(goal, s, "q")
    if sel is not None:
        fp.declare_var(sel)
    for env in envs:
        if env:
            fp.declare_var(*env.values())
    fp.rule(err(), [inv(*s), bad])
    try:
        r = fp.query(err())
    except z3.Z3Exception as e:
        return Outcome(UNKNOWN, name, note=f"z3 error: {e}")
    if r == z3.sat:
        return Outcome(FOUND, name, note="Spacer found the bad state reachable",
                       seconds=time.monotonic() - start)
    if r != z3.unsat:
        return Outcome(UNKNOWN, name, note=f"z3: {fp.reason_unknown()}")
    answer = fp.get_cover_delta(-1, inv)
    formula = z3.substitute_vars(answer, *s)  # Var(i) is the i-th argument of Inv
    problem = certify(enc, goal, formula, deadline)
    if problem is not None:
        return Outcome(UNKNOWN, name, note=f"Spacer's invariant failed re-checking: {problem}")
    return Outcome(PROVED, name, note="inductive invariant found and re-checked",
                   certificate=to_pinmc(enc.system, formula, s), seconds=time.monotonic() - start)
