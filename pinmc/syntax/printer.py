"""Print a syntax tree back as normalised pinmc text (`pinmc parse`).

The output parses to an equal tree: `parse(print(t)) == t`.
"""

from __future__ import annotations

from pinmc.syntax import ast

_PREC = {"<=>": 1, "=>": 2, "or": 3, "and": 4, "==": 6, "!=": 6, "<": 6, "<=": 6, ">": 6,
         ">=": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8}


def show_type(t: ast.TypeExpr) -> str:
    if isinstance(t, ast.NamedType):
        return t.name
    return f"{show_expr(t.lo, 7)}..{show_expr(t.hi, 7)}"


def _domain(d: ast.Domain) -> str:
    if isinstance(d, ast.SetDomain):
        return d.name
    return f"{show_expr(d.lo, 7)}..{show_expr(d.hi, 7)}"


def show_expr(e: ast.Expr, ctx: int = 0) -> str:
    """`e` as text, parenthesised where its context `ctx` binds tighter."""
    if isinstance(e, ast.IntLit):
        return str(e.value)
    if isinstance(e, ast.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, ast.NameRef):
        return e.name
    if isinstance(e, ast.SelfRef):
        return "self"
    if isinstance(e, ast.Member):
        return f"{show_expr(e.obj, 10)}.{e.name}"
    if isinstance(e, ast.Index):
        return f"{show_expr(e.obj, 10)}[{show_expr(e.index)}]"
    if isinstance(e, ast.At):
        return f"{show_expr(e.actor, 10)}@{e.label}"
    if isinstance(e, ast.Done):
        return f"done({show_expr(e.actor)})"
    if isinstance(e, ast.Call):
        return f"{e.name}({', '.join(show_expr(a) for a in e.args)})"
    if isinstance(e, ast.Unary):
        text = f"not {show_expr(e.arg, 5)}" if e.op == "not" else f"-{show_expr(e.arg, 9)}"
        prec = 5 if e.op == "not" else 9
        return f"({text})" if ctx > prec else text
    if isinstance(e, ast.Binary):
        p = _PREC[e.op]
        if e.op == "=>":  # right-associative
            left, right = show_expr(e.left, p + 1), show_expr(e.right, p)
        elif p == 6:  # comparisons do not chain
            left, right = show_expr(e.left, p + 1), show_expr(e.right, p + 1)
        else:
            left, right = show_expr(e.left, p), show_expr(e.right, p + 1)
        text = f"{left} {e.op} {right}"
        return f"({text})" if ctx > p else text
    if isinstance(e, ast.Ite):
        text = f"if {show_expr(e.cond)} then {show_expr(e.then)} else {show_expr(e.else_)}"
        return f"({text})" if ctx > 0 else text
    if isinstance(e, ast.Quant):
        text = f"{e.kind} {e.var} in {_domain(e.domain)}: {show_expr(e.body)}"
        return f"({text})" if ctx > 0 else text
    raise AssertionError(f"unknown expression {e!r}")


def _block(stmts: tuple[ast.Stmt, ...], indent: int) -> list[str]:
    out = []
    for s in stmts:
        out += _stmt(s, indent)
    return out


def _braced(head: str, body: tuple[ast.Stmt, ...], indent: int) -> list[str]:
    pad = "    " * indent
    if not body:
        return [f"{pad}{head}{{ }}"]
    return [f"{pad}{head}{{"] + _block(body, indent + 1) + [f"{pad}}}"]


def _stmt(s: ast.Stmt, indent: int) -> list[str]:
    pad = "    " * indent
    if isinstance(s, ast.Assign):
        return [f"{pad}{show_expr(s.target)} {s.op} {show_expr(s.value)}"]
    if isinstance(s, ast.If):
        lines: list[str] = []
        for i, (cond, body) in enumerate(s.branches):
            head = f"if {show_expr(cond)} " if i == 0 else f"else if {show_expr(cond)} "
            part = _braced(head, body, indent)
            if i > 0:
                lines[-1] = lines[-1] + " " + part[0].strip()
                part = part[1:]
            lines += part
        if s.else_body is not None:
            part = _braced("else ", s.else_body, indent)
            lines[-1] = lines[-1] + " " + part[0].strip()
            lines += part[1:]
        return lines
    if isinstance(s, ast.Either):
        lines = []
        for i, body in enumerate(s.branches):
            part = _braced("either " if i == 0 else "or ", body, indent)
            if i > 0:
                lines[-1] = lines[-1] + " " + part[0].strip()
                part = part[1:]
            lines += part
        return lines
    if isinstance(s, ast.Choose):
        return _braced(f"choose {s.var} in {_domain(s.domain)} ", s.body, indent)
    if isinstance(s, ast.Assert):
        msg = f", {_quote(s.message)}" if s.message is not None else ""
        return [f"{pad}assert {show_expr(s.cond)}{msg}"]
    if isinstance(s, ast.Goto):
        return [f"{pad}goto {s.label}"]
    if isinstance(s, ast.End):
        return [f"{pad}end"]
    if isinstance(s, ast.Skip):
        return [f"{pad}skip"]
    if isinstance(s, ast.CallStmt):
        return [f"{pad}{s.name}({', '.join(show_expr(a) for a in s.args)})"]
    raise AssertionError(f"unknown statement {s!r}")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _params(ps: tuple[ast.Param, ...]) -> str:
    return ", ".join(f"{p.name}: {show_type(p.type)}" for p in ps)


