"""The gate document (`pinmc.gate/1`) as a JUnit XML report, for CI test
report views (Jenkins, GitLab, GitHub actions that read JUnit).

    <testsuites name="pinmc gate" tests= failures= errors=>
      <testsuite name="SPEC[ + PROPOSAL]" tests= failures= errors= skipped= file=SPEC_FILE>
        <properties>  spec, spec_file, proposal, proposal_file, before_from, after_from, outcome
        <testcase classname="SPEC[+PROPOSAL]" name="PROPERTY">   one per property
          <failure message="REASONS" type="CHANGE">   outcome fail
          <error message="REASONS" type="unknown">    outcome unknown (not --allow-unknown)
          <skipped message="REASONS">                 outcome unknown with --allow-unknown,
                                                      or a pass on an unknown verdict
          <system-out>                                outcome pass: before/after
      ...

The body of a failure, error or skip is the property's before/after lines,
then the trace of the after result (if any) as `tracetext.trace_lines`
writes it.  A pass has them in `<system-out>`, with the old counterexample
when the change fixed the property.

Valid against the Jenkins xUnit plugin's `junit-10.xsd` (the schema
pytest validates its own JUnit output against), which gives `testsuites`
no `skipped` attribute: the number of skipped test cases is on each
`testsuite` only.  The output depends only on the document: attributes in a
fixed order, no timestamps, no host names.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from pinmc.gate.tracetext import trace_lines

# Characters XML 1.0 does not allow (C0 controls other than tab, LF, CR;
# surrogates; U+FFFE, U+FFFF), replaced by U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def suite_name(entry: dict[str, Any]) -> str:
    """`spec` or `spec + proposal`."""
    return entry["spec"] + (f" + {entry['proposal']}" if entry.get("proposal") else "")


def class_name(entry: dict[str, Any]) -> str:
    """`spec` or `spec+proposal`: the test cases' classname."""
    return entry["spec"] + (f"+{entry['proposal']}" if entry.get("proposal") else "")


def verdict_of(prop: dict[str, Any], allow_unknown: bool) -> str:
    """What a gated property is as a test case: `failure`, `error`,
    `skipped` or `pass`.  Outcome fail is a failure; outcome unknown an
    error, or skipped when `allow_unknown`; a pass whose change is unknown
    (the gate let an undecided verdict through) is skipped too."""
    if prop["outcome"] == "fail":
        return "failure"
    if prop["outcome"] == "unknown":
        return "skipped" if allow_unknown else "error"
    if prop["outcome"] == "pass" and prop["change"] == "unknown":
        return "skipped"
    return "pass" if prop["outcome"] == "pass" else "error"


def facts(entry: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    """The before/after lines of a gated property."""
    before = prop["before"] if prop["before"] is not None else "-"
    before_from = entry.get("before_from")
    lines = [f"property: {prop['name']} ({prop['kind']})",
             f"spec: {entry['spec']} ({entry['spec_file']})"]
    if entry.get("proposal"):
        lines.append(f"proposal: {entry['proposal']} ({entry['proposal_file']})")
    lines.append(f"before: {before}" + (f" ({before_from})" if before_from else " (nothing to compare with)"))
    lines.append(f"after: {prop['after']}" + (f" ({entry['after_from']})" if entry.get("after_from") else ""))
    lines.append(f"change: {prop['change']}")
    if prop.get("expected") is not None:
        lines.append(f"expected: {prop['expected']}"
                     + (f" ({prop['expected_file']})" if prop.get("expected_file") else ""))
    lines.append(f"gate: {prop['outcome']}")
    if prop.get("reasons"):
        lines.append("reasons: " + "; ".join(prop["reasons"]))
    return lines


def _find(result: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    for p in (result or {}).get("properties") or ():
        if p["name"] == name:
            return p
    return None


def body(doc: dict[str, Any], entry: dict[str, Any], prop: dict[str, Any]) -> str:
    """The text inside a test case's failure, error, skipped or
    system-out: `facts`, the result's note for an undecided verdict, then
    the after trace (or, for a fixed property, the trace from before)."""
    results = doc.get("results") or []
    after = results[entry["after"]] if entry.get("after") is not None else None
    before = results[entry["before"]] if entry.get("before") is not None else None
    lines = facts(entry, prop)
    full = _find(after, prop["name"])
    if full is not None and full.get("note") and full.get("verdict") == "unknown":
        lines.append(f"note: {full['note']}")
    if full is not None and full.get("trace") is not None and after is not None:
        lines += [""] + trace_lines(after, full)
    elif prop["change"] == "fixed" and before is not None:
        old = _find(before, prop["name"])
        if old is not None and old.get("trace") is not None:
            lines += ["", "before the change:"] + trace_lines(before, old)
    return "\n".join(lines) + "\n"


def _message(prop: dict[str, Any]) -> str:
    return "; ".join(prop.get("reasons") or ()) or f"{prop['change']}: {prop['before'] or '-'} -> {prop['after']}"


def junit(doc: dict[str, Any]) -> str:
    """The JUnit XML report of a gate document `doc`: an XML declaration,
    then `<testsuites>` with a `<testsuite>` per gated entry and a
    `<testcase>` per property (see the module's docstring), indented by two
    spaces, ending in a newline.  Does not modify `doc`."""
    allow_unknown = bool(doc.get("allow_unknown"))
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    suites: list[ET.Element] = []
    for entry in doc.get("gated") or []:
        props = list(entry.get("properties") or ())
        kinds = [verdict_of(p, allow_unknown) for p in props]
        counts = {"tests": len(props), "failures": kinds.count("failure"),
                  "errors": kinds.count("error"), "skipped": kinds.count("skipped")}
        for k in totals:
            totals[k] += counts[k]
        suite = ET.Element("testsuite", {"name": _clean(suite_name(entry)),
                                         **{k: str(v) for k, v in counts.items()},
                                         "file": _clean(entry["spec_file"])})
        info = ET.SubElement(suite, "properties")
        for key in ("spec", "spec_file", "proposal", "proposal_file", "before_from", "after_from", "outcome"):
            if entry.get(key) is not None:
                ET.SubElement(info, "property", {"name": key, "value": _clean(str(entry[key]))})
        for prop, kind in zip(props, kinds):
            case = ET.SubElement(suite, "testcase", {"classname": _clean(class_name(entry)),
                                                     "name": _clean(prop["name"])})
            text = _clean(body(doc, entry, prop))
            if kind == "failure":
                el = ET.SubElement(case, "failure", {"message": _clean(_message(prop)), "type": prop["change"]})
            elif kind == "error":
                el = ET.SubElement(case, "error", {"message": _clean(_message(prop)), "type": "unknown"})
            elif kind == "skipped":
                el = ET.SubElement(case, "skipped", {"message": _clean(_message(prop))})
            else:
                el = ET.SubElement(case, "system-out")
            el.text = text
        suites.append(suite)
    root.attrib.update({"name": "pinmc gate", **{k: str(v) for k, v in totals.items()}})
    root.extend(suites)
    ET.indent(root, space="  ")
    return DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
