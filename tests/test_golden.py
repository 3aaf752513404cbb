"""Golden text outputs of `pinmc check --no-time` for every spec and every
spec + proposal pair in specs/.  Regenerate with `pytest --update-golden`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pinmc.suite import discover, plan

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def _jobs() -> list[tuple[str, str | None]]:
    errors: list[object] = []
    jobs = plan(discover([str(ROOT / "specs")]), errors)  # type: ignore[arg-type]
    assert not errors
    return [(str(Path(j.spec_path).relative_to(ROOT)),
             str(Path(j.proposal_path).relative_to(ROOT)) if j.proposal_path else None) for j in jobs]


def _name(spec: str, proposal: str | None) -> str:
    name = Path(spec).stem + (f"+{Path(proposal).stem}" if proposal else "")
    return f"{name}.txt"


@pytest.mark.parametrize("spec,proposal", _jobs(), ids=lambda x: Path(x).stem if x else "-")
def test_golden(spec: str, proposal: str | None, update_golden: bool) -> None:
    cmd = [sys.executable, "-m", "pinmc", "check", spec, "--no-time"]
    if proposal:
        cmd += ["--proposal", proposal]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode in (0, 1, 2), run.stderr
    assert "Traceback" not in run.stderr
    out = f"$ pinmc check {spec}{' --proposal ' + proposal if proposal else ''} --no-time\n" \
          f"{run.stdout}{run.stderr}[exit {run.returncode}]\n"
    path = GOLDEN / _name(spec, proposal)
    if update_golden or not path.exists():
        path.write_text(out)
    assert out == path.read_text(), f"{path} is out of date; rerun with --update-golden"
