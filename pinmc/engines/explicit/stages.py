"""Two workers as a pipeline: this process expands, a second one stores.

The single-process search spends its time in two halves of about the same
size: expanding the frontier (successors, packing, property checks) and
finding the successors in the visited set.  Hash-partitioning the visited
set over two processes makes each do both halves for its share of the
states, and pays with an exchange and a merge of ranks at every BFS level
(`partition`); with levels of a few thousand states that costs more than
the second core gives.  Here the halves run side by side instead:

* the **expanding process** (this one: `Stages`) expands a level (in
  pieces of at most `bfs.CHUNK` states), packs the successors, drops those
  it has sent before (`Seen`: they are stored by the time the store sees
  this batch) and all but the first of equal ones (`store.firsts`), and
  sends the rest, the *candidates*, with their hash, parent and move code,
  to
* the **storing process** (forked with the visited set so far), which
  looks them up in the `StateStore` and answers which are new.  New states
  get consecutive ids in the order they arrive, so the ids, parents and
  counts are the single-process search's.

The expanding process does not wait for that answer: it goes on to expand
the candidates as if all were new (almost all are: the filter has dropped
most of the others) while the store looks them up, up to `AHEAD` batches
ahead of the answers.  It skips what the answers in hand rule out:
candidates known not new, and those whose parent is known not to be a
state.  This is sound because a candidate that is not new is a copy of a
state stored before it, and so expanded before it (in an earlier piece, or
earlier in the same one): every successor of the copy is a successor of
that state met earlier in the stream, sent and stored before, or dropped
as a duplicate.  None of them is new (the store gives no id to a state
whose parent it knows is no state, and checks that none would be), and
nothing they lead to is lost.  What was found expanding a candidate
(deadlocks, failing checks, transitions) counts once the answers say it is
a state; so do property hits among the candidates of a batch (looked for
when it is made, and again among its new states once answered).  All of
it is recorded in the single-process order: level by level, in id order.

Limits: `--max-depth` is exact (the candidates of that level are not
expanded; the level counts if any of them is new).  `--timeout`,
`--memory` and Ctrl-C are checked before each piece; the answers still
outstanding are taken in and the search stops.  `--max-states` needs the
search to stop where the single-process one does, between two chunks of
a level: such runs stay in one process (`parallel.explore`).

The states stay in the storing process; at the end it sends the move codes
of the paths to the states a trace is wanted for (`coordinator.Paths`).
When a slot of the narrow packing has to widen (`packing`), the storing
process is told before the first batch packed the new way and re-encodes
its states.  Pipes carry the batches one way and the answers (a bit per
candidate) the other; no more answers are left unread than the pipe holds,
so neither process can block the other, and batches the pipe cannot take
yet wait in this process (`Outbox`) rather than stop it.
"""

from __future__ import annotations

import fcntl
import io
import multiprocessing as mp
import os
import pickle
import select
import signal
import struct
import time
import traceback
from collections import deque
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from pinmc.engines.explicit import bfs
from pinmc.engines.explicit.bfs import Search
from pinmc.engines.explicit.coordinator import Interrupt, Paths, WorkerError
from pinmc.engines.explicit.expand import Level
from pinmc.engines.explicit.packing import converter
from pinmc.engines.explicit.parallel import current_rss, peak_rss
from pinmc.engines.explicit.store import Layout, StateStore, exact, firsts, store_hash
from pinmc.engines.resources import Watch, memory_text, proportional_resident, timeout_text

PIPE_ROOM = 60_000  # answer bytes left unread at most (a Linux pipe holds 65,536 ...)
PIPE_SIZE = 1 << 20  # ... and may be made to hold this much (Linux's default limit for a user)
QUEUED = 1 << 25  # bytes waiting to be written to the store's pipe at most
AHEAD = 32  # batches whose answers may still be outstanding when a batch's candidates are expanded
EARLY_LOAD = 0.45  # the store grows its table while it waits for work once this full (else at 0.75) ...
EARLY_GROW = 2.0  # ... to this many times the size: room enough to finish in the waits before 0.75
EXTRA = 3  # columns of a batch after the packed words: hash, parent (index among its source's candidates), move


# ------------------------------------------------------------ the expanding side's filter

