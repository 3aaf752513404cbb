"""Benchmark of `pinmc prove`: every expectation of specs/ decided by the
z3 portfolio, with the deciding engine, its time and the certificate size.

    python3 bench/prove.py [--timeout S]

"time" is the deciding engine's own time on that property; "wall" is the
whole portfolio run for the spec (process start-up included).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinmc.engines.symbolic.prove import ProveOptions, prove  # noqa: E402
from pinmc.suite import discover, plan  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args()
    errors: list[object] = []
    jobs = plan(discover([str(ROOT / "specs")]), errors)  # type: ignore[arg-type]
    print(f"{'spec (+ proposal)':<40} {'property':<30} {'expected':<11} {'verdict':<11} "
          f"{'engine':<12} {'time s':>7} {'wall s':>7} {'cert':>5}")
    slow = wrong = 0
    for job in jobs:
        t0 = time.monotonic()
        system, result = prove(job.spec_path, job.proposal_path, None, ProveOptions(timeout=args.timeout))
        wall = time.monotonic() - t0
        label = system.name + (f" + {system.proposal}" if system.proposal else "")
        expected = {e.prop: e.verdict for e in system.expectations}
        for v in result.verdicts:
            exp = expected.get(v.prop, "-")
            cert = len(v.certificate) if v.certificate else 0
            print(f"{label:<40} {v.prop:<30} {exp:<11} {v.status:<11} {v.engine:<12} "
                  f"{v.seconds:>7.3f} {wall:>7.2f} {cert:>5}")
            if exp in ("holds", "unreachable", "free"):
                slow += v.seconds >= 1.0
                wrong += v.status != exp
    print(f"\nholds/unreachable/free expectations not met: {wrong}; decided in >= 1 s: {slow}")


if __name__ == "__main__":
    main()
