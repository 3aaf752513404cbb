"""Graphviz DOT for traces (swimlanes) and state graphs.

Everything here reads the JSON result (`report.json`, schema
`pinmc.result/1`), never the model, so `pinmc render RESULT.json` draws
exactly what `--report` drew.  The DOT text is built with the `graphviz`
package (quoting, subgraphs) and is deterministic: same result, same bytes.

A swimlane picture is a grid.  Row 0 is the initial state, row k the k-th
step; the columns are a time axis, one lane per actor instance (in the
order the actors first act) and a state column showing, after each step,
the pages and globals it changed with the changed fields highlighted.
Invisible edges hold the grid together; the visible ones are the lanes'
lifelines and the global time order of the steps.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePath
from typing import Any

import graphviz

from pinmc.report.values import show_json

HIGHLIGHT = "#ffe08a"  # a field the step changed
LANE_FILL = "#f6f8fb"
STEP_FILL = "#e8eef8"
STEP_LINE = "#4a6fa5"
MARKS = {  # verdict kind -> (line colour, fill, symbol, class)
    "violation": ("#c62828", "#fdecea", "\u2717", "violation"),
    "witness": ("#2e7d32", "#e8f5e9", "\u25ce", "witness"),
    "deadlock": ("#e65100", "#fff3e0", "\u29b8", "deadlock"),
}
FONT = "Helvetica"
# dot spends seconds placing edge labels (81 states and 432 labelled edges:
# 13 s, unlabelled 0.4 s): above this many edges the moves go into tooltips
EDGE_LABEL_LIMIT = 150
# a trace longer than MAX_DRAWN steps is drawn as its first HEAD and last
# TAIL steps (the table of the HTML report and the JSON keep every step)
MAX_DRAWN, HEAD, TAIL = 40, 10, 20


def mark_of(prop: dict[str, Any]) -> str:
    """How a traced property is marked: violation, witness or deadlock."""
    if prop["kind"] == "deadlock":
        return "deadlock"
    if prop["kind"] == "reachable":
        return "witness"
    return "violation"


def headline(result: dict[str, Any], prop: dict[str, Any]) -> str:
    """One line saying what the trace shows, e.g. `counterexample to invariant P`."""
    mark = mark_of(prop)
    n = prop["trace"]["length"]
    steps = f"{n} step" if n == 1 else f"{n} steps"
    if mark == "witness":
        what = f"witness: {prop['name']} is reachable"
    elif mark == "deadlock":
        what = "deadlock: no actor can move"
    else:
        what = f"counterexample to {prop['kind']} {prop['name']}"
    return f"{what} ({steps})"


def _spec_title(result: dict[str, Any]) -> str:
    title = f"spec {result['spec']}"
    if result.get("proposal"):
        title += f" with proposal {result['proposal']}"
    return title


def _groups(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The state variables by group (page, globals, actor locals), pcs left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for v in result["vars"]:
        if v["field"] != "pc":
            out.setdefault(v["group"], []).append(v)
    return out


def _group_title(group: str) -> str:
    return "globals" if group == "global" else group


def _lanes(trace: dict[str, Any]) -> list[str]:
    lanes: list[str] = []
    for s in trace["steps"]:
        if s["actor"] not in lanes:
            lanes.append(s["actor"])
    return lanes


def _state_table(result: dict[str, Any], title: str, state: dict[str, Any],
                 changes: dict[str, list[Any]], shown: list[str], read: dict[str, Any],
                 mark: str | None, banner: list[str]) -> str:
    """An HTML-like label: a banner (for the marked state), then each group
    in `shown` with all its fields; changed fields highlighted, fields
    the property reads in the mark's colour."""
    groups = _groups(result)
    colour = MARKS[mark][0] if mark else "#9e9e9e"
    rows = []
    if banner:
        fill = MARKS[mark][0] if mark else "#9e9e9e"
        rows.append(f'<tr><td colspan="2" bgcolor="{fill}" align="left">'
                    f'<font color="white"><b>{escape(banner[0])}</b></font></td></tr>')
        for line in banner[1:]:
            rows.append(f'<tr><td colspan="2" align="left" bgcolor="{MARKS[mark][1] if mark else "white"}">'
                        f'{escape(line)}</td></tr>')
    rows.append(f'<tr><td colspan="2" bgcolor="#eeeeee" align="left"><b>{escape(title)}</b></td></tr>')
    if not shown:
        rows.append('<tr><td colspan="2" align="left"><i>no page or global changed</i></td></tr>')
    for group in shown:
        rows.append(f'<tr><td colspan="2" align="left"><b>{escape(_group_title(group))}</b></td></tr>')
        for v in groups.get(group, []):
            name, fld = v["name"], v["field"]
            if name in changes:
                old, new = changes[name]
                value = f"{escape(show_json(old))} \u2192 <b>{escape(show_json(new))}</b>"
            else:
                value = escape(show_json(state[name]))
            if name in read:
                fld_cell = f'<font color="{colour}"><b>{escape(fld)}</b></font>'
                value = f'<font color="{colour}">{value}</font>'
            else:
                fld_cell = escape(fld)
            bg = f' bgcolor="{HIGHLIGHT}"' if name in changes else ""
            rows.append(f'<tr><td align="left"{bg}>{fld_cell}</td><td align="left"{bg}>{value}</td></tr>')
    border = f' color="{colour}" border="2"' if mark else ' color="#9e9e9e" border="1"'
    return (f'<<table{border} cellborder="0" cellspacing="0" cellpadding="2" bgcolor="white">'
            + "".join(rows) + "</table>>")


