"""The gate's machine-readable outputs: SARIF 2.1.0 and JUnit XML, from
gate documents (`pinmc.gate/1`) built here by hand around real results,
validated against the published schemas in tests/schemas/ (see its
README), and the text traces they embed."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.gate.junit import junit
from pinmc.gate.sarif import sarif
from pinmc.gate.tracetext import trace_lines
from pinmc.report import text
from pinmc.report.json import result_json
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = Path(__file__).resolve().parent / "schemas"
LPC = "specs/lpc2018_writeback.pin"
SKIP = "specs/skip_pinned_pages.pin"
DMA = "specs/dma_pinned_flag.pin"
FOLL = "specs/foll_pin.pin"

DEADLOCK = """\
spec dl "a thread waits for a flag nobody sets"
var flag: bool = false
var x: 0..3 = 0
thread t { a: { x = 1 }  w: when flag { x = 2 } }
"""


# --- building gate documents -----------------------------------------------------------------

def result(spec: str, proposal: str | None = None, options: Options = Options()) -> dict[str, Any]:
    """A pinmc.result/1 result object, as `pinmc check --format json --no-time` prints it."""
    system = compile_spec(spec, proposal)
    return result_json(system, check(system, options), spec, proposal, False)


@pytest.fixture(scope="module", autouse=True)
def _in_root() -> Any:
    # Spec paths relative to the repository, as a user would give them.
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        yield


@pytest.fixture(scope="module")
def res(_in_root: Any) -> dict[str, dict[str, Any]]:
    return {
        "lpc": result(LPC),
        "lpc+skip": result(LPC, SKIP),
        "lpc@1": result(LPC, options=Options(max_depth=1)),
        "dma": result(DMA),
        "dma+foll": result(DMA, FOLL),
    }


def change(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if after["verdict"] == "unknown":
        return "unknown"
    if before is None:
        return "broken" if after["failed"] else "holds"
    if not after["failed"]:
        return "fixed" if before["failed"] else "holds"
    if before["verdict"] == "unknown":
        return "unknown"
    return "still broken" if before["failed"] else "newly broken"


def entry(results: list[dict[str, Any]], before: int | None, after: int, proposal: str | None,
          expected: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A gated entry comparing results[before] with results[after];
    `expected`: property -> (verdict, file) of the expect lines that apply
    (default: those of the after result)."""
    b, a = (results[before] if before is not None else None), results[after]
    old = {p["name"]: p for p in b["properties"]} if b else {}
    props = []
    for p in a["properties"]:
        ch = change(old.get(p["name"]), p)
        exp, exp_file = (expected or {}).get(p["name"], (None, None)) if expected is not None \
            else (p["expected"], p["expected_file"])
        reasons = []
        if ch == "newly broken":
            reasons.append("newly broken")
        if exp is not None and p["verdict"] not in (exp, "unknown"):
            reasons.append(f"expected {exp}, got {p['verdict']}")
        if reasons:
            outcome = "fail"
        elif ch == "unknown":
            outcome = "unknown"
            reasons.append(f"undecided: {p['note']}" if p["verdict"] == "unknown"
                           else "broken, and undecided before: it may be newly broken")
        else:
            outcome = "pass"
        props.append({"name": p["name"], "kind": p["kind"],
                      "before": old[p["name"]]["verdict"] if p["name"] in old else None,
                      "after": p["verdict"], "change": ch, "expected": exp, "expected_file": exp_file,
                      "outcome": outcome, "reasons": reasons})
    outcomes = [p["outcome"] for p in props]
    return {"spec": a["spec"], "spec_file": a["file"],
            "proposal": proposal, "proposal_file": {None: None, "skip_pinned_pages": SKIP,
                                                    "foll_pin": FOLL}[proposal],
            "before": before, "before_from": None if before is None else "checked",
            "after": after, "after_from": "checked",
            "outcome": "fail" if "fail" in outcomes else ("unknown" if "unknown" in outcomes else "pass"),
            "properties": props}


def document(results: list[dict[str, Any]], gated: list[dict[str, Any]], allow_unknown: bool = False) -> dict[str, Any]:
    outcomes = [g["outcome"] for g in gated]
    outcome = "fail" if "fail" in outcomes else ("unknown" if "unknown" in outcomes else "pass")
    return {"schema": "pinmc.gate/1", "pinmc": "0.1.0", "exit": {"pass": 0, "fail": 1, "unknown": 3}[outcome],
            "outcome": outcome, "engine": "explicit", "allow_unknown": allow_unknown,
            "cache": {"dir": None, "hits": 0, "misses": len(results)},
            "gated": gated, "results": results}


