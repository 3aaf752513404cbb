"""Breadth-first search over all interleavings, one level at a time.

Each level's frontier is expanded by an `Expander` (generated Python over
tuples, or numpy over a matrix); the successors are packed and
deduplicated against the visited set in one batch (`StateStore`).  BFS
order makes every trace shortest; within a level, states are expanded in
the order they were found and moves in transition order, so the result is
deterministic and the same for both expanders.
"""

from __future__ import annotations

import resource
import time
from typing import Any, Callable

import numpy as np

from pinmc.engines.base import (FREE, EngineError, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Options,
                                Result, Stats, Verdict)
from pinmc.engines.explicit.codegen import compile_system
from pinmc.engines.explicit.expand import Expander, ScalarExpander, VectorExpander
from pinmc.engines.explicit.por import Reduction
from pinmc.engines.explicit.store import Layout, StateStore
from pinmc.engines.explicit.vector import compile_vector, supports
from pinmc.ir.eval import fire
from pinmc.ir.system import System
from pinmc.trace import Trace, replay

ENGINE = "explicit"
Progress = Callable[[int, int, float], None]


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return 0


class Search:
    """One BFS run; `run` fills in what was found and the statistics."""

    def __init__(self, system: System, options: Options, progress: Progress | None = None,
                 expander: str = "auto", targets: set[str] | None = None):
        self.system, self.options, self.progress = system, options, progress
        self.code = compile_system(system)  # also validates choose widths
        self.layout = Layout.of(system)
        self.store = StateStore(self.layout.words)
        if expander == "vector" and not supports(system):
            raise EngineError("PIN407", f"spec {system.name} has values the vector expander cannot hold "
                              "in 64-bit integers (u64, or very large untyped arithmetic); use --expander scalar")
        use_vector = expander == "vector" or (expander == "auto" and supports(system))
        self.expander: Expander = (VectorExpander(system, compile_vector(system), self.layout)
                                   if use_vector else ScalarExpander(system, self.code, self.layout))
        self.found_props: dict[int, int] = {}  # property index -> state id
        self.found_checks: dict[str, tuple[int, int]] = {}  # prop -> (state id, move code)
        self.deadlock: int | None = None
        self.edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.transitions = self.depth = 0
        self.seconds = 0.0
        self.limit: str | None = None
        self.complete = False
        self.open_checks = set(system.assert_props) | ({"range"} if system.has_range_checks else set())
        self.open_props = (1 << len(system.properties)) - 1
        self.want_deadlock = not system.allow_deadlock
        # partial-order reduction: None when off or when nothing is reducible
        por = Reduction(system, self.code.bases) if options.por and not options.build_graph else None
        self.por = por if por is not None and por.active else None
        self.targets = targets  # stop after the level where all of these are found

    def _found(self) -> set[str]:
        names = {self.system.properties[k].name for k in self.found_props}
        names |= set(self.found_checks)
        if self.deadlock is not None:
            names.add("deadlock")
        return names

    def _props(self, frontier: Any, ids: np.ndarray) -> None:
        for bit, row in self.expander.prop_hits(frontier, self.open_props):
            if self.open_props >> bit & 1:
                self.found_props[bit] = int(ids[row])
                self.open_props &= ~(1 << bit)

    def _level(self, frontier: Any, ids: np.ndarray) -> tuple[Any, np.ndarray]:
        ex = self.expander
        level = ex.expand(frontier, self.want_deadlock and self.deadlock is None)
        if level.deadlocks and self.deadlock is None:
            self.deadlock = int(ids[level.deadlocks[0]])
        for row, code, prop in level.viols:
            if prop in self.open_checks:
                self.open_checks.discard(prop)
                self.found_checks[prop] = (int(ids[row]), code)
        keys = ex.pack(level.succ)
        rows, codes = level.parents, level.codes
        keep = None
        if self.por is not None:
            keep = self.por.keep(ex.size(frontier), rows, codes, keys, self.store)
            if keep is not None:
                keys, rows, codes = keys[keep], rows[keep], codes[keep]
        self.transitions += int(rows.size)
        parents = ids[rows]
        new_ids, new = self.store.insert(keys, parents, codes)
        if self.options.build_graph:
            self.edges.append((parents, new_ids, codes))
        return ex.select(level.succ, new if keep is None else keep[new]), new_ids[new]

    def run(self) -> None:
        start = last = time.monotonic()
        ex, opts = self.expander, self.options
        frontier = ex.initial()
        ids, _ = self.store.insert(ex.pack(frontier), np.zeros(1, np.int64), np.zeros(1, np.int64))
        self._props(frontier, ids)
        try:
            while ex.size(frontier):
                if opts.max_depth is not None and self.depth >= opts.max_depth:
                    self.limit = f"--max-depth {opts.max_depth}"
                    break
                if opts.max_states is not None and self.store.n >= opts.max_states:
                    self.limit = f"--max-states {opts.max_states}"
                    break
                frontier, ids = self._level(frontier, ids)
                if ex.size(frontier):
                    self.depth += 1
                    self._props(frontier, ids)
                if self.targets is not None and self.targets <= self._found():
                    break
                if self.progress is not None:
                    now = time.monotonic()
                    if now - last >= 0.5:
                        last = now
                        self.progress(self.store.n, self.depth, now - start)
            else:
                self.complete = not ex.size(frontier)
        except KeyboardInterrupt:
            self.limit = "interrupted (Ctrl-C)"
        self.seconds = time.monotonic() - start

    def trace(self, sid: int, extra: tuple[int, ...] = ()) -> Trace:
        moves = [self.code.decode(c) for c in self.store.path(sid) + list(extra)]
        return replay(self.system, moves)

    def verdicts(self, shortest: dict[str, Trace] | None = None) -> list[Verdict]:
        """Every property's verdict; `shortest` overrides the trace of a
        property (the unreduced search's, when this search was reduced)."""
        shortest = shortest or {}
        system, complete = self.system, self.complete
        why = "" if complete else f"search stopped: {self.limit}"

        def undecided(yes: str) -> str:
            return yes if complete else UNKNOWN

        out: list[Verdict] = []
        for k, p in enumerate(system.properties):
            sid = self.found_props.get(k)
            if sid is not None:
                status = REACHABLE if p.kind == "reachable" else VIOLATED
                out.append(Verdict(p.name, p.kind, status, ENGINE, shortest.get(p.name) or self.trace(sid)))
            else:
                status = undecided(UNREACHABLE if p.kind == "reachable" else HOLDS)
                out.append(Verdict(p.name, p.kind, status, ENGINE, None, why))
        for prop in list(system.assert_props) + (["range"] if system.has_range_checks else []):
            kind = "range" if prop == "range" else "assert"
            hit = self.found_checks.get(prop)
            if hit is not None:
                out.append(Verdict(prop, kind, VIOLATED, ENGINE,
                                   shortest.get(prop) or self.trace(hit[0], (hit[1],))))
            else:
                out.append(Verdict(prop, kind, undecided(HOLDS), ENGINE, None, why))
        if not system.allow_deadlock:
            if self.deadlock is not None:
                out.append(Verdict("deadlock", "deadlock", REACHABLE, ENGINE,
                                   shortest.get("deadlock") or self.trace(self.deadlock)))
            else:
                out.append(Verdict("deadlock", "deadlock", undecided(FREE), ENGINE, None, why))
        return out


