"""The calendar page (``bulk-scheduler calendar``, ``validate --report OUT.html``).

The page is opened in a real headless browser (the system's chromium, through Selenium:
``tests/browser.py``) and checked as a planner would read it: one card per row, filters,
issue messages, the marks, statuses after a launch against the sandbox, and captions that
try to run scripts. A screenshot of the sample campaign's page is saved as a test artifact
(``$BULK_SCHEDULER_ARTIFACTS``, else ``tmp/artifacts`` in the repository).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_scheduler.api.contract import Account
from bulk_scheduler.cli.commands import cli
from bulk_scheduler.launch.calendar import (
    AccountLabel,
    Card,
    PostRecord,
    PublishedLink,
    build_calendar,
    journal_records,
    mark_close_posts,
    mark_holes,
    page_zone,
    parse_duration,
    platform_of,
    sheet_links,
    weeks_of,
)
from bulk_scheduler.launch.calendar_page import default_calendar_path, write_page
from bulk_scheduler.launch.dry_run import validate_campaign
from bulk_scheduler.launch.journal import Journal, default_journal_path, read_entries
from bulk_scheduler.launch.lifecycle_journal import read_post_states
from bulk_scheduler.sandbox.server import SandboxServer
from tests.browser import browser_missing, chromium
from tests.calendar_sample import (
    BAD_TIME,
    HOLE_DAY,
    START,
    ZONE,
    Sample,
    calendar_command,
    launch,
    screenshot,
    served_sample,
)
from tests.test_lifecycle import DAY
from tests.test_lifecycle import campaign as lifecycle_campaign
from tests.test_lifecycle import cli as command

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("BULK_SCHEDULER_ARTIFACTS", ROOT / "tmp" / "artifacts"))
MISSING = browser_missing()
# CI installs chromium (.ci/run): there a missing browser fails the tests, never skips them.
needs_browser = pytest.mark.skipif(
    MISSING is not None and not os.environ.get("CI"), reason=MISSING or ""
)


def invoke(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.stdout, result.stderr


@dataclass(frozen=True)
class Launched:
    sample: Sample
    page: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    """The sample campaign run against a sandbox (its valid rows scheduled), and its
    calendar page written by the CLI, online."""
    folder = tmp_path_factory.mktemp("calendar")
    with SandboxServer() as sandbox, served_sample(folder) as (sample, _media):
        launch(sample, sandbox)
        env = sandbox.client_env
        page = folder / "june.calendar.html"
        code, out, err = invoke(calendar_command(sample, page), env)
        assert code == 0, out + err
        assert out.startswith(f"Wrote {page}: {sample.rows} posts"), out
        yield Launched(sample, page, env)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if MISSING is not None:
        pytest.fail(MISSING)
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(browser: WebDriver, launched: Launched) -> WebDriver:
    """The sample's page, freshly loaded."""
    browser.get(launched.page.resolve().as_uri())
    return browser


def cards(driver: WebDriver, *, shown: bool | None = None) -> list[WebElement]:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, ".card")
    if shown is None:
        return found
    return [card for card in found if card.is_displayed() == shown]


def card(driver: WebDriver, row: int) -> WebElement:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'.card[data-row="{row}"]')


