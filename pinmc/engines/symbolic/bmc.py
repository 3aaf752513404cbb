"""Bounded model checking: is a bad state (or move) reachable in <= K steps?

Depths are tried in increasing order on one incremental solver, so the
first counterexample found is a shortest one, as in the explicit engine.
"""

from __future__ import annotations

import time

import z3

from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, UNKNOWN, Outcome


def _ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def bmc(enc: Encoder, goal: Goal, depth: int, deadline: float) -> Outcome:
    """Search counterexamples of length up to `depth` (+1 failing move)."""
    start = time.monotonic()
    solver = z3.Solver(ctx=enc.ctx)
    states = [enc.state("0")]
    solver.add(enc.init(states[0]))
    moves: list[tuple[object, list[dict[int, object]]]] = []
    for d in range(depth + 1):
        if time.monotonic() >= deadline:
            return Outcome(UNKNOWN, "bmc", note=f"time limit after depth {d - 1}")
        bad, sel, envs = enc.bad(goal, states[d], f"b{d}")
        solver.push()
        solver.add(bad)
        solver.set("timeout", _ms(deadline))
        r = solver.check()
        if r == z3.sat:
            m = solver.model()
            path = [enc.decode_move(m, s, e) for s, e in moves]  # type: ignore[arg-type]
            if goal.on_move:
                path.append(enc.decode_move(m, sel, envs))
            return Outcome(FOUND, "bmc", tuple(path), seconds=time.monotonic() - start)
        solver.pop()
        if r == z3.unknown:
            return Outcome(UNKNOWN, "bmc", note=f"z3: {solver.reason_unknown()} at depth {d}")
        nxt = enc.state(str(d + 1))
        rel, sel2, envs2 = enc.trans(states[d], nxt, f"t{d}")
        solver.add(rel)
        moves.append((sel2, envs2))
        states.append(nxt)
        # no path of length d+1 at all: every longer path is impossible too
        solver.set("timeout", _ms(deadline))
        if solver.check() == z3.unsat:
            return Outcome(PROVED, "bmc", note=f"every path ends within {d} steps",
                           seconds=time.monotonic() - start)
    return Outcome(UNKNOWN, "bmc", note=f"no counterexample up to depth {depth}",
                   seconds=time.monotonic() - start)
