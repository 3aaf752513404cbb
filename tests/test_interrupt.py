"""Ctrl-C during a long search: exit 3 with the statistics so far."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background shell may have ignored it


def test_ctrl_c_stops_with_statistics() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "pinmc", "check", "specs/pin_bias.pin",
                             "-D", "GETS=3000", "--expander", "scalar"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert "Traceback" not in err
    assert "INCOMPLETE (interrupted (Ctrl-C))" in out
    assert "search stopped: interrupted (Ctrl-C); properties still open: no_false_negative" in out
    states = int(out.split("explicit: ")[1].split(" states")[0].replace(",", ""))
    assert 0 < states < 81_036_009


def test_ctrl_c_stops_the_gate_and_keeps_what_was_decided(tmp_path: Path) -> None:
    """The gate stops at Ctrl-C (it does not fall back to the prover for the
    interrupted search), exits 3 and still writes its outputs."""
    proc = subprocess.Popen([sys.executable, "-m", "pinmc", "gate", "specs/lpc2018_writeback.pin",
                             "specs/pin_bias.pin", "-D", "GETS=3000", "--no-cache", "--out", str(tmp_path / "gate")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    time.sleep(5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert "Traceback" not in err
    assert "pinmc gate: interrupted" in err
    assert "gate spec lpc2018_writeback against its expect lines" in out
    assert "gate: PASS, INTERRUPTED: 1 pair" in out
    doc = (tmp_path / "gate" / "results.json").read_text(encoding="utf-8")
    assert '"interrupted": true' in doc and '"exit": 3' in doc