def choose(driver: WebDriver, select_id: str, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_visible_text(text)


# -- in the browser ------------------------------------------------------------------------


@needs_browser
def test_one_card_per_row_and_the_lanes(page: WebDriver, launched: Launched) -> None:
    from selenium.webdriver.common.by import By

    sample = launched.sample
    found = cards(page)
    assert len(found) == sample.rows
    assert sorted(int(c.get_attribute("data-row")) for c in found) == list(
        range(2, sample.rows + 2)
    )
    immediate = page.find_element(By.ID, "lane-immediate")
    assert immediate.find_element(By.CSS_SELECTOR, ".card").get_attribute("data-row") == str(
        sample.immediate_row
    )
    unreadable = page.find_element(By.ID, "lane-unreadable")
    lost = unreadable.find_element(By.CSS_SELECTOR, ".card")
    assert lost.get_attribute("data-row") == str(sample.unreadable_row)
    assert BAD_TIME in lost.text
    assert page.find_element(By.ID, "shown").text == f"{sample.rows} of {sample.rows} posts"


@needs_browser
def test_an_account_filter_hides_the_other_accounts_cards(page: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    choose(page, "f-account", "@genviral_looks · TikTok")
    shown, hidden = cards(page, shown=True), cards(page, shown=False)
    assert shown and hidden
    assert all("@genviral_looks · TikTok" in c.text for c in shown)
    for element in hidden:
        accounts = page.execute_script("return arguments[0].textContent", element)
        assert "@genviral_looks" not in accounts
    assert page.find_element(By.ID, "shown").text == f"{len(shown)} of {len(shown + hidden)} posts"
    # The day counts follow: a weekday of the first week holds one of its posts of two or three.
    monday = page.find_element(By.CSS_SELECTOR, f'.day[data-day="{START}"] .n')
    assert monday.text == "1/3"
    choose(page, "f-account", "all")
    assert len(cards(page, shown=True)) == len(shown + hidden)
    assert monday.text == "3"


@needs_browser
def test_platform_and_status_filters(page: WebDriver, launched: Launched) -> None:
    choose(page, "f-platform", "youtube")
    shown = cards(page, shown=True)
    assert shown and all("YouTube" in c.text for c in shown)
    choose(page, "f-platform", "all")
    choose(page, "f-status", "invalid")
    assert sorted(int(c.get_attribute("data-row")) for c in cards(page, shown=True)) == sorted(
        [launched.sample.error_row, launched.sample.unreadable_row]
    )
    choose(page, "f-status", "scheduled")
    assert all("scheduled" in c.text for c in cards(page, shown=True))


@needs_browser
def test_an_error_row_shows_its_message(page: WebDriver, launched: Launched) -> None:
    from selenium.webdriver.common.by import By

    element = card(page, launched.sample.error_row)
    assert "invalid" in element.text
    summary = element.find_element(By.CSS_SELECTOR, "details.iss summary")
    message = "media_type 'podcast' is not one this tool knows"
    assert message in summary.get_attribute("title")  # on hover
    item = element.find_element(By.CSS_SELECTOR, "details.iss li.e")
    assert not item.is_displayed()
    page.execute_script("arguments[0].scrollIntoView()", summary)
    summary.click()  # on click
    assert item.is_displayed()
    assert message in item.text
    assert item.value_of_css_property("color") == "rgba(207, 34, 46, 1)"  # red


@needs_browser
def test_a_script_in_a_caption_shows_as_text_and_does_not_run(
    page: WebDriver, launched: Launched
) -> None:
    assert page.title == "Calendar · june.csv"
    assert page.execute_script("return window.pwned === undefined")
    caption = card(page, launched.sample.script_row).text
    assert '<script>document.title = "pwned"; window.pwned = 1;</script>' in caption
    assert '<img src="x" onerror="window.pwned = 2">' in caption


@needs_browser
def test_the_marks_posts_too_close_and_a_day_an_account_skips(
    page: WebDriver, launched: Launched
) -> None:
    from selenium.webdriver.common.by import By

    first, then = launched.sample.close_rows
    assert "too close: 20 min before row " + str(then) + " on @genviral" in card(page, first).text
    assert "too close: 20 min after row " + str(first) + " on @genviral" in card(page, then).text
    hole_day = START + timedelta(days=HOLE_DAY)
    holes = page.find_elements(By.CSS_SELECTOR, ".hole")
    assert [(h.find_element(By.XPATH, "..").get_attribute("data-day"), h.text) for h in holes] == [
        (hole_day.isoformat(), "no post on @genviral")
    ]  # YouTube posts every other day: no gap on the days between
    choose(page, "f-issues", "too close on an account")
    assert sorted(int(c.get_attribute("data-row")) for c in cards(page, shown=True)) == [
        first,
        then,
    ]


@needs_browser
def test_after_a_launch_each_post_shows_its_status(page: WebDriver, launched: Launched) -> None:
    from selenium.webdriver.common.by import By

    scheduled = card(page, 2)
    assert "scheduled" in scheduled.text
    assert re.search(r"post [0-9a-f]{8}", scheduled.text)
    header = page.find_element(By.TAG_NAME, "header").text
    assert "statuses from june.journal.sqlite" in header


@needs_browser
def test_a_screenshot_of_the_sample_is_saved(browser: WebDriver, launched: Launched) -> None:
    png = screenshot(browser, launched.page, ARTIFACTS / "calendar.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


@needs_browser
def test_published_links_and_hostile_cells(browser: WebDriver, tmp_path: Path) -> None:
    """Per-account links show when the record has them (never a javascript: one), and a
    cell that tries to close the page's JSON block stays data."""
    from selenium.webdriver.common.by import By

    sheet = tmp_path / "hostile.csv"
    sheet.write_text(
        "caption,media_type,media_urls,accounts,scheduled_at\n"
        "Hello,video,https://cdn.example.com/a.mp4,tiktok:brand,2036-06-02T10:00:00Z\n"
        "Second,video,https://cdn.example.com/b.mp4,tiktok:brand,2036-06-02T11:00:00Z\n",
        encoding="utf-8",
    )
    report = validate_campaign(sheet)
    # An account's name comes from the API: one that tries to close the JSON block.
    hostile = "</script><script>window.pwned=3</script>"
    account = Account(
        id="0f4f54d4-8cce-4fb7-8c7b-befbcb8af899", platform="tiktok", username=hostile
    )
    report.planned[0].resolved_accounts = (account,)
    records = {
        3: PostRecord(
            "created",
            "0f4f54d4-aaaa-bbbb-cccc-000000000001",
            "partial",
            links=(
                PublishedLink("@brand", "https://www.tiktok.com/@brand/video/1", "posted"),
                PublishedLink("@evil", "javascript:window.pwned=4", "posted"),
            ),
        )
    }
    built = build_calendar(
        report.campaign,
        report.planned,
        report.file_issues,
        ZoneInfo(ZONE),
        ZONE,
        records=records,
    )
    out = write_page(built, tmp_path / "hostile.html")
    assert "\\u003c/script\\u003e" in out.read_text()  # in the JSON block, escaped
    browser.get(out.resolve().as_uri())
    assert browser.execute_script("return window.pwned === undefined")
    assert len(cards(browser)) == 2
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#f-account option")]
    assert f"@{hostile} · TikTok" in options
    assert f"@{hostile} · TikTok" in card(browser, 2).text
    links = card(browser, 3).find_elements(By.CSS_SELECTOR, ".rec a")
    assert [(a.text, a.get_attribute("href")) for a in links] == [
        ("@brand", "https://www.tiktok.com/@brand/video/1")
    ]
    assert "partial" in card(browser, 3).text


@needs_browser
def test_a_local_image_is_its_cards_thumbnail(browser: WebDriver, tmp_path: Path) -> None:
    """The sample with media on the disk: a slideshow's first image is a file there, shown
    from the disk (a ``file:`` URL the page's policy allows for images only)."""
    from selenium.webdriver.common.by import By

    sample = ROOT / "sample_campaigns" / "local_media_campaign.csv"
    page = tmp_path / "local.html"
    code, out, err = invoke(["calendar", str(sample), "--offline", "-o", str(page)])
    assert code == 0, out + err
    browser.get(page.resolve().as_uri())
    (image,) = card(browser, 3).find_elements(By.CSS_SELECTOR, "img")
    cover = ROOT / "sample_campaigns" / "media" / "cover.jpg"
    assert image.get_attribute("src") == cover.resolve().as_uri()
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("arguments[0].scrollIntoView()", image)  # lazy: loads when shown
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    WebDriverWait(browser, 10).until(lambda _: browser.execute_script(loaded, image) > 0)
    assert card(browser, 2).find_elements(By.CSS_SELECTOR, "img") == []  # a video


# -- without a browser ---------------------------------------------------------------------


def _without_stamp(html: str) -> str:
    return re.sub(r" · made [0-9-]+ [0-9:]+", "", html)


def test_validate_report_html_writes_the_same_page(tmp_path: Path) -> None:
    sample = ROOT / "sample_campaigns" / "every_mistake.xlsx"
    campaign = tmp_path / sample.name
    shutil.copy(sample, campaign)
    code, out, err = invoke(["calendar", str(campaign), "--timezone", ZONE])
    assert code == 0, out + err
    written = default_calendar_path(campaign)
    assert written == tmp_path / "every_mistake.calendar.html" and written.is_file()
    code, _out, err = invoke(
        ["validate", str(campaign), "--timezone", ZONE, "--report", str(tmp_path / "r.html")]
    )
    assert code == 1, err  # the sheet has errors: validate says so, and still writes the page
    assert _without_stamp((tmp_path / "r.html").read_text()) == _without_stamp(written.read_text())
    html = written.read_text()
    rows = len(validate_campaign(campaign).planned)
    assert html.count('<article class="card') == rows
    assert not list(tmp_path.glob("*.tmp-*"))  # written atomically


def test_view_timezone_shows_the_same_instants_elsewhere(tmp_path: Path) -> None:
    campaign = tmp_path / "plan.csv"
    campaign.write_text(
        "caption,media_urls,accounts,scheduled_at\n"
        "Hi,https://cdn.example.com/a.mp4,tiktok:brand,2036-06-02 09:00\n",
        encoding="utf-8",
    )
    out = tmp_path / "page.html"
    assert invoke(["calendar", str(campaign), "--timezone", ZONE, "-o", str(out)])[0] == 0
    assert "<time>09:00</time>" in out.read_text()
    assert "times in <b>Europe/Paris</b>" in out.read_text()
    args = ["calendar", str(campaign), "--timezone", ZONE, "-o", str(out)]
    assert invoke([*args, "--view-timezone", "America/New_York"])[0] == 0
    assert "<time>03:00</time>" in out.read_text()
    assert "times in <b>America/New_York</b>" in out.read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-gap", "soon"], "Error: --min-gap: 'soon' is not a duration"),
        (["--view-timezone", "Mars/Base"], "Error: --view-timezone: 'Mars/Base' is not"),
        (["-o", "page.txt"], "Error: --output page.txt: the calendar is written as a .html"),
        (["--journal", "nowhere.sqlite"], "Error: --journal nowhere.sqlite: no such file"),
        (["-o", "no/such/folder/p.html"], "Error: cannot write the calendar page"),
    ],
)
def test_bad_options_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    campaign = ROOT / "sample_campaigns" / "video_campaign.csv"
    code, _out, err = invoke(["calendar", str(campaign), *extra])
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not list(tmp_path.glob("*.html"))


def test_statuses_come_from_the_results_sheet_without_a_journal_and_offline(
    launched: Launched, tmp_path: Path
) -> None:
    """Offline the accounts stay as written, so a row's id can differ from the run's: the
    journal's row is matched by its cells. Without the journal, the results sheet tells."""
    folder = tmp_path / "copy"
    shutil.copytree(launched.sample.path.parent, folder, ignore=shutil.ignore_patterns("*.html"))
    campaign = folder / launched.sample.path.name
    out = folder / "offline.html"
    code, stdout, err = invoke(["calendar", str(campaign), "--offline", "-o", str(out)])
    assert code == 0, stdout + err
    assert "statuses from june.journal.sqlite" in out.read_text()
    assert re.search(r"\d+ scheduled", stdout), stdout
    assert _status_of(out, 2) == "scheduled"
    # A row edited since its post was made is not that post any more: no status of its own.
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("Daily drop #1:", "Daily drop #1 (edited):"), "utf-8")
    assert invoke(["calendar", str(campaign), "--offline", "-o", str(out)])[0] == 0
    assert _status_of(out, 2) == "ready"
    assert _status_of(out, 5) == "scheduled"
    campaign.write_text(text, encoding="utf-8")
    shutil.rmtree(folder / ".bulk_scheduler")
    code, stdout, err = invoke(
        ["calendar", str(campaign), "--offline", "--timezone", ZONE, "-o", str(out)]
    )
    assert code == 0, stdout + err
    assert "statuses from june.results.csv" in out.read_text()
    assert re.search(r"\d+ scheduled", stdout), stdout
    assert _status_of(out, 2) == "scheduled"
    campaign.write_text(text.replace("Daily drop #1:", "Daily drop #1 (edited):"), "utf-8")
    assert (
        invoke(["calendar", str(campaign), "--offline", "--timezone", ZONE, "-o", str(out)])[0] == 0
    )
    assert _status_of(out, 2) == "ready"
    assert _status_of(out, 5) == "scheduled"


