"""The executor: fatal answers mid-run, rate limits, retries and interrupts."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.launch.executor import ExecutorOptions, submit_rows
from bulk_scheduler.launch.journal import Journal, SubmitJob, body_json
from bulk_scheduler.outcome import RowResult
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.config import SandboxConfig
from bulk_scheduler.sandbox.server import SandboxServer
from tests.canned_server import Canned, CannedServer


def jobs(count: int) -> list[SubmitJob]:
    return [
        SubmitJob(
            i + 2,
            f"job-{i}",
            {
                "caption": f"post {i}",
                "media": {"type": "video", "url": f"https://cdn.genviral.com/{i}.mp4"},
                "accounts": [{"id": seed.BYO_TIKTOK_ID}],
                "scheduled_at": "2036-06-01T10:00:00Z",
                "external_id": f"job-{i}",
            },
        )
        for i in range(count)
    ]


def submit(base_url: str, key: str, work: list[SubmitJob], options: ExecutorOptions, **kw: Any):
    async def go():
        async with PartnerClient(ApiKey(key), base_url) as client:
            return await submit_rows(work, client, options, Journal(), **kw)

    return asyncio.run(go())


class _Revoking(ThreadingHTTPServer):
    """Creates the first ``allowed`` posts, then answers 401 as if the key was revoked."""

    daemon_threads = True

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.count = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _RevokingHandler)


class _RevokingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Revoking

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.count += 1
            number = self.server.count
        if number <= self.server.allowed:
            status, body = (
                201,
                {"ok": True, "code": 201, "data": {"id": f"p{number}", "status": "scheduled"}},
            )
        else:
            status, body = (
                401,
                {"ok": False, "code": 401, "message": "revoked", "error_code": "invalid_token"},
            )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_a_key_revoked_mid_run_stops_launching_and_loses_no_row() -> None:
    server = _Revoking(allowed=5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api/partner/v1"
        report = submit(url, "gva_test_k.s", jobs(40), ExecutorOptions(concurrency=2))
    finally:
        server.shutdown()
        server.server_close()
    results = [report.outcomes[j.row_number].result for j in jobs(40)]
    assert report.fatal is not None and report.fatal.status == 401
    assert results.count(RowResult.CREATED) == 5
    assert set(results) == {RowResult.CREATED, RowResult.NOT_SUBMITTED}
    # In-flight requests finish; nothing new is launched after the 401.
    assert server.count <= 5 + 2


def test_rate_limited_run_paces_itself_below_the_limit() -> None:
    with SandboxServer(SandboxConfig(rate_limit=600)) as server:
        report = submit(server.base_url, server.api_key, jobs(80), ExecutorOptions(concurrency=8))
        stats = server.stats()
    assert {o.result for o in report.outcomes.values()} == {RowResult.CREATED}
    limited = stats["responses_by_status"].get("429", 0)
    assert limited == report.rate_limited
    # Until the pace is measured, each of two bursts costs at most one 429 per place
    # in flight; after that, only a re-measurement now and then. (Back-off alone costs
    # about 30 here; exact figures on a virtual clock are in test_throttle.py.)
    assert limited <= 2 * 8 + 4
    assert stats["posts_total"] == 80


def test_429s_do_not_use_up_attempts_and_retry_after_is_honoured() -> None:
    with SandboxServer(SandboxConfig(rate_limit=120, retry_after=True)) as server:
        report = submit(
            server.base_url, server.api_key, jobs(8), ExecutorOptions(concurrency=4, max_attempts=1)
        )
    assert {o.result for o in report.outcomes.values()} == {RowResult.CREATED}
    assert report.rate_limited > 0
    assert max(o.attempts for o in report.outcomes.values()) > 1


def test_server_errors_are_retried_up_to_max_attempts() -> None:
    with SandboxServer(SandboxConfig(error_rate=1.0)) as server:
        report = submit(
            server.base_url,
            server.api_key,
            jobs(2),
            ExecutorOptions(concurrency=2, max_attempts=3, backoff_base=0.01),
        )
        stats = server.stats()
    assert [o.result for o in report.outcomes.values()] == [RowResult.ERROR] * 2
    assert [o.attempts for o in report.outcomes.values()] == [3, 3]
    assert all(o.http_status == 500 for o in report.outcomes.values())
    assert stats["create_requests"] == 6 and stats["posts_total"] == 0


def test_a_lost_answer_is_settled_by_the_replay() -> None:
    with SandboxServer(SandboxConfig(drop_rate=1.0)) as server:
        report = submit(
            server.base_url,
            server.api_key,
            jobs(1),
            ExecutorOptions(concurrency=1, max_attempts=2, backoff_base=0.01),
        )
        stats = server.stats()
    (outcome,) = report.outcomes.values()
    # The replay confirms the post the first attempt created, in this run: created.
    assert outcome.result is RowResult.CREATED and outcome.attempts == 2
    assert outcome.post_id
    assert stats["posts_total"] == 1


def test_a_lost_answer_with_no_attempt_left_is_unknown() -> None:
    with SandboxServer(SandboxConfig(drop_rate=1.0)) as server:
        report = submit(
            server.base_url,
            server.api_key,
            jobs(1),
            ExecutorOptions(concurrency=1, max_attempts=1),
        )
        stats = server.stats()
    (outcome,) = report.outcomes.values()
    assert outcome.result is RowResult.UNKNOWN
    assert "may have created" in (outcome.error_message or "")
    assert stats["posts_total"] == 1


def test_a_stop_sends_no_new_rows_and_marks_the_rest_not_submitted() -> None:
    with SandboxServer(SandboxConfig(latency_ms=100)) as server:

        async def go():
            stop = asyncio.Event()
            async with PartnerClient(ApiKey(server.api_key), server.base_url) as client:
                task = asyncio.create_task(
                    submit_rows(
                        jobs(30), client, ExecutorOptions(concurrency=2), Journal(), stop=stop
                    )
                )
                await asyncio.sleep(0.35)
                stop.set()
                return await task

        report = asyncio.run(go())
        stats = server.stats()
    results = [o.result for o in report.outcomes.values()]
    assert report.interrupted
    assert len(results) == 30
    assert RowResult.NOT_SUBMITTED in results
    assert results.count(RowResult.CREATED) == stats["posts_total"]


def test_every_attempt_sends_the_same_canonical_bytes() -> None:
    work = jobs(1)
    busy = Canned(503, b'{"ok": false, "error_code": "busy", "message": "busy"}')
    with CannedServer(busy) as srv:
        report = submit(
            srv.base_url,
            "gva_test_k.s",
            work,
            ExecutorOptions(concurrency=1, max_attempts=3, backoff_base=0.01),
        )
        sent = [body for _, _, _, body in srv.requests]
    assert report.outcomes[work[0].row_number].result is RowResult.ERROR
    assert len(sent) == 3 and len(set(sent)) == 1
    assert sent[0] == body_json(work[0].body)
    assert list(json.loads(sent[0])) == sorted(work[0].body)
