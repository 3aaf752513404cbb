"""The integration files, exercised: the GitHub Actions workflow is run
step by step on a throw-away git repository (its shell steps for real, its
`uses:` steps checked against what they would upload), and the pre-commit
hook is invoked the way pre-commit invokes it, on the staged `.pin` files."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="pyyaml is not installed (pip install pyyaml)")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pinmc-gate.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
SPECS = ("dma_pinned_flag.pin", "foll_pin.pin", "lpc2018_writeback.pin", "skip_pinned_pages.pin")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository like a user's: pyproject.toml with [tool.pinmc],
    some specs and proposals, committed on main; origin/main points there."""
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    for name in SPECS:
        shutil.copy(ROOT / "specs" / name, repo / "specs" / name)
    (repo / "pyproject.toml").write_text('[project]\nname = "kernel-rules"\nversion = "0"\n\n'
                                         '[tool.pinmc]\nspecs = ["specs"]\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


@pytest.fixture
def shim(tmp_path: Path) -> dict[str, str]:
    """An environment whose `pinmc` is this checkout's, whatever PATH says."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pinmc"
    exe.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m pinmc \"$@\"\n")
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if "PYTHONPATH" in os.environ else "")}


# --- a small interpreter for the workflow's expressions and steps ---------

class Job:
    """Runs one job's steps as GitHub Actions would, for the expressions
    this workflow uses: github.*, steps.ID.outputs.NAME, steps.ID.outcome,
    always(), ==."""

    def __init__(self, repo: Path, env: dict[str, str], event: str):
        self.repo, self.event = repo, event
        self.summary = repo.parent / "step_summary.md"
        self.summary.write_text("")
        self.env = {**env, "GITHUB_STEP_SUMMARY": str(self.summary)}
        self.steps: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, Path] = {}
        self.failed = False
        self.ran: list[str] = []

    def value(self, expr: str) -> str:
        expr = expr.strip()
        github = {"github.event_name": self.event, "github.base_ref": "main" if self.event == "pull_request" else ""}
        if expr in github:
            return github[expr]
        m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expr)
        if m:
            return self.steps.get(m.group(1), {}).get("outputs", {}).get(m.group(2), "")
        m = re.fullmatch(r"steps\.(\w+)\.outcome", expr)
        if m:
            return self.steps.get(m.group(1), {}).get("outcome", "")
        m = re.fullmatch(r"'([^']*)'", expr)
        if m:
            return m.group(1)
        raise AssertionError(f"the test does not know the expression {expr!r}")

    def condition(self, cond: str | None) -> bool:
        if cond is None:
            return not self.failed
        cond = cond.strip().removeprefix("${{").removesuffix("}}").strip()
        if cond == "always()":
            return True
        left, op, right = cond.partition("==")
        assert op, cond
        return not self.failed and self.value(left) == self.value(right)

    def substitute(self, text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: self.value(m.group(1)), text)

    def run(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            if not self.condition(step.get("if")):
                continue
            name = step.get("id") or step.get("name") or step.get("uses")
            self.ran.append(name)
            if "uses" in step:
                self.action(step)
                continue
            if step.get("name") == "Install pinmc":
                assert "pip install ." in step["run"]  # the test's pinmc is this checkout's (the shim)
                continue
            output = self.repo.parent / "github_output"
            output.write_text("")
            proc = subprocess.run(["bash", "-e", "-c", self.substitute(step["run"])], cwd=self.repo,
                                  env={**self.env, "GITHUB_OUTPUT": str(output)}, capture_output=True, text=True)
            outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
            outcome = "success" if proc.returncode == 0 else "failure"
            if "id" in step:
                self.steps[step["id"]] = {"outputs": outputs, "outcome": outcome, "stdout": proc.stdout,
                                          "stderr": proc.stderr, "status": proc.returncode}
            if outcome == "failure" and not step.get("continue-on-error"):
                self.failed = True

    def action(self, step: dict[str, Any]) -> None:
        uses, given = step["uses"], step.get("with", {})
        if uses.startswith("github/codeql-action/upload-sarif@"):
            path = self.repo / given["sarif_file"]
            sarif = json.loads(path.read_text(encoding="utf-8"))
            assert sarif["version"] == "2.1.0"
            self.uploads["sarif"] = path
        elif uses.startswith("actions/upload-artifact@"):
            path = self.repo / given["path"]
            assert path.is_dir() and (path / "report" / "report.html").is_file()
            self.uploads["artifact"] = path
        else:
            assert uses.split("@")[0] in ("actions/checkout", "actions/setup-python", "actions/cache"), uses


def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_workflow_shape() -> None:
    wf = workflow()
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert {"pull_request", "push"} <= set(on)
    assert wf["permissions"]["security-events"] == "write"
    steps = wf["jobs"]["gate"]["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/cache",
                    "github/codeql-action/upload-sarif", "actions/upload-artifact"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".pinmc-cache"


def test_pull_request_with_a_breaking_proposal_fails_and_publishes(project: Path, shim: dict[str, str]) -> None:
    shutil.copy(ROOT / "specs" / "foll_pin_put_page.pin", project / "specs" / "foll_pin_put_page.pin")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "a proposal")
    job = Job(project, shim, "pull_request")
    job.run(workflow()["jobs"]["gate"]["steps"])
    assert job.steps["changed"]["outputs"]["files"].split() == ["specs/foll_pin_put_page.pin"]
    assert job.steps["gate"]["status"] == 1, job.steps["gate"]["stderr"]
    assert "balanced" in job.steps["gate"]["stdout"] and "newly broken" in job.steps["gate"]["stdout"]
    summary = job.summary.read_text(encoding="utf-8")
    assert "pinmc gate: FAIL" in summary and "**newly broken**" in summary
    assert set(job.uploads) == {"sarif", "artifact"}
    assert job.failed  # the last step fails the job
    assert job.ran[-1] == "Fail if the gate failed"


def test_pull_request_with_a_good_proposal_passes(project: Path, shim: dict[str, str]) -> None:
    path = project / "specs" / "skip_pinned_pages.pin"
    path.write_text(path.read_text() + "// reviewed\n")
    git(project, "commit", "-q", "-am", "touch a proposal")
    job = Job(project, shim, "pull_request")
    job.run(workflow()["jobs"]["gate"]["steps"])
    assert job.steps["gate"]["status"] == 0, job.steps["gate"]["stderr"]
    assert "kswapd.reclaim" in job.steps["gate"]["stdout"]
    assert "pinmc gate: PASS" in job.summary.read_text(encoding="utf-8")
    assert not job.failed and set(job.uploads) == {"sarif", "artifact"}


def test_push_runs_the_regression_suite(project: Path, shim: dict[str, str]) -> None:
    job = Job(project, shim, "push")
    job.run(workflow()["jobs"]["gate"]["steps"])
    assert "changed" not in job.steps
    assert job.steps["gate"]["status"] == 0, job.steps["gate"]["stderr"]
    assert "gate spec dma_pinned_flag against its expect lines" in job.steps["gate"]["stdout"]
    assert not job.failed


# --- pre-commit -------------------------------------------------------------

def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["pinmc-gate"]
    return hooks[0]


def run_hook(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What pre-commit does: the entry, then the staged files that match."""
    h = hook()
    staged = git(repo, "diff", "--cached", "--name-only").split()
    files = [f for f in staged if re.search(h["files"], f)]
    assert h["pass_filenames"] is True and h["language"] == "python"
    return subprocess.run([*shlex.split(h["entry"]), *files], cwd=repo, env=env, capture_output=True, text=True)


def test_hook_matches_pin_files_only() -> None:
    pattern = hook()["files"]
    assert re.search(pattern, "specs/x.pin") and re.search(pattern, "a.pin")
    assert not re.search(pattern, "x.py") and not re.search(pattern, "x.pin.orig")


def test_hook_gates_the_staged_files(project: Path, shim: dict[str, str]) -> None:
    shutil.copy(ROOT / "specs" / "foll_pin_put_page.pin", project / "specs" / "foll_pin_put_page.pin")
    (project / "notes.txt").write_text("not a spec\n")
    git(project, "add", ".")
    proc = run_hook(project, shim)
    assert proc.returncode == 1, proc.stderr
    assert "gate proposal foll_pin_put_page on spec dma_pinned_flag" in proc.stdout
    assert "newly broken" in proc.stdout
    assert (project / ".pinmc-gate" / "results.sarif").is_file()
    git(project, "reset", "-q")
    (project / "specs" / "foll_pin_put_page.pin").unlink()
    path = project / "specs" / "lpc2018_writeback.pin"
    path.write_text(path.read_text() + "// touched\n")
    git(project, "add", "specs/lpc2018_writeback.pin")
    proc = run_hook(project, shim)
    assert proc.returncode == 0, proc.stderr
    assert "gate spec lpc2018_writeback against its expect lines" in proc.stdout
