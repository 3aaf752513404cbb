"""Benchmark of the explicit engine: states, seconds, states/s, peak memory.

    python3 bench/explicit.py            # the default set
    python3 bench/explicit.py --quick    # smaller bounds, for a smoke run

Each case runs in a fresh subprocess so that its peak resident memory is
its own; "bytes/state" is the growth of the peak resident set during the
search divided by the number of states.  Ratios compare the scalar and
vector expanders on the same spec.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("specs/pin_bias.pin", {"GETS": 600}, ("vector",)),
    ("specs/pin_bias.pin", {"GETS": 100}, ("vector", "scalar")),
    ("specs/nic_hugepage_ref.pin", {}, ("vector", "scalar")),
    ("specs/release_mismatch.pin", {}, ("vector", "scalar")),
]
QUICK = [
    ("specs/pin_bias.pin", {"GETS": 60}, ("vector", "scalar")),
    ("specs/nic_hugepage_ref.pin", {}, ("vector", "scalar")),
]

CHILD = """
import json, sys
from pinmc.semantics.pipeline import compile_spec
from pinmc.engines.explicit.bfs import check
from pinmc.engines.base import Options
spec, defines, expander = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
r = check(compile_spec(spec, None, defines), Options(symmetry=False), expander=expander)
s = r.stats
print(json.dumps({"states": s.states, "transitions": s.transitions, "depth": s.depth,
                  "seconds": s.seconds, "peak": s.peak_bytes,
                  "verdicts": {v.prop: v.status for v in r.verdicts}}))
"""


def run(spec: str, defines: dict[str, int], expander: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, spec, json.dumps(defines), expander],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"{'spec':<34} {'expander':<8} {'states':>10} {'trans':>11} {'depth':>6} "
          f"{'seconds':>8} {'states/s':>10} {'peak MiB':>9} {'B/state':>8}")
    for spec, defines, expanders in (QUICK if args.quick else CASES):
        rates = {}
        for ex in expanders:
            r = run(spec, defines, ex)
            rate = r["states"] / r["seconds"] if r["seconds"] else 0.0
            rates[ex] = rate
            label = Path(spec).stem + "".join(f" -D {k}={v}" for k, v in defines.items())
            print(f"{label:<34} {ex:<8} {r['states']:>10,} {r['transitions']:>11,} {r['depth']:>6} "
                  f"{r['seconds']:>8.2f} {rate:>10,.0f} {r['peak'] / 2**20:>9.1f} "
                  f"{r['peak'] / max(1, r['states']):>8.1f}")
        if len(rates) == 2:
            print(f"{'':<34} vector : scalar = {rates['vector'] / rates['scalar']:.2f}")


if __name__ == "__main__":
    main()
