"""What a symbolic engine says about one goal."""

from __future__ import annotations

from dataclasses import dataclass

FOUND, PROVED, UNKNOWN = "found", "proved", "unknown"


@dataclass(frozen=True)
class Outcome:
    """found: `moves` reach the bad state/move; proved: it is unreachable
    for every value; unknown: a bound or time limit was hit."""

    status: str
    engine: str
    moves: tuple[tuple[int, tuple[int, ...]], ...] | None = None
    note: str = ""
    certificate: str | None = None  # pdr: the inductive invariant, in pinmc syntax
    seconds: float = 0.0
