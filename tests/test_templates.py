"""`struct` pages and actor `template`s: parsing, printing, expansion,
state counts, traces pointing into templates, and their diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.semantics.pipeline import compile_spec
from pinmc.source import SourceFile
from pinmc.syntax.parser import parse_file, parse_text
from pinmc.syntax.printer import show_file
from test_diagnostics import errors, loc, only

TEMPLATES = """
    spec t "templates"
    struct folio { _refcount: i32 = 1; dirty: bool = false }
    page X: folio { _refcount = 2 }
    page Y: folio
    page P[2]: folio { extra: bool = true, dirty = true }
    template thread user(p: page, n: i32) {
        var held: bool = false
        pin: { p._refcount += n; held = true }
        unpin: when held { p._refcount -= n }
    }
    thread u = user(X, 1024)
    thread w[2] = user(P[self], 1)
    invariant back: done(u) => X._refcount == 2
    expect back holds
    expect deadlock free
    """


def write(tmp_path: Path, text: str, name: str = "t.pin") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_round_trip(tmp_path):
    f = parse_file(write(tmp_path, TEMPLATES))
    text = show_file(f)
    assert "page X: folio {\n    _refcount = 2\n}" in text
    assert "page Y: folio\n" in text
    assert "template thread user(p: page, n: i32) {" in text
    assert "thread w[2] = user(P[self], 1)" in text
    assert parse_text(SourceFile("again.pin", text)) == f


def test_expansion_fields_and_counts(tmp_path):
    system = compile_spec(write(tmp_path, TEMPLATES))
    names = [v.name for v in system.vars]
    assert names[:8] == ["X._refcount", "X.dirty", "Y._refcount", "Y.dirty", "P[0]._refcount", "P[0].dirty",
                         "P[0].extra", "P[1]._refcount"]
    init = {v.name: v.init for v in system.vars}
    assert (init["X._refcount"], init["Y._refcount"], init["P[1].dirty"], init["P[1].extra"]) == (2, 1, 1, 1)
    assert [a.name for a in system.actors] == ["u", "w[0]", "w[1]"]
    result = check(system, Options(por=False, symmetry=False))  # the hand count is of the unreduced space
    assert (result.stats.states, result.stats.transitions) == (27, 54)  # 3 threads x (pin, unpin, done)
    assert {v.prop: v.status for v in result.verdicts} == {"back": "holds", "deadlock": "free"}


def test_instance_is_like_a_handwritten_actor(tmp_path):
    by_template = compile_spec(write(tmp_path, TEMPLATES))
    by_hand = compile_spec(write(tmp_path, """
        spec t "templates"
        page X { _refcount: i32 = 2; dirty: bool = false }
        page Y { _refcount: i32 = 1; dirty: bool = false }
        page P[2] { _refcount: i32 = 1; dirty: bool = true; extra: bool = true }
        thread u {
            var held: bool = false
            pin: { X._refcount += 1024; held = true }
            unpin: when held { X._refcount -= 1024 }
        }
        thread w[2] {
            var held: bool = false
            pin: { P[self]._refcount += 1; held = true }
            unpin: when held { P[self]._refcount -= 1 }
        }
        invariant back: done(u) => X._refcount == 2
        expect back holds
        expect deadlock free
        """, "hand.pin"))
    assert by_template.vars == by_hand.vars
    assert by_template.transitions == by_hand.transitions
    a, b = check(by_template), check(by_hand)
    assert (a.stats.states, a.stats.transitions) == (b.stats.states, b.stats.transitions)


def test_trace_points_into_the_template(tmp_path):
    lib = tmp_path / "lib.pin"
    lib.write_text("template thread bump(p: page) {\n    go: {\n        p.n += 1\n    }\n}\n")
    system = compile_spec(write(tmp_path, """
        spec tr
        use "lib.pin"
        page X { n: 0..3 = 0 }
        thread a = bump(X)
        invariant small: X.n == 0
        """))
    v = check(system).verdict("small")
    t = system.transitions[v.trace.steps[0].transition]
    assert (t.name, Path(t.span.file.name).name, t.span.line, t.end_line) == ("a.go", "lib.pin", 2, 4)


def test_bound_names_hide_parameters(tmp_path):
    system = compile_spec(write(tmp_path, """
        spec shadow
        page P[2] { n: 0..5 = 0 }
        var k: 0..5 = 0
        template thread t(i: i32) {
            a: { choose i in 0..1 { P[i].n += 1 } }
            b: { k = i }
        }
        thread x = t(3)
        reachable both: P[0].n == 1 and k == 3
        reachable other: P[1].n == 1 and k == 3
        """))
    result = check(system)
    assert result.verdict("both").status == "reachable" and result.verdict("other").status == "reachable"


def test_kernel_library_is_found(tmp_path):
    system = compile_spec(write(tmp_path, """
        spec lib
        use "kernel/gup.pin"
        page S: folio
        page L: folio { nr_pages = 512 }
        thread u { a: { try_grab_folio(S, 1, FOLL_PIN); try_grab_folio(L, 1, FOLL_PIN) } }
        invariant counted: done(u) => S._refcount == 1025 and L._refcount == 2 and L._pincount == 1
        """))
    assert check(system).verdict("counted").status == "holds"
    assert any(f.endswith("kernel/folio.pin") for f in system.files)


# ------------------------------------------------------------------ diagnostics
def test_unknown_struct_and_template(tmp_path):
    diags = errors(tmp_path, """spec e
