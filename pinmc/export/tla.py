"""`pinmc export --tla`: a System as a TLA+ module.

The module states the same transition system as pinmc's engines explore:

* VARIABLES: one per pinmc state variable; booleans are TRUE/FALSE, enum
  members and thread program counters strings (a finished thread's pc is
  "done"), integers mathematical integers;
* Init: the initial state; Next: a disjunction of one action per
  transition (one step of one actor instance, one if/either branch), a
  `choose` as `\\E v \\in lo..hi`; an action requires its guard and that
  none of its checks fails (pinmc: a failing assert or range check has no
  successor), and updates every variable, the others UNCHANGED;
* machine integers wrap by modular arithmetic (WrapU, WrapS); division
  and remainder are C's (CDiv, CMod: truncating, x / 0 = 0, x % 0 = x);
* properties as state predicates to check as TLC invariants: invariants
  and lemmas themselves; `reachable P` as `NotReached_P == ~P`, whose
  violation is P's witness; each assert (and `range`) as "no reachable
  state enables the step with that check failing"; `DeadlockFree` as "all
  threads done, or some step enabled" (run TLC with -deadlock, since TLC's
  own deadlock check would also flag finished runs and failing steps).

It is not machine-checked here (there is no TLC on the build machines);
tests/test_export.py compares it with golden text, and docs/export.md says
what was checked by hand.
"""

from __future__ import annotations

import re

from pinmc import __version__
from pinmc.export.names import TLA_RESERVED, Names
from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr
from pinmc.ir.system import System, Transition
from pinmc.ir.types import BoolT, EnumT, IntT, MachT, PcT, RangeT, Type

HELPERS = r"""Abs(x) == IF x < 0 THEN -x ELSE x
\* machine integers: unsigned and two's complement wrap-around at n bits
WrapU(x, n) == x % (2^n)
WrapS(x, n) == ((x + 2^(n-1)) % (2^n)) - 2^(n-1)
\* C division and remainder (truncating toward zero); pinmc defines x / 0 = 0, x % 0 = x
CDiv(a, b) == IF b = 0 THEN 0
              ELSE IF (a >= 0) = (b >= 0) THEN Abs(a) \div Abs(b) ELSE -(Abs(a) \div Abs(b))
CMod(a, b) == IF b = 0 THEN a ELSE a - b * CDiv(a, b)"""

CMP = {"==": "=", "!=": "#", "<": "<", "<=": "=<", ">": ">", ">=": ">="}
BOOL_OPS = {"and": "/\\", "or": "\\/", "=>": "=>", "<=>": "<=>"}


def _done(ty: PcT) -> str:
    return "done" if "done" not in ty.labels else "done_"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _member(ty: Type, value: int) -> str:
    """A literal of type `ty` as TLA+ text."""
    if isinstance(ty, BoolT):
        return "TRUE" if value else "FALSE"
    if isinstance(ty, EnumT):
        return _string(ty.members[value])
    if isinstance(ty, PcT):
        return _string(ty.labels[value] if value < len(ty.labels) else _done(ty))
    return str(value) if value >= 0 else f"({value})"


def _values(ty: Type) -> list[str]:
    if isinstance(ty, EnumT):
        return [_member(ty, k) for k in range(len(ty.members))]
    assert isinstance(ty, PcT)
    return [_member(ty, k) for k in range(len(ty.labels) + 1)]


def _closed(text: str) -> bool:
    """Whether `text` is an identifier, a literal, an application or one
    parenthesized expression: safe as an operand of any operator."""
    if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*|\d+|"[^"]*"', text):
        return True
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text)
    rest = text[head.end():] if head else text
    if not (rest.startswith("(") and rest.endswith(")")):
        return False
    depth = 0
    for k, ch in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and k < len(rest) - 1:
            return False
    return True


def _not(text: str) -> str:
    return f"~{text}" if _closed(text) and not text.startswith("~") else f"~({text})"


def _wrap(ty: Type, text: str) -> str:
    if not isinstance(ty, MachT):
        return text
    return f"{'WrapS' if ty.signed else 'WrapU'}({text}, {ty.bits})"


def _domain(ty: Type) -> str:
    """The set of values of a state variable (for TypeOK)."""
    if isinstance(ty, BoolT):
        return "BOOLEAN"
    if isinstance(ty, (EnumT, PcT)):
        return "{" + ", ".join(_values(ty)) + "}"
    if isinstance(ty, RangeT):
        return f"{_member(ty, ty.lo)}..{_member(ty, ty.hi)}"
    if isinstance(ty, MachT):
        return f"{_member(ty, ty.lo)}..{_member(ty, ty.hi)}"
    return "Int"


