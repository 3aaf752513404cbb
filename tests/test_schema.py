"""Real `pinmc.result/1` documents validate against docs/result.schema.json:
`check` and `prove` output (with and without timing) and the result.json of
every report in reports/ (those carry state graphs)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pinmc.cli import main

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install jsonschema)")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "result.schema.json").read_text(encoding="utf-8"))
REPORTS = sorted((ROOT / "reports").glob("*/result.json"))


def validator() -> Any:
    cls = jsonschema.Draft202012Validator
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


def problems(doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator().iter_errors(doc)]


def run_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> Any:
    monkeypatch.chdir(ROOT)  # results name their specs as `specs/NAME.pin`, as in docs/json.md
    status = main([*argv, "--format", "json"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["exit"] == status
    return doc


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_check_output(capsys, monkeypatch):
    doc = run_json(capsys, monkeypatch, "check", "specs/lpc2018_writeback.pin", "--no-time")
    assert problems(doc) == []
    r = doc["results"][0]
    assert "seconds" not in r["stats"] and r["state_graph"] is None
    assert {"name": "dio.pc", "group": "dio", "field": "pc", "type": "pc", "init": "fault"} in r["vars"]
    step = next(p for p in r["properties"] if p["trace"])["trace"]["steps"][0]
    assert step["file"] == "specs/lpc2018_writeback.pin"
    assert step["source"].lstrip().startswith("fault:")


def test_check_output_with_timing(capsys, monkeypatch):
    doc = run_json(capsys, monkeypatch, "check", "specs/lpc2018_writeback.pin")
    assert problems(doc) == []
    assert {"seconds", "states_per_second", "peak_bytes"} <= set(doc["results"][0]["stats"])


def test_prove_output(capsys, monkeypatch):
    doc = run_json(capsys, monkeypatch, "prove", "specs/pin_bias_bulk.pin", "--no-time")
    assert problems(doc) == []
    assert doc["results"][0]["engine"] == "prove"


def test_there_are_reports():
    assert REPORTS, "reports/*/result.json not found"
    assert any("nodes" in (r["state_graph"] or {}) for f in REPORTS
               for r in json.loads(f.read_text(encoding="utf-8"))["results"])


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.parent.name)
def test_report_result(path: Path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert problems(doc) == []
    for r in doc["results"]:
        g = r["state_graph"]
        assert g is not None, "a report's result has a state graph (or says why not)"
        if "nodes" not in g:
            continue
        # what the schema cannot say: ids are 0..n-1 and everything refers to them
        ids = [n["id"] for n in g["nodes"]]
        assert ids == list(range(len(ids)))
        assert all(e["from"] in ids and e["to"] in ids for e in g["edges"])
        assert all(x in ids for c in g["sccs"] for x in c)
        assert g["sccs"] == sorted(sorted(c) for c in g["sccs"])
        assert all(e["moves"] == sorted(e["moves"]) for e in g["edges"])
        traced = {p["name"] for p in r["properties"] if p["trace"]}
        assert set(g["paths"]) == traced
        assert all(path[0] == 0 and all(x in ids for x in path) for path in g["paths"].values())


def lpc_doc(capsys, monkeypatch) -> Any:
    return run_json(capsys, monkeypatch, "check", "specs/lpc2018_writeback.pin", "--no-time")


def step_of(doc: Any) -> dict[str, Any]:
    return next(p for p in doc["results"][0]["properties"] if p["trace"])["trace"]["steps"][0]


def graph_doc() -> Any:
    doc = json.loads((ROOT / "reports" / "lpc2018_writeback" / "result.json").read_text(encoding="utf-8"))
    assert "nodes" in doc["results"][0]["state_graph"]
    return doc


@pytest.mark.parametrize("break_it", [
    pytest.param(lambda d: step_of(d).pop("move"), id="step without move"),
    pytest.param(lambda d: step_of(d).pop("source"), id="step without source"),
    pytest.param(lambda d: step_of(d).update(file=3), id="step file not a string"),
    pytest.param(lambda d: step_of(d).update(extra=1), id="step with an unknown field"),
    pytest.param(lambda d: d["results"][0]["vars"][0].pop("group"), id="var without group"),
    pytest.param(lambda d: d["results"][0].pop("state_graph"), id="result without state_graph"),
    pytest.param(lambda d: d["results"][0].update(state_graph={"limit": 150}), id="graph without nodes"),
    pytest.param(lambda d: d["results"][0].update(state_graph={"omitted": "why", "limit": 150, "nodes": []}),
                 id="omitted graph with nodes"),
])
def test_bad_documents_are_rejected(capsys, monkeypatch, break_it):
    doc = lpc_doc(capsys, monkeypatch)
    assert problems(doc) == []
    bad = copy.deepcopy(doc)
    break_it(bad)
    assert problems(bad) != []


@pytest.mark.parametrize("break_it", [
    pytest.param(lambda g: g["nodes"][0].pop("deadlock"), id="node without deadlock"),
    pytest.param(lambda g: g["nodes"][0].update(initial=False), id="state 0 not initial"),
    pytest.param(lambda g: g["nodes"][1].update(initial=True), id="other state initial"),
    pytest.param(lambda g: g["nodes"][0].update(fails=["no colon"]), id="fails entry malformed"),
    pytest.param(lambda g: g["edges"][0].update(moves=[]), id="edge without moves"),
    pytest.param(lambda g: g["edges"][0].update(to=-1), id="negative state id"),
    pytest.param(lambda g: g["sccs"].append([3]), id="one-state scc"),
    pytest.param(lambda g: g["paths"].update(p=[]), id="empty path"),
])
def test_bad_state_graphs_are_rejected(break_it):
    doc = graph_doc()
    assert problems(doc) == []
    bad = copy.deepcopy(doc)
    break_it(bad["results"][0]["state_graph"])
    assert problems(bad) != []
