"""One worker's share of a hash-partitioned breadth-first search.

The states are divided among `count` partitions by a hash of their packed
form (`owners`); each `Partition` keeps the states it owns in its own
`StateStore` and expands the part of each BFS level it owns.  The result
must be exactly the single-process search's, so a partition works with
*global* state ids and *global discovery ranks*:

* The single-process search numbers the states of a level in the order of
  their first (parent id, move code) and keeps that first pair as the
  state's parent.  Within a level the frontier is in id order, so a
  successor's *order key* `rank(parent) * moves + code` (`rank` = position
  of the parent in its level) sorts the successors of a level exactly as
  the single-process search meets them.
* Each partition sends every successor, with its order key, to the
  partition that owns it (`expand`), and inserts what it receives, sorted
  by order key, into its store (`absorb`): the first occurrence of a state
  is the one with the least order key, so the parent kept is the
  single-process one, and the new states come out in order-key order.
* The partitions' new order keys are merged into global ranks (the same
  order, because keys are distinct across partitions: `coordinator.Plan`)
  and each partition gets the ranks of its states (`settle`); global id =
  first id of the level + rank.

Two savings that change no result: successors equal to a state of the
last two levels are dropped before the store sees them (`recent`), and a
worker process works out its next level (`prepare`) while the other
partitions' reports are on their way.  The transport between partitions
(pipes, Ray) is not here: `play` runs one round given an `exchange`
function, and the cluster backend calls the steps one by one.  Everything
here is deterministic: no Python `hash`, no dependence on the number of
partitions except through `owners`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from pinmc.engines.explicit.codegen import move_count
from pinmc.engines.explicit.expand import Expander, Level
from pinmc.engines.explicit.recent import Recent, mix
from pinmc.engines.explicit.store import Layout, StateStore
from pinmc.engines.explicit.symmetry import Symmetry
from pinmc.ir.system import System

_MASK64 = (1 << 64) - 1

Exchange = Callable[[list[np.ndarray]], list[np.ndarray]]


def owners(keys: np.ndarray, count: int) -> np.ndarray:
    """The partition (0..count-1) that owns each packed state (rows of `keys`)."""
    return owners_of(mix(keys), count)


def owners_of(h: np.ndarray, count: int) -> np.ndarray:
    """`owners` from the states' `recent.mix` hashes: the high 32 bits
    scaled to 0..count-1 (a multiply and a shift, no division)."""
    if count == 1:
        return np.zeros(h.size, dtype=np.intp)
    return (((h >> np.uint64(32)) * np.uint64(count)) >> np.uint64(32)).astype(np.intp)


def width(words: int) -> int:
    """Columns of a batch of successors: the packed words, the order key
    and the state's `recent.mix` hash (computed once, by the sender)."""
    return words + 2


def unpack_columns(layout: Layout, keys: np.ndarray) -> np.ndarray:
    """The (slots x states) int64 matrix of packed rows; inverse of
    `Layout.pack_columns` (layouts without u64 slots)."""
    out = np.empty((len(layout.fields), keys.shape[0]), dtype=np.int64)
    for k, (word, shift, size, lo) in enumerate(layout.fields):
        bits = keys[:, word] >> np.uint64(shift) if shift else keys[:, word]
        if size < 64:
            bits = bits & np.uint64((1 << size) - 1)
        with np.errstate(over="ignore"):
            out[k] = (bits + np.uint64(lo & _MASK64)).view(np.int64)
    return out


def unpack_tuples(layout: Layout, keys: np.ndarray) -> list[tuple[int, ...]]:
    """The state tuples of packed rows (Python ints; u64 slots included);
    inverse of `Layout.pack`."""
    cols: list[list[int]] = []
    for word, shift, size, lo in layout.fields:
        bits = keys[:, word] >> np.uint64(shift) if shift else keys[:, word]
        if size < 64:
            bits = bits & np.uint64((1 << size) - 1)
        if size == 64 and lo >= 0:  # u64: the word is the value
            cols.append(bits.tolist())
        else:
            with np.errstate(over="ignore"):
                cols.append((bits + np.uint64(lo & _MASK64)).view(np.int64).tolist())
    if not cols:
        return [()] * keys.shape[0]
    return list(zip(*cols))


