"""The media preflight probe, against real files served on loopback.

The media are written byte by byte here (struct), so each test knows exactly what the
file says: a duration, a picture size, where the moov box sits.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_scheduler.api.contract import IMAGE_MAX_BYTES
from bulk_scheduler.issues import Severity
from bulk_scheduler.media.image_meta import (
    JPEG_SIGNATURE,
    PNG_SIGNATURE,
    ImageFormatError,
    png_size,
    scan_jpeg,
)
from bulk_scheduler.media.mp4_meta import VideoFormatError, parse_avi_header, parse_moov
from bulk_scheduler.media.probe import (
    MediaFacts,
    MediaLimits,
    ProbeOptions,
    media_issues,
    probe_urls,
    probe_urls_sync,
)
from tests.media_server import MediaServer

MIB = 1024 * 1024
MDAT_BYTES = 3 * MIB  # large enough that reading the whole file would show in the counts
FAST = ProbeOptions(timeout=5.0)

# --- building media -------------------------------------------------------------------

IDENTITY = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
QUARTER_TURN = (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)


def box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]), payload)


def mvhd(seconds: float, timescale: int = 600, version: int = 0) -> bytes:
    duration = round(seconds * timescale)
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    rest = struct.pack(">iH10x9i24xI", 0x10000, 0x100, *IDENTITY, 3)
    return full_box(b"mvhd", version, times + rest)


def tkhd(track_id: int, width: int, height: int, version: int = 0, matrix=IDENTITY) -> bytes:
    if version == 1:
        times = struct.pack(">QQIIQ", 0, 0, track_id, 0, 0)
    else:
        times = struct.pack(">IIIII", 0, 0, track_id, 0, 0)
    rest = struct.pack(">8xhhhH9iII", 0, 0, 0, 0, *matrix, width << 16, height << 16)
    return full_box(b"tkhd", version, times + rest)


def trak(track_id: int, handler: bytes, width: int, height: int, **tkhd_options) -> bytes:
    hdlr = full_box(b"hdlr", 0, struct.pack(">I4s12x", 0, handler) + b"track\x00")
    return box(b"trak", tkhd(track_id, width, height, **tkhd_options), box(b"mdia", hdlr))


def moov(
    seconds: float,
    width: int,
    height: int,
    *,
    version: int = 0,
    matrix=IDENTITY,
    padding: int = 0,
) -> bytes:
    """A moov box with an audio track first (no picture), then the video track."""
    return box(
        b"moov",
        mvhd(seconds, version=version),
        trak(1, b"soun", 0, 0, version=version),
        trak(2, b"vide", width, height, version=version, matrix=matrix),
        box(b"udta", bytes(padding)),
    )


def mdat(size: int = MDAT_BYTES, *, largesize: bool = False) -> bytes:
    if largesize:
        return struct.pack(">I4sQ", 1, b"mdat", 16 + size) + bytes(size)
    return box(b"mdat", bytes(size))


def ftyp(brand: bytes = b"isom") -> bytes:
    return box(b"ftyp", brand, struct.pack(">I", 0x200), brand, b"mp41")


def mp4(
    seconds: float,
    width: int = 1080,
    height: int = 1920,
    *,
    moov_at_end: bool = False,
    brand: bytes = b"isom",
    largesize: bool = False,
    **moov_options,
) -> bytes:
    movie = moov(seconds, width, height, **moov_options)
    media = mdat(largesize=largesize)
    body = media + movie if moov_at_end else movie + media
    return ftyp(brand) + body


def avi(seconds: float, width: int, height: int, fps: int = 25) -> bytes:
    frames = round(seconds * fps)
    avih = struct.pack(
        "<14I", 1_000_000 // fps, 0, 0, 0x10, frames, 0, 1, 0, width, height, 0, 0, 0, 0
    )
    hdrl = b"LIST" + struct.pack("<I", 4 + 8 + len(avih)) + b"hdrl"
    hdrl += b"avih" + struct.pack("<I", len(avih)) + avih
    frames_data = bytes(64 * 1024)
    movi = b"LIST" + struct.pack("<I", 4 + len(frames_data)) + b"movi" + frames_data
    return b"RIFF" + struct.pack("<I", 4 + len(hdrl) + len(movi)) + b"AVI " + hdrl + movi


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, *, padding: int = 0) -> bytes:
    """A valid PNG of black pixels; ``padding`` bytes of text in an ancillary chunk."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    pixels = png_chunk(b"IDAT", zlib.compress(bytes(width + 1) * height))
    text = png_chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return b"\x89PNG\r\n\x1a\n" + header + text + pixels + png_chunk(b"IEND", b"")


