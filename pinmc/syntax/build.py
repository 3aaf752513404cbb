"""Build the `ast` from a lark parse tree.  Lark never leaves `syntax/`."""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.source import SourceFile, Span
from pinmc.syntax import ast


# the largest integer literal (PIN107): far beyond any machine integer
# (u64), small enough that every value printed from it stays short
MAX_LITERAL_BITS = 256
MAX_LITERAL = (1 << MAX_LITERAL_BITS) - 1


def token_span(file: SourceFile, tok: Token) -> Span:
    return Span(file, tok.line or 1, tok.column or 1, tok.end_line or tok.line or 1,
                tok.end_column or (tok.column or 1) + len(tok))


def _unquote(tok: Token) -> str:
    body = str(tok)[1:-1]
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape") \
        if "\\" in body else body


def step_comment(file: SourceFile, line: int) -> str | None:
    """The first `//` comment of a step: on its label's line, else the first
    comment-only line that follows it before any statement."""
    lines = file.text.split("\n")  # as lark counts lines
    first = lines[line - 1] if line - 1 < len(lines) else ""
    if "//" in first:
        return first.split("//", 1)[1].strip() or None
    for text in lines[line:]:
        stripped = text.strip()
        if stripped.startswith("//"):
            return stripped[2:].strip() or None
        if stripped:
            return None
    return None


