"""Bounded model checking: is a bad state (or move) reachable in <= K steps?

Depths are tried in increasing order on one incremental solver shared by
every goal, so the first counterexample found for a goal is a shortest
one, as in the explicit engine.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import z3

from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.outcome import FOUND, PROVED, UNKNOWN, Outcome


def _ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def bmc_all(enc: Encoder, goals: list[Goal], depth: int, deadline: float) -> Iterator[tuple[int, Outcome]]:
    """Yield (goal index, outcome) for every goal: found (with the moves of
    a shortest trace), proved (every path ends before the bound), or unknown."""
    start = time.monotonic()
    solver = z3.Solver(ctx=enc.ctx)
    states = [enc.state("0")]
    solver.add(enc.init(states[0]))
    moves: list[tuple[Any, list[dict[int, Any]]]] = []
    open_goals = list(range(len(goals)))
    for d in range(depth + 1):
        for i in list(open_goals):
            if time.monotonic() >= deadline:
                for j in open_goals:
                    yield j, Outcome(UNKNOWN, "bmc", note=f"time limit at depth {d}")
                return
            goal = goals[i]
            bad, sel, envs = enc.bad(goal, states[d], f"b{d}.{i}")
            solver.push()
            solver.add(bad)
            solver.set("timeout", _ms(deadline))
            r = solver.check()
            if r == z3.sat:
                m = solver.model()
                path = [enc.decode_move(m, s, e) for s, e in moves]
                if goal.on_move:
                    path.append(enc.decode_move(m, sel, envs))
                open_goals.remove(i)
                yield i, Outcome(FOUND, "bmc", tuple(path), seconds=time.monotonic() - start)
            solver.pop()
            if r == z3.unknown:
                open_goals.remove(i)
                yield i, Outcome(UNKNOWN, "bmc", note=f"z3: {solver.reason_unknown()} at depth {d}")
        if not open_goals:
            return
        nxt = enc.state(str(d + 1))
        rel, sel2, envs2 = enc.trans(states[d], nxt, f"t{d}")
        solver.add(rel)
        moves.append((sel2, envs2))
        states.append(nxt)
        solver.set("timeout", _ms(deadline))
        if solver.check() == z3.unsat:  # no path of length d+1: none longer either
            for j in open_goals:
                yield j, Outcome(PROVED, "bmc", note=f"every path ends within {d} steps",
                                 seconds=time.monotonic() - start)
            return
    for j in open_goals:
        yield j, Outcome(UNKNOWN, "bmc", note=f"no counterexample up to depth {depth}",
                         seconds=time.monotonic() - start)


def bmc(enc: Encoder, goal: Goal, depth: int, deadline: float) -> Outcome:
    """`bmc_all` for one goal."""
    return next(o for _, o in bmc_all(enc, [goal], depth, deadline))
