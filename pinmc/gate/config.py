"""The `[tool.pinmc]` table of a project's pyproject.toml.

`find_config` looks for pyproject.toml from a directory upwards;
`read_config` turns its `[tool.pinmc]` table into a `Config`, checking every
key and type.  Paths in the file are relative to the file's directory and
come out relative to the current directory (so reports name
`specs/x.pin`, not an absolute path).  Command-line flags
override the file (the CLI does that merge).

    [tool.pinmc]
    specs = ["specs"]          # where target specs are found; gated themselves when no proposal is named
    proposals = ["proposals"]  # proposals gated when none is named on the command line
    engine = "auto"            # auto | explicit | prove
    max_states = 1_000_000     # explicit engine bounds
    max_depth = 200
    timeout = 60               # prover seconds per spec; set, it bounds each explicit search too
    memory = "2G"              # memory limit of each search and prover run (then: unknown)
    depth = 30                 # prover BMC depth and largest k
    graph_limit = 150          # draw state graphs of at most this many states
    out = "pinmc-gate"         # where the outputs go
    cache = ".pinmc-cache"     # the result cache; false turns it off
    allow_unknown = false      # an undecided property does not fail the gate

    [tool.pinmc.constants]
    GETS = 600                 # every spec that declares GETS
    [tool.pinmc.constants.pin_bias]
    GETS = 10                  # spec pin_bias only (beats the line above)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinmc.diagnostics import Diagnostic, SpecError
from pinmc.source import SourceFile, Span

ENGINES = ("auto", "explicit", "prove")


@dataclass(frozen=True)
class Config:
    """Gate settings; None means "not set" (the CLI's default applies)."""

    path: str | None = None  # the pyproject.toml read, if any
    specs: tuple[str, ...] | None = None
    proposals: tuple[str, ...] | None = None
    engine: str | None = None
    max_states: int | None = None
    max_depth: int | None = None
    timeout: float | None = None
    memory: int | None = None  # bytes
    depth: int | None = None
    graph_limit: int | None = None
    out: str | None = None
    cache: str | None = None
    no_cache: bool = False  # `cache = false`
    allow_unknown: bool | None = None
    constants: dict[str, int] = field(default_factory=dict)  # NAME -> value, for every spec
    spec_constants: dict[str, dict[str, int]] = field(default_factory=dict)  # spec -> NAME -> value


def find_config(start: str | Path = ".") -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a
    `[tool.pinmc]` table; None if there is none."""
    here = Path(start).resolve()
    for d in (here, *here.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if re.search(r"^\s*\[\s*tool\s*\.\s*pinmc\s*[.\]]", text, re.M):
                return Path(_shown(Path.cwd(), str(candidate)))
    return None


def _error(src: SourceFile, message: str, key: str | None = None, line: int | None = None,
           column: int = 1) -> SpecError:
    """A PIN502 diagnostic at `line`, or at the line that sets `key`."""
    if line is None and key is not None:
        found = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", src.text, re.M)
        if found is not None:
            line, column = src.position(found.start() + len(found.group(0)) - len(found.group(0).lstrip()))
    if line is None:
        return SpecError([Diagnostic("PIN502", f"{src.name}: {message}")])
    text = src.line_text(line)
    end = column + max(1, len(text.strip()) if column == 1 else len(key or "x"))
    return SpecError([Diagnostic("PIN502", message, Span(src, line, column, line, end))])


def _shown(base: Path, value: str) -> str:
    """`value` (relative to `base`) as a path relative to the current
    directory, so that reports name files the same on every machine."""
    return Path(os.path.relpath(base / value)).as_posix()


def read_config(path: str | Path) -> Config:
    """The `[tool.pinmc]` table of `path`; raises SpecError (PIN502) with
    the offending line for a malformed file, an unknown key or a value of
    the wrong type."""
    p = Path(path)
    try:
        src = SourceFile.read(p)
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError([Diagnostic("PIN502", f"{p}: cannot read: {getattr(e, 'strerror', None) or e}")]) from None
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as e:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e)) or "malformed TOML"
        line, col = (int(where.group(1)), int(where.group(2))) if where else (None, 1)
        raise _error(src, f"not valid TOML: {message}", line=line, column=col) from None
    table = data.get("tool", {}).get("pinmc", {})
    if not isinstance(table, dict):
        raise _error(src, "[tool.pinmc] must be a table", key="pinmc")
    base = p.resolve().parent
    out: dict[str, Any] = {"path": str(p)}

    def want(key: str, kinds: tuple[type, ...], what: str) -> Any:
        value = table[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):  # bool is an int
            raise _error(src, f"[tool.pinmc] {key} must be {what}, not {type(value).__name__} {value!r}", key=key)
        return value

    for key in table:
        if key in ("specs", "proposals"):
            value = table[key]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _error(src, f"[tool.pinmc] {key} must be a list of paths", key=key)
            out[key] = tuple(_shown(base, v) for v in value)
        elif key == "engine":
            value = want(key, (str,), "a string")
            if value not in ENGINES:
                raise _error(src, f"[tool.pinmc] engine must be one of {', '.join(ENGINES)}, not {value!r}", key=key)
            out[key] = value
        elif key in ("max_states", "max_depth", "depth", "graph_limit"):
            value = want(key, (int,), "a whole number")
            if value < 0:
                raise _error(src, f"[tool.pinmc] {key} must not be negative", key=key)
            out[key] = value
        elif key == "timeout":
            value = want(key, (int, float), "a number of seconds")
            if value <= 0:
                raise _error(src, "[tool.pinmc] timeout must be positive", key=key)
            out[key] = float(value)
        elif key == "memory":
            from pinmc.engines.resources import parse_size

            value = want(key, (str, int), "a size such as \"2G\" or a number of bytes")
            try:
                out[key] = parse_size(str(value))
            except ValueError as e:
                raise _error(src, f"[tool.pinmc] memory: {e}", key=key) from None
        elif key == "out":
            out[key] = _shown(base, want(key, (str,), "a path"))
        elif key == "cache":
            value = want(key, (str, bool), "a path or false")
            if value is True:
                raise _error(src, "[tool.pinmc] cache must be a path or false", key=key)
            if value is False:
                out["no_cache"] = True
            else:
                out[key] = _shown(base, value)
        elif key == "allow_unknown":
            out[key] = want(key, (bool,), "true or false")
        elif key == "constants":
            constants, per_spec = _constants(src, want(key, (dict,), "a table"))
            out["constants"], out["spec_constants"] = constants, per_spec
        else:
            known = ", ".join(f.name for f in Config.__dataclass_fields__.values()
                              if f.name not in ("path", "no_cache", "spec_constants"))
            raise _error(src, f"[tool.pinmc] has no setting '{key}' (settings: {known})", key=key)
    return Config(**out)


def _constants(src: SourceFile, table: dict[str, Any]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    constants: dict[str, int] = {}
    per_spec: dict[str, dict[str, int]] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            for const, v in value.items():
                if not isinstance(v, int) or isinstance(v, bool):
                    raise _error(src, f"[tool.pinmc.constants.{name}] {const} must be an integer", key=const)
            per_spec[name] = dict(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            constants[name] = value
        else:
            raise _error(src, f"[tool.pinmc.constants] {name} must be an integer or a table of them", key=name)
    return constants, per_spec
