"""The cluster backend (`--backend ray`) in Ray's local mode: the same
hash-partitioned search with Ray actors as partitions must give exactly
the single-process result, like the multi-process engine
(tests/test_workers.py): specs of specs/, random specs, limits, the CLI."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from jobs import explicit_jobs, job_id, random_mismatches, summary  # noqa: E402


from pinmc.engines.base import Options  # noqa: E402
from pinmc.engines.explicit.bfs import check  # noqa: E402
from pinmc.semantics.pipeline import compile_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
PICKED = {"lpc2018_writeback", "cve_2020_29374", "s17_swap_pin_race", "nic_hugepage_ref", "symmetric_pool",
          "fork_pinned_cow", "s09_lpc2018_lib", "release_mismatch"}
JOBS = [j for j in explicit_jobs(str(SPECS)) if Path(j[0]).stem in PICKED]
RANDOM_SEEDS = 12


@pytest.fixture(scope="module", autouse=True)
def local_ray():  # noqa: ANN201
    """One local Ray for the module (starting one takes seconds)."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    if started:
        ray.shutdown()


def on_ray(options: Options, workers: int = 2) -> Options:
    return replace(options, workers=workers, parallel_from=0, backend="ray")


def test_the_picked_specs_are_there() -> None:
    assert {Path(spec).stem for spec, _ in JOBS} == PICKED


@pytest.mark.parametrize("job", JOBS, ids=job_id)
def test_job_same_on_ray(job) -> None:  # noqa: ANN001
    system = compile_spec(*job)
    options = Options(por=False)
    one = summary(check(system, options))
    assert summary(check(system, on_ray(options))) == one
    if Path(job[0]).stem in ("lpc2018_writeback", "symmetric_pool"):
        assert summary(check(system, on_ray(options, 3))) == one


def test_random_specs_same_on_ray() -> None:
    failures = random_mismatches(RANDOM_SEEDS, Options(por=False, max_states=20_000), {"ray": on_ray})
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("limits", [{"max_states": 700}, {"max_depth": 9}], ids=["max_states", "max_depth"])
def test_limits_on_ray(limits: dict) -> None:
    system = compile_spec(str(SPECS / "pin_bias.pin"), None, {"GETS": 20})
    options = Options(por=False, symmetry=False, **limits)
    result = check(system, on_ray(options))
    assert not result.stats.complete
    assert summary(result) == summary(check(system, options))


def test_cli_backend_ray_report_is_identical() -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pinmc", "check", "specs/lpc2018_writeback.pin", "--no-por",
                               "--no-time", "--format", "json", *extra], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)

    one = run("--workers", "1")
    two = run("--backend", "ray", "--workers", "2", "--parallel-from", "0")
    assert two.returncode == one.returncode == 1, two.stderr
    assert two.stdout == one.stdout


def test_ray_init_arguments() -> None:
    """A cluster gets this pinmc shipped to its workers; a local Ray gets
    room for every partition and no dashboard."""
    from pinmc.engines.explicit.cluster import init_args

    remote = init_args(Options(workers=8, cluster="ray://head:10001"))
    assert remote["address"] == "ray://head:10001"
    assert remote["runtime_env"] == {"py_modules": [str(ROOT / "pinmc")]}
    local = init_args(Options(workers=64))
    assert local["num_cpus"] == 64 and local["include_dashboard"] is False and "address" not in local