def _step_label(step: dict[str, Any], failing: str | None) -> str:
    lines = [f'<b>{step["index"]}. {escape(step["move"])}</b>']
    if step["branch"]:
        lines.append(f'<font point-size="9">[{escape(step["branch"])}]</font>')
    if step.get("line") is not None:
        where = f'{PurePath(step["file"]).name}:{step["line"]}' if step.get("file") else f'line {step["line"]}'
        lines.append(f'<font point-size="8" color="#555555">{escape(where)}</font>')
    if step.get("comment"):
        lines.append(f'<i>{escape(_shorten(step["comment"], 48))}</i>')
    if failing:
        lines.append(f'<font color="{MARKS["violation"][0]}"><b>{escape(_shorten(failing, 48))}</b></font>')
    return "<" + "<br/>".join(lines) + ">"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def drawn_rows(n: int) -> list[int | None]:
    """Which steps a picture of an n-step trace shows: 0 (the initial
    state) and every step, or for a trace longer than MAX_DRAWN steps the
    first HEAD and last TAIL steps with None (the elided middle) between."""
    if n <= MAX_DRAWN:
        return list(range(n + 1))
    return list(range(HEAD + 1)) + [None] + list(range(n - TAIL + 1, n + 1))


def swimlane(result: dict[str, Any], prop: dict[str, Any]) -> str:
    """The DOT source of one trace of `result` (a property entry with a
    `trace`), as swimlanes; see the module docstring for the layout."""
    trace = prop["trace"]
    steps = trace["steps"]
    lanes = _lanes(trace)
    mark = mark_of(prop)
    line, fill, symbol, cls = MARKS[mark]
    bad = trace["violation"]
    n = len(steps)
    rows = drawn_rows(n)
    last_row = len(rows) - 1

    g = graphviz.Digraph("trace", graph_attr={
        "newrank": "true", "rankdir": "TB", "nodesep": "0.3", "ranksep": "0.3", "fontname": FONT,
        "labelloc": "t", "labeljust": "l", "bgcolor": "white",
        "label": f"<<b>{escape(headline(result, prop))}</b><br/>"
                 f'<font point-size="10">{escape(_spec_title(result))}</font><br align="left"/>>'},
        node_attr={"fontname": FONT, "fontsize": "10"}, edge_attr={"fontname": FONT, "fontsize": "9"})

    def cell(col: str, row: int) -> str:
        return f"{col}_{row}"

    # the time axis
    for r, k in enumerate(rows):
        label = "start" if k == 0 else (str(k) if k is not None else "\u22ee")
        g.node(cell("time", r), label, shape="plaintext", fontcolor="#777777", **{"class": "time"})
    for r in range(last_row):
        g.edge(cell("time", r), cell("time", r + 1), color="#bbbbbb", arrowsize="0.6")

    # the lanes: a step node where its actor moves, an invisible point elsewhere
    at = {(s["actor"], s["index"]): s for s in steps}
    for k, actor in enumerate(lanes):
        with g.subgraph(name=f"cluster_lane_{k}") as c:
            c.attr(label=f"<<b>{escape(actor)}</b>>", style="rounded,filled", fillcolor=LANE_FILL,
                   color="#c5cfdc", fontsize="12", **{"class": "lane"})
            for r, i in enumerate(rows):
                s = at.get((actor, i)) if i is not None else None
                if s is None:
                    c.node(cell(f"lane{k}", r), "", shape="point", width="0.01", style="invis")
                    continue
                failing = None
                if s["fails"]:
                    failing = f"{symbol} assert fails" if mark == "violation" else None
                attrs = {"shape": "box", "style": "rounded,filled", "penwidth": "1.2",
                         "fillcolor": fill if s["fails"] else STEP_FILL,
                         "color": line if s["fails"] else STEP_LINE,
                         "class": "step failing" if s["fails"] else "step"}
                if s.get("source"):
                    attrs["tooltip"] = s["source"]
                c.node(cell(f"lane{k}", r), _step_label(s, failing), **attrs)
            for r in range(last_row):
                i, j = rows[r], rows[r + 1]
                same = i is not None and j is not None and (actor, i) in at and (actor, j) in at
                if not same:
                    c.edge(cell(f"lane{k}", r), cell(f"lane{k}", r + 1), style="dashed", color="#b0bccd",
                           arrowhead="none", weight="100")

    # the global time order of the steps (not across the elided middle)
    lane_of = {a: k for k, a in enumerate(lanes)}
    for r in range(1, last_row):
        i, j = rows[r], rows[r + 1]
        if i is None or j is None:
            continue
        a, b = steps[i - 1], steps[j - 1]
        g.edge(cell(f"lane{lane_of[a['actor']]}", r), cell(f"lane{lane_of[b['actor']]}", r + 1),
               color=STEP_LINE, penwidth="1.4", arrowsize="0.7",
               constraint="true" if a["actor"] == b["actor"] else "false", weight="100")

    # the state column
    state = dict(trace["initial"])
    groups = list(_groups(result))
    read = dict(bad["values"]) if bad else {}
    for r, i in enumerate(rows):
        last = r == last_row
        if i is None:  # the elided steps: what they changed, all together
            j = rows[r + 1]
            assert j is not None
            after = steps[j - 2]["state"]
            changes = {name: [show_json(state[name]), show_json(value)] for name, value in after.items()
                       if value != state[name] and not name.endswith(".pc")}
            title = f"after step {j - 1} ({j - 1 - rows[r - 1]} steps not drawn)"  # type: ignore[operator]
            s = None
        else:
            s = steps[i - 1] if i else None
            changes = s["changes"] if s else {}
            after = s["state"] if s and s["state"] is not None else state
            title = "initial state" if i == 0 else f"after step {i}"
        changed_groups = {v["group"] for v in result["vars"] if v["name"] in changes}
        banner: list[str] = []
        if last and bad:
            banner = _banner(prop, bad, symbol)
            read_groups = {v["group"] for v in result["vars"] if v["name"] in read}
            if s and s["fails"]:
                title = f"state when step {i} runs"
        else:
            read_groups = set()
        shown = [grp for grp in groups if i == 0 or grp in changed_groups or grp in read_groups]
        label = _state_table(result, title, after, changes, shown, read if last else {},
                             mark if last and bad else None, banner)
        classes = "state" + (f" {cls}" if last and bad else "") + (" elided" if i is None else "")
        g.node(cell("state", r), label, shape="plain", **{"class": classes})
        state = after
    for r in range(last_row):
        g.edge(cell("state", r), cell("state", r + 1), style="invis", weight="100")

    # rows and column order
    columns = ["time"] + [f"lane{k}" for k in range(len(lanes))] + ["state"]
    for r in range(len(rows)):
        with g.subgraph() as row:
            row.attr(rank="same")
            for col in columns:
                row.node(cell(col, r))
    for a, b in zip(columns, columns[1:]):
        g.edge(cell(a, 0), cell(b, 0), style="invis")
    return g.source


