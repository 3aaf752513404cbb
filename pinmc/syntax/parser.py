"""Parse `.pin` text into an `ast.File`, turning lark errors into diagnostics."""

from __future__ import annotations

import dataclasses

import difflib
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import VisitError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.source import SourceFile, Span
from pinmc.syntax import ast
from pinmc.syntax.build import build, token_span

KEYWORDS = ("spec", "proposal", "for", "use", "const", "enum", "symmetric", "page", "var",
            "fn", "proc", "rule", "thread", "daemon", "when", "invariant", "lemma",
            "reachable", "expect", "allow", "if", "else", "then", "either", "or", "choose",
            "in", "assert", "goto", "end", "skip", "and", "not", "forall", "exists", "true",
            "false", "self", "done")

# the deepest parse tree accepted (PIN106); the specs of specs/ and the
# kernel library nest at most 18 deep
MAX_NESTING = 128

_MULTI: dict[str, tuple[str, ...]] = {}
_DISPLAY = {"NAME": "a name", "INT": "a number", "HEX": "a number", "STRING": "a string",
            "CMP_OP": "a comparison", "MUL_OP": "'*', '/' or '%'",
            "$END": "end of file"}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("pinmc.syntax").joinpath("pinmc.lark").read_text("utf-8")
    # the basic lexer makes keywords reserved everywhere (a contextual one
    # would read `not` as a name where no keyword fits)
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)


def parse_text(file: SourceFile) -> ast.File:
    """Parse one file; raises SpecError with a located PIN1xx diagnostic
    (PIN106 for a parse tree nested more than MAX_NESTING deep)."""
    try:
        tree = _lark().parse(file.text)
    except UnexpectedInput as exc:
        raise SpecError([_diagnose(file, exc)]) from None
    deep = _too_deep(file, tree)
    if deep is not None:
        raise SpecError([deep])
    try:
        return build(file, tree)
    except VisitError as exc:  # a builder rejected a token (e.g. a bad number)
        if isinstance(exc.orig_exc, SpecError):
            raise exc.orig_exc from None
        raise


def _first_token(node: Tree | Token) -> Token | None:  # type: ignore[type-arg]
    while isinstance(node, Tree):
        if not node.children:
            return None
        node = node.children[0]
    return node


def _too_deep(file: SourceFile, tree: Tree) -> Diagnostic | None:  # type: ignore[type-arg]
    """PIN106 at the first place where the parse tree is nested more than
    MAX_NESTING deep, else None.  Iterative: every later stage (building
    the syntax tree, elaboration, lowering, the engines) walks the tree
    recursively, and this bound keeps them within Python's recursion limit."""
    stack: list[tuple[Tree | Token, int]] = [(tree, 1)]  # type: ignore[type-arg]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        if depth > MAX_NESTING:
            tok = _first_token(node)
            span = token_span(file, tok) if tok is not None else Span(file, 1, 1, 1, 2)
            return Diagnostic("PIN106", f"nested too deeply: more than {MAX_NESTING} levels of "
                              "expressions, statements and blocks; split it up (a fn, a proc, a const, "
                              "another step)", span)
        # `else if` nests like `else { if ... }`: the k-th branch one level deeper
        chain = node.data == "if_stmt"
        stack.extend((c, depth + 1 + (j // 2 if chain else 0))
                     for j, c in reversed(list(enumerate(node.children))))
    return None


def parse_file(path: str, shown: str | None = None) -> ast.File:
    """Read and parse `path`; unreadable or non-UTF-8 files are PIN104.
    Diagnostics and traces name the file `shown` (default: `path`); the
    result's `path` is always the real one."""
    try:
        file = SourceFile.read(path)
        if shown is not None:
            file = SourceFile(shown, file.text)
    except OSError as exc:
        raise SpecError([Diagnostic("PIN104", f"cannot read {path}: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        text = open(path, "rb").read()[: exc.start].decode("utf-8", "replace")
        src = SourceFile(path, text + "?")
        line, col = src.position(len(text))
        raise SpecError([Diagnostic("PIN104", f"{path} is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x})",
                                    Span(src, line, col, line, col + 1))]) from None
    parsed = parse_text(file)
    return parsed if shown is None else dataclasses.replace(parsed, path=path)


def _describe(name: str) -> list[str]:
    if name in _MULTI:
        return [f"'{k}'" for k in _MULTI[name]]
    if name in _DISPLAY:
        return [_DISPLAY[name]]
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return [name]
    return [f"'{pattern.value}'"] if pattern.type == "str" else [name.lower()]


def _expected(names: set[str]) -> str:
    shown = sorted({d for n in names for d in _describe(n)})
    if len(shown) > 12:
        shown = shown[:12] + ["..."]
    return ", ".join(shown)


def _keyword_candidates(names: set[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        for d in _describe(n):
            if d.startswith("'") and d[1:-1].isalpha():
                out.append(d[1:-1])
    return out


def _suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def _previous_word(file: SourceFile, line: int, column: int) -> tuple[str, int, int] | None:
    """The name just before (line, column), white space between allowed.
    Scanned backwards by hand: a regular expression anchored at the end
    takes quadratic time on a long line."""
    offset = sum(len(l) + 1 for l in file.text.split("\n")[: line - 1]) + column - 1
    head = file.text[:offset]
    end = len(head)
    while end > 0 and head[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and (head[start - 1] == "_" or (head[start - 1].isascii() and head[start - 1].isalnum())):
        start -= 1
    while start < end and head[start].isdigit():
        start += 1
    if start == end:
        return None
    ln, col = file.position(start)
    return head[start:end], ln, col


def _diagnose(file: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    line, column = exc.line or 1, exc.column or 1
    if isinstance(exc, UnexpectedCharacters):
        char = file.text[exc.pos_in_stream] if exc.pos_in_stream < len(file.text) else "?"
        what = "an unterminated string" if char == '"' else f"unexpected character {char!r}"
        return Diagnostic("PIN102", what, Span(file, line, column, line, column + 1))
    if isinstance(exc, UnexpectedToken) and str(exc.token) == "/" and \
            file.text.startswith("/*", exc.token.start_pos or 0):
        return Diagnostic("PIN102", "an unterminated /* comment", Span(file, line, column, line, column + 2))
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        expected = set(getattr(exc, "expected", ()) or ())
        lines = file.text.rstrip().split("\n")
        ln, col = len(lines), len(lines[-1]) + 1 if lines else 1
        return Diagnostic("PIN103", f"unexpected end of file; expected {_expected(expected)}",
                          Span(file, ln, col, ln, col + 1))
    assert isinstance(exc, UnexpectedToken)
    tok: Token = exc.token
    expected = set(getattr(exc, "accepts", None) or exc.expected)
    span = Span(file, line, column, tok.end_line or line, tok.end_column or column + len(tok))
    shown = repr(str(tok)) if tok.type != "NAME" else f"name '{tok}'"
    message = f"unexpected {shown}; expected {_expected(expected)}"
    hint = ""
    if tok.type == "NAME":
        hint = _suggest(str(tok), _keyword_candidates(expected))
    if not hint:
        prev = _previous_word(file, line, column)
        if prev and prev[0] not in KEYWORDS:
            guess = _suggest(prev[0], KEYWORDS)
            if guess:
                word, pl, pc = prev
                return Diagnostic("PIN101", f"unexpected name '{word}'{guess}",
                                  Span(file, pl, pc, pl, pc + len(word)))
    return Diagnostic("PIN101", message + hint, span)
