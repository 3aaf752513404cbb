"""Parser tests: every construct of the pinmc language, checked on the AST.

`parse_text(SourceFile(name, text))` gives an `ast.File`; spans are not part
of equality, so expected trees are written without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinmc.diagnostics import SpecError
from pinmc.source import SourceFile
from pinmc.syntax import ast
from pinmc.syntax.parser import parse_text
from pinmc.syntax.printer import show_expr, show_file

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pin"))

# short constructors for expected trees
N = ast.NameRef
I = ast.IntLit
T = ast.BoolLit(True)
F = ast.BoolLit(False)
SELF = ast.SelfRef()


def B(op: str, a: ast.Expr, b: ast.Expr) -> ast.Binary:
    return ast.Binary(op, a, b)


def M(obj: ast.Expr, name: str) -> ast.Member:
    return ast.Member(obj, name)


def Ix(obj: ast.Expr, index: ast.Expr) -> ast.Index:
    return ast.Index(obj, index)


def parse(text: str, name: str = "t.pin") -> ast.File:
    return parse_text(SourceFile(name, text))


def expr(text: str) -> ast.Expr:
    f = parse(f"spec s\ninvariant i: {text}\n")
    (item,) = f.items
    assert isinstance(item, ast.PropertyDecl)
    return item.expr


def stmts(text: str) -> tuple[ast.Stmt, ...]:
    f = parse(f"spec s\nthread t {{\n  s: {{\n{text}\n  }}\n}}\n")
    (actor,) = f.items
    assert isinstance(actor, ast.ActorDecl)
    (step,) = actor.steps
    return step.body


def items(text: str) -> tuple[ast.Decl, ...]:
    return parse("spec s\n" + text).items


# ------------------------------------------------------------------ headers
def test_spec_header_without_description() -> None:
    f = parse("spec my_spec\n")
    assert f == ast.File("spec", "my_spec", None, (), ())
    assert f.path == "t.pin"


def test_spec_header_with_description() -> None:
    f = parse('spec s "what it models"')
    assert (f.kind, f.name, f.description, f.targets, f.items) == ("spec", "s", "what it models", (), ())


def test_description_escapes_are_decoded() -> None:
    f = parse(r'spec s "a \"quoted\" word and a \\ backslash"')
    assert f.description == 'a "quoted" word and a \\ backslash'


def test_proposal_header_plain() -> None:
    f = parse("proposal p\n")
    assert f == ast.File("proposal", "p", None, (), ())


def test_proposal_header_with_description_and_targets() -> None:
    f = parse('proposal fix "a fix"\nfor A, B\n')
    assert f == ast.File("proposal", "fix", "a fix", ("A", "B"), ())


def test_proposal_header_targets_without_description() -> None:
    f = parse("proposal fix for lpc2018_writeback")
    assert (f.kind, f.description, f.targets) == ("proposal", None, ("lpc2018_writeback",))


def test_file_without_header_is_a_library() -> None:
    f = parse("const A = 1\n")
    assert f.kind == "library" and f.name == "" and f.items == (ast.Const("A", I(1)),)


def test_header_span_is_the_name() -> None:
    f = parse("// c\nspec   name_here\n")
    assert f.span is not None and (f.span.line, f.span.column) == (2, 8)


# ------------------------------------------------------------------ declarations
def test_use() -> None:
    assert items('use "kernel/page.pin"') == (ast.Use("kernel/page.pin"),)


def test_const_decimal_hex_underscores() -> None:
    got = items("const A = 1024\nconst B = 0x8000_0000\nconst C = 1_000_000\nconst D = 0XfF\nconst E = A * 2")
    assert got == (ast.Const("A", I(1024)), ast.Const("B", I(0x80000000)), ast.Const("C", I(1000000)),
                   ast.Const("D", I(255)), ast.Const("E", B("*", N("A"), I(2))))


def test_enum_with_and_without_trailing_comma() -> None:
    got = items("enum Zone { NORMAL, MOVABLE, CMA }\nenum One { ONLY, }")
    assert got == (ast.EnumDecl("Zone", ("NORMAL", "MOVABLE", "CMA")), ast.EnumDecl("One", ("ONLY",)))
    assert [sp.column for sp in got[0].member_spans] == [13, 21, 30]  # type: ignore[union-attr]


def test_page_with_fields_of_every_type() -> None:
    (page,) = items("""
