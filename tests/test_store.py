"""The visited set (`store.StateStore`) and the adaptive narrow packing
(`packing.Packing`), checked against plain Python reference models.

* `Reference` is what a `StateStore` must hold: a dict from a key's words
  to its id, ids handed out in first-occurrence order, with the parent and
  move code of that first occurrence.  Every `insert` of the store is
  mirrored in it and the two are compared exactly after every batch.
* The batches are built to hit every path of the store: duplicates within
  a batch, repeats of earlier batches, states of the last two BFS levels
  (found in the small `_near` table), older states (found in the big
  table only), states of the current level, growth of the table, weak
  hashes (long probe chains, false tag matches) and re-encoding.
* `Packing` is checked against its own promises: every value packed so
  far still unpacks exactly, widths only grow (by GROW_BITS at least, up
  to the full width), and `pack` returns the old layout exactly when it
  had to widen.
* End to end, the explicit engine gives the same result with packing
  (including many widenings and re-encodings in the middle of a level) as
  without it.

Everything is deterministic: fixed seeds, no dependence on time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from jobs import compile_text, counts
from pinmc.engines.base import Options, Result
from pinmc.engines.explicit import bfs
from pinmc.engines.explicit import packing as packing_module
from pinmc.engines.explicit import store as store_module
from pinmc.engines.explicit.codegen import move_count
from pinmc.engines.explicit.packing import GROW_BITS, Packing
from pinmc.engines.explicit.partition import unpack_columns
from pinmc.engines.explicit.store import Layout, StateStore, _lowest_byte, _same, _zero_bytes, code_dtype
from pinmc.ir.system import System
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
MASK64 = (1 << 64) - 1
ONES = np.uint64(MASK64)
Convert = Callable[[np.ndarray], np.ndarray]


# ====================================================================== the reference model

class Reference:
    """A visited set in plain Python: what `StateStore` must hold.

    `marks` are the state counts at each `mark_level`: the current level's
    states are ids >= marks[-1], the last two levels' ids marks[-3] ..
    marks[-1] (0 when there are fewer marks), as the store's `_near` table
    sees them."""

    def __init__(self, words: int) -> None:
        self.words = words
        self.ids: dict[tuple[int, ...], int] = {}
        self.rows = np.zeros((0, words), dtype=np.uint64)
        self.parent = np.zeros(0, dtype=np.int64)
        self.code = np.zeros(0, dtype=np.int64)
        self.marks: list[int] = []

    @property
    def n(self) -> int:
        return self.rows.shape[0]

    def insert(self, keys: np.ndarray, parents: np.ndarray, codes: np.ndarray) -> tuple[list[int], list[int]]:
        ids: list[int] = []
        new: list[int] = []
        for i, row in enumerate(map(tuple, keys.tolist())):
            sid = self.ids.get(row)
            if sid is None:
                sid = self.ids[row] = self.n + len(new)
                new.append(i)
            ids.append(sid)
        self.rows = np.concatenate([self.rows, keys[new]])
        self.parent = np.concatenate([self.parent, parents[new].astype(np.int64)])
        self.code = np.concatenate([self.code, codes[new].astype(np.int64)])
        return ids, new

    def mark_level(self) -> None:
        self.marks.append(self.n)

    def contains(self, keys: np.ndarray) -> list[bool]:
        limit = self.marks[-1] if self.marks else self.n
        return [self.ids.get(row, limit) < limit for row in map(tuple, keys.tolist())]

    def recode(self, words: int, convert: Convert) -> None:
        self.rows = convert(self.rows).reshape(self.n, words)
        self.words = words
        self.ids = {row: sid for sid, row in enumerate(map(tuple, self.rows.tolist()))}
        assert len(self.ids) == self.n, "a re-encoding must keep states apart"

    def path(self, sid: int) -> list[int]:
        codes: list[int] = []
        while sid != 0:
            codes.append(int(self.code[sid]))
            sid = int(self.parent[sid])
        return codes[::-1]

    # the id ranges the batches draw stored states from
    def current(self) -> range:
        """The states stored since the last `mark_level` (all if none)."""
        return range(self.marks[-1] if self.marks else 0, self.n)

    def recent(self) -> range:
        """The last two levels' states (the store's `_near` table)."""
        if not self.marks:
            return range(0)
        return range(self.marks[-3] if len(self.marks) >= 3 else 0, self.marks[-1])

    def older(self) -> range:
        """States stored before the last two levels: in the big table only."""
        return range(0, self.recent().start)


def assert_same(store: StateStore, ref: Reference) -> None:
    """The store holds exactly the reference's states, parents and codes."""
    n = ref.n
    assert store.n == n and store.words == ref.words
    assert np.array_equal(store.rows[:n], ref.rows)
    assert np.array_equal(store.parent[:n].astype(np.int64), ref.parent)
    assert np.array_equal(store.code[:n].astype(np.int64), ref.code)


def insert_both(store: StateStore, ref: Reference, keys: np.ndarray, parents: np.ndarray,
                codes: np.ndarray) -> np.ndarray:
    """Insert a batch into both; the answers and contents must agree.
    Returns the ids."""
    ids, new = store.insert(keys, parents, codes)
    want_ids, want_new = ref.insert(keys, parents, codes)
    assert ids.tolist() == want_ids
    assert new.tolist() == want_new
    assert_same(store, ref)
    return ids


def mark_both(store: StateStore, ref: Reference) -> None:
    store.mark_level()
    ref.mark_level()


def recode_both(store: StateStore, ref: Reference, words: int, convert: Convert) -> None:
    store.recode(words, convert)
    ref.recode(words, convert)
    assert_same(store, ref)


def assert_contains(store: StateStore, ref: Reference, keys: np.ndarray) -> None:
    n = store.n
    assert store.contains(keys).tolist() == ref.contains(keys)
    assert store.n == n, "contains inserts nothing"


def spy_near(store: StateStore) -> list[int]:
    """Count, per insert, the keys the store finds in its `_near` table
    (the small table of the last two levels)."""
    hits: list[int] = []
    real = store._near

    def near(keys: np.ndarray, h: np.ndarray) -> np.ndarray:
        ids = real(keys, h)
        hits.append(int((ids >= 0).sum()))
        return ids

    store._near = near  # type: ignore[method-assign]
    return hits


# ====================================================================== batches

