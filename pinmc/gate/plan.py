"""Which (spec, proposal) pairs a gate run checks.

Inputs are `.pin` files or directories of them:
  - a proposal is gated on each spec it targets (its `for` list, or every
    spec that declares, itself or in a file it uses, a rule the proposal
    replaces), the specs being looked up by name in the spec directories;
  - a spec is gated against its own `expect` lines;
  - a file that is neither (a library of `use`d declarations) gates every
    spec of the spec directories that uses it.
With no inputs, every spec of the spec directories is gated against its
own `expect` lines (a regression suite).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.semantics.load import Unit, load
from pinmc.suite import discover
from pinmc.syntax import ast
from pinmc.syntax.parser import parse_file


@dataclass(frozen=True)
class Pair:
    """A spec file, and the proposal file applied to it (None: the spec
    gated against its own expect lines)."""

    spec: str
    proposal: str | None


def _rules(items: tuple[ast.Decl, ...]) -> set[str]:
    return {d.name for d in items if isinstance(d, (ast.FnDecl, ast.ProcDecl)) and d.is_rule}


class _Pool:
    """The specs of the spec directories, by name, loaded on demand."""

    def __init__(self, files: list[ast.File]):
        self.by_name: dict[str, ast.File] = {}
        for f in files:
            self.by_name.setdefault(f.name, f)
        self._units: dict[str, Unit | None] = {}

    def unit(self, spec: ast.File) -> Unit | None:
        """The loaded spec (with its used files), or None if it has errors
        (they are reported when the spec itself is gated)."""
        if spec.path not in self._units:
            try:
                self._units[spec.path] = load(spec.path)
            except SpecError:
                self._units[spec.path] = None
        return self._units[spec.path]


def plan_gate(inputs: list[str], spec_dirs: list[str], errors: list[SpecError]) -> list[Pair]:
    """The pairs to gate, in input order, without repeats; files that do
    not parse and proposals whose targets are missing go to `errors`."""
    named: list[ast.File] = []
    for f in discover(inputs):
        try:
            named.append(parse_file(f))
        except SpecError as e:
            errors.append(e)
    pool_files: list[ast.File] = [f for f in named if f.kind == "spec"]
    named_paths = {Path(f.path).resolve() for f in pool_files}
    for f in discover(spec_dirs):
        if Path(f).resolve() in named_paths:
            continue
        try:
            parsed = parse_file(f)
        except SpecError as e:
            if not inputs:
                errors.append(e)
            continue
        if parsed.kind == "spec":
            pool_files.append(parsed)
    pool = _Pool(pool_files)
    pairs: list[Pair] = []
    if not inputs:
        pairs = [Pair(f.path, None) for f in pool_files]
    for f in named:
        if f.kind == "spec":
            pairs.append(Pair(f.path, None))
        elif f.kind == "proposal":
            pairs += _targets(f, pool, errors)
        else:
            used = str(Path(f.path).resolve())
            pairs += [Pair(s.path, None) for s in pool_files
                      if (u := pool.unit(s)) is not None and used in u.files]
    return list(dict.fromkeys(pairs))


def _targets(proposal: ast.File, pool: _Pool, errors: list[SpecError]) -> list[Pair]:
    if proposal.targets:
        out = []
        for name in proposal.targets:
            spec = pool.by_name.get(name)
            if spec is None:
                errors.append(SpecError([Diagnostic(
                    "PIN210", f"proposal {proposal.name} targets spec '{name}', which is not in the "
                    f"spec directories ({', '.join(sorted(pool.by_name)) or 'none found'}); name them "
                    "with --specs DIR or [tool.pinmc] specs", proposal.span)]))
            else:
                out.append(Pair(spec.path, proposal.path))
        return out
    replaced = _rules(proposal.items)
    out = [Pair(s.path, proposal.path) for s in pool.by_name.values()
           if (u := pool.unit(s)) is not None and _rules(u.items) & replaced]
    if not out:
        errors.append(SpecError([Diagnostic(
            "PIN210", f"proposal {proposal.name} replaces {', '.join(sorted(replaced)) or 'no rule'}, "
            "which no spec in the spec directories declares", proposal.span)]))
    return out
