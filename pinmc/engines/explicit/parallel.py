"""Multi-core exploration: the hash-partitioned BFS over worker processes.

`explore(search)` runs a single-process `Search` (constructed, not yet
run) with `Options.workers` partitions and leaves in it exactly what
`search.run()` would have: the same states, transitions, depth, verdicts
and shortest traces (`partition` says how, `coordinator` has the loop).

Policy.  The search starts in this process and is handed to the workers
when a BFS level first holds `Options.parallel_from` states: below that a
level is a millisecond of work, and forking and the per-level exchange
would cost more than they save, so the many small specs of a suite never
start a process.  Partition 0 stays in this process, which also
coordinates; partitions 1..N-1 are forked children, each running its own
copy of the `Plan`.  Per level (or chunk of a level):

1. every pair of partitions swaps its batches of successors over a socket
   pair, pairs taken in a round-robin schedule (`schedule`) so that no two
   processes wait on each other's full buffers;
2. every partition sends its report to every other (`share_out`: small, so
   it never blocks; partition 0's carries the limits only it can see), works
   out the next level meanwhile (`look_ahead`), then reads the others'
   (`share_in`) and advances its plan: all copies take the same step.

The control pipes carry nothing during the search: afterwards, trace
lookups, the workers' peak memory, and the order to stop.

Not supported, so run in one process with a note when the search is big
enough to have used the workers: partial-order reduction (its per-level
filter looks at the whole level's successors and the whole visited set),
the state graph of `--report` (`Options.build_graph`), the disk-backed
visited set (`Options.spill`), and platforms without `fork`.  Symmetry
reduction is supported: canonicalising is per state, done by the
partition that generates the successor.

Ctrl-C stops the search between two levels (the children ignore SIGINT;
the parent finishes the level, collects the traces and stops them), with
the statistics so far and exit 3.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
import traceback
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

import numpy as np

from pinmc.engines.base import Options
from pinmc.engines.explicit import bfs
from pinmc.engines.explicit.bfs import Search
from pinmc.engines.explicit.coordinator import Coordinator, External, MakeTeam, Plan, WorkerError
from pinmc.engines.explicit.codegen import move_count
from pinmc.engines.explicit.partition import Order, Partition, Report, Seed, width
from pinmc.engines.resources import proportional_resident


def _status(field: str) -> int:
    """A size from /proc/self/status (`VmHWM`, `VmRSS`), in bytes; 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def peak_rss() -> int:
    """This process's peak resident set, in bytes; 0 if unknown."""
    return _status("VmHWM")


def current_rss() -> int:
    """This process's resident set, in bytes; 0 if unknown."""
    return _status("VmRSS")


def unsupported(search: Search) -> str | None:
    """Why `search` cannot be partitioned, or None when it can."""
    opts = search.options
    if opts.build_graph:
        return "the state graph of a report needs the single-process search"
    if search.por is not None:
        return "partial-order reduction is on (--no-por to use the workers)"
    if search.targets is not None:
        return "a search for given targets runs in one process"
    if move_count(search.system) >= 1 << 32:
        return "too many moves for the order keys (rank * moves + move must fit in 63 bits)"
    if opts.spill:
        return "the disk-backed visited set (--spill) runs in one process"
    if opts.backend == "process" and "fork" not in mp.get_all_start_methods():
        return "worker processes need fork, which this platform lacks"
    return None


def uses_stages(opts: Options) -> bool:
    """Whether the workers split the search into stages (`stages`: one
    process expands, one stores) rather than hash partitions: asked for,
    or two worker processes with `split` auto (docs/scale.md)."""
    return opts.split == "stages" or (opts.split == "auto" and opts.workers == 2 and opts.backend == "process")


def explore(search: Search) -> int:
    """Run `search` over `search.options.workers` partitions (or in one
    process, with a note in `search.notes`, when that is not supported).
    Returns the peak memory of the other processes, in bytes."""
    opts = search.options
    why = unsupported(search)
    if why is not None:
        search.run()
        if search.store.n >= opts.parallel_from:
            search.notes.append(f"explored in one process, not {opts.workers} workers: {why}")
        return 0
    if opts.backend == "process" and uses_stages(opts):
        from pinmc.engines.explicit.stages import explore as pipeline

        if opts.max_states is not None:
            search.run()
            if search.store.n >= opts.parallel_from:
                search.notes.append(f"explored in one process, not {opts.workers} workers: --max-states stops "
                                    "between two chunks of a level, which the stages do not keep to "
                                    "(--split hash does)")
            return 0
        return pipeline(search)
    moves = move_count(search.system)
    if opts.backend == "process":
        make: MakeTeam = lambda seeds, plan, orders: ProcessTeam(search, seeds, moves, plan, orders)  # noqa: E731
    else:
        from pinmc.engines.explicit.cluster import cluster_team

        make = cluster_team(search, moves)
    coordinator = Coordinator(search, opts.workers, make, opts.parallel_from)
    coordinator.run()
    return coordinator.peak_elsewhere


