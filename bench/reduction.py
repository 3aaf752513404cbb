"""State-space reduction factors: states with and without POR and symmetry.

    python3 bench/reduction.py               # every job (spec, spec + proposal) in specs/
    python3 bench/reduction.py --expander scalar
    python3 bench/reduction.py specs/symmetric_pool.pin

For every job it runs the explicit search four times: no reduction, POR
only, symmetry only, and the default (both switched on; POR is not combined
with symmetry, so where symmetry applies the default is symmetry alone).
It prints the states of each, the ratio of no reduction to the default,
the seconds of the unreduced and the default run, and whether every verdict
and every trace length agrees with the unreduced search.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinmc.engines.base import EngineError, Options, Result  # noqa: E402
from pinmc.engines.explicit.bfs import check  # noqa: E402
from pinmc.semantics.pipeline import compile_spec  # noqa: E402
from pinmc.suite import discover, plan  # noqa: E402

RUNS = {"none": Options(por=False, symmetry=False), "por": Options(por=True, symmetry=False),
        "sym": Options(por=False, symmetry=True), "default": Options()}


def _shape(r: Result) -> list[tuple[str, str, int | None]]:
    return [(v.prop, v.status, len(v.trace) if v.trace else None) for v in r.verdicts]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expander", choices=("auto", "scalar", "vector"), default="auto")
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "specs")])
    args = ap.parse_args()
    errors: list[object] = []
    jobs = plan(discover(args.paths), errors)  # type: ignore[arg-type]
    head = (f"{'job':44} {'none':>9} {'por':>9} {'sym':>9} {'default':>9} {'ratio':>7} "
            f"{'s none':>7} {'s dflt':>7} same")
    print(head)
    print("-" * len(head))
    tot = {k: 0 for k in RUNS}
    for j in jobs:
        name = Path(j.spec_path).stem + (f"+{Path(j.proposal_path).stem}" if j.proposal_path else "")
        try:
            system = compile_spec(j.spec_path, j.proposal_path)
            res = {k: check(system, o, expander=args.expander) for k, o in RUNS.items()}
        except EngineError as e:
            print(f"{name:44} skipped ({e.code})")
            continue
        same = all(_shape(r) == _shape(res["none"]) for r in res.values())
        n = {k: r.stats.states for k, r in res.items()}
        for k in RUNS:
            tot[k] += n[k]
        print(f"{name:44} {n['none']:>9} {n['por']:>9} {n['sym']:>9} {n['default']:>9} "
              f"{n['none'] / n['default']:>7.2f} {res['none'].stats.seconds:>7.2f} "
              f"{res['default'].stats.seconds:>7.2f} {'yes' if same else 'NO'}")
    print("-" * len(head))
    print(f"{'total':44} {tot['none']:>9} {tot['por']:>9} {tot['sym']:>9} {tot['default']:>9} "
          f"{tot['none'] / max(tot['default'], 1):>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
