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
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from pinmc.engines.base import (FREE, EngineError, HOLDS, REACHABLE, UNKNOWN, UNREACHABLE, VIOLATED, Options,
                                Result, Stats, Verdict)
from pinmc.engines.explicit.codegen import compile_system, move_count
from pinmc.engines.explicit.expand import Expander, Level, ScalarExpander, VectorExpander
from pinmc.engines.explicit.packing import Packing
from pinmc.engines.explicit.partition import unpack_columns
from pinmc.engines.explicit.por import Reduction
from pinmc.engines.explicit.spill import SpillStore, make_store
from pinmc.engines.explicit.store import MAX_IDS, Layout
from pinmc.engines.explicit.symmetry import Symmetry, analyse, concretize
from pinmc.engines.explicit.vector import compile_vector, supports
from pinmc.engines.resources import Watch, memory_text, resident
from pinmc.ir.eval import fire
from pinmc.ir.system import System
from pinmc.trace import Trace, replay

ENGINE = "explicit"
Progress = Callable[[int, int, float], None]
# (frontier, its state ids, the limits' watch, the search's start time)
HandOver = Callable[[Any, np.ndarray, Watch, float], None]
# frontier states expanded and inserted as one batch: a level larger than
# this is cut into batches, with the limits (--timeout, --memory,
# --max-states) checked between them; the result does not depend on it
CHUNK = 1 << 15
# an in-memory search stops this many chunks' worth of new states (at most
# CHUNK times the moves each) short of the states a store can number
CAP_CHUNKS = 64


