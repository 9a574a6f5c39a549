"""Campaign rows built by hand, as the loader gives them, for planner and validator tests."""

from __future__ import annotations

from bulk_scheduler.campaign import CampaignRow, CellValue
from bulk_scheduler.columns import COLUMNS as SHEET_COLUMNS
from bulk_scheduler.sandbox.seed import HOSTED_TIKTOK_ID

COLUMNS = tuple(column.name for column in SHEET_COLUMNS)
VIDEO = "https://cdn.example.com/launch.mp4"


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
