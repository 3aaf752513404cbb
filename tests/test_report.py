"""Pictures and reports: the SVG says what the trace says, the HTML report
is self-contained and deterministic, `pinmc render` redraws a saved result."""

from __future__ import annotations

import html
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from pinmc.cli import main
from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.report import dot
from pinmc.report.bundle import write_report
from pinmc.report.draw import Renderer, find_renderer
from pinmc.report.graph import build
from pinmc.report.json import document, result_json
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SVG = "{http://www.w3.org/2000/svg}"
LPC = str(SPECS / "lpc2018_writeback.pin")

needs_renderer = pytest.mark.skipif(not find_renderer().available, reason="no Graphviz renderer")


@dataclass
class Node:
    """A Graphviz node or cluster as the SVG has it."""

    title: str
    classes: set[str]
    texts: list[str]  # in document order
    highlighted: list[str]  # texts drawn on a highlighted (changed-field) cell
    x: float
    y: float


def _xy(g: ET.Element) -> tuple[float, float]:
    for el in g.iter():
        if el.tag == SVG + "text":
            return float(el.get("x", 0)), float(el.get("y", 0))
    for el in g.iter():
        if el.tag in (SVG + "polygon", SVG + "ellipse", SVG + "path") and el.get("points"):
            x, y = el.get("points", "0,0").split()[0].split(",")
            return float(x), float(y)
    return 0.0, 0.0


def svg_elements(path: Path) -> list[Node]:
    """Every node and cluster of a Graphviz SVG, in document order."""
    root = ET.parse(path).getroot()
    out = []
    for g in root.iter(SVG + "g"):
        classes = set((g.get("class") or "").split())
        if not classes & {"node", "cluster"}:
            continue
        title = g.findtext(SVG + "title") or ""
        texts, highlighted, boxes = [], [], []
        for el in g.iter():
            if el.tag == SVG + "polygon" and el.get("fill") == dot.HIGHLIGHT:
                pts = [tuple(map(float, p.split(","))) for p in el.get("points", "").split()]
                boxes.append((min(p[0] for p in pts), max(p[0] for p in pts),
                              min(p[1] for p in pts), max(p[1] for p in pts)))
            elif el.tag == SVG + "text":
                texts.append(el.text or "")
                x, y = float(el.get("x", 0)), float(el.get("y", 0))
                if any(x0 <= x <= x1 and y0 <= y <= y1 for x0, x1, y0, y1 in boxes):
                    highlighted.append(el.text or "")
        out.append(Node(title, classes, texts, highlighted, *_xy(g)))
    return out


def spec(tmp_path: Path, text: str, name: str = "t.pin") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def report(tmp_path: Path, spec_path: str, *extra: str) -> Path:
    out = tmp_path / "out"
    main(["check", spec_path, "--no-time", "--report", str(out), *extra])
    return out


# --- the LPC 2018 story, as the issue tells it -------------------------------------------------

