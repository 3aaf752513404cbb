"""Packing states into as few words as the values met so far need.

`Layout.of` gives every slot its type's full width: a `u32` counter takes
32 bits even when it never passes 600, and `pin_bias` packs into three
words where one would do.  `Packing` starts each slot at the value it has
in the initial state with a few bits of room, and widens a slot (by two
bits at least: four times the room) the first time a successor does not
fit; the stored states are then re-encoded once (`StateStore.recode`).
A slot is widened at most 30 times, and as the visited set grows with
the values it holds, the re-encoding costs O(states) in all, amortised.

Values are kept as offsets from the full layout's: a slot holds
`v - full_lo - base` in `width` bits.  Which layout the states are packed
with changes nothing in the search (state ids, order, traces): it is only
how the visited set stores them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pinmc.engines.explicit.partition import unpack_columns
from pinmc.engines.explicit.store import Layout

START_BITS = 4  # the room a slot starts with
GROW_BITS = 2  # a widened slot gains at least this many bits: four times the room


def _bits(span: int) -> int:
    """Bits that hold 0 .. span."""
    return max(1, span.bit_length())


class Packing:
    """An adaptive narrow `Layout` over a full one (which must not be wide)."""

    def __init__(self, full: Layout, init: tuple[int, ...]):
        assert not full.wide, "u64 slots are packed through Python ints: no narrow packing"
        self.full = full
        self.base: list[int] = []  # per slot: the narrow field's offset from the full encoding
        self.width: list[int] = []
        for (_, _, width, lo), v in zip(full.fields, init):
            w = min(width, START_BITS)
            self.width.append(w)
            self.base.append(min(v - lo, (1 << width) - (1 << w)))
        self.layout = self._layout()
        self.widened = 0  # times a slot was widened (statistics)

    def _layout(self) -> Layout:
        fields = []
        word, used = 0, 0
        for (_, _, _, lo), base, width in zip(self.full.fields, self.base, self.width):
            if used + width > 64:
                word, used = word + 1, 0
            fields.append((word, used, width, lo + base))
            used += width
        return Layout(word + 1, tuple(fields), False)

    def columns(self, succ: Any) -> np.ndarray:
        """The (slots x states) int64 matrix of a vector expander's matrix
        or of a scalar expander's list of tuples."""
        if isinstance(succ, np.ndarray):
            return succ
        if not succ:
            return np.zeros((len(self.full.fields), 0), dtype=np.int64)
        return np.array(succ, dtype=np.int64).reshape(len(succ), -1).T

    def pack(self, succ: Any) -> tuple[np.ndarray, Layout | None]:
        """(packed rows of `succ`, the layout they were packed with before
        if a slot had to be widened first, else None)."""
        cols = self.columns(succ)
        m = cols.shape[1]
        old = None
        while True:
            out = np.zeros((m, self.layout.words), dtype=np.uint64)
            over = []
            for k, (word, shift, width, lo) in enumerate(self.layout.fields):
                enc = cols[k].view(np.uint64) - np.uint64(lo & 0xFFFFFFFFFFFFFFFF)
                if width < 64 and m and int(np.bitwise_or.reduce(enc)) >> width:
                    over.append(k)  # a value below the field's base wraps around: it shows too
                elif not over:
                    out[:, word] |= enc << np.uint64(shift) if shift else enc
            if not over:
                return out, old
            old = old or self.layout
            self._widen(cols, over)
            self.layout = self._layout()

    def _widen(self, cols: np.ndarray, slots: list[int]) -> None:
        """Widen `slots` to hold their current range and `cols`' values,
        by GROW_BITS at least, with the new room on the side the values
        grew to."""
        for k in slots:
            full_width, full_lo = self.full.fields[k][2], self.full.fields[k][3]
            enc = cols[k].view(np.uint64) - np.uint64(full_lo & 0xFFFFFFFFFFFFFFFF)
            lo_v, hi_v = int(enc.min()), int(enc.max())
            base, width = self.base[k], self.width[k]
            lo, hi = min(base, lo_v), max(base + (1 << width) - 1, hi_v)
            w = min(full_width, max(_bits(hi - lo), width + GROW_BITS))
            room = (1 << w) - (hi - lo + 1)
            start = lo - room if lo_v < base else lo
            self.base[k] = max(0, min(start, (1 << full_width) - (1 << w)))
            self.width[k] = w
            self.widened += 1

    def convert(self, old: Layout) -> Any:
        """A function from rows packed with `old` to rows packed now."""
        return converter(old, self.layout)


def converter(old: Layout, new: Layout) -> Any:
    """A function from rows packed with `old` to the same states packed with `new`."""
    return lambda rows: new.pack_columns(unpack_columns(old, rows))
