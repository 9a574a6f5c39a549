"""The sandbox after creation: edits, retries and a publisher that delivers due posts.

``PATCH /posts/{id}`` and ``POST /posts/retry`` follow the documented rules
(``docs/partner-api.md``): only draft, pending, scheduled, retry and failed posts can be
edited, ``external_id`` never changes, and only failed or partial posts are retried, only
on their failed accounts. The publisher is a control endpoint, ``POST /__sandbox/publish``:
it advances the sandbox's clock on request, then moves every due post to posted, failed or
partial, account by account (``publish_fail_rate`` of the accounts fail).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bulk_scheduler.sandbox import checks
from bulk_scheduler.sandbox.schema import schema_issues
from bulk_scheduler.sandbox.state import StoredPost, iso_utc

if TYPE_CHECKING:
    from bulk_scheduler.sandbox.app import SandboxApp

__all__ = ["EDITABLE", "RETRYABLE", "Lifecycle"]

EDITABLE = frozenset({"draft", "pending", "scheduled", "retry", "failed"})
RETRYABLE = frozenset({"failed", "partial"})
DUE = frozenset({"pending", "scheduled", "retry"})
MAX_RETRY_IDS = 20
MAX_RETRY_ACCOUNTS = 10
UPDATABLE_FIELDS = (
    "caption",
    "media",
    "accounts",
    "settings",
    "tiktok",
    "pinterest",
    "scheduled_at",
    "external_id",
    "music_url",
)


def _uuid_like(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 36
        and set(value.lower()) <= set("0123456789abcdef-")
    )


class Lifecycle:
    """The routes of a post's life after ``POST /posts``, on one :class:`SandboxApp`."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.publish_rng = random.Random(f"publish-{app.config.seed}")

    def reset(self) -> None:
        self.publish_rng = random.Random(f"publish-{self.app.config.seed}")

    # PATCH /posts/{id} ----------------------------------------------------------------------

    async def update_post(self, request: Request) -> Response:
        from bulk_scheduler.sandbox.app import _InvalidJson, failure, read_json, success

        state = self.app.state
        post = state.posts.get(request.path_params["post_id"])
        if post is None:
            return failure(404, "not_found", f"Post {request.path_params['post_id']} not found")
        try:
            patch = await read_json(request)
        except _InvalidJson:
            return failure(400, "invalid_json", "Request body is not valid JSON")
        if not isinstance(patch, dict):
            issue = {"path": [], "message": "Expected object", "code": "invalid_type"}
            return failure(422, "invalid_payload", "Invalid request body", issues=[issue])
        unknown = sorted(set(patch) - set(UPDATABLE_FIELDS))
        if unknown or not patch:
            message = (
                f"Unrecognized key(s) in object: {', '.join(unknown)}"
                if unknown
                else "Provide at least one field to update."
            )
            issue = {"path": [], "message": message, "code": "custom"}
            return failure(422, "invalid_payload", f"Invalid request body: {message}", [issue])
        external_id = post.body.get("external_id")
        if "external_id" in patch and patch["external_id"] != external_id:
            return failure(
                409, "external_id_immutable", f"external_id of post {post.id} cannot be changed"
            )
        state.updates_by_external_id[str(external_id or post.id)] += 1
        if post.status not in EDITABLE:
            return failure(
                400,
                "validation_failed",
                f"Post {post.id} is {post.status} and can no longer be edited "
                f"(only {', '.join(sorted(EDITABLE))} posts can)",
            )
        merged = {**post.body}
        for name, value in patch.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        issues = schema_issues(merged)
        if issues:
            from bulk_scheduler.sandbox.app import _summarize_issues

            return failure(422, "invalid_payload", _summarize_issues(issues), issues=issues)
        ids = list(dict.fromkeys(a["id"] for a in merged["accounts"]))
        unknown_ids = [i for i in ids if state.accounts.get(i, {}).get("status") != "active"]
        if unknown_ids:
            return failure(
                400,
                "unknown_accounts",
                f"Unknown or inactive account id(s) for this workspace: {', '.join(unknown_ids)}",
            )
        accounts = [state.accounts[i] for i in ids]
        now = state.now()
        problems = checks.caption_problems(merged, accounts) + checks.media_problems(
            merged, accounts
        )
        schedule = checks.schedule_for(merged, now) if "scheduled_at" in patch else None
        if schedule is not None and schedule.problem:
            problems.append(schedule.problem)
        if problems:
            return failure(400, "validation_failed", "; ".join(problems))
        music = checks.music_problem(merged, accounts)
        if music:
            return failure(400, "invalid_music_url", music)
        post.body = merged
        post.account_ids = ids
        post.states = {a: s for a, s in post.states.items() if a in ids}
        if schedule is not None:
            post.scheduled_at = schedule.at
            post.status = schedule.status
            for account_id in ids:
                if post.account_state(account_id)["status"] != "posted":
                    post.account_state(account_id)["status"] = schedule.status
        data = {
            "id": post.id,
            "status": post.status,
            "scheduled_at": iso_utc(post.scheduled_at) if post.scheduled_at else None,
            "warnings": checks.warnings_for(merged) if "media" in patch else [],
        }
        if self.app._roll(self.app.config.update_drop_rate):
            from bulk_scheduler.sandbox.app import DroppedResponse

            return DroppedResponse()
        return success(200, "Post updated", data)

    # POST /posts/retry ----------------------------------------------------------------------

    async def retry_posts(self, request: Request) -> Response:
        from bulk_scheduler.sandbox.app import _InvalidJson, failure, read_json, success

        state = self.app.state
        try:
            body = await read_json(request)
        except _InvalidJson:
            return failure(400, "invalid_json", "Request body is not valid JSON")
        problem = _retry_problem(body)
        if problem is not None:
            issue = {"path": [problem[0]], "message": problem[1], "code": "custom"}
            return failure(422, "invalid_payload", problem[1], issues=[issue])
        only = set(body.get("account_ids") or [])
        retried: list[str] = []
        failed: list[str] = []
        errors: dict[str, str] = {}
        now = state.now()
        for post_id in dict.fromkeys(body["post_ids"]):
            post = state.posts.get(post_id)
            if post is None:
                failed.append(post_id)
                errors[post_id] = "Post not found"
                continue
            if post.status not in RETRYABLE:
                failed.append(post_id)
                errors[post_id] = f"Post is {post.status}; only failed or partial posts retry"
                continue
            targets = [
                a
                for a in post.account_ids
                if post.account_state(a)["status"] == "failed" and (not only or a in only)
            ]
            if not targets:
                failed.append(post_id)
                errors[post_id] = "No failed account of this post matches account_ids"
                continue
            for account_id in targets:
                account_state = post.account_state(account_id)
                account_state["status"] = "retry"
                account_state["error_message"] = None
                account_state["last_attempted_at"] = iso_utc(now)
                state.retried_accounts[f"{post_id}:{account_id}"] += 1
            post.status = "retry"
            retried.append(post_id)
        data: dict[str, Any] = {"retried": len(retried), "ids": retried, "failed": failed}
        if errors:
            data["errors"] = errors
        return success(200, f"Retried {len(retried)} post(s)", data)

    # POST /__sandbox/publish ----------------------------------------------------------------

    async def publish(self, request: Request) -> Response:
        """Advance the clock by ``advance_seconds`` (optional), then deliver every due post."""
        from bulk_scheduler.sandbox.app import _InvalidJson, read_json

        try:
            raw = await request.body()
            body = (await read_json(request)) if raw.strip() else {}
        except _InvalidJson:
            return JSONResponse({"ok": False, "message": "body is not valid JSON"}, 400)
        if not isinstance(body, dict):
            return JSONResponse({"ok": False, "message": "send a JSON object"}, 400)
        advance = body.get("advance_seconds", 0)
        if (
            not isinstance(advance, int | float)
            or isinstance(advance, bool)
            or not 0 <= advance <= 10 * 365 * 86400
        ):
            return JSONResponse(
                {"ok": False, "message": "advance_seconds must be a number from 0 to 10 years"},
                400,
            )
        state = self.app.state
        state.clock_offset += timedelta(seconds=advance)
        counts = {"posted": 0, "failed": 0, "partial": 0}
        for post in sorted(state.posts.values(), key=lambda p: p.sequence):
            if self._due(post):
                counts[self._deliver(post)] += 1
        return JSONResponse({"ok": True, "now": iso_utc(state.now()), **counts})

    def _due(self, post: StoredPost) -> bool:
        if post.status not in DUE:
            return False
        return post.status != "scheduled" or (
            post.scheduled_at is not None and post.scheduled_at <= self.app.state.now()
        )

    def _deliver(self, post: StoredPost) -> str:
        config = self.app.config
        now = iso_utc(self.app.state.now())
        for account_id in post.account_ids:
            account_state = post.account_state(account_id)
            if account_state["status"] == "posted":
                continue
            account_state["last_attempted_at"] = now
            rate = config.publish_fail_rate
            if rate > 0 and self.publish_rng.random() < rate:
                account_state["status"] = "failed"
                account_state["error_message"] = config.publish_fail_message
                continue
            account = self.app.state.accounts.get(account_id, {})
            account_state.update(
                status="posted",
                published_at=now,
                error_message=None,
                published_url=(
                    f"https://{account.get('platform', 'social')}.sandbox.invalid/"
                    f"@{account.get('username', account_id)}/{post.id}"
                ),
            )
        statuses = {post.account_state(a)["status"] for a in post.account_ids}
        post.status = (
            "posted"
            if statuses == {"posted"}
            else "failed"
            if "posted" not in statuses
            else "partial"
        )
        return post.status


def _retry_problem(body: object) -> tuple[str, str] | None:
    """Where a retry body breaks ``partnerPostRetrySchema``, or None."""
    if not isinstance(body, dict):
        return "body", "Expected object"
    ids = body.get("post_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_RETRY_IDS:
        return "post_ids", f"post_ids must be a list of 1 to {MAX_RETRY_IDS} post ids"
    if not all(_uuid_like(i) for i in ids):
        return "post_ids", "every post id must be a UUID"
    accounts = body.get("account_ids")
    if accounts is not None and (
        not isinstance(accounts, list)
        or not 1 <= len(accounts) <= MAX_RETRY_ACCOUNTS
        or not all(_uuid_like(a) for a in accounts)
    ):
        return "account_ids", f"account_ids must be a list of 1 to {MAX_RETRY_ACCOUNTS} UUIDs"
    return None
