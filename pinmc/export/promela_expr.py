"""IR expressions as Promela expressions that pan evaluates exactly.

pan compiles a Promela expression into C and evaluates it in 32-bit `int`s;
the exported model is compiled with `gcc -fwrapv`, so `+`, `-`, `*` and
unary `-` are exact arithmetic modulo 2^32.  pinmc's values are
mathematical integers (machine types wrap at their width), so each
translated expression carries, besides its text, the interval of its
pinmc value and how its C value relates to it (`Val`):

* exact (`unsigned` false): the C value is the value, which lies in
  -2^31 .. 2^31-1;
* unsigned: the value lies in 0 .. 2^32-1 and the C value is its 32-bit
  pattern (a u32 above 2^31-1 reads as a negative int).

A ring operation's C result is always congruent to the pinmc result modulo
2^32, so its interval alone says which view it is in, or that it fits in
neither: then the operation needs more than 32 bits and is refused
(`Unrepresentable`).  Wrapping to u8/u16 masks, to u32/i32 reinterprets
the pattern.  Division and remainder of exact operands are C's, guarded for
a zero divisor (pinmc: x / 0 = 0, x % 0 = x) and for -2^31 / -1, which
traps in C; of non-negative values above 2^31-1 they take long division's
last step on the patterns (`unsigned_divmod`).  Comparisons of an unsigned
value with a signed one test the sign of the pattern first, and a
comparison that the intervals decide is a constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pinmc.ir import nodes as ir
from pinmc.ir.eval import evaluate
from pinmc.ir.nodes import Expr
from pinmc.ir.types import BoolT, EnumT, MachT, PcT, RangeT, Type

INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
UINT_MAX = (1 << 32) - 1
MAX_QUANT = 4096  # values a quantifier may expand to
MAX_TEXT = 100_000  # characters of one translated expression


class Unrepresentable(Exception):
    """A value or operation that 32-bit C ints cannot reproduce exactly."""


@dataclass(frozen=True, slots=True)
class Val:
    """A translated expression: Promela text, the interval of its pinmc
    value, and whether the text's C value is the value's 32-bit pattern
    (`unsigned`, for values above 2^31-1) or the value itself."""

    text: str
    lo: int
    hi: int
    unsigned: bool = False


def literal(v: int) -> Val:
    """The constant `v`, in the exact view if it fits, else as a pattern."""
    if v == INT_MIN:
        return Val("(-2147483647 - 1)", v, v)
    if INT_MIN < v <= INT_MAX:
        return Val(str(v) if v >= 0 else f"({v})", v, v)
    if INT_MAX < v <= UINT_MAX:
        return Val(literal(v - (1 << 32)).text, v, v, True)
    raise Unrepresentable(f"the constant {v} needs more than 32 bits")


def view(text: str, lo: int, hi: int, what: str) -> Val:
    """`text`, whose C value is congruent modulo 2^32 to a value in
    lo..hi, in whichever view holds that interval."""
    if INT_MIN <= lo and hi <= INT_MAX:
        return Val(text, lo, hi)
    if 0 <= lo and hi <= UINT_MAX:
        return Val(text, lo, hi, True)
    raise Unrepresentable(f"{what} ranges over {lo}..{hi}, which needs more than 32 bits")


def slot_range(ty: Type) -> tuple[int, int]:
    """The values a state variable of declared type `ty` can hold."""
    if isinstance(ty, BoolT):
        return 0, 1
    if isinstance(ty, EnumT):
        return 0, len(ty.members) - 1
    if isinstance(ty, PcT):
        return 0, len(ty.labels)
    if isinstance(ty, RangeT):
        return ty.lo, ty.hi
    if isinstance(ty, MachT):
        return ty.lo, ty.hi
    raise Unrepresentable(f"a state variable of type {ty}")


def article(what: object) -> str:
    """`what` with its indefinite article (an i32, a u8)."""
    text = str(what)
    return ("an " if text[:1] in "aei" else "a ") + text


def fit(ty: MachT, text: str, lo: int, hi: int) -> Val:
    """A value of machine type `ty` from `text`, congruent modulo 2^32 to
    a value in lo..hi: that value wrapped as `ty` wraps."""
    if ty.lo <= lo and hi <= ty.hi:
        return view(text, lo, hi, f"{article(ty)} value")
    mask = (1 << ty.bits) - 1
    if ty.bits < 32:
        if ty.signed:
            half = 1 << (ty.bits - 1)
            return Val(f"((({text} + {half}) & {mask}) - {half})", ty.lo, ty.hi)
        return Val(f"({text} & {mask})", 0, mask)
    if ty.bits == 32:
        return Val(text, ty.lo, ty.hi, not ty.signed)
    raise Unrepresentable(f"{article(ty)} value ranges over {lo}..{hi}: it may wrap around at {ty.bits} bits "
                          "or need more than 32")


def _interval(op: str, a: Val, b: Val) -> tuple[int, int]:
    if op == "+":
        return a.lo + b.lo, a.hi + b.hi
    if op == "-":
        return a.lo - b.hi, a.hi - b.lo
    if op == "*":
        corners = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        return min(corners), max(corners)
    m = max(abs(a.lo), abs(a.hi))
    if op == "/":
        return (0, a.hi) if a.lo >= 0 and b.lo >= 0 else (-m, m)
    # %: the sign of the dividend, never larger than it
    return (0, a.hi) if a.lo >= 0 else (-m, m)


def _flip(op: str) -> str:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]


def _decided(op: str, a: Val, b: Val) -> bool | None:
    """The truth of `a op b` when the intervals alone decide it, else None."""
    def order(lt: bool, ge: bool) -> bool | None:
        return True if lt else (False if ge else None)

    if op in (">", ">="):
        return _decided("<" if op == ">" else "<=", b, a)
    if op == "<":
        return order(a.hi < b.lo, a.lo >= b.hi)
    if op == "<=":
        return order(a.hi <= b.lo, a.lo > b.hi)
    equal = True if a.lo == a.hi == b.lo == b.hi else (False if a.hi < b.lo or a.lo > b.hi else None)
    return equal if op == "==" or equal is None else not equal


def compare(op: str, a: Val, b: Val) -> str:
    """`a op b` on the pinmc values, whatever the views of a and b."""
    if not a.unsigned and not b.unsigned:
        return f"({a.text} {op} {b.text})"
    if not a.unsigned:
        return compare(_flip(op), b, a)
    x, y = a.text, b.text
    if b.unsigned:  # both patterns: equal values have equal patterns; order by the top bit first
        if op in ("==", "!="):
            return f"({x} {op} {y})"
        strict = {"<": (x, y, "<"), "<=": (x, y, "<="), ">": (y, x, "<"), ">=": (y, x, "<=")}[op]
        p, q, rel = strict
        return f"((({p} < 0) == ({q} < 0)) -> ({p} {rel} {q}) : ({q} < 0))"
    # a is a pattern, b exact: a negative pattern is a value above 2^31-1, above any exact value
    return {"<": f"(({x} >= 0) && ({x} < {y}))", "<=": f"(({x} >= 0) && ({x} <= {y}))",
            ">": f"(({x} < 0) || ({x} > {y}))", ">=": f"(({x} < 0) || ({x} >= {y}))",
            "==": f"(({x} >= 0) && ({x} == {y}))", "!=": f"(({x} < 0) || ({x} != {y}))"}[op]


def unsigned_divmod(op: str, a: Val, b: Val) -> str:
    """`a / b` or `a % b` of two values in 0..2^32-1, as text computing
    the result's 32-bit pattern from the operands' patterns (signed C
    division is right only below 2^31).  For 0 < b < 2^31, long division's
    last step: h = 2 * ((a >>> 1) / b) leaves a remainder r = a - h * b in
    0 .. 2b-1, so the quotient is h + 1 exactly when r - b, which fits in
    an int, is >= 0.  For b >= 2^31 the quotient is 1 when a >= b, else 0."""
    x, y = a.text, b.text
    half = f"((({x} >> 1) & {INT_MAX}) / {y} * 2)"  # a >>> 1 is a >> 1 with the top bit cleared
    quot = f"({half} + ((({x} - ({half} + 1) * {y}) >= 0) -> 1 : 0))" if a.unsigned else f"({x} / {y})"
    if b.unsigned:
        quot = f"(({y} < 0) -> ({compare('>=', a, b)} -> 1 : 0) : {quot})"
    text = quot if op == "/" else f"({x} - {quot} * {y})"
    if b.lo <= 0:
        text = f"(({y} == 0) -> {'0' if op == '/' else x} : {text})"
    return text


class Translator:
    """Translates the IR expressions of one System.

    `slots[i]` is (Promela name, lowest value, highest value, stored as a
    32-bit pattern) of state variable i.  `env` maps the ids of bound
    variables (choose parameters, quantified variables) to their values,
    which are substituted as constants.
    """

    def __init__(self, slots: list[tuple[str, int, int, bool]]):
        self.slots = slots

    def cond(self, e: Expr, env: Mapping[int, int]) -> str:
        """A boolean expression as Promela text (0 or 1 in C)."""
        return self.expr(e, env).text

    def expr(self, e: Expr, env: Mapping[int, int]) -> Val:
        """`e` as a Promela expression in the view its interval needs."""
        val = self._expr(e, env)
        if len(val.text) > MAX_TEXT:
            raise Unrepresentable(f"an expression would be {len(val.text):,} characters of Promela "
                                  f"(at most {MAX_TEXT:,}: unsigned division repeats its operands)")
        return val

    def _expr(self, e: Expr, env: Mapping[int, int]) -> Val:
        if isinstance(e, (ir.Un, ir.Bin, ir.Ite, ir.Cast)) and not ir.slots_of(e):
            # constant once the parameters are known: pinmc's value, computed here
            # (intermediate values may need more than 32 bits, the result rarely does)
            value = evaluate(e, (), env)
            return Val("true" if value else "false", value, value) if isinstance(e.ty, BoolT) else literal(value)
        if isinstance(e, ir.Lit):
            if isinstance(e.ty, BoolT):
                return Val("true" if e.value else "false", e.value, e.value)
            return literal(e.value)
        if isinstance(e, ir.Slot):
            name, lo, hi, unsigned = self.slots[e.index]
            return Val(name, lo, hi, unsigned and hi > INT_MAX)
        if isinstance(e, ir.Var):
            return literal(env[e.id])
        if isinstance(e, ir.Un):
            a = self.expr(e.arg, env)
            if e.op == "not":
                return Val(f"(!{a.text})", 0, 1)
            return self._ring(e.ty, f"(-{a.text})", -a.hi, -a.lo, "a negation")
        if isinstance(e, ir.Bin):
            return self._binary(e, env)
        if isinstance(e, ir.Ite):
            return self._ite(e, env)
        if isinstance(e, ir.Cast):
            a = self.expr(e.arg, env)
            return fit(e.ty, a.text, a.lo, a.hi) if isinstance(e.ty, MachT) else a
        if isinstance(e, ir.Quant):
            return self._quant(e, env)
        raise TypeError(f"not an IR expression: {e!r}")

    def _ring(self, ty: Type, text: str, lo: int, hi: int, what: str) -> Val:
        """The result of a ring operation: `text` is congruent modulo 2^32
        to the mathematical result, which lies in lo..hi."""
        if isinstance(ty, MachT):
            return fit(ty, text, lo, hi)
        return view(text, lo, hi, what)

    def _binary(self, e: ir.Bin, env: Mapping[int, int]) -> Val:
        op = e.op
        if op in ir.CMP_OPS:
            folded = self._beyond(op, e.left, e.right, env)
            if folded is not None:
                return folded
        a, b = self.expr(e.left, env), self.expr(e.right, env)
        if op == "and":
            return Val(f"({a.text} && {b.text})", 0, 1)
        if op == "or":
            return Val(f"({a.text} || {b.text})", 0, 1)
        if op == "=>":
            return Val(f"((!{a.text}) || {b.text})", 0, 1)
        if op == "<=>":
            return Val(f"({a.text} == {b.text})", 0, 1)
        if op in ir.CMP_OPS:
            known = _decided(op, a, b)
            if known is not None:
                return Val("true" if known else "false", int(known), int(known))
            return Val(compare(op, a, b), 0, 1)
        lo, hi = _interval(op, a, b)
        if op in ("+", "-", "*"):
            return self._ring(e.ty, f"({a.text} {op} {b.text})", lo, hi, f"'{op}'")
        if a.unsigned or b.unsigned:
            if a.lo < 0 or b.lo < 0:
                raise Unrepresentable(f"'{op}' of a negative value and one that may exceed 2^31-1 "
                                      "needs more than 32 bits")
            return self._ring(e.ty, unsigned_divmod(op, a, b), lo, hi, f"'{op}'")
        x, y = a.text, b.text
        if op == "/":
            text = f"({x} / {y})"
            if b.lo <= -1 <= b.hi and a.lo <= INT_MIN:
                text = f"(({y} == -1) -> (-{x}) : {text})"
            if b.lo <= 0 <= b.hi:
                text = f"(({y} == 0) -> 0 : {text})"
        else:
            text = f"({x} % {y})"
            if b.lo <= -1 <= b.hi and a.lo <= INT_MIN:
                text = f"(({y} == -1) -> 0 : {text})"
            if b.lo <= 0 <= b.hi:
                text = f"(({y} == 0) -> {x} : {text})"
        return self._ring(e.ty, text, lo, hi, f"'{op}'")

    def _beyond(self, op: str, left: Expr, right: Expr, env: Mapping[int, int]) -> Val | None:
        """A comparison with a constant beyond 32 bits: every other value
        lies in -2^31 .. 2^32-1, so the answer is known (e.g. a u32 is
        always below 2^32); None for any other comparison."""
        for k, (x, y) in enumerate(((left, right), (right, left))):
            if isinstance(y, ir.Lit) and not INT_MIN <= y.value <= UINT_MAX:
                self.expr(x, env)  # the other side must be expressible itself
                sign = 1 if y.value > 0 else -1  # the constant is above (1) or below (-1) everything
                rel = op if k == 0 else _flip(op)  # as `x rel constant`
                truth = {"<": sign > 0, "<=": sign > 0, ">": sign < 0, ">=": sign < 0,
                         "==": False, "!=": True}[rel]
                return Val("true" if truth else "false", int(truth), int(truth))
        return None

    def _ite(self, e: ir.Ite, env: Mapping[int, int]) -> Val:
        c = self.cond(e.cond, env)
        a, b = self.expr(e.then, env), self.expr(e.else_, env)
        lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
        if a.unsigned == b.unsigned or (lo >= 0):
            # a non-negative exact value is its own 32-bit pattern
            return Val(f"({c} -> {a.text} : {b.text})", lo, hi, a.unsigned or b.unsigned)
        raise Unrepresentable(f"an if-then-else ranges over {lo}..{hi}, which needs more than 32 bits")

    def _quant(self, e: ir.Quant, env: Mapping[int, int]) -> Val:
        n = e.hi - e.lo + 1
        if n > MAX_QUANT:
            raise Unrepresentable(f"a quantifier over {n} values (at most {MAX_QUANT} are expanded)")
        if n <= 0:
            return Val("true" if e.kind == "forall" else "false", int(e.kind == "forall"), int(e.kind == "forall"))
        parts = [self.cond(e.body, {**env, e.var.id: v}) for v in range(e.lo, e.hi + 1)]
        joiner = " && " if e.kind == "forall" else " || "
        return Val("(" + joiner.join(parts) + ")", 0, 1)