def alphabet(rng: np.random.Generator, size: int) -> np.ndarray:
    """About `size` distinct word values: small counters, values apart only
    in their high bits, extremes, and random words."""
    third = max(1, size // 3)
    small = np.arange(third, dtype=np.uint64)
    high = np.arange(1, third + 1, dtype=np.uint64) << np.uint64(64 - third.bit_length())
    rand = rng.integers(0, 1 << 63, size=size - 2 * third, dtype=np.int64).view(np.uint64)
    rand[::2] |= np.uint64(1 << 63)
    return np.unique(np.concatenate([small, high, rand, [ONES, ONES - np.uint64(1)]]).astype(np.uint64))


def draw(rng: np.random.Generator, alpha: np.ndarray, words: int, m: int) -> np.ndarray:
    """`m` keys of `words` words, each word from `alpha`."""
    return np.stack([alpha[rng.integers(0, alpha.size, size=m)] for _ in range(words)], axis=1)


def pick(rng: np.random.Generator, ref: Reference, ids: range, m: int) -> np.ndarray:
    """`m` stored keys (with repeats) of ids in `ids`, as the reference
    stores them; none if `ids` is empty."""
    if not len(ids):
        return np.zeros((0, ref.words), dtype=np.uint64)
    return ref.rows[rng.integers(ids.start, ids.stop, size=m)]


def mixed_batch(rng: np.random.Generator, ref: Reference, fresh: np.ndarray) -> np.ndarray:
    """`fresh` keys, stored keys of the last two levels, of older levels and
    of the current one, and duplicates of all of these, shuffled."""
    parts = [fresh,
             pick(rng, ref, ref.recent(), int(rng.integers(0, 600))),
             pick(rng, ref, ref.older(), int(rng.integers(0, 600))),
             pick(rng, ref, ref.current(), int(rng.integers(0, 300)))]
    keys = np.concatenate(parts)
    if keys.shape[0]:
        dups = keys[rng.integers(0, keys.shape[0], size=keys.shape[0] // 3)]
        keys = np.concatenate([keys, dups])
    return keys[rng.permutation(keys.shape[0])]


def parents_codes(rng: np.random.Generator, ref: Reference, m: int, codes: int) -> tuple[np.ndarray, np.ndarray]:
    """Parents among the states stored so far (so paths end at state 0)
    and move codes below `codes`."""
    return (rng.integers(0, max(1, ref.n), size=m, dtype=np.int64),
            rng.integers(0, codes, size=m, dtype=np.int64))


# ====================================================================== 1. random batches

# W -> distinct values per word: about 50,000 possible keys, so draws collide
ALPHABET = {1: 48_000, 2: 220, 3: 37}


@pytest.mark.parametrize("words", [1, 2, 3])
@pytest.mark.parametrize("seed, capacity", [(1, 1 << 12), (2, 1 << 12), (3, 1)])
def test_random_batches_match_the_reference(words: int, seed: int, capacity: int) -> None:
    rng = np.random.default_rng(1000 * seed + words)
    alpha = alphabet(rng, ALPHABET[words])
    codes = 1000
    store, ref = StateStore(words, capacity=capacity, codes=codes), Reference(words)
    near = spy_near(store)
    groups = {store._groups}  # the table's sizes: it must grow several times
    old_hits = 0  # keys found that are older than the last two levels (big table only)
    history: list[np.ndarray] = []
    for b in range(45):
        if b and rng.random() < 0.15:
            keys = history[int(rng.integers(0, len(history)))]  # an earlier batch again
        else:
            keys = mixed_batch(rng, ref, draw(rng, alpha, words, int(rng.integers(0, 3000))))
        history.append(keys)
        old = ref.older()
        parents, cs = parents_codes(rng, ref, keys.shape[0], codes)
        ids = insert_both(store, ref, keys, parents, cs)
        old_hits += int(((ids >= 0) & (ids < old.stop)).sum())
        groups.add(store._groups)
        if rng.random() < 0.35:
            mark_both(store, ref)
        if b % 9 == 0:
            assert_contains(store, ref, np.concatenate([draw(rng, alpha, words, 500), pick(rng, ref, range(ref.n), 500)]))
    assert ref.n > 25_000, "enough states for the table to grow several times"
    assert len(groups) >= 4
    assert sum(near) > 1000 and old_hits > 1000  # both lookups were exercised
    for sid in rng.integers(0, ref.n, size=200).tolist() + [0, 1, ref.n - 1]:
        assert store.path(sid) == ref.path(sid)


@pytest.mark.parametrize("words", [1, 2])
@pytest.mark.parametrize("budget", [1, 700, 1 << 16])
def test_growth_in_slices_between_batches(words: int, budget: int) -> None:
    """`grow_early` grows the table a slice at a time while batches go on
    being inserted (the storing process of `--workers 2` does this while it
    waits): the answers are the reference's, growths finish and replace
    the table, and an insert that needs the room before a growth is done
    finishes it itself."""
    rng = np.random.default_rng(77 + words + budget)
    alpha = alphabet(rng, ALPHABET[words])
    store, ref = StateStore(words, capacity=64, codes=50), Reference(words)
    swaps = finished_by_insert = 0
    for b in range(100):
        keys = mixed_batch(rng, ref, draw(rng, alpha, words, int(rng.integers(0, 500))))
        growing = store._growing
        ids = insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 50))
        again = store.insert(keys, np.zeros(keys.shape[0], np.int64), np.zeros(keys.shape[0], np.int64))
        assert (again[0] == ids).all() and again[1].size == 0
        if growing is not None and store._growing is None:
            finished_by_insert += 1
        for _ in range(int(rng.integers(0, 6))):  # a few slices while "waiting"
            before = store._groups
            more = store.grow_early(0.45, 2.0, budget)
            assert more == (store._growing is not None)
            if store._groups != before:
                swaps += 1
                assert store._groups == int(before * 2.0) + 1
                assert store._growing is None and not more
        assert_contains(store, ref, np.concatenate([draw(rng, alpha, words, 300), pick(rng, ref, range(ref.n), 300)]))
    assert ref.n > 10_000
    if budget == 1:
        assert finished_by_insert >= 3  # slices of one state never keep up: inserts finish the growths
    else:
        assert swaps >= 3
    for sid in rng.integers(0, ref.n, size=100).tolist() + [0, ref.n - 1]:
        assert store.path(sid) == ref.path(sid)


def test_a_growth_too_small_for_an_insert_is_dropped() -> None:
    """A growing table without room for a large batch gives way to a table
    with that room, filled at once."""
    store = StateStore(1, capacity=64)
    store.insert(np.arange(1, 41, dtype=np.uint64).reshape(-1, 1), np.zeros(40, np.int64), np.zeros(40, np.int64))
    assert store.grow_early(0.3, 1.5, budget=1)
    small = store._growing.groups
    keys = np.arange(100, 100 + 50 * small, dtype=np.uint64).reshape(-1, 1)
    ids, new = store.insert(keys, np.zeros(keys.shape[0], np.int64), np.zeros(keys.shape[0], np.int64))
    assert store._growing is None and store._groups > small
    assert new.size == keys.shape[0] and (ids == np.arange(40, 40 + keys.shape[0])).all()
    assert store.contains(np.arange(1, 41, dtype=np.uint64).reshape(-1, 1)).all()
    assert store.contains(keys).all()


@pytest.mark.parametrize("words, exact", [(1, True), (1, False), (2, False)])
def test_firsts_keeps_every_first_occurrence(words: int, exact: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """`store.firsts` (the expanding process's fold of equal successors):
    indices in increasing order, the first occurrence of every distinct
    row among them, and few later ones (those that met another row in the
    small table); one-word rows take the back-to-front table, wider ones
    and weak hashes the general way."""
    monkeypatch.setattr(store_module, "EXACT_ONE_WORD", exact)
    rng = np.random.default_rng(5 + words)
    for m in (0, 1, 7, 3000, 40_000):
        keys = draw(rng, alphabet(rng, max(3, m // 4)), words, m)
        h = store_module.store_hash(keys)
        got = store_module.firsts(keys, h)
        assert (np.diff(got) > 0).all()
        _, first = np.unique(keys, axis=0, return_index=True)
        assert set(first.tolist()) <= set(got.tolist())
        assert got.size <= first.size + max(1, m // 50)


def test_empty_batch_changes_nothing() -> None:
    store, ref = StateStore(2), Reference(2)
    empty = np.zeros((0, 2), dtype=np.uint64)
    none = np.zeros(0, dtype=np.int64)
    ids, new = store.insert(empty, none, none)
    assert ids.size == 0 and new.size == 0 and store.n == 0
    keys = np.array([[1, 2], [1, 2], [3, 4]], dtype=np.uint64)
    insert_both(store, ref, keys, np.zeros(3, np.int64), np.array([5, 6, 7]))
    mark_both(store, ref)
    ids, new = store.insert(empty, none, none)
    assert ids.size == 0 and new.size == 0
    assert_same(store, ref)
    assert_contains(store, ref, empty)


def test_keys_given_as_views() -> None:
    """Keys, parents and codes need not be contiguous arrays of their own."""
    rng = np.random.default_rng(9)
    wide = rng.integers(0, 50, size=(4000, 6), dtype=np.int64).view(np.uint64)
    store, ref = StateStore(2), Reference(2)
    for keys in (wide[::2, 1:5:2], wide[::-3, ::3], np.asfortranarray(wide[:, :2])):
        m = keys.shape[0]
        both = rng.integers(0, max(1, ref.n), size=(2, m))
        insert_both(store, ref, keys, both[0], both[1] % 200)
        mark_both(store, ref)
        assert_contains(store, ref, wide[::-1, 4:])


def test_duplicates_keep_the_first_parent_and_code() -> None:
    """Within a batch the first occurrence of a new state gives its parent
    and code, whatever the later ones say."""
    store, ref = StateStore(1), Reference(1)
    insert_both(store, ref, np.array([[7]], dtype=np.uint64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    keys = np.array([[9], [8], [9], [7], [8], [10], [9]], dtype=np.uint64)
    ids = insert_both(store, ref, keys, np.zeros(7, np.int64), np.arange(10, 17))
    assert ids.tolist() == [1, 2, 1, 0, 2, 3, 1]
    assert store.code[1:4].tolist() == [10, 11, 15]
    # a whole batch of one key
    ids = insert_both(store, ref, np.full((500, 1), 11, dtype=np.uint64), np.arange(500) % 4, np.arange(500))
    assert set(ids.tolist()) == {4} and store.parent[4] == 0 and store.code[4] == 0


# ====================================================================== 2. adversarial keys and hashes

def adversarial_keys(words: int) -> np.ndarray:
    """Keys that differ in few bits: all zero, all ones, one bit in one
    word, only the top byte, one word of all ones among zeros and the
    other way round."""
    rows: list[list[int]] = [[0] * words, [MASK64] * words]
    for j in range(words):
        for bit in range(64):
            rows.append([1 << bit if i == j else 0 for i in range(words)])
            rows.append([MASK64 ^ (1 << bit) if i == j else MASK64 for i in range(words)])
        for top in range(256):
            rows.append([top << 56 if i == j else 0 for i in range(words)])
            rows.append([top << 56 | 0xFFFF if i == j else MASK64 for i in range(words)])
        rows.append([MASK64 if i == j else 0 for i in range(words)])
        rows.append([0 if i == j else MASK64 for i in range(words)])
    rows.append([1 << 63] * words)
    return np.array(rows, dtype=np.uint64)


@pytest.mark.parametrize("words", [1, 2, 3])
def test_keys_apart_in_few_bits(words: int) -> None:
    rng = np.random.default_rng(20 + words)
    keys = adversarial_keys(words)
    assert len({tuple(r) for r in keys.tolist()}) > 0.9 * keys.shape[0]
    store, ref = StateStore(words, capacity=16), Reference(words)
    order = rng.permutation(keys.shape[0])
    for part in np.array_split(order, 7):
        batch = np.concatenate([keys[part], keys[part[::3]], keys[order[:50]]])
        parents, cs = parents_codes(rng, ref, batch.shape[0], 1 << 16)
        insert_both(store, ref, batch, parents, cs)
        assert_contains(store, ref, keys)
        mark_both(store, ref)
    # every key again, in one batch, with the zero and all-ones keys first and last
    batch = np.concatenate([keys[:2], keys[::-1], keys[:2]])
    insert_both(store, ref, batch, *parents_codes(rng, ref, batch.shape[0], 1 << 16))
    shifted = np.roll(keys, 1, axis=1) ^ np.uint64(1 << 62)  # similar keys, mostly never inserted
    assert_contains(store, ref, shifted)


WEAK_HASHES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    # everything in one home group with one tag and one `_near` slot: long
    # probe chains, a false tag match in every full slot
    "constant": lambda keys: np.zeros(keys.shape[0], dtype=np.uint64),
    # one home group (the high bits are zero), tags differ
    "low bits": lambda keys: keys[:, 0] & np.uint64(0x7F),
    # home groups differ, every tag is the same
    "high bits": lambda keys: (keys[:, 0] % np.uint64(97)) << np.uint64(32),
    # the first word only: keys apart in the other words always collide
    "first word": lambda keys: keys[:, 0] * np.uint64(0x9E3779B97F4A7C15),
}


@pytest.mark.parametrize("name", list(WEAK_HASHES))
@pytest.mark.parametrize("words", [1, 3])
def test_weak_hashes_still_give_exact_answers(monkeypatch: pytest.MonkeyPatch, name: str, words: int) -> None:
    monkeypatch.setattr(store_module, "_hash", WEAK_HASHES[name])
    monkeypatch.setattr(store_module, "EXACT_ONE_WORD", False)  # a weak hash is no bijection
    rng = np.random.default_rng(40 + words)
    # words == 1: keys apart only above the 7 bits "low bits" hashes
    alpha = np.arange(900, dtype=np.uint64) << np.uint64(7) if words == 1 else np.arange(11, dtype=np.uint64)
    store, ref = StateStore(words, capacity=64), Reference(words)
    for _ in range(14):
        keys = mixed_batch(rng, ref, draw(rng, alpha, words, int(rng.integers(1, 250))))
        insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 200))
        assert_contains(store, ref, draw(rng, alpha, words, 200))
        if rng.random() < 0.5:
            mark_both(store, ref)
    assert ref.n > 600


# ====================================================================== 3. contains

def test_contains_before_and_after_mark_level() -> None:
    rng = np.random.default_rng(3)
    store, ref = StateStore(2), Reference(2)
    a = rng.integers(0, 1 << 62, size=(300, 2), dtype=np.int64).view(np.uint64)
    b, c, never = a[:100], a[100:200], a[200:]
    assert not store.contains(a).any()  # empty store
    insert_both(store, ref, b, np.zeros(100, np.int64), np.zeros(100, np.int64))
    # before any mark_level: every stored state counts
    assert store.contains(b).all() and not store.contains(c).any() and not store.contains(never).any()
    assert_contains(store, ref, a)
    mark_both(store, ref)
    insert_both(store, ref, c, np.zeros(100, np.int64), np.zeros(100, np.int64))
    # after it: only the states stored before the call
    assert store.contains(b).all() and not store.contains(c).any() and not store.contains(never).any()
    assert_contains(store, ref, np.concatenate([c, never, b]))
    # contains inserted nothing: `never` is new, `b` and `c` old
    ids, new = store.insert(a, np.zeros(300, np.int64), np.zeros(300, np.int64))
    assert new.tolist() == list(range(200, 300)) and ids[:200].tolist() == list(range(200))
    ref.insert(a, np.zeros(300, np.int64), np.zeros(300, np.int64))
    mark_both(store, ref)
    assert store.contains(a).all()
    assert_contains(store, ref, a)
    mark_both(store, ref)  # a level with no new states
    assert store.contains(a).all()
    assert store.contains(np.zeros((0, 2), dtype=np.uint64)).shape == (0,)


def test_contains_after_growth_and_many_levels() -> None:
    rng = np.random.default_rng(31)
    alpha = alphabet(rng, 150)
    store, ref = StateStore(2, capacity=8), Reference(2)
    for level in range(30):
        mark_both(store, ref)
        probe = np.concatenate([draw(rng, alpha, 2, 300), pick(rng, ref, range(ref.n), 300)])
        assert_contains(store, ref, probe)
        keys = mixed_batch(rng, ref, draw(rng, alpha, 2, 600))
        for part in np.array_split(keys, 3):  # a level inserted in several batches
            insert_both(store, ref, part, *parents_codes(rng, ref, part.shape[0], 7))
            assert_contains(store, ref, np.concatenate([part, probe]))
    assert ref.n > 10_000


# ====================================================================== 4. recode

@dataclass(frozen=True)
class Recoding:
    """A re-encoding of the keys: `keys(rng, m)` draws keys in the old
    encoding, `forth` maps them to `new_words` words and `back` inverts it."""

    name: str
    old_words: int
    new_words: int
    keys: Callable[[np.random.Generator, int], np.ndarray]
    forth: Convert
    back: Convert


_C = np.uint64(0x9E3779B97F4A7C15)
_LOW32 = np.uint64(0xFFFFFFFF)
_SH32 = np.uint64(32)


def _wrap(f: Convert) -> Convert:
    def g(rows: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.ascontiguousarray(f(rows), dtype=np.uint64)
    return g


def _words32(rng: np.random.Generator, m: int) -> np.ndarray:
    """Two-word keys whose words fit 32 bits (high and low bits set)."""
    alpha = np.concatenate([np.arange(120, dtype=np.uint64), np.arange(1, 121, dtype=np.uint64) << np.uint64(25)])
    return draw(rng, alpha, 2, m)


def _words64(rng: np.random.Generator, words: int, m: int) -> np.ndarray:
    return draw(rng, alphabet(np.random.default_rng(5), 5000 if words == 1 else 60), words, m)


RECODINGS = [
    # W 2 -> 1: the words are 32-bit values, merged into one word (as a narrower packing)
    Recoding("merge 2->1", 2, 1, _words32,
             _wrap(lambda r: ((r[:, 0] << _SH32) | r[:, 1]).reshape(-1, 1)),
             _wrap(lambda r: np.stack([r[:, 0] >> _SH32, r[:, 0] & _LOW32], axis=1))),
    # W 1 -> 2: one word split in halves (as a packing that needs another word)
    Recoding("split 1->2", 1, 2, lambda rng, m: _words64(rng, 1, m),
             _wrap(lambda r: np.stack([r[:, 0] >> _SH32, r[:, 0] & _LOW32], axis=1)),
             _wrap(lambda r: ((r[:, 0] << _SH32) | r[:, 1]).reshape(-1, 1))),
    # W 2 -> 2: the words swapped, a constant added to one (wrapping)
    Recoding("swap+add 2->2", 2, 2, lambda rng, m: _words64(rng, 2, m),
             _wrap(lambda r: np.stack([r[:, 1] + _C, r[:, 0]], axis=1)),
             _wrap(lambda r: np.stack([r[:, 1], r[:, 0] - _C], axis=1))),
    # W 3 -> 2: the last word is always zero and dropped
    Recoding("drop 3->2", 3, 2, lambda rng, m: np.concatenate([_words64(rng, 2, m), np.zeros((m, 1), np.uint64)], axis=1),
             _wrap(lambda r: r[:, :2]),
             _wrap(lambda r: np.concatenate([r, np.zeros((r.shape[0], 1), np.uint64)], axis=1))),
]


def _near_finds_recent(store: StateStore, ref: Reference) -> None:
    """The `_near` table finds (most of) the last two levels' states, with
    their reference ids; it never finds a wrong one."""
    recent = ref.recent()
    if not len(recent):
        return
    keys = ref.rows[recent.start:recent.stop]
    ids = store._near(keys, store_module._hash(keys))
    found = ids >= 0
    assert (ids[found] == np.arange(recent.start, recent.stop)[found]).all()
    assert found.mean() > 0.8  # only states meeting in one slot of the small table are left out
    # and nothing else: states of the current level and older ones are not in it
    other = np.concatenate([ref.rows[ref.current().start:ref.n], ref.rows[:recent.start]])
    assert (store._near(other, store_module._hash(other)) < 0).all()


@pytest.mark.parametrize("rc", RECODINGS, ids=lambda rc: rc.name)
def test_recode_keeps_ids_and_lookups(rc: Recoding) -> None:
    rng = np.random.default_rng(sum(map(ord, rc.name)))
    store, ref = StateStore(rc.old_words, capacity=256, codes=300), Reference(rc.old_words)
    near = spy_near(store)

    def batches(count: int, encode: Convert | None, marks: bool = True) -> None:
        for _ in range(count):
            fresh = rc.keys(rng, int(rng.integers(1, 700)))
            keys = mixed_batch(rng, ref, encode(fresh) if encode is not None else fresh)
            insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 300))
            if marks and rng.random() < 0.4:
                mark_both(store, ref)

    batches(12, None)
    # re-encode in the middle of a level: after mark_level and some inserts
    mark_both(store, ref)
    batches(2, None, marks=False)
    assert ref.current(), "states stored since mark_level"
    recode_both(store, ref, rc.new_words, rc.forth)
    _near_finds_recent(store, ref)
    assert_contains(store, ref, np.concatenate([rc.forth(rc.keys(rng, 300)), pick(rng, ref, range(ref.n), 300)]))
    # the last two levels' and the current level's states, in the new encoding, keep their ids
    before = sum(near)
    keys = np.concatenate([pick(rng, ref, ref.recent(), 400), pick(rng, ref, ref.current(), 100)])
    insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 300))
    assert sum(near) > before
    batches(12, rc.forth)
    # and back, again within a level, right after mark_level
    mark_both(store, ref)
    recode_both(store, ref, rc.old_words, rc.back)
    _near_finds_recent(store, ref)
    batches(6, None)
    # twice in a row, and at once after an insert of nothing new
    recode_both(store, ref, rc.new_words, rc.forth)
    recode_both(store, ref, rc.old_words, rc.back)
    keys = pick(rng, ref, range(ref.n), 500)
    insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 300))
    recode_both(store, ref, rc.new_words, rc.forth)
    _near_finds_recent(store, ref)
    batches(4, rc.forth)
    assert ref.n > 3000
    for sid in rng.integers(0, ref.n, size=100).tolist():
        assert store.path(sid) == ref.path(sid)


