"""The API client: configuration, and the classification of every kind of answer."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bulk_scheduler.api.client import (
    ApiError,
    ApiKey,
    OutcomeKind,
    PartnerClient,
    Timeouts,
    resolve_base_url,
)
from bulk_scheduler.api.contract import PostCreateBody
from bulk_scheduler.errors import ConfigurationError, FatalApiError
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.canned_server import Canned, CannedServer

FUTURE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "caption": "Holiday drops start Monday!",
        "media": {"type": "video", "url": "https://cdn.example.com/holidays.mp4"},
        "music_url": "https://www.tiktok.com/@genviral/video/1234567890",
        "accounts": [{"id": seed.HOSTED_TIKTOK_ID}, {"id": seed.BYO_TIKTOK_ID}],
        "scheduled_at": FUTURE,
        "external_id": "partner-run-884",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def create(server_url: str, key: str, payload: Any):
    async def go():
        async with PartnerClient(ApiKey(key), server_url) as client:
            return await client.create_post(payload)

    return asyncio.run(go())


# -- configuration -------------------------------------------------------------------


def test_plain_http_is_refused_for_a_non_loopback_host() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        resolve_base_url("http://api.example.com/api/partner/v1", environ={})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8787/x", "http://localhost:1/x", "http://[::1]:2/x"]
)
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert resolve_base_url(url, environ={}) == url


def test_base_url_comes_from_the_environment_then_production() -> None:
    assert resolve_base_url(None, environ={"GENVIRAL_BASE_URL": "https://a.example/v1/"}) == (
        "https://a.example/v1"
    )
    assert resolve_base_url(None, environ={}) == "https://www.genviral.io/api/partner/v1"


def test_missing_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="GENVIRAL_API_KEY"):
        ApiKey.from_env({})


def test_key_never_shows_in_repr_or_str() -> None:
    key = ApiKey("gva_live_abc.supersecret")
    client = PartnerClient(key, "https://x.example/api")
    assert "supersecret" not in repr(key) + str(key) + repr(client)
    asyncio.run(client.aclose())


def test_requests_carry_the_user_agent_and_bearer_key() -> None:
    with CannedServer(
        Canned(201, json.dumps({"ok": True, "data": {"id": "p1", "status": "scheduled"}}).encode())
    ) as srv:
        outcome = create(srv.base_url, "gva_test_k.s", body())
    assert outcome.kind is OutcomeKind.CREATED
    method, path, headers, sent = srv.requests[0]
    assert (method, path) == ("POST", "/api/partner/v1/posts")
    assert headers["Authorization"] == "Bearer gva_test_k.s"
    assert headers["User-Agent"].startswith("bulk-scheduler/")
    assert json.loads(sent) == body()


# -- against the sandbox -------------------------------------------------------------


def test_created_then_replayed(sandbox: SandboxServer) -> None:
    first = create(sandbox.base_url, sandbox.api_key, body())
    again = create(sandbox.base_url, sandbox.api_key, body())
    assert first.kind is OutcomeKind.CREATED and first.status == 201
    assert first.post is not None and first.post.status == "scheduled"
    assert again.kind is OutcomeKind.REPLAYED and again.status == 200
    assert again.post is not None and again.post.id == first.post.id


def test_model_bodies_are_sent_as_their_json(sandbox: SandboxServer) -> None:
    outcome = create(sandbox.base_url, sandbox.api_key, PostCreateBody.model_validate(body()))
    assert outcome.kind is OutcomeKind.CREATED


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (body(external_id=None, caption=""), 422, "invalid_payload"),
        (body(accounts=[{"id": "00000000-0000-4000-8000-000000000000"}]), 400, "unknown_accounts"),
        (body(accounts=[{"id": seed.INACTIVE_TIKTOK_ID}]), 400, "unknown_accounts"),
        (body(caption="x" * 501), 400, "validation_failed"),
        (body(scheduled_at="2020-01-01T00:00:00Z"), 400, "validation_failed"),
        (body(accounts=[{"id": seed.BYO_INSTAGRAM_ID}]), 400, "invalid_music_url"),
        (
            body(media={"type": "video", "url": "https://media.example.invalid/a.mp4"}),
            400,
            "media_unreachable",
        ),
    ],
)
def test_row_errors_carry_status_and_code(
    sandbox: SandboxServer, payload: dict, status: int, code: str
) -> None:
    outcome = create(sandbox.base_url, sandbox.api_key, payload)
    assert (outcome.kind, outcome.status, outcome.error_code) == (
        OutcomeKind.ROW_ERROR,
        status,
        code,
    )
    assert outcome.message


def test_same_external_id_with_another_body_is_a_conflict(sandbox: SandboxServer) -> None:
    create(sandbox.base_url, sandbox.api_key, body())
    outcome = create(sandbox.base_url, sandbox.api_key, body(caption="changed"))
    assert (outcome.kind, outcome.status, outcome.error_code) == (
        OutcomeKind.ROW_ERROR,
        409,
        "create_failed",
    )


def test_invalid_payload_message_names_the_fields(sandbox: SandboxServer) -> None:
    outcome = create(sandbox.base_url, sandbox.api_key, body(caption="", bogus=1))
    assert outcome.status == 422
    assert "caption" in outcome.message


@pytest.mark.parametrize(
    ("key_suffix", "status"), [("", 401), (".no-subscription", 402), (".tier-not-allowed", 403)]
)
def test_fatal_answers(sandbox: SandboxServer, key_suffix: str, status: int) -> None:
    key = "gva_live_wrong.key" if not key_suffix else sandbox.api_key + key_suffix
    outcome = create(sandbox.base_url, key, body())
    assert (outcome.kind, outcome.status) == (OutcomeKind.FATAL, status)
    assert sandbox.stats()["posts_total"] == 0


def test_server_error_is_retryable() -> None:
    with SandboxServer() as server:
        server.set_faults(error_rate=1.0)
        outcome = create(server.base_url, server.api_key, body())
    assert (outcome.kind, outcome.status, outcome.error_code) == (
        OutcomeKind.RETRYABLE,
        500,
        "create_failed",
    )


def test_rate_limit_is_retryable_with_retry_after() -> None:
    with SandboxServer() as server:
        server.set_faults(rate_limit=1, retry_after=True)
        answers = [
            create(server.base_url, server.api_key, body(external_id=f"r{i}")) for i in range(3)
        ]
    limited = [a for a in answers if a.rate_limited]
    assert limited, "a 1-per-minute limit must answer 429 within three requests"
    assert all(a.kind is OutcomeKind.RETRYABLE and a.status == 429 for a in limited)
    assert all(a.retry_after is not None and a.retry_after > 0 for a in limited)


def test_dropped_connection_after_commit_is_retryable_and_maybe_committed() -> None:
    with SandboxServer() as server:
        server.set_faults(drop_rate=1.0)
        outcome = create(server.base_url, server.api_key, body())
        server.set_faults(drop_rate=0.0)
        replay = create(server.base_url, server.api_key, body())
        stats = server.stats()
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.maybe_committed
    assert outcome.status is None
    assert replay.kind is OutcomeKind.REPLAYED
    assert stats["posts_total"] == 1


def test_list_and_get_posts_and_delete(sandbox: SandboxServer) -> None:
    async def go():
        async with PartnerClient(ApiKey(sandbox.api_key), sandbox.base_url) as client:
            created = await client.create_post(body())
            assert created.post is not None
            post = await client.get_post(created.post.id)
            listed = await client.list_posts(limit=10)
            deleted = await client.delete_posts([created.post.id])
            after = await client.list_posts(limit=10)
            return created.post.id, post, listed, deleted, after

    post_id, post, listed, deleted, after = asyncio.run(go())
    assert post.id == post_id and post.external_id == "partner-run-884"
    assert post.accounts is not None
    assert {s.account_id for s in post.accounts.states} == {
        seed.HOSTED_TIKTOK_ID,
        seed.BYO_TIKTOK_ID,
    }
    assert [p.id for p in listed] == [post_id]
    assert deleted["deletedIds"] == [post_id]
    assert after == []


def test_list_accounts_and_fatal_key(sandbox: SandboxServer) -> None:
    async def go(key: str):
        async with PartnerClient(ApiKey(key), sandbox.base_url) as client:
            return await client.list_accounts()

    accounts = asyncio.run(go(sandbox.api_key))
    assert seed.HOSTED_TIKTOK_ID in {a.id for a in accounts}
    assert seed.INACTIVE_TIKTOK_ID not in {a.id for a in accounts}
    with pytest.raises(FatalApiError) as caught:
        asyncio.run(go("gva_live_nope.nope"))
    assert caught.value.status == 401
    assert "nope" not in str(caught.value)


def test_get_unknown_post_is_an_api_error(sandbox: SandboxServer) -> None:
    async def go():
        async with PartnerClient(ApiKey(sandbox.api_key), sandbox.base_url) as client:
            return await client.get_post("00000000-0000-4000-8000-000000000000")

    with pytest.raises(ApiError) as caught:
        asyncio.run(go())
    assert caught.value.status == 404


# -- answers that are not the envelope ------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "maybe_committed"),
    [
        (
            Canned(502, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"}),
            OutcomeKind.RETRYABLE,
            False,
        ),
        (Canned(201, b'{"ok": true, "data": {"id": "p1", "sta'), OutcomeKind.RETRYABLE, True),
        (
            Canned(201, b'{"ok": true, "data": {"status": "scheduled"}}'),
            OutcomeKind.RETRYABLE,
            True,
        ),
        (Canned(200, b"<html>maintenance</html>"), OutcomeKind.RETRYABLE, True),
        (Canned(400, b"not json"), OutcomeKind.ROW_ERROR, False),
        (
            Canned(
                404, b'{"ok": false, "code": 404, "message": "no route", "error_code": "not_found"}'
            ),
            OutcomeKind.ROW_ERROR,
            False,
        ),
        (
            Canned(307, b"", {"Location": "https://elsewhere.example/posts"}),
            OutcomeKind.ROW_ERROR,
            False,
        ),
        (
            Canned(
                201,
                b'{"ok": true, "data": {"id": "p1", "status": "scheduled"}}',
                declared_length=500,
            ),
            OutcomeKind.RETRYABLE,
            True,
        ),
        (Canned(drop=True), OutcomeKind.RETRYABLE, True),
        (Canned(200, b'["a", "list"]'), OutcomeKind.RETRYABLE, True),
        (Canned(201, b"x" * (2 * 1024 * 1024)), OutcomeKind.RETRYABLE, True),
        (
            Canned(201, b'{"ok": true, "data": {"id": 123, "status": ["scheduled"]}}'),
            OutcomeKind.RETRYABLE,
            True,
        ),
        (
            Canned(422, b'{"ok": false, "code": "x", "issues": "nope"}'),
            OutcomeKind.ROW_ERROR,
            False,
        ),
    ],
    ids=[
        "html-502",
        "truncated-json",
        "201-without-id",
        "html-200",
        "400-not-json",
        "404-envelope",
        "redirect",
        "body-shorter-than-declared",
        "dropped",
        "json-not-object",
        "oversized-body",
        "wrong-types-in-data",
        "wrong-types-in-error",
    ],
)
def test_unusual_answers_are_classified_never_raised(
    reply: Canned, kind: OutcomeKind, maybe_committed: bool
) -> None:
    with CannedServer(reply) as srv:
        outcome = create(srv.base_url, "gva_test_k.s", body())
    assert outcome.kind is kind
    assert outcome.maybe_committed is maybe_committed
    assert outcome.message


def test_redirect_is_not_followed() -> None:
    with CannedServer(Canned(307, b"", {"Location": "https://elsewhere.example/posts"})) as srv:
        create(srv.base_url, "gva_test_k.s", body())
        assert len(srv.requests) == 1


def test_unreachable_server_is_retryable_and_not_committed() -> None:
    with CannedServer(Canned()) as srv:
        url = srv.base_url
    outcome = create(url, "gva_test_k.s", body())
    assert outcome.kind is OutcomeKind.RETRYABLE
    assert outcome.error_code == "connection_failed" and not outcome.maybe_committed


def test_read_timeout_is_retryable_and_maybe_committed() -> None:
    async def go(url: str):
        timeout = Timeouts(connect=2.0, read=0.3)
        async with PartnerClient(ApiKey("gva_test_k.s"), url, timeout=timeout) as client:
            return await client.create_post(body())

    with CannedServer(Canned(201, b"{}", hang=1.0)) as srv:
        outcome = asyncio.run(go(srv.base_url))
    assert outcome.kind is OutcomeKind.RETRYABLE and outcome.maybe_committed
    assert outcome.error_code == "timeout"


# -- proxies ---------------------------------------------------------------------------


def test_requests_go_through_the_https_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def proxy() -> None:
        conn, _ = listener.accept()
        with conn:
            seen.append(conn.recv(4096))
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{listener.getsockname()[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    async def go() -> None:
        async with PartnerClient(ApiKey("gva_test_k.secret"), "https://api.example.test/v1") as c:
            await c.list_accounts()

    with pytest.raises(ApiError, match="could not be reached"):
        asyncio.run(go())
    thread.join(5)
    listener.close()
    assert seen and seen[0].startswith(b"CONNECT api.example.test:443 ")
    assert b"secret" not in seen[0]  # the key only ever travels inside the tunnel
