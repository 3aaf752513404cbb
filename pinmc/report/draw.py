"""Turning DOT into pictures.

Two ways, tried in order: pygraphviz, whose wheels bundle Graphviz and lay
out in process (a plain `pip install pinmc` has it), then the `dot`
program on PATH through the `graphviz` package.  When neither is there,
`Renderer.available` is False and `why` says in one line what is missing;
callers still write the `.dot` files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

FORMATS = ("svg", "png")


class DrawError(Exception):
    """Graphviz rejected a graph (a bug in the DOT we generate)."""


@dataclass(frozen=True)
class Renderer:
    """A way to lay out DOT; `backend` is "pygraphviz", "dot" or "none"."""

    backend: str
    why: str = ""

    @property
    def available(self) -> bool:
        return self.backend != "none"

    def render(self, source: str, fmt: str) -> bytes:
        """`source` laid out by dot, in format `fmt` (svg, png or pdf)."""
        if self.backend == "pygraphviz":
            return _pygraphviz(source, fmt)
        if self.backend == "dot":
            import graphviz

            try:
                return graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
            except graphviz.CalledProcessError as e:
                raise DrawError(f"dot failed: {e.stderr.decode('utf-8', 'replace').strip()}") from None
        raise DrawError(self.why)


def find_renderer() -> Renderer:
    """The first way to draw that works here."""
    try:
        import pygraphviz  # noqa: F401
        return Renderer("pygraphviz")
    except ImportError:
        pass
    if shutil.which("dot"):
        return Renderer("dot")
    return Renderer("none", "pictures not drawn: neither pygraphviz nor Graphviz's `dot` program is "
                            "available (pip install pygraphviz); the .dot files are written")


def _pygraphviz(source: str, fmt: str) -> bytes:
    import pygraphviz

    # Graphviz and fontconfig write warnings (often about the host's font
    # configuration) straight to file descriptor 2: keep them off the
    # user's terminal, and report them only when drawing fails
    with tempfile.TemporaryFile() as err:
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        failure = None
        try:
            out = pygraphviz.AGraph(string=source).draw(format=fmt, prog="dot")
        except Exception as e:  # noqa: BLE001 - pygraphviz raises several kinds
            failure = str(e)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if failure is not None:
            err.seek(0)
            said = [ln for ln in err.read().decode("utf-8", "replace").splitlines()
                    if ln.strip() and not ln.startswith("Fontconfig")]
            raise DrawError("graphviz failed: " + "; ".join(said + [failure]))
    assert isinstance(out, bytes)
    return out
