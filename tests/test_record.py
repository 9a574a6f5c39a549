"""The results sheet is the user's record: a run that sends nothing changes no file, and a
results file that cannot be written never costs a post or a traceback."""

from __future__ import annotations

import csv
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bulk_scheduler.cli.commands import cli
from bulk_scheduler.sandbox.server import SandboxServer
from tests.rows import RUN_HEADER, write_csv
from tests.test_run import generated_rows, read_results


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def posted_campaign(tmp_path: Path, count: int = 5) -> tuple[Path, Path]:
    """A campaign whose run created every row: (campaign, results sheet)."""
    campaign = write_csv(tmp_path / "plan.csv", generated_rows(count))
    result = invoke("run", campaign, "--yes")
    assert result.exit_code == 0, result.output
    return campaign, tmp_path / "plan.results.csv"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_key_leaves_the_results_sheet_byte_for_byte(
    tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign, results = posted_campaign(tmp_path)
    before = results.read_bytes()
    posts = api_env.stats()["posts_total"]
    monkeypatch.setenv("GENVIRAL_API_KEY", "gva_live_wrong.wrong-secret")
    for sheet in (results, campaign):
        outcome = invoke("run", sheet, "--yes")
        assert outcome.exit_code == 3, outcome.output
        assert "nothing was sent" in outcome.output
        assert results.read_bytes() == before
    assert api_env.stats()["posts_total"] == posts == 5


def test_an_unreachable_api_leaves_the_results_sheet_byte_for_byte(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    _, results = posted_campaign(tmp_path)
    before = results.read_bytes()
    url = f"http://127.0.0.1:{unused_port()}"
    outcome = invoke("run", results, "--yes", "--base-url", url)
    assert outcome.exit_code == 3, outcome.output
    assert outcome.output.splitlines() == [
        f"Error: GET {url}/accounts: the API could not be reached (ConnectError) "
        "(nothing was sent; no file was changed)"
    ]
    assert results.read_bytes() == before
    assert api_env.stats()["posts_total"] == 5


def test_a_bad_key_on_a_first_run_writes_no_results_and_no_journal(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENVIRAL_API_KEY", "gva_live_wrong.wrong-secret")
    monkeypatch.setenv("GENVIRAL_BASE_URL", sandbox.base_url)
    campaign = write_csv(tmp_path / "c.csv", generated_rows(3))
    outcome = invoke("run", campaign, "--yes")
    assert outcome.exit_code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


def test_results_in_a_folder_that_does_not_exist_stop_before_anything_is_sent(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(3))
    target = tmp_path / "no-such-folder" / "c.results.csv"
    outcome = invoke("run", campaign, "--yes", "--results", target)
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == [
        f"Error: cannot write the results sheet {target}: the folder {target.parent} does not exist"
    ]
    assert api_env.stats()["create_requests"] == 0


def test_a_results_path_that_is_a_folder_stops_before_anything_is_sent(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(3))
    (tmp_path / "c.results.csv").mkdir()
    outcome = invoke("run", campaign, "--yes")
    assert outcome.exit_code == 2 and "it is a folder" in outcome.output
    assert api_env.stats()["create_requests"] == 0


def test_a_results_sheet_locked_during_the_run_goes_to_a_fallback_and_loses_no_post(
    tmp_path: Path, api_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when the sheet is open in Excel on Windows: the final move onto it is refused."""
    campaign = write_csv(tmp_path / "c.csv", generated_rows(4))
    target = tmp_path / "c.results.csv"
    real_replace = os.replace

    def locked(source: Any, destination: Any) -> None:
        if Path(destination) == target:
            raise PermissionError(13, "The process cannot access the file", str(target))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", locked)
    outcome = invoke("run", campaign, "--yes")
    assert outcome.exit_code == 1, outcome.output
    assert "Traceback" not in outcome.output
    warning = next(line for line in outcome.output.splitlines() if line.startswith("Warning:"))
    fallbacks = list(tmp_path.glob("c.results.unsaved-*.csv"))
    assert len(fallbacks) == 1 and str(fallbacks[0]) in warning
    assert [row["result"] for row in read_results(fallbacks[0])] == ["created"] * 4
    assert not target.exists()
    assert api_env.stats()["posts_total"] == 4

    monkeypatch.setattr(os, "replace", real_replace)  # the sheet is closed again
    again = invoke("run", campaign, "--yes")
    assert again.exit_code == 0, again.output
    assert [row["result"] for row in read_results(target)] == ["created"] * 4
    assert api_env.stats()["posts_total"] == 4  # written from the journal, nothing re-sent


@pytest.mark.parametrize("option", ["--report", "--payloads"])
def test_validate_into_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path, option: str) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(2))
    target = tmp_path / "missing" / ("out.jsonl" if option == "--payloads" else "out.csv")
    outcome = invoke("validate", campaign, "--offline", option, target)
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == [
        f"Error: cannot write the {option} file {target}: the folder {target.parent} does not exist"
    ]


def test_a_planners_own_result_and_post_id_columns_are_never_taken_for_results(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    """A content calendar with its own "Result" and "Post ID" columns: the row that says
    "created" was never posted, so it is sent; the user's cells are never overwritten."""
    header = [*RUN_HEADER, "Result", "Post ID"]
    rows = [
        [*row, note, ref]
        for row, (note, ref) in zip(
            generated_rows(3),
            [("created", "IG-123"), ("approved", ""), ("", "brief-7")],
            strict=True,
        )
    ]
    campaign = write_csv(tmp_path / "calendar.csv", rows, header=header)
    outcome = invoke("run", campaign, "--yes")
    assert outcome.exit_code == 0, outcome.output
    assert "the sheet's own column 'Result' is kept as it is" in outcome.output
    assert "'post_id (bulk-scheduler)'" in outcome.output
    assert api_env.stats()["posts_total"] == 3

    results = tmp_path / "calendar.results.csv"
    written = read_results(results)
    assert [row["Result"] for row in written] == ["created", "approved", ""]
    assert [row["Post ID"] for row in written] == ["IG-123", "", "brief-7"]
    assert [row["result (bulk-scheduler)"] for row in written] == ["created"] * 3
    stored = {post.id for post in api_env._sandbox.state.posts.values()}
    assert {row["post_id (bulk-scheduler)"] for row in written} == stored

    again = invoke("run", results, "--yes")  # read as the results sheet it is
    assert again.exit_code == 0, again.output
    assert "3 row(s) already done" in again.output
    assert api_env.stats()["create_requests"] == 3
    rewritten = read_results(results)
    assert [row["Result"] for row in rewritten] == ["created", "approved", ""]
    assert list(rewritten[0]) == list(written[0])  # no column added twice


def test_the_end_of_a_run_lists_the_rows_that_need_attention(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = generated_rows(25)
    for row in rows[:22]:
        row[4] = "@nobody_here"  # an unknown account: invalid, not sent
    campaign = write_csv(tmp_path / "c.csv", rows)
    outcome = invoke("run", campaign, "--yes", "--skip-invalid")
    assert outcome.exit_code == 1, outcome.output
    lines = outcome.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  row "))
    listed = lines[start : start + 20]
    assert listed[0].startswith("  row 2 (row-0000): account-unknown: accounts (E2): @nobody_here")
    assert all(line.startswith("  row ") for line in listed)
    assert lines[start + 20] == "  … and 2 more"
    assert lines[-1] == (
        "22 row(s) need attention: see c.results.csv, or run `bulk-scheduler validate` on it."
    )
    assert api_env.stats()["posts_total"] == 3


def test_planning_options_are_remembered_per_campaign_and_said_when_reused(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = generated_rows(3)
    for row in rows:
        row[5] = "2036-06-01 09:00"  # a local time: needs a zone
    rows[2][4] = "@nobody_here"  # invalid: sent only with --skip-invalid
    campaign = write_csv(tmp_path / "plan.csv", rows)
    first = invoke("run", campaign, "--yes", "--timezone", "Europe/Paris", "--skip-invalid")
    assert first.exit_code == 1, first.output
    assert "reused" not in first.output
    results = tmp_path / "plan.results.csv"
    assert [row["scheduled_at_utc"][:16] for row in read_results(results)[:2]] == [
        "2036-06-01T07:00"
    ] * 2

    check = invoke("validate", results)
    assert (
        "options reused from an earlier run of this campaign: --timezone Europe/Paris"
        in check.output
    )
    assert "timezone-missing" not in check.output

    again = invoke("run", results, "--yes")  # no options: the first run's are used
    assert again.exit_code == 1, again.output
    assert (
        "options reused from an earlier run of this campaign: --timezone Europe/Paris, "
        "--skip-invalid" in again.output
    )
    assert "Not launched" not in again.output
    assert api_env.stats()["posts_total"] == 2

    given = invoke("run", results, "--yes", "--timezone", "UTC")  # given: used, not reused
    assert "--timezone Europe/Paris" not in given.output


DONE = {"created", "already_exists"}


def assert_the_record_holds(results: Path, server: SandboxServer, posts_expected: int) -> None:
    """Every post the API holds appears once, done, with the content that was sent for it;
    nothing is shown done that the API does not hold; no post was ever doubled."""
    rows = read_results(results)
    posts = {post.id: post for post in server._sandbox.state.posts.values()}
    assert len(posts) == posts_expected
    assert set(server.stats()["posts_by_external_id"].values()) == {1}
    done = [row for row in rows if row["result"] in DONE]
    assert all(row["post_id"] in posts for row in done)
    assert sorted(row["post_id"] for row in done) == sorted(posts)
    for row in done:
        sent = posts[row["post_id"]].body
        assert (row["external_id"], row["caption"]) == (sent["external_id"], sent["caption"])
    for row in rows:
        if row["result"] not in DONE:
            assert not row["post_id"]


def test_original_results_original_and_a_renamed_copy_keep_the_record_true(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    rows = generated_rows(6)
    rows[2][1] = "x" * 2300  # over every limit of its accounts
    rows[3][4] = "@nobody_here"  # not an account of the workspace
    rows[4][5] = "2020-01-01T09:00:00Z"  # in the past
    plan = write_csv(tmp_path / "plan.csv", rows)
    results = tmp_path / "plan.results.csv"

    first = invoke("run", plan, "--yes", "--skip-invalid")
    assert first.exit_code == 1, first.output
    assert_the_record_holds(results, api_env, 3)

    # The user fixes the three rows in the results sheet, adds one, and runs it.
    fixed = read_results(results)
    fixed[2]["caption"] = "A caption of a sensible length"
    fixed[3]["accounts"] = rows[0][4]
    fixed[4]["scheduled_at"] = "2036-07-01T09:00:00Z"
    added = dict(fixed[0], external_id="added-in-results", caption="A row added later")
    added.update({name: "" for name in ("result", "post_id", "error_code", "submitted_at")})
    with results.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fixed[0]))
        writer.writeheader()
        writer.writerows([*fixed, added])
    second = invoke("run", results, "--yes")
    assert second.exit_code == 0, second.output
    assert_the_record_holds(results, api_env, 7)

    # The original again: its three rows still hold the invalid cells, and lack the added row.
    # Their edits cannot be applied (PATCH): each is named, nothing is sent for them.
    third = invoke("run", plan, "--yes")
    assert third.exit_code == 1, third.output
    assert "row 4 (row-0002) cannot be updated: caption: caption is 2,300" in third.output
    assert "PATCH /posts/{id}" not in api_env.stats()["requests_by_route"]
    assert_the_record_holds(results, api_env, 7)
    shown = {row["external_id"]: row for row in read_results(results)}
    assert shown["row-0002"]["caption"] == "A caption of a sensible length"
    assert "The sheet had: caption 'xxx" in shown["row-0002"]["warnings"]
    assert "row-not-in-sheet" in shown["added-in-results"]["warnings"]

    # A renamed copy of the results sheet has no journal of its own yet: its done rows are
    # confirmed by the API (already_exists), never posted twice.
    copy = tmp_path / "plan-v2.csv"
    copy.write_bytes(results.read_bytes())
    fourth = invoke("run", copy, "--yes")
    assert fourth.exit_code == 0, fourth.output
    assert_the_record_holds(tmp_path / "plan-v2.results.csv", api_env, 7)
    assert {row["result"] for row in read_results(tmp_path / "plan-v2.results.csv")} == {
        "already_exists"
    }

    fifth = invoke("run", plan, "--yes")  # and the original once more
    assert fifth.exit_code == 1, fifth.output  # the same three edits that cannot be applied
    assert_the_record_holds(results, api_env, 7)


def test_a_post_confirmed_by_a_replay_after_a_dropped_connection_is_created(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    """Dropped connections after the post is stored: the retry's replay confirms a post
    this run created, so the row says created; a later run's replay says already_exists."""
    api_env.set_faults(drop_rate=0.5, seed=3)
    campaign = write_csv(tmp_path / "c.csv", generated_rows(20))
    outcome = invoke("run", campaign, "--yes", "--max-attempts", "10")
    assert outcome.exit_code == 0, outcome.output
    rows = read_results(tmp_path / "c.results.csv")
    assert {row["result"] for row in rows} == {"created"}
    assert any(int(row["attempts"]) > 1 for row in rows)  # some were replays
    assert api_env.stats()["connections_dropped"] > 0
    assert set(api_env.stats()["posts_by_external_id"].values()) == {1}

    api_env.set_faults(drop_rate=0.0)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(campaign.read_bytes())  # its own journal: the API answers replays
    again = invoke("run", copy, "--yes")
    assert again.exit_code == 0, again.output
    assert {row["result"] for row in read_results(tmp_path / "copy.results.csv")} == {
        "already_exists"
    }


def test_a_conflict_naming_the_existing_post_puts_its_id_in_post_id(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    campaign = write_csv(tmp_path / "c.csv", generated_rows(1))
    assert invoke("run", campaign, "--yes").exit_code == 0
    (post,) = api_env._sandbox.state.posts.values()
    edited = generated_rows(1)
    edited[0][1] = "The same external_id with another caption"
    copy = write_csv(tmp_path / "copy.csv", edited)  # a journal of its own: it is sent
    outcome = invoke("run", copy, "--yes")
    assert outcome.exit_code == 1, outcome.output
    (row,) = read_results(tmp_path / "copy.results.csv")
    assert (row["result"], row["http_status"], row["post_id"]) == ("rejected", "409", post.id)
    assert row["error_code"] == "create_failed"
    assert len(api_env._sandbox.state.posts) == 1


@pytest.mark.parametrize(
    ("key", "text", "scrubbed"),
    [
        ("a", "bad request: a is not a key", "bad request: a is not a key"),
        ("a", "Authorization: Bearer a", "Authorization: Bearer ***"),
        ("k", "Bearer k", "Bearer ***"),
        ("gva_live_abcdefgh.ijklmnop", "token gva_live_abcdefgh.ijklmnop", "token ***"),
        ("gva_live_abcdefgh.ijklmnop", "part ijklmnop and ijklmnopq", "part *** and ijklmnopq"),
        ("12", "row 12 of 120", "row 12 of 120"),
    ],
)
def test_masking_the_key_never_alters_other_text(key: str, text: str, scrubbed: str) -> None:
    from bulk_scheduler.api.client import ApiKey

    assert ApiKey(key).scrub(text) == scrubbed


def write_book(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Plan"
    for row in [header, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def test_an_xlsx_record_keeps_the_users_columns_and_adds_the_posts_of_other_versions(
    tmp_path: Path, api_env: SandboxServer
) -> None:
    """The same record rules through the XLSX writer, which rewrites the user's workbook."""
    header = [*RUN_HEADER, "Result", "Post ID"]
    rows = [[*row, "approved", "brief-1"] for row in generated_rows(3)]
    plan = write_book(tmp_path / "plan.xlsx", header, rows)
    assert invoke("run", plan, "--yes").exit_code == 0
    results = tmp_path / "plan.results.xlsx"
    written = read_results(results)
    assert [row["Result"] for row in written] == ["approved"] * 3
    assert [row["result (bulk-scheduler)"] for row in written] == ["created"] * 3

    # The user deletes a row and edits another in a copy of the plan, then runs the plan.
    edited = [list(row) for row in rows[:2]]
    edited[0][1] = "A caption changed after posting"
    write_book(plan, header, edited)
    again = invoke("run", plan, "--yes")
    assert again.exit_code == 0, again.output
    shown = {row["external_id"]: row for row in read_results(results)}
    assert set(shown) == {"row-0000", "row-0001", "row-0002"}
    sent = {post.body["external_id"]: post.body for post in api_env._sandbox.state.posts.values()}
    assert shown["row-0000"]["caption"] == sent["row-0000"]["caption"]
    # The edit was applied to the post (PATCH), not sent as a second post.
    assert sent["row-0000"]["caption"] == "A caption changed after posting"
    assert shown["row-0000"]["last_action"].startswith("updated caption")
    assert "row-not-in-sheet" in shown["row-0002"]["warnings"]
    assert shown["row-0002"]["caption"] == sent["row-0002"]["caption"]
    assert shown["row-0002"]["result (bulk-scheduler)"] == "created"
    assert len(sent) == 3
