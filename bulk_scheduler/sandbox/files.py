"""The sandbox's file uploads: ``POST /files``, the presigned upload target, and a CDN.

``POST /files`` answers a one-use ``uploadUrl`` on this server (no key needed, valid for
``url_ttl_seconds``, 600 as the API says) and the CDN ``url`` the file will have. A ``PUT``
of the bytes there, with the ``Content-Type`` the upload was asked for, stores the file in
a temporary folder (streamed: memory stays small whatever the size), and the CDN URL then
serves it, ``Range`` requests included, so the media checks and the create rules pass.

``GET /__sandbox/files`` reads the counters; ``POST /__sandbox/files`` with
``{"url_ttl_seconds": s}`` or ``{"expire_next": n}`` (the next n upload URLs are issued
already expired) steers expiry for tests, and ``{"reset": true}`` forgets every file.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response

CONTENT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/x-msvideo",
    "video/webm",
    "video/x-m4v",
)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/webm": "webm",
    "video/x-m4v": "m4v",
}
UPLOAD_TTL_SECONDS = 600
UPLOAD_PREFIX = "/__sandbox/upload"
CDN_PREFIX = "/cdn"
_NUMBERS = ("duration_sec", "size", "width", "height", "bytes")


@dataclass
class _Ticket:
    file_id: str
    content_type: str
    name: str
    expires_at: float
    used: bool = False


@dataclass
class FileStore:
    """Uploaded files (on disk, in a temporary folder) and the upload tickets."""

    url_ttl_seconds: float = UPLOAD_TTL_SECONDS
    expire_next: int = 0
    tickets: dict[str, _Ticket] = field(default_factory=dict)
    files: dict[str, tuple[Path, str, str]] = field(default_factory=dict)  # id -> path, type, name
    counters: dict[str, int] = field(default_factory=dict)
    _folder: Path | None = None

    def __post_init__(self) -> None:
        self.counters = dict.fromkeys(
            (
                "files_requested",
                "uploads_completed",
                "upload_bytes",
                "uploads_expired",
                "uploads_refused",
                "puts_with_authorization",
            ),
            0,
        )

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="bulk-scheduler-sandbox-files-"))
        return self._folder

    def close(self) -> None:
        """Delete the stored files."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self.files.clear()
        self.tickets.clear()

    def reset(self) -> None:
        self.close()
        self.__post_init__()

    # -- POST /files (behind the API's key and rate limit) ---------------------------------

    def payload_issues(self, body: object) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            return [{"path": [], "message": "Expected object", "code": "invalid_type"}]
        issues = []
        if body.get("contentType") not in CONTENT_TYPES:
            issues.append(
                {
                    "path": ["contentType"],
                    "message": f"contentType must be one of {', '.join(CONTENT_TYPES)}",
                    "code": "invalid_enum_value",
                }
            )
        name = body.get("filename")
        if name is not None and not (isinstance(name, str) and 1 <= len(name) <= 255):
            issues.append(
                {
                    "path": ["filename"],
                    "message": "filename must be 1-255 characters",
                    "code": "invalid_string",
                }
            )
        for key in _NUMBERS:
            value = body.get(key)
            if value is None:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value < 0:
                issues.append(
                    {"path": [key], "message": f"{key} must be a number >= 0", "code": "custom"}
                )
        return issues

    def create(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        self.counters["files_requested"] += 1
        content_type = body["contentType"]
        extension = EXTENSIONS[content_type]
        name = os.path.basename(str(body.get("filename") or f"upload.{extension}")) or "upload"
        if not name.lower().endswith(f".{extension}"):
            name = f"{name}.{extension}"
        ttl = self.url_ttl_seconds
        if self.expire_next > 0:
            self.expire_next -= 1
            ttl = -1.0
        file_id = uuid.uuid4().hex
        token = uuid.uuid4().hex
        self.tickets[token] = _Ticket(file_id, content_type, name, time.monotonic() + ttl)
        root = str(request.base_url).rstrip("/")
        return {
            "uploadUrl": f"{root}{UPLOAD_PREFIX}/{token}",
            "url": f"{root}{CDN_PREFIX}/{file_id}/{quote(name)}",
            "contentType": content_type,
            "expiresIn": max(0, math.floor(ttl)),
        }

    # -- the upload target and the CDN (no key) -------------------------------------------

    async def upload(self, request: Request) -> Response:
        if request.headers.get("authorization"):
            self.counters["puts_with_authorization"] += 1
        ticket = self.tickets.get(request.path_params["token"])
        if ticket is None or ticket.used:
            self.counters["uploads_refused"] += 1
            return PlainTextResponse("NoSuchUpload: unknown or used upload URL", 404)
        if time.monotonic() > ticket.expires_at:
            self.counters["uploads_expired"] += 1
            return PlainTextResponse("AccessDenied: Request has expired", 403)
        sent_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if sent_type != ticket.content_type:
            self.counters["uploads_refused"] += 1
            return PlainTextResponse(
                f"SignatureDoesNotMatch: Content-Type {sent_type or 'missing'} is not "
                f"{ticket.content_type}",
                403,
            )
        target = self.folder / ticket.file_id
        size = 0
        try:
            with target.open("wb") as handle:
                async for chunk in request.stream():
                    handle.write(chunk)
                    size += len(chunk)
        except ClientDisconnect:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) != size:
            target.unlink()
            self.counters["uploads_refused"] += 1
            return PlainTextResponse("IncompleteBody: fewer bytes than Content-Length", 400)
        ticket.used = True
        self.files[ticket.file_id] = (target, ticket.content_type, ticket.name)
        self.counters["uploads_completed"] += 1
        self.counters["upload_bytes"] += size
        return Response(status_code=200, headers={"ETag": f'"{ticket.file_id}"'})

    async def serve(self, request: Request) -> Response:
        found = self.files.get(request.path_params["file_id"])
        if found is None:
            return PlainTextResponse("NoSuchKey", 404)
        path, content_type, _ = found
        return FileResponse(path, media_type=content_type)

    async def control(self, request: Request) -> Response:
        """``GET``/``POST /__sandbox/files``: counters, and the expiry knobs."""
        if request.method == "POST":
            try:
                changes = await request.json()
            except ValueError:
                return JSONResponse({"ok": False, "message": "body is not valid JSON"}, 400)
            if not isinstance(changes, dict) or set(changes) - {
                "url_ttl_seconds",
                "expire_next",
                "reset",
            }:
                return JSONResponse(
                    {"ok": False, "message": "send url_ttl_seconds, expire_next or reset"}, 400
                )
            if changes.get("reset"):
                self.reset()
            if "url_ttl_seconds" in changes:
                self.url_ttl_seconds = float(changes["url_ttl_seconds"])
            if "expire_next" in changes:
                self.expire_next = int(changes["expire_next"])
        return JSONResponse(
            {
                "ok": True,
                **self.counters,
                "files": len(self.files),
                "url_ttl_seconds": self.url_ttl_seconds,
                "expire_next": self.expire_next,
            }
        )