@pytest.fixture(scope="module")
def newly(res: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fix swapped into a break: "before" is the spec with the proposal
    (the asserts hold), "after" the spec alone (they are violated), and the
    proposal's `expect ... holds` applies; plus dma_pinned_flag gated on its
    own (broken as expected) and with foll_pin (fixed)."""
    results = [res["lpc+skip"], res["lpc"], res["dma"], res["dma+foll"]]
    skip_expects = {p["name"]: (p["expected"], p["expected_file"]) for p in res["lpc+skip"]["properties"]
                    if p["expected_file"] == SKIP}
    gated = [entry(results, 0, 1, "skip_pinned_pages", skip_expects),
             entry(results, None, 2, None),
             entry(results, 2, 3, "foll_pin", {})]
    return document(results, gated)


@pytest.fixture(scope="module")
def passing(res: dict[str, dict[str, Any]]) -> dict[str, Any]:
    results = [res["lpc"], res["lpc+skip"], res["dma"], res["dma+foll"]]
    skip_expects = {p["name"]: (p["expected"], p["expected_file"]) for p in res["lpc+skip"]["properties"]
                    if p["expected_file"] == SKIP}
    return document(results, [entry(results, 0, 1, "skip_pinned_pages", skip_expects),
                              entry(results, 2, 3, "foll_pin", {})])


def unknown_doc(res: dict[str, dict[str, Any]], allow_unknown: bool) -> dict[str, Any]:
    """lpc2018_writeback gated against itself, once undecided (--max-depth 1)
    and once compared with an undecided baseline (broken now, so maybe newly)."""
    results = [res["lpc@1"], res["lpc"]]
    return document(results, [entry(results, None, 0, None), entry(results, 0, 1, None)], allow_unknown)


# --- validation --------------------------------------------------------------------------------

# RFC 3986 characters: unreserved, reserved and percent-encodings.
URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def _uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(URI_CHARS.match(value))


def _uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(URI_CHARS.match(value))
                                          and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value) is not None)


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    # Every $ref in the schema is local ("#/definitions/..."): nothing is fetched.  The format
    # checks are jsonschema's own (offline); "uri" and "uri-reference", which it checks only
    # with the optional rfc3987 package, are checked here by their character set.
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(_uri)
    checker.checks("uri-reference")(_uri_reference)
    return jsonschema.Draft7Validator(schema, format_checker=checker)


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


@pytest.fixture(scope="module")
def junit_schema_pytest() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10-pytest.xsd"))


def valid_sarif(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> dict[str, Any]:
    log = sarif(doc)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return log


def valid_junit(schema: xmlschema.XMLSchema, pytest_schema: xmlschema.XMLSchema, doc: dict[str, Any]) -> ET.Element:
    out = junit(doc)
    schema.validate(out)
    if "<error " not in out:  # pytest's copy names the element <errors>
        pytest_schema.validate(out)
    return ET.fromstring(out.encode("utf-8"))


def _prop(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in result["properties"] if p["name"] == name)


# --- trace text -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,proposal", [(LPC, None), (DMA, None), ("specs/cve_2020_29374.pin", None),
                                           ("specs/longterm_movable.pin", None),
                                           ("specs/fork_pinned_cow.pin", None)])
def test_trace_lines_match_the_text_report(spec: str, proposal: str | None) -> None:
    system = compile_spec(spec, proposal)
    found = check(system)
    res = result_json(system, found, spec, proposal, False)
    traced = 0
    for verdict, prop in zip(found.verdicts, res["properties"]):
        if verdict.trace is None:
            continue
        traced += 1
        lines = trace_lines(res, prop)
        steps = prop["trace"]["steps"]
        for s, line in zip(steps, lines[2:]):
            assert line.endswith(f"  ({s['file']}:{s['line']})")
        stripped = [re.sub(r"  \([^()]*:\d+\)$", "", t) for t in lines]
        assert stripped == text.trace_lines(system, verdict)
    assert traced


def test_trace_lines_of_a_deadlock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dl.pin").write_text(DEADLOCK)
    monkeypatch.chdir(tmp_path)
    system = compile_spec("dl.pin")
    found = check(system)
    res = result_json(system, found, "dl.pin", None, False)
    prop = _prop(res, "deadlock")
    lines = trace_lines(res, prop)
    assert lines[0] == "deadlock for deadlock (1 step):"
    assert lines[1] == "  initial state: flag = false, x = 0"
    assert lines[2] == "   1. t.a  x: 0 -> 1  (dl.pin:4)"
    assert lines[3] == "  deadlock: no step of any actor is enabled"
    assert lines[4] == "    with t@w = waiting"
    verdict = next(v for v in found.verdicts if v.prop == "deadlock")
    assert [re.sub(r"  \(dl\.pin:\d+\)$", "", t) for t in lines] == text.trace_lines(system, verdict)


def test_trace_lines_needs_a_trace(res: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(ValueError):
        trace_lines(res["lpc+skip"], _prop(res["lpc+skip"], "flusher.writeback"))


# --- SARIF ----------------------------------------------------------------------------------------

def test_sarif_newly_broken(newly: dict[str, Any], sarif_validator: Any) -> None:
    log = valid_sarif(sarif_validator, newly)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pinmc" and driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    rules = [r["id"] for r in driver["rules"]]
    assert rules == ["pinmc/newly-broken", "pinmc/broken"]
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")

    results = run["results"]
    for r in results:
        assert rules[r["ruleIndex"]] == r["ruleId"]
    # The two asserts of lpc2018_writeback, newly broken; dma's own invariant, broken as expected.
    assert [(r["properties"]["spec"], r["properties"]["property"], r["ruleId"], r["level"]) for r in results] == [
        ("lpc2018_writeback", "kswapd.reclaim", "pinmc/newly-broken", "error"),
        ("lpc2018_writeback", "flusher.writeback", "pinmc/newly-broken", "error"),
        ("dma_pinned_flag", "no_false_negative", "pinmc/broken", "note"),
    ]

    flusher = results[1]
    after = newly["results"][1]
    prop = _prop(after, "flusher.writeback")
    assert prop["location"] == {"file": LPC, "line": 55, "column": 9}
    (loc,) = flusher["locations"]
    phys = loc["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == LPC
    assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert phys["region"] == {"startLine": 55, "startColumn": 9}
    assert run["artifacts"][phys["artifactLocation"]["index"]]["location"]["uri"] == LPC
    text_ = flusher["message"]["text"]
    assert "flusher.writeback" in text_ and "lpc2018_writeback" in text_ and "skip_pinned_pages" in text_
    assert "holds -> violated" in text_ and "newly broken" in text_ and "expected holds, got violated" in text_
    assert flusher["properties"]["change"] == "newly broken"
    assert flusher["properties"]["before"] == "holds" and flusher["properties"]["after"] == "violated"
    assert flusher["partialFingerprints"]

    # The code flow is the trace, step by step.
    (flow,) = flusher["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = prop["trace"]["steps"]
    assert len(thread["locations"]) == len(steps) == 4
    where = [(t["location"]["physicalLocation"]["artifactLocation"]["uri"],
              t["location"]["physicalLocation"]["region"]["startLine"]) for t in thread["locations"]]
    assert where == [(s["file"], s["line"]) for s in steps]
    assert [t["executionOrder"] for t in thread["locations"]] == [1, 2, 3, 4]
    assert thread["locations"][0]["location"]["message"]["text"] == \
        "1. dio.fault: X.refcount: 2 -> 3, X.dirty: false -> true, X.buffers: false -> true"
    last = thread["locations"][-1]["location"]["message"]["text"]
    assert last.startswith("4. flusher.writeback: fails its check")
    assert "ext4_writepage: BUG_ON(!page_has_buffers(page))" in last

    # The deadlock-free, holding properties are not reported; dma's note points at its invariant.
    dma = results[2]
    assert dma["locations"][0]["physicalLocation"]["region"]["startLine"] == 25
    assert dma["codeFlows"][0]["threadFlows"][0]["locations"]


def test_sarif_fingerprints_are_stable_and_distinct(newly: dict[str, Any]) -> None:
    prints = [r["partialFingerprints"] for r in sarif(newly)["runs"][0]["results"]]
    assert len({json.dumps(p, sort_keys=True) for p in prints}) == len(prints)
    assert prints == [r["partialFingerprints"] for r in sarif(copy.deepcopy(newly))["runs"][0]["results"]]


def test_sarif_unknown(res: dict[str, dict[str, Any]], sarif_validator: Any) -> None:
    doc = unknown_doc(res, allow_unknown=False)
    log = valid_sarif(sarif_validator, doc)
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["pinmc/unknown"]
    first = [r for r in run["results"] if r["properties"]["after"] == "unknown"]
    assert len(first) == 4 and {r["level"] for r in first} == {"warning"}
    assert {r["ruleId"] for r in first} == {"pinmc/unknown"}
    assert all("codeFlows" not in r for r in first)
    # Undecided before, violated now: unknown, with the trace.
    maybe = [r for r in run["results"]
             if r["properties"]["before"] == "unknown" and r["properties"]["after"] == "violated"]
    assert [r["properties"]["property"] for r in maybe] == ["kswapd.reclaim", "flusher.writeback"]
    assert all(r["ruleId"] == "pinmc/unknown" and r["level"] == "warning" and r["codeFlows"] for r in maybe)
    # The deadlock property (no location) points at the spec, line 1.
    dead = next(r for r in first if r["properties"]["property"] == "deadlock")
    phys = dead["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == LPC and phys["region"] == {"startLine": 1}


def test_sarif_deadlock_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator: Any) -> None:
    (tmp_path / "dl.pin").write_text(DEADLOCK)
    monkeypatch.chdir(tmp_path)
    results = [result("dl.pin")]
    doc = document(results, [entry(results, None, 0, None)])
    log = valid_sarif(sarif_validator, doc)
    (found,) = [r for r in log["runs"][0]["results"] if r["properties"]["property"] == "deadlock"]
    # Broken with nothing to compare with and no expect line: reported, but it passes the gate.
    assert found["ruleId"] == "pinmc/broken" and found["level"] == "note"
    phys = found["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "dl.pin" and phys["region"] == {"startLine": 1}
    (tfl,) = found["codeFlows"][0]["threadFlows"][0]["locations"]
    assert tfl["location"]["message"]["text"] == \
        "1. t.a: x: 0 -> 1; deadlock: no step of any actor is enabled (with t@w = waiting)"


def test_sarif_pass_only(passing: dict[str, Any], sarif_validator: Any) -> None:
    log = valid_sarif(sarif_validator, passing)
    (run,) = log["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "exitCode": 0}]


def test_sarif_is_deterministic(newly: dict[str, Any], res: dict[str, dict[str, Any]]) -> None:
    before = copy.deepcopy(newly)
    first = json.dumps(sarif(newly), indent=2)
    assert first == json.dumps(sarif(copy.deepcopy(newly)), indent=2)
    assert newly == before  # not modified
    doc = unknown_doc(res, False)
    assert json.dumps(sarif(doc)) == json.dumps(sarif(copy.deepcopy(doc)))


def test_sarif_paths(newly: dict[str, Any], sarif_validator: Any) -> None:
    doc = copy.deepcopy(newly)
    for r in doc["results"]:
        for p in r["properties"]:
            if p["location"]:
                p["location"]["file"] = "/abs/dir with space/x.pin"
    log = valid_sarif(sarif_validator, doc)
    art = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert art["uri"] == "file:///abs/dir%20with%20space/x.pin" and "uriBaseId" not in art
    uris = [a["location"]["uri"] for a in log["runs"][0]["artifacts"]]
    assert uris == sorted(uris) and len(set(uris)) == len(uris)
    assert "file:///abs/dir%20with%20space/x.pin" in uris and SKIP in uris


# --- JUnit ------------------------------------------------------------------------------------------

def test_junit_newly_broken(newly: dict[str, Any], junit_schema: Any, junit_schema_pytest: Any) -> None:
    out = junit(newly)
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    assert out.endswith("</testsuites>\n")
    root = valid_junit(junit_schema, junit_schema_pytest, newly)
    assert root.tag == "testsuites"
    assert root.attrib == {"name": "pinmc gate", "tests": "12", "failures": "2", "errors": "0"}
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["lpc2018_writeback + skip_pinned_pages", "dma_pinned_flag",
                                              "dma_pinned_flag + foll_pin"]
    assert [(s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped")) for s in suites] == \
        [("4", "2", "0", "0"), ("4", "0", "0", "0"), ("4", "0", "0", "0")]
    lpc = suites[0]
    assert [c.get("name") for c in lpc.findall("testcase")] == \
        ["reference_keeps_page", "kswapd.reclaim", "flusher.writeback", "deadlock"]
    assert {c.get("classname") for c in lpc.findall("testcase")} == {"lpc2018_writeback+skip_pinned_pages"}
    case = lpc.find("testcase[@name='flusher.writeback']")
    assert case is not None
    (failure,) = list(case)
    assert failure.tag == "failure"
    assert failure.get("type") == "newly broken"
    assert failure.get("message") == "newly broken; expected holds, got violated"
    body = failure.text or ""
    assert "property: flusher.writeback (assert)" in body
    assert "before: holds (checked)" in body and "after: violated (checked)" in body
    trace = trace_lines(newly["results"][1], _prop(newly["results"][1], "flusher.writeback"))
    assert "\n".join(trace) in body
    assert "   1. dio.fault          X.refcount: 2 -> 3, X.dirty: false -> true, X.buffers: false -> true" \
        "  (specs/lpc2018_writeback.pin:25)" in body
    assert "   4. flusher.writeback  fails its check  (specs/lpc2018_writeback.pin:54)" in body
    # A pass: before/after in system-out, nothing else.
    ok = lpc.find("testcase[@name='deadlock']")
    assert ok is not None and [e.tag for e in ok] == ["system-out"]
    assert "change: holds" in (ok[0].text or "")
    # A fixed property keeps its old counterexample in system-out.
    fixed = suites[2].find("testcase[@name='no_false_negative']")
    assert fixed is not None and [e.tag for e in fixed] == ["system-out"]
    assert "change: fixed" in (fixed[0].text or "") and "before the change:\ncounterexample for no_false_negative" \
        in (fixed[0].text or "")


def test_junit_unknown(res: dict[str, dict[str, Any]], junit_schema: Any, junit_schema_pytest: Any) -> None:
    doc = unknown_doc(res, allow_unknown=False)
    root = valid_junit(junit_schema, junit_schema_pytest, doc)
    assert root.attrib == {"name": "pinmc gate", "tests": "8", "failures": "0", "errors": "6"}
    first, second = root.findall("testsuite")
    assert (first.get("errors"), first.get("skipped")) == ("4", "0")
    err = first.find("testcase[@name='flusher.writeback']/error")
    assert err is not None and err.get("type") == "unknown"
    assert err.get("message") == "undecided: search stopped: --max-depth 1"
    assert "note: search stopped: --max-depth 1" in (err.text or "")
    maybe = second.find("testcase[@name='flusher.writeback']/error")
    assert maybe is not None and "counterexample for flusher.writeback (4 steps):" in (maybe.text or "")

    allowed = unknown_doc(res, allow_unknown=True)
    out = junit(allowed)
    junit_schema.validate(out)
    junit_schema_pytest.validate(out)
    root = ET.fromstring(out.encode("utf-8"))
    assert root.attrib == {"name": "pinmc gate", "tests": "8", "failures": "0", "errors": "0"}
    assert [s.get("skipped") for s in root.findall("testsuite")] == ["4", "2"]
    skipped = root.find("testsuite/testcase[@name='deadlock']/skipped")
    assert skipped is not None and skipped.get("message") == "undecided: search stopped: --max-depth 1"


def test_junit_pass_only(passing: dict[str, Any], junit_schema: Any, junit_schema_pytest: Any) -> None:
    root = valid_junit(junit_schema, junit_schema_pytest, passing)
    assert root.attrib == {"name": "pinmc gate", "tests": "8", "failures": "0", "errors": "0"}
    for case in root.iter("testcase"):
        assert [e.tag for e in case] == ["system-out"]
    props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties") or ()}
    assert props["spec_file"] == LPC and props["proposal_file"] == SKIP and props["outcome"] == "pass"


def test_junit_is_deterministic_and_escapes(newly: dict[str, Any], junit_schema: Any) -> None:
    before = copy.deepcopy(newly)
    assert junit(newly) == junit(copy.deepcopy(newly))
    assert newly == before
    doc = copy.deepcopy(newly)
    doc["gated"][0]["properties"][2]["reasons"] = ['expected <holds> & "more"\x01']
    out = junit(doc)
    junit_schema.validate(out)
    failure = ET.fromstring(out.encode("utf-8")).find("testsuite/testcase[@name='flusher.writeback']/failure")
    assert failure is not None and failure.get("message") == 'expected <holds> & "more"\ufffd'


def test_empty_document(sarif_validator: Any, junit_schema: Any, junit_schema_pytest: Any) -> None:
    doc = document([], [])
    assert valid_sarif(sarif_validator, doc)["runs"][0]["results"] == []
    root = valid_junit(junit_schema, junit_schema_pytest, doc)
    assert root.attrib == {"name": "pinmc gate", "tests": "0", "failures": "0", "errors": "0"}


def test_the_validators_reject(newly: dict[str, Any], sarif_validator: Any, junit_schema: Any) -> None:
    log = sarif(newly)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.pin"
    assert not sarif_validator.is_valid(log)
    log = sarif(newly)
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)
    assert not junit_schema.is_valid(junit(newly).replace("<testcase ", "<testcase bogus=\"1\" ", 1))
    assert not junit_schema.is_valid(junit(newly).replace(' tests="4"', "", 1))


def test_sarif_also_valid_under_the_schemas_own_draft(newly: dict[str, Any], res: dict[str, dict[str, Any]]) -> None:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = jsonschema.Draft4Validator(schema)
    for doc in (newly, unknown_doc(res, False)):
        errors = list(validator.iter_errors(sarif(doc)))
        assert not errors, errors[0].message
