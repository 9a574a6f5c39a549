"""Media preflight: probe every distinct media URL over HTTP before launch, and turn what
was found into findings.

The API checks media only when a post is created, so a broken link or a 90-second video
would become a failed row at launch. A probe asks ``HEAD`` (falling back to a ranged
``GET`` when HEAD is refused), reads the first 64 KB with a ``Range`` request to tell the
kind of file by its content, and reads video or image metadata with a few more ranged reads,
never the whole file. Network trouble becomes a :class:`MediaFacts` with a ``problem``,
never an exception.

>>> facts = MediaFacts("https://cdn.example.com/a.mp4", status=200, ok=True, kind="video",
...                    container="mp4", duration_sec=92.4, width=1080, height=1920)
>>> media_issues(facts, "video")
[(<Severity.ERROR: 'error'>, 'video-duration', 'video is 92.4 s; the limit is 15–60 s')]
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bulk_scheduler import __version__, event_loop
from bulk_scheduler.api.contract import (
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    VIDEO_EXTENSIONS,
    VIDEO_MAX_BYTES,
    VIDEO_MAX_SECONDS,
    VIDEO_MIN_SECONDS,
)
from bulk_scheduler.checks.media_urls import is_http_url, rewrite_drive_url
from bulk_scheduler.issues import Severity
from bulk_scheduler.media.image_meta import (
    JPEG_SIGNATURE,
    PNG_SIGNATURE,
    ImageFormatError,
    png_size,
    scan_jpeg,
)
from bulk_scheduler.media.mp4_meta import (
    LEGACY_MOV_BOXES,
    MAX_MOOV_BYTES,
    VideoFormatError,
    VideoMeta,
    container_for_brands,
    parse_avi_header,
    parse_moov,
    read_box_header,
)

MediaKindFound = Literal["video", "image", "html", "other"]
ExpectedKind = Literal["video", "image"]
Finding = tuple[Severity, str, str]

USER_AGENT = f"bulk-scheduler/{__version__} (media preflight)"
# The first read: enough for ftyp + a fast-start moov, an AVI header, a PNG's IHDR and
# most JPEG frame headers; also the size of each later ranged read.
HEAD_BYTES = 64 * 1024
# Ranged reads after the first one, per probe, to find a moov box or a JPEG frame header.
MAX_EXTRA_READS = 3
# Refusals of HEAD that a GET may not share (S3 presigned URLs answer 403 to HEAD).
HEAD_REFUSED = frozenset({403, 405, 501})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DRIVE_HOSTS = frozenset({"drive.google.com", "docs.google.com", "drive.usercontent.google.com"})
NOT_SHARED_PUBLICLY = "not shared publicly"
MIB = 1024 * 1024

# Errors a request can end in that say nothing about the file: the probe reports them.
_NETWORK_ERRORS = (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError)
# Errors that say the host cannot be reached at all: a GET after HEAD would fail the same way.
_HOST_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)", re.IGNORECASE)


@dataclass(frozen=True)
class MediaFacts:
    """What probing one media URL found.

    ``ok`` is true when the final answer was 2xx and the file is a video or an image.
    ``problem`` is a one-line reason when it is not, or when the metadata could not be
    read. ``requests`` and ``bytes_read`` count this probe's HTTP requests and body bytes.
    """

    url: str
    final_url: str | None = None
    ok: bool = False
    status: int | None = None
    kind: MediaKindFound | None = None
    content_type: str | None = None
    size: int | None = None
    container: str | None = None
    duration_sec: float | None = None
    width: int | None = None
    height: int | None = None
    problem: str | None = None
    requests: int = 0
    bytes_read: int = 0


@dataclass
class ProbeOptions:
    """How to probe: parallel probes, seconds per request, redirects to follow, and a
    ``progress(done, total)`` callback called as probes finish (and once with 0 first)."""

    concurrency: int = 8
    timeout: float = 10.0
    max_redirects: int = 5
    progress: Callable[[int, int], None] | None = None


@dataclass(frozen=True)
class MediaLimits:
    """The limits :func:`media_issues` checks against; the API's defaults, which an
    account's ``media_limits`` may override. ``aspect_ratio`` is the width/height range
    that counts as "about 9:16" (None: do not check)."""

    video_min_seconds: float = VIDEO_MIN_SECONDS
    video_max_seconds: float = VIDEO_MAX_SECONDS
    video_max_bytes: int = VIDEO_MAX_BYTES
    image_max_bytes: int = IMAGE_MAX_BYTES
    aspect_ratio: tuple[float, float] | None = (0.45, 0.70)


DEFAULT_LIMITS = MediaLimits()


async def probe_urls(
    urls: Iterable[str],
    options: ProbeOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
) -> dict[str, MediaFacts]:
    """Probe each distinct URL once, at most ``options.concurrency`` at a time, and return
    the facts keyed by URL as given (in first-seen order).

    URLs that lead to the same download (two share links of one Drive file) are probed once.
    Never raises for network problems. A ``client`` passed in is used as is (redirects and
    the per-request timeout are still handled here) and left open.
    """
    options = options or ProbeOptions()
    distinct = list(dict.fromkeys(urls))
    by_target: dict[str, list[str]] = {}
    for url in distinct:
        by_target.setdefault(rewrite_drive_url(url.strip()), []).append(url)
    total = len(by_target)
    done = 0
    if options.progress is not None:
        options.progress(0, total)
    semaphore = asyncio.Semaphore(max(1, options.concurrency))
    owned = client is None
    http = client or httpx.AsyncClient(
        timeout=httpx.Timeout(options.timeout),
        limits=httpx.Limits(max_connections=max(1, options.concurrency)),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )

    async def probe_target(target: str, originals: list[str]) -> list[MediaFacts]:
        nonlocal done
        async with semaphore:
            facts = await _Probe(http, options).run(originals[0], target)
        done += 1
        if options.progress is not None:
            options.progress(done, total)
        return [replace(facts, url=url) for url in originals]

    try:
        groups = await asyncio.gather(*(probe_target(t, o) for t, o in by_target.items()))
    finally:
        if owned:
            await http.aclose()
    found = {facts.url: facts for group in groups for facts in group}
    return {url: found[url] for url in distinct}


def probe_urls_sync(
    urls: Iterable[str], options: ProbeOptions | None = None
) -> dict[str, MediaFacts]:
    """:func:`probe_urls` for callers without an event loop (not from inside one)."""
    return event_loop.run(probe_urls(urls, options))


def media_issues(
    facts: MediaFacts, expected: ExpectedKind, limits: MediaLimits = DEFAULT_LIMITS
) -> list[Finding]:
    """The findings ``(severity, code, message)`` for a URL used where a video or an
    image is expected. Pure: no I/O.

    An unreachable URL, a Drive file that is not shared, or a file of the wrong kind gives
    that one error; otherwise the format, size, duration and aspect-ratio checks apply.
    """
    if facts.status is None or not 200 <= facts.status < 300:
        return [(Severity.ERROR, "media-unreachable", _unreachable_message(facts))]
    if facts.kind == "html" and _is_drive(rewrite_drive_url(facts.url)):
        message = (
            "Google Drive answered with a web page instead of the file: it is not shared "
            "publicly (share it with 'Anyone with the link')"
        )
        return [(Severity.ERROR, "media-not-shared", message)]
    if facts.kind != expected:
        article = "an" if expected == "image" else "a"
        message = f"the URL points to {_describe(facts)}, not {article} {expected}"
        # Each code written out rather than built from ``expected``, so it can be found as
        # written (tests/test_issue_codes.py reads the source for every code emitted).
        if expected == "video":
            return [(Severity.ERROR, "media-not-video", message)]
        return [(Severity.ERROR, "media-not-image", message)]
    issues = _video_issues(facts, limits) if expected == "video" else _image_issues(facts, limits)
    if facts.width and facts.height and limits.aspect_ratio is not None:
        low, high = limits.aspect_ratio
        if not low <= facts.width / facts.height <= high:
            message = (
                f"{expected} is {facts.width}×{facts.height}; "
                "about 9:16 portrait (e.g. 1080×1920) is recommended"
            )
            issues.append((Severity.WARNING, "aspect-ratio", message))
    return issues


def _video_issues(facts: MediaFacts, limits: MediaLimits) -> list[Finding]:
    issues: list[Finding] = []
    if facts.container is not None and facts.container not in VIDEO_EXTENSIONS:
        message = f"video is {facts.container.upper()}; the API accepts MP4, MOV, M4V and AVI"
        issues.append((Severity.ERROR, "video-format", message))
    if facts.size is not None and facts.size > limits.video_max_bytes:
        message = f"video is {_megabytes(facts.size, limits.video_max_bytes)}; the limit is " + (
            f"{limits.video_max_bytes / MIB:g} MB"
        )
        issues.append((Severity.ERROR, "video-too-large", message))
    low, high = limits.video_min_seconds, limits.video_max_seconds
    if facts.duration_sec is None:
        reason = f" ({facts.problem})" if facts.problem else ""
        message = (
            f"could not read the video's duration{reason}; the API will warn VIDEO_DURATION_MISSING"
        )
        issues.append((Severity.WARNING, "video-duration-unknown", message))
    elif not low <= facts.duration_sec <= high:
        bound = low if facts.duration_sec < low else high
        seconds = _beyond(facts.duration_sec, bound)
        message = f"video is {seconds} s; the limit is {low:g}–{high:g} s"
        issues.append((Severity.ERROR, "video-duration", message))
    return issues


def _image_issues(facts: MediaFacts, limits: MediaLimits) -> list[Finding]:
    issues: list[Finding] = []
    if facts.container not in IMAGE_EXTENSIONS:
        if facts.container is not None:
            message = f"image is {facts.container.upper()}; the API accepts JPG and PNG"
        else:
            message = (
                f"the image is not a JPG or PNG by its content "
                f"(Content-Type {facts.content_type or 'unknown'})"
            )
        issues.append((Severity.ERROR, "image-format", message))
    if facts.size is not None and facts.size > limits.image_max_bytes:
        message = f"image is {_megabytes(facts.size, limits.image_max_bytes)}; the limit is " + (
            f"{limits.image_max_bytes / MIB:g} MB"
        )
        issues.append((Severity.ERROR, "image-too-large", message))
    return issues


def _unreachable_message(facts: MediaFacts) -> str:
    if facts.status is None:
        return f"the media URL could not be fetched: {facts.problem or 'no answer'}"
    phrase = httpx.codes.get_reason_phrase(facts.status)
    message = f"the media URL answered HTTP {facts.status} {phrase}".rstrip()
    if facts.problem and not facts.problem.startswith("HTTP "):
        message += f" ({facts.problem})"
    return message


def _describe(facts: MediaFacts) -> str:
    """What the URL turned out to be, for "the URL points to …, not a video"."""
    if facts.kind == "html":
        return "a web page (HTML)"
    if facts.kind in ("video", "image"):
        if facts.container:
            return f"a {facts.container.upper()} {facts.kind}"
        return "an image" if facts.kind == "image" else "a video"
    if facts.size == 0:
        return "an empty file"
    if facts.content_type:
        return f"a file of type {facts.content_type}"
    return "a file that is neither a video nor an image"


def _megabytes(size: int, limit: int) -> str:
    return f"{_beyond(size / MIB, limit / MIB)} MB"


def _beyond(value: float, bound: float) -> str:
    """``value`` with one decimal, or more when one would round it onto ``bound``
    ("60.04 s", not "60.0 s; the limit is 15–60 s")."""
    for digits in (1, 2, 3):
        text = f"{value:.{digits}f}"
        if float(text) != bound:
            return text
    return f"{value:g}"


def _is_drive(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in DRIVE_HOSTS


# --- probing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    url: str
    headers: httpx.Headers
    body: bytes


class _TooManyRedirectsError(Exception):
    def __init__(self, answer: _Answer) -> None:
        super().__init__("too many redirects")
        self.answer = answer


class _RangeReadError(Exception):
    """A ranged read for metadata failed for a reason other than the file's format."""