def _banner(prop: dict[str, Any], bad: dict[str, Any], symbol: str) -> list[str]:
    mark = mark_of(prop)
    if mark == "witness":
        head = f"{symbol} reached: {prop['name']}"
    elif mark == "deadlock":
        head = f"{symbol} deadlock: no step of any actor is enabled"
    elif prop["kind"] in ("assert", "range"):
        head = f"{symbol} {prop['kind']} {prop['name']} fails"
    else:
        head = f"{symbol} {prop['kind']} {prop['name']} violated"
    lines = [head]
    if mark != "deadlock":
        lines.append(bad["text"])
    if mark == "deadlock":  # the values are `actor@step: waiting`
        if bad["values"]:
            lines.append("waiting: " + ", ".join(bad["values"]))
    elif bad["values"]:
        lines.append("with " + ", ".join(f"{k} = {show_json(v)}" for k, v in bad["values"].items()))
    return lines


def state_graph(result: dict[str, Any]) -> str | None:
    """The DOT source of the result's state graph, or None when the
    result has none (omitted above the node limit, or not requested)."""
    sg = result.get("state_graph")
    if not sg or "nodes" not in sg:
        return None
    failing = {p["name"] for p in result["properties"] if p["failed"]}
    labelled = len(sg["edges"]) <= EDGE_LABEL_LIMIT
    g = graphviz.Digraph("states", graph_attr={
        "rankdir": "TB", "fontname": FONT, "labelloc": "t", "labeljust": "l", "nodesep": "0.25",
        "ranksep": "0.35", "bgcolor": "white",
        "label": f"<<b>state graph</b>: {len(sg['nodes'])} states, {len(sg['edges'])} edges"
                 + ("" if labelled else " (moves shown on hover)")
                 + f'<br/><font point-size="10">{escape(_spec_title(result))}</font><br align="left"/>>'},
        node_attr={"fontname": FONT, "fontsize": "9", "shape": "circle", "style": "filled",
                   "fillcolor": "white", "width": "0.35", "margin": "0.02"},
        edge_attr={"fontname": FONT, "fontsize": "8", "color": "#7a8aa0", "arrowsize": "0.6"})
    on_path: dict[tuple[int, int], str] = {}
    for name, path in sg["paths"].items():
        colour = MARKS["violation"][0] if name in failing else MARKS["witness"][0]
        for a, b in zip(path, path[1:]):
            on_path.setdefault((a, b), colour)
    in_scc = {n: k for k, comp in enumerate(sg["sccs"]) for n in comp}

    def add(target: Any, node: dict[str, Any]) -> None:
        attrs: dict[str, str] = {"tooltip": "\n".join(f"{k} = {show_json(v)}" for k, v in node["state"].items())}
        classes = ["state"]
        if node["initial"]:
            attrs.update(shape="doublecircle", fillcolor="#e3f2fd")
            classes.append("initial")
        if node["violates"] or node["fails"]:
            attrs.update(color=MARKS["violation"][0], fillcolor=MARKS["violation"][1], penwidth="2")
            classes.append("violating")
            attrs["tooltip"] += "\n" + "\n".join([f"violates {p}" for p in node["violates"]]
                                                 + [f"fails: {f}" for f in node["fails"]])
        elif node["reaches"]:
            attrs.update(color=MARKS["witness"][0], fillcolor=MARKS["witness"][1], penwidth="2")
            classes.append("reaching")
        if node["deadlock"]:
            attrs.update(shape="octagon", color=MARKS["deadlock"][0], fillcolor=MARKS["deadlock"][1],
                         penwidth="2")
            classes.append("deadlock")
        attrs["class"] = " ".join(classes)
        target.node(f"s{node['id']}", str(node["id"]), **attrs)

    nodes = {n["id"]: n for n in sg["nodes"]}
    for k, comp in enumerate(sg["sccs"]):
        with g.subgraph(name=f"cluster_scc_{k}") as c:
            c.attr(label=f"SCC {k + 1} ({len(comp)} states)", style="dashed,rounded", color="#9e9e9e",
                   fontsize="9", **{"class": "scc"})
            for n in comp:
                add(c, nodes[n])
    for node in sg["nodes"]:
        if node["id"] not in in_scc:
            add(g, node)
    for e in sg["edges"]:
        moves = "\n".join(e["moves"])
        attrs = {"label": moves} if labelled else {"tooltip": moves}
        colour = on_path.get((e["from"], e["to"]))
        if colour:
            attrs.update(color=colour, fontcolor=colour, penwidth="2.5")
            attrs["class"] = "path"
        g.edge(f"s{e['from']}", f"s{e['to']}", **attrs)
    return g.source
