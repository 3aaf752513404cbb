"""Load a local HTML file in headless Chromium and report what went wrong.

A stdlib-only test helper: tests use it to assert that a generated HTML
report "renders with no console errors".  It starts Chromium with
``--remote-debugging-pipe`` and speaks the Chrome DevTools Protocol (CDP)
over that pipe: the browser reads commands from its fd 3 and writes replies
and events to its fd 4, each message one JSON object terminated by a NUL
byte.  No websocket, no port, no third-party package.

Public API:

- ``find_chromium()``: the Chromium binary to use, or None.
- ``console_errors(html_path, timeout=30.0)``: every console error, console
  assertion failure, uncaught exception and failed resource load of the
  page, as human-readable strings ([] for a clean page).
- ``screenshot(html_path, png_path, width=1400, height=900)``: a PNG of the
  rendered page, for people looking at reports.

Each call starts its own browser with a fresh profile directory and always
kills it and removes the directory, whatever happens.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, NoReturn

__all__ = ["find_chromium", "console_errors", "screenshot"]

# Binaries tried, in order, after $PINMC_CHROMIUM.  Debian's
# chromium-headless-shell package installs /usr/bin/chromium-headless-shell.
CHROMIUM_NAMES: tuple[str, ...] = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
)

# Switches every browser we start gets (plus --user-data-dir).  The
# headless shell accepts (and ignores) --headless, so it is always passed:
# that also covers a headless shell under another name.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)

# How long to keep listening after the load event, for errors raised by
# work the page defers (timers, promise callbacks, late resource loads).
SETTLE_SECONDS = 0.3

# How long close() lets the browser shut down cleanly before killing it.
CLOSE_GRACE_SECONDS = 2.0

Event = dict[str, Any]


def find_chromium() -> str | None:
    """Return the path of the Chromium to use, or None if there is none.

    ``$PINMC_CHROMIUM`` wins when set (a path or a name on PATH); otherwise
    the first of chromium-headless-shell, chromium, chromium-browser and
    google-chrome found on PATH.
    """
    override = os.environ.get("PINMC_CHROMIUM")
    if override:
        return shutil.which(override)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def console_errors(html_path: str | os.PathLike[str], timeout: float = 30.0) -> list[str]:
    """Load ``html_path`` in headless Chromium and return what went wrong.

    Collected, in the order the browser reported them:

    - ``console.error(...)`` and failed ``console.assert(...)`` calls
      (CDP Runtime.consoleAPICalled with type "error" or "assert");
    - uncaught exceptions and unhandled promise rejections
      (Runtime.exceptionThrown);
    - browser-side errors, notably resources that failed to load
      (Log.entryAdded with level "error").

    The page counts as loaded at its load event; errors raised up to
    SETTLE_SECONDS after it are included too.  Returns [] for a page that
    renders cleanly.  Raises FileNotFoundError if ``html_path`` does not
    exist, RuntimeError if no Chromium is found, if the browser fails or if
    the whole thing takes longer than ``timeout`` seconds.
    """
    url = _file_url(html_path)
    errors: list[str] = []

    def on_event(event: Event) -> None:
        message = _describe_error(event)
        if message is not None:
            errors.append(message)

    with _Browser(timeout) as browser:
        session = browser.open_page(on_event)
        browser.load(session, url)
        browser.settle(SETTLE_SECONDS)
    return errors


def screenshot(html_path: str | os.PathLike[str], png_path: str | os.PathLike[str],
               width: int = 1400, height: int = 900, timeout: float = 30.0) -> None:
    """Render ``html_path`` in a ``width`` x ``height`` viewport and write
    a PNG of the viewport to ``png_path``.

    Raises as console_errors() does; errors in the page are not reported.
    """
    url = _file_url(html_path)
    with _Browser(timeout) as browser:
        session = browser.open_page(lambda event: None)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height,
                      "deviceScaleFactor": 1, "mobile": False}, session)
        browser.load(session, url)
        browser.settle(SETTLE_SECONDS)
        shot = browser.call("Page.captureScreenshot", {"format": "png"}, session)
    Path(png_path).write_bytes(base64.b64decode(shot["data"]))


# ---------------------------------------------------------------------------
# Turning CDP events into messages


def _describe_error(event: Event) -> str | None:
    """A one-line-ish description of ``event`` if it reports an error."""
    method = event.get("method")
    params: dict[str, Any] = event.get("params", {})
    if method == "Runtime.consoleAPICalled":
        kind = params.get("type")
        if kind not in ("error", "assert"):
            return None
        text = " ".join(_remote_object_text(arg) for arg in params.get("args", []))
        if kind == "assert":
            text = "Assertion failed" + (": " + text if text else "")
        frames = params.get("stackTrace", {}).get("callFrames", [])
        where = _location(frames[0].get("url"), frames[0].get("lineNumber")) if frames else ""
        return f"console.{kind}: {text}{where}"
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        exception = details.get("exception")
        text = _remote_object_text(exception) if exception else ""
        if not text.strip():
            text = details.get("text", "exception")
        where = _location(details.get("url"), details.get("lineNumber"))
        # details["text"] is "Uncaught" or "Uncaught (in promise)".
        return f"{details.get('text') or 'Uncaught'} {text}{where}"
    if method == "Log.entryAdded":
        entry = params.get("entry", {})
        if entry.get("level") != "error":
            return None
        where = _location(entry.get("url"), entry.get("lineNumber"))
        return f"{entry.get('source', 'browser')}: {entry.get('text', '')}{where}"
    return None


def _remote_object_text(obj: dict[str, Any]) -> str:
    """Readable text for a CDP Runtime.RemoteObject (a console argument)."""
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    if "unserializableValue" in obj:
        return str(obj["unserializableValue"])
    preview = obj.get("preview")
    if preview and obj.get("subtype") not in ("error", "node"):
        return _preview_text(preview)
    if "description" in obj:
        # An Error's description is "Error: kaput\n    at <stack>": keep
        # the first line.
        lines = str(obj["description"]).splitlines()
        return lines[0] if lines else ""
    return str(obj.get("type", "?"))


def _preview_text(preview: dict[str, Any]) -> str:
    """A short rendering of a RemoteObject preview: {a: 1} or [1, 2]."""
    items = []
    for prop in preview.get("properties", []):
        value = prop.get("value", prop.get("type", "?"))
        if prop.get("type") == "string":
            value = json.dumps(value)
        items.append(value if preview.get("subtype") == "array" else f"{prop.get('name')}: {value}")
    if preview.get("overflow"):
        items.append("…")
    if preview.get("subtype") == "array":
        return "[" + ", ".join(items) + "]"
    prefix = "" if preview.get("description") == "Object" else f"{preview.get('description')} "
    return prefix + "{" + ", ".join(items) + "}"


def _location(url: str | None, line: int | None) -> str:
    """" (url:line)" with a 1-based line, or "" if there is no url."""
    if not url:
        return ""
    return f" ({url}:{line + 1})" if isinstance(line, int) else f" ({url})"


def _file_url(html_path: str | os.PathLike[str]) -> str:
    """The file:// URL of ``html_path``; FileNotFoundError if it is no file."""
    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such HTML file: {path}")
    return path.as_uri()


