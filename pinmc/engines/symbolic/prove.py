"""`pinmc prove`: decide every property with the z3 engines.

Engines: `bmc` (bounded, finds shortest counterexamples), `kind`
(k-induction), `pdr` (Spacer, run in two configurations as separate
processes: `spacer.global` on and off, since either may fail where the
other succeeds), and `auto`: all of them as a portfolio of processes
within the time limit.  The answer does not depend on which process is
fastest: counterexamples always come from BMC (so they are shortest) and
are replayed by the reference semantics, and a proof is taken from the
first engine in `PROOF_ORDER` that gives one, waiting only for the engines
before it (so a run gives the same engine and certificate each time, unless
a time limit cuts an engine short).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from dataclasses import dataclass, replace
from typing import Any, Iterator

import z3

from pinmc.engines.base import (FREE, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Result, cert_name,
                                Stats, Verdict)
from pinmc.engines.resources import memory_text, proportional_resident, timeout_text
from pinmc.engines.symbolic.bmc import bmc_all
from pinmc.engines.symbolic.certificate import certify
from pinmc.engines.symbolic.encode import Encoder, Goal
from pinmc.engines.symbolic.infer import infer
from pinmc.engines.symbolic.kinduction import kinduction
from pinmc.engines.symbolic.outcome import FOUND, PROVED, Outcome
from pinmc.engines.symbolic.outcome import UNKNOWN as UNKNOWN_OUTCOME
from pinmc.engines.symbolic.pdr import pdr
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec
from pinmc.trace import replay

ENGINES = ("auto", "bmc", "kind", "infer", "pdr")
INTERRUPTED = "interrupted (Ctrl-C)"  # the limit of a run Ctrl-C stopped (as the explicit engine says it)
# which engine's proof is preferred: certificates and invariants first
PROOF_ORDER = ("certificate", "infer", "kind", "pdr-global", "pdr", "bmc")


@dataclass(frozen=True)
class ProveOptions:
    engine: str = "auto"
    depth: int = 30  # BMC depth and the largest k of k-induction
    timeout: float = 30.0  # seconds, for all properties together
    memory: int | None = None  # bytes the prover's processes may hold together (then: unknown, exit 3)


@dataclass(frozen=True)
class Source:
    """How a worker process rebuilds the system (z3 objects do not cross processes)."""

    spec: str
    proposal: str | None
    defines: tuple[tuple[str, int], ...]
    certificate: str | None


def _system(src: Source) -> System:
    return compile_spec(src.spec, src.proposal, dict(src.defines), src.certificate)


def _goals(system: System, enc: Encoder, certificate: str | None) -> list[Goal]:
    """Every property to decide, less the lemmas read from a certificate file."""
    from_cert = {p.name for p in system.properties
                 if certificate is not None and p.span is not None and p.span.file.name == certificate}
    return [g for g in enc.goals() if g.prop not in from_cert]


def outcomes(system: System, engine: str, opts: ProveOptions, deadline: float,
             certificate: str | None = None) -> Iterator[tuple[int, Outcome]]:
    """Run one engine (bmc, kind, infer, pdr or pdr-global) on every goal, lemmas
    first (k-induction assumes the lemmas it proved), yielding (goal index,
    outcome) as each is decided.  The engine works in a z3 context of its
    own: z3's search depends on the terms a context made before (their ids
    order its rewriting), so a shared one would make a proof's cost depend
    on what the process proved earlier."""
    enc = Encoder(system, z3.Context())
    goals = _goals(system, enc, certificate)
    if engine == "bmc":
        yield from bmc_all(enc, goals, opts.depth, deadline)
        return
    proved_lemmas: list[Goal] = []
    for i in sorted(range(len(goals)), key=lambda i: goals[i].kind != "lemma"):
        g = goals[i]
        if engine == "kind":
            o = kinduction(enc, g, opts.depth, deadline, [] if g.kind == "lemma" else proved_lemmas)
            if g.kind == "lemma" and o.status == PROVED:
                proved_lemmas.append(g)
        elif engine == "infer":
            o = infer(enc, g, deadline)
        else:
            o = pdr(enc, g, deadline, global_gen=(engine == "pdr-global"))
        yield i, o


def _worker(src: Source, engine: str, opts: ProveOptions, deadline: float, q: Any) -> None:
    # z3's own assertion messages (Spacer's global generalizer has one) go
    # to the process's stderr: keep them out of the user's terminal
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    if opts.memory is not None:  # z3's own ceiling, in MiB: its solvers give up with "out of memory"
        z3.set_param("memory_max_size", max(1, opts.memory >> 20))
    try:
        for i, o in outcomes(_system(src), engine, opts, deadline, src.certificate):
            q.put((engine, i, o))
    except Exception as e:  # noqa: BLE001 - this engine just gives no answer
        q.put((engine, -1, f"{type(e).__name__}: {e}"))
    q.put((engine, None, None))


def _portfolio(src: Source, engines: list[str], opts: ProveOptions, n_goals: int,
               deadline: float) -> tuple[dict[int, list[Outcome]], str | None]:
    """Run the engines as processes until every goal is settled, they all
    finish, or the deadline; returns each goal's outcomes and the memory
    limit's message if the processes together went over `opts.memory`
    (checked at least every half second; all of them are then stopped)."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(src, e, opts, deadline, q), daemon=True) for e in engines]
    for p in procs:
        p.start()
    answers: dict[int, list[Outcome]] = {i: [] for i in range(n_goals)}
    running = set(engines)
    over: str | None = None
    try:
        while running and time.monotonic() < deadline + 1:
            if all(_settled(answers[i], running) for i in answers):
                break
            if opts.memory is not None:
                held = proportional_resident() + sum(proportional_resident(p.pid) for p in procs if p.is_alive())
                if held >= opts.memory:
                    over = memory_text(opts.memory, held)
                    break
            try:
                engine, i, o = q.get(timeout=max(0.05, min(0.5, deadline + 1 - time.monotonic())))
            except queue.Empty:
                continue
            if i is None:
                running.discard(engine)
            elif i >= 0:
                answers[i].append(o)
            else:  # the engine failed (o says why): a note for every goal it leaves open
                for k in answers:
                    answers[k].append(Outcome(UNKNOWN_OUTCOME, engine, note=f"{engine}: {o}"))
    except KeyboardInterrupt:  # the processes are stopped; what they said stands
        over = INTERRUPTED
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        for p in procs:
            p.join(timeout=1)
    return answers, over