def _status_of(page: Path, row: int) -> str:
    found = re.search(rf'data-s="([a-z_]+)" data-i="[a-z]*" data-row="{row}"', page.read_text())
    assert found, row
    return found.group(1)


def test_durations() -> None:
    assert parse_duration("1h") == timedelta(hours=1)
    assert parse_duration("1h30m") == parse_duration("90min") == parse_duration("90")
    assert parse_duration("0") == timedelta(0)
    for bad in ("", "h", "-1h", "1 hour"):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)


def test_a_campaign_with_no_rows_has_an_empty_page(tmp_path: Path) -> None:
    campaign = tmp_path / "empty.csv"
    campaign.write_text("caption,accounts,scheduled_at\n", encoding="utf-8")
    code, out, err = invoke(["calendar", str(campaign), "--json"])
    assert code == 0, out + err
    assert '"posts": 0' in out
    assert "The campaign has no rows." in (tmp_path / "empty.calendar.html").read_text()


def test_min_gap_zero_marks_nothing(tmp_path: Path) -> None:
    campaign = tmp_path / "close.csv"
    campaign.write_text(
        "caption,media_urls,accounts,scheduled_at\n"
        "A,https://cdn.example.com/a.mp4,tiktok:brand,2036-06-02T09:00:00Z\n"
        "B,https://cdn.example.com/b.mp4,tiktok:brand,2036-06-02T09:10:00Z\n",
        encoding="utf-8",
    )
    for gap, marked in ((None, 2), ("0", 0), ("5m", 0), ("10m", 0), ("11m", 2)):
        args = ["calendar", str(campaign), "--json"] + (["--min-gap", gap] if gap else [])
        code, out, _ = invoke(args)
        assert code == 0 and f'"closer_than_min_gap": {marked}' in out, (gap, out)


