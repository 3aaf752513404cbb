"""The gate's result cache: one JSON result per (spec, proposal) pair, keyed
on everything the result depends on.

The key is a SHA-256 over: the pinmc version and a digest of pinmc's own
code and library; the content of the spec, the proposal and every file
they `use`; the constants; and the engine and its bounds.  A result with
an `unknown` verdict is not stored: it depends on time limits and load, so
the next run tries again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pinmc
from pinmc import __version__


def code_digest() -> str:
    """A digest of pinmc's own source (.py, .lark) and library (.pin)
    files, so that a changed checker never serves an old result."""
    root = Path(pinmc.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".lark", ".pin") and p.is_file()):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_key(code: str, files: list[str], constants: dict[str, int], settings: dict[str, Any]) -> str:
    """The key of one pair: `code` is `code_digest()`, `files` every file
    read (spec, proposal, used files), `settings` the engine and bounds."""
    parts = {
        "pinmc": __version__, "code": code,
        "files": sorted(file_digest(f) for f in dict.fromkeys(files)),
        "constants": sorted(constants.items()), "settings": sorted(settings.items()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class Cache:
    """A directory of `KEY.json` files; `Cache(None)` caches nothing.
    Unreadable or corrupt entries count as misses."""

    def __init__(self, directory: str | None):
        self.directory = Path(directory) if directory else None

    def get(self, key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        try:
            with open(self.directory / f"{key}.json", encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("properties"), list) else None

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Store `result` atomically (write a temporary file, then rename);
        a cache that cannot be written is skipped silently."""
        if self.directory is None or any(p["verdict"] == "unknown" for p in result["properties"]):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result, f)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            pass
