"""A minimal Chrome DevTools Protocol client for the browser tests: headless Chromium driven
over ``--remote-debugging-pipe`` (fd 3: commands in, fd 4: replies and events out, each
message JSON ended by a NUL byte), so no websocket library and no port is needed.

Only what the report's tests use: open a page, evaluate JavaScript, press keys, click an
element, reload, and let the page download a file into a folder.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium installed (.ci/run installs Debian's chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# key -> (code, windowsVirtualKeyCode) for the keys the tests press
_KEYS = {"Enter": ("Enter", 13), "Escape": ("Escape", 27)}


class Browser:
    """One headless Chromium with one page.

    Args:
        chromium: the executable.
        profile: a user-data folder (kept between ``reload``s, so local storage persists).
        downloads: where downloads go (None: downloads are not allowed).
        timeout: seconds to wait for any reply or event.
    """

    def __init__(
        self, chromium: str, profile: Path, downloads: Path | None = None, timeout: float = 60
    ) -> None:
        self.timeout = timeout
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()

        def child_fds() -> None:  # runs in the child before exec
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,
            pass_fds=(3, 4),
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self._events: list[dict[str, Any]] = []
        if downloads is not None:
            self.call(
                "Browser.setDownloadBehavior",
                behavior="allow",
                downloadPath=str(downloads),
                eventsEnabled=True,
            )
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    # --- the protocol ---------------------------------------------------------------------
    def _send(self, msg: dict[str, Any]) -> None:
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._cmd_w, data) :]

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out_r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._out_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events read meanwhile are kept)."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self._send(msg)
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_event(self, method: str, **match: Any) -> dict[str, Any]:
        """The first event ``method`` (whose params contain ``match``) not yet consumed."""
        while True:
            for i, ev in enumerate(self._events):
                params = ev.get("params", {})
                if ev.get("method") == method and all(params.get(k) == v for k, v in match.items()):
                    del self._events[i]
                    return params
            self._events.append(self._read())

    # --- what the tests do ------------------------------------------------------------------
    def open(self, url: str) -> None:
        """Load ``url`` as a new document (not a jump within the open one) and wait until the
        report says it is ready (``<body data-ready="1">``)."""
        self._new_document(lambda: self.call("Page.navigate", session=True, url=url))

    def reload(self) -> None:
        """Reload the page (local storage is kept) and wait until it is ready."""
        self._new_document(lambda: self.call("Page.reload", session=True, ignoreCache=True))

    def _new_document(self, go: Any) -> None:
        # A mark on the old document tells it apart from the new one: load events of an
        # earlier navigation may still be in the pipe.
        self.js("window.__oldDocument = true")
        go()
        self.wait_until(
            "!window.__oldDocument && document.readyState === 'complete' && "
            "document.body && document.body.getAttribute('data-ready') === '1'"
        )

    def wait_stored(self, url: str, expression: str) -> Any:
        """Poll a second, fresh page of ``url`` until ``expression`` is truthy there; return it.

        Local storage written by the page reaches the browser asynchronously; a fresh page
        reads the browser's copy, so this waits until a write has been stored (a reload
        right after a write can otherwise race it on a busy machine).
        """
        deadline = time.monotonic() + self.timeout
        while True:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            main, self.session = self.session, session
            try:
                self.call("Runtime.enable", session=True)
                self._new_document(lambda: self.call("Page.navigate", session=True, url=url))
                value = self.js(expression)
            finally:
                self.session = main
                self.call("Target.closeTarget", targetId=target)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.2)

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its value (JSON-able)."""
        res = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript error: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def wait_until(self, expression: str) -> Any:
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"never true: {expression}")

    def press(self, key: str) -> None:
        """Press and release one key (a printable character, ``Enter`` or ``Escape``)."""
        code, vk = _KEYS[key] if key in _KEYS else (f"Key{key.upper()}", ord(key.upper()))
        text = key if len(key) == 1 else ("\r" if key == "Enter" else "")
        params: dict[str, Any] = {"key": key, "code": code, "windowsVirtualKeyCode": vk}
        self.call("Input.dispatchKeyEvent", session=True, type="keyDown", text=text, **params)
        self.call("Input.dispatchKeyEvent", session=True, type="keyUp", **params)

    def type_text(self, text: str) -> None:
        """Type ``text`` into the focused element."""
        self.call("Input.insertText", session=True, text=text)

    def click(self, selector: str) -> None:
        """Click the centre of the first element matching the CSS ``selector`` with the mouse."""
        box = self.wait_until(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});"
            "if(!e) return null;"
            "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                session=True,
                type=kind,
                x=box[0],
                y=box[1],
                button="left",
                clickCount=1,
            )

    def close(self) -> None:
        try:
            self._send({"id": self._id + 1, "method": "Browser.close", "params": {}})
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._cmd_w)
            os.close(self._out_r)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
