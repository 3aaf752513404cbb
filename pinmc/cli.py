"""The command line: the only place that prints and picks exit statuses.

Exit statuses (stable, see docs/cli.md):
  0  every property as required (check: all hold / are reachable;
     test: every expectation met)
  1  a property is violated (test: an expectation is not met)
  2  a spec or usage error
  3  inconclusive: a bound, a time limit or Ctrl-C stopped the search
  4  internal error (a bug in pinmc)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any, Callable, NoReturn

from pinmc import __version__
from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.engines.base import UNKNOWN, EngineError, Options, Result
from pinmc.status import INCONCLUSIVE, INTERNAL, OK, USAGE, VIOLATED, combine, status_of

if TYPE_CHECKING:
    from pinmc.suite import Vacuous


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _define(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise UsageError(f"-D {text}: expected NAME=VALUE, e.g. -D GETS=600")
    try:
        return name, int(value.replace("_", ""), 0)
    except ValueError:
        raise UsageError(f"-D {text}: '{value}' is not an integer") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is negative")
    return n


def _seconds(text: str) -> float:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not t > 0 or t == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive number of seconds")
    return t


def _size(text: str) -> int:
    from pinmc.engines.resources import parse_size

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def limit_options(sp: argparse.ArgumentParser, spill: bool = True) -> None:
    """--timeout and --memory (and, for explicit searches, --spill): limits
    that stop a run with exit 3, saying which, what was done and what is open."""
    sp.add_argument("--timeout", type=_seconds, metavar="S",
                    help="stop each search after S seconds (exit 3); in test, report and gate the prover "
                    "a search hands over to gets at most S seconds too (instead of 60)")
    sp.add_argument("--memory", type=_size, metavar="SIZE",
                    help="stop once pinmc's resident memory reaches SIZE, e.g. 512M or 2G (exit 3); "
                    "with --spill the visited set goes to disk instead")
    if spill:
        sp.add_argument("--spill", metavar="DIR",
                        help="keep the explicit search's visited set in sorted runs on disk in DIR once it "
                        "outgrows memory (half of --memory, or of the memory available): same results, slower")
        sp.add_argument("--spill-states", type=_positive, metavar="N",
                        help="with --spill: states kept in memory before a run is written (default: from --memory)")


def _cores() -> int:
    """The cores this process may run on (all of the machine's, unless restricted)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _worker_count(text: str) -> int:
    """--workers: a whole number, or `all` (the cores this process may run on)."""
    return _cores() if text == "all" else _positive(text)


def worker_options(sp: argparse.ArgumentParser) -> None:
    """--workers, --backend, --cluster, --parallel-from: where the explicit
    search runs (docs/scale.md)."""
    sp.add_argument("--workers", type=_worker_count, metavar="N",
                    help=f"explore with N worker processes (see --split; results identical to one "
                    f"process) once a BFS level holds --parallel-from states; 'all': all cores ({_cores()}). "
                    "Default: one process (with --backend ray: all cores)")
    sp.add_argument("--parallel-from", type=_positive, metavar="N",
                    help=f"hand the explicit search to the workers once a BFS level holds N states "
                    f"(default {Options.parallel_from})")
    sp.add_argument("--backend", choices=("process", "ray"),
                    help="process (default): worker processes on this machine; ray: actors on a Ray "
                    "cluster (--cluster ADDRESS, or a local one)")
    sp.add_argument("--cluster", metavar="ADDRESS",
                    help="the Ray cluster to run the partitions on, e.g. ray://head:10001 (implies --backend ray)")
    sp.add_argument("--split", choices=("auto", "stages", "hash"),
                    help="how the workers share the search: stages (2 processes: one expands, one keeps the "
                    "visited set), hash (each worker owns a hash partition of the visited set); auto (default): "
                    "stages for 2 worker processes, else hash")


def _workers(args: argparse.Namespace) -> dict[str, Any]:
    """The Options fields of worker_options."""
    if args.workers == 0:
        raise UsageError(f"pinmc {args.command}: --workers 0: at least one worker is needed")
    backend = args.backend or ("ray" if args.cluster else "process")
    if args.cluster and backend != "ray":
        raise UsageError(f"pinmc {args.command}: --cluster needs --backend ray")
    # one process by default, as TLC's -workers (docs/scale.md)
    default = _cores() if backend == "ray" else 1
    workers = args.workers or default
    split = args.split or "auto"
    if split == "stages" and (workers != 2 or backend != "process"):
        raise UsageError(f"pinmc {args.command}: --split stages needs --workers 2 and the process backend "
                         f"(one process expands, the other keeps the visited set)")
    return {"workers": workers, "backend": backend, "cluster": args.cluster, "split": split,
            "parallel_from": Options.parallel_from if args.parallel_from is None else args.parallel_from}


GRAPH_LIMIT = 150  # = report.graph.DEFAULT_LIMIT, kept here so --help needs no import


def report_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--report", metavar="DIR",
                    help="write an HTML report, the JSON result and every trace as .dot/.svg/.png into DIR")
    sp.add_argument("--graph-limit", type=_positive, default=GRAPH_LIMIT, metavar="N",
                    help=f"with --report: draw the state graph when it has at most N states (default {GRAPH_LIMIT})")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="pinmc", description="A model checker for Linux-kernel page-pinning rules.")
    p.add_argument("--version", action="version", version=f"pinmc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def bounds(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of the spec")
        sp.add_argument("--max-states", type=_positive, metavar="N", help="stop after N states (exit 3)")
        sp.add_argument("--max-depth", type=_positive, metavar="N", help="explore N steps deep at most (exit 3)")
        sp.add_argument("--expander", choices=("auto", "scalar", "vector"), default="auto",
                        help="how the explicit engine expands states (default: auto)")
        sp.add_argument("--por", action=argparse.BooleanOptionalAction, default=None,
                        help="partial-order reduction in the explicit search; verdicts and shortest traces "
                        f"are unchanged, state counts smaller (default: {'on' if Options.por else 'off'})")
        sp.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                        help="symmetry reduction over symmetric page arrays and interchangeable actor "
                        "instances; verdicts and trace lengths are unchanged, traces concrete "
                        f"(default: {'on' if Options.symmetry else 'off'})")

    c = sub.add_parser("check", help="check every property of specs, with shortest traces")
    c.add_argument("specs", nargs="+", metavar="SPEC")
    c.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec(s)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--no-time", action="store_true", help="omit timings (deterministic output)")
    report_options(c)
    bounds(c)
    limit_options(c)
    worker_options(c)

    pr = sub.add_parser("prove", help="prove or refute every property with z3, for every value")
    pr.add_argument("specs", nargs="+", metavar="SPEC")
    pr.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec(s)")
    pr.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a constant of the spec")
    pr.add_argument("--engine", choices=("auto", "bmc", "kind", "infer", "pdr"), default="auto",
                    help="auto (default): every engine in parallel, first definite answer wins")
    pr.add_argument("--depth", type=_positive, default=30, metavar="K",
                    help="BMC depth and largest k of k-induction (default 30)")
    pr.add_argument("--timeout", type=_seconds, default=60.0, metavar="S",
                    help="seconds for all properties together (default 60); then the open ones are unknown (exit 3)")
    pr.add_argument("--memory", type=_size, metavar="SIZE",
                    help="stop once the prover's processes together hold SIZE, e.g. 512M or 2G (exit 3)")
    pr.add_argument("--max-states", type=_positive, metavar="N", help=argparse.SUPPRESS)  # refused in cmd_prove
    pr.add_argument("--format", choices=("text", "json"), default="text")
    pr.add_argument("--no-time", action="store_true", help="omit timings")
    pr.add_argument("--certificate", metavar="FILE", help="re-check the certificates (lemma lines) in FILE")
    pr.add_argument("--certificate-out", metavar="FILE", help="write the certificates found to FILE")
    report_options(pr)

    rd = sub.add_parser("render", help="draw the pictures and HTML report of a saved JSON result")
    rd.add_argument("result", metavar="RESULT.json")
    rd.add_argument("-o", "--output", required=True, metavar="DIR", help="directory to write into")

    rp = sub.add_parser("report", help="write the gallery: a report for every spec and proposal, and an index")
    rp.add_argument("paths", nargs="*", default=["specs"], metavar="PATH")
    rp.add_argument("-o", "--output", required=True, metavar="DIR", help="directory to write into")
    rp.add_argument("--graph-limit", type=_positive, default=GRAPH_LIMIT, metavar="N",
                    help=f"draw state graphs of at most N states (default {GRAPH_LIMIT})")
    bounds(rp)
    limit_options(rp)
    worker_options(rp)

    t = sub.add_parser("test", help="check specs and proposals against their expect lines")
    t.add_argument("paths", nargs="*", default=["specs"], metavar="PATH")
    t.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="markdown: the suite as a table (docs/suite.md)")
    bounds(t)
    limit_options(t)
    worker_options(t)

    g = sub.add_parser("gate", help="gate proposals in CI: which properties they fix, leave broken or newly break",
                       description="Check each target spec without and with each proposal and classify every "
                       "property: fixed, still broken, newly broken, holds, unknown. With no proposal, gate the "
                       "specs against their expect lines. Settings come from [tool.pinmc] in pyproject.toml; "
                       "flags override them (docs/gate.md).")
    g.add_argument("paths", nargs="*", metavar="PROPOSAL",
                   help="proposal files (specs and used files too), or directories of them")
    g.add_argument("--specs", action="append", metavar="DIR",
                   help="where the target specs are (repeatable; default: [tool.pinmc] specs, else beside the proposals)")
    g.add_argument("--baseline", metavar="FILE",
                   help="compare with the results.json of an earlier run instead of re-checking the specs")
    g.add_argument("--engine", choices=("auto", "explicit", "prove"),
                   help="auto (default): explicit search, the prover for what it cannot decide")
    g.add_argument("--out", metavar="DIR", help="where to write the outputs (default pinmc-gate)")
    g.add_argument("--allow-unknown", action="store_true", default=None,
                   help="an undecided property does not fail the gate")
    g.add_argument("--no-cache", action="store_true", help="check everything again; neither read nor write the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="the result cache (default .pinmc-cache beside pyproject.toml)")
    g.add_argument("--config", metavar="FILE", help="read [tool.pinmc] from FILE (default: the nearest pyproject.toml)")
    g.add_argument("--no-time", action="store_true", help="omit timings (deterministic outputs)")
    g.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                   help="set a constant in every spec that declares it")
    g.add_argument("--max-states", type=_positive, metavar="N", help="explicit engine: stop after N states")
    g.add_argument("--max-depth", type=_positive, metavar="N", help="explicit engine: explore N steps deep at most")
    g.add_argument("--timeout", type=_seconds, metavar="S",
                   help="prover seconds per spec (default 60); given, it bounds each explicit search too (exit 3)")
    g.add_argument("--memory", type=_size, metavar="SIZE",
                   help="stop each search or prover run at SIZE of resident memory, e.g. 2G (exit 3)")
    g.add_argument("--depth", type=_positive, metavar="K", help="prover BMC depth and largest k (default 30)")
    worker_options(g)
    g.add_argument("--graph-limit", type=_positive, metavar="N",
                   help=f"draw state graphs of at most N states (default {GRAPH_LIMIT})")

    es = sub.add_parser("estimate", help="estimate the states and depth of a check before running it",
                        description="Run the search bounded to --samples states; if it does not complete, "
                        "search instances with the -D constants scaled down (1/2, 1/4, ...) exactly and "
                        "extrapolate their growth to the real constants, with a range (docs/cli.md).")
    es.add_argument("specs", nargs="+", metavar="SPEC")
    es.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec(s)")
    es.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a constant of the spec; these are the constants scaled")
    es.add_argument("--samples", type=_positive, default=100_000, metavar="N",
                    help="states each exact search may store (default 100000)")
    es.add_argument("--por", action=argparse.BooleanOptionalAction, default=None,
                    help="estimate the search with partial-order reduction on or off, as check would run it")
    es.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                    help="estimate the search with symmetry reduction on or off, as check would run it")
    es.add_argument("--format", choices=("text", "json"), default="text")

    pa = sub.add_parser("parse", help="print a spec in normalised form")
    pa.add_argument("spec", metavar="SPEC")

    ex = sub.add_parser("export", help="write a spec as a Promela model (SPIN) or a TLA+ module",
                        description="Translate the spec's transition system into another verifier's language "
                        "(docs/export.md). A spec the target cannot express exactly is refused (PIN420, exit 2).")
    target = ex.add_mutually_exclusive_group(required=True)
    target.add_argument("--promela", action="store_true",
                        help="a Promela model; SPIN with its reductions off stores exactly pinmc's states")
    target.add_argument("--tla", action="store_true", help="a TLA+ module (Init, Next, one definition per property)")
    ex.add_argument("spec", metavar="SPEC")
    ex.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec")
    ex.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a constant of the spec")
    ex.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    return p


