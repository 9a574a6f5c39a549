"""The sandbox decides "schema failure or not" exactly as the vendor's zod schema does.

The vendor's ``partnerPostCreateBodySchema`` (npm ``@genviral/partner-api-contracts``,
run through ``tests/official_schema.py``) is the reference. The sandbox re-implements it
in Python (``bulk_scheduler.sandbox.schema.schema_issues``) and answers ``422`` when it
fails. Three checks:

* a hand-written table of bodies on each edge of the schema, through ``schema_issues``;
* the same table over HTTP against a running sandbox (``422`` iff the official schema
  rejects; schema-valid bodies may still get other 4xx answers, which is fine here);
* hypothesis mutations of valid bodies, compared in batches with one Node process.

Each table row also records what the official schema answers, so a change in the
vendor's package (a lockfile bump) shows up as a failing row, not as silent drift.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_scheduler.api.contract import utf16_length
from bulk_scheduler.sandbox.schema import schema_issues
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_TIKTOK_ID,
    BYO_TIKTOK_LOOKS_ID,
    HOSTED_TIKTOK_ID,
)
from bulk_scheduler.sandbox.server import SandboxServer
from tests.official_schema import OfficialSchema, Verdict, describe_failure

# Media hosts under the reserved ``.invalid`` domain are unreachable by the sandbox's
# design, so schema-valid bodies are answered at once instead of waiting on a fetch.
VIDEO_URL = "https://media.genviral.invalid/holidays.mp4"
IMAGE_URL = "https://media.genviral.invalid/slides/look-01.jpg"
MUSIC_URL = "https://www.tiktok.com/@genviral/video/1234567890"
ACCOUNT_ID = BYO_TIKTOK_ID
CAPTION_MAX = 63_206
EMOJI = "😀"  # outside the BMP: 2 UTF-16 code units, 1 Python character
ABSENT = object()


@dataclass(frozen=True)
class Case:
    """One body on an edge of the schema, and what the official schema answers."""

    name: str
    body: Any
    official_ok: bool


def body_with(**fields: Any) -> dict[str, Any]:
    """A valid video post for a seeded account, with ``fields`` replaced (``ABSENT`` drops)."""
    body: dict[str, Any] = {
        "caption": "Holiday drops start Monday!",
        "media": {"type": "video", "url": VIDEO_URL},
        "accounts": [{"id": ACCOUNT_ID}],
    }
    for key, value in fields.items():
        if value is ABSENT:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def video(**fields: Any) -> dict[str, Any]:
    return {"type": "video", "url": VIDEO_URL, **fields}


def slideshow(count: int) -> dict[str, Any]:
    return {"type": "slideshow", "urls": [IMAGE_URL] * count}


def account_ids(*ids: str) -> list[dict[str, str]]:
    return [{"id": account_id} for account_id in ids]


def ok(name: str, body: Any) -> Case:
    return Case(name, body, official_ok=True)


def bad(name: str, body: Any) -> Case:
    return Case(name, body, official_ok=False)


TOP_LEVEL = [
    ok("minimal-video-post", body_with()),
    ok("seed-example-body", body_with(music_url=MUSIC_URL, external_id="partner-run-884")),
    ok("text-only-media-absent", body_with(media=ABSENT)),
    bad("unknown-top-level-key", body_with(foo="bar")),
    bad("camel-case-top-level-key", body_with(externalId="x")),
    bad("proto-key-at-top-level", body_with(__proto__={})),
    bad("body-is-an-array", [body_with()]),
    bad("body-is-null", None),
    bad("body-is-a-string", "caption"),
    bad("empty-object", {}),
]

CAPTIONS = [
    bad("caption-missing", body_with(caption=ABSENT)),
    bad("caption-empty", body_with(caption="")),
    ok("caption-single-space", body_with(caption=" ")),
    ok("caption-at-max-utf16-units", body_with(caption="a" * CAPTION_MAX)),
    bad("caption-over-max-utf16-units", body_with(caption="a" * (CAPTION_MAX + 1))),
    ok("caption-emoji-at-max-units", body_with(caption=EMOJI * (CAPTION_MAX // 2))),
    # 31,604 Python characters but 63,207 UTF-16 units: too long for JavaScript.
    bad("caption-emoji-over-max-units", body_with(caption=EMOJI * (CAPTION_MAX // 2) + "a")),
    ok("caption-lone-surrogate", body_with(caption="\ud83d")),
    bad("caption-number", body_with(caption=42)),
    bad("caption-boolean", body_with(caption=True)),
    bad("caption-null", body_with(caption=None)),
    bad("caption-list", body_with(caption=["hi"])),
]

ACCOUNTS = [
    bad("accounts-missing", body_with(accounts=ABSENT)),
    bad("accounts-empty", body_with(accounts=[])),
    ok("accounts-one", body_with(accounts=account_ids(HOSTED_TIKTOK_ID))),
    ok("accounts-ten", body_with(accounts=account_ids(*[ACCOUNT_ID] * 10))),
    bad("accounts-eleven", body_with(accounts=account_ids(*[ACCOUNT_ID] * 11))),
    bad("accounts-object-not-list", body_with(accounts={"id": ACCOUNT_ID})),
    bad("accounts-null", body_with(accounts=None)),
    bad("account-bare-string", body_with(accounts=[ACCOUNT_ID])),
    ok("account-id-uppercase", body_with(accounts=account_ids(BYO_INSTAGRAM_ID.upper()))),
    ok(
        "account-id-nil-uuid",
        body_with(accounts=account_ids("0" * 8 + "-0000" * 3 + "-" + "0" * 12)),
    ),
    ok(
        "account-id-any-version",
        body_with(accounts=account_ids("0f4f54d4-8cce-0fb7-0c7b-befbcb8af812")),
    ),
    bad("account-id-without-dashes", body_with(accounts=account_ids(ACCOUNT_ID.replace("-", "")))),
    bad("account-id-in-braces", body_with(accounts=account_ids("{" + ACCOUNT_ID + "}"))),
    bad("account-id-urn-prefix", body_with(accounts=account_ids("urn:uuid:" + ACCOUNT_ID))),
    bad("account-id-non-hex", body_with(accounts=account_ids("g" + ACCOUNT_ID[1:]))),
    bad("account-id-short-group", body_with(accounts=account_ids(ACCOUNT_ID[1:]))),
    bad("account-id-trailing-newline", body_with(accounts=account_ids(ACCOUNT_ID + "\n"))),
    bad("account-id-surrounding-space", body_with(accounts=account_ids(f" {ACCOUNT_ID} "))),
    bad("account-id-arabic-digit", body_with(accounts=account_ids("٣" + ACCOUNT_ID[1:]))),
    bad("account-id-number", body_with(accounts=[{"id": 7}])),
    bad("account-id-missing", body_with(accounts=[{}])),
    # Account objects are not strict in the official schema: extra keys are dropped.
    ok("account-extra-key", body_with(accounts=[{"id": ACCOUNT_ID, "username": "genviral"}])),
    ok("account-proto-key", body_with(accounts=[{"id": ACCOUNT_ID, "__proto__": 1}])),
]

MEDIA = [
    ok("media-null", body_with(media=None)),
    bad("media-type-missing", body_with(media={"url": VIDEO_URL})),
    bad("media-type-unknown", body_with(media={"type": "image", "url": VIDEO_URL})),
    bad("media-type-uppercase", body_with(media={"type": "VIDEO", "url": VIDEO_URL})),
    bad("media-is-a-string", body_with(media=VIDEO_URL)),
    bad("media-is-a-list", body_with(media=[video()])),
    bad("unknown-media-key", body_with(media=video(thumbnail=IMAGE_URL))),
    bad("video-with-urls-key", body_with(media=video(urls=[IMAGE_URL]))),
    bad("video-url-missing", body_with(media={"type": "video"})),
    bad("video-url-null", body_with(media=video(url=None))),
    ok(
        "video-every-metadata-alias",
        body_with(
            media=video(
                duration_sec=30,
                duration_seconds=30,
                duration=30,
                durationSec=30,
                video_duration_sec=30,
                bytes=10,
                size=10,
                width=1080,
                height=1920,
                mime_type="video/mp4",
                mime="video/mp4",
            )
        ),
    ),
    ok("video-metadata-object", body_with(media=video(metadata={"duration_sec": 20, "size": 1}))),
    bad("video-metadata-unknown-key", body_with(media=video(metadata={"fps": 30}))),
    bad("video-metadata-null", body_with(media=video(metadata=None))),
    bad("video-duration-zero", body_with(media=video(duration_sec=0))),
    bad("video-duration-negative", body_with(media=video(duration_sec=-1))),
    ok("video-duration-fractional", body_with(media=video(duration_sec=15.5))),
    ok("video-duration-tiny", body_with(media=video(duration_sec=5e-324))),
    bad("video-duration-string", body_with(media=video(duration_sec="30"))),
    bad("video-duration-boolean", body_with(media=video(duration_sec=True))),
    bad("video-duration-null", body_with(media=video(duration_sec=None))),
    bad("video-size-fractional", body_with(media=video(size=1.5))),
    ok("video-size-integral-float", body_with(media=video(size=1.0))),
    ok("video-size-zero", body_with(media=video(size=0))),
    ok("video-size-beyond-2-pow-53", body_with(media=video(size=2**60 + 1))),
    # 401 digits parse to Infinity in JavaScript, which is not an integer.
    bad("video-size-beyond-double-range", body_with(media=video(size=10**400))),
    bad("video-size-boolean", body_with(media=video(size=True))),
    bad("video-width-negative", body_with(media=video(width=-1))),
    ok("video-width-zero", body_with(media=video(width=0))),
    bad("video-height-string", body_with(media=video(height="1920"))),
    bad("video-mime-empty", body_with(media=video(mime_type=""))),
    bad("video-mime-only-spaces", body_with(media=video(mime_type="   "))),
    # JavaScript's trim() strips U+FEFF but not U+001C; Python's strip() does the opposite.
    bad("video-mime-only-bom", body_with(media=video(mime_type="\ufeff"))),
    ok("video-mime-info-separator", body_with(media=video(mime_type="\x1c"))),
    ok("video-mime-next-line", body_with(media=video(mime_type="\x85"))),
    ok("video-mime-128-chars", body_with(media=video(mime_type="m" * 128))),
    ok("video-mime-128-chars-padded", body_with(media=video(mime_type=f" {'m' * 128} "))),
    bad("video-mime-129-chars", body_with(media=video(mime_type="m" * 129))),
    bad("slideshow-no-urls", body_with(media=slideshow(0))),
    ok("slideshow-one-url", body_with(media=slideshow(1))),
    ok("slideshow-35-urls", body_with(media=slideshow(35))),
    bad("slideshow-36-urls", body_with(media=slideshow(36))),
    bad("slideshow-urls-missing", body_with(media={"type": "slideshow"})),
    bad("slideshow-with-url-key", body_with(media={**slideshow(1), "url": IMAGE_URL})),
    bad(
        "slideshow-url-not-string",
        body_with(media={"type": "slideshow", "urls": [{"url": IMAGE_URL}]}),
    ),
    bad("slideshow-urls-string", body_with(media={"type": "slideshow", "urls": IMAGE_URL})),
    bad("slideshow-with-duration", body_with(media={**slideshow(1), "duration_sec": 20})),
]

# The official ``.url()`` is ``new URL(value)`` (the WHATWG URL parser), nothing more.
URLS = [
    ("no-scheme", "cdn.genviral.com/a.mp4", False),
    ("mailto", "mailto:team@genviral.io", True),
    ("javascript-scheme", "javascript:alert(1)", True),
    ("http-localhost", "http://localhost", True),
    ("space-in-host", "https://exa mple.com/a.mp4", False),
    ("percent-space-in-host", "https://exa%20mple.com/a.mp4", False),
    ("relative-path", "/media/a.mp4", False),
    ("protocol-relative", "//cdn.genviral.com/a.mp4", False),
    ("empty", "", False),
    ("scheme-only", "https://", False),
    ("surrounding-spaces", " https://cdn.genviral.com/a.mp4 ", True),
    ("tab-inside-host", "https://cdn.gen\tviral.com/a.mp4", True),
    ("newline-inside", "https://cdn.genviral.com/a\n.mp4", True),
    ("one-slash", "http:/cdn.genviral.com/a.mp4", True),
    ("no-slashes", "https:cdn.genviral.com/a.mp4", True),
    ("uppercase", "HTTPS://CDN.GENVIRAL.COM/A.MP4", True),
    ("space-in-path", "https://cdn.genviral.com/a b.mp4", True),
    ("bad-percent-in-path", "https://cdn.genviral.com/%zz.mp4", True),
    ("port-out-of-range", "https://cdn.genviral.com:99999/a.mp4", False),
    ("ipv4-octet-out-of-range", "https://256.1.1.1/a.mp4", False),
    ("ipv6-loopback", "http://[::1]:8000/a.mp4", True),
    ("ipv6-unclosed", "http://[::1/a.mp4", False),
    ("unicode-host", "https://例え.jp/a.mp4", True),
    ("userinfo", "https://user:pass@cdn.genviral.com/a.mp4", True),
    ("scheme-starts-with-digit", "1http://cdn.genviral.com/a.mp4", False),
    # The sandbox reads URLs like these without the full parser; the rest of its long way.
    ("plain-with-port-and-query", "https://cdn-1.genviral.com:8080/a/b.mp4?x=1#y", True),
    ("plain-hyphen-labels", "https://-a-.b-/a.mp4", True),
    ("plain-last-label-a-number", "https://cdn.genviral.1/a.mp4", False),
    ("plain-empty-port", "https://cdn.genviral.com:/a.mp4", True),
    ("plain-empty-label", "https://cdn..genviral.com/a.mp4", True),
    ("punycode-valid", "https://xn--bcher-kva.example/a.mp4", True),
    ("punycode-invalid", "https://cdn.xn--a.example/a.mp4", False),
    ("punycode-upper-case", "https://XN--A.example/a.mp4", False),
]
URL_CASES = [
    Case(f"media-url-{name}", body_with(media=video(url=url)), official_ok)
    for name, url, official_ok in URLS
] + [
    bad("slideshow-one-bad-url", body_with(media={"type": "slideshow", "urls": [IMAGE_URL, "x"]})),
    ok("slideshow-mailto-url", body_with(media={"type": "slideshow", "urls": ["mailto:a@b.c"]})),
]

SCHEDULED_AT = [
    ("utc-z", "2030-01-01T10:00:00Z", True),
    ("colon-offset", "2030-01-01T10:00:00+02:00", True),
    ("compact-offset", "2030-01-01T10:00:00+0200", True),
    ("hour-only-offset", "2030-01-01T10:00:00+02", False),
    ("impossible-offset", "2030-01-01T10:00:00+99:99", True),
    ("negative-zero-offset", "2030-01-01T10:00:00-00:00", True),
    ("no-offset", "2030-01-01T10:00:00", False),
    ("date-only", "2030-01-01", False),
    ("fractional-seconds", "2030-01-01T10:00:00.123456789Z", True),
    ("fraction-without-digits", "2030-01-01T10:00:00.Z", False),
    ("comma-fraction", "2030-01-01T10:00:00,5Z", False),
    ("no-seconds", "2030-01-01T10:00Z", True),
    ("space-instead-of-t", "2030-01-01 10:00:00Z", False),
    ("lowercase-t-and-z", "2030-01-01t10:00:00z", False),
    ("leap-day-in-leap-year", "2028-02-29T10:00:00Z", True),
    ("leap-day-in-common-year", "2030-02-29T10:00:00Z", False),
    ("leap-day-in-1900", "1900-02-29T10:00:00Z", False),
    ("hour-24", "2030-01-01T24:00:00Z", False),
    ("second-60", "2030-01-01T10:00:60Z", False),
    ("single-digit-hour", "2030-01-01T9:00:00Z", False),
    ("arabic-indic-digits", "٢٠٣٠-01-01T10:00:00Z", False),
    ("trailing-newline", "2030-01-01T10:00:00Z\n", False),
    ("five-digit-year", "20300-01-01T10:00:00Z", False),
]
SCHEDULE_CASES = [
    Case(f"scheduled-at-{name}", body_with(scheduled_at=value), official_ok)
    for name, value, official_ok in SCHEDULED_AT
] + [
    bad("scheduled-at-null", body_with(scheduled_at=None)),
    bad("scheduled-at-epoch-number", body_with(scheduled_at=1_893_492_000)),
]

OPTIONAL_FIELDS = [
    ok("external-id-empty", body_with(external_id="")),
    ok("external-id-128-chars", body_with(external_id="e" * 128)),
    bad("external-id-129-chars", body_with(external_id="e" * 129)),
    ok("external-id-64-emoji", body_with(external_id=EMOJI * 64)),
    # 65 Python characters, 130 UTF-16 units.
    bad("external-id-65-emoji", body_with(external_id=EMOJI * 65)),
    bad("external-id-null", body_with(external_id=None)),
    bad("external-id-number", body_with(external_id=884)),
    ok("music-url-tiktok", body_with(music_url=MUSIC_URL)),
    ok("music-url-tiktok-mixed-case", body_with(music_url="https://www.TikTok.com/@a/video/1")),
    ok("music-url-null", body_with(music_url=None)),
    ok("music-url-tiktok-in-query", body_with(music_url="https://example.com/?next=tiktok.com")),
    bad("music-url-not-tiktok", body_with(music_url="https://www.youtube.com/watch?v=1")),
    bad("music-url-without-scheme", body_with(music_url="www.tiktok.com/@a/video/1")),
    bad("music-url-empty", body_with(music_url="")),
    bad("music-url-number", body_with(music_url=1234567890)),
    ok(
        "tiktok-settings",
        body_with(tiktok={"privacy_level": "SELF_ONLY", "post_mode": "DIRECT_POST", "title": "t"}),
    ),
    ok("tiktok-empty", body_with(tiktok={})),
    bad("tiktok-null", body_with(tiktok=None)),
    bad("tiktok-unknown-key", body_with(tiktok={"music": True})),
    bad("tiktok-privacy-not-in-enum", body_with(tiktok={"privacy_level": "public"})),
    bad("tiktok-cover-negative", body_with(tiktok={"video_cover_timestamp_ms": -1})),
    bad("tiktok-flag-as-string", body_with(tiktok={"disable_duet": "true"})),
    ok("tiktok-title-91-on-video", body_with(tiktok={"title": "t" * 91})),
    bad("tiktok-title-91-on-slideshow", body_with(media=slideshow(1), tiktok={"title": "t" * 91})),
    ok("tiktok-title-90-on-slideshow", body_with(media=slideshow(1), tiktok={"title": "t" * 90})),
    bad("tiktok-title-2201", body_with(tiktok={"title": "t" * 2201})),
    ok(
        "pinterest-settings",
        body_with(pinterest={"board_id": "b", "link": "https://genviral.io", "tags": [" a "]}),
    ),
    bad("pinterest-blank-tag", body_with(pinterest={"tags": [" "]})),
    bad("pinterest-31-tags", body_with(pinterest={"tags": ["t"] * 31})),
    bad("pinterest-link-not-url", body_with(pinterest={"link": "genviral.io"})),
    bad("pinterest-blank-board", body_with(pinterest={"board_id": "  "})),
    bad("pinterest-unknown-key", body_with(pinterest={"alt_text": "x"})),
    ok("settings-youtube-title", body_with(settings={"youtube": {"title": "Short"}})),
    ok("settings-hyphenated-provider", body_with(settings={"linkedin-page": {}, "x": {"a": 1}})),
    bad("settings-unknown-provider", body_with(settings={"myspace": {}})),
    bad("settings-blank-title", body_with(settings={"youtube": {"title": " "}})),
    bad("settings-title-number", body_with(settings={"youtube": {"title": 5}})),
    bad("settings-provider-list", body_with(settings={"youtube": []})),
    bad("settings-provider-null", body_with(settings={"youtube": None})),
    bad("settings-null", body_with(settings=None)),
]

CASES = TOP_LEVEL + CAPTIONS + ACCOUNTS + MEDIA + URL_CASES + SCHEDULE_CASES + OPTIONAL_FIELDS
assert len({case.name for case in CASES}) == len(CASES), "case names must be unique"

# Known disagreements between the sandbox and the official schema, by case name.
# Each is a sandbox bug to fix; strict xfail turns red once it is fixed.
SCHEMA_ISSUES_BUGS: dict[str, str] = {}
SANDBOX_HTTP_BUGS: dict[str, str] = {}


def case_params(bugs: dict[str, str]) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(strict=True, reason=bugs[case.name])]
            if case.name in bugs
            else [],
        )
        for case in CASES
    ]


@pytest.fixture(scope="module")
def official_verdicts(official_schema: OfficialSchema) -> dict[str, Verdict]:
    """The official answer for every case, in one pipelined round trip."""
    verdicts = official_schema.check_many([case.body for case in CASES])
    return {case.name: verdict for case, verdict in zip(CASES, verdicts, strict=True)}


def disagreement(body: Any, official: Verdict, sandbox_says: str) -> str:
    verdict = "accepts" if official[0] else "rejects"
    return (
        f"official schema {verdict} this body, sandbox says {sandbox_says}:\n"
        f"{describe_failure(body, official[1])}"
    )


@pytest.mark.parametrize("case", case_params({}))
def test_official_schema_answers_as_the_table_records(
    official_verdicts: dict[str, Verdict], case: Case
) -> None:
    official_ok, issues = official_verdicts[case.name]
    assert official_ok is case.official_ok, describe_failure(case.body, issues)


@pytest.mark.parametrize("case", case_params(SCHEMA_ISSUES_BUGS))
def test_schema_issues_agrees_with_official_schema(
    official_verdicts: dict[str, Verdict], case: Case
) -> None:
    official = official_verdicts[case.name]
    issues = schema_issues(case.body)
    assert (issues == []) is official[0], disagreement(case.body, official, repr(issues))


# ---------------------------------------------------------------------------------------------
# The same table over HTTP.


@pytest.fixture(scope="module")
def sandbox_client() -> Iterator[httpx.Client]:
    """A client for a sandbox running on loopback for this module's tests."""
    with (
        SandboxServer() as server,
        httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {server.api_key}"},
            timeout=30.0,
            trust_env=False,  # loopback only: never through a proxy from the environment
        ) as client,
    ):
        yield client


