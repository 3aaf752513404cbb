"""The visited set: packed states in numpy arrays, with parent pointers.

States are packed into `W` 64-bit words (`Layout`) and kept in one array,
in the order they were found: a state's id is its row.  `parent[id]` and
`code[id]` (the move from the parent) describe a shortest path back to the
root.  A hash table finds a state's id from its packed row.

The table is open addressing over *groups* of eight slots (as in Swiss
tables): each slot holds a state id (int32) and a one-byte tag, seven bits
of the state's hash plus one (0 marks an empty slot).  A state lives in the
first group, from its home group on, that had a free slot when it was
inserted; nothing is ever removed, so a lookup may stop at the first group
with a free slot.  The eight tags of a group are one uint64, so a batch
looks at one group per key with one gather, finds tag matches and free
slots with bit tricks on that word, and compares rows only where a tag
matches (about one false candidate in twenty keys).

Insertion works on a whole batch at once (a BFS level's successors).  Before
the big table, a batch meets a small direct-mapped table of the last two
levels' states (`mark_level` builds it; in a spec where moves undo each
other most successors are found there, in cache) and a small table that
folds duplicates within the batch; what is left, mostly new states, probes
the big table.  Per state this costs 8·W bytes of row, 4 of parent, 1-4 of
move code and 5 per slot of table at a load between 0.5 and 0.75: about
20-23 bytes for W = 1 and one-byte codes, plus up to a quarter more of the
arrays while they grow, and, while a table grows a slice at a time
(`grow_early`, the storing process of `--workers 2`), the larger table too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from pinmc.ir.system import System
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_GROUP = 8  # slots per group: the tags of a group are one uint64
_MAX_LOAD = 0.75  # stored states per slot; above it the table grows
_GROW = 1.5  # growth factor of the table
_GROW_ARRAYS = 1.25  # growth factor of the rows, parents and codes (realloc: no copy)
_CHUNK = 1 << 16  # states re-placed at a time when the table grows: bounded temporaries
_U1, _U7, _U8, _U32 = np.uint64(1), np.uint64(0x7F), np.uint64(8), np.uint64(32)
_FF = np.uint64(0xFF)
_TRIANGULAR = 16  # probe steps that grow by one before the steps stay at one
_LOW = np.uint64(0x0101010101010101)  # 1 in every byte
_HIGH = np.uint64(0x8080808080808080)  # the top bit of every byte
_BYTE_INDEX = np.uint64(0x0001020304050607)  # see _lowest_byte


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
    """The visited set's hash of packed rows.  Every step (a multiply by an
    odd constant, an xor with a right shift) is invertible, so on one-word
    rows it is a bijection: rows of one word are equal iff their hashes are."""
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


EXACT_ONE_WORD = True  # `_hash` is a bijection on one word (tests that weaken the hash turn this off)


def exact(words: int) -> bool:
    """Whether rows of `words` words are equal exactly when their hashes are."""
    return words == 1 and EXACT_ONE_WORD


def store_hash(keys: np.ndarray) -> np.ndarray:
    """The 64-bit hash of each packed row that the visited set files it
    under (the `h` of `StateStore.insert`)."""
    return _hash(keys)


def firsts(keys: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct packed row, in
    increasing order (`h`: their `store_hash`).  Equal rows are folded
    through a small table, so a few may be left in (rows that meet a
    different row there); `StateStore.insert` finds those."""
    m = keys.shape[0]
    if exact(keys.shape[1]) and m:  # equal hashes are equal rows: the first row of each slot stands
        size = 1 << max(4, (8 * m).bit_length())
        idx = np.arange(m, dtype=np.int64)
        rep = _least_by(h.view(np.int64) & np.int64(size - 1), idx, size)
        return np.flatnonzero((rep == idx) | (h[rep] != h))
    rep = StateStore._dedup(keys, h)
    first = np.full(m, m, dtype=np.int64)
    np.minimum.at(first, rep, np.arange(m, dtype=np.int64))
    mark = np.zeros(m + 1, dtype=bool)
    mark[first] = True
    return np.flatnonzero(mark[:m])


