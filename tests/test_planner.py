"""The planner: what body each kind of row becomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bulk_scheduler.api.contract import Account, PostCreateBody
from bulk_scheduler.campaign import CellValue
from bulk_scheduler.checks.accounts import AccountDirectory, parse_account_token, read_accounts
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions, normalize_caption, plan_row
from bulk_scheduler.checks.rules import plan_and_validate
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_TIKTOK_ID,
    BYO_YOUTUBE_ID,
    HOSTED_TIKTOK_ID,
    SEED_ACCOUNTS,
)
from tests.official_schema import OfficialSchema, assert_bodies_pass
from tests.rows import VIDEO, make_row

NOW = datetime(2030, 6, 1, tzinfo=UTC)
OPTIONS = PlanOptions(timezone="Europe/Paris", now=NOW)


def seed_directory(include_inactive: bool = False) -> AccountDirectory:
    return AccountDirectory(
        Account.model_validate(seed)
        for seed in SEED_ACCOUNTS
        if include_inactive or seed["status"] == "active"
    )


def plan(options: PlanOptions = OPTIONS, directory: AccountDirectory | None = None, **values):
    return plan_row(make_row(**values), options, directory)


def payload(**values: CellValue) -> dict:
    planned = plan(**values)
    assert planned.payload is not None, planned.issues
    return planned.payload


def codes(planned: PlannedRow) -> list[str]:
    return [issue.code for issue in planned.issues]


# --- the body ----------------------------------------------------------------------------


def test_a_video_row_becomes_the_exact_body() -> None:
    assert payload(external_id="launch-01") == {
        "caption": "Holiday drops start Monday!",
        "media": {"type": "video", "url": VIDEO},
        "accounts": [{"id": HOSTED_TIKTOK_ID}],
        "scheduled_at": "2031-03-01T08:00:00Z",
        "external_id": "launch-01",
    }


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"media_urls": "https://x.example/a.jpg|https://x.example/b.png", "scheduled_at": None},
        {"media_urls": None, "music_url": "https://www.tiktok.com/@genviral/video/1"},
    ],
)
def test_the_body_model_matches_the_payload_key_for_key(values: dict) -> None:
    planned = plan(**values)
    built_without_the_model = planned.payload
    assert built_without_the_model is not None
    assert isinstance(planned.body, PostCreateBody)
    assert list(planned.body.to_json().items()) == list(built_without_the_model.items())


def test_setting_the_body_to_none_makes_the_row_unsendable() -> None:
    planned = plan()
    planned.body = None
    assert planned.body is None and planned.payload is None and not planned.has_body


def test_publish_at_is_aware_utc() -> None:
    assert plan().publish_at == datetime(2031, 3, 1, 8, 0, tzinfo=UTC)


def test_bodies_pass_the_official_schema(official_schema: OfficialSchema) -> None:
    rows = [
        make_row(),
        make_row(media_urls="https://cdn.example.com/a.jpg|https://cdn.example.com/b.png"),
        make_row(media_urls=None, media_type="text", scheduled_at=None),
        make_row(
            media_urls="https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing",
            media_type="video",
            music_url="https://www.tiktok.com/@genviral/video/1234567890",
            accounts=f"{HOSTED_TIKTOK_ID.upper()}; {BYO_TIKTOK_ID}",
            scheduled_at="2031-03-01T09:00:00+05:30",
            external_id="x" * 128,
        ),
        make_row(caption="🎉" * 200, scheduled_at=datetime(2031, 12, 31, 23, 59, 59)),
    ]
    bodies = [plan_row(row, OPTIONS).payload for row in rows]
    assert None not in bodies
    assert_bodies_pass(official_schema, bodies)


def test_plan_row_alone_reads_cells_but_leaves_the_rules_to_the_validator() -> None:
    planned = plan(caption="x" * 600)
    assert planned.issues == [] and planned.has_body
    [validated] = plan_and_validate([make_row(caption="x" * 600)], OPTIONS)
    assert validated.has_errors and not validated.has_body


# --- caption -------------------------------------------------------------------------------


def test_caption_line_breaks_become_new_lines() -> None:
    assert normalize_caption("one\r\ntwo\rthree") == "one\ntwo\nthree"


def test_caption_blank_lines_around_the_text_are_dropped() -> None:
    assert normalize_caption("\n  \nHello\n\n  world  \n \n") == "Hello\n\n  world  "


def test_caption_is_otherwise_kept_as_written() -> None:
    assert normalize_caption("  indented #tag  ") == "  indented #tag  "


def test_a_number_caption_becomes_its_text() -> None:
    assert payload(caption=2031)["caption"] == "2031"
    assert payload(caption=12.0)["caption"] == "12"


# --- media ---------------------------------------------------------------------------------


def test_media_urls_split_on_new_lines_and_bars_but_not_commas() -> None:
    cell = "https://x.example/a.jpg\n\n | https://x.example/b,c.jpg\r\nhttps://x.example/d.png |"
    assert payload(media_urls=cell)["media"] == {
        "type": "slideshow",
        "urls": ["https://x.example/a.jpg", "https://x.example/b,c.jpg", "https://x.example/d.png"],
    }


@pytest.mark.parametrize(
    "share_link",
    [
        "https://drive.google.com/file/d/1AbC_d-9/view?usp=sharing",
        "https://drive.google.com/open?id=1AbC_d-9",
        "https://drive.google.com/u/0/file/d/1AbC_d-9/edit",
    ],
)
def test_drive_share_links_become_direct_downloads(share_link: str) -> None:
    media = payload(media_urls=share_link, media_type="video")["media"]
    assert media == {
        "type": "video",
        "url": "https://drive.google.com/uc?export=download&id=1AbC_d-9",
    }


def test_drive_links_keep_their_resource_key() -> None:
    link = "https://drive.google.com/file/d/1AbC/view?usp=sharing&resourcekey=0-xyz"
    assert payload(media_urls=link, media_type="video")["media"]["url"] == (
        "https://drive.google.com/uc?export=download&id=1AbC&resourcekey=0-xyz"
    )


def test_a_drive_link_without_media_type_asks_for_it() -> None:
    planned = plan(media_urls="https://drive.google.com/open?id=1AbC")
    assert codes(planned) == ["media-type-unknown"]
    assert planned.issues[0].cell == "C2"
    assert not planned.has_body


def test_one_video_url_is_inferred_as_a_video() -> None:
    assert payload(media_urls="https://x.example/clip.MOV?sig=1")["media"]["type"] == "video"


def test_image_urls_are_inferred_as_a_slideshow_in_order() -> None:
    urls = [f"https://x.example/{n}.jpeg" for n in (3, 1, 2)]
    assert payload(media_urls="|".join(urls))["media"] == {"type": "slideshow", "urls": urls}


def test_no_urls_and_no_media_type_is_a_text_post_without_media() -> None:
    assert "media" not in payload(media_urls=None)


@pytest.mark.parametrize(
    ("written", "media_type"),
    [("Video", "video"), ("REEL", "video"), ("short", "video"), ("Carousel", "slideshow")],
)
def test_media_type_aliases(written: str, media_type: str) -> None:
    urls = VIDEO if media_type == "video" else "https://x.example/a.png"
    assert payload(media_type=written, media_urls=urls)["media"]["type"] == media_type


@pytest.mark.parametrize("written", ["images", "photo", "Photos", "slide show"])
def test_image_aliases_mean_slideshow(written: str) -> None:
    assert plan(media_type=written, media_urls="https://x.example/a.png").media_type == "slideshow"


def test_music_url_goes_into_the_body() -> None:
    music = "https://www.tiktok.com/@genviral/video/1234567890"
    assert payload(music_url=f" {music} ")["music_url"] == music


# --- accounts ------------------------------------------------------------------------------


def test_accounts_split_on_commas_semicolons_and_new_lines() -> None:
    cell = f"{HOSTED_TIKTOK_ID}, {BYO_TIKTOK_ID};\n{BYO_INSTAGRAM_ID}"
    assert payload(accounts=cell)["accounts"] == [
        {"id": HOSTED_TIKTOK_ID},
        {"id": BYO_TIKTOK_ID},
        {"id": BYO_INSTAGRAM_ID},
    ]


def test_account_ids_are_sent_in_lower_case() -> None:
    assert payload(accounts=HOSTED_TIKTOK_ID.upper())["accounts"] == [{"id": HOSTED_TIKTOK_ID}]


def test_default_accounts_fill_a_blank_cell() -> None:
    options = PlanOptions(timezone="Europe/Paris", default_accounts=(BYO_TIKTOK_ID,), now=NOW)
    planned = plan(options, accounts=None)
    assert planned.account_ids == (BYO_TIKTOK_ID,)


def test_default_accounts_do_not_override_the_cell() -> None:
    options = PlanOptions(timezone="Europe/Paris", default_accounts=(BYO_TIKTOK_ID,), now=NOW)
    assert plan(options).account_ids == (HOSTED_TIKTOK_ID,)


def test_usernames_resolve_through_the_directory() -> None:
    planned = plan(
        directory=seed_directory(),
        accounts="@GENVIRAL_hosted, tiktok:genviral, instagram:@genviral.ig",
    )
    assert planned.account_ids == (HOSTED_TIKTOK_ID, BYO_TIKTOK_ID, BYO_INSTAGRAM_ID)
    assert planned.platforms == ("tiktok", "instagram")


def test_an_id_and_the_username_of_the_same_account_count_once() -> None:
    planned = plan(directory=seed_directory(), accounts=f"{BYO_TIKTOK_ID}, @genviral")
    assert planned.account_ids == (BYO_TIKTOK_ID,)
    assert codes(planned) == ["account-duplicate"]


def test_offline_a_username_row_is_not_built() -> None:
    planned = plan(accounts="@genviral")
    assert codes(planned) == ["account-unresolved-offline"]
    assert not planned.has_errors
    assert planned.body is None


def test_platform_username_tokens_tell_the_platform_offline() -> None:
    assert plan(accounts="Instagram:@genviral.ig").platforms == ("instagram",)


def test_account_tokens_are_classified() -> None:
    assert parse_account_token(HOSTED_TIKTOK_ID.upper()).kind == "id"
    assert parse_account_token("@genviral").kind == "username"
    assert parse_account_token("tiktok:genviral").kind == "platform_username"
    assert parse_account_token("tiktok:@genviral").key == "tiktok:genviral"
    assert parse_account_token("genviral").kind == "bare"
    assert parse_account_token("https://www.tiktok.com/@Genviral").key == "tiktok:genviral"
    assert parse_account_token("x.com/genviral").key == "x:genviral"
    assert parse_account_token("twitter:genviral").key == "x:genviral"
    assert parse_account_token("linkedin.com/company/genviral/").key == "linkedin:genviral"
    assert parse_account_token("gen viral").kind == "malformed"
    assert parse_account_token("884").kind == "malformed"
    assert parse_account_token("0f4f54d4-8cce-4fb7-8c7b").kind == "malformed"


def test_a_username_on_several_platforms_resolves_to_all_candidates() -> None:
    directory = AccountDirectory(
        [
            Account(id=HOSTED_TIKTOK_ID, platform="tiktok", username="brand"),
            Account(id=BYO_INSTAGRAM_ID, platform="instagram", username="Brand"),
        ]
    )
    candidates = directory.resolve("@brand")
    assert isinstance(candidates, list) and len(candidates) == 2
    assert read_accounts("@brand", directory).problems[0][1] == "account-ambiguous"


def test_the_directory_finds_ids_in_any_case() -> None:
    directory = seed_directory()
    found = directory.get(BYO_YOUTUBE_ID.upper())
    assert found is not None and found.username == "GenviralShorts"


# --- scheduled_at ----------------------------------------------------------------------


def test_the_timezone_cell_wins_over_the_option() -> None:
    planned = plan(timezone="America/New_York")
    assert planned.scheduled_at == "2031-03-01T14:00:00Z"


def test_an_offset_wins_over_every_zone() -> None:
    planned = plan(timezone="America/New_York", scheduled_at="2031-03-01T09:00:00Z")
    assert planned.scheduled_at == "2031-03-01T09:00:00Z"


def test_blank_scheduled_at_means_publish_now() -> None:
    planned = plan(scheduled_at=None)
    assert planned.publish_at is None
    assert planned.payload is not None and "scheduled_at" not in planned.payload


def test_date_format_option_reads_day_first() -> None:
    options = PlanOptions(timezone="UTC", date_format="dmy", now=NOW)
    assert plan(options, scheduled_at="01/03/2031 09:00").scheduled_at == "2031-03-01T09:00:00Z"


def test_date_format_option_reads_month_first() -> None:
    options = PlanOptions(timezone="UTC", date_format="mdy", now=NOW)
    assert plan(options, scheduled_at="01/03/2031 09:00").scheduled_at == "2031-01-03T09:00:00Z"


@pytest.mark.parametrize(
    ("zone", "written", "code"),
    [
        ("Europe/Paris", "2031-03-30 02:30", "scheduled-at-nonexistent"),
        ("Europe/Paris", "2031-10-26 02:30", "scheduled-at-ambiguous-dst"),
        ("America/New_York", "2031-03-09 02:30", "scheduled-at-nonexistent"),
        ("America/New_York", "2031-11-02 01:30", "scheduled-at-ambiguous-dst"),
    ],
)
def test_dst_gaps_and_overlaps_are_errors(zone: str, written: str, code: str) -> None:
    planned = plan(timezone=zone, scheduled_at=written)
    assert codes(planned) == [code]
    assert planned.issues[0].cell == "G2"
    assert not planned.has_body
    assert planned.publish_at is None and planned.scheduled_at is None


def test_an_unknown_timezone_option_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        plan(PlanOptions(timezone="Mars/Olympus"))


# --- external_id -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"), [(" run-884 ", "run-884"), (884, "884"), (884.0, "884")]
)
def test_a_written_external_id_is_its_text(cell: CellValue, expected: str) -> None:
    planned = plan(external_id=cell)
    assert planned.external_id == expected and not planned.external_id_generated


def test_a_generated_external_id_is_short_and_marked() -> None:
    planned = plan()
    assert planned.external_id_generated
    assert planned.external_id.startswith("bs-") and len(planned.external_id) == 27


def test_generated_external_ids_survive_reordering_and_re_runs() -> None:
    first = make_row(2, caption="first")
    second = make_row(3, caption="second")
    ids = [p.external_id for p in plan_and_validate([first, second], OPTIONS)]
    moved = [make_row(7, caption="second"), make_row(9, caption="first")]
    again = [p.external_id for p in plan_and_validate(moved, OPTIONS)]
    assert again == ids[::-1]


def test_identical_rows_get_the_same_generated_external_id() -> None:
    assert plan_row(make_row(2), OPTIONS).external_id == plan_row(make_row(40), OPTIONS).external_id


@pytest.mark.parametrize(
    "change",
    [
        {"caption": "Holiday drops start Tuesday!"},
        {"media_urls": "https://cdn.example.com/other.mp4"},
        {"accounts": BYO_TIKTOK_ID},
        {"scheduled_at": "2031-03-01 09:01"},
        {"music_url": "https://www.tiktok.com/@genviral/video/1"},
    ],
)
def test_a_generated_external_id_changes_with_what_is_sent(change: dict) -> None:
    assert plan(**change).external_id != plan().external_id


def test_a_generated_external_id_follows_the_instant_not_the_spelling() -> None:
    assert plan(scheduled_at="2031-03-01T08:00:00Z").external_id == plan().external_id


# --- example ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    ["yes", "YES", " Yes ", "y", "Y", "true", "TRUE", "1", "x", "X", "✓", "✔", True, 1, 1.0],
)
def test_a_marked_example_row_is_an_error_on_its_example_cell(marker: CellValue) -> None:
    planned = plan(example=marker)

    assert [(i.code, i.severity, i.cell, i.column) for i in planned.issues] == [
        ("example-row", "error", "I2", "example")
    ]
    assert planned.issues[0].message == "example row: delete it or clear the `example` marker"
    assert planned.payload is None


@pytest.mark.parametrize(
    "marker", [None, "", "  ", "no", "No", "n", "false", "FALSE", "0", 0, False]
)
def test_an_unmarked_row_is_planned_as_usual(marker: CellValue) -> None:
    planned = plan(example=marker)

    assert planned.issues == []
    assert planned.payload is not None


def test_an_example_cell_that_says_neither_yes_nor_no_is_not_guessed() -> None:
    planned = plan(example="maybe")

    assert codes(planned) == ["example-row"]
    assert planned.issues[0].message == (
        "example is 'maybe', which is neither yes nor no: write yes to keep this example row "
        "from being sent, or clear the cell to send it"
    )
    assert planned.payload is None


def test_the_example_error_comes_first_and_the_row_is_still_checked() -> None:
    planned = plan(example="yes", media_type="gif")

    assert codes(planned) == ["example-row", "media-type-invalid"]


# --- capabilities (online) ------------------------------------------------------------------


def _caption_issues(accounts: str, caption: str) -> list[str]:
    row = make_row(caption=caption, accounts=accounts)
    [planned] = plan_and_validate([row], OPTIONS, seed_directory())
    return [issue.message for issue in planned.issues if issue.code == "caption-too-long"]


def test_a_hosted_account_limits_the_caption_to_its_capability() -> None:
    [message] = _caption_issues(HOSTED_TIKTOK_ID, "x" * 612)
    assert message == (
        "caption is 612 characters; the limit is 500 for @genviral_hosted (hosted TikTok)"
    )


def test_a_byo_tiktok_account_allows_a_longer_caption() -> None:
    assert _caption_issues(BYO_TIKTOK_ID, "x" * 2200) == []


def test_the_strictest_account_sets_the_caption_limit() -> None:
    [message] = _caption_issues(f"{BYO_TIKTOK_ID}, {HOSTED_TIKTOK_ID}", "x" * 600)
    assert "limit is 500" in message


def test_youtube_counts_its_caption_limit_in_bytes() -> None:
    [message] = _caption_issues(BYO_YOUTUBE_ID, "é" * 2600)  # 2,600 characters, 5,200 bytes
    assert "5,200 bytes" in message and "5,000" in message


def test_emoji_count_as_two_characters() -> None:
    [message] = _caption_issues(HOSTED_TIKTOK_ID, "🎉" * 251)
    assert message.startswith("caption is 502 characters as the API counts them")
