"""The gate document (`pinmc.gate/1`) as a SARIF 2.1.0 log, for code
scanning (GitHub, GitLab, IDE viewers).

One run, tool `pinmc`.  A SARIF result for every property of every gated
entry that is broken after the change (its verdict there is a failure) or
that does not pass the gate (outcome `fail` or `unknown`); properties that
hold and pass are left out.  Each result names one rule, its reason class,
picked in this order:

    pinmc/unknown            outcome unknown, or change unknown
    pinmc/newly-broken       change newly broken
    pinmc/unmet-expectation  an expect line asks for another verdict
    pinmc/still-broken       change still broken
    pinmc/broken             change broken (nothing to compare with)

(a failing property that fits none of these, which the gate does not
produce, is filed under unmet-expectation when it has an expectation, else
under broken).  Its level follows the property's gate outcome: `error` for
fail, `warning` for unknown, `note` for a broken property that passes
(still broken or broken, as expected).

A result points at the property's declaration (`location` of the after
result; a deadlock, declared nowhere, at line 1 of the spec file) and, when
the after result has a trace, carries it as a code flow: one thread flow
whose locations are the trace's steps in order, each at its step's
file:line.

Paths are written as the gate document has them, relative ones against
`%SRCROOT%` (the directory pinmc ran in).  The output depends only on the
document: the same document gives the same log.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Any
from urllib.parse import quote

from pinmc.gate.tracetext import step_change, step_name, trace_title, violation_lines
from pinmc.report.values import show_json

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "pinmcGateProperty/v1"

NEWLY_BROKEN = "pinmc/newly-broken"
UNMET_EXPECTATION = "pinmc/unmet-expectation"
STILL_BROKEN = "pinmc/still-broken"
BROKEN = "pinmc/broken"
UNKNOWN = "pinmc/unknown"

# id -> (name, default level, short description, full description, help);
# the order of the driver's rules.  A tuple, so nothing here can be mutated.
RULES: tuple[tuple[str, str, str, str, str, str], ...] = (
    (NEWLY_BROKEN, "NewlyBroken", "error",
     "A property that held before the change is broken after it.",
     "The property held (or its reachable state was reached) without the proposal or in the "
     "baseline, and fails with it: the change breaks it.",
     "Read the counterexample (the code flow): it is a run of the spec with the proposal applied "
     "that ends in the violation. Fix the proposal so that no such run exists, or, if the break "
     "is intended, say so with an expect line in the proposal."),
    (UNMET_EXPECTATION, "UnmetExpectation", "error",
     "A property's verdict is not the one its expect line asks for.",
     "An expect line (of the proposal, or of the spec gated on its own) asks for one verdict and "
     "the model checker found another.",
     "Either the model does not behave as the expect line claims (read the trace, if any), or the "
     "expect line is out of date: correct the one that is wrong."),
    (STILL_BROKEN, "StillBroken", "warning",
     "A property broken before the change is still broken after it.",
     "The property fails both without and with the proposal: the change does not fix it.",
     "If the proposal is meant to fix this property, read the counterexample (the code flow) to "
     "see the run it still allows."),
    (BROKEN, "Broken", "warning",
     "A property is broken and there is nothing to compare with.",
     "The property fails, and there is no result from before the change (a spec gated on its "
     "own, or no baseline) to tell whether the change broke it.",
     "Read the counterexample (the code flow). If the failure is known and intended (a spec that "
     "models a bug), record it with an expect line."),
    (UNKNOWN, "Unknown", "warning",
     "A property could not be decided.",
     "The engine stopped before deciding the property (a state or depth limit, a prover "
     "timeout), or it is broken now and was undecided before, so whether the change broke it is "
     "unknown.",
     "Raise the limits (--max-states, --max-depth, --timeout, --depth), try the other engine, or "
     "make the model smaller; --allow-unknown lets such properties pass the gate."),
)

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def rule_of(prop: dict[str, Any]) -> str:
    """The rule id a gated property (a `gated[].properties` entry) is
    reported under (see the module's docstring)."""
    if prop["outcome"] == "unknown" or prop["change"] == "unknown":
        return UNKNOWN
    if prop["change"] == "newly broken":
        return NEWLY_BROKEN
    unmet = any(r.startswith("expected ") for r in prop.get("reasons") or ()) or \
        (prop.get("expected") is not None and prop["after"] != prop["expected"])
    if unmet:
        return UNMET_EXPECTATION
    if prop["change"] == "still broken":
        return STILL_BROKEN
    if prop["change"] == "broken":
        return BROKEN
    return UNMET_EXPECTATION if prop.get("expected") is not None else BROKEN


def reported(prop: dict[str, Any], failed: bool) -> bool:
    """Whether a gated property gets a SARIF result: broken after the
    change, or not passing the gate."""
    return failed or prop["outcome"] != "pass" or prop["change"] in ("newly broken", "still broken", "broken")


def level_of(prop: dict[str, Any]) -> str:
    """`error` for a property that fails the gate, `warning` for unknown,
    `note` for one that passes it."""
    if prop["outcome"] == "fail":
        return "error"
    return "note" if prop["outcome"] == "pass" else "warning"


def uri_of(path: str) -> tuple[str, str | None]:
    """A file path as given (relative to where pinmc ran, or absolute) as
    an artifact URI and its uriBaseId: a relative path stays relative
    (percent-encoded where a URI needs it) with base `%SRCROOT%`; an
    absolute one becomes a `file://` URI without a base."""
    p = path.replace("\\", "/")
    if p.startswith("/"):
        return "file://" + quote(posixpath.normpath(p), safe="/"), None
    if _WINDOWS_DRIVE.match(path):
        return "file:///" + quote(p, safe="/:"), None
    return quote(p, safe="/"), SRCROOT


def title(entry: dict[str, Any]) -> str:
    """`spec` or `spec + proposal`."""
    return entry["spec"] + (f" + {entry['proposal']}" if entry.get("proposal") else "")


def fingerprint(entry: dict[str, Any], prop: dict[str, Any], rule: str) -> str:
    """A stable hash of spec, proposal, property and rule: the same finding
    in another run (or another checkout) has the same fingerprint."""
    key = "\0".join([entry["spec"], entry.get("proposal") or "", prop["name"], rule])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def message(entry: dict[str, Any], prop: dict[str, Any], rule: str) -> str:
    """The result's text: what happened, before -> after, the gate's
    outcome and its reasons."""
    who = f"{prop['name']} ({prop['kind']}) of spec {entry['spec']}"
    if entry.get("proposal"):
        who += f" with proposal {entry['proposal']}"
    what = {NEWLY_BROKEN: "is newly broken", STILL_BROKEN: "is still broken", BROKEN: "is broken",
            UNKNOWN: "is undecided" if prop["after"] == "unknown" else "may be newly broken",
            UNMET_EXPECTATION: f"is {prop['after']}, not {prop['expected']} as expected"
            if prop.get("expected") is not None else "fails the gate"}[rule]
    before = prop["before"] if prop["before"] is not None else "(nothing to compare with)"
    text = f"{who} {what}: {before} -> {prop['after']} ({prop['change']})."
    reasons = "; ".join(prop.get("reasons") or ())
    text += f" Gate: {prop['outcome']}" + (f" ({reasons})." if reasons else ".")
    if prop.get("expected") is not None and rule != UNMET_EXPECTATION and "expected " not in reasons:
        text += f" Expected: {prop['expected']}."
    return text


class _Artifacts:
    """The run's artifacts, one per distinct URI, collected as results
    refer to them; `finish` sorts them by URI and sets the index of every
    artifactLocation handed out."""

    def __init__(self) -> None:
        self.uris: dict[tuple[str, str | None], bool] = {}  # (uri, uriBaseId) -> analysis target
        self.locations: list[tuple[dict[str, Any], tuple[str, str | None]]] = []

    def add(self, path: str, target: bool = False) -> tuple[str, str | None]:
        """Refer to `path` (`target`: a spec or proposal file); its key."""
        key = uri_of(path)
        self.uris[key] = self.uris.get(key, False) or target
        return key

    def location(self, path: str) -> dict[str, Any]:
        """An artifactLocation for `path`, its index set by `finish`."""
        key = self.add(path)
        loc = _artifact_location(key)
        loc["index"] = -1
        self.locations.append((loc, key))
        return loc

    def finish(self) -> list[dict[str, Any]]:
        """The `artifacts` array, sorted by URI."""
        order = sorted(self.uris, key=lambda k: (k[0], k[1] or ""))
        index = {k: n for n, k in enumerate(order)}
        for loc, key in self.locations:
            loc["index"] = index[key]
        out = []
        for key in order:
            art: dict[str, Any] = {"location": _artifact_location(key)}
            if self.uris[key]:
                art["roles"] = ["analysisTarget"]
            out.append(art)
        return out


def _artifact_location(key: tuple[str, str | None]) -> dict[str, Any]:
    loc: dict[str, Any] = {"uri": key[0]}
    if key[1] is not None:
        loc["uriBaseId"] = key[1]
    return loc


def _physical(arts: _Artifacts, path: str, line: int | None, column: int | None = None) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": arts.location(path)}
    if line is not None and line >= 1:
        region: dict[str, Any] = {"startLine": line}
        if column is not None and column >= 1:
            region["startColumn"] = column
        phys["region"] = region
    return phys


def _state(values: dict[str, Any] | None) -> dict[str, Any]:
    return {n: {"text": show_json(v)} for n, v in (values or {}).items() if not n.endswith(".pc")}


def code_flow(arts: _Artifacts, prop: dict[str, Any]) -> dict[str, Any] | None:
    """A property's trace (a result `properties` entry) as a codeFlow:
    one threadFlow, a location per step in order (`executionOrder` = the
    step's index), the last one also saying what breaks; None without a
    trace or without steps."""
    trace = prop.get("trace")
    if not trace or not trace.get("steps"):
        return None
    steps = trace["steps"]
    bad = [t.strip() for t in violation_lines(prop)]
    tail = bad[0] + (f" ({bad[1]})" if len(bad) > 1 else "") if bad else ""
    locations = []
    for n, s in enumerate(steps, 1):
        number = int(s.get("index", n))
        text = f"{number}. {step_name(s)}: {step_change(s)}"
        if n == len(steps) and tail:
            text += f"; {tail}"
        loc: dict[str, Any] = {}
        if s.get("file"):
            loc["physicalLocation"] = _physical(arts, s["file"], s.get("line"))
        loc["message"] = {"text": text}
        tfl: dict[str, Any] = {"location": loc, "executionOrder": number}
        if s.get("state"):
            tfl["state"] = _state(s["state"])
        if n == len(steps) and trace.get("violation") is not None and prop["kind"] != "reachable":
            tfl["kinds"] = ["danger"]
        locations.append(tfl)
    flow: dict[str, Any] = {"locations": locations}
    initial = _state(trace.get("initial"))
    if initial:
        flow["initialState"] = initial
    return {"message": {"text": trace_title(prop).rstrip(":")}, "threadFlows": [flow]}


def sarif(doc: dict[str, Any]) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a gate document `doc` (`pinmc.gate/1`), as
    a JSON-ready dict (dump it with `json.dumps`).  Lists only the rules
    its results use, in the fixed order of `RULES`; results in the order
    of `doc["gated"]` and of each entry's properties.  Does not modify
    `doc`."""
    arts = _Artifacts()
    found: list[tuple[str, dict[str, Any]]] = []
    results = doc.get("results") or []
    for entry in doc.get("gated") or []:
        after = results[entry["after"]] if entry.get("after") is not None else None
        props = {p["name"]: p for p in (after or {}).get("properties") or ()}
        for prop in entry.get("properties") or ():
            full = props.get(prop["name"])
            failed = bool(full and full.get("failed"))
            if not reported(prop, failed):
                continue
            rule = rule_of(prop)
            where = (full or {}).get("location")
            if where and where.get("file"):
                phys = _physical(arts, where["file"], where.get("line"), where.get("column"))
            else:
                phys = _physical(arts, entry["spec_file"], 1)
            arts.add(entry["spec_file"], target=True)
            if entry.get("proposal_file"):
                arts.add(entry["proposal_file"], target=True)
            res: dict[str, Any] = {
                "ruleId": rule,
                "ruleIndex": -1,
                "level": level_of(prop),
                "message": {"text": message(entry, prop, rule)},
                "locations": [{"physicalLocation": phys,
                               "logicalLocations": [{"name": prop["name"], "kind": "property",
                                                     "fullyQualifiedName": f"{title(entry)}::{prop['name']}"}]}],
                "partialFingerprints": {FINGERPRINT: fingerprint(entry, prop, rule)},
            }
            flow = code_flow(arts, full) if full else None
            if flow is not None:
                res["codeFlows"] = [flow]
            res["properties"] = {
                "spec": entry["spec"], "spec_file": entry["spec_file"],
                "proposal": entry.get("proposal"), "proposal_file": entry.get("proposal_file"),
                "property": prop["name"], "kind": prop["kind"],
                "before": prop["before"], "after": prop["after"], "change": prop["change"],
                "expected": prop.get("expected"), "expected_file": prop.get("expected_file"),
                "outcome": prop["outcome"], "reasons": list(prop.get("reasons") or ()),
                "before_from": entry.get("before_from"), "after_from": entry.get("after_from"),
            }
            found.append((rule, res))
    used = [r for r in RULES if any(rule == r[0] for rule, _ in found)]
    index = {r[0]: k for k, r in enumerate(used)}
    for rule, res in found:
        res["ruleIndex"] = index[rule]
    driver: dict[str, Any] = {
        "name": "pinmc",
        "version": str(doc.get("pinmc", "")),
        "rules": [{
            "id": rid, "name": name,
            "shortDescription": {"text": short}, "fullDescription": {"text": full},
            "help": {"text": help_text},
            "defaultConfiguration": {"level": level},
        } for rid, name, level, short, full, help_text in used],
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": doc.get("exit") in (0, 1, 3),
                         "exitCode": int(doc.get("exit", 0))}],
        "artifacts": arts.finish(),
        "results": [res for _, res in found],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "schema": doc.get("schema"), "outcome": doc.get("outcome"), "engine": doc.get("engine"),
            "allow_unknown": bool(doc.get("allow_unknown")),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
