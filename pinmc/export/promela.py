"""`pinmc export --promela`: a System as a Promela model for SPIN.

The model is built from the lowered transition system (the same relation
every pinmc engine explores), so that pan, with its reductions off, stores
exactly pinmc's reachable states and finds the same violations:

* every pinmc state variable is one global; nothing else differs between
  stored states (scratch variables are reset within each step, process
  program counters follow the pinmc ones, see below);
* every transition with one value of each choose parameter is one guarded
  `d_step` (one atomic pan transition) in the process of its actor
  instance; the updates are parallel, through temporaries where one update
  reads another's target;
* a failing assert or range check ends a pinmc step without a successor:
  each check is a `d_step` of its own, enabled when the step is, the
  earlier checks pass and this one fails, that only asserts (the state is
  unchanged, so pan stores nothing new);
* a thread instance is a process looping over its steps; a step that
  finishes the thread also leaves the loop and blocks at `end_done:
  false`, so the process's control state changes exactly when the pinmc
  program counter becomes done, and a deadlock (a thread not done, no step
  enabled) is pan's invalid end state; a daemon is a loop at an `end`
  label;
* invariants and lemmas are asserted after every step, and in the initial
  state before the first; `reachable P` asserts `!P`, so its witness is an
  assertion violation.  A process `initial_state` checks the initial state
  when it has no move at all (pan's `timeout`), and then asserts
  `deadlock_free` itself, since its move hides the invalid end state.

pan names the variable of a failed `assert(NAME)` in its message; each
property asserts a scratch variable named after it (`PromelaModel.assertions`
maps them back).  Machine integers are evaluated in pan's 32-bit ints as
`promela_expr` explains; what they cannot hold exactly is refused (PIN420).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

from pinmc import __version__
from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.export.names import PROMELA_RESERVED, Names
from pinmc.export.promela_expr import INT_MAX, INT_MIN, Translator, Unrepresentable, article, literal, slot_range
from pinmc.export.refuse import refusal, slot_span
from pinmc.ir import nodes as ir
from pinmc.ir.eval import evaluate
from pinmc.ir.nodes import Expr
from pinmc.ir.system import Actor, System, Transition
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT, Type
from pinmc.source import Span

TARGET = "Promela"
MAX_MOVES = 1 << 16  # choose values of one transition (the explicit engine's limit too)
MAX_DSTEPS = 100_000  # d_steps in one model (each choose value of each transition, each check)
MAX_DSTEP_STATEMENTS = 2000  # SPIN refuses a d_step of more than 2047 ("d_step sequence too long")
SPIN_COMMANDS = (
    "spin -o1 -o2 -o3 -a {file}",
    "gcc -O2 -fwrapv -DNOREDUCE -DBFS -DSAFETY -DNOCLAIM -o pan pan.c",
    "./pan -c0 -m10000000",
)


@dataclass(frozen=True)
class PromelaModel:
    """The model text, and what each assertion pan may report stands for:
    `assertions[NAME]` = (pinmc property, kind) for `assertion violated
    NAME`; `deadlock` tells whether pan's invalid end states are pinmc
    deadlocks (false with `allow deadlock`)."""

    text: str
    assertions: dict[str, tuple[str, str]]
    deadlock: bool


@dataclass(frozen=True)
class _Slot:
    name: str
    decl: str  # the Promela type
    lo: int
    hi: int
    pattern: bool  # a u32 held as its 32-bit pattern in an int


def _storage(ty: Type) -> str:
    """The Promela type of a state variable of declared type `ty`."""
    if isinstance(ty, BoolT):
        return "bool"
    if isinstance(ty, MachT):
        return {8: "byte", 16: "unsigned {name} : 16"}.get(ty.bits, "int") if not ty.signed else "int"
    lo, hi = slot_range(ty)
    if 0 <= lo and hi <= 255:
        return "byte"
    if -32768 <= lo and hi <= 32767:
        return "short"
    return "int"


def _type_text(ty: Type) -> str:
    if isinstance(ty, PcT):
        return "pc: " + ", ".join(f"{k} {label}" for k, label in enumerate(ty.labels)) + f", {len(ty.labels)} done"
    if isinstance(ty, EnumT):
        return f"{ty.name}: " + ", ".join(f"{k} {m}" for k, m in enumerate(ty.members))
    if isinstance(ty, MachT) and ty.bits == 32 and not ty.signed:
        return "u32, as its 32-bit pattern"
    return str(ty)


class _Writer:
    """Builds the model text of one System."""

    def __init__(self, system: System):
        self.system = system
        self.names = Names(PROMELA_RESERVED)
        self.slots = [self._slot(k) for k in range(len(system.vars))]
        self.tr = Translator([(s.name, s.lo, s.hi, s.pattern) for s in self.slots])
        self.procs = {a.name: self.names.take(a.name) for a in system.actors}
        self.inline_props = self.names.take("check_properties")
        self.inline_init = self.names.take("check_initial")
        self.monitor = self.names.take("initial_state")
        self.assertions: dict[str, tuple[str, str]] = {}
        self.prop_vars: list[tuple[str, str]] = []  # (scratch variable, expression text)
        for p in system.properties:
            if p.kind == "reachable":
                var = self.names.take(f"never_{p.name}")
                text = self._expr(p.expr, {}, p.span, f"reachable {p.name}")
                self.prop_vars.append((var, _negation(text)))
            else:
                var = self.names.take(f"inv_{p.name}")
                self.prop_vars.append((var, self._expr(p.expr, {}, p.span, f"{p.kind} {p.name}")))
            self.assertions[var] = (p.name, p.kind)
        self.check_vars: dict[str, str] = {}  # assert property or `range` -> its scratch variable
        for prop in system.assert_props:
            var = self.names.take(f"assert_{prop}")
            self.check_vars[prop] = var
            self.assertions[var] = (prop, "assert")
        if system.has_range_checks:
            self.check_vars["range"] = self.names.take("in_range")
            self.assertions[self.check_vars["range"]] = ("range", "range")
        self.deadlock_var: str | None = None
        if not system.allow_deadlock and system.thread_pcs():
            self.deadlock_var = self.names.take("deadlock_free")
            self.assertions[self.deadlock_var] = ("deadlock", "deadlock")
        self.temps: list[str] = []
        self.dsteps = 0

    # ------------------------------------------------------------ pieces
    def _slot(self, k: int) -> _Slot:
        v = self.system.vars[k]
        if isinstance(v.ty, MachT) and v.ty.bits > 32:
            raise refusal(TARGET, f"{v.name} is {article(v.ty)}; Promela's integers have at most 32 bits",
                          slot_span(self.system, k))
        lo, hi = slot_range(v.ty)
        if isinstance(v.ty, RangeT) and not (INT_MIN <= lo and hi <= INT_MAX):
            raise refusal(TARGET, f"{v.name} ranges over {lo}..{hi}, beyond Promela's 32-bit int",
                          slot_span(self.system, k))
        name = self.names.take(v.name)
        decl = _storage(v.ty)
        return _Slot(name, decl, lo, hi, isinstance(v.ty, MachT) and v.ty.bits == 32 and not v.ty.signed)

    def _expr(self, e: Expr, env: dict[int, int], span: Span | None, where: str) -> str:
        try:
            return self.tr.expr(e, env).text
        except Unrepresentable as exc:
            raise refusal(TARGET, f"in {where}: {exc}", span) from None

    def _temp(self, k: int) -> str:
        while len(self.temps) <= k:
            self.temps.append(self.names.take(f"tmp{len(self.temps)}"))
        return self.temps[k]

    def _at_initial(self) -> str:
        parts = [f"{s.name} == {self._init_text(k)}" for k, s in enumerate(self.slots)]
        return "(" + " && ".join(parts) + ")" if parts else "true"

    def _init_text(self, k: int) -> str:
        """The initial value of state variable k (a u32 as its pattern)."""
        value = self.system.init[k]
        if isinstance(self.system.vars[k].ty, BoolT):
            return "true" if value else "false"
        return literal(value).text

    # ------------------------------------------------------------ steps
    def _updates(self, t: Transition, env: dict[int, int]) -> list[str]:
        """Statements applying t's parallel updates (all reading the pre-state)."""
        targets = {slot for slot, _ in t.updates}
        early: list[str] = []  # into temporaries, before any target changes
        direct: list[str] = []
        late: list[str] = []  # from the temporaries
        for slot, e in t.updates:
            text = self._expr(e, env, t.span, f"step {t.name}")
            if ir.slots_of(e) & (targets - {slot}):
                tmp = self._temp(len(early))
                early.append(f"{tmp} = {text}")
                late.append(f"{self.slots[slot].name} = {tmp}")
            else:
                direct.append(f"{self.slots[slot].name} = {text}")
        resets = [f"{self._temp(k)} = 0" for k in range(len(early))]
        return early + direct + late + resets

    def _fail(self, var: str) -> list[str]:
        return [f"{var} = false", f"assert({var})", f"{var} = true"]

    def _dstep(self, guard: str, comment: str, body: list[str], at_initial: bool, span: Span | None) -> list[str]:
        """One `:: d_step { guard -> body }` option; `at_initial`: it fires
        in the initial state, so it checks the properties there first."""
        self.dsteps += 1
        if self.dsteps > MAX_DSTEPS:
            raise SpecError([Diagnostic("PIN407", f"the Promela model would have more than {MAX_DSTEPS} d_steps "
                                        "(one per choose value and check of every step)", span)])
        pre = [f"{self.inline_init}()"] if self.prop_vars and at_initial else []
        stmts = pre + body
        size = 1 + len(stmts) + (len(self.prop_vars) * 3 + 4) * (body.count(f"{self.inline_props}()") + len(pre))
        if size > MAX_DSTEP_STATEMENTS:
            raise refusal(TARGET, f"{comment} would be a d_step of about {size} statements (its updates and "
                          f"the checks of {len(self.prop_vars)} properties); SPIN allows {MAX_DSTEP_STATEMENTS}",
                          span)
        lines = [f"    :: d_step {{ /* {comment} */", f"           {guard} ->"]
        lines += [f"           {s};" for s in stmts[:-1]] + [f"           {stmts[-1]}"]
        lines.append("       }")
        return lines

    def _transition(self, t: Transition, finishing: bool) -> list[str]:
        out: list[str] = []
        moves = math.prod(p.hi - p.lo + 1 for p in t.params)
        if moves > MAX_MOVES:
            raise SpecError([Diagnostic("PIN407", f"{t.name}: choose has {moves} values, too many for a Promela "
                                        f"model (one d_step each; at most {MAX_MOVES})", t.span)])
        init = self.system.init
        for args in product(*(range(p.lo, p.hi + 1) for p in t.params)):
            env = {p.var.id: v for p, v in zip(t.params, args)}
            what = t.name + (f" [{t.branch}]" if t.branch else "") + "".join(
                f" {p.var.name}={v}" for p, v in zip(t.params, args))
            guard = self._expr(t.guard, env, t.span, f"the guard of {t.name}")
            # which of this move's d_steps fires in the initial state (pinmc's
            # reference semantics): only that one needs the initial checks
            fires = None
            if evaluate(t.guard, init, env):
                fires = next((k for k, c in enumerate(t.checks) if evaluate(c.fail, init, env)), len(t.checks))
            passed: list[str] = []
            for k, c in enumerate(t.checks):
                fail = self._expr(c.fail, env, c.span or t.span, f"a check of {t.name}")
                g = " && ".join([guard, *passed, fail])
                out += self._dstep(g, f"{what}: {c.prop} fails ({_comment(c.message)})",
                                   self._fail(self.check_vars[c.prop]), fires == k, c.span or t.span)
                passed.append(_negation(fail))
            body = self._updates(t, env) + self._post()
            out += self._dstep(" && ".join([guard, *passed]), what, body or ["skip"], fires == len(t.checks), t.span)
            if finishing:
                out[-1] += "; break"
        return out

    def _post(self) -> list[str]:
        return [f"{self.inline_props}()"] if self.prop_vars else []

    # ------------------------------------------------------------ processes
    def _process(self, a: Actor) -> list[str]:
        ts = [t for t in self.system.transitions if t.actor == a.name]
        name = self.procs[a.name]
        if a.pc_slot is None:
            head = [f"active proctype {name}() {{   /* daemon {a.name} */"]
            if not ts:
                return head + ["end_idle:", "    false", "}"]
            body = ["end:", "    do"]
            for t in ts:
                body += self._transition(t, False)
            return head + body + ["    od", "}"]
        done = len(a.steps)
        head = [f"active proctype {name}() {{   /* thread {a.name}; {self.slots[a.pc_slot].name} == {done}: done */"]
        if self.system.init[a.pc_slot] == done:
            return head + ["end_done:", "    false", "}"]
        if not ts:
            label = "end_stuck:" if self.system.allow_deadlock else "stuck:"
            return head + [label, "    false", "}"]
        body = (["end_waiting:"] if self.system.allow_deadlock else []) + ["    do"]
        for t in ts:
            target = _pc_target(t, a.pc_slot)
            body += self._transition(t, target == done)
        return head + body + ["    od;", "end_done:", "    false", "}"]

    def _monitor(self) -> list[str]:
        """The process that checks an initial state without any move (only
        in a model whose initial state has none: elsewhere its `timeout &&
        initial state` guard is never true)."""
        if not self.prop_vars and self.deadlock_var is None:
            return []
        init = self.system.init
        if any(evaluate(t.guard, init, {p.var.id: v for p, v in zip(t.params, args)})
               for t in self.system.transitions for args in product(*(range(p.lo, p.hi + 1) for p in t.params))):
            return []
        body = [f"{self.inline_props}()"] if self.prop_vars else []
        if self.deadlock_var is not None:
            done = " && ".join(f"{self.slots[pc].name} == {d}" for pc, d in self.system.thread_pcs())
            body += [f"{self.deadlock_var} = ({done})", f"assert({self.deadlock_var})", f"{self.deadlock_var} = true"]
        size = 1 + len(body) + len(self.prop_vars) * 3
        if size > MAX_DSTEP_STATEMENTS:
            raise refusal(TARGET, f"checking {len(self.prop_vars)} properties would take a d_step of about "
                          f"{size} statements; SPIN allows {MAX_DSTEP_STATEMENTS}",
                          next((p.span for p in self.system.properties if p.span is not None), None))
        lines = [f"active proctype {self.monitor}() {{   /* the initial state, when it has no move at all */",
                 "end:", "    do", "    :: d_step {", f"           timeout && {self._at_initial()} ->"]
        lines += [f"           {s};" for s in body[:-1]] + [f"           {body[-1]}", "       }", "    od", "}"]
        return lines

    # ------------------------------------------------------------ the model
    def write(self) -> PromelaModel:
        procs: list[str] = []
        for a in self.system.actors:
            procs += self._process(a) + [""]
        monitor = self._monitor()
        lines = self._header() + [""] + self._globals() + [""] + self._inlines() + procs + monitor
        text = "\n".join(lines).rstrip("\n") + "\n"
        return PromelaModel(text, dict(self.assertions), self.deadlock_var is not None)

    def _globals(self) -> list[str]:
        out = ["/* the state: one global per pinmc state variable */"]
        for k, (s, v) in enumerate(zip(self.slots, self.system.vars)):
            decl = s.decl.format(name=s.name) if "{name}" in s.decl else f"{s.decl} {s.name}"
            out.append(f"{decl} = {self._init_text(k)};".ljust(40) + f"/* {v.name}: {_type_text(v.ty)} */")
        scratch = [(var, "bool", "true") for var in self.assertions if var != self.deadlock_var]
        scratch += [(self.deadlock_var, "bool", "true")] if self.deadlock_var else []
        scratch += [(t, "int", "0") for t in self.temps]
        if scratch:
            out += ["", "/* scratch: set and reset within one d_step, so the same in every stored state */"]
            out += [f"{ty} {var} = {init};" for var, ty, init in scratch]
        return out

    def _inlines(self) -> list[str]:
        if not self.prop_vars:
            return []
        out = [f"inline {self.inline_props}() {{   /* every invariant, lemma and reachable property */"]
        stmts = []
        for var, text in self.prop_vars:
            stmts += [f"{var} = {text}", f"assert({var})", f"{var} = true"]
        out += [f"    {s};" for s in stmts[:-1]] + [f"    {stmts[-1]}", "}", ""]
        out += [f"inline {self.inline_init}() {{   /* the properties in the initial state, before its first step */",
                "    if", f"    :: {self._at_initial()} -> {self.inline_props}()", "    :: else -> skip", "    fi",
                "}", ""]
        return out

    def _header(self) -> list[str]:
        s = self.system
        title = f"spec {s.name}" + (f" with proposal {s.proposal}" if s.proposal else "")
        lines = [f"Promela model of pinmc {title}", f"written by pinmc {__version__} (pinmc export --promela)."]
        if s.description:
            lines.append(_comment(s.description))
        if s.constants:
            lines.append("Constants: " + ", ".join(f"{k} = {v}" for k, v in s.constants))
        lines += ["", "Check it with SPIN, reductions off, so that pan stores exactly the states of",
                  "`pinmc check --no-por --no-symmetry`:"]
        lines += ["  " + c.format(file=f"{_file_stem(s)}.pml") for c in SPIN_COMMANDS]
        lines += ["(-c0: go on past errors, so every reachable state is stored and counted; -fwrapv:",
                  "machine-integer arithmetic relies on C's int arithmetic wrapping modulo 2^32.)",
                  "",
                  "How the model maps the spec:",
                  "- state: one global per pinmc state variable (below); scratch variables are reset",
                  "  within each d_step, process control states follow the thread pcs: pan's states",
                  "  are pinmc's states.",
                  "- types: bool -> bool; an enum or a pc -> byte (member or step index; a pc equal to",
                  "  the number of steps is done); A..B -> byte, short or int; u8 -> byte; u16 ->",
                  "  unsigned : 16; i32 -> int; u32 -> int holding its 32-bit pattern (compared sign",
                  "  bit first). Wrap-around: & 255 / & 65535 for u8 / u16, C's int wrap for 32 bits;",
                  "  x / 0 = 0 and x % 0 = x as in pinmc. u64, i64 and values that need more than",
                  "  32 bits are refused by the exporter (PIN420), never approximated.",
                  "- steps: each transition of each actor instance (one step, one if/either branch,",
                  "  one choose value) is one guarded d_step, updates applied in parallel. A failing",
                  "  assert or range check gives no successor: each check is a d_step of its own that",
                  "  only asserts, leaving the state unchanged.",
                  "- threads loop over their steps; the step that finishes one also breaks out to",
                  "  `end_done: false`. Daemons loop at an `end` label. A deadlock (a thread not done,",
                  "  no step enabled) is pan's `invalid end state`"
                  + (" (not checked: `allow deadlock`, every loop is at an end label)." if s.allow_deadlock else "."),
                  "- invariants and lemmas are asserted after every step, and in the initial state by",
                  "  the d_steps that can fire there;",
                  "  `reachable P` asserts !P: its witness is an assertion violation. When the",
                  "  initial state has no move at all, a process initial_state checks it on pan's",
                  "  timeout (and asserts deadlock_free itself: its move hides the invalid end state).",
                  "",
                  "What pan's `assertion violated NAME` means:"]
        width = max([len(v) for v in self.assertions] or [0])
        for var, (prop, kind) in self.assertions.items():
            meaning = {"reachable": "reachable", "deadlock": "reachable"}.get(kind, "violated")
            lines.append(f"  {var.ljust(width)}  {kind} {prop} {meaning}")
        if s.thread_pcs() and not s.allow_deadlock:
            lines.append(f"  {'invalid end state'.ljust(width)}  deadlock reachable")
        lines += ["", "State variables (Promela, pinmc: type):"]
        width = max([len(slot.name) for slot in self.slots] or [0])
        for slot, v in zip(self.slots, s.vars):
            lines.append(f"  {slot.name.ljust(width)}  {v.name}: {_type_text(v.ty)}")
        return ["/* " + lines[0]] + [(" * " + ln).rstrip() for ln in lines[1:]] + [" */"]


def _pc_target(t: Transition, pc_slot: int) -> int | None:
    for slot, e in t.updates:
        if slot == pc_slot:
            assert isinstance(e, ir.Lit), "lower sets a thread's pc to a constant"
            return e.value
    return None


def _negation(text: str) -> str:
    """`!text`, or the operand of `text` when it already is a negation."""
    if text.startswith("(!") and text.endswith(")") and _balanced(text[2:-1]):
        return text[2:-1]
    return f"(!{text})"


def _balanced(text: str) -> bool:
    """Whether every parenthesis of `text` closes within it, in order."""
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _comment(text: str) -> str:
    """`text` safe inside a C comment."""
    return text.replace("*/", "* /").replace("/*", "/ *")


def _file_stem(system: System) -> str:
    return system.name + (f"+{system.proposal}" if system.proposal else "")


def to_promela(system: System) -> PromelaModel:
    """The Promela model of `system`.  Raises SpecError (PIN420) when it
    needs values Promela cannot hold exactly, PIN407 when its choose values
    make too many d_steps."""
    return _Writer(system).write()


