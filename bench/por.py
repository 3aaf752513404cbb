"""Partial-order reduction: states and transitions with POR off and on.

    python3 bench/por.py               # every job (spec, spec + proposal) in specs/
    python3 bench/por.py --expander scalar

Prints, per job, the states and transitions of the explicit search without
and with `--por`, their ratios (off / on), the seconds of each, and whether
every verdict and trace length agrees.  Jobs the explicit engine refuses
(PIN407) are skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pinmc.engines.base import EngineError, Options  # noqa: E402
from pinmc.engines.explicit.bfs import check  # noqa: E402
from pinmc.semantics.pipeline import compile_spec  # noqa: E402
from pinmc.suite import discover, plan  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expander", choices=("auto", "scalar", "vector"), default="auto")
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "specs")])
    args = ap.parse_args()
    errors: list[object] = []
    jobs = plan(discover(args.paths), errors)  # type: ignore[arg-type]
    head = f"{'job':44} {'states off':>10} {'on':>9} {'ratio':>6} {'trans off':>10} {'on':>9} {'ratio':>6} " \
           f"{'s off':>6} {'s on':>6} same"
    print(head)
    print("-" * len(head))
    tot = [0, 0, 0, 0]
    for j in jobs:
        name = Path(j.spec_path).stem + (f"+{Path(j.proposal_path).stem}" if j.proposal_path else "")
        try:
            system = compile_spec(j.spec_path, j.proposal_path)
            off = check(system, Options(por=False), expander=args.expander)
            on = check(system, Options(por=True), expander=args.expander)
        except EngineError as e:
            print(f"{name:44} skipped ({e.code})")
            continue
        same = all((a.prop, a.status, len(a.trace) if a.trace else None) ==
                   (b.prop, b.status, len(b.trace) if b.trace else None) for a, b in zip(off.verdicts, on.verdicts))
        so, sn, to, tn = off.stats.states, on.stats.states, off.stats.transitions, on.stats.transitions
        tot = [tot[0] + so, tot[1] + sn, tot[2] + to, tot[3] + tn]
        print(f"{name:44} {so:>10} {sn:>9} {so / sn:>6.2f} {to:>10} {tn:>9} {to / max(tn, 1):>6.2f} "
              f"{off.stats.seconds:>6.2f} {on.stats.seconds:>6.2f} {'yes' if same else 'NO'}")
    print("-" * len(head))
    print(f"{'total':44} {tot[0]:>10} {tot[1]:>9} {tot[0] / max(tot[1], 1):>6.2f} {tot[2]:>10} {tot[3]:>9} "
          f"{tot[2] / max(tot[3], 1):>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
