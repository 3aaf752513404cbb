"""The visited set: packed states in numpy arrays, with parent pointers.

States are packed into `W` 64-bit words (`Layout`) and kept in one array;
an open-addressing hash table of int32 state ids (linear probing) finds
them.  Insertion works on a whole batch at once: a BFS level's successors.
Per state this costs 8·W bytes of row, 8 bytes of parent and move code,
and 8-16 bytes of table, instead of the ~100 bytes of a Python set entry.
State ids are dense and given in the order states are first found, so
`parent[id]` and `code[id]` describe a shortest path back to the root.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pinmc.ir.system import System
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_MAX_LOAD = 0.5


@dataclass(frozen=True)
class Layout:
    """Where each slot lives: (word, shift, width, offset) per slot."""

    words: int
    fields: tuple[tuple[int, int, int, int], ...]
    wide: bool  # some slot holds values >= 2^63 (u64): pack through Python ints

    @staticmethod
    def of(system: System) -> "Layout":
        fields = []
        word, used = 0, 0
        wide = False
        for v in system.vars:
            t = v.ty
            if isinstance(t, BoolT):
                lo, width = 0, 1
            elif isinstance(t, MachT):
                lo, width = t.lo, t.bits
                wide |= not t.signed and t.bits == 64
            elif isinstance(t, RangeT):
                lo, width = t.lo, max(1, (t.hi - t.lo).bit_length())
            elif isinstance(t, EnumT):
                lo, width = 0, max(1, (len(t.members) - 1).bit_length())
            elif isinstance(t, PcT):
                lo, width = 0, max(1, len(t.labels).bit_length())
            else:
                raise TypeError(f"cannot pack {t}")
            if used + width > 64:
                word, used = word + 1, 0
            fields.append((word, used, width, lo))
            used += width
        return Layout(word + 1, tuple(fields), wide)

    def pack(self, states: list[tuple[int, ...]]) -> np.ndarray:
        """The packed rows (len(states), words) of `states`."""
        m = len(states)
        out = np.zeros((m, self.words), dtype=np.uint64)
        if m == 0:
            return out
        arr = np.array(states, dtype=object if self.wide else np.int64)
        if arr.ndim == 1:
            arr = arr.reshape(m, -1)
        for k, (word, shift, width, lo) in enumerate(self.fields):
            col = arr[:, k]
            if self.wide:
                enc = np.array([(x - lo) & 0xFFFFFFFFFFFFFFFF for x in col], dtype=np.uint64)
            else:
                enc = col.view(np.uint64) - np.uint64(lo & 0xFFFFFFFFFFFFFFFF)
            out[:, word] |= enc << np.uint64(shift) if shift else enc
        return out


    def pack_columns(self, cols: np.ndarray) -> np.ndarray:
        """The packed rows of a (slots x states) int64 matrix."""
        m = cols.shape[1]
        out = np.zeros((m, self.words), dtype=np.uint64)
        for k, (word, shift, width, lo) in enumerate(self.fields):
            enc = cols[k].view(np.uint64) - np.uint64(lo & 0xFFFFFFFFFFFFFFFF)
            out[:, word] |= enc << np.uint64(shift) if shift else enc
        return out


def _hash(keys: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        h = keys[:, 0] * _M1
        for j in range(1, keys.shape[1]):
            h = (h ^ keys[:, j]) * _M1
        h ^= h >> np.uint64(31)
        h *= _M2
        h ^= h >> np.uint64(29)
        h *= _M3
        h ^= h >> np.uint64(32)
    return h


class StateStore:
    """Packed states, their parents and the move that first reached them."""

    def __init__(self, words: int, capacity: int = 1 << 12):
        self.words = words
        self.n = 0
        self.rows = np.zeros((capacity, words), dtype=np.uint64)
        self.parent = np.zeros(capacity, dtype=np.int32)
        self.code = np.zeros(capacity, dtype=np.int32)
        self.table = np.full(1 << 13, -1, dtype=np.int32)
        self.level_start: int | None = None  # set by mark_level; `contains` sees states stored before it

    def mark_level(self) -> None:
        """A BFS level begins: from now on `contains` answers for the states
        stored before this call only, however many batches the level is
        inserted in (partial-order reduction's cycle proviso asks about
        earlier levels)."""
        self.level_start = self.n

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.parent.nbytes + self.code.nbytes + self.table.nbytes

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        cap = self.rows.shape[0]
        if need > cap:
            new = max(need, cap + cap // 2)
            # resize in place: realloc can grow large blocks without a copy
            self.rows.resize((new, self.words), refcheck=False)
            self.parent.resize(new, refcheck=False)
            self.code.resize(new, refcheck=False)
        if need > len(self.table) * _MAX_LOAD:
            size = len(self.table)
            while need > size * _MAX_LOAD:
                size *= 2
            self._rehash(size)

    def _rehash(self, size: int) -> None:
        self.table = np.full(size, -1, dtype=np.int32)
        for lo in range(0, self.n, 1 << 18):  # in chunks: bounded temporaries
            self._place(np.arange(lo, min(self.n, lo + (1 << 18)), dtype=np.int64))

    def _place(self, pending: np.ndarray) -> None:
        """Put the (distinct, not yet present) stored states `pending` in the table."""
        size = len(self.table)
        mask = np.int64(size - 1)
        slot = (_hash(self.rows[pending]) & np.uint64(size - 1)).astype(np.int64)
        index = pending.copy()
        pending = np.arange(index.size, dtype=np.int64)
        while pending.size:
            s = slot[pending]
            free = self.table[s] < 0
            cand, cs = pending[free], s[free]
            uniq, first = np.unique(cs, return_index=True)
            self.table[uniq] = index[cand[first]].astype(np.int32)
            placed = np.zeros(pending.size, dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            pending = pending[~placed]
            slot[pending] = (slot[pending] + 1) & mask

    def insert(self, keys: np.ndarray, parents: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add a batch of states.

        Returns (ids, new): the state id of every key, and the indices of
        the keys that were not stored before (for duplicates within the
        batch, the first occurrence), in increasing order.  New states get
        consecutive ids in that order, with the given parent and code.
        """
        m = keys.shape[0]
        if m == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        h = _hash(keys)
        # Duplicates within the batch first: group by hash, keep the first
        # of each group (a key whose hash collides with a different key
        # stays on its own and is sorted out by the table).
        _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
        rep = first[inverse]
        differs = ~(keys == keys[rep]).all(axis=1)
        if differs.any():
            rep[differs] = np.flatnonzero(differs)
        reps = np.unique(rep)
        ids_r, new_r = self._insert_distinct(keys[reps], h[reps], parents[reps], codes[reps])
        position = np.empty(m, dtype=np.int64)
        position[reps] = np.arange(reps.size, dtype=np.int64)
        ids = ids_r[position[rep]]
        return ids, reps[new_r]

    def _insert_distinct(self, keys: np.ndarray, h: np.ndarray, parents: np.ndarray,
                         codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`insert` for a batch of (mostly) distinct keys with their hashes."""
        m = keys.shape[0]
        self._reserve(m)
        table = self.table
        mask = np.int64(len(table) - 1)
        slot = (h & np.uint64(len(table) - 1)).astype(np.int64)
        ref = np.empty(m, dtype=np.int64)  # >= 0: existing id; < 0: -(winner key index) - 1
        pending = np.arange(m, dtype=np.int64)
        claimed: list[np.ndarray] = []
        while pending.size:
            s = slot[pending]
            t = table[s].astype(np.int64)
            free = t == -1
            if free.any():
                fp, fs = pending[free], s[free]
                uniq, first = np.unique(fs, return_index=True)  # lowest key index wins a slot
                winners = fp[first]
                table[uniq] = (-winners - 2).astype(np.int32)  # provisional marker
                ref[winners] = -winners - 1
                claimed.append(uniq)
                done = np.zeros(pending.size, dtype=bool)
                done[np.flatnonzero(free)[first]] = True
                pending, s = pending[~done], s[~done]
                t = table[s].astype(np.int64)
            if not pending.size:
                break
            existing = t >= 0
            other = np.where(existing, 0, -t - 2)  # the provisional winner's key index
            stored = np.where(existing[:, None], self.rows[np.where(existing, t, 0)], keys[other])
            same = (stored == keys[pending]).all(axis=1)
            ref[pending[same]] = np.where(existing[same], t[same], -other[same] - 1)
            pending = pending[~same]
            slot[pending] = (slot[pending] + 1) & mask
        new = np.flatnonzero(ref < 0)
        new = new[ref[new] == -new - 1]  # the winners themselves, ascending
        remap = np.empty(m, dtype=np.int64)
        remap[new] = np.arange(self.n, self.n + new.size, dtype=np.int64)
        ids = np.where(ref >= 0, ref, remap[np.maximum(-ref - 1, 0)])
        if claimed:
            slots = np.concatenate(claimed)
            table[slots] = remap[-table[slots].astype(np.int64) - 2].astype(np.int32)
        end = self.n + new.size
        self.rows[self.n:end] = keys[new]
        self.parent[self.n:end] = parents[new]
        self.code[self.n:end] = codes[new]
        self.n = end
        return ids, new

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each packed key is stored (before `mark_level`, once it
        has been called); inserts nothing."""
        m = keys.shape[0]
        out = np.zeros(m, dtype=bool)
        if m == 0 or self.n == 0:
            return out
        size = len(self.table)
        mask = np.int64(size - 1)
        slot = (_hash(keys) & np.uint64(size - 1)).astype(np.int64)
        pending = np.arange(m, dtype=np.int64)
        while pending.size:
            t = self.table[slot[pending]].astype(np.int64)
            occupied = t >= 0
            pending, t = pending[occupied], t[occupied]
            same = (self.rows[t] == keys[pending]).all(axis=1)
            out[pending[same]] = True if self.level_start is None else t[same] < self.level_start
            pending = pending[~same]
            slot[pending] = (slot[pending] + 1) & mask
        return out

    def path(self, sid: int) -> list[int]:
        """Move codes from the root to state `sid`."""
        codes = []
        while sid != 0:
            codes.append(int(self.code[sid]))
            sid = int(self.parent[sid])
        return codes[::-1]
