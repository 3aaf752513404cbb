"""`pinmc test`: run every spec and proposal under some paths and compare
each verdict with its expectation.  No printing here; the CLI does that."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.engines.base import UNKNOWN, EngineError, Options, Result
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.prove import ProveOptions, prove
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec
from pinmc.syntax import ast
from pinmc.syntax.parser import parse_file


# the prover's budget for what the explicit engine leaves open; the portfolio
# stops as soon as every property is settled, so a generous budget costs
# nothing when the proofs come quickly, and keeps a loaded machine decisive
PROVE_TIMEOUT = 60.0


@dataclass(frozen=True)
class Row:
    """One expectation and what the checker found."""

    file: str  # the file that states the expectation
    spec: str
    proposal: str | None
    prop: str
    expected: str
    got: str
    engine: str

    @property
    def met(self) -> bool:
        return self.expected == self.got

    @property
    def unknown(self) -> bool:
        return self.got == UNKNOWN


@dataclass
class Job:
    spec_path: str
    proposal_path: str | None


@dataclass(frozen=True)
class Vacuous:
    """A `reachable` property never reached: the spec may be vacuous (its
    actors never get where the property looks), whatever its expect line."""

    spec: str
    proposal: str | None
    prop: str

    @property
    def label(self) -> str:
        """`spec` or `spec + proposal`, as the text table names a check."""
        return self.spec + (f" + {self.proposal}" if self.proposal else "")


@dataclass
class SuiteResult:
    rows: list[Row] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    results: list[tuple[System, Result, Job]] = field(default_factory=list)
    vacuous: list[Vacuous] = field(default_factory=list)  # in the order of the checks


def discover(paths: list[str]) -> list[str]:
    """Every `.pin` file named or under the given directories, sorted."""
    files: list[str] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files += [str(f) for f in sorted(path.rglob("*.pin"))]
        else:
            files.append(str(path))
    return files


def _rules(f: ast.File) -> set[str]:
    return {d.name for d in f.items if isinstance(d, (ast.FnDecl, ast.ProcDecl)) and d.is_rule}


def plan(files: list[str], errors: list[SpecError]) -> list[Job]:
    """Pair specs with the proposals that target them."""
    parsed: list[ast.File] = []
    for f in files:
        try:
            parsed.append(parse_file(f))
        except SpecError as e:
            errors.append(e)
    specs = {f.name: f for f in parsed if f.kind == "spec"}
    jobs = [Job(f.path, None) for f in parsed if f.kind == "spec"]
    for prop in (f for f in parsed if f.kind == "proposal"):
        targets = list(prop.targets) or sorted(n for n, s in specs.items() if _rules(s) & _rules(prop))
        for name in targets:
            if name in specs:
                jobs.append(Job(specs[name].path, prop.path))
            else:
                errors.append(SpecError([Diagnostic("PIN210", f"proposal {prop.name} targets spec "
                                                    f"'{name}', which is not among the files tested",
                                                    prop.span)]))
    return jobs


def interrupted(result: Result) -> bool:
    """The search or the prover was stopped by Ctrl-C (it returns what it had)."""
    return bool(result.stats.limit) and result.stats.limit.startswith("interrupted")


def decide(job: Job, options: Options, defines: dict[str, int] | None,
           prove_options: ProveOptions = ProveOptions(timeout=PROVE_TIMEOUT)) -> tuple[System, Result]:
    """The explicit engine first; the prover for what it cannot decide
    (a choose too wide to enumerate, or a bound hit).  Ctrl-C during the
    search raises KeyboardInterrupt.  The limits of `options` (--timeout,
    --memory) bound the prover too: each engine gets at most that time."""
    prove_options = bounded(prove_options, options)
    system = compile_spec(job.spec_path, job.proposal_path, defines)
    try:
        result = check(system, options)
    except EngineError:
        system, proved = prove(job.spec_path, job.proposal_path, defines, prove_options)
        if interrupted(proved):
            raise KeyboardInterrupt from None
        return system, proved
    if interrupted(result):
        raise KeyboardInterrupt  # Ctrl-C stops the run, not just this search
    if all(v.status != UNKNOWN for v in result.verdicts):
        return system, result
    _, proved = prove(job.spec_path, job.proposal_path, defines, prove_options)
    if interrupted(proved):
        raise KeyboardInterrupt
    merged = tuple(p if v.status == UNKNOWN else v for v, p in zip(result.verdicts, proved.verdicts))
    stats = result.stats
    if proved.stats.limit and any(v.status == UNKNOWN for v in merged):
        stats = replace(stats, limit=f"{stats.limit}, then the prover's {proved.stats.limit}")
    return system, replace(result, verdicts=merged, stats=stats)


def bounded(prove_options: ProveOptions, options: Options) -> ProveOptions:
    """The prover's options under a run's limits: `options.timeout` caps
    its time, `options.memory` is its memory limit unless it has one."""
    timeout = prove_options.timeout if options.timeout is None else min(prove_options.timeout, options.timeout)
    memory = prove_options.memory if prove_options.memory is not None else options.memory
    return replace(prove_options, timeout=timeout, memory=memory)


def run_suite(paths: list[str], options: Options = Options(),
              defines: dict[str, int] | None = None,
              prove_options: ProveOptions = ProveOptions(timeout=PROVE_TIMEOUT)) -> SuiteResult:
    """Decide every job and compare with the expectations."""
    out = SuiteResult()
    for job in plan(discover(paths), out.errors):
        try:
            system, result = decide(job, options, defines, prove_options)
        except SpecError as e:
            out.errors.append(e)
            continue
        out.results.append((system, result, job))
        for e in system.expectations:
            v = result.verdict(e.prop)
            out.rows.append(Row(e.origin, system.name, system.proposal, e.prop, e.verdict, v.status, v.engine))
        for v in result.verdicts:
            if v.kind == "reachable" and v.status == "unreachable":
                out.vacuous.append(Vacuous(system.name, system.proposal, v.prop))
    return out
