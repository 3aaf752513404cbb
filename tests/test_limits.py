"""Limits that hold: --timeout, --memory and --max-states on every engine
(the explicit search, the prover, and the commands that run them: test,
report, gate), each hit for real; exit 3, a line naming the limit, the
statistics so far and the properties still open, in text and JSON.  And
z3's timeouts and `unknown` answers never come out as a proof."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import z3

from pinmc.engines.base import UNKNOWN, Options
from pinmc.engines.explicit import bfs
from pinmc.engines.resources import Watch, memory_text, parse_size, show_size
from pinmc.engines.symbolic.prove import ProveOptions, prove
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent
# 81 million states: no test finishes it; with BIAS at a million the false
# positive is out of reach of any bounded search (it would be 1023 steps deep
# with the kernel's BIAS, where a fast search gets within 100 MiB)
BIG = ["specs/pin_bias.pin", "-D", "GETS=3000", "-D", "BIAS=1000000"]
KERNEL = ["specs/pin_bias.pin", "-D", "PINS=2097152", "-D", "GETS=1000000000"]  # false_positive: 1023 steps deep
OPEN = "no_false_negative, false_positive, deadlock"  # BIG's properties but `pinned` (found at depth 1)
PROOFS = {"holds", "unreachable", "free"}


def pinmc(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pinmc", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def so_far(out: str) -> tuple[int, int, int, float, int]:
    """(states, transitions, depth, seconds, states/s) of the explicit `so far:` line."""
    m = re.search(r"^  so far: ([\d,]+) states, ([\d,]+) transitions, depth (\d+), ([\d.]+) s, ([\d,]+) states/s$",
                  out, re.M)
    assert m is not None, out
    n = [int(g.replace(",", "")) for g in (m.group(1), m.group(2), m.group(3), m.group(5))]
    return n[0], n[1], n[2], float(m.group(4)), n[3]


# ------------------------------------------------------------ sizes and the watch

@pytest.mark.parametrize("text, n", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5G", 3 << 29), ("64k", 64 << 10),
                                     ("100000", 100000), ("2GiB", 2 << 30), ("300MB", 300 << 20)])
def test_sizes(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "G", "-5M", "12Q", "0", "1.2.3G"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_sizes_are_shown_as_written() -> None:
    assert [show_size(n) for n in (512 << 20, 2 << 30, 3 << 29, 1536 << 10, 1000)] == \
        ["512M", "2G", "1536M", "1536K", "1000"]
    assert memory_text(512 << 20, 530 << 20) == "--memory 512M reached (resident 530 MiB)"


def test_watch() -> None:
    assert Watch().exceeded() is None
    assert Watch(timeout=0.001, start=0.0).exceeded() == "--timeout 0.001 reached"
    hit = Watch(memory=1).exceeded()
    assert hit is not None and re.fullmatch(r"--memory 1 reached \(resident [\d,]+ MiB\)", hit)


# ------------------------------------------------------------ explicit engine

def test_check_timeout() -> None:
    r = pinmc("check", *BIG, "--timeout", "1")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "INCOMPLETE (--timeout 1 reached)" in r.stdout
    assert f"\nsearch stopped: --timeout 1 reached; properties still open: {OPEN}\n" in r.stdout
    states, transitions, depth, seconds, rate = so_far(r.stdout)
    assert 0 < states < transitions and depth > 0 and 1.0 <= seconds < 5 and rate > 0
    assert re.search(r"^  no_false_negative\s+invariant\s+unknown\s+\(search stopped: --timeout 1 reached\)",
                     r.stdout, re.M)
    assert "Traceback" not in r.stderr


def test_check_timeout_json() -> None:
    r = pinmc("check", *BIG, "--timeout", "1", "--format", "json")
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    res = doc["results"][0]
    s = res["stats"]
    assert s["limit"] == "--timeout 1 reached" and s["complete"] is False and doc["exit"] == 3
    assert s["states"] > 0 and s["transitions"] > s["states"] and s["depth"] > 0 and s["seconds"] >= 1.0
    still = [p["name"] for p in res["properties"] if p["verdict"] == UNKNOWN]
    assert ", ".join(still) == OPEN
    assert {p["note"] for p in res["properties"] if p["verdict"] == UNKNOWN} == {"search stopped: --timeout 1 reached"}


def test_check_memory() -> None:
    r = pinmc("check", *BIG, "--memory", "100M")
    assert r.returncode == 3, r.stdout + r.stderr
    m = re.search(r"^search stopped: --memory 100M reached \(resident ([\d,]+) MiB\); "
                  rf"properties still open: {OPEN}$", r.stdout, re.M)
    assert m is not None, r.stdout
    assert int(m.group(1).replace(",", "")) >= 100
    states, _, depth, _, _ = so_far(r.stdout)
    assert 100_000 < states < 81_036_009 and depth > 0


def test_check_memory_json() -> None:
    r = pinmc("check", *BIG, "--memory", "100M", "--format", "json")
    assert r.returncode == 3, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert re.fullmatch(r"--memory 100M reached \(resident [\d,]+ MiB\)", res["stats"]["limit"])
    assert res["stats"]["states"] > 100_000
    assert [p["name"] for p in res["properties"] if p["verdict"] == UNKNOWN] == OPEN.split(", ")


def test_check_max_states_prints_the_statistics() -> None:
    r = pinmc("check", *BIG, "--max-states", "5000", "--no-time")
    assert r.returncode == 3
    assert f"search stopped: --max-states 5000; properties still open: {OPEN}\n" in r.stdout
    m = re.search(r"^  so far: ([\d,]+) states, ([\d,]+) transitions, depth (\d+)$", r.stdout, re.M)
    assert m is not None and 5000 <= int(m.group(1).replace(",", "")) < 6000, r.stdout


def test_limits_are_checked_inside_a_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """A level larger than CHUNK frontier states is cut into batches and the
    limits are checked between them: the search stops inside a level."""
    system = compile_spec("specs/symmetric_pool.pin")
    full = bfs.Search(system, Options(symmetry=False))
    levels = []
    real_level = full._level

    def counting(frontier, ids):  # noqa: ANN001, ANN202 - wraps Search._level
        out = real_level(frontier, ids)
        levels.append(full.store.n)
        return out

    full._level = counting  # type: ignore[method-assign]
    full.run()
    assert full.complete and full.store.n == 8230
    monkeypatch.setattr(bfs, "CHUNK", 64)
    r = bfs.check(system, Options(symmetry=False, max_states=2000))
    assert r.stats.limit == "--max-states 2000" and not r.stats.complete
    assert r.stats.states not in levels  # not at the end of a level
    before = max(n for n in levels if n < r.stats.states)
    assert 2000 <= r.stats.states < 2000 + 64 * 20 and before < 2000


@pytest.mark.parametrize("more", [{}, {"workers": 2, "split": "stages", "parallel_from": 0},
                                  {"workers": 2, "split": "hash", "parallel_from": 0},
                                  {"spill": "SPILL", "spill_states": 20_000}], ids=["one", "stages", "hash", "spill"])
def test_a_search_stops_short_of_the_ids_a_store_can_number(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                             more: dict) -> None:
    """A visited set in memory numbers states with 32-bit ids: a search
    stops in time (a limit, exit 3), with every search strategy, leaving
    room for the new states of what is under way (chunks of CHUNK frontier
    states, 8 moves each; the pipeline's batches out); a spilling one
    numbers them with 64 bits and goes on."""
    monkeypatch.setattr(bfs, "MAX_IDS", 100_000)
    monkeypatch.setattr(bfs, "CHUNK", 64)
    cap = 100_000 - 64 * 64 * 8  # id_cap for pin_bias's 8 moves
    assert bfs.id_cap(8) == cap == 67_232
    if "spill" in more:
        more = {**more, "spill": str(tmp_path)}
    system = compile_spec("specs/pin_bias.pin", None, {"GETS": 200})
    r = bfs.check(system, Options(por=False, symmetry=False, **more))  # type: ignore[arg-type]
    if "spill" in more:
        assert r.stats.complete and r.stats.states == 363_609
        return
    assert not r.stats.complete and r.stats.limit == bfs.cap_text(cap)
    assert r.stats.limit == "67,232 states, near the 100,000 a visited set in memory can number (--spill DIR holds more)"
    assert cap // 2 <= r.stats.states < 100_000


def test_batches_give_the_same_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting levels into batches changes nothing: counts, verdicts and
    traces, with reductions on and off (the cycle proviso of partial-order
    reduction looks at earlier levels only)."""
    for spec, opts in [("specs/independent_pinners.pin", Options()), ("specs/symmetric_pool.pin", Options()),
                       ("specs/symmetric_pool.pin", Options(symmetry=False)), ("specs/nic_hugepage_ref.pin", Options())]:
        system = compile_spec(spec)
        for expander in ("scalar", "auto"):
            monkeypatch.setattr(bfs, "CHUNK", 1 << 15)
            a = bfs.check(system, opts, expander=expander)
            monkeypatch.setattr(bfs, "CHUNK", 3)
            b = bfs.check(system, opts, expander=expander)
            assert (a.stats.states, a.stats.transitions, a.stats.depth) == \
                (b.stats.states, b.stats.transitions, b.stats.depth), spec
            assert [(v.prop, v.status, v.trace) for v in a.verdicts] == \
                [(v.prop, v.status, v.trace) for v in b.verdicts], spec


def test_ctrl_c_prints_the_statistics_so_far() -> None:
    import signal
    import time

    def default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    proc = subprocess.Popen([sys.executable, "-m", "pinmc", "check", *BIG], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert f"search stopped: interrupted (Ctrl-C); properties still open: {OPEN}\n" in out
    assert so_far(out)[0] > 0


# ------------------------------------------------------------ the prover

def test_prove_timeout() -> None:
    r = pinmc("prove", *KERNEL, "--timeout", "3")
    assert r.returncode == 3, r.stdout + r.stderr
    m = re.search(r"^prove stopped: --timeout 3 reached; properties still open: (.*)\n"
                  r"  so far: (\d) of 4 properties decided, ([\d.]+) s$", r.stdout, re.M)
    assert m is not None, r.stdout
    still = m.group(1).split(", ")
    assert "false_positive" in still and int(m.group(2)) == 4 - len(still)
    assert 3.0 <= float(m.group(3)) < 10
    for prop in still:  # open means unknown in the table, never a proof
        assert re.search(rf"^  {prop}\s+\w+\s+unknown\s+by prove\s+\(stopped: --timeout 3 reached", r.stdout, re.M)


def test_prove_timeout_json() -> None:
    r = pinmc("prove", *KERNEL, "--timeout", "3", "--format", "json")
    assert r.returncode == 3, r.stderr
    res = json.loads(r.stdout)["results"][0]
    assert res["stats"]["limit"] == "--timeout 3 reached" and res["stats"]["complete"] is False
    fp = next(p for p in res["properties"] if p["name"] == "false_positive")
    assert fp["verdict"] == UNKNOWN and fp["note"].startswith("stopped: --timeout 3 reached")


@pytest.mark.parametrize("engine", ["auto", "bmc", "pdr"])
def test_prove_memory(engine: str) -> None:
    """The prover's processes together over --memory: all stopped, exit 3."""
    r = pinmc("prove", *KERNEL, "--engine", engine, "--memory", "40M", "--no-time")
    assert r.returncode == 3, r.stdout + r.stderr
    m = re.search(r"^prove stopped: --memory 40M reached \(resident ([\d,]+) MiB\); properties still open: (.*)\n"
                  r"  so far: (\d) of 4 properties decided$", r.stdout, re.M)
    assert m is not None, r.stdout
    assert int(m.group(1).replace(",", "")) >= 40 and "no_false_negative" in m.group(2)


def test_prove_memory_json() -> None:
    r = pinmc("prove", *KERNEL, "--memory", "40M", "--format", "json")
    assert r.returncode == 3
    res = json.loads(r.stdout)["results"][0]
    assert re.fullmatch(r"--memory 40M reached \(resident [\d,]+ MiB\)", res["stats"]["limit"])
    assert all(p["verdict"] not in PROOFS for p in res["properties"])


def test_prove_refuses_max_states() -> None:
    r = pinmc("prove", *KERNEL, "--max-states", "1000")
    assert r.returncode == 2
    assert r.stderr.startswith("pinmc prove: --max-states does not apply: the prover enumerates no states "
                               "(bound it with --timeout, --memory or --depth)")


@pytest.mark.parametrize("engine", ["bmc", "kind", "infer", "pdr", "auto"])
def test_z3_unknown_is_never_a_proof(monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """Every z3 call answers `unknown` (as on a timeout or out of memory):
    no engine may turn that into holds, unreachable or free.  (The
    portfolio's processes are forked, so they see the patch too.)"""
    monkeypatch.setattr(z3.Solver, "check", lambda self, *a: z3.unknown)
    monkeypatch.setattr(z3.Fixedpoint, "query", lambda self, *a: z3.unknown)
    for spec in ("specs/pin_bias.pin", "specs/lpc2018_writeback.pin", "specs/independent_pinners.pin"):
        _, result = prove(spec, opts=ProveOptions(engine=engine, depth=4, timeout=20))
        assert all(v.status == UNKNOWN for v in result.verdicts), [(v.prop, v.status, v.engine) for v in result.verdicts]


@pytest.mark.parametrize("engine", ["bmc", "kind", "infer"])
def test_an_expired_deadline_is_never_a_proof(engine: str) -> None:
    _, result = prove("specs/pin_bias.pin", opts=ProveOptions(engine=engine, depth=30, timeout=1e-6))
    assert all(v.status not in PROOFS for v in result.verdicts)
    assert result.stats.limit == "--timeout 1e-06 reached"


# ------------------------------------------------------------ test, report, gate

def test_suite_limits_reach_the_prover() -> None:
    """`pinmc test --timeout`: the search stops, the prover gets the same
    bound; what neither decided is listed with both limits."""
    r = pinmc("test", *BIG, "--timeout", "1")
    assert r.returncode == 3, r.stdout + r.stderr
    m = re.search(r"^pin_bias: search stopped: --timeout 1 reached, then the prover's --timeout 1 reached; "
                  r"properties still open: (.*)\n  so far: ([\d,]+) states", r.stdout, re.M)
    assert m is not None, r.stdout
    assert "false_positive" in m.group(1)
    assert re.search(r"^specs/pin_bias\.pin\s+pin_bias\s+false_positive\s+unreachable\s+unknown\s+prove\s+UNKNOWN$",
                     r.stdout, re.M)


def test_suite_limits_in_json() -> None:
    r = pinmc("test", *BIG, "--memory", "100M", "--format", "json")
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    (stopped,) = doc["stopped"]
    assert stopped["spec"] == "pin_bias" and stopped["engine"] == "explicit" and stopped["states"] > 100_000
    assert re.match(r"--memory 100M reached \(resident [\d,]+ MiB\)", stopped["limit"])
    assert set(stopped["open"]) <= {"no_false_negative", "false_positive", "deadlock"}


def test_gate_timeout(tmp_path: Path) -> None:
    r = pinmc("gate", *BIG, "--engine", "explicit", "--timeout", "1", "--no-cache", "--out", str(tmp_path / "g"))
    assert r.returncode == 3, r.stdout + r.stderr
    doc = json.loads((tmp_path / "g" / "results.json").read_text(encoding="utf-8"))
    (res,) = doc["results"]
    assert res["stats"]["limit"] == "--timeout 1 reached" and doc["exit"] == 3
    assert {p["note"] for p in res["properties"] if p["verdict"] == UNKNOWN} == {"search stopped: --timeout 1 reached"}


def test_gate_memory_is_not_cached(tmp_path: Path) -> None:
    """A result cut by --memory depends on the machine: it is not cached."""
    args = ("gate", *BIG, "--engine", "explicit", "--memory", "100M", "--cache-dir", str(tmp_path / "cache"),
            "--out", str(tmp_path / "g"))
    r = pinmc(*args)
    assert r.returncode == 3, r.stdout + r.stderr
    res = json.loads((tmp_path / "g" / "results.json").read_text(encoding="utf-8"))["results"][0]
    assert re.fullmatch(r"--memory 100M reached \(resident [\d,]+ MiB\)", res["stats"]["limit"])
    assert not list((tmp_path / "cache").glob("**/*.json"))


def test_report_timeout(tmp_path: Path) -> None:
    r = pinmc("report", *BIG, "--timeout", "1", "-o", str(tmp_path / "r"))
    assert r.returncode in (0, 1), r.stdout + r.stderr  # the gallery's status: expectations met or not
    doc = json.loads(next((tmp_path / "r").glob("*/result.json")).read_text(encoding="utf-8"))
    limit = doc["results"][0]["stats"]["limit"]
    assert limit.startswith("--timeout 1 reached"), limit


@pytest.mark.parametrize("args, message", [
    (["check", "--timeout", "0", "specs/lpc2018_writeback.pin"],
     "pinmc check: argument --timeout: '0' is not a positive number of seconds"),
    (["check", "--memory", "lots", "specs/lpc2018_writeback.pin"],
     "pinmc check: argument --memory: 'lots' is not a size (examples: 512M, 2G, 1.5G, 65536)"),
    (["prove", "--timeout", "-1", "specs/lpc2018_writeback.pin"],
     "pinmc prove: argument --timeout: '-1' is not a positive number of seconds"),
    (["gate", "--memory", "1X", "specs/lpc2018_writeback.pin"],
     "pinmc gate: argument --memory: '1X' is not a size (examples: 512M, 2G, 1.5G, 65536)"),
])
def test_bad_limits_are_usage_errors(args: list[str], message: str) -> None:
    r = pinmc(*args)
    assert r.returncode == 2 and r.stderr.startswith(message + "\n"), r.stderr


def test_gate_config_memory(tmp_path: Path) -> None:
    from pinmc.diagnostics import SpecError
    from pinmc.gate.config import read_config

    good = tmp_path / "pyproject.toml"
    good.write_text('[tool.pinmc]\nmemory = "2G"\ntimeout = 5\n')
    cfg = read_config(good)
    assert cfg.memory == 2 << 30 and cfg.timeout == 5.0
    good.write_text("[tool.pinmc]\nmemory = 1048576\n")
    assert read_config(good).memory == 1 << 20
    good.write_text('[tool.pinmc]\nmemory = "2X"\n')
    with pytest.raises(SpecError) as e:
        read_config(good)
    (d,) = e.value.diagnostics
    assert d.code == "PIN502" and d.message == \
        "[tool.pinmc] memory: '2X' is not a size (examples: 512M, 2G, 1.5G, 65536)"
    assert d.span is not None and d.span.line == 2
