"""Running the sandbox: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.requests import ClientDisconnect

from bulk_scheduler.api.contract import API_KEY_ENV, API_PREFIX, BASE_URL_ENV
from bulk_scheduler.sandbox.app import ConnectionDropped, SandboxApp, create_app
from bulk_scheduler.sandbox.config import SandboxConfig
from bulk_scheduler.sandbox.seed import SEED_ACCOUNTS

__all__ = ["SandboxServer", "describe", "serve"]

_START_TIMEOUT_SECONDS = 10.0


class _DropFilter(logging.Filter):
    """Hide uvicorn's report of the connections the sandbox cuts on purpose, and of
    clients that hang up mid-request (a killed client is a case the sandbox serves)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped | ClientDisconnect)


_drop_filter = _DropFilter()


def _quiet_uvicorn_logging() -> None:
    error_logger = logging.getLogger("uvicorn.error")
    if _drop_filter not in error_logger.filters:
        error_logger.addFilter(_drop_filter)


def _uvicorn_config(app: Any) -> uvicorn.Config:
    # log_config=None: leave the host program's logging alone; warnings and up still show.
    return uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def _bind_loopback(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections; without it
    # Nagle's algorithm holds small answers back ~40 ms on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class SandboxServer:
    """A sandbox on ``127.0.0.1`` and an OS-chosen port, run in a background thread.

    >>> with SandboxServer() as sandbox:  # doctest: +SKIP
    ...     httpx.get(f"{sandbox.base_url}/accounts", headers=...)
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self._initial_config = config or SandboxConfig()
        self._app = create_app(self._initial_config)
        self._sandbox: SandboxApp = self._app.state.sandbox
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._control: httpx.Client | None = None  # for stats/reset/set_faults
        self.port = 0

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Bind, start serving, and return once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError("sandbox server already started")
        _quiet_uvicorn_logging()
        self._socket = _bind_loopback("127.0.0.1", 0)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(self._app))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.005)
        with socket.create_connection(("127.0.0.1", self.port), timeout=_START_TIMEOUT_SECONDS):
            pass
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT_SECONDS)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=_START_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        if self._control is not None:
            self._control.close()
        self._sandbox.files.close()
        self._server = self._thread = self._socket = self._control = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses and knobs ---------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/partner/v1``: what a client uses as its base URL."""
        return f"{self.root_url}{API_PREFIX}"

    @property
    def api_key(self) -> str:
        """The key the sandbox accepts."""
        return self.config.api_key

    @property
    def client_env(self) -> dict[str, str]:
        """The environment variables that point a client (``bulk-scheduler``) here."""
        return {API_KEY_ENV: self.api_key, BASE_URL_ENV: self.base_url}

    @property
    def config(self) -> SandboxConfig:
        """The configuration in force now (fault changes included)."""
        return self._sandbox.config

    def stats(self) -> dict[str, Any]:
        """``GET /__sandbox/stats``."""
        return self._call("GET", "stats")

    def reset(self) -> None:
        """Forget all posts and counters."""
        self._call("POST", "reset")

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Change fault knobs at run time, e.g. ``set_faults(error_rate=0)``."""
        return self._call("POST", "faults", json=faults)["faults"]

    def files(self, **changes: Any) -> dict[str, Any]:
        """``/__sandbox/files``: the upload counters; ``changes`` steer expiry."""
        return self._call("POST" if changes else "GET", "files", json=changes or None)

    def publish(self, advance_seconds: float = 0) -> dict[str, Any]:
        """``POST /__sandbox/publish``: advance the clock, then deliver every due post."""
        return self._call("POST", "publish", json={"advance_seconds": advance_seconds})

    def _call(self, method: str, name: str, json: object = None) -> dict[str, Any]:
        if self._control is None:
            self._control = httpx.Client(base_url=self.root_url, timeout=10, trust_env=False)
        response = self._control.request(method, f"/__sandbox/{name}", json=json)
        if response.status_code != 200:
            raise ValueError(response.json().get("message", response.text))
        return response.json()


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _ReadyServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8787,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the sandbox in the foreground until interrupted (``bulk-scheduler sandbox``).

    ``on_ready`` gets the base URL once the port accepts connections. Only loopback
    hosts are allowed: the sandbox accepts a published demo key.
    """
    if not _is_loopback_host(host):
        raise ValueError(f"the sandbox only serves on loopback (127.0.0.1, ::1), not {host!r}")
    bind_host = "127.0.0.1" if host == "localhost" else host.strip("[]")
    _quiet_uvicorn_logging()
    sock = _bind_loopback(bind_host, port)
    base_url = f"http://{_url_host(bind_host)}:{sock.getsockname()[1]}{API_PREFIX}"
    app = create_app(config)
    server = _ReadyServer(
        _uvicorn_config(app),
        on_started=(lambda: on_ready(base_url)) if on_ready else (lambda: None),
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.state.sandbox.files.close()


def describe(base_url: str, api_key: str) -> str:
    """What ``bulk-scheduler sandbox`` prints on start: URL, key, and the seeded accounts."""
    rows = [("id", "platform", "type", "username", "status")]
    for account in SEED_ACCOUNTS:
        status = "active" if account.get("status") == "active" else "inactive (not listed)"
        rows.append(
            (account["id"], account["platform"], account["type"], f"@{account['username']}", status)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(
        [
            f"Genviral Partner API sandbox at {base_url}",
            "",
            "Use it with:",
            f"  export {BASE_URL_ENV}={base_url}",
            f"  export {API_KEY_ENV}={api_key}",
            "",
            "Seeded accounts:",
            *table,
            "",
            "Sandbox controls: GET /__sandbox/stats, POST /__sandbox/reset, "
            "POST /__sandbox/faults, POST /__sandbox/publish",
        ]
    )