class _Probe:
    """One URL's probe: its HTTP exchanges and their counts."""

    def __init__(self, client: httpx.AsyncClient, options: ProbeOptions) -> None:
        self.client = client
        self.options = options
        self.requests = 0
        self.bytes_read = 0

    async def run(self, url: str, target: str) -> MediaFacts:
        """Facts for ``url``, probed at ``target`` (its Drive download form)."""
        if not is_http_url(target):
            return MediaFacts(url, problem="not an http(s) URL")
        head = await self._head(target)
        if isinstance(head, MediaFacts):
            return replace(head, url=url)
        try:
            first = await self.fetch("GET", head.url if head else target, (0, HEAD_BYTES))
        except _TooManyRedirectsError as exc:
            return self._failed(url, exc.answer, self._redirects_problem())
        except _NETWORK_ERRORS as exc:
            return self._failed(url, None, self._network_problem(exc))
        if not (200 <= first.status < 300 or first.status == 416):
            return self._failed(url, first, f"HTTP {first.status}")
        return await self._inspect(url, target, head, first)

    async def _head(self, target: str) -> _Answer | MediaFacts | None:
        """The 2xx answer to HEAD; None when HEAD was refused (try GET); facts when the
        URL is unreachable."""
        try:
            answer = await self.fetch("HEAD", target)
        except _TooManyRedirectsError as exc:
            return self._failed(target, exc.answer, self._redirects_problem())
        except _HOST_ERRORS as exc:
            return self._failed(target, None, self._network_problem(exc))
        except _NETWORK_ERRORS:
            return None  # some servers drop or stall HEAD requests; GET may still work
        if 200 <= answer.status < 300:
            return answer
        if answer.status in HEAD_REFUSED:
            return None
        return self._failed(target, answer, f"HTTP {answer.status}")

    async def _inspect(
        self, url: str, target: str, head: _Answer | None, first: _Answer
    ) -> MediaFacts:
        """Facts from the first bytes, then the metadata the kind of file calls for."""
        content_type = _media_type(first.headers) or (_media_type(head.headers) if head else None)
        size = _total_size(first)
        if size is None and head is not None:
            size = _content_length(head.headers)
        sniffed = _sniff(first.body)
        kind, container = sniffed or (_kind_from_content_type(content_type), None)
        facts = MediaFacts(
            url,
            final_url=first.url,
            ok=kind in ("video", "image"),
            # 416 to "bytes=0-65535" means an empty file, not an unreachable one.
            status=(head.status if head else 200) if first.status == 416 else first.status,
            kind=kind,
            content_type=content_type,
            size=0 if first.status == 416 and size is None else size,
            container=container,
        )
        if kind == "html":
            problem = NOT_SHARED_PUBLICLY if _is_drive(target) else "a web page, not a media file"
            return self._done(facts, problem=problem)
        if kind == "other":
            problem = "the file is empty" if facts.size == 0 else "not a video or an image"
            return self._done(facts, problem=problem)
        try:
            return self._done(await self._metadata(facts, first))
        except (VideoFormatError, ImageFormatError) as exc:
            return self._done(facts, problem=f"unreadable {container or kind} metadata: {exc}")
        except _RangeReadError as exc:
            return self._done(facts, problem=str(exc))
        except _TooManyRedirectsError:
            return self._done(facts, problem=f"metadata read: {self._redirects_problem()}")
        except _NETWORK_ERRORS as exc:
            return self._done(facts, problem=f"metadata read: {self._network_problem(exc)}")

    async def _metadata(self, facts: MediaFacts, first: _Answer) -> MediaFacts:
        container = facts.container
        if container in ("mp4", "mov", "m4v", "3gp"):
            meta = await self._mp4_meta(first.url, first.body, facts.size)
        elif container == "avi":
            meta = parse_avi_header(first.body)
        elif container == "png":
            width, height = png_size(first.body)
            return replace(facts, width=width, height=height)
        elif container == "jpeg":
            width, height = await self._jpeg_size(first.url, first.body)
            return replace(facts, width=width, height=height)
        elif facts.kind == "video":
            name = f"a {container.upper()}" if container else "an unrecognised"
            return replace(facts, problem=f"cannot read the duration of {name} video")
        else:
            return facts
        problem = None if meta.duration_sec is not None else "the file does not give a duration"
        return replace(
            facts,
            duration_sec=meta.duration_sec,
            width=meta.width,
            height=meta.height,
            problem=problem,
        )

    async def _mp4_meta(self, url: str, head: bytes, total: int | None) -> VideoMeta:
        """Walk the top-level boxes with ranged reads of their headers to the ``moov`` box
        (at the start, or after ``mdat`` at the end) and parse it. A moov-at-end file takes
        the first read, one read at the offset after mdat, and one more only when moov is
        larger than a read."""
        buffer_start, buffer = 0, head
        at_end_of_file = len(head) < HEAD_BYTES
        offset = 0
        extra_reads = 0
        while True:
            if total is not None and offset >= total:
                raise VideoFormatError("no moov box: the file ends first (truncated?)")
            header = read_box_header(buffer, offset - buffer_start)
            if header is None:
                if at_end_of_file or extra_reads == MAX_EXTRA_READS:
                    raise VideoFormatError(f"no moov box found (looked up to byte {offset})")
                buffer_start, buffer = offset, await self.read_range(url, offset, HEAD_BYTES)
                at_end_of_file = len(buffer) < HEAD_BYTES
                extra_reads += 1
                continue
            size = header.size
            if size is None and total is not None:
                size = total - offset  # size 0: the box runs to the end of the file
            if header.type != "moov":
                if size is None:
                    raise VideoFormatError(
                        f"no moov box before the {header.type!r} box that ends the file"
                    )
                offset += size
                continue
            if size is None or size > MAX_MOOV_BYTES:
                raise VideoFormatError(f"the moov box is too large to read ({size} bytes)")
            end = offset + size
            if total is not None and end > total:
                raise VideoFormatError("the moov box is cut off (the file is truncated)")
            have = buffer_start + len(buffer)
            if end > have and not at_end_of_file:
                buffer += await self.read_range(url, have, end - have)
            if end > buffer_start + len(buffer):
                raise VideoFormatError("the moov box is cut off (the file is truncated)")
            return parse_moov(
                buffer[offset - buffer_start + header.header_size : end - buffer_start]
            )

    async def _jpeg_size(self, url: str, head: bytes) -> tuple[int, int]:
        scan = scan_jpeg(head)
        for _ in range(MAX_EXTRA_READS):
            if scan.next_offset is None:
                break
            more = await self.read_range(url, scan.next_offset, HEAD_BYTES)
            if not more:
                raise ImageFormatError("the JPEG ends before its frame header (truncated?)")
            scan = scan_jpeg(
                more, base=scan.next_offset, start=scan.next_offset, orientation=scan.orientation
            )
        if scan.width is None or scan.height is None:
            raise ImageFormatError("no JPEG frame header in the bytes read")
        return scan.width, scan.height

    async def read_range(self, url: str, start: int, length: int) -> bytes:
        """Bytes ``start`` to ``start + length - 1`` of the file (fewer at its end)."""
        answer = await self.fetch("GET", url, (start, length))
        if answer.status == 416:
            return b""
        if answer.status == 206:
            first_byte = _content_range(answer.headers)[0]
            if first_byte is not None and first_byte != start:
                raise _RangeReadError("the server answered a range request with other bytes")
            return answer.body[:length]
        if answer.status == 200:
            raise _RangeReadError(
                "the server ignores range requests, so the metadata cannot be read "
                "without downloading the whole file"
            )
        raise _RangeReadError(f"a range request for the metadata answered HTTP {answer.status}")

    async def fetch(
        self, method: str, url: str, byte_range: tuple[int, int] | None = None
    ) -> _Answer:
        """One request, following up to ``max_redirects`` redirects; with ``byte_range``
        (start, length) a ranged GET whose body is read up to ``length`` bytes."""
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        limit = 0
        if byte_range is not None:
            start, limit = byte_range
            headers["Range"] = f"bytes={start}-{start + limit - 1}"
        for _ in range(self.options.max_redirects + 1):
            answer = await self._send(method, url, headers, limit)
            location = answer.headers.get("location")
            if answer.status not in REDIRECT_STATUSES or not location:
                return answer
            url = str(httpx.URL(answer.url).join(location))
        raise _TooManyRedirectsError(answer)

    async def _send(self, method: str, url: str, headers: dict[str, str], limit: int) -> _Answer:
        """One HTTP exchange within the timeout, reading at most about ``limit`` body bytes
        of a 2xx answer: the stream is closed there, so a server that ignores ``Range``
        does not make us download the file."""
        self.requests += 1
        # httpx's timeouts are per network operation; a server trickling bytes would slip
        # past them, so the whole exchange has a deadline too.
        async with (
            asyncio.timeout(self.options.timeout),
            self.client.stream(method, url, headers=headers, follow_redirects=False) as response,
        ):
            body = bytearray()
            if limit and 200 <= response.status_code < 300:
                async for chunk in response.aiter_bytes():
                    self.bytes_read += len(chunk)
                    body += chunk
                    if len(body) >= limit:
                        break
            if limit:
                del body[limit:]
            return _Answer(response.status_code, str(response.url), response.headers, bytes(body))

    def _failed(self, url: str, answer: _Answer | None, problem: str) -> MediaFacts:
        return MediaFacts(
            url,
            final_url=answer.url if answer else None,
            status=answer.status if answer else None,
            content_type=_media_type(answer.headers) if answer else None,
            problem=problem,
            requests=self.requests,
            bytes_read=self.bytes_read,
        )

    def _done(self, facts: MediaFacts, **changes: object) -> MediaFacts:
        return replace(facts, requests=self.requests, bytes_read=self.bytes_read, **changes)

    def _redirects_problem(self) -> str:
        return f"more than {self.options.max_redirects} redirects"

    def _network_problem(self, exc: BaseException) -> str:
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            return f"timed out after {self.options.timeout:g} s"
        detail = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, httpx.ConnectError):
            return f"could not connect: {detail}"
        return f"network error: {detail}"


