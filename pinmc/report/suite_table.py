"""The spec suite as a Markdown page (`pinmc test --format markdown`):
one row per spec and per proposal applied to it, with the scenario of
PINNING.md it reproduces, the verdicts under the old rule (the spec) and
the fixed rule (the proposal), the deciding engines, states and seconds.

docs/suite.md is this page for `specs/`; tests/test_suite_table.py fails
when it is stale (the seconds column aside, which varies run to run).
"""

from __future__ import annotations

import re
from pathlib import Path

from pinmc.engines.base import UNKNOWN, Result
from pinmc.ir.system import System
from pinmc.suite import Job, SuiteResult

HEADER = """# The spec suite

Every spec in `specs/` and every proposal applied to it, as `pinmc test
specs/` decides them: the explicit engine, and the prover (`pinmc prove`)
where the explicit engine cannot decide (a `choose` too wide to enumerate,
counts too large to explore). A spec states the old kernel rule, a
proposal the fixed one; the scenario numbers are those of the catalogue in
`shared/kernel/PINNING.md` section 3. Every verdict below matches the
spec's or proposal's `expect` lines (`pinmc test specs/` exits 0).

Regenerate with `pinmc test specs/ --format markdown > docs/suite.md`
(tests/test_suite_table.py fails when this page is stale; the seconds
column is not compared).

"""

COLUMNS = ("scenario", "spec", "what it models", "rule", "verdicts", "engine", "states", "seconds")
SECONDS = COLUMNS.index("seconds")


def scenario(path: str) -> str:
    """`S09` for `specs/s09_lpc2018_lib.pin`, `` for a file not named after a scenario."""
    m = re.match(r"s(\d\d)_", Path(path).name)
    return f"S{m.group(1)}" if m else ""


def verdicts(result: Result) -> str:
    """The verdicts in a few words: what fails (and how), what is unknown,
    else 'all hold'."""
    failed = [f"`{v.prop}` {v.status}" for v in result.verdicts if v.failed]
    unknown = [v.prop for v in result.verdicts if v.status == UNKNOWN]
    parts = []
    if failed:
        parts.append("**fails**: " + ", ".join(failed))
    if unknown:
        parts.append("unknown: " + ", ".join(f"`{p}`" for p in unknown))
    return "; ".join(parts) or "all hold"


def _engines(result: Result) -> str:
    names = sorted({v.engine for v in result.verdicts})
    return ", ".join(names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rows(suite: SuiteResult) -> list[tuple[str, ...]]:
    """The table's rows: each spec, then the proposals applied to it."""
    by_spec: dict[str, list[tuple[System, Result, Job]]] = {}
    for system, result, job in suite.results:
        by_spec.setdefault(job.spec_path, []).append((system, result, job))
    out = []
    for spec_path in sorted(by_spec):
        jobs = sorted(by_spec[spec_path], key=lambda x: (x[2].proposal_path is not None, x[2].proposal_path or ""))
        for system, result, job in jobs:
            rule = f"fixed: `{system.proposal}`" if job.proposal_path else "old (the spec)"
            states = f"{result.stats.states:,}" if result.engine == "explicit" else "\u2014"
            out.append((scenario(spec_path), f"`{system.name}`" if not job.proposal_path else "",
                        _cell(system.description or "") if not job.proposal_path else "",
                        rule, verdicts(result), _engines(result), states, f"{result.stats.seconds:.2f}"))
    return out


def markdown(suite: SuiteResult) -> str:
    """The whole page."""
    lines = [HEADER.rstrip("\n"), "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(suite)]
    return "\n".join(lines) + "\n"


def without_seconds(page: str) -> str:
    """`page` with the seconds column blanked, for comparing two runs."""
    out = []
    for line in page.splitlines():
        if line.startswith("| ") and not line.startswith("| scenario"):
            cells = line.split(" | ")
            if len(cells) == len(COLUMNS):
                cells[SECONDS] = "?" + (" |" if cells[SECONDS].endswith(" |") else "")
                line = " | ".join(cells)
        out.append(line)
    return "\n".join(out)
