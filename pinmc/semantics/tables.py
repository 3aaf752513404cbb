"""Declaration tables shared by the elaboration passes."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from pinmc.diagnostics import Collector
from pinmc.ir.nodes import Expr
from pinmc.ir.system import StateVar
from pinmc.ir.types import EnumT, Type
from pinmc.source import Span
from pinmc.syntax import ast


@dataclass
class PageInfo:
    """A page or page array: its fields and where they live in the state."""

    decl: ast.PageDecl
    size: int | None  # None: a single page
    fields: dict[str, Type]
    slots: list[dict[str, int]]  # per element: field -> slot

    @property
    def name(self) -> str:
        return self.decl.name

    def element_name(self, k: int) -> str:
        return self.name if self.size is None else f"{self.name}[{k}]"


@dataclass
class ActorInfo:
    """An actor declaration and its instances' slots."""

    decl: ast.ActorDecl
    count: int | None  # None: a single instance
    locals: dict[str, Type]
    local_slots: list[dict[str, int]]  # per instance
    pc_slots: list[int]  # per instance; empty for daemons
    labels: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def is_thread(self) -> bool:
        return self.decl.kind == "thread"

    def instance_name(self, k: int) -> str:
        return self.name if self.count is None else f"{self.name}[{k}]"


@dataclass
class Tables:
    """Everything declared at the top level, after merging `use`d files and
    applying a proposal."""

    diags: Collector
    consts: dict[str, int] = field(default_factory=dict)
    const_decls: dict[str, ast.Const] = field(default_factory=dict)
    enums: dict[str, EnumT] = field(default_factory=dict)
    members: dict[str, tuple[EnumT, int]] = field(default_factory=dict)
    pages: dict[str, PageInfo] = field(default_factory=dict)
    globals: dict[str, int] = field(default_factory=dict)
    fns: dict[str, ast.FnDecl] = field(default_factory=dict)
    procs: dict[str, ast.ProcDecl] = field(default_factory=dict)
    actors: dict[str, ActorInfo] = field(default_factory=dict)
    vars: list[StateVar] = field(default_factory=list)
    decl_spans: dict[str, Span | None] = field(default_factory=dict)
    props: dict[str, ast.PropertyDecl] = field(default_factory=dict)

    def all_names(self) -> list[str]:
        return sorted(set(self.consts) | set(self.enums) | set(self.members) | set(self.pages)
                      | set(self.globals) | set(self.fns) | set(self.procs) | set(self.actors))

    def add_var(self, var: StateVar) -> int:
        self.vars.append(var)
        return len(self.vars) - 1


def did_you_mean(name: str, candidates: list[str] | set[str]) -> str:
    match = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


@dataclass(frozen=True)
class PageVal:
    """A page in an expression: one element of `info`, maybe at a dynamic index."""

    info: PageInfo
    index: int | Expr | None


@dataclass(frozen=True)
class ActorVal:
    info: ActorInfo
    index: int | Expr | None


@dataclass(frozen=True)
class ArrayName:
    """A bare page- or actor-array name, before indexing."""

    page: PageInfo | None
    actor: ActorInfo | None