@needs_browser
def test_it_prints_on_a4_and_letter_as_a_week_grid(page: WebDriver) -> None:
    """In print the filters go, the weeks keep their seven columns, and the browser makes
    a PDF on either paper size."""
    import base64

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions

    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not page.find_element(By.ID, "filters").is_displayed()
        columns = page.execute_script(
            "return getComputedStyle(document.querySelector('.grid')).gridTemplateColumns"
        )
        assert len(columns.split()) == 7
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    for width, height in ((21.0, 29.7), (21.59, 27.94)):  # A4, Letter (cm)
        options = PrintOptions()
        options.page_width, options.page_height = width, height
        pdf = base64.b64decode(page.print_page(options))
        assert pdf.startswith(b"%PDF")


@needs_browser
def test_the_filters_are_kept_in_the_address(browser: WebDriver, launched: Launched) -> None:
    """A filtered view can be bookmarked or sent: its filters are the #fragment."""
    from selenium.webdriver.common.by import By

    uri = launched.page.resolve().as_uri()
    browser.get("about:blank")
    browser.get(uri + "#platform=youtube&show=g")
    assert browser.find_element(By.ID, "f-platform").get_attribute("value") == "youtube"
    assert cards(browser, shown=True) == []  # no YouTube post is too close to another
    choose(browser, "f-issues", "every post")
    assert browser.current_url.endswith("#platform=youtube")
    shown = cards(browser, shown=True)
    assert shown and all("YouTube" in c.text for c in shown)
    choose(browser, "f-platform", "all")
    choose(browser, "f-account", "@genviral_looks · TikTok")
    account = browser.current_url.split("#account=", 1)[1]
    browser.get("about:blank")
    browser.get(f"{uri}#account={account}")
    assert all("@genviral_looks · TikTok" in c.text for c in cards(browser, shown=True))
    assert cards(browser, shown=False)


