"""Uploading local media files: ``POST /files`` for a presigned URL, then ``PUT`` the
bytes there, streamed from disk.

Each file is read in chunks of ``chunk_bytes`` as it is sent, so memory stays bounded
whatever its size; a file edited since it was checked (another size or modification
time) is not used. The ``PUT`` carries no API key: the URL is its
own authorisation. A ``5xx``, a ``429`` or a dropped connection is retried with
exponential backoff and jitter; a ``403`` from the upload target, or an upload URL past
its ``expiresIn``, means a new ``POST /files``. At most ``concurrency`` files are in
flight; ``progress(bytes_sent, bytes_total)`` follows every chunk.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bulk_scheduler import __version__
from bulk_scheduler.api.contract import FileUpload
from bulk_scheduler.checks.local_media import LocalFile
from bulk_scheduler.errors import ApiError, FatalApiError

USER_AGENT = f"bulk-scheduler/{__version__} (upload)"
# Ask for a new upload URL when less than this is left of its life.
EXPIRY_MARGIN_SECONDS = 5.0

CreateUpload = Callable[[dict[str, Any]], Awaitable[FileUpload]]


@dataclass(slots=True)
class UploadOptions:
    concurrency: int = 4
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    chunk_bytes: int = 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    progress: Callable[[int, int], None] | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class UploadFailure:
    """Why a file could not be uploaded; ``fatal`` when the API refused the key."""

    message: str
    fatal: bool = False


class _Retry(Exception):
    def __init__(self, message: str, *, new_url: bool = False) -> None:
        super().__init__(message)
        self.new_url = new_url


class _GiveUp(Exception):
    pass


class _FileChanged(Exception):
    pass


def upload_payload(local: LocalFile) -> dict[str, Any]:
    """The ``POST /files`` body: content type, file name and the measured metadata."""
    payload: dict[str, Any] = {"contentType": local.content_type, "filename": _filename(local)}
    if local.size is not None:
        payload["size"] = local.size
    if local.duration_sec:
        payload["duration_sec"] = round(local.duration_sec, 3)
    if local.width and local.height:
        payload["width"] = local.width
        payload["height"] = local.height
    return payload


def _filename(local: LocalFile) -> str:
    """The file's name, with the extension of its content when its own differs (a
    ``clip`` that is an MP4 goes as ``clip.mp4``), at most 255 characters."""
    name = local.name
    extension = local.extension or ""
    if extension and not name.lower().endswith(f".{extension}"):
        name = f"{name}.{extension}"
    return name[-255:]


def _backoff(attempt: int, options: UploadOptions, rng: random.Random) -> float:
    ceiling = min(options.backoff_cap, options.backoff_base * 2 ** (attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


async def upload_files(
    files: Sequence[LocalFile],
    create_upload: CreateUpload,
    options: UploadOptions | None = None,
    *,
    on_uploaded: Callable[[LocalFile, str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> dict[str, str | UploadFailure]:
    """Upload each distinct file (by content hash) once; return digest -> CDN URL, or
    the failure. ``on_uploaded`` is told of each file as soon as it is uploaded (the
    journal keeps it then, so a killed run never uploads it again)."""
    options = options or UploadOptions()
    distinct = list({f.digest: f for f in files if f.digest is not None}.values())
    total = sum(f.size or 0 for f in distinct)
    sent = 0
    rng = random.Random(options.seed)
    fatal: list[str] = []

    def advance(count: int) -> None:
        nonlocal sent
        sent += count
        if options.progress is not None:
            options.progress(sent, total)

    advance(0)
    semaphore = asyncio.Semaphore(max(1, options.concurrency))
    results: dict[str, str | UploadFailure] = {}
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=options.connect_timeout,
            read=options.read_timeout,
            write=options.read_timeout,
            pool=None,
        ),
        limits=httpx.Limits(max_connections=max(1, options.concurrency)),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=True,
    ) as http:

        async def one(local: LocalFile) -> None:
            assert local.digest is not None
            async with semaphore:
                if fatal:
                    results[local.digest] = UploadFailure(fatal[0], fatal=True)
                    return
                if stop is not None and stop.is_set():
                    results[local.digest] = UploadFailure("stopped before this file was uploaded")
                    return
                try:
                    url = await _upload_one(http, local, create_upload, options, rng, advance)
                except FatalApiError as exc:
                    fatal.append(str(exc))
                    results[local.digest] = UploadFailure(str(exc), fatal=True)
                    return
                except _GiveUp as exc:
                    results[local.digest] = UploadFailure(str(exc))
                    return
            results[local.digest] = url
            if on_uploaded is not None:
                on_uploaded(local, url)

        await asyncio.gather(*(one(f) for f in distinct))
    return results


async def _upload_one(
    http: httpx.AsyncClient,
    local: LocalFile,
    create_upload: CreateUpload,
    options: UploadOptions,
    rng: random.Random,
    advance: Callable[[int], None],
) -> str:
    ticket: FileUpload | None = None
    expires_at = 0.0
    problem = ""
    for attempt in range(1, options.max_attempts + 1):
        if attempt > 1:
            await asyncio.sleep(_backoff(attempt - 1, options, rng))
        if ticket is None or time.monotonic() > expires_at - EXPIRY_MARGIN_SECONDS:
            try:
                ticket = await create_upload(upload_payload(local))
            except FatalApiError:
                raise
            except ApiError as exc:
                problem = f"POST /files: {exc}"
                if exc.status is not None and exc.status != 429 and exc.status < 500:
                    raise _GiveUp(f"{local.written}: {problem}") from None
                continue
            life = ticket.expiresIn if ticket.expiresIn is not None else 600.0
            expires_at = time.monotonic() + life
            if life <= EXPIRY_MARGIN_SECONDS:
                # Too short a life to count on: try the PUT at once, and if refused ask again.
                expires_at = time.monotonic() + EXPIRY_MARGIN_SECONDS + 1
        sent = [0]
        try:
            await _put(http, ticket, local, options, sent, advance)
            return ticket.url
        except _Retry as exc:
            advance(-sent[0])  # the bytes of a failed attempt are sent again
            problem = str(exc)
            if exc.new_url:
                ticket = None
        except _FileChanged as exc:
            advance(-sent[0])
            raise _GiveUp(f"{local.written}: {exc}") from None
        except _GiveUp:
            advance(-sent[0])
            raise
    raise _GiveUp(
        f"{local.written}: not uploaded after {options.max_attempts} attempt(s) ({problem})"
    )


async def _put(
    http: httpx.AsyncClient,
    ticket: FileUpload,
    local: LocalFile,
    options: UploadOptions,
    sent: list[int],
    advance: Callable[[int], None],
) -> None:
    size = local.size or 0
    headers = {
        "Content-Type": ticket.contentType or local.content_type or "application/octet-stream",
        "Content-Length": str(size),
    }
    try:
        response = await http.put(
            ticket.uploadUrl,
            content=_chunks(local, options.chunk_bytes, sent, advance),
            headers=headers,
        )
    except _FileChanged:
        raise
    except httpx.TransportError as exc:
        cause = exc.__context__
        if isinstance(cause, _FileChanged):
            raise cause from None
        raise _Retry(f"PUT: {type(exc).__name__}") from None
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = " ".join(response.text.split())[:200]
    if status in (401, 403):
        raise _Retry(f"PUT answered {status} ({detail}): the upload URL expired", new_url=True)
    if status == 429 or status >= 500:
        raise _Retry(f"PUT answered {status} ({detail})")
    if status == 404:
        raise _Retry(f"PUT answered 404 ({detail})", new_url=True)
    raise _GiveUp(f"{local.written}: the upload was refused: HTTP {status} ({detail})")


async def _chunks(
    local: LocalFile, chunk_bytes: int, sent: list[int], advance: Callable[[int], None]
) -> AsyncIterator[bytes]:
    """The file's bytes, read as they are sent. The file must be as it was checked (its
    size and modification time, before and after): hashing it again would cost a core's
    second per GB of upload."""
    _unchanged(local)
    size = 0
    with open(local.path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            size += len(chunk)
            if size > (local.size or 0):
                raise _FileChanged("the file grew since it was checked; run again")
            sent[0] += len(chunk)
            advance(len(chunk))
            yield chunk
    if size != local.size:
        raise _FileChanged("the file changed since it was checked; run again")
    _unchanged(local)


def _unchanged(local: LocalFile) -> None:
    info = os.stat(local.path)
    if info.st_size != local.size or (
        local.modified_ns is not None and info.st_mtime_ns != local.modified_ns
    ):
        raise _FileChanged("the file changed since it was checked; run again")