page X {
    refcount: u32 = 2       // a machine integer
    dirty:    bool = false
    zone:     Zone = MOVABLE
    pins:     0..3 = 0
    seq:      i32
}""")
    assert page == ast.PageDecl("X", None, False, (
        ast.FieldDecl("refcount", ast.NamedType("u32"), I(2)),
        ast.FieldDecl("dirty", ast.NamedType("bool"), F),
        ast.FieldDecl("zone", ast.NamedType("Zone"), N("MOVABLE")),
        ast.FieldDecl("pins", ast.RangeType(I(0), I(3)), I(0)),
        ast.FieldDecl("seq", ast.NamedType("i32"), None),
    ))


def test_page_fields_separated_by_semicolons_and_commas() -> None:
    (page,) = items("page X { a: bool; b: u8 = 1, c: bool }")
    assert isinstance(page, ast.PageDecl)
    assert [f.name for f in page.fields] == ["a", "b", "c"]


def test_page_array_and_symmetric_page_array() -> None:
    got = items("page P[2] { f: bool }\nsymmetric page Q[N + 1] { }")
    assert got == (
        ast.PageDecl("P", I(2), False, (ast.FieldDecl("f", ast.NamedType("bool"), None),)),
        ast.PageDecl("Q", B("+", N("N"), I(1)), True, ()),
    )


def test_global_vars_of_every_type() -> None:
    got = items("var seq: 0..3 = 0\nvar r: N - 1..N * 2\nvar m: u64 = 0x10\n"
                "var z: Zone = CMA\nvar b: bool\nvar s: -2..-1 = -1")
    assert got == (
        ast.VarDecl("seq", ast.RangeType(I(0), I(3)), I(0)),
        ast.VarDecl("r", ast.RangeType(B("-", N("N"), I(1)), B("*", N("N"), I(2))), None),
        ast.VarDecl("m", ast.NamedType("u64"), I(16)),
        ast.VarDecl("z", ast.NamedType("Zone"), N("CMA")),
        ast.VarDecl("b", ast.NamedType("bool"), None),
        ast.VarDecl("s", ast.RangeType(ast.Unary("-", I(2)), ast.Unary("-", I(1))), ast.Unary("-", I(1))),
    )


def test_fn() -> None:
    (fn,) = items("fn maybe_dma_pinned(p: page) -> bool = p.refcount >= BIAS")
    assert fn == ast.FnDecl("maybe_dma_pinned", (ast.Param("p", ast.NamedType("page")),),
                            ast.NamedType("bool"), B(">=", M(N("p"), "refcount"), N("BIAS")), is_rule=False)


def test_fn_with_several_params_and_range_result() -> None:
    (fn,) = items("fn f(a: u32, b: 0..3, c: Zone) -> 0..7 = b")
    assert fn == ast.FnDecl("f", (ast.Param("a", ast.NamedType("u32")),
                                  ast.Param("b", ast.RangeType(I(0), I(3))),
                                  ast.Param("c", ast.NamedType("Zone"))),
                            ast.RangeType(I(0), I(7)), N("b"))


def test_proc() -> None:
    (proc,) = items("proc pin(p: page) { p.refcount += BIAS; p.pins += 1 }")
    assert proc == ast.ProcDecl("pin", (ast.Param("p", ast.NamedType("page")),), (
        ast.Assign(M(N("p"), "refcount"), "+=", N("BIAS")),
        ast.Assign(M(N("p"), "pins"), "+=", I(1)),
    ), is_rule=False)


def test_rule_both_forms_and_empty_params() -> None:
    got = items("rule may_release(p: page) -> bool = true\nrule grab(p: page) { p.refcount += 1 }\n"
                "rule strict() -> bool = false\nrule nothing() { }")
    assert got == (
        ast.FnDecl("may_release", (ast.Param("p", ast.NamedType("page")),), ast.NamedType("bool"), T, is_rule=True),
        ast.ProcDecl("grab", (ast.Param("p", ast.NamedType("page")),),
                     (ast.Assign(M(N("p"), "refcount"), "+=", I(1)),), is_rule=True),
        ast.FnDecl("strict", (), ast.NamedType("bool"), F, is_rule=True),
        ast.ProcDecl("nothing", (), (), is_rule=True),
    )
    # a rule and a fn/proc with the same text are different declarations
    assert got[0] != ast.FnDecl("may_release", (ast.Param("p", ast.NamedType("page")),), ast.NamedType("bool"), T)


def test_thread_with_locals_and_steps() -> None:
    (actor,) = items("""
