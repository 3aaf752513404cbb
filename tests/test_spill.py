"""The disk-backed visited set: the same ids, counts and traces as the
in-memory one, whatever the budget; sorted runs, merges, collisions,
files removed; and --spill on the command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jobs import compile_text, counts, explicit_jobs, job_id
from pinmc.engines.base import Options
from pinmc.engines.explicit import spill as spill_module
from pinmc.engines.explicit import store as store_module
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.spill import SpillStore, make_store
from pinmc.engines.explicit.store import StateStore
from pinmc.semantics.pipeline import compile_spec
from randomspec import generate

ROOT = Path(__file__).resolve().parent.parent


def _same(a, b) -> None:  # noqa: ANN001 - two engine Results
    assert counts(a) == counts(b)
    assert (a.stats.complete, a.stats.limit) == (b.stats.complete, b.stats.limit)
    assert [(v.prop, v.status, v.trace, v.note) for v in a.verdicts] == \
        [(v.prop, v.status, v.trace, v.note) for v in b.verdicts]


def _batches(rng: np.random.Generator, words: int, n: int, size: int) -> list[np.ndarray]:
    """Batches of packed keys drawn from a small pool: plenty of repeats,
    within a batch and across batches."""
    pool = rng.integers(0, 1 << 62, size=(size, words), dtype=np.int64).astype(np.uint64)
    return [pool[rng.integers(0, size, size=int(rng.integers(1, 300)))] for _ in range(n)]


# ------------------------------------------------------------ the store alone

@pytest.mark.parametrize("words, budget", [(1, 1), (1, 7), (2, 50), (3, 1000)])
def test_store_matches_the_memory_store(tmp_path: Path, words: int, budget: int) -> None:
    rng = np.random.default_rng(words * 1000 + budget)
    mem, disk = StateStore(words), SpillStore(words, str(tmp_path), budget)
    for k, keys in enumerate(_batches(rng, words, 60, 2000)):
        parents = rng.integers(0, max(1, mem.n), size=keys.shape[0])
        codes = rng.integers(0, 50, size=keys.shape[0])
        if k % 7 == 0:
            mem.mark_level()
            disk.mark_level()
        probe = _batches(rng, words, 1, 2000)[0]
        assert (mem.contains(probe) == disk.contains(probe)).all()
        a, b = mem.insert(keys, parents, codes), disk.insert(keys, parents, codes)
        assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert mem.n == disk.n and disk.runs
    assert (disk.parent == mem.parent[:mem.n]).all() and (disk.code == mem.code[:mem.n]).all()
    for sid in rng.integers(0, mem.n, size=50):
        assert disk.path(int(sid)) == mem.path(int(sid))


def test_hash_collisions_cost_a_second_look(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a hash of 2 bits every key collides with thousands of others, on
    disk and in the buffer: the answers are still exact."""
    def weak(keys: np.ndarray) -> np.ndarray:
        return keys[:, 0] & np.uint64(3)

    monkeypatch.setattr(spill_module, "_hash", weak)
    monkeypatch.setattr(store_module, "_hash", weak)
    rng = np.random.default_rng(7)
    mem, disk = StateStore(2), SpillStore(2, str(tmp_path), 64)
    for keys in _batches(rng, 2, 25, 600):
        zeros = np.zeros(keys.shape[0], dtype=np.int64)
        a, b = mem.insert(keys, zeros, zeros), disk.insert(keys, zeros, zeros)
        assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert mem.n == disk.n > 300


def test_runs_are_sorted_and_merged_like_a_binary_counter(tmp_path: Path) -> None:
    budget = 100
    disk = SpillStore(1, str(tmp_path), budget)
    keys = np.arange(1, 10_001, dtype=np.uint64).reshape(-1, 1)
    for lo in range(0, 10_000, 100):
        z = np.zeros(100, dtype=np.int64)
        disk.insert(keys[lo:lo + 100], z, z)
    # 100 runs of 100 states written; merged whenever the newer is as large as the older
    sizes = [r.n for r in disk.runs]
    assert sizes == [6400, 3200, 400] and disk.buffer.n == 0 and disk.n == 10_000  # 100 = 64 + 32 + 4
    for r in disk.runs:
        assert (np.diff(r.h.astype(np.float64)) >= 0).all()
        assert sorted(r.ids.tolist()) == list(range(min(r.ids), min(r.ids) + r.n))
    files = {p.name for p in Path(disk.directory).iterdir()}
    assert len(files) == 3 * 3 + 2  # three files a run, parents and codes
    found = disk.contains(keys)
    assert found.all() and not disk.contains(np.array([[0], [10_001]], dtype=np.uint64)).any()


