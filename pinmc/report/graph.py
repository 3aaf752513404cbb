"""The state graph of a small spec, as JSON-ready data for the pictures.

Built from the explicit engine's networkx graph (`Options.build_graph`),
with each state annotated by the reference semantics: the invariants and
lemmas it violates, the reachable properties it satisfies, the moves whose
checks fail in it, and whether it is deadlocked.  Strongly connected
components with more than one state are listed (the pictures group them),
and the path of every trace of the result is given as state ids.

Graphs above a node limit are not built: Graphviz's dot needs seconds for
a few hundred nodes, and nobody reads a picture with thousands.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from pinmc.engines.base import EngineError, Options, Result
from pinmc.ir.eval import evaluate, successors
from pinmc.ir.system import System
from pinmc.report.values import state_json
from pinmc.trace import Trace

DEFAULT_LIMIT = 150
EDGES_PER_STATE = 6  # with the node limit, bounds the edges dot must place


def build(system: System, result: Result, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """The state graph of `system` as a dict (see docs/json.md,
    `state_graph`), or `{"omitted": why, ...}` when it has more than
    `limit` states or the explicit engine cannot explore it."""
    from pinmc.engines.explicit.bfs import check

    if result.engine == "explicit" and (result.stats.states > limit or not result.stats.complete):
        return _omitted(f"{result.stats.states:,} states, more than the limit of {limit} "
                        "(raise it with --graph-limit)", limit)
    try:
        explored = check(system, Options(max_states=limit + 1, build_graph=True))
    except EngineError as e:
        return _omitted(f"the explicit engine cannot explore this spec ({e.message})", limit)
    g = explored.graph
    assert isinstance(g, nx.DiGraph)
    if not explored.stats.complete or g.number_of_nodes() > limit:
        return _omitted(f"more than {limit} states (raise the limit with --graph-limit)", limit)
    if g.number_of_edges() > EDGES_PER_STATE * limit:
        return _omitted(f"{g.number_of_edges():,} edges, more than {EDGES_PER_STATE} per state of the "
                        f"limit of {limit} (raise it with --graph-limit)", limit)
    return annotate(system, g, [v.trace for v in result.verdicts if v.trace is not None],
                    [v.prop for v in result.verdicts if v.trace is not None], limit)


def _omitted(why: str, limit: int) -> dict[str, Any]:
    return {"omitted": why, "limit": limit}


def annotate(system: System, g: nx.DiGraph, traces: list[Trace], names: list[str],
             limit: int) -> dict[str, Any]:
    """The JSON form of a state graph whose nodes carry `state` tuples."""
    ids = {g.nodes[n]["state"]: n for n in g.nodes}
    pcs = system.thread_pcs()
    nodes = []
    for n in sorted(g.nodes):
        state = g.nodes[n]["state"]
        moves = list(successors(system, state))
        fails = sorted({f"{system.transitions[t].name}: {prop}" for t, _, prop, _ in moves if prop is not None})
        nodes.append({
            "id": n,
            "state": state_json(system, state),
            "initial": n == 0,
            "violates": [p.name for p in system.properties
                         if p.kind != "reachable" and not evaluate(p.expr, state)],
            "reaches": [p.name for p in system.properties
                        if p.kind == "reachable" and evaluate(p.expr, state)],
            "fails": fails,
            "deadlock": (not system.allow_deadlock and not moves
                         and any(state[pc] != done for pc, done in pcs)),
        })
    edges = [{"from": a, "to": b, "moves": list(g[a][b]["moves"])} for a, b in sorted(g.edges)]
    sccs = sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)
    paths = {}
    for name, trace in zip(names, traces):
        path = [ids[trace.init]] + [ids[s.state] for s in trace.steps if s.state is not None]
        paths[name] = path
    return {"limit": limit, "nodes": nodes, "edges": edges, "sccs": sccs, "paths": paths}