def jpeg(
    width: int,
    height: int,
    *,
    metadata_bytes: int = 0,
    orientation: int | None = None,
    progressive: bool = False,
) -> bytes:
    """A JPEG's segment structure: optional EXIF orientation, ``metadata_bytes`` of APP2
    segments before the frame header, then SOF0 (or SOF2), a scan and EOI."""
    out = b"\xff\xd8"
    if orientation is not None:
        tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
        tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
        exif = b"Exif\x00\x00" + tiff
        out += b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    remaining = metadata_bytes
    while remaining > 0:
        chunk = min(60_000, remaining)
        out += b"\xff\xe2" + struct.pack(">H", chunk + 2) + bytes(chunk)
        remaining -= chunk
    components = b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    sof = b"\xff\xc2" if progressive else b"\xff\xc0"
    out += sof + struct.pack(">HBHHB", 17, 8, height, width, 3) + components
    out += b"\xff\xda" + struct.pack(">H", 12) + bytes(10) + bytes(2000) + b"\xff\xd9"
    return out


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"


def _media() -> dict[str, bytes]:
    full_at_end = mp4(30, moov_at_end=True)
    only_mdat = ftyp() + mdat()
    return {
        "portrait-30s.mp4": mp4(30),
        "portrait-30s-moov-at-end.mp4": full_at_end,
        "big-moov-at-end.mp4": mp4(30, moov_at_end=True, padding=200_000),
        "short-10s.mp4": mp4(10),
        "long-75s.mp4": mp4(75, moov_at_end=True),
        "landscape.mp4": mp4(30, 1920, 1080),
        "rotated-portrait.mov": mp4(30, 1920, 1080, brand=b"qt  ", matrix=QUARTER_TURN),
        "clip.mov": mp4(20, brand=b"qt  ", moov_at_end=True),
        "largesize-v1.mp4": mp4(45, moov_at_end=True, largesize=True, version=1),
        "moov-cut-off.mp4": full_at_end[:-200],
        "no-moov.mp4": only_mdat,
        "clip.avi": avi(30, 1080, 1920),
        "portrait.png": png(1080, 1920),
        "square.png": png(1080, 1080),
        "huge.png": png(1080, 1920, padding=6 * MIB),
        "portrait.jpg": jpeg(1080, 1920),
        "deep-frame-header.jpg": jpeg(1080, 1920, metadata_bytes=150_000, progressive=True),
        "turned.jpg": jpeg(1920, 1080, orientation=6),
        "animated.jpg": b"GIF89a" + struct.pack("<HH", 1080, 1920) + bytes(200),
        "page.html": HTML_PAGE,
    }


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("media")
    for name, data in _media().items():
        (directory / name).write_bytes(data)
    return directory


@pytest.fixture
def server(media_dir: Path) -> Iterator[MediaServer]:
    with MediaServer(media_dir) as running:
        yield running


def probe(server: MediaServer, path: str, options: ProbeOptions = FAST) -> MediaFacts:
    url = server.url(path)
    return probe_urls_sync([url], options)[url]


