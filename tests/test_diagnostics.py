"""Front-end diagnostics: code, `file:line:col`, message and caret of every
error a user can make in a spec or proposal, through the Python API and,
for a representative subset, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pinmc.diagnostics import CODES, Diagnostic, SpecError
from pinmc.semantics.pipeline import compile_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def errors(tmp_path: Path, text: str | bytes, *, name: str = "spec.pin", proposal: str | None = None,
           defines: dict[str, int] | None = None) -> tuple[Diagnostic, ...]:
    """The diagnostics of compiling `text` (with an optional proposal text)."""
    spec = write(tmp_path, name, text)
    prop = str(write(tmp_path, "proposal.pin", proposal)) if proposal is not None else None
    with pytest.raises(SpecError) as info:
        compile_spec(str(spec), prop, defines)
    diags = info.value.diagnostics
    assert diags, "SpecError without diagnostics"
    for d in diags:
        assert d.code in CODES
    return diags


def only(diags: tuple[Diagnostic, ...]) -> Diagnostic:
    assert len(diags) == 1, [d.render() for d in diags]
    return diags[0]


def loc(d: Diagnostic) -> tuple[str, int, int]:
    assert d.span is not None, d.render()
    return Path(d.span.file.name).name, d.span.line, d.span.column


def caret(d: Diagnostic) -> tuple[str, str]:
    """The source line and the caret line of a rendered diagnostic."""
    lines = d.render().split("\n")
    return lines[1], lines[2]


def run_check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-m", "pinmc", "check", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------ syntax
def test_misspelled_top_level_keyword(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec a\n\nthreda t {\n    s: { skip }\n}\n"))
    assert d.code == "PIN101"
    assert loc(d) == ("spec.pin", 3, 1)
    assert d.message.startswith("unexpected name 'threda'; expected ")
    assert d.message.endswith("; did you mean 'thread'?")
    assert caret(d) == ("threda t {", "^^^^^^")


def test_misspelled_statement_keyword(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec b\nvar x: bool = false\nthread t {\n    s: { iff x { x = false } }\n}\n"))
    assert (d.code, d.message) == ("PIN101", "unexpected name 'iff'; did you mean 'if'?")
    assert loc(d) == ("spec.pin", 4, 10)
    assert caret(d) == ("    s: { iff x { x = false } }", "         ^^^")


@pytest.mark.parametrize("text, word, line, col, hint", [
    ("spec s\ninvarient i: true", "invarient", 2, 1, "invariant"),
    ("spec s\ndeamon k { }", "deamon", 2, 1, "daemon"),
    ("spec s\nthread t { s: whne true { } }", "whne", 2, 15, "when"),
    ("spec s\nthread t { s: { asert true } }", "asert", 2, 17, "assert"),
    ("spec s\nthread t { s: { choos v in 0..1 { } } }", "choos", 2, 17, "choose"),
    ("spec s\nthread t { s: { if true { } esle { } } }", "esle", 2, 29, "else"),
])
def test_misspelled_keywords_get_a_suggestion(tmp_path: Path, text: str, word: str, line: int, col: int,
                                              hint: str) -> None:
    d = only(errors(tmp_path, text))
    assert d.code == "PIN101"
    assert loc(d) == ("spec.pin", line, col)
    assert d.message.startswith(f"unexpected name '{word}'")
    assert d.message.endswith(f"did you mean '{hint}'?")


def test_unexpected_token(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec c\nvar x: 0..3 = 0\nthread t {\n    s: { x = = 1 }\n}\n"))
    assert d.code == "PIN101"
    assert loc(d) == ("spec.pin", 4, 14)
    assert d.message.startswith("unexpected '='; expected ")
    assert "a name" in d.message and "a number" in d.message
    assert caret(d) == ("    s: { x = = 1 }", "             ^")


def test_unexpected_token_lists_every_expression_start(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec c\nvar x: 0..3 = 0\nthread t {\n    s: { x = = 1 }\n}\n"))
    for word in ("'not'", "'true'", "'false'", "'if'", "'self'", "'done'"):
        assert word in d.message


@pytest.mark.xfail(strict=True, reason="BUG: a misspelled operator keyword ('adn') gets no "
                   "suggestion, because 'and' is missing from the expected set")
def test_misspelled_operator_keyword(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar x: bool\ninvariant i: x adn true\n"))
    assert d.code == "PIN101" and loc(d) == ("spec.pin", 3, 16)
    assert d.message.endswith("did you mean 'and'?")


def test_chained_comparison_is_a_syntax_error(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar a: 0..3\ninvariant i: a < a < a\n"))
    assert d.code == "PIN101" and loc(d) == ("spec.pin", 3, 20)
    assert d.message.startswith("unexpected '<'")


def test_goto_without_label(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nthread t {\n s: { goto } }\n"))
    assert (d.code, d.message) == ("PIN101", "unexpected '}'; expected a name")
    assert loc(d) == ("spec.pin", 3, 12)


def test_unexpected_end_of_file(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec d\nvar x: 0..3 = 0\nthread t {\n    s: { x = 1\n"))
    assert d.code == "PIN103"
    assert loc(d) == ("spec.pin", 4, 15)
    assert d.message.startswith("unexpected end of file; expected ")
    assert "'}'" in d.message
    assert caret(d) == ("    s: { x = 1", "              ^")


def test_unexpected_end_of_file_in_expression(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar x: bool = \n\n"))
    assert d.code == "PIN103" and loc(d) == ("spec.pin", 2, 14)
    assert d.message == ("unexpected end of file; expected '(', '-', 'done', 'exists', 'false', 'forall', "
                         "'if', 'not', 'self', 'true', a name, a number")


def test_bad_character(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec e\nvar x: 0..3 = 0 $\n"))
    assert (d.code, d.message) == ("PIN102", "unexpected character '$'")
    assert loc(d) == ("spec.pin", 2, 17)
    assert caret(d) == ("var x: 0..3 = 0 $", "                ^")


def test_unterminated_string(tmp_path: Path) -> None:
    d = only(errors(tmp_path, 'spec f "unterminated\nvar x: bool\n'))
    assert (d.code, d.message) == ("PIN102", "an unterminated string")
    assert loc(d) == ("spec.pin", 1, 8)
    assert caret(d) == ('spec f "unterminated', "       ^")


def test_unterminated_block_comment(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec g\n/* never closed\nvar x: bool\n"))
    assert (d.code, d.message) == ("PIN102", "an unterminated /* comment")
    assert loc(d) == ("spec.pin", 2, 1)


def test_malformed_hex_literal(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec z\nconst A = 0x_\n"))
    assert d.code.startswith("PIN1")
    assert loc(d) == ("spec.pin", 2, 11)


def test_non_utf8_file(tmp_path: Path) -> None:
    d = only(errors(tmp_path, b"spec h\n// caf\xe9\nvar x: bool\n"))
    assert d.code == "PIN104"
    assert d.message.endswith("spec.pin is not valid UTF-8 (byte 0xe9)")
    assert loc(d) == ("spec.pin", 2, 7)
    assert caret(d) == ("// caf?", "      ^")


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        compile_spec(str(tmp_path / "nothere.pin"))
    d = only(info.value.diagnostics)
    assert d.code == "PIN104" and d.span is None
    assert d.message == f"cannot read {tmp_path / 'nothere.pin'}: No such file or directory"
    assert d.render().startswith("pinmc: error[PIN104]: cannot read ")


def test_proposal_passed_as_spec(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "proposal p\nrule r() -> bool = true\n"))
    assert d.code == "PIN105" and loc(d) == ("spec.pin", 1, 10)
    assert d.message.endswith("is a proposal; pass a spec, and the proposal with --proposal")


def test_file_without_header(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "var x: bool\n"))
    assert d.code == "PIN105" and loc(d) == ("spec.pin", 1, 1)  # located at the start of the file
    assert d.message.endswith("has no header: a spec starts with 'spec NAME'")


def test_only_the_first_syntax_error_is_reported(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar x: bool = = 1\nvar y: bool = = 2\n"))
    assert loc(d) == ("spec.pin", 2, 15)


# ------------------------------------------------------------------ names
def test_unknown_names_in_two_steps_are_both_reported(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec n1\nvar count: 0..3 = 0\nthread t {\n    a: { cuont = 1 }\n"
                             "    b: { count = vlaue }\n}\n")
    assert [(d.code, loc(d), d.message) for d in diags] == [
        ("PIN201", ("spec.pin", 4, 10), "unknown name 'cuont'; did you mean 'count'?"),
        ("PIN201", ("spec.pin", 5, 18), "unknown name 'vlaue'"),
    ]
    assert caret(diags[0]) == ("    a: { cuont = 1 }", "         ^^^^^")


def test_unknown_type(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar q: u33 = 0\n"))
    assert (d.code, d.message, loc(d)) == ("PIN201", "unknown type 'u33'; did you mean 'u32'?", ("spec.pin", 2, 8))


def test_self_outside_an_actor(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\ninvariant i: self == 0\n"))
    assert (d.code, d.message, loc(d)) == ("PIN201", "'self' is only defined inside an actor", ("spec.pin", 2, 14))


def test_quantifier_over_a_non_array(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\npage X { f: bool }\ninvariant i: forall p in X: p.f\n"))
    assert (d.code, d.message, loc(d)) == ("PIN201", "'X' is not a page array", ("spec.pin", 3, 26))


def test_duplicate_declarations_with_notes(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec n2\nconst N = 1\nvar x: bool = false\nvar x: bool = true\n"
                             "page P { f: bool; f: bool }\nthread t { a: { skip } a: { skip } }\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN202", "'x' is declared twice", ("spec.pin", 4, 5)),
        ("PIN202", "'f' is declared twice", ("spec.pin", 5, 19)),
        ("PIN202", "'a' is declared twice", ("spec.pin", 6, 24)),
    ]
    notes = [(n.message, n.span.line, n.span.column) for d in diags for n in d.notes]  # type: ignore[union-attr]
    assert notes == [("first declared here", 3, 5), ("first declared here", 5, 10),
                     ("first declared here", 6, 12)]
    assert diags[0].render() == (
        f"{tmp_path / 'spec.pin'}:4:5: error[PIN202]: 'x' is declared twice\n"
        "var x: bool = true\n    ^\n"
        f"{tmp_path / 'spec.pin'}:3:5: note: first declared here\n"
        "var x: bool = false\n    ^")


def test_duplicate_across_kinds_and_builtin_type_names(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nenum E { A, B }\nconst A = 1\nvar u32: bool\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN202", "'A' is declared twice", ("spec.pin", 3, 7)),
        ("PIN202", "'u32' is a built-in type name", ("spec.pin", 4, 5)),
    ]
    assert loc_of_note(diags[0]) == (2, 10)


def loc_of_note(d: Diagnostic) -> tuple[int, int]:
    (note,) = d.notes
    assert note.span is not None
    return note.span.line, note.span.column


def test_unknown_field(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec n3\npage X { dirty: bool = false }\nthread t {\n    a: { X.dirty = true }\n"
                             "    b: { X.drity = false }\n    c: when X.dirt { skip }\n}\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN203", "X has no field 'drity'; did you mean 'dirty'?", ("spec.pin", 5, 10)),
        ("PIN203", "page X has no field 'dirt'; did you mean 'dirty'?", ("spec.pin", 6, 13)),
    ]
    assert caret(diags[0]) == ("    b: { X.drity = false }", "         ^^^^^^^")


def test_unknown_actor_local(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nthread t { var held: bool; a: { skip } }\ninvariant i: t.hold\n"))
    assert (d.code, d.message, loc(d)) == (
        "PIN203", "actor t has no variable 'hold'; did you mean 'held'?", ("spec.pin", 3, 14))


def test_goto_missing_label(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec n4\nthread t {\n    a: { goto lopp }\n    loop: { goto a }\n}\n"))
    assert (d.code, d.message) == ("PIN204", "no step 'lopp' in t; did you mean 'loop'?")
    assert loc(d) == ("spec.pin", 3, 15)
    assert caret(d) == ("    a: { goto lopp }", "              ^^^^")


def test_at_unknown_step(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nthread t { a: { skip } }\ninvariant m: t@b\n"))
    assert (d.code, d.message, loc(d)) == ("PIN204", "actor t has no step 'b'", ("spec.pin", 3, 14))


def test_at_and_done_on_a_daemon(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec n5\ndaemon k { a: { skip } }\nthread t { a: { skip } }\n"
                             "invariant i: k@a\ninvariant j: done(k)\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN406", "'@': 'k' is a daemon; daemons have no program counter and are never done", ("spec.pin", 4, 14)),
        ("PIN406", "done(): 'k' is a daemon; daemons have no program counter and are never done",
         ("spec.pin", 5, 19)),
    ]


def test_at_on_something_that_is_not_an_actor(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nvar x: bool\nthread t { a: { skip } }\ninvariant i: x@a\n"))
    assert (d.code, d.message, loc(d)) == ("PIN205", "'@': expected an actor instance", ("spec.pin", 4, 14))


def test_at_on_an_unknown_actor_name(tmp_path: Path) -> None:
    # an undeclared actor is an unknown name, with a suggestion
    d = only(errors(tmp_path, "spec s\nthread dio { a: { skip } }\ninvariant i: doi@a\n"))
    assert (d.code, d.message, loc(d)) == ("PIN201", "unknown name 'doi'; did you mean 'dio'?", ("spec.pin", 3, 14))


def test_index_out_of_bounds(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\npage P[2] { f: bool }\nthread u[2] { var h: bool; a: { skip } }\n"
                             "thread t { a: { P[2].f = true } b: when u[5].h { skip } }\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN308", "index 2 is out of bounds for P[2]", ("spec.pin", 4, 19)),
        ("PIN308", "index 5 is out of bounds for u[2]", ("spec.pin", 4, 43)),
    ]


def test_unknown_function_and_procedure_and_argument_counts(tmp_path: Path) -> None:
    diags = errors(tmp_path, """spec f1