thread dio {
    var held: bool = false
    var n: 0..2
    fault: {                  // the first step
        held = true
    }
    complete: when X.dma_done { held = false }
}""")
    assert isinstance(actor, ast.ActorDecl)
    assert (actor.kind, actor.name, actor.count) == ("thread", "dio", None)
    assert actor.locals == (ast.VarDecl("held", ast.NamedType("bool"), F),
                            ast.VarDecl("n", ast.RangeType(I(0), I(2)), None))
    assert actor.steps == (
        ast.StepDecl("fault", None, (ast.Assign(N("held"), "=", T),)),
        ast.StepDecl("complete", M(N("X"), "dma_done"), (ast.Assign(N("held"), "=", F),)),
    )
    assert actor.steps[0].comment == "the first step"
    assert actor.steps[1].comment is None


def test_thread_instances_and_daemon() -> None:
    got = items("thread user[2] { var x: bool; s: { skip } }\ndaemon kswapd { reclaim: when true { skip } }\n"
                "daemon k[N] { }")
    assert got == (
        ast.ActorDecl("thread", "user", I(2), (ast.VarDecl("x", ast.NamedType("bool"), None),),
                      (ast.StepDecl("s", None, (ast.Skip(),)),)),
        ast.ActorDecl("daemon", "kswapd", None, (), (ast.StepDecl("reclaim", T, (ast.Skip(),)),)),
        ast.ActorDecl("daemon", "k", N("N"), (), ()),
    )


def test_step_comment_on_following_line() -> None:
    (actor,) = items("thread t {\n  s: {\n    // says what it does\n    skip\n  }\n}")
    assert isinstance(actor, ast.ActorDecl)
    assert actor.steps[0].comment == "says what it does"


def test_properties() -> None:
    got = items("invariant inv: x\nlemma lem: not x\nreachable r: x and y")
    assert got == (
        ast.PropertyDecl("invariant", "inv", N("x")),
        ast.PropertyDecl("lemma", "lem", ast.Unary("not", N("x"))),
        ast.PropertyDecl("reachable", "r", B("and", N("x"), N("y"))),
    )


def test_expect_plain_dotted_qualified() -> None:
    got = items("expect no_false_negative holds\nexpect flusher.writeback violated\n"
                "expect r unreachable\nexpect deadlock free\nexpect lpc: flusher.writeback holds\n"
                "expect lpc: inv violated")
    assert got == (
        ast.ExpectDecl(None, "no_false_negative", "holds"),
        ast.ExpectDecl(None, "flusher.writeback", "violated"),
        ast.ExpectDecl(None, "r", "unreachable"),
        ast.ExpectDecl(None, "deadlock", "free"),
        ast.ExpectDecl("lpc", "flusher.writeback", "holds"),
        ast.ExpectDecl("lpc", "inv", "violated"),
    )


def test_expect_of_an_instance_step_name_with_dots() -> None:
    (e,) = items("expect a.b.c reachable")
    assert e == ast.ExpectDecl(None, "a.b.c", "reachable")


def test_allow_deadlock() -> None:
    assert items("allow deadlock") == (ast.AllowDecl("deadlock"),)


def test_semicolons_between_declarations() -> None:
    assert items(";const A = 1;; var x: bool;") == (ast.Const("A", I(1)),
                                                    ast.VarDecl("x", ast.NamedType("bool"), None))


def test_declaration_spans_are_their_names() -> None:
    got = items("const  LIMIT = 3\npage X { f: bool }\nthread t {\n  go: { skip }\n}")
    const, page, actor = got
    assert (const.span.line, const.span.column, const.span.end_column) == (2, 8, 13)  # type: ignore[union-attr]
    assert (page.span.line, page.span.column) == (3, 6)  # type: ignore[union-attr]
    assert isinstance(actor, ast.ActorDecl)
    assert (actor.steps[0].span.line, actor.steps[0].span.column) == (5, 3)  # type: ignore[union-attr]


def test_comments_line_and_block() -> None:
    f = parse("""// leading comment