def post_raw(client: httpx.Client, body: Any) -> httpx.Response:
    """POST the body as JSON; ASCII escapes keep lone surrogates sendable."""
    content = json.dumps(body, ensure_ascii=True).encode("ascii")
    return client.post(
        "/posts",
        content=content,
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize("case", case_params(SANDBOX_HTTP_BUGS))
def test_sandbox_answers_422_iff_official_schema_rejects(
    sandbox_client: httpx.Client, official_verdicts: dict[str, Verdict], case: Case
) -> None:
    official = official_verdicts[case.name]
    response = post_raw(sandbox_client, case.body)
    said = f"HTTP {response.status_code} {response.text[:500]}"
    assert (response.status_code == 422) is (not official[0]), disagreement(
        case.body, official, said
    )


def test_sandbox_422_is_invalid_payload_with_issues(sandbox_client: httpx.Client) -> None:
    response = post_raw(sandbox_client, body_with(caption=""))
    assert response.status_code == 422
    envelope = response.json()
    assert envelope["ok"] is False
    assert envelope["error_code"] == "invalid_payload"
    assert [issue["path"] for issue in envelope["issues"]] == [["caption"]]


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("é\u00a0ü", 3),  # one unit each, though two UTF-8 bytes
        ("😀", 2),  # outside the BMP: a surrogate pair
        ("a😀b\U0010ffff", 6),
        ("\ud800", 1),  # a lone surrogate (JSON "\\ud800") is one unit
        ("\ud83d\ude00", 2),  # a pair left as two code points
    ],
)
def test_lengths_count_utf16_code_units_as_javascript_does(text: str, units: int) -> None:
    assert utf16_length(text) == units


