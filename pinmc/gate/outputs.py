"""Writing the gate's files into the output directory, from the gate
document alone:

    summary.md      the table, for a PR comment or $GITHUB_STEP_SUMMARY
    junit.xml       one test case per spec x property
    results.sarif   SARIF 2.1.0, a result per broken property
    results.json    the gate document (pinmc.gate/1)
    report/         report.html (the gate table, then every result with its
                    traces as pictures), result.json, and .dot/.svg pictures
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinmc.gate.junit import junit
from pinmc.gate.sarif import sarif
from pinmc.gate.text import html_intro, summary
from pinmc.report.bundle import SCHEMA as RESULT_SCHEMA
from pinmc.report.bundle import write_report
from pinmc.report.draw import Renderer
from pinmc.report.json import document

REPORT_DIR = "report"
FILES = ("summary.md", "junit.xml", "results.sarif", "results.json", f"{REPORT_DIR}/report.html")
PICTURE_FORMATS = ("svg",)


@dataclass
class Outputs:
    """The files written (relative to the output directory) and notes
    for the user (e.g. that pictures could not be drawn)."""

    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_outputs(doc: dict[str, Any], out_dir: str | Path, renderer: Renderer) -> Outputs:
    """Write every output of `doc` into `out_dir` (created if needed); a
    report directory left by an earlier run is replaced.  Raises OSError."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = Outputs()
    report = out / REPORT_DIR
    if (report / "result.json").is_file() and \
            f'"schema": "{RESULT_SCHEMA}"' in (report / "result.json").read_text(encoding="utf-8", errors="replace")[:200]:
        shutil.rmtree(report)
    links: dict[tuple[int, str], str] = {}
    report_page: str | None = None
    if doc["results"]:
        written = write_report(document(doc["results"], doc["exit"]), report, renderer, PICTURE_FORMATS,
                               html_intro(doc), "pinmc gate: " + doc["outcome"])
        done.notes += written.notes
        done.files += [f"{REPORT_DIR}/{f}" for f in written.files]
        for key, pic in written.pictures.items():
            if key[1]:
                links[key] = f"{REPORT_DIR}/{pic.files.get('svg', pic.files['dot'])}"
        report_page = f"{REPORT_DIR}/report.html"

    def put(name: str, text: str) -> None:
        (out / name).write_text(text, encoding="utf-8")
        done.files.append(name)

    put("summary.md", summary(doc, links, report_page))
    put("junit.xml", junit(doc))
    put("results.sarif", json.dumps(sarif(doc), indent=2) + "\n")
    put("results.json", json.dumps(doc, indent=2) + "\n")
    return done
