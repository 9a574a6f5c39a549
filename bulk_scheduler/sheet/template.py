"""A blank campaign template (``bulk-scheduler template OUT.xlsx|OUT.csv``).

Everything the template says about a column comes from ``columns.COLUMNS``, the
single description of the sheet; the limits come from ``contract``. The output is
deterministic, so the committed ``templates/`` files can be checked against it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from bulk_scheduler.api.contract import (
    API_KEY_ENV,
    IMAGE_EXTENSIONS,
    IMAGE_MAX_BYTES,
    MAX_ACCOUNTS,
    MAX_SLIDES,
    MIN_SCHEDULE_LEAD_SECONDS,
    VIDEO_EXTENSIONS,
    VIDEO_MAX_BYTES,
    VIDEO_MAX_SECONDS,
    VIDEO_MIN_SECONDS,
)
from bulk_scheduler.campaign import CellValue
from bulk_scheduler.checks.media_urls import MEDIA_TYPES
from bulk_scheduler.sheet.columns import COLUMNS, COLUMNS_BY_NAME, Column
from bulk_scheduler.sheet.results import write_atomically

CAMPAIGN_SHEET = "Campaign"
EXAMPLES_SHEET = "Examples"
INSTRUCTIONS_SHEET = "Instructions"
TEMPLATE_SUFFIXES: tuple[str, ...] = (".xlsx", ".csv")

# Rows that take the media_type drop-down: far more than any hand-made campaign.
VALIDATION_ROWS = 10_000

# Fixed metadata and zip entry times: writing the template twice gives the same file.
_FIXED_TIME = datetime(2024, 1, 1)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)

_WRAPPED = ("caption", "media_urls", "accounts")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOP_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_EXAMPLES_TAB_COLOR = "A6A6A6"  # grey: a tab to read, not to fill in
# The per-platform settings columns, on the right, each platform's headers in a colour of
# its own so that the groups stand out.
_PLATFORM_FILLS = {
    "tiktok.": PatternFill("solid", fgColor="E2EFDA"),
    "pinterest.": PatternFill("solid", fgColor="FCE4D6"),
    "settings.": PatternFill("solid", fgColor="FFF2CC"),
}
# Drop-downs of the settings columns that take a few words: (choices, what blank means).
_SWITCH_CHOICES = ("yes", "no")
_SETTING_CHOICES: dict[str, tuple[tuple[str, ...], str]] = {
    "tiktok.privacy_level": (("Public", "Friends", "Followers", "Only me"), "TikTok's default"),
    "tiktok.post_mode": (("Direct", "Drafts"), "Direct"),
    **{
        f"tiktok.{name}": (_SWITCH_CHOICES, "TikTok's default")
        for name in (
            "disable_comment",
            "disable_duet",
            "disable_stitch",
            "auto_add_music",
            "is_commercial",
            "is_branded_content",
            "is_your_brand",
            "user_consent",
        )
    },
}

# The CSV template marks its examples in this column (a CSV has no tabs to keep them
# apart); the planner refuses a marked row (example-row). The XLSX template keeps its
# examples on their own tab instead, so its tabs leave the column out.
EXAMPLE_MARKER_COLUMN = "example"
EXAMPLE_MARKER = "yes"
SHEET_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.name != EXAMPLE_MARKER_COLUMN)
# The CSV template's columns: the sheet's, then the example marker, last.
CSV_COLUMNS: tuple[Column, ...] = (*SHEET_COLUMNS, COLUMNS_BY_NAME[EXAMPLE_MARKER_COLUMN])
EXAMPLES_NOTE = (
    f"Examples: bulk-scheduler reads the first tab ({CAMPAIGN_SHEET}), never this one unless "
    f"told to (--sheet {EXAMPLES_SHEET}). Copy the rows you want to the {CAMPAIGN_SHEET} tab, "
    "below its header, to use them."
)

# The example rows: a video, a slideshow, and a local time with a time zone. Far in the
# future, so they stay schedulable. The accounts are ids of the sandbox's seeded workspace
# (written out here because the sheet package never imports the sandbox; a test checks
# that the sandbox still seeds them).
HOSTED_TIKTOK_ID = "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"
BYO_TIKTOK_ID = "6b0c8c9c-55ac-4fcb-85ec-70b5a8b0d089"
BYO_INSTAGRAM_ID = "a4b1c2d3-1e2f-4a5b-8c6d-7e8f9a0b1c2d"
BYO_YOUTUBE_ID = "b5c2d3e4-2f3a-4b6c-9d7e-8f9a0b1c2d3e"
EXAMPLE_ACCOUNT_IDS = (HOSTED_TIKTOK_ID, BYO_TIKTOK_ID, BYO_INSTAGRAM_ID, BYO_YOUTUBE_ID)
EXAMPLE_ROWS: tuple[dict[str, CellValue], ...] = (
    {
        "external_id": COLUMNS_BY_NAME["external_id"].example,
        "caption": COLUMNS_BY_NAME["caption"].example,
        "media_type": "video",
        "media_urls": COLUMNS_BY_NAME["media_urls"].example,
        "music_url": COLUMNS_BY_NAME["music_url"].example,
        "accounts": HOSTED_TIKTOK_ID,
        "scheduled_at": "2031-03-01T09:00:00Z",
    },
    {
        "external_id": "launch-week-02",
        "caption": "Three looks for the weekend. Which one is yours? #ootd",
        "media_type": "slideshow",
        "media_urls": "\n".join(f"https://cdn.example.com/looks/look-{n}.jpg" for n in (1, 2, 3)),
        "accounts": f"{BYO_TIKTOK_ID}, {BYO_INSTAGRAM_ID}",
        "scheduled_at": "2031-03-02T18:30:00+01:00",
    },
    {
        # No external_id: one is generated and written back in the results sheet.
        "caption": "Behind the scenes: how we pack your orders",
        "media_type": "video",
        "media_urls": "https://cdn.example.com/behind-the-scenes.mp4",
        "accounts": BYO_YOUTUBE_ID,
        # A date-time cell in the XLSX template: local time in the row's time zone.
        "scheduled_at": datetime(2031, 3, 3, 12, 0),
        "timezone": COLUMNS_BY_NAME["timezone"].example,
    },
)


def write_template(path: Path) -> Path:
    """Write a blank campaign template to ``path`` (``.xlsx`` or ``.csv``); returns ``path``.

    Neither can post its examples by mistake. The XLSX has a ``Campaign`` sheet, the
    first, which ``validate`` and ``run`` read (headers with notes, a ``media_type``
    drop-down, no rows), an ``Examples`` sheet (the same header, three example rows, to
    copy from) and an ``Instructions`` sheet. The CSV is UTF-8 with a BOM, so Excel
    opens it correctly: the header and the same example rows, each marked ``yes`` in the
    ``example`` column, which makes it an error (``example-row``) until the marker is
    cleared. Raises ``ValueError`` for any other extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = template_xlsx_bytes()
    elif suffix == ".csv":
        data = template_csv_bytes()
    else:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ValueError(f"{path.name}: a template is written as .xlsx or .csv, not {shown}")

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    return write_atomically(path, write)


