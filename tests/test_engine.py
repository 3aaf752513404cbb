"""The explicit engine: exact state/transition counts, shortest traces,
agreement between the expanders and with the reference evaluator, search
limits, the state graph and determinism.

Counts of the small specs are worked out by hand (see the comments); an
independent breadth-first search over `pinmc.ir.eval.successors` (the
reference semantics, no generated code) confirms every count and every
trace length here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jobs import compile_text, counts, explicit_jobs

from pinmc.engines.base import EngineError, Options
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.codegen import compile_system
from pinmc.engines.explicit.expand import VectorExpander
from pinmc.engines.explicit.packing import Packing
from pinmc.engines.explicit.partition import unpack_columns
from pinmc.engines.explicit.store import Layout
from pinmc.engines.explicit.vector import compile_vector, supports
from pinmc.ir.eval import evaluate, param_values, successors
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec
from pinmc.trace import replay

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
EXPANDERS = ["scalar", "vector"]


# --------------------------------------------------------------- helpers



def moves(system: System, trace) -> list[str]:
    return [system.transitions[s.transition].name for s in trace.steps]


def trace_moves(trace) -> list[tuple[int, tuple[int, ...]]] | None:
    return None if trace is None else [(s.transition, tuple(s.args)) for s in trace.steps]


def summary(result) -> tuple:
    """Everything a run decides: stats and each verdict with its trace moves."""
    s = result.stats
    return ((s.states, s.transitions, s.depth, s.complete, s.limit),
            tuple((v.prop, v.kind, v.status, trace_moves(v.trace),
                   None if v.trace is None else v.trace.failed_check) for v in result.verdicts))


class Reference:
    """Breadth-first search with the reference evaluator only.

    Records the number of distinct states, of (state, move) pairs with a
    successor, the depth, the states in BFS order, and the shortest trace
    length of every property (for checks: depth of the state + 1).
    """

    def __init__(self, system: System):
        self.system = system
        depth_of = {system.init: 0}
        self.order = [system.init]
        self.edges: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        self.transitions = 0
        self.first: dict[str, int] = {}
        frontier = [system.init]
        depth = 0
        pcs = system.thread_pcs()
        while frontier:
            nxt = []
            for s in frontier:
                self._props(s, depth)
                enabled = False
                for _, _, prop, succ in successors(system, s):
                    enabled = True
                    if prop is not None:
                        self.first.setdefault(prop, depth + 1)
                        continue
                    self.transitions += 1
                    self.edges.add((s, succ))
                    if succ not in depth_of:
                        depth_of[succ] = depth + 1
                        self.order.append(succ)
                        nxt.append(succ)
                if not enabled and any(s[pc] != done for pc, done in pcs):
                    self.first.setdefault("deadlock", depth)
            if nxt:
                depth += 1
            frontier = nxt
        self.states, self.depth = len(depth_of), depth
        self.index = {s: k for k, s in enumerate(self.order)}

    def _props(self, s, depth: int) -> None:
        for p in self.system.properties:
            value = evaluate(p.expr, s)
            if (p.kind == "reachable") == bool(value):
                self.first.setdefault(p.name, depth)

    @property
    def stats(self) -> tuple[int, int, int]:
        return self.states, self.transitions, self.depth


JOBS = explicit_jobs(str(SPECS))


def _key(spec: str, proposal: str | None) -> tuple[str, str | None]:
    return Path(spec).stem, Path(proposal).stem if proposal else None


def _id(job) -> str:
    spec, proposal = _key(*job)
    return spec + (f"+{proposal}" if proposal else "")


_SYSTEMS: dict = {}
_RESULTS: dict = {}


def system_of(job) -> System:
    if job not in _SYSTEMS:
        _SYSTEMS[job] = compile_spec(*job)
    return _SYSTEMS[job]


def result_of(job, expander: str):
    if (job, expander) not in _RESULTS:
        # the reference search is unreduced
        _RESULTS[job, expander] = check(system_of(job), Options(por=False, symmetry=False), expander=expander)
    return _RESULTS[job, expander]


# --------------------------------------------------------------- hand-counted specs

HAND = {
    # One thread of three steps: a line of 4 states (pc a, b, c, done), 3 moves.
    "three_steps": ("""
        spec s
        var x: 0..3 = 0
        thread t { a: { x = 1 } b: { x = 2 } c: { x = 3 } }
        """, (4, 3, 3)),
    # Two independent 2-step threads: pcs in {0,1,2}^2 = 9 states; thread a can
    # move in the 6 states where its pc < 2, thread b likewise: 12 moves;
    # the longest path takes all 4 steps.
    "two_independent": ("""
        spec s
        thread a { s1: { skip } s2: { skip } }
        thread b { s1: { skip } s2: { skip } }
        """, (9, 12, 4)),
    # The same with an actor array: w[0] and w[1] are independent.
    "actor_array": ("""
        spec s
        thread w[2] { s1: { skip } s2: { skip } }
        """, (9, 12, 4)),
    # A daemon toggling a bool: 2 states, one move from each, depth 1.
    "daemon_toggle": ("""
        spec s
        var b: bool = false
        daemon d { flip: { b = not b } }
        """, (2, 2, 1)),
    # An either in the first of two steps: init -> (u, x=1) | (u, x=2), each
    # -> (done, x): 5 states, 2 + 2 moves, depth 2.
    "either_in_thread": ("""
        spec s
        var x: 0..2 = 0
        thread t { s: { either { x = 1 } or { x = 2 } } u: { skip } }
        """, (5, 4, 2)),
    # choose 0..2: init (s, x=0) -> (done, 0), (done, 1), (done, 2): 4 states, 3 moves.
    "choose_0_2": ("""
        spec s
        var x: 0..2 = 0
        thread t { s: { choose v in 0..2 { x = v } } }
        """, (4, 3, 1)),
    # A range counter: n = 0..3, one move from each n < 3.
    "range_counter": ("""
        spec s
        var n: 0..3 = 0
        daemon d { inc: when n < 3 { n += 1 } }
        """, (4, 3, 3)),
    # A counter modulo 4: 4 states in a cycle, 4 moves, the farthest 3 away.
    "mod_counter": ("""
        spec s
        var n: 0..3 = 0
        daemon d { inc: { n = (n + 1) % 4 } }
        """, (4, 4, 3)),
    # A u8 counter wraps: 256 states in a cycle, 256 moves, depth 255.
    "u8_wrap_counter": ("""
        spec s
        var n: u8 = 0
        daemon d { inc: { n += 1 } }
        """, (256, 256, 255)),
    # Two threads bump a shared counter: (s,s,0) -> (d,s,1) | (s,d,1) -> (d,d,2):
    # 4 states, 4 moves (the last state is reached twice).
    "shared_counter": ("""
        spec s
        var n: 0..2 = 0
        thread a { s: { n += 1 } }
        thread b { s: { n += 1 } }
        """, (4, 4, 2)),
    # A failing either branch is no transition: init -> (done, x=1) only.
    "either_with_failing_branch": ("""
        spec s
        var x: 0..1 = 0
        thread t { s: { either { x = 1 } or { assert false, "no" } } }
        """, (2, 1, 1)),
    # Producer/consumer: a line (put1,F,0) -> (put2,T,0) -> (put2,F,1) -> (done,T,1) -> (done,F,2).
    "producer_consumer": ("""
        spec s
        var full: bool = false
        var n: 0..2 = 0
        thread p { put1: { full = true } put2: when not full { full = true } }
        daemon c { take: when full { full = false; n += 1 } }
        """, (5, 4, 4)),
    # Three pages, a daemon sets the flag of any one (choose over the array):
    # 2^3 = 8 states; 3 moves from each (setting a set flag again is a move);
    # all flags set after 3 moves.
    "choose_page_array": ("""
        spec s
        page P[3] { f: bool = false }
        daemon d { set: { choose p in P { p.f = true } } }
        """, (8, 24, 3)),
}


@pytest.mark.parametrize("expander", EXPANDERS)
@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_counted(tmp_path, name, expander):
    text, expected = HAND[name]
    system = compile_text(tmp_path, text)
    result = check(system, Options(por=False, symmetry=False), expander=expander)
    assert counts(result) == expected
    assert result.stats.complete and result.stats.limit is None
    assert Reference(system).stats == expected


# --------------------------------------------------------------- the repo's specs

# (states, transitions, depth) of every spec and spec + proposal pair in specs/;
# each is also recomputed by the reference search below.
STATS = {
    ("cve_2020_29374", None): (12, 12, 5),
    ("dma_pinned_flag", None): (20, 28, 6),
    ("fork_pinned_cow", None): (23, 35, 6),
    ("longterm_movable", None): (11, 10, 5),
    ("lpc2018_writeback", None): (9, 13, 3),
    ("nic_hugepage_ref", None): (66304, 66560, 513),
    ("pin_bias", None): (81, 432, 8),
    ("release_mismatch", None): (12, 17, 5),
    ("swap_pinned_anon", None): (13, 16, 5),
    ("cve_2020_29374", "cow_refcount"): (10, 11, 5),
    ("dma_pinned_flag", "foll_pin"): (16, 24, 6),
    ("fork_pinned_cow", "fork_copy_pinned"): (23, 35, 6),
    ("longterm_movable", "longterm_migrate"): (14, 13, 7),
    ("nic_hugepage_ref", "longterm_pin"): (1024, 1024, 258),
    ("release_mismatch", "matched_release"): (12, 17, 5),
    ("lpc2018_writeback", "skip_pinned_pages"): (10, 16, 4),
    ("swap_pinned_anon", "swap_skip_pinned"): (7, 10, 5),
}

# Every verdict with a trace: (status, the steps of the shortest trace).
# Lengths are minimal: the reference search finds no shorter one.  E.g.
# lpc2018 flusher.writeback needs fault (buffers, dirty), reclaim (writes back
# and drops the buffers), complete (dirty again), writeback: 4 steps;
# dma_pinned_flag needs user[0] pin, dma, unpin and user[1] pin: 4 steps.
TRACES = {
    ("cve_2020_29374", None): {
        "isolation": ("violated", ["parent.fork", "child.vmsplice", "child.munmap", "parent.write"]),
        "no_leak": ("violated", ["parent.fork", "child.vmsplice", "child.munmap", "parent.write",
                                 "child.read"]),
        "parent_copied": ("reachable", ["parent.fork", "parent.write", "child.vmsplice"]),
        "parent_reused": ("reachable", ["parent.fork", "child.vmsplice", "child.munmap", "parent.write"]),
    },
    ("dma_pinned_flag", None): {
        "no_false_negative": ("violated", ["user[0].pin", "user[0].dma", "user[1].pin", "user[0].unpin"]),
    },
    ("fork_pinned_cow", None): {
        "coherent": ("violated", ["parent.pin", "parent.fork", "parent.write"]),
        "isolated": ("violated", ["parent.pin", "parent.fork", "device.dma"]),
        "exclusive_while_pinned": ("violated", ["parent.pin", "parent.fork"]),
        "dma_after_fork": ("reachable", ["parent.pin", "parent.fork", "device.dma"]),
        "plain_cow": ("reachable", ["parent.pin", "parent.fork", "parent.write"]),
    },
    ("longterm_movable", None): {
        "longterm_pinnable_when_pinned": ("violated", ["user.pin", "user.check"]),
        "dma_running": ("reachable", ["user.pin", "user.check"]),
        "compacted": ("reachable", ["compaction.migrate"]),
    },
    ("lpc2018_writeback", None): {
        "kswapd.reclaim": ("violated", ["dio.fault", "kswapd.reclaim", "dio.complete", "kswapd.reclaim"]),
        "flusher.writeback": ("violated", ["dio.fault", "kswapd.reclaim", "dio.complete",
                                           "flusher.writeback"]),
    },
    ("nic_hugepage_ref", None): {
        "no_movable_dma_target": ("violated", ["module.map"]),
    },
    ("pin_bias", None): {
        "pinned": ("reachable", ["pinner[0].pin"]),
    },
    ("release_mismatch", None): {
        "no_false_negative": ("violated", ["pinner.pin", "getter.get", "getter.release"]),
        "no_premature_free": ("violated", ["getter.get", "getter.release"]),
        "balanced": ("violated", ["getter.get", "getter.release"]),
        "no_stale_pin": ("violated", ["getter.get", "getter.release"]),
        "pinned_and_got": ("reachable", ["pinner.pin", "getter.get"]),
        "all_released": ("reachable", ["pinner.pin", "pinner.dma", "pinner.release", "getter.get",
                                       "getter.release"]),
    },
    ("swap_pinned_anon", None): {
        "coherent": ("violated", ["user.pin", "kswapd.reclaim", "user.read", "user.write"]),
        "pinned_not_in_swapcache": ("violated", ["user.pin", "kswapd.reclaim"]),
        "wrote_while_pinned": ("reachable", ["user.pin", "user.read", "user.write"]),
        "swapped_after_unpin": ("reachable", ["user.pin", "kswapd.reclaim", "user.read", "user.write",
                                              "user.unpin"]),
    },
    ("cve_2020_29374", "cow_refcount"): {
        "parent_copied": ("reachable", ["parent.fork", "parent.write", "child.vmsplice"]),
        "parent_reused": ("reachable", ["parent.fork", "child.vmsplice", "child.munmap", "child.read",
                                        "parent.write"]),
    },
    ("dma_pinned_flag", "foll_pin"): {},
    ("fork_pinned_cow", "fork_copy_pinned"): {
        "dma_after_fork": ("reachable", ["parent.pin", "parent.fork", "device.dma"]),
        "plain_cow": ("reachable", ["parent.pin", "parent.fork", "parent.write"]),
        "child_private_copy": ("reachable", ["parent.pin", "parent.fork"]),
    },
    ("longterm_movable", "longterm_migrate"): {
        "dma_running": ("reachable", ["user.pin", "user.check", "user.pin", "user.check"]),
        "compacted": ("reachable", ["compaction.migrate"]),
    },
    ("nic_hugepage_ref", "longterm_pin"): {},
    ("release_mismatch", "matched_release"): {
        "pinned_and_got": ("reachable", ["pinner.pin", "getter.get"]),
        "all_released": ("reachable", ["pinner.pin", "pinner.dma", "pinner.release", "getter.get",
                                       "getter.release"]),
    },
    ("lpc2018_writeback", "skip_pinned_pages"): {},
    ("swap_pinned_anon", "swap_skip_pinned"): {
        "wrote_while_pinned": ("reachable", ["user.pin", "user.read", "user.write"]),
        "swapped_after_unpin": ("reachable", ["user.pin", "user.read", "user.write", "user.unpin",
                                              "kswapd.reclaim"]),
    },
}


# The hand-modelled specs have their counts and traces written down above;
# every other job (the library-based scenario suite) is checked against the
# reference search and the reference semantics only.
TABLED = [j for j in JOBS if _key(*j) in STATS]


def test_every_tabled_job_is_there():
    keys = {_key(*j) for j in JOBS}
    assert set(STATS) == set(TRACES) <= keys
    assert len(TABLED) == 17 and len(JOBS) >= 50


@pytest.mark.parametrize("expander", EXPANDERS)
def test_lpc2018_exact(expander):
    result = check(compile_spec(str(SPECS / "lpc2018_writeback.pin")), Options(), expander=expander)
    assert counts(result) == (9, 13, 3)
    assert result.stats.complete


@pytest.mark.parametrize("expander", EXPANDERS)
def test_pin_bias_exact(expander):
    # 81 = 3^4: each of the 4 daemons holds 0, 1 or 2 references (refcount
    # follows from them and stays positive).  Per daemon, held 0 or 2 allows
    # one move and held 1 two: 4 moves per 3 values -> 81 * 4 * 4/3 = 432.
    # Depth: 2 + 2 + 2 + 2 = 8.
    system = compile_spec(str(SPECS / "pin_bias.pin"))
    assert counts(check(system, Options(symmetry=False), expander=expander)) == (81, 432, 8)
    # The two pinners are interchangeable, and so are the two getters: an
    # orbit is a multiset of held counts per pair, 6 * 6 = 36 states.
    assert counts(check(system, Options(), expander=expander))[0] == 36


def test_pin_bias_gets_600_vector():
    # pinners hold 0..2, getters 0..600: 3 * 3 * 601 * 601 = 3250809 states.
    # Moves: each pinner 4 per 3 values (x 3 * 601 * 601 other states), each
    # getter 1 + 599 * 2 + 1 = 1200 per 601 values (x 9 * 601):
    # 2 * 4 * 3 * 601^2 + 2 * 1200 * 9 * 601 = 21650424.  Depth 2+2+600+600.
    system = compile_spec(str(SPECS / "pin_bias.pin"), None, {"GETS": 600})
    result = check(system, Options(symmetry=False), expander="vector")
    assert counts(result) == (3250809, 21650424, 1204)
    assert result.stats.complete
    statuses = {v.prop: v.status for v in result.verdicts}
    assert statuses == {"no_false_negative": "holds", "pinned": "reachable",
                        "false_positive": "reachable", "deadlock": "free"}
    # 1023 ordinary references make refcount 1 + 1023 = 1024 = BIAS
    fp = result.verdict("false_positive").trace
    assert len(fp) == 1023
    assert set(moves(system, fp)) <= {"getter[0].get", "getter[1].get"}
    final = dict(zip((v.name for v in system.vars), fp.final))
    assert final["X.refcount"] == 1024 and final["X.pins"] == 0


@pytest.mark.parametrize("job", TABLED, ids=_id)
def test_job_stats_exact(job):
    expected = STATS[_key(*job)]
    assert counts(result_of(job, "scalar")) == expected
    assert result_of(job, "scalar").stats.complete


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_job_stats_match_reference_search(job):
    assert Reference(system_of(job)).stats == counts(result_of(job, "scalar"))
    if _key(*job) in STATS:
        assert counts(result_of(job, "scalar")) == STATS[_key(*job)]


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_job_traces_exact_and_shortest(job):
    system = system_of(job)
    result = result_of(job, "scalar")
    if _key(*job) in TRACES:
        got = {v.prop: (v.status, moves(system, v.trace)) for v in result.verdicts if v.trace is not None}
        assert got == TRACES[_key(*job)]
    for v in result.verdicts:
        if v.trace is not None:
            assert replay(system, [(s.transition, s.args) for s in v.trace.steps]) == v.trace
    ref = Reference(system)
    for v in result.verdicts:
        if v.trace is not None:
            assert len(v.trace) == ref.first[v.prop], v.prop
        else:  # no trace: never hit anywhere in the reachable states
            assert v.prop not in ref.first, v.prop
        if v.kind in ("assert", "range") and v.trace is not None:
            assert v.trace.failed_check == v.prop
            assert v.trace.steps[-1].state is None
        elif v.trace is not None:
            assert v.trace.failed_check is None


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_job_expectations_met(job):
    system = system_of(job)
    result = result_of(job, "scalar")
    assert system.expectations
    for e in system.expectations:
        assert result.verdict(e.prop).status == e.verdict, e.prop
    assert [v.prop for v in result.verdicts] == system.property_names()


# --------------------------------------------------------------- scalar vs vector

@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_scalar_and_vector_agree(job):
    assert supports(system_of(job))
    assert summary(result_of(job, "scalar")) == summary(result_of(job, "vector"))


@pytest.mark.parametrize("name", sorted(HAND))
def test_scalar_and_vector_agree_hand(tmp_path, name):
    system = compile_text(tmp_path, HAND[name][0])
    assert summary(check(system, Options(), expander="scalar")) == \
        summary(check(system, Options(), expander="vector"))


# --------------------------------------------------------------- generated code vs reference evaluator

FIRST = 200


def _reference_moves(system: System, state):
    """[(transition, args, prop, successor)] in canonical order."""
    return [(tid, tuple(args), prop, nxt) for tid, args, prop, nxt in successors(system, state)]


def _any_enabled(system: System, state) -> bool:
    for t in system.transitions:
        for args in param_values(t):
            env = {p.var.id: v for p, v in zip(t.params, args)}
            if evaluate(t.guard, state, env):
                return True
    return False


def _prop_bits(system: System, state) -> int:
    bits = 0
    for k, p in enumerate(system.properties):
        value = bool(evaluate(p.expr, state))
        if value == (p.kind == "reachable"):
            bits |= 1 << k
    return bits


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_generated_scalar_code_matches_reference(job):
    system = system_of(job)
    code = compile_system(system)
    states = Reference(system).order[:FIRST]
    assert len(states) == min(FIRST, counts(result_of(job, "scalar"))[0])
    for state in states:
        out, par, codes, viols = [], [], [], []
        fired = code.expand(state, 7, out, par, codes, viols)
        got = [(*code.decode(c), None, tuple(int(x) for x in s)) for c, s in zip(codes, out)]
        got += [(*code.decode(c), prop, None) for _, c, prop in viols]
        got.sort(key=lambda m: (m[0], m[1]))
        assert got == _reference_moves(system, state)
        assert set(par) <= {7} and all(i == 7 for i, _, _ in viols)
        assert bool(fired) == _any_enabled(system, state)
        assert code.props(state) == _prop_bits(system, state)


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_generated_vector_code_matches_reference(job):
    system = system_of(job)
    vcode = compile_vector(system)
    scalar = compile_system(system)  # for decoding move codes
    states = Reference(system).order[:FIRST]
    frame = np.array(states, dtype=np.int64).T.copy()
    blocks, parents, codes, viols, enabled = vcode.expand(frame)
    got: dict[int, list] = {k: [] for k in range(len(states))}
    for blk, par, cs in zip(blocks, parents, codes):
        for col, row, c in zip(blk.T.tolist(), par.tolist(), cs.tolist()):
            got[row].append((*scalar.decode(c), None, tuple(col)))
    first_viol: dict[tuple[int, str], int] = {}
    for k, state in enumerate(states):
        want = _reference_moves(system, state)
        assert sorted(got[k], key=lambda m: (m[0], m[1])) == [m for m in want if m[2] is None]
        for tid, args, prop, _ in want:
            if prop is not None:
                first_viol.setdefault((scalar.bases[tid] + _offset(system, tid, args), prop), k)
        assert bool(enabled[k]) == _any_enabled(system, state)
    assert sorted((c, p, r) for r, c, p in viols) == sorted((c, p, r) for (c, p), r in first_viol.items())
    mask = (1 << len(system.properties)) - 1
    hits = dict(vcode.props(frame, mask))
    want_hits = {}
    for k, state in enumerate(states):
        bits = _prop_bits(system, state)
        for b in range(len(system.properties)):
            if bits >> b & 1:
                want_hits.setdefault(b, k)
    assert hits == want_hits


@pytest.mark.parametrize("job", JOBS, ids=_id)
def test_vector_code_packs_successors_as_the_packing_does(job):
    """`expand_packed` gives the packed rows `Packing.pack` gives the
    successors `expand` gives, in canonical order, with the same parents,
    codes, failing checks and deadlocks; and None exactly when a successor
    does not fit the layout, which fits once the packing has widened."""
    system = system_of(job)
    full = Layout.of(system)
    if not supports(system) or full.wide:
        pytest.skip("no vector expander or no narrow packing for this spec")
    ex = VectorExpander(system, compile_vector(system), full)
    frame = np.array(Reference(system).order[:FIRST], dtype=np.int64).T.copy()
    narrow = Packing(full, system.init)
    narrow.pack(frame)  # the frontier fits (it was stored)
    level = ex.expand(frame, True)
    before = narrow.layout
    keys, old = narrow.pack(level.raw)
    packed = ex.expand_packed(frame, before, True)
    if old is not None:
        assert packed is None
        packed = ex.expand_packed(frame, narrow.layout, True)
    assert packed is not None and packed.raw is None
    assert np.array_equal(packed.keys, keys[level.order])
    assert np.array_equal(packed.parents, level.parents) and np.array_equal(packed.codes, level.codes)
    assert (packed.viols, packed.deadlocks, packed.count) == (level.viols, level.deadlocks, level.count)


@pytest.mark.parametrize("step, value", [("up: { x = x + 1 }", 16), ("down: { x = x - 1 }", -1),
                                         ("set: { x = 99 }", 99), ("flip: { b = not b; x = x }", None)])
def test_vector_code_packed_needs_a_wider_field(tmp_path, step, value):
    """A new value past its field's room (above, below, a constant) makes
    `expand_packed` give None; values that fit (a bool, a copy) do not."""
    system = compile_text(tmp_path, f"""
        spec s
        var x: i32 = 0
        var b: bool = false
        daemon m {{
            {step}
        }}
        """)
    full = Layout.of(system)
    narrow = Packing(full, system.init)
    ex = VectorExpander(system, compile_vector(system), full)
    frame = np.array([system.init], dtype=np.int64).T.copy()
    frame[0, 0] = 15 if value == 16 else 0
    narrow.pack(frame)
    packed = ex.expand_packed(frame, narrow.layout, True)
    if value is None:
        assert packed is not None and packed.count == 1
    else:
        assert packed is None
        keys, old = narrow.pack(ex.expand(frame, True).raw)
        assert old is not None
        packed = ex.expand_packed(frame, narrow.layout, True)
        assert packed is not None and np.array_equal(packed.keys, keys)
        assert int(unpack_columns(narrow.layout, packed.keys)[0, 0]) == value


def _offset(system: System, tid: int, args: tuple[int, ...]) -> int:
    off = 0
    for p, a in zip(system.transitions[tid].params, args):
        off = off * (p.hi - p.lo + 1) + (a - p.lo)
    return off


def test_generated_code_with_params_and_checks_matches_reference(tmp_path):
    # choose parameters, nested either/if splits, range and assert checks,
    # dynamic indexing and quantifiers in one system
    system = compile_text(tmp_path, """
        spec mix
        page P[3] { n: 0..3 = 0; f: bool = false }
        var i: 0..2 = 0
        var w: u8 = 250
        daemon d {
            a: { choose k in 0..3 { if k < 3 { P[i].n = k } else { assert P[i].n != 2, "two" } } }
            b: when exists j in 0..2: not P[j].f {
                choose p in P { either { p.f = true } or { p.n += 1; w = w * 255 } }
            }
            c: { choose k in 0..2 { choose m in 1..2 { i = (k + m) % 3 } } }
        }
        invariant q: forall p in P: p.n < 3 or p.f
        reachable all: forall p in P: p.f
        """)
    code = compile_system(system)
    ref = Reference(system)
    for state in ref.order[:FIRST]:
        out, par, codes, viols = [], [], [], []
        code.expand(state, 0, out, par, codes, viols)
        got = [(*code.decode(c), None, tuple(int(x) for x in s)) for c, s in zip(codes, out)]
        got += [(*code.decode(c), prop, None) for _, c, prop in viols]
        got.sort(key=lambda m: (m[0], m[1]))
        assert got == _reference_moves(system, state)
        assert code.props(state) == _prop_bits(system, state)
    scalar = check(system, Options(), expander="scalar")
    assert counts(scalar) == ref.stats == (3072, 44064, 12)
    assert {v.prop: v.status for v in scalar.verdicts} == {
        "q": "violated", "all": "reachable", "d.a": "violated", "range": "violated", "deadlock": "free"}
    # P[0].n = 2, then the k = 3 branch asserts P[0].n != 2
    a = scalar.verdict("d.a").trace
    assert [(system.transitions[s.transition].name, s.args) for s in a.steps] == [("d.a", (2,)), ("d.a", (3,))]
    assert len(scalar.verdict("range").trace) == ref.first["range"] == 3
    assert summary(scalar) == summary(check(system, Options(), expander="vector"))


# --------------------------------------------------------------- limits

@pytest.mark.parametrize("expander", EXPANDERS)
def test_max_states(expander):
    system = compile_spec(str(SPECS / "pin_bias.pin"))
    result = check(system, Options(max_states=5, symmetry=False), expander=expander)
    # level 0 (1 state) is expanded into 4 new states; then 5 >= 5 stops the search
    assert counts(result) == (5, 4, 1)
    assert not result.stats.complete
    assert result.stats.limit == "--max-states 5"
    statuses = {v.prop: v.status for v in result.verdicts}
    assert statuses == {"no_false_negative": "unknown", "pinned": "reachable",
                        "false_positive": "unknown", "deadlock": "unknown"}
    assert result.verdict("no_false_negative").note == "search stopped: --max-states 5"
    assert moves(system, result.verdict("pinned").trace) == ["pinner[0].pin"]


@pytest.mark.parametrize("expander", EXPANDERS)
def test_max_depth(expander):
    system = compile_spec(str(SPECS / "pin_bias.pin"))
    result = check(system, Options(max_depth=2, symmetry=False), expander=expander)
    # states with held sum <= 2 over 4 daemons: 1 + 4 + (6 + 4) = 15;
    # moves from depth 0 (4) and depth 1 (4 states x 5 moves): 24
    assert counts(result) == (15, 24, 2)
    assert not result.stats.complete
    assert result.stats.limit == "--max-depth 2"
    assert result.verdict("false_positive").status == "unknown"
    assert result.verdict("deadlock").status == "unknown"
    assert result.verdict("pinned").status == "reachable"


@pytest.mark.parametrize("expander", EXPANDERS)
def test_limits_keep_violations_found(expander):
    system = compile_spec(str(SPECS / "lpc2018_writeback.pin"))
    result = check(system, Options(max_depth=3), expander=expander)
    # both asserts fail on a move from depth 3, which is not expanded
    assert {v.prop: v.status for v in result.verdicts} == {
        "reference_keeps_page": "unknown", "kswapd.reclaim": "unknown",
        "flusher.writeback": "unknown", "deadlock": "unknown"}
    assert result.stats.limit == "--max-depth 3" and not result.stats.complete
    result = check(system, Options(max_depth=4), expander=expander)
    assert result.verdict("flusher.writeback").status == "violated"
    assert result.verdict("kswapd.reclaim").status == "violated"
    assert result.stats.complete  # depth 3 is the last level: nothing left to expand
    system = compile_spec(str(SPECS / "cve_2020_29374.pin"))
    result = check(system, Options(max_depth=4), expander=expander)
    statuses = {v.prop: v.status for v in result.verdicts}
    assert statuses == {"isolation": "violated", "no_leak": "unknown", "accounting": "unknown",
                        "parent_copied": "reachable", "parent_reused": "reachable",
                        "range": "unknown", "deadlock": "unknown"}


@pytest.mark.parametrize("expander", EXPANDERS)
def test_max_depth_zero(expander):
    system = compile_spec(str(SPECS / "dma_pinned_flag.pin"))
    result = check(system, Options(max_depth=0), expander=expander)
    assert counts(result) == (1, 0, 0)
    assert result.stats.limit == "--max-depth 0" and not result.stats.complete
    assert all(v.status == "unknown" for v in result.verdicts)


def test_too_wide_choose_is_an_engine_error(tmp_path):
    system = compile_text(tmp_path, """
        spec wide
        var x: 0..100000 = 0
        thread t { s: { choose v in 0..70000 { x = v } } }
        """)
    with pytest.raises(EngineError) as err:
        check(system, Options())
    assert err.value.code == "PIN407"


# --------------------------------------------------------------- graph, determinism

@pytest.mark.parametrize("expander", EXPANDERS)
@pytest.mark.parametrize("name", ["lpc2018_writeback", "pin_bias", "dma_pinned_flag"])
def test_build_graph(name, expander):
    import networkx as nx

    system = compile_spec(str(SPECS / f"{name}.pin"))
    result = check(system, Options(build_graph=True), expander=expander)
    g = result.graph
    assert isinstance(g, nx.DiGraph)
    assert g.number_of_nodes() == result.stats.states
    ref = Reference(system)
    assert g.number_of_edges() == len(ref.edges)
    assert set(nx.descendants(g, 0)) | {0} == set(g.nodes)
    names = {t.name for t in system.transitions}
    assert all(set(d["moves"]) <= names and d["moves"] == sorted(d["moves"])
               for _, _, d in g.edges(data=True))
    # one label per (edge, move): the labels count the distinct moves along edges
    assert sum(len(d["moves"]) for _, _, d in g.edges(data=True)) <= result.stats.transitions
    assert check(system, Options(), expander=expander).graph is None


def test_build_graph_hand_counted(tmp_path):
    system = compile_text(tmp_path, HAND["two_independent"][0])
    g = check(system, Options(build_graph=True)).graph
    # the 3 x 3 grid: 12 edges, each labelled with the one thread that moves
    assert (g.number_of_nodes(), g.number_of_edges()) == (9, 12)
    assert sorted(d["moves"][0] for _, _, d in g.out_edges(0, data=True)) == ["a.s1", "b.s1"]
    assert g.in_degree(0) == 0 and [n for n in g if g.out_degree(n) == 0] != []


@pytest.mark.parametrize("expander", EXPANDERS)
@pytest.mark.parametrize("job", [j for j in JOBS if _key(*j)[0] != "nic_hugepage_ref"], ids=_id)
def test_deterministic(job, expander):
    a = check(compile_spec(*job), Options(), expander=expander)
    b = check(compile_spec(*job), Options(), expander=expander)
    assert summary(a) == summary(b)


# --------------------------------------------------------------- early stop

@pytest.mark.parametrize("expander", EXPANDERS)
def test_stats_count_all_states_when_nothing_is_left_to_decide(tmp_path, expander):
    system = compile_text(tmp_path, """
        spec quiet
        var x: u8 = 0
        allow deadlock
        thread t { a: { x = 1 } b: { x = 2 } c: { x = 3 } }
        """)
    result = check(system, Options(), expander=expander)
    assert counts(result) == (4, 3, 3)
    assert result.stats.complete


def test_stats_when_something_stays_undecided(tmp_path):
    # the same spec with the deadlock check on: explored completely
    system = compile_text(tmp_path, """
        spec quiet
        var x: u8 = 0
        thread t { a: { x = 1 } b: { x = 2 } c: { x = 3 } }
        """)
    result = check(system, Options())
    assert counts(result) == (4, 3, 3)
    assert result.stats.complete and result.stats.limit is None


def test_scalar_and_vector_agree_on_steps_that_move_values_around(tmp_path):
    """A step whose new values are old values of slots the same step writes
    (a swap, a rotation through a cast, a copy next to an increment): the
    vector code computes every new value before it stores the first."""
    system = compile_text(tmp_path, """
        spec s
        var a: u8 = 1
        var b: u8 = 2
        var c: 0..9 = 3
        var d: u8 = 4
        daemon m {
            swap: { a = b; b = a }
            rot: when c < 9 { c = d % 10; d = a; a = c }
            copy: { b = b + 1; d = b }
        }
        """)
    scalar = check(system, Options(por=False, symmetry=False), expander="scalar")
    assert counts(scalar)[0] > 50
    assert summary(scalar) == summary(check(system, Options(por=False, symmetry=False), expander="vector"))


def test_scalar_and_vector_agree_on_values_that_wrap_around(tmp_path):
    """Machine integers that wrap, by a constant step (`x = x + 7`, `x = 3 + x`)
    and otherwise (`y = y * 3 - 1`, an i32 that passes 2^31): the vector code's packed successors
    leave the wrap out and fall back to `expand` when a value leaves its
    field, which wrapping values do."""
    system = compile_text(tmp_path, """
        spec s
        var x: u8 = 250
        var y: i32 = 100
        var n: 0..40 = 0
        daemon m {
            up: when n < 40 { x = x + 7; n = n + 1 }
            other: when n < 40 { x = 3 + x; y = y * 3 - 1; n = n + 1 }
        }
        """)
    scalar = check(system, Options(por=False, symmetry=False), expander="scalar")
    assert counts(scalar)[0] > 500
    assert summary(scalar) == summary(check(system, Options(por=False, symmetry=False), expander="vector"))
