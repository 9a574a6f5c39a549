"""The simulated Partner API as an ASGI app (Starlette): routes, envelopes and faults."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bulk_scheduler.api.contract import API_PREFIX, POST_STATUSES
from bulk_scheduler.sandbox import checks, platform_settings
from bulk_scheduler.sandbox.config import FAULT_FIELDS, SandboxConfig
from bulk_scheduler.sandbox.files import CDN_PREFIX, UPLOAD_PREFIX, FileStore
from bulk_scheduler.sandbox.lifecycle import Lifecycle
from bulk_scheduler.sandbox.schema import schema_issues
from bulk_scheduler.sandbox.state import SandboxState, StoredPost, iso_utc

__all__ = ["ConnectionDropped", "SandboxApp", "create_app"]

_UUID_CHARS = frozenset("0123456789abcdefABCDEF-")
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 50
MAX_DELETE_IDS = 50
# Posts that POST /posts/delete refuses, answered in ``blockedStatuses``.
DELETE_BLOCKED = frozenset({"posted", "partial", "canceled"})


class ConnectionDropped(Exception):
    """Raised on purpose after a partial response so the server cuts the connection."""


# --- envelopes ---------------------------------------------------------------------------


# json.dumps and json.loads given options build a new encoder or decoder on every call;
# these are built once (the same options, so the same text).
_RESPONSE_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class _EnvelopeResponse(JSONResponse):
    """A ``JSONResponse`` (same bytes) rendered by the encoder built once."""

    def render(self, content: Any) -> bytes:
        return _RESPONSE_ENCODER.encode(content).encode("utf-8")


def success(status: int, message: str, data: dict[str, Any]) -> JSONResponse:
    """``{"ok": true, "code", "message", "data"}``."""
    return _EnvelopeResponse({"ok": True, "code": status, "message": message, "data": data}, status)


def failure(
    status: int,
    error_code: str,
    message: str,
    issues: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """``{"ok": false, "code", "message", "error_code"}`` (+ ``issues`` for 422)."""
    content: dict[str, Any] = {
        "ok": False,
        "code": status,
        "message": message,
        "error_code": error_code,
    }
    if issues is not None:
        content["issues"] = issues
    return _EnvelopeResponse(content, status, headers=headers)


class DroppedResponse(Response):
    """Promise a body, send part of it, then fail: the client sees a broken connection."""

    def __init__(self) -> None:
        super().__init__(status_code=201)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"ok": true, "co', "more_body": True})
        raise ConnectionDropped("sandbox drop_rate fault")


# --- request parsing -----------------------------------------------------------------------


class _InvalidJson(ValueError):
    pass


def _reject_constant(name: str) -> None:
    raise _InvalidJson(f"{name} is not JSON")  # JSON.parse has no NaN/Infinity


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


async def read_json(request: Request) -> Any:
    """The body parsed the way ``JSON.parse`` would; raises ``_InvalidJson``."""
    raw = await request.body()
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise _InvalidJson(str(exc)) from exc


def canonical_json(body: object) -> str:
    """The body with sorted keys and no spaces: equal bodies give equal strings."""
    return _CANONICAL_ENCODER.encode(body)


def _summarize_issues(issues: list[dict[str, Any]]) -> str:
    first = issues[0]
    where = ".".join(str(p) for p in first["path"]) or "body"
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return f"Invalid request body: {where}: {first['message']}{more}"


def _looks_like_uuid(value: object) -> bool:
    return isinstance(value, str) and len(value) == 36 and set(value) <= _UUID_CHARS


# --- the app -------------------------------------------------------------------------------


class SandboxApp:
    """The sandbox's behaviour; ``create_app`` wraps it in a Starlette app."""

    def __init__(
        self,
        config: SandboxConfig,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.sleep = sleep  # injectable so tests can see the latency draws
        self.state = SandboxState()
        self.files = FileStore()
        self.rng = random.Random(config.seed)
        # Post ids come from their own sequence so they do not shift the fault rolls.
        self.id_rng = random.Random(f"post-ids-{config.seed}")
        self._tokens = 0.0
        self._refilled_at = time.monotonic()
        self._reset_bucket()
        self.lifecycle = Lifecycle(self)

    # faults ------------------------------------------------------------------------------

    def set_faults(self, **changes: Any) -> None:
        """Change fault knobs at run time; a new ``seed`` restarts the random sequence."""
        self.config = self.config.with_faults(**changes)
        if "seed" in changes:
            self.rng = random.Random(self.config.seed)
            self.id_rng = random.Random(f"post-ids-{self.config.seed}")
            self.lifecycle.reset()
        if {"rate_limit", "rate_limit_burst_seconds"} & set(changes):
            self._reset_bucket()

    def reset(self) -> None:
        """Forget posts and counters, restart the random sequence and refill the bucket."""
        self.state.reset()
        self.rng = random.Random(self.config.seed)
        self.id_rng = random.Random(f"post-ids-{self.config.seed}")
        self._reset_bucket()
        self.lifecycle.reset()

    def _bucket_capacity(self) -> float:
        limit = self.config.rate_limit or 0
        return max(1.0, limit * self.config.rate_limit_burst_seconds / 60)

    def _reset_bucket(self) -> None:
        self._tokens = self._bucket_capacity()
        self._refilled_at = time.monotonic()

    def _take_token(self) -> float | None:
        """None when the request may go on, else the seconds until a token is back."""
        if self.config.rate_limit is None:
            return None
        per_second = self.config.rate_limit / 60
        now = time.monotonic()
        elapsed, self._refilled_at = now - self._refilled_at, now
        self._tokens = min(self._bucket_capacity(), self._tokens + elapsed * per_second)
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / per_second

    def _roll(self, rate: float) -> bool:
        # Draw only when the knob is on, so one knob does not shift another's sequence.
        return rate > 0 and self.rng.random() < rate

    async def sleep_latency(self) -> None:
        """Wait ``latency_ms`` ± ``latency_jitter_ms`` (the jitter drawn from the seed)."""
        latency, jitter = self.config.latency_ms, self.config.latency_jitter_ms
        if jitter:
            latency += self.rng.uniform(-jitter, jitter)
        if latency > 0:
            await self.sleep(latency / 1000)

    def _auth_failure(self, request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return failure(
                401, "invalid_token", "Missing API key: send Authorization: Bearer <key>"
            )
        if token.endswith(".no-subscription"):
            return failure(
                402, "subscription_required", "Your plan does not include Partner API access"
            )
        if token.endswith(".tier-not-allowed"):
            return failure(403, "tier_not_allowed", "Your plan tier does not allow this request")
        if token != self.config.api_key:
            return failure(401, "invalid_token", "Invalid API key")
        return None

    def api(
        self, handler: Callable[[Request], Awaitable[Response]], route: str = ""
    ) -> Callable[..., Any]:
        """Wrap a route: count it, apply latency, auth and the rate limit, record the status."""

        async def endpoint(request: Request) -> Response:
            state = self.state
            state.requests_total += 1
            state.requests_by_route[route or f"{request.method} {request.url.path}"] += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                await self.sleep_latency()
                response = self._auth_failure(request)
                if response is None:
                    wait = self._take_token()
                    if wait is not None:
                        headers = (
                            {"Retry-After": str(max(1, math.ceil(wait)))}
                            if self.config.retry_after
                            else None
                        )
                        response = failure(
                            429, "rate_limited", "Too many requests; slow down", headers=headers
                        )
                if response is None:
                    response = await handler(request)
                if isinstance(response, DroppedResponse):
                    state.connections_dropped += 1
                else:
                    state.record_response(response.status_code)
                return response
            finally:
                state.in_flight -= 1

        return endpoint

    # routes ------------------------------------------------------------------------------

    async def list_accounts(self, request: Request) -> Response:
        """``GET /accounts``: the active accounts of the workspace."""
        accounts = [dict(a) for a in self.state.active_accounts()]
        return success(200, "Accounts retrieved", {"accounts": accounts})

    async def create_post(self, request: Request) -> Response:
        """``POST /posts``: parse, schema, replay, accounts, rules, faults, commit."""
        state = self.state
        state.create_requests += 1
        try:
            body = await read_json(request)
        except _InvalidJson:
            return failure(400, "invalid_json", "Request body is not valid JSON")
        if isinstance(body, dict) and isinstance(body.get("external_id"), str):
            state.create_requests_by_external_id[body["external_id"]] += 1
        issues = schema_issues(body)
        if issues:
            return failure(422, "invalid_payload", _summarize_issues(issues), issues=issues)

        canonical = canonical_json(body)
        external_id = body.get("external_id")
        key = (
            f"external_id:{external_id}"
            if external_id is not None
            else "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
        )
        existing_id = state.by_idempotency_key.get(key)
        if existing_id is not None:
            existing = state.posts[existing_id]
            if existing.canonical_body == canonical:
                return success(
                    200, "Post already exists", {**existing.create_data, "duplicate": True}
                )
            return failure(
                409,
                "create_failed",
                f"external_id {external_id} already used with a different body "
                f"(post {existing.id})",
            )

        ids = [account["id"] for account in body["accounts"]]
        unknown = [
            i for i in dict.fromkeys(ids) if state.accounts.get(i, {}).get("status") != "active"
        ]
        if unknown:
            return failure(
                400,
                "unknown_accounts",
                f"Unknown or inactive account id(s) for this workspace: {', '.join(unknown)}",
            )
        accounts = [state.accounts[i] for i in dict.fromkeys(ids)]

        now = state.now()
        schedule = checks.schedule_for(body, now)
        problems = checks.caption_problems(body, accounts) + checks.media_problems(body, accounts)
        if schedule.problem:
            problems.append(schedule.problem)
        if problems:
            return failure(400, "validation_failed", "; ".join(problems))
        music = checks.music_problem(body, accounts)
        if music:
            return failure(400, "invalid_music_url", music)
        refused = platform_settings.settings_problem(body, accounts)
        if refused:
            return failure(400, "validation_failed", refused)
        spam = platform_settings.drafts_problem(
            body,
            schedule.at or now,
            accounts,
            (
                (post.body, post.scheduled_at or post.created_at, post.account_ids)
                for post in state.posts.values()
            ),
        )
        if spam:
            return failure(400, platform_settings.SPAM_RISK_CODE, spam)
        unreachable = await checks.reachability_problem(body, self.config.fetch_loopback_media)
        if unreachable:
            return failure(400, "media_unreachable", unreachable)

        if self._roll(self.config.error_rate):
            return failure(500, "create_failed", "Upstream scheduler error (sandbox error_rate)")
        # The replay check above ran before an await: a twin request may have committed since.
        if key in state.by_idempotency_key:
            return await self.create_post_replay(key, canonical, external_id)

        post_id = str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))
        data = {
            "id": post_id,
            "status": schedule.status,
            "scheduled_at": iso_utc(schedule.at) if schedule.at else None,
            "warnings": checks.warnings_for(body),
        }
        state.add_post(
            StoredPost(
                id=post_id,
                sequence=state.next_sequence(),
                body=body,
                canonical_body=canonical,
                idempotency_key=key,
                status=schedule.status,
                scheduled_at=schedule.at,
                created_at=now,
                account_ids=list(dict.fromkeys(ids)),
                create_data=data,
            )
        )
        if self._roll(self.config.drop_rate):
            return DroppedResponse()
        message = "Post scheduled" if schedule.status == "scheduled" else "Post queued"
        return success(201, message, data)

    async def create_post_replay(
        self, key: str, canonical: str, external_id: str | None
    ) -> Response:
        """The answer for a body whose key was committed while this request was checked."""
        existing = self.state.posts[self.state.by_idempotency_key[key]]
        if existing.canonical_body == canonical:
            return success(200, "Post already exists", {**existing.create_data, "duplicate": True})
        return failure(
            409,
            "create_failed",
            f"external_id {external_id} already used with a different body (post {existing.id})",
        )

    async def create_file(self, request: Request) -> Response:
        """``POST /files``: a presigned upload URL and the file's CDN URL."""
        try:
            body = await read_json(request)
        except _InvalidJson:
            return failure(400, "invalid_json", "Request body is not valid JSON")
        issues = self.files.payload_issues(body)
        if issues:
            return failure(422, "invalid_payload", _summarize_issues(issues), issues=issues)
        return success(201, "Upload URL created", self.files.create(request, body))

    async def get_post(self, request: Request) -> Response:
        """``GET /posts/{id}``."""
        post = self.state.posts.get(request.path_params["post_id"])
        if post is None:
            return failure(404, "not_found", f"Post {request.path_params['post_id']} not found")
        return success(200, "Post retrieved", post.to_api())

    async def list_posts(self, request: Request) -> Response:
        """``GET /posts``: filter by status and creation time, newest first."""
        query = request.query_params
        issues: list[dict[str, Any]] = []
        limit = DEFAULT_LIST_LIMIT
        raw_limit = query.get("limit")
        if raw_limit is not None:
            if (
                raw_limit.isascii()
                and raw_limit.isdigit()
                and 1 <= int(raw_limit) <= MAX_LIST_LIMIT
            ):
                limit = int(raw_limit)
            else:
                issues.append(
                    {
                        "path": ["limit"],
                        "message": f"limit must be a whole number from 1 to {MAX_LIST_LIMIT}",
                        "code": "invalid_type",
                    }
                )
        status = query.get("status")
        if status is not None and status not in POST_STATUSES:
            issues.append(
                {
                    "path": ["status"],
                    "message": f"status must be one of {', '.join(POST_STATUSES)}",
                    "code": "invalid_enum_value",
                }
            )
        bounds = {}
        for name in ("since", "until"):
            raw = query.get(name)
            if raw is None:
                continue
            parsed = checks.parse_timestamp(raw)
            if parsed is None:
                issues.append(
                    {
                        "path": [name],
                        "message": f"{name} must be an ISO 8601 time with Z or an offset",
                        "code": "invalid_string",
                    }
                )
            bounds[name] = parsed
        if issues:
            return failure(422, "invalid_payload", _summarize_issues(issues), issues=issues)
        posts = [
            p
            for p in self.state.posts.values()
            if (status is None or p.status == status)
            and (bounds.get("since") is None or p.created_at >= bounds["since"])
            and (bounds.get("until") is None or p.created_at <= bounds["until"])
        ]
        posts.sort(key=lambda p: (p.created_at, p.sequence), reverse=True)
        items = [p.to_api() for p in posts[:limit]]
        return success(200, "Posts retrieved", {"posts": items, "count": len(items)})

    async def delete_posts(self, request: Request) -> Response:
        """``POST /posts/delete``: ``{"postIds": [...]}`` (or ``post_ids``), 1-50 ids."""
        try:
            body = await read_json(request)
        except _InvalidJson:
            return failure(400, "invalid_json", "Request body is not valid JSON")
        ids = None
        if isinstance(body, dict):
            ids = body.get("postIds", body.get("post_ids"))
        problem = None
        if not isinstance(ids, list) or not ids:
            problem = "postIds must be a list of 1 to 50 post ids"
        elif len(ids) > MAX_DELETE_IDS:
            problem = f"postIds has {len(ids)} ids; at most {MAX_DELETE_IDS} per request"
        elif not all(_looks_like_uuid(i) for i in ids):
            problem = "every post id must be a UUID"
        if problem:
            issue = {"path": ["postIds"], "message": problem, "code": "custom"}
            return failure(422, "invalid_payload", problem, issues=[issue])
        deleted, blocked, skipped = [], [], []
        for post_id in dict.fromkeys(ids):
            post = self.state.posts.get(post_id)
            if post is None:
                skipped.append(post_id)
            elif post.status in DELETE_BLOCKED:
                blocked.append({"id": post_id, "status": post.status})
            else:
                self.state.delete_post(post_id)
                self.state.deleted_posts += 1
                deleted.append(post_id)
        data = {"deletedIds": deleted, "blockedStatuses": blocked, "skipped": skipped, "errors": []}
        return success(200, f"Deleted {len(deleted)} post(s)", data)

    async def not_found(self, request: Request) -> Response:
        """Any other API path."""
        return failure(404, "not_found", f"No route {request.method} {request.url.path}")

    # sandbox-only endpoints ---------------------------------------------------------------

    async def stats(self, request: Request) -> Response:
        """``GET /__sandbox/stats``."""
        return JSONResponse(self.state.stats())

    async def reset_endpoint(self, request: Request) -> Response:
        """``POST /__sandbox/reset``."""
        self.reset()
        return JSONResponse({"ok": True})

    async def faults(self, request: Request) -> Response:
        """``POST /__sandbox/faults`` with a JSON object of fault fields."""
        try:
            changes = await read_json(request)
        except _InvalidJson:
            return JSONResponse({"ok": False, "message": "body is not valid JSON"}, 400)
        if not isinstance(changes, dict):
            return JSONResponse({"ok": False, "message": "send a JSON object"}, 400)
        try:
            self.set_faults(**changes)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"ok": False, "message": str(exc)}, 400)
        current = {name: getattr(self.config, name) for name in sorted(FAULT_FIELDS)}
        return JSONResponse({"ok": True, "faults": current})


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`SandboxApp`."""
    sandbox = SandboxApp(config)
    api = sandbox.api
    life = sandbox.lifecycle
    post = "/posts/{id}"
    routes = [
        Route(
            f"{API_PREFIX}/accounts", api(sandbox.list_accounts, "GET /accounts"), methods=["GET"]
        ),
        Route(f"{API_PREFIX}/posts", api(sandbox.create_post, "POST /posts"), methods=["POST"]),
        Route(f"{API_PREFIX}/posts", api(sandbox.list_posts, "GET /posts"), methods=["GET"]),
        Route(
            f"{API_PREFIX}/posts/delete",
            api(sandbox.delete_posts, "POST /posts/delete"),
            methods=["POST"],
        ),
        Route(
            f"{API_PREFIX}/posts/retry",
            api(life.retry_posts, "POST /posts/retry"),
            methods=["POST"],
        ),
        Route(
            f"{API_PREFIX}/posts/{{post_id}}", api(sandbox.get_post, f"GET {post}"), methods=["GET"]
        ),
        Route(
            f"{API_PREFIX}/posts/{{post_id}}",
            api(life.update_post, f"PATCH {post}"),
            methods=["PATCH"],
        ),
        Route(f"{API_PREFIX}/files", api(sandbox.create_file, "POST /files"), methods=["POST"]),
        Route(f"{API_PREFIX}/{{rest:path}}", api(sandbox.not_found), methods=ALL_METHODS),
        Route("/__sandbox/stats", sandbox.stats, methods=["GET"]),
        Route("/__sandbox/reset", sandbox.reset_endpoint, methods=["POST"]),
        Route("/__sandbox/faults", sandbox.faults, methods=["POST"]),
        Route("/__sandbox/publish", life.publish, methods=["POST"]),
        Route("/__sandbox/files", sandbox.files.control, methods=["GET", "POST"]),
        Route(f"{UPLOAD_PREFIX}/{{token}}", sandbox.files.upload, methods=["PUT"]),
        Route(
            f"{CDN_PREFIX}/{{file_id}}/{{name:path}}", sandbox.files.serve, methods=["GET", "HEAD"]
        ),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app
