"""docs/suite.md is the table of the spec suite, current with specs/."""

from __future__ import annotations

import contextlib
import os
from io import StringIO
from pathlib import Path

import pytest

from pinmc.cli import main
from pinmc.report.suite_table import COLUMNS, scenario, without_seconds

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "suite.md"
SCENARIOS = ["S01", "S02", "S03", "S07", "S08", "S09", "S10", "S13", "S15", "S17", "S25", "S28", "S31"]


@pytest.fixture(scope="module")
def fresh() -> str:
    cwd = Path.cwd()
    os.chdir(ROOT)  # the page names specs as `specs/NAME.pin`
    try:
        out = StringIO()
        with contextlib.redirect_stdout(out):
            status = main(["test", "specs", "--format", "markdown"])
        # an unknown row (exit 3) is shown, so that a prover timeout on a
        # loaded machine can be told from a regression
        assert status == 0, out.getvalue()
    finally:
        os.chdir(cwd)
    return out.getvalue()


def test_suite_page_is_current(fresh: str) -> None:
    assert without_seconds(fresh) == without_seconds(PAGE.read_text()), \
        "docs/suite.md is stale: regenerate it with `pinmc test specs/ --format markdown > docs/suite.md`"


def test_every_scenario_has_old_and_fixed_rows(fresh: str) -> None:
    rows = [line.split(" | ") for line in fresh.splitlines() if line.startswith("| S")]
    assert all(len(r) == len(COLUMNS) for r in rows)
    for s in SCENARIOS:
        mine = [r for r in rows if r[0] == f"| {s}"]
        assert any(r[3] == "old (the spec)" for r in mine), s
        assert any(r[3].startswith("fixed: ") for r in mine), s


def test_scenario_names() -> None:
    assert scenario("specs/s09_lpc2018_lib.pin") == "S09"
    assert scenario("specs/lpc2018_writeback.pin") == ""
