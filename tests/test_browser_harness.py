"""The headless-Chromium harness of tests/browser.py reports what it should.

Skipped when no Chromium is installed (.ci/run installs Debian's
chromium-headless-shell when it can).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import console_errors, find_chromium, screenshot

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium found (set $PINMC_CHROMIUM or "
                                       "install chromium-headless-shell)")


def page(tmp_path: Path, body: str, name: str = "page.html") -> Path:
    """Write a minimal HTML5 document with ``body`` and return its path."""
    path = tmp_path / name
    path.write_text("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                    f"<title>t</title></head><body>{body}</body></html>\n",
                    encoding="utf-8")
    return path


def test_clean_page_has_no_errors(tmp_path: Path) -> None:
    # console.log and console.warn are not errors.
    path = page(tmp_path, "<p>fine</p><script>console.log('hi'); console.warn('meh')</script>")
    assert console_errors(str(path)) == []


def test_console_error_and_failed_assert_are_reported(tmp_path: Path) -> None:
    path = page(tmp_path, "<script>console.error('boom', {a: 1}); "
                          "console.assert(1 === 2, 'nope'); console.assert(true, 'fine')</script>")
    errors = console_errors(str(path))
    assert len(errors) == 2, errors
    assert "boom" in errors[0] and "{a: 1}" in errors[0]
    assert "Assertion failed: nope" in errors[1]


def test_uncaught_exceptions_are_reported(tmp_path: Path) -> None:
    path = page(tmp_path, "<script>throw new Error('kaput')</script>"
                          "<script>Promise.reject(new Error('rejected'))</script>")
    errors = console_errors(str(path))
    assert len(errors) == 2, errors
    assert "kaput" in errors[0]
    assert "Uncaught (in promise)" in errors[1] and "rejected" in errors[1]


def test_missing_resources_are_reported(tmp_path: Path) -> None:
    # Chromium logs a missing file:// resource as a network error
    # (Log.entryAdded): "Failed to load resource: net::ERR_FILE_NOT_FOUND".
    path = page(tmp_path, '<img src="missing.png"><script src="missing.js"></script>')
    errors = console_errors(str(path))
    assert len(errors) == 2, errors
    assert all("ERR_FILE_NOT_FOUND" in e for e in errors), errors
    assert any("missing.png" in e for e in errors), errors
    assert any("missing.js" in e for e in errors), errors


def test_present_resources_load_cleanly(tmp_path: Path) -> None:
    (tmp_path / "ok.js").write_text("window.loaded = true;\n", encoding="utf-8")
    path = page(tmp_path, '<script src="ok.js"></script>'
                          "<script>if (!window.loaded) console.error('ok.js did not run')</script>")
    assert console_errors(str(path)) == []


def test_errors_after_the_load_event_are_reported(tmp_path: Path) -> None:
    path = page(tmp_path, "<script>setTimeout(() => console.error('late'), 50)</script>")
    assert any("late" in e for e in console_errors(str(path)))


def test_timeout_raises(tmp_path: Path) -> None:
    # A page whose script never ends never fires its load event.
    path = page(tmp_path, "<script>for (;;) {}</script>")
    with pytest.raises(RuntimeError, match="timed out"):
        console_errors(str(path), timeout=1.0)


def test_missing_html_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        console_errors(str(tmp_path / "absent.html"))


def test_screenshot_writes_a_png(tmp_path: Path) -> None:
    path = page(tmp_path, "<h1 style='color: red'>report</h1>")
    png = tmp_path / "shot.png"
    screenshot(str(path), str(png), width=320, height=200)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # The IHDR chunk holds the image's width and height.
    assert int.from_bytes(data[16:20], "big") == 320
    assert int.from_bytes(data[20:24], "big") == 200