class _Writer:
    """Builds the module text of one System."""

    def __init__(self, system: System):
        self.system = system
        self.names = Names(TLA_RESERVED)
        self.module = self.names.take(system.name + (f"_{system.proposal}" if system.proposal else ""))
        self.vars = [self.names.take(v.name) for v in system.vars]
        self.bound: dict[int, str] = {}  # bound variable id -> name
        self.actions = self._action_names()

    def _action_names(self) -> list[str]:
        by_step: dict[str, int] = {}
        for t in self.system.transitions:
            by_step[t.name] = by_step.get(t.name, 0) + 1
        seen: dict[str, int] = {}
        out = []
        for t in self.system.transitions:
            k = seen[t.name] = seen.get(t.name, 0) + 1
            out.append(self.names.take(t.name + (f"_{k}" if by_step[t.name] > 1 else "")))
        return out

    # ------------------------------------------------------------ expressions
    def _var(self, v: ir.Var) -> str:
        if v.id not in self.bound:
            self.bound[v.id] = self.names.take(v.name)
        return self.bound[v.id]

    def expr(self, e: Expr) -> str:
        """`e` as a TLA+ expression."""
        if isinstance(e, ir.Lit):
            return _member(e.ty, e.value)
        if isinstance(e, ir.Slot):
            return self.vars[e.index]
        if isinstance(e, ir.Var):
            return self._var(e)
        if isinstance(e, ir.Un):
            a = self.expr(e.arg)
            return _not(a) if e.op == "not" else _wrap(e.ty, f"(-{a})")
        if isinstance(e, ir.Bin):
            a, b = self.expr(e.left), self.expr(e.right)
            if e.op in BOOL_OPS:
                return f"({a} {BOOL_OPS[e.op]} {b})"
            if e.op in CMP:
                return f"({a} {CMP[e.op]} {b})"
            if e.op == "/":
                return _wrap(e.ty, f"CDiv({a}, {b})")
            if e.op == "%":
                return _wrap(e.ty, f"CMod({a}, {b})")
            return _wrap(e.ty, f"({a} {e.op} {b})")
        if isinstance(e, ir.Ite):
            return f"(IF {self.expr(e.cond)} THEN {self.expr(e.then)} ELSE {self.expr(e.else_)})"
        if isinstance(e, ir.Cast):
            a = self.expr(e.arg)
            if isinstance(e.ty, MachT):
                return _wrap(e.ty, a)
            if isinstance(e.ty, IntT) and isinstance(e.arg.ty, (EnumT, PcT)):
                cases = " [] ".join(f"{a} = {v} -> {k}" for k, v in enumerate(_values(e.arg.ty)))
                return f"(CASE {cases})"
            return a
        if isinstance(e, ir.Quant):
            q = r"\A" if e.kind == "forall" else r"\E"
            bound = f"{_member(IntT(), e.lo)}..{_member(IntT(), e.hi)}"
            return f"({q} {self._var(e.var)} \\in {bound} : {self.expr(e.body)})"
        raise TypeError(f"not an IR expression: {e!r}")

    def _exists(self, t: Transition, body: str) -> str:
        """`body` under `\\E` of t's choose parameters, parenthesized."""
        if not t.params:
            return body
        params = ", ".join(f"{self._var(p.var)} \\in {_member(IntT(), p.lo)}..{_member(IntT(), p.hi)}"
                           for p in t.params)
        return f"(\\E {params} : {body})"

    # ------------------------------------------------------------ the module
    def _action(self, k: int, t: Transition) -> list[str]:
        conj = [self.expr(t.guard)] + [_not(self.expr(c.fail)) for c in t.checks]
        updated = dict(t.updates)
        conj += [f"{self.vars[s]}' = {self.expr(e)}" for s, e in sorted(updated.items())]
        same = [self.vars[s] for s in range(len(self.vars)) if s not in updated]
        if same:
            conj.append(f"UNCHANGED <<{', '.join(same)}>>")
        what = t.name + (f" [{t.branch}]" if t.branch else "")
        head = f"{self.actions[k]} =="
        if t.params:
            params = ", ".join(f"{self._var(p.var)} \\in {_member(IntT(), p.lo)}..{_member(IntT(), p.hi)}"
                               for p in t.params)
            lines = [f"\\* {what}", f"{head} \\E {params} :"] + [f"    /\\ {c}" for c in conj]
        else:
            lines = [f"\\* {what}", head] + [f"    /\\ {c}" for c in conj]
        return lines + [""]

    def _failing(self, prop: str) -> list[str]:
        """One disjunct per (transition, check) where `prop`'s check is the first to fail."""
        out = []
        for t in self.system.transitions:
            for i, c in enumerate(t.checks):
                if c.prop != prop:
                    continue
                parts = [self.expr(t.guard)] + [_not(self.expr(d.fail)) for d in t.checks[:i]] + [self.expr(c.fail)]
                out.append(self._exists(t, "(" + r" /\ ".join(parts) + ")"))
        return out

    def _properties(self) -> list[str]:
        s = self.system
        out = ["\\* ---- properties: check each as a TLC INVARIANT ----", ""]
        names = []
        for p in s.properties:
            if p.kind == "reachable":
                name = self.names.take(f"NotReached_{p.name}")
                out += [f"\\* reachable {p.name}: a violation of this invariant is a witness",
                        f"{name} == ~{self.expr(p.expr)}", ""]
            else:
                name = self.names.take(f"{'Lemma' if p.kind == 'lemma' else 'Inv'}_{p.name}")
                out += [f"\\* {p.kind} {p.name}", f"{name} == {self.expr(p.expr)}", ""]
            names.append(name)
        for prop in list(s.assert_props) + (["range"] if s.has_range_checks else []):
            name = "InRange" if prop == "range" else self.names.take(f"Assert_{prop}")
            fails = self._failing(prop)
            body = " \\/ ".join(fails) if fails else "FALSE"
            what = "every range check" if prop == "range" else f"assert {prop}"
            out += [f"\\* {what}: no reachable state enables a step with it failing",
                    f"{name} == ~({body})", ""]
            names.append(name)
        if not s.allow_deadlock and s.thread_pcs():
            done = [f"{self.vars[pc]} = {_member(s.vars[pc].ty, d)}" for pc, d in s.thread_pcs()]
            enabled = [self._exists(t, self.expr(t.guard)) for t in s.transitions]
            out += ["\\* deadlock: a thread not done and no step enabled (a step whose check fails is",
                    "\\* enabled); TLC's own deadlock check differs, so run TLC with -deadlock",
                    "DeadlockFree == \\/ (" + r" /\ ".join(done) + ")"]
            out += [f"                \\/ {e}" for e in enabled]
            out.append("")
            names.append("DeadlockFree")
        self.invariants = names
        return out

    def write(self) -> str:
        s = self.system
        actions: list[str] = []
        for k, t in enumerate(s.transitions):
            actions += self._action(k, t)
        props = self._properties()
        init = [f"    /\\ {v} = {_member(sv.ty, x)}" for v, sv, x in zip(self.vars, s.vars, s.init)]
        type_ok = [f"    /\\ {v} \\in {_domain(sv.ty)}" for v, sv in zip(self.vars, s.vars)]
        nxt = [f"    \\/ {a}" for a in self.actions] or ["    FALSE"]
        lines = [f"{'-' * 4} MODULE {self.module} {'-' * 4}"] + self._header() + ["EXTENDS Integers", ""]
        if self.vars:
            lines += [f"VARIABLES {', '.join(self.vars)}", "", f"vars == <<{', '.join(self.vars)}>>", ""]
        else:
            lines += ["vars == <<>>", ""]
        lines += HELPERS.splitlines() + [""]
        lines += ["TypeOK ==", *(type_ok or ["    TRUE"]), "", "Init ==", *(init or ["    TRUE"]), ""]
        lines += actions + ["Next ==", *nxt, "", "Spec == Init /\\ [][Next]_vars", ""] + props
        lines.append("=" * 12)
        return "\n".join(lines) + "\n"

    def _header(self) -> list[str]:
        s = self.system
        title = f"spec {s.name}" + (f" with proposal {s.proposal}" if s.proposal else "")
        text = [f"TLA+ module of pinmc {title},",
                f"written by pinmc {__version__} (pinmc export --tla); save it as {self.module}.tla."]
        if s.description:
            text.append(s.description.replace("*)", "* )").replace("(*", "( *"))
        if s.constants:
            text.append("Constants: " + ", ".join(f"{k} = {v}" for k, v in s.constants))
        text += ["",
                 "Next has one action per pinmc transition (a step of an actor instance, one if/either",
                 "branch; a choose is \\E). An action needs its guard and all its checks passing:",
                 "a failing assert or range check has no successor in pinmc. Enum members and pcs",
                 "are strings (a finished thread: \"done\"); machine integers wrap by WrapU/WrapS.",
                 "Check with TLC (-deadlock) and this configuration; reachable P is NotReached_P,",
                 "violated exactly when P is reachable:",
                 "  SPECIFICATION Spec",
                 "  INVARIANTS " + " ".join(["TypeOK", *self.invariants]),
                 "TLC computes with 32-bit integers: 2^32 in WrapU (u32) and larger values overflow",
                 "there; Apalache has no such limit. This module was not checked by a TLA+ tool",
                 "when it was written."]
        return ["(*"] + [f" * {ln}".rstrip() for ln in text] + [" *)", ""]


def to_tla(system: System) -> str:
    """The TLA+ module of `system` (every System can be written)."""
    return _Writer(system).write()
