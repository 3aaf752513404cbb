"""A visited set that spills to disk: for state spaces larger than memory.

`SpillStore` behaves exactly like `StateStore` (the same state ids, in the
same order, the same parents and move codes, so the same counts and
traces) but holds only its newest states in memory:

* A *buffer* (an ordinary `StateStore`) takes new states.  Its ids are
  `base .. base + buffer.n - 1`: ids stay dense and in discovery order.
* When the buffer holds `budget` states it is written out as a sorted
  *run*: three numpy files (`.npy`, read back as memory maps) holding the
  states' 64-bit hashes in increasing order, the packed states, and their
  ids.  Parents and move codes are appended to two flat files, indexed by
  id.  The buffer then starts empty.
* A batch of keys (one BFS level, or part of one) is looked up in every
  run at once: the batch is sorted by hash and `np.searchsorted` finds
  each key's hash in each run; equal hashes are compared word by word,
  so hash collisions cost a second look and never a wrong answer.  Keys
  found on disk are old; the rest go to the buffer, which finds the new
  ones and numbers them.
* Compaction keeps the number of runs logarithmic: like a binary counter,
  whenever the newest run is at least as large as the one before, the two
  are merged (a streaming merge in bounded memory, chunk by chunk).  A
  state is rewritten O(log(states / budget)) times, and a lookup searches
  O(log(states / budget)) runs.

The files live in a fresh directory inside the one the user names
(`--spill DIR`), removed when the store is closed or garbage collected.
Disk use per state: 8 (hash) + 8·W (packed state) + 8 (id) in the runs,
8 + 8 (parent, code): 40 bytes for a one-word state, twice that at the
peak of a merge.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass

import numpy as np

from pinmc.engines.base import EngineError, Options
from pinmc.engines.explicit.store import StateStore, _hash
from pinmc.engines.resources import available_memory, resident

MIN_BUDGET = 1 << 10  # states: smaller buffers only multiply the runs
MERGE_CHUNK = 1 << 16  # entries of each run read at a time while merging: bounded temporaries


def buffer_bytes_per_state(words: int) -> int:
    """Memory a `StateStore` needs per state: the packed row, parent and
    code (at their widest), the hash table at its lowest load (5 bytes a
    slot at 0.5), and the 1.5x growth slack."""
    return (8 * words + 4 + 4 + 10) * 3 // 2


def default_budget(words: int, options: Options) -> int:
    """States the buffer may hold: `options.spill_states` if set, else as
    many as fit in half of what `options.memory` (or the memory available
    now) leaves above the current resident set."""
    if options.spill_states is not None:
        return max(1, options.spill_states)
    room = options.memory - resident() if options.memory is not None else available_memory()
    return max(MIN_BUDGET, room // 2 // buffer_bytes_per_state(words))


@dataclass
class Run:
    """One sorted run on disk: hashes ascending, with the packed states and ids."""

    n: int
    h: np.ndarray  # uint64 (n,), memory-mapped
    keys: np.ndarray  # uint64 (n, words), memory-mapped
    ids: np.ndarray  # int64 (n,), memory-mapped
    paths: tuple[str, str, str]


def _create(directory: str, name: str, n: int, words: int) -> tuple[Run, tuple[np.ndarray, ...]]:
    """A new run of n entries: its files created, and writable maps of them."""
    paths = tuple(os.path.join(directory, f"{name}.{part}.npy") for part in ("h", "keys", "ids"))
    h = np.lib.format.open_memmap(paths[0], mode="w+", dtype=np.uint64, shape=(n,))
    keys = np.lib.format.open_memmap(paths[1], mode="w+", dtype=np.uint64, shape=(n, words))
    ids = np.lib.format.open_memmap(paths[2], mode="w+", dtype=np.int64, shape=(n,))
    return Run(n, h, keys, ids, paths), (h, keys, ids)  # type: ignore[arg-type]


def _reopen(run: Run, maps: tuple[np.ndarray, ...]) -> Run:
    """The run read-only, once its writable maps are flushed and dropped."""
    for m in maps:
        m.flush()  # type: ignore[attr-defined]
    del maps
    h, keys, ids = (np.load(p, mmap_mode="r") for p in run.paths)
    return Run(run.n, h, keys, ids, run.paths)


class SpillStore:
    """`StateStore`'s interface (insert, contains, path, parent, code, n,
    mark_level) over a memory buffer and sorted runs on disk."""

    def __init__(self, words: int, directory: str, budget: int, codes: int = 1 << 31):
        if not os.path.isdir(directory):
            raise EngineError("PIN501", f"--spill {directory}: no such directory")
        try:
            self.directory = tempfile.mkdtemp(prefix="pinmc-spill-", dir=directory)
        except OSError as e:
            raise EngineError("PIN501", f"--spill {directory}: cannot write there: {e.strerror or e}") from None
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.directory, True)
        self.words = words
        self.budget = max(1, budget)
        self.base = 0  # ids below this are on disk
        self.codes = codes
        self.buffer = StateStore(words, codes=codes, wide_parents=True)  # parents: ids of all states
        self.runs: list[Run] = []
        self.written = 0  # runs written, merges included (statistics)
        self.level_start: int | None = None
        self._serial = 0
        self._parent_path = os.path.join(self.directory, "parent.bin")
        self._code_path = os.path.join(self.directory, "code.bin")
        open(self._parent_path, "wb").close()
        open(self._code_path, "wb").close()

    # ------------------------------------------------------------ the interface

    @property
    def n(self) -> int:
        return self.base + self.buffer.n

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (the buffer); the runs are on disk."""
        return self.buffer.nbytes

    @property
    def disk_bytes(self) -> int:
        return sum(os.path.getsize(p) for r in self.runs for p in r.paths) \
            + os.path.getsize(self._parent_path) + os.path.getsize(self._code_path)

    def mark_level(self) -> None:
        """As `StateStore.mark_level`."""
        self.level_start = self.n
        self.buffer.mark_level()

    def insert(self, keys: np.ndarray, parents: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """As `StateStore.insert`: (the id of every key, the indices of the
        new keys, ascending); new states get consecutive ids in that order."""
        m = keys.shape[0]
        if m == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ids = self._lookup(keys)
        miss = np.flatnonzero(ids < 0)
        new = np.zeros(0, dtype=np.int64)
        if miss.size:
            local, fresh = self.buffer.insert(keys[miss], parents[miss], codes[miss])
            ids[miss] = local + self.base
            new = miss[fresh]
        if self.buffer.n >= self.budget:
            self.flush()
        return ids, new

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """As `StateStore.contains`."""
        ids = self._lookup(keys)
        on_disk = ids >= 0 if self.level_start is None else (ids >= 0) & (ids < self.level_start)
        return on_disk | self.buffer.contains(keys)

    def path(self, sid: int) -> list[int]:
        """Move codes from the root to state `sid`."""
        parent, code = self._disk_arrays()
        codes = []
        while sid != 0:
            if sid >= self.base:
                codes.append(int(self.buffer.code[sid - self.base]))
                sid = int(self.buffer.parent[sid - self.base])
            else:
                codes.append(int(code[sid]))
                sid = int(parent[sid])
        return codes[::-1]

    @property
    def parent(self) -> np.ndarray:
        """Every state's parent id (read from disk: for small stores)."""
        return np.concatenate([self._disk_arrays()[0], self.buffer.parent[:self.buffer.n].astype(np.int64)])

    @property
    def code(self) -> np.ndarray:
        """Every state's move code (read from disk: for small stores)."""
        return np.concatenate([self._disk_arrays()[1], self.buffer.code[:self.buffer.n].astype(np.int64)])

    def close(self) -> None:
        """Remove the files; the store must not be used afterwards."""
        self.runs = []
        self._cleanup()

    # ------------------------------------------------------------ runs

    def flush(self) -> None:
        """Write the buffer out as a sorted run (then compact) and start an
        empty buffer: the memory the buffer held is given back."""
        b, n = self.buffer, self.buffer.n
        if n == 0:
            return
        rows = b.rows[:n]
        h = _hash(rows)
        order = np.argsort(h, kind="stable")
        run, maps = _create(self.directory, self._name(), n, self.words)
        maps[0][:] = h[order]
        maps[1][:] = rows[order]
        maps[2][:] = order + self.base
        self.runs.append(_reopen(run, maps))
        self.written += 1
        with open(self._parent_path, "ab") as f:
            b.parent[:n].astype(np.int64).tofile(f)
        with open(self._code_path, "ab") as f:
            b.code[:n].astype(np.int64).tofile(f)
        self.base += n
        self.buffer = StateStore(self.words, codes=self.codes, wide_parents=True)
        if self.level_start is not None:  # the new buffer holds only states of this level
            self.buffer.level_start = 0
        self._compact()

    def _name(self) -> str:
        self._serial += 1
        return f"run{self._serial:06d}"

    def _compact(self) -> None:
        """Merge the two newest runs while the newer is at least as large
        as the older (a binary counter: O(log) runs)."""
        while len(self.runs) >= 2 and self.runs[-2].n <= self.runs[-1].n:
            b = self.runs.pop()
            a = self.runs.pop()
            self.runs.append(self._merge(a, b))

    def _merge(self, a: Run, b: Run) -> Run:
        """One run holding a's and b's entries, hashes ascending; reads and
        writes MERGE_CHUNK entries of each at a time."""
        run, maps = _create(self.directory, self._name(), a.n + b.n, self.words)
        i = j = o = 0
        while i < a.n or j < b.n:
            ah, bh = a.h[i:i + MERGE_CHUNK], b.h[j:j + MERGE_CHUNK]
            # take every entry up to the smallest last hash of a chunk that is
            # not the end of its run: nothing after it can sort before it
            cuts = [x[-1] for x, more in ((ah, i + len(ah) < a.n), (bh, j + len(bh) < b.n)) if more]
            if cuts:
                cut = min(cuts)
                na = int(np.searchsorted(ah, cut, side="right"))
                nb = int(np.searchsorted(bh, cut, side="right"))
            else:
                na, nb = len(ah), len(bh)
            h = np.concatenate([ah[:na], bh[:nb]])
            order = np.argsort(h, kind="stable")
            k = na + nb
            maps[0][o:o + k] = h[order]
            maps[1][o:o + k] = np.concatenate([a.keys[i:i + na], b.keys[j:j + nb]])[order]
            maps[2][o:o + k] = np.concatenate([a.ids[i:i + na], b.ids[j:j + nb]])[order]
            i, j, o = i + na, j + nb, o + k
        merged = _reopen(run, maps)
        self.written += 1
        for old in (a, b):
            for p in old.paths:
                os.remove(p)
        return merged

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """The id of each key found in a run on disk, else -1."""
        m = keys.shape[0]
        found = np.full(m, -1, dtype=np.int64)
        if not self.runs or m == 0:
            return found
        h = _hash(keys)
        order = np.argsort(h, kind="stable")  # sorted queries: each run is read in order
        hs, ks = h[order], keys[order]
        out = np.full(m, -1, dtype=np.int64)
        for run in self.runs:
            pending = np.flatnonzero(out < 0)
            if not pending.size:
                break
            pos = np.searchsorted(run.h, hs[pending])
            while pending.size:  # entry by entry along equal hashes (collisions: rarely twice)
                ok = pos < run.n
                pending, pos = pending[ok], pos[ok]
                same_h = run.h[pos] == hs[pending]
                pending, pos = pending[same_h], pos[same_h]
                if not pending.size:
                    break
                same = (run.keys[pos] == ks[pending]).all(axis=1)
                out[pending[same]] = run.ids[pos[same]]
                pending, pos = pending[~same], pos[~same] + 1
        found[order] = out
        return found

    def _disk_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The parent and code arrays of the states on disk (maps of the files)."""
        if self.base == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return (np.memmap(self._parent_path, dtype=np.int64, mode="r", shape=(self.base,)),
                np.memmap(self._code_path, dtype=np.int64, mode="r", shape=(self.base,)))


def make_store(words: int, options: Options, codes: int = 1 << 31) -> StateStore | SpillStore:
    """The visited set the options ask for: in memory, or spilling into
    `options.spill`."""
    if options.spill is None:
        return StateStore(words, codes=codes)
    return SpillStore(words, options.spill, default_budget(words, options), codes)
