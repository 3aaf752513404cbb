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
from typing import Any, Callable, NoReturn

from pinmc import __version__
from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.engines.base import UNKNOWN, EngineError, Options, Result
from pinmc.status import INCONCLUSIVE, INTERNAL, OK, USAGE, VIOLATED, combine, status_of


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

    c = sub.add_parser("check", help="check every property of specs, with shortest traces")
    c.add_argument("specs", nargs="+", metavar="SPEC")
    c.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec(s)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--no-time", action="store_true", help="omit timings (deterministic output)")
    report_options(c)
    bounds(c)

    pr = sub.add_parser("prove", help="prove or refute every property with z3, for every value")
    pr.add_argument("specs", nargs="+", metavar="SPEC")
    pr.add_argument("--proposal", metavar="FILE", help="apply a proposal to the spec(s)")
    pr.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
                    help="override a constant of the spec")
    pr.add_argument("--engine", choices=("auto", "bmc", "kind", "infer", "pdr"), default="auto",
                    help="auto (default): every engine in parallel, first definite answer wins")
    pr.add_argument("--depth", type=_positive, default=30, metavar="K",
                    help="BMC depth and largest k of k-induction (default 30)")
    pr.add_argument("--timeout", type=float, default=60.0, metavar="S",
                    help="seconds for all properties together (default 60)")
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

    t = sub.add_parser("test", help="check specs and proposals against their expect lines")
    t.add_argument("paths", nargs="*", default=["specs"], metavar="PATH")
    t.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="markdown: the suite as a table (docs/suite.md)")
    bounds(t)

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
    g.add_argument("--timeout", type=float, metavar="S", help="prover seconds per spec (default 60)")
    g.add_argument("--depth", type=_positive, metavar="K", help="prover BMC depth and largest k (default 30)")
    g.add_argument("--graph-limit", type=_positive, metavar="N",
                   help=f"draw state graphs of at most N states (default {GRAPH_LIMIT})")

    pa = sub.add_parser("parse", help="print a spec in normalised form")
    pa.add_argument("spec", metavar="SPEC")
    return p


def _options(args: argparse.Namespace) -> Options:
    return Options(max_states=args.max_states, max_depth=args.max_depth,
                   por=Options.por if args.por is None else args.por)


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
                print(f"\nsearch stopped: {result.stats.limit}; properties still open: "
                      + ", ".join(v.prop for v in result.verdicts if v.status == UNKNOWN))
    if args.format == "json":
        print(json.dumps(document(docs, status), indent=2))
    if args.report:
        _write_report(args.report, document(reported, status))
    return status


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

    defines = dict(_define(d) for d in args.defines)
    opts = ProveOptions(args.engine, args.depth, args.timeout)
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
    if args.certificate_out:
        with open(args.certificate_out, "w", encoding="utf-8") as f:
            f.write("// pinmc certificates: inductive invariants; re-check with pinmc prove --certificate\n")
            f.write("".join(c + "\n" for c in certs))
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


def cmd_test(args: argparse.Namespace) -> int:
    from pinmc.suite import run_suite

    suite = run_suite(args.paths, _options(args), dict(_define(d) for d in args.defines))
    for err in suite.errors:
        print(str(err), file=sys.stderr)
    if args.format == "markdown":
        from pinmc.report.suite_table import markdown

        sys.stdout.write(markdown(suite))
    elif args.format == "json":
        rows = [{"file": r.file, "spec": r.spec, "proposal": r.proposal, "property": r.prop,
                 "expected": r.expected, "got": r.got, "engine": r.engine, "met": r.met}
                for r in suite.rows]
        print(json.dumps({"schema": "pinmc.test/1", "rows": rows}, indent=2))
    else:
        header = ("FILE", "SPEC", "PROPERTY", "EXPECTED", "GOT", "ENGINE", "")
        table = [header] + [(r.file, r.spec + (f" + {r.proposal}" if r.proposal else ""), r.prop,
                             r.expected, r.got, r.engine, "ok" if r.met else ("UNKNOWN" if r.unknown else "FAIL"))
                            for r in suite.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        for spec, prop in suite.vacuous:
            print(f"note: {spec}: reachable property {prop} is never reached; the spec may be vacuous")
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
                        max_depth=pick(args.max_depth, cfg.max_depth, None)),
        prove=ProveOptions(depth=pick(args.depth, cfg.depth, 30), timeout=pick(args.timeout, cfg.timeout, PROVE_TIMEOUT)),
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


def cmd_parse(args: argparse.Namespace) -> int:
    from pinmc.syntax.parser import parse_file
    from pinmc.syntax.printer import show_file

    sys.stdout.write(show_file(parse_file(args.spec)))
    return OK


COMMANDS = {"check": cmd_check, "prove": cmd_prove, "test": cmd_test, "parse": cmd_parse,
            "render": cmd_render, "report": cmd_report, "gate": cmd_gate}


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
