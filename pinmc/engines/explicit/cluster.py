"""The cluster backend: the same hash-partitioned BFS with Ray actors as
partitions (`--backend ray`, `--cluster ADDRESS`).

Each partition (`partition.Partition`, the very class the process backend
uses) lives in a Ray actor.  A round is two actor calls per partition:
`begin_expand` settles the last level, reports property hits and expands
its part of the frontier, returning one object per destination partition;
`absorb` on the destination takes those objects (Ray hands them from
actor to actor through its object store, not through this process) and
inserts them.  This process only coordinates (`coordinator.Coordinator`):
per level it receives the reports and sends the ranks.

What is shipped to the workers: the lowered `System` (pickled IR, a few
kilobytes), the search options, and the states handed over when the
search leaves this process; each actor compiles the system itself.  pinmc
and numpy must be importable on every node (installed there, or shipped
with Ray's `runtime_env`, see docs/scale.md).

Ray is imported only here, and only when this backend is asked for.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import Search
from pinmc.engines.explicit.coordinator import External, MakeTeam, WorkerError
from pinmc.engines.explicit.partition import Order, Partition, Report, Seed, width


class PartitionActor:
    """A partition in a Ray actor (wrapped by `ray.remote` at first use)."""

    def __init__(self, system: Any, symmetry: bool, expander: str, moves: int, index: int, count: int,
                 seed: Seed):
        search = Search(system, Options(por=False, symmetry=symmetry), None, expander)
        self.count = count
        self.part = Partition(search.expander, search.layout, search.sym, moves, index, count)
        self.part.seed(seed)

    def begin_expand(self, order: Order) -> tuple[Any, ...]:
        """Settle, report hits, expand: (report so far, batch for partition 0, 1, ...)."""
        self.part.begin(order)
        if order.hi > order.lo:
            out = self.part.expand(order.want_deadlock, order.lo, order.hi)
        else:
            out = [np.zeros((0, width(self.part.layout.words)), dtype=np.uint64)] * self.count
        return (self.part.report, *out)

    def absorb(self, expanded: bool, *batches: np.ndarray) -> Report:
        """Insert the batches sent here (when the round expanded); the report."""
        if expanded:
            self.part.absorb(list(batches))
        return self.part.report

    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.part.lookup(gids)

    def resident(self) -> int:
        from pinmc.engines.resources import resident

        return resident()


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise WorkerError("--backend ray needs Ray: pip install 'pinmc[cluster]'") from None
    return ray


def init_args(options: Options) -> dict[str, Any]:
    """The arguments of `ray.init` for `options`: a cluster's address, with
    this pinmc shipped to its workers (Ray's runtime_env `py_modules`, so
    the workers run exactly the driver's code); or a local Ray with room
    for `options.workers` actors."""
    if options.cluster:
        import pinmc

        return {"address": options.cluster, "log_to_driver": False,
                "runtime_env": {"py_modules": [os.path.dirname(pinmc.__file__)]}}
    return {"num_cpus": max(options.workers, os.cpu_count() or 1), "include_dashboard": False,
            "log_to_driver": False, "configure_logging": False}


def connect(options: Options) -> Any:
    """The ray module, connected: to the Ray instance already running in
    this process if there is one, else as `init_args` says."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(**init_args(options))
    return ray


class RayTeam:
    """Partitions in Ray actors, one per partition."""

    def __init__(self, search: Search, seeds: list[Seed], moves: int):
        ray = self.ray = connect(search.options)
        # on a cluster, one core per partition, spread over the nodes; in a local
        # Ray, no reservation (more partitions than cores must still start)
        remote = ray.remote(num_cpus=1 if search.options.cluster else 0,
                            scheduling_strategy="SPREAD")(PartitionActor)
        self.size = len(seeds)
        self.actors = [remote.remote(search.system, search.sym is not None, search.expander.name, moves, k,
                                     self.size, seed) for k, seed in enumerate(seeds)]

    def _get(self, refs: Any) -> Any:
        try:
            return self.ray.get(refs)
        except self.ray.exceptions.RayError as e:
            raise WorkerError(f"a Ray actor failed: {e}") from None

    def round(self, orders: list[Order], external: Callable[[], External]) -> tuple[list[Report], External]:
        n = self.size
        out = [a.begin_expand.options(num_returns=n + 1).remote(o) for a, o in zip(self.actors, orders)]
        expanded = orders[0].hi > orders[0].lo
        done = [self.actors[j].absorb.remote(expanded, *[out[i][1 + j] for i in range(n)]) for j in range(n)]
        reports = self._get(done)
        return reports, external()

    def lookup(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = self._get([a.lookup.remote(gids) for a in self.actors])
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]

    def peak_bytes(self) -> int:
        return 0  # on other machines: not this run's memory to report

    def resident(self) -> int:
        return sum(self._get([a.resident.remote() for a in self.actors]))

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.actors = []


def cluster_team(search: Search, moves: int) -> MakeTeam:
    """The team maker of `search.options.backend`."""
    if search.options.backend != "ray":
        raise WorkerError(f"unknown backend {search.options.backend!r} (process or ray)")
    return lambda seeds, plan, orders: RayTeam(search, seeds, moves)