page X { rc: u32 = 0; on: bool = false }
fn pinned(p: page) -> bool = p.rc > 0
proc grab(p: page) { p.rc += 1 }
thread t {
    a: { grba(X) }
    b: when pinnd(X) { skip }
    c: { grab(X, X) }
    d: when pinned() { skip }
}
""")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN206", "unknown procedure or rule 'grba'; did you mean 'grab'?", ("spec.pin", 6, 10)),
        ("PIN206", "unknown function 'pinnd'; did you mean 'pinned'?", ("spec.pin", 7, 13)),
        ("PIN305", "'grab' takes 1 argument(s), given 2", ("spec.pin", 8, 10)),
        ("PIN305", "'pinned' takes 1 argument(s), given 0", ("spec.pin", 9, 13)),
    ]
    assert caret(diags[2]) == ("    c: { grab(X, X) }", "         ^^^^^^^^^^")


def test_cast_takes_one_argument(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\ninvariant i: u32(1, 2) == 0\n"))
    assert (d.code, d.message, loc(d)) == ("PIN305", "u32(...) takes one argument, given 2", ("spec.pin", 2, 14))


def test_fn_called_as_statement_and_proc_in_expression(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nfn f() -> bool = true\nproc p() { skip }\n"
                             "thread t { a: { f() } b: when p() { skip } }\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN404", "'f' is a function; its value would be unused", ("spec.pin", 4, 17)),
        ("PIN404", "'p' has statements and no value; call it as a statement", ("spec.pin", 4, 31)),
    ]


# ------------------------------------------------------------------ types and ranges
def test_assigning_a_bool_to_a_counter(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\npage X { rc: u32 = 0; on: bool = false }\nvar n: 0..3 = 0\n"
                             "thread t {\n    e: { X.rc = true }\n    f: { X.on = 1 }\n    g: { n += true }\n}\n")
    assert [(d.code, loc(d)) for d in diags] == [
        ("PIN301", ("spec.pin", 5, 17)), ("PIN301", ("spec.pin", 6, 17)), ("PIN301", ("spec.pin", 7, 10))]
    assert diags[0].message == "assignment to X.rc: expected u32, found bool"
    assert diags[1].message == "assignment to X.on: expected bool, found int"
    assert caret(diags[0]) == ("    e: { X.rc = true }", "                ^^^^")


def test_non_boolean_guard_and_property(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar n: 0..3 = 0\nthread t { a: when n { skip } }\ninvariant i: n + 1\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN301", "a step guard: expected bool, found int", ("spec.pin", 3, 20)),
        ("PIN301", "invariant i: expected bool, found int", ("spec.pin", 4, 14)),
    ]


def test_mixing_u32_and_i32(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar a: u32 = 0\nvar b: i32 = 0\nthread t {\n    s: { a = b }\n"
                             "    s2: when a + b > 0 { skip }\n    s3: { a = u32(b) }\n}\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN302", "assignment to a: expected u32, found i32; convert explicitly with u32(...)",
         ("spec.pin", 5, 14)),
        ("PIN302", "the operands of '+': u32 and i32 mixed; convert one with u32(...) or i32(...)",
         ("spec.pin", 6, 14)),
    ]
    assert caret(diags[1]) == ("    s2: when a + b > 0 { skip }", "             ^^^^^")


def test_constant_does_not_fit(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar c: u8 = 256\nvar d: 0..3 = 4\nvar big: u32 = 0\n"
                             "thread t { s: { big = 0x1_0000_0000 } }\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN303", "the initial value of c: 256 does not fit in u8", ("spec.pin", 2, 13)),
        ("PIN303", "the initial value 4 of d is outside 0..3", ("spec.pin", 3, 15)),
        ("PIN303", "assignment to big: 4294967296 does not fit in u32", ("spec.pin", 5, 23)),
    ]
    assert caret(diags[2]) == ("thread t { s: { big = 0x1_0000_0000 } }", "                      ^^^^^^^^^^^^^")


def test_non_constant_sizes_and_initial_values(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar a: u32 = 0\npage P[a] { f: bool }\nthread u[a] { s: { skip } }\n"
                             "var b: u32 = a\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN304", "the size of page array P must be a constant expression", ("spec.pin", 3, 8)),
        ("PIN304", "the initial value of b must be a constant", ("spec.pin", 5, 14)),
        ("PIN304", "the number of u instances must be a constant expression", ("spec.pin", 4, 10)),
    ]


def test_operator_not_defined(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar b: bool\nthread t { s: { b += 1 } t: { b += true } }\n"
                             "invariant i: -b\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN301", "'+=': bool and int do not match", ("spec.pin", 3, 17)),
        ("PIN307", "'+=' needs a number, found bool", ("spec.pin", 3, 31)),
        ("PIN307", "'-' needs a number, found bool", ("spec.pin", 4, 14)),
    ]


def test_empty_ranges(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nvar r: 3..1 = 3\nthread t {\n    s3: { choose v in 2..1 { skip } }\n}\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN309", "empty range 3..1", ("spec.pin", 2, 8)),
        ("PIN309", "choose over the empty range 2..1", ("spec.pin", 4, 23)),
    ]
    assert caret(diags[0]) == ("var r: 3..1 = 3", "       ^^^^")


def test_assigning_to_a_constant(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nconst N = 1\nthread t { s: { N = 2 } }\n"))
    assert (d.code, d.message, loc(d)) == ("PIN306", "cannot assign to 'N': not a variable or field",
                                           ("spec.pin", 3, 17))


# ------------------------------------------------------------------ well-formedness
def test_mutual_recursion_of_fns_and_procs(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec f3\nfn f(x: u32) -> bool = g(x)\nfn g(x: u32) -> bool = f(x)\n"
                             "proc p() { q() }\nproc q() { p() }\nthread t {\n    a: when f(0) { skip }\n"
                             "    b: { p() }\n}\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN401", "'f' calls itself: f -> g -> f", ("spec.pin", 3, 24)),
        ("PIN401", "'p' calls itself: p -> q -> p", ("spec.pin", 5, 12)),
    ]


def test_direct_recursion(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nfn f() -> bool = f()\ninvariant i: f()\n"))
    assert (d.code, d.message, loc(d)) == ("PIN401", "'f' calls itself: f -> f", ("spec.pin", 2, 18))


@pytest.mark.xfail(strict=True, reason="BUG: fn/proc/rule bodies are only checked when inlined at "
                   "a call, so errors in a declaration nobody calls are never reported")
def test_errors_in_uncalled_declarations_are_reported(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec un\nvar x: bool = false\nproc p() { y = 1 }\nfn f() -> bool = zz\n"
                             "rule r() -> bool = f()\nfn rec() -> bool = rec()\nthread t { a: { x = true } }\n")
    assert {(d.code, loc(d)) for d in diags} == {
        ("PIN201", ("spec.pin", 3, 12)), ("PIN201", ("spec.pin", 4, 18)), ("PIN401", ("spec.pin", 6, 20))}


def test_goto_and_end_in_daemon_and_proc(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec f4\nvar x: bool = false\nproc p() { goto a }\nrule q() { end }\n"
                             "daemon k {\n    a: { goto a }\n    b: { end }\n}\nthread t {\n    a: { p() }\n"
                             "    b: { q() }\n}\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN404", "'goto' in daemon 'k': a daemon's steps have no order", ("spec.pin", 6, 15)),
        ("PIN404", "'end' in daemon 'k': a daemon's steps have no order", ("spec.pin", 7, 10)),
        ("PIN404", "'goto' is only allowed in a step of a thread, not in a proc or rule", ("spec.pin", 3, 17)),
        ("PIN404", "'end' is only allowed in a step of a thread, not in a proc or rule", ("spec.pin", 4, 12)),
    ]


def test_errors_of_actor_instances_are_reported_once(tmp_path: Path) -> None:
    d = only(errors(tmp_path, "spec s\nthread u[3] { s: { y = 1 } }\n"))
    assert (d.code, loc(d)) == ("PIN201", ("spec.pin", 2, 20))


def test_errors_of_all_passes_are_collected(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec m\nvar n: 0..3 = 0\nfn bad() -> bool = zz\n"
                             "thread u[2] { s: { y = 1 } t: when bad() { n = true } }\nvar q: u33 = 0\n"
                             "expect nope holds\n")
    assert [(d.code, loc(d)[1:]) for d in diags] == [
        ("PIN201", (5, 8)), ("PIN201", (4, 20)), ("PIN201", (3, 20)), ("PIN301", (4, 48)), ("PIN208", (6, 1))]


# ------------------------------------------------------------------ expectations
def test_expectation_errors(tmp_path: Path) -> None:
    diags = errors(tmp_path, """spec e1
