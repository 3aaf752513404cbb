"""Determinism: `check`, `prove`, `gate` and the reports give byte-identical
output whatever the hash seed, and from one run to the next.

Each command runs as a subprocess (`python -m pinmc`) four times: under
PYTHONHASHSEED 0, 1 and 12345, and under 0 once more.  Every run works in a
fresh directory of its own holding a copy of the specs it needs, with
relative paths throughout, so that the directory's name cannot leak into
the output.  Standard output, standard error, the exit status and every
file the command writes (reports, pictures, SARIF, JUnit, JSON,
certificates) must be the same bytes in all four runs.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ("lpc2018_writeback.pin", "skip_pinned_pages.pin", "dma_pinned_flag.pin", "foll_pin_put_page.pin")
# (hash seed, run): the first three differ in the seed, the last repeats the first
RUNS = (("0", 1), ("1", 1), ("12345", 1), ("0", 2))

# name -> (arguments, the exit status it must have, files it must write)
COMMANDS: dict[str, tuple[list[str], int, tuple[str, ...]]] = {
    # violations with their traces, text and the HTML report with the state graph
    "check": (["check", "specs/lpc2018_writeback.pin", "--no-time", "--report", "out"], 1,
              ("out/report.html", "out/result.json", "out/lpc2018_writeback.flusher.writeback.svg",
               "out/lpc2018_writeback.state-graph.png")),
    "check-json": (["check", "specs/lpc2018_writeback.pin", "--proposal", "specs/skip_pinned_pages.pin",
                    "--format", "json", "--no-time"], 0, ()),
    # BMC's counterexample, k-induction/inference certificates, the prover's report
    "prove": (["prove", "specs/lpc2018_writeback.pin", "--no-time", "--timeout", "120",
               "--certificate-out", "certs.pin", "--report", "out"], 1,
              ("certs.pin", "out/report.html", "out/lpc2018_writeback.flusher.writeback.svg")),
    # one proposal that fixes its spec, one that newly breaks its own
    "gate": (["gate", "specs/skip_pinned_pages.pin", "specs/foll_pin_put_page.pin", "--specs", "specs",
              "--no-time", "--no-cache", "--out", "out"], 1,
             ("out/summary.md", "out/junit.xml", "out/results.sarif", "out/results.json",
              "out/report/report.html")),
    # the gallery of a spec and a proposal that fixes it
    "report": (["report", "specs/lpc2018_writeback.pin", "specs/skip_pinned_pages.pin", "-o", "out"], 0,
               ("out/index.html", "out/lpc2018_writeback/report.html")),
}


@dataclass(frozen=True)
class Outcome:
    """What one run of a command produced."""

    status: int
    stdout: bytes
    stderr: bytes
    files: dict[str, bytes]  # path relative to the run's directory -> content


def _run(args: list[str], seed: str, where: Path) -> Outcome:
    (where / "specs").mkdir(parents=True)
    for name in SPECS:
        shutil.copyfile(ROOT / "specs" / name, where / "specs" / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PINMC_DEBUG", "PYTHONHASHSEED")}
    env["PYTHONHASHSEED"] = seed
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=where, env=env,
                          capture_output=True, timeout=600)
    files = {p.relative_to(where).as_posix(): p.read_bytes() for p in sorted(where.rglob("*"))
             if p.is_file() and p.parts[len(where.parts)] != "specs"}
    return Outcome(proc.returncode, proc.stdout, proc.stderr, files)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    """Every command's outcome in every run, in RUNS order."""
    base = tmp_path_factory.mktemp("determinism")
    out: dict[str, list[Outcome]] = {name: [] for name in COMMANDS}
    for seed, n in RUNS:
        for name, (args, _, _) in COMMANDS.items():
            out[name].append(_run(args, seed, base / f"seed{seed}-run{n}" / name))
    return out


def _difference(what: str, a: bytes, b: bytes) -> str:
    """The first lines where two outputs differ, for the failure message."""
    lines = difflib.unified_diff(a.decode("utf-8", "replace").splitlines(),
                                 b.decode("utf-8", "replace").splitlines(), lineterm="", n=1)
    return f"{what} differs:\n" + "\n".join(list(lines)[:20])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_byte_identical_across_hash_seeds_and_runs(outcomes: dict[str, list[Outcome]], name: str) -> None:
    _, status, must_write = COMMANDS[name]
    first = outcomes[name][0]
    assert first.status == status, first.stderr.decode()
    assert b"Traceback" not in first.stderr
    for path in must_write:
        assert path in first.files, f"{name} did not write {path}: {sorted(first.files)}"
    for (seed, n), other in zip(RUNS[1:], outcomes[name][1:]):
        label = f"{name} under PYTHONHASHSEED={seed} (run {n}) against PYTHONHASHSEED=0"
        assert other.status == first.status, label
        assert other.stdout == first.stdout, _difference(f"{label}: standard output", first.stdout, other.stdout)
        assert other.stderr == first.stderr, _difference(f"{label}: standard error", first.stderr, other.stderr)
        assert sorted(other.files) == sorted(first.files), f"{label}: other files written"
        for path, content in first.files.items():
            assert other.files[path] == content, _difference(f"{label}: {path}", content, other.files[path])


def test_the_runs_say_something(outcomes: dict[str, list[Outcome]]) -> None:
    """The outputs compared hold what they should: a trace, a proof, the gate's verdicts."""
    check = outcomes["check"][0].stdout.decode()
    assert "counterexample for flusher.writeback (4 steps)" in check
    prove = outcomes["prove"][0]
    assert b"lemma cert_" in prove.files["certs.pin"]
    assert "flusher.writeback" in prove.stdout.decode()
    gate = outcomes["gate"][0].stdout.decode()
    assert "fixed" in gate and "newly broken" in gate
    assert len([p for p in outcomes["report"][0].files if p.endswith(".svg")]) >= 3
