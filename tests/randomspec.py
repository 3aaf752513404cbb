"""A seeded generator of small, well-typed random pinmc specs.

`generate(seed)` returns the text of a spec with

* 1-2 state containers: a page `X`, a page array `P[2]` or globals, with
  1-2 fields each (at most 3 in all) of types bool, `0..N`, `u8` (now and
  then just below 255, so that it wraps) and `i32` (small values);
* 1-3 actors, threads and daemons, some with 2 instances and a local, with
  1-3 steps each (at most MAX_STEPS step instances in all; a step splits
  into at most MAX_SPLIT transitions): guards, `if`/`else`, `either`, `choose v in 0..2`,
  `choose p in P`, `+=`/`-=` by small constants, casts, asserts, `end`
  and a bounded backward `goto`;
* 1-3 properties (invariants, `reachable`, now and then a `lemma`) over
  the fields, locals, `A@L` and `done(A)`; sometimes `allow deadlock`.

The state space stays small by construction: threads run a bounded number of
steps (a backward `goto` is guarded by a `0..1` counter), and a daemon step
that writes a machine integer is guarded by a window of width 4 around the
variable's initial value, so a daemon cannot count for ever.

A tiny evaluator computes each property in the initial state, only to make
the properties interesting (an invariant false at the start is usually
negated, a `reachable` already true usually negated): the verdicts
themselves are never predicted here.

`generate(seed, size)` with a `size` of 1 or more (tests/test_spin_diff.py)
adds what the specs above leave out, growing with `size`: `u16` and `u32`
fields, initial values and constants at the wrap-around boundaries (2^16,
2^31, 2^32, i32's extremes), casts between every pair of machine types,
division and remainder by variables (zero and negative divisors included),
up to MAX_STEPS + size step instances, 3 + size // 2 fields and `choose`
values up to 0..3.  `size` 0, the default, is the generator above: the
same text for the same seed as before these were added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

Env = dict[str, int]

MAX_STEPS = 5  # step instances (steps times actor instances) in all
MAX_SPLIT = 3  # at most this many transitions per step instance (if/either/choose branches)


# ----------------------------------------------------------------- types

@dataclass(frozen=True)
class Ty:
    kind: str  # bool | range | u8 | u16 | u32 | i32 | int
    lo: int = 0
    hi: int = 0

    @property
    def text(self) -> str:
        return f"{self.lo}..{self.hi}" if self.kind == "range" else self.kind

    @property
    def machine(self) -> bool:
        return self.kind in MACHINE

    @property
    def numeric(self) -> bool:
        return self.kind != "bool"


BOOL, U8, I32, INT = Ty("bool"), Ty("u8"), Ty("i32"), Ty("int")
U16, U32 = Ty("u16"), Ty("u32")
MACHINE = {"u8": 8, "u16": 16, "u32": 32, "i32": 32}
# sized specs: initial values and constants at the wrap-around boundaries
BOUNDARY_INITS = {"u16": [0, 1, 2, 65534, 65535], "u32": [0, 1, 2, 2147483647, 2147483648, 4294967295],
                  "i32": [-2, 0, 2, -2147483648, -2147483647, 2147483646, 2147483647]}
BOUNDARY_CONSTS = {"u8": [0, 1, 2, 255, 256, -1], "u16": [0, 1, 2, 65535, 65536, -1],
                   "u32": [0, 1, 2, 2147483647, 2147483648, 4294967295, 4294967296, -1],
                   "i32": [-2, 0, 1, 4, -2147483648, 2147483647, 2147483648]}


def wrap(ty: Ty, v: int) -> int:
    if ty.kind == "u8":
        return v % 256
    if ty.kind == "i32":
        return (v + 2**31) % 2**32 - 2**31
    if ty.kind in ("u16", "u32"):
        return v % 2 ** MACHINE[ty.kind]
    return v


def cdiv(a: int, b: int) -> int:
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def cmod(a: int, b: int) -> int:
    return a if b == 0 else a - b * cdiv(a, b)


@dataclass
class E:
    """An expression: its text, type, and value in an environment (None
    when it reads something the environment does not know)."""

    text: str
    ty: Ty
    ev: Callable[[Env], int | None]


def _lift(f: Callable[..., int], *args: E) -> Callable[[Env], int | None]:
    def ev(env: Env) -> int | None:
        vals = [a.ev(env) for a in args]
        return None if any(v is None for v in vals) else f(*vals)
    return ev


# ----------------------------------------------------------------- variables

@dataclass
class Var:
    ref: str  # how it is written where it is read (`X.f0`, `g0`, `l0`, `t0[1].l0`)
    ty: Ty
    init: int
    key: str  # environment key (the reference written from outside the actor)


@dataclass
class Actor:
    name: str
    kind: str  # thread | daemon
    count: int  # 1 (no brackets) or 2
    steps: list[str] = field(default_factory=list)
    local: tuple[str, Ty, int] | None = None  # (name, type, initial value)
    counter: bool = False  # a 0..1 local `k` that bounds a backward goto

    def inst(self, i: int) -> str:
        return f"{self.name}[{i}]" if self.count > 1 else self.name


class Gen:
    def __init__(self, seed: int, size: int = 0):
        self.r = random.Random(seed)
        self.seed = seed
        self.size = size  # 0: the original generator; >= 1: wider types and operations, more steps
        self.max_steps = MAX_STEPS + size
        self.shared: list[Var] = []  # page fields and globals
        self.page_array: list[tuple[str, Ty, int]] | None = None  # fields of P[2]
        self.actors: list[Actor] = []
        self.lines: list[str] = []
        self.written: dict[str, Var] = {}  # machine-integer slots the current step writes
        self.factor = 1  # how many ways the current step splits so far

    # ------------------------------------------------------------- declarations
    def _ty(self) -> tuple[Ty, int]:
        r = self.r
        if self.size:
            k = r.choice(["bool", "bool", "range", "u8", "u16", "u32", "u32", "i32", "i32"])
            if k in BOUNDARY_INITS:
                return Ty(k), r.choice(BOUNDARY_INITS[k])
        else:
            k = r.choice(["bool", "bool", "range", "range", "u8", "u8", "i32"])
        if k == "bool":
            return BOOL, r.randint(0, 1)
        if k == "range":
            hi = r.randint(1, 3)
            return Ty("range", 0, hi), r.randint(0, hi)
        if k == "u8":
            return U8, r.choice([0, 1, 2, 3, 253, 254, 255])
        return I32, r.randint(-2, 2)

    @staticmethod
    def _lit(ty: Ty, v: int) -> str:
        if ty.kind == "bool":
            return "true" if v else "false"
        return str(v) if v >= 0 else f"-{-v}"

    def declare(self) -> None:
        r = self.r
        n_containers = r.choice([1, 1, 2])
        kinds = r.sample(["X", "P", "globals"], n_containers)
        budget = 3 + self.size // 2
        decls = []
        for i, kind in enumerate(kinds):
            n = r.randint(1, min(2, budget - (n_containers - 1 - i)))
            budget -= n
            fields = [(f"f{len(self.shared) + j}",) + self._ty() for j in range(n)]
            if kind == "X":
                decls.append("page X { " + ", ".join(f"{f}: {t.text} = {self._lit(t, v)}" for f, t, v in fields) + " }")
                self.shared += [Var(f"X.{f}", t, v, f"X.{f}") for f, t, v in fields]
            elif kind == "P":
                decls.append("page P[2] { " + ", ".join(f"{f}: {t.text} = {self._lit(t, v)}" for f, t, v in fields) + " }")
                self.page_array = [(f, t, v) for f, t, v in fields]
                for k in range(2):
                    self.shared += [Var(f"P[{k}].{f}", t, v, f"P[{k}].{f}") for f, t, v in fields]
            else:
                for f, t, v in fields:
                    g = "g" + f[1:]
                    decls.append(f"var {g}: {t.text} = {self._lit(t, v)}")
                    self.shared.append(Var(g, t, v, g))
        self.lines += decls

    def make_actors(self) -> None:
        r = self.r
        n = r.choice([1, 2, 2, 3])
        if self.size:
            n += r.randint(0, self.size // 2)
        for i in range(n):
            kind = "thread" if r.random() < 0.6 else "daemon"
            a = Actor(f"{kind[0]}{i}", kind, r.choice([1, 1, 2]))
            # at most MAX_STEPS step instances in all, so the encodings stay small
            left = self.max_steps - sum(len(b.steps) * b.count for b in self.actors) - (n - 1 - i)
            most = 3 + self.size // 2
            a.steps = [f"s{j}" for j in range(max(1, min(r.randint(1, most), left // a.count)))]
            if r.random() < 0.35:
                ty, v = (BOOL, r.randint(0, 1)) if r.random() < 0.5 else (Ty("range", 0, 2), 0)
                a.local = ("l", ty, v)
            a.counter = kind == "thread" and len(a.steps) > 1 and r.random() < 0.25
            self.actors.append(a)

    def local_vars(self, a: Actor, inside: bool) -> list[Var]:
        """The locals of every instance of `a` (inside: the own instance's, by bare name)."""
        out = []
        names = ([a.local] if a.local else []) + ([("k", Ty("range", 0, 1), 0)] if a.counter else [])
        for name, ty, v in names:
            if inside:
                out.append(Var(name, ty, v, f"{a.name}.{name}"))  # read only in steps: never evaluated
            else:
                out += [Var(f"{a.inst(i)}.{name}", ty, v, f"{a.inst(i)}.{name}") for i in range(a.count)]
        return out

    # ------------------------------------------------------------- expressions
    def num(self, vars_: list[Var], want: str | None = None, depth: int = 0) -> E | None:
        """A numeric expression; want: u8 | i32 | int (None: any)."""
        r = self.r
        cands = [v for v in vars_ if v.ty.numeric and (want is None or self._cls(v.ty) == want)]
        if not cands:
            if want == "int":
                c = r.randint(0, 3)
                return E(str(c), INT, lambda env: c)
            if self.size and want in MACHINE:
                kinds = sorted({v.ty.kind for v in vars_ if v.ty.machine})
                if not kinds:
                    return None
                base = self.num(vars_, r.choice(kinds), depth + 1)
                assert base is not None
                to = Ty(want)
                return E(f"{want}({base.text})", to, _lift(lambda a: wrap(to, a), base))
            if want == "u8" and any(v.ty.kind == "i32" for v in vars_):
                base = self.num(vars_, "i32", depth + 1)
                assert base is not None
                return E(f"u8({base.text})", U8, _lift(lambda a: wrap(U8, a), base))
            if want == "i32" and any(v.ty.kind == "u8" for v in vars_):
                base = self.num(vars_, "u8", depth + 1)
                assert base is not None
                return E(f"i32({base.text})", I32, _lift(lambda a: wrap(I32, a), base))
            return None
        v = r.choice(cands)
        ty = INT if v.ty.kind == "range" else v.ty
        base = E(v.ref, ty, lambda env, k=v.key: env.get(k))
        if depth >= 1 or r.random() < 0.5:
            return base
        op = r.choice(["+", "-", "*", "/", "%", "neg", "cast", "int"])
        if op == "neg":
            return E(f"(-{base.text})", ty, _lift(lambda a: wrap(ty, -a), base))
        if op == "cast" and ty.machine:
            to = I32 if ty.kind == "u8" else U8
            if self.size:
                to = r.choice([Ty(k) for k in MACHINE if k != ty.kind])
            return E(f"{to.kind}({base.text})", to, _lift(lambda a: wrap(to, a), base))
        if op == "int" and ty.machine:
            return E(f"int({base.text})", INT, base.ev)
        if op in ("cast", "int"):
            op = "+"
        if op in ("+", "-") and r.random() < 0.4:
            others = [u for u in vars_ if u.ref != v.ref]
            other = self.num(others, self._cls(ty), depth + 1) or self.num(vars_, self._cls(ty), depth + 1)
            assert other is not None
        elif self.size and op in ("/", "%") and r.random() < 0.5:
            # a variable divisor: zero and, for i32, -1 and negative ones too
            other = self.num([u for u in vars_ if u.ref != v.ref], self._cls(ty), depth + 1) or \
                self.num(vars_, self._cls(ty), depth + 1)
            assert other is not None
        else:
            c = r.randint(1, 3) if op in ("+", "-") else r.randint(2, 3)
            if self.size and ty.machine and r.random() < 0.3:
                top = 2 ** MACHINE[ty.kind] - 1 if ty.kind in ("u8", "u16", "u32") else 2**31 - 1
                c = r.choice([top, 0, 1] if op in ("+", "-", "*") else [1, 7, top])
            other = E(str(c), INT, lambda env, c=c: c)
        f = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "/": cdiv, "%": cmod}[op]
        return E(f"({base.text} {op} {other.text})", ty, _lift(lambda a, b: wrap(ty, f(a, b)), base, other))

    @staticmethod
    def _cls(ty: Ty) -> str:
        return "int" if ty.kind in ("range", "int") else ty.kind

    def cond(self, vars_: list[Var], depth: int = 0, pcs: list[tuple[str, str, int]] | None = None) -> E:
        """A bool expression over vars_; pcs: (instance, label, position) for A@L / done(A)."""
        r = self.r
        x = r.random()
        if depth < 2 and x < 0.3:
            a = self.cond(vars_, depth + 1, pcs)
            b = self.cond([v for v in vars_ if v.ref not in a.text] or vars_, depth + 1, pcs)
            op = r.choice(["and", "or", "=>"])
            f = {"and": lambda p, q: int(p and q), "or": lambda p, q: int(p or q),
                 "=>": lambda p, q: int((not p) or q)}[op]
            return E(f"({a.text} {op} {b.text})", BOOL, _lift(f, a, b))
        if depth < 2 and x < 0.38:
            a = self.cond(vars_, depth + 1, pcs)
            return E(f"(not {a.text})", BOOL, _lift(lambda p: int(not p), a))
        if pcs and x < 0.5:
            inst, label, pos = r.choice(pcs)
            if label == "":
                return E(f"done({inst})", BOOL, lambda env, k=f"pc:{inst}", p=pos: None if k not in env else int(env[k] == p))
            return E(f"{inst}@{label}", BOOL, lambda env, k=f"pc:{inst}", p=pos: None if k not in env else int(env[k] == p))
        if self.page_array and depth == 0 and x < 0.58:
            return self._quant(vars_)
        bools = [v for v in vars_ if v.ty.kind == "bool"]
        if bools and x < 0.72:
            v = r.choice(bools)
            return E(v.ref, BOOL, lambda env, k=v.key: env.get(k))
        a = self.num(vars_)
        if a is None:
            v = r.choice(bools) if bools else None
            if v is None:
                return E("true", BOOL, lambda env: 1)
            return E(v.ref, BOOL, lambda env, k=v.key: env.get(k))
        op = r.choice(["==", "!=", "<", "<=", ">", ">="])
        if r.random() < 0.3:
            others = [v for v in vars_ if v.ref not in a.text]
            b = self.num(others, self._cls(a.ty), 1) or self.num(vars_, self._cls(a.ty), 1)
            assert b is not None
        else:
            c = r.choice([0, 1, 2, 3, 4, 254, 255, 256, -1]) if a.ty.kind == "u8" else r.randint(-2, 4)
            if self.size and a.ty.kind in BOUNDARY_CONSTS and r.random() < 0.5:
                c = r.choice(BOUNDARY_CONSTS[a.ty.kind])
            b = E(str(c) if c >= 0 else f"-{-c}", INT, lambda env, c=c: c)
        f = {"==": lambda p, q: p == q, "!=": lambda p, q: p != q, "<": lambda p, q: p < q,
             "<=": lambda p, q: p <= q, ">": lambda p, q: p > q, ">=": lambda p, q: p >= q}[op]
        return E(f"({a.text} {op} {b.text})", BOOL, _lift(lambda p, q: int(f(p, q)), a, b))

    def _quant(self, vars_: list[Var]) -> E:
        assert self.page_array is not None
        q = self.r.choice(["forall", "exists"])
        pvars = [Var(f"p.{f}", t, v, f"p.{f}") for f, t, v in self.page_array]
        body = self.cond(pvars, 2)
        fields = [f for f, _, _ in self.page_array]

        def ev(env: Env) -> int | None:
            vals = []
            for i in range(2):
                e2 = dict(env)
                for f in fields:
                    if f"P[{i}].{f}" in env:
                        e2[f"p.{f}"] = env[f"P[{i}].{f}"]
                vals.append(body.ev(e2))
            if any(v is None for v in vals):
                return None
            return int(all(vals) if q == "forall" else any(vals))
        return E(f"({q} p in P: {body.text})", BOOL, ev)

    # ------------------------------------------------------------- statements
    def _split(self, k: int) -> bool:
        """May the step split k ways more?  (if/either/choose multiply its transitions.)"""
        if self.factor * k > MAX_SPLIT:
            return False
        self.factor *= k
        return True

    def stmts(self, a: Actor, vars_: list[Var], writable: list[Var], depth: int, n: int | None = None,
              chosen: str | None = None) -> list[str]:
        r = self.r
        out = []
        for _ in range(n if n is not None else r.choice([1, 1, 2] if depth else [1, 2, 2, 3])):
            x = r.random()
            if depth < 2 and x < 0.14 and self._split(2):
                c = self.cond(vars_, 1)
                then = self.stmts(a, vars_, writable, depth + 1, chosen=chosen)
                if r.random() < 0.5:
                    out.append(f"if {c.text} {{ {'; '.join(then)} }}")
                else:
                    other = self.stmts(a, vars_, writable, depth + 1, chosen=chosen)
                    out.append(f"if {c.text} {{ {'; '.join(then)} }} else {{ {'; '.join(other)} }}")
            elif depth < 2 and x < 0.24 and self._split(2):
                branches = [self.stmts(a, vars_, writable, depth + 1, chosen=chosen) for _ in range(2)]
                out.append("either " + " or ".join("{ " + "; ".join(b) + " }" for b in branches))
            elif depth < 2 and chosen is None and x < 0.32 and \
                    self._split((hi := r.randint(1, 3 if self.size >= 2 else 2)) + 1):
                v = "v"
                body = self.stmts(a, vars_ + [Var(v, INT, 0, "?")], writable, depth + 1, 1, chosen=v)
                out.append(f"choose {v} in 0..{hi} {{ {'; '.join(body)} }}")
            elif (depth < 2 and self.page_array and x < 0.38 and not any(w.ref.startswith("p.") for w in writable)
                  and self._split(2)):
                pv = [Var(f"p.{f}", t, val, "?") for f, t, val in self.page_array]
                body = self.stmts(a, vars_ + pv, writable + pv, depth + 1, 1, chosen=chosen)
                out.append(f"choose p in P {{ {'; '.join(body)} }}")
            elif x < 0.37:
                out.append(f"assert {self.cond(vars_, 1).text}, \"{a.name} check\"")
            else:
                out.append(self.assign(vars_, writable, chosen))
        return out

    def assign(self, vars_: list[Var], writable: list[Var], chosen: str | None) -> str:
        r = self.r
        if not writable:
            return "skip"
        w = r.choice(writable)
        t = w.ty
        if t.machine:
            if w.ref.startswith("p."):
                for v in self.shared:
                    if v.ref.startswith("P[") and v.ref.endswith(w.ref[1:]):
                        self.written[v.ref] = v
            else:
                self.written[w.ref] = w
        x = r.random()
        if chosen is not None and x < 0.5:
            if t.kind == "bool":
                return f"{w.ref} = ({chosen} == 1)"
            if t.kind == "range":
                return f"{w.ref} = {chosen}"
            return f"{w.ref} {r.choice(['+=', '-='])} {chosen}"
        if t.kind == "bool":
            if x < 0.4:
                return f"{w.ref} = {r.choice(['true', 'false'])}"
            if x < 0.7:
                return f"{w.ref} = (not {w.ref})"
            return f"{w.ref} = {self.cond(vars_, 1).text}"
        if t.kind == "range":
            if x < 0.3:
                return f"{w.ref} {r.choice(['+=', '-='])} 1"
            if x < 0.6:  # guarded, so the range check does not stop every run
                return r.choice([f"if {w.ref} < {t.hi} {{ {w.ref} += 1 }}", f"if {w.ref} > {t.lo} {{ {w.ref} -= 1 }}"])
            return f"{w.ref} = {r.randint(t.lo, t.hi + 1) if x < 0.7 else r.randint(t.lo, t.hi)}"
        if x < 0.7:
            return f"{w.ref} {r.choice(['+=', '-='])} {r.randint(1, 3)}"
        if x < 0.85:
            e = self.num(vars_, t.kind, 1)
            assert e is not None
            return f"{w.ref} = {e.text}"
        if self.size and t.kind in BOUNDARY_INITS:
            return f"{w.ref} = {self._lit(t, r.choice(BOUNDARY_INITS[t.kind]))}"
        return f"{w.ref} = {self._lit(t, r.randint(0, 3) if t.kind == 'u8' else r.randint(-3, 3))}"

    def _window(self) -> str:
        """Guard conjuncts that keep a daemon step's machine integers in a window."""
        parts = []
        for ref, w in sorted(self.written.items()):
            lo = w.init - 1 if w.ty.kind == "i32" else max(0, w.init - 1)
            parts.append(f"{ref} >= {lo} and {ref} <= {lo + 3}")
        return " and ".join(parts)

    def actor_text(self, a: Actor) -> str:
        r = self.r
        own = self.local_vars(a, inside=True)
        vars_ = self.shared + own
        writable = list(self.shared) + [v for v in own if v.ref != "k"]  # k only counts gotos
        lines = [f"{a.kind} {a.name}{'[2]' if a.count > 1 else ''} {{"]
        if a.local:
            name, ty, v = a.local
            lines.append(f"    var {name}: {ty.text} = {self._lit(ty, v)}")
        if a.counter:
            lines.append("    var k: 0..1 = 0")
        for j, label in enumerate(a.steps):
            self.written = {}
            self.factor = 1
            w = writable
            body = self.stmts(a, vars_, w, 0)
            if a.count > 1 and r.random() < 0.3 and self._split(2):
                body = [f"if self == 0 {{ {'; '.join(self.stmts(a, vars_, w, 1))} }}"] + body
            if a.kind == "thread" and r.random() < 0.15 and self._split(2):
                body.append(f"if {self.cond(vars_, 1).text} {{ end }}")
            if a.counter and j > 0 and r.random() < 0.6 and self._split(2):
                body.append(f"if k < 1 {{ k += 1; goto {a.steps[r.randrange(j)]} }}")
            text = "; ".join(body)
            guard = ""
            if r.random() < 0.35:
                guard = self.cond(vars_, 1).text
            if a.kind == "daemon":
                window = self._window()
                guard = f"({guard}) and {window}" if guard and window else guard or window
            lines.append(f"    {label}: {'when ' + guard + ' ' if guard else ''}{{ {text} }}")
        lines.append("}")
        return "\n".join(lines)

    # ------------------------------------------------------------- properties
    def properties(self) -> None:
        r = self.r
        vars_ = list(self.shared)
        pcs: list[tuple[str, str, int]] = []
        for a in self.actors:
            vars_ += self.local_vars(a, inside=False)
            if a.kind == "thread":
                for i in range(a.count):
                    pcs += [(a.inst(i), lab, p) for p, lab in enumerate(a.steps)]
                    pcs.append((a.inst(i), "", len(a.steps)))
        env: Env = {v.key: v.init for v in vars_}
        env.update({f"pc:{inst}": 0 for inst, _, _ in pcs})
        for i in range(r.randint(1, 3)):
            kind = r.choice(["invariant", "invariant", "reachable", "reachable", "lemma"] if i else
                            ["invariant", "reachable"])
            e = self.cond(vars_, 0, pcs if r.random() < 0.4 else None)
            at_init = e.ev(env)
            if at_init is not None and (at_init == 0) == (kind != "reachable") and r.random() < 0.8:
                e = E(f"not {e.text}", BOOL, e.ev)
            self.lines.append(f"{kind} {kind[0]}{i}: {e.text}")

    def text(self) -> str:
        self.declare()
        self.make_actors()
        self.lines.insert(0, f"spec rand_{self.seed}" + (f"_size{self.size}" if self.size else ""))
        body = [self.actor_text(a) for a in self.actors]
        self.lines += body
        self.properties()
        if self.r.random() < 0.3:
            self.lines.append("allow deadlock")
        return "\n".join(self.lines) + "\n"


def generate(seed: int, size: int = 0) -> str:
    """The text of random spec number `seed` (the same text for the same
    seed and size); `size` >= 1 widens the types and operations and grows
    the spec (module docstring)."""
    return Gen(seed, size).text()


if __name__ == "__main__":  # print a few: python tests/randomspec.py 0 1 2, or SEED:SIZE
    import sys
    for s in sys.argv[1:] or ["0"]:
        seed, _, size = s.partition(":")
        print(generate(int(seed), int(size or 0)))
