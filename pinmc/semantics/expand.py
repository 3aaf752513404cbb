"""Expansion: structs into page fields, templates into actors.

Runs on the loaded declarations (spec, used files, proposal applied) and
returns declarations without `struct`, `template` or instances, so the
rest of the pipeline never sees them:

* `page X: folio { f = 3; g: bool = true }` becomes a page with every field
  of `struct folio` (in the struct's order, initial values replaced where
  the page says `f = ...`), then the page's own fields.
* `thread dio = dio_read(X, 1)` becomes `thread dio { ... }` with the
  template's locals and steps, each parameter replaced by its argument
  (like a macro argument: a page reference for a `page` parameter, any
  expression otherwise, type-checked where it is used).  A name bound
  inside the body by `choose` or a quantifier hides a parameter of the
  same name.  The steps keep the template's source spans, so traces point
  at the template's lines.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pinmc.diagnostics import Collector, Note
from pinmc.semantics.tables import did_you_mean
from pinmc.syntax import ast


def expand(items: list[ast.Decl], diags: Collector) -> list[ast.Decl]:
    """`items` with structs and templates expanded (see the module docstring)."""
    structs: dict[str, ast.StructDecl] = {}
    templates: dict[str, ast.TemplateDecl] = {}
    for d in items:
        if isinstance(d, (ast.StructDecl, ast.TemplateDecl)):
            table: dict[str, Any] = structs if isinstance(d, ast.StructDecl) else templates
            if d.name in table:
                what = "struct" if isinstance(d, ast.StructDecl) else "template"
                diags.error("PIN202", f"{what} '{d.name}' is declared twice", d.span,
                            Note("first declared here", table[d.name].span))
                continue
            table[d.name] = d
    out: list[ast.Decl] = []
    for d in items:
        if isinstance(d, (ast.StructDecl, ast.TemplateDecl)):
            continue
        if isinstance(d, ast.PageDecl) and d.struct is not None:
            out.append(_page(d, structs, diags))
        elif isinstance(d, ast.InstanceDecl):
            actor = _instance(d, templates, diags)
            if actor is not None:
                out.append(actor)
        else:
            out.append(d)
    return out


def _page(d: ast.PageDecl, structs: dict[str, ast.StructDecl], diags: Collector) -> ast.PageDecl:
    struct = structs.get(d.struct or "")
    if struct is None:
        diags.error("PIN211", f"unknown struct '{d.struct}'{did_you_mean(d.struct or '', sorted(structs))}",
                    d.span)
        return dataclasses.replace(d, struct=None, inits=())
    inits: dict[str, ast.FieldInit] = {}
    names = [f.name for f in struct.fields]
    for i in d.inits:
        if i.name not in names:
            diags.error("PIN203", f"struct {struct.name} has no field '{i.name}'{did_you_mean(i.name, names)}",
                        i.span, Note(f"struct {struct.name} is declared here", struct.span))
        elif i.name in inits:
            diags.error("PIN202", f"field '{i.name}' is given twice", i.span)
        else:
            inits[i.name] = i
    for f in d.fields:
        if f.name in names:
            diags.error("PIN202", f"field '{f.name}' is already a field of struct {struct.name}; "
                        f"write '{f.name} = VALUE' to change its initial value", f.span)
    fields = tuple(dataclasses.replace(f, init=inits[f.name].value) if f.name in inits else f
                   for f in struct.fields)
    return dataclasses.replace(d, fields=fields + tuple(f for f in d.fields if f.name not in names),
                               struct=None, inits=())


def _instance(d: ast.InstanceDecl, templates: dict[str, ast.TemplateDecl],
              diags: Collector) -> ast.ActorDecl | None:
    t = templates.get(d.template)
    if t is None:
        diags.error("PIN211", f"unknown template '{d.template}'{did_you_mean(d.template, sorted(templates))}",
                    d.span)
        return None
    if t.kind != d.kind:
        diags.error("PIN410", f"template {t.name} is a {t.kind} template: declare "
                    f"'{t.kind} {d.name} = {t.name}(...)'", d.span, Note("the template is declared here", t.span))
        return None
    if len(d.args) != len(t.params):
        diags.error("PIN305", f"template {t.name} takes {len(t.params)} argument(s), "
                    f"{len(d.args)} given", d.span, Note("the template is declared here", t.span))
        return None
    binding: dict[str, ast.Expr] = {}
    for p, a in zip(t.params, d.args):
        if isinstance(p.type, ast.NamedType) and p.type.name == "page" and not _is_page_ref(a):
            diags.error("PIN301", f"argument '{p.name}' of template {t.name} is a page: pass a page "
                        "such as X or P[1]", getattr(a, "span", None) or d.span)
            return None
        binding[p.name] = a
    for v in t.locals:
        if v.name in binding:
            diags.error("PIN202", f"local '{v.name}' of template {t.name} has the name of a parameter", v.span)
            return None
    locals_ = tuple(_subst(v, binding) for v in t.locals)
    steps = tuple(_subst(s, binding) for s in t.steps)
    return ast.ActorDecl(d.kind, d.name, d.count, locals_, steps, span=d.span)


def _is_page_ref(e: ast.Expr) -> bool:
    return isinstance(e, ast.NameRef) or (isinstance(e, ast.Index) and isinstance(e.obj, ast.NameRef))


def _subst(node: Any, binding: dict[str, ast.Expr]) -> Any:
    """`node` with free occurrences of the bound names replaced."""
    if not binding:
        return node
    if isinstance(node, ast.NameRef):
        return binding.get(node.name, node)
    if isinstance(node, tuple):
        return tuple(_subst(x, binding) for x in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    if isinstance(node, (ast.Choose, ast.Quant)):
        inner = {k: v for k, v in binding.items() if k != node.var}
        body = _subst(node.body, inner)
        return dataclasses.replace(node, domain=_subst(node.domain, binding), body=body)
    changes = {}
    for f in dataclasses.fields(node):
        if f.name == "span":
            continue
        old = getattr(node, f.name)
        new = _subst(old, binding)
        if new is not old:
            changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node
