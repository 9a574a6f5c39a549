"""``PartnerClient.create_post`` against a scripted HTTP server on loopback: how answers
are framed, when connections are reused, and how each transport failure is classified.

The server reads each request whole and lets a script write the reply byte for byte,
so answers no real API sends on purpose (cut short, not HTTP, a close while idle) can
be given. Each case runs on asyncio's loop and on uvloop (the command line's loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bulk_scheduler.api import client as client_module
from bulk_scheduler.api.client import (
    ApiError,
    ApiKey,
    CreateOutcome,
    OutcomeKind,
    PartnerClient,
    Timeouts,
)
from bulk_scheduler.errors import ConfigurationError

KEY = "gva_test_transport.s3cr3t-value"
CREATED = json.dumps({"ok": True, "data": {"id": "p1", "status": "scheduled"}}).encode()
BODY = b'{"caption":"hi","external_id":"x-1"}'


def reply(status: int = 201, body: bytes = CREATED, headers: dict[str, str] | None = None) -> bytes:
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
        return f"http://127.0.0.1:{self.port}/api/partner/v1"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if not await self.answer(len(self.requests), request, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


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


def client(url: str, *, connections: int = 4, read: float = 5.0) -> PartnerClient:
    return PartnerClient(
        ApiKey(KEY), url, timeout=Timeouts(connect=2.0, read=read), max_connections=connections
    )


Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Iterator[Runner]:
    if request.param == "asyncio":
        yield asyncio.run
        return
    uvloop = pytest.importorskip("uvloop")

    def on_uvloop(coroutine: Coroutine[Any, Any, Any]) -> Any:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)

    yield on_uvloop


def assert_lost(outcome: CreateOutcome) -> None:
    """Sent, and no usable answer: retried, and the post may exist."""
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.maybe_committed, outcome
    assert outcome.status is None and outcome.error_code == "connection_lost"
    assert "may have been created" in outcome.message


# -- what is sent, and connection reuse ---------------------------------------------------


def test_the_request_carries_the_path_headers_and_body(run: Runner) -> None:
    async def go() -> None:
        async with Scripted(replies(reply())) as server, client(server.url) as api:
            outcome = await api.create_post(BODY)
        assert outcome.kind is OutcomeKind.CREATED and outcome.post is not None
        head, _, body = server.requests[0].partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
        assert lines[0] == "POST /api/partner/v1/posts HTTP/1.1"
        assert headers["host"] == f"127.0.0.1:{server.port}"
        assert headers["authorization"] == f"Bearer {KEY}"
        assert headers["content-type"] == "application/json"
        assert headers["accept"] == "application/json"
        assert headers["accept-encoding"] == "identity"
        assert headers["user-agent"].startswith("bulk-scheduler/")
        assert headers["content-length"] == str(len(BODY)) and body == BODY

    run(go())


def test_one_connection_serves_requests_one_after_another(run: Runner) -> None:
    async def go() -> None:
        async with Scripted(replies(reply())) as server, client(server.url) as api:
            for _ in range(20):
                assert (await api.create_post(BODY)).kind is OutcomeKind.CREATED
        assert server.connections == 1 and len(server.requests) == 20

    run(go())


def test_never_more_connections_than_max_connections(run: Runner) -> None:
    async def go() -> None:
        async with (
            Scripted(delayed(0.02, 0.02)) as server,
            client(server.url, connections=3) as api,
        ):
            outcomes = await asyncio.gather(*(api.create_post(BODY) for _ in range(12)))
        # The others waited for a connection (no pool timeout), none failed.
        assert [o.kind for o in outcomes] == [OutcomeKind.CREATED] * 12
        assert server.connections == 3

    run(go())


def test_no_cookie_is_kept(run: Runner) -> None:
    answer = reply(headers={"Set-Cookie": "session=abc; Path=/"})

    async def go() -> None:
        async with Scripted(replies(answer)) as server, client(server.url) as api:
            await api.create_post(BODY)
            await api.create_post(BODY)
        assert b"cookie:" not in server.requests[1].lower()

    run(go())


# -- how answers are framed ---------------------------------------------------------------


def test_a_chunked_answer_is_joined(run: Runner) -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(
            f"{len(part):x}\r\n".encode() + part + b"\r\n"
            for part in (CREATED[:5], CREATED[5:20], CREATED[20:])
        )
        + b"0\r\n\r\n"
    )

    async def go() -> None:
        two_writes = replies(chunked[:40], chunked[40:])
        async with Scripted(two_writes) as server, client(server.url) as api:
            first = await api.create_post(BODY)
            second = await api.create_post(BODY)
        assert first.kind is second.kind is OutcomeKind.CREATED
        assert first.post is not None and first.post.id == "p1"
        assert server.connections == 1  # a chunked answer leaves the connection reusable

    run(go())


def test_a_chunked_429_keeps_its_retry_after(run: Runner) -> None:
    error = b'{"ok": false, "error_code": "rate_limited", "message": "slow down"}'
    chunked = (
        b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n"
        + f"{len(error):x}\r\n".encode()
        + error
        + b"\r\n0\r\n\r\n"
    )

    async def go() -> CreateOutcome:
        async with Scripted(replies(chunked)) as server, client(server.url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.rate_limited
    assert outcome.retry_after == 7 and not outcome.maybe_committed


def test_an_interim_answer_is_skipped(run: Runner) -> None:
    conflict = b'{"ok": false, "error_code": "create_failed", "message": "taken"}'

    async def go() -> CreateOutcome:
        interim = b"HTTP/1.1 100 Continue\r\n\r\n"
        async with (
            Scripted(replies(interim, reply(409, conflict))) as server,
            client(server.url) as api,
        ):
            return await api.create_post(BODY)

    outcome = run(go())
    assert (outcome.kind, outcome.status, outcome.error_code) == (
        OutcomeKind.ROW_ERROR,
        409,
        "create_failed",
    )


def test_an_answer_ended_by_the_close_is_whole(run: Runner) -> None:
    close_delimited = b"HTTP/1.1 201 Created\r\nConnection: close\r\n\r\n" + CREATED

    async def go() -> None:
        async with (
            Scripted(replies(close_delimited, keep=False)) as server,
            client(server.url) as api,
        ):
            first = await api.create_post(BODY)
            second = await api.create_post(BODY)
        assert first.kind is second.kind is OutcomeKind.CREATED
        assert server.connections == 2  # not reused after the close

    run(go())


def test_connection_close_means_a_new_connection_next_time(run: Runner) -> None:
    async def go() -> None:
        closing = replies(reply(headers={"Connection": "close"}), keep=False)
        async with Scripted(closing) as server, client(server.url) as api:
            for _ in range(3):
                assert (await api.create_post(BODY)).kind is OutcomeKind.CREATED
        assert server.connections == 3

    run(go())


def test_an_idle_connection_the_server_closed_is_not_used(run: Runner) -> None:
    async def go() -> None:
        # Keep-alive answers, then the server closes the idle connection.
        async with Scripted(replies(reply(), keep=False)) as server, client(server.url) as api:
            first = await api.create_post(BODY)
            await asyncio.sleep(0.05)  # the close arrives while the connection is idle
            second = await api.create_post(BODY)
        assert first.kind is second.kind is OutcomeKind.CREATED
        assert server.connections == 2 and len(server.requests) == 2

    run(go())


def test_a_2xx_over_the_size_bound_is_maybe_committed_and_the_rest_never_read(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_RESPONSE_BYTES", 1024)
    big = b'{"ok": true, "data": {"id": "p1", "pad": "' + b"x" * 200_000 + b'"}}'

    async def go() -> None:
        async with Scripted(replies(reply(body=big))) as server, client(server.url) as api:
            first = await api.create_post(BODY)
            second = await api.create_post(BODY)
        for outcome in (first, second):
            assert outcome.kind is OutcomeKind.RETRYABLE and outcome.maybe_committed
            assert outcome.error_code == "malformed_response" and "larger than" in outcome.message
        assert server.connections == 2  # a connection with unread bytes is not reused

    run(go())


def test_a_4xx_over_the_size_bound_is_a_row_error(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_RESPONSE_BYTES", 1024)

    async def go() -> CreateOutcome:
        async with Scripted(replies(reply(400, b"y" * 5000))) as server, client(server.url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert (outcome.kind, outcome.status) == (OutcomeKind.ROW_ERROR, 400)
    assert "larger than 1 KiB" in outcome.message and not outcome.maybe_committed


def test_a_2xx_that_does_not_decompress_is_maybe_committed(run: Runner) -> None:
    bad_gzip = reply(body=b"\x1f\x8b\x08\x00not really gzip", headers={"Content-Encoding": "gzip"})

    async def go() -> CreateOutcome:
        async with Scripted(replies(bad_gzip)) as server, client(server.url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.maybe_committed
    assert outcome.error_code == "malformed_response" and "decompressed" in outcome.message


def test_a_compressed_answer_is_read_although_not_asked_for(run: Runner) -> None:
    zipped = reply(body=gzip.compress(CREATED), headers={"Content-Encoding": "gzip"})

    async def go() -> CreateOutcome:
        async with Scripted(replies(zipped)) as server, client(server.url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert outcome.kind is OutcomeKind.CREATED


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chunks",
    [
        (b'HTTP/1.1 201 Created\r\nContent-Length: 500\r\n\r\n{"ok"',),  # cut short
        (b'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"ok"',),
        (b"HTTP/1.1 201 Cre",),  # cut inside the status line
        (),  # closed with no answer at all
        (b"this is not HTTP\r\n\r\n",),
    ],
    ids=["cut-short", "chunked-cut-short", "cut-in-head", "closed-unanswered", "not-http"],
)
def test_a_broken_answer_is_a_lost_connection(run: Runner, chunks: tuple[bytes, ...]) -> None:
    async def go() -> None:
        async with Scripted(replies(*chunks, keep=False)) as server, client(server.url) as api:
            assert_lost(await api.create_post(BODY))
            server.answer = replies(reply())
            after = await api.create_post(BODY)
        assert after.kind is OutcomeKind.CREATED  # the broken connection was not reused

    run(go())


def test_no_answer_in_time_is_a_read_timeout_and_the_connection_is_not_reused(
    run: Runner,
) -> None:
    async def go() -> None:
        async with Scripted(delayed(1.0)) as server, client(server.url, read=0.2) as api:
            late = await api.create_post(BODY)
            after = await api.create_post(BODY)
        assert late.kind is OutcomeKind.RETRYABLE and late.maybe_committed
        assert late.error_code == "timeout" and late.status is None
        assert after.kind is OutcomeKind.CREATED and server.connections == 2

    run(go())


def test_a_cancelled_request_gives_its_place_back(run: Runner) -> None:
    async def go() -> None:
        async with Scripted(delayed(0.3)) as server, client(server.url, connections=1) as api:
            first = asyncio.create_task(api.create_post(BODY))
            await asyncio.sleep(0.05)
            first.cancel()
            after = await asyncio.wait_for(api.create_post(BODY), 2)
        assert after.kind is OutcomeKind.CREATED

    run(go())


def test_nothing_listening_is_a_failed_connect_and_nothing_sent(run: Runner) -> None:
    async def go() -> CreateOutcome:
        async with Scripted(replies(reply())) as server:
            url = server.url
        async with client(url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert outcome.kind is OutcomeKind.RETRYABLE and not outcome.maybe_committed
    assert outcome.error_code == "connection_failed"
    assert outcome.message == "could not connect to the API (ConnectError)"


def test_a_connect_that_never_completes_is_a_connect_timeout_and_nothing_sent(
    run: Runner,
) -> None:
    # A listener whose accept queue is full: the kernel drops further SYNs, so the
    # connect hangs until its timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):  # in progress, never accepted
                    filler.connect(("127.0.0.1", port))

            async def go() -> CreateOutcome:
                url = f"http://127.0.0.1:{port}/api/partner/v1"
                timeout = Timeouts(connect=0.3, read=5.0)
                async with PartnerClient(ApiKey(KEY), url, timeout=timeout) as api:
                    return await api.create_post(BODY)

            outcome = run(go())
        finally:
            for filler in fillers:
                filler.close()
    assert outcome.kind is OutcomeKind.RETRYABLE and not outcome.maybe_committed
    assert outcome.error_code == "connection_failed"
    assert outcome.message == "could not connect to the API (ConnectTimeout)"


def test_the_key_is_masked_in_a_message_that_echoes_it(run: Runner) -> None:
    echo = json.dumps(
        {"ok": False, "error_code": "bad", "message": f"you sent Bearer {KEY}"}
    ).encode()

    async def go() -> CreateOutcome:
        async with Scripted(replies(reply(400, echo))) as server, client(server.url) as api:
            return await api.create_post(BODY)

    outcome = run(go())
    assert outcome.kind is OutcomeKind.ROW_ERROR
    assert "s3cr3t" not in outcome.message and "***" in outcome.message


# -- the other endpoints -------------------------------------------------------------------


def test_a_transport_failure_elsewhere_is_an_api_error_naming_the_call(run: Runner) -> None:
    async def go() -> None:
        async with Scripted(replies(keep=False)) as server, client(server.url) as api:
            await api.get_post("p1")

    with pytest.raises(
        ApiError,
        match=r"^GET http://127\.0\.0\.1:\d+/\S*/posts/p1: the API could not be reached \(",
    ):
        run(go())


# -- configuration ------------------------------------------------------------------------------


def test_a_loopback_api_is_never_reached_through_a_proxy(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def go() -> None:
        async with Scripted(replies(reply(500, b"proxy"))) as proxy:
            for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
                monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            async with Scripted(replies(reply())) as server, client(server.url) as api:
                outcome = await api.create_post(BODY)
        assert outcome.kind is OutcomeKind.CREATED
        assert proxy.requests == [] and len(server.requests) == 1

    run(go())


def test_a_proxy_that_refuses_the_tunnel_is_a_failed_connect_and_nothing_sent(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def go() -> None:
        async with Scripted(replies(reply(403, b"no"), keep=False)) as proxy:
            monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
            monkeypatch.delenv("https_proxy", raising=False)
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            async with PartnerClient(ApiKey(KEY), "https://api.example.test/v1") as api:
                outcome = await api.create_post(BODY)
        assert outcome.kind is OutcomeKind.RETRYABLE and not outcome.maybe_committed
        assert outcome.message == "could not connect to the API (ProxyError)"
        assert proxy.requests[0].startswith(b"CONNECT api.example.test:443 ")
        assert b"s3cr3t" not in proxy.requests[0]  # the key only travels inside the tunnel

    run(go())


def test_a_proxy_httpx_cannot_use_is_a_configuration_error(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "ftp://user:hunter2@proxy.invalid:21")
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def go() -> None:
        async with PartnerClient(ApiKey(KEY), "https://api.example.test/v1") as api:
            await api.list_accounts()

    with pytest.raises(ConfigurationError, match="proxy") as caught:
        run(go())
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("key", ["gva_x.y\r\nX-Evil: 1", "gva_x.\u00e9t\u00e9", "gva_x.y\0"])
def test_a_key_that_cannot_be_a_header_value_is_refused_up_front(key: str) -> None:
    with pytest.raises(ConfigurationError, match="HTTP header") as caught:
        PartnerClient(ApiKey(key), "http://127.0.0.1:9/api")
    assert key not in str(caught.value)