spec s /* inline */ "d"   // trailing
/* a block
   comment over
   several lines */
const A = /* in an expression */ 1
// const B = 2
/**/ var x: bool /* after */
""")
    assert f.description == "d"
    assert f.items == (ast.Const("A", I(1)), ast.VarDecl("x", ast.NamedType("bool"), None))
    assert f.items[1].span.line == 8  # type: ignore[union-attr]


def test_comment_markers_inside_strings_are_text() -> None:
    f = parse('spec s "a // b /* c */"')
    assert f.description == "a // b /* c */"


def test_names_that_start_with_keywords() -> None:
    names = ["thread_count", "daemons", "forall_x", "existsx", "symmetrical", "iffy", "endpoint",
             "done_x", "selfish", "true_x", "notx", "order", "android", "spec_x", "use2", "x0x1"]
    got = items("\n".join(f"var {n}: bool" for n in names))
    assert got == tuple(ast.VarDecl(n, ast.NamedType("bool"), None) for n in names)


def test_layout_does_not_change_the_tree() -> None:
    a = parse("spec s\nconst A = 1\nthread t { s: { x = 1; y = 2 } }")
    b = parse("spec s const A=1 thread t{s:{x=1\n\n\ny=2}}")
    assert a == b


# ------------------------------------------------------------------ statements
def test_assignments() -> None:
    assert stmts("x = 1\nX.f += 2\nP[i].f -= n\nu[1].held = true") == (
        ast.Assign(N("x"), "=", I(1)),
        ast.Assign(M(N("X"), "f"), "+=", I(2)),
        ast.Assign(M(Ix(N("P"), N("i")), "f"), "-=", N("n")),
        ast.Assign(M(Ix(N("u"), I(1)), "held"), "=", T),
    )


def test_statement_separators() -> None:
    assert stmts("x = 1; y = 2;; z = 3\nskip") == (
        ast.Assign(N("x"), "=", I(1)), ast.Assign(N("y"), "=", I(2)), ast.Assign(N("z"), "=", I(3)), ast.Skip())


def test_if_alone() -> None:
    assert stmts("if a { x = 1 }") == (ast.If(((N("a"), (ast.Assign(N("x"), "=", I(1)),)),), None),)


def test_if_else() -> None:
    assert stmts("if a { } else { skip }") == (ast.If(((N("a"), ()),), (ast.Skip(),)),)


def test_if_else_if_else() -> None:
    assert stmts("if a { x = 1 } else if b { x = 2 } else if c { } else { x = 3 }") == (ast.If((
        (N("a"), (ast.Assign(N("x"), "=", I(1)),)),
        (N("b"), (ast.Assign(N("x"), "=", I(2)),)),
        (N("c"), ()),
    ), (ast.Assign(N("x"), "=", I(3)),)),)


def test_if_else_if_without_else() -> None:
    (s,) = stmts("if a { } else if b { }")
    assert s == ast.If(((N("a"), ()), (N("b"), ())), None)


def test_nested_if_in_else_block_is_not_else_if() -> None:
    (s,) = stmts("if a { } else { if b { } }")
    assert s == ast.If(((N("a"), ()),), (ast.If(((N("b"), ()),), None),))


def test_either_two_and_three_branches() -> None:
    assert stmts("either { x = 1 } or { x = 2 }\neither { } or { skip } or { end }") == (
        ast.Either(((ast.Assign(N("x"), "=", I(1)),), (ast.Assign(N("x"), "=", I(2)),))),
        ast.Either(((), (ast.Skip(),), (ast.End(),))),
    )


def test_choose_over_range_and_page_array() -> None:
    assert stmts("choose v in 0..N - 1 { x = v }\nchoose p in P { p.f = true }") == (
        ast.Choose("v", ast.RangeDomain(I(0), B("-", N("N"), I(1))), (ast.Assign(N("x"), "=", N("v")),)),
        ast.Choose("p", ast.SetDomain("P"), (ast.Assign(M(N("p"), "f"), "=", T),)),
    )


def test_assert_with_and_without_message() -> None:
    assert stmts('assert X.buffers, "writepage without \\"buffers\\""\nassert x > 0') == (
        ast.Assert(M(N("X"), "buffers"), 'writepage without "buffers"'),
        ast.Assert(B(">", N("x"), I(0)), None),
    )


def test_goto_end_skip() -> None:
    assert stmts("goto fault\nend\nskip") == (ast.Goto("fault"), ast.End(), ast.Skip())


def test_proc_and_rule_calls() -> None:
    assert stmts("grab(X)\npin(P[i], 1 + 2)\nnoargs()") == (
        ast.CallStmt("grab", (N("X"),)),
        ast.CallStmt("pin", (Ix(N("P"), N("i")), B("+", I(1), I(2)))),
        ast.CallStmt("noargs", ()),
    )


def test_statements_nest() -> None:
    (s,) = stmts("choose p in P { if p.f { either { goto a } or { end } } }")
    assert s == ast.Choose("p", ast.SetDomain("P"), (
        ast.If(((M(N("p"), "f"), (ast.Either(((ast.Goto("a"),), (ast.End(),))),)),), None),))


def test_statement_spans() -> None:
    body = stmts("    x = 1\n    assert y, \"m\"")
    assert (body[0].span.line, body[0].span.column, body[0].span.end_column) == (4, 5, 10)  # type: ignore[union-attr]
    assert (body[1].span.line, body[1].span.column) == (5, 5)  # type: ignore[union-attr]


# ------------------------------------------------------------------ expressions
def test_literals() -> None:
    assert expr("true") == T
    assert expr("false") == F
    assert expr("42") == I(42)
    assert expr("0x80000000") == I(0x80000000)
    assert expr("0xFFFF_FFFF") == I(0xFFFFFFFF)
    assert expr("1_024") == I(1024)
    assert expr("self") == SELF


def test_boolean_operators_precedence() -> None:
    # not > and > or > => > <=>
    assert expr("a or b and not c") == B("or", N("a"), B("and", N("b"), ast.Unary("not", N("c"))))
    assert expr("a and b or c") == B("or", B("and", N("a"), N("b")), N("c"))
    assert expr("a or b => c") == B("=>", B("or", N("a"), N("b")), N("c"))
    assert expr("a => b <=> c") == B("<=>", B("=>", N("a"), N("b")), N("c"))
    assert expr("not a and b") == B("and", ast.Unary("not", N("a")), N("b"))
    assert expr("not not a") == ast.Unary("not", ast.Unary("not", N("a")))


def test_implication_is_right_associative_iff_left() -> None:
    assert expr("a => b => c") == B("=>", N("a"), B("=>", N("b"), N("c")))
    assert expr("a <=> b <=> c") == B("<=>", B("<=>", N("a"), N("b")), N("c"))


def test_comparisons() -> None:
    for op in ("==", "!=", "<", "<=", ">", ">="):
        assert expr(f"a + 1 {op} b") == B(op, B("+", N("a"), I(1)), N("b"))
    # `not` binds looser than a comparison
    assert expr("not a == b") == ast.Unary("not", B("==", N("a"), N("b")))


def test_comparisons_do_not_chain() -> None:
    with pytest.raises(SpecError) as e:
        expr("a < b < c")
    assert e.value.diagnostics[0].code == "PIN101"


def test_arithmetic() -> None:
    assert expr("a + b * c") == B("+", N("a"), B("*", N("b"), N("c")))
    assert expr("a - b - c") == B("-", B("-", N("a"), N("b")), N("c"))
    assert expr("a / b % c") == B("%", B("/", N("a"), N("b")), N("c"))
    assert expr("(a + b) * c") == B("*", B("+", N("a"), N("b")), N("c"))
    assert expr("a*b+c/d-e%f") == B("-", B("+", B("*", N("a"), N("b")), B("/", N("c"), N("d"))),
                                    B("%", N("e"), N("f")))


def test_unary_minus() -> None:
    assert expr("-a") == ast.Unary("-", N("a"))
    assert expr("-a * b") == B("*", ast.Unary("-", N("a")), N("b"))
    assert expr("a - -1") == B("-", N("a"), ast.Unary("-", I(1)))
    assert expr("- -a") == ast.Unary("-", ast.Unary("-", N("a")))
    assert expr("-X.f") == ast.Unary("-", M(N("X"), "f"))


def test_if_then_else() -> None:
    assert expr("if c then a else b") == ast.Ite(N("c"), N("a"), N("b"))
    assert expr("if c then 1 else if d then 2 else 3") == ast.Ite(N("c"), I(1), ast.Ite(N("d"), I(2), I(3)))
    assert expr("(if c then 1 else 2) + 1") == B("+", ast.Ite(N("c"), I(1), I(2)), I(1))
    # the else branch extends as far as possible
    assert expr("if c then 1 else 2 + 1") == ast.Ite(N("c"), I(1), B("+", I(2), I(1)))


def test_quantifiers_over_page_arrays_and_ranges() -> None:
    assert expr("forall p in P: p.pins > 0 => maybe_dma_pinned(p)") == ast.Quant(
        "forall", "p", ast.SetDomain("P"),
        B("=>", B(">", M(N("p"), "pins"), I(0)), ast.Call("maybe_dma_pinned", (N("p"),))))
    assert expr("exists v in 0..3: v == x") == ast.Quant(
        "exists", "v", ast.RangeDomain(I(0), I(3)), B("==", N("v"), N("x")))
    assert expr("forall i in 0..N - 1: exists p in P: p.f") == ast.Quant(
        "forall", "i", ast.RangeDomain(I(0), B("-", N("N"), I(1))),
        ast.Quant("exists", "p", ast.SetDomain("P"), M(N("p"), "f")))
    assert expr("a and (forall p in P: p.f)") == B("and", N("a"), ast.Quant(
        "forall", "p", ast.SetDomain("P"), M(N("p"), "f")))


def test_field_access_and_indexing() -> None:
    assert expr("X.refcount") == M(N("X"), "refcount")
    assert expr("P[0].f") == M(Ix(N("P"), I(0)), "f")
    assert expr("P[i + 1].f") == M(Ix(N("P"), B("+", N("i"), I(1))), "f")
    assert expr("pinner[i].held") == M(Ix(N("pinner"), N("i")), "held")
    assert expr("user[self].held") == M(Ix(N("user"), SELF), "held")
    assert expr("P[P[0].idx].f") == M(Ix(N("P"), M(Ix(N("P"), I(0)), "idx")), "f")
    assert expr("dio.held") == M(N("dio"), "held")


def test_calls_and_casts() -> None:
    assert expr("maybe_dma_pinned(X)") == ast.Call("maybe_dma_pinned", (N("X"),))
    assert expr("f()") == ast.Call("f", ())
    assert expr("f(a, b + 1, P[0])") == ast.Call("f", (N("a"), B("+", N("b"), I(1)), Ix(N("P"), I(0))))
    assert expr("u32(e)") == ast.Call("u32", (N("e"),))
    assert expr("i32(X.refcount) < 0") == B("<", ast.Call("i32", (M(N("X"), "refcount"),)), I(0))
    assert expr("u32(-1)") == ast.Call("u32", (ast.Unary("-", I(1)),))


def test_at_and_done() -> None:
    assert expr("dio@complete") == ast.At(N("dio"), "complete")
    assert expr("user[1]@unpin") == ast.At(Ix(N("user"), I(1)), "unpin")
    assert expr("user[self]@unpin") == ast.At(Ix(N("user"), SELF), "unpin")
    assert expr("done(dio)") == ast.Done(N("dio"))
    assert expr("done(user[i + 1])") == ast.Done(Ix(N("user"), B("+", N("i"), I(1))))
    assert expr("dio@complete => X.cached") == B("=>", ast.At(N("dio"), "complete"), M(N("X"), "cached"))
    assert expr("not done(a) and b@l") == B("and", ast.Unary("not", ast.Done(N("a"))), ast.At(N("b"), "l"))


def test_parentheses_leave_no_trace() -> None:
    assert expr("((a))") == N("a")
    assert expr("(a or b) and c") == B("and", B("or", N("a"), N("b")), N("c"))


def test_expression_spans() -> None:
    e = expr("a  +  b")
    assert e.span is not None and (e.span.line, e.span.column, e.span.end_column) == (2, 14, 21)


# ------------------------------------------------------------------ printer / round trip
@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_round_trip_every_spec(path: Path) -> None:
    original = parse_text(SourceFile(str(path), path.read_text("utf-8")))
    text = show_file(original)
    again = parse_text(SourceFile("printed.pin", text))
    assert again == original
    assert show_file(again) == text  # the printer is idempotent


def test_specs_exist() -> None:
    assert len(SPECS) >= 10


KITCHEN_SINK = r'''
proposal everything "all \"the\" constructs"
for A, B
use "lib/x.pin"
const C = 0x10
enum E { E1, E2 }
page X { a: u32 = 1; b: bool; c: 0..C - 1 = 0; d: E = E2 }
symmetric page P[2] { f: bool = false }
var g: -1..1 = -1
fn f(p: page, n: i32) -> bool = if n > 0 then p.b else not p.b
proc pr() { g = 0 }
rule r1() -> bool = false
rule r2(p: page) { p.a -= 1 }
thread t[2] {
    var l: bool = true
    s1: { X.a = X.a * 2 + 1; g += 1; P[self].f = true }
    s2: when l and not done(u) {
        if X.b { skip } else if X.c == 0 { goto s1 } else { end }
        either { pr() } or { r2(X) } or { assert f(X, -1), "msg" }
        choose v in 0..2 { X.c = v % 2 }
        choose p in P { p.f = u32(X.a) / 2 == 0 }
        assert (forall q in P: q.f) <=> (exists i in 0..1: t[i]@s1)
    }
}
daemon k { go: when X.a >= i32(1) { X.a = -(X.a - 1) } }
invariant inv: t[0]@s2 => (a or b) and c
lemma lem: (-X.a < 0) == false
reachable rr: if a then b else c
expect A: inv holds
expect t.s2 violated
expect deadlock free
allow deadlock
'''


def test_round_trip_kitchen_sink() -> None:
    original = parse(KITCHEN_SINK)
    text = show_file(original)
    assert parse(text) == original
    assert text.startswith('proposal everything "all \\"the\\" constructs"\nfor A, B\n')


@pytest.mark.parametrize("src", [
    "-(a + b) * -c", "- -a", "not not a", "(a => b) => c", "a => b => c", "a <=> (b <=> c)",
    "(if a then b else c) + 1 == 2", "a and (forall p in P: p.x > 0)", "(a < b) == c",
    "not (a and b)", "-(-1)", "2 - -1", "a - (b - c) - d", "a / (b * c)", "(a.b)[1].c@L",
    "(not a) == b", "f(if a then 1 else 2, -x)", "a => (if b then c else d)",
    "exists v in -1..N - 1: v % 2 == 0", "(exists v in 0..1: v == 0) or x",
])
def test_round_trip_expressions(src: str) -> None:
    e = expr(src)
    assert expr(show_expr(e)) == e


def test_round_trip_description_with_newline_escape() -> None:
    original = parse('spec s "first line\\nsecond line"')
    assert original.description == "first line\nsecond line"
    assert parse(show_file(original)) == original