def schedule(count: int) -> list[list[int]]:
    """The order in which each partition exchanges batches with the others:
    rounds of a round-robin tournament (the circle method), so that in
    every round each partition has one partner (or a bye).  Within a pair
    the lower index writes first while the other reads, then the other way
    round; no two processes can then wait on each other's full pipes."""
    m = count + (count % 2)  # an odd count gets a dummy partner: the bye
    partners: list[list[int]] = [[] for _ in range(count)]
    for r in range(m - 1):
        pairs = [(m - 1, r)] + [((r + k) % (m - 1), (r - k) % (m - 1)) for k in range(1, m // 2)]
        for a, b in pairs:
            if a < count and b < count:
                partners[a].append(b)
                partners[b].append(a)
    return partners


def _swap(conn: Connection, first: bool, data: Any) -> bytes:
    """Send `data` to the peer and receive its message, in the pair's order."""
    if first:
        conn.send_bytes(data)
        return conn.recv_bytes()
    got = conn.recv_bytes()
    conn.send_bytes(data)
    return got


def exchanger(index: int, peers: dict[int, Connection], partners: list[int], words: int) -> Any:
    """The `exchange` function of partition `index`: its batch for every
    peer goes out, and the peers' batches for it come in, pair by pair in
    tournament order (`schedule`)."""

    def exchange(out: list[np.ndarray]) -> list[np.ndarray]:
        incoming = list(out)
        for j in partners:
            data = np.ascontiguousarray(out[j]).reshape(-1).view(np.uint8)
            incoming[j] = np.frombuffer(_swap(peers[j], index < j, data), dtype=np.uint64).reshape(-1, width(words))
        return incoming
    return exchange


SMALL = 1 << 15  # a report up to this size goes out at once: it fits in the socket's buffer


def share_out(peers: dict[int, Connection], mine: Any) -> bytes | None:
    """Send this partition's report (with partition 0's external limits) to
    every peer: whole if small, else a mark, the body following in
    `share_in`.  Never blocks (the small message fits in the socket's
    buffer), so the partition can work ahead meanwhile.  Returns the body
    still to send, if any."""
    data = pickle.dumps(mine, protocol=pickle.HIGHEST_PROTOCOL)
    big = len(data) > SMALL
    head = b"B" if big else b"S" + data
    for conn in peers.values():
        conn.send_bytes(head)
    return data if big else None


def share_in(index: int, peers: dict[int, Connection], partners: list[int], mine: Any,
             body: bytes | None) -> list[Any]:
    """Every partition's report, in partition order: the peers' heads, then
    the big bodies swapped pair by pair in tournament order."""
    out: list[Any] = [None] * (len(partners) + 1)
    out[index] = mine
    heads = {j: peers[j].recv_bytes() for j in partners}
    for j in partners:
        if body is not None or heads[j] == b"B":
            got = _swap(peers[j], index < j, body if body is not None else b"")
            out[j] = pickle.loads(got if heads[j] == b"B" else heads[j][1:])
        else:
            out[j] = pickle.loads(heads[j][1:])
    return out


def look_ahead(part: Partition, plan: Plan, order: Order) -> None:
    """Work out the next level while the reports travel (`Partition.prepare`),
    when the round just played ended a level that the next one will expand
    whole (not in chunks) as far as this partition can tell."""
    if order.hi > order.lo and order.hi >= plan.size and \
            sum(f.shape[0] for f in part.fresh) * plan.count <= bfs.CHUNK:
        part.prepare(plan.open_props, plan.deadlocks and not plan.deadlock)


def _child(search: Search, seed: Seed, index: int, count: int, moves: int, plan: Plan, orders: list[Order],
           control: Connection, peers: dict[int, Connection], others: list[Connection]) -> None:
    """A worker process: partition `index`.  It plays the search with its
    own copy of the plan (the reports of all partitions, and partition 0's
    external limits, come through the peer links), then answers trace
    lookups over `control` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for conn in others:
        conn.close()
    rss0 = current_rss()
    try:
        part = Partition(search.expander, search.layout, search.sym, moves, index, count)
        part.seed(seed)
        del seed
        partners = schedule(count)[index]
        exchange = exchanger(index, peers, partners, search.layout.words)
        order: list[Order] | None = orders
        while order is not None:
            report = part.play(order[index], exchange)
            body = share_out(peers, (report, None))
            look_ahead(part, plan, order[index])
            shared = share_in(index, peers, partners, (report, None), body)
            order = plan.advance([r for r, _ in shared], shared[0][1])
        while True:
            kind, arg = control.recv()
            if kind == "lookup":
                control.send(("ok", part.lookup(arg)))
            elif kind == "peak":
                control.send(("ok", max(0, peak_rss() - rss0)))
            else:
                break
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent or a peer is gone: nothing to report to
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            control.send(("error", traceback.format_exc()))
        except OSError:
            pass


class ProcessTeam:
    """Partition 0 in this process, partitions 1..N-1 in forked children."""

    def __init__(self, search: Search, seeds: list[Seed], moves: int, plan: Plan, orders: list[Order]):
        ctx = mp.get_context("fork")
        count = len(seeds)
        self.size = count
        links = {(i, j): ctx.Pipe() for i in range(count) for j in range(i + 1, count)}  # duplex socket pairs
        controls = [ctx.Pipe() for _ in range(count)]  # (this process's end, the child's end); 0 unused

        def peers(k: int) -> dict[int, Connection]:
            return {j: links[(min(k, j), max(k, j))][0 if k < j else 1] for j in range(count) if j != k}

        every = [end for pair in list(links.values()) + controls for end in pair]
        self.procs: list[Any] = []
        self.controls: list[Connection] = []
        for k in range(1, count):
            kept = list(peers(k).values()) + [controls[k][1]]
            others = [c for c in every if all(c is not x for x in kept)]
            proc = ctx.Process(target=_child, name=f"pinmc-worker-{k}", daemon=True,
                               args=(search, seeds[k], k, count, moves, plan, orders, controls[k][1], peers(k),
                                     others))
            proc.start()
            self.procs.append(proc)
            self.controls.append(controls[k][0])
        kept = list(peers(0).values()) + self.controls
        for c in every:
            if all(c is not x for x in kept):
                c.close()
        self.part = Partition(search.expander, search.layout, search.sym, moves, 0, count)
        self.part.seed(seeds[0])
        self.plan = plan  # the coordinator's: it has advanced to this round when `round` is called
        self.peers = peers(0)
        self.links = list(self.peers.values())
        self.partners = schedule(count)[0]
        self.exchange = exchanger(0, self.peers, self.partners, search.layout.words)
        self.closed = False

    def _reply(self, k: int) -> Any:
        """The answer of child k+1 on its control pipe."""
        conn, proc = self.controls[k], self.procs[k]
        while not conn.poll():
            ready = wait([conn, proc.sentinel])
            if conn not in ready and proc.sentinel in ready:
                raise WorkerError(f"worker process {k + 1} exited (status {proc.exitcode})")
        try:
            kind, arg = conn.recv()
        except EOFError:
            raise WorkerError(f"worker process {k + 1} went away") from None
        if kind == "error":
            raise WorkerError(f"worker process {k + 1} failed:\n{arg}")
        return arg

    def round(self, orders: list[Order], external: Callable[[], External]) -> tuple[list[Report], External]:
        """Play partition 0's order; the children play theirs by themselves.
        The reports (and this process's external limits) are shared all to
        all, so every copy of the plan takes the same next step."""
        try:
            report = self.part.play(orders[0], self.exchange)
            seen = external()
            body = share_out(self.peers, (report, seen))
            look_ahead(self.part, self.plan, orders[0])
            shared = share_in(0, self.peers, self.partners, (report, seen), body)
        except (EOFError, OSError):
            self._failed()
            raise WorkerError("a worker process went away") from None
        return [r for r, _ in shared], seen

    def _failed(self) -> None:
        """Raise the error a child reported, if one did (within a second)."""
        for k, conn in enumerate(self.controls):
            if conn.poll(1.0):
                try:
                    kind, arg = conn.recv()
                except (EOFError, OSError):
                    continue
                if kind == "error":
                    raise WorkerError(f"worker process {k + 1} failed:\n{arg}")

    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Partition 0 first; the children only for what it does not store."""
        local = self.part.lookup(gids)
        rest = np.setdiff1d(gids, local[0])
        if not rest.size:
            return local
        for conn in self.controls:
            conn.send(("lookup", rest))
        parts = [local] + [self._reply(k) for k in range(len(self.controls))]
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]

    def resident(self) -> int:
        """Anonymous memory held by this process and the children (shared
        pages counted once: proportional shares)."""
        return proportional_resident() + sum(proportional_resident(p.pid) for p in self.procs)

    def peak_bytes(self) -> int:
        for conn in self.controls:
            conn.send(("peak", None))
        return sum(self._reply(k) for k in range(len(self.controls)))

    def close(self) -> None:
        """Stop the children (politely, then by force)."""
        if self.closed:
            return
        self.closed = True
        for conn in self.controls:
            try:
                conn.send(("close", None))
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
        for conn in self.controls + self.links:
            conn.close()

