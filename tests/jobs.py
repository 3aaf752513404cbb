"""Helpers shared by the tests: which specs of specs/ each engine can
decide, compiling a spec from text, and the figures of a result."""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

from pinmc.engines.base import EngineError
from pinmc.engines.explicit.codegen import compile_system
from pinmc.ir.system import System
from pinmc.semantics.pipeline import compile_spec


@lru_cache(maxsize=None)
def explicit_ok(spec: str, proposal: str | None = None) -> bool:
    """False for specs the explicit engine refuses (a choose too wide to
    enumerate, like specs/pin_bias_bulk.pin); those are the prover's."""
    try:
        compile_system(compile_spec(spec, proposal))
    except EngineError:
        return False
    return True


def explicit_jobs(specs: str) -> list[tuple[str, str | None]]:
    """Every (spec, proposal) job under `specs` that the explicit engine
    can check, in `pinmc test` order."""
    from pinmc.suite import discover, plan

    errors: list[object] = []
    jobs = plan(discover([specs]), errors)  # type: ignore[arg-type]
    assert not errors
    return [(j.spec_path, j.proposal_path) for j in jobs if explicit_ok(j.spec_path, j.proposal_path)]


def job_id(job: tuple[str, str | None]) -> str:
    """A test id for a job: `spec` or `spec+proposal` (file stems)."""
    spec, proposal = job
    return Path(spec).stem + (f"+{Path(proposal).stem}" if proposal else "")


def compile_text(tmp_path: Path, text: str, defines: dict[str, int] | None = None) -> System:
    """Compile a spec given as (indented) text, written to tmp_path/spec.pin."""
    path = tmp_path / "spec.pin"
    path.write_text(textwrap.dedent(text))
    return compile_spec(str(path), None, defines)


def counts(result) -> tuple[int, int, int]:  # noqa: ANN001 - an engine Result
    """(states, transitions, depth) of an explicit result."""
    return result.stats.states, result.stats.transitions, result.stats.depth


def summary(result) -> tuple:  # noqa: ANN001 - an engine Result
    """Everything a result says, traces move by move (timings left out)."""
    s = result.stats
    return ((s.states, s.transitions, s.depth, s.complete, s.limit, s.notes),
            tuple((v.prop, v.kind, v.status, v.note,
                   None if v.trace is None else tuple((st.transition, tuple(st.args)) for st in v.trace.steps))
                  for v in result.verdicts))


def random_mismatches(seeds: int, options, variants: dict, size: int = 0) -> list[str]:  # noqa: ANN001
    """Random specs 0 .. seeds-1 (tests/randomspec.py, of that size) checked with
    `options` and with each variant (name -> a function of the options):
    the variants whose summary differs, as messages naming the seed."""
    import tempfile

    from randomspec import generate

    from pinmc.engines.explicit.bfs import check

    out = []
    with tempfile.TemporaryDirectory() as d:
        for seed in range(seeds):
            system = compile_text(Path(d), generate(seed, size))
            one = summary(check(system, options))
            for name, variant in variants.items():
                if summary(check(system, variant(options))) != one:
                    out.append(f"seed {seed} (size {size}), {name}: python tests/randomspec.py {seed}")
    return out