@dataclass(frozen=True)
class Seed:
    """States handed to a new partition: packed rows with their global
    ids, parents and move codes (in increasing id order), and which of
    them form the current frontier (global ids from `base` on)."""

    keys: np.ndarray
    gids: np.ndarray
    parents: np.ndarray
    codes: np.ndarray
    base: int


@dataclass(frozen=True)
class Order:
    """What the coordinator tells every partition at the start of a round.

    `ranks`: the global ranks, within their level, of the partition's
    states new in the last level (None: nothing to settle); `base`: the
    global id of the first state of that level; `hits`: the properties to
    look for in the frontier (bit k = property k; 0 for none); `lo`, `hi`:
    expand the frontier states of global rank lo <= rank < hi (a level is
    expanded in chunks, as the single-process search does, with limits
    checked between them; lo == hi: no expansion); `want_deadlock`: look
    for deadlocked states among them."""

    ranks: np.ndarray | None
    base: int
    hits: int
    lo: int
    hi: int
    want_deadlock: bool


@dataclass
class Report:
    """What a partition tells the coordinator after a round.

    `hits`: (property bit, rank) of the partition's first frontier state
    hitting each open property; `transitions`: successors generated;
    `deadlock`: least rank of a deadlocked frontier state, -1 if none;
    `viols`: property -> least (rank, move code) of a failing check;
    `fresh`: the sorted order keys of the states new to this partition;
    `states`: states stored in the partition."""

    hits: list[tuple[int, int]] = field(default_factory=list)
    transitions: int = 0
    deadlock: int = -1
    viols: dict[str, tuple[int, int]] = field(default_factory=dict)
    fresh: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    states: int = 0


@dataclass
class Ahead:
    """The next level, worked out before its ranks are known (`Partition.
    prepare`): its frontier, property hits and whole expansion, all in the
    partition's own (rank) order; only the order keys wait for the ranks."""

    keys: np.ndarray  # the new states, packed
    frontier: Any
    hits: list[tuple[int, int]]  # (property bit, frontier row)
    want_deadlock: bool
    level: Any  # the expander's Level, or None for an empty frontier
    succ: np.ndarray  # packed successors
    h: np.ndarray  # their `mix` hashes