# ---------------------------------------------------------------------------------------------
# Hypothesis: mutations of valid bodies, near the schema's boundary.

UUID_ALPHABET = "0123456789abcdefABCDEFg-{}\n ٣Ａ"
EDGE_WHITESPACE = ("", " ", "\t", "\n", "\x00", "\x1c", "\x85", "\u00a0", "\ufeff", "\u2028")


@dataclass(frozen=True)
class Part:
    """One piece of a composed string: its usual forms, and odd forms to probe with."""

    usual: tuple[str, ...]
    odd: tuple[str, ...]


URL_PARTS = (
    Part(("",), EDGE_WHITESPACE),
    Part(("https://", "http://"), ("HTTPS://", "ftp://", "mailto:", "https:", "http:/", "//", "")),
    Part(
        ("cdn.genviral.invalid", "www.tiktok.com", "localhost", "127.0.0.1", "[::1]"),
        (
            *("[::1", "exa mple.com", "exa%20mple.com", "例え.jp", "256.0.0.1", "0x7f.1", "a..b"),
            *("user@host", "", "xn--a.com", "-a.com", "a_b.com", "%41.com", "ex\tample.com"),
        ),
    ),
    Part(("", ":8080"), (":99999", ":", ":0", ":abc", ":65535", ":65536")),
    Part(("", "/", "/a.mp4", "/@genviral/video/1"), ("/a b", "/%zz", "?q=tiktok.com", "#f", "\\a")),
    Part(("",), EDGE_WHITESPACE),
)
DATETIME_PARTS = (
    Part(("2030", "2028", "2000"), ("1900", "0000", "20300", "٢٠٣٠", "203")),
    Part(("-",), ("", "/")),
    Part(("01", "02", "12"), ("13", "00", "1")),
    Part(("-",), ("",)),
    Part(("01", "28"), ("29", "30", "31", "32", "1")),
    Part(("T",), ("t", " ", "")),
    Part(
        ("10:00", "10:00:00", "23:59:59", "10:00:00.5", "00:00:00.123456789"),
        ("24:00:00", "10:00:60", "10:00:00.", "9:00", "10:60", "10:00:00,5", "10"),
    ),
    Part(
        ("Z", "+02:00", "+0200", "-05:30"),
        ("z", "+02", "", "+2:00", "Z\n", "+02:00:00", "+99:99", "-00:00", " Z"),
    ),
)
NUMBER_EDGES: list[Any] = [0, -0.0, -1, 1, 1.0, 1.5, 15.5, 5e-324, 2**53 + 1, 10**400, 1e308]
NUMBER_EDGES += [True, False, "30", None]
CAPTION_EDGES = [
    "a" * CAPTION_MAX,
    "a" * (CAPTION_MAX + 1),
    EMOJI * (CAPTION_MAX // 2),
    EMOJI * (CAPTION_MAX // 2) + "a",
]
STRING_EDGES = ["", "a", "a" * 128, "a" * 129, EMOJI * 64, EMOJI * 65, "a" * 91]
UUID_FIELDS = {"id"}
URL_FIELDS = {"url", "urls", "music_url", "link"}
NUMBER_FIELDS = {"duration_sec", "duration", "size", "bytes", "width", "height"}
NUMBER_FIELDS |= {"video_cover_timestamp_ms", "duration_seconds", "durationSec"}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
any_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def uuid_like(draw: st.DrawFn) -> str:
    """A UUID, sometimes upper-cased, with zero to two characters changed."""
    text = str(draw(st.uuids()))
    if draw(st.booleans()):
        text = text.upper()
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        index = draw(st.integers(min_value=0, max_value=len(text)))
        replacement = draw(st.sampled_from(["", *UUID_ALPHABET]))
        text = text[:index] + replacement + text[index + 1 :]
    return text


@st.composite
def one_part_off(draw: st.DrawFn, parts: tuple[Part, ...]) -> str:
    """Usual forms for every part but (mostly) one, which may take an odd form.

    Changing one part at a time keeps the string near the boundary: often valid, and
    when not, wrong in a single place.
    """
    off = draw(st.sampled_from([None, *range(len(parts))]))
    return "".join(
        draw(st.sampled_from(part.usual + part.odd if index == off else part.usual))
        for index, part in enumerate(parts)
    )


def url_like() -> st.SearchStrategy[str]:
    return one_part_off(URL_PARTS)


def datetime_like() -> st.SearchStrategy[str]:
    return one_part_off(DATETIME_PARTS)


def edge_strings() -> st.SearchStrategy[str]:
    padded = st.builds(
        lambda pad, core: pad + core + pad,
        st.sampled_from(EDGE_WHITESPACE),
        st.sampled_from(STRING_EDGES),
    )
    return st.sampled_from(STRING_EDGES) | padded | st.text(max_size=10)


def near_misses(path: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """Values of the right kind for the field at ``path``, on either side of its rules."""
    key = path[-1]
    if isinstance(key, int):  # a list item: the list's own key says what it holds
        key = {"accounts": "account", "urls": "url", "tags": "tag"}.get(path[-2], key)
    if key == "account":
        return st.fixed_dictionaries({"id": uuid_like()})
    if key in UUID_FIELDS:
        return uuid_like()
    if key in URL_FIELDS:
        return url_like()
    if key == "scheduled_at":
        return datetime_like()
    if key in NUMBER_FIELDS:
        return st.sampled_from(NUMBER_EDGES)
    if key == "caption":
        return st.sampled_from(CAPTION_EDGES) | edge_strings()
    return edge_strings()


@st.composite
def replacement_for(draw: st.DrawFn, path: tuple[Any, ...]) -> Any:
    """Mostly a near miss for the field at ``path``; sometimes null or any JSON at all."""
    pick = draw(st.sampled_from(("near", "near", "near", "null", "any")))
    if pick == "near":
        return draw(near_misses(path))
    return None if pick == "null" else draw(any_json)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes), the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*prefix, index))


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


