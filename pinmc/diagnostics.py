"""Diagnostics: user errors as data, with stable codes.

Every error a user can cause is a `Diagnostic` with a code from `CODES`
(PIN1xx syntax, PIN2xx names, PIN3xx types and ranges, PIN4xx
well-formedness, PIN5xx command line).  Stages collect diagnostics and raise
`SpecError` with all of them at the end of the stage; only the CLI renders
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinmc.source import Span

CODES: dict[str, str] = {
    "PIN101": "syntax error: unexpected token",
    "PIN102": "syntax error: unexpected character",
    "PIN103": "syntax error: unexpected end of file",
    "PIN104": "the file cannot be read (missing, or not UTF-8)",
    "PIN105": "misplaced declaration",
    "PIN106": "nested too deeply",
    "PIN107": "integer literal too large",
    "PIN201": "unknown name",
    "PIN202": "duplicate declaration",
    "PIN203": "unknown field",
    "PIN204": "unknown step label",
    "PIN205": "unknown actor",
    "PIN206": "unknown function, procedure or rule",
    "PIN207": "a used file cannot be found",
    "PIN208": "unknown property in an expectation",
    "PIN209": "unknown constant in -D",
    "PIN210": "unknown spec in a proposal",
    "PIN211": "unknown struct or template",
    "PIN301": "type mismatch",
    "PIN302": "mixed machine-integer types",
    "PIN303": "value out of range for its type",
    "PIN304": "not a constant expression",
    "PIN305": "wrong number of arguments",
    "PIN306": "not assignable",
    "PIN307": "operator not defined for this type",
    "PIN308": "index out of bounds",
    "PIN309": "empty range",
    "PIN401": "recursive call",
    "PIN402": "a proposal's rule does not match the rule it replaces",
    "PIN403": "a proposal replaces a rule that does not exist",
    "PIN404": "statement not allowed here",
    "PIN405": "invalid expectation",
    "PIN406": "no program counter (daemon)",
    "PIN407": "too many values to enumerate",
    "PIN408": "cyclic use",
    "PIN409": "a proposal may not add state",
    "PIN410": "a template instantiated as the wrong kind of actor",
    "PIN411": "a step or property too large to check",
    "PIN420": "a spec the export target cannot express exactly",
    "PIN501": "invalid command-line value",
    "PIN502": "invalid [tool.pinmc] configuration",
    "PIN503": "a baseline that is not a pinmc result",
}


@dataclass(frozen=True, slots=True)
class Note:
    """A secondary location ("the rule is declared here")."""

    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error: a code from CODES, a message, where, and related notes."""

    code: str
    message: str
    span: Span | None = None
    notes: tuple[Note, ...] = field(default=())

    def render(self) -> str:
        """`file:line:col: error[PINnnn]: message`, the line, a caret, notes."""
        where = f"{self.span}: " if self.span else "pinmc: "
        out = [f"{where}error[{self.code}]: {self.message}"]
        if self.span is not None:
            out.append(self.span.caret())
        for note in self.notes:
            if note.span is not None:
                out.append(f"{note.span}: note: {note.message}")
                out.append(note.span.caret())
            else:
                out.append(f"note: {note.message}")
        return "\n".join(out)


class SpecError(Exception):
    """Raised by a stage with every diagnostic it collected (never empty)."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(_dedup(diagnostics))
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def _dedup(diags: list[Diagnostic] | tuple[Diagnostic, ...]) -> list[Diagnostic]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for d in diags:
        key = (d.code, d.message, str(d.span))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


class Collector:
    """Accumulates diagnostics during a stage."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span | None = None,
              *notes: Note) -> None:
        assert code in CODES, code
        self.items.append(Diagnostic(code, message, span, tuple(notes)))

    def raise_if_any(self) -> None:
        if self.items:
            raise SpecError(self.items)
