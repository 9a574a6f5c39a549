"""Media files on the user's own disk: checked like URLs, uploaded once at launch.

The CLI runs as a user runs it, on real files, against a sandbox served on loopback.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bulk_scheduler.launch.dry_run import validate_campaign
from bulk_scheduler.media import local_files
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sandbox.server import SandboxServer
from tests.test_media_probe import box, ftyp, jpeg, moov, mp4, png

HEADER = ["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"]
ACCOUNT = seed.BYO_TIKTOK_ID


def video(seconds: float = 20, mdat_bytes: int = 0) -> bytes:
    if not mdat_bytes:
        return mp4(seconds)
    return ftyp() + moov(seconds, 1080, 1920) + box(b"mdat", os.urandom(mdat_bytes))


def write_campaign(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def row(external_id: str, media: str, media_type: str = "", day: int = 1) -> list[str]:
    return [
        external_id,
        f"Post {external_id}",
        media_type,
        media,
        ACCOUNT,
        f"2036-05-{day:02d}T10:00Z",
    ]


def cli(*args: str, server: SandboxServer | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if server is not None:
        env.update(server.client_env)
    else:
        env.pop("GENVIRAL_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "bulk_scheduler", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )


def issues_of(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return json.loads(result.stdout)["issues"]


def results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def posts(server: SandboxServer) -> list[dict]:
    answer = httpx.get(
        f"{server.base_url}/posts",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {server.api_key}"},
        trust_env=False,
    )
    return answer.json()["data"]["posts"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "my clip, final.mp4").write_bytes(video(20))
    (tmp_path / "media" / "cover.jpg").write_bytes(jpeg(1080, 1920))
    (tmp_path / "media" / "second.png").write_bytes(
        # A PNG by its bytes whatever its name: the checks judge the content.
        (Path(__file__).parent / "test_media_probe.py").read_bytes()[:0] + _png()
    )
    return tmp_path


def _png() -> bytes:

    return png(1080, 1920)


# --- paths and checks ----------------------------------------------------------------------


def test_every_way_of_writing_a_path_is_found_and_checked_offline(folder: Path) -> None:
    outside = folder.parent / f"{folder.name}-elsewhere.jpg"
    outside.write_bytes(jpeg(1080, 1920))
    rows = [
        row("rel", "media/my clip, final.mp4"),  # a comma and a space in the name
        row("abs", str(folder / "media" / "cover.jpg"), day=2),
        row("uri", (folder / "media" / "cover.jpg").as_uri() + " | media\\second.png", day=3),
        row("mix", "media/cover.jpg\nhttps://cdn.genviral.com/a.jpg", day=4),
        row("out", str(outside), day=5),
    ]
    campaign = write_campaign(folder / "c.csv", rows)
    result = cli("validate", str(campaign), "--offline", "--json")
    found = [(i["row"], i["code"]) for i in issues_of(result) if i["severity"] == "error"]
    assert found == [], result.stdout
    report = validate_campaign(campaign)
    by_id = {p.external_id: p for p in report.planned}
    assert by_id["rel"].media_type == "video"
    assert [f.extension for f in by_id["uri"].local_media] == ["jpg", "png"]
    assert by_id["mix"].media_urls[1] == "https://cdn.genviral.com/a.jpg"
    assert by_id["out"].local_media[0].outside and not by_id["abs"].local_media[0].outside


def test_media_dir_is_where_relative_paths_are_looked_for(folder: Path, tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "elsewhere.csv", [row("a", "cover.jpg")])
    missing = cli("validate", str(campaign), "--offline", "--json")
    assert [i["code"] for i in issues_of(missing)] == ["media-file-missing"]
    found = cli(
        "validate", str(campaign), "--offline", "--json", "--media-dir", str(folder / "media")
    )
    assert issues_of(found) == [], found.stdout


def test_a_run_remembers_its_media_dir_for_the_next_commands(folder: Path, tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    campaign = write_campaign(plans / "june.csv", [row("a", "cover.jpg")])
    with SandboxServer() as server:
        media = str(folder / "media")
        first = cli("run", str(campaign), "--yes", "--media-dir", media, server=server)
        assert first.returncode == 0, first.stderr
        # The results sheet, run again without --media-dir, finds the same file: nothing
        # to send, nothing missing, and the plan says where the files were looked for.
        again = cli("run", str(plans / "june.results.csv"), "--yes", server=server)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"--media-dir {folder / 'media'}" in again.stdout + again.stderr
        assert server.files()["uploads_completed"] == 1
        checked = cli("validate", str(campaign), "--offline", "--json")
        assert issues_of(checked) == [], checked.stdout


@pytest.mark.parametrize("given", [True, False], ids=["given", "remembered"])
def test_status_reads_the_media_dir_as_the_run_did(
    folder: Path, tmp_path: Path, given: bool
) -> None:
    """The generated external_id counts a local file's content: status (and cancel) must
    find the files where the run did, or no row would match its post."""
    plans = tmp_path / "plans"
    plans.mkdir()
    campaign = plans / "june.csv"
    campaign.write_text(
        f"caption,media_urls,accounts,scheduled_at\nCover,cover.jpg,{ACCOUNT},2036-05-01T10:00Z\n",
        encoding="utf-8",
    )
    media = ["--media-dir", str(folder / "media")]
    with SandboxServer() as server:
        first = cli("run", str(campaign), "--yes", *media, server=server)
        assert first.returncode == 0, first.stderr
        status = cli("status", str(campaign), "--json", *(media if given else []), server=server)
        summary = json.loads(status.stdout)
        assert (summary["posts"], summary["rows_without_post"]) == (1, 0), status.stdout


def test_each_bad_file_is_one_clear_issue_on_its_cell(folder: Path) -> None:
    (folder / "media" / "a folder.mp4").mkdir()
    os.symlink("loop-b.mp4", folder / "media" / "loop-a.mp4")
    os.symlink("loop-a.mp4", folder / "media" / "loop-b.mp4")
    (folder / "media" / "long.mp4").write_bytes(video(90))
    (folder / "media" / "huge.jpg").write_bytes(jpeg(1080, 1920, metadata_bytes=6 * 1024 * 1024))
    (folder / "media" / "text.mp4").write_bytes(b"not a video at all")
    rows = [
        row("missing", "media/nope.mp4", "video"),
        row("folder", "media/a folder.mp4", "video", day=2),
        row("loop", "media/loop-a.mp4", "video", day=3),
        row("long", "media/long.mp4", day=4),
        row("huge", "media/huge.jpg", day=5),
        row("name", "media/" + "x" * 300 + ".mp4", "video", day=6),
        row("fake", "media/text.mp4", day=7),
    ]
    campaign = write_campaign(folder / "bad.csv", rows)
    result = cli("validate", str(campaign), "--offline", "--json")
    assert result.returncode == 1
    errors = {
        (i["row"], i["code"], i["column"]) for i in issues_of(result) if i["severity"] == "error"
    }
    assert errors == {
        (2, "media-file-missing", "media_urls"),
        (3, "media-file-not-a-file", "media_urls"),
        (4, "media-file-symlink-loop", "media_urls"),
        (5, "video-duration", "media_urls"),
        (6, "image-too-large", "media_urls"),
        (7, "media-path-invalid", "media_urls"),
        (8, "media-not-video", "media_urls"),
    }
    messages = {i["row"]: i["message"] for i in issues_of(result)}
    assert "media/nope.mp4" in messages[2] and "--media-dir" in messages[2]
    assert "90.0 s" in messages[5]


def test_an_unreadable_file_is_an_issue(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Permissions do not stop root (the CI user here), so the refusal is the OS's answer
    # to open(), given as the OS gives it.
    def refuse(path: object, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(local_files, "open", refuse, raising=False)
    campaign = write_campaign(folder / "c.csv", [row("a", "media/cover.jpg")])
    report = validate_campaign(campaign)
    assert [(i.code, i.column) for i in report.issues] == [("media-file-unreadable", "media_urls")]
    assert "Permission denied" in report.issues[0].message


# --- the launch ---------------------------------------------------------------------------


def test_mixed_campaign_uploads_once_and_a_rerun_uploads_nothing(folder: Path) -> None:
    rows = [
        row("v1", "media/my clip, final.mp4"),
        row("s1", "media/cover.jpg | https://cdn.genviral.com/spring/a.jpg", day=2),
        row("v2", "./media/my clip, final.mp4", day=3),  # the same file: one upload
        row("r1", "https://cdn.genviral.com/spring/b.mp4", "video", day=4),
        row("bad", "media/nope.jpg", day=5),  # invalid: nothing uploaded for it
    ]
    campaign = write_campaign(folder / "mixed.csv", rows)
    with SandboxServer() as server:
        first = cli("run", str(campaign), "--yes", "--skip-invalid", server=server)
        assert first.returncode == 1, first.stderr  # the invalid row
        files = server.files()
        assert files["uploads_completed"] == files["files_requested"] == 2
        assert files["puts_with_authorization"] == 0
        sheet = {r["external_id"]: r for r in results(folder / "mixed.results.csv")}
        assert {k: sheet[k]["result"] for k in sheet} == {
            "v1": "created",
            "s1": "created",
            "v2": "created",
            "r1": "created",
            "bad": "invalid",
        }
        assert sheet["v1"]["media_urls"] == "media/my clip, final.mp4"  # the user's cell
        cdn = sheet["v1"]["media_urls_sent"]
        assert cdn.startswith(server.root_url + "/cdn/") and cdn == sheet["v2"]["media_urls_sent"]
        assert sheet["r1"]["media_urls_sent"] == ""
        # The sandbox serves the upload with ranges, and the posts point at it.
        piece = httpx.get(cdn, headers={"Range": "bytes=0-7"}, trust_env=False)
        assert piece.status_code == 206 and piece.content == video(20)[:8]
        bodies = {p["external_id"]: p["media"] for p in posts(server)}
        assert bodies["v1"]["url"] == cdn and bodies["v1"]["duration_sec"] == 20
        assert bodies["s1"]["urls"][1] == "https://cdn.genviral.com/spring/a.jpg"
        assert all("/cdn/" in u or u.startswith("https://") for u in bodies["s1"]["urls"])

        again = cli("run", str(campaign), "--yes", "--skip-invalid", server=server)
        assert again.returncode == 1, again.stderr
        assert server.files()["uploads_completed"] == 2
        assert server.files()["files_requested"] == 2
        assert server.stats()["posts_total"] == 4

        # A file whose content changed is uploaded again, and its post updated to it.
        old_cover = sheet["s1"]["media_urls_sent"].splitlines()[0]
        (folder / "media" / "cover.jpg").write_bytes(jpeg(1080, 1920, metadata_bytes=100))
        changed = cli("run", str(campaign), "--yes", "--skip-invalid", server=server)
        assert changed.returncode == 1, changed.stderr
        assert "1 to update (media on row 3)" in changed.stdout, changed.stdout
        assert server.files()["uploads_completed"] == 3
        assert server.stats()["posts_total"] == 4  # updated, never posted twice
        sheet = {r["external_id"]: r for r in results(folder / "mixed.results.csv")}
        new_cover, remote = sheet["s1"]["media_urls_sent"].splitlines()
        assert new_cover != old_cover and new_cover.startswith(server.root_url + "/cdn/")
        assert remote == "https://cdn.genviral.com/spring/a.jpg"
        assert sheet["s1"]["last_action"].startswith("updated")
        assert {p["external_id"]: p["media"] for p in posts(server)}["s1"]["urls"] == [
            new_cover,
            remote,
        ]
        assert (
            httpx.get(new_cover, trust_env=False).content
            == (folder / "media/cover.jpg").read_bytes()
        )
        # Once updated, the row is the post: the next run neither uploads nor updates.
        patches = server.stats()["requests_by_route"].get("PATCH /posts/{id}", 0)
        settled = cli("run", str(campaign), "--yes", "--skip-invalid", server=server)
        assert settled.returncode == 1, settled.stderr
        assert server.files()["uploads_completed"] == 3
        assert server.stats()["requests_by_route"].get("PATCH /posts/{id}", 0) == patches == 1


def test_a_done_rows_media_edited_to_a_local_file_is_uploaded_then_updated(folder: Path) -> None:
    campaign = write_campaign(
        folder / "edit.csv", [row("r1", "https://cdn.genviral.com/spring/b.mp4", "video")]
    )
    with SandboxServer() as server:
        first = cli("run", str(campaign), "--yes", server=server)
        assert first.returncode == 0, first.stderr
        assert server.files()["uploads_completed"] == 0
        # The user edits the results sheet: the post's video is now a file on their disk.
        sheet = folder / "edit.results.csv"
        rows = results(sheet)
        rows[0]["media_urls"] = "media/my clip, final.mp4"
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        edited = cli("run", str(sheet), "--yes", server=server)
        assert edited.returncode == 0, edited.stderr
        assert "1 to update (media on row 2)" in edited.stdout, edited.stdout
        assert server.files()["uploads_completed"] == 1
        after = results(sheet)[0]
        assert after["media_urls"] == "media/my clip, final.mp4"  # the user's cell
        cdn = after["media_urls_sent"]
        assert cdn.startswith(server.root_url + "/cdn/")
        (post,) = posts(server)
        assert post["media"]["url"] == cdn and post["media"]["duration_sec"] == 20


def test_an_expired_upload_url_is_asked_for_again(folder: Path) -> None:
    campaign = write_campaign(folder / "exp.csv", [row("v1", "media/my clip, final.mp4")])
    with SandboxServer() as server:
        server.files(expire_next=1)
        result = cli("run", str(campaign), "--yes", server=server)
        assert result.returncode == 0, result.stderr
        files = server.files()
        assert files["uploads_expired"] == 1
        assert files["files_requested"] == 2 and files["uploads_completed"] == 1
        assert results(folder / "exp.results.csv")[0]["result"] == "created"


def test_kill_during_uploads_then_resume_uploads_each_file_at_most_once_more(
    tmp_path: Path,
) -> None:
    count = 8
    (tmp_path / "clips").mkdir()
    for i in range(count):
        (tmp_path / "clips" / f"clip{i}.mp4").write_bytes(video(20, mdat_bytes=12 * 1024 * 1024))
    rows = [row(f"k{i}", f"clips/clip{i}.mp4", day=1 + i) for i in range(count)]
    campaign = write_campaign(tmp_path / "kill.csv", rows)
    env = dict(os.environ)
    with SandboxServer() as server:
        env.update(server.client_env)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bulk_scheduler",
                "run",
                str(campaign),
                "--yes",
                "--quiet",
                "--upload-concurrency",
                "1",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while server.files()["uploads_completed"] < 1 and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        before = server.files()["uploads_completed"]
        assert 1 <= before < count, "the kill did not land during the uploads"
        assert server.stats()["create_requests"] == 0  # no post before its upload

        resumed = cli("run", str(campaign), "--yes", server=server)
        assert resumed.returncode == 0, resumed.stderr
        # Those journalled before the kill are not uploaded again; the one in flight at
        # most once more.
        assert server.files()["uploads_completed"] <= count + 1
        stats = server.stats()
        assert stats["posts_total"] == count
        assert set(stats["posts_by_external_id"].values()) == {1}
        for post in posts(server):
            assert post["media"]["url"].startswith(server.root_url + "/cdn/")


def test_the_sample_local_media_campaign_runs_and_its_media_are_the_scripts(
    tmp_path: Path,
) -> None:
    samples = Path(__file__).resolve().parent.parent / "sample_campaigns"
    from sample_campaigns import make_local_media

    assert (samples / "media" / "cover.jpg").read_bytes() == make_local_media.grey_jpeg(540, 960)
    assert (samples / "media" / "teaser clip.mp4").read_bytes() == make_local_media.mp4(
        20, 1080, 1920
    )
    out = tmp_path / "local.results.csv"
    result = cli(
        "run",
        str(samples / "local_media_campaign.csv"),
        "--sandbox",
        "--yes",
        "--results",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    sheet = results(out)
    assert [r["result"] for r in sheet] == ["created"] * 3
    assert sheet[0]["media_urls_sent"] == sheet[2]["media_urls_sent"]  # one upload
    assert len(sheet[1]["media_urls_sent"].splitlines()) == 3


def test_the_upload_requests_pass_the_vendors_schema(folder: Path) -> None:
    """Each ``POST /files`` body the launch would send, through the vendor's own zod schema
    (``partnerPublicFileUploadPayloadSchema``), run by Node as the contract tests run it."""
    import shutil

    from bulk_scheduler.media.upload import upload_payload

    campaign = write_campaign(
        folder / "c.csv",
        [row("v", "media/my clip, final.mp4"), row("s", "media/cover.jpg|media/second.png", day=2)],
    )
    report = validate_campaign(campaign)
    payloads = [upload_payload(f) for p in report.planned for f in p.local_media]
    assert {p["contentType"] for p in payloads} == {"video/mp4", "image/jpeg", "image/png"}
    assert payloads[0]["duration_sec"] == 20 and payloads[0]["size"] > 0
    node = shutil.which("node")
    assert node is not None, "the contract tests need Node (npm ci at the repository root)"
    script = (
        "import { partnerPublicFileUploadPayloadSchema as s } from "
        "'@genviral/partner-api-contracts';"
        "const bodies = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(bodies.map((b) => s.strict().safeParse(b).success)));"
    )
    answer = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(payloads)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(answer.stdout) == [True] * len(payloads), answer.stderr


def test_a_sheet_of_web_addresses_is_never_looked_for_on_disk() -> None:
    from bulk_scheduler.checks.local_media import may_name_files

    assert not may_name_files(["https://cdn.example.com/a.mp4\nhttp://x.example/b.jpg | "])
    assert not may_name_files(["HTTPS://CDN.EXAMPLE.COM/A.JPG,https://x.example/b.jpg", " "])
    assert may_name_files(["https://cdn.example.com/a.jpg, media/b.jpg"])
    assert may_name_files(["https://cdn.example.com/a.jpg", "clip.mp4"])
    assert may_name_files(["cdn.example.com/a.mp4"])  # the URL rule then explains it