def codes(facts: MediaFacts, expected: str, limits: MediaLimits | None = None) -> list[str]:
    found = media_issues(facts, expected, limits) if limits else media_issues(facts, expected)
    return [code for _severity, code, _message in found]


def range_hits(server: MediaServer, path: str) -> list:
    return [hit for hit in server.hits_for(path) if hit.range is not None]


# --- videos ---------------------------------------------------------------------------


def test_a_30_second_portrait_mp4_has_no_issues(server: MediaServer) -> None:
    facts = probe(server, "/portrait-30s.mp4")
    assert (facts.ok, facts.kind, facts.container) == (True, "video", "mp4")
    assert (facts.duration_sec, facts.width, facts.height) == (30.0, 1080, 1920)
    assert facts.size == len(mp4(30))
    assert media_issues(facts, "video") == []


def test_moov_at_the_end_is_read_in_at_most_three_range_requests_under_1_mb(
    server: MediaServer,
) -> None:
    facts = probe(server, "/portrait-30s-moov-at-end.mp4")
    assert facts.duration_sec == 30.0
    assert len(range_hits(server, "/portrait-30s-moov-at-end.mp4")) <= 3
    assert sum(hit.bytes_sent for hit in server.hits_for("/portrait-30s-moov-at-end.mp4")) < MIB
    assert facts.size is not None and facts.size > MDAT_BYTES


def test_a_moov_larger_than_one_read_takes_one_more_range_request(server: MediaServer) -> None:
    facts = probe(server, "/big-moov-at-end.mp4")
    assert facts.duration_sec == 30.0
    assert len(range_hits(server, "/big-moov-at-end.mp4")) == 3
    assert sum(hit.bytes_sent for hit in server.hits_for("/big-moov-at-end.mp4")) < MIB


def test_the_probe_counts_its_own_requests_and_bytes(server: MediaServer) -> None:
    facts = probe(server, "/portrait-30s-moov-at-end.mp4")
    hits = server.hits_for("/portrait-30s-moov-at-end.mp4")
    assert facts.requests == len(hits)
    assert facts.bytes_read == sum(hit.bytes_sent for hit in hits)


def test_a_75_second_video_is_a_duration_error(server: MediaServer) -> None:
    facts = probe(server, "/long-75s.mp4")
    assert media_issues(facts, "video") == [
        (Severity.ERROR, "video-duration", "video is 75.0 s; the limit is 15–60 s")
    ]


def test_a_10_second_video_is_a_duration_error(server: MediaServer) -> None:
    facts = probe(server, "/short-10s.mp4")
    assert codes(facts, "video") == ["video-duration"]


def test_a_landscape_video_warns_about_the_aspect_ratio(server: MediaServer) -> None:
    facts = probe(server, "/landscape.mp4")
    [(severity, code, message)] = media_issues(facts, "video")
    assert (severity, code) == (Severity.WARNING, "aspect-ratio")
    assert "1920×1080" in message


def test_a_quicktime_brand_is_a_mov(server: MediaServer) -> None:
    facts = probe(server, "/clip.mov")
    assert (facts.container, facts.duration_sec) == ("mov", 20.0)
    assert media_issues(facts, "video") == []


def test_a_video_stored_landscape_with_a_quarter_turn_is_portrait(server: MediaServer) -> None:
    facts = probe(server, "/rotated-portrait.mov")
    assert (facts.width, facts.height) == (1080, 1920)
    assert codes(facts, "video") == []


def test_64_bit_box_sizes_and_version_1_headers_are_read(server: MediaServer) -> None:
    facts = probe(server, "/largesize-v1.mp4")
    assert (facts.duration_sec, facts.width, facts.height) == (45.0, 1080, 1920)