# -- the content, without a page ------------------------------------------------------------


def _card(row: int, when: datetime, *handles: str) -> Card:
    return Card(
        row=row,
        lane="scheduled",
        when=when,
        time_text=f"{when:%H:%M}",
        accounts=tuple(AccountLabel(handle, handle, "tiktok") for handle in handles),
        media_kind="video",
        media_count=1,
        thumbnail=None,
        caption="",
        caption_full=True,
        issues=(),
    )


def _holes(days_posted: dict[str, list[int]]) -> dict[int, list[str]]:
    base = datetime(2036, 6, 1, 9, tzinfo=UTC)
    made = [
        _card(n, base + timedelta(days=day), handle)
        for n, (handle, days) in enumerate(days_posted.items())
        for day in days
    ]
    _weeks, days = weeks_of(made)
    mark_holes(days)
    return {
        (day - base.date()).days: [h.handle for h in entry.holes]
        for day, entry in days.items()
        if entry.holes
    }


def test_a_gap_is_a_day_skipped_in_a_run_of_daily_posts() -> None:
    assert _holes({"@daily": [0, 1, 2, 4, 5, 6]}) == {3: ["@daily"]}
    assert _holes({"@daily": [1, 3]}) == {}  # every other day: no run to break
    assert _holes({"@other": [0, 2, 4, 6, 8]}) == {}
    assert _holes({"@pair": [0, 1, 3]}) == {2: ["@pair"]}
    assert _holes({"@a": [0, 1, 3, 4], "@b": [0, 1, 2, 3, 4]}) == {2: ["@a"]}


