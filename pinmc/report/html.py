"""The HTML report: one self-contained page per run (and the gallery index).

Reads the JSON document (`pinmc.result/1`) and the SVG pictures already
drawn; inlines the SVG, so the page needs no other file and no network,
and has no script.  Deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from pinmc import __version__
from pinmc.report.dot import MARKS, headline, mark_of
from pinmc.report.values import show_json

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 80em; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.verdict-bad { color: #fff; background: #c62828; font-weight: bold; }
.verdict-good { color: #1b5e20; background: #e8f5e9; }
.verdict-unknown { color: #fff; background: #757575; }
.changed { background: #ffe08a; }
.muted { color: #666; }
.picture { overflow-x: auto; border: 1px solid #ddd; padding: 0.5em; background: #fff; }
.picture svg { max-width: 100%; height: auto; }
pre { background: #f6f8fa; padding: 0.5em; margin: 0.25em 0; overflow-x: auto; font-size: 0.85em; }
code { font-size: 0.9em; }
details > summary { cursor: pointer; }
nav a { margin-right: 1em; }
""".strip()


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an element for an HTML page: no XML prolog,
    doctype or comments, and its element ids prefixed with `prefix` (every
    Graphviz picture numbers its elements `graph0`, `node1` ...)."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    return svg.strip()


def verdict_class(prop: dict[str, Any]) -> str:
    if prop["verdict"] == "unknown":
        return "verdict-unknown"
    return "verdict-bad" if prop["failed"] else "verdict-good"


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
            + "\n".join(body)
            + f"\n<p class=\"muted\">made by pinmc {escape(__version__)}</p>\n</body>\n</html>\n")


def result_title(result: dict[str, Any]) -> str:
    title = result["spec"]
    if result.get("proposal"):
        title += f" + {result['proposal']}"
    return title


def _properties(result: dict[str, Any]) -> list[str]:
    stats = result["stats"]
    explicit = result["engine"] == "explicit"
    out = ["<table class=\"properties\">",
           "<tr><th>property</th><th>kind</th><th>verdict</th><th>expected</th><th>engine</th>"
           "<th>states</th><th>time</th><th>note</th></tr>"]
    for p in result["properties"]:
        expected = "" if p["expected"] is None else (
            p["expected"] + (" \u2714" if p["as_expected"] else " \u2718"))
        states = f"{stats['states']:,}" if explicit else "\u2014"
        seconds = stats.get("seconds")
        time = "\u2014" if seconds is None else f"{seconds:.2f} s"
        out.append(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['kind'])}</td>"
                   f"<td class=\"{verdict_class(p)}\">{escape(p['verdict'])}</td><td>{escape(expected)}</td>"
                   f"<td>{escape(p['engine'])}</td><td>{states}</td><td>{time}</td>"
                   f"<td>{escape(p['note'])}</td></tr>")
    out.append("</table>")
    return out


def _steps_table(prop: dict[str, Any]) -> list[str]:
    trace = prop["trace"]
    out = ["<table class=\"steps\">",
           "<tr><th>#</th><th>step</th><th>changed</th><th>source</th></tr>"]
    initial = ", ".join(f"{k} = {show_json(v)}" for k, v in trace["initial"].items() if not k.endswith(".pc"))
    out.append(f"<tr><td>0</td><td><i>initial state</i></td><td>{escape(initial)}</td><td></td></tr>")
    for s in trace["steps"]:
        name = f"<code>{escape(s['move'])}</code>"
        if s["branch"]:
            name += f" [{escape(s['branch'])}]"
        if s["comment"]:
            name += f"<br><span class=\"muted\">{escape(s['comment'])}</span>"
        if s["fails"]:
            changed = "<b>its check fails</b>"
        elif s["changes"]:
            changed = "<br>".join(f"<span class=\"changed\">{escape(k)}</span>: {escape(a)} \u2192 <b>{escape(b)}</b>"
                                  for k, (a, b) in s["changes"].items())
        else:
            changed = "<span class=\"muted\">(no change)</span>"
        where = f"{s['file']}:{s['line']}" if s.get("file") else ""
        source = (f"<details><summary>{escape(where)}</summary><pre>{escape(s['source'])}</pre></details>"
                  if s.get("source") else escape(where))
        out.append(f"<tr><td>{s['index']}</td><td>{name}</td><td>{changed}</td><td>{source}</td></tr>")
    out.append("</table>")
    bad = trace["violation"]
    if bad:
        colour = MARKS[mark_of(prop)][0]
        values = ", ".join(f"{k} = {v}" for k, v in bad["values"].items())
        out.append(f"<p style=\"color: {colour}\"><b>{escape(bad['property'])}</b>: "
                   f"<code>{escape(bad['text'])}</code>" + (f" with {escape(values)}" if values else "") + "</p>")
    return out


