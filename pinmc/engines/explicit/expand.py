"""Expanders: how one BFS level is expanded (scalar Python or numpy).

Both produce the successors of a frontier in the canonical order (frontier
row, then move code), so the search gives identical results with either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from pinmc.engines.explicit.codegen import Compiled
from pinmc.engines.explicit.store import Layout
from pinmc.engines.explicit.vector import VCompiled, field_params
from pinmc.ir.system import System


@dataclass
class Level:
    """The outcome of expanding one frontier."""

    raw: Any  # successors, in the expander's representation, in `order`'s order (None: see `keys`)
    parents: np.ndarray  # frontier row of each successor
    codes: np.ndarray  # move code of each successor
    viols: list[tuple[int, int, str]]  # (row, code, property), in canonical order
    deadlocks: list[int]  # rows with no enabled move and a thread not done
    count: int  # number of successors
    # successor k (canonical order) is raw's order[k]; None: raw is in canonical
    # order (only the vector expander's matrix comes unsorted: sorting its packed
    # keys is cheaper than sorting all its columns)
    order: np.ndarray | None = None
    # the successors' packed rows in canonical order, when the expander gave
    # those instead of `raw` (`VectorExpander.expand_packed`)
    keys: np.ndarray | None = None


class Expander(Protocol):
    name: str

    def initial(self) -> Any: ...
    def expand(self, frontier: Any, want_deadlock: bool) -> Level: ...
    def pack(self, succ: Any) -> np.ndarray: ...
    def select(self, succ: Any, rows: np.ndarray) -> Any: ...
    def size(self, frontier: Any) -> int: ...
    def prop_hits(self, frontier: Any, open_mask: int) -> list[tuple[int, int]]: ...


class ScalarExpander:
    """Generated Python over state tuples; handles every system."""

    name = "scalar"

    def __init__(self, system: System, code: Compiled, layout: Layout):
        self.system, self.code, self.layout = system, code, layout
        self.pcs = system.thread_pcs()

    def initial(self) -> list[tuple[int, ...]]:
        return [self.system.init]

    def size(self, frontier: list[tuple[int, ...]]) -> int:
        return len(frontier)

    def expand(self, frontier: list[tuple[int, ...]], want_deadlock: bool) -> Level:
        out: list[tuple[int, ...]] = []
        par: list[int] = []
        codes: list[int] = []
        viols: list[tuple[int, int, str]] = []
        dead: list[int] = []
        expand, pcs = self.code.expand, self.pcs
        for i, s in enumerate(frontier):
            if not expand(s, i, out, par, codes, viols) and want_deadlock \
                    and any(s[pc] != done for pc, done in pcs):
                dead.append(i)
        return Level(out, np.array(par, dtype=np.int64), np.array(codes, dtype=np.int64),
                     viols, dead, len(out))

    def pack(self, succ: list[tuple[int, ...]]) -> np.ndarray:
        return self.layout.pack(succ)

    def select(self, succ: list[tuple[int, ...]], rows: np.ndarray) -> list[tuple[int, ...]]:
        return [succ[j] for j in rows.tolist()]

    def prop_hits(self, frontier: list[tuple[int, ...]], open_mask: int) -> list[tuple[int, int]]:
        props = self.code.props
        hits: list[tuple[int, int]] = []
        for row, s in enumerate(frontier):
            h = props(s) & open_mask
            if h:
                for bit in range(h.bit_length()):
                    if h >> bit & 1:
                        hits.append((bit, row))
                open_mask &= ~h
                if not open_mask:
                    break
        return hits


class VectorExpander:
    """numpy over a (slots x states) matrix; see `vector.supports`."""

    name = "vector"

    def __init__(self, system: System, code: VCompiled, layout: Layout):
        self.system, self.code, self.layout = system, code, layout
        self.pcs = system.thread_pcs()

    def initial(self) -> np.ndarray:
        return np.array(self.system.init, dtype=np.int64).reshape(-1, 1)

    def size(self, frontier: np.ndarray) -> int:
        return int(frontier.shape[1])

    def expand(self, frontier: np.ndarray, want_deadlock: bool) -> Level:
        blocks, parents, codes, viols, enabled = self.code.expand(frontier)
        dead = self._deadlocks(frontier, enabled, want_deadlock)
        viols.sort(key=lambda v: (v[0], v[1]))
        if not blocks:
            empty = np.zeros(0, dtype=np.int64)
            return Level(np.zeros((frontier.shape[0], 0), dtype=np.int64), empty, empty, viols, dead, 0)
        par = np.concatenate(parents)
        order = np.argsort(par, kind="stable")
        return Level(np.concatenate(blocks, axis=1), par[order], np.concatenate(codes)[order], viols, dead,
                     int(par.size), order)

    def expand_packed(self, frontier: np.ndarray, layout: Layout, want_deadlock: bool) -> Level | None:
        """`expand`, with the successors packed by `layout` (`Level.keys`,
        no `raw`): each successor's row is its parent's with the fields its
        move writes replaced, so fields a move leaves alone cost nothing.
        None if a new value does not fit its field (the layout must widen:
        `expand` and `Packing.pack` do that).  The frontier must fit."""
        packed = layout.pack_columns(frontier)
        out = self.code.expand_keys(frontier, np.ascontiguousarray(packed.T), field_params(layout))
        if out is None:
            return None
        blocks, parents, codes, viols, enabled = out
        dead = self._deadlocks(frontier, enabled, want_deadlock)
        viols.sort(key=lambda v: (v[0], v[1]))
        if not blocks:
            empty = np.zeros(0, dtype=np.int64)
            return Level(None, empty, empty, viols, dead, 0, keys=np.zeros((0, layout.words), dtype=np.uint64))
        par = np.concatenate(parents)
        order = np.argsort(par, kind="stable")
        words = np.concatenate(blocks, axis=1)
        keys = words[0][order].reshape(-1, 1) if layout.words == 1 else np.ascontiguousarray(words[:, order].T)
        return Level(None, par[order], np.concatenate(codes)[order], viols, dead, int(par.size), keys=keys)

    def _deadlocks(self, frontier: np.ndarray, enabled: np.ndarray, want_deadlock: bool) -> list[int]:
        """Rows with no move enabled and a thread not done (if wanted)."""
        if not (want_deadlock and self.pcs and not enabled.all()):
            return []
        waiting = np.zeros(frontier.shape[1], dtype=bool)
        for pc, done in self.pcs:
            waiting |= frontier[pc] != done
        return np.flatnonzero(~enabled & waiting).tolist()

    def pack(self, succ: np.ndarray) -> np.ndarray:
        return self.layout.pack_columns(succ)

    def select(self, succ: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return succ[:, rows]

    def prop_hits(self, frontier: np.ndarray, open_mask: int) -> list[tuple[int, int]]:
        if not open_mask or frontier.shape[1] == 0:
            return []
        return self.code.props(frontier, open_mask)
