"""Campaign rows built by hand: as the loader gives them (planner and validator tests),
and as CSV files a user would hand to the command line."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from bulk_scheduler.campaign import CampaignRow, CellValue
from bulk_scheduler.sandbox.seed import HOSTED_TIKTOK_ID
from bulk_scheduler.sheet.columns import COLUMNS as SHEET_COLUMNS

COLUMNS = tuple(column.name for column in SHEET_COLUMNS)
VIDEO = "https://cdn.example.com/launch.mp4"
# The columns of the end-to-end tests' campaign files.
RUN_HEADER = ["external_id", "caption", "media_type", "media_urls", "accounts", "scheduled_at"]


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = RUN_HEADER
) -> Path:
    """A UTF-8 campaign file: ``header``, then ``rows``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_row(row_number: int = 2, **values: CellValue) -> CampaignRow:
    """A valid row with ``values`` changed; unspecified columns are blank."""
    defaults: dict[str, CellValue] = {
        "caption": "Holiday drops start Monday!",
        "media_urls": VIDEO,
        "accounts": HOSTED_TIKTOK_ID,
        "scheduled_at": "2031-03-01 09:00",
    }
    row_values = {column: None for column in COLUMNS} | defaults | values
    cells = {column: f"{chr(65 + i)}{row_number}" for i, column in enumerate(COLUMNS)}
    return CampaignRow(row_number, row_values, cells, list(row_values.values()))