def _least_by(label: np.ndarray, value: np.ndarray, size: int) -> np.ndarray:
    """For each element, the least `value` among the elements with its
    `label` (labels below `size`).  A table written back to front keeps
    each label's first value, the least when values increase (numpy
    assigns repeated indices in order); where that does not hold, the
    check puts the least there the slow way."""
    table = np.empty(size, dtype=np.int64)  # read only where written
    table[label[::-1]] = value[::-1]
    least = table[label]
    if (least > value).any():
        np.minimum.at(table, label, value)
        least = table[label]
    return least


def _zero_bytes(x: np.ndarray) -> np.ndarray:
    """Per uint64: nonzero iff some byte is zero, and then its lowest set
    bit is the top bit of the lowest zero byte (bits above it may be
    spurious).  (Array arithmetic wraps without a warning: no errstate,
    which would cost more than the arithmetic on small batches.)"""
    return (x - _LOW) & ~x & _HIGH


def _lowest_byte(z: np.ndarray) -> np.ndarray:
    """The index (0-7, from the least significant) of the byte whose top
    bit is the lowest set bit of each nonzero `z` (from `_zero_bytes`)."""
    low = z & (np.uint64(0) - z)  # 2^(8j+7)
    return (((low >> np.uint64(7)) * _BYTE_INDEX) >> np.uint64(56)).astype(np.int64)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise equality of two (n, W) arrays (column by column: much
    faster than `(a == b).all(axis=1)`)."""
    eq = a[:, 0] == b[:, 0]
    for j in range(1, a.shape[1]):
        eq &= a[:, j] == b[:, j]
    return eq


def _near_slots(h: np.ndarray, size: int) -> np.ndarray:
    """Slots of a small direct-mapped table of `size` (a power of two)."""
    return ((h >> np.uint64(8)) & np.uint64(size - 1)).astype(np.int64)


def _next(g: np.ndarray, k: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The next groups to look at after `g`, the `k`-th of each probe
    sequence: home + 1, + 3, + 6 ... (triangular steps: clusters of full
    groups stay short), then on one group at a time after _TRIANGULAR
    steps (which reaches every group, whatever the group count)."""
    k = k + 1
    return (g + np.minimum(k, _TRIANGULAR * (k <= _TRIANGULAR) + 1)) % groups, k


@dataclass
class _Growing:
    """A larger table being filled (`StateStore.grow_early`): its group
    count, tags and ids, and how many stored states it holds (the first
    `placed`)."""

    groups: int
    tags: np.ndarray
    ids: np.ndarray
    placed: int = 0