@pytest.mark.parametrize("path", ["/moov-cut-off.mp4", "/no-moov.mp4"])
def test_a_truncated_mp4_has_an_unknown_duration_and_says_why(
    server: MediaServer, path: str
) -> None:
    facts = probe(server, path)
    assert facts.ok and facts.duration_sec is None
    assert facts.problem is not None and "moov" in facts.problem
    [(severity, code, message)] = media_issues(facts, "video")
    assert (severity, code) == (Severity.WARNING, "video-duration-unknown")
    assert "VIDEO_DURATION_MISSING" in message
    assert sum(hit.bytes_sent for hit in server.hits_for(path)) < MIB


def test_an_avi_header_gives_duration_and_size(server: MediaServer) -> None:
    facts = probe(server, "/clip.avi")
    assert (facts.container, facts.duration_sec) == ("avi", 30.0)
    assert (facts.width, facts.height) == (1080, 1920)
    assert media_issues(facts, "video") == []


def test_a_video_over_the_size_limit_is_too_large(server: MediaServer) -> None:
    facts = probe(server, "/portrait-30s.mp4")
    one_megabyte = MediaLimits(video_max_bytes=MIB)
    [(severity, code, message)] = media_issues(facts, "video", one_megabyte)
    assert (severity, code) == (Severity.ERROR, "video-too-large")
    assert message == "video is 3.0 MB; the limit is 1 MB"


def test_the_default_video_limit_is_100_mb() -> None:
    facts = MediaFacts(
        "https://cdn.example.com/a.mp4",
        ok=True,
        status=200,
        kind="video",
        container="mp4",
        size=150 * MIB,
        duration_sec=30.0,
    )
    assert codes(facts, "video") == ["video-too-large"]


def test_a_duration_just_over_the_limit_is_shown_with_the_digits_that_matter() -> None:
    facts = MediaFacts(
        "https://cdn.example.com/a.mp4",
        ok=True,
        status=200,
        kind="video",
        container="mp4",
        duration_sec=60.04,
    )
    [(_severity, _code, message)] = media_issues(facts, "video")
    assert message == "video is 60.04 s; the limit is 15–60 s"


def test_a_webm_video_is_a_format_error() -> None:
    facts = MediaFacts(
        "https://cdn.example.com/a.webm", ok=True, status=200, kind="video", container="webm"
    )
    assert codes(facts, "video")[0] == "video-format"


# --- images ---------------------------------------------------------------------------


def test_a_portrait_png_has_no_issues(server: MediaServer) -> None:
    facts = probe(server, "/portrait.png")
    assert (facts.kind, facts.container, facts.width, facts.height) == ("image", "png", 1080, 1920)
    assert media_issues(facts, "image") == []


def test_a_square_png_warns_about_the_aspect_ratio(server: MediaServer) -> None:
    facts = probe(server, "/square.png")
    assert codes(facts, "image") == ["aspect-ratio"]


def test_a_6_mb_png_is_too_large_and_is_not_downloaded(server: MediaServer) -> None:
    facts = probe(server, "/huge.png")
    assert facts.size is not None and facts.size > IMAGE_MAX_BYTES
    assert codes(facts, "image") == ["image-too-large"]
    assert sum(hit.bytes_sent for hit in server.hits_for("/huge.png")) < MIB


def test_a_portrait_jpeg_has_no_issues(server: MediaServer) -> None:
    facts = probe(server, "/portrait.jpg")
    assert (facts.container, facts.width, facts.height) == ("jpeg", 1080, 1920)
    assert media_issues(facts, "image") == []


def test_a_jpeg_frame_header_beyond_the_first_read_takes_one_more_read(
    server: MediaServer,
) -> None:
    facts = probe(server, "/deep-frame-header.jpg")
    assert (facts.width, facts.height) == (1080, 1920)
    assert len(range_hits(server, "/deep-frame-header.jpg")) == 2


def test_a_jpeg_turned_by_exif_reports_the_displayed_size(server: MediaServer) -> None:
    facts = probe(server, "/turned.jpg")
    assert (facts.width, facts.height) == (1080, 1920)


