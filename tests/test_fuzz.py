"""Fuzzing the loader and the planner: random sheets never end in an unexpected exception.

Random headers (canonical names, aliases, junk, duplicates, any order) over random
cells (text with control characters, emoji, right-to-left script, very long strings,
numbers, dates, booleans, blanks, and plausible campaign values) are written as CSV
(each supported delimiter and encoding) and as XLSX (openpyxl), loaded with
``load_campaign`` and planned with ``plan_and_validate``. Every outcome is one of:

- ``CampaignFileError``: the file is unusable, said in one line;
- a row with an error issue and no body;
- a body that the vendor's official schema accepts.

Anything else (another exception, a body the schema refuses) is a bug.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bulk_scheduler.api.contract import Account
from bulk_scheduler.checks.accounts import AccountDirectory
from bulk_scheduler.checks.planner import PlanOptions
from bulk_scheduler.checks.rules import plan_and_validate
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sandbox import seed
from bulk_scheduler.sheet.columns import COLUMNS, RESULT_COLUMNS
from bulk_scheduler.sheet.loader import load_campaign
from tests.official_schema import OfficialSchema, describe_failure

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
OPTIONS = PlanOptions(timezone="UTC", now=NOW)
DIRECTORY = AccountDirectory([Account.model_validate(a) for a in seed.SEED_ACCOUNTS])
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- values -----------------------------------------------------------------------------------

ACCOUNT_IDS = [str(a["id"]) for a in seed.SEED_ACCOUNTS]
USERNAMES = [f"@{a['username']}" for a in seed.SEED_ACCOUNTS if a.get("username")]

# Any character but lone surrogates (no encoding can hold them).
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
tricky_text = st.sampled_from(
    [
        "🎉🔥 launch",
        "שלום עולם",  # right to left
        "مرحبا \u200f بالعالم",
        "a\u202eb",  # right-to-left override
        "e\u0301\u0301\u0301",  # stacked combining marks
        "\ufeffbom inside",
        "line one\r\nline two\rline three",
        "\t\v\f spaces \u00a0\u2003",
        "=1+1",
        "'quoted",
        "\x00nul",
        "\x1b[31mred\x1b[0m",
        "",
        "   ",
    ]
)
long_text = st.builds(
    lambda char, n: char * n, st.sampled_from(["x", "é", "🎉", "\n"]), st.integers(0, 6000)
)
plausible = st.one_of(
    st.sampled_from(ACCOUNT_IDS),
    st.sampled_from(USERNAMES),
    st.lists(st.sampled_from(ACCOUNT_IDS + USERNAMES), min_size=1, max_size=12).map(", ".join),
    st.sampled_from(["tiktok:brand", "instagram:x", "youtube:", ":", "@", ",,;;"]),
    st.sampled_from(["video", "slideshow", "text", "VIDEO", " Slideshow ", "gif", "images"]),
    st.sampled_from(
        [
            "https://cdn.example.com/a.mp4",
            "https://cdn.example.com/a.jpg|https://cdn.example.com/b.png",
            "https://cdn.example.com/a.jpg\nhttps://cdn.example.com/b.jpeg",
            "http://127.0.0.1/x.mov",
            "ftp://x/y.mp4",
            "https://drive.google.com/file/d/abc123/view",
            "https://www.tiktok.com/@genviral/video/7301234567890123456",
            "https://cdn.example.com/" + "a" * 3000 + ".mp4",
            "|".join(f"https://cdn.example.com/{i}.jpg" for i in range(40)),
        ]
    ),
    st.sampled_from(
        [
            "2031-03-01 09:00",
            "2031-03-01T09:00:00Z",
            "2031-03-01T09:00:00+05:30",
            "03/04/2031 10:15",
            "1/2/31",
            "2031-03-31 02:30",
            "2031-10-26 02:30",
            "tomorrow",
            "2031-02-30",
            "9999-12-31T23:59:59Z",
            "0001-01-01",
            "1970-01-01T00:00:00Z",
        ]
    ),
    st.sampled_from(["Europe/Paris", "UTC", "America/New_York", "Mars/Olympus", "+02:00", ""]),
    st.text(alphabet="abcdef0123456789-_", min_size=1, max_size=140),  # external ids
)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(float),
)
moments = st.one_of(
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
    st.dates(min_value=date(1900, 3, 1)),
    st.times(),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(tzinfo=None)),
)
cell_value = st.one_of(
    st.none(),
    any_text,
    tricky_text,
    long_text,
    plausible,
    plausible,
    numbers,
    moments,
    st.booleans(),
)

# --- headers ----------------------------------------------------------------------------------

KNOWN_HEADERS = [c.name for c in COLUMNS] + [a for c in COLUMNS for a in c.aliases]
header_names = st.one_of(
    st.sampled_from(KNOWN_HEADERS),
    st.sampled_from(KNOWN_HEADERS).map(lambda h: f"  {h.upper().replace('_', ' ')} "),
    st.sampled_from(list(RESULT_COLUMNS)),
    st.sampled_from(["capton", "acounts", "notes", "", " ", "=HYPERLINK(1)", "#", "🎉"]),
    any_text,
)


@st.composite
def sheets(draw: st.DrawFn) -> tuple[list[Any], list[list[Any]]]:
    """A header row (usually naming caption and accounts) and 0-6 rows of random cells."""
    headers: list[Any] = draw(st.lists(header_names, max_size=8))
    if draw(st.booleans()):
        for required in ("caption", "accounts"):
            if required not in headers:
                headers.insert(draw(st.integers(0, len(headers))), required)
    width = len(headers)
    rows = draw(
        st.lists(
            st.lists(cell_value, min_size=max(0, width - 2), max_size=width + 2),
            max_size=6,
        )
    )
    return headers, rows


# --- writing ----------------------------------------------------------------------------------


def as_csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def write_csv(
    path: Path, headers: list[Any], rows: list[list[Any]], delimiter: str, encoding: str
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([as_csv_text(h) for h in headers])
    writer.writerows([as_csv_text(v) for v in row] for row in rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def as_xlsx_value(value: Any) -> Any:
    """What openpyxl can store: no XML-illegal characters, no non-finite numbers."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)
    return value


