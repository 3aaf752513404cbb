"""What every engine returns: verdicts per property, statistics, traces."""

from __future__ import annotations

from dataclasses import dataclass, field

from pinmc.trace import Trace

# Verdicts.  Invariants, lemmas, asserts and ranges: holds | violated;
# reachable properties: reachable | unreachable; deadlock: free | reachable.
# Any of them may be `unknown` when a bound or time limit cut the search.
HOLDS, VIOLATED = "holds", "violated"
REACHABLE, UNREACHABLE = "reachable", "unreachable"
FREE = "free"
UNKNOWN = "unknown"

FAILING = {("invariant", VIOLATED), ("lemma", VIOLATED), ("assert", VIOLATED), ("range", VIOLATED),
           ("reachable", UNREACHABLE), ("deadlock", REACHABLE)}


@dataclass(frozen=True)
class Verdict:
    prop: str
    kind: str  # invariant | lemma | reachable | assert | range | deadlock
    status: str
    engine: str
    trace: Trace | None = None
    note: str = ""  # e.g. why it is unknown, or the failing check's message
    certificate: str | None = None  # a proof's inductive invariant, in pinmc syntax
    seconds: float = 0.0  # the deciding engine's time on this property (prover only)

    @property
    def failed(self) -> bool:
        return (self.kind, self.status) in FAILING


@dataclass(frozen=True)
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_bytes: int = 0  # peak memory the search added (resident set growth)
    complete: bool = True  # the whole reachable state space was explored
    limit: str | None = None  # which limit stopped the search, if one did
    notes: tuple[str, ...] = ()  # what the search reduced, or refused to reduce, and why

    @property
    def states_per_second(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0

    @property
    def bytes_per_state(self) -> float:
        return self.peak_bytes / self.states if self.states else 0.0


@dataclass(frozen=True)
class Options:
    max_states: int | None = None
    max_depth: int | None = None
    build_graph: bool = False
    por: bool = True  # partial-order reduction in the explicit engine (off with build_graph)
    symmetry: bool = True  # symmetry reduction of interchangeable pages and instances (off with build_graph)
    timeout: float | None = None  # seconds of search before it stops (exit 3), checked between and within levels
    memory: int | None = None  # resident-set limit in bytes; hit without `spill`: the search stops (exit 3)
    spill: str | None = None  # a directory: keep the visited set on disk there instead of stopping at `memory`
    spill_states: int | None = None  # with `spill`: states held in memory before a sorted run goes to disk
    # (None: as many as half of `memory`, or of the memory available, holds)
    workers: int = 1  # partitions of the explicit search (worker processes or cluster actors)
    parallel_from: int = 1000  # states in one BFS level before the search is handed to the workers
    backend: str = "process"  # where the partitions run: process | ray
    cluster: str | None = None  # the cluster's address (backend ray); None: a local one
    # how the workers divide the search: stages (2 processes: one expands, one stores),
    # hash (each owns a hash partition of the visited set), auto (stages for 2 processes, else hash)
    split: str = "auto"


@dataclass(frozen=True)
class Result:
    spec: str
    proposal: str | None
    engine: str
    verdicts: tuple[Verdict, ...]
    stats: Stats
    graph: object | None = field(default=None, compare=False)  # networkx.DiGraph when asked for

    def verdict(self, prop: str) -> Verdict:
        for v in self.verdicts:
            if v.prop == prop:
                return v
        raise KeyError(prop)


def cert_name(prop: str) -> str:
    """The lemma name under which a property's certificate is written."""
    return "cert_" + prop.replace(".", "_")


class EngineError(Exception):
    """The engine cannot handle this system (e.g. a choose too wide to
    enumerate); the message says why, `span` where."""

    def __init__(self, code: str, message: str, span: object = None):
        super().__init__(message)
        self.code, self.message, self.span = code, message, span
