"""Multi-core exploration (`--workers N`): the hash-partitioned search must
give exactly the single-process result.

Every spec of specs/ the explicit engine decides, and random specs, are
checked with one process and with 2 and 3 partitions (`parallel_from=0`
forces the partitioned search even on tiny specs): the same states,
transitions, depth, limits, notes, verdicts and traces, and byte-identical
JSON and text reports.  Limits, fallbacks, Ctrl-C and worker failures too.
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
from pinmc.engines.explicit import bfs, parallel
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.coordinator import WorkerError, global_ranks
from pinmc.engines.explicit.partition import Partition, owners, unpack_columns, unpack_tuples
from pinmc.engines.explicit.store import Layout
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
JOBS = explicit_jobs(str(SPECS))
PIN_BIAS = str(SPECS / "pin_bias.pin")
RANDOM_SEEDS = 40


def partitioned(options: Options, workers: int, **more: object) -> Options:
    """`options` with `workers` hash partitions, used from the first level on."""
    return replace(options, workers=workers, parallel_from=0, split="hash", **more)  # type: ignore[arg-type]


def assert_same(system, options: Options, workers: tuple[int, ...] = (2, 3), expander: str = "auto") -> None:  # noqa: ANN001
    one = summary(check(system, options, expander=expander))
    for n in workers:
        assert summary(check(system, partitioned(options, n), expander=expander)) == one, f"{n} workers"


# --------------------------------------------------------------- the pieces

def test_schedule_pairs_every_partition_with_every_other_once() -> None:
    for count in range(1, 9):
        partners = parallel.schedule(count)
        for i, ps in enumerate(partners):
            assert sorted(ps) == [j for j in range(count) if j != i]
        # round r: i's partner j has i as its partner in the same round
        for i, ps in enumerate(partners):
            for j in ps:
                assert partners[j].index(i) == ps.index(j) or count % 2 == 1
    assert parallel.schedule(2) == [[1], [0]]
    assert parallel.schedule(4) == [[3, 2, 1], [2, 3, 0], [1, 0, 3], [0, 1, 2]]


def test_owners_are_a_fixed_balanced_function_of_the_state() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, size=(20_000, 3), dtype=np.int64).view(np.uint64)
    for count in (2, 3, 5):
        own = owners(keys, count)
        assert own.min() == 0 and own.max() == count - 1
        sizes = np.bincount(own, minlength=count)
        assert sizes.max() - sizes.min() < 0.05 * keys.shape[0] / count
        assert (owners(keys, count) == own).all()
        assert (owners(keys[::-1], count) == own[::-1]).all()  # per row, not per batch
    assert (owners(keys, 1) == 0).all()
    # small structured states (counters) spread too
    small = np.arange(1000, dtype=np.uint64).reshape(-1, 1)
    assert abs(int(owners(small, 2).sum()) - 500) < 60


def test_unpack_inverts_pack(tmp_path: Path) -> None:
    system = compile_text(tmp_path, """
        spec packing
        enum Mode { IDLE, BUSY, GONE }
        page X {
            a: i32 = -5
            b: u64 = 18446744073709551615
            c: bool = true
            d: 3..9 = 4
            e: u8 = 200
        }
        var m: Mode = BUSY
        thread t { s: { X.a -= 1 } }
        invariant ok: X.d >= 3
    """)
    layout = Layout.of(system)
    assert layout.wide
    init = system.init
    states = [init, init[:1] + (0,) + init[2:], (-2**31,) + init[1:], (2**31 - 1,) + init[1:]]
    keys = layout.pack(states)
    assert unpack_tuples(layout, keys) == [tuple(int(x) for x in s) for s in states]
    narrow = Layout.of(compile_text(tmp_path, """
        spec narrow
        page X {
            a: i32 = -5
            c: bool = true
            d: 3..9 = 4
            e: u8 = 200
        }
        thread t { s: { X.a -= 1 } }
        invariant ok: X.d >= 3
    """))
    cols = np.array([[-5, -2**31, 2**31 - 1], [1, 0, 1], [4, 3, 9], [200, 0, 255], [0, 1, 1]], dtype=np.int64)  # + t's pc
    assert (unpack_columns(narrow, narrow.pack_columns(cols)) == cols).all()


def test_global_ranks_merge_the_partitions_keys() -> None:
    a, b, c = np.array([3, 10, 11]), np.array([0, 4]), np.array([], dtype=np.int64)
    ra, rb, rc = global_ranks([a, b, c])
    assert ra.tolist() == [1, 3, 4] and rb.tolist() == [0, 2] and rc.tolist() == []
    assert global_ranks([np.array([5, 9])])[0].tolist() == [0, 1]


# --------------------------------------------------------------- every job of specs/

@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_same_with_workers(job) -> None:  # noqa: ANN001
    system = compile_spec(*job)
    assert_same(system, Options(por=False))  # symmetry on where it applies
    assert_same(system, Options(por=False, symmetry=False), workers=(2,))


@pytest.mark.parametrize("job", JOBS[::4], ids=job_id)
def test_job_same_with_workers_scalar_expander(job) -> None:  # noqa: ANN001
    assert_same(compile_spec(*job), Options(por=False), workers=(2,), expander="scalar")


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("spec", ["cve_2020_29374.pin", "lpc2018_writeback.pin", "s17_swap_pin_race.pin",
                                  "nic_hugepage_ref.pin"])
def test_reports_byte_identical(spec: str, fmt: str) -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pinmc", "check", f"specs/{spec}", "--no-por", "--no-time",
                               "--format", fmt, *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)

    one, two = run("--workers", "1"), run("--workers", "2", "--split", "hash", "--parallel-from", "0")
    assert one.returncode == two.returncode and one.returncode in (0, 1)
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr == ""


def test_test_command_same_with_workers() -> None:
    def run(*extra: str) -> str:
        out = subprocess.run([sys.executable, "-m", "pinmc", "test", "specs/lpc2018_writeback.pin",
                              "specs/skip_pinned_pages.pin", "specs/pin_bias.pin", "--no-por", *extra],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert run("--workers", "3", "--parallel-from", "0") == run("--workers", "1")


# --------------------------------------------------------------- random specs

def test_random_specs_same_with_workers() -> None:
    failures = random_mismatches(RANDOM_SEEDS, Options(por=False, max_states=50_000),
                                 {f"{n} workers": lambda o, n=n: partitioned(o, n) for n in (2, 3)})
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------- limits

@pytest.fixture(scope="module")
def bias60():  # noqa: ANN201
    return compile_spec(PIN_BIAS, None, {"GETS": 60})


@pytest.mark.parametrize("limits", [{"max_states": 5000}, {"max_depth": 30}, {"max_depth": 0},
                                    {"max_states": 1}, {"timeout": 1e-9}],
                         ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()))
def test_limits_stop_where_one_process_stops(bias60, limits: dict) -> None:  # noqa: ANN001
    options = Options(por=False, symmetry=False, **limits)
    result = check(bias60, partitioned(options, 2))
    assert not result.stats.complete and result.stats.limit is not None
    assert summary(result) == summary(check(bias60, options))


def test_limits_within_a_level(bias60, monkeypatch) -> None:  # noqa: ANN001
    """A level larger than bfs.CHUNK is expanded in chunks by both searches,
    with --max-states checked between chunks: the partial level is the same."""
    monkeypatch.setattr(bfs, "CHUNK", 16)
    for options in (Options(por=False, symmetry=False), Options(por=False, symmetry=False, max_states=3001)):
        one = check(bias60, options)
        assert summary(check(bias60, partitioned(options, 2))) == summary(one)
    assert one.stats.limit == "--max-states 3001" and one.stats.states not in (3001,)


def test_memory_limit_stops_the_partitioned_search(bias60) -> None:  # noqa: ANN001
    result = check(bias60, partitioned(Options(por=False, memory=1), 2))
    assert not result.stats.complete
    assert result.stats.limit.startswith("--memory 1 reached (resident ")
    assert result.stats.states == 1  # stopped before the first level


# --------------------------------------------------------------- policy and fallbacks

def test_small_searches_stay_in_this_process(bias60, monkeypatch) -> None:  # noqa: ANN001
    started: list[int] = []
    real = parallel.ProcessTeam

    def counting(search, seeds, *rest):  # noqa: ANN001, ANN002, ANN202
        started.append(len(seeds))
        return real(search, seeds, *rest)

    monkeypatch.setattr(parallel, "ProcessTeam", counting)
    options = Options(por=False, symmetry=False, workers=2, split="hash")
    small = check(bias60, replace(options, parallel_from=10_000))  # levels of GETS=60 hold < 10,000 states
    assert started == [] and small.stats.notes == ()
    big = check(bias60, replace(options, parallel_from=100))
    assert started == [2]
    assert summary(big) == summary(small)


def test_partial_order_reduction_falls_back_with_a_note() -> None:
    system = compile_spec(str(SPECS / "independent_pinners.pin"))
    options = Options(symmetry=False)
    one = check(system, options)
    two = check(system, replace(options, workers=2, parallel_from=10, split="hash"))
    assert two.stats.states == one.stats.states == 243
    assert two.stats.notes == one.stats.notes + (
        "explored in one process, not 2 workers: partial-order reduction is on (--no-por to use the workers)",)
    # below the threshold nobody would have used the workers: no note
    assert check(system, replace(options, workers=2, split="hash")).stats.notes == one.stats.notes


def test_state_graph_falls_back_with_a_note(bias60) -> None:  # noqa: ANN001
    result = check(bias60, Options(build_graph=True, workers=2, parallel_from=10, split="hash"))
    assert result.graph is not None
    assert result.stats.notes[-1] == ("explored in one process, not 2 workers: "
                                      "the state graph of a report needs the single-process search")


# --------------------------------------------------------------- failures and Ctrl-C

def test_a_failing_worker_is_an_error_not_a_hang(bias60, monkeypatch) -> None:  # noqa: ANN001
    real = Partition.absorb

    def broken(self, batches):  # noqa: ANN001, ANN202
        if self.index == 1 and self.store.n > 100:
            raise RuntimeError("disk on fire")
        return real(self, batches)

    monkeypatch.setattr(Partition, "absorb", broken)
    with pytest.raises(WorkerError, match="worker process 1 failed:(.|\n)*disk on fire"):
        check(bias60, partitioned(Options(por=False), 2))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_stops_the_workers_with_statistics() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "pinmc", "check", PIN_BIAS, "-D", "GETS=3000", "--no-por",
                             "--workers", "2", "--split", "hash", "--parallel-from", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.5)
        workers = children(proc.pid)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    out, err = proc.communicate(timeout=120)
    assert_interrupted(proc.returncode, out, err, workers, 1)


# --------------------------------------------------------------- command line

@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers 0: at least one worker is needed"),
    (["--cluster", "ray://x:1", "--backend", "process"], "--cluster needs --backend ray"),
])
def test_bad_worker_options_are_usage_errors(argv: list[str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "pinmc", "check", "specs/lpc2018_writeback.pin", *argv],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_one_process_by_default_and_all_cores_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """--workers defaults to one process (faster than two partitions on two
    cores, docs/scale.md); `all` is every core; the Ray backend defaults to
    every core."""
    import argparse

    from pinmc import cli

    monkeypatch.setattr(cli, "_cores", lambda: 3)
    args = argparse.Namespace(command="check", workers=None, backend=None, cluster=None, parallel_from=None,
                              split=None)
    assert cli._workers(args)["workers"] == 1
    assert cli._worker_count("all") == 3
    assert cli._worker_count("2") == 2
    args.backend = "ray"
    assert cli._workers(args)["workers"] == 3


def test_workers_all_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`--workers all` runs and gives the one-process output (exit 1: the
    reachable false_positive is unreachable, as `check` reports it)."""
    from pinmc.cli import main

    argv = ["check", "specs/pin_bias.pin", "--parallel-from", "0", "--no-time"]
    assert main(argv + ["--workers", "all"]) == 1
    many = capsys.readouterr().out
    assert main(argv) == 1
    assert capsys.readouterr().out == many