def _rank(o: Outcome) -> int:
    return PROOF_ORDER.index(o.engine) if o.engine in PROOF_ORDER else len(PROOF_ORDER)


def _settled(outcomes: list[Outcome], running: set[str] | frozenset[str] = frozenset()) -> bool:
    """A goal is settled by a counterexample with moves, or by a proof that
    no engine still `running` and not yet heard from on it would beat."""
    if any(o.status == FOUND and o.moves is not None for o in outcomes):
        return True
    proofs = [o for o in outcomes if o.status == PROVED]
    if not proofs:
        return False
    best = min(_rank(o) for o in proofs)
    heard = {o.engine for o in outcomes}
    return not any(PROOF_ORDER.index(e) < best for e in running - heard if e in PROOF_ORDER)


def _choose(outcomes: list[Outcome]) -> Outcome | None:
    """The answer to report: a replayable counterexample, else the proof of
    the first engine in PROOF_ORDER, else a counterexample without moves."""
    for o in outcomes:
        if o.status == FOUND and o.moves is not None:
            return o
    proofs = [o for o in outcomes if o.status == PROVED]
    if proofs:
        return min(proofs, key=_rank)
    for o in outcomes:
        if o.status == FOUND:
            return o
    return None


def _verdict(system: System, goal: Goal, o: Outcome | None, notes: list[str]) -> Verdict:
    yes = {"reachable": REACHABLE, "deadlock": REACHABLE}.get(goal.kind, VIOLATED)
    no = {"reachable": UNREACHABLE, "deadlock": FREE}.get(goal.kind, HOLDS)
    if o is None:
        return Verdict(goal.prop, goal.kind, UNKNOWN, "prove", None, "; ".join(n for n in notes if n))
    if o.status == PROVED:
        return Verdict(goal.prop, goal.kind, no, o.engine, None, o.note, o.certificate, o.seconds)
    trace = replay(system, list(o.moves)) if o.moves is not None else None
    return Verdict(goal.prop, goal.kind, yes, o.engine, trace, o.note, None, o.seconds)


