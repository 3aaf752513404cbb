"""Resource limits shared by the engines: memory sizes as users write them,
the memory a process really holds, and a cheap watch for `--timeout` and
`--memory`.

Memory is measured as *anonymous* resident memory: the resident set less
its file-backed pages (shared libraries, and the spill files the explicit
engine maps, which the kernel can drop at any time).  That is the memory a
run cannot give back, and what the out-of-memory killer counts.  Reading it
costs one small read of /proc/self/statm (microseconds), so a search can
look at it often.
"""

from __future__ import annotations

import re
import resource
import time
from dataclasses import dataclass, field

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.I)


def parse_size(text: str) -> int:
    """Bytes in a size such as `512M`, `2G`, `1.5G`, `64K` or `1000000`
    (binary units: 1K = 1024; a trailing `B` or `iB` is allowed).
    Raises ValueError with a message for anything else."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"'{text}' is not a size (examples: 512M, 2G, 1.5G, 65536)")
    n = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if n <= 0:
        raise ValueError(f"'{text}' is not a positive size")
    return n


def show_size(n: int) -> str:
    """A byte count in the largest binary unit that divides it: 512M, 2G,
    1536K; or a decimal of that unit to 0.1 (1.5G) when none divides it."""
    for unit in ("T", "G", "M", "K"):
        if n >= _UNITS[unit] and n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    for unit in ("T", "G", "M", "K"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.1f}{unit}"
    return str(n)


def mib(n: int) -> str:
    """`530 MiB`: a byte count for messages."""
    return f"{n / (1 << 20):,.0f} MiB"


def resident(pid: int | str = "self") -> int:
    """Anonymous resident bytes of a process (resident less file-backed and
    shared pages, from /proc/PID/statm); 0 where /proc is not available or
    the process is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            fields = f.read().split()
        return max(0, int(fields[1]) - int(fields[2])) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


def proportional_resident(pid: int | str = "self") -> int:
    """A process's share of anonymous memory (Pss_Anon from
    /proc/PID/smaps_rollup): pages a forked child still shares with its
    parent count half to each, so the shares of a process tree add up to
    the memory the tree holds.  Falls back to `resident`."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss_Anon:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return resident(pid)


def available_memory() -> int:
    """MemAvailable from /proc/meminfo, in bytes; 1 GiB if unknown."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 1 << 30


def timeout_text(seconds: float) -> str:
    """How `--timeout` is named in messages: `--timeout 2`, `--timeout 0.5`."""
    return f"--timeout {seconds:g}"


def memory_text(limit: int, held: int) -> str:
    """The message of a memory limit hit: `--memory 512M reached (resident 530 MiB)`."""
    return f"--memory {show_size(limit)} reached (resident {mib(held)})"


@dataclass
class Watch:
    """`--timeout` and `--memory` for one run, checked by `exceeded`.

    `start` is when the run began (time.monotonic()); `exceeded` costs a
    clock read and, with a memory limit, one read of /proc/self/statm.
    """

    timeout: float | None = None
    memory: int | None = None
    start: float = field(default_factory=time.monotonic)
    track: bool = False  # read the resident set at every check even without a memory limit
    held: int = 0  # resident bytes at the last check
    peak: int = 0  # the most resident bytes any check saw

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def out_of_time(self) -> bool:
        return self.timeout is not None and self.elapsed() >= self.timeout

    def out_of_memory(self) -> bool:
        if self.memory is None and not self.track:
            return False
        self.held = resident()
        self.peak = max(self.peak, self.held)
        return self.memory is not None and self.held >= self.memory

    def exceeded(self) -> str | None:
        """Which limit is hit, as the message names it, or None."""
        if self.out_of_time():
            return f"{timeout_text(self.timeout)} reached"  # type: ignore[arg-type]
        if self.out_of_memory():
            return memory_text(self.memory, self.held)  # type: ignore[arg-type]
        return None
