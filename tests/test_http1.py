"""The lean HTTP/1.1 pool of ``POST /posts`` against a scripted server on loopback: how
answers are framed, when connections are reused, and how failures are told apart.

(The client's classification of these answers, and the pool under a real launch, are
tested through ``PartnerClient`` in test_client.py, test_run.py and test_resume.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from bulk_scheduler.api.client import _tls_context
from bulk_scheduler.api.http1 import (
    ConnectFailed,
    ConnectionLost,
    Http1Pool,
    ReadTimedOut,
    can_serve,
)

OK = b'{"ok": true}'


def reply(status: int = 201, body: bytes = OK, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


Answer = Callable[[int, bytes, asyncio.StreamWriter], Awaitable[bool]]


@dataclass
class Scripted:
    """A server that reads each request whole, then lets ``answer`` write the reply;
    ``answer`` returns False to close the connection. Counts connections and requests."""

    answer: Answer
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def __aenter__(self) -> Scripted:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if not await self.answer(len(self.requests), request, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def pool(url: str, *, limit: int = 4, read_timeout: float = 5.0, max_body: int = 1024) -> Http1Pool:
    return Http1Pool(
        url,
        {"Authorization": "Bearer k", "Accept": "application/json"},
        tls=_tls_context(),
        limit=limit,
        connect_timeout=2.0,
        read_timeout=read_timeout,
        max_body=max_body,
    )


def replies(*chunks: bytes, keep: bool = True) -> Answer:
    async def answer(number: int, request: bytes, writer: asyncio.StreamWriter) -> bool:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        return keep

    return answer


def delayed(first: float, then: float = 0.0) -> Answer:
    """Answer 201 after ``first`` seconds for the first request, ``then`` for the others."""

    async def answer(number: int, request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(first if number == 1 else then)
        writer.write(reply())
        return True

    return answer


def run(coroutine: Awaitable[object]) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def test_the_request_carries_the_path_headers_and_body() -> None:
    async def go() -> None:
        async with Scripted(replies(reply())) as server:
            http = pool(server.url)
            answer = await http.post("posts", b'{"a": 1}', "application/json")
            await http.close()
        assert answer.status == 201 and answer.body == OK
        head, _, body = server.requests[0].partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0] == "POST /api/v1/posts HTTP/1.1"
        assert f"Host: 127.0.0.1:{server.port}" in lines
        assert {"Authorization: Bearer k", "Content-Type: application/json"} <= set(lines)
        assert "Content-Length: 8" in lines and body == b'{"a": 1}'

    run(go())


def test_one_connection_serves_requests_one_after_another() -> None:
    async def go() -> None:
        async with Scripted(replies(reply())) as server:
            http = pool(server.url)
            for _ in range(20):
                assert (await http.post("posts", b"{}", "application/json")).status == 201
            await http.close()
        assert server.connections == 1 and len(server.requests) == 20

    run(go())


def test_never_more_connections_than_the_limit() -> None:
    async def go() -> None:
        async with Scripted(delayed(0.02, 0.02)) as server:
            http = pool(server.url, limit=3)
            answers = await asyncio.gather(
                *(http.post("posts", b"{}", "application/json") for _ in range(12))
            )
            await http.close()
        assert [a.status for a in answers] == [201] * 12
        assert server.connections == 3

    run(go())


def test_a_chunked_answer_is_joined() -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n"
        b"5\r\n" + OK[:5] + b"\r\n" + f"{len(OK) - 5:x}\r\n".encode() + OK[5:] + b"\r\n0\r\n\r\n"
    )

    async def go() -> None:
        async with Scripted(replies(chunked[:30], chunked[30:])) as server:
            http = pool(server.url)
            first = await http.post("posts", b"{}", "application/json")
            second = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert first.body == OK and second.body == OK
        assert first.headers["retry-after"] == "7"  # names in lower case
        assert server.connections == 1

    run(go())


def test_an_interim_answer_is_skipped() -> None:
    async def go() -> None:
        async with Scripted(replies(b"HTTP/1.1 100 Continue\r\n\r\n", reply(409))) as server:
            http = pool(server.url)
            answer = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert answer.status == 409 and answer.body == OK

    run(go())


def test_an_answer_ended_by_the_close_is_whole() -> None:
    close_delimited = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + OK

    async def go() -> None:
        async with Scripted(replies(close_delimited, keep=False)) as server:
            http = pool(server.url)
            first = await http.post("posts", b"{}", "application/json")
            second = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert first.body == OK and second.body == OK
        assert server.connections == 2  # not reused after Connection: close

    run(go())


def test_connection_close_header_means_a_new_connection_next_time() -> None:
    async def go() -> None:
        async with Scripted(replies(reply(headers={"Connection": "close"}), keep=False)) as server:
            http = pool(server.url)
            for _ in range(3):
                assert (await http.post("posts", b"{}", "application/json")).body == OK
            await http.close()
        assert server.connections == 3

    run(go())


def test_an_idle_connection_the_server_closed_is_not_used() -> None:
    async def go() -> None:
        async with Scripted(replies(reply(), keep=False)) as server:  # closes after answering
            http = pool(server.url)
            await http.post("posts", b"{}", "application/json")
            await asyncio.sleep(0.05)  # the close arrives while the connection is idle
            answer = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert answer.status == 201 and server.connections == 2

    run(go())


def test_a_body_over_the_limit_is_not_kept_and_the_connection_is_dropped() -> None:
    async def go() -> None:
        async with Scripted(replies(reply(body=b"x" * 5000))) as server:
            http = pool(server.url, max_body=1024)
            big = await http.post("posts", b"{}", "application/json")
            again = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert big.status == 201 and big.body is None
        assert again.body is None and server.connections == 2

    run(go())


@pytest.mark.parametrize(
    "chunks",
    [
        (b'HTTP/1.1 201 Created\r\nContent-Length: 500\r\n\r\n{"ok"',),  # cut short
        (),  # no answer at all
        (b"this is not HTTP\r\n\r\n",),
    ],
    ids=["cut-short", "closed-unanswered", "not-http"],
)
def test_a_broken_answer_is_a_lost_connection(chunks: tuple[bytes, ...]) -> None:
    async def go() -> None:
        async with Scripted(replies(*chunks, keep=False)) as server:
            http = pool(server.url)
            with pytest.raises(ConnectionLost):
                await http.post("posts", b"{}", "application/json")
            server.answer = replies(reply())
            answer_after = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert answer_after.status == 201

    run(go())


def test_no_answer_in_time_is_a_read_timeout_and_the_connection_is_not_reused() -> None:
    async def go() -> None:
        async with Scripted(delayed(1.0)) as server:
            http = pool(server.url, read_timeout=0.2)
            with pytest.raises(ReadTimedOut):
                await http.post("posts", b"{}", "application/json")
            answer = await http.post("posts", b"{}", "application/json")
            await http.close()
        assert answer.status == 201 and server.connections == 2

    run(go())


def test_a_cancelled_request_gives_its_place_back() -> None:
    async def go() -> None:
        async with Scripted(delayed(0.3)) as server:
            http = pool(server.url, limit=1)
            first = asyncio.create_task(http.post("posts", b"{}", "application/json"))
            await asyncio.sleep(0.05)
            first.cancel()
            answer = await asyncio.wait_for(http.post("posts", b"{}", "application/json"), 2)
            await http.close()
        assert answer.status == 201

    run(go())


def test_nothing_listening_is_a_failed_connect() -> None:
    async def go() -> None:
        async with Scripted(replies(reply())) as server:
            url = server.url
        http = pool(url)
        with pytest.raises(ConnectFailed):
            await http.post("posts", b"{}", "application/json")

    run(go())


@pytest.mark.parametrize(
    ("url", "served"),
    [
        ("https://www.genviral.io/api/partner/v1", True),
        ("http://127.0.0.1:8787/api/partner/v1", True),
        ("https://user:pw@api.example.com/v1", False),
        ("https://api.example.com:99999/v1", False),
        ("ftp://api.example.com/v1", False),
        ("https://bücher.example/v1", False),
        ("https://api.example.com/my api/v1", False),  # would need percent-encoding
        ("https://api.example.com/v%201", True),
    ],
)
def test_which_urls_the_pool_serves(url: str, served: bool) -> None:
    assert can_serve(url) is served


def test_a_header_value_with_a_line_break_is_never_sent_by_the_pool() -> None:
    assert can_serve("https://api.example.com/v1", "gva_x.y") is True
    assert can_serve("https://api.example.com/v1", "gva_x.y\r\nX-Evil: 1") is False
