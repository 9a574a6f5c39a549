"""A media file server on loopback for the preflight probe's tests.

Serves files from a directory with ``Range`` support (206 + Content-Range), counts the
requests and body bytes it sends per request target, and has switches per path: refuse
HEAD, answer slowly, redirect, answer with a fixed status or body, ignore ``Range``.
"""

from __future__ import annotations

import mimetypes
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass
class Route:
    """How to answer one path. Without ``body`` or ``status`` the file of the same name
    under the server's directory is served (or ``file``, a name in that directory)."""

    file: str | None = None
    body: bytes | None = None
    content_type: str | None = None
    status: int | None = None  # answer every request with this status (404, 500…)
    redirect_to: str | None = None  # answer 302 with this Location
    refuse_head: bool = False  # answer HEAD with 405
    delay: float = 0.0  # seconds to wait before answering
    ignore_range: bool = False  # answer ranged GETs with the whole file (200)


@dataclass(frozen=True)
class Hit:
    """One request the server answered: the method, the request target (path and query),
    the Range header, the status and the body bytes sent."""

    method: str
    target: str
    range: str | None
    status: int
    bytes_sent: int


class MediaServer:
    """``with MediaServer(directory) as server:`` serves ``directory`` on an ephemeral
    loopback port until the block ends."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                server._handle(self)

            def do_GET(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a slow handler must not hold up the tests
        self.port = self._httpd.server_address[1]
        # A short poll interval: shutdown() waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes slow handlers
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, target: str) -> str:
        """The URL of a path (``"/clip.mp4"``) on this server."""
        return f"http://127.0.0.1:{self.port}{target}"

    def route(self, path: str, **switches: object) -> str:
        """Set how ``path`` is answered (see :class:`Route`) and return its URL."""
        self.routes[path] = Route(**switches)  # type: ignore[arg-type]
        return self.url(path)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until no request is being answered: a client can have read a whole answer
        a moment before the server's thread records it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight == 0:
                    return
            time.sleep(0.002)

    def hits_for(self, target: str) -> list[Hit]:
        """The requests made to a target (path, plus query when it had one)."""
        self.settle()
        with self._lock:
            return [hit for hit in self.hits if hit.target == target]

    def request_counts(self) -> Counter[str]:
        """Requests per target."""
        self.settle()
        with self._lock:
            return Counter(hit.target for hit in self.hits)

    # --- answering ---------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        status, sent = 0, 0
        try:
            status, sent = self._answer(request)
        except (BrokenPipeError, ConnectionResetError):
            # the client hung up (timed out, or stopped reading)
            request.close_connection = True
        finally:
            # Counted and recorded at once, so settle() sees every answered request.
            with self._lock:
                self._in_flight -= 1
                self.hits.append(
                    Hit(request.command, request.path, request.headers.get("Range"), status, sent)
                )

    def _answer(self, request: BaseHTTPRequestHandler) -> tuple[int, int]:
        path = urlsplit(request.path).path
        route = self.routes.get(request.path) or self.routes.get(path) or Route()
        if route.delay and self._stopping.wait(route.delay):
            return 0, 0
        if route.redirect_to is not None:
            return self._send(request, 302, b"", extra={"Location": route.redirect_to})
        if route.refuse_head and request.command == "HEAD":
            return self._send(request, 405, b"", extra={"Allow": "GET"})
        if route.status is not None:
            return self._send(request, route.status, route.body or b"", route.content_type)
        if route.body is not None:
            data = route.body
        else:
            file = self.directory / (route.file or path.lstrip("/"))
            if not path.strip("/") or not file.is_file():
                return self._send(request, 404, b"not found", "text/plain")
            data = file.read_bytes()
        content_type = route.content_type or _guess_type(route.file or path)
        header = request.headers.get("Range")
        if header is None or route.ignore_range or request.command == "HEAD":
            return self._send(request, 200, data, content_type, extra={"Accept-Ranges": "bytes"})
        span = _parse_range(header, len(data))
        if span is None:
            extra = {"Content-Range": f"bytes */{len(data)}"}
            return self._send(request, 416, b"", extra=extra)
        first, last = span
        extra = {"Content-Range": f"bytes {first}-{last}/{len(data)}", "Accept-Ranges": "bytes"}
        return self._send(request, 206, data[first : last + 1], content_type, extra=extra)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[int, int]:
        request.send_response(status)
        if content_type:
            request.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command == "HEAD":
            return status, 0
        sent = 0
        for start in range(0, len(body), 64 * 1024):
            chunk = body[start : start + 64 * 1024]
            request.wfile.write(chunk)
            sent += len(chunk)
        return status, sent


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """First and last byte of a single ``bytes=`` range, or None when unsatisfiable."""
    match = _RANGE.match(header.strip())
    if match is None or size == 0:
        return None
    first_text, last_text = match.groups()
    if not first_text:  # "bytes=-N": the last N bytes
        if not last_text:
            return None
        return max(0, size - int(last_text)), size - 1
    first = int(first_text)
    if first >= size:
        return None
    last = min(int(last_text), size - 1) if last_text else size - 1
    return (first, last) if last >= first else None


def _guess_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"