def test_posts_too_close_are_marked_on_both_cards() -> None:
    at = datetime(2036, 6, 1, 9, tzinfo=UTC)
    first, second, other, later = (
        _card(2, at, "@a"),
        _card(3, at + timedelta(minutes=59), "@a", "@b"),
        _card(4, at + timedelta(minutes=10), "@b"),
        _card(5, at + timedelta(hours=3), "@a"),
    )
    mark_close_posts([first, second, other, later], timedelta(hours=1))
    assert first.close_to == ["59 min before row 3 on @a"]
    assert second.close_to == ["59 min after row 2 on @a", "49 min after row 4 on @b"]
    assert other.close_to == ["49 min before row 3 on @b"]
    assert later.close_to == []


def test_the_page_zone_is_chosen_in_order() -> None:
    rows = validate_campaign(ROOT / "sample_campaigns" / "mixed_campaign.csv").campaign.rows
    assert page_zone("Asia/Tokyo", "Europe/Paris", rows)[1:] == (
        "Asia/Tokyo",
        "chosen with --view-timezone",
    )
    assert page_zone(None, "Europe/Paris", rows)[1] == "Europe/Paris"
    assert page_zone(None, None, rows)[1:] == (
        "America/New_York",
        "the time zone most rows name",
    )
    assert page_zone(None, None, [])[1] == "UTC"


def test_the_default_page_sits_beside_the_campaign() -> None:
    assert default_calendar_path(Path("plans/june.xlsx")) == Path("plans/june.calendar.html")
    assert default_calendar_path(Path("june.results.csv")) == Path("june.calendar.html")


@needs_browser
def test_only_the_pages_own_script_may_run(browser: WebDriver, tmp_path: Path) -> None:
    """The second wall: were a cell ever to reach the page as markup, its script would not
    run. The page's policy allows its own script by hash, and nothing else."""
    from bulk_scheduler.launch import calendar_page

    page = calendar_page.calendar_of(
        validate_campaign(ROOT / "sample_campaigns" / "video_campaign.csv")
    )
    html = calendar_page.render_page(page)
    assert "Content-Security-Policy" in html and "script-src 'sha256-" in html
    smuggled = html.replace(
        "</main>",
        '<script>window.pwned = 5</script><img src="x" onerror="window.pwned = 6"></main>',
    )
    path = tmp_path / "smuggled.html"
    path.write_text(smuggled, encoding="utf-8")
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return window.calendarReady === true")  # ours ran
    assert browser.execute_script("return window.pwned === undefined")  # theirs did not


# -- after `status`: each post's status and its published links ------------------------------


@dataclass(frozen=True)
class Published:
    """A campaign run against the sandbox, published (some deliveries failing), refreshed
    by ``status``, and its calendar page written; ``rows`` are what ``status --json`` said
    of each row, by sheet row."""

    sheet: Path
    page: Path
    rows: dict[int, dict[str, Any]]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    folder = tmp_path_factory.mktemp("published")
    sheet = lifecycle_campaign(folder / "life.csv", near=6, far=2)
    page = folder / "life.calendar.html"
    with SandboxServer() as server:
        run = command(server, "run", sheet, "--yes", "--no-media-check", "--quiet")
        assert run.returncode == 0, run.stderr
        # The publisher delivers the six posts due within five days, 40% of the deliveries
        # failing: with this seed some posts are posted, some failed, some partial.
        server.set_faults(publish_fail_rate=0.4, seed=8)
        delivered = server.publish(advance_seconds=5 * DAY)
        assert min(delivered[k] for k in ("posted", "failed", "partial")) >= 1, delivered
        status = command(server, "status", sheet, "--json")
        assert status.returncode == 1, status.stderr  # some posts failed
        made = command(server, "calendar", sheet, "-o", page, "--no-media-check")
        assert made.returncode == 0, made.stderr
    assert "status: " in made.stdout and "posted" in made.stdout, made.stdout
    report = json.loads(status.stdout)
    yield Published(sheet, page, {row["row"]: row for row in report["rows"]})