def test_a_gif_named_jpg_is_an_image_format_error(server: MediaServer) -> None:
    facts = probe(server, "/animated.jpg")
    assert (facts.kind, facts.container) == ("image", "gif")
    [(severity, code, message)] = media_issues(facts, "image")
    assert (severity, code) == (Severity.ERROR, "image-format")
    assert "GIF" in message


# --- wrong kinds and unreachable URLs ------------------------------------------------------


def test_an_html_page_is_not_a_video(server: MediaServer) -> None:
    facts = probe(server, "/page.html")
    assert (facts.ok, facts.kind) == (False, "html")
    assert codes(facts, "video") == ["media-not-video"]


def test_an_html_page_served_as_a_jpg_is_not_an_image(server: MediaServer) -> None:
    url = server.route("/photo.jpg", body=HTML_PAGE, content_type="image/jpeg")
    facts = probe_urls_sync([url], FAST)[url]
    assert facts.kind == "html"
    assert codes(facts, "image") == ["media-not-image"]


def test_a_video_where_an_image_is_expected_is_not_an_image(server: MediaServer) -> None:
    facts = probe(server, "/portrait-30s.mp4")
    [(_severity, code, message)] = media_issues(facts, "image")
    assert code == "media-not-image"
    assert "MP4 video" in message


def test_a_404_is_unreachable_with_its_status(server: MediaServer) -> None:
    facts = probe(server, "/missing.mp4")
    assert (facts.ok, facts.status) == (False, 404)
    [(severity, code, message)] = media_issues(facts, "video")
    assert (severity, code) == (Severity.ERROR, "media-unreachable")
    assert "404" in message


def test_a_slow_server_times_out_instead_of_hanging(server: MediaServer) -> None:
    url = server.route("/slow.mp4", file="portrait-30s.mp4", delay=30.0)
    facts = probe_urls_sync([url], ProbeOptions(timeout=0.5))[url]
    assert facts.problem == "timed out after 0.5 s"
    assert codes(facts, "video") == ["media-unreachable"]


def test_a_closed_port_is_unreachable_without_raising() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/clip.mp4"
    facts = probe_urls_sync([url], FAST)[url]
    assert facts.status is None
    assert facts.problem is not None and facts.problem.startswith("could not connect")
    assert codes(facts, "video") == ["media-unreachable"]


def test_a_redirect_chain_is_followed_to_the_file(server: MediaServer) -> None:
    server.route("/r2", redirect_to="/portrait-30s.mp4")
    url = server.route("/r1", redirect_to="/r2")
    facts = probe_urls_sync([url], FAST)[url]
    assert facts.final_url == server.url("/portrait-30s.mp4")
    assert (facts.ok, facts.duration_sec) == (True, 30.0)


def test_more_redirects_than_allowed_is_unreachable(server: MediaServer) -> None:
    server.route("/r2", redirect_to="/portrait-30s.mp4")
    url = server.route("/r1", redirect_to="/r2")
    facts = probe_urls_sync([url], ProbeOptions(timeout=5.0, max_redirects=1))[url]
    assert facts.problem == "more than 1 redirects"
    assert codes(facts, "video") == ["media-unreachable"]
    assert server.hits_for("/portrait-30s.mp4") == []


def test_a_refused_head_falls_back_to_a_ranged_get(server: MediaServer) -> None:
    url = server.route("/no-head.mp4", file="portrait-30s.mp4", refuse_head=True)
    facts = probe_urls_sync([url], FAST)[url]
    assert (facts.ok, facts.duration_sec) == (True, 30.0)
    hits = server.hits_for("/no-head.mp4")
    assert (hits[0].method, hits[0].status) == ("HEAD", 405)
    assert (hits[1].method, hits[1].range) == ("GET", "bytes=0-65535")