def _options(args: argparse.Namespace) -> Options:
    if args.spill is not None and not os.path.isdir(args.spill):
        raise UsageError(f"pinmc {args.command}: --spill {args.spill}: no such directory")
    if args.spill_states is not None and args.spill is None:
        raise UsageError(f"pinmc {args.command}: --spill-states needs --spill DIR")
    return Options(max_states=args.max_states, max_depth=args.max_depth,
                   timeout=args.timeout, memory=args.memory, spill=args.spill, spill_states=args.spill_states,
                   por=Options.por if args.por is None else args.por,
                   symmetry=Options.symmetry if args.symmetry is None else args.symmetry,
                   **_workers(args))


def _progress() -> Callable[[int, int, float], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(states: int, depth: int, seconds: float) -> None:
        if seconds >= 1.0:
            rate = states / seconds if seconds else 0
            sys.stderr.write(f"\r  {states:,} states, depth {depth}, {rate:,.0f} states/s   ")
            sys.stderr.flush()
    return show


def _clear_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 70 + "\r")
        sys.stderr.flush()


def cmd_check(args: argparse.Namespace) -> int:
    from pinmc.engines.explicit.bfs import check
    from pinmc.report.json import document, result_json
    from pinmc.report.text import render
    from pinmc.semantics.pipeline import compile_spec

    defines = dict(_define(d) for d in args.defines)
    status = OK
    docs: list[dict[str, Any]] = []
    reported: list[dict[str, Any]] = []
    for spec in args.specs:
        system = compile_spec(spec, args.proposal, defines)
        try:
            result = check(system, _options(args), _progress(), args.expander)
        finally:
            _clear_progress()
        status = combine(status, status_of(result))
        if args.report:
            reported.append(_reported(system, result, spec, args))
        if args.format == "json":
            docs.append(result_json(system, result, spec, args.proposal, not args.no_time))
        else:
            if len(args.specs) > 1 and spec != args.specs[0]:
                print()
            sys.stdout.write(render(system, result, not args.no_time))
            if result.stats.limit:
                print("\n" + stopped(result, not args.no_time))
    if args.format == "json":
        print(json.dumps(document(docs, status), indent=2))
    if args.report:
        _write_report(args.report, document(reported, status))
    return status


