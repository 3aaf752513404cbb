"""What a change did to each property: pure functions on JSON results.

A property is *broken* when its verdict is a failure (`violated`,
`unreachable` for a reachable property, a reachable deadlock), *good* when
it is decided and not a failure.  Comparing the result before a change
(the spec without the proposal, or a baseline) with the result after it:

    before   after    change
    broken   good     fixed
    broken   broken   still broken
    good     broken   newly broken
    good     good     holds
    -        broken   broken        (nothing to compare with)
    -        good     holds
    any      unknown  unknown
    unknown  broken   unknown       (it may be newly broken)
    unknown  good     holds

A property fails the gate when it is newly broken or its verdict is not
the one the applicable `expect` line asks for; it is `unknown` when its
verdict is unknown, or its change is; else it passes.
"""

from __future__ import annotations

from typing import Any

FIXED, STILL_BROKEN, NEWLY_BROKEN, HOLDS, BROKEN, UNKNOWN = (
    "fixed", "still broken", "newly broken", "holds", "broken", "unknown")
CHANGES = (NEWLY_BROKEN, STILL_BROKEN, BROKEN, UNKNOWN, FIXED, HOLDS)  # worst first, for tables
PASS, FAIL = "pass", "fail"


def change(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """The change of one property (result `properties` entries)."""
    if after["verdict"] == "unknown":
        return UNKNOWN
    if before is None:
        return BROKEN if after["failed"] else HOLDS
    if not after["failed"]:
        return FIXED if before["failed"] else HOLDS
    if before["verdict"] == "unknown":
        return UNKNOWN
    return STILL_BROKEN if before["failed"] else NEWLY_BROKEN


def compare(before: dict[str, Any] | None, after: dict[str, Any],
            expectations_from: str | None) -> list[dict[str, Any]]:
    """One gate entry per property of `after` (a result object), compared
    with `before` (a result object or None).  Only the expect lines of the
    file `expectations_from` apply (a proposal's own); None applies every
    expect line of `after` (a spec gated against itself)."""
    old = {p["name"]: p for p in before["properties"]} if before is not None else {}
    out: list[dict[str, Any]] = []
    for p in after["properties"]:
        b = old.get(p["name"])
        ch = change(b, p)
        applies = p["expected"] is not None and (expectations_from is None
                                                 or p["expected_file"] == expectations_from)
        expected = p["expected"] if applies else None
        reasons: list[str] = []
        if ch == NEWLY_BROKEN:
            reasons.append(NEWLY_BROKEN)
        if expected is not None and p["verdict"] not in (expected, "unknown"):
            reasons.append(f"expected {expected}, got {p['verdict']}")
        if reasons:
            outcome = FAIL
        elif ch == UNKNOWN:
            outcome = UNKNOWN
            reasons.append(f"undecided{': ' + p['note'] if p['note'] else ''}" if p["verdict"] == "unknown"
                           else "broken, and undecided before: it may be newly broken")
        else:
            outcome = PASS
        out.append({"name": p["name"], "kind": p["kind"], "before": b["verdict"] if b else None,
                    "after": p["verdict"], "change": ch, "expected": expected,
                    "expected_file": p["expected_file"] if applies else None,
                    "outcome": outcome, "reasons": reasons})
    return out


def outcome(outcomes: list[str]) -> str:
    """fail if any fails, else unknown if any is unknown, else pass."""
    if FAIL in outcomes:
        return FAIL
    return UNKNOWN if UNKNOWN in outcomes else PASS