UNKNOWN_KEYS = [
    "foo",
    "type",
    "url",
    "urls",
    "id",
    "title",
    "metadata",
    "bytes",
    "caption",
    "media",
]
BASE_BODIES: list[Callable[[], dict[str, Any]]] = [
    lambda: body_with(),
    lambda: body_with(media=ABSENT, external_id="row-2", scheduled_at="2030-01-01T10:00Z"),
    lambda: body_with(
        media=slideshow(3),
        scheduled_at="2030-06-01T08:30:00.250-05:00",
        tiktok={"title": "t" * 80, "privacy_level": "SELF_ONLY"},
    ),
    lambda: body_with(
        media=video(duration_sec=20.5, size=1000, width=1080, height=1920, mime_type="video/mp4"),
        accounts=account_ids(HOSTED_TIKTOK_ID, BYO_TIKTOK_LOOKS_ID),
        scheduled_at="2030-01-01T10:00:00+02:00",
        external_id="campaign-7",
        music_url=MUSIC_URL,
        pinterest={"board_id": "b", "link": "https://genviral.io", "tags": ["x"]},
        settings={"youtube": {"title": "Short"}},
    ),
]


@st.composite
def near_boundary_bodies(draw: st.DrawFn) -> Any:
    """A valid body with one or two mutations: drop, add or replace a value anywhere."""
    body: Any = draw(st.sampled_from(BASE_BODIES))()
    for _ in range(draw(st.integers(min_value=1, max_value=2))):
        path = draw(st.sampled_from(list(json_paths(body))))
        kind = draw(st.sampled_from(["drop", "add", "resize", *["replace"] * 4]))
        target = at(body, path)
        if kind == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(UNKNOWN_KEYS))] = draw(replacement_for((None,)))
        elif kind == "resize" and isinstance(target, list) and target:
            size = draw(st.sampled_from([0, 1, 10, 11, 35, 36]))
            target[:] = [copy.deepcopy(target[0]) for _ in range(size)]
        elif not path:
            continue  # Bodies that are not objects at all are in the table.
        elif kind == "drop":
            del at(body, path[:-1])[path[-1]]
        else:
            at(body, path[:-1])[path[-1]] = draw(replacement_for(path))
    return body


BATCH_SIZE = 8


@settings(
    max_examples=40,
    deadline=None,
    # conftest's autouse fixtures are function-scoped but only clear environment variables.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(bodies=st.lists(near_boundary_bodies(), min_size=BATCH_SIZE, max_size=BATCH_SIZE))
def test_schema_issues_agrees_with_official_schema_near_the_boundary(
    official_schema: OfficialSchema, bodies: list[Any]
) -> None:
    # A batch per example: one pipelined round trip to Node for eight bodies.
    verdicts = official_schema.check_many(bodies)
    for body, official in zip(bodies, verdicts, strict=True):
        issues = schema_issues(body)
        assert (issues == []) is official[0], disagreement(body, official, repr(issues))