def prove(spec: str, proposal: str | None = None, defines: dict[str, int] | None = None,
          opts: ProveOptions = ProveOptions(), certificate: str | None = None) -> tuple[System, Result]:
    """Decide every property of the spec symbolically."""
    src = Source(spec, proposal, tuple(sorted((defines or {}).items())), certificate)
    system = _system(src)
    start = time.monotonic()
    deadline = start + opts.timeout
    enc = Encoder(system, z3.Context())
    goals = _goals(system, enc, certificate)
    answers: dict[int, list[Outcome]] = {i: [] for i in range(len(goals))}
    if certificate is not None:
        for i, o in _check_certificates(system, enc, goals, deadline):
            answers[i].append(o)
    open_goals = [i for i in answers if not _settled(answers[i])]
    over: str | None = None
    if open_goals:
        if opts.engine in ("bmc", "kind", "infer") and opts.memory is None:
            try:
                for i, o in outcomes(system, opts.engine, opts, deadline, certificate):
                    answers[i].append(o)
                    if o.status == UNKNOWN_OUTCOME and "canceled" in o.note and time.monotonic() < deadline - 0.01:
                        over = INTERRUPTED  # z3 took the Ctrl-C itself and canceled its solver
                        break
            except KeyboardInterrupt:
                over = INTERRUPTED
        else:  # a portfolio, or one engine in a process whose memory can be watched
            engines = {"pdr": ["pdr-global", "pdr"], "auto": ["bmc", "infer", "kind", "pdr-global", "pdr"]}.get(
                opts.engine, [opts.engine])
            got, over = _portfolio(src, engines, opts, len(goals), deadline)
            for i in got:
                answers[i] += got[i]
    verdicts = [_verdict(system, g, _choose(answers[i]), [o.note for o in answers[i]])
                for i, g in enumerate(goals)]
    complete = all(v.status != UNKNOWN for v in verdicts)
    limit = None
    if not complete:
        if over is not None:
            limit = over
        elif time.monotonic() >= deadline - 0.01:
            limit = f"{timeout_text(opts.timeout)} reached"
        elif any("canceled" in v.note for v in verdicts if v.status == UNKNOWN):
            limit = INTERRUPTED  # z3 took the Ctrl-C itself: a solver was canceled before the deadline
    if limit is not None:
        verdicts = [replace(v, note=f"stopped: {limit}" + (f"; {v.note}" if v.note else ""))
                    if v.status == UNKNOWN else v for v in verdicts]
    stats = Stats(0, 0, 0, time.monotonic() - start, 0, complete, limit)
    return system, Result(system.name, system.proposal, "prove", tuple(verdicts), stats)


def _check_certificates(system: System, enc: Encoder, goals: list[Goal],
                        deadline: float) -> list[tuple[int, Outcome]]:
    """Re-check `cert_P` lemmas read from a certificate file as proofs of P."""
    out = []
    s = enc.state("s")
    index = {cert_name(g.prop): i for i, g in enumerate(goals)}
    for p in system.properties:
        if p.name not in index:
            continue
        goal = goals[index[p.name]]
        formula = z3.And(enc.expr(p.expr, s, {}), enc.holds(goal, s, "c"))
        problem = certify(enc, goal, formula, deadline)
        if problem is None:
            out.append((index[p.name], Outcome(PROVED, "certificate", note=f"certificate {p.name} re-checked",
                                               certificate=p.source)))
    return out
