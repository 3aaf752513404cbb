"""Two workers as a pipeline (`--workers 2 --split stages`, and `split`
auto with two worker processes): this process expands, a forked child
keeps the visited set (pinmc/engines/explicit/stages.py).  The result must
be exactly the single-process one.

Every job of specs/ and random specs are checked with one process and
with the stages (`parallel_from=0` hands the search over at the initial
state): the same states, transitions, depth, limits, notes, verdicts and
traces, and byte-identical JSON and text reports.  Also: the hand-over
policy, the limits, the narrow packing widening after the hand-over,
states of several words, small pieces and every look-ahead, the filter
(`stages.Seen`) on its own, a failing store process, Ctrl-C and the
command line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jobs import compile_text, explicit_jobs, job_id, random_mismatches, summary
from procs import assert_interrupted, children

from pinmc.engines.base import Options
from pinmc.engines.explicit import bfs, packing, parallel, stages, store
from pinmc.engines.explicit.bfs import Search, check
from pinmc.engines.explicit.coordinator import WorkerError
from pinmc.engines.explicit.store import StateStore, store_hash
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
JOBS = explicit_jobs(str(SPECS))
PIN_BIAS = str(SPECS / "pin_bias.pin")
RANDOM_SEEDS = 40
WIDE_JOBS = [j for j in JOBS if Search(compile_spec(*j), Options()).packing.layout.words > 1]  # states of 2+ words
MAX_STATES_NOTE = "explored in one process, not 2 workers: --max-states"


def staged(options: Options, **more: object) -> Options:
    """`options` with the two-process pipeline, from the first level on."""
    return replace(options, workers=2, split="stages", parallel_from=0, **more)  # type: ignore[arg-type]


def assert_same(system, options: Options, expander: str = "auto", **more: object) -> None:  # noqa: ANN001
    one = summary(check(system, options, expander=expander))
    assert summary(check(system, staged(options, **more), expander=expander)) == one


class Handed:
    """Counts the hand-overs to the pipeline (`Stages.hand_over`) and what
    the search looked like then and afterwards."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[dict[str, int]] = []
        real = stages.Stages.hand_over
        real_start = stages.Stages._start
        me = self

        def hand_over(self, frontier, ids, watch, start):  # noqa: ANN001, ANN202
            s = self.search
            seen = {"first": int(ids[0]), "size": s.expander.size(frontier), "depth": s.depth,
                    "widened_before": s.packing.widened if s.packing is not None else -1}
            me.calls.append(seen)
            real(self, frontier, ids, watch, start)
            seen["widened_after"] = s.packing.widened if s.packing is not None else -1
            seen["words"] = self.words

        def start(self, first, size):  # noqa: ANN001, ANN202
            real_start(self, first, size)
            me.calls[-1]["child"] = self.proc.pid
            assert self.proc.pid != os.getpid() and self.proc.is_alive()

        monkeypatch.setattr(stages.Stages, "hand_over", hand_over)
        monkeypatch.setattr(stages.Stages, "_start", start)


@pytest.fixture(scope="module")
def bias60():  # noqa: ANN201
    return compile_spec(PIN_BIAS, None, {"GETS": 60})


@pytest.fixture(scope="module")
def bias60_one(bias60):  # noqa: ANN001, ANN201
    """The single-process summaries of GETS=60 (symmetry on, off)."""
    return {sym: summary(check(bias60, Options(por=False, symmetry=sym))) for sym in (True, False)}


# --------------------------------------------------------------- every job of specs/