class Seen:
    """Packed states the expanding process has sent to the store (those of
    the last `KEEP` levels first of all) in a small direct-mapped table:
    of two states meeting in a slot, the later stays.  A successor found
    here is stored by the time the store sees it, so it need not be sent;
    one not found may still be stored.  States of one word are held by
    their hash alone (`store._hash` is a bijection on one word), and the
    table only grows; wider ones with their rows, in a buffer that starts
    over with the last `KEEP` levels when it fills."""

    KEEP = 16  # levels held (a state of an older level met again is left to the store)

    def __init__(self, words: int):
        self.words = words
        self.parts: list[tuple[int, np.ndarray, np.ndarray]] = []  # (level, keys, hashes) of the last levels
        self.level = 0  # the level being expanded
        self.sizes: dict[int, int] = {}  # states added per level
        self._reset(0)

    def _reset(self, need: int) -> None:
        """Start over with the parts of the last levels, room for `need` more states."""
        self.parts = [p for p in self.parts if p[0] >= self.level - self.KEEP]
        kept = sum(p[2].size for p in self.parts)
        cap = (1 << 10) + 2 * (kept + need)
        self.exact = exact(self.words)
        self.rows = np.zeros((0 if self.exact else cap, self.words), dtype=np.uint64)
        # slot -> the hash there; an empty slot s holds ~s, which no hash filed at s equals
        self.hashes = ~np.arange(1 << (8 * cap - 1).bit_length(), dtype=np.uint64)
        self.index = np.full(0 if self.exact else self.hashes.size, -1, dtype=np.int32)  # slot -> its row
        self.count = 0
        parts, self.parts = self.parts, []
        for level, keys, h in parts:
            self.add(level, keys, h)

    def _slots(self, h: np.ndarray) -> np.ndarray:
        return h.view(np.int64) & np.int64(self.hashes.size - 1)  # the low bits

    def start(self, level: int) -> None:
        """Level `level` begins to be expanded."""
        if level == self.level:
            return
        self.level = level
        self.parts = [p for p in self.parts if p[0] >= level - self.KEEP]
        if self.exact and 4 * sum(p[2].size for p in self.parts) > self.hashes.size:
            self._reset(0)  # a larger table for the larger levels

    def add(self, level: int, keys: np.ndarray, h: np.ndarray) -> None:
        """States of `level` sent to the store (packed rows, their `store_hash`)."""
        if not h.size:
            return
        self.parts.append((level, keys, h))
        slot = self._slots(h)
        self.hashes[slot] = h
        if self.exact:
            return
        end = self.count + h.size
        if end > self.rows.shape[0]:
            self._reset(0)
            return
        self.rows[self.count:end] = keys
        self.index[slot] = np.arange(self.count, end, dtype=np.int32)
        self.count = end

    def find(self, keys: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Which packed rows are states held here."""
        slot = self._slots(h)
        if self.exact:  # equal hashes, equal states
            return self.hashes[slot] == h
        cand = np.flatnonzero(self.hashes[slot] == h)
        found = np.zeros(keys.shape[0], dtype=bool)
        if cand.size:
            at = self.index[slot[cand]]
            stored = self.rows[at]
            same = stored[:, 0] == keys[cand, 0]
            for j in range(1, self.words):
                same &= stored[:, j] == keys[cand, j]
            found[cand[same]] = True
        return found

    def recode(self, convert: Any, words: int) -> None:
        """The packing changed: re-encode the states held."""
        self.words = words
        self.parts = [(lv, k, store_hash(k)) for lv, k in ((lv, convert(k)) for lv, k, _ in self.parts)]
        self._reset(0)


# ------------------------------------------------------------ the storing process

def _store_side(store: StateStore, first: int, size: int, inbox: int, outbox: Connection,
                others: list[Any]) -> None:
    """The storing process.  Batch p names its source batch q (0: the
    frontier handed over, ids first .. first+size-1) and, per candidate,
    its parent's index among q's candidates; the answer is a bit per
    candidate, "new".  A recode order re-encodes the states; the last
    message asks for the paths to some states, and the answer has them and
    the peak memory; it ends the process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the expanding process's to handle
    os.close(others[0])
    others[1].close()
    pipe = io.FileIO(inbox, "rb")
    rss0 = current_rss()
    store.forget_levels()
    ids = {0: np.arange(first, first + size, dtype=np.int64)}  # batch -> its candidates' ids (-1: not new)
    count = 0  # batches taken in
    try:
        while True:
            while not select.select([inbox], [], [], 0)[0] and store.grow_early(EARLY_LOAD, EARLY_GROW):
                pass  # nothing to do: a good time to grow the table, a slice at a time
            data = _message(pipe)
            kind = bytes(data[:1])
            if kind == b"B":
                w = store.words
                rows = np.frombuffer(data, dtype=np.uint64).reshape(-1, w + EXTRA)
                lo, hi = int(rows[0, 1]), int(rows[0, 2])
                batch = rows[1:]
                for old in [k for k in ids if k < lo]:  # sources only move forward
                    del ids[old]
                of = ids[lo] if hi == lo + 1 else np.concatenate([ids[q] for q in range(lo, hi)])
                parents = of[batch[:, w + 1].view(np.int64)]
                ref, new = store.insert(batch[:, :w], parents, batch[:, w + 2], h=batch[:, w], near=False)
                if new.size and parents[new].min() < 0:
                    raise AssertionError("a new state whose parent is no state")
                count += 1
                mine = np.full(batch.shape[0], -1, dtype=np.int64)
                mine[new] = ref[new]
                ids[count] = mine
                mask = np.zeros(batch.shape[0], dtype=bool)
                mask[new] = True
                outbox.send_bytes(b"A" + np.packbits(mask).tobytes())
            elif kind == b"R":
                old_layout, layout = pickle.loads(data[1:])
                store.recode(layout.words, converter(old_layout, layout))
            else:  # b"F": the end
                paths = {sid: store.path(sid) for sid in sorted(set(pickle.loads(data[1:])))}
                outbox.send_bytes(b"P" + pickle.dumps((store.n, paths, max(0, peak_rss() - rss0))))
                return
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the expanding process is gone: nothing to answer
    except BaseException:  # noqa: BLE001 - reported to the expanding process, which raises it
        try:
            outbox.send_bytes(b"E" + traceback.format_exc().encode())
        except OSError:
            pass


# ------------------------------------------------------------ the expanding process

class Outbox:
    """Messages to the storing process over a pipe (a length, then the
    bytes), written without blocking: what does not fit waits here and
    goes out at the next `flush`, so the expanding process goes on while
    the store is busy (a table growing, states re-encoded).  More than
    `QUEUED` bytes waiting, and `put` waits for the pipe."""

    def __init__(self, fd: int):
        self.fd = fd
        os.set_blocking(fd, False)
        self.parts: deque[memoryview] = deque()
        self.pending = 0  # bytes waiting

    def put(self, data: Any) -> None:
        body = memoryview(data).cast("B")
        self.parts.append(memoryview(struct.pack("<Q", body.nbytes)))
        self.parts.append(body)
        self.pending += 8 + body.nbytes
        self.flush(block=self.pending > QUEUED)

    def flush(self, block: bool = False) -> None:
        """Write what the pipe takes (all of it, if `block`)."""
        while self.parts:
            try:
                n = os.writev(self.fd, list(self.parts)[:64])
            except BlockingIOError:
                if not block:
                    return
                select.select([], [self.fd], [])
                continue
            self.pending -= n
            while n and n >= self.parts[0].nbytes:
                n -= self.parts.popleft().nbytes
            if n:
                self.parts[0] = self.parts[0][n:]


def _read(f: Any, n: int) -> bytearray:
    """Exactly n bytes from the binary file f (EOFError at its end)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def _message(f: Any) -> bytearray:
    """The next message an `Outbox` wrote to the pipe f reads from."""
    (n,) = struct.unpack("<Q", _read(f, 8))
    return _read(f, n)


@dataclass
class Batch:
    """Candidates sent to the store (batch `index`; 0 is the frontier
    handed over): their `level`, the batch their parents are candidates of
    (`source`) and the parents' indices there (`pref`), the candidates
    themselves (`states`, in the expander's representation), how many have
    been taken for expansion (`taken`), and, once the store has answered,
    which are `new` and their `ids` (-1: not new).  `pending`: expansions
    of its candidates made before the answer, to be counted then."""

    index: int
    level: int
    sources: range
    pref: np.ndarray
    states: Any
    size: int
    taken: int = 0
    new: np.ndarray | None = None
    ids: np.ndarray | None = None
    pending: list[tuple[list[tuple["Batch", np.ndarray]], Level]] = field(default_factory=list)
    hits: bool = False  # some candidate hits a property open when the batch was made

    @property
    def answer_bytes(self) -> int:
        return 16 + (self.size + 7) // 8  # with the pipe's length header and the tag


class Stages:
    """Runs a `Search` from a level on as the two-process pipeline; see the
    module docstring.  `hand_over` is the `Search.run` hook."""

    def __init__(self, search: Search):
        self.search = search
        self.peak_elsewhere = 0  # the storing process's peak memory growth (bytes)
        self.proc: Any = None

    # ---------------------------------------------------------------- pipes
    def _start(self, first: int, size: int) -> None:
        s = self.search
        ctx = mp.get_context("fork")
        inbox_r, inbox_w = os.pipe()
        self.outbox, outbox_w = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_store_side, name="pinmc-store", daemon=True,
                                args=(s.store, first, size, inbox_r, outbox_w, [inbox_w, self.outbox]))
        self.proc.start()
        os.close(inbox_r)
        outbox_w.close()
        self.out = Outbox(inbox_w)
        self.room = PIPE_ROOM
        grow = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
        if grow is not None:
            try:  # larger pipes: fewer wake-ups per batch
                fcntl.fcntl(inbox_w, grow, PIPE_SIZE)
                self.room = max(PIPE_ROOM, fcntl.fcntl(self.outbox.fileno(), grow, PIPE_SIZE) - 8192)
            except OSError:
                pass

    def _gone(self) -> WorkerError:
        """The error to raise when the pipes to the store broke: its own, if it sent one."""
        try:
            while self.outbox.poll(0.5):
                data = self.outbox.recv_bytes()
                if data[:1] == b"E":
                    return WorkerError("worker process 1 (the store) failed:\n" + data[1:].decode())
        except (EOFError, OSError):
            pass
        self.proc.join(timeout=1)
        return WorkerError(f"worker process 1 (the store) went away (status {self.proc.exitcode})")

    def _send(self, data: Any) -> None:
        try:
            self.out.put(data)
        except OSError:
            raise self._gone() from None

    def _recv(self) -> bytes:
        """The storing process's next message (its error raised here)."""
        try:
            self.out.flush()
            while self.out.pending and not self.outbox.poll():  # the store may wait for what is queued
                select.select([self.outbox], [self.out.fd], [])
                self.out.flush()
            data = self.outbox.recv_bytes()
        except (EOFError, OSError):
            raise self._gone() from None
        if data[:1] == b"E":
            raise WorkerError("worker process 1 (the store) failed:\n" + data[1:].decode())
        return data

    def _close(self) -> None:
        os.close(self.out.fd)
        self.outbox.close()
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=2)

    # ---------------------------------------------------------------- the run
    def hand_over(self, frontier: Any, ids: np.ndarray, watch: Watch, start: float) -> None:
        """Explore from `frontier` (a level of the search, state ids `ids`,
        its properties looked at, not yet expanded nor checked against the
        limits) to the end, and fill in the search's findings, depth,
        limit, completeness and a `Paths` store."""
        s = self.search
        self.watch, self.start, self.last = watch, start, start
        self.n = s.store.n
        self.words = s.packing.layout.words if s.packing is not None else s.layout.words
        self.seen = Seen(self.words)
        s.widened = self._widened
        keys = s.pack(frontier)
        self.seen.add(s.depth, keys, store_hash(keys))
        size = s.expander.size(frontier)
        zero = Batch(0, s.depth, range(0), np.zeros(0, dtype=np.int64), frontier, size,
                     new=np.ones(size, dtype=bool), ids=ids.astype(np.int64))
        self.batches: dict[int, Batch] = {0: zero}
        self.todo: deque[Batch] = deque([zero])  # batches with candidates to expand, in order
        self.sent: deque[Batch] = deque()  # batches awaiting their answer, in order
        self.count = 0  # batches sent
        self._start(int(ids[0]), size)
        s.store = Paths(self.n, {})  # type: ignore[assignment] - the states live in the storing process now
        try:
            with Interrupt() as interrupt:
                self.interrupt = interrupt
                self._loop()
                self._finish()
        finally:
            self._close()

    def _loop(self) -> None:
        s, opts = self.search, self.search.options
        while True:
            while self.sent and self.outbox.poll():
                self._take()
            if not self.todo:
                if not self.sent:
                    s.complete = True
                    return
                self._take()
                continue
            b = self.todo[0]
            if opts.max_depth is not None and b.level >= opts.max_depth:
                self._drain()
                if any(x.level >= opts.max_depth and x.new is not None and x.new.any() for x in self.todo):
                    s.limit = f"--max-depth {opts.max_depth}"
                else:
                    s.complete = True
                return
            while self.sent and self.sent[0].index < b.index - AHEAD:  # answers this piece waits for
                self._take()
            s.limit = self._limit()
            if s.limit is not None:
                self._drain()
                return
            self._progress()
            self._expand()

    def _limit(self) -> str | None:
        """--timeout, --memory, Ctrl-C or the states the store can number,
        as `Search.run` names them."""
        if self.interrupt.hit:
            return "interrupted (Ctrl-C)"
        cap = self.search.cap
        if cap is not None and self.n + sum(b.size for b in self.sent) >= cap:  # the candidates out may all be new
            return bfs.cap_text(cap)
        watch = self.watch
        if watch.out_of_time():
            return f"{timeout_text(watch.timeout)} reached"  # type: ignore[arg-type]
        if watch.memory is not None:
            held = proportional_resident() + proportional_resident(self.proc.pid)
            if held >= watch.memory:
                return memory_text(watch.memory, held)
        return None

    def _progress(self) -> None:
        s = self.search
        if s.progress is not None:
            now = time.monotonic()
            if now - self.last >= 0.5:
                self.last = now
                s.progress(self.n, s.depth, now - self.start)

    def _widened(self, old: Layout) -> None:
        """The packing was widened from `old`: the store and the filter follow."""
        layout = self.search.packing.layout  # type: ignore[union-attr]
        self._send(b"R" + pickle.dumps((old, layout), protocol=pickle.HIGHEST_PROTOCOL))
        self.words = layout.words
        self.seen.recode(converter(old, layout), layout.words)

    def _piece(self) -> list[tuple[Batch, np.ndarray]]:
        """The next piece to expand: up to `bfs.CHUNK` candidates from the
        batches at the head of the queue, all of one level, as (batch, the
        rows of it to expand) -- not those known not to be states."""
        level = self.todo[0].level
        piece: list[tuple[Batch, np.ndarray]] = []
        room = bfs.CHUNK
        while room and self.todo and self.todo[0].level == level:
            b = self.todo[0]
            lo, hi = b.taken, min(b.size, b.taken + room)
            b.taken, room = hi, room - (hi - lo)
            if hi == b.size:
                self.todo.popleft()
            ok = np.ones(hi - lo, dtype=bool)
            parents = self._answers(b.sources)
            if parents is not None:
                ok &= parents[b.pref[lo:hi]]
            if b.new is not None:
                ok &= b.new[lo:hi]
            piece.append((b, lo + np.flatnonzero(ok)))
        return piece

    def _answers(self, sources: range) -> np.ndarray | None:
        """Which candidates of batches `sources` (together) are states, if all are answered."""
        news = [self.batches[q].new for q in sources]
        if not news or any(x is None for x in news):
            return None
        return news[0] if len(news) == 1 else np.concatenate(news)  # type: ignore[arg-type]

    def _expand(self) -> None:
        """Expand the next piece (every batch answered that it waits for)
        and send the candidates among the successors."""
        s = self.search
        ex = s.expander
        self._prune()
        piece = self._piece()
        level, last = piece[0][0].level, piece[-1][0]
        self.seen.start(level)
        parts = [b.states if rows.size == b.size else ex.select(b.states, rows) for b, rows in piece if rows.size]
        offsets = np.cumsum([0] + [b.size for b, _ in piece])  # row of each batch's first candidate
        rows = np.concatenate([off + r for off, (_, r) in zip(offsets, piece)])
        for b, _ in piece:
            if b.taken == b.size and b.new is not None:
                self._forget(b)
        if not rows.size:
            return
        frontier = parts[0] if len(parts) == 1 else bfs._join(parts)
        out, keys = s.expand(frontier, s.want_deadlock and s.deadlock is None)
        done = [(b, r) for b, r in piece]
        if last.new is not None:
            self._count(done, out)
        else:
            last.pending.append((done, out))
        if not out.count:
            return
        h = store_hash(keys)
        rest = np.flatnonzero(~self.seen.find(keys, h))
        cand = rest[firsts(keys[rest], h[rest])]
        if not cand.size:
            return
        w = self.words
        first = piece[0][0].index
        blob = np.empty((cand.size + 1, w + EXTRA), dtype=np.uint64)
        blob[0] = 0
        blob.view(np.uint8)[0, 0] = ord("B")
        blob[0, 1], blob[0, 2] = first, last.index + 1
        ck, ch = keys[cand], h[cand]
        pref = rows[out.parents[cand]]  # among the candidates of batches first .. last
        blob[1:, :w] = ck
        blob[1:, w] = ch
        blob[1:, w + 1] = pref.view(np.uint64)
        blob[1:, w + 2] = out.codes[cand].view(np.uint64)
        self.count += 1
        states = s.successors(out, ck, cand)
        nxt = Batch(self.count, level + 1, range(first, last.index + 1), pref, states, int(cand.size),
                    hits=bool(s.open_props and ex.prop_hits(states, s.open_props)))
        self.seen.add(nxt.level, ck, ch)  # stored once the store has taken this batch in
        while self.sent and sum(x.answer_bytes for x in self.sent) + nxt.answer_bytes > self.room:
            self._take()
        self._send(blob)
        self.batches[nxt.index] = nxt
        self.sent.append(nxt)
        self.todo.append(nxt)

    def _count(self, piece: list[tuple[Batch, np.ndarray]], out: Level) -> None:
        """Record what expanding a piece found, for its rows that are
        states (every batch of it answered)."""
        s = self.search
        state = np.concatenate([b.new[r] for b, r in piece])  # type: ignore[index]
        ids = np.concatenate([b.ids[r] for b, r in piece])  # type: ignore[index]
        if state.all():
            s.transitions += out.count
            s.record_expansion(out, ids)
            return
        s.transitions += int(np.count_nonzero(state[out.parents]))
        s.record_expansion(replace(out, deadlocks=[r for r in out.deadlocks if state[r]],
                                   viols=[v for v in out.viols if state[v[0]]]), ids)

    def _take(self) -> None:
        """Take in the answer to the oldest batch sent."""
        s = self.search
        data = self._recv()
        b = self.sent.popleft()
        new = np.unpackbits(np.frombuffer(data, dtype=np.uint8, offset=1), count=b.size).astype(bool)
        k = int(np.count_nonzero(new))
        b.new = new
        b.ids = np.full(b.size, -1, dtype=np.int64)
        b.ids[new] = np.arange(self.n, self.n + k, dtype=np.int64)
        if k:
            self.n += k
            s.depth = max(s.depth, b.level)
            if b.hits and s.open_props:  # the first new states to hit properties, in id order
                rows = np.flatnonzero(new)
                s.record_props(s.expander.select(b.states, rows), b.ids[rows])
        for piece, out in b.pending:
            self._count(piece, out)
        b.pending = []
        if b.taken == b.size:
            self._forget(b)

    def _forget(self, b: Batch) -> None:
        """Batch b is expanded and answered: keep only its answer (a later batch's source)."""
        b.states = None
        b.pref = np.zeros(0, dtype=np.int64)

    def _prune(self) -> None:
        """Let go of the batches no batch to expand has its parents in
        (sources only move forward)."""
        low = self.todo[0].sources.start if self.todo[0].sources else self.todo[0].index
        for k in [k for k in self.batches if k < low]:
            del self.batches[k]

    def _drain(self) -> None:
        while self.sent:
            self._take()

    def _finish(self) -> None:
        """Fetch the paths to the states found and the store's peak memory."""
        s = self.search
        sids = sorted(set(s.found_props.values()) | {sid for sid, _ in s.found_checks.values()}
                      | ({s.deadlock} if s.deadlock is not None else set()))
        self._send(b"F" + pickle.dumps(sids, protocol=pickle.HIGHEST_PROTOCOL))
        data = self._recv()
        n, paths, self.peak_elsewhere = pickle.loads(data[1:])
        assert n == self.n, "the store holds the states the expanding process was told of"
        s.store = Paths(n, paths)  # type: ignore[assignment]


def explore(search: Search) -> int:
    """Run `search` with the two-process pipeline from its first level of
    `Options.parallel_from` states on (before that, in this process alone).
    Returns the storing process's peak memory growth, in bytes."""
    stages = Stages(search)
    search.run(hand_over=stages.hand_over)
    return stages.peak_elsewhere
