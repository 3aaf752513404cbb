#!/usr/bin/env python3
"""pinmc against SPIN on the same models (issue 7, item 8).

For every Promela twin in bench/spin/ (one per pinmc spec, see the header
of each .pml for how its state maps onto pinmc's) this runs

  * pinmc:  pinmc check SPEC -D ... --format json --no-por --no-symmetry --workers 1
            (explicit BFS, one process, reductions off)
  * SPIN:   spin -o1 -o2 -o3 [-DNAME=VALUE] -a NAME.pml
            gcc -O2 -DNOREDUCE -DBFS -DSAFETY [-DNOCLAIM] -o pan pan.c
            ./pan -c0 -m... -w...

with SPIN's reductions off (-DNOREDUCE: no partial-order reduction; -o1 -o2
-o3: no dead-variable elimination, no hiding of write-only variables, no
statement merging), checks that both store the same number of states and
prints each one's states/s, the ratio pinmc:SPIN and pinmc's bytes/state.

Timing: pinmc's own `stats.seconds` from its JSON, and pan's own `pan:
elapsed time` line, so Python start-up, spec loading and SPIN's compilation
are not counted. pan prints its time with 0.01 s resolution, so for tiny
models the rates are noise (or n/a when pan reports 0 seconds).

    python3 bench/spin_compare.py [--quick]

--quick skips pin_bias -D GETS=600 (3.25 M states) and runs GETS=100 instead.
Exit status: 0 when every count agrees (or when spin/gcc are missing),
1 when any count differs or a tool fails.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPIN_DIR = ROOT / "bench" / "spin"

# (twin name, pinmc spec, constants, run in --quick, run in full)
CASES = [
    ("pin_bias", "specs/pin_bias.pin", {}, True, True),
    ("pin_bias", "specs/pin_bias.pin", {"GETS": 100}, True, False),
    ("pin_bias", "specs/pin_bias.pin", {"GETS": 600}, False, True),
    ("dma_pinned_flag", "specs/dma_pinned_flag.pin", {}, True, True),
    ("lpc2018_writeback", "specs/lpc2018_writeback.pin", {}, True, True),
]

# Issue 7's target for pin_bias -D GETS=600.
TARGET = ("pin_bias", (("GETS", 600),))
TARGET_RATIO = 1.0
TARGET_BYTES = 32


class Failure(Exception):
    pass


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def run_pinmc(spec: str, consts: dict[str, int]) -> dict:
    cmd = [sys.executable, "-m", "pinmc", "check", str(ROOT / spec), "--format", "json", "--no-por", "--no-symmetry",
           "--workers", "1"]
    for k, v in consts.items():
        cmd += ["-D", f"{k}={v}"]
    p = run(cmd)
    try:
        stats = json.loads(p.stdout)["results"][0]["stats"]
    except (ValueError, KeyError, IndexError):
        raise Failure(f"pinmc failed (exit {p.returncode}): {p.stderr.strip()[-500:]}")
    if not stats.get("complete", False):
        raise Failure("pinmc did not finish the search")
    return stats


def run_spin(name: str, consts: dict[str, int], expect_states: int, workdir: Path) -> dict:
    pml = SPIN_DIR / f"{name}.pml"
    text = pml.read_text()
    d = workdir / name
    d.mkdir(exist_ok=True)
    shutil.copy(pml, d / pml.name)
    defines = [f"-D{k}={v}" for k, v in consts.items()]
    p = run(["spin", "-o1", "-o2", "-o3", *defines, "-a", pml.name], cwd=d)
    if p.returncode != 0 or not (d / "pan.c").exists():
        raise Failure(f"spin -a failed: {(p.stdout + p.stderr).strip()[-500:]}")
    has_claim = re.search(r"^\s*(ltl|never)\b", text, re.M) is not None
    cflags = ["-O2", "-DNOREDUCE", "-DBFS", "-DSAFETY"] + ([] if has_claim else ["-DNOCLAIM"])
    p = run(["gcc", *cflags, "-o", "pan", "pan.c"], cwd=d)
    if p.returncode != 0:
        raise Failure(f"gcc failed: {p.stderr.strip()[-500:]}")
    # Hash table: 2^w slots, at least twice the expected number of states.
    w = max(16, math.ceil(math.log2(max(expect_states, 1))) + 1)
    # -c0: go on past assertion violations (some twins model specs whose
    # properties are violated) so that every reachable state is counted.
    p = run(["./pan", "-c0", "-m10000000", f"-w{w}"], cwd=d)
    out = p.stdout + p.stderr
    m = re.search(r"^\s*(\d+) states, stored", out, re.M)
    t = re.search(r"^pan: elapsed time ([0-9.eE+-]+) seconds", out, re.M)
    if not m or not t:
        raise Failure(f"cannot read pan's output: {out.strip()[-500:]}")
    if "Search not completed" in out or "max search depth too small" in out:
        raise Failure("pan did not complete the search")
    e = re.search(r"errors: (\d+)", out)
    return {
        "states": int(m.group(1)),
        "seconds": float(t.group(1)),
        "errors": int(e.group(1)) if e else None,
        "claim": has_claim,
    }


def rate(states: int, seconds: float) -> float | None:
    return states / seconds if seconds > 0 else None


def fmt_rate(r: float | None) -> str:
    return "n/a" if r is None else f"{r:,.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small models only (no GETS=600)")
    args = ap.parse_args()

    missing = [t for t in ("spin", "gcc") if shutil.which(t) is None]
    if missing:
        print(f"spin_compare: {' and '.join(missing)} not found; nothing to compare "
              "(on Debian: apt-get install spin gcc)")
        return 0

    cases = [c for c in CASES if (c[3] if args.quick else c[4])]
    header = ["spec", "constants", "pinmc states", "SPIN states", "equal",
              "pinmc st/s", "SPIN st/s", "pinmc:SPIN", "pinmc B/state"]
    rows: list[list[str]] = []
    notes: list[str] = []
    bad = False
    with tempfile.TemporaryDirectory(prefix="spin_compare.") as tmp:
        for name, spec, consts, _, _ in cases:
            cstr = " ".join(f"{k}={v}" for k, v in consts.items()) or "-"
            try:
                pm = run_pinmc(spec, consts)
                sp = run_spin(name, consts, pm["states"], Path(tmp))
            except Failure as exc:
                rows.append([spec, cstr, "error", "error", "no", "", "", "", ""])
                notes.append(f"{spec} {cstr}: {exc}")
                bad = True
                continue
            equal = pm["states"] == sp["states"]
            bad |= not equal
            pr = rate(pm["states"], pm["seconds"])
            sr = rate(sp["states"], sp["seconds"])
            ratio = pr / sr if pr is not None and sr is not None else None
            bps = pm["peak_bytes"] / pm["states"]
            rows.append([spec, cstr, f"{pm['states']:,}", f"{sp['states']:,}",
                         "yes" if equal else "NO", fmt_rate(pr), fmt_rate(sr),
                         "n/a" if ratio is None else f"{ratio:.2f}", f"{bps:,.1f}"])
            if (name, tuple(sorted(consts.items()))) == TARGET:
                ok_r = ratio is not None and ratio >= TARGET_RATIO
                ok_b = bps <= TARGET_BYTES
                notes.append(
                    f"issue 7 target on {spec} {cstr} (ratio >= {TARGET_RATIO}, <= {TARGET_BYTES} B/state): "
                    f"ratio {'n/a' if ratio is None else f'{ratio:.2f}'} ({'met' if ok_r else 'not met'}), "
                    f"{bps:.1f} B/state ({'met' if ok_b else 'not met'}); "
                    f"pinmc {pm['seconds']:.2f} s, pan {sp['seconds']:.2f} s")

    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print("pinmc vs SPIN %s (pan -DBFS -DNOREDUCE -DSAFETY, spin -o1 -o2 -o3; one run each)" % (
        run(["spin", "-V"]).stdout.strip()))
    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    for n in notes:
        print("note: " + n)
    print("B/state is pinmc's peak_bytes / states: the growth of the peak resident set during the search;\n"
          "      tiny models are dominated by fixed costs, so only the large rows mean anything.")
    if bad:
        print("FAIL: some state counts differ or a run failed")
        return 1
    print("all state counts agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
