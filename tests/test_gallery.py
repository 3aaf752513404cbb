"""reports/ is the gallery of specs/: current, and readable in a browser."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from browser import console_errors, find_chromium
from pinmc.cli import main
from pinmc.report.draw import find_renderer

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
REGENERATE = "reports/ is out of date: regenerate it with `pinmc report specs/ -o reports/`"


def _files(top: Path) -> list[str]:
    return sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_file())


def _without_svg(page: str) -> str:
    """An HTML page less its inlined pictures, whose text layout depends on
    the fonts of the machine that drew them."""
    return re.sub(r"<svg\b.*?</svg>", "<svg/>", page, flags=re.S)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gallery")
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)  # the results name their specs as `specs/NAME.pin`
        assert main(["report", "specs", "-o", str(out)]) == 0
    finally:
        os.chdir(cwd)
    return out


@pytest.mark.skipif(not find_renderer().available, reason="no Graphviz renderer")
def test_gallery_is_current(fresh: Path) -> None:
    assert _files(fresh) == _files(REPORTS), REGENERATE
    for name in _files(fresh):
        new, old = fresh / name, REPORTS / name
        if name.endswith((".json", ".dot")):
            assert new.read_bytes() == old.read_bytes(), f"{name}: {REGENERATE}"
        elif name.endswith(".html"):
            assert _without_svg(new.read_text()) == _without_svg(old.read_text()), f"{name}: {REGENERATE}"
        elif name.endswith(".svg"):
            assert ET.parse(old).getroot().tag == "{http://www.w3.org/2000/svg}svg"
        else:
            raise AssertionError(f"unexpected file in reports/: {name}")


def test_gallery_lists_every_spec_and_picture() -> None:
    index = (REPORTS / "index.html").read_text()
    specs = sorted(p.stem for p in (ROOT / "specs").glob("*.pin"))
    for stem in specs:
        assert f'href="{stem}/report.html"' in index or f"+{stem}/report.html" in index, stem
    for pic in re.findall(r'href="([^"]+\.svg)"', index):
        assert (REPORTS / pic).is_file(), pic
    assert index.count("/report.html") == len(list(REPORTS.glob("*/report.html")))


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium")
@pytest.mark.parametrize("page", ["index.html"] + [str(p.relative_to(REPORTS))
                                                   for p in sorted(REPORTS.glob("*/report.html"))])
def test_report_pages_render_without_console_errors(page: str) -> None:
    assert console_errors(REPORTS / page) == []