def _empty(groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The tags and ids of an empty table of `groups` groups.  (A slot's id
    is read only where its tag is set: zeros, which the system hands out
    as untouched pages, will do for the ids.)"""
    return np.zeros(groups * _GROUP, dtype=np.uint8), np.zeros(groups * _GROUP, dtype=np.int32)


MAX_IDS = (1 << 31) - 1  # states a StateStore holds at most: its table and parents keep int32 ids


def code_dtype(codes: int) -> np.dtype:
    """The narrowest integer type for move codes 0 .. codes-1."""
    if codes <= 1 << 8:
        return np.dtype(np.uint8)
    if codes <= 1 << 16:
        return np.dtype(np.uint16)
    if codes <= 1 << 31:
        return np.dtype(np.int32)
    return np.dtype(np.int64)


class StateStore:
    """Packed states, their parents and the move that first reached them.

    `codes` bounds the move codes (it picks the width of `code`).  A store
    holds at most `MAX_IDS` states; `wide_parents` lets its parents be ids
    of states held elsewhere, any number of them (a spilling store's
    buffer)."""

    def __init__(self, words: int, capacity: int = 1 << 12, codes: int = 1 << 31, wide_parents: bool = False):
        self.words = words
        self.n = 0
        self.rows = np.zeros((capacity, words), dtype=np.uint64)
        self.parent = np.zeros(capacity, dtype=np.int64 if wide_parents else np.int32)
        self.code = np.zeros(capacity, dtype=code_dtype(codes))
        self._groups = 0
        self._tags = np.zeros(0, dtype=np.uint8)  # per slot: 0 empty, else 1 + 7 bits of the hash
        self._ids = np.zeros(0, dtype=np.int32)  # per slot: the state id (or, within insert, a claim)
        self._growing: _Growing | None = None  # a larger table being filled a slice at a time
        self._table(capacity // _GROUP * 2)
        self.level_start: int | None = None  # set by mark_level; `contains` sees states stored before it
        # the last two levels' states in a small direct-mapped table (`_near`):
        # the hashes of the states new in each level, the table's hashes and ids
        self._fresh: list[np.ndarray] = []
        self._levels: list[np.ndarray] = []
        self._near_hash = np.zeros(0, dtype=np.uint64)
        self._near_ids = np.zeros(0, dtype=np.int32)

    def mark_level(self) -> None:
        """A BFS level begins: from now on `contains` answers for the states
        stored before this call only, however many batches the level is
        inserted in (partial-order reduction's cycle proviso asks about
        earlier levels)."""
        self.level_start = self.n
        self._levels = (self._levels + [np.concatenate(self._fresh) if self._fresh
                                        else np.zeros(0, dtype=np.uint64)])[-2:]
        self._fresh = []
        self._near_table()

    def _near_table(self) -> None:
        """The small table of the last two levels' states (`_levels`: their
        hashes; they are the states stored before the current level's)."""
        h = np.concatenate(self._levels) if self._levels else np.zeros(0, dtype=np.uint64)
        end = self.n - sum(f.size for f in self._fresh)
        size = 1 << max(4, (8 * h.size).bit_length())
        slot = _near_slots(h, size)
        self._near_hash = np.zeros(size, dtype=np.uint64)
        self._near_ids = np.full(size, -1, dtype=np.int32)
        self._near_hash[slot] = h  # of states meeting in a slot, one stays (`_near` compares the rows)
        self._near_ids[slot] = np.arange(end - h.size, end, dtype=np.int32)

    def recode(self, words: int, convert: Callable[[np.ndarray], np.ndarray]) -> None:
        """Re-encode every stored state: `convert` maps rows as stored to
        rows of `words` words (the same states, packed another way).  Ids,
        parents and codes stay; the tables are rebuilt."""
        cap = self.rows.shape[0]
        rows = np.zeros((cap, words), dtype=np.uint64)
        for lo in range(0, self.n, _CHUNK):
            hi = min(self.n, lo + _CHUNK)
            rows[lo:hi] = convert(self.rows[lo:hi])
        self.rows, self.words = rows, words
        self._table(self._groups)
        self._place(0, self.n, self._tags, self._ids, self._groups)
        # the recent states' hashes, level by level
        parts = self._levels + self._fresh
        sizes = [x.size for x in parts]
        h = _hash(self.rows[self.n - sum(sizes):self.n])
        cuts = np.cumsum(sizes)[:-1]
        split = np.split(h, cuts) if parts else []
        self._levels, self._fresh = split[:len(self._levels)], split[len(self._levels):]
        if self._fresh:  # the states stored since mark_level: one array will do
            self._fresh = [np.concatenate(self._fresh)]
        self._near_table()

    @property
    def nbytes(self) -> int:
        grow = self._growing.tags.nbytes + self._growing.ids.nbytes if self._growing is not None else 0
        return (self.rows.nbytes + self.parent.nbytes + self.code.nbytes + self._tags.nbytes + self._ids.nbytes
                + grow)

    # ------------------------------------------------------------ the table

    def _table(self, groups: int) -> None:
        """An empty table of `groups` groups (the old one is let go first:
        it is not needed to fill the new one, the rows are; so is a
        growing one)."""
        self._tags = self._ids = np.zeros(0, dtype=np.uint8)
        self._growing = None
        self._groups = max(1, groups)
        self._tags, self._ids = _empty(self._groups)

    def _home(self, h: np.ndarray, groups: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(home group, tag repeated in all eight bytes) of each hash: the
        group from the high 32 bits (scaled to the group count: this
        table's, or `groups`), the tag from the low 7."""
        with np.errstate(over="ignore"):
            g = ((h >> _U32) * np.uint64(groups or self._groups)) >> _U32
            return g.astype(np.int64), ((h & _U7) + _U1) * _LOW

    def _reserve(self, extra: int) -> None:
        """Room for `extra` more states: in the arrays and in the table."""
        need = self.n + extra
        cap = self.rows.shape[0]
        if need > cap:
            new = max(need, int(cap * _GROW_ARRAYS))
            # resize in place: realloc can grow large blocks without a copy
            self.rows.resize((new, self.words), refcheck=False)
            self.parent.resize(new, refcheck=False)
            self.code.resize(new, refcheck=False)
        if need > self._groups * _GROUP * _MAX_LOAD:
            self._grow(need)

    def _grow(self, need: int) -> None:
        """A larger table, with room for `need` states below the load
        limit: the growing one finished, if it has the room, else a new one."""
        grow = self._growing
        if grow is not None and need <= grow.groups * _GROUP * _MAX_LOAD:
            self._step(grow, self.n)
            self._swap(grow)
            return
        groups = self._groups
        while need > groups * _GROUP * _MAX_LOAD:
            groups = int(groups * _GROW) + 1
        self._table(groups)
        self._place(0, self.n, self._tags, self._ids, self._groups)

    def grow_early(self, load: float, factor: float = _GROW, budget: int = _CHUNK) -> bool:
        """Grow the table ahead of need, a slice at a time, for a caller
        with time to spare now that would rather not stop to grow it
        later (all at once) but must stay free to answer soon.

        Once the table is fuller than `load` of its slots, a table `factor`
        times larger is made; each call places at most `budget` stored
        states in it (states stored between calls included), and the call
        that places the last one puts it in the table's stead.  Lookups
        and inserts keep using the old table until then; an insert that
        needs the room first finishes the growth itself.  Returns True
        while a growth is under way (more calls have work to do)."""
        grow = self._growing
        if grow is None:
            if self.n <= self._groups * _GROUP * load:
                return False
            groups = int(self._groups * factor) + 1
            grow = self._growing = _Growing(groups, *_empty(groups))
        self._step(grow, min(self.n, grow.placed + budget))
        if grow.placed < self.n:
            return True
        self._swap(grow)
        return False

    def _step(self, grow: _Growing, hi: int) -> None:
        """Place stored states grow.placed .. hi-1 in the growing table."""
        self._place(grow.placed, hi, grow.tags, grow.ids, grow.groups)
        grow.placed = max(grow.placed, hi)

    def _swap(self, grow: _Growing) -> None:
        """The growing table, holding every stored state, becomes the table."""
        self._tags, self._ids, self._groups = grow.tags, grow.ids, grow.groups
        self._growing = None

    def _place(self, lo: int, hi: int, tags: np.ndarray, ids: np.ndarray, groups: int) -> None:
        """Put stored states lo .. hi-1 in the table of `groups` groups
        (`tags`, `ids`) that does not hold them yet, `_CHUNK` at a time
        (bounded temporaries)."""
        for start in range(lo, hi, _CHUNK):
            self._place_chunk(start, min(hi, start + _CHUNK), tags, ids, groups)

    def _place_chunk(self, lo: int, hi: int, tags: np.ndarray, ids: np.ndarray, groups: int) -> None:
        g, tag = self._home(_hash(self.rows[lo:hi]), groups)
        sids = np.arange(lo, hi, dtype=np.int64)
        pending = np.arange(hi - lo, dtype=np.int64)
        step = np.zeros(hi - lo, dtype=np.int64)
        words = tags.view(np.uint64)
        while pending.size:
            gp = g[pending]
            free = _zero_bytes(words[gp])
            has = free != 0
            slot = gp[has] * _GROUP + _lowest_byte(free[has])
            claim = pending[has]
            ids[slot] = sids[claim].astype(np.int32)  # of states claiming one slot, one gets it
            won = ids[slot] == sids[claim]
            tags[slot[won]] = (tag[claim[won]] & _FF).astype(np.uint8)
            full = pending[~has]
            g[full], step[full] = _next(gp[~has], step[full], groups)
            pending = np.concatenate([claim[~won], full])

    # ------------------------------------------------------------ batches

    def insert(self, keys: np.ndarray, parents: np.ndarray, codes: np.ndarray,
               h: np.ndarray | None = None, near: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Add a batch of states.

        Returns (ids, new): the state id of every key, and the indices of
        the keys that were not stored before (for duplicates within the
        batch, the first occurrence), in increasing order.  New states get
        consecutive ids in that order, with the given parent and code.

        `h`: the keys' `store_hash`, if the caller has it.  `near=False`
        skips the look at the last two levels and the folding of equal
        keys (the batch was filtered that way already, `firsts`; a few
        equal keys left in are still found); the level bookkeeping for
        that look is then not kept either.
        """
        m = keys.shape[0]
        if m == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self.n + m > MAX_IDS:  # searches stop well before (bfs.id_cap): reaching it is a bug
            raise RuntimeError(f"the visited set cannot hold more than {MAX_IDS:,} states")
        self._reserve(m)
        if h is None:
            h = _hash(keys)
        # ref[i] >= 0: key i is stored state ref[i]; ref[i] < 0: key i equals
        # key -ref[i]-1 of this batch, which is new
        slots = np.zeros(0, dtype=np.int64)  # the table slots claimed for new states
        if near:
            ref = self._near(keys, h)
            rest = np.flatnonzero(ref < 0)
            if rest.size:
                rep = self._dedup(keys[rest], h[rest])  # an equal key of `rest` for each
                own = rest[rep == np.arange(rest.size)]
                slots = self._lookup(keys, h, own, ref)
                ref[rest] = ref[rest[rep]]
        else:
            ref = np.full(m, -1, dtype=np.int64)
            slots = self._lookup(keys, h, np.arange(m, dtype=np.int64), ref)
        neg = np.flatnonzero(ref < 0)
        if not neg.size:
            return ref, np.zeros(0, dtype=np.int64)
        # a new state's first occurrence: the least key of those its
        # claimer stood for (not always the claimer itself)
        winner = -ref[neg] - 1
        is_first = _least_by(winner, neg, m) == neg
        new = neg[is_first]  # in increasing order, as `neg` is
        remap = np.empty(m, dtype=np.int64)  # claimer -> id
        remap[winner[is_first]] = np.arange(self.n, self.n + new.size, dtype=np.int64)
        ref[neg] = remap[winner]
        self._ids[slots] = remap[-self._ids[slots].astype(np.int64) - 2].astype(np.int32)
        end = self.n + new.size
        self.rows[self.n:end] = keys[new]
        self.parent[self.n:end] = parents[new]
        self.code[self.n:end] = codes[new]
        if near:
            self._fresh.append(h[new])
        self.n = end
        return ref, new

    def _near(self, keys: np.ndarray, h: np.ndarray) -> np.ndarray:
        """The id of each key found among the last two levels' states (the
        small table `mark_level` builds), else -1."""
        ids = np.full(keys.shape[0], -1, dtype=np.int64)
        if self._near_ids.size == 0:
            return ids
        slot = _near_slots(h, self._near_ids.size)
        cand = np.flatnonzero(self._near_hash[slot] == h)
        t = self._near_ids[slot[cand]].astype(np.int64)
        if exact(keys.shape[1]):  # equal hashes, equal keys (t = -1: an empty slot)
            ids[cand] = t
        else:
            same = _same(self.rows[t], keys[cand])
            ids[cand[same]] = t[same]
        return ids

    def forget_levels(self) -> None:
        """Drop the last two levels' table: from now on batches come
        filtered (`insert(near=False)`) and `mark_level` is not called."""
        self._fresh, self._levels = [], []
        self._near_hash = np.zeros(0, dtype=np.uint64)
        self._near_ids = np.zeros(0, dtype=np.int32)

    @staticmethod
    def _dedup(keys: np.ndarray, h: np.ndarray) -> np.ndarray:
        """For each key, the index of an equal key of the batch that
        stands for it (itself for one key of each group of equal keys that
        meet in a small table; a key that meets a different one stands
        for itself)."""
        size = 1 << max(4, (8 * keys.shape[0]).bit_length())
        slot = _near_slots(h, size)
        table = np.zeros(size, dtype=np.int64)
        table[slot] = np.arange(keys.shape[0], dtype=np.int64)  # of keys meeting in a slot, one stays
        rep = table[slot]
        differs = h[rep] != h
        if not exact(keys.shape[1]):  # else equal hashes are equal keys
            differs |= ~_same(keys[rep], keys)
        rep[differs] = np.flatnonzero(differs)
        return rep

    def _lookup(self, keys: np.ndarray, h: np.ndarray, pending: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Find keys `pending` in the table, or claim a slot for each that
        is not there (of equal keys, one claims a slot and the others find
        its claim in the next round): set their `ref` (a claimed slot holds
        -2 - the key's index until `insert` numbers the new states).
        Returns the slots claimed."""
        g, tag = self._home(h[pending])
        groups = self._tags.view(np.uint64)
        claimed: list[np.ndarray] = []
        local = np.arange(pending.size, dtype=np.int64)
        step = np.zeros(pending.size, dtype=np.int64)
        while local.size:
            gp = g[local]
            grp = groups[gp]
            done = self._match(keys, pending[local], gp, grp, tag[local], ref)
            free = _zero_bytes(grp)
            claim = np.flatnonzero((free != 0) & ~done)
            if claim.size:  # not there, and the group has room: claim its first free slot
                slot = gp[claim] * _GROUP + _lowest_byte(free[claim])
                who = pending[local[claim]]
                self._ids[slot] = (-2 - who).astype(np.int32)  # of keys claiming one slot, one gets it
                won = self._ids[slot] == -2 - who
                slot, winners = slot[won], who[won]
                self._tags[slot] = (tag[local[claim[won]]] & _FF).astype(np.uint8)
                ref[winners] = -winners - 1
                claimed.append(slot)
                done[claim[won]] = True  # the others look at the next free slot
            full = np.flatnonzero((free == 0) & ~done)
            if full.size:
                at = local[full]
                g[at], step[at] = _next(gp[full], step[at], self._groups)
            local = local[~done]
        return np.concatenate(claimed) if claimed else np.zeros(0, dtype=np.int64)

    def _match(self, keys: np.ndarray, pending: np.ndarray, gp: np.ndarray, grp: np.ndarray,
               tag: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Look for keys `pending` in their groups `gp` (tags `grp`): set
        `ref` of those found (stored, or claimed earlier in this batch) and
        return which were found."""
        done = np.zeros(pending.size, dtype=bool)
        x = grp ^ tag  # a zero byte where the tag matches
        at = np.flatnonzero(_zero_bytes(x))
        while at.size:
            byte = _lowest_byte(_zero_bytes(x[at]))
            t = self._ids[gp[at] * _GROUP + byte].astype(np.int64)
            mine = t < -1  # claimed earlier in this batch
            stored = self.rows[np.where(mine, 0, t)]
            if mine.any():
                stored[mine] = keys[-t[mine] - 2]
            same = _same(stored, keys[pending[at]])
            hit = at[same]
            ref[pending[hit]] = np.where(t[same] >= 0, t[same], t[same] + 1)
            done[hit] = True
            at = at[~same]  # a false match of the tag: the next matching byte, if any
            x[at] |= _FF << (byte[~same].astype(np.uint64) * _U8)
            at = at[_zero_bytes(x[at]) != 0]
        return done

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each packed key is stored (before `mark_level`, once it
        has been called); inserts nothing."""
        m = keys.shape[0]
        found = np.zeros(m, dtype=bool)
        if m == 0 or self.n == 0:
            return found
        g, tag = self._home(_hash(keys))
        groups = self._tags.view(np.uint64)
        ref = np.zeros(m, dtype=np.int64)
        pending = np.arange(m, dtype=np.int64)
        step = np.zeros(m, dtype=np.int64)
        while pending.size:
            gp = g[pending]
            grp = groups[gp]
            done = self._match(keys, pending, gp, grp, tag[pending], ref)
            found[pending[done]] = True
            go_on = (_zero_bytes(grp) == 0) & ~done
            at = pending[go_on]
            g[at], step[at] = _next(gp[go_on], step[at], self._groups)
            pending = pending[go_on]
        return found if self.level_start is None else found & (ref < self.level_start)

    def path(self, sid: int) -> list[int]:
        """Move codes from the root to state `sid`."""
        codes = []
        while sid != 0:
            codes.append(int(self.code[sid]))
            sid = int(self.parent[sid])
        return codes[::-1]
