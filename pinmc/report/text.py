"""The text report of `pinmc check` and `pinmc prove`."""

from __future__ import annotations

from pinmc.engines.base import UNKNOWN, Result, Verdict, cert_name
from pinmc.ir.system import System
from pinmc.report.facts import initial_values, step_facts, violation


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def _status(v: Verdict) -> str:
    return v.status.upper() if v.failed else v.status


def summary(system: System, result: Result, timing: bool = True) -> list[str]:
    s = result.stats
    head = f"spec {system.name}"
    if system.proposal:
        head += f" with proposal {system.proposal}"
    lines = [head + (f": {system.description}" if system.description else "")]
    if result.engine == "explicit":
        extent = "complete" if s.complete else f"INCOMPLETE ({s.limit})"
        lines.append(f"  explicit: {s.states:,} states, {s.transitions:,} transitions, "
                     f"depth {s.depth}, {extent}")
        lines += [f"  {note}" for note in s.notes]
        if timing:
            lines.append(f"  time: {s.seconds:.2f} s, {s.states_per_second:,.0f} states/s, "
                         f"peak memory {s.peak_bytes / 2**20:.1f} MiB ({s.bytes_per_state:.0f} bytes/state)")
    else:
        consts = ", ".join(f"{k} = {v}" for k, v in system.constants)
        lines.append("  symbolic (z3), for every value of the machine integers" + (f"; {consts}" if consts else ""))
        if timing:
            lines.append(f"  time: {s.seconds:.2f} s")
    lines.append("")
    width = max(len(v.prop) for v in result.verdicts) if result.verdicts else 8
    expected = {e.prop: e.verdict for e in system.expectations}
    for v in result.verdicts:
        extra = f"  ({_steps(len(v.trace))})" if v.trace is not None else ""
        if v.status == UNKNOWN and v.note:
            extra = f"  ({v.note})"
        exp = expected.get(v.prop)
        mark = "" if exp is None else ("  [as expected]" if exp == v.status else f"  [expected {exp}]")
        engine = f"  by {v.engine}" if result.engine != "explicit" else ""
        lines.append(f"  {v.prop:<{width}}  {v.kind:<9}  {_status(v)}{engine}{extra}{mark}")
    return lines


def trace_lines(system: System, v: Verdict) -> list[str]:
    """A numbered trace: each step with the fields it changed."""
    assert v.trace is not None
    what = {"reachable": "witness", "deadlock": "deadlock"}.get(v.kind, "counterexample")
    lines = [f"{what} for {v.prop} ({_steps(len(v.trace))}):"]
    init = ", ".join(f"{n} = {x}" for n, x in initial_values(system) if not n.endswith(".pc"))
    lines.append(f"  initial state: {init}")
    facts = step_facts(system, v.trace)
    width = max([len(f.move) + (len(f.branch) + 3 if f.branch else 0) for f in facts] or [4])
    for f in facts:
        name = f.move + (f" [{f.branch}]" if f.branch else "")
        if f.fails:
            change = "fails its check"
        else:
            change = ", ".join(f"{n}: {a} -> {b}" for n, a, b in f.changes) or "(no change)"
        lines.append(f"  {f.number:>2}. {name:<{width}}  {change}")
    bad = violation(system, v)
    if bad is not None:
        if v.kind == "reachable":
            lines.append(f"  reached: {bad.text}")
        elif v.kind == "deadlock":
            lines.append(f"  deadlock: {bad.text}")
        else:
            lines.append(f"  violated: {bad.prop}: {bad.text}")
        if bad.values:
            lines.append("    with " + ", ".join(f"{n} = {x}" for n, x in bad.values))
    return lines


def render(system: System, result: Result, timing: bool = True) -> str:
    """The whole report: summary, then every trace (failures first)."""
    lines = summary(system, result, timing)
    traced = [v for v in result.verdicts if v.trace is not None]
    traced.sort(key=lambda v: (not v.failed,))
    for v in traced:
        lines.append("")
        lines += trace_lines(system, v)
    certs = [v for v in result.verdicts if v.certificate]
    if certs:
        lines += ["", "certificates (inductive invariants, re-checked; pinmc prove --certificate FILE checks them again):"]
        lines += [f"  {certificate_line(v)}" for v in certs]
    return "\n".join(lines) + "\n"


def certificate_line(v: Verdict) -> str:
    """A verdict's certificate as a pinmc lemma declaration."""
    return f"lemma {cert_name(v.prop)}: {v.certificate}"
