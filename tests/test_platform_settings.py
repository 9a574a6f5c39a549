"""Per-platform settings, account groups and posting slots, through the command line.

Each rule is driven as a user would: a campaign file, ``bulk-scheduler validate`` (its
JSON report: code, cell, exit code; its ``--payloads`` bodies, checked against the
vendor's official schema), and ``bulk-scheduler run`` against the sandbox on loopback,
twice, counting the posts the sandbox holds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.official_schema import OfficialSchema, assert_bodies_pass

CDN = "https://cdn.genviral.com"
VIDEO = f"{CDN}/clips/launch.mp4"
SLIDES = f"{CDN}/slides/a.jpg|{CDN}/slides/b.png"
TIKTOK = seed.BYO_TIKTOK_ID
PINS = seed.BYO_PINTEREST_ID
BASE = ["caption", "media_urls", "accounts", "scheduled_at"]


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    if path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return path
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def validate(campaign: Path, *options: str) -> tuple[int, dict[str, Any]]:
    result = invoke("validate", campaign, "--json", *options)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def payloads(campaign: Path, *options: str) -> list[dict[str, Any]]:
    out = campaign.with_suffix(".payloads.jsonl")
    result = invoke("validate", campaign, "--payloads", out, *options)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line)["body"] for line in out.read_text(encoding="utf-8").splitlines()]


def when(n: int = 0) -> str:
    return f"2036-03-{2 + n:02d}T09:00:00Z"


# --- one rule at a time: code, cell, exit code -------------------------------------------

# (code, header extra, row extra, accounts, media, online?, cell, exit code)
RULES: list[tuple[str, dict[str, str], str, str, bool, str, int]] = [
    (
        "setting-switch-invalid",
        {"TikTok disable comments": "perhaps"},
        TIKTOK,
        VIDEO,
        False,
        "E2",
        1,
    ),
    ("tiktok-privacy-invalid", {"TikTok privacy": "Strangers"}, TIKTOK, VIDEO, False, "E2", 1),
    ("tiktok-post-mode-invalid", {"TikTok post mode": "Later"}, TIKTOK, SLIDES, False, "E2", 1),
    ("tiktok-cover-invalid", {"TikTok cover ms": "-5"}, TIKTOK, VIDEO, False, "E2", 1),
    ("setting-too-long", {"TikTok title": "t" * 91}, TIKTOK, SLIDES, False, "E2", 1),
    ("setting-too-long", {"Pin title": "p" * 101}, PINS, VIDEO, True, "E2", 1),
    ("setting-too-long", {"YouTube title": "y" * 101}, seed.BYO_YOUTUBE_ID, VIDEO, True, "E2", 1),
    ("pinterest-link-invalid", {"Pin link": "www.example.com"}, PINS, VIDEO, True, "E2", 1),
    (
        "pinterest-tags-too-many",
        {"Pin tags": ",".join(f"t{n}" for n in range(31))},
        PINS,
        VIDEO,
        True,
        "E2",
        1,
    ),
    (
        "tiktok-settings-not-tiktok",
        {"TikTok privacy": "Public"},
        f"{TIKTOK}, {seed.BYO_INSTAGRAM_ID}",
        VIDEO,
        True,
        "E2",
        1,
    ),
    (
        "tiktok-pinterest-both",
        {"TikTok privacy": "Public", "Pin board": "123"},
        TIKTOK,
        VIDEO,
        False,
        "F2",
        1,
    ),
    ("tiktok-drafts-not-slideshow", {"TikTok post mode": "Drafts"}, TIKTOK, VIDEO, False, "E2", 1),
    ("pinterest-no-account", {"Pin board": "123"}, TIKTOK, VIDEO, True, "E2", 1),
    ("pinterest-board-missing", {"Pin title": "Spring"}, PINS, VIDEO, True, None, 0),
]


@pytest.mark.parametrize(
    ("code", "extra", "accounts", "media", "online", "cell", "status"),
    RULES,
    ids=[f"{rule[0]}-{n}" for n, rule in enumerate(RULES)],
)
def test_each_settings_rule_on_the_command_line(
    tmp_path: Path,
    code: str,
    extra: dict[str, str],
    accounts: str,
    media: str,
    online: bool,
    cell: str | None,
    status: int,
) -> None:
    header = [*BASE, *extra]
    campaign = write(
        tmp_path / "c.csv", header, [["Hello", media, accounts, when(), *extra.values()]]
    )
    exit_code, report = validate(campaign, "--sandbox" if online else "--offline")
    found = [issue for issue in report["issues"] if issue["code"] == code]
    assert found, report["issues"]
    assert found[0]["cell"] == cell and found[0]["row"] == 2
    assert exit_code == status


def test_the_board_warning_points_at_the_board_cell_when_there_is_one(tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "c.csv", [*BASE, "Pin board"], [["Hello", VIDEO, PINS, when(), None]]
    )
    exit_code, report = validate(campaign, "--sandbox")
    assert exit_code == 0
    assert [(i["code"], i["cell"], i["severity"]) for i in report["issues"]] == [
        ("pinterest-board-missing", "E2", "warning")
    ]


def test_a_sixth_drafts_post_in_a_day_is_a_warning_not_an_error(tmp_path: Path) -> None:
    rows = [
        [f"Draft {n}", SLIDES, TIKTOK, f"2036-03-02T{8 + n:02d}:00:00Z", "Drafts"] for n in range(6)
    ]
    rows.append(["Next day", SLIDES, TIKTOK, "2036-03-03T20:00:00Z", "Drafts"])
    campaign = write(tmp_path / "c.csv", [*BASE, "TikTok post mode"], rows)
    exit_code, report = validate(campaign, "--sandbox")
    assert exit_code == 0
    assert [(i["code"], i["cell"]) for i in report["issues"]] == [("tiktok-drafts-too-many", "E7")]
    assert "spam_risk_too_many_pending_share" in report["issues"][0]["message"]


# --- values as people write them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("Public", "PUBLIC_TO_EVERYONE"),
        ("friends", "MUTUAL_FOLLOW_FRIENDS"),
        ("Followers", "FOLLOWER_OF_CREATOR"),
        ("Only me", "SELF_ONLY"),
        ("only-me", "SELF_ONLY"),
        ("SELF_ONLY", "SELF_ONLY"),
    ],
)
def test_privacy_levels_as_written(tmp_path: Path, written: str, sent: str) -> None:
    campaign = write(
        tmp_path / "c.csv", [*BASE, "TikTok privacy"], [["Hi", VIDEO, TIKTOK, when(), written]]
    )
    (body,) = payloads(campaign, "--offline")
    assert body["tiktok"] == {"privacy_level": sent}


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("yes", True),
        ("TRUE", True),
        ("✓", True),
        ("1", True),
        ("no", False),
        ("FALSE", False),
        ("0", False),
    ],
)
def test_switches_as_written(tmp_path: Path, written: str, sent: bool) -> None:
    campaign = write(
        tmp_path / "c.csv", [*BASE, "tiktok.disable_duet"], [["Hi", VIDEO, TIKTOK, when(), written]]
    )
    (body,) = payloads(campaign, "--offline")
    assert body["tiktok"] == {"disable_duet": sent}


def test_an_xlsx_with_checkbox_cells_numbers_and_every_column(
    tmp_path: Path, official_schema: OfficialSchema
) -> None:
    header = [
        *BASE,
        "media_type",
        "TikTok privacy",
        "TikTok post mode",
        "TikTok title",
        "tiktok.description",
        "TikTok disable comments",
        "tiktok.disable_duet",
        "tiktok.disable_stitch",
        "tiktok.auto_add_music",
        "tiktok.is_commercial",
        "tiktok.is_branded_content",
        "tiktok.is_your_brand",
        "tiktok.user_consent",
        "tiktok.video_cover_timestamp_ms",
        "Pin board",
        "Pin title",
        "Pin link",
        "Pin tags",
        "YouTube title",
        "settings.youtube.privacy",
        "settings.youtube.made_for_kids",
    ]
    blank_tiktok = [None] * 13
    rows = [
        [
            "Slides",
            SLIDES,
            TIKTOK,
            when(0),
            "slideshow",
            "Only me",
            "Drafts",
            "Three looks",
            "Swipe",
            True,
            False,
            "no",
            "yes",
            "0",
            "no",
            "no",
            "yes",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "Clip",
            VIDEO,
            TIKTOK,
            when(1),
            "video",
            "Followers",
            "Direct",
            "t" * 2200,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            1500,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        [
            "Pin",
            VIDEO,
            PINS,
            when(2),
            None,
            *blank_tiktok,
            987654321,
            "  Spring   looks ",
            "https://shop.example.com/spring?utm=pin",
            "spring, outfits ,,  new   in",
            None,
            None,
            None,
        ],
        [
            "Short",
            VIDEO,
            seed.BYO_YOUTUBE_ID,
            when(3),
            None,
            *blank_tiktok,
            None,
            None,
            None,
            None,
            "Spring in 30 s",
            "unlisted",
            False,
        ],
        [
            "Plain",
            VIDEO,
            TIKTOK,
            when(4),
            None,
            *blank_tiktok,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],
    ]
    campaign = write(tmp_path / "all.xlsx", header, rows)
    bodies = payloads(campaign, "--sandbox")
    assert len(bodies) == 5
    assert bodies[0]["tiktok"] == {
        "title": "Three looks",
        "description": "Swipe",
        "user_consent": True,
        "is_commercial": False,
        "is_your_brand": False,
        "is_branded_content": False,
        "privacy_level": "SELF_ONLY",
        "disable_comment": True,
        "disable_duet": False,
        "disable_stitch": False,
        "auto_add_music": True,
        "post_mode": "MEDIA_UPLOAD",
    }
    assert bodies[1]["tiktok"] == {
        "title": "t" * 2200,
        "privacy_level": "FOLLOWER_OF_CREATOR",
        "video_cover_timestamp_ms": 1500,
        "post_mode": "DIRECT_POST",
    }
    assert bodies[2]["pinterest"] == {
        "board_id": "987654321",
        "link": "https://shop.example.com/spring?utm=pin",
        "title": "Spring   looks",
        "tags": ["spring", "outfits", "new in"],
    }
    assert bodies[3]["settings"] == {
        "youtube": {"title": "Spring in 30 s", "privacy": "unlisted", "made_for_kids": False}
    }
    assert not {"tiktok", "pinterest", "settings"} & set(bodies[4])  # blank sends nothing
    assert_bodies_pass(official_schema, bodies)


def test_settings_change_the_generated_external_id(tmp_path: Path) -> None:
    header = [*BASE, "TikTok privacy"]
    first = payloads(
        write(tmp_path / "a.csv", header, [["Hi", VIDEO, TIKTOK, when(), "Public"]]), "--offline"
    )
    second = payloads(
        write(tmp_path / "b.csv", header, [["Hi", VIDEO, TIKTOK, when(), "Only me"]]), "--offline"
    )
    plain = payloads(write(tmp_path / "c.csv", BASE, [["Hi", VIDEO, TIKTOK, when()]]), "--offline")
    blank = payloads(
        write(tmp_path / "d.csv", header, [["Hi", VIDEO, TIKTOK, when(), ""]]), "--offline"
    )
    ids = [body["external_id"] for body in (*first, *second, *plain)]
    assert len(set(ids)) == 3
    assert blank[0]["external_id"] == plain[0]["external_id"]  # no settings: the id as before


# --- account groups ----------------------------------------------------------------------


def groups_workbook(path: Path, rows: list[list[Any]], groups: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Campaign"
    sheet.append(BASE)
    for row in rows:
        sheet.append(row)
    tab = book.create_sheet("Groups")
    tab.append(["Group", "Accounts"])
    for row in groups:
        tab.append(row)
    book.save(path)
    return path


def test_a_groups_tab_expands_in_the_accounts_column(tmp_path: Path) -> None:
    campaign = groups_workbook(
        tmp_path / "g.xlsx",
        [["Launch", VIDEO, "#Spring-Launch, @genviral", when()]],
        [["spring-launch", f"{TIKTOK}, {seed.BYO_INSTAGRAM_ID}"], [None, seed.BYO_YOUTUBE_ID]],
    )
    exit_code, report = validate(campaign, "--sandbox")
    assert exit_code == 0, report["issues"]
    (body,) = payloads(campaign, "--sandbox")
    assert [a["id"] for a in body["accounts"]] == [
        TIKTOK,
        seed.BYO_INSTAGRAM_ID,
        seed.BYO_YOUTUBE_ID,
    ]
    assert [i["code"] for i in report["issues"]] == ["account-duplicate"]  # @genviral again


def test_an_unknown_group_is_an_error_with_a_did_you_mean(tmp_path: Path) -> None:
    campaign = groups_workbook(
        tmp_path / "g.xlsx",
        [["Launch", VIDEO, "#spring-lunch", when()]],
        [["spring-launch", TIKTOK]],
    )
    exit_code, report = validate(campaign, "--offline")
    assert exit_code == 1
    (issue,) = report["issues"]
    assert (issue["code"], issue["cell"]) == ("account-group-unknown", "C2")
    assert "did you mean #spring-launch?" in issue["message"]


def test_groups_expand_before_the_ten_account_limit_and_the_message_says_so(
    tmp_path: Path,
) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(12)]
    groups = write(
        tmp_path / "groups.csv",
        ["group name", "members"],
        [["big", ", ".join(ids[:8])], ["more", ids[8]], ["more", "\n".join(ids[9:])]],
    )
    campaign = write(tmp_path / "c.csv", BASE, [["Hi", VIDEO, "#big; #more", when()]])
    result = invoke("validate", campaign, "--offline", "--json", "--groups", groups)
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)["issues"]
    assert (issue["code"], issue["cell"]) == ("accounts-too-many", "C2")
    assert "12 accounts in one row once #big (8) and #more (4) are expanded" in issue["message"]


def test_a_groups_file_without_the_columns_is_one_line_naming_the_option(tmp_path: Path) -> None:
    groups = write(tmp_path / "groups.csv", ["team", "who"], [["a", TIKTOK]])
    campaign = write(tmp_path / "c.csv", BASE, [["Hi", VIDEO, "#a", when()]])
    result = invoke("validate", campaign, "--offline", "--groups", groups)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: --groups: {groups}: row 1 must name a 'group' column and an 'accounts' column"
    ]


# --- posting slots -----------------------------------------------------------------------

SLOTS = [
    "--slots",
    "Mon-Fri 09:00,18:00; Sat 11:00",
    "--start",
    "2036-03-03",
    "--timezone",
    "Europe/Paris",
]


def test_blank_rows_take_the_next_free_slot_in_sheet_order(tmp_path: Path) -> None:
    # 2036-03-03 is a Monday; Paris is UTC+1 in March.
    rows = [
        ["One", VIDEO, TIKTOK, None],
        ["Mine", VIDEO, TIKTOK, "2036-03-03T09:00:00+01:00"],  # takes Monday 09:00
        ["Two", VIDEO, TIKTOK, ""],
        ["Other account", VIDEO, seed.BYO_INSTAGRAM_ID, None],
        ["Three", VIDEO, TIKTOK, None],
        ["Four", VIDEO, TIKTOK, None],
        ["Five", VIDEO, TIKTOK, None],
    ]
    campaign = write(tmp_path / "c.csv", BASE, rows)
    bodies = payloads(campaign, "--offline", *SLOTS)
    assert [b["scheduled_at"] for b in bodies] == [
        "2036-03-03T17:00:00Z",  # Mon 18:00
        "2036-03-03T08:00:00Z",  # its own time
        "2036-03-04T08:00:00Z",  # Tue 09:00
        "2036-03-03T08:00:00Z",  # Mon 09:00 is free for another account
        "2036-03-04T17:00:00Z",
        "2036-03-05T08:00:00Z",
        "2036-03-05T17:00:00Z",
    ]
    assert payloads(campaign, "--offline", *SLOTS) == bodies  # the same on every run
    shown = invoke("validate", campaign, "--offline", *SLOTS).output
    assert "6 post(s) placed in posting slots (--slots):" in shown
    assert "row 2: Mon 2036-03-03 18:00 CET" in shown


def test_slots_skip_sunday_and_follow_the_clock_change(tmp_path: Path) -> None:
    rows = [[f"Post {n}", VIDEO, TIKTOK, None] for n in range(3)]
    campaign = write(tmp_path / "c.csv", BASE, rows)
    # Saturday 2036-03-29; the clocks go forward in Paris on Sunday the 30th.
    bodies = payloads(
        campaign,
        "--offline",
        "--slots",
        "Sat 11:00; Mon 9am",
        "--start",
        "2036-03-29",
        "--timezone",
        "Europe/Paris",
    )
    assert [b["scheduled_at"] for b in bodies] == [
        "2036-03-29T10:00:00Z",
        "2036-03-31T07:00:00Z",
        "2036-04-05T09:00:00Z",
    ]


def test_without_slots_a_blank_time_still_means_now(tmp_path: Path) -> None:
    campaign = write(tmp_path / "c.csv", BASE, [["Now", VIDEO, TIKTOK, None]])
    (body,) = payloads(campaign, "--offline")
    assert "scheduled_at" not in body
    _, report = validate(campaign, "--offline")
    assert [i["code"] for i in report["issues"]] == ["scheduled-at-blank"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--slots", "Mon-Fry 09:00", "--timezone", "UTC"], "Error: --slots: 'Fry' is not a day"),
        (
            ["--slots", "Mon 25:00", "--timezone", "UTC"],
            "Error: --slots: '25:00' is not a time of day",
        ),
        (
            ["--slots", "09:00", "--timezone", "UTC"],
            "Error: --slots: '09:00' is not days then times",
        ),
        (["--slots", "Mon 09:00"], "Error: --slots needs --timezone"),
        (["--start", "2036-03-03"], "Error: --start: give --slots too"),
        (
            ["--slots", "Mon 09:00", "--start", "soon", "--timezone", "UTC"],
            "Error: --start: 'soon' is not a date",
        ),
    ],
)
def test_bad_slot_options_are_one_line_naming_the_option(
    tmp_path: Path, options: list[str], message: str
) -> None:
    campaign = write(tmp_path / "c.csv", BASE, [["Hi", VIDEO, TIKTOK, None]])
    result = invoke("validate", campaign, "--offline", *options)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output


# --- end to end against the sandbox, each run twice -------------------------------------


def run_ok(campaign: Path, *options: str) -> str:
    """``run --yes`` on ``campaign``, which must exit 0; its output."""
    result = invoke("run", campaign, "--yes", *options)
    assert result.exit_code == 0, result.output
    return result.output


def read_results(campaign: Path) -> list[dict[str, Any]]:
    """The rows of the results sheet written beside ``campaign`` (CSV or XLSX)."""
    results = campaign.with_name(campaign.stem + ".results" + campaign.suffix)
    if results.suffix == ".csv":
        with results.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    sheet = load_workbook(results).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def run_twice(
    campaign: Path, server: SandboxServer, *options: str, shown: list[str] | None = None
) -> list[dict[str, Any]]:
    first = run_ok(campaign, *options)
    if shown is not None:
        shown.append(first)
    posts = server.stats()["posts_total"]
    run_ok(campaign, *options)
    assert server.stats()["posts_total"] == posts  # nothing doubled
    assert set(server.stats()["posts_by_external_id"].values()) == {1}
    return read_results(campaign)


def test_a_tiktok_drafts_slideshow_campaign_runs_once(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    header = [
        *BASE,
        "TikTok privacy",
        "TikTok post mode",
        "TikTok title",
        "TikTok disable comments",
    ]
    rows = [
        [
            f"Look {n}",
            SLIDES,
            f"{TIKTOK}, {seed.BYO_TIKTOK_LOOKS_ID}",
            when(n),
            "Only me",
            "Drafts",
            f"Look {n}",
            "✓",
        ]
        for n in range(3)
    ]
    results = run_twice(write(tmp_path / "drafts.csv", header, rows), api_env)
    assert [r["result"] for r in results] == ["created"] * 3
    assert api_env.stats()["posts_total"] == 3


def test_the_sandbox_refuses_a_sixth_draft_in_a_day_as_tiktok_does(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = [
        [f"Draft {n}", SLIDES, TIKTOK, f"2036-03-02T{8 + n:02d}:00:00Z", "Drafts"] for n in range(6)
    ]
    campaign = write(tmp_path / "many.csv", [*BASE, "TikTok post mode"], rows)
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 1  # the warning did not stop the run; TikTok's refusal is a row
    results = read_results(campaign)
    # The rows are sent 4 at a time: whichever reaches the sandbox 6th is the one refused.
    refused = [r for r in results if r["result"] != "created"]
    assert len(refused) == 1 and refused[0]["error_code"] == "spam_risk_too_many_pending_share"
    assert api_env.stats()["posts_total"] == 5
    assert "tiktok-drafts-too-many" in results[5]["warnings"]  # the validator said so first


def test_a_pinterest_campaign_with_boards_and_links_runs_once(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    header = [*BASE, "Pin board", "Pin title", "Pin link", "Pin tags"]
    rows = [
        [
            f"Pin {n}",
            SLIDES if n % 2 else VIDEO,
            PINS,
            when(n),
            f"board-{n}",
            f"Spring {n}",
            f"https://shop.example.com/p/{n}",
            "spring, style",
        ]
        for n in range(3)
    ]
    results = run_twice(write(tmp_path / "pins.xlsx", header, rows), api_env)
    assert [r["result"] for r in results] == ["created"] * 3
    assert api_env.stats()["posts_total"] == 3


def test_a_slots_campaign_runs_once_and_records_its_times(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = [[f"Queued {n}", VIDEO, TIKTOK, None] for n in range(4)]
    campaign = write(tmp_path / "queue.csv", BASE, rows)
    shown: list[str] = []
    results = run_twice(campaign, api_env, *SLOTS, shown=shown)
    assert "4 post(s) placed in posting slots (--slots):" in shown[0]
    assert "    row 5: Tue 2036-03-04 18:00 CET" in shown[0]  # the plan, in --timezone
    assert [r["scheduled_at_utc"] for r in results] == [
        "2036-03-03T08:00:00Z",
        "2036-03-03T17:00:00Z",
        "2036-03-04T08:00:00Z",
        "2036-03-04T17:00:00Z",
    ]
    assert api_env.stats()["posts_total"] == 4
    # The results sheet keeps the user's blank cells: the times are in scheduled_at_utc.
    assert {r["scheduled_at"] for r in results} == {""}


def test_a_slots_campaign_without_start_keeps_its_start_for_re_runs(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = [[f"Queued {n}", VIDEO, TIKTOK, None] for n in range(3)]
    campaign = write(tmp_path / "queue.csv", BASE, rows)
    results = run_twice(campaign, api_env, "--slots", "daily 10:00", "--timezone", "UTC")
    assert [r["result"] for r in results] == ["created"] * 3
    assert all(r["scheduled_at_utc"].endswith("T10:00:00Z") for r in results)
    # validate, later and without the options, plans the same bodies from the journal.
    again = invoke("validate", campaign, "--offline")
    assert "options reused from an earlier run" in again.output
    assert api_env.stats()["posts_total"] == 3
    # So does run, with a row added: it alone is sent, in the remembered zone's next slot.
    write(campaign, BASE, [*rows, ["Queued 3", VIDEO, TIKTOK, None]])
    third = run_ok(campaign)
    assert "3 row(s) already done in an earlier run: skipped" in third
    assert "1 post(s) placed in posting slots (--slots):" in third
    assert "10:00 UTC" in third.split("placed in posting slots", 1)[1]
    assert api_env.stats()["posts_total"] == 4


# --- the sandbox's own rules agree with the validator's ----------------------------------

SETTINGS_CODES = {
    "tiktok-settings-not-tiktok",
    "tiktok-pinterest-both",
    "tiktok-drafts-not-slideshow",
    "pinterest-no-account",
}
BLOCKS: dict[str, dict[str, Any]] = {
    "none": {},
    "tiktok": {"tiktok.privacy_level": "Public"},
    "drafts": {"tiktok.post_mode": "Drafts"},
    "pinterest": {"pinterest.board_id": "b1"},
    "both": {"tiktok.privacy_level": "Public", "pinterest.board_id": "b1"},
}
TARGETS = {
    "byo tiktok": [TIKTOK],
    "hosted tiktok": [seed.HOSTED_TIKTOK_ID],
    "tiktok and instagram": [TIKTOK, seed.BYO_INSTAGRAM_ID],
    "pinterest": [PINS],
    "tiktok and pinterest": [TIKTOK, PINS],
}


@pytest.mark.parametrize("media", ["video", "slideshow"])
@pytest.mark.parametrize("targets", list(TARGETS))
@pytest.mark.parametrize("block", list(BLOCKS))
def test_the_sandbox_refuses_exactly_what_the_validator_reports(
    block: str, targets: str, media: str
) -> None:
    from bulk_scheduler.api.contract import Account
    from bulk_scheduler.checks.accounts import AccountDirectory
    from bulk_scheduler.checks.planner import PlanOptions
    from bulk_scheduler.checks.rules import plan_and_validate
    from bulk_scheduler.checks.settings import read_settings
    from bulk_scheduler.sandbox.platform_settings import settings_problem
    from tests.rows import make_row

    accounts = [a for a in seed.SEED_ACCOUNTS if a["id"] in TARGETS[targets]]
    urls = SLIDES if media == "slideshow" else VIDEO
    row = make_row(2, media_urls=urls, accounts=", ".join(TARGETS[targets]), **BLOCKS[block])
    directory = AccountDirectory([Account.model_validate(a) for a in seed.SEED_ACCOUNTS])
    (plan,) = plan_and_validate([row], PlanOptions(timezone="UTC"), directory)
    client = {issue.code for issue in plan.issues} & SETTINGS_CODES

    columns = list(BLOCKS[block])
    settings = read_settings(row, columns, [row.values[c] for c in columns], media, [])
    body: dict[str, Any] = {
        "caption": "x",
        "media": {"type": "video", "url": VIDEO}
        if media == "video"
        else {"type": "slideshow", "urls": SLIDES.split("|")},
        "accounts": [{"id": a["id"]} for a in accounts],
        **(settings.body_parts() if settings else {}),
    }
    assert bool(client) == (settings_problem(body, accounts) is not None), (client, body)


def test_a_row_added_above_never_moves_the_rows_already_sent(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = [[f"Queued {n}", VIDEO, TIKTOK, None] for n in range(3)]
    campaign = write(tmp_path / "queue.csv", BASE, rows)
    run_ok(campaign, *SLOTS)
    before = {r["caption"]: r["scheduled_at_utc"] for r in read_results(campaign)}

    # The planner adds a post at the top, and one in the middle, and runs the sheet again.
    rows = [["New first", VIDEO, TIKTOK, None], *rows[:2], ["New middle", VIDEO, TIKTOK, None]]
    write(campaign, BASE, [*rows, [f"Queued {2}", VIDEO, TIKTOK, None]])
    run_ok(campaign, *SLOTS)
    after = {r["caption"]: r["scheduled_at_utc"] for r in read_results(campaign)}

    assert {caption: after[caption] for caption in before} == before  # kept their slots
    assert api_env.stats()["posts_total"] == 5  # 3, then the 2 new ones: nothing doubled
    new = {after["New first"], after["New middle"]}
    assert len(new) == 2 and not new & set(before.values())  # the next free slots


# --- whatever cells hold, a body the validator passes, the official schema passes ---------

_WORDS = st.sampled_from(
    [
        "",
        " ",
        "yes",
        "No",
        "TRUE",
        "✓",
        "0",
        "1",
        "Public",
        "only me",
        "Drafts",
        "direct",
        "1500",
        "-1",
        "2.5",
        "https://shop.example.com/a",
        "shop.example.com",
        "a, b, ,c",
        "  padded  ",
        "#tag, other tag",
        "x" * 90,
        "x" * 91,
        "y" * 101,
        "z" * 2200,
    ]
)
# Mostly what people write (so that many bodies carry settings), sometimes anything.
_CELLS = st.one_of(
    st.none(), _WORDS, _WORDS, _WORDS, st.text(max_size=40), st.integers(-5, 10**12), st.booleans()
)
_SETTING_COLUMNS = [
    "tiktok.privacy_level",
    "tiktok.post_mode",
    "tiktok.title",
    "tiktok.description",
    "tiktok.disable_comment",
    "tiktok.user_consent",
    "tiktok.video_cover_timestamp_ms",
    "pinterest.board_id",
    "pinterest.title",
    "pinterest.link",
    "pinterest.tags",
    "settings.youtube.title",
    "settings.youtube.privacy",
    "settings.threads.title",
]


@st.composite
def _settings_row(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    """A row's settings cells, mostly for the platform its accounts are on."""
    platform = draw(st.sampled_from(["tiktok.", "pinterest.", "settings.", ""]))
    accounts = {
        "tiktok.": TIKTOK,
        "pinterest.": PINS,
        "settings.": seed.BYO_YOUTUBE_ID,
        "": draw(st.sampled_from([TIKTOK, PINS, f"{TIKTOK}, {PINS}"])),
    }[platform]
    columns = [c for c in _SETTING_COLUMNS if c.startswith(platform)]
    cells = draw(st.dictionaries(st.sampled_from(columns), _CELLS, max_size=5))
    return cells, accounts, draw(st.sampled_from([VIDEO, SLIDES]))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(_settings_row(), min_size=8, max_size=8))
