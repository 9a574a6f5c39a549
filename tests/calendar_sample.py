"""A sample campaign for the calendar page: three weeks of posts on four accounts, with
the things a planner looks for (an error, a time that cannot be read, a post published at
once, two posts on one account twenty minutes apart, a day an account skips) and a caption
that tries to run a script. Its images and videos are served on loopback.

The calendar page's browser tests make it; so does the README's screenshot, the same way::

    python -m tests.calendar_sample docs/calendar.png

which starts a sandbox and a media server on loopback, runs the campaign against the
sandbox (so the page shows what was scheduled), writes its calendar page and saves a
screenshot of it.
"""

from __future__ import annotations

import csv
import struct
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bulk_scheduler.sandbox.server import SandboxServer
from tests.media_server import MediaServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

START = date(2036, 6, 2)  # a Monday
DAYS = 19
ZONE = "Europe/Paris"
TIKTOK = "tiktok:genviral"
INSTAGRAM = "instagram:genviral.ig"
YOUTUBE = "youtube:GenviralShorts"
LOOKS = "tiktok:genviral_looks"
HOLE_DAY = 9  # no TikTok post on this day, between two days that have one
SCRIPT_CAPTION = (
    '<script>document.title = "pwned"; window.pwned = 1;</script>'
    '<img src="x" onerror="window.pwned = 2"> Teaser: <b>not bold</b>'
)
BAD_TIME = "next tuesday-ish"
BAD_MEDIA_TYPE = "podcast"
COLOURS = [(0xE8, 0x6A, 0x5C), (0x4F, 0x9D, 0xDE), (0x6C, 0xC5, 0x8A), (0xF2, 0xC1, 0x4E)]


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + bytes(rgb) * width) * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Sample:
    """The campaign file and what the tests check it against."""

    path: Path
    rows: int
    error_row: int  # the row with an unknown media type
    unreadable_row: int  # the row whose time cannot be read
    immediate_row: int  # the row with no time
    script_row: int  # the row whose caption holds a script
    close_rows: tuple[int, int]  # two TikTok posts 20 minutes apart


def write_media(directory: Path) -> None:
    """The images and the video the sample's rows name."""
    from tests.test_media_probe import mp4

    directory.mkdir(parents=True, exist_ok=True)
    for n, colour in enumerate(COLOURS):
        (directory / f"look-{n}.png").write_bytes(solid_png(96, 96, colour))
    (directory / "clip.mp4").write_bytes(mp4(30))


def write_sample(path: Path, media_base: str) -> Sample:
    """Write the sample campaign (a CSV) to ``path``; its media URLs start ``media_base``."""
    header = ["caption", "media_type", "media_urls", "accounts", "scheduled_at"]
    rows: list[list[str]] = []
    video = f"{media_base}/clip.mp4"

    def images(n: int) -> str:
        return "|".join(f"{media_base}/look-{(n + k) % len(COLOURS)}.png" for k in range(3))

    def add(caption: str, kind: str, urls: str, accounts: str, when: str) -> int:
        rows.append([caption, kind, urls, accounts, when])
        return len(rows) + 1  # the sheet row: the header is row 1

    close_rows: list[int] = []
    for n in range(DAYS):
        day = START + timedelta(days=n)
        stamp = day.isoformat()
        if n != HOLE_DAY:
            row = add(
                f"Daily drop #{n + 1}: today's look", "video", video, TIKTOK, f"{stamp} 09:00"
            )
            if n == 3:
                close_rows.append(row)
        if n == 3:
            close_rows.append(
                add("Quick follow-up: the colour poll", "video", video, TIKTOK, f"{stamp} 09:20")
            )
        if day.weekday() < 5:
            add(
                f"Carousel {n + 1}: three ways to wear it\nSwipe for more",
                "slideshow",
                images(n),
                f"{INSTAGRAM}, {LOOKS}",
                f"{stamp} 12:30",
            )
        if day.weekday() in (0, 2, 4):
            add(
                f"Shorts: behind the scenes, day {n + 1}", "video", video, YOUTUBE, f"{stamp} 18:00"
            )
    error_row = add(
        "Episode one", BAD_MEDIA_TYPE, video, TIKTOK, f"{START + timedelta(days=4)} 16:00"
    )
    script_day = START + timedelta(days=8)
    script_row = add(SCRIPT_CAPTION, "video", video, INSTAGRAM, f"{script_day} 15:00")
    unreadable_row = add("Flash sale", "video", video, TIKTOK, BAD_TIME)
    immediate_row = add("We are live now!", "video", video, INSTAGRAM, "")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return Sample(
        path=path,
        rows=len(rows),
        error_row=error_row,
        unreadable_row=unreadable_row,
        immediate_row=immediate_row,
        script_row=script_row,
        close_rows=(close_rows[0], close_rows[1]),
    )


@contextmanager
def served_sample(directory: Path) -> Iterator[tuple[Sample, MediaServer]]:
    """The sample campaign in ``directory``, its media served on loopback meanwhile."""
    media = directory / "media"
    write_media(media)
    with MediaServer(media) as server:
        yield write_sample(directory / "june.csv", f"http://127.0.0.1:{server.port}"), server


def launch(sample: Sample, sandbox: SandboxServer) -> None:
    """Run the sample's valid rows against ``sandbox``, as a user would (the CLI)."""
    import os

    from click.testing import CliRunner

    from bulk_scheduler.cli.commands import cli

    env = {**os.environ, **sandbox.client_env}
    result = CliRunner().invoke(
        cli,
        ["run", str(sample.path), "--timezone", ZONE, "--yes", "--skip-invalid", "--quiet"],
        env=env,
    )
    assert result.exit_code in (0, 1), result.output


def calendar_command(sample: Sample, out: Path, *extra: str) -> list[str]:
    return ["calendar", str(sample.path), "-o", str(out), "--no-media-check", *extra]


def screenshot(
    driver: WebDriver, page: Path, png: Path, width: int = 1180, height: int = 780
) -> Path:
    """Open ``page`` in ``driver`` and save what a screen of ``width`` x ``height`` shows."""
    driver.set_window_size(width, height)
    driver.get(page.resolve().as_uri())
    driver.execute_script(
        "return Promise.all(Array.from(document.images).map(function (i) {"
        " i.loading = 'eager'; return i.decode().catch(function () {}); }))"
    )
    png.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(png))
    return png


def main(argv: list[str]) -> int:
    """``python -m tests.calendar_sample OUT.png``: the README's screenshot."""
    import os
    import tempfile

    from click.testing import CliRunner

    from bulk_scheduler.cli.commands import cli
    from tests.browser import browser_missing, chromium

    if len(argv) != 1:
        print("usage: python -m tests.calendar_sample OUT.png", file=sys.stderr)
        return 2
    if (missing := browser_missing()) is not None:
        print(missing, file=sys.stderr)
        return 1
    out = Path(argv[0])
    with (
        tempfile.TemporaryDirectory() as folder,
        SandboxServer() as sandbox,
        served_sample(Path(folder)) as (sample, _),
    ):
        launch(sample, sandbox)
        page = Path(folder) / "june.calendar.html"
        env = {**os.environ, **sandbox.client_env}
        result = CliRunner().invoke(cli, calendar_command(sample, page), env=env)
        assert result.exit_code == 0, result.output
        with chromium() as driver:
            screenshot(driver, page, out)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