# --- content sniffing -------------------------------------------------------------------


def _sniff(head: bytes) -> tuple[MediaKindFound, str | None] | None:
    """``(kind, container)`` from the file's first bytes, or None when they do not say."""
    by_brand = container_for_brands(head)
    if by_brand is not None:
        kind, container = by_brand
        return ("video" if kind == "video" else "image"), container
    if len(head) >= 8 and head[4:8].decode("latin-1") in LEGACY_MOV_BOXES:
        return "video", "mov"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"AVI ": ("video", "avi"), b"WEBP": ("image", "webp")}.get(
            head[8:12], ("other", head[8:12].decode("latin-1").strip().lower())
        )
    if head.startswith(PNG_SIGNATURE):
        return "image", "png"
    if head.startswith(JPEG_SIGNATURE):
        return "image", "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":
        return "image", "bmp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska or WebM
        return "video", "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"FLV\x01"):
        return "video", "flv"
    if len(head) > 188 and head[0] == head[188] == 0x47:  # MPEG transport stream packets
        return "video", "mpeg-ts"
    if _looks_like_html(head):
        return "html", None
    return None


def _looks_like_html(head: bytes) -> bool:
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html")) or (
        text.startswith(b"<") and b"<html" in text
    )


def _kind_from_content_type(content_type: str | None) -> MediaKindFound:
    if content_type is None:
        return "other"
    if content_type.startswith("video/"):
        return "video"
    if content_type.startswith("image/"):
        return "image"
    if content_type in ("text/html", "application/xhtml+xml"):
        return "html"
    return "other"


# --- headers ----------------------------------------------------------------------------


def _media_type(headers: httpx.Headers) -> str | None:
    """The Content-Type without parameters, lower case."""
    value = headers.get("content-type")
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _content_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.strip().isdigit() else None


def _content_range(headers: httpx.Headers) -> tuple[int | None, int | None]:
    """First byte and total size from ``Content-Range: bytes 0-65535/3145728``."""
    match = _CONTENT_RANGE.search(headers.get("content-range", ""))
    if match is None:
        return None, None
    first = int(match.group(1)) if match.group(1) else None
    total = int(match.group(2)) if match.group(2) != "*" else None
    return first, total


def _total_size(answer: _Answer) -> int | None:
    """The file's size from a ranged GET: the Content-Range total, or the Content-Length
    of a full (200) answer."""
    if answer.status in (206, 416):
        return _content_range(answer.headers)[1]
    return _content_length(answer.headers)
