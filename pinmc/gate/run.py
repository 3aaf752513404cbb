"""Running the gate: decide every pair (or take it from the cache or the
baseline), compare, and assemble the gate document (`pinmc.gate/1`,
docs/gate.md), from which every output is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from pinmc import __version__
from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.engines.base import EngineError, Options, Result
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.prove import ProveOptions, prove
from pinmc.gate.cache import Cache, cache_key, code_digest
from pinmc.gate.compare import FAIL, PASS, UNKNOWN, compare, outcome
from pinmc.gate.plan import Pair
from pinmc.ir.system import System
from pinmc.report.graph import DEFAULT_LIMIT, build
from pinmc.report.json import SCHEMA as RESULT_SCHEMA
from pinmc.report.json import result_json
from pinmc.semantics.elaborate import elaborate
from pinmc.semantics.load import load
from pinmc.semantics.lower import lower
from pinmc.status import INCONCLUSIVE, OK, USAGE, VIOLATED
from pinmc.suite import PROVE_TIMEOUT, Job, decide, interrupted
from pinmc.syntax import ast

SCHEMA = "pinmc.gate/1"


@dataclass(frozen=True)
class Settings:
    """How pairs are decided: engine, bounds, constants."""

    engine: str = "auto"  # auto | explicit | prove
    options: Options = Options()
    prove: ProveOptions = ProveOptions(timeout=PROVE_TIMEOUT)
    graph_limit: int = DEFAULT_LIMIT
    constants: dict[str, int] = field(default_factory=dict)  # for every spec that declares them
    spec_constants: dict[str, dict[str, int]] = field(default_factory=dict)  # spec name -> constants
    allow_unknown: bool = False
    timing: bool = True

    def key_settings(self) -> dict[str, Any]:
        o, p = self.options, self.prove
        return {"engine": self.engine, "max_states": o.max_states, "max_depth": o.max_depth,
                "prove_engine": p.engine, "prove_depth": p.depth, "prove_timeout": p.timeout,
                "graph_limit": self.graph_limit, "timing": self.timing,
                **{k: v for k, v in (("timeout", o.timeout), ("memory", o.memory), ("prove_memory", p.memory))
                   if v is not None}}


def load_baseline(path: str) -> dict[tuple[str, str | None], dict[str, Any]]:
    """A saved run's results by (spec name, proposal name or None): the
    `results.json` of an earlier gate run (`pinmc.gate/1`) or the output
    of `pinmc check --format json` (`pinmc.result/1`).  Raises SpecError
    (PIN503) saying what is wrong with the file."""
    def bad(why: str) -> SpecError:
        return SpecError([Diagnostic("PIN503", f"baseline {path}: {why}")])

    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise bad(f"cannot read: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise bad(f"not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("schema") not in (SCHEMA, RESULT_SCHEMA):
        raise bad(f"not a pinmc result (expected \"schema\": \"{SCHEMA}\" or \"{RESULT_SCHEMA}\")")
    try:
        index = {(r["spec"], r["proposal"]): r for r in doc["results"]}
        for r in index.values():
            for p in r["properties"]:
                p["name"], p["verdict"], p["failed"]
    except (KeyError, TypeError) as e:
        raise bad(f"malformed result (missing {e})") from None
    return index


@dataclass
class Run:
    """What a gate run produced: the document, the files with errors,
    and whether Ctrl-C cut it short."""

    doc: dict[str, Any]
    errors: list[SpecError]
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)


class _Decider:
    def __init__(self, settings: Settings, cache: Cache, progress: Callable[[str], None] | None):
        self.settings, self.cache, self.progress = settings, cache, progress
        self.code = code_digest() if cache.directory is not None else ""
        self.hits = self.misses = 0
        self.used: set[str] = set()  # constants some spec declared
        self.specs: set[str] = set()  # specs loaded

    def constants(self, spec: ast.File, declared: set[str]) -> dict[str, int]:
        """The constants set for this spec: those of every spec that it
        declares, then its own (an undeclared one of its own is PIN2xx)."""
        chosen = {k: v for k, v in self.settings.constants.items() if k in declared}
        chosen.update(self.settings.spec_constants.get(spec.name, {}))
        self.used.update(chosen)
        self.specs.add(spec.name)
        return chosen

    def result(self, pair: Pair) -> tuple[dict[str, Any], str]:
        """The JSON result of one pair and where it came from (`checked`
        or `cache`); raises SpecError for a spec that does not compile."""
        unit = load(pair.spec, pair.proposal)
        declared = {d.name for d in unit.items if isinstance(d, ast.Const)}
        defines = self.constants(unit.spec, declared)
        system = lower(elaborate(unit, defines))
        key = ""
        if self.cache.directory is not None:
            files = [pair.spec, *([pair.proposal] if pair.proposal else []), *system.files]
            # the paths too: a result names its files (traces, locations, expect lines)
            settings = {**self.settings.key_settings(), "spec_path": pair.spec, "proposal_path": pair.proposal}
            key = cache_key(self.code, files, defines, settings)
            hit = self.cache.get(key)
            if hit is not None:
                self.hits += 1
                return hit, "cache"
        self.misses += 1
        if self.progress is not None:
            self.progress(f"checking {system.name}" + (f" + {system.proposal}" if system.proposal else ""))
        system, result = self._decide(system, pair, defines)
        doc = result_json(system, result, pair.spec, pair.proposal, self.settings.timing,
                          build(system, result, self.settings.graph_limit))
        if key and not _machine_bound(doc):
            self.cache.put(key, doc)
        return doc, "checked"

    def _decide(self, system: System, pair: Pair, defines: dict[str, int]) -> tuple[System, Result]:
        s = self.settings
        if s.engine == "prove":
            system, result = prove(pair.spec, pair.proposal, defines, s.prove)
            if interrupted(result):
                raise KeyboardInterrupt
            return system, result
        if s.engine == "explicit":
            try:
                result = check(system, s.options)
            except EngineError as e:
                raise SpecError([Diagnostic(e.code, f"{e.message} (the prover can: --engine prove or auto)",
                                            e.span)]) from None  # type: ignore[arg-type]
            if interrupted(result):
                raise KeyboardInterrupt
            return system, result
        return decide(Job(pair.spec, pair.proposal), s.options, defines, s.prove)


def _machine_bound(doc: dict[str, Any]) -> bool:
    """A result cut short by --timeout or --memory: another run (another
    machine, a quieter one) may decide more, so it is not cached."""
    limit = doc["stats"].get("limit") or ""
    return "--timeout" in limit or "--memory" in limit


def run_gate(pairs: list[Pair], settings: Settings, cache: Cache,
             baseline: dict[tuple[str, str | None], dict[str, Any]] | None = None,
             errors: list[SpecError] | None = None,
             progress: Callable[[str], None] | None = None) -> Run:
    """Decide every pair and compare: a proposal's pair with the spec
    alone (from `baseline` when it has it, else checked), a spec's own pair
    with `baseline` when given.  Ctrl-C stops the run; what was decided is
    kept."""
    run = Run({}, list(errors or []))
    decider = _Decider(settings, cache, progress)
    results: list[dict[str, Any]] = []
    where: dict[tuple[str, str, str | None], tuple[int, str]] = {}
    failed: set[Pair] = set()

    def get(pair: Pair) -> tuple[int, str] | None:
        k = ("run", pair.spec, pair.proposal)
        if k not in where:
            if pair in failed:
                return None
            try:
                doc, origin = decider.result(pair)
            except SpecError as e:
                failed.add(pair)
                run.errors.append(e)
                return None
            results.append(doc)
            where[k] = (len(results) - 1, origin)
        return where[k]

    def from_baseline(spec_name: str) -> tuple[int, str] | None:
        if baseline is None or (spec_name, None) not in baseline:
            return None
        k = ("baseline", spec_name, None)
        if k not in where:
            results.append(baseline[(spec_name, None)])
            where[k] = (len(results) - 1, "baseline")
        return where[k]

    gated: list[dict[str, Any]] = []
    try:
        for pair in pairs:
            after = get(pair)
            if after is None:
                continue
            a = results[after[0]]
            before: tuple[int, str] | None = from_baseline(a["spec"])
            if before is None and pair.proposal is not None:
                if baseline is not None:
                    run.notes.append(f"{a['spec']} is not in the baseline: checked")
                before = get(Pair(pair.spec, None))
                if before is None:
                    continue
            b = results[before[0]] if before is not None else None
            props = compare(b, a, pair.proposal)
            gated.append({
                "spec": a["spec"], "spec_file": pair.spec, "proposal": a["proposal"],
                "proposal_file": pair.proposal,
                "before": before[0] if before else None, "before_from": before[1] if before else None,
                "after": after[0], "after_from": after[1],
                "outcome": outcome([p["outcome"] for p in props]), "properties": props})
    except KeyboardInterrupt:
        run.interrupted = True
    run.notes += [f"constant {name} is declared by no spec gated; it was not used"
                  for name in sorted(set(settings.constants) - decider.used)]
    run.notes += [f"[tool.pinmc.constants.{name}] names no spec gated; it was not used"
                  for name in sorted(set(settings.spec_constants) - decider.specs)]
    overall = outcome([g["outcome"] for g in gated])
    exit_code = _exit(overall, settings.allow_unknown, bool(run.errors), run.interrupted)
    run.doc = {
        "schema": SCHEMA, "pinmc": __version__, "exit": exit_code, "outcome": overall,
        "engine": settings.engine, "allow_unknown": settings.allow_unknown,
        "interrupted": run.interrupted,
        "cache": {"dir": str(cache.directory) if cache.directory else None,
                  "hits": decider.hits, "misses": decider.misses},
        "gated": gated, "results": results,
    }
    return run


def _exit(overall: str, allow_unknown: bool, errors: bool, interrupted: bool) -> int:
    if errors:
        return USAGE
    if overall == FAIL:
        return VIOLATED
    if interrupted or (overall == UNKNOWN and not allow_unknown):
        return INCONCLUSIVE
    assert overall in (PASS, UNKNOWN)
    return OK

