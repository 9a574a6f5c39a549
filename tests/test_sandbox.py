"""The sandbox behaves like the documented Partner API, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bulk_scheduler.sandbox.app import SandboxApp
from bulk_scheduler.sandbox.config import SandboxConfig
from bulk_scheduler.sandbox.schema import schema_issues
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_TIKTOK_ID,
    BYO_YOUTUBE_ID,
    HOSTED_TIKTOK_ID,
    INACTIVE_TIKTOK_ID,
    SANDBOX_API_KEY,
)
from bulk_scheduler.sandbox.server import SandboxServer, describe, serve
from tests.seed_page import seed_page_examples

# The video example of the seed page (tests/contract/seed_page_examples.json).
SEED_EXAMPLE_BODY: dict[str, Any] = seed_page_examples()["video"]
AUTH = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}


def in_future(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def seed_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_EXAMPLE_BODY)
    body["scheduled_at"] = in_future(3600)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def video_body(account_id: str = HOSTED_TIKTOK_ID, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "caption": "Spring collection",
        "media": {"type": "video", "url": "https://cdn.example.com/spring.mp4"},
        "accounts": [{"id": account_id}],
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(scope="module")
def module_client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers=AUTH, trust_env=False) as client:
        yield client


@pytest.fixture
def api(sandbox: SandboxServer, module_client: httpx.Client) -> httpx.Client:
    sandbox.reset()
    return module_client


def create(api: httpx.Client, body: object) -> httpx.Response:
    return api.post("/posts", json=body)


def error_code(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["ok"] is False and body["code"] == response.status_code
    return response.status_code, body["error_code"]


# --- POST /posts: success and idempotency -------------------------------------------------


def test_seed_example_body_is_scheduled_with_the_seed_envelope(api: httpx.Client) -> None:
    body = seed_body()
    response = create(api, body)
    assert response.status_code == 201
    envelope = response.json()
    assert envelope["ok"] is True and envelope["code"] == 201
    assert envelope["message"] == "Post scheduled"
    data = envelope["data"]
    assert set(data) == {"id", "status", "scheduled_at", "warnings"}
    assert data["status"] == "scheduled"
    assert data["scheduled_at"].endswith("Z")
    assert {w["code"] for w in data["warnings"]} == {
        "VIDEO_DURATION_MISSING",
        "VIDEO_METADATA_MISSING",
    }
    assert all(set(w) == {"field", "message", "code"} for w in data["warnings"])


def test_same_body_again_replays_the_original_post(api: httpx.Client) -> None:
    body = seed_body()
    first = create(api, body).json()["data"]
    again = create(api, body)
    assert again.status_code == 200
    assert again.json()["message"] == "Post already exists"
    assert again.json()["data"] == {**first, "duplicate": True}


def test_same_external_id_with_a_different_caption_is_a_conflict(api: httpx.Client) -> None:
    body = seed_body()
    create(api, body)
    response = create(api, {**body, "caption": "Holiday drops start Tuesday!"})
    assert error_code(response) == (409, "create_failed")
    assert "partner-run-884" in response.json()["message"]


def test_identical_bodies_without_external_id_collapse_into_one_post(
    api: httpx.Client, sandbox: SandboxServer
) -> None:
    body = video_body()
    assert create(api, body).status_code == 201
    assert create(api, body).status_code == 200
    assert sandbox.stats()["posts_total"] == 1


def test_no_scheduled_at_is_queued_as_pending(api: httpx.Client) -> None:
    response = create(api, video_body())
    assert response.json()["message"] == "Post queued"
    assert response.json()["data"]["status"] == "pending"
    assert response.json()["data"]["scheduled_at"] is None


def test_scheduled_at_within_30_seconds_publishes_now(api: httpx.Client) -> None:
    data = create(api, video_body(scheduled_at=in_future(10))).json()["data"]
    assert (data["status"], data["scheduled_at"]) == ("pending", None)


def test_scheduled_at_an_hour_ahead_is_scheduled(api: httpx.Client) -> None:
    data = create(api, video_body(scheduled_at=in_future(3600))).json()["data"]
    assert data["status"] == "scheduled"


def test_caption_of_600_characters_is_fine_on_byo_instagram(api: httpx.Client) -> None:
    response = create(api, video_body(BYO_INSTAGRAM_ID, caption="x" * 600))
    assert response.status_code == 201


def test_video_with_duration_and_size_has_no_warnings(api: httpx.Client) -> None:
    media = {"type": "video", "url": "https://cdn.example.com/a.mov", "duration_sec": 30, "size": 1}
    assert create(api, video_body(media=media)).json()["data"]["warnings"] == []


# --- POST /posts: each error code ----------------------------------------------------------


def test_body_that_is_not_json_is_invalid_json(api: httpx.Client) -> None:
    response = api.post("/posts", content=b"{caption: nope", headers={"content-type": "text/plain"})
    assert error_code(response) == (400, "invalid_json")


def test_schema_failure_is_422_with_zod_issues(api: httpx.Client) -> None:
    body = video_body()
    del body["caption"]
    response = create(api, body)
    assert error_code(response) == (422, "invalid_payload")
    assert response.json()["issues"][0] == {
        "code": "invalid_type",
        "expected": "string",
        "received": "undefined",
        "path": ["caption"],
        "message": "Required",
    }


def test_slideshow_of_36_images_is_a_schema_failure(api: httpx.Client) -> None:
    urls = [f"https://cdn.example.com/{i}.jpg" for i in range(36)]
    response = create(api, video_body(media={"type": "slideshow", "urls": urls}))
    assert error_code(response) == (422, "invalid_payload")
    assert response.json()["issues"][0]["path"] == ["media", "urls"]


def test_account_not_in_the_workspace_is_unknown(api: httpx.Client) -> None:
    response = create(api, video_body("11111111-2222-4333-8444-555555555555"))
    assert error_code(response) == (400, "unknown_accounts")


def test_inactive_account_is_unknown(api: httpx.Client) -> None:
    response = create(api, video_body(INACTIVE_TIKTOK_ID))
    assert error_code(response) == (400, "unknown_accounts")
    assert INACTIVE_TIKTOK_ID in response.json()["message"]


def test_caption_over_500_fails_on_the_hosted_account(api: httpx.Client) -> None:
    response = create(api, video_body(HOSTED_TIKTOK_ID, caption="x" * 501))
    assert error_code(response) == (400, "validation_failed")
    assert (
        "caption is 501 characters; account @genviral_hosted allows 500"
        in response.json()["message"]
    )


def test_caption_limit_of_any_targeted_account_applies(api: httpx.Client) -> None:
    body = video_body(caption="x" * 600)
    body["accounts"] = [{"id": BYO_INSTAGRAM_ID}, {"id": HOSTED_TIKTOK_ID}]
    assert error_code(create(api, body)) == (400, "validation_failed")


def test_emoji_counts_as_two_characters(api: httpx.Client) -> None:
    assert create(api, video_body(caption="😀" * 250)).status_code == 201
    response = create(api, video_body(caption="😀" * 251))
    assert error_code(response) == (400, "validation_failed")
    assert "caption is 502 characters" in response.json()["message"]


def test_video_with_a_webm_extension_fails(api: httpx.Client) -> None:
    response = create(api, video_body(media={"type": "video", "url": "https://cdn.x.com/a.webm"}))
    assert error_code(response) == (400, "validation_failed")
    assert ".webm" in response.json()["message"]


def test_slideshow_image_must_be_jpg_or_png(api: httpx.Client) -> None:
    media = {"type": "slideshow", "urls": ["https://cdn.x.com/a.jpg", "https://cdn.x.com/b.gif"]}
    response = create(api, video_body(media=media))
    assert error_code(response) == (400, "validation_failed")
    assert "media.urls[1]" in response.json()["message"]


def test_video_of_75_seconds_fails(api: httpx.Client) -> None:
    media = {"type": "video", "url": "https://cdn.x.com/a.mp4", "duration_sec": 75}
    response = create(api, video_body(media=media))
    assert error_code(response) == (400, "validation_failed")
    assert "75 s" in response.json()["message"]


def test_video_over_100_mb_fails(api: httpx.Client) -> None:
    media = {"type": "video", "url": "https://cdn.x.com/a.mp4", "bytes": 101 * 1024 * 1024}
    assert error_code(create(api, video_body(media=media))) == (400, "validation_failed")


def test_post_without_media_fails_for_accounts_without_text_only(api: httpx.Client) -> None:
    body = video_body(BYO_YOUTUBE_ID)
    del body["media"]
    response = create(api, body)
    assert error_code(response) == (400, "validation_failed")
    assert "@GenviralShorts" in response.json()["message"]


def test_scheduled_at_in_the_past_fails(api: httpx.Client) -> None:
    response = create(api, video_body(scheduled_at="2025-02-01T15:00:00Z"))
    assert error_code(response) == (400, "validation_failed")
    assert "in the past" in response.json()["message"]


def test_scheduled_at_60_seconds_ahead_fails(api: httpx.Client) -> None:
    response = create(api, video_body(scheduled_at=in_future(60)))
    assert error_code(response) == (400, "validation_failed")
    assert "at least 2 minutes" in response.json()["message"]


def test_replay_is_answered_even_when_its_time_has_since_passed(api: httpx.Client) -> None:
    # 28.5 s ago is "publish now"; two seconds later the same time is in the past.
    stale = in_future(-28.5)
    body = video_body(external_id="row-7", scheduled_at=stale)
    assert create(api, body).status_code == 201
    time.sleep(2)
    assert error_code(create(api, video_body(scheduled_at=stale))) == (400, "validation_failed")
    assert create(api, body).status_code == 200


def test_music_url_with_an_instagram_account_is_invalid_music_url(api: httpx.Client) -> None:
    body = seed_body(accounts=[{"id": HOSTED_TIKTOK_ID}, {"id": BYO_INSTAGRAM_ID}])
    response = create(api, body)
    assert error_code(response) == (400, "invalid_music_url")
    assert "@genviral.ig" in response.json()["message"]


def test_media_on_the_invalid_domain_is_unreachable(api: httpx.Client) -> None:
    media = {"type": "video", "url": "https://media.example.invalid/a.mp4"}
    response = create(api, video_body(media=media))
    assert error_code(response) == (400, "media_unreachable")


def test_missing_key_is_invalid_token(sandbox: SandboxServer) -> None:
    response = httpx.get(f"{sandbox.base_url}/accounts", trust_env=False)
    assert error_code(response) == (401, "invalid_token")


def test_wrong_key_is_invalid_token(sandbox: SandboxServer) -> None:
    headers = {"Authorization": "Bearer gva_live_wrong.key"}
    response = httpx.post(f"{sandbox.base_url}/posts", json={}, headers=headers, trust_env=False)
    assert error_code(response) == (401, "invalid_token")


def test_key_without_subscription_is_402(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}.no-subscription"}
    response = httpx.get(f"{sandbox.base_url}/accounts", headers=headers, trust_env=False)
    assert error_code(response) == (402, "subscription_required")


def test_key_of_a_tier_without_access_is_403(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}.tier-not-allowed"}
    response = httpx.get(f"{sandbox.base_url}/accounts", headers=headers, trust_env=False)
    assert error_code(response) == (403, "tier_not_allowed")


# --- loopback media ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media_host() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200 if self.path.startswith("/ok/") else 404
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_loopback_media_answering_404_is_unreachable(api: httpx.Client, media_host: str) -> None:
    media = {"type": "video", "url": f"{media_host}/missing/clip.mp4"}
    response = create(api, video_body(media=media))
    assert error_code(response) == (400, "media_unreachable")
    assert "404" in response.json()["message"]


def test_loopback_media_answering_200_is_accepted(api: httpx.Client, media_host: str) -> None:
    media = {"type": "slideshow", "urls": [f"{media_host}/ok/1.jpg", f"{media_host}/ok/2.png"]}
    assert create(api, video_body(media=media)).status_code == 201


# --- reading and deleting posts ------------------------------------------------------------


def test_accounts_lists_the_active_accounts_only(api: httpx.Client) -> None:
    accounts = api.get("/accounts").json()["data"]["accounts"]
    ids = {a["id"] for a in accounts}
    assert INACTIVE_TIKTOK_ID not in ids
    assert {HOSTED_TIKTOK_ID, BYO_TIKTOK_ID, BYO_INSTAGRAM_ID, BYO_YOUTUBE_ID} <= ids
    hosted = next(a for a in accounts if a["id"] == HOSTED_TIKTOK_ID)
    assert hosted["type"] == "hosted" and hosted["capabilities"]["caption_limit"] == 500


def test_get_post_shows_one_state_per_account(api: httpx.Client) -> None:
    post_id = create(api, seed_body()).json()["data"]["id"]
    post = api.get(f"/posts/{post_id}").json()["data"]
    assert post["id"] == post_id and post["status"] == "scheduled"
    assert post["external_id"] == "partner-run-884"
    assert post["caption"] == SEED_EXAMPLE_BODY["caption"]
    states = post["accounts"]["states"]
    assert [s["account_id"] for s in states] == [HOSTED_TIKTOK_ID, BYO_TIKTOK_ID]
    assert set(states[0]) == {
        "account_id",
        "status",
        "published_at",
        "published_url",
        "error_message",
        "last_attempted_at",
    }


def test_get_unknown_post_is_not_found(api: httpx.Client) -> None:
    response = api.get("/posts/11111111-2222-4333-8444-555555555555")
    assert error_code(response) == (404, "not_found")


def test_list_posts_is_newest_first_and_filters_by_status(api: httpx.Client) -> None:
    pending = create(api, video_body(caption="now")).json()["data"]["id"]
    scheduled = create(api, video_body(caption="later", scheduled_at=in_future(3600)))
    scheduled_id = scheduled.json()["data"]["id"]
    listing = api.get("/posts").json()["data"]
    assert [p["id"] for p in listing["posts"]] == [scheduled_id, pending]
    assert listing["count"] == 2
    only_pending = api.get("/posts", params={"status": "pending"}).json()["data"]["posts"]
    assert [p["id"] for p in only_pending] == [pending]


def test_list_posts_honours_limit_and_since(api: httpx.Client) -> None:
    for i in range(3):
        create(api, video_body(caption=f"post {i}"))
    assert api.get("/posts", params={"limit": 2}).json()["data"]["count"] == 2
    future = api.get("/posts", params={"since": in_future(3600)}).json()["data"]
    assert future["posts"] == []


def test_list_posts_limit_out_of_range_is_422(api: httpx.Client) -> None:
    assert error_code(api.get("/posts", params={"limit": 101})) == (422, "invalid_payload")
    assert error_code(api.get("/posts", params={"limit": 0})) == (422, "invalid_payload")


def test_delete_removes_posts_and_skips_unknown_ids(api: httpx.Client) -> None:
    post_id = create(api, video_body()).json()["data"]["id"]
    unknown = "11111111-2222-4333-8444-555555555555"
    response = api.post("/posts/delete", json={"postIds": [post_id, unknown]})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "deletedIds": [post_id],
        "blockedStatuses": [],
        "skipped": [unknown],
        "errors": [],
    }
    assert error_code(api.get(f"/posts/{post_id}")) == (404, "not_found")


def test_delete_accepts_post_ids_spelling(api: httpx.Client) -> None:
    post_id = create(api, video_body()).json()["data"]["id"]
    response = api.post("/posts/delete", json={"post_ids": [post_id]})
    assert response.json()["data"]["deletedIds"] == [post_id]


def test_delete_with_no_ids_is_422(api: httpx.Client) -> None:
    assert error_code(api.post("/posts/delete", json={"postIds": []})) == (422, "invalid_payload")


def test_deleting_a_post_frees_its_external_id(api: httpx.Client) -> None:
    first = create(api, seed_body()).json()["data"]["id"]
    api.post("/posts/delete", json={"postIds": [first]})
    again = create(api, seed_body(caption="A different caption"))
    assert again.status_code == 201
    assert again.json()["data"]["id"] != first


# --- sandbox controls ----------------------------------------------------------------------


def test_stats_count_requests_posts_and_statuses(api: httpx.Client, sandbox: SandboxServer) -> None:
    body = seed_body()
    create(api, body)
    create(api, body)
    create(api, {**body, "caption": "changed"})
    stats = sandbox.stats()
    assert stats["posts_total"] == 1
    assert stats["posts_by_external_id"] == {"partner-run-884": 1}
    assert stats["create_requests_by_external_id"] == {"partner-run-884": 3}
    assert stats["create_requests"] == 3 and stats["requests_total"] == 3
    assert stats["responses_by_status"] == {"201": 1, "200": 1, "409": 1}


def test_unknown_fault_field_is_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(ValueError, match="unknown fault field"):
        sandbox.set_faults(explode=True)


# --- faults --------------------------------------------------------------------------------


def distinct_posts(client: httpx.Client, count: int) -> list[int]:
    return [
        client.post("/posts", json=video_body(external_id=f"row-{i}")).status_code
        for i in range(count)
    ]


def test_error_rate_fails_the_same_requests_under_the_same_seed() -> None:
    config = SandboxConfig(error_rate=0.5, seed=7)
    with (
        SandboxServer(config) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        first = distinct_posts(client, 10)
        created = server.stats()["posts_total"]
        server.reset()
        second = distinct_posts(client, 10)
    assert first == second
    assert set(first) == {201, 500}
    assert created == first.count(201)


def test_error_rate_answers_create_failed_without_storing_the_post() -> None:
    with (
        SandboxServer(SandboxConfig(error_rate=1.0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        response = client.post("/posts", json=seed_body())
        assert error_code(response) == (500, "create_failed")
        assert server.stats()["posts_total"] == 0
        server.set_faults(error_rate=0)
        assert client.post("/posts", json=seed_body()).status_code == 201


def test_rate_limit_answers_429_without_retry_after_by_default() -> None:
    with (
        SandboxServer(SandboxConfig(rate_limit=1)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        assert client.get("/accounts").status_code == 200
        limited = client.get("/accounts")
    assert error_code(limited) == (429, "rate_limited")
    assert "retry-after" not in limited.headers


def test_rate_limit_sends_retry_after_in_whole_seconds_when_asked() -> None:
    with (
        SandboxServer(SandboxConfig(rate_limit=1, retry_after=True)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        client.get("/accounts")
        limited = client.get("/accounts")
    assert limited.status_code == 429
    assert limited.headers["retry-after"].isdigit()
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_rate_limit_burst_allows_that_many_seconds_of_requests() -> None:
    config = SandboxConfig(rate_limit=60, rate_limit_burst_seconds=3)
    with (
        SandboxServer(config) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        # 60/min with 3 s of burst holds 3 tokens; refilling one takes a second.
        statuses = [client.get("/accounts").status_code for _ in range(3)]
        server.set_faults(rate_limit=1)
        client.get("/accounts")
        statuses.append(client.get("/accounts").status_code)
    assert statuses == [200, 200, 200, 429]


def test_dropped_connection_is_a_transport_error_but_the_post_exists() -> None:
    with (
        SandboxServer(SandboxConfig(drop_rate=1.0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, trust_env=False) as client,
    ):
        body = seed_body()
        with pytest.raises(httpx.TransportError):
            client.post("/posts", json=body)
        stats = server.stats()
        assert stats["posts_by_external_id"] == {"partner-run-884": 1}
        assert stats["connections_dropped"] == 1
        server.set_faults(drop_rate=0)
        replay = client.post("/posts", json=body)
    assert replay.status_code == 200 and replay.json()["data"]["duplicate"] is True


def test_max_in_flight_counts_concurrent_requests() -> None:
    async def burst(base_url: str, count: int) -> list[int]:
        async with httpx.AsyncClient(base_url=base_url, headers=AUTH, trust_env=False) as client:
            responses = await asyncio.gather(*(client.get("/accounts") for _ in range(count)))
        return [r.status_code for r in responses]

    with SandboxServer(SandboxConfig(latency_ms=400)) as server:
        statuses = asyncio.run(burst(server.base_url, 5))
        stats = server.stats()
    assert statuses == [200] * 5
    assert stats["max_in_flight"] == 5


def test_latency_jitter_draws_the_same_delays_under_the_same_seed() -> None:
    def delays(seed: int) -> list[float]:
        seen: list[float] = []

        async def record(seconds: float) -> None:
            seen.append(seconds)

        app = SandboxApp(SandboxConfig(latency_ms=100, latency_jitter_ms=50, seed=seed), record)
        for _ in range(5):
            asyncio.run(app.sleep_latency())
        return seen

    first = delays(seed=3)
    assert first == delays(seed=3)
    assert first != delays(seed=4)
    assert all(0.05 <= d <= 0.15 for d in first) and len(set(first)) == 5


# --- server lifecycle and CLI helpers ------------------------------------------------------


def test_servers_start_and_stop_repeatedly() -> None:
    for _ in range(3):
        with SandboxServer() as server:
            assert httpx.get(f"{server.base_url}/accounts", headers=AUTH).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{server.port}/__sandbox/stats", trust_env=False)


def test_serve_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback") as excinfo:
        serve(SandboxConfig(), host="0.0.0.0", port=0)
    assert "\n" not in str(excinfo.value)


def test_describe_shows_the_url_the_key_and_the_accounts() -> None:
    text = describe("http://127.0.0.1:8787/api/partner/v1", SANDBOX_API_KEY)
    assert "http://127.0.0.1:8787/api/partner/v1" in text
    assert f"export GENVIRAL_API_KEY={SANDBOX_API_KEY}" in text
    assert "@genviral_hosted" in text and "hosted" in text
    inactive_line = next(line for line in text.splitlines() if INACTIVE_TIKTOK_ID in line)
    assert "inactive" in inactive_line


# --- the schema mirrors the vendor's zod schema --------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "mailto:x",
        "https://cdn.example.com/a.mp4",
        "http://[::1]:8080/a.mp4",
        "foo://",
        "https://例え.jp/v.mp4",
    ],
)
def test_schema_accepts_what_new_url_accepts(url: str) -> None:
    assert schema_issues(video_body(media={"type": "video", "url": url})) == []


@pytest.mark.parametrize(
    "url",
    ["example.com/a.mp4", "https://", "http://a b/x.mp4", "https://h:65536/", "http://1.2.3.256/"],
)
def test_schema_rejects_what_new_url_rejects(url: str) -> None:
    issues = schema_issues(video_body(media={"type": "video", "url": url}))
    assert [(i["path"], i["message"]) for i in issues] == [(["media", "url"], "Invalid url")]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2025-02-01T15:00:00Z", True),
        ("2025-02-01T15:00Z", True),
        ("2025-02-01T15:00:00.123456789+05:30", True),
        ("2025-02-01T15:00:00+0530", True),
        ("2025-02-01T15:00:00+05", False),
        ("2025-02-01T15:00:00", False),
        ("2023-02-29T15:00:00Z", False),
    ],
)
def test_schema_scheduled_at_needs_an_offset(value: str, valid: bool) -> None:
    assert (schema_issues(video_body(scheduled_at=value)) == []) is valid


def test_schema_rejects_unknown_keys_in_media_but_not_in_accounts() -> None:
    body = video_body(media={"type": "video", "url": "https://x.com/a.mp4", "fps": 30})
    body["accounts"] = [{"id": HOSTED_TIKTOK_ID, "note": "extra keys are fine here"}]
    issues = schema_issues(body)
    assert [(i["code"], i["path"], i.get("keys")) for i in issues] == [
        ("unrecognized_keys", ["media"], ["fps"])
    ]


def test_schema_counts_caption_length_in_utf16_units() -> None:
    assert schema_issues(video_body(caption="😀" * 31603)) == []
    issues = schema_issues(video_body(caption="😀" * 31604))
    assert issues[0]["code"] == "too_big"


def test_schema_wants_a_tiktok_music_url() -> None:
    issues = schema_issues(video_body(music_url="https://open.spotify.com/track/1"))
    assert [i["code"] for i in issues] == ["custom"]
    assert schema_issues(video_body(music_url=None)) == []