@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_same_with_stages(job, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    system = compile_spec(*job)
    assert_same(system, Options(por=False))  # symmetry on where it applies
    assert_same(system, Options(por=False, symmetry=False))
    assert len(handed.calls) == 2 and all("child" in c and c["first"] == 0 for c in handed.calls)


@pytest.mark.parametrize("job", JOBS[::4], ids=job_id)
def test_job_same_with_stages_scalar_expander(job) -> None:  # noqa: ANN001
    assert_same(compile_spec(*job), Options(por=False), expander="scalar")


def test_auto_split_with_two_workers_is_the_pipeline(bias60, bias60_one, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    result = check(bias60, Options(por=False, symmetry=False, workers=2, parallel_from=0))  # split auto
    assert len(handed.calls) == 1
    assert summary(result) == bias60_one[False]
    assert parallel.uses_stages(Options(workers=2))
    assert parallel.uses_stages(Options(workers=3, split="stages"))
    assert not parallel.uses_stages(Options(workers=3))
    assert not parallel.uses_stages(Options(workers=2, split="hash"))
    assert not parallel.uses_stages(Options(workers=2, backend="ray"))


# --------------------------------------------------------------- random specs

def test_random_specs_same_with_stages() -> None:
    failures = random_mismatches(RANDOM_SEEDS, Options(por=False, max_depth=40), {"stages": staged})
    assert not failures, "\n".join(failures)


def test_larger_random_specs_same_with_stages() -> None:
    """The generator's larger specs (u16/u32 fields, wrap-around values):
    slots widen after the hand-over."""
    failures = random_mismatches(20, Options(por=False, max_depth=12), {"stages": staged}, size=2)
    assert not failures, "\n".join(failures)


DEEP = """
    spec deep
    page X { a: u32 = 0, b: u32 = 0, c: i32 = 0 }
    daemon inc[2] {
        up: when X.a < 40 { X.a += 1 }
    }
    daemon other {
        bump: when X.b < 6 {
            assert X.a + X.b < 43, "too far"
            X.b += 1
        }
        drop: when X.c > -3 and X.a > 20 { X.c -= 1 }
    }
    thread w {
        s: when X.a == 41 { X.c = 0 }   // never: stuck at the end, a deadlock
    }
    reachable far: X.a == 30 and X.b == 5
    invariant small: X.a < 35 or X.c > -2
"""


@pytest.mark.parametrize("parallel_from", [0, 3, 7])
def test_verdicts_found_after_the_hand_over(tmp_path: Path, monkeypatch, parallel_from: int) -> None:  # noqa: ANN001
    """A reachable property, an invariant violation, a failing assert and a
    deadlock all found deep in the pipeline, with the same shortest traces."""
    system = compile_text(tmp_path, DEEP)
    options = Options(por=False)
    one = check(system, options)
    assert one.stats.complete and one.stats.states == 707 and one.stats.depth == 49
    assert {v.prop: (v.status, len(v.trace.steps)) for v in one.verdicts} == {
        "far": ("reachable", 35), "small": ("violated", 37), "other.bump": ("violated", 44),
        "deadlock": ("reachable", 49)}
    handed = Handed(monkeypatch)
    got = check(system, replace(options, workers=2, split="stages", parallel_from=parallel_from))
    assert summary(got) == summary(one)
    assert len(handed.calls) == 1 and handed.calls[0]["depth"] < 30  # before every finding


# --------------------------------------------------------------- hand-over policy

def test_pin_bias_same_from_every_level(bias60, bias60_one, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    for sym in (True, False):
        options = Options(por=False, symmetry=sym, workers=2, split="stages")
        for parallel_from in (0, 100, Options.parallel_from, 10_000):
            before = len(handed.calls)
            got = check(bias60, replace(options, parallel_from=parallel_from))
            assert summary(got) == bias60_one[sym], (sym, parallel_from)
            used = len(handed.calls) - before
            # levels of GETS=60 hold < 1,000 states (541 at most, without symmetry)
            assert used == (1 if parallel_from <= 100 else 0), (sym, parallel_from)
            if used:
                call = handed.calls[-1]
                assert call["size"] >= parallel_from and "child" in call
                assert (call["first"] == 0) == (parallel_from == 0)
    assert handed.calls[1]["depth"] > 0 and handed.calls[1]["first"] > 0  # handed over mid-search


def test_the_store_process_is_started(bias60, monkeypatch) -> None:  # noqa: ANN001
    """The states really go to a second process: the target it runs is
    `_store_side`, and it gets every batch (it exits with the search)."""
    targets: list[object] = []
    fork = stages.mp.get_context("fork")
    real_process = fork.Process

    class Recording(real_process):  # type: ignore[misc, valid-type]
        def __init__(self, *args, target=None, **kwargs):  # noqa: ANN001, ANN002, ANN003
            targets.append(target)
            super().__init__(*args, target=target, **kwargs)

    class Ctx:
        def __getattr__(self, name: str) -> object:
            return Recording if name == "Process" else getattr(fork, name)

    monkeypatch.setattr(stages.mp, "get_context", lambda method=None: Ctx())
    result = check(bias60, staged(Options(por=False)))
    assert targets == [stages._store_side]
    assert summary(result) == summary(check(bias60, Options(por=False)))
    assert result.stats.complete and result.stats.states == 11346


# --------------------------------------------------------------- limits

@pytest.mark.parametrize("limits", [{"max_depth": 30}, {"max_depth": 0}, {"max_depth": 123}, {"max_depth": 124},
                                    {"max_depth": 125}],
                         ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
@pytest.mark.parametrize("parallel_from", [0, 100])
def test_max_depth_stops_where_one_process_stops(bias60, limits: dict, parallel_from: int) -> None:  # noqa: ANN001
    options = Options(por=False, **limits)
    one = check(bias60, options)
    got = check(bias60, replace(options, workers=2, split="stages", parallel_from=parallel_from))
    assert summary(got) == summary(one)
    depth = limits["max_depth"]
    if depth <= 124:  # GETS=60 with symmetry: levels 0 .. 124, the last not expanded at --max-depth 124
        assert not got.stats.complete and got.stats.limit == f"--max-depth {depth}" and got.stats.depth == depth
    else:
        assert got.stats.complete and got.stats.limit is None


def test_timeout_stops_the_pipeline(bias60) -> None:  # noqa: ANN001
    options = Options(por=False, timeout=1e-9)
    one = check(bias60, options)
    got = check(bias60, staged(options))
    assert not got.stats.complete and not one.stats.complete
    assert one.stats.limit.endswith("reached") and got.stats.limit == one.stats.limit
    assert got.stats.states == one.stats.states == 1
    assert summary(got) == summary(one)


def test_timeout_within_the_pipeline(bias60, monkeypatch) -> None:  # noqa: ANN001
    """A timeout met after the hand-over: the answers outstanding are taken
    in, the counts are consistent and the limit named as one process would."""
    full = check(bias60, Options(por=False, symmetry=False))
    calls = {"n": 0}

    def out_of_time(self):  # noqa: ANN001, ANN202 - the 41st look at the clock: time is up
        calls["n"] += 1
        return calls["n"] > 40

    monkeypatch.setattr(stages.Watch, "out_of_time", out_of_time)
    got = check(bias60, replace(Options(por=False, symmetry=False, timeout=3600), workers=2, split="stages",
                                parallel_from=0))
    monkeypatch.undo()
    assert calls["n"] == 41
    assert got.stats.limit == "--timeout 3600 reached"
    assert not got.stats.complete and got.stats.limit.startswith("--timeout") and got.stats.limit.endswith("reached")
    assert 1 < got.stats.states < full.stats.states
    assert got.stats.transitions < full.stats.transitions
    for v in got.verdicts:  # what was found is found for real, the rest is open
        assert v.status in ("unknown", "reachable", "violated"), v


def test_memory_limit_stops_the_pipeline(bias60) -> None:  # noqa: ANN001
    result = check(bias60, staged(Options(por=False, memory=1)))
    assert not result.stats.complete
    assert result.stats.limit.startswith("--memory 1 reached (resident ")
    assert result.stats.states == 1  # stopped before the first level
    one = check(bias60, Options(por=False, memory=1))
    assert one.stats.states == 1 and one.stats.limit.startswith("--memory 1 reached (resident ")


def test_max_states_runs_in_one_process_with_a_note(bias60, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    options = Options(por=False, symmetry=False, max_states=5000)
    one = check(bias60, options)
    got = check(bias60, staged(options))
    assert handed.calls == []
    assert got.stats.notes[:-1] == one.stats.notes
    assert got.stats.notes[-1].startswith(MAX_STATES_NOTE)
    assert summary(got)[0][:5] == summary(one)[0][:5] and summary(got)[1] == summary(one)[1]
    assert one.stats.limit == "--max-states 5000"
    # below the threshold nobody would have used the workers: no note
    small = check(bias60, replace(options, workers=2, split="stages", parallel_from=10_000))
    assert summary(small) == summary(one)


def test_fallbacks_keep_their_notes_with_stages(bias60) -> None:  # noqa: ANN001
    system = compile_spec(str(SPECS / "independent_pinners.pin"))
    options = Options(symmetry=False)
    one = check(system, options)
    two = check(system, replace(options, workers=2, split="stages", parallel_from=10))
    assert two.stats.states == one.stats.states == 243
    assert two.stats.notes == one.stats.notes + (
        "explored in one process, not 2 workers: partial-order reduction is on (--no-por to use the workers)",)
    graph = check(bias60, Options(build_graph=True, workers=2, split="stages", parallel_from=10))
    assert graph.graph is not None
    assert graph.stats.notes[-1] == ("explored in one process, not 2 workers: "
                                     "the state graph of a report needs the single-process search")


# --------------------------------------------------------------- packing, pieces, look-ahead

def test_packing_widens_after_the_hand_over(bias60, bias60_one, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    assert summary(check(bias60, staged(Options(por=False, symmetry=False)))) == bias60_one[False]
    (call,) = handed.calls
    assert call["widened_after"] > call["widened_before"]  # GETS=60: refcount passes 4 bits in the pipeline


@pytest.mark.parametrize("parallel_from", [0, 100])
def test_many_widenings(bias60, bias60_one, monkeypatch, parallel_from: int) -> None:  # noqa: ANN001
    monkeypatch.setattr(packing, "START_BITS", 1)
    handed = Handed(monkeypatch)
    for sym in (True, False):
        options = Options(por=False, symmetry=sym, workers=2, split="stages", parallel_from=parallel_from)
        assert summary(check(bias60, options)) == bias60_one[sym]
    assert all(c["widened_after"] > c["widened_before"] for c in handed.calls), handed.calls
    if parallel_from == 0:  # every slot starts at 1 bit and widens in the pipeline, some more than once
        assert all(c["widened_after"] >= 4 for c in handed.calls), handed.calls


@pytest.mark.parametrize("chunk, ahead, sym", [
    *(pytest.param(16, ahead, sym) for ahead in (0, 1, stages.AHEAD, 10**9) for sym in (True, False)),
    pytest.param(3, 2, True),
    *((bfs.CHUNK, ahead, sym) for ahead in (0, 10**9) for sym in (True, False))])
def test_small_pieces_and_any_look_ahead(bias60, bias60_one, monkeypatch, chunk: int, ahead: int,  # noqa: ANN001
                                         sym: bool) -> None:
    """Pieces of at most `chunk` candidates (a batch's sources span several
    batches) and any number of answers outstanding: the same result."""
    monkeypatch.setattr(bfs, "CHUNK", chunk)
    monkeypatch.setattr(stages, "AHEAD", ahead)
    assert summary(check(bias60, staged(Options(por=False, symmetry=sym)))) == bias60_one[sym]


BOOLS = "spec bools\npage X { %s }\ndaemon d {\n%s\n}\n" % (
    ", ".join(f"b{i}: bool = false" for i in range(14)),
    "\n".join(f"    s{i}: when not X.b{i} {{ X.b{i} = true }}" for i in range(14)))


@pytest.mark.parametrize("spec, chunk", [("bools", 1024), ("bias60", 16)])
def test_the_store_answering_at_once(bias60, tmp_path: Path, monkeypatch, spec: str, chunk: int) -> None:  # noqa: ANN001
    """The store as fast as can be: every answer taken in before the next
    piece is expanded (a schedule the pipeline must handle like any other).
    `bools`: 14 flags set in any order, levels of up to 3,432 states, so
    with pieces of 1,024 a level's candidates come in several batches."""
    system = compile_text(tmp_path, BOOLS) if spec == "bools" else bias60
    one = summary(check(system, Options(por=False)))
    monkeypatch.setattr(bfs, "CHUNK", chunk)
    real = stages.Stages._expand

    def expand(self):  # noqa: ANN001, ANN202
        self._drain()
        real(self)

    monkeypatch.setattr(stages.Stages, "_expand", expand)
    assert summary(check(system, staged(Options(por=False)))) == one


def test_small_pieces_with_limits(bias60, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(bfs, "CHUNK", 16)
    monkeypatch.setattr(stages, "AHEAD", 0)
    for options in (Options(por=False, max_depth=50), Options(por=False, symmetry=False, max_depth=1)):
        assert summary(check(bias60, staged(options))) == summary(check(bias60, options))


@pytest.mark.parametrize("job", WIDE_JOBS, ids=job_id)
def test_states_of_several_words(job, monkeypatch) -> None:  # noqa: ANN001
    handed = Handed(monkeypatch)
    system = compile_spec(*job)
    assert_same(system, Options(por=False, symmetry=False))
    assert handed.calls[-1]["words"] > 1


def test_specs_of_several_words_exist() -> None:
    """The test above has specs to run (specs/ has states of 2 words)."""
    assert len(WIDE_JOBS) >= 3


@pytest.mark.parametrize("chunk", [bfs.CHUNK, 16])
def test_wide_slots_several_words(bias60, bias60_one, monkeypatch, chunk: int) -> None:  # noqa: ANN001
    """Slots of 40 bits: a state of pin_bias takes 6 words, and the filter's
    row buffer fills and starts over."""
    monkeypatch.setattr(packing, "START_BITS", 40)
    monkeypatch.setattr(bfs, "CHUNK", chunk)
    handed = Handed(monkeypatch)
    for sym in (True, False):
        assert summary(check(bias60, staged(Options(por=False, symmetry=sym)))) == bias60_one[sym]
    assert all(c["words"] > 1 for c in handed.calls)


def test_one_word_without_the_exact_hash(bias60, bias60_one, monkeypatch) -> None:  # noqa: ANN001
    """With one-word states compared by row, not by hash alone."""
    monkeypatch.setattr(store, "EXACT_ONE_WORD", False)
    for sym in (True, False):
        assert summary(check(bias60, staged(Options(por=False, symmetry=sym)))) == bias60_one[sym]


# --------------------------------------------------------------- the filter

def _rows(rng: np.random.Generator, n: int, words: int) -> np.ndarray:
    rows = rng.integers(1, 2**63, size=(n, words), dtype=np.int64).view(np.uint64)
    return np.unique(rows, axis=0)[rng.permutation(len(np.unique(rows, axis=0)))]


def _kept(seen: stages.Seen, rows: np.ndarray) -> np.ndarray:
    """Which of `rows` (added in this order) the direct-mapped table keeps:
    the last one to meet in each slot."""
    slot = seen._slots(store_hash(rows)).tolist()
    last = {s: i for i, s in enumerate(slot)}
    kept = np.zeros(rows.shape[0], dtype=bool)
    kept[list(last.values())] = True
    return kept


@pytest.mark.parametrize("words", [1, 2, 3])
def test_seen_finds_what_was_added_and_nothing_else(words: int) -> None:
    rng = np.random.default_rng(words)
    seen = stages.Seen(words)
    rows = _rows(rng, 4000, words)
    added, others = rows[:2000], rows[2000:]
    for level, lo in enumerate(range(0, 2000, 500)):
        seen.start(level)
        part = added[lo:lo + 500]
        seen.add(level, part, store_hash(part))
        so_far = added[:lo + 500]
        assert (seen.find(so_far, store_hash(so_far)) == _kept(seen, so_far)).all(), level
    found = seen.find(added, store_hash(added))
    assert found.mean() > 0.8  # the table forgets a few: of two states meeting in a slot, the later stays
    assert not seen.find(others, store_hash(others)).any()  # never a state not added
    # one added state, alone: found
    one = others[:1]
    seen.add(4, one, store_hash(one))
    assert seen.find(one, store_hash(one)).all()


def test_seen_rows_are_compared_beyond_the_hash() -> None:
    """States of several words with equal hashes are told apart by their rows."""
    seen = stages.Seen(2)
    a = np.array([[1, 2], [3, 4]], dtype=np.uint64)
    b = np.array([[1, 5], [3, 7]], dtype=np.uint64)
    h = np.array([12345 << 8, 999 << 8], dtype=np.uint64)
    seen.add(0, a, h)
    assert seen.find(a, h).tolist() == [True, True]
    assert seen.find(b, h).tolist() == [False, False]


@pytest.mark.parametrize("words", [1, 2])
def test_seen_finds_a_state_whose_hash_is_0_once_sent(words: int) -> None:
    """Empty slots hold a filler no hash filed there equals, so every hash
    (0 too: the all-zero row, the initial state packed narrow) is found
    once added and not before."""
    zero = np.zeros((1, words), dtype=np.uint64)
    assert store_hash(zero).tolist() == [0]
    seen = stages.Seen(words)
    assert not seen.find(zero, store_hash(zero)).any()
    fillers = ~np.arange(seen.hashes.size, dtype=np.uint64)  # the very values the empty slots hold
    assert not seen.find(np.zeros((fillers.size, words), dtype=np.uint64), fillers).any()
    seen.add(0, zero, store_hash(zero))
    assert seen.find(zero, store_hash(zero)).all()
    other = np.full((3, words), 7, dtype=np.uint64)
    assert not seen.find(other, store_hash(other)).any()


def test_seen_forgets_old_levels_but_never_invents() -> None:
    rng = np.random.default_rng(3)
    for words in (1, 2):
        seen = stages.Seen(words)
        rows = _rows(rng, 60 * 300, words)
        for level in range(60):
            seen.start(level)
            part = rows[level * 300:(level + 1) * 300]
            seen.add(level, part, store_hash(part))
            recent = rows[max(0, level - 3) * 300:(level + 1) * 300]
            assert seen.find(recent, store_hash(recent)).mean() > 0.9, (words, level)
        later = _rows(np.random.default_rng(99), 5000, words)
        later = later[~(later[:, None, :] == rows[None, :1000, :]).all(axis=2).any(axis=1)]
        assert not seen.find(later, store_hash(later)).any()


@pytest.mark.parametrize("old_words, new_words", [(1, 1), (1, 2), (2, 3), (2, 1)])
def test_seen_recode(old_words: int, new_words: int) -> None:
    """After `recode` the states are held in the new encoding (here a shift
    of every word by one bit, and words added or dropped)."""
    rng = np.random.default_rng(5)
    rows = _rows(rng, 3000, old_words) >> np.uint64(2)  # room for the shift

    def convert(r: np.ndarray) -> np.ndarray:
        out = np.zeros((r.shape[0], new_words), dtype=np.uint64)
        k = min(old_words, new_words)
        out[:, :k] = r[:, :k] << np.uint64(1)
        if new_words > old_words:
            out[:, k:] = np.uint64(1)
        return out

    if new_words < old_words:
        rows[:, new_words:] = 0  # the dropped words are empty
        rows = rows[np.unique(rows, axis=0, return_index=True)[1]]
    added, others = rows[:1500], rows[1500:]
    seen = stages.Seen(old_words)
    for level in range(3):
        seen.start(level)
        part = added[level * 500:(level + 1) * 500]
        seen.add(level, part, store_hash(part))
    seen.recode(convert, new_words)
    assert seen.words == new_words
    new = convert(added)
    found = seen.find(new, store_hash(new))
    assert found.mean() > 0.9
    assert (found == _kept(seen, new)).all()  # all held, re-filed in order under their new hashes
    new_others = convert(others)
    assert not seen.find(new_others, store_hash(new_others)).any()
    # and it goes on taking states in the new encoding
    more = convert(_rows(np.random.default_rng(8), 100, old_words) >> np.uint64(2))
    if new_words < old_words:
        more[:, new_words:] = 0
    seen.start(3)
    seen.add(3, more, store_hash(more))
    both = np.concatenate([new, more])
    assert (seen.find(both, store_hash(both)) == _kept(seen, both)).all()


# --------------------------------------------------------------- failures

def test_a_failing_store_is_an_error_not_a_hang(bias60, monkeypatch) -> None:  # noqa: ANN001
    real = StateStore.insert
    calls = {"n": 0}

    def broken(self, keys, parents, codes, h=None, near=True):  # noqa: ANN001, ANN202
        if not near:  # the store process's
            calls["n"] += 1
            if calls["n"] > 5:
                raise RuntimeError("disk on fire")
        return real(self, keys, parents, codes, h=h, near=near)

    monkeypatch.setattr(StateStore, "insert", broken)
    start = time.monotonic()
    with pytest.raises(WorkerError, match="worker process 1 \\(the store\\) failed:(.|\n)*disk on fire"):
        check(bias60, staged(Options(por=False)))
    assert time.monotonic() - start < 30
    assert calls["n"] == 0  # only the child called it so


def test_a_store_that_dies_is_an_error_not_a_hang(bias60, monkeypatch) -> None:  # noqa: ANN001
    real = StateStore.insert
    calls = {"n": 0}

    def dying(self, keys, parents, codes, h=None, near=True):  # noqa: ANN001, ANN202
        if not near:
            calls["n"] += 1
            if calls["n"] > 5:
                os._exit(7)
        return real(self, keys, parents, codes, h=h, near=near)

    monkeypatch.setattr(StateStore, "insert", dying)
    with pytest.raises(WorkerError, match="worker process 1 \\(the store\\) went away"):
        check(bias60, staged(Options(por=False)))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_pipeline_with_statistics() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "pinmc", "check", PIN_BIAS, "-D", "GETS=3000", "--no-por",
                             "--workers", "2", "--split", "stages"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = children(proc.pid)
        time.sleep(1.5)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert_interrupted(proc.returncode, out, err, workers, 1000)


# --------------------------------------------------------------- command line

def _pinmc(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pinmc", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("spec, defines, fmt", [("pin_bias.pin", (), "json"), ("pin_bias.pin", (), "text"),
                                                ("pin_bias.pin", ("-D", "GETS=60"), "json"),
                                                ("s28_longterm_movable.pin", (), "text")])
def test_reports_byte_identical(spec: str, defines: tuple[str, ...], fmt: str) -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return _pinmc("check", f"specs/{spec}", *defines, "--no-por", "--no-time", "--format", fmt, *extra)

    one = run("--workers", "1")
    assert one.returncode in (0, 1) and one.stdout
    for extra in (("--workers", "2", "--parallel-from", "0"),  # split auto: the stages
                  ("--workers", "2", "--split", "stages", "--parallel-from", "0")):
        two = run(*extra)
        assert two.returncode == one.returncode, extra
        assert two.stdout == one.stdout, extra
        assert two.stderr == one.stderr == "", extra


@pytest.mark.parametrize("argv", [["--split", "stages", "--workers", "3"],
                                  ["--split", "stages", "--workers", "1"],
                                  ["--split", "stages", "--backend", "ray"],
                                  ["--split", "stages", "--workers", "2", "--backend", "ray"]])
def test_split_stages_needs_two_worker_processes(argv: list[str]) -> None:
    out = _pinmc("check", "specs/lpc2018_writeback.pin", *argv)
    assert out.returncode == 2, out
    assert "--split stages needs --workers 2 and the process backend" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_split_hash_on_the_command_line() -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return _pinmc("check", "specs/pin_bias.pin", "--no-por", "--no-time", "--format", "json", *extra)

    one, hashed = run("--workers", "1"), run("--workers", "2", "--split", "hash", "--parallel-from", "0")
    assert hashed.returncode == one.returncode == 1  # false_positive is unreachable with GETS=2
    assert hashed.stdout == one.stdout and hashed.stderr == ""


def test_bad_split_is_a_usage_error() -> None:
    out = _pinmc("check", "specs/lpc2018_writeback.pin", "--workers", "2", "--split", "halves")
    assert out.returncode == 2 and "--split" in out.stderr and "Traceback" not in out.stderr


def test_split_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from pinmc import cli

    monkeypatch.setattr(cli, "_cores", lambda: 4)
    args = argparse.Namespace(command="check", workers=2, backend=None, cluster=None, parallel_from=None, split=None)
    assert cli._workers(args)["split"] == "auto"
    args.split = "stages"
    assert cli._workers(args)["split"] == "stages" and cli._workers(args)["workers"] == 2
    args.split, args.workers = "hash", 4
    assert cli._workers(args)["split"] == "hash"
    args.split = "stages"
    with pytest.raises(cli.UsageError):
        cli._workers(args)
