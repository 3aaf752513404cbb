"""Bounded model checking: is a bad state (or move) reachable in <= K steps?

Depths are tried in increasing order on one incremental solver shared by
every goal, so the first counterexample found for a goal is a shortest
one.  Among the shortest, the one reported is the least in the order of
moves (transition index, then parameter values, step by step): the trace
the explicit engine's breadth-first search finds, whatever model z3 gives.
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
                steps = moves + ([(sel, envs)] if goal.on_move else [])
                m = solver.model()
                try:
                    path = least_path(enc, solver, m, steps, deadline)
                except TimeoutError:  # out of time: z3's trace, still a shortest one
                    path = [enc.decode_move(m, s, e) for s, e in steps]
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


def least_path(enc: Encoder, solver: z3.Solver, model: z3.ModelRef,
               steps: list[tuple[Any, list[dict[int, Any]]]], deadline: float) -> list[tuple[int, tuple[int, ...]]]:
    """The least sequence of moves with a model, given `model` of the
    solver's assertions: each step's transition index minimised in turn,
    then its parameters.  Leaves the solver's assertions as they were;
    raises TimeoutError when z3 cannot answer in time."""
    solver.push()
    try:
        path = []
        for sel, envs in steps:
            tid = model.eval(sel, model_completion=True).as_long()
            for t in range(tid):
                better = _model(solver, deadline, sel == t)
                if better is not None:
                    tid, model = t, better
                    break
            solver.add(sel == tid)
            args = []
            for p in enc.system.transitions[tid].params:
                x = envs[tid][p.var.id]
                lo, hi = p.lo, model.eval(x, model_completion=True).as_long()
                while lo < hi:  # the least value in lo..hi that still has a model
                    better = _model(solver, deadline, x <= (lo + hi) // 2)
                    if better is None:
                        lo = (lo + hi) // 2 + 1
                    else:
                        model, hi = better, better.eval(x, model_completion=True).as_long()
                solver.add(x == hi)
                args.append(hi)
            path.append((tid, tuple(args)))
        return path
    finally:
        solver.pop()


def _model(solver: z3.Solver, deadline: float, extra: Any) -> z3.ModelRef | None:
    """A model of the solver's assertions and `extra`, or None if unsat."""
    solver.push()
    try:
        solver.add(extra)
        solver.set("timeout", _ms(deadline))
        r = solver.check()
        if r == z3.unknown:
            raise TimeoutError(f"z3: {solver.reason_unknown()} while minimising a trace")
        return solver.model() if r == z3.sat else None
    finally:
        solver.pop()


def bmc(enc: Encoder, goal: Goal, depth: int, deadline: float) -> Outcome:
    """`bmc_all` for one goal."""
    return next(o for _, o in bmc_all(enc, [goal], depth, deadline))