def stopped(result: Result, timing: bool = True) -> str:
    """What a limit did to a run: which limit, the properties it left open,
    and what was done before it (two lines)."""
    s = result.stats
    still = ", ".join(v.prop for v in result.verdicts if v.status == UNKNOWN) or "none"
    if result.engine == "prove":
        decided = sum(v.status != UNKNOWN for v in result.verdicts)
        done = f"{decided} of {len(result.verdicts)} properties decided"
        if timing:
            done += f", {s.seconds:.2f} s"
        return f"prove stopped: {s.limit}; properties still open: {still}\n  so far: {done}"
    done = f"{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}"
    if timing:
        done += f", {s.seconds:.2f} s, {s.states_per_second:,.0f} states/s"
    return f"search stopped: {s.limit}; properties still open: {still}\n  so far: {done}"


def _reported(system: Any, result: Result, spec: str, args: argparse.Namespace) -> dict[str, Any]:
    """A result as the report shows it: the JSON form, with the state graph."""
    from pinmc.report.graph import build
    from pinmc.report.json import result_json

    return result_json(system, result, spec, args.proposal, not args.no_time,
                       build(system, result, args.graph_limit))


def _write_report(out_dir: str, doc: dict[str, Any]) -> None:
    from pinmc.report.bundle import write_report
    from pinmc.report.draw import find_renderer

    try:
        written = write_report(doc, out_dir, find_renderer())
    except OSError as e:
        raise UsageError(f"pinmc: cannot write the report into {out_dir}: {e.strerror or e}") from None
    for note in written.notes:
        print(f"pinmc: {note}", file=sys.stderr)
    print(f"report: {os.path.join(out_dir, 'report.html')} ({len(written.pictures)} pictures, "
          f"{len(written.files)} files)", file=sys.stderr)