def test_every_body_the_validator_passes_passes_the_official_schema(
    official_schema: OfficialSchema, rows: list[tuple[dict[str, Any], str, str]]
) -> None:
    from bulk_scheduler.api.contract import Account
    from bulk_scheduler.checks.accounts import AccountDirectory
    from bulk_scheduler.checks.planner import PlanOptions
    from bulk_scheduler.checks.rules import plan_and_validate
    from tests.rows import make_row

    directory = AccountDirectory([Account.model_validate(a) for a in seed.SEED_ACCOUNTS])
    made = [
        make_row(2 + n, caption=f"Post {n}", media_urls=urls, accounts=accounts, **cells)
        for n, (cells, accounts, urls) in enumerate(rows)
    ]
    planned = plan_and_validate(made, PlanOptions(timezone="UTC"), directory)
    bodies = [p.payload for p in planned if p.has_body and not p.has_errors]
    if bodies:
        assert_bodies_pass(official_schema, bodies)


@pytest.mark.parametrize(
    ("hours", "refused"),
    [
        ([-1, -2, -3, -4, -5], True),  # 5 in the 24 hours before
        ([1, 2, 3, 4, 5], True),  # 5 in the 24 hours after
        ([-20, -20, -20, 20, 20], False),  # 5 within a day either side, never 6 in one day
        ([-12, -11, 2, 3, 11], True),  # from -12 h: 6 in 24 hours, this one among them
        ([-25, 2, 3, 4, 25], False),
    ],
)
def test_the_sandbox_and_the_validator_count_a_days_drafts_alike(
    hours: list[int], refused: bool
) -> None:
    from datetime import UTC, datetime, timedelta

    from bulk_scheduler.api.contract import Account
    from bulk_scheduler.checks.accounts import AccountDirectory
    from bulk_scheduler.checks.planner import PlanOptions
    from bulk_scheduler.checks.rules import plan_and_validate
    from bulk_scheduler.sandbox.platform_settings import drafts_problem
    from tests.rows import make_row

    at = datetime(2036, 3, 10, 12, tzinfo=UTC)
    body = {"tiktok": {"post_mode": "MEDIA_UPLOAD"}}
    account = next(a for a in seed.SEED_ACCOUNTS if a["id"] == TIKTOK)
    stored = [(body, at + timedelta(hours=h), [TIKTOK]) for h in hours]
    assert (drafts_problem(body, at, [account], stored) is not None) is refused

    moments = [at + timedelta(hours=h) for h in hours] + [at]  # the new one last
    rows = [
        make_row(
            2 + n,
            caption=f"Draft {n}",
            media_urls=SLIDES,
            accounts=TIKTOK,
            scheduled_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **{"tiktok.post_mode": "Drafts"},
        )
        for n, moment in enumerate(moments)
    ]
    directory = AccountDirectory([Account.model_validate(a) for a in seed.SEED_ACCOUNTS])
    planned = plan_and_validate(rows, PlanOptions(timezone="UTC"), directory)
    warned = any(i.code == "tiktok-drafts-too-many" for p in planned for i in p.issues)
    assert warned is refused
