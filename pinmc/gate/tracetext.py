"""A trace as numbered text lines, from the JSON forms of a result
(`pinmc.result/1`), for the gate's outputs (stdout, JUnit, SARIF).

The lines look like those of `pinmc check` (`pinmc.report.text.trace_lines`),
which works from the compiled system instead, plus where each step is
declared:

    counterexample for flusher.writeback (4 steps):
      initial state: X.refcount = 2, X.mapped = true, X.dirty = false
       1. dio.fault          X.refcount: 2 -> 3, X.dirty: false -> true  (specs/lpc2018_writeback.pin:25)
       ...
       4. flusher.writeback  fails its check  (specs/lpc2018_writeback.pin:54)
      violated: flusher.writeback: ext4_writepage: BUG_ON(!page_has_buffers(page))
        with X.buffers = false
"""

from __future__ import annotations

from typing import Any

from pinmc.report.values import show_json


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def trace_title(prop: dict[str, Any]) -> str:
    """The first line of `prop`'s trace: `counterexample for NAME (N steps):`,
    `witness for` a reachable property, `deadlock for` a deadlock.
    `prop` must have a trace."""
    trace = prop["trace"]
    what = {"reachable": "witness", "deadlock": "deadlock"}.get(prop["kind"], "counterexample")
    return f"{what} for {prop['name']} ({_steps(int(trace['length']))}):"


def step_name(step: dict[str, Any]) -> str:
    """`actor.step`, then ` [branch]` when the step took an either branch
    or choose values."""
    return str(step["move"]) + (f" [{step['branch']}]" if step.get("branch") else "")


def step_change(step: dict[str, Any]) -> str:
    """What a step did: `fails its check`, the changed variables
    (`X.f: a -> b, ...`, in the order the result lists them), or
    `(no change)`."""
    if step.get("fails"):
        return "fails its check"
    changes = step.get("changes") or {}
    return ", ".join(f"{n}: {a} -> {b}" for n, (a, b) in changes.items()) or "(no change)"


def step_where(step: dict[str, Any]) -> str | None:
    """`file:line` of a step's declaration, `file` without a line, or None
    when the step has no position in the source."""
    if not step.get("file"):
        return None
    return f"{step['file']}:{step['line']}" if step.get("line") is not None else str(step["file"])


def violation_lines(prop: dict[str, Any]) -> list[str]:
    """The last lines of a trace, unindented: `violated: PROP: TEXT`,
    `reached: TEXT` (reachable) or `deadlock: TEXT` (deadlock), then
    `  with n = v, ...` when the violation names values; [] without a
    violation."""
    bad = prop["trace"].get("violation")
    if bad is None:
        return []
    if prop["kind"] == "reachable":
        lines = [f"reached: {bad['text']}"]
    elif prop["kind"] == "deadlock":
        lines = [f"deadlock: {bad['text']}"]
    else:
        lines = [f"violated: {bad['property']}: {bad['text']}"]
    values = bad.get("values") or {}
    if values:
        lines.append("  with " + ", ".join(f"{n} = {v}" for n, v in values.items()))
    return lines


def _program_counters(result: dict[str, Any]) -> set[str]:
    return {str(v["name"]) for v in result.get("vars") or () if v.get("type") == "pc"}


def trace_lines(result: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    """`prop`'s trace (a `properties` entry of `result`, with a non-null
    `trace`) as text lines without trailing newlines: the title, the
    initial state (program counters left out: variables of type `pc` in
    `result["vars"]` and names ending in `.pc`), one numbered line per step
    with its `file:line` in parentheses at the end, then what breaks
    (`violation_lines`, indented).  Pure: the same input gives the same
    lines."""
    trace = prop["trace"]
    if trace is None:
        raise ValueError(f"property {prop['name']} has no trace")
    pcs = _program_counters(result)
    lines = [trace_title(prop)]
    init = ", ".join(f"{n} = {show_json(v)}" for n, v in (trace.get("initial") or {}).items()
                     if n not in pcs and not n.endswith(".pc"))
    lines.append(f"  initial state: {init}")
    steps = trace.get("steps") or []
    width = max([len(step_name(s)) for s in steps] or [4])
    for n, s in enumerate(steps, 1):
        number = s.get("index", n)
        line = f"  {number:>2}. {step_name(s):<{width}}  {step_change(s)}"
        where = step_where(s)
        if where is not None:
            line += f"  ({where})"
        lines.append(line)
    lines += ["  " + t for t in violation_lines(prop)]
    return lines