def cmd_prove(args: argparse.Namespace) -> int:
    from pinmc.engines.symbolic.prove import ProveOptions, prove
    from pinmc.report.json import document, result_json
    from pinmc.report.text import certificate_line, render

    if args.max_states is not None:
        raise UsageError("pinmc prove: --max-states does not apply: the prover enumerates no states "
                         "(bound it with --timeout, --memory or --depth)")
    defines = dict(_define(d) for d in args.defines)
    opts = ProveOptions(args.engine, args.depth, args.timeout, args.memory)
    status = OK
    docs: list[dict[str, Any]] = []
    certs: list[str] = []
    reported: list[dict[str, Any]] = []
    for spec in args.specs:
        system, result = prove(spec, args.proposal, defines, opts, args.certificate)
        status = combine(status, status_of(result))
        if args.report:
            reported.append(_reported(system, result, spec, args))
        certs += [certificate_line(v) for v in result.verdicts if v.certificate]
        if args.format == "json":
            docs.append(result_json(system, result, spec, args.proposal, not args.no_time))
        else:
            if spec != args.specs[0]:
                print()
            sys.stdout.write(render(system, result, not args.no_time))
            if result.stats.limit:
                print("\n" + stopped(result, not args.no_time))
    if args.certificate_out:
        try:
            with open(args.certificate_out, "w", encoding="utf-8") as f:
                f.write("// pinmc certificates: inductive invariants; re-check with pinmc prove --certificate\n")
                f.write("".join(c + "\n" for c in certs))
        except OSError as e:
            raise UsageError(f"pinmc prove: cannot write --certificate-out {args.certificate_out}: "
                             f"{e.strerror or e}") from None
    if args.format == "json":
        print(json.dumps(document(docs, status), indent=2))
    if args.report:
        _write_report(args.report, document(reported, status))
    return status