def check(system: System, options: Options = Options(), progress: Progress | None = None,
          expander: str = "auto") -> Result:
    """Explore the reachable states of `system` (within the options'
    bounds) and decide every property; traces are shortest and replayed.

    `expander` is "scalar", "vector" or "auto" (vector when it supports
    the system).  Raises EngineError for systems it cannot explore.
    """
    rss0 = _rss()
    search = Search(system, options, progress, expander)
    search.run()
    shortest = _shortest_traces(search, expander) if search.por is not None else {}
    peak = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0)
    stats = Stats(search.store.n, search.transitions, search.depth, search.seconds, peak,
                  search.complete, search.limit)
    graph = state_graph(search) if options.build_graph else None
    return Result(system.name, system.proposal, ENGINE, tuple(search.verdicts(shortest)), stats, graph)


def _shortest_traces(search: Search, expander: str) -> dict[str, Trace]:
    """The shortest traces of what a reduced search found.

    Reduction can lengthen the shortest path to a state, so an unreduced
    BFS, bounded by the depth at which the reduced search found the last
    of them (and stopped as soon as it has found them all), rebuilds them.
    """
    system, store = search.system, search.store
    need: dict[str, int] = {}  # property -> levels the unreduced search must reach
    for k, sid in search.found_props.items():
        need[system.properties[k].name] = len(store.path(sid))
    for prop, (sid, _) in search.found_checks.items():
        need[prop] = len(store.path(sid)) + 1  # found while expanding the state
    if search.deadlock is not None:
        need["deadlock"] = len(store.path(search.deadlock)) + 1
    if not need:
        return {}
    full = Search(system, Options(max_depth=max(need.values()), por=False), None, expander, set(need))
    full.run()
    return {v.prop: v.trace for v in full.verdicts() if v.prop in need and v.trace is not None}


def state_graph(search: Search) -> Any:
    """The explored state graph as a networkx DiGraph: nodes are state ids
    (0 is initial, then in BFS order), each with its `state` tuple (rebuilt
    by the reference semantics from its parent); each edge carries its
    moves (`actor.step`, sorted)."""
    import networkx as nx

    system, store = search.system, search.store
    g = nx.DiGraph()
    states: list[tuple[int, ...]] = [system.init]
    for sid in range(1, store.n):
        tid, args = search.code.decode(int(store.code[sid]))
        _, nxt = fire(system.transitions[tid], states[int(store.parent[sid])], args)
        assert nxt is not None, "a stored state's parent move must lead to it"
        states.append(nxt)
    g.add_nodes_from((sid, {"state": st}) for sid, st in enumerate(states))
    names = [t.name for t in system.transitions]
    for parents, ids, codes in search.edges:
        for a, b, c in zip(parents.tolist(), ids.tolist(), codes.tolist()):
            move = names[search.code.decode(c)[0]]
            if g.has_edge(a, b):
                g[a][b]["moves"] = sorted(set(g[a][b]["moves"]) | {move})
            else:
                g.add_edge(a, b, moves=[move])
    return g