@needs_renderer
def test_lpc2018_swimlanes_tell_the_story(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", LPC, "--report", str(out)]) == 1
    assert f"report: {out / 'report.html'}" in capsys.readouterr().err
    svg = out / "lpc2018_writeback.flusher.writeback.svg"
    assert (out / "lpc2018_writeback.flusher.writeback.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    els = svg_elements(svg)

    lanes = sorted((n for n in els if "lane" in n.classes), key=lambda n: n.x)
    assert [n.texts for n in lanes] == [["dio"], ["kswapd"], ["flusher"]]  # in the order they first act

    steps = sorted((n for n in els if "step" in n.classes), key=lambda n: n.y)
    assert [n.texts[0] for n in steps] == ["1. dio.fault", "2. kswapd.reclaim", "3. dio.complete",
                                           "4. flusher.writeback"]
    # each step sits in its actor's lane, and carries its source line and first comment
    lane_x = {n.texts[0]: n.x for n in lanes}
    for s, lane in zip(steps, ["dio", "kswapd", "dio", "flusher"]):
        assert min(lane_x.items(), key=lambda kv: abs(kv[1] - s.x) if kv[1] <= s.x else 1e9)[0] == lane
    assert steps[0].texts[1] == "lpc2018_writeback.pin:25"
    assert steps[1].texts[1:3] == ["lpc2018_writeback.pin:42", "shrink_page_list()"]
    assert steps[3].classes == {"node", "step", "failing"}
    assert steps[3].texts[-1] == "\u2717 assert fails"

    states = {n.title: n for n in els if "state" in n.classes}
    assert sorted(states) == [f"state_{r}" for r in range(5)]
    assert states["state_0"].texts[:2] == ["initial state", "X"] and not states["state_0"].highlighted
    # reclaim unmaps, cleans and strips the buffers while dio holds its reference
    assert states["state_2"].highlighted[::3] == ["refcount", "mapped", "dirty", "buffers"]
    assert states["state_3"].highlighted[::3] == ["refcount", "dirty"]  # completion redirties it

    bad = states["state_4"]
    assert bad.classes == {"node", "state", "violation"}
    assert bad.texts[:4] == ["\u2717 assert flusher.writeback fails",
                             "ext4_writepage: BUG_ON(!page_has_buffers(page))",
                             "with X.buffers = false", "state when step 4 runs"]
    fields = dict(zip(bad.texts[5::2], bad.texts[6::2]))
    assert fields == {"refcount": "1", "mapped": "false", "dirty": "true", "buffers": "false", "cached": "true"}
    assert [n for n in els if "violation" in n.classes] == [bad]


@needs_renderer
def test_lpc2018_state_graph(tmp_path):
    out = report(tmp_path, LPC)
    doc = json.loads((out / "result.json").read_text())
    sg = doc["results"][0]["state_graph"]
    assert (len(sg["nodes"]), len(sg["edges"])) == (9, 13)  # the explicit engine's 9 states
    assert sg["paths"] == {"kswapd.reclaim": [0, 1, 4, 8], "flusher.writeback": [0, 1, 4, 8]}
    assert sg["sccs"] == []
    els = svg_elements(out / "lpc2018_writeback.state-graph.svg")
    nodes = {n.title: n for n in els if "node" in n.classes}
    assert len(nodes) == 9
    assert nodes["s0"].classes == {"node", "state", "initial"}
    violating = sorted(t for t, n in nodes.items() if "violating" in n.classes)
    assert violating == sorted(f"s{n['id']}" for n in sg["nodes"] if n["fails"] or n["violates"])
    assert "flusher.writeback: flusher.writeback" in sg["nodes"][8]["fails"]
    root = ET.parse(out / "lpc2018_writeback.state-graph.svg").getroot()
    path_edges = [g.findtext(SVG + "title") for g in root.iter(SVG + "g") if "path" in (g.get("class") or "")]
    assert path_edges == ["s0&#45;&gt;s1", "s1&#45;&gt;s4", "s4&#45;&gt;s8"] or \
        path_edges == ["s0->s1", "s1->s4", "s4->s8"]


# --- marks for witnesses and deadlocks, SCCs ------------------------------------------------

DEADLOCK = """
    spec dl "a thread waits for a flag nobody sets"
    var flag: bool = false
    var x: 0..3 = 0
    thread t { a: { x = 1 }  w: when flag { x = 2 } }
    """

CYCLE = """
    spec cyc
    var b: bool = false
    var n: 0..2 = 0
    daemon d { flip: { b = not b } }
    thread t { inc: { n = 1 } }
    reachable both: b and n == 1
    """


@needs_renderer
def test_deadlock_is_marked(tmp_path):
    out = report(tmp_path, spec(tmp_path, DEADLOCK))
    els = svg_elements(out / "t.deadlock.svg")
    marked = [n for n in els if "deadlock" in n.classes]
    assert len(marked) == 1
    assert marked[0].texts[:2] == ["\u29b8 deadlock: no step of any actor is enabled", "waiting: t@w"]
    graph = svg_elements(out / "t.state-graph.svg")
    assert [n.title for n in graph if "deadlock" in n.classes] == ["s1"]


@needs_renderer
def test_witness_is_marked_and_sccs_grouped(tmp_path):
    out = report(tmp_path, spec(tmp_path, CYCLE))
    els = svg_elements(out / "t.both.svg")
    marked = [n for n in els if "witness" in n.classes]
    assert len(marked) == 1 and not any("violation" in n.classes for n in els)
    assert marked[0].texts[:3] == ["\u25ce reached: both", "b and n == 1", "with b = true, n = 1"]
    steps = sorted((n for n in els if "step" in n.classes), key=lambda n: n.y)
    assert [s.texts[0] for s in steps] == ["1. d.flip", "2. t.inc"]
    graph = svg_elements(out / "t.state-graph.svg")
    sccs = [n for n in graph if "scc" in n.classes]
    assert [n.texts for n in sccs] == [["SCC 1 (2 states)"], ["SCC 2 (2 states)"]]
    assert sorted(n.title for n in graph if "reaching" in n.classes) == ["s3"]


def test_graph_limit_omits_large_graphs(tmp_path, capsys):
    path = str(SPECS / "lpc2018_writeback.pin")
    out = report(tmp_path, path, "--graph-limit", "5")
    doc = json.loads((out / "result.json").read_text())
    assert doc["results"][0]["state_graph"] == {
        "omitted": "9 states, more than the limit of 5 (raise it with --graph-limit)", "limit": 5}
    assert not list(out.glob("*.state-graph.*"))
    assert "not drawn: 9 states, more than the limit of 5" in (out / "report.html").read_text()


def test_state_graph_counts_match_the_engine(tmp_path):
    for name in ["release_mismatch", "fork_pinned_cow", "swap_pinned_anon"]:
        system = compile_spec(str(SPECS / f"{name}.pin"))
        result = check(system)
        sg = build(system, result)
        assert len(sg["nodes"]) == result.stats.states
        assert sum(len(e["moves"]) for e in sg["edges"]) <= result.stats.transitions
        full = check(system, Options(build_graph=True)).graph
        assert len(sg["edges"]) == full.number_of_edges()


# --- the HTML report, render, determinism --------------------------------------------------

@needs_renderer
def test_html_report_is_self_contained(tmp_path):
    out = report(tmp_path, LPC)
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3  # two counterexamples and the state graph
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/", "")
    assert not re.search(r'(src|href)="(?!#)[a-z]+://', page)
    assert "ext4 BUG: writeback of a page whose buffers were released under a GUP reference" in page
    # the property table and the step table with each step's source
    assert '<td><code>flusher.writeback</code></td><td>assert</td><td class="verdict-bad">violated</td>' in page
    assert "<pre>    complete: {" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # inlined pictures do not clash


@needs_renderer
def test_report_is_deterministic_and_render_redraws_it(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["check", LPC, "--no-time", "--report", str(a)]) == 1
    assert main(["check", LPC, "--no-time", "--report", str(b)]) == 1
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    c = tmp_path / "c"
    assert main(["render", str(a / "result.json"), "-o", str(c)]) == 0
    for f in files:
        assert (a / f).read_bytes() == (c / f).read_bytes(), f


@needs_renderer
def test_render_a_json_output(tmp_path, capsys):
    main(["check", LPC, "--no-time", "--format", "json"])
    saved = tmp_path / "r.json"
    saved.write_text(capsys.readouterr().out)
    assert main(["render", str(saved), "-o", str(tmp_path / "o")]) == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == sorted(["result.json", "report.html"] + [
        f"lpc2018_writeback.{p}.{ext}" for p in ("kswapd.reclaim", "flusher.writeback")
        for ext in ("dot", "svg", "png")])  # no state graph: --format json has none


def test_render_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert main(["render", str(bad), "-o", str(tmp_path / "o")]) == 2
    assert "bad.json: not JSON" in capsys.readouterr().err
    bad.write_text('{"schema": "other/1"}')
    assert main(["render", str(bad), "-o", str(tmp_path / "o")]) == 2
    assert 'not a pinmc result (expected "schema": "pinmc.result/1")' in capsys.readouterr().err
    assert main(["render", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o")]) == 2
    assert "nope.json: cannot read" in capsys.readouterr().err


def test_report_into_a_file_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a directory")
    assert main(["check", LPC, "--report", str(blocker)]) == 2
    assert f"pinmc: cannot write the report into {blocker}: File exists" in capsys.readouterr().err


def test_without_a_renderer_the_dot_files_are_written(tmp_path):
    system = compile_spec(LPC)
    result = check(system)
    doc = document([result_json(system, result, LPC, None, False, build(system, result))], 1)
    why = "pictures not drawn: neither pygraphviz nor Graphviz's `dot` program is available"
    written = write_report(doc, tmp_path, Renderer("none", why))
    assert written.notes == [why]
    assert sorted(written.files) == sorted(["result.json", "report.html", "lpc2018_writeback.kswapd.reclaim.dot",
                                            "lpc2018_writeback.flusher.writeback.dot",
                                            "lpc2018_writeback.state-graph.dot"])
    page = (tmp_path / "report.html").read_text()
    assert html.escape(why) in page and "<svg" not in page and "digraph trace {" in page


def test_prove_report(tmp_path):
    out = tmp_path / "out"
    assert main(["prove", str(SPECS / "pin_bias_bulk.pin"), "--no-time", "--report", str(out)]) == 1
    doc = json.loads((out / "result.json").read_text())
    r = doc["results"][0]
    assert r["engine"] == "prove"
    assert r["state_graph"]["omitted"].startswith("the explicit engine cannot explore this spec")
    assert (out / "pin_bias_bulk.no_false_negative.dot").exists()


LONG = """
    spec long
    var n: 0..60 = 0
    thread t { go: { n += 1; if n < 50 { goto go } } }
    reachable far: n == 50
    """


@needs_renderer
def test_long_traces_are_elided(tmp_path):
    out = report(tmp_path, spec(tmp_path, LONG))
    doc = json.loads((out / "result.json").read_text())
    assert doc["results"][0]["properties"][0]["trace"]["length"] == 50
    els = svg_elements(out / "t.far.svg")
    steps = sorted((n for n in els if "step" in n.classes), key=lambda n: n.y)
    assert len(steps) == dot.HEAD + dot.TAIL
    assert [s.texts[0] for s in steps][dot.HEAD - 1:dot.HEAD + 1] == [f"{dot.HEAD}. t.go", f"{50 - dot.TAIL + 1}. t.go"]
    elided = [n for n in els if "elided" in n.classes]
    assert len(elided) == 1
    assert elided[0].texts[0] == f"after step {50 - dot.TAIL} ({50 - dot.TAIL - dot.HEAD} steps not drawn)"
    assert elided[0].highlighted == ["n", f"{dot.HEAD} \u2192 ", f"{50 - dot.TAIL}"]
    assert "\u22ee" in [t for n in els if "time" in n.classes for t in n.texts]
    assert (out / "report.html").read_text().count("<code>t.go</code>") == 50  # the table keeps every step


def test_step_source_counts_lines_as_the_parser_does():
    """A form feed, a lone carriage return or a Unicode line separator in
    a comment above a step does not shift the step's source text."""
    from pinmc.report.json import step_source
    from pinmc.source import SourceFile, Span

    text = "// a\x0cb\r c\u2028d\nstep: when x > 0 {\r\n    x = 1\n}\nrest\n"
    span = Span(SourceFile("s.pin", text), 2, 1, 2, 5)
    assert step_source(span, 4) == "step: when x > 0 {\n    x = 1\n}"
    assert step_source(span, None) == "step: when x > 0 {"
