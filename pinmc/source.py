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
        """Read `path` as UTF-8, without a leading byte-order mark (as
        editors write on some systems); raises OSError or UnicodeDecodeError."""
        raw = Path(path).read_bytes()
        return SourceFile(str(path), raw.decode("utf-8").removeprefix("\ufeff"))

    def line_text(self, line: int) -> str:
        """The text of 1-based `line`, without its newline ('' past the end).

        Lines end at '\\n' only (a '\\r' before it is dropped), as the parser
        counts them: form feeds, lone carriage returns and Unicode line
        separators inside a line do not start a new one."""
        if line < 1:
            return ""
        start = 0
        for _ in range(line - 1):
            start = self.text.find("\n", start) + 1
            if start == 0:
                return ""
        end = self.text.find("\n", start)
        text = self.text[start:] if end < 0 else self.text[start:end]
        return text[:-1] if text.endswith("\r") else text

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
        """The source line and a caret line under the span (one line only).

        Tabs are expanded to four columns; other control characters and
        Unicode line breaks in the line are shown as U+FFFD, so the caret
        lines up and the terminal shows one line."""
        raw = self.source_line
        text = shown_line(raw)
        col = len(raw[: self.column - 1].expandtabs(4))
        if self.end_line == self.line and self.end_column > self.column:
            width = len(raw[: self.end_column - 1].expandtabs(4)) - col
        else:
            width = 1
        width = max(1, min(width, max(1, len(text) - col)))
        if len(text) > MAX_SHOWN:  # a long line: the part around the span, '...' for the rest
            start = max(0, min(col - MAX_SHOWN // 2, len(text) - MAX_SHOWN))
            head = "..." if start else ""
            tail = "..." if start + MAX_SHOWN < len(text) else ""
            width = max(1, min(width, start + MAX_SHOWN - col))
            text = head + text[start:start + MAX_SHOWN] + tail
            col = col - start + len(head)
        return f"{text}\n{' ' * col}{'^' * width}"


# the widest source line a diagnostic shows in full (columns)
MAX_SHOWN = 160
_INVISIBLE = {c: "\ufffd" for c in [*range(0x20), 0x7f, 0x85, 0x2028, 0x2029] if c != 0x09}


def shown_line(raw: str) -> str:
    """A source line as a diagnostic prints it: tabs expanded to four
    columns, control characters and line separators as U+FFFD."""
    return raw.expandtabs(4).translate(_INVISIBLE)


def span_at(file: SourceFile, line: int, column: int, end_line: int | None = None,
            end_column: int | None = None) -> Span:
    """A span starting at (line, column); a one-character span by default."""
    return Span(file, line, column, end_line or line, end_column or column + 1)