def cmd_render(args: argparse.Namespace) -> int:
    from pinmc.report.bundle import BadResult, load_result

    try:
        doc = load_result(args.result)
    except BadResult as e:
        raise UsageError(f"pinmc render: {e}") from None
    _write_report(args.output, doc)
    return OK


def cmd_report(args: argparse.Namespace) -> int:
    from pinmc.report.draw import find_renderer
    from pinmc.report.gallery import make_gallery

    try:
        gallery = make_gallery(args.paths, args.output, find_renderer(), _options(args),
                               dict(_define(d) for d in args.defines), args.graph_limit)
    except OSError as e:
        raise UsageError(f"pinmc: cannot write the gallery into {args.output}: {e.strerror or e}") from None
    for err in gallery.errors:
        print(str(err), file=sys.stderr)
    for note in gallery.notes:
        print(f"pinmc: {note}", file=sys.stderr)
    for line in gallery.unmet:
        print(f"expectation not met: {line}")
    print(f"gallery: {os.path.join(args.output, 'index.html')}: {len(gallery.reports)} reports, "
          f"{len(gallery.unmet)} expectations not met, {len(gallery.errors)} files with errors")
    if gallery.errors:
        return USAGE
    return VIOLATED if gallery.unmet else OK


def vacuity(v: Vacuous) -> str:
    """The note `pinmc test` prints for a `reachable` property never reached."""
    return f"reachable property {v.prop} is never reached; the spec may be vacuous"


