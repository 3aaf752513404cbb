"""The gate's human-readable outputs: the text on stdout, `summary.md`
(for a pull-request comment or `$GITHUB_STEP_SUMMARY`) and the gate table
at the top of the HTML report.  All are read off the gate document."""

from __future__ import annotations

from html import escape
from typing import Any

from pinmc.gate.compare import FAIL, FIXED, NEWLY_BROKEN, STILL_BROKEN, UNKNOWN
from pinmc.gate.tracetext import trace_lines

ICON = {"pass": "\u2705", "fail": "\u274c", "unknown": "\u2754"}


def title(entry: dict[str, Any]) -> str:
    """`proposal P on spec S` or `spec S against its expect lines`."""
    if entry["proposal"] is not None:
        return f"proposal {entry['proposal']} on spec {entry['spec']}"
    return f"spec {entry['spec']}" + (" against the baseline and its expect lines"
                                     if entry["before"] is not None else " against its expect lines")


def counts(doc: dict[str, Any]) -> dict[str, int]:
    """How many properties of all gated pairs had each change, and how
    many failed the gate."""
    out = {c: 0 for c in (FIXED, NEWLY_BROKEN, STILL_BROKEN, UNKNOWN)}
    out["failing"] = 0
    for g in doc["gated"]:
        for p in g["properties"]:
            if p["change"] in out:
                out[p["change"]] += 1
            out["failing"] += p["outcome"] == FAIL
    return out


def headline(doc: dict[str, Any]) -> str:
    """One line: the outcome and the figures, e.g. `PASS: 1 pair, 4
    properties: 2 fixed, 0 newly broken, 0 still broken, 0 unknown`."""
    c = counts(doc)
    word = doc["outcome"].upper()
    if doc["outcome"] == UNKNOWN and doc["allow_unknown"]:
        word += " (allowed)"
    if doc.get("interrupted"):
        word += ", INTERRUPTED"
    n = len(doc["gated"])
    props = sum(len(g["properties"]) for g in doc["gated"])
    return (f"{word}: {n} pair{'s' if n != 1 else ''}, {props} properties: {c[FIXED]} fixed, "
            f"{c[NEWLY_BROKEN]} newly broken, {c[STILL_BROKEN]} still broken, {c[UNKNOWN]} unknown, "
            f"{c['failing']} failing the gate")


def _property_row(p: dict[str, Any]) -> list[str]:
    expected = p["expected"] or ""
    return [p["name"], p["before"] or "-", p["after"], p["change"], expected, p["outcome"],
            "; ".join(p["reasons"])]


def text(doc: dict[str, Any]) -> str:
    """The report printed on stdout: a table per gated pair, the trace of
    every property that fails the gate, then the headline and cache use."""
    lines: list[str] = []
    for g in doc["gated"]:
        files = g["spec_file"] + (f" + {g['proposal_file']}" if g["proposal_file"] else "")
        lines.append(f"gate {title(g)} ({files})")
        table = [["PROPERTY", "BEFORE", "AFTER", "CHANGE", "EXPECTED", "GATE", "WHY"]]
        table += [_property_row(p) for p in g["properties"]]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        where = f"after: {g['after_from']}"
        if g["before_from"] is not None:
            where = f"before: {g['before_from']}, " + where
        lines.append(f"  ({where})")
        after = doc["results"][g["after"]]
        props = {p["name"]: p for p in after["properties"]}
        for p in g["properties"]:
            full = props[p["name"]]
            if p["outcome"] == FAIL and full["trace"] is not None:
                lines.append(f"  {p['name']}: {'; '.join(p['reasons'])}")
                lines += ["    " + t for t in trace_lines(after, full)]
        lines.append(f"  => {g['outcome'].upper()}")
        lines.append("")
    lines.append(f"gate: {headline(doc)}")
    cache = doc["cache"]
    if cache["dir"] is not None:
        total = cache["hits"] + cache["misses"]
        lines.append(f"cache: {cache['hits']} of {total} result{'s' if total != 1 else ''} "
                     f"served from the cache ({cache['dir']})")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def summary(doc: dict[str, Any], links: dict[tuple[int, str], str], report: str | None) -> str:
    """`summary.md`: the headline, a table per gated pair, and links to
    the pictures (`links[(result index, property)]`, relative paths) and
    to the HTML report."""
    out = [f"## {ICON.get(doc['outcome'], '')} pinmc gate: {headline(doc)}", ""]
    for g in doc["gated"]:
        out.append(f"### {ICON[g['outcome']]} {title(g)}")
        out.append("")
        files = f"`{g['spec_file']}`" + (f" + `{g['proposal_file']}`" if g["proposal_file"] else "")
        out.append(files)
        out.append("")
        out.append("| property | before | after | change | expected | gate | pictures |")
        out.append("|---|---|---|---|---|---|---|")
        for p in g["properties"]:
            pics = []
            if (g["after"], p["name"]) in links:
                pics.append(f"[{'trace' if p['change'] != FIXED else 'now'}]({links[(g['after'], p['name'])]})")
            if g["before"] is not None and (g["before"], p["name"]) in links:
                pics.append(f"[before]({links[(g['before'], p['name'])]})")
            gate = f"{ICON[p['outcome']]} {p['outcome']}" + (f": {'; '.join(p['reasons'])}" if p["reasons"] else "")
            change = f"**{p['change']}**" if p["change"] in (FIXED, NEWLY_BROKEN) else p["change"]
            out.append(f"| `{_md(p['name'])}` | {p['before'] or '—'} | {p['after']} | {change} | "
                       f"{p['expected'] or ''} | {_md(gate)} | {' '.join(pics)} |")
        out.append("")
    if report is not None:
        out.append(f"The full report, with every trace as a picture and a table of steps: [{report}]({report})")
        out.append("")
    cache = doc["cache"]
    if cache["dir"] is not None and cache["hits"]:
        out.append(f"{cache['hits']} of {cache['hits'] + cache['misses']} results were served from the cache.")
        out.append("")
    out.append(f"<sub>pinmc {doc['pinmc']}, engine {doc['engine']}</sub>")
    return "\n".join(out) + "\n"


def html_intro(doc: dict[str, Any]) -> tuple[str, ...]:
    """The gate table for the top of the HTML report, linking each
    property to its result (`#result-K`)."""
    out = [f"<p><b>{escape(headline(doc))}</b></p>"]
    for g in doc["gated"]:
        out.append(f"<h2>{ICON[g['outcome']]} gate: {escape(title(g))}</h2>")
        out.append("<table class=\"gate\"><tr><th>property</th><th>before</th><th>after</th>"
                   "<th>change</th><th>expected</th><th>gate</th></tr>")
        for p in g["properties"]:
            before = (f"<a href=\"#result-{g['before']}\">{escape(p['before'])}</a>"
                      if p["before"] is not None else "\u2014")
            cls = {"pass": "verdict-good", "fail": "verdict-bad"}.get(p["outcome"], "verdict-unknown")
            why = escape("; ".join(p["reasons"]))
            out.append(f"<tr><td><code>{escape(p['name'])}</code></td><td>{before}</td>"
                       f"<td><a href=\"#result-{g['after']}\">{escape(p['after'])}</a></td>"
                       f"<td>{escape(p['change'])}</td><td>{escape(p['expected'] or '')}</td>"
                       f"<td class=\"{cls}\">{escape(p['outcome'])}{': ' + why if why else ''}</td></tr>")
        out.append("</table>")
    return tuple(out)
