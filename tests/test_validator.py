"""The validator: one case per rule code (code, severity, cell), and the rules together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bulk_scheduler.api.contract import Account
from bulk_scheduler.campaign import CellValue
from bulk_scheduler.checks.accounts import AccountDirectory
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions, plan_row
from bulk_scheduler.checks.rules import plan_and_validate, validate_plan
from bulk_scheduler.issues import ISSUE_CODES, RowIssue, Severity, Stage, codes_of
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_PINTEREST_ID,
    BYO_TIKTOK_ID,
    HOSTED_TIKTOK_ID,
    SEED_ACCOUNTS,
)
from tests.rows import COLUMNS, VIDEO, make_row

COLUMN_OF = {chr(65 + i): column for i, column in enumerate(COLUMNS)}  # "A" -> "external_id"
NOW = datetime(2030, 6, 1, tzinfo=UTC)
OPTIONS = PlanOptions(timezone="Europe/Paris", now=NOW)
NO_ZONE = PlanOptions(now=NOW)
IMAGES = "https://cdn.example.com/a.jpg|https://cdn.example.com/b.png"
TIKTOK_MUSIC = "https://www.tiktok.com/@genviral/video/1234567890"
IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(11)]


def directory(*extra: Account, include_inactive: bool = False) -> AccountDirectory:
    seeded = [
        Account.model_validate(seed)
        for seed in SEED_ACCOUNTS
        if include_inactive or seed["status"] == "active"
    ]
    return AccountDirectory([*seeded, *extra])


ONLINE = directory()


@dataclass
class Case:
    """One rule firing: the rows to plan, then the issue expected on the last row."""

    code: str
    severity: Severity
    cell: str | None
    rows: list[dict[str, CellValue]]
    options: PlanOptions = OPTIONS
    accounts: AccountDirectory | None = None
    says: list[str] = field(default_factory=list)  # fragments the message must contain

    @property
    def id(self) -> str:
        return f"{self.code}-{'online' if self.accounts else 'offline'}"


ERROR, WARNING = Severity.ERROR, Severity.WARNING

CASES = [
    # the row itself
    Case("example-row", ERROR, "I2", [{"example": "yes"}], says=["delete it"]),
    # caption
    Case("caption-missing", ERROR, "B2", [{"caption": " \n "}]),
    Case("caption-too-long", ERROR, "B2", [{"caption": "x" * 501}], says=["501", "500"]),
    Case(
        "caption-too-long",
        ERROR,
        "B2",
        [{"caption": "x" * 612}],
        accounts=ONLINE,
        says=["612 characters", "500 for @genviral_hosted (hosted TikTok)"],
    ),
    # media
    Case("media-type-invalid", ERROR, "C2", [{"media_type": "gif"}], says=["'gif'"]),
    Case(
        "media-type-unknown",
        ERROR,
        "C2",
        [{"media_urls": "https://drive.google.com/file/d/1AbC/view?usp=sharing"}],
        says=["media_type"],
    ),
    Case(
        "media-type-mismatch",
        ERROR,
        "C2",
        [{"media_type": "video", "media_urls": IMAGES}],
        says=["slideshow"],
    ),
    Case("media-type-mismatch", ERROR, "C2", [{"media_type": "slideshow"}]),
    Case("media-type-mismatch", ERROR, "C2", [{"media_type": "text"}], says=["1 URL"]),
    Case("media-urls-missing", ERROR, "D2", [{"media_type": "video", "media_urls": None}]),
    Case(
        "media-url-invalid",
        ERROR,
        "D2",
        [{"media_urls": "cdn.example.com/launch.mp4"}],
        says=["https://"],
    ),
    Case("media-url-invalid", ERROR, "D2", [{"media_urls": "https://cdn.example.com/my clip.mp4"}]),
    Case("media-mixed", ERROR, "D2", [{"media_urls": f"{VIDEO}|https://x.example/a.jpg"}]),
    Case(
        "video-multiple-urls",
        ERROR,
        "D2",
        [{"media_urls": f"{VIDEO}\nhttps://x.example/b.mp4"}],
        says=["2 URLs"],
    ),
    Case("video-format", ERROR, "D2", [{"media_urls": "https://x.example/a.webm"}], says=[".webm"]),
    Case(
        "image-format",
        ERROR,
        "D2",
        [{"media_urls": "https://x.example/a.jpg|https://x.example/b.GIF"}],
        says=["image 2 is .gif"],
    ),
    Case(
        "slideshow-too-many",
        ERROR,
        "D2",
        [{"media_urls": "|".join(f"https://x.example/{n}.jpg" for n in range(36))}],
        says=["36", "35"],
    ),
    Case("media-missing", WARNING, "D2", [{"media_urls": None}]),
    Case(
        "media-missing",
        ERROR,
        "D2",
        [{"media_urls": None}],
        accounts=ONLINE,
        says=["@genviral_hosted (hosted TikTok) cannot publish text-only posts"],
    ),
    # music
    Case("music-url-invalid", ERROR, "E2", [{"music_url": "https://youtu.be/abc"}]),
    Case(
        "music-non-tiktok-account",
        ERROR,
        "E2",
        [{"music_url": TIKTOK_MUSIC, "accounts": f"{HOSTED_TIKTOK_ID}, {BYO_INSTAGRAM_ID}"}],
        accounts=ONLINE,
        says=["@genviral.ig (Instagram)"],
    ),
    Case(
        "music-non-tiktok-account",
        ERROR,
        "E2",
        [{"music_url": TIKTOK_MUSIC, "accounts": "instagram:genviral.ig"}],
        says=["instagram:genviral.ig"],
    ),
    # accounts
    Case("accounts-missing", ERROR, "F2", [{"accounts": None}]),
    Case("accounts-too-many", ERROR, "F2", [{"accounts": ",".join(IDS)}], says=["11", "10"]),
    Case("account-malformed", ERROR, "F2", [{"accounts": "gen viral"}], says=["'gen viral'"]),
    Case("account-duplicate", WARNING, "F2", [{"accounts": f"{BYO_TIKTOK_ID},{BYO_TIKTOK_ID}"}]),
    Case(
        "account-unknown",
        ERROR,
        "F2",
        [{"accounts": "@nobody"}],
        accounts=ONLINE,
        says=["@nobody", "not found among the workspace's active accounts"],
    ),
    Case(
        "account-unknown",
        ERROR,
        "F2",
        [{"accounts": "c6d3e4f5-3a4b-4c7d-8e8f-9a0b1c2d3e4f"}],  # inactive: GET /accounts hides it
        accounts=ONLINE,
    ),
    Case(
        "account-ambiguous",
        ERROR,
        "F2",
        [{"accounts": "@genviral"}],
        accounts=directory(Account(id=IDS[0], platform="instagram", username="genviral")),
        says=["tiktok:genviral", "instagram:genviral"],
    ),
    Case(
        "account-inactive",
        ERROR,
        "F2",
        [{"accounts": "@genviral_old"}],
        accounts=directory(include_inactive=True),
        says=["inactive"],
    ),
    Case("account-unresolved-offline", WARNING, "F2", [{"accounts": "@genviral"}]),
    # scheduled_at
    Case("scheduled-at-invalid", ERROR, "G2", [{"scheduled_at": "next tuesday"}]),
    Case("scheduled-at-no-time", ERROR, "G2", [{"scheduled_at": "2031-03-01"}]),
    Case("scheduled-at-ambiguous", ERROR, "G2", [{"scheduled_at": "01/03/2031 09:00"}]),
    Case(
        "scheduled-at-zone-ambiguous",
        ERROR,
        "G2",
        [{"scheduled_at": "2031-03-01 09:00 IST"}],
        says=["Asia/Kolkata", "Europe/Dublin"],
    ),
    Case(
        "scheduled-at-order-conflict",
        ERROR,
        "G3",
        [{"scheduled_at": "3/14/2031 09:00"}, {"scheduled_at": "25/03/2031 09:00"}],
        says=["row 2", "day first"],
    ),
    Case("scheduled-at-nonexistent", ERROR, "G2", [{"scheduled_at": "2031-03-30 02:30"}]),
    Case("scheduled-at-ambiguous-dst", ERROR, "G2", [{"scheduled_at": "2031-10-26 02:30"}]),
    Case("scheduled-at-midnight", WARNING, "G2", [{"scheduled_at": datetime(2031, 3, 1)}]),
    Case(
        "scheduled-at-past",
        ERROR,
        "G2",
        [{"scheduled_at": "2030-05-29T00:00:00Z"}],
        says=["3 days in the past"],
    ),
    Case(
        "scheduled-at-too-soon",
        ERROR,
        "G2",
        [{"scheduled_at": "2030-06-01T00:01:00Z"}],
        says=["60 seconds", "2 minutes"],
    ),
    Case(
        "scheduled-at-too-soon",  # within the API's 30 s "publish now" window, still flagged
        ERROR,
        "G2",
        [{"scheduled_at": "2030-06-01T00:00:10Z"}],
    ),
    Case("scheduled-at-blank", WARNING, "G2", [{"scheduled_at": None}], says=["immediately"]),
    Case("timezone-missing", ERROR, "G2", [{}], options=NO_ZONE, says=["--timezone"]),
    Case("timezone-unknown", ERROR, "H2", [{"timezone": "Europe/Pariss"}], says=["Europe/Paris"]),
    # external_id and duplicates
    Case("external-id-too-long", ERROR, "A2", [{"external_id": "x" * 129}], says=["129", "128"]),
    Case(
        "external-id-duplicate",
        ERROR,
        "A3",
        [{"external_id": "launch-01"}, {"external_id": "launch-01", "caption": "other"}],
        says=["row 2"],
    ),
    Case("duplicate-row", ERROR, None, [{}, {}], says=["row 2", "one post"]),
    Case(
        "duplicate-row",
        ERROR,
        None,
        [{"external_id": "a"}, {"external_id": "b"}],
        says=["row 2", "twice"],
    ),
    # per-platform settings
    Case(
        "setting-switch-invalid",
        ERROR,
        "N2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.disable_comment": "maybe"}],
        says=["'maybe'", "yes or no"],
    ),
    Case(
        "tiktok-privacy-invalid",
        ERROR,
        "J2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.privacy_level": "Strangers"}],
        says=["Only me"],
    ),
    Case(
        "tiktok-post-mode-invalid",
        ERROR,
        "K2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.post_mode": "Sideways"}],
        says=["Drafts"],
    ),
    Case(
        "tiktok-cover-invalid",
        ERROR,
        "V2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.video_cover_timestamp_ms": "1.5s"}],
        says=["milliseconds"],
    ),
    Case(
        "setting-too-long",
        ERROR,
        "L2",
        [{"accounts": BYO_TIKTOK_ID, "media_urls": IMAGES, "tiktok.title": "t" * 91}],
        says=["91", "90 for a slideshow"],
    ),
    Case(
        "setting-too-long",
        ERROR,
        "X2",
        [{"accounts": BYO_PINTEREST_ID, "pinterest.title": "p" * 101}],
        accounts=ONLINE,
        says=["101", "100"],
    ),
    Case(
        "pinterest-link-invalid",
        ERROR,
        "Y2",
        [{"pinterest.link": "shop.example.com/spring"}],
        says=["https://"],
    ),
    Case(
        "pinterest-tags-too-many",
        ERROR,
        "Z2",
        [{"pinterest.tags": ", ".join(f"tag{n}" for n in range(31))}],
        says=["31 tags", "30"],
    ),
    Case(
        "tiktok-settings-not-tiktok",
        ERROR,
        "J2",
        [{"accounts": f"{BYO_TIKTOK_ID}, {HOSTED_TIKTOK_ID}", "tiktok.privacy_level": "Public"}],
        accounts=ONLINE,
        says=["@genviral_hosted (hosted TikTok)"],
    ),
    Case(
        "tiktok-settings-not-tiktok",
        ERROR,
        "K2",
        [{"accounts": "tiktok:genviral, instagram:genviral.ig", "tiktok.post_mode": "Direct"}],
        says=["instagram:genviral.ig is not"],
    ),
    Case(
        "tiktok-pinterest-both",
        ERROR,
        "W2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.privacy_level": "Public", "pinterest.board_id": "b1"}],
        says=["separate rows"],
    ),
    Case(
        "tiktok-drafts-not-slideshow",
        ERROR,
        "K2",
        [{"accounts": BYO_TIKTOK_ID, "tiktok.post_mode": "Drafts"}],
        says=["slideshows", "video"],
    ),
    Case(
        "tiktok-drafts-too-many",
        WARNING,
        "K7",
        [
            {
                "caption": f"Draft {n}",
                "accounts": BYO_TIKTOK_ID,
                "media_urls": IMAGES,
                "scheduled_at": f"2031-03-01 {9 + n:02d}:00",
                "tiktok.post_mode": "Drafts",
            }
            for n in range(6)
        ],
        accounts=ONLINE,
        says=["rows 2, 3, 4, 5, 6", "@genviral (TikTok)", "spam_risk_too_many_pending_share"],
    ),
    Case(
        "pinterest-no-account",
        ERROR,
        "W2",
        [{"accounts": BYO_TIKTOK_ID, "pinterest.board_id": "b1"}],
        accounts=ONLINE,
        says=["Pinterest account"],
    ),
    Case(
        "pinterest-board-missing",
        WARNING,
        "W2",
        [{"accounts": BYO_PINTEREST_ID, "pinterest.link": "https://shop.example.com/a"}],
        accounts=ONLINE,
        says=["@genviral.pins (Pinterest)", "default board"],
    ),
    # account groups
    Case(
        "account-group-unknown",
        ERROR,
        "F2",
        [{"accounts": "#sprnig-launch"}],
        options=PlanOptions(
            timezone="Europe/Paris", now=NOW, groups={"spring-launch": (HOSTED_TIKTOK_ID,)}
        ),
        says=["#sprnig-launch", "did you mean #spring-launch?"],
    ),
]


def run(case: Case) -> PlannedRow:
    rows = [make_row(2 + n, **values) for n, values in enumerate(case.rows)]
    return plan_and_validate(rows, case.options, case.accounts)[-1]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_rule(case: Case) -> None:
    planned = run(case)
    found = [issue for issue in planned.issues if issue.code == case.code]
    assert found, f"{case.code} not raised; got {planned.issues}"
    issue = found[0]
    assert issue.severity is case.severity
    assert issue.cell == case.cell
    assert issue.row == planned.row.row_number
    assert issue.column == (COLUMN_OF[case.cell[0]] if case.cell else None)
    for fragment in case.says:
        assert fragment in issue.message


def test_every_rule_has_a_case() -> None:
    assert {case.code for case in CASES} == set(codes_of(Stage.CHECKS))


def test_each_case_has_a_registered_severity() -> None:
    for case in CASES:
        assert case.severity in ISSUE_CODES[case.code].severities, case.code


# --- the rules together ------------------------------------------------------------------


def test_a_valid_row_has_no_issues_and_a_body() -> None:
    [planned] = plan_and_validate([make_row()], OPTIONS, ONLINE)
    assert planned.issues == []
    assert planned.body is not None


def test_a_row_with_an_error_has_no_body() -> None:
    [planned] = plan_and_validate([make_row(caption="x" * 501)], OPTIONS)
    assert planned.has_errors and planned.body is None and planned.payload is None


def test_a_row_with_only_warnings_keeps_its_body() -> None:
    [planned] = plan_and_validate([make_row(scheduled_at=None)], OPTIONS)
    assert [i.code for i in planned.issues] == ["scheduled-at-blank"]
    assert planned.body is not None


def test_the_first_of_two_duplicates_stays_valid() -> None:
    first, second = plan_and_validate([make_row(2), make_row(3)], OPTIONS)
    assert first.issues == [] and first.body is not None
    assert second.body is None


def test_a_byo_account_accepts_a_caption_the_offline_limit_refuses() -> None:
    row = make_row(caption="x" * 600, accounts=BYO_TIKTOK_ID)
    [offline] = plan_and_validate([row], OPTIONS)
    [online] = plan_and_validate([row], OPTIONS, ONLINE)
    assert [i.code for i in offline.issues] == ["caption-too-long"]
    assert online.issues == []


def test_offline_a_text_post_is_only_a_warning() -> None:
    [planned] = plan_and_validate([make_row(media_urls=None)], OPTIONS)
    assert planned.body is not None


def test_online_a_text_post_passes_when_every_account_says_it_can() -> None:
    texty = Account(
        id=IDS[0],
        platform="x",
        username="brand",
        capabilities={"supported_content_kinds": ["text_only"]},
    )
    row = make_row(media_urls=None, accounts=IDS[0])
    [planned] = plan_and_validate([row], OPTIONS, directory(texty))
    assert planned.issues == []


def test_music_with_only_tiktok_accounts_is_fine() -> None:
    row = make_row(music_url=TIKTOK_MUSIC, accounts=f"{HOSTED_TIKTOK_ID}, {BYO_TIKTOK_ID}")
    [planned] = plan_and_validate([row], OPTIONS, ONLINE)
    assert planned.issues == []
    assert planned.payload is not None and planned.payload["music_url"] == TIKTOK_MUSIC


def test_a_time_just_over_two_minutes_ahead_is_fine() -> None:
    now = datetime(2031, 3, 1, 7, 57, 59, tzinfo=UTC)
    [planned] = plan_and_validate([make_row()], PlanOptions(timezone="Europe/Paris", now=now))
    assert planned.issues == []


def test_validate_plan_adds_issues_in_place_and_returns_the_list() -> None:
    planned = [plan_row(make_row(scheduled_at=None), OPTIONS)]
    assert validate_plan(planned, OPTIONS) is planned
    assert [i.code for i in planned[0].issues] == ["scheduled-at-blank"]


def test_issues_carry_the_sheet_row_number() -> None:
    rows = [make_row(14, caption=""), make_row(15, caption="ok", scheduled_at=None)]
    issues: list[RowIssue] = [i for p in plan_and_validate(rows, OPTIONS) for i in p.issues]
    assert [(i.row, i.cell) for i in issues] == [(14, "B14"), (15, "G15")]


def test_the_real_clock_is_used_when_now_is_not_given() -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    [planned] = plan_and_validate([make_row(scheduled_at=soon)], PlanOptions())
    assert [i.code for i in planned.issues] == ["scheduled-at-too-soon"]