class Partition:
    """The states owned by partition `index` of `count`, their global ids
    and parents, and the part of the current BFS level it expands.

    `expander`, `layout` and `sym` are the single-process search's (so the
    successors, their order and their canonical forms are the same)."""

    def __init__(self, expander: Expander, layout: Layout, sym: Symmetry | None, moves: int,
                 index: int, count: int):
        self.expander, self.layout, self.sym = expander, layout, sym
        self.moves, self.index, self.count = moves, index, count
        self.vector = expander.name == "vector"
        self.store = StateStore(layout.words, codes=moves)
        self.gids = np.zeros(1 << 12, dtype=np.int64)  # global id of each stored state, ascending
        self.frontier: Any = self._unpack(np.zeros((0, layout.words), dtype=np.uint64))
        self.franks = np.zeros(0, dtype=np.int64)  # global rank of each frontier state (ascending)
        self.fbase = 0  # global id of the first state of the frontier's level
        self.fresh: list[np.ndarray] = []  # packed states new in this level, awaiting their ranks
        self.recent = Recent(layout.words)  # the last two levels' states: a cheap look before the store's
        self.ahead: Ahead | None = None  # the next level, worked out early (`prepare`)
        self.report = Report()

    # ---------------------------------------------------------------- setup
    def _unpack(self, keys: np.ndarray) -> Any:
        return unpack_columns(self.layout, keys) if self.vector else unpack_tuples(self.layout, keys)

    def _append_gids(self, gids: np.ndarray) -> None:
        n0 = self.store.n - gids.size
        if self.store.n > self.gids.size:
            self.gids = np.resize(self.gids, max(self.store.n, self.gids.size * 2))
        self.gids[n0:self.store.n] = gids

    def seed(self, seed: Seed) -> None:
        """Store the seed's states (none stored before) and make the ones
        from `seed.base` on the frontier."""
        _, new = self.store.insert(seed.keys, seed.parents, seed.codes)
        assert new.size == seed.keys.shape[0], "seeded states are distinct"
        self._append_gids(seed.gids.astype(np.int64))
        front = seed.gids >= seed.base
        self.frontier = self._unpack(seed.keys[front])
        self.recent.push(seed.keys[front])
        self.franks = seed.gids[front].astype(np.int64) - seed.base
        self.fbase = seed.base

    def split(self, count: int) -> list[Seed]:
        """Every stored state, divided among `count` new partitions by owner
        (after `settle`; this partition's states are all of them)."""
        n = self.store.n
        keys = self.store.rows[:n]
        own = owners(keys, count)
        gids, parents, codes = self.gids[:n], self.store.parent[:n], self.store.code[:n]
        return [Seed(keys[own == p], gids[own == p], parents[own == p].astype(np.int64),
                     codes[own == p].astype(np.int64), self.fbase) for p in range(count)]

    # ---------------------------------------------------------------- a round
    def settle(self, ranks: np.ndarray, base: int) -> None:
        """The states new in the last level get their global ranks in the
        level starting at global id `base`; they become the frontier."""
        if self.ahead is not None:
            keys, self.frontier = self.ahead.keys, self.ahead.frontier
        else:
            keys = (np.concatenate(self.fresh) if self.fresh
                    else np.zeros((0, self.layout.words), dtype=np.uint64))
            self.frontier = self._unpack(keys)
        assert keys.shape[0] == ranks.size, "a rank for every new state"
        self._append_gids(base + ranks)
        self.recent.push(keys)
        self.franks = ranks.astype(np.int64)
        self.fbase = base
        self.fresh = []

    def prepare(self, open_props: int, want_deadlock: bool) -> None:
        """Work out the next level before its ranks are known: unpack it,
        look for the properties `open_props` (a superset of those still open
        by then is fine) and expand it whole (deadlocks looked for if
        `want_deadlock`).  `play` uses this when its order asks for no more
        than that; the caller overlaps it with waiting for the other
        partitions' reports."""
        keys = (np.concatenate(self.fresh) if self.fresh
                else np.zeros((0, self.layout.words), dtype=np.uint64))
        self.fresh = [keys]
        frontier = self._unpack(keys)
        hits = self.expander.prop_hits(frontier, open_props) if open_props and keys.shape[0] else []
        level, succ, h = None, keys[:0], np.zeros(0, dtype=np.uint64)
        if keys.shape[0]:
            level = self.expander.expand(frontier, want_deadlock)
            succ = self._pack_level(level)
            h = mix(succ)
        self.ahead = Ahead(keys, frontier, hits, want_deadlock, level, succ, h)

    def _pack_level(self, level: Level) -> np.ndarray:
        """The packed successors of `level` (canonical forms under symmetry), in canonical order."""
        raw = self.sym.canon(level.raw) if self.sym is not None else level.raw
        keys = self.expander.pack(raw)
        return keys if level.order is None else keys[level.order]

    def hits(self, open_props: int) -> list[tuple[int, int]]:
        """(property bit, rank) of the first frontier state hitting each open property."""
        if not open_props or not len(self.franks):
            return []
        if self.ahead is not None:
            rows = [(bit, row) for bit, row in self.ahead.hits if open_props >> bit & 1]
        else:
            rows = self.expander.prop_hits(self.frontier, open_props)
        return [(bit, int(self.franks[row])) for bit, row in rows]

    def expand(self, want_deadlock: bool, lo: int = 0, hi: int | None = None) -> list[np.ndarray]:
        """Expand the frontier states of rank lo <= rank < hi; returns one
        batch per partition: rows of the packed successor words, the order
        key (as uint64) and the hash (`width`), sorted by order key.  The
        findings go into `self.report`."""
        rep = self.report
        words = self.layout.words
        a = int(np.searchsorted(self.franks, lo))
        b = len(self.franks) if hi is None else int(np.searchsorted(self.franks, hi))
        if a >= b:
            empty = np.zeros((0, width(words)), dtype=np.uint64)
            return [empty] * self.count
        franks = self.franks[a:b]
        ahead = self.ahead
        if (ahead is not None and ahead.level is not None and a == 0 and b == len(self.franks)
                and (ahead.want_deadlock or not want_deadlock)):
            level, keys, h = ahead.level, ahead.succ, ahead.h
            deadlocks = level.deadlocks if want_deadlock else []
        else:
            part = self.frontier[:, a:b] if self.vector else self.frontier[a:b]
            level = self.expander.expand(part, want_deadlock)
            keys = self._pack_level(level)
            h = mix(keys)
            deadlocks = level.deadlocks
        if deadlocks:
            rep.deadlock = int(franks[min(deadlocks)])
        for row, code, prop in level.viols:
            rank = int(franks[row])
            if prop not in rep.viols or (rank, code) < rep.viols[prop]:
                rep.viols[prop] = (rank, code)
        rep.transitions = level.count
        blob = np.empty((keys.shape[0], width(words)), dtype=np.uint64)
        blob[:, :words] = keys
        blob[:, words] = (franks[level.parents] * self.moves + level.codes).view(np.uint64)
        blob[:, words + 1] = h
        if self.count == 1:
            return [blob]
        own = owners_of(h, self.count)
        if self.count == 2:
            mine = own == 0
            return [blob[mine], blob[~mine]]
        order = np.argsort(own, kind="stable")
        bounds = np.searchsorted(own[order], np.arange(1, self.count))
        return np.split(blob[order], bounds)

    def absorb(self, batches: list[np.ndarray]) -> np.ndarray:
        """Insert the successors sent to this partition (one sorted batch per
        sender); returns the sorted order keys of the states new here."""
        words = self.layout.words
        blob = np.concatenate(batches) if len(batches) > 1 else batches[0]
        keep = self.recent.keep(blob[:, :words], blob[:, words + 1])
        idx = None if keep is None else np.flatnonzero(keep)
        ok = blob[:, words].view(np.int64) if idx is None else blob[idx, words].view(np.int64)
        if len(batches) > 1:
            order = np.argsort(ok, kind="stable")  # merges the sorted runs
            idx = order if idx is None else idx[order]
            ok = ok[order]
        keys = np.ascontiguousarray(blob[:, :words]) if idx is None else blob[idx, :words]
        self.store.mark_level()  # (the store keeps a small table of the last two batches' states)
        _, new = self.store.insert(keys, self.fbase + ok // self.moves, ok % self.moves)
        self.fresh.append(keys[new])
        fresh = ok[new]
        self.report.fresh = fresh
        self.report.states = self.store.n
        return fresh

    def play(self, order: Order, exchange: Exchange) -> Report:
        """One round: settle the last level's states, report the frontier's
        property hits and expand the frontier states of the order's rank
        range, exchange the successors (`exchange` takes this partition's
        outgoing batches and returns the batches sent to it, its own
        included) and absorb them."""
        self.begin(order)
        if order.hi > order.lo:
            self.absorb(exchange(self.expand(order.want_deadlock, order.lo, order.hi)))
        self.ahead = None
        return self.report

    def begin(self, order: Order) -> None:
        """The first half of `play`: settle and report property hits."""
        if order.ranks is not None:
            self.settle(order.ranks, order.base)
        self.report = Report(hits=self.hits(order.hits), states=self.store.n)

    # ---------------------------------------------------------------- traces
    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the given global ids that this partition stores, and on along
        their parents for as long as it stores those too: (ids, their
        parents' global ids, their move codes)."""
        n = self.store.n
        mine = self.gids[:n]
        out_g: list[np.ndarray] = []
        out_p: list[np.ndarray] = []
        out_c: list[np.ndarray] = []
        todo = np.unique(gids[gids > 0])
        while todo.size and n:
            pos = np.minimum(np.searchsorted(mine, todo), n - 1)
            found = mine[pos] == todo
            at = pos[found]
            if not at.size:
                break
            parents = self.store.parent[at].astype(np.int64)
            out_g.append(todo[found])
            out_p.append(parents)
            out_c.append(self.store.code[at].astype(np.int64))
            todo = np.unique(parents[parents > 0])
        if not out_g:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(out_g), np.concatenate(out_p), np.concatenate(out_c)
