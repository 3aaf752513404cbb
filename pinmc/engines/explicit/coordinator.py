"""The driver of a hash-partitioned search: rounds, global ranks, verdicts.

A `Team` is a set of partitions (`partition.Partition`) behind some
transport: one in this process (`LocalTeam`), worker processes
(`parallel.ProcessTeam`) or cluster actors (`cluster.RayTeam`).  Every
round each partition plays an `Order` and answers with a `Report`.

`Plan` is the single-process search's level loop (`Search.run`) as a
deterministic state machine: given the reports of a round (and the limits
only this process can see: Ctrl-C, `--timeout`, `--memory`), it says what
every partition does next.  The coordinator runs it here; worker
processes run copies of it themselves, so they go on to the next level
without waiting for this process (see `parallel`).  Its rules are the
single-process ones:

* a level is expanded in chunks of `bfs.CHUNK` frontier states (by global
  rank), with `--max-states`, `--timeout`, `--memory` and Ctrl-C checked
  between chunks and, with `--max-depth` first, between levels;
* after a limit, the last level (complete or cut) is settled and looked at
  for property hits, and the search stops.

`Coordinator` records what was found with the same "first found" rule, so
that `Search.verdicts` and `bfs.check` report exactly what the
single-process search would: property hits, the least global rank over the
partitions' first hits in the earliest level; failing checks, the least
(rank, move code); deadlocks, the least rank.

The search starts in one local partition and is handed to the bigger team
(`make_team`) once a level holds `Options.parallel_from` states: spawning
workers for a spec of a few hundred states costs more than it saves.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from pinmc.engines.explicit import bfs
from pinmc.engines.explicit.bfs import Search
from pinmc.engines.explicit.codegen import move_count
from pinmc.engines.explicit.partition import Order, Partition, Report, Seed
from pinmc.engines.resources import Watch, memory_text, resident, timeout_text

# limits only the coordinating process can see: (Ctrl-C, --timeout/--memory), each a message or None
External = tuple[str | None, str | None]
NO_LIMIT: External = (None, None)

MakeTeam = Callable[[list[Seed], "Plan", list[Order]], "Team"]


class Team(Protocol):
    """Partitions behind a transport, played in lockstep.

    `round` plays one order per partition and returns every report, with
    the external limits as `external()` saw them once this process's share
    of the round was done."""

    size: int

    def round(self, orders: list[Order], external: Callable[[], External]) -> tuple[list[Report], External]: ...
    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    def peak_bytes(self) -> int: ...
    def resident(self) -> int: ...
    def close(self) -> None: ...


class WorkerError(RuntimeError):
    """A worker failed (its traceback in the message) or went away."""


class LocalTeam:
    """One partition that owns every state, in this process."""

    size = 1

    def __init__(self, partition: Partition):
        self.partition = partition

    def round(self, orders: list[Order], external: Callable[[], External]) -> tuple[list[Report], External]:
        report = self.partition.play(orders[0], lambda out: out)
        return [report], external()

    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.partition.lookup(gids)

    def peak_bytes(self) -> int:
        return 0  # counted as this process's own growth

    def resident(self) -> int:
        return resident()

    def close(self) -> None:
        pass


def global_ranks(fresh: list[np.ndarray]) -> list[np.ndarray]:
    """The rank of every partition's new order keys among all of them
    (keys are distinct across partitions, each array sorted)."""
    if len(fresh) == 1:
        return [np.arange(fresh[0].size, dtype=np.int64)]
    if len(fresh) <= 8:  # a rank is the own position plus the smaller keys of the others
        out = []
        for k, f in enumerate(fresh):
            r = np.arange(f.size, dtype=np.int64)
            for j, g in enumerate(fresh):
                if j != k and g.size:
                    r += np.searchsorted(g, f)
            out.append(r)
        return out
    allk = np.concatenate(fresh)
    ranks = np.empty(allk.size, dtype=np.int64)
    ranks[np.argsort(allk, kind="stable")] = np.arange(allk.size, dtype=np.int64)
    return np.split(ranks, np.cumsum([f.size for f in fresh])[:-1])


@dataclass
class Plan:
    """The level loop of the single-process search, as a state machine over
    rounds (module docstring).  Deterministic: every copy fed the same
    reports and external limits gives the same orders."""

    count: int  # partitions
    max_depth: int | None
    max_states: int | None
    deadlocks: bool  # the system has a deadlock property
    open_props: int  # properties not yet hit (bit k = property k)
    cap: int | None = None  # states after which the search stops (`bfs.id_cap`)
    n: int = 1  # states so far
    base: int = 0  # global id of the first state of the frontier level
    size: int = 1  # states in the frontier level
    depth: int = 0
    lo: int = 0  # first rank of the chunk being expanded
    found: int = 0  # new states of the next level so far
    fresh: list[list[np.ndarray]] = field(default_factory=list)  # per partition, per chunk: new order keys
    deadlock: bool = False  # a deadlock was found
    limit: str | None = None  # the limit that stopped the search
    complete: bool = False  # the frontier ran empty
    final: bool = False  # the last orders only settle and look for property hits
    level_start: bool = False  # the last orders start a level

    def first(self, external: External) -> list[Order] | None:
        """The orders of the first round: level 0, the initial state (seeded)."""
        return self._start([None] * self.count, external)

    def _want(self) -> bool:
        return self.deadlocks and not self.deadlock

    def _start(self, ranks: list[np.ndarray | None], external: External) -> list[Order] | None:
        """Orders that settle the new level (`ranks`) and expand its first chunk."""
        self.level_start = True
        if not self.size:
            self.complete = True
            return None
        interrupt, resources = external
        self.limit = interrupt
        if self.limit is None and self.max_depth is not None and self.depth >= self.max_depth:
            self.limit = f"--max-depth {self.max_depth}"
        if self.limit is None and self.max_states is not None and self.n >= self.max_states:
            self.limit = f"--max-states {self.max_states}"
        if self.limit is None and self.cap is not None and self.n >= self.cap:
            self.limit = bfs.cap_text(self.cap)
        self.limit = self.limit or resources
        if self.limit is not None:
            self.final = True
            return [Order(r, self.base, self.open_props, 0, 0, False) for r in ranks]
        self.lo, self.found = 0, 0
        self.fresh = [[] for _ in range(self.count)]
        hi = min(self.size, bfs.CHUNK)
        return [Order(r, self.base, self.open_props, 0, hi, self._want()) for r in ranks]

    def advance(self, reports: list[Report], external: External) -> list[Order] | None:
        """The orders after a round that ended with `reports`; None: stop."""
        for r in reports:
            for bit, _ in r.hits:
                self.open_props &= ~(1 << bit)
        if self.final:
            return None
        self.level_start = False
        self.deadlock = self.deadlock or any(r.deadlock >= 0 for r in reports)
        for k, r in enumerate(reports):
            self.fresh[k].append(r.fresh)
            self.found += r.fresh.size
        nxt = self.lo + bfs.CHUNK
        if nxt < self.size:  # between two chunks of a level
            interrupt, resources = external
            self.limit = interrupt
            if self.limit is None and self.max_states is not None and self.n + self.found >= self.max_states:
                self.limit = f"--max-states {self.max_states}"
            if self.limit is None and self.cap is not None and self.n + self.found >= self.cap:
                self.limit = bfs.cap_text(self.cap)
            self.limit = self.limit or resources
            if self.limit is None:
                self.lo = nxt
                hi = min(self.size, nxt + bfs.CHUNK)
                return [Order(None, self.base, 0, nxt, hi, self._want()) for _ in range(self.count)]
        ranks: list[np.ndarray | None] = list(global_ranks([np.concatenate(f) for f in self.fresh]))
        self.base, self.size = self.n, self.found
        self.n += self.found
        if self.size:
            self.depth += 1
        if self.limit is not None:  # cut within the level: what it found is the last frontier
            self.final = True
            return [Order(r, self.base, self.open_props, 0, 0, False) for r in ranks]
        return self._start(ranks, external)


@dataclass
class Paths:
    """What `Search.verdicts` needs of a store once the states live in
    partitions: the state count and the move codes to the found states."""

    n: int
    codes: dict[int, list[int]]

    def path(self, sid: int) -> list[int]:
        return list(self.codes[sid])


def trace_codes(team: Team, sids: set[int]) -> dict[int, list[int]]:
    """Move codes from the root to each state of `sids`: the parent
    pointers of all of them are followed together; each lookup resolves
    the ancestors its partitions store, as far up as each can go alone."""
    step: dict[int, tuple[int, int]] = {}  # global id -> (parent id, move code)
    while True:
        ends = set()
        for s in sids:
            g = s
            while g != 0 and g in step:
                g = step[g][0]
            if g != 0:
                ends.add(g)
        if not ends:
            break
        gids, parents, codes = team.lookup(np.array(sorted(ends), dtype=np.int64))
        step.update(zip(gids.tolist(), zip(parents.tolist(), codes.tolist())))
        missing = sorted(g for g in ends if g not in step)
        if missing:
            raise WorkerError(f"no partition stores states {missing}")
    out: dict[int, list[int]] = {}
    for s in sids:
        codes_back, g = [], s
        while g != 0:
            g, code = step[g]
            codes_back.append(code)
        out[s] = codes_back[::-1]
    return out


class Interrupt:
    """Ctrl-C as a flag checked between levels (a level is never cut in
    half, so the partitions stay in step); a second Ctrl-C raises
    KeyboardInterrupt at once.  Only in the main thread, where signals go."""

    def __init__(self) -> None:
        self.hit = False
        self.old: object = None

    def __enter__(self) -> "Interrupt":
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.hit:
            raise KeyboardInterrupt
        self.hit = True

    def __exit__(self, *exc: object) -> None:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)  # type: ignore[arg-type]


class Coordinator:
    """Plays `search` (a single-process `Search`, not yet run) over
    partitions and fills in its findings, statistics and a `Paths` store,
    so that `search.verdicts()` gives the single-process verdicts."""

    def __init__(self, search: Search, workers: int, make_team: MakeTeam, parallel_from: int):
        self.search, self.workers, self.make_team = search, workers, make_team
        self.parallel_from = parallel_from
        self.moves = move_count(search.system)
        self.peak_elsewhere = 0  # peak memory of the other processes (bytes)
        self.handed_over = False

    def _local(self) -> LocalTeam:
        s = self.search
        part = Partition(s.expander, s.layout, s.sym, self.moves, 0, 1)
        init = s.expander.initial()
        if s.sym is not None:
            init = s.sym.canon(init)
        keys = s.expander.pack(init)
        zero = np.zeros(1, dtype=np.int64)
        part.seed(Seed(keys, zero, zero, zero, 0))
        return LocalTeam(part)

    def run(self) -> None:
        """Explore; afterwards the search's fields hold what was found."""
        s, opts = self.search, self.search.options
        start = last = time.monotonic()
        watch = Watch(opts.timeout, opts.memory, start)
        team: Team = self._local()
        plan = Plan(1, opts.max_depth, opts.max_states, s.want_deadlock, s.open_props, s.cap)
        try:
            with Interrupt() as interrupt:
                def external() -> External:
                    return ("interrupted (Ctrl-C)" if interrupt.hit else None), self._resources(watch, team)

                orders = plan.first(external())
                while orders is not None:
                    if (team.size == 1 and self.workers > 1 and plan.level_start and not plan.final
                            and plan.size >= self.parallel_from):
                        team, orders = self._hand_over(team, plan, orders)
                    base = plan.base
                    reports, seen = team.round(orders, external)
                    self._record(reports, base, orders[0])
                    orders = plan.advance(reports, seen)
                    if s.progress is not None and plan.level_start:
                        now = time.monotonic()
                        if now - last >= 0.5:
                            last = now
                            s.progress(plan.n, plan.depth, now - start)
                s.depth, s.limit, s.complete = plan.depth, plan.limit, plan.complete
                s.seconds = time.monotonic() - start
                s.store = Paths(plan.n, trace_codes(team, self._found_ids()))  # type: ignore[assignment]
                self.peak_elsewhere = team.peak_bytes()
        finally:
            team.close()

    def _resources(self, watch: Watch, team: Team) -> str | None:
        """--timeout or --memory, named as the single-process search names
        them; memory is what every process of the team holds."""
        if watch.out_of_time():
            return f"{timeout_text(watch.timeout)} reached"  # type: ignore[arg-type]
        if watch.memory is not None:
            held = team.resident()
            if held >= watch.memory:
                return memory_text(watch.memory, held)
        return None

    def _hand_over(self, team: Team, plan: Plan, orders: list[Order]) -> tuple[Team, list[Order]]:
        """Divide the local partition's states among the workers' partitions;
        the orders of the level about to start, for every partition."""
        assert isinstance(team, LocalTeam)
        o = orders[0]
        if o.ranks is not None:
            team.partition.settle(o.ranks, o.base)
        seeds = team.partition.split(self.workers)
        team.close()
        self.handed_over = True
        plan.count = self.workers
        plan.fresh = [[] for _ in range(self.workers)]
        orders = [Order(None, o.base, o.hits, o.lo, o.hi, o.want_deadlock)] * self.workers
        return self.make_team(seeds, plan, orders), orders

    def _record(self, reports: list[Report], base: int, order: Order) -> None:
        """What the partitions found in a round over the level from `base`."""
        s = self.search
        best: dict[int, int] = {}
        for r in reports:
            for bit, rank in r.hits:
                best[bit] = min(rank, best.get(bit, rank))
        for bit in sorted(best):
            if s.open_props >> bit & 1:
                s.found_props[bit] = base + best[bit]
                s.open_props &= ~(1 << bit)
        if order.hi <= order.lo:
            return
        s.transitions += sum(r.transitions for r in reports)
        dead = [r.deadlock for r in reports if r.deadlock >= 0]
        if dead and s.deadlock is None:
            s.deadlock = base + min(dead)
        first: dict[str, tuple[int, int]] = {}
        for r in reports:
            for prop, hit in r.viols.items():
                if prop not in first or hit < first[prop]:
                    first[prop] = hit
        for prop in sorted(first):
            if prop in s.open_checks:
                s.open_checks.discard(prop)
                rank, code = first[prop]
                s.found_checks[prop] = (base + rank, code)

    def _found_ids(self) -> set[int]:
        s = self.search
        ids = set(s.found_props.values()) | {sid for sid, _ in s.found_checks.values()}
        if s.deadlock is not None:
            ids.add(s.deadlock)
        return ids
