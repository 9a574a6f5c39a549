"""A tiny HTTP server on loopback that answers every request with a canned reply,
for the answers the sandbox never gives (HTML pages, truncated JSON, hangs)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Canned:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    hang: float = 0.0  # seconds to wait before answering
    declared_length: int | None = None  # Content-Length to claim (truncation)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up on an oversized body is the point of some tests


class LoopbackServer:
    """An ``http.server`` serving on a thread for the length of a ``with`` block.

    Subclasses build their server, then call :meth:`_serve` with it.
    """

    def _serve(self, httpd: ThreadingHTTPServer, scheme: str = "http") -> None:
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self.base_url = f"{scheme}://127.0.0.1:{self.port}/api/partner/v1"
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class CannedServer(LoopbackServer):
    def __init__(self, reply: Canned) -> None:
        self.reply = reply
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers), body))
                reply = server.reply
                if reply.hang:
                    time.sleep(reply.hang)
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                size = reply.declared_length if reply.declared_length else len(reply.body)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.declared_length:
                    self.close_connection = True

            do_GET = do_POST = do_PATCH = _answer

        self._serve(_QuietServer(("127.0.0.1", 0), Handler))
