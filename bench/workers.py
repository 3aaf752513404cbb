"""Benchmark of multi-core and cluster exploration (`--workers N`).

    python3 bench/workers.py                 # pin_bias -D GETS=600 --no-por: 1 process, 2 workers (stages, hash), N
    python3 bench/workers.py --repeat 5      # each case 5 times: median and spread
    python3 bench/workers.py --ray           # and the Ray backend (local), 2 actors
    python3 bench/workers.py --quick         # GETS=100: a smoke run
    python3 bench/workers.py --choose        # the Ray vs Dask measurement of docs/scale.md

Each case runs in a fresh subprocess, so that its peak memory is its own
(this process's resident-set growth plus the workers'); the cases take
turns, one run of each per round, `--repeat` rounds; "search s" is a
case's median, "speed-up" the median over the rounds of the 1-worker
search time over this case's in the same round, "identical" compares the
case's whole result (counts, verdicts, traces) with the 1-worker run.
Times on a shared machine are noisy: the load average is printed with
the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import hashlib, json, sys, time
from pinmc.semantics.pipeline import compile_spec
from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
spec, defines, workers, backend, symmetry, parallel_from, split = sys.argv[1:8]
system = compile_spec(spec, None, json.loads(defines))
options = Options(por=False, symmetry=symmetry == "on", workers=int(workers), backend=backend,
                  parallel_from=int(parallel_from), split=split)
if backend == "ray":
    from pinmc.engines.explicit.cluster import connect
    t = time.monotonic(); connect(options); start = time.monotonic() - t
else:
    start = 0.0
t = time.monotonic()
r = check(system, options)
wall = time.monotonic() - t
s = r.stats
what = repr((s.states, s.transitions, s.depth, s.complete,
             [(v.prop, v.status, None if v.trace is None else [(x.transition, x.args) for x in v.trace.steps])
              for v in r.verdicts]))
print(json.dumps({"states": s.states, "transitions": s.transitions, "depth": s.depth, "seconds": s.seconds,
                  "wall": wall, "startup": start, "peak": s.peak_bytes,
                  "digest": hashlib.sha256(what.encode()).hexdigest()}))
"""


def run(spec: str, defines: dict[str, int], workers: int, backend: str, symmetry: bool,
        parallel_from: int, split: str = "auto") -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, spec, json.dumps(defines), str(workers), backend,
                          "on" if symmetry else "off", str(parallel_from), split],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def table(args: argparse.Namespace) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    defines = {"GETS": 100 if args.quick else args.gets}
    cases = [("process", 1, "auto"), ("process", 2, "stages"), ("process", 2, "hash")]
    cases += [("process", cores, "hash")] if cores > 2 else []
    cases += [("process", n, "hash") for n in args.workers if ("process", n, "hash") not in cases]
    if args.ray:
        cases.append(("ray", 2, "hash"))
    spec = "specs/pin_bias.pin"
    print(f"{spec} -D GETS={defines['GETS']} --no-por, symmetry {'on' if args.symmetry else 'off'}; "
          f"{cores} cores; load average before: {load()}")
    print(f"{'backend':<8} {'workers':>7} {'split':>6} {'states':>10} {'trans':>11} {'depth':>6} {'search s':>9} "
          f"{'spread':>13} {'states/s':>10} {'speed-up':>8} {'peak MiB':>9} {'B/state':>8} {'identical':>9}")
    # the cases take turns, round after round: a machine that speeds up or
    # slows down during the benchmark does so for every case alike
    rounds = [[run(spec, defines, n, backend, args.symmetry, args.parallel_from, split)
               for backend, n, split in cases] for _ in range(args.repeat)]
    base_digest = rounds[0][0]["digest"]
    for k, (backend, n, split) in enumerate(cases):
        runs = [rnd[k] for rnd in rounds]
        secs = sorted(r["seconds"] for r in runs)  # type: ignore[misc]
        med = statistics.median(secs)
        r = runs[0]
        speedup = statistics.median(rnd[0]["seconds"] / rnd[k]["seconds"] for rnd in rounds)  # type: ignore[operator]
        same = all(x["digest"] == base_digest for x in runs)
        peak = max(x["peak"] for x in runs)  # type: ignore[type-var]
        spread = f"{secs[0]:.2f}-{secs[-1]:.2f}"
        extra = (f"  (+{r['startup']:.1f} s to start Ray; memory: this process only, not the actors)"
                 if backend == "ray" else "")
        print(f"{backend:<8} {n:>7} {split if n > 1 else '-':>6} {r['states']:>10,} {r['transitions']:>11,} {r['depth']:>6} {med:>9.2f} "
              f"{spread:>13} {r['states'] / med:>10,.0f} {speedup:>7.2f}x "
              f"{peak / 2**20:>9.1f} {peak / r['states']:>8.0f} {'yes' if same else 'NO':>9}{extra}", flush=True)
    print(f"load average after: {load()}")


# ------------------------------------------------------------------ Ray vs Dask