var x: bool = false
thread t { a: { x = true } }
invariant inv: true
reachable r: x
expect inv hold
expect r holds
expect invv holds
expect t.b violated
expect deadlock reachable
expect e1: inv holds
allow deadlok
""")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN405", "'allow deadlok': only 'allow deadlock' exists", ("spec.pin", 12, 7)),
        ("PIN405", "'hold' is not a verdict of invariant inv: use holds or violated", ("spec.pin", 6, 1)),
        ("PIN405", "'holds' is not a verdict of reachable r: use reachable or unreachable", ("spec.pin", 7, 1)),
        ("PIN208", "expectation for unknown property 'invv'; did you mean 'inv'?", ("spec.pin", 8, 1)),
        ("PIN208", "expectation for unknown property 't.b'; did you mean 't.a'?", ("spec.pin", 9, 1)),
        ("PIN405", "a spec's expectations name no spec; 'expect SPEC: ...' is for proposals",
         ("spec.pin", 11, 1)),
    ]
    assert caret(diags[1]) == ("expect inv hold", "^^^^^^^^^^^^^^^")


def test_unknown_constant_in_define(tmp_path: Path) -> None:
    diags = errors(tmp_path, "spec s\nconst BIAS = 4\n", defines={"BIAS": 3, "BAIS": 2, "NOPE": 1})
    assert [(d.code, d.message, d.span) for d in diags] == [
        ("PIN209", "-D BAIS: the spec declares no constant 'BAIS'; did you mean 'BIAS'?", None),
        ("PIN209", "-D NOPE: the spec declares no constant 'NOPE'", None),
    ]
    assert diags[0].render() == "pinmc: error[PIN209]: -D BAIS: the spec declares no constant 'BAIS'; did you mean 'BIAS'?"


def test_define_replaces_a_constant(tmp_path: Path) -> None:
    # -D changes the value the front end checks against
    d = only(errors(tmp_path, "spec s\nconst N = 3\nvar x: 0..N = 3\n", defines={"N": 2}))
    assert (d.code, d.message) == ("PIN303", "the initial value 3 of x is outside 0..2")


def test_use_of_a_missing_file(tmp_path: Path) -> None:
    d = only(errors(tmp_path, 'spec u1\nuse "missing/file.pin"\nvar x: bool = false\n'))
    assert d.code == "PIN207" and loc(d) == ("spec.pin", 2, 5)
    assert d.message == (f"cannot find \"missing/file.pin\" (looked beside {tmp_path / 'spec.pin'} "
                         "and in the pinmc library)")
    assert caret(d) == ('use "missing/file.pin"', "    ^^^^^^^^^^^^^^^^^^")


def test_cyclic_use(tmp_path: Path) -> None:
    write(tmp_path, "a.pin", 'use "b.pin"\nconst A = 1\n')
    write(tmp_path, "b.pin", 'use "a.pin"\nconst B = 1\n')
    d = only(errors(tmp_path, 'spec s\nuse "a.pin"\n'))
    assert d.code == "PIN408" and loc(d) == ("b.pin", 1, 5)


def test_errors_in_a_used_file_point_into_it(tmp_path: Path) -> None:
    write(tmp_path, "lib.pin", "const A = 1\nvar y: bool = zz\n")
    d = only(errors(tmp_path, 'spec s\nuse "lib.pin"\n'))
    assert (d.code, loc(d)) == ("PIN201", ("lib.pin", 2, 15))


# ------------------------------------------------------------------ proposals
BASE = """spec base
const BIAS = 4
page X { rc: u32 = 0 }
rule grab(p: page) { p.rc += 1 }
rule ok(p: page) -> bool = true
thread t { a: { grab(X) } b: when ok(X) { skip } }
invariant inv: X.rc < 10
expect inv holds
"""


def test_proposal_replacing_a_missing_rule(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="proposal p403\nrule garb(p: page) { p.rc += BIAS }\n"))
    assert d.code == "PIN403" and loc(d) == ("proposal.pin", 2, 6)
    assert d.message == "proposal p403 replaces rule 'garb', which spec base does not declare; did you mean 'grab'?"
    assert caret(d) == ("rule garb(p: page) { p.rc += BIAS }", "     ^^^^")


def test_proposal_cannot_replace_a_fn_that_is_not_a_rule(tmp_path: Path) -> None:
    spec = BASE + "fn helper() -> bool = true\n"
    d = only(errors(tmp_path, spec, proposal="proposal p\nrule helper() -> bool = false\n"))
    assert d.code == "PIN403" and loc(d) == ("proposal.pin", 2, 6)


def test_proposal_rule_with_another_signature(tmp_path: Path) -> None:
    diags = errors(tmp_path, BASE, proposal="proposal p402\nrule grab(p: page, n: u32) { p.rc += n }\n"
                                            "rule ok(p: page) -> u32 = 1\nrule grab2() { }\n")
    assert [(d.code, d.message, loc(d)) for d in diags[:2]] == [
        ("PIN402", "'grab' does not match the rule it replaces: expected rule grab(p: page) { ... }",
         ("proposal.pin", 2, 6)),
        ("PIN402", "'ok' does not match the rule it replaces: expected rule ok(p: page) -> bool",
         ("proposal.pin", 3, 6)),
    ]
    (note,) = diags[0].notes
    assert note.message == "the rule is declared here"
    assert note.span is not None and (Path(note.span.file.name).name, note.span.line, note.span.column) == (
        "spec.pin", 4, 6)
    rendered = diags[0].render().split("\n")
    assert rendered[3] == f"{tmp_path / 'spec.pin'}:4:6: note: the rule is declared here"
    assert rendered[4:] == ["rule grab(p: page) { p.rc += 1 }", "     ^^^^"]


def test_proposal_rule_fn_replacing_proc_rule(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="proposal p\nrule grab(p: page) -> bool = true\n"))
    assert d.code == "PIN402"
    assert d.message == "'grab' does not match the rule it replaces: expected rule grab(p: page) { ... }"


def test_proposal_declaring_state(tmp_path: Path) -> None:
    diags = errors(tmp_path, BASE, proposal="proposal p409\nvar extra: bool = false\npage Y { f: bool }\n"
                                            "thread u { a: { skip } }\n")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN409", "a proposal may not declare var 'extra': it replaces rules and adds no state",
         ("proposal.pin", 2, 5)),
        ("PIN409", "a proposal may not declare page 'Y': it replaces rules and adds no state",
         ("proposal.pin", 3, 6)),
        ("PIN409", "a proposal may not declare actor 'u': it replaces rules and adds no state",
         ("proposal.pin", 4, 8)),
    ]


def test_proposal_for_another_spec(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="proposal p210 for other_spec, another\n"
                                             "rule grab(p: page) { p.rc += BIAS }\n"))
    assert (d.code, d.message, loc(d)) == (
        "PIN210", "proposal p210 is for other_spec, another, not for spec base", ("proposal.pin", 1, 10))


def test_proposal_expectation_must_name_its_spec(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="proposal p\nrule grab(p: page) { p.rc += BIAS }\n"
                                             "expect inv holds\n"))
    assert d.code == "PIN405" and loc(d) == ("proposal.pin", 3, 1)
    assert d.message == "a proposal's expectation names its spec: expect base: inv holds"


def test_proposal_expectation_of_an_unknown_property(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="proposal p\nrule grab(p: page) { p.rc += BIAS }\n"
                                             "expect base: t.c holds\n"))
    assert (d.code, loc(d)) == ("PIN208", ("proposal.pin", 3, 1))
    assert d.message.startswith("expectation for unknown property 't.c'")


def test_proposal_file_that_is_a_spec(tmp_path: Path) -> None:
    d = only(errors(tmp_path, BASE, proposal="spec other\n"))
    assert d.code == "PIN105" and loc(d) == ("proposal.pin", 1, 6)


def test_valid_proposal_compiles(tmp_path: Path) -> None:
    spec = write(tmp_path, "spec.pin", BASE)
    prop = write(tmp_path, "p.pin", "proposal ok for base\nrule grab(p: page) { p.rc += BIAS }\n"
                                    "expect base: inv violated\n")
    system = compile_spec(str(spec), str(prop))
    assert system.proposal == "ok"
    assert [(e.prop, e.verdict) for e in system.expectations] == [("inv", "violated")]


# ------------------------------------------------------------------ through the CLI
CLI_CASES = [
    # name, text, code, line, col, source line, caret
    ("syntax", "spec a\n\nthreda t {\n    s: { skip }\n}\n", "PIN101", 3, 1, "threda t {", "^^^^^^"),
    ("eof", "spec d\nvar x: 0..3 = 0\nthread t {\n    s: { x = 1\n", "PIN103", 4, 15, "    s: { x = 1",
     "              ^"),
    ("name", "spec n\nvar count: 0..3 = 0\nthread t {\n    a: { cuont = 1 }\n}\n", "PIN201", 4, 10,
     "    a: { cuont = 1 }", "         ^^^^^"),
    ("type", "spec s\nvar a: u32 = 0\nvar b: i32 = 0\nthread t {\n    s: { a = b }\n}\n", "PIN302", 5, 14,
     "    s: { a = b }", "             ^"),
    ("daemon", "spec s\ndaemon k {\n    a: { goto a }\n}\n", "PIN404", 3, 15, "    a: { goto a }",
     "              ^"),
]


@pytest.mark.parametrize("name, text, code, line, col, source, mark", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_renders_diagnostics(root: Path, tmp_path: Path, name: str, text: str, code: str, line: int,
                                 col: int, source: str, mark: str) -> None:
    path = write(tmp_path, f"{name}.pin", text)
    proc = run_check(root, str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.split("\n")
    assert lines[0].startswith(f"{path}:{line}:{col}: error[{code}]: ")
    assert lines[1] == source
    assert lines[2] == mark
    assert lines[3] == "1 error"


def test_cli_reports_every_collected_error(root: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "two.pin", "spec n1\nvar count: 0..3 = 0\nthread t {\n    a: { cuont = 1 }\n"
                                      "    b: { count = vlaue }\n}\n")
    proc = run_check(root, str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == (
        f"{path}:4:10: error[PIN201]: unknown name 'cuont'; did you mean 'count'?\n"
        "    a: { cuont = 1 }\n"
        "         ^^^^^\n"
        f"{path}:5:18: error[PIN201]: unknown name 'vlaue'\n"
        "    b: { count = vlaue }\n"
        "                 ^^^^^\n"
        "2 errors\n")


def test_cli_proposal_error_with_note(root: Path, tmp_path: Path) -> None:
    spec = write(tmp_path, "base.pin", BASE)
    prop = write(tmp_path, "p.pin", "proposal p\nrule grab(p: page, n: u32) { p.rc += n }\n")
    proc = run_check(root, str(spec), "--proposal", str(prop))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.split("\n")[:5] == [
        f"{prop}:2:6: error[PIN402]: 'grab' does not match the rule it replaces: expected rule grab(p: page) {{ ... }}",
        "rule grab(p: page, n: u32) { p.rc += n }",
        "     ^^^^",
        f"{spec}:4:6: note: the rule is declared here",
        "rule grab(p: page) { p.rc += 1 }",
    ]


def test_cli_unknown_define(root: Path, tmp_path: Path) -> None:
    spec = write(tmp_path, "base.pin", BASE)
    proc = run_check(root, str(spec), "-D", "BAIS=2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == ("pinmc: error[PIN209]: -D BAIS: the spec declares no constant 'BAIS'; "
                           "did you mean 'BIAS'?\n1 error\n")


def test_cli_non_utf8(root: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.pin", b"spec h\n// caf\xe9\nvar x: bool\n")
    proc = run_check(root, str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{path}:2:7: error[PIN104]: {path} is not valid UTF-8 (byte 0xe9)\n")


def test_cli_malformed_hex_literal_is_a_spec_error(root: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "hex.pin", "spec z\nconst A = 0x_\n")
    proc = run_check(root, str(path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:2:11: error[PIN1")
