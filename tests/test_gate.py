"""`pinmc gate` end to end, as CI runs it: verdict changes, exit statuses,
the five outputs, the cache, baselines, [tool.pinmc] and its errors."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pinmc.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def gate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["gate", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def results(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / "results.json").read_text(encoding="utf-8"))


def changes(doc: dict[str, Any]) -> dict[tuple[str, str | None, str], str]:
    return {(g["spec"], g["proposal"], p["name"]): p["change"] for g in doc["gated"] for p in g["properties"]}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a copy of specs/ and no [tool.pinmc]: run from it."""
    shutil.copytree(SPECS, tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_skip_pinned_pages_fixes_both_asserts(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = gate(capsys, "specs/skip_pinned_pages.pin", "--no-cache", "--out", "gate")
    assert status == 0
    ch = changes(results(repo / "gate"))
    assert ch[("lpc2018_writeback", "skip_pinned_pages", "flusher.writeback")] == "fixed"
    assert ch[("lpc2018_writeback", "skip_pinned_pages", "kswapd.reclaim")] == "fixed"
    assert ch[("lpc2018_writeback", "skip_pinned_pages", "reference_keeps_page")] == "holds"
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ")}
    assert rows["flusher.writeback"][:4] == ["flusher.writeback", "violated", "holds", "fixed"]
    assert rows["kswapd.reclaim"][:4] == ["kswapd.reclaim", "violated", "holds", "fixed"]
    assert "gate: PASS: 1 pair, 4 properties: 2 fixed, 0 newly broken" in out


def test_foll_pin_fixes_no_false_negative(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = gate(capsys, "specs/foll_pin.pin", "--no-cache", "--out", "gate")
    assert status == 0
    doc = results(repo / "gate")
    assert changes(doc)[("dma_pinned_flag", "foll_pin", "no_false_negative")] == "fixed"
    assert doc["outcome"] == "pass" and doc["exit"] == 0
    # the before result is the spec alone, the after the spec with the proposal
    g = doc["gated"][0]
    assert doc["results"][g["before"]]["proposal"] is None
    assert doc["results"][g["after"]]["proposal"] == "foll_pin"


def test_breaking_proposal_fails_in_all_five_outputs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = gate(capsys, "specs/foll_pin_put_page.pin", "--no-cache", "--no-time", "--out", "gate")
    assert status == 1
    gate_dir = repo / "gate"
    # stdout: the table row and the counterexample
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("balanced "))
    assert row[:6] == ["balanced", "holds", "violated", "newly", "broken", "violated"]
    assert "balanced: newly broken" in out and "counterexample for balanced (6 steps):" in out
    assert "gate: FAIL" in out
    # results.json
    doc = results(gate_dir)
    assert doc["exit"] == 1 and doc["outcome"] == "fail"
    props = {p["name"]: p for p in doc["gated"][0]["properties"]}
    assert props["balanced"]["change"] == "newly broken" and props["balanced"]["outcome"] == "fail"
    assert props["no_false_negative"]["change"] == "fixed" and props["no_false_negative"]["outcome"] == "pass"
    # summary.md
    summary = (gate_dir / "summary.md").read_text(encoding="utf-8")
    line = next(x for x in summary.splitlines() if x.startswith("| `balanced`"))
    assert "**newly broken**" in line and "fail: newly broken" in line
    assert "(report/lpc2018" not in summary and "report/dma_pinned_flag+foll_pin_put_page.balanced.svg" in line
    # junit.xml: one failing test case, for balanced
    tree = ET.parse(gate_dir / "junit.xml")
    failing = [(c.get("name"), f) for c in tree.iter("testcase") for f in c.findall("failure")]
    assert [name for name, _ in failing] == ["balanced"]
    assert "newly broken" in (failing[0][1].get("message") or "")
    assert "dma_pinned_flag" in (failing[0][1].text or "") or "user[" in (failing[0][1].text or "")
    # results.sarif: an error at the invariant's declaration
    sarif = json.loads((gate_dir / "results.sarif").read_text(encoding="utf-8"))
    errors = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert len(errors) == 1 and errors[0]["ruleId"] == "pinmc/newly-broken"
    assert "balanced" in errors[0]["message"]["text"]
    where = errors[0]["locations"][0]["physicalLocation"]
    line_no = next(i for i, t in enumerate((repo / "specs/dma_pinned_flag.pin").read_text().splitlines(), 1)
                   if t.startswith("invariant balanced"))
    assert where["artifactLocation"]["uri"] == "specs/dma_pinned_flag.pin"
    assert where["region"]["startLine"] == line_no
    steps = errors[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(steps) == 6
    # the report
    html = (gate_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "newly broken" in html and "<svg" in html


def test_second_run_is_served_from_the_cache(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("specs/skip_pinned_pages.pin", "--cache-dir", "cache", "--no-time", "--out", "gate")
    status, out, _ = gate(capsys, *args)
    assert status == 0 and "cache: 0 of 2 results served from the cache (cache)" in out
    first = (repo / "gate" / "results.json").read_text(encoding="utf-8")
    status, out, _ = gate(capsys, *args)
    assert status == 0 and "cache: 2 of 2 results served from the cache (cache)" in out
    assert "(before: cache, after: cache)" in out
    second = results(repo / "gate")
    assert [g["after_from"] for g in second["gated"]] == ["cache"]
    # the same results, only where they came from differs
    a = json.loads(first)
    for d in (a, second):
        d.pop("cache")
        for g in d["gated"]:
            g.pop("before_from"), g.pop("after_from")
    assert a == second
    # --no-cache checks again
    status, out, _ = gate(capsys, "specs/skip_pinned_pages.pin", "--no-cache", "--out", "gate")
    assert "served from the cache" not in out and results(repo / "gate")["cache"]["dir"] is None


def test_cache_key_covers_proposal_and_used_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "lib").mkdir()
    (repo / "lib" / "rules.pin").write_text("const BIAS = 1024\nrule maybe(p: page) -> bool = p.refs >= BIAS\n")
    (repo / "lib" / "s.pin").write_text(
        'spec s\nuse "rules.pin"\npage X { refs: u16 = 0 }\n'
        "thread t { pin: { X.refs += BIAS } }\n"
        "invariant seen: done(t) => maybe(X)\nexpect seen holds\n")
    (repo / "lib" / "p.pin").write_text("proposal p for s\nrule maybe(p: page) -> bool = p.refs > 0\n"
                                         "expect s: seen holds\n")
    args = ("lib/p.pin", "--cache-dir", "cache", "--out", "gate")
    assert gate(capsys, *args)[0] == 0
    assert "2 of 2 results served" in gate(capsys, *args)[1]
    (repo / "lib" / "p.pin").write_text("proposal p for s\nrule maybe(p: page) -> bool = p.refs > 1\n"
                                         "expect s: seen holds\n")
    assert "1 of 2 results served" in gate(capsys, *args)[1]  # the spec alone is unchanged
    (repo / "lib" / "rules.pin").write_text("const BIAS = 512\nrule maybe(p: page) -> bool = p.refs >= BIAS\n")
    assert "0 of 2 results served" in gate(capsys, *args)[1]  # a used file changed
    assert "0 of 2 results served" in gate(capsys, *args, "-D", "BIAS=256")[1]  # a constant changed
    # a used file named on the command line gates the specs that use it
    status, out, _ = gate(capsys, "lib/rules.pin", "--specs", "lib", "--no-cache", "--out", "gate")
    assert status == 0 and "gate spec s against its expect lines" in out


def test_no_proposal_gates_the_specs_against_their_expect_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = repo / "mine"
    d.mkdir()
    for name in ("dma_pinned_flag.pin", "foll_pin.pin", "lpc2018_writeback.pin"):
        shutil.copy(SPECS / name, d / name)
    status, out, _ = gate(capsys, "--specs", "mine", "--no-cache", "--out", "gate")
    assert status == 0
    doc = results(repo / "gate")
    assert [(g["spec"], g["proposal"]) for g in doc["gated"]] == [("dma_pinned_flag", None), ("lpc2018_writeback", None)]
    assert changes(doc)[("dma_pinned_flag", None, "no_false_negative")] == "broken"  # as its expect line says
    # a spec whose expect line is not met fails
    text = (d / "dma_pinned_flag.pin").read_text().replace("expect no_false_negative violated",
                                                          "expect no_false_negative holds")
    (d / "dma_pinned_flag.pin").write_text(text)
    status, out, _ = gate(capsys, "--specs", "mine", "--no-cache", "--out", "gate")
    assert status == 1
    row = next(line for line in out.splitlines() if line.strip().startswith("no_false_negative"))
    assert "expected holds, got violated" in row


def test_baseline_instead_of_rechecking(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gate(capsys, "--specs", "specs", "specs/dma_pinned_flag.pin", "--no-cache", "--out", "main")[0] == 0
    status, out, _ = gate(capsys, "specs/foll_pin.pin", "--baseline", "main/results.json", "--no-cache", "--out", "pr")
    assert status == 0 and "(before: baseline, after: checked)" in out
    doc = results(repo / "pr")
    assert doc["cache"]["misses"] == 1  # only the spec with the proposal was checked
    assert changes(doc)[("dma_pinned_flag", "foll_pin", "no_false_negative")] == "fixed"
    # a spec changed on a branch, gated against main's results: newly broken
    text = (repo / "specs/dma_pinned_flag.pin").read_text()
    (repo / "specs/dma_pinned_flag.pin").write_text(text.replace("p.refcount -= 1; p.dma_pinned", "p.refcount -= 2; p.dma_pinned")
                                                    .replace("expect balanced holds", "expect balanced violated"))
    status, out, _ = gate(capsys, "specs/dma_pinned_flag.pin", "--baseline", "main/results.json", "--no-cache", "--out", "pr")
    assert status == 1
    assert changes(results(repo / "pr"))[("dma_pinned_flag", None, "balanced")] == "newly broken"
    # a baseline that is not a result
    (repo / "bad.json").write_text('{"schema": "something"}')
    status, _, err = gate(capsys, "specs/foll_pin.pin", "--baseline", "bad.json", "--out", "pr")
    assert status == 2 and "error[PIN503]: baseline bad.json: not a pinmc result" in err


def test_unknown_fails_unless_allowed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("specs/foll_pin.pin", "--engine", "explicit", "--max-states", "5", "--no-cache", "--out", "gate")
    status, out, _ = gate(capsys, *args)
    assert status == 3 and "gate: UNKNOWN" in out
    status, out, _ = gate(capsys, *args, "--allow-unknown")
    assert status == 0 and "gate: UNKNOWN (allowed)" in out
    junit = (repo / "gate" / "junit.xml").read_text(encoding="utf-8")
    assert "<skipped" in junit


def test_prove_engine(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = gate(capsys, "specs/foll_pin.pin", "--engine", "prove", "--no-cache", "--out", "gate")
    assert status == 0
    doc = results(repo / "gate")
    assert {r["engine"] for r in doc["results"]} == {"prove"}
    assert changes(doc)[("dma_pinned_flag", "foll_pin", "no_false_negative")] == "fixed"


def test_config_in_pyproject(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pinmc]\nspecs = ["specs"]\nproposals = ["specs/foll_pin.pin"]\n'
        'out = "build/gate"\ncache = false\nengine = "explicit"\n\n'
        "[tool.pinmc.constants.dma_pinned_flag]\nBIAS = 2048\n")
    (repo / "sub").mkdir()
    os.chdir(repo / "sub")  # found from a subdirectory; paths are relative to pyproject.toml
    status, out, _ = gate(capsys)
    assert status == 0 and "gate proposal foll_pin on spec dma_pinned_flag" in out
    doc = results(repo / "build" / "gate")
    assert doc["engine"] == "explicit" and doc["cache"]["dir"] is None
    assert {r["constants"]["BIAS"] for r in doc["results"]} == {2048}
    # flags override the file
    status, out, _ = gate(capsys, "--engine", "prove", "--out", "../other")
    assert status == 0 and results(repo / "other")["engine"] == "prove"


@pytest.mark.parametrize("text, message, line", [
    ("[tool.pinmc]\nspecz = [\"specs\"]\n", "[tool.pinmc] has no setting 'specz'", "specz = [\"specs\"]"),
    ("[tool.pinmc]\nengine = \"fast\"\n", "engine must be one of auto, explicit, prove, not 'fast'", "engine = \"fast\""),
    ("[tool.pinmc]\nmax_states = \"many\"\n", "max_states must be a whole number", "max_states = \"many\""),
    ("[tool.pinmc]\nspecs = [\"specs\"\n", "not valid TOML", None),
])
def test_bad_config_is_a_located_error(repo: Path, capsys: pytest.CaptureFixture[str], text: str,
                                       message: str, line: str | None) -> None:
    (repo / "pyproject.toml").write_text(text)
    status, _, err = gate(capsys, "specs/foll_pin.pin")
    assert status == 2
    assert "pyproject.toml:" in err and "error[PIN502]" in err and message in err
    assert "Traceback" not in err
    if line is not None:
        assert "pyproject.toml:2:1: error[PIN502]" in err and line in err and "^" in err


def test_usage_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = gate(capsys, "specs/nope.pin")
    assert status == 2 and "specs/nope.pin: no such file or directory" in err
    (repo / "lone").mkdir()
    shutil.copy(SPECS / "foll_pin.pin", repo / "lone" / "foll_pin.pin")
    status, _, err = gate(capsys, "lone/foll_pin.pin", "--no-cache", "--out", "gate")
    assert status == 2 and "error[PIN210]: proposal foll_pin targets spec 'dma_pinned_flag', which is not in the spec directories" in err
    (repo / "lone" / "broken.pin").write_text("spec broken\npage X { a: u8 = 0 }\ninvariant i: X.b == 0\n")
    status, _, err = gate(capsys, "lone/broken.pin", "--no-cache", "--out", "gate")
    assert status == 2 and "lone/broken.pin:3:" in err
    status, _, err = gate(capsys, "specs/foll_pin.pin", "--engine", "fast")
    assert status == 2 and "invalid choice: 'fast'" in err


def test_outputs_are_deterministic(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("specs/foll_pin_put_page.pin", "specs/skip_pinned_pages.pin", "--no-cache", "--no-time")
    outs = []
    for d in ("a", "b"):
        status, out, _ = gate(capsys, *args, "--out", d)
        assert status == 1
        outs.append(out.replace(f"{d}/", ""))
    assert outs[0] == outs[1]
    for name in ("summary.md", "junit.xml", "results.sarif", "results.json", "report/report.html"):
        assert (repo / "a" / name).read_bytes() == (repo / "b" / name).read_bytes(), name


def test_gate_document_matches_its_schema(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    gate_schema = json.loads((ROOT / "docs" / "gate.schema.json").read_text(encoding="utf-8"))
    result_schema = json.loads((ROOT / "docs" / "result.schema.json").read_text(encoding="utf-8"))
    registry = referencing.Registry().with_resources([
        (s["$id"], referencing.Resource.from_contents(s)) for s in (gate_schema, result_schema)])
    validator = jsonschema.Draft202012Validator(gate_schema, registry=registry)
    for argv in (("specs/foll_pin_put_page.pin", "specs/skip_pinned_pages.pin"), ("specs/foll_pin.pin", "--no-time")):
        gate(capsys, *argv, "--no-cache", "--out", "gate")
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(results(repo / "gate"))]
        assert errors == []


def test_constants_go_to_the_specs_that_declare_them(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = gate(capsys, "specs/foll_pin.pin", "specs/skip_pinned_pages.pin", "-D", "BIAS=512",
                          "-D", "NOPE=1", "--no-cache", "--out", "gate")
    assert status == 0
    assert "pinmc gate: constant NOPE is declared by no spec gated; it was not used" in err
    doc = results(repo / "gate")
    consts = {(r["spec"], r["proposal"]): r["constants"] for r in doc["results"]}
    assert consts[("dma_pinned_flag", "foll_pin")]["BIAS"] == 512
    assert consts[("lpc2018_writeback", "skip_pinned_pages")]["BIAS"] == 512
