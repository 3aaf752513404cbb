"""Benchmark: the explicit search with the visited set in memory and
spilled to disk (`--spill`), on the same spec.

    python3 bench/spill.py            # pin_bias -D GETS=600 (1,085,406 states)
    python3 bench/spill.py --quick    # pin_bias -D GETS=200 (121,806 states)
    python3 bench/spill.py --gets 1200 --dir /scratch

Each configuration runs in a fresh process (so peaks do not mix), one
worker, default reductions.  For each: states (the same in every row, or
the benchmark fails), seconds, states/s, the peak of the memory the
process holds (anonymous resident memory, sampled every 10 ms: mapped spill
files excluded), the peak resident set as the kernel reports it (files
included), and the largest size the spill directory reached.  The spilled
rows keep 1/8 and 1/64 of the states in memory (`--spill-states`).
Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _du(path: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def one(gets: int, spill_dir: str | None, budget: int | None) -> dict[str, object]:
    """Run one search in this process and measure it."""
    from pinmc.engines.base import Options
    from pinmc.engines.explicit.bfs import check
    from pinmc.engines.resources import resident
    from pinmc.semantics.pipeline import compile_spec

    system = compile_spec(str(ROOT / "specs/pin_bias.pin"), None, {"GETS": gets})
    base = resident()
    peak = {"anon": base, "disk": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak["anon"] = max(peak["anon"], resident())
            if spill_dir is not None:
                peak["disk"] = max(peak["disk"], _du(spill_dir))

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    start = time.monotonic()
    r = check(system, Options(spill=spill_dir, spill_states=budget))
    seconds = time.monotonic() - start
    done.set()
    watcher.join()
    return {"states": r.stats.states, "transitions": r.stats.transitions, "depth": r.stats.depth,
            "seconds": seconds, "held": peak["anon"] - base, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "disk": peak["disk"]}


def run(gets: int, spill_dir: str | None, budget: int | None) -> dict[str, object]:
    args = [sys.executable, __file__, "--one", "--gets", str(gets)]
    if spill_dir is not None:
        args += ["--dir", spill_dir, "--budget", str(budget)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="GETS=200")
    p.add_argument("--gets", type=int, default=None, help="pin_bias's GETS (default 600)")
    p.add_argument("--dir", default=None, help="where to spill (default: a temporary directory)")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--budget", type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    gets = a.gets or (200 if a.quick else 600)
    if a.one:
        print(json.dumps(one(gets, a.dir, a.budget)))
        return 0
    rows = [("in memory", run(gets, None, None))]
    states = int(rows[0][1]["states"])  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(dir=a.dir) as d:
        for share in (8, 64):
            rows.append((f"spilled, 1/{share} in memory", run(gets, d, max(1, states // share))))
    print(f"pin_bias -D GETS={gets}: {states:,} states, one process\n")
    print(f"{'visited set':<26} {'seconds':>8} {'states/s':>10} {'held MiB':>9} {'maxrss MiB':>11} "
          f"{'disk MiB':>9} {'held B/state':>13}")
    for name, r in rows:
        assert r["states"] == states, "spilling changed the state count"
        print(f"{name:<26} {r['seconds']:>8.2f} {states / r['seconds']:>10,.0f} {r['held'] / 2**20:>9.1f} "
              f"{r['maxrss'] / 2**20:>11.1f} {r['disk'] / 2**20:>9.1f} {r['held'] / states:>13.1f}")
    print("\nheld: peak anonymous resident memory added by the search (sampled every 10 ms); maxrss: the kernel's "
          "peak resident set, mapped spill files included; disk: the largest the spill directory grew.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