def cmd_test(args: argparse.Namespace) -> int:
    from pinmc.suite import run_suite

    suite = run_suite(args.paths, _options(args), dict(_define(d) for d in args.defines))
    for err in suite.errors:
        print(str(err), file=sys.stderr)
    if args.format == "markdown":
        from pinmc.report.suite_table import markdown

        sys.stdout.write(markdown(suite))
        for v in suite.vacuous:  # the page is a document: the notes go beside it
            print(f"note: {v.label}: {vacuity(v)}", file=sys.stderr)
    elif args.format == "json":
        rows = [{"file": r.file, "spec": r.spec, "proposal": r.proposal, "property": r.prop,
                 "expected": r.expected, "got": r.got, "engine": r.engine, "met": r.met}
                for r in suite.rows]
        halted = [{"spec": system.name, "proposal": system.proposal, "engine": result.engine,
                   "limit": result.stats.limit, "states": result.stats.states, "depth": result.stats.depth,
                   "open": [v.prop for v in result.verdicts if v.status == UNKNOWN]}
                  for system, result, _ in suite.results if result.stats.limit]
        vacuous = [{"spec": v.spec, "proposal": v.proposal, "property": v.prop, "note": vacuity(v)}
                   for v in suite.vacuous]
        print(json.dumps({"schema": "pinmc.test/1", "rows": rows, "stopped": halted, "vacuous": vacuous}, indent=2))
    else:
        header = ("FILE", "SPEC", "PROPERTY", "EXPECTED", "GOT", "ENGINE", "")
        table = [header] + [(r.file, r.spec + (f" + {r.proposal}" if r.proposal else ""), r.prop,
                             r.expected, r.got, r.engine, "ok" if r.met else ("UNKNOWN" if r.unknown else "FAIL"))
                            for r in suite.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        for v in suite.vacuous:
            print(f"note: {v.label}: {vacuity(v)}")
        for system, result, _ in suite.results:
            if result.stats.limit:
                name = system.name + (f" + {system.proposal}" if system.proposal else "")
                if any(v.status == UNKNOWN for v in result.verdicts):
                    print(f"{name}: " + stopped(result))
                else:
                    print(f"note: {name}: search stopped: {result.stats.limit}; the prover decided what it left open")
        met = sum(r.met for r in suite.rows)
        unknown = sum(r.unknown for r in suite.rows)
        failed = len(suite.rows) - met - unknown
        print(f"{len(suite.results)} checks, {len(suite.rows)} expectations: {met} met, "
              f"{failed} not met, {unknown} unknown, {len(suite.errors)} files with errors")
    if suite.errors:
        return USAGE
    if any(not r.met and not r.unknown for r in suite.rows):
        return VIOLATED
    if any(r.unknown for r in suite.rows):
        return INCONCLUSIVE
    return OK


def cmd_gate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pinmc.engines.symbolic.prove import ProveOptions
    from pinmc.gate.cache import Cache
    from pinmc.gate.config import Config, find_config, read_config
    from pinmc.gate.outputs import write_outputs
    from pinmc.gate.plan import plan_gate
    from pinmc.gate.run import Settings, load_baseline, run_gate
    from pinmc.gate.text import text
    from pinmc.report.draw import find_renderer
    from pinmc.suite import PROVE_TIMEOUT

    config_path = args.config or find_config()
    if args.config and not os.path.isfile(args.config):
        raise UsageError(f"pinmc gate: --config {args.config}: no such file")
    cfg = read_config(config_path) if config_path else Config()
    home = Path(cfg.path).parent if cfg.path else Path(".")

    def pick(flag: Any, setting: Any, default: Any) -> Any:
        return flag if flag is not None else (setting if setting is not None else default)

    inputs = list(args.paths) or list(cfg.proposals or ())
    for p in inputs:
        if not os.path.exists(p):
            raise UsageError(f"pinmc gate: {p}: no such file or directory")
    spec_dirs = args.specs or list(cfg.specs or ())
    if not spec_dirs:
        spec_dirs = sorted({p if os.path.isdir(p) else (os.path.dirname(p) or ".") for p in inputs}) \
            or (["specs"] if os.path.isdir("specs") else ["."])
    errors: list[SpecError] = []
    pairs = plan_gate(inputs, spec_dirs, errors)
    if not pairs and not errors:
        print(f"pinmc gate: nothing to gate (no spec or proposal in {', '.join(inputs or spec_dirs)})")
        return OK if inputs else USAGE
    baseline = load_baseline(args.baseline) if args.baseline else None
    constants = dict(cfg.constants)
    constants.update(dict(_define(d) for d in args.defines))
    no_cache = args.no_cache or (cfg.no_cache and args.cache_dir is None)
    cache_dir = None if no_cache else pick(args.cache_dir, cfg.cache, str(home / ".pinmc-cache"))
    settings = Settings(
        engine=pick(args.engine, cfg.engine, "auto"),
        options=Options(max_states=pick(args.max_states, cfg.max_states, None),
                        max_depth=pick(args.max_depth, cfg.max_depth, None),
                        timeout=pick(args.timeout, cfg.timeout, None), memory=pick(args.memory, cfg.memory, None),
                        **_workers(args)),
        prove=ProveOptions(depth=pick(args.depth, cfg.depth, 30), timeout=pick(args.timeout, cfg.timeout, PROVE_TIMEOUT),
                           memory=pick(args.memory, cfg.memory, None)),
        graph_limit=pick(args.graph_limit, cfg.graph_limit, GRAPH_LIMIT),
        constants=constants, spec_constants=dict(cfg.spec_constants),
        allow_unknown=bool(pick(args.allow_unknown, cfg.allow_unknown, False)), timing=not args.no_time)

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{message[:70]:<70}")
            sys.stderr.flush()

    try:
        run = run_gate(pairs, settings, Cache(cache_dir), baseline, errors, progress)
    finally:
        _clear_progress()
    for err in run.errors:
        print(str(err), file=sys.stderr)
    for note in run.notes:
        print(f"pinmc gate: {note}", file=sys.stderr)
    if run.interrupted:
        print("pinmc gate: interrupted; the outputs hold what was decided before", file=sys.stderr)
    sys.stdout.write(text(run.doc))
    out_dir = pick(args.out, cfg.out, "pinmc-gate")
    try:
        written = write_outputs(run.doc, out_dir, find_renderer())
    except OSError as e:
        raise UsageError(f"pinmc gate: cannot write the outputs into {out_dir}: {e.strerror or e}") from None
    for note in written.notes:
        print(f"pinmc: {note}", file=sys.stderr)
    print(f"outputs: {out_dir}/: summary.md, junit.xml, results.sarif, results.json, "
          f"report/report.html ({len(written.files)} files)")
    return int(run.doc["exit"])


def cmd_estimate(args: argparse.Namespace) -> int:
    from pinmc.engines.explicit.estimate import estimate
    from pinmc.report.estimate import estimate_json, estimate_text

    defines = dict(_define(d) for d in args.defines)
    opts = Options(por=Options.por if args.por is None else args.por,
                   symmetry=Options.symmetry if args.symmetry is None else args.symmetry)
    status = OK
    docs: list[dict[str, Any]] = []
    for spec in args.specs:
        e = estimate(spec, args.proposal, defines, opts, max(1, args.samples))
        if e.method == "lower bound":
            status = INCONCLUSIVE
        if args.format == "json":
            docs.append(estimate_json(e, defines))
        else:
            if spec != args.specs[0]:
                print()
            sys.stdout.write(estimate_text(e, defines, args.samples))
    if args.format == "json":
        print(json.dumps({"schema": "pinmc.estimate/1", "exit": status, "results": docs}, indent=2))
    return status


def cmd_parse(args: argparse.Namespace) -> int:
    from pinmc.syntax.parser import parse_file
    from pinmc.syntax.printer import show_file

    sys.stdout.write(show_file(parse_file(args.spec)))
    return OK


def cmd_export(args: argparse.Namespace) -> int:
    from pinmc.export.promela import to_promela
    from pinmc.export.tla import to_tla
    from pinmc.semantics.pipeline import compile_spec

    system = compile_spec(args.spec, args.proposal, dict(_define(d) for d in args.defines))
    text = to_promela(system).text if args.promela else to_tla(system)
    if args.output is None:
        sys.stdout.write(text)
        return OK
    try:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"pinmc export: cannot write {args.output}: {e.strerror or e}") from None
    print(f"{'Promela model' if args.promela else 'TLA+ module'}: {args.output}", file=sys.stderr)
    return OK


COMMANDS = {"check": cmd_check, "prove": cmd_prove, "test": cmd_test, "parse": cmd_parse,
            "render": cmd_render, "report": cmd_report, "gate": cmd_gate, "export": cmd_export,
            "estimate": cmd_estimate}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as e:
        print(f"{e}\nusage: see 'pinmc --help'", file=sys.stderr)
        return USAGE
    except SpecError as e:
        print(str(e), file=sys.stderr)
        n = len(e.diagnostics)
        print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return USAGE
    except EngineError as e:
        print(Diagnostic(e.code, e.message, e.span).render(), file=sys.stderr)  # type: ignore[arg-type]
        return USAGE
    except KeyboardInterrupt:
        print("pinmc: interrupted", file=sys.stderr)
        return INCONCLUSIVE
    except BrokenPipeError:
        return OK
    except SystemExit as e:  # --help and --version
        return int(e.code or 0)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        print(f"pinmc: internal error (this is a bug in pinmc, please report it): "
              f"{type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("PINMC_DEBUG"):
            traceback.print_exc()
        return INTERNAL
