"""A small Chrome DevTools Protocol driver for the browser tests (headless Chromium).

It launches Debian's ``chromium`` with remote debugging on a random port, opens
one page, and talks CDP over a websocket (the ``websockets`` package, sync
client). Every request the page makes passes through ``Fetch.requestPaused``:
requests to allowed hosts continue, every other one is recorded and failed
(``BlockedByClient``) before it leaves the browser, so a test can assert which
third-party hosts the page *tried* to reach. Console messages, uncaught
exceptions and browser log entries (CSP violations, failed loads) are recorded
too.

    with Browser.launch(CHROMIUM, tmp_path) as browser:
        page = browser.new_page(allow_hosts={"127.0.0.1"})
        page.goto("http://127.0.0.1:8000/page.html")
        page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.sync.client import ClientConnection, connect

__all__ = ["CHROMIUM_ARGS", "Browser", "CDPError", "Page", "find_chromium"]

#: Flags every launch uses: headless, no sandbox (containers), no background traffic.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    # Keep cross-site iframes in the page's process, so the page's Fetch
    # interception also sees their requests.
    "--disable-features=IsolateOrigins,site-per-process,Translate,MediaRouter",
    "--disable-site-isolation-trials",
    # Defence in depth: no name resolves except the loopback address itself.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


def find_chromium() -> str | None:
    """Debian's ``/usr/bin/chromium`` (or any chromium on PATH), or None."""
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


class CDPError(RuntimeError):
    """A CDP command failed or an expected event did not come in time."""


@dataclass
class _Connection:
    ws: ClientConnection
    next_id: int = 0
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def send_nowait(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self.next_id

    def pump(self, timeout: float) -> bool:
        """Read one message (dispatching events); False when none came in time."""
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return False
        message = json.loads(raw)
        if "id" in message:
            self.responses[message["id"]] = message
        else:
            for listener in list(self.listeners):
                listener(message)
        return True

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 15.0,
    ) -> dict[str, Any]:
        ident = self.send_nowait(method, params, session)
        deadline = time.monotonic() + timeout
        while ident not in self.responses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError(f"no answer to {method} within {timeout}s")
            self.pump(min(left, 0.5))
        message = self.responses.pop(ident)
        if "error" in message:
            raise CDPError(f"{method} failed: {message['error']}")
        result: dict[str, Any] = message.get("result", {})
        return result


@dataclass
class Page:
    """One browser tab, with its recorded requests, console errors and log."""

    conn: _Connection
    session: str
    allow_hosts: set[str]
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    network: list[str] = field(default_factory=list)  # every URL the Network domain saw
    blocked: list[str] = field(default_factory=list)  # URLs failed because of their host
    console: list[dict[str, Any]] = field(default_factory=list)  # console.* calls
    exceptions: list[str] = field(default_factory=list)  # uncaught exceptions
    log: list[dict[str, Any]] = field(default_factory=list)  # browser log entries
    loaded: bool = False

    def _on_event(self, message: dict[str, Any]) -> None:
        if message.get("sessionId") != self.session:
            return
        method, params = message.get("method"), message.get("params", {})
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            self.requests.append(url)
            parts = urlsplit(url)
            host = parts.hostname or ""
            if parts.scheme in ("data", "blob", "about") or host in self.allow_hosts:
                self.conn.send_nowait(
                    "Fetch.continueRequest", {"requestId": params["requestId"]}, self.session
                )
            else:
                self.blocked.append(url)
                self.conn.send_nowait(
                    "Fetch.failRequest",
                    {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                    self.session,
                )
        elif method == "Network.requestWillBeSent":
            self.network.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled":
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params["args"]]
            self.console.append({"type": params["type"], "text": " ".join(texts)})
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            description = details.get("exception", {}).get("description") or details.get("text")
            self.exceptions.append(str(description))
        elif method == "Log.entryAdded":
            self.log.append(params["entry"])
        elif method == "Page.loadEventFired":
            self.loaded = True

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.conn.call(method, params, self.session)

    def attempted(self) -> list[str]:
        """Every URL the page tried to load, by either account, first-seen order."""
        return list(dict.fromkeys([*self.requests, *self.network]))

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("timed out waiting for the page")
            self.conn.pump(min(left, 0.2))

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Process events until none has come for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.conn.pump(quiet):
            pass

    def goto(self, url: str, timeout: float = 15.0) -> None:
        self.loaded = False
        self.call("Page.navigate", {"url": url})
        self.wait_until(lambda: self.loaded, timeout)
        self.settle()

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CDPError(f"evaluating {expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def press_tab_until_focused(self, selector: str, limit: int = 50) -> None:
        """Move keyboard focus with Tab until ``selector`` has it."""
        check = f"document.activeElement === document.querySelector({json.dumps(selector)})"
        for _ in range(limit):
            if self.evaluate(check):
                return
            self.key("Tab", "Tab", 9)
        raise CDPError(f"Tab never reached {selector}")

    def key(self, key: str, code: str, key_code: int) -> None:
        """Press and release a key, as a keyboard would."""
        base = {"key": key, "code": code, "windowsVirtualKeyCode": key_code}
        text = {"text": "\r"} if key == "Enter" else {}
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **base, **text})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    def screenshot(self, path: Path, *, down_to: str | None = None) -> Path:
        """Save a PNG of the whole page, or of its top down to element ``down_to``."""
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = size["height"]
        if down_to is not None:
            bottom = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(down_to)})"
                ".getBoundingClientRect(); return r.bottom + window.scrollY; })()"
            )
            height = min(height, bottom + 24)
        clip = {"x": 0, "y": 0, "width": size["width"], "height": height, "scale": 1}
        data = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """A headless Chromium process and its CDP connection."""

    def __init__(
        self, process: subprocess.Popen[bytes], conn: _Connection, stack: contextlib.ExitStack
    ) -> None:
        self.process = process
        self.conn = conn
        self._stack = stack

    @classmethod
    def launch(cls, executable: str, profile: Path, timeout: float = 20.0) -> Browser:
        profile.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [
                executable,
                *CHROMIUM_ARGS,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not active.exists() or len(active.read_text().splitlines()) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise CDPError(f"chromium did not start (exit code {process.returncode})")
            time.sleep(0.05)
        port, path = active.read_text().splitlines()[:2]
        stack = contextlib.ExitStack()
        try:
            ws = stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=None, proxy=None)
            )
        except Exception:
            process.kill()
            process.wait()
            raise
        return cls(process, _Connection(ws), stack)

    def new_page(self, *, allow_hosts: set[str], width: int = 900, height: int = 900) -> Page:
        target = self.conn.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.conn.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self.conn, session, set(allow_hosts))
        self.conn.listeners.append(page._on_event)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        page.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may be gone already
            self.conn.call("Browser.close", timeout=5.0)
        try:
            self._stack.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
