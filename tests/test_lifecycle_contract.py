"""The bodies of updates, retries and deletes pass the vendor's official schemas.

The update bodies are made by the planner's own path (a row whose cells changed since its
post was created, ``update_for``) and every body is what the client puts on the wire,
captured by a server on loopback, then checked by ``partnerPostUpdateSchema``,
``partnerPostRetrySchema`` and ``partnerPostBulkDeleteSchema``
(``tests/contract/check_lifecycle_bodies.mjs``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from bulk_scheduler.api.client import ApiKey, PartnerClient
from bulk_scheduler.api.contract import Account
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.launch.changes import update_for
from bulk_scheduler.launch.dry_run import validate_rows
from bulk_scheduler.launch.journal import JournalEntry
from bulk_scheduler.launch.record import cells_sent, input_columns
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sheet.loader import load_campaign
from tests.canned_server import Canned, CannedServer
from tests.official_schema import REPO_ROOT
from tests.rows import write_csv

CHECKER = REPO_ROOT / "tests" / "contract" / "check_lifecycle_bodies.mjs"
ACCOUNTS = [Account.model_validate(a) for a in seed.SEED_ACCOUNTS if a["status"] == "active"]
HEADER = ["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"]


def official(requests: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is not on PATH: run `npm ci` with Node >= 20.19 installed"
    lines = "".join(json.dumps({"schema": s, "body": b}) + "\n" for s, b in requests)
    done = subprocess.run(
        [node, str(CHECKER)], input=lines, capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def edited_updates(tmp_path: Path) -> list[dict[str, Any]]:
    """The PATCH fields of rows whose caption, media, accounts or time changed."""
    now = [
        ["u-1", "A new caption", "video", "https://cdn.example.com/a.mp4", seed.BYO_TIKTOK_ID,
         "2031-03-01T09:00:00Z"],
        ["u-2", "Same", "slideshow", "https://cdn.example.com/1.jpg|https://cdn.example.com/2.jpg",
         seed.BYO_TIKTOK_ID, "2031-03-01T09:00:00Z"],
        ["u-3", "Same", "video", "https://cdn.example.com/a.mp4",
         f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}", "2031-03-01T09:00:00Z"],
        ["u-4", "Same", "video", "https://cdn.example.com/a.mp4", seed.BYO_TIKTOK_ID, ""],
    ]  # fmt: skip
    campaign = load_campaign(write_csv(tmp_path / "now.csv", now, HEADER))
    report = validate_rows(campaign, PlanOptions(), ACCOUNTS)
    columns = list(input_columns(campaign))
    before = {
        "u-1": {"caption": "The old caption"},
        "u-2": {"media_type": "video", "media_urls": "https://cdn.example.com/a.mp4"},
        "u-3": {"accounts": seed.BYO_TIKTOK_ID},
        "u-4": {"scheduled_at": "2031-03-01T09:00:00Z"},
    }
    fields = []
    for planned in report.planned:
        sent = {**cells_sent(planned.row, columns), **before[planned.external_id]}
        post_id = str(uuid.uuid4())
        outcome = RowOutcome(
            planned.row.row_number, planned.external_id, RowResult.CREATED, post_id
        )
        entry = JournalEntry(
            planned.external_id, planned.row.row_number, "", "created", outcome, sent
        )
        update = update_for(planned, entry, columns, None)
        assert update is not None and update.problem is None, planned.external_id
        fields.append(update.fields)
    assert [sorted(f) for f in fields] == [["caption"], ["media"], ["accounts"], ["scheduled_at"]]
    assert fields[3] == {"scheduled_at": None}  # a cleared time: publish now
    return fields


@pytest.mark.timeout(120)
def test_update_retry_and_delete_bodies_pass_the_official_schemas(tmp_path: Path) -> None:
    updates = edited_updates(tmp_path)
    reply = json.dumps({"ok": True, "code": 200, "data": {"id": "x", "status": "scheduled"}})
    post_ids = [str(uuid.uuid4()) for _ in range(50)]
    with CannedServer(Canned(200, reply.encode(), {"Content-Type": "application/json"})) as server:

        async def send() -> None:
            async with PartnerClient(ApiKey("gva_live_test.secret"), server.base_url) as client:
                for fields in updates:
                    await client.update_post(post_ids[0], fields)
                await client.retry_posts(post_ids[:20], [seed.BYO_TIKTOK_ID])
                await client.retry_posts(post_ids[:1])
                await client.delete_posts(post_ids)

        asyncio.run(send())
        sent = [(method, json.loads(body)) for method, _, _, body in server.requests]
    kinds = {"PATCH": "update"}
    requests = [
        (kinds.get(method, "retry" if "post_ids" in body else "delete"), body)
        for method, body in sent
    ]
    assert [kind for kind, _ in requests] == ["update"] * 4 + ["retry", "retry", "delete"]
    verdicts = official(requests)
    assert all(v["ok"] for v in verdicts), list(zip(requests, verdicts, strict=True))
    # And the schemas are strict enough to matter: what the API refuses, they refuse.
    refused = official(
        [
            ("update", {}),
            ("retry", {"post_ids": post_ids[:21]}),
            ("delete", {"postIds": []}),
        ]
    )
    assert not any(v["ok"] for v in refused)