def test_recode_empty_and_fresh_store() -> None:
    rc = RECODINGS[0]
    rng = np.random.default_rng(4)
    store, ref = StateStore(2), Reference(2)
    recode_both(store, ref, 1, rc.forth)  # nothing stored yet
    keys = rc.forth(rc.keys(rng, 200))
    insert_both(store, ref, keys, *parents_codes(rng, ref, 200, 10))
    mark_both(store, ref)
    recode_both(store, ref, 2, rc.back)  # right after mark_level: the current level is empty
    _near_finds_recent(store, ref)
    keys = np.concatenate([rc.keys(rng, 200), ref.rows])
    insert_both(store, ref, keys, *parents_codes(rng, ref, keys.shape[0], 10))
    assert_contains(store, ref, keys)


# ====================================================================== 5. move codes

@pytest.mark.parametrize("codes, dtype", [(1, np.uint8), (255, np.uint8), (256, np.uint8), (257, np.uint16),
                                          (65536, np.uint16), (65537, np.int32), (1 << 31, np.int32)])
def test_code_dtype_and_round_trip(codes: int, dtype: type) -> None:
    assert code_dtype(codes) == np.dtype(dtype)
    store = StateStore(1, capacity=4, codes=codes)
    assert store.code.dtype == np.dtype(dtype)
    # every extreme code, and a chain of states whose path is those codes
    values = sorted(v for v in {0, 1, codes // 2, codes - 2, codes - 1} if 0 <= v < codes)
    rng = np.random.default_rng(codes % 1000)
    values += rng.integers(0, codes, size=2000).tolist()
    m = len(values)
    keys = np.arange(1, m + 1, dtype=np.uint64).reshape(-1, 1)
    store.insert(np.zeros((1, 1), dtype=np.uint64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    ids, new = store.insert(keys, np.arange(m, dtype=np.int64), np.array(values, dtype=np.int64))
    assert ids.tolist() == list(range(1, m + 1)) and new.size == m
    assert store.code[1:m + 1].astype(np.int64).tolist() == values
    assert store.path(m) == values
    assert store.path(0) == []


# ====================================================================== 6. bit tricks

_FILLERS = [0x0101010101010101, 0xFFFFFFFFFFFFFFFF, 0x8080808080808080, 0x7F7F7F7F7F7F7F7F,
            0x0102030405060708, 0xF1E2D3C4B5A69788]  # no zero byte


def _lowest_zero_byte(x: int) -> int | None:
    """Pure Python: the index of the lowest zero byte of `x`, None if none."""
    for j in range(8):
        if (x >> (8 * j)) & 0xFF == 0:
            return j
    return None


def _check_zero_bytes(words: list[int]) -> None:
    x = np.array(words, dtype=np.uint64)
    z = _zero_bytes(x)
    want = [_lowest_zero_byte(w) for w in words]
    assert [bool(v) for v in z.tolist()] == [j is not None for j in want]
    has = np.flatnonzero(z)
    got = _lowest_byte(z[has]).tolist()
    assert got == [want[i] for i in has.tolist()]
    # the lowest flagged bit is the top bit of the lowest zero byte (bits above may be spurious)
    flags = [int(v) for v in z[has].tolist()]
    assert [v & -v for v in flags] == [1 << (8 * j + 7) for j in got]
    assert all(v & ~0x8080808080808080 == 0 for v in flags)


def test_zero_bytes_every_byte_value_at_every_position() -> None:
    words = []
    for filler in _FILLERS:
        for j in range(8):
            for b in range(256):
                words.append(filler & ~(0xFF << (8 * j)) | b << (8 * j))
    _check_zero_bytes(words)


def test_zero_bytes_two_zero_bytes_and_borrows() -> None:
    words = []
    for filler in _FILLERS:
        for i in range(8):
            for j in range(i + 1, 8):
                words.append(filler & ~(0xFF << (8 * i)) & ~(0xFF << (8 * j)))
            # a 0x01 (or 0x00/0x80) above a zero byte: the subtraction's borrow flags it too
            for above in (0x01, 0x80, 0x81):
                if i < 7:
                    w = filler & ~(0xFF << (8 * i)) & ~(0xFF << (8 * (i + 1))) | above << (8 * (i + 1))
                    words.append(w)
    words += [0, MASK64, 1 << 63, 0xFF, 0xFF << 56, 0x00FF_FFFF_FFFF_FFFF]
    _check_zero_bytes(words)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_bytes_random_words(seed: int) -> None:
    rng = np.random.default_rng(60 + seed)
    n = 20_000
    b = rng.integers(1, 256, size=(n, 8), dtype=np.int64)
    b[rng.random((n, 8)) < [0.05, 0.1, 0.2, 0.3, 0.3, 0.2, 0.1, 0.05]] = 0
    words = [sum(int(v) << (8 * j) for j, v in enumerate(row)) for row in b.tolist()]
    words += rng.integers(0, 1 << 63, size=2000, dtype=np.int64).tolist()
    _check_zero_bytes(words)


def test_lowest_byte_ignores_flags_above_the_lowest() -> None:
    """`_lowest_byte` reads only the lowest flagged byte: every set of flags."""
    masks = list(range(1, 256))
    z = np.array([sum(1 << (8 * j + 7) for j in range(8) if m >> j & 1) for m in masks], dtype=np.uint64)
    assert _lowest_byte(z).tolist() == [(m & -m).bit_length() - 1 for m in masks]


@pytest.mark.parametrize("words", [1, 2, 3])
def test_same_is_row_equality(words: int) -> None:
    rng = np.random.default_rng(70 + words)
    a = rng.integers(0, 4, size=(3000, words), dtype=np.int64).view(np.uint64)
    b = rng.integers(0, 4, size=(3000, words), dtype=np.int64).view(np.uint64)
    assert (_same(a, b) == (a == b).all(axis=1)).all()
    assert _same(a, a).all()


# ====================================================================== 7. packing

SLOTS_SPEC = """
    spec packing_slots
    enum Mode { IDLE, BUSY, GONE }
    page X {
        count: u32 = 1
        refs: i32 = 1
        small: u8 = 7
        flag: bool = false
        r: 3..9 = 4
        big: i32 = 1000000
    }
    var mode: Mode = BUSY
    thread t {
        a: { X.count += 1 }
        b: { X.refs -= 1 }
    }
    invariant ok: X.r >= 3
"""


# every slot starts at an extreme of its type, with 64-bit slots too
EXTREMES_SPEC = """
    spec packing_extremes
    page X {
        a: u8 = 255
        b: i32 = -2147483648
        c: u32 = 4294967295
        d: i64 = -9223372036854775808
        e: i64 = 9223372036854775807
        f: i32 = 2147483647
        g: u16 = 0
    }
    thread t { s: { X.a -= 1 } }
"""


def slot_ranges(system: System) -> list[tuple[int, int]]:
    """The (least, greatest) value of each slot's type."""
    out = []
    for v in system.vars:
        t = v.ty
        if isinstance(t, BoolT):
            out.append((0, 1))
        elif isinstance(t, MachT):
            out.append((t.lo, t.hi))
        elif isinstance(t, RangeT):
            out.append((t.lo, t.hi))
        elif isinstance(t, EnumT):
            out.append((0, len(t.members) - 1))
        elif isinstance(t, PcT):
            out.append((0, len(t.labels)))
        else:
            raise TypeError(t)
    return out


class PackingChecker:
    """Feeds batches to a `Packing` and checks it after each: the batch and
    every earlier one unpack exactly, the stored keys follow a widening
    through `convert`, widths only grow (by GROW_BITS at least, never past
    the full width), and `pack` returns the old layout exactly when a slot
    was widened.  A second `Packing` gets the same batches as tuples (the
    scalar expander's form) and must agree."""

    def __init__(self, full: Layout, init: tuple[int, ...]) -> None:
        self.full = full
        self.packing = Packing(full, init)
        self.twin = Packing(full, init)  # fed lists of tuples
        self.seen = np.array(init, dtype=np.int64).reshape(-1, 1)
        self.stored = self.packing.layout.pack_columns(self.seen)  # as a visited set would hold them
        self.widenings = [0] * len(full.fields)
        assert unpack_columns(self.packing.layout, self.stored)[:, 0].tolist() == list(init)

    def feed(self, cols: np.ndarray) -> Layout | None:
        p = self.packing
        layout, widths, widened = p.layout, list(p.width), p.widened
        keys, old = p.pack(cols)
        twin_keys, twin_old = self.twin.pack([tuple(c) for c in cols.T.tolist()])
        assert np.array_equal(twin_keys, keys) and twin_old == old and self.twin.layout == p.layout
        # the old layout is returned exactly when a slot had to be widened
        if old is None:
            assert p.layout == layout and p.width == widths and p.widened == widened
        else:
            assert old == layout and p.layout != layout and p.widened > widened
            self.stored = p.convert(old)(self.stored)
        for k, (w0, w1, field) in enumerate(zip(widths, p.width, self.full.fields)):
            assert w0 <= w1 <= field[2]
            if w1 != w0:
                assert w1 >= min(field[2], w0 + GROW_BITS)
                self.widenings[k] += 1
        assert p.layout.words <= self.full.words and not p.layout.wide
        assert [f[2] for f in p.layout.fields] == p.width
        assert all(shift + width <= 64 for _, shift, width, _ in p.layout.fields)
        # the batch, and everything packed before, unpack exactly
        assert keys.shape == (cols.shape[1], p.layout.words)
        assert np.array_equal(unpack_columns(p.layout, keys), cols)
        self.seen = np.concatenate([self.seen, cols], axis=1)
        self.stored = np.concatenate([self.stored, keys])
        assert np.array_equal(self.stored, p.layout.pack_columns(self.seen))
        assert np.array_equal(unpack_columns(p.layout, self.stored), self.seen)
        return old


def _growing(rng: np.random.Generator, lo: int, hi: int, init: int, step: int, steps: int, m: int) -> np.ndarray:
    """`m` values around `init`, spreading (geometrically) with `step` out
    to the whole of lo..hi at the last step."""
    if step == steps - 1:
        up, down = hi, lo
    else:
        reach = 2 ** (step * 33 // steps)
        up, down = min(hi, init + reach), max(lo, init - reach // 3)
    vals = rng.integers(down, up, size=m, dtype=np.int64, endpoint=True)
    vals[:2] = down, up
    return vals


@pytest.mark.parametrize("spec", [SLOTS_SPEC, EXTREMES_SPEC], ids=["slots", "extremes"])
def test_packing_widens_as_values_grow(tmp_path: Path, spec: str) -> None:
    system = compile_text(tmp_path, spec)
    full = Layout.of(system)
    assert not full.wide and full.words >= 2
    ranges = slot_ranges(system)
    names = [v.name for v in system.vars]
    check = PackingChecker(full, system.init)
    start = list(check.packing.width)
    rng = np.random.default_rng(7)
    steps, olds = 48, 0
    for step in range(steps):
        cols = np.stack([_growing(rng, lo, hi, v0, step, steps, 64) if (hi - lo) >= 16
                         else rng.integers(lo, hi, size=64, dtype=np.int64, endpoint=True)  # fits from the start
                         for (lo, hi), v0 in zip(ranges, system.init)])
        olds += check.feed(cols) is not None
        # a batch of values the layout already holds never widens
        assert check.feed(check.seen[:, rng.integers(0, check.seen.shape[1], size=50)]) is None
    p = check.packing
    assert olds >= 10 and p.widened == sum(check.widenings)
    for k, (name, field) in enumerate(zip(names, full.fields)):
        if (ranges[k][1] - ranges[k][0]) >= 16:  # met its type's extremes: full width
            assert p.width[k] == field[2], name
            assert check.widenings[k] <= -(-(field[2] - start[k]) // GROW_BITS), name
        else:
            assert p.width[k] == field[2] and check.widenings[k] == 0, name


def test_packing_below_the_initial_value(tmp_path: Path) -> None:
    """Values below a slot's initial value (down to negative for i32, to 0
    for u32): the slot widens with its new room below."""
    system = compile_text(tmp_path, SLOTS_SPEC)
    names = [v.name for v in system.vars]
    count, refs = names.index("X.count"), names.index("X.refs")
    check = PackingChecker(Layout.of(system), system.init)
    init = np.array(system.init, dtype=np.int64).reshape(-1, 1)

    def with_(slot: int, values: list[int]) -> np.ndarray:
        cols = np.repeat(init, len(values), axis=1)
        cols[slot] = values
        return cols

    assert check.feed(with_(refs, [1, 2, 3])) is None  # fits the initial room
    assert check.feed(with_(refs, [-1])) is not None  # below the base
    assert check.packing.layout.fields[refs][3] < -1  # room made below
    assert check.feed(with_(refs, [-2, -3, 0])) is None  # ... so a little lower fits
    assert check.feed(with_(refs, [-2**31, 2**31 - 1])) is not None
    assert check.packing.width[refs] == 32
    assert check.feed(with_(count, [0])) is not None  # u32 below its initial 1
    assert check.feed(with_(count, [0, 1, 2**20])) is not None
    assert check.feed(with_(count, [2**32 - 1, 0])) is not None
    assert check.packing.width[count] == 32 and check.packing.layout.fields[count][3] == 0
    # empty batches, as a matrix and as a list
    for empty in (np.zeros((len(names), 0), dtype=np.int64), []):
        keys, old = check.packing.pack(empty)
        assert keys.shape == (0, check.packing.layout.words) and old is None


def test_packing_pin_bias_values_fit_one_word() -> None:
    """pin_bias's slots are an i32 refcount and u32 counters: three words in
    the full layout.  With the values a search meets (refcount from 1 up
    to ~3300, counters up to 600, reached step by step) one word holds them."""
    system = compile_spec(str(ROOT / "specs" / "pin_bias.pin"), None, {"GETS": 600})
    full = Layout.of(system)
    assert full.words == 3
    names = [v.name for v in system.vars]
    assert names[0] == "X.refcount"
    check = PackingChecker(full, system.init)
    rng = np.random.default_rng(11)
    for level in range(3, 601, 3):
        cols = np.zeros((len(names), 40), dtype=np.int64)
        gets = rng.integers(0, level + 1, size=(2, 40))
        pins = rng.integers(0, 3, size=(2, 40))
        gets[:, 0] = level  # the largest count met so far
        cols[0] = 1 + gets.sum(axis=0) // 2 + 1024 * pins.sum(axis=0) // 2
        cols[0, :2] = 1 + level * 3300 // 600, 0  # the extremes met so far (refcount 0: the page freed)
        cols[1] = pins.sum(axis=0)
        cols[2:4] = pins
        cols[4:6] = gets
        check.feed(cols)
    assert int(check.seen[0].max()) >= 3300 and int(check.seen[4:].max()) == 600
    assert check.packing.layout.words == 1
    assert check.packing.widened >= 6


# ====================================================================== 8. end to end

BASE = Options(por=False, symmetry=False, workers=1)

# a counter that climbs for 600 levels and one that goes negative: widened
# again and again deep into the search; an invariant violated at depth 499
WIDEN_LATE_SPEC = """
    spec widen_late
    page X {
        n: u32 = 1
        m: i32 = 0
    }
    daemon up {
        var k: u16 = 0
        inc: when k < 600 {
            X.n += 1
            k += 1
        }
    }
    daemon down {
        dec: when X.m > -60 {
            X.m -= 1
        }
    }
    invariant small: X.n < 500
    reachable low: X.m == -40
"""

# name -> what the spec's verdicts must be (the expectations of specs/pin_bias.pin, and what
# its bounds change)
EXPECTED = {
    "pin_bias": {"no_false_negative": "holds", "pinned": "reachable", "false_positive": "unreachable",
                 "deadlock": "free"},
    "pin_bias BIAS=64": {"no_false_negative": "holds", "pinned": "reachable", "false_positive": "reachable",
                         "deadlock": "free"},
    "widen_late": {"small": "violated", "low": "reachable", "deadlock": "free"},
}


@pytest.fixture(scope="module")
def systems(tmp_path_factory: pytest.TempPathFactory) -> dict[str, System]:
    spec = str(ROOT / "specs" / "pin_bias.pin")
    return {"pin_bias": compile_spec(spec, None, {"GETS": 40}),
            "pin_bias BIAS=64": compile_spec(spec, None, {"GETS": 40, "BIAS": 64}),  # false positives: a 63-step trace
            "widen_late": compile_text(tmp_path_factory.mktemp("widen_late"), WIDEN_LATE_SPEC)}


@pytest.fixture(scope="module")
def pin_bias(systems: dict[str, System]) -> System:
    return systems["pin_bias"]


def summary(result: Result) -> tuple[Any, ...]:
    """Everything a result reports except times and memory."""
    return (counts(result), result.stats.complete, result.stats.limit,
            [(v.prop, v.kind, v.status, v.trace, v.note) for v in result.verdicts])


# (spec, START_BITS or None for the default, bfs.CHUNK or None for the default, expander, options)
VARIANTS = [
    ("pin_bias", None, None, "auto", BASE),
    ("pin_bias", 1, None, "auto", BASE),
    ("pin_bias", 1, 97, "auto", BASE),  # small batches: re-encodings between a level's batches
    ("pin_bias", 1, 97, "scalar", BASE),
    ("pin_bias", 1, 97, "auto", Options(por=True, symmetry=False, workers=1)),
    ("pin_bias", 1, 97, "auto", Options(por=False, symmetry=True, workers=1)),
    ("pin_bias BIAS=64", None, None, "auto", BASE),
    ("pin_bias BIAS=64", 1, 97, "auto", BASE),
    ("widen_late", 1, 16, "auto", BASE),
]


def _variant_id(v: tuple[Any, ...]) -> str:
    spec, bits, chunk, expander, options = v
    return (f"{spec}-bits{bits or packing_module.START_BITS}-chunk{chunk or bfs.CHUNK}-{expander}"
            f"{'-por' if options.por else ''}{'-sym' if options.symmetry else ''}")


@pytest.mark.parametrize("spec, bits, chunk, expander, options", VARIANTS, ids=[_variant_id(v) for v in VARIANTS])
def test_engine_same_with_and_without_packing(systems: dict[str, System], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, spec: str, bits: int | None,
                                              chunk: int | None, expander: str, options: Options) -> None:
    """States, transitions, depth, verdicts and traces are the same with the
    adaptive packing as without it (a spilling store, which packs with the
    full layout)."""
    system = systems[spec]
    plain = bfs.check(system, replace(options, spill=str(tmp_path)), expander=expander)
    if bits is not None:
        monkeypatch.setattr(packing_module, "START_BITS", bits)
    if chunk is not None:  # batches change no result: the plain search keeps the default
        monkeypatch.setattr(bfs, "CHUNK", chunk)
    packed = bfs.check(system, options, expander=expander)
    assert summary(packed) == summary(plain)
    assert {v.prop: v.status for v in packed.verdicts} == EXPECTED[spec]


def test_packed_store_holds_the_same_states(pin_bias: System, monkeypatch: pytest.MonkeyPatch) -> None:
    """State by state: the same ids, parents and codes, and rows that unpack
    to the same states, as an in-memory store with the full layout; with
    re-encodings in the middle of levels."""
    full = bfs.Search(pin_bias, BASE)
    full.packing = None  # the full layout, in an in-memory store
    full.store = StateStore(full.layout.words, codes=move_count(pin_bias))
    full.run()
    monkeypatch.setattr(packing_module, "START_BITS", 1)
    monkeypatch.setattr(bfs, "CHUNK", 97)
    narrow = bfs.Search(pin_bias, BASE)
    assert narrow.packing is not None
    recodes: list[tuple[int, int | None]] = []  # (states, level start) at each re-encoding
    real = narrow.store.recode

    def recode(words: int, convert: Convert) -> None:
        recodes.append((narrow.store.n, narrow.store.level_start))
        real(words, convert)

    narrow.store.recode = recode  # type: ignore[method-assign]
    narrow.run()
    n = full.store.n
    assert narrow.store.n == n > 10_000 and narrow.complete and full.complete
    assert (narrow.transitions, narrow.depth) == (full.transitions, full.depth)
    assert np.array_equal(narrow.store.parent[:n], full.store.parent[:n])
    assert np.array_equal(narrow.store.code[:n], full.store.code[:n])
    assert np.array_equal(unpack_columns(narrow.packing.layout, narrow.store.rows[:n]),
                          unpack_columns(full.layout, full.store.rows[:n]))
    assert narrow.store.words == narrow.packing.layout.words == 1 < full.layout.words
    assert len(recodes) >= 3
    assert any(start is not None and states > start for states, start in recodes), "a recode within a level"
    assert [(v.prop, v.status, v.trace) for v in narrow.verdicts()] == \
        [(v.prop, v.status, v.trace) for v in full.verdicts()]


def test_wide_parents_keep_ids_past_32_bits() -> None:
    """A spilling store's buffer files states whose parents are ids of
    states anywhere, past 2^31 too; a store holds at most MAX_IDS states."""
    from pinmc.engines.explicit import store as store_module

    s = StateStore(1, wide_parents=True)
    far = np.array([(1 << 40) + 5, (1 << 33)], dtype=np.int64)
    ids, new = s.insert(np.array([[7], [9]], dtype=np.uint64), far, np.array([1, 2], dtype=np.int64))
    assert new.tolist() == [0, 1] and s.parent[:2].tolist() == far.tolist()
    narrow = StateStore(1)
    narrow.n = store_module.MAX_IDS - 1
    with pytest.raises(RuntimeError, match="cannot hold more than 2,147,483,647 states"):
        narrow.insert(np.array([[7], [9]], dtype=np.uint64), np.zeros(2, np.int64), np.zeros(2, np.int64))


def test_least_by_label_whatever_the_order_of_values() -> None:
    """`_least_by` gives each element its label's least value: written back
    to front when values increase, and through its check when they do not."""
    from pinmc.engines.explicit.store import _least_by

    rng = np.random.default_rng(3)
    label = rng.integers(0, 40, 500)
    for value in (np.arange(500, dtype=np.int64), rng.permutation(500).astype(np.int64)):
        want = [min(int(v) for l2, v in zip(label, value) if l2 == l1) for l1 in label]
        assert _least_by(label, value, 40).tolist() == want
