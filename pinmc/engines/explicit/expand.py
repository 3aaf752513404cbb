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
from pinmc.engines.explicit.vector import VCompiled
from pinmc.ir.system import System


@dataclass
class Level:
    """The outcome of expanding one frontier."""

    raw: Any  # successors, in the expander's representation, in `order`'s order
    parents: np.ndarray  # frontier row of each successor
    codes: np.ndarray  # move code of each successor
    viols: list[tuple[int, int, str]]  # (row, code, property), in canonical order
    deadlocks: list[int]  # rows with no enabled move and a thread not done
    count: int  # number of successors
    # successor k (canonical order) is raw's order[k]; None: raw is in canonical
    # order (only the vector expander's matrix comes unsorted: sorting its packed
    # keys is cheaper than sorting all its columns)
    order: np.ndarray | None = None


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
        dead: list[int] = []
        if want_deadlock and self.pcs and not enabled.all():
            waiting = np.zeros(frontier.shape[1], dtype=bool)
            for pc, done in self.pcs:
                waiting |= frontier[pc] != done
            dead = np.flatnonzero(~enabled & waiting).tolist()
        viols.sort(key=lambda v: (v[0], v[1]))
        if not blocks:
            empty = np.zeros(0, dtype=np.int64)
            return Level(np.zeros((frontier.shape[0], 0), dtype=np.int64), empty, empty, viols, dead, 0)
        par = np.concatenate(parents)
        order = np.argsort(par, kind="stable")
        return Level(np.concatenate(blocks, axis=1), par[order], np.concatenate(codes)[order], viols, dead,
                     int(par.size), order)

    def pack(self, succ: np.ndarray) -> np.ndarray:
        return self.layout.pack_columns(succ)

    def select(self, succ: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return succ[:, rows]

    def prop_hits(self, frontier: np.ndarray, open_mask: int) -> list[tuple[int, int]]:
        if not open_mask or frontier.shape[1] == 0:
            return []
        return self.code.props(frontier, open_mask)
