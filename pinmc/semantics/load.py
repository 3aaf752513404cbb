"""Loading: a spec file, the files it `use`s, and an optional proposal.

The result is a `Unit`: the spec's and used files' declarations merged in
order, with the proposal's rules replacing the spec's (signatures checked),
then structs and templates expanded (`expand`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pinmc.diagnostics import Collector, Diagnostic, Note, SpecError
from pinmc.syntax import ast
from pinmc.semantics.expand import expand
from pinmc.semantics.tables import did_you_mean
from pinmc.syntax.parser import parse_file
from pinmc.syntax.printer import show_type


@dataclass(frozen=True)
class Unit:
    """A spec ready for elaboration."""

    spec: ast.File
    items: tuple[ast.Decl, ...]  # used files' declarations first, then the spec's
    proposal: ast.File | None
    files: tuple[str, ...]


def library_dir() -> Path:
    """Where `use "kernel/..."` finds the library that ships with pinmc."""
    return Path(str(resources.files("pinmc").joinpath("lib")))


def _resolve_use(base: str, use: ast.Use) -> tuple[Path, str] | None:
    """The file a `use` names, and the name to show it under: its path
    beside the using file, or `pinmc/lib/...` for a library file (the same
    on every machine, so reports and traces do not depend on where pinmc
    is installed)."""
    lib = library_dir().resolve()
    for candidate in (Path(base).parent / use.path, library_dir() / use.path):
        if candidate.is_file():
            real = candidate.resolve()
            if real.is_relative_to(lib):
                return candidate, f"pinmc/lib/{real.relative_to(lib).as_posix()}"
            return candidate, str(candidate)
    return None


def _collect(file: ast.File, diags: Collector, seen: dict[str, None], stack: tuple[str, ...]) -> list[ast.Decl]:
    """Declarations of `file`, preceded by those of the files it uses."""
    items: list[ast.Decl] = []
    for item in file.items:
        if not isinstance(item, ast.Use):
            items.append(item)
            continue
        found = _resolve_use(file.path, item)
        if found is None:
            diags.error("PIN207", f"cannot find \"{item.path}\" (looked beside {file.path} and in "
                        f"the pinmc library)", item.span)
            continue
        path, shown = found
        key = str(path.resolve())
        if key in stack:
            diags.error("PIN408", f"\"{item.path}\" uses itself (through {' -> '.join(stack)})", item.span)
            continue
        if key in seen:
            continue
        seen[key] = None
        used = parse_file(str(path), shown)
        items += [d for d in _collect(used, diags, seen, stack + (key,))
                  if not isinstance(d, (ast.ExpectDecl, ast.AllowDecl))]
    return items


def load(spec_path: str, proposal_path: str | None = None, extra: str | None = None) -> Unit:
    """Parse the spec, the files it uses and the proposal; apply the
    proposal; append the lemmas of `extra` (a file of `lemma` lines)."""
    spec = parse_file(spec_path)
    diags = Collector()
    if spec.kind != "spec":
        message = (f"{spec_path} is a proposal; pass a spec, and the proposal with --proposal"
                   if spec.kind == "proposal" else f"{spec_path} has no header: a spec starts with 'spec NAME'")
        raise SpecError([Diagnostic("PIN105", message, spec.span)])
    seen: dict[str, None] = {str(Path(spec_path).resolve()): None}
    items = _collect(spec, diags, seen, (str(Path(spec_path).resolve()),))
    proposal = None
    if proposal_path is not None:
        proposal = parse_file(proposal_path)
        if proposal.kind != "proposal":
            raise SpecError([Diagnostic("PIN105", f"{proposal_path} is not a proposal: a proposal "
                                        "starts with 'proposal NAME'", proposal.span)])
        items = apply_proposal(spec, items, proposal, diags, seen)
    if extra is not None:
        lemmas = parse_file(extra)
        for d in lemmas.items:
            if isinstance(d, ast.PropertyDecl) and d.kind == "lemma":
                items.append(d)
            else:
                diags.error("PIN105", "a certificate file holds only 'lemma NAME: EXPR' lines", d.span)
    diags.raise_if_any()
    items = expand(items, diags)
    diags.raise_if_any()
    return Unit(spec, tuple(items), proposal, tuple(seen))


def _signature(d: ast.FnDecl | ast.ProcDecl) -> tuple[object, ...]:
    params = tuple(p.type for p in d.params)
    return ("fn", params, d.ret) if isinstance(d, ast.FnDecl) else ("proc", params)


def _show_sig(d: ast.FnDecl | ast.ProcDecl) -> str:
    params = ", ".join(f"{p.name}: {show_type(p.type)}" for p in d.params)
    ret = f" -> {show_type(d.ret)}" if isinstance(d, ast.FnDecl) else " { ... }"
    return f"rule {d.name}({params}){ret}"


def apply_proposal(spec: ast.File, items: list[ast.Decl], proposal: ast.File, diags: Collector,
                   seen: dict[str, None]) -> list[ast.Decl]:
    """Replace the spec's rules by the proposal's (same name, same signature)."""
    if proposal.targets and spec.name not in proposal.targets:
        diags.error("PIN210", f"proposal {proposal.name} is for {', '.join(proposal.targets)}, "
                    f"not for spec {spec.name}", proposal.span)
        return items
    rules = {d.name: i for i, d in enumerate(items)
             if isinstance(d, (ast.FnDecl, ast.ProcDecl)) and d.is_rule}
    out = list(items)
    extra: list[ast.Decl] = []
    prop_items = _collect(proposal, diags, seen, (proposal.path,))
    for d in prop_items:
        if isinstance(d, (ast.FnDecl, ast.ProcDecl)) and d.is_rule:
            if d.name not in rules:
                names = sorted(rules)
                diags.error("PIN403", f"proposal {proposal.name} replaces rule '{d.name}', which spec "
                            f"{spec.name} does not declare{did_you_mean(d.name, names)}", d.span)
                continue
            old = out[rules[d.name]]
            assert isinstance(old, (ast.FnDecl, ast.ProcDecl))
            if _signature(old) != _signature(d):
                diags.error("PIN402", f"'{d.name}' does not match the rule it replaces: expected "
                            f"{_show_sig(old)}", d.span, Note("the rule is declared here", old.span))
                continue
            out[rules[d.name]] = d
        elif isinstance(d, (ast.PageDecl, ast.VarDecl, ast.ActorDecl, ast.InstanceDecl)):
            diags.error("PIN409", f"a proposal may not declare {type(d).__name__.replace('Decl', '').lower()} "
                        f"'{d.name}': it replaces rules and adds no state", d.span)
        elif isinstance(d, (ast.ExpectDecl, ast.AllowDecl)):
            continue
        else:
            extra.append(d)
    return out + extra
