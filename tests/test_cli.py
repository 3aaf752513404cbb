"""The command line: exit statuses, text and JSON output, determinism."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobs import explicit_ok

from pinmc.source import SourceFile
from pinmc.syntax.parser import parse_file, parse_text
from pinmc.syntax.printer import show_file

LPC = "specs/lpc2018_writeback.pin"
SKIP = "specs/skip_pinned_pages.pin"
CEX_MOVES = ["dio.fault", "kswapd.reclaim", "dio.complete", "flusher.writeback"]


@pytest.fixture(scope="module")
def root() -> Path:
    return Path(__file__).resolve().parent.parent


def pinmc(root: Path, *args: str, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, PYTHONPATH=str(root))
    full_env.pop("PINMC_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=cwd or root, env=full_env,
                          capture_output=True, text=True, timeout=600)  # the whole suite, on a loaded machine


def spec_files(root: Path) -> list[str]:
    """The specs (not proposals) under specs/, relative to the root."""
    out = []
    for p in sorted((root / "specs").glob("*.pin")):
        if parse_file(str(p)).kind == "spec" and explicit_ok(str(p)):
            out.append(str(p.relative_to(root)))
    return out


def counterexample(text: str, prop: str) -> list[tuple[int, str, str]]:
    """(number, move, rest) of each step of the counterexample for `prop`."""
    head = re.search(rf"^counterexample for {re.escape(prop)} \((\d+) steps?\):$", text, re.M)
    assert head, text
    steps = []
    for line in text[head.end():].split("\n")[1:]:
        m = re.match(r"^\s+(\d+)\. (\S+)\s*(.*)$", line)
        if not m:
            if line.startswith("  initial state:"):
                continue
            break
        steps.append((int(m.group(1)), m.group(2), m.group(3)))
    assert len(steps) == int(head.group(1))
    return steps


@pytest.fixture(scope="module")
def lpc_json(root: Path) -> dict[str, Any]:
    proc = pinmc(root, "check", "--format", "json", "--no-time", LPC)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


# ------------------------------------------------------------------ check
def test_check_lpc2018_finds_the_writeback_bug(root: Path) -> None:
    proc = pinmc(root, "check", LPC)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.startswith("spec lpc2018_writeback: ext4 BUG: writeback of a page whose buffers were "
                          "released under a GUP reference\n")
    assert re.search(r"^  flusher\.writeback\s+assert\s+VIOLATED\s+\(4 steps\)\s+\[as expected\]$", out, re.M)
    assert re.search(r"^  reference_keeps_page\s+invariant\s+holds\s+\[as expected\]$", out, re.M)
    assert re.search(r"^  deadlock\s+deadlock\s+free\s+\[as expected\]$", out, re.M)
    steps = counterexample(out, "flusher.writeback")
    assert [(n, move) for n, move, _ in steps] == list(enumerate(CEX_MOVES, start=1))
    assert steps[-1][2] == "fails its check"
    assert "violated: flusher.writeback: ext4_writepage: BUG_ON(!page_has_buffers(page))" in out
    assert "time:" in out  # timings are shown unless --no-time
    assert proc.stderr == ""


def test_check_lpc2018_counterexample_changes(root: Path) -> None:
    out = pinmc(root, "check", "--no-time", LPC).stdout
    steps = counterexample(out, "flusher.writeback")
    assert steps[0][2] == "X.refcount: 2 -> 3, X.dirty: false -> true, X.buffers: false -> true"
    assert steps[2][2] == "X.refcount: 2 -> 1, X.dirty: false -> true"
    assert "time:" not in out


def test_check_with_proposal_fixes_it(root: Path) -> None:
    proc = pinmc(root, "check", "--no-time", LPC, "--proposal", SKIP)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("spec lpc2018_writeback with proposal skip_pinned_pages: ")
    for prop in ("reference_keeps_page", "kswapd.reclaim", "flusher.writeback"):
        assert re.search(rf"^  {re.escape(prop)}\s+\w+\s+holds\s+\[as expected\]$", out, re.M), prop
    assert "counterexample" not in out
    assert "VIOLATED" not in out


def test_check_several_specs_exit_with_the_worst(root: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.pin"
    good.write_text("spec good\nvar x: 0..2 = 0\nthread t { a: { x += 1 } }\ninvariant small: x <= 1\n")
    proc = pinmc(root, "check", "--no-time", str(good), LPC)
    assert proc.returncode == 1
    assert proc.stdout.startswith("spec good\n")
    assert "\n\nspec lpc2018_writeback: " in proc.stdout
    assert pinmc(root, "check", "--no-time", str(good)).returncode == 0


@pytest.mark.parametrize("option, value", [("--max-states", "3"), ("--max-depth", "1")])
def test_limits_give_inconclusive(root: Path, option: str, value: str) -> None:
    proc = pinmc(root, "check", "--no-time", LPC, "--proposal", SKIP, option, value)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout
    assert f"INCOMPLETE ({option} {value})" in out
    assert re.search(rf"^search stopped: {option} {value}; properties still open: "
                     r"reference_keeps_page, kswapd\.reclaim, flusher\.writeback, deadlock$", out, re.M)
    assert re.search(rf"^  flusher\.writeback\s+assert\s+unknown\s+\(search stopped: {option} {value}\)", out, re.M)


@pytest.mark.parametrize("option, value", [("--max-states", "3"), ("--max-depth", "1")])
def test_limits_in_json(root: Path, option: str, value: str) -> None:
    proc = pinmc(root, "check", "--format", "json", "--no-time", LPC, "--proposal", SKIP, option, value)
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert doc["exit"] == 3
    (res,) = doc["results"]
    assert res["stats"]["complete"] is False
    assert res["stats"]["limit"] == f"{option} {value}"
    assert {p["verdict"] for p in res["properties"]} == {"unknown"}


def test_generous_limits_are_complete(root: Path) -> None:
    proc = pinmc(root, "check", "--no-time", LPC, "--proposal", SKIP, "--max-states", "1000", "--max-depth", "100")
    assert proc.returncode == 0
    assert ", complete\n" in proc.stdout


def test_limits_do_not_hide_a_violation_found_in_time(root: Path) -> None:
    assert pinmc(root, "check", "--no-time", LPC, "--max-depth", "4").returncode == 1


# ------------------------------------------------------------------ test
def test_test_specs_directory(root: Path) -> None:
    proc = pinmc(root, "test", "specs/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.rstrip("\n").split("\n")[-1]
    m = re.fullmatch(r"(\d+) checks, (\d+) expectations: (\d+) met, 0 not met, 0 unknown, 0 files with errors", last)
    assert m, last
    assert int(m.group(2)) == int(m.group(3)) > 0
    assert int(m.group(1)) >= len(spec_files(root))
    assert " FAIL" not in proc.stdout
    assert re.search(r"^specs/lpc2018_writeback\.pin\s+lpc2018_writeback\s+flusher\.writeback\s+violated\s+"
                     r"violated\s+explicit\s+ok$", proc.stdout, re.M)
    assert re.search(r"^specs/skip_pinned_pages\.pin\s+lpc2018_writeback \+ skip_pinned_pages\s+"
                     r"flusher\.writeback\s+holds\s+holds\s+explicit\s+ok$", proc.stdout, re.M)


def test_test_unmet_expectation_exits_1(root: Path, tmp_path: Path) -> None:
    (tmp_path / "tp.pin").write_text("spec tp\nvar x: 0..2 = 0\nthread t { a: { x += 2 } }\n"
                                     "invariant small: x <= 1\nexpect small holds\n")
    proc = pinmc(root, "test", str(tmp_path))
    assert proc.returncode == 1
    assert re.search(r"small\s+holds\s+violated\s+explicit\s+FAIL$", proc.stdout, re.M)
    assert proc.stdout.rstrip().endswith("1 checks, 1 expectations: 0 met, 1 not met, 0 unknown, 0 files with errors")


def test_test_spec_error_exits_2(root: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.pin").write_text("spec bad\nvar x: bool = zz\n")
    proc = pinmc(root, "test", str(tmp_path))
    assert proc.returncode == 2
    assert "error[PIN201]: unknown name 'zz'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_test_json(root: Path) -> None:
    proc = pinmc(root, "test", "--format", "json", LPC, SKIP)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "pinmc.test/1"
    rows = {(r["spec"], r["proposal"], r["property"]): r for r in doc["rows"]}
    assert rows[("lpc2018_writeback", None, "flusher.writeback")]["got"] == "violated"
    assert rows[("lpc2018_writeback", "skip_pinned_pages", "flusher.writeback")]["got"] == "holds"
    assert all(r["met"] for r in doc["rows"])


# ------------------------------------------------------------------ parse
def test_parse_prints_normalised_text(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "tp.pin"
    path.write_text('spec tp   "d"   // comment\nvar x: 0..2=0\nthread t { a: { x+=1; if x==1 {skip} } }\n'
                    "invariant small: (x <= 1)\nexpect small holds\n")
    proc = pinmc(root, "parse", str(path))
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == ('spec tp "d"\n\nvar x: 0..2 = 0\n\nthread t {\n    a: {\n        x += 1\n'
                           "        if x == 1 {\n            skip\n        }\n    }\n}\n\n"
                           "invariant small: x <= 1\n\nexpect small holds\n")


def test_parse_of_a_spec_round_trips(root: Path) -> None:
    proc = pinmc(root, "parse", LPC)
    assert proc.returncode == 0
    original = parse_file(str(root / LPC))
    assert proc.stdout == show_file(original)
    assert parse_text(SourceFile("printed.pin", proc.stdout)) == original
    assert "//" not in proc.stdout  # comments are dropped


def test_parse_of_a_proposal(root: Path) -> None:
    proc = pinmc(root, "parse", SKIP)
    assert proc.returncode == 0
    assert proc.stdout.startswith('proposal skip_pinned_pages "pin DIO pages with FOLL_PIN and keep the buffers '
                                  'of maybe-pinned pages"\nfor lpc2018_writeback\n')


def test_parse_syntax_error_exits_2(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.pin"
    path.write_text("spec bad\nthreda t { }\n")
    proc = pinmc(root, "parse", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"{path}:2:1: error[PIN101]: unexpected name 'threda'")
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ usage errors
@pytest.mark.parametrize("args, message", [
    (["frobnicate", LPC], "pinmc: argument command: invalid choice: 'frobnicate'"),
    ([], "pinmc: the following arguments are required: command"),
    (["check"], "pinmc check: the following arguments are required: SPEC"),
    (["check", "-D", "BIAS", LPC], "-D BIAS: expected NAME=VALUE, e.g. -D GETS=600"),
    (["check", "-D", "BIAS=abc", LPC], "-D BIAS=abc: 'abc' is not an integer"),
    (["check", "--max-states", "-1", LPC], "pinmc check: argument --max-states: '-1' is negative"),
    (["check", "--max-depth", "lots", LPC], "pinmc check: argument --max-depth: 'lots' is not a whole number"),
    (["check", "specs/no_such_spec.pin"],
     "pinmc: error[PIN104]: cannot read specs/no_such_spec.pin: No such file or directory"),
    (["check", LPC, "--proposal", "specs/no_such_proposal.pin"],
     "pinmc: error[PIN104]: cannot read specs/no_such_proposal.pin: No such file or directory"),
    (["check", SKIP], "error[PIN105]: specs/skip_pinned_pages.pin is a proposal; pass a spec"),
])
def test_usage_errors_exit_2(root: Path, args: list[str], message: str) -> None:
    proc = pinmc(root, *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    assert proc.stdout == ""


def test_define_overrides_a_constant(root: Path) -> None:
    proc = pinmc(root, "check", "--format", "json", "--no-time", LPC, "-D", "BIAS=0x10")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["results"][0]["constants"] == {"BIAS": 16}


def test_help_and_version(root: Path) -> None:
    proc = pinmc(root, "--help")
    assert proc.returncode == 0 and "check" in proc.stdout and "Traceback" not in proc.stderr
    proc = pinmc(root, "--version")
    assert proc.returncode == 0 and re.fullmatch(r"pinmc \S+\n", proc.stdout)


# ------------------------------------------------------------------ JSON
def _check_trace(trace: dict[str, Any], var_names: set[str]) -> None:
    assert set(trace) >= {"length", "initial", "steps", "violation"}
    assert isinstance(trace["length"], int) and trace["length"] == len(trace["steps"])
    assert set(trace["initial"]) == var_names
    for i, step in enumerate(trace["steps"], start=1):
        assert set(step) >= {"index", "move", "changes", "fails"}
        assert step["index"] == i
        assert isinstance(step["move"], str) and "." in step["move"]
        assert isinstance(step["fails"], bool)
        assert isinstance(step["changes"], dict)
        for name, change in step["changes"].items():
            assert name in var_names
            assert isinstance(change, list) and len(change) == 2
    assert [s["fails"] for s in trace["steps"]][:-1] == [False] * (len(trace["steps"]) - 1)


def _check_result_doc(doc: dict[str, Any], exit_code: int) -> None:
    assert doc["schema"] == "pinmc.result/1"
    assert isinstance(doc["pinmc"], str)
    assert doc["exit"] == exit_code
    assert isinstance(doc["results"], list) and doc["results"]
    for res in doc["results"]:
        assert isinstance(res["spec"], str)
        stats = res["stats"]
        for key in ("states", "transitions", "depth"):
            assert isinstance(stats[key], int) and stats[key] >= 0
        assert isinstance(stats["complete"], bool)
        var_names = {v["name"] for v in res["vars"]}
        assert isinstance(res["properties"], list) and res["properties"]
        for p in res["properties"]:
            assert set(p) >= {"name", "kind", "verdict", "engine", "expected", "as_expected", "trace"}
            assert p["kind"] in {"invariant", "lemma", "reachable", "assert", "range", "deadlock"}
            assert p["verdict"] in {"holds", "violated", "reachable", "unreachable", "free", "unknown"}
            assert isinstance(p["engine"], str)
            assert p["expected"] is None or isinstance(p["expected"], str)
            if p["expected"] is None:
                assert p["as_expected"] is None
            else:
                assert p["as_expected"] == (p["expected"] == p["verdict"])
            if p["trace"] is not None:
                _check_trace(p["trace"], var_names)


def test_json_structure(lpc_json: dict[str, Any]) -> None:
    _check_result_doc(lpc_json, 1)
    (res,) = lpc_json["results"]
    assert res["spec"] == "lpc2018_writeback"
    assert res["proposal"] is None
    assert res["stats"] == {"states": 9, "transitions": 13, "depth": 3, "complete": True, "limit": None}
    props = {p["name"]: p for p in res["properties"]}
    assert set(props) == {"reference_keeps_page", "kswapd.reclaim", "flusher.writeback", "deadlock"}
    assert (props["flusher.writeback"]["kind"], props["flusher.writeback"]["verdict"]) == ("assert", "violated")
    assert props["flusher.writeback"]["expected"] == "violated"
    assert props["flusher.writeback"]["as_expected"] is True
    assert props["reference_keeps_page"]["trace"] is None
    assert (props["deadlock"]["verdict"], props["deadlock"]["trace"]) == ("free", None)


def test_json_counterexample(lpc_json: dict[str, Any]) -> None:
    (res,) = lpc_json["results"]
    prop = next(p for p in res["properties"] if p["name"] == "flusher.writeback")
    trace = prop["trace"]
    assert trace["length"] == 4
    assert [s["move"] for s in trace["steps"]] == CEX_MOVES
    assert [s["fails"] for s in trace["steps"]] == [False, False, False, True]
    assert trace["initial"]["X.refcount"] == 2 and trace["initial"]["X.buffers"] is False
    assert trace["violation"]["property"] == "flusher.writeback"
    # each step's changes are exactly the differences between consecutive states
    before = trace["initial"]
    for step in trace["steps"][:-1]:
        after = step["state"]
        diff = {k: [str(before[k]).lower(), str(after[k]).lower()] for k in after
                if after[k] != before[k] and not k.endswith(".pc")}
        got = {k: [str(a).lower(), str(b).lower()] for k, (a, b) in step["changes"].items()}
        assert got == diff
        before = after
    assert trace["steps"][0]["changes"].keys() == {"X.refcount", "X.dirty", "X.buffers"}


def test_json_timing_fields(root: Path, lpc_json: dict[str, Any]) -> None:
    assert "seconds" not in lpc_json["results"][0]["stats"]
    proc = pinmc(root, "check", "--format", "json", LPC, "--proposal", SKIP)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    _check_result_doc(doc, 0)
    stats = doc["results"][0]["stats"]
    assert isinstance(stats["seconds"], (int, float)) and stats["seconds"] >= 0
    assert doc["results"][0]["proposal"] == "skip_pinned_pages"
    assert all(p["as_expected"] for p in doc["results"][0]["properties"])


def test_json_several_specs(root: Path) -> None:
    specs = spec_files(root)
    proc = pinmc(root, "check", "--format", "json", "--no-time", *specs)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    _check_result_doc(doc, 1)
    assert [r["file"] for r in doc["results"]] == specs
    # every expectation the specs state is met
    for res in doc["results"]:
        for p in res["properties"]:
            assert p["as_expected"] in (None, True), (res["spec"], p["name"])


# ------------------------------------------------------------------ determinism
def test_no_time_output_is_deterministic(root: Path) -> None:
    specs = spec_files(root)
    outputs: dict[str, set[str]] = {"text": set(), "json": set()}
    runs = [("0", "text"), ("1", "text"), ("2", "text"), ("2", "text"), ("0", "json"), ("1", "json")]
    for seed, fmt in runs:
        proc = pinmc(root, "check", "--no-time", "--format", fmt, *specs, env={"PYTHONHASHSEED": seed})
        assert proc.returncode == 1, proc.stderr
        outputs[fmt].add(proc.stdout)
    assert len(outputs["text"]) == 1
    assert len(outputs["json"]) == 1
    assert "time:" not in next(iter(outputs["text"]))


def test_no_time_with_proposal_is_deterministic(root: Path) -> None:
    outs = {pinmc(root, "check", "--no-time", LPC, "--proposal", SKIP, env={"PYTHONHASHSEED": s}).stdout
            for s in ("1", "2")}
    assert len(outs) == 1


# ------------------------------------------------------------------ robustness
def test_long_expression_is_not_an_internal_error(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.pin"
    path.write_text("spec long\nvar x: u32 = 0\nthread t { s: { x += 1 } }\n"
                    f"invariant i: {' + '.join(['x'] * 100)} >= 0\n")
    proc = pinmc(root, "check", "--no-time", str(path))
    assert "internal error" not in proc.stderr
    assert proc.returncode == 0