def write_xlsx(path: Path, headers: list[Any], rows: list[list[Any]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row_number, row in enumerate([headers, *rows], start=1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column, value=as_xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text, never a formula
    book.save(path)


# --- the property -----------------------------------------------------------------------------


def check_outcome(path: Path, schema: OfficialSchema) -> None:
    """Load and plan ``path`` offline and online: a file error, row errors, or valid bodies."""
    try:
        campaign = load_campaign(path)
    except CampaignFileError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        return
    for directory in (None, DIRECTORY):
        planned = plan_and_validate(campaign.rows, OPTIONS, directory)
        assert [p.row.row_number for p in planned] == [r.row_number for r in campaign.rows]
        bodies = []
        for plan in planned:
            body = plan.body
            if body is None:
                # A row that cannot be sent says why (offline, unresolved @usernames are
                # only a warning: the row may be fine online).
                assert plan.issues, plan.row
                continue
            assert not plan.has_errors, plan.issues
            bodies.append(body.to_json())
        for body, (ok, issues) in zip(bodies, schema.check_many(bodies), strict=True):
            assert ok, describe_failure(body, issues)


@FUZZ
@given(
    sheet=sheets(),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    extension=st.sampled_from([".csv", ".txt", ".tsv"]),
)
def test_any_csv_loads_and_plans_to_an_expected_outcome(
    sheet: tuple[list[Any], list[list[Any]]],
    delimiter: str,
    encoding: str,
    extension: str,
    tmp_path_factory: pytest.TempPathFactory,
    official_schema: OfficialSchema,
) -> None:
    headers, rows = sheet
    if extension == ".tsv":
        delimiter = "\t"
    path = tmp_path_factory.mktemp("csv") / f"campaign{extension}"
    write_csv(path, headers, rows, delimiter, encoding)
    check_outcome(path, official_schema)


@FUZZ
@given(sheet=sheets())
def test_any_xlsx_loads_and_plans_to_an_expected_outcome(
    sheet: tuple[list[Any], list[list[Any]]],
    tmp_path_factory: pytest.TempPathFactory,
    official_schema: OfficialSchema,
) -> None:
    headers, rows = sheet
    path = tmp_path_factory.mktemp("xlsx") / "campaign.xlsx"
    write_xlsx(path, headers, rows)
    check_outcome(path, official_schema)


# A well-formed campaign with one fuzzed column: random values reach the deeper rules
# (media, schedule, accounts) instead of stopping at a missing column.
BASE = {
    "caption": "Fuzzed post",
    "accounts": seed.BYO_TIKTOK_ID,
    "media_urls": "https://cdn.example.com/a.mp4",
    "scheduled_at": (NOW + timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
}


@FUZZ
@given(
    column=st.sampled_from([c.name for c in COLUMNS]),
    values=st.lists(cell_value, min_size=1, max_size=6),
    as_xlsx=st.booleans(),
)
def test_one_fuzzed_column_in_a_good_campaign_gives_an_expected_outcome(
    column: str,
    values: list[Any],
    as_xlsx: bool,
    tmp_path_factory: pytest.TempPathFactory,
    official_schema: OfficialSchema,
) -> None:
    headers = list(dict.fromkeys([*BASE, column]))
    rows = [[BASE.get(h) if h != column else value for h in headers] for value in values]
    folder = tmp_path_factory.mktemp("one")
    if as_xlsx:
        path = folder / "campaign.xlsx"
        write_xlsx(path, headers, rows)
    else:
        path = folder / "campaign.csv"
        write_csv(path, headers, rows, ",", "utf-8")
    check_outcome(path, official_schema)


# --- damaged files: raw text and corrupted workbooks ----------------------------------------

csv_alphabet = st.sampled_from(list("\"',;\t\r\n ab=@+-\x00\ufeffé🎉"))


@FUZZ
@given(
    head=st.sampled_from(["caption,accounts\n", "caption;accounts\r\n", '"caption","ac', ""]),
    body=st.text(alphabet=csv_alphabet, max_size=200) | any_text,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"]),
)
def test_any_text_file_is_read_or_refused_in_one_line(
    head: str,
    body: str,
    encoding: str,
    tmp_path_factory: pytest.TempPathFactory,
    official_schema: OfficialSchema,
) -> None:
    try:
        data = (head + body).encode(encoding)
    except UnicodeEncodeError:
        data = (head + body).encode("utf-8", "surrogatepass")
    path = tmp_path_factory.mktemp("text") / "campaign.csv"
    path.write_bytes(data)
    check_outcome(path, official_schema)


def _stored_workbook() -> bytes:
    """The plain minimal workbook, its parts stored uncompressed so that damage hits the XML."""
    source = Path(__file__).parent / "fixtures" / "hostile" / "minimal.xlsx"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(source) as plain,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as stored,
    ):
        for info in plain.infolist():
            stored.writestr(info.filename, plain.read(info))
    return buffer.getvalue()


STORED_WORKBOOK = _stored_workbook()
damage = st.tuples(
    st.integers(0, len(STORED_WORKBOOK) - 1),
    st.sampled_from(["set", "delete", "insert"]),
    st.binary(min_size=1, max_size=12),
)


@FUZZ
@given(changes=st.lists(damage, min_size=1, max_size=8))
def test_a_damaged_workbook_is_read_or_refused_in_one_line(
    changes: list[tuple[int, str, bytes]],
    tmp_path_factory: pytest.TempPathFactory,
    official_schema: OfficialSchema,
) -> None:
    data = bytearray(STORED_WORKBOOK)
    for position, how, payload in changes:
        position = min(position, len(data) - 1)
        if how == "set":
            data[position : position + len(payload)] = payload
        elif how == "delete":
            del data[position : position + len(payload)]
        else:
            data[position:position] = payload
    path = tmp_path_factory.mktemp("damaged") / "campaign.xlsx"
    path.write_bytes(bytes(data))
    check_outcome(path, official_schema)