def template_csv_bytes() -> bytes:
    """The CSV template: UTF-8 with a BOM, the header row and the example rows, each
    marked in the ``example`` column."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow([column.name for column in CSV_COLUMNS])
    for example in EXAMPLE_ROWS:
        marked = {**example, EXAMPLE_MARKER_COLUMN: EXAMPLE_MARKER}
        writer.writerow([_csv_text(marked.get(column.name)) for column in CSV_COLUMNS])
    return text.getvalue().encode("utf-8-sig")


def template_xlsx_bytes() -> bytes:
    """The XLSX template, byte for byte the same on every call."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = CAMPAIGN_SHEET
    _fill_campaign_sheet(sheet, ())
    examples = workbook.create_sheet(EXAMPLES_SHEET)
    _fill_campaign_sheet(examples, EXAMPLE_ROWS)
    # On the first example cell, where a reader of the tab looks first; the header row
    # stays row 1, so the tab is a campaign itself (--sheet Examples).
    examples["A2"].comment = Comment(EXAMPLES_NOTE, "bulk-scheduler", height=110, width=320)
    examples.sheet_properties.tabColor = _EXAMPLES_TAB_COLOR
    _fill_instructions_sheet(workbook.create_sheet(INSTRUCTIONS_SHEET))
    workbook.properties.creator = "bulk-scheduler"
    workbook.properties.created = _FIXED_TIME
    workbook.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    # Workbook.save stamps "modified" with the current time; the writer itself does not.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _with_fixed_zip_times(buffer.getvalue())


