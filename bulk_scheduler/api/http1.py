"""A small HTTP/1.1 keep-alive pool for ``POST /posts``, the hot path of a launch.

A launch sends thousands of small JSON bodies to one origin. Through aiohttp each one
costs about 0.4 ms of CPU; through this pool about 0.12 ms (bench/README.md), which is
what lets one core keep dozens of requests in flight while the journal and the sheet
get their share. Everything else (other endpoints, proxies) stays on aiohttp.

The scope is deliberately narrow: one origin, ``http`` or verified ``https``, a request
with a body, one request at a time per connection. Answers are parsed by llhttp (through
httptools, Node's own parser): framed by ``Content-Length``, chunked, or ended by the
close of the connection; ``1xx`` answers are skipped. Nothing is followed or retried
here: the caller classifies every failure.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

__all__ = [
    "ConnectFailed",
    "ConnectionLost",
    "Http1Pool",
    "RawAnswer",
    "ReadTimedOut",
    "TransportError",
    "can_serve",
]


class TransportError(Exception):
    """The request could not be completed."""


class ConnectFailed(TransportError):
    """No connection could be opened: nothing was sent."""


class ConnectionLost(TransportError):
    """The connection failed after the request was written: the server may have acted."""


class ReadTimedOut(TransportError):
    """No complete answer in time after the request was written."""


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """An answer: status, headers (names in lower case, the last value of a repeated
    one), and the body; ``body`` is None when it was larger than the limit."""

    status: int
    headers: dict[str, str]
    body: bytes | None


_UNSAFE_IN_HEADERS = frozenset("\r\n\0")


def can_serve(url: str, *header_values: str) -> bool:
    """True when ``url`` (and the header values to send) fit this pool: http(s), no user
    info, a host and path of printable ASCII, and header values free of line breaks."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    if not all("!" <= c <= "~" for c in parts.netloc + parts.path):
        return False  # only printable ASCII goes into the request line and Host as is
    return all(
        value.isascii() and not _UNSAFE_IN_HEADERS.intersection(value) for value in header_values
    )


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one exchange at a time."""

    def __init__(self, max_body: int) -> None:
        self._max_body = max_body
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[RawAnswer] | None = None
        self._reset()

    def _reset(self) -> None:
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False
        self._headers_done = False
        self._until_close = False  # no Content-Length and not chunked: ends with the close
        self._keep_alive = False

    # -- asyncio.Protocol ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # nothing was asked: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionLost(f"the answer is not valid HTTP ({exc})"))

    def eof_received(self) -> bool:
        self.closed = True  # the server is done with it: never picked again
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and self._until_close and not self._too_large:
            self._finish()  # the close is how this answer ends
            return
        self._waiter = None
        lost = ConnectionLost("the connection closed before the whole answer arrived")
        lost.__cause__ = exc
        waiter.set_exception(lost)

    # -- httptools callbacks -------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._headers_done = True
        # Asked now: llhttp forgets the message's flags once it is complete.
        self._keep_alive = self._parser.should_keep_alive()
        headers = self._headers
        self._until_close = (
            "content-length" not in headers
            and "chunked" not in headers.get("transfer-encoding", "").lower()
        )

    def on_body(self, body: bytes) -> None:
        if self._too_large:
            return
        self._size += len(body)
        if self._size > self._max_body:
            self._too_large = True
            self._chunks.clear()
            self._finish()  # answered now; the rest is never read
            self.close()
            return
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self._reset()  # an interim answer (100 Continue, 103 Early Hints): wait on
            return
        if not self._too_large:
            self._finish()

    # -- the exchange ------------------------------------------------------------------

    def _finish(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.done():
            return
        body = None if self._too_large else b"".join(self._chunks)
        waiter.set_result(RawAnswer(self._parser.get_status_code(), self._headers, body))

    def _fail(self, error: TransportError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self.close()

    def _time_out(self, timeout: float) -> None:
        self._fail(ReadTimedOut(f"no answer in {timeout:g} s"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes, timeout: float) -> RawAnswer:
        """Write ``request`` and wait for its answer."""
        assert self.transport is not None and self._waiter is None
        loop = asyncio.get_running_loop()
        self._reset()
        waiter = self._waiter = loop.create_future()
        try:
            if self.transport.is_closing():
                raise ConnectionResetError("the connection is closing")
            self.transport.write(request)
        except (OSError, RuntimeError) as exc:
            self._waiter = None
            self.close()
            raise ConnectionLost(f"the request could not be written ({exc})") from exc
        timer = loop.call_later(timeout, self._time_out, timeout)
        try:
            answer = await waiter
        except BaseException:
            self._waiter = None
            self.close()  # cancelled or failed mid-exchange: never reused
            raise
        finally:
            timer.cancel()
        if self._too_large or not self._keep_alive:
            self.close()
        return answer


class Http1Pool:
    """Keep-alive connections to the origin of ``base_url``, at most ``limit`` open.

    ``headers`` are sent with every request, after ``Host``; the ``Content-Type`` and
    ``Content-Length`` of each body are added.
    """

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        tls: ssl.SSLContext,
        limit: int,
        connect_timeout: float,
        read_timeout: float,
        max_body: int,
    ) -> None:
        parts = urlsplit(base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path.rstrip("/")
        self._tls = tls
        self._limit = max(1, limit)
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_body = max_body
        lines = [f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
        self._header_block = ("\r\n".join(lines) + "\r\n").encode("ascii")
        self._idle: list[_Connection] = []
        self._open = 0
        self._closed = False
        self._waiting: deque[asyncio.Future[None]] = deque()

    def __repr__(self) -> str:
        return f"Http1Pool({self._host}:{self._port}, open={self._open})"  # never the headers

    async def post(self, path: str, body: bytes, content_type: str) -> RawAnswer:
        """``POST`` ``body`` to ``path`` (below the base URL's path) and read the answer."""
        head = (
            f"POST {self._path}/{path.lstrip('/')} HTTP/1.1\r\n".encode("ascii")
            + self._header_block
            + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode("ascii")
        )
        connection = await self._acquire()
        try:
            return await connection.exchange(head + body, self._read_timeout)
        finally:
            self._release(connection)

    async def _acquire(self) -> _Connection:
        while True:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection
                self._open -= 1
            if self._open < self._limit:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake_one()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake_one()  # pass the turn on
                raise

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self._max_body),
                    self._host,
                    self._port,
                    ssl=self._tls if self._https else None,
                    server_hostname=self._host if self._https else None,
                )
        except TimeoutError as exc:
            raise ConnectFailed(f"no connection in {self._connect_timeout:g} s") from exc
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(str(exc) or type(exc).__name__) from exc
        return connection

    def _release(self, connection: _Connection) -> None:
        if self._closed:
            connection.close()
        if connection.closed:
            self._open -= 1
        else:
            self._idle.append(connection)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        """Close the idle connections now, and those in use when their exchange ends."""
        self._closed = True
        for connection in self._idle:
            connection.close()
        self._open -= len(self._idle)
        self._idle.clear()
