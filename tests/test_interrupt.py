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
