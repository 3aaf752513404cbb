"""A cheap first look at a batch of successors: is it a state of the last
two BFS levels?

In many specs a large share of each level's successors lead back to the
level before (a daemon that takes a reference and one that drops it: every
`put` undoes a `get`); in `pin_bias` it is half of them.  Such successors
are visited states: dropping them before the visited set sees them changes
nothing (they are not new, and the first occurrence of every new state is
untouched) but spares the set the work.  `Recent` keeps the packed states
of the last two levels in a small direct-mapped table (eight slots per
state, indexed by a 64-bit hash; of two states meeting in a slot one is
kept) and finds exact matches with one table look and one row comparison
per successor: it may miss a few visited states, never drops a new one.
Where it finds little (thread-only specs go forward), it stops looking
for a while.
"""

from __future__ import annotations

import numpy as np

_MUL = np.uint64(0xD6E8FEB86659FD93)
_USEFUL = 0.05  # below this share of matches the filter pauses ...
_PAUSE = 32  # ... for this many levels


def mix(keys: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each packed row (independent of the visited set's)."""
    with np.errstate(over="ignore"):
        h = keys[:, 0] * _MUL
        for j in range(1, keys.shape[1]):
            h = (h ^ keys[:, j]) * _MUL
        h ^= h >> np.uint64(29)
        h *= _MUL
        h ^= h >> np.uint64(32)
    return h


class Recent:
    """The states of the last two levels, for `keep`."""

    def __init__(self, words: int):
        self.words = words
        self.levels: list[np.ndarray] = []
        self.rows = np.zeros((0, words), dtype=np.uint64)
        self.hashes = np.zeros(0, dtype=np.uint64)  # slot -> hash of the state there
        self.index = np.zeros(0, dtype=np.int64)  # slot -> row of the state there, -1: empty
        self.pause = 0  # levels left before the filter looks again

    def push(self, keys: np.ndarray) -> None:
        """A new level's states (packed rows)."""
        self.levels = (self.levels + [keys])[-2:]
        if self.pause > 1:
            self.pause -= 1
            return
        self.pause = max(0, self.pause - 1)
        rows = np.concatenate(self.levels) if len(self.levels) > 1 else self.levels[0]
        size = 1 << max(4, (8 * rows.shape[0]).bit_length())
        h = mix(rows) if rows.shape[0] else np.zeros(0, dtype=np.uint64)
        slot = (h & np.uint64(size - 1)).astype(np.intp)
        self.hashes = np.zeros(size, dtype=np.uint64)
        self.index = np.full(size, -1, dtype=np.int64)
        self.hashes[slot] = h
        self.index[slot] = np.arange(rows.shape[0])  # of two in a slot, the later stays: consistent with hashes
        self.rows = rows

    def keep(self, keys: np.ndarray, h: np.ndarray) -> np.ndarray | None:
        """A mask of the successors (packed rows `keys`, their `mix` hashes
        `h`) that are not found among the states of the last two levels, or
        None to keep them all (nothing found, or paused)."""
        if self.pause or not self.rows.shape[0] or not keys.shape[0]:
            return None
        slot = (h & np.uint64(self.hashes.size - 1)).astype(np.intp)
        cand = np.flatnonzero((self.hashes[slot] == h) & (self.index[slot] >= 0))
        same = cand[(self.rows[self.index[slot[cand]]] == keys[cand]).all(axis=1)]
        if same.size < _USEFUL * keys.shape[0]:
            self.pause = _PAUSE
        if not same.size:
            return None
        keep = np.ones(keys.shape[0], dtype=bool)
        keep[same] = False
        return keep