STATUS_COLOURS = {  # the status badge's background, as the browser computes it
    "posted": ("t-good", "rgba(26, 127, 55, 1)"),
    "failed": ("t-bad", "rgba(207, 34, 46, 1)"),
    "partial": ("t-warn", "rgba(154, 103, 0, 1)"),
    "scheduled": ("t-wait", "rgba(9, 105, 218, 1)"),
}


def check_published_cards(driver: WebDriver, rows: dict[int, dict[str, Any]]) -> None:
    """Every card shows its post's status in its colour, a link per account the post was
    published on (to that URL), and each account it failed on by name, unlinked, with the
    platform's message on hover."""
    from selenium.webdriver.common.by import By

    assert len(cards(driver)) == len(rows)
    seen = set()
    for number, row in rows.items():
        element = card(driver, number)
        status = row["status"]
        seen.add(status)
        tone, colour = STATUS_COLOURS[status]
        assert element.get_attribute("data-s") == status
        assert tone in element.get_attribute("class").split()
        badge = element.find_element(By.CSS_SELECTOR, ".top .st")
        assert badge.text == status
        assert badge.value_of_css_property("background-color") == colour
        links = [
            (a.text, a.get_attribute("href"))
            for a in element.find_elements(By.CSS_SELECTOR, ".rec a")
        ]
        expected = [
            (account["handle"], account["published_url"])
            for account in row["accounts"]
            if account["status"] == "posted"
        ]
        assert links == expected, number
        assert all(url.startswith("https://") for _, url in expected)
        failed = [
            (f"{account['handle']} failed", account.get("error_message"))
            for account in row["accounts"]
            if account["status"] == "failed"
        ]
        shown = [
            (span.text, span.get_attribute("title"))
            for span in element.find_elements(By.CSS_SELECTOR, ".rec .acct")
        ]
        assert shown == failed, number
        assert all(message for _, message in failed)
        assert (status == "posted") == (len(links) == 2 and not failed)
    assert seen == {"posted", "failed", "partial", "scheduled"}