@v_args(meta=True)
class Builder(Transformer):  # type: ignore[type-arg]
    """Turns a parse tree of `pinmc.lark` into an `ast.File`."""

    def __init__(self, file: SourceFile):
        super().__init__(visit_tokens=False)
        self.file = file

    # -- helpers
    def _span(self, meta: Meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, tok: Token) -> Span:
        return token_span(self.file, tok)

    # -- file
    def start(self, meta: Meta, children: list[Any]) -> ast.File:
        if children and isinstance(children[0], tuple) and len(children[0]) == 5:
            kind, name, desc, targets, span = children[0]
            children = children[1:]
        else:
            # a file without a header is located at its start (PIN105 when passed as a spec)
            kind, name, desc, targets, span = "library", "", None, (), Span(self.file, 1, 1, 1, 2)
        items = tuple(c for c in children if c is not None)
        return ast.File(kind, name, desc, targets, items, path=self.file.name, span=span)

    def spec_header(self, meta: Meta, ch: list[Any]) -> tuple[Any, ...]:
        desc = _unquote(ch[1]) if len(ch) > 1 else None
        return ("spec", str(ch[0]), desc, (), self._tok(ch[0]))

    def proposal_header(self, meta: Meta, ch: list[Any]) -> tuple[Any, ...]:
        desc = None
        rest = ch[1:]
        if rest and rest[0].type == "STRING":
            desc = _unquote(rest[0])
            rest = rest[1:]
        return ("proposal", str(ch[0]), desc, tuple(str(t) for t in rest), self._tok(ch[0]))

    def empty(self, meta: Meta, ch: list[Any]) -> None:
        return None

    # -- declarations
    def use_decl(self, meta: Meta, ch: list[Any]) -> ast.Use:
        return ast.Use(_unquote(ch[0]), span=self._tok(ch[0]))

    def const_decl(self, meta: Meta, ch: list[Any]) -> ast.Const:
        return ast.Const(str(ch[0]), ch[1], span=self._tok(ch[0]))

    def enum_decl(self, meta: Meta, ch: list[Any]) -> ast.EnumDecl:
        members = ch[1:]
        return ast.EnumDecl(str(ch[0]), tuple(str(m) for m in members),
                            tuple(self._tok(m) for m in members), span=self._tok(ch[0]))

    def page_decl(self, meta: Meta, ch: list[Any]) -> ast.PageDecl:
        symmetric = False
        if ch[0] == "symmetric":
            symmetric = True
            ch = ch[1:]
        name = ch[0]
        rest = [c for c in ch[1:] if c is not None]
        size = struct = None
        body: list[Any] = []
        if rest and isinstance(rest[-1], list):
            body = rest.pop()
        if rest and isinstance(rest[-1], Token) and rest[-1].type == "NAME":
            struct = str(rest.pop())
        if rest:
            size = rest[0]
        fields = tuple(c for c in body if isinstance(c, ast.FieldDecl))
        inits = tuple(c for c in body if isinstance(c, ast.FieldInit))
        return ast.PageDecl(str(name), size, symmetric, fields, struct, inits, span=self._tok(name))

    def page_body(self, meta: Meta, ch: list[Any]) -> list[Any]:
        return [c for c in ch if c is not None]

    def field_init(self, meta: Meta, ch: list[Any]) -> ast.FieldInit:
        return ast.FieldInit(str(ch[0]), ch[1], span=self._tok(ch[0]))

    def struct_decl(self, meta: Meta, ch: list[Any]) -> ast.StructDecl:
        fields = tuple(c for c in ch[1:] if isinstance(c, ast.FieldDecl))
        return ast.StructDecl(str(ch[0]), fields, span=self._tok(ch[0]))

    def field(self, meta: Meta, ch: list[Any]) -> ast.FieldDecl:
        return ast.FieldDecl(str(ch[0]), ch[1], ch[2] if len(ch) > 2 else None,
                             span=self._tok(ch[0]))

    def var_decl(self, meta: Meta, ch: list[Any]) -> ast.VarDecl:
        return ast.VarDecl(str(ch[0]), ch[1], ch[2] if len(ch) > 2 else None,
                           span=self._tok(ch[0]))

    def params(self, meta: Meta, ch: list[Any]) -> tuple[ast.Param, ...]:
        return tuple(ch)

    def param(self, meta: Meta, ch: list[Any]) -> ast.Param:
        return ast.Param(str(ch[0]), ch[1], span=self._tok(ch[0]))

    def fn_decl(self, meta: Meta, ch: list[Any]) -> ast.FnDecl:
        return ast.FnDecl(str(ch[0]), ch[1], ch[2], ch[3], span=self._tok(ch[0]))

    def rule_fn(self, meta: Meta, ch: list[Any]) -> ast.FnDecl:
        return ast.FnDecl(str(ch[0]), ch[1], ch[2], ch[3], is_rule=True, span=self._tok(ch[0]))

    def proc_decl(self, meta: Meta, ch: list[Any]) -> ast.ProcDecl:
        return ast.ProcDecl(str(ch[0]), ch[1], ch[2], span=self._tok(ch[0]))

    def rule_proc(self, meta: Meta, ch: list[Any]) -> ast.ProcDecl:
        return ast.ProcDecl(str(ch[0]), ch[1], ch[2], is_rule=True, span=self._tok(ch[0]))

    def actor_decl(self, meta: Meta, ch: list[Any]) -> ast.ActorDecl:
        kind, name, rest = str(ch[0]), ch[1], [c for c in ch[2:] if c is not None]
        count = None
        if rest and not isinstance(rest[0], (ast.VarDecl, ast.StepDecl)):
            count = rest[0]
            rest = rest[1:]
        locals_ = tuple(c for c in rest if isinstance(c, ast.VarDecl))
        steps = tuple(c for c in rest if isinstance(c, ast.StepDecl))
        return ast.ActorDecl(kind, str(name), count, locals_, steps, span=self._tok(name))

    def template_decl(self, meta: Meta, ch: list[Any]) -> ast.TemplateDecl:
        kind, name, params = str(ch[0]), ch[1], ch[2]
        rest = [c for c in ch[3:] if c is not None]
        locals_ = tuple(c for c in rest if isinstance(c, ast.VarDecl))
        steps = tuple(c for c in rest if isinstance(c, ast.StepDecl))
        return ast.TemplateDecl(kind, str(name), params, locals_, steps, span=self._tok(name))

    def instance_decl(self, meta: Meta, ch: list[Any]) -> ast.InstanceDecl:
        kind, name = str(ch[0]), ch[1]
        count = ch[2] if len(ch) == 5 else None
        template, args = ch[-2], ch[-1]
        return ast.InstanceDecl(kind, str(name), count, str(template), args, span=self._tok(name))

    def step(self, meta: Meta, ch: list[Any]) -> ast.StepDecl:
        label = ch[0]
        guard = ch[1] if len(ch) == 3 else None
        comment = step_comment(self.file, label.line or 1)
        end = None if meta.empty else meta.end_line
        return ast.StepDecl(str(label), guard, ch[-1], comment, end, span=self._tok(label))

    def _prop(self, kind: str, ch: list[Any]) -> ast.PropertyDecl:
        return ast.PropertyDecl(kind, str(ch[0]), ch[1], span=self._tok(ch[0]))

    def invariant_decl(self, meta: Meta, ch: list[Any]) -> ast.PropertyDecl:
        return self._prop("invariant", ch)

    def lemma_decl(self, meta: Meta, ch: list[Any]) -> ast.PropertyDecl:
        return self._prop("lemma", ch)

    def reachable_decl(self, meta: Meta, ch: list[Any]) -> ast.PropertyDecl:
        return self._prop("reachable", ch)

    def expect_decl(self, meta: Meta, ch: list[Any]) -> ast.ExpectDecl:
        spec, prop = ch[0]
        return ast.ExpectDecl(spec, prop, str(ch[1]), span=self._span(meta))

    def verdict(self, meta: Meta, ch: list[Any]) -> str:
        return str(ch[0])

    def qualified_target(self, meta: Meta, ch: list[Any]) -> tuple[str | None, str]:
        return str(ch[0]), ch[1]

    def plain_target(self, meta: Meta, ch: list[Any]) -> tuple[str | None, str]:
        return None, ch[0]

    def prop_name(self, meta: Meta, ch: list[Any]) -> str:
        return ".".join(str(c) for c in ch)

    def allow_decl(self, meta: Meta, ch: list[Any]) -> ast.AllowDecl:
        return ast.AllowDecl(str(ch[0]), span=self._tok(ch[0]))

    # -- types
    def named_type(self, meta: Meta, ch: list[Any]) -> ast.NamedType:
        return ast.NamedType(str(ch[0]), span=self._tok(ch[0]))

    def page_type(self, meta: Meta, ch: list[Any]) -> ast.NamedType:
        return ast.NamedType("page", span=self._span(meta))

    def range_type(self, meta: Meta, ch: list[Any]) -> ast.RangeType:
        return ast.RangeType(ch[0], ch[1], span=self._span(meta))

    # -- statements
    def block(self, meta: Meta, ch: list[Any]) -> tuple[ast.Stmt, ...]:
        return tuple(c for c in ch if c is not None)

    def assign(self, meta: Meta, ch: list[Any]) -> ast.Assign:
        return ast.Assign(ch[0], "=", ch[1], span=self._span(meta))

    def add_assign(self, meta: Meta, ch: list[Any]) -> ast.Assign:
        return ast.Assign(ch[0], "+=", ch[1], span=self._span(meta))

    def sub_assign(self, meta: Meta, ch: list[Any]) -> ast.Assign:
        return ast.Assign(ch[0], "-=", ch[1], span=self._span(meta))

    def if_stmt(self, meta: Meta, ch: list[Any]) -> ast.If:
        pairs = [(ch[i], ch[i + 1]) for i in range(0, len(ch) - 1, 2)]
        else_body = ch[-1] if len(ch) % 2 == 1 else None
        return ast.If(tuple(pairs), else_body, span=self._span(meta))

    def either(self, meta: Meta, ch: list[Any]) -> ast.Either:
        return ast.Either(tuple(ch), span=self._span(meta))

    def choose(self, meta: Meta, ch: list[Any]) -> ast.Choose:
        return ast.Choose(str(ch[0]), ch[1], ch[2], span=self._span(meta))

    def assert_(self, meta: Meta, ch: list[Any]) -> ast.Assert:
        msg = _unquote(ch[1]) if len(ch) > 1 else None
        return ast.Assert(ch[0], msg, span=self._span(meta))

    def goto(self, meta: Meta, ch: list[Any]) -> ast.Goto:
        return ast.Goto(str(ch[0]), span=self._tok(ch[0]))

    def end(self, meta: Meta, ch: list[Any]) -> ast.End:
        return ast.End(span=self._span(meta))

    def skip(self, meta: Meta, ch: list[Any]) -> ast.Skip:
        return ast.Skip(span=self._span(meta))

    def call_stmt(self, meta: Meta, ch: list[Any]) -> ast.CallStmt:
        return ast.CallStmt(str(ch[0]), ch[1], span=self._span(meta))

    def range_domain(self, meta: Meta, ch: list[Any]) -> ast.RangeDomain:
        return ast.RangeDomain(ch[0], ch[1], span=self._span(meta))

    def set_domain(self, meta: Meta, ch: list[Any]) -> ast.SetDomain:
        return ast.SetDomain(str(ch[0]), span=self._tok(ch[0]))

    def args(self, meta: Meta, ch: list[Any]) -> tuple[ast.Expr, ...]:
        return tuple(ch)

    # -- expressions
    def ite(self, meta: Meta, ch: list[Any]) -> ast.Ite:
        return ast.Ite(ch[0], ch[1], ch[2], span=self._span(meta))

    def quant(self, meta: Meta, ch: list[Any]) -> ast.Quant:
        return ast.Quant(str(ch[0]), str(ch[1]), ch[2], ch[3], span=self._span(meta))

    def _bin(self, op: str, meta: Meta, ch: list[Any]) -> ast.Binary:
        return ast.Binary(op, ch[0], ch[-1], span=self._span(meta))

    def iff(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return self._bin("<=>", meta, ch)

    def implies(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return self._bin("=>", meta, ch)

    def or_(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return self._bin("or", meta, ch)

    def and_(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return self._bin("and", meta, ch)

    def compare(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return ast.Binary(str(ch[1]), ch[0], ch[2], span=self._span(meta))

    def binop(self, meta: Meta, ch: list[Any]) -> ast.Binary:
        return ast.Binary(str(ch[1]), ch[0], ch[2], span=self._span(meta))

    def not_(self, meta: Meta, ch: list[Any]) -> ast.Unary:
        return ast.Unary("not", ch[0], span=self._span(meta))

    def neg_(self, meta: Meta, ch: list[Any]) -> ast.Unary:
        return ast.Unary("-", ch[-1], span=self._span(meta))

    def symmetric(self, meta: Meta, ch: list[Any]) -> str:
        return "symmetric"

    def actor_kind(self, meta: Meta, ch: list[Any]) -> str:
        return str(ch[0])

    def quant_kind(self, meta: Meta, ch: list[Any]) -> str:
        return str(ch[0])

    def member(self, meta: Meta, ch: list[Any]) -> ast.Member:
        return ast.Member(ch[0], str(ch[1]), span=self._span(meta))

    def index(self, meta: Meta, ch: list[Any]) -> ast.Index:
        return ast.Index(ch[0], ch[1], span=self._span(meta))

    def at(self, meta: Meta, ch: list[Any]) -> ast.At:
        return ast.At(ch[0], str(ch[1]), span=self._span(meta))

    def int_lit(self, meta: Meta, ch: list[Any]) -> ast.IntLit:
        text = str(ch[0]).replace("_", "")
        if text.lower() == "0x":
            raise SpecError([Diagnostic("PIN102", f"'{ch[0]}' is not a number: hex digits must follow 0x",
                                        self._tok(ch[0]))])
        hexadecimal = text[:2].lower() == "0x"
        digits = (text[2:] if hexadecimal else text).lstrip("0")
        # the length first: int() refuses more than 4300 decimal digits
        if len(digits) > (MAX_LITERAL_BITS + 3) // (4 if hexadecimal else 3) \
                or int(digits or "0", 16 if hexadecimal else 10) > MAX_LITERAL:
            tok = str(ch[0])
            shown = tok if len(tok) <= 24 else f"{tok[:12]}...{tok[-8:]} ({len(tok)} characters)"
            raise SpecError([Diagnostic("PIN107", f"the number {shown} is too large: integer literals are "
                                        f"at most 2^{MAX_LITERAL_BITS} - 1", self._tok(ch[0]))])
        return ast.IntLit(int(digits or "0", 16 if hexadecimal else 10), span=self._tok(ch[0]))

    def true_(self, meta: Meta, ch: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self._span(meta))

    def false_(self, meta: Meta, ch: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self._span(meta))

    def self_(self, meta: Meta, ch: list[Any]) -> ast.SelfRef:
        return ast.SelfRef(span=self._span(meta))

    def name_ref(self, meta: Meta, ch: list[Any]) -> ast.NameRef:
        return ast.NameRef(str(ch[0]), span=self._tok(ch[0]))

    def call(self, meta: Meta, ch: list[Any]) -> ast.Call:
        return ast.Call(str(ch[0]), ch[1], span=self._span(meta))

    def done(self, meta: Meta, ch: list[Any]) -> ast.Done:
        return ast.Done(ch[0], span=self._span(meta))

    def __default__(self, data: str, children: list[Any], meta: Meta) -> Any:
        raise AssertionError(f"grammar rule without a builder: {data}")


def build(file: SourceFile, tree: Tree) -> ast.File:  # type: ignore[type-arg]
    """Convert a parse tree of `file` into an `ast.File`."""
    return Builder(file).transform(tree)  # type: ignore[no-any-return]