def _var(v: ast.VarDecl | ast.FieldDecl, prefix: str) -> str:
    init = f" = {show_expr(v.init)}" if v.init is not None else ""
    return f"{prefix}{v.name}: {show_type(v.type)}{init}"


def _decl(d: ast.Decl) -> list[str]:
    if isinstance(d, ast.Use):
        return [f"use {_quote(d.path)}"]
    if isinstance(d, ast.Const):
        return [f"const {d.name} = {show_expr(d.value)}"]
    if isinstance(d, ast.EnumDecl):
        return [f"enum {d.name} {{ {', '.join(d.members)} }}"]
    if isinstance(d, ast.StructDecl):
        return [f"struct {d.name} {{"] + [_var(f, "    ") for f in d.fields] + ["}"]
    if isinstance(d, ast.PageDecl):
        size = f"[{show_expr(d.size)}]" if d.size is not None else ""
        struct = f": {d.struct}" if d.struct is not None else ""
        head = f"{'symmetric ' if d.symmetric else ''}page {d.name}{size}{struct}"
        body = [_var(f, "    ") for f in d.fields] + [f"    {i.name} = {show_expr(i.value)}" for i in d.inits]
        if d.struct is not None and not body:
            return [head]
        return [head + " {"] + body + ["}"]
    if isinstance(d, ast.VarDecl):
        return [_var(d, "var ")]
    if isinstance(d, ast.FnDecl):
        kw = "rule" if d.is_rule else "fn"
        return [f"{kw} {d.name}({_params(d.params)}) -> {show_type(d.ret)} = {show_expr(d.body)}"]
    if isinstance(d, ast.ProcDecl):
        kw = "rule" if d.is_rule else "proc"
        return _braced(f"{kw} {d.name}({_params(d.params)}) ", d.body, 0)
    if isinstance(d, ast.InstanceDecl):
        count = f"[{show_expr(d.count)}]" if d.count is not None else ""
        return [f"{d.kind} {d.name}{count} = {d.template}({', '.join(show_expr(a) for a in d.args)})"]
    if isinstance(d, (ast.ActorDecl, ast.TemplateDecl)):
        if isinstance(d, ast.TemplateDecl):
            lines = [f"template {d.kind} {d.name}({_params(d.params)}) {{"]
        else:
            count = f"[{show_expr(d.count)}]" if d.count is not None else ""
            lines = [f"{d.kind} {d.name}{count} {{"]
        lines += [_var(v, "    var ") for v in d.locals]
        for st in d.steps:
            guard = f"when {show_expr(st.guard)} " if st.guard is not None else ""
            lines += _braced(f"{st.label}: {guard}", st.body, 1)
        return lines + ["}"]
    if isinstance(d, ast.PropertyDecl):
        return [f"{d.kind} {d.name}: {show_expr(d.expr)}"]
    if isinstance(d, ast.ExpectDecl):
        spec = f"{d.spec}: " if d.spec else ""
        return [f"expect {spec}{d.prop} {d.verdict}"]
    if isinstance(d, ast.AllowDecl):
        return [f"allow {d.what}"]
    raise AssertionError(f"unknown declaration {d!r}")


def show_file(f: ast.File) -> str:
    """The whole file as normalised text, one declaration per paragraph."""
    lines: list[str] = []
    if f.kind != "library":
        desc = f" {_quote(f.description)}" if f.description is not None else ""
        lines.append(f"{f.kind} {f.name}{desc}")
        if f.targets:
            lines.append(f"for {', '.join(f.targets)}")
    prev = None
    for d in f.items:
        kind = type(d)
        if lines and (kind is not prev or kind in (ast.StructDecl, ast.PageDecl, ast.ActorDecl, ast.TemplateDecl, ast.ProcDecl)):
            lines.append("")
        lines += _decl(d)
        prev = kind
    return "\n".join(lines) + "\n"