CHOOSE = """
import json, sys, time
import numpy as np
from pinmc.semantics.pipeline import compile_spec
from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import Search, check
from pinmc.engines.explicit.coordinator import Coordinator
from pinmc.engines.explicit.codegen import move_count
from pinmc.engines.explicit.cluster import PartitionActor, RayTeam, connect

which, gets = sys.argv[1], int(sys.argv[2])
out = {}


class Echo:
    def ping(self, x):
        return x

    def make(self, n):
        return np.zeros(n, dtype=np.uint64)

    def take(self, a):
        return int(a.size)


def timed(f, n=200):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[n // 2] * 1e3


if which == "ray":
    import ray
    t = time.monotonic(); connect(Options(workers=2)); out["startup_s"] = time.monotonic() - t
    E = ray.remote(num_cpus=0)(Echo)
    a, b = E.remote(), E.remote()
    ray.get(a.ping.remote(0)); ray.get(b.ping.remote(0))
    out["call_ms"] = timed(lambda: ray.get(a.ping.remote(1)))
    out["move_1MiB_ms"] = timed(lambda: ray.get(b.take.remote(a.make.remote(1 << 17))), 50)
    make = None
else:
    from distributed import Client, LocalCluster
    t = time.monotonic()
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    out["startup_s"] = time.monotonic() - t
    w = list(client.scheduler_info()["workers"])
    a = client.submit(Echo, actor=True, workers=[w[0]]).result()
    b = client.submit(Echo, actor=True, workers=[w[1]]).result()
    out["call_ms"] = timed(lambda: a.ping(1).result())
    out["move_1MiB_ms"] = timed(lambda: b.take(a.make(1 << 17).result()).result(), 50)

    class DaskTeam:
        # partitions in Dask actors: batches go actor -> client -> actor
        def __init__(self, search, seeds, moves):
            self.size = len(seeds)
            self.actors = [client.submit(PartitionActor, search.system, search.sym is not None,
                                         search.expander.name, moves, k, self.size, seed, actor=True,
                                         workers=[w[k % len(w)]]).result() for k, seed in enumerate(seeds)]

        def round(self, orders, external):
            outs = [f.result() for f in [a.begin_expand(o) for a, o in zip(self.actors, orders)]]
            expanded = orders[0].hi > orders[0].lo
            done = [self.actors[j].absorb(expanded, *[outs[i][1 + j] for i in range(self.size)])
                    for j in range(self.size)]
            return [d.result() for d in done], external()

        def lookup(self, gids):
            parts = [f.result() for f in [a.lookup(gids) for a in self.actors]]
            return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

        def peak_bytes(self):
            return 0

        def resident(self):
            return 0

        def close(self):
            self.actors = []

    def make(search, moves):
        return lambda seeds, plan, orders: DaskTeam(search, seeds, moves)

system = compile_spec("specs/pin_bias.pin", None, {"GETS": gets})
options = Options(por=False, symmetry=False, workers=2, parallel_from=0, backend="ray")
t = time.monotonic(); one = check(system, Options(por=False, symmetry=False)); out["one_process_s"] = time.monotonic() - t
search = Search(system, options)
moves = move_count(system)
team = (lambda seeds, plan, orders: RayTeam(search, seeds, moves)) if make is None else make(search, moves)
coord = Coordinator(search, 2, team, 0)
t = time.monotonic(); coord.run(); out["search_s"] = time.monotonic() - t
out["states"] = search.store.n
out["levels"] = search.depth + 1
out["same"] = (search.store.n, search.transitions, search.depth) == (one.stats.states, one.stats.transitions,
                                                                     one.stats.depth)
print(json.dumps(out))
"""


def choose(args: argparse.Namespace) -> None:
    gets = 100 if args.quick else 300
    print(f"Ray vs Dask, 2 partitions (actors) on this machine; load average: {load()}")
    print(f"{'engine':<6} {'start s':>8} {'call ms':>8} {'1MiB a->b ms':>13} "
          f"{'pin_bias GETS=' + str(gets) + ' s':>20} {'states':>9} {'levels':>7} {'ms/level':>9} {'states/s':>9} "
          f"{'1 process s':>12} {'same':>5}")
    for which in ("ray", "dask"):
        t = time.monotonic()
        out = subprocess.run([sys.executable, "-c", CHOOSE, which, str(gets)], cwd=ROOT, capture_output=True,
                             text=True)
        if out.returncode:
            print(f"{which}: failed after {time.monotonic() - t:.0f} s:\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{which:<6} {r['startup_s']:>8.1f} {r['call_ms']:>8.2f} {r['move_1MiB_ms']:>13.2f} "
              f"{r['search_s']:>20.2f} {r['states']:>9,} {r['levels']:>7} "
              f"{1e3 * r['search_s'] / r['levels']:>9.1f} {r['states'] / r['search_s']:>9,.0f} "
              f"{r['one_process_s']:>12.2f} {'yes' if r['same'] else 'NO':>5}", flush=True)
    print(f"load average after: {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gets", type=int, default=600, help="pin_bias's GETS (default 600)")
    ap.add_argument("--quick", action="store_true", help="GETS=100")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    ap.add_argument("--workers", type=int, nargs="*", default=[], help="more worker counts to run")
    ap.add_argument("--symmetry", action="store_true", help="symmetry reduction on (default off: more states)")
    ap.add_argument("--parallel-from", type=int, default=1000, help="the hand-over threshold (default 1000)")
    ap.add_argument("--ray", action="store_true", help="also the Ray backend, local, 2 actors")
    ap.add_argument("--choose", action="store_true", help="the Ray vs Dask measurement instead")
    args = ap.parse_args()
    if args.choose:
        choose(args)
    else:
        table(args)


if __name__ == "__main__":
    main()
