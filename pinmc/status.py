"""Exit statuses of the CLI, and the status of a result.

Stable and documented in docs/cli.md:
  0  every property as required
  1  a property is violated (test, report: an expectation is not met)
  2  a spec or usage error
  3  inconclusive: a bound, a time limit or Ctrl-C stopped the search
  4  internal error (a bug in pinmc)
"""

from __future__ import annotations

from pinmc.engines.base import UNKNOWN, Result

OK, VIOLATED, USAGE, INCONCLUSIVE, INTERNAL = 0, 1, 2, 3, 4


def status_of(result: Result) -> int:
    """VIOLATED if a property fails, else INCONCLUSIVE if one is unknown, else OK."""
    if any(v.failed for v in result.verdicts):
        return VIOLATED
    if any(v.status == UNKNOWN for v in result.verdicts):
        return INCONCLUSIVE
    return OK


def combine(status: int, code: int) -> int:
    """The status of several results: a violation beats inconclusive beats OK."""
    rank = {OK: 0, INCONCLUSIVE: 1, VIOLATED: 2}
    return code if rank[code] > rank[status] else status
