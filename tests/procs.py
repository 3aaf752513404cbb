"""Test helpers about processes."""

from __future__ import annotations

import os
import time


def children(pid: int) -> list[int]:
    """The pids of the processes whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def assert_interrupted(code: int, out: str, err: str, workers: list[int], more_than: int) -> None:
    """A `pinmc check` of pin_bias stopped by Ctrl-C: exit 3, no traceback,
    the statistics so far (more than `more_than` states), and none of its
    worker processes `workers` left behind."""
    assert workers, "the search never started a worker process"
    assert code == 3, (out[-2000:], err)
    assert "Traceback" not in err
    assert "INCOMPLETE (interrupted (Ctrl-C))" in out
    assert "search stopped: interrupted (Ctrl-C); properties still open: no_false_negative" in out
    states = int(out.split("explicit: ")[1].split(" states")[0].replace(",", ""))
    assert states > more_than
    time.sleep(0.5)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}")], "worker processes left behind"