def test_merging_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge reads its runs MERGE_CHUNK entries at a time: the result is
    the same with chunks of 5 entries."""
    monkeypatch.setattr(spill_module, "MERGE_CHUNK", 5)
    rng = np.random.default_rng(3)
    mem, disk = StateStore(1), SpillStore(1, str(tmp_path), 37)
    for keys in _batches(rng, 1, 40, 3000):
        z = np.zeros(keys.shape[0], dtype=np.int64)
        a, b = mem.insert(keys, z, z), disk.insert(keys, z, z)
        assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert all((np.diff(r.h.astype(np.float64)) >= 0).all() for r in disk.runs)


def test_files_are_removed(tmp_path: Path) -> None:
    disk = SpillStore(1, str(tmp_path), 1)
    disk.insert(np.array([[1], [2]], dtype=np.uint64), np.zeros(2, np.int64), np.zeros(2, np.int64))
    assert Path(disk.directory).is_dir() and disk.runs
    disk.close()
    assert list(tmp_path.iterdir()) == []
    system = compile_spec("specs/nic_hugepage_ref.pin")
    check(system, Options(spill=str(tmp_path), spill_states=5000))
    assert list(tmp_path.iterdir()) == []


def test_the_budget_comes_from_the_memory_limit(tmp_path: Path) -> None:
    assert isinstance(make_store(1, Options()), StateStore)
    assert make_store(1, Options(spill=str(tmp_path), spill_states=5)).budget == 5
    from pinmc.engines.resources import resident

    limit = resident() + (100 << 20)
    budget = make_store(2, Options(spill=str(tmp_path), memory=limit)).budget
    # half of the 100 MiB left, at 51 bytes a state (two words: 16 of row, 4 of parent, 4 of code,
    # 10 of table, and half again of slack): 1,028,015 states, give or take what the process
    # allocated in between
    assert spill_module.buffer_bytes_per_state(2) == 51
    assert abs(budget - (100 << 20) // 2 // 51) < 20_000
    assert make_store(2, Options(spill=str(tmp_path), memory=1)).budget == spill_module.MIN_BUDGET


# ------------------------------------------------------------ searches

@pytest.mark.parametrize("job", explicit_jobs("specs"), ids=job_id)
def test_specs_spilled_give_the_same_results(tmp_path: Path, job: tuple[str, str | None]) -> None:
    system = compile_spec(*job)
    for opts in (Options(), Options(por=False, symmetry=False)):
        base = check(system, opts)
        n = base.stats.states
        for budget in sorted({max(2, n // 16)} | ({1} if n < 1000 else set())):  # many runs, many merges
            _same(base, check(system, replace(opts, spill=str(tmp_path), spill_states=budget)))


@pytest.mark.parametrize("seed", range(40))
def test_random_specs_spilled_give_the_same_results(tmp_path: Path, seed: int) -> None:
    system = compile_text(tmp_path, generate(seed))
    base = check(system)
    _same(base, check(system, Options(spill=str(tmp_path), spill_states=3)))


def test_a_larger_search_spilled(tmp_path: Path) -> None:
    """pin_bias with GETS = 60: 11,346 states, 124 levels, in runs of 500."""
    system = compile_spec("specs/pin_bias.pin", None, {"GETS": 60})
    for expander in ("scalar", "vector"):
        base = check(system, Options(), expander=expander)
        spilled = check(system, Options(spill=str(tmp_path), spill_states=500), expander=expander)
        _same(base, spilled)
    assert counts(base) == (11_346, 74_896, 124)


def test_state_graph_with_a_spilled_store(tmp_path: Path) -> None:
    system = compile_spec("specs/lpc2018_writeback.pin")
    a = check(system, Options(build_graph=True))
    b = check(system, Options(build_graph=True, spill=str(tmp_path), spill_states=2))
    assert sorted(a.graph.edges(data=True)) == sorted(b.graph.edges(data=True))  # type: ignore[union-attr]
    assert dict(a.graph.nodes(data="state")) == dict(b.graph.nodes(data="state"))  # type: ignore[union-attr]


# ------------------------------------------------------------ the command line

def pinmc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_output_is_identical(tmp_path: Path) -> None:
    plain = pinmc("check", "--no-time", "--workers", "1", "specs/nic_hugepage_ref.pin", "specs/lpc2018_writeback.pin")
    spilled = pinmc("check", "--no-time", "--workers", "1", "--spill", str(tmp_path), "--spill-states", "5000",
                    "specs/nic_hugepage_ref.pin", "specs/lpc2018_writeback.pin")
    assert plain.returncode == spilled.returncode == 1
    assert plain.stdout == spilled.stdout
    assert list(tmp_path.iterdir()) == []


def test_spill_goes_past_the_memory_limit(tmp_path: Path) -> None:
    """--memory alone stops the search; with --spill the same limit lets it
    go on (here to a --max-states well past where memory stopped it)."""
    alone = pinmc("check", "specs/pin_bias.pin", "-D", "GETS=3000", "--memory", "100M", "--format", "json")
    assert alone.returncode == 3
    stats = json.loads(alone.stdout)["results"][0]["stats"]
    assert re.fullmatch(r"--memory 100M reached \(resident [\d,]+ MiB\)", stats["limit"])
    target = stats["states"] * 3 // 2
    spilled = pinmc("check", "specs/pin_bias.pin", "-D", "GETS=3000", "--memory", "100M", "--spill", str(tmp_path),
                    "--max-states", str(target), "--format", "json")
    assert spilled.returncode == 3, spilled.stderr
    s2 = json.loads(spilled.stdout)["results"][0]["stats"]
    assert s2["limit"] == f"--max-states {target}" and s2["states"] >= target
    assert s2["peak_bytes"] < 100 << 20  # the memory held, without the mapped spill files
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--spill", "/nonexistent/dir"], "pinmc check: --spill /nonexistent/dir: no such directory"),
    (["--spill-states", "10"], "pinmc check: --spill-states needs --spill DIR"),
])
def test_spill_usage_errors(args: list[str], message: str) -> None:
    r = pinmc("check", *args, "specs/lpc2018_writeback.pin")
    assert r.returncode == 2 and r.stderr.startswith(message + "\n"), r.stderr
