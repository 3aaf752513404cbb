"""Writing a report directory: the JSON result, every picture as `.dot`,
`.svg` and `.png`, and one self-contained `report.html`.

Everything is drawn from the JSON document alone, so `pinmc render
RESULT.json -o DIR` and `pinmc check ... --report DIR` write the same files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinmc.report import dot, html
from pinmc.report.draw import FORMATS, Renderer

SCHEMA = "pinmc.result/1"


class BadResult(Exception):
    """A file given to `pinmc render` is not a pinmc result document."""


@dataclass(frozen=True)
class Picture:
    """One drawing: its DOT source, its SVG (None when it could not be
    drawn) and the files written for it, format -> path relative to the
    report directory."""

    dot: str
    svg: str | None
    files: dict[str, str]


@dataclass
class Written:
    """What `write_report` did: the files (relative paths, in writing
    order), the pictures by (result index, property name or ""), and
    notes for the user (e.g. why pictures were not drawn)."""

    files: list[str] = field(default_factory=list)
    pictures: dict[tuple[int, str], Picture] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def stems(doc: dict[str, Any]) -> list[str]:
    """A file-name stem per result: `spec` or `spec+proposal` (from the file
    names), with `-2`, `-3` ... when a run checks the same pair twice."""
    out: list[str] = []
    for r in doc["results"]:
        stem = Path(r["file"]).stem
        if r.get("proposal_file"):
            stem += "+" + Path(r["proposal_file"]).stem
        base, n = stem, 1
        while stem in out:
            n += 1
            stem = f"{base}-{n}"
        out.append(stem)
    return out


def load_result(path: str) -> dict[str, Any]:
    """A saved JSON result (`pinmc check --format json` or a report's
    result.json); raises BadResult saying what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise BadResult(f"{path}: cannot read: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadResult(f"{path}: not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BadResult(f"{path}: not a pinmc result (expected \"schema\": \"{SCHEMA}\")")
    try:
        for r in doc["results"]:
            for p in r["properties"]:
                if p["trace"] is not None:
                    p["trace"]["steps"]
            r["vars"], r["spec"], r["file"], r["stats"]
    except (KeyError, TypeError) as e:
        raise BadResult(f"{path}: malformed pinmc result (missing {e})") from None
    return doc


def write_report(doc: dict[str, Any], out_dir: str | Path, renderer: Renderer,
                 formats: tuple[str, ...] = FORMATS, intro: tuple[str, ...] = (),
                 title: str | None = None) -> Written:
    """Write `doc`'s report into `out_dir` (created if needed): result.json,
    every picture as .dot and in `formats` (svg, png), and report.html
    (with `intro` and `title`, see `html.report`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = Written()

    def put(name: str, data: str | bytes) -> None:
        path = out / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        done.files.append(name)

    put("result.json", json.dumps(doc, indent=2) + "\n")
    for k, (r, stem) in enumerate(zip(doc["results"], stems(doc))):
        drawings = [(p["name"], f"{stem}.{p['name']}", dot.swimlane(r, p))
                    for p in r["properties"] if p["trace"] is not None]
        graph = dot.state_graph(r)
        if graph is not None:
            drawings.append(("", f"{stem}.state-graph", graph))
        for key, base, source in drawings:
            put(base + ".dot", source)
            files = {"dot": base + ".dot"}
            svg = None
            if renderer.available:
                for fmt in formats:
                    data = renderer.render(source, fmt)
                    put(f"{base}.{fmt}", data)
                    files[fmt] = f"{base}.{fmt}"
                    if fmt == "svg":
                        svg = data.decode("utf-8")
            done.pictures[(k, key)] = Picture(source, svg, files)
    if not renderer.available and done.pictures:
        done.notes.append(renderer.why)
    put("report.html", html.report(doc, done.pictures, renderer.why, intro, title))
    return done