def _fill_campaign_sheet(sheet: Worksheet, rows: tuple[dict[str, CellValue], ...]) -> None:
    """The header (notes, colours), ``rows`` below it, widths, frozen header, drop-down."""
    sheet.append([column.name for column in SHEET_COLUMNS])
    for index, column in enumerate(SHEET_COLUMNS, start=1):
        cell = sheet.cell(1, index)
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        for prefix, fill in _PLATFORM_FILLS.items():
            if column.name.startswith(prefix):
                cell.fill = fill
        cell.comment = Comment(_header_note(column), "bulk-scheduler", height=140, width=320)

    for row_number, example in enumerate(rows, start=2):
        for index, column in enumerate(SHEET_COLUMNS, start=1):
            cell = sheet.cell(row_number, index, example.get(column.name))
            cell.alignment = _TOP_WRAP if column.name in _WRAPPED else _TOP
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"

    # Wide enough for the examples on both tabs, so a row copied over fits as well.
    for index, column in enumerate(SHEET_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = "A2"

    media_type = get_column_letter(_position("media_type"))
    choices = ",".join(MEDIA_TYPES)
    drop_down = DataValidation(
        type="list",
        formula1=f'"{choices}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="media_type",
        error=f"Choose {', '.join(MEDIA_TYPES)}, or leave blank to infer it from the URLs.",
        showInputMessage=True,
        promptTitle="media_type",
        prompt="Blank: inferred from the URLs.",
    )
    drop_down.add(f"{media_type}2:{media_type}{VALIDATION_ROWS + 1}")
    sheet.add_data_validation(drop_down)
    for name, (words, blank) in _SETTING_CHOICES.items():
        letter = get_column_letter(_position(name))
        setting = DataValidation(
            type="list",
            formula1=f'"{",".join(words)}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=name,
            error=f"Choose {', '.join(words)}, or leave blank for {blank}.",
            showInputMessage=True,
            promptTitle=name,
            prompt=f"Blank: {blank}.",
        )
        setting.add(f"{letter}2:{letter}{VALIDATION_ROWS + 1}")
        sheet.add_data_validation(setting)


def _header_note(column: Column) -> str:
    need = "required" if column.required else "optional"
    return f"{column.name} ({need})\n{column.description}\nExample: {column.example}"


def _width(column: Column) -> float:
    """Wide enough for the header and the examples (longest line), within reason."""
    lengths = [len(column.name) + 4]
    for example in EXAMPLE_ROWS:
        value = example.get(column.name)
        if isinstance(value, str):
            lengths.extend(len(line) for line in value.splitlines())
        elif value is not None:
            lengths.append(16)
    return float(min(max(lengths) + 2, 50))


def _position(name: str) -> int:
    return [column.name for column in SHEET_COLUMNS].index(name) + 1


def _instruction_lines() -> list[tuple[str, ...]]:
    """The Instructions sheet, row by row: a column table, then how to write dates and media,
    then how to run a campaign."""
    video = ", ".join(sorted(extension.upper() for extension in VIDEO_EXTENSIONS))
    images = ", ".join(sorted(extension.upper() for extension in IMAGE_EXTENSIONS))
    lead_minutes = MIN_SCHEDULE_LEAD_SECONDS // 60
    lines: list[tuple[str, ...]] = [
        ("How to fill in a campaign sheet",),
        (
            f"One row is one post, for 1 to {MAX_ACCOUNTS} accounts. Row 1 holds the column names; "
            "their order does not matter and common aliases are accepted (e.g. text for caption).",
        ),
        (),
        ("column", "required", "what to write", "example"),
    ]
    lines += [
        (column.name, "yes" if column.required else "no", column.description, column.example)
        for column in COLUMNS
    ]
    lines += [
        (),
        ("Dates (scheduled_at)",),
        (
            "• An Excel date-time cell, or text: 2031-03-01T09:00:00Z, 2031-03-01T10:00+01:00, "
            "2031-03-01 09:00, 01/03/2031 09:00, March 1, 2031 9:00 AM.",
        ),
        (
            "• A time without an offset needs a time zone: the timezone column, or --timezone "
            "Europe/Paris for the whole sheet. It is never guessed.",
        ),
        (
            "• Day/month order: when a date like 03/04/2031 is ambiguous, pass "
            "--date-format dmy or mdy.",
        ),
        (
            f"• At least {lead_minutes} minutes in the future. Blank publishes immediately, "
            "and the plan says how many rows do.",
        ),
        (),
        ("Media (media_urls)",),
        (
            f"• A video: one {video} URL, {VIDEO_MIN_SECONDS}-{VIDEO_MAX_SECONDS} s, "
            f"under {VIDEO_MAX_BYTES // (1024 * 1024)} MB.",
        ),
        (
            f"• A slideshow: 1-{MAX_SLIDES} {images} image URLs in display order, one per line "
            f"or separated by |, each under {IMAGE_MAX_BYTES // (1024 * 1024)} MB.",
        ),
        ("• URLs must be publicly reachable; Google Drive share links are accepted.",),
        ("• A text post (media_type text, no media_urls) only for accounts that allow one.",),
        (),
        ("Accounts",),
        (
            f"• Up to {MAX_ACCOUNTS} per row: account ids, @username or platform:username, "
            "separated by commas, semicolons or new lines. bulk-scheduler accounts lists them.",
        ),
        (
            "• Or a group: #spring-launch stands for the accounts a 'groups' tab lists under "
            "that name (columns group and accounts; or pass --groups FILE). Groups count "
            f"toward the {MAX_ACCOUNTS}-account limit once expanded.",
        ),
        (),
        ("Platform settings (the columns on the right)",),
        (
            "• tiktok.* columns only for rows whose every account is a BYO TikTok account; "
            "pinterest.* columns only for rows with a Pinterest account; never both in one row.",
        ),
        (
            "• Switches: yes or no (TRUE/FALSE, ✓ and 1/0 work too). Privacy: Public, Friends, "
            "Followers or Only me. Post mode: Direct, or Drafts (slideshows only; at most 5 "
            "drafts per TikTok account a day).",
        ),
        (
            "• Any other platform's setting: a column named settings.<platform>.<key>, e.g. "
            "settings.youtube.title. A blank cell sends nothing.",
        ),
        (),
        ("Posting slots",),
        (
            '• Leave scheduled_at blank and pass --slots "Mon-Fri 09:00,18:00; Sat 11:00" '
            "--start 2031-03-01 --timezone Europe/Paris: each such row gets the next free slot, "
            "in sheet order, the same on every run.",
        ),
        (),
        ("Running a campaign",),
        (f"• Set your API key in the {API_KEY_ENV} environment variable.",),
        ("• Check everything first, sending nothing: bulk-scheduler validate campaign.xlsx",),
        (
            "• Schedule the posts: bulk-scheduler run campaign.xlsx  (shows the plan and asks "
            "before sending; --yes skips the question)",
        ),
        ("• Try it without an account: add --sandbox to either command.",),
        (
            f"• Only the first tab ({CAMPAIGN_SHEET}) is read, so the rows on the "
            f"{EXAMPLES_SHEET} tab are never sent: copy the ones you want to the "
            f"{CAMPAIGN_SHEET} tab to use them.",
        ),
        (
            "• The results land in campaign.results.xlsx: a result, post id and any error per row. "
            "Fix the rows that failed there and run that file again; rows already created are "
            "never sent twice.",
        ),
    ]
    return lines


def _fill_instructions_sheet(sheet: Worksheet) -> None:
    for line in _instruction_lines():
        sheet.append(list(line))
    sheet["A1"].font = _TITLE
    table_header = 4
    for cell in sheet[table_header]:
        cell.font = _BOLD
    for row in sheet.iter_rows(min_row=table_header + 1, max_row=table_header + len(COLUMNS)):
        for cell in row:
            cell.alignment = _TOP_WRAP
    for row in sheet.iter_rows(min_row=table_header + len(COLUMNS) + 1):
        cell = row[0]
        if isinstance(cell.value, str) and not cell.value.startswith("•"):
            cell.font = _BOLD
    for letter, width in zip("ABCD", (18, 10, 70, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def _csv_text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _with_fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every entry dated ``_ZIP_TIME`` instead of now."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return buffer.getvalue()