def id_cap(moves: int) -> int:
    """The states after which an in-memory search stops (a limit, exit 3)
    so that the batches under way (pipelines run ahead) still get ids."""
    return MAX_IDS - min(MAX_IDS // 2, CAP_CHUNKS * CHUNK * moves)


def cap_text(cap: int) -> str:
    """How a stop at `id_cap` is named."""
    return (f"{cap:,} states, near the {MAX_IDS:,} a visited set in memory can number "
            "(--spill DIR holds more)")


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
        # the in-memory visited set packs states as narrowly as the values met so far allow
        self.packing = Packing(self.layout, system.init) if options.spill is None and not self.layout.wide else None
        words = self.packing.layout.words if self.packing is not None else self.layout.words
        self.store = make_store(words, options, move_count(system))  # in memory, or spilling to options.spill
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
        # symmetry reduction: None when off or when nothing is interchangeable;
        # a state graph for reports needs concrete states, so it turns both reductions off
        self.notes: list[str] = []
        sym = analyse(system) if options.symmetry and not options.build_graph else None
        self.sym: Symmetry | None = sym if sym is not None and sym.active else None
        if sym is not None:
            self.notes += sym.notes
        if self.sym is not None:
            self.notes.append(f"symmetry reduction: {self.sym.describe()}")
        # partial-order reduction: None when off, when nothing is reducible, or
        # under symmetry (the two are not combined: ample sets are not checked
        # to be closed under the symmetry)
        por = Reduction(system, self.code.bases) if options.por and not options.build_graph else None
        self.por = por if por is not None and por.active and self.sym is None else None
        if por is not None and por.active and self.sym is not None:
            self.notes.append("partial-order reduction off: it is not combined with symmetry reduction")
        self.targets = targets  # stop after the level where all of these are found
        # a visited set in memory numbers states with 32-bit ids (a spilling one, with 64)
        self.cap = id_cap(move_count(system)) if options.spill is None else None
        # told when the narrow packing widens, with the layout before (what
        # holds the packed states follows; a pipeline replaces it)
        self.widened: Callable[[Layout], None] = self._recode

    def _found(self) -> set[str]:
        names = {self.system.properties[k].name for k in self.found_props}
        names |= set(self.found_checks)
        if self.deadlock is not None:
            names.add("deadlock")
        return names

    def record_props(self, frontier: Any, ids: np.ndarray) -> None:
        """Note the first state of `frontier` (state ids `ids`) that hits
        each property still open."""
        for bit, row in self.expander.prop_hits(frontier, self.open_props):
            if self.open_props >> bit & 1:
                self.found_props[bit] = int(ids[row])
                self.open_props &= ~(1 << bit)

    def record_expansion(self, level: Level, ids: np.ndarray) -> None:
        """Note the first deadlock and the first failing check of each
        property found expanding a frontier (state ids `ids`)."""
        if level.deadlocks and self.deadlock is None:
            self.deadlock = int(ids[level.deadlocks[0]])
        for row, code, prop in level.viols:
            if prop in self.open_checks:
                self.open_checks.discard(prop)
                self.found_checks[prop] = (int(ids[row]), code)

    def pack(self, succ: Any) -> np.ndarray:
        """The packed rows of successors, as the visited set stores them."""
        if self.packing is None:
            return self.expander.pack(succ)
        keys, old = self.packing.pack(succ)
        if old is not None:  # a slot was widened: the stored states follow
            self.widened(old)
        return keys

    def _recode(self, old: Layout) -> None:
        """The packing was widened from `old`: re-encode the stored states."""
        self.store.recode(self.packing.layout.words, self.packing.convert(old))  # type: ignore[union-attr]

    def expand(self, frontier: Any, want_deadlock: bool) -> tuple[Level, np.ndarray]:
        """The expansion of `frontier` (its `raw` successors canonical under
        symmetry) and the successors' packed rows in canonical order, as the
        visited set stores them.  Successors come packed from the vector
        expander when it can (no symmetry, states packed narrowly, no field
        overflows); otherwise they are packed here, widening the packing if
        they must."""
        ex = self.expander
        if self.packing is not None and self.sym is None and isinstance(ex, VectorExpander):
            level = ex.expand_packed(frontier, self.packing.layout, want_deadlock)
            if level is not None:
                return level, level.keys  # type: ignore[return-value]
        level = ex.expand(frontier, want_deadlock)
        if self.sym is not None:
            level = replace(level, raw=self.sym.canon(level.raw))
        keys = self.pack(level.raw)
        return level, keys if level.order is None else keys[level.order]

    def successors(self, level: Level, keys: np.ndarray, rows: np.ndarray) -> Any:
        """Successors `rows` (canonical order) of an expansion, whose packed
        rows are `keys`, in the expander's representation."""
        if level.keys is not None:
            return unpack_columns(self.packing.layout, keys)  # type: ignore[union-attr]
        return self.expander.select(level.raw, rows if level.order is None else level.order[rows])

    def _level(self, frontier: Any, ids: np.ndarray) -> tuple[Any, np.ndarray]:
        ex = self.expander
        level, keys = self.expand(frontier, self.want_deadlock and self.deadlock is None)
        self.record_expansion(level, ids)
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
        return self.successors(level, keys[new], new if keep is None else keep[new]), new_ids[new]

    def run(self, hand_over: HandOver | None = None) -> None:
        """Explore (within the options' limits), filling in what was found.
        With `hand_over`, the first level of `Options.parallel_from` states
        or more is given to it, before its limits are checked: it explores
        the rest and fills in depth, limit, completeness and the store."""
        start = last = time.monotonic()
        ex, opts = self.expander, self.options
        frontier = ex.initial()
        if self.sym is not None:
            frontier = self.sym.canon(frontier)
        ids, _ = self.store.insert(self.pack(frontier), np.zeros(1, np.int64), np.zeros(1, np.int64))
        self.record_props(frontier, ids)
        watch = self.watch = Watch(opts.timeout, opts.memory, start, track=isinstance(self.store, SpillStore))
        handed = False
        try:
            while ex.size(frontier):
                if hand_over is not None and ex.size(frontier) >= opts.parallel_from:
                    handed = True
                    hand_over(frontier, ids, watch, start)
                    break
                if opts.max_depth is not None and self.depth >= opts.max_depth:
                    self.limit = f"--max-depth {opts.max_depth}"
                    break
                self.limit = self._limit_hit(watch)
                if self.limit is not None:
                    break
                frontier, ids = self._batches(frontier, ids, watch)
                if ex.size(frontier):
                    self.depth += 1
                    self.record_props(frontier, ids)
                if self.limit is not None:  # hit within the level
                    break
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
            if handed:  # a second Ctrl-C while another process holds the states: stop at once
                raise
            self.limit = "interrupted (Ctrl-C)"
        self.seconds = time.monotonic() - start

    def _limit_hit(self, watch: Watch) -> str | None:
        """The limit that stops the search now, as messages name it, or
        None.  Cheap (a clock read, one read of /proc/self/statm): it runs
        between batches.  A spilling store over --memory first writes its
        buffer out; only if that does not bring memory under the limit does
        the search stop."""
        opts = self.options
        if opts.max_states is not None and self.store.n >= opts.max_states:
            return f"--max-states {opts.max_states}"
        if self.cap is not None and self.store.n >= self.cap:
            return cap_text(self.cap)
        if watch.out_of_memory() and isinstance(self.store, SpillStore):
            self.store.flush()
            if not watch.out_of_memory():
                return None
            return memory_text(watch.memory, watch.held) + f" with the visited set spilled to {opts.spill}"  # type: ignore[arg-type]
        return watch.exceeded()

    def _batches(self, frontier: Any, ids: np.ndarray, watch: Watch) -> tuple[Any, np.ndarray]:
        """`_level` over the frontier in batches of CHUNK states, checking
        the limits between batches (a hit sets `self.limit` and returns the
        part of the next level found so far).  Batches give the same ids,
        parents, counts and verdicts as one batch: successors come in the
        same order, and the store's `contains` looks at earlier levels only."""
        ex = self.expander
        self.store.mark_level()
        size = ex.size(frontier)
        if size <= CHUNK:
            return self._level(frontier, ids)
        parts: list[Any] = []
        part_ids: list[np.ndarray] = []
        for lo in range(0, size, CHUNK):
            if lo:
                self.limit = self._limit_hit(watch)
                if self.limit is not None:
                    break
            nxt, nids = self._level(ex.select(frontier, np.arange(lo, min(size, lo + CHUNK))), ids[lo:lo + CHUNK])
            parts.append(nxt)
            part_ids.append(nids)
        return _join(parts), np.concatenate(part_ids)

    def trace(self, sid: int, failing: tuple[str, int] | None = None) -> Trace:
        """The trace to stored state `sid`, or, with `failing` = (property,
        move code), on through that move, which violates the property."""
        extra = [failing[1]] if failing is not None else []
        moves = [self.code.decode(c) for c in self.store.path(sid) + extra]
        if self.sym is not None:
            moves = concretize(self.system, self.sym, moves, failing[0] if failing is not None else None)
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
                                   shortest.get(prop) or self.trace(hit[0], (prop, hit[1]))))
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
    rss0, anon0 = _rss(), resident()
    search = Search(system, options, progress, expander)
    elsewhere = 0  # peak memory of worker processes
    if options.workers > 1 or options.backend != "process":
        from pinmc.engines.explicit.parallel import explore  # hash-partitioned over workers

        elsewhere = explore(search)
    else:
        search.run()
    shortest = _shortest_traces(search, expander) if search.por is not None else {}
    peak = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0) + elsewhere
    watch = getattr(search, "watch", None)
    if isinstance(search.store, SpillStore) and watch is not None:
        # the peak resident set counts the mapped spill files, which are not memory held
        watch.out_of_memory()
        peak = max(0, watch.peak - anon0)
    stats = Stats(search.store.n, search.transitions, search.depth, search.seconds, peak,
                  search.complete, search.limit, tuple(search.notes))
    graph = state_graph(search) if options.build_graph else None
    result = Result(system.name, system.proposal, ENGINE, tuple(search.verdicts(shortest)), stats, graph)
    if isinstance(search.store, SpillStore):
        search.store.close()
    return result


def _join(parts: list[Any]) -> Any:
    """The frontier parts of one level as one frontier (a states x slots
    list for the scalar expander, a slots x states matrix for the vector one)."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=1)
    return [s for part in parts for s in part]


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
    o = search.options
    full = Search(system, Options(max_depth=max(need.values()), por=False, symmetry=False, memory=o.memory,
                                  spill=o.spill, spill_states=o.spill_states), None, expander, set(need))
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