# ---------------------------------------------------------------------------
# The browser and the pipe


class _Browser:
    """One headless Chromium with a fresh profile, driven over CDP.

    A context manager: entering starts the browser, leaving kills it and
    removes the profile directory.  Every blocking call shares one deadline,
    ``timeout`` seconds after entry; missing it raises RuntimeError.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._deadline = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._profile: str | None = None
        self._to_browser = -1     # our end of the browser's fd 3
        self._from_browser = -1   # our end of the browser's fd 4
        self._buffer = b""
        self._next_id = 0
        self._handlers: dict[str, Callable[[Event], None]] = {}
        self._stderr_path = ""

    # -- lifetime ----------------------------------------------------------

    def __enter__(self) -> _Browser:
        binary = find_chromium()
        if binary is None:
            raise RuntimeError("no Chromium found: set $PINMC_CHROMIUM or install "
                               "chromium-headless-shell")
        self._deadline = time.monotonic() + self._timeout
        try:
            self._start(binary)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self, binary: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="pinmc-chromium-")
        self._stderr_path = os.path.join(self._profile, "stderr.log")
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"]

        # The browser's fds 3 (commands in) and 4 (replies out).  Its ends
        # are first copied to fds >= 10 so that the dup2()s in the child
        # cannot overwrite one another whatever numbers os.pipe() returned.
        cmd_read, cmd_write = os.pipe()
        reply_read, reply_write = os.pipe()
        child_in = fcntl.fcntl(cmd_read, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(reply_write, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_read)
        os.close(reply_write)
        self._to_browser, self._from_browser = cmd_write, reply_read

        # Runs in the child between fork and exec (so, like any preexec_fn,
        # do not start browsers from several threads at once).  pass_fds=(3, 4) keeps
        # fds 3 and 4 open through close_fds, which subprocess applies after
        # preexec_fn.  (If subprocess's own exec-error pipe happens to be fd
        # 3 or 4, a failed exec shows up as "the browser exited" below
        # rather than as an OSError from Popen: still a clear failure.)
        def wire_pipe() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        try:
            with open(self._stderr_path, "wb") as stderr:
                self._proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=stderr, pass_fds=(3, 4), preexec_fn=wire_pipe,
                    start_new_session=True)
        finally:
            os.close(child_in)
            os.close(child_out)
        os.set_blocking(self._from_browser, False)

    def close(self) -> None:
        """Kill the browser (its whole process group) and clean up.  Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None:
            # Ask politely first, so that the browser reaps its own helper
            # processes; then kill whatever is left of its process group.
            if proc.poll() is None and self._to_browser >= 0:
                try:
                    os.write(self._to_browser,
                             json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
                    proc.wait(timeout=CLOSE_GRACE_SECONDS)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                os.close(fd)
        self._to_browser = self._from_browser = -1
        profile, self._profile = self._profile, None
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)

    # -- pages -------------------------------------------------------------

    def open_page(self, on_event: Callable[[Event], None]) -> str:
        """Open a blank tab and return its CDP session id.  Runtime, Log and
        Page events of the tab are passed to ``on_event`` from now on."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.call("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"])
        self._handlers[session] = on_event
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", {}, session)
        self.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session)
        return session

    def load(self, session: str, url: str) -> None:
        """Navigate the tab to ``url`` and return once its load event fired."""
        loaded: list[str] = []   # loader ids of the load events seen
        loader: list[str] = []   # the navigation's loader id, once known
        page_handler = self._handlers[session]

        def watch(event: Event) -> None:
            page_handler(event)
            params = event.get("params", {})
            if (event.get("method") == "Page.lifecycleEvent"
                    and params.get("name") == "load"):
                # Only the load of the document we navigated to counts; the
                # loader id is known once Page.navigate has answered.
                if not loader or params.get("loaderId") == loader[0]:
                    loaded.append(params.get("loaderId", ""))

        self._handlers[session] = watch
        try:
            result = self.call("Page.navigate", {"url": url}, session)
            if result.get("errorText"):
                raise RuntimeError(f"Chromium could not open {url}: {result['errorText']}")
            loader.append(result.get("loaderId", ""))
            loaded[:] = [seen for seen in loaded if seen == loader[0]]
            self._pump_until(lambda: bool(loaded), f"the load event of {url}")
        finally:
            self._handlers[session] = page_handler

    def settle(self, seconds: float) -> None:
        """Keep dispatching events for ``seconds`` (within the deadline)."""
        until = time.monotonic() + seconds
        self._pump_until(lambda: time.monotonic() >= until, "the page to settle",
                         poll_until=until)

    # -- the protocol ------------------------------------------------------

    def call(self, method: str, params: dict[str, Any],
             session: str | None = None) -> dict[str, Any]:
        """Send one CDP command and return its result, dispatching the
        events that arrive meanwhile.  A CDP error raises RuntimeError."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        self._write(json.dumps(message).encode() + b"\0")
        reply: list[dict[str, Any]] = []
        wanted = self._next_id
        self._pump_until(lambda: bool(reply), f"the reply to {method}",
                         replies={wanted: reply})
        if "error" in reply[0]:
            raise RuntimeError(f"CDP {method} failed: {reply[0]['error']}")
        result: dict[str, Any] = reply[0].get("result", {})
        return result

    def _write(self, data: bytes) -> None:
        """Write ``data`` to the browser's command pipe (blocking: commands
        are small, far below the pipe's buffer)."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._to_browser, view)
            except BrokenPipeError:
                self._fail("the browser closed its command pipe")
            view = view[written:]

    def _pump_until(self, done: Callable[[], bool], what: str,
                    replies: dict[int, list[dict[str, Any]]] | None = None,
                    poll_until: float | None = None) -> None:
        """Read and dispatch messages until ``done()``.  Replies whose id is
        a key of ``replies`` are appended to its list; other replies are
        dropped; events go to their session's handler."""
        while not done():
            for message in self._read_messages(poll_until):
                if "id" in message:
                    if replies is not None and message["id"] in replies:
                        replies[message["id"]].append(message)
                    continue
                handler = self._handlers.get(message.get("sessionId", ""))
                if handler is not None:
                    handler(message)
            if not done() and time.monotonic() >= self._deadline:
                raise RuntimeError(f"timed out after {self._timeout:g} s waiting for {what}")

    def _read_messages(self, poll_until: float | None) -> list[dict[str, Any]]:
        """The complete messages available within the deadline (or until
        ``poll_until``, if earlier); possibly none."""
        limit = self._deadline if poll_until is None else min(poll_until, self._deadline)
        ready, _, _ = select.select([self._from_browser], [], [],
                                    max(0.0, limit - time.monotonic()))
        if ready:
            try:
                chunk = os.read(self._from_browser, 1 << 20)
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                self._fail("the browser exited")
            if chunk:
                self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(raw) for raw in complete if raw]

    def _fail(self, why: str) -> NoReturn:
        """Raise RuntimeError for a browser that died, with its exit status
        and the end of its stderr."""
        status: int | None = None
        if self._proc is not None:
            try:
                status = self._proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
        tail = ""
        try:
            lines = Path(self._stderr_path).read_text(errors="replace").strip().splitlines()
            tail = "\n".join(lines[-10:])
        except OSError:
            pass
        raise RuntimeError(f"Chromium failed: {why} (exit status {status})"
                           + (f"; its stderr ends:\n{tail}" if tail else ""))