@needs_browser
def test_after_status_each_card_shows_its_status_and_links_to_its_posts(
    browser: WebDriver, published: Published
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(published.page.resolve().as_uri())
    check_published_cards(browser, published.rows)
    header = browser.find_element(By.TAG_NAME, "header").text
    assert "statuses from life.journal.sqlite" in header
    legend = [i.text for i in browser.find_elements(By.CSS_SELECTOR, ".legend i")]
    assert legend == ["failed", "partial", "posted", "scheduled"]
    choose(browser, "f-status", "failed")
    failed = [number for number, row in published.rows.items() if row["status"] == "failed"]
    assert [int(c.get_attribute("data-row")) for c in cards(browser, shown=True)] == failed


@needs_browser
def test_the_results_sheet_alone_gives_the_same_statuses_and_links(
    browser: WebDriver, published: Published, tmp_path: Path
) -> None:
    """Without the journal (deleted, or the results sheet sent to a colleague), the links
    come from the results sheet's published_urls and account_states cells."""
    from selenium.webdriver.common.by import By

    folder = tmp_path / "sheet-only"
    shutil.copytree(published.sheet.parent, folder, ignore=shutil.ignore_patterns("*.html"))
    shutil.rmtree(folder / ".bulk_scheduler")
    campaign = folder / published.sheet.name
    out = folder / "page.html"
    code, stdout, err = invoke(["calendar", str(campaign), "--offline", "-o", str(out)])
    assert code == 0, stdout + err
    browser.get(out.resolve().as_uri())
    check_published_cards(browser, published.rows)
    assert "statuses from life.results.csv" in browser.find_element(By.TAG_NAME, "header").text


def test_links_are_read_from_the_journal_while_a_run_holds_it(
    published: Published, tmp_path: Path
) -> None:
    """The page reads the journal's post states read-only: while a run holds the journal's
    lock, and without changing a byte of it; a journal from before ``status`` has none."""
    folder = tmp_path / "locked"
    shutil.copytree(published.sheet.parent, folder, ignore=shutil.ignore_patterns("*.html"))
    path = default_journal_path(folder / published.sheet.name)
    with Journal(path):  # a run in progress
        before = path.read_bytes()
        states = read_post_states(path)
        assert path.read_bytes() == before
    by_row = {row["external_id"]: row for row in published.rows.values()}
    assert {key: state.status for key, state in states.items()} == {
        key: row["status"] for key, row in by_row.items()
    }
    for key, state in states.items():
        assert [(a["handle"], a["status"], a["published_url"]) for a in state.accounts] == [
            (a["handle"], a["status"], a.get("published_url")) for a in by_row[key]["accounts"]
        ]
    older = tmp_path / "older.journal.sqlite"
    Journal(older).close()  # the rows table only
    assert read_post_states(older) == {}
    assert read_post_states(tmp_path / "none.sqlite") == {}


def test_a_state_of_another_post_gives_no_links(published: Published) -> None:
    """A row whose post was made again (its journalled post_id is not the state's) takes
    none of the state's links."""
    report = validate_campaign(published.sheet, media_check=False)
    path = default_journal_path(published.sheet)
    entries = read_entries(path)
    states = read_post_states(path)
    records = journal_records(report.planned, entries, states)
    posted = next(row for row in published.rows.values() if row["status"] == "posted")
    assert records[posted["row"]].status == "posted"
    assert len(records[posted["row"]].links) == 2
    stale = dict(states)
    stale[posted["external_id"]] = replace(states[posted["external_id"]], post_id="another")
    record = journal_records(report.planned, entries, stale)[posted["row"]]
    assert record.links == ()
    # A post cancelled after a failure is gone: its card names no failed account.
    failed = next(row for row in published.rows.values() if row["status"] == "failed")
    assert [link.status for link in records[failed["row"]].links] == ["failed", "failed"]
    gone = dict(states)
    gone[failed["external_id"]] = replace(states[failed["external_id"]], status="canceled")
    record = journal_records(report.planned, entries, gone)[failed["row"]]
    assert (record.status, record.links) == ("canceled", ())


# -- the results sheet's cells, however they were written --------------------------------------


def test_urls_are_paired_with_their_accounts_as_well_as_the_cells_allow() -> None:
    # By the handle in the URL's path, whatever the order.
    assert sheet_links(
        "https://www.tiktok.com/@brand/video/1\nhttps://www.youtube.com/@BrandHQ/shorts/2",
        "@brandhq posted; @brand posted",
    ) == (
        PublishedLink("@brandhq", "https://www.youtube.com/@BrandHQ/shorts/2", "posted"),
        PublishedLink("@brand", "https://www.tiktok.com/@brand/video/1", "posted"),
    )
    # In order, when the URLs carry no handle and as many are left as posted accounts;
    # a failed account's message may hold "; ".
    assert sheet_links(
        "https://www.instagram.com/p/Cx1/  https://youtu.be/abc",
        "@brand.ig posted; @brandhq failed: quota reached; try tomorrow; @brand_yt posted",
    ) == (
        PublishedLink("@brand.ig", "https://www.instagram.com/p/Cx1/", "posted"),
        PublishedLink("@brandhq", "", "failed", "quota reached; try tomorrow"),
        PublishedLink("@brand_yt", "https://youtu.be/abc", "posted"),
    )
    # Else by platform (or host): no account is named that cannot be told.
    assert sheet_links("https://youtu.be/abc\nhttps://example.com/p/1", "@a posted") == (
        PublishedLink("YouTube", "https://youtu.be/abc"),
        PublishedLink("example.com", "https://example.com/p/1"),
    )
    assert sheet_links("https://www.instagram.com/p/Cx1/", "") == (
        PublishedLink("Instagram", "https://www.instagram.com/p/Cx1/"),
    )
    # Only web addresses become links; a scheduled account shows nothing yet.
    assert (
        sheet_links(
            "javascript:alert(1)\nftp://x/y\nwww.tiktok.com/@a/video/1",
            "@a scheduled; @b scheduled",
        )
        == ()
    )
    assert platform_of("https://vm.tiktok.com/ZM1/") == "TikTok"
    assert platform_of("https://tiktok.sandbox.invalid/@a/1") == "TikTok"


@given(urls=st.text(max_size=200), states=st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_cell_text_gives_links_never_an_error(urls: str, states: str) -> None:
    for cells in ((urls, states), (f"https://x.com/{urls}", f"@a posted; {states}")):
        for link in sheet_links(*cells):
            assert link.url == "" or link.safe_url == link.url
            assert link.url or link.status == "failed"
