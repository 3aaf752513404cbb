"""Source files and spans: where every piece of a spec came from.

A `Span` is a half-open byte range of a `SourceFile` with 1-based line and
column of its start.  Spans never take part in equality of the nodes that
carry them (see `ast` and `ir`), so two specs that differ only in layout
compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one spec file and the name it is reported under."""

    name: str
    text: str

    @staticmethod
    def read(path: str | Path) -> "SourceFile":
        """Read `path` as UTF-8; raises OSError or UnicodeDecodeError."""
        raw = Path(path).read_bytes()
        return SourceFile(str(path), raw.decode("utf-8"))

    def line_text(self, line: int) -> str:
        """The text of 1-based `line`, without its newline ('' past the end)."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        return line, offset - start + 1


@dataclass(frozen=True, slots=True)
class Span:
    """A located piece of source: file, start line/column, and length."""

    file: SourceFile = field(repr=False)
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}:{self.column}"

    @property
    def source_line(self) -> str:
        return self.file.line_text(self.line)

    def caret(self) -> str:
        """The source line and a caret line under the span (one line only)."""
        text = self.source_line.rstrip("\n").expandtabs(4)
        raw = self.source_line
        col = len(raw[: self.column - 1].expandtabs(4))
        if self.end_line == self.line and self.end_column > self.column:
            width = len(raw[: self.end_column - 1].expandtabs(4)) - col
        else:
            width = 1
        width = max(1, min(width, max(1, len(text) - col)))
        return f"{text}\n{' ' * col}{'^' * width}"


def span_at(file: SourceFile, line: int, column: int, end_line: int | None = None,
            end_column: int | None = None) -> Span:
    """A span starting at (line, column); a one-character span by default."""
    return Span(file, line, column, end_line or line, end_column or column + 1)
