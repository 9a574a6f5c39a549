"""Write the sample campaigns in this folder (run: python sample_campaigns/make_samples.py).

They use the sandbox's seeded account ids and dates in 2036, so they stay valid
for years. ``every_mistake.xlsx`` trips each validator rule at least once.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bulk_scheduler.sandbox import seed

HERE = Path(__file__).resolve().parent
CDN = "https://cdn.genviral.com"
HEADERS = ["external_id", "caption", "media_type", "media_urls", "music_url", "accounts"]


def video_campaign() -> None:
    rows = [
        [
            "spring-drop-01",
            "Spring drop is here 🌸 Link in bio!",
            "video",
            f"{CDN}/spring/teaser.mp4",
            "https://www.tiktok.com/@genviral/video/7301234567890123456",
            f"{seed.HOSTED_TIKTOK_ID}, {seed.BYO_TIKTOK_ID}",
            "2036-03-02T09:00:00Z",
        ],
        [
            "spring-drop-02",
            "Behind the scenes of the shoot.\nWhich look is your favourite?",
            "video",
            f"{CDN}/spring/bts.mov",
            "",
            f"{seed.BYO_TIKTOK_ID}; {seed.BYO_INSTAGRAM_ID}",
            "2036-03-03T18:30:00+01:00",
        ],
        [
            "spring-drop-03",
            "3 ways to style the new jacket #ootd",
            "",
            f"{CDN}/spring/styling.mp4",
            "",
            f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}, {seed.BYO_YOUTUBE_ID}",
            "2036-03-05T12:00:00Z",
        ],
        [
            "",
            "Last day of the spring drop ⏳",
            "video",
            f"{CDN}/spring/last-day.m4v",
            "",
            "@genviral, @genviral.ig",
            "2036-03-08T20:00:00Z",
        ],
    ]
    with (HERE / "video_campaign.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([*HEADERS, "scheduled_at"])
        writer.writerows(rows)


def _styled(book: Workbook) -> None:
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column, width in zip("ABCDEFGH", (18, 44, 12, 60, 40, 40, 20, 16), strict=False):
            sheet.column_dimensions[column].width = width
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def slideshow_campaign() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Slideshows"
    sheet.append([*HEADERS, "scheduled_at", "timezone"])
    looks = "\n".join(f"{CDN}/slides/look-{i:02d}.jpg" for i in range(1, 4))
    sheet.append(
        [
            "carousel-01",
            "3 looks for the long weekend ☀️",
            "slideshow",
            looks,
            "https://www.tiktok.com/@genviral/video/9876543210",
            seed.BYO_TIKTOK_LOOKS_ID,
            datetime(2036, 4, 10, 18, 30),
            "Europe/London",
        ]
    )
    sheet.append(
        [
            "carousel-02",
            "Swipe for the full outfit →",
            "",
            " | ".join(f"{CDN}/slides/outfit-{i}.png" for i in range(1, 6)),
            "",
            f"{seed.BYO_TIKTOK_LOOKS_ID}\n{seed.BYO_INSTAGRAM_ID}",
            datetime(2036, 4, 12, 9, 0),
            "Europe/London",
        ]
    )
    sheet.append(
        [
            "carousel-03",
            "Our team picks for April",
            "slideshow",
            "\n".join(f"{CDN}/slides/picks-{i}.jpeg" for i in range(1, 8)),
            "",
            seed.HOSTED_TIKTOK_ID,
            datetime(2036, 4, 15, 17, 45),
            "Europe/London",
        ]
    )
    for row in sheet.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].number_format = "yyyy-mm-dd hh:mm"
    _styled(book)
    book.save(HERE / "slideshow_campaign.xlsx")


def mixed_campaign() -> None:
    """Videos and slideshows across time zones, naive times with a timezone column."""
    rows = [
        [
            "mixed-nyc-1",
            "Good morning New York ☕",
            "video",
            f"{CDN}/mixed/nyc.mp4",
            "",
            seed.BYO_TIKTOK_ID,
            "2036-05-04 08:00",
            "America/New_York",
        ],
        [
            "mixed-par-1",
            "Bonjour Paris 🥐",
            "slideshow",
            f"{CDN}/mixed/paris-1.jpg|{CDN}/mixed/paris-2.jpg",
            "",
            f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}",
            "2036-05-04 09:00",
            "Europe/Paris",
        ],
        [
            "mixed-tyo-1",
            "こんにちは東京 🗼",
            "video",
            f"{CDN}/mixed/tokyo.mp4",
            "https://www.tiktok.com/@genviral/video/7300000000000000001",
            seed.HOSTED_TIKTOK_ID,
            "2036-05-04 19:00",
            "Asia/Tokyo",
        ],
        [
            "mixed-syd-1",
            "G'day Sydney",
            "video",
            f"{CDN}/mixed/sydney.mp4",
            "",
            f"youtube:GenviralShorts, {seed.BYO_TIKTOK_ID}",
            "2036-05-05 07:30",
            "Australia/Sydney",
        ],
    ]
    with (HERE / "mixed_campaign.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADERS, "scheduled_at", "timezone"])
        writer.writerows(rows)


def every_mistake() -> None:
    """One row per validator rule (the ``notes`` column says which), plus an unknown header."""
    ok_video = f"{CDN}/mistakes/ok.mp4"
    when = "2036-09-01T10:00:00Z"
    tiktok = seed.BYO_TIKTOK_ID
    base = {
        "external_id": "",
        "caption": "A fine caption",
        "media_type": "video",
        "media_urls": ok_video,
        "music_url": "",
        "accounts": tiktok,
        "scheduled_at": when,
        "timezone": "",
    }
    slides = "\n".join(f"{CDN}/mistakes/s{i}.jpg" for i in range(36))
    two_slides = f"{CDN}/mistakes/s1.jpg|{CDN}/mistakes/s2.jpg"
    pins = seed.BYO_PINTEREST_ID
    many = ", ".join(f"00000000-0000-4000-8000-{i:012d}" for i in range(11))
    cases: list[tuple[str, dict[str, object]]] = [
        ("caption-missing", {"caption": ""}),
        ("caption-too-long", {"caption": "x" * 501, "accounts": seed.HOSTED_TIKTOK_ID}),
        ("media-type-invalid", {"media_type": "gif"}),
        (
            "media-type-unknown",
            {"media_type": "", "media_urls": "https://drive.google.com/file/d/1AbCdEf/view"},
        ),
        ("media-type-mismatch", {"media_urls": f"{CDN}/mistakes/photo.jpg"}),
        ("media-urls-missing", {"media_urls": ""}),
        ("media-url-invalid", {"media_urls": "ftp://files.example.com/clip.mp4"}),
        ("media-mixed", {"media_type": "", "media_urls": f"{ok_video}|{CDN}/mistakes/a.jpg"}),
        ("video-multiple-urls", {"media_urls": f"{ok_video}\n{CDN}/mistakes/two.mp4"}),
        ("video-format", {"media_urls": f"{CDN}/mistakes/clip.wmv"}),
        (
            "image-format",
            {"media_type": "slideshow", "media_urls": f"{CDN}/a.gif|{CDN}/b.jpg"},
        ),
        ("slideshow-too-many", {"media_type": "slideshow", "media_urls": slides}),
        ("media-missing", {"media_type": "text", "media_urls": ""}),
        ("music-url-invalid", {"music_url": "https://soundcloud.com/genviral/track"}),
        (
            "music-non-tiktok-account",
            {
                "music_url": "https://www.tiktok.com/@genviral/video/7301234567890123456",
                "accounts": f"{tiktok}, {seed.BYO_INSTAGRAM_ID}",
            },
        ),
        ("accounts-missing", {"accounts": ""}),
        ("accounts-too-many", {"accounts": many}),
        ("account-malformed", {"accounts": "not an account!"}),
        ("account-duplicate", {"accounts": f"{tiktok}, {tiktok}"}),
        ("account-unknown", {"accounts": "11111111-2222-4333-8444-555555555555"}),
        ("account-ambiguous", {"accounts": "@genviral_looks"}),
        ("account-unresolved-offline", {"accounts": "@genviral"}),
        ("scheduled-at-invalid", {"scheduled_at": "next tuesday"}),
        ("scheduled-at-no-time", {"scheduled_at": "2036-09-02"}),
        ("scheduled-at-ambiguous", {"scheduled_at": "03/04/2036 10:00", "timezone": "UTC"}),
        (
            "scheduled-at-nonexistent",
            {"scheduled_at": "2036-03-30 02:30", "timezone": "Europe/Paris"},
        ),
        (
            "scheduled-at-ambiguous-dst",
            {"scheduled_at": "2036-10-26 02:30", "timezone": "Europe/Paris"},
        ),
        ("scheduled-at-no-time", {"scheduled_at": datetime(2036, 9, 3, 0, 0)}),
        ("scheduled-at-past", {"scheduled_at": "2020-01-01T10:00:00Z"}),
        ("scheduled-at-blank", {"scheduled_at": ""}),
        ("timezone-missing", {"scheduled_at": "2036-09-04 10:00"}),
        ("timezone-unknown", {"scheduled_at": "2036-09-04 10:00", "timezone": "Mars/Olympus"}),
        ("external-id-too-long", {"external_id": "x" * 129}),
        ("(first of the external-id-duplicate pair)", {"external_id": "dup-1", "caption": "1"}),
        ("external-id-duplicate", {"external_id": "dup-1", "caption": "second"}),
        (
            "(first of the duplicate-row pair)",
            {"caption": "twice", "scheduled_at": "2036-09-05T10:00:00Z"},
        ),
        ("duplicate-row", {"caption": "twice", "scheduled_at": "2036-09-05T10:00:00Z"}),
        ("media-unreachable (online)", {"media_urls": "https://media.example.invalid/a.mp4"}),
        ("example-row", {"example": "yes"}),
        # per-platform settings
        ("setting-switch-invalid", {"tiktok.disable_comment": "maybe"}),
        ("tiktok-privacy-invalid", {"tiktok.privacy_level": "Strangers"}),
        ("tiktok-post-mode-invalid", {"tiktok.post_mode": "Sideways"}),
        ("tiktok-cover-invalid", {"tiktok.video_cover_timestamp_ms": "1.5s"}),
        (
            "setting-too-long",
            {"media_type": "slideshow", "media_urls": two_slides, "tiktok.title": "t" * 91},
        ),
        ("pinterest-link-invalid", {"accounts": pins, "pinterest.link": "shop.example.com/a"}),
        (
            "pinterest-tags-too-many",
            {"accounts": pins, "pinterest.tags": ", ".join(f"tag{n}" for n in range(31))},
        ),
        (
            "tiktok-settings-not-tiktok",
            {"accounts": seed.HOSTED_TIKTOK_ID, "tiktok.privacy_level": "Public"},
        ),
        ("tiktok-pinterest-both", {"tiktok.privacy_level": "Public", "pinterest.board_id": "b1"}),
        ("tiktok-drafts-not-slideshow", {"tiktok.post_mode": "Drafts"}),
        *[
            (
                "(drafts-mode post, one of 6 in a day)" if n < 5 else "tiktok-drafts-too-many",
                {
                    "media_type": "slideshow",
                    "media_urls": two_slides,
                    "accounts": seed.BYO_TIKTOK_LOOKS_ID,
                    "scheduled_at": f"2036-09-10T{9 + n:02d}:00:00Z",
                    "tiktok.post_mode": "Drafts",
                },
            )
            for n in range(6)
        ],
        ("pinterest-no-account", {"pinterest.board_id": "b1"}),
        ("pinterest-board-missing", {"accounts": pins, "pinterest.title": "Spring looks"}),
        # account groups (the groups tab defines spring-launch)
        ("(a group: #spring-launch)", {"accounts": "#spring-launch"}),
        ("account-group-unknown", {"accounts": "#sprnig-launch"}),
    ]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Mistakes"
    columns = list(base)
    # The example marker and the settings come after the notes, so that the notes stay in
    # column I; the settings columns are headed as people write them.
    settings = {
        "tiktok.privacy_level": "TikTok privacy",
        "tiktok.post_mode": "TikTok post mode",
        "tiktok.title": "TikTok title",
        "tiktok.disable_comment": "TikTok disable comments",
        "tiktok.video_cover_timestamp_ms": "tiktok.video_cover_timestamp_ms",
        "pinterest.board_id": "Pin board",
        "pinterest.title": "Pin title",
        "pinterest.link": "Pin link",
        "pinterest.tags": "Pin tags",
    }
    sheet.append([*columns, "notes", "example", *settings.values()])
    for index, (code, change) in enumerate(cases):
        values = {**base, "example": "", **dict.fromkeys(settings, ""), **change}
        if "caption" not in change:
            values["caption"] = f"Row for {code} ({index})"
        marker = values["example"] or None
        sheet.append(
            [values[c] if values[c] != "" else None for c in columns]
            + [code, marker]
            + [values[c] or None for c in settings]
        )
    for row in sheet.iter_rows(min_row=2, min_col=7, max_col=7):
        if isinstance(row[0].value, datetime):
            row[0].number_format = "yyyy-mm-dd hh:mm"
    _styled(book)
    groups = book.create_sheet("groups")
    groups.append(["group", "accounts"])
    groups.append(["spring-launch", f"{seed.BYO_TIKTOK_ID}, {seed.BYO_INSTAGRAM_ID}"])
    book.save(HERE / "every_mistake.xlsx")


if __name__ == "__main__":
    video_campaign()
    slideshow_campaign()
    mixed_campaign()
    every_mistake()
    print("wrote the sample campaigns in", HERE.name)