struct folio { r: i32 }
page X: foilo
thread t = nothing(X)
""")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN211", "unknown struct 'foilo'; did you mean 'folio'?", ("spec.pin", 3, 6)),
        ("PIN211", "unknown template 'nothing'", ("spec.pin", 4, 8)),
    ]


def test_struct_field_errors(tmp_path):
    diags = errors(tmp_path, """spec e
struct folio { refs: i32 = 1 }
page X: folio { refz = 2, refs = 3, refs = 4, refs: i32 = 5 }
""")
    assert [(d.code, d.message, loc(d)) for d in diags] == [
        ("PIN203", "struct folio has no field 'refz'; did you mean 'refs'?", ("spec.pin", 3, 17)),
        ("PIN202", "field 'refs' is given twice", ("spec.pin", 3, 37)),
        ("PIN202", "field 'refs' is already a field of struct folio; write 'refs = VALUE' to change its "
                   "initial value", ("spec.pin", 3, 47)),
    ]


def test_template_instance_errors(tmp_path):
    base = """spec e
page X { n: i32 }
template thread t(p: page, k: i32) { var p2: bool = false; a: { p.n += k } }
template daemon d(p: page) { a: { p.n += 1 } }
"""
    d = only(errors(tmp_path, base + "daemon x = t(X, 1)\n"))
    assert (d.code, d.message, loc(d)) == (
        "PIN410", "template t is a thread template: declare 'thread x = t(...)'", ("spec.pin", 5, 8))
    d = only(errors(tmp_path, base + "thread x = t(X)\n"))
    assert (d.code, d.message, loc(d)) == ("PIN305", "template t takes 2 argument(s), 1 given", ("spec.pin", 5, 8))
    d = only(errors(tmp_path, base + "thread x = t(3, 1)\n"))
    assert (d.code, d.message) == ("PIN301", "argument 'p' of template t is a page: pass a page such as X or P[1]")
    d = only(errors(tmp_path, base + "template thread t(p: page) { a: { skip } }\n"))
    assert (d.code, d.message, loc(d)) == ("PIN202", "template 't' is declared twice", ("spec.pin", 5, 17))
    d = only(errors(tmp_path, base + "template thread u(p2: page) { var p2: bool; a: { skip } }\n"
                                     "thread y = u(X)\n"))
    assert (d.code, d.message) == ("PIN202", "local 'p2' of template u has the name of a parameter")


def test_proposal_may_not_instantiate(tmp_path):
    d = only(errors(tmp_path, """spec e
page X { n: i32 }
template thread t(p: page) { a: { p.n += 1 } }
thread a = t(X)
""", proposal="proposal p\nthread b = t(X)\n"))
    assert (d.code, d.message, loc(d)) == (
        "PIN409", "a proposal may not declare instance 'b': it replaces rules and adds no state",
        ("proposal.pin", 2, 8))