def _picture(svg: str | None, dot: str, files: dict[str, str], missing: str, prefix: str) -> list[str]:
    links = " ".join(f"<a href=\"{escape(path)}\">{escape(fmt)}</a>" for fmt, path in files.items())
    out = [f"<p class=\"muted\">files: {links}</p>"] if links else []
    if svg is not None:
        out.append(f"<div class=\"picture\">{inline_svg(svg, prefix)}</div>")
    else:
        out.append(f"<p class=\"muted\">{escape(missing)}</p>")
        out.append(f"<details><summary>DOT source</summary><pre>{escape(dot)}</pre></details>")
    return out


def report(doc: dict[str, Any], pictures: dict[tuple[int, str], Any], missing: str,
           intro: tuple[str, ...] = (), title: str | None = None) -> str:
    """The page for a whole JSON document.  `pictures[(result index, key)]`
    is a `Picture` (key: a property name, or "" for the state graph);
    `intro` is HTML put before the results (the gate's table), which are
    anchored `result-K`."""
    results = doc["results"]
    title = title or "pinmc report: " + ", ".join(result_title(r) for r in results)
    body = [f"<h1>{escape(title)}</h1>", *intro]
    if len(results) > 1:
        body.append("<nav>" + "".join(f"<a href=\"#result-{k}\">{escape(result_title(r))}</a>"
                                      for k, r in enumerate(results)) + "</nav>")
    for k, r in enumerate(results):
        body.append(f"<h2 id=\"result-{k}\">spec {escape(r['spec'])}"
                    + (f" with proposal {escape(r['proposal'])}" if r.get("proposal") else "") + "</h2>")
        if r.get("description"):
            body.append(f"<p><i>{escape(r['description'])}</i></p>")
        files = escape(r["file"]) + (f" + {escape(r['proposal_file'])}" if r.get("proposal_file") else "")
        stats = r["stats"]
        if r["engine"] == "explicit":
            extent = "complete" if stats["complete"] else f"incomplete ({stats['limit']})"
            how = (f"explicit search: {stats['states']:,} states, {stats['transitions']:,} transitions, "
                   f"depth {stats['depth']}, {extent}")
        else:
            how = "symbolic (z3), for every value of the machine integers"
        consts = ", ".join(f"{n} = {v}" for n, v in r["constants"].items())
        body.append(f"<p>{files} &middot; {escape(how)}" + (f" &middot; {escape(consts)}" if consts else "") + "</p>")
        body += _properties(r)
        for p in r["properties"]:
            if p["trace"] is None:
                continue
            body.append(f"<h3>{escape(headline(r, p))}</h3>")
            pic = pictures.get((k, p["name"]))
            if pic is not None:
                body += _picture(pic.svg, pic.dot, pic.files, missing, f"r{k}-{p['name']}-")
            body += _steps_table(p)
        sg = r.get("state_graph")
        if sg is not None:
            body.append("<h3>state graph</h3>")
            pic = pictures.get((k, ""))
            if "omitted" in sg:
                body.append(f"<p class=\"muted\">not drawn: {escape(sg['omitted'])}</p>")
            elif pic is not None:
                body.append("<p class=\"muted\">double circle: initial state; red: a property fails there; "
                            "octagon: deadlock; bold edges: the traces above. Hover over a state for its values.</p>")
                body += _picture(pic.svg, pic.dot, pic.files, missing, f"r{k}-states-")
    return _page(title, body)


def index(entries: list[dict[str, Any]]) -> str:
    """The gallery's index page.  Each entry: `title`, `href` (its report),
    `description`, `properties` (JSON property entries) and `pictures`
    (list of (caption, svg path))."""
    body = ["<h1>pinmc gallery</h1>",
            "<p>Every spec and proposal, with its verdicts and pictures; regenerate with "
            "<code>pinmc report specs/ -o reports/</code>.</p>",
            "<table class=\"index\">",
            "<tr><th>spec</th><th>verdicts</th><th>pictures</th></tr>"]
    for e in entries:
        verdicts = "<br>".join(
            f"<code>{escape(p['name'])}</code> <span class=\"{verdict_class(p)}\">{escape(p['verdict'])}</span>"
            + ("" if p["as_expected"] in (None, True) else f" (expected {escape(p['expected'])})")
            for p in e["properties"])
        pics = "<br>".join(f"<a href=\"{escape(path)}\">{escape(caption)}</a>" for caption, path in e["pictures"])
        desc = f"<br><span class=\"muted\">{escape(e['description'])}</span>" if e.get("description") else ""
        body.append(f"<tr><td><a href=\"{escape(e['href'])}\">{escape(e['title'])}</a>{desc}</td>"
                    f"<td>{verdicts}</td><td>{pics}</td></tr>")
    body.append("</table>")
    return _page("pinmc gallery", body)