def test_a_server_ignoring_range_is_not_downloaded_whole(server: MediaServer) -> None:
    url = server.route("/no-ranges.mp4", file="portrait-30s-moov-at-end.mp4", ignore_range=True)
    facts = probe_urls_sync([url], FAST)[url]
    assert facts.ok and facts.duration_sec is None
    assert facts.problem is not None and "range" in facts.problem
    assert facts.bytes_read < MIB


def test_a_drive_share_link_is_probed_as_its_download_url(server: MediaServer) -> None:
    server.route("/uc", body=HTML_PAGE, content_type="text/html; charset=utf-8")
    share = "https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing"

    async def run() -> MediaFacts:
        transport = _LoopbackTransport(server.port)
        async with httpx.AsyncClient(transport=transport) as client:
            return (await probe_urls([share], FAST, client=client))[share]

    facts = asyncio.run(run())
    assert server.request_counts()["/uc?export=download&id=1AbC_d-9"] >= 1
    assert (facts.kind, facts.problem) == ("html", "not shared publicly")
    [(severity, code, message)] = media_issues(facts, "video")
    assert (severity, code) == (Severity.ERROR, "media-not-shared")
    assert "not shared publicly" in message


class _LoopbackTransport(httpx.AsyncBaseTransport):
    """Sends every request to the media server, whatever host it names (Google Drive)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


# --- many URLs ------------------------------------------------------------------------


def test_a_thousand_urls_with_ten_distinct_make_ten_probes(server: MediaServer) -> None:
    distinct = [server.route(f"/shared-{i}.png", file="portrait.png") for i in range(10)]
    one_probe = probe(server, "/portrait.png").requests
    progress: list[tuple[int, int]] = []
    options = ProbeOptions(timeout=5.0, progress=lambda done, total: progress.append((done, total)))
    facts = probe_urls_sync([distinct[i % 10] for i in range(1000)], options)
    assert list(facts) == distinct
    counts = server.request_counts()
    assert {target for target in counts if target.startswith("/shared-")} == {
        f"/shared-{i}.png" for i in range(10)
    }
    assert all(counts[f"/shared-{i}.png"] == one_probe for i in range(10))
    assert progress[-1] == (10, 10)


def test_no_more_probes_run_at_once_than_the_concurrency(server: MediaServer) -> None:
    urls = [server.route(f"/c{i}.png", file="portrait.png", delay=0.05) for i in range(8)]
    probe_urls_sync(urls, ProbeOptions(timeout=5.0, concurrency=2))
    assert server.max_in_flight <= 2


def test_a_url_that_is_not_http_is_unreachable_without_a_request() -> None:
    facts = probe_urls_sync(["ftp://example.com/a.mp4"])["ftp://example.com/a.mp4"]
    assert (facts.requests, facts.problem) == (0, "not an http(s) URL")
    assert codes(facts, "video") == ["media-unreachable"]


# --- damaged headers --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_damaged_moov_box_is_a_format_error_never_a_crash(data: st.DataObject) -> None:
    payload = bytearray(moov(30, 1080, 1920)[8:])
    for index, value in data.draw(
        st.lists(st.tuples(st.integers(0, len(payload) - 1), st.integers(0, 255)), max_size=4)
    ):
        payload[index] = value
    cut = data.draw(st.integers(0, len(payload)))
    try:
        meta = parse_moov(bytes(payload[:cut]))
    except VideoFormatError:
        return
    assert meta.duration_sec is None or meta.duration_sec > 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_header_bytes_are_a_format_error_never_a_crash(tail: bytes) -> None:
    attempts = [
        (lambda: png_size(PNG_SIGNATURE + tail), ImageFormatError),
        (lambda: scan_jpeg(JPEG_SIGNATURE[:2] + tail), ImageFormatError),
        (lambda: parse_avi_header(b"RIFF\x00\x00\x00\x00AVI " + tail), VideoFormatError),
    ]
    for attempt, format_error in attempts:
        with contextlib.suppress(format_error):
            attempt()
