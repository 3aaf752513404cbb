"""`pinmc report PATHS -o DIR`: the gallery of every spec and proposal.

Each job of the suite (a spec, or a spec with a proposal) is decided as
`pinmc test` decides it (explicit engine, the prover where it cannot) and
gets its own report directory `DIR/STEM/` (pictures as .dot and .svg;
`--report` also writes .png); `DIR/index.html` lists every spec, verdict
and picture.  No timings are written, so regenerating an
up-to-date gallery changes no byte of its JSON, DOT or HTML.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinmc.diagnostics import SpecError
from pinmc.engines.base import Options
from pinmc.report import html
from pinmc.report.bundle import SCHEMA, stems, write_report
from pinmc.report.draw import Renderer
from pinmc.report.graph import DEFAULT_LIMIT, build
from pinmc.report.json import document, result_json
from pinmc.status import OK, combine, status_of

# the gallery is kept in the repository: SVG only (the HTML inlines it), no PNG
GALLERY_FORMATS = ("svg",)
from pinmc.suite import decide, discover, plan


@dataclass
class Gallery:
    """What was written: report directories (relative to DIR), spec
    errors, notes, and whether every expectation was met."""

    reports: list[str] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)  # "spec: property expected X, got Y"
    status: int = OK


def make_gallery(paths: list[str], out_dir: str | Path, renderer: Renderer, options: Options = Options(),
                 defines: dict[str, int] | None = None, graph_limit: int = DEFAULT_LIMIT) -> Gallery:
    """Decide every job under `paths` and write the gallery into `out_dir`.
    Report directories of earlier runs whose job is gone are removed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = Gallery()
    entries: list[dict[str, Any]] = []
    for job in plan(discover(paths), done.errors):
        try:
            system, result = decide(job, options, defines)
        except SpecError as e:
            done.errors.append(e)
            continue
        status = status_of(result)
        done.status = combine(done.status, status)
        graph = build(system, result, graph_limit)
        doc = document([result_json(system, result, job.spec_path, job.proposal_path, False, graph)], status)
        stem = stems(doc)[0]
        if _ours(out / stem):
            shutil.rmtree(out / stem)
        written = write_report(doc, out / stem, renderer, GALLERY_FORMATS)
        done.reports.append(stem)
        done.notes += [n for n in written.notes if n not in done.notes]
        r = doc["results"][0]
        for p in r["properties"]:
            if p["as_expected"] is False:
                done.unmet.append(f"{html.result_title(r)}: {p['name']} expected {p['expected']}, "
                                  f"got {p['verdict']}")
        verdict = {p["name"]: p["verdict"] for p in r["properties"]}
        pictures = [(f"{key} ({verdict[key]})" if key else "state graph",
                     f"{stem}/{pic.files.get('svg', pic.files['dot'])}")
                    for (_, key), pic in written.pictures.items()]
        entries.append({"title": html.result_title(r), "href": f"{stem}/report.html",
                        "description": r["description"], "properties": r["properties"],
                        "pictures": pictures})
    _remove_stale(out, set(done.reports))
    (out / "index.html").write_text(html.index(entries), encoding="utf-8")
    return done


def _ours(sub: Path) -> bool:
    """`sub` is a report directory pinmc wrote (it has our result.json)."""
    result = sub / "result.json"
    return sub.is_dir() and result.is_file() and \
        f'"schema": "{SCHEMA}"' in result.read_text(encoding="utf-8", errors="replace")[:200]


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Remove report directories of earlier runs that this run did not write."""
    for sub in sorted(out.iterdir()):
        if sub.name not in keep and _ours(sub):
            shutil.rmtree(sub)
