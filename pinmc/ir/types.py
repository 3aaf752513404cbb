"""Value types of the IR and their arithmetic (the reference semantics).

Values are Python ints everywhere: booleans are 0/1, enum members their
index, program counters the step index (the number of steps means done),
machine integers their interpreted value (an i32 is in -2^31..2^31-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True, slots=True)
class BoolT:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class IntT:
    """A mathematical integer: untyped constants, range values, their sums."""

    def __str__(self) -> str:
        return "int"


@dataclass(frozen=True, slots=True)
class MachT:
    """A machine integer of `bits` bits that wraps around."""

    bits: int
    signed: bool

    def __str__(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}"

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, value: int) -> int:
        mask = (1 << self.bits) - 1
        if self.signed:
            half = 1 << (self.bits - 1)
            return ((value + half) & mask) - half
        return value & mask


@dataclass(frozen=True, slots=True)
class RangeT:
    """`lo..hi`: a declared type whose assignments are checked."""

    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo}..{self.hi}"


@dataclass(frozen=True, slots=True)
class EnumT:
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class PcT:
    """The program counter of a thread: a step label, or done."""

    labels: tuple[str, ...]

    def __str__(self) -> str:
        return "pc"

    def show(self, value: int) -> str:
        return self.labels[value] if value < len(self.labels) else "done"


@dataclass(frozen=True, slots=True)
class PageT:
    def __str__(self) -> str:
        return "page"


Type = Union[BoolT, IntT, MachT, RangeT, EnumT, PcT, PageT]
BOOL = BoolT()
INT = IntT()
PAGE = PageT()
MACHINE = {f"{k}{b}": MachT(b, k == "i") for k in "ui" for b in (8, 16, 32, 64)
           if not (k == "i" and b in (8, 16))}


def value_type(t: Type) -> Type:
    """The type of a value read from a slot of declared type `t`."""
    return INT if isinstance(t, RangeT) else t


def is_numeric(t: Type) -> bool:
    return isinstance(t, (IntT, MachT, RangeT))


def show_value(t: Type, value: int) -> str:
    """How a value of type `t` is printed in traces and reports."""
    if isinstance(t, BoolT):
        return "true" if value else "false"
    if isinstance(t, EnumT):
        return t.members[value] if 0 <= value < len(t.members) else str(value)
    if isinstance(t, PcT):
        return t.show(value)
    return str(value)


def domain_size(t: Type) -> int | None:
    """Number of values of a slot type; None for unbounded."""
    if isinstance(t, BoolT):
        return 2
    if isinstance(t, MachT):
        return 1 << t.bits
    if isinstance(t, RangeT):
        return t.hi - t.lo + 1
    if isinstance(t, EnumT):
        return len(t.members)
    if isinstance(t, PcT):
        return len(t.labels) + 1
    return None


def c_div(a: int, b: int) -> int:
    """C division (truncating toward zero); x / 0 is defined as 0."""
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_mod(a: int, b: int) -> int:
    """C remainder (sign of the dividend); x % 0 is defined as x."""
    return a if b == 0 else a - b * c_div(a, b)


@dataclass(frozen=True, slots=True)
class AnyT:
    """The type of an expression that already produced an error: it fits
    anywhere, so one mistake is reported once."""

    def __str__(self) -> str:
        return "?"


ANY = AnyT()
