"""The dry run: load, plan and validate every row of a campaign; nothing is sent
that creates or changes a post.

>>> report = validate_campaign("sample_campaigns/video_campaign.csv",  # doctest: +SKIP
...                           PlanOptions(timezone="Europe/Paris"))
>>> report.error_count, [p.payload for p in report.valid_rows][:1]  # doctest: +SKIP

A pandas DataFrame may stand in for the file (``sheet/dataframe.py``); pandas is imported
only when one is given, so validating a file never loads it.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from bulk_scheduler import event_loop
from bulk_scheduler.api.contract import Account
from bulk_scheduler.campaign import Campaign, CellValue, cell_text, column_values
from bulk_scheduler.checks.accounts import AccountDirectory
from bulk_scheduler.checks.local_media import LocalMedia, may_name_files
from bulk_scheduler.checks.planner import PlannedRow, PlanOptions
from bulk_scheduler.checks.rules import plan_and_validate
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.issues import RowIssue, shorten
from bulk_scheduler.sheet.columns import REQUIRED_COLUMNS
from bulk_scheduler.sheet.file_guard import MAX_FILE_BYTES
from bulk_scheduler.sheet.loader import load_campaign
from bulk_scheduler.sheet.read_options import ReadOptions

if TYPE_CHECKING:  # media (and its HTTP library) and pandas load only when used
    import pandas as pd

    from bulk_scheduler.api.client import ApiKey
    from bulk_scheduler.media.preflight import MediaCheckOptions
    from bulk_scheduler.media.probe import MediaFacts


@dataclass(slots=True)
class ValidationReport:
    """Everything the dry run found, and the bodies ``run`` would send."""

    campaign: Campaign
    planned: list[PlannedRow]
    online: bool
    accounts: list[Account] | None = None
    file_issues: list[RowIssue] = field(default_factory=list)
    # What the planner decided for the whole sheet, for the plan ("scheduled_at read as
    # month/day (row 7 has 3/14/2027)").
    notes: list[str] = field(default_factory=list)

    @property
    def issues(self) -> list[RowIssue]:
        """File-level issues first, then each row's, in sheet order."""
        found = list(self.file_issues)
        for planned in self.planned:
            found.extend(planned.issues)
        return found

    @property
    def error_count(self) -> int:
        return sum(1 for issue in self.issues if issue.is_error)

    @property
    def warning_count(self) -> int:
        return sum(1 for issue in self.issues if not issue.is_error)

    @property
    def valid_rows(self) -> list[PlannedRow]:
        return [p for p in self.planned if p.has_body and not p.has_errors]

    @property
    def invalid_rows(self) -> list[PlannedRow]:
        return [p for p in self.planned if not p.has_body or p.has_errors]

    @property
    def rows_with_errors(self) -> list[PlannedRow]:
        """Rows with an error: never sent as they are."""
        return [p for p in self.planned if p.has_errors]

    @property
    def rows_to_check_online(self) -> list[PlannedRow]:
        """Rows without errors that cannot be built offline (their usernames are looked up
        online): not errors, not ready either."""
        return [p for p in self.planned if not p.has_body and not p.has_errors]

    def row_context(self) -> dict[int, tuple[str, str]]:
        """Each row's ``(external_id, the start of its caption)``, by row number: what a
        report puts beside each issue so that a reader knows the post without the sheet."""
        return {
            p.row.row_number: (p.external_id, shorten(p.caption.replace("\n", " "), 40))
            for p in self.planned
        }

    def code_counts(self) -> dict[str, int]:
        return dict(Counter(issue.code for issue in self.issues))

    def payloads(self) -> Iterable[dict[str, Any]]:
        """One entry per valid row: ``{"row", "external_id", "body"}`` (the exact JSON body)."""
        for planned in self.valid_rows:
            yield {
                "row": planned.row.row_number,
                "external_id": planned.external_id,
                "body": planned.payload,
            }

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": str(self.campaign.path),
            "sheet": self.campaign.sheet_name,
            "online": self.online,
            "rows": len(self.planned),
            "valid_rows": len(self.valid_rows),
            "invalid_rows": len(self.invalid_rows),
            "errors": self.error_count,
            "warnings": self.warning_count,
            "issues": self._issue_dicts(),
            "header_row": self.campaign.header_row,
            "notes": [*self.campaign.notes, *self.notes],
        }

    def _issue_dicts(self) -> list[dict[str, Any]]:
        context = self.row_context()
        found = []
        for issue in self.issues:
            data = issue.to_dict()
            external_id, caption = context.get(issue.row, ("", "")) if issue.row else ("", "")
            data["external_id"], data["caption"] = external_id, caption
            found.append(data)
        return found

    def to_pandas(self) -> pd.DataFrame:
        """The issues as a DataFrame, one row each, with the ``--report`` file's columns:
        row (nullable ``Int64``, blank for the whole file), cell, column, severity, code,
        message, external_id, caption (its start). Imports pandas."""
        from bulk_scheduler.sheet.dataframe import issues_frame

        return issues_frame(self.issues, self.row_context())


def validate_rows(
    campaign: Campaign,
    options: PlanOptions,
    accounts: Sequence[Account] | None = None,
    *,
    media: MediaCheckOptions | None = None,
    media_cache: MutableMapping[str, MediaFacts] | None = None,
    media_dir: Path | None = None,
) -> ValidationReport:
    """Plan and validate a loaded campaign.

    ``accounts`` (from ``GET /accounts``) enables the online rules; ``media`` the media
    preflight (each distinct URL probed once; ``media_cache`` holds facts already known);
    the campaign's groups tab gives the account groups unless ``options`` has some
    (``--groups``). Files on disk named in media cells are checked whatever the options,
    offline too: relative paths are looked for in ``media_dir``, else beside the campaign
    file.
    """
    directory = AccountDirectory(accounts) if accounts is not None else None
    if options.groups is None and campaign.groups is not None:  # the workbook's groups tab
        options = replace(options, groups=campaign.groups)
    local = find_local(campaign, media_dir)
    notes: list[str] = []
    planned = plan_and_validate(campaign.rows, options, directory, notes, local)
    if media is not None:
        from bulk_scheduler.media.preflight import check_media

        check_media(planned, media, media_cache)
    # Findings the loader made on a row's cells (an uncalculated formula, say) belong to it.
    # Only when there is something to place: 100,000 rows would make a dict for nothing.
    by_row = {p.row.row_number: p for p in planned} if campaign.issues else {}
    file_issues: list[RowIssue] = []
    for issue in campaign.issues:
        owner = by_row.get(issue.row) if issue.row is not None else None
        if owner is None:
            file_issues.append(issue)
            continue
        owner.issues.append(issue)
        if issue.is_error:
            owner.body = None
    return ValidationReport(
        campaign=campaign,
        planned=planned,
        online=accounts is not None,
        accounts=list(accounts) if accounts is not None else None,
        file_issues=file_issues,
        notes=notes,
    )


def find_local(campaign: Campaign, media_dir: Path | None = None) -> LocalMedia | None:
    """The files on disk the campaign's media cells name, checked (None when no cell
    names one: the media package, and its HTTP library, then never load)."""
    if "media_urls" not in campaign.columns or not campaign.rows:
        return None
    index = campaign.columns["media_urls"]
    try:  # rows as loaded hold every column of the sheet
        cells: Sequence[CellValue] = [row.original[index] for row in campaign.rows]
    except IndexError:
        cells = column_values(campaign.rows, ("media_urls",))[0]
    try:  # text cells (nearly always): no set or list of them made
        texts: Iterable[str] = ("\n".join(filter(None, cells)),)  # type: ignore[arg-type]
    except TypeError:  # a number or a date in a media cell
        texts = [cell_text(c) for c in cells if c is not None]
    if not may_name_files(texts):
        return None
    from bulk_scheduler.media.local_files import MediaFolders, find_local_media

    path = None if campaign.format == "dataframe" else Path(campaign.path).absolute()
    return find_local_media(cells, MediaFolders.for_campaign(path, media_dir)) or None


def validate_campaign(
    path: str | Path | pd.DataFrame,
    options: PlanOptions | None = None,
    *,
    sheet: str | None = None,
    reading: ReadOptions | None = None,
    accounts: Sequence[Account] | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    media: MediaCheckOptions | None = None,
    api_key: str | ApiKey | None = None,
    base_url: str | None = None,
    media_check: bool = True,
    media_progress: Callable[[int, int], None] | None = None,
    media_dir: str | Path | None = None,
) -> ValidationReport:
    """Load ``path`` and validate every row; nothing that creates a post is sent.

    Offline by default. With ``api_key`` (and ``base_url``, else ``GENVIRAL_BASE_URL``,
    else production) it is the online dry run ``bulk-scheduler validate`` makes: the
    workspace's accounts are fetched, and unless ``media_check`` is false every distinct
    media URL is probed (``media_progress`` sees URLs probed of how many). ``accounts``
    and ``media`` may instead be given as they are.

    ``path`` may be a pandas DataFrame instead, read as if saved as a sheet (header row 1,
    first row 2; see ``sheet/dataframe.py``); its campaign's ``path`` is ``dataframe``.
    Paths to files in media cells are looked for in ``media_dir``, else beside ``path``.
    ``reading`` says how to read a file (``ReadOptions``: header row, CSV encoding,
    hidden rows).

    Raises ``CampaignFileError`` for an unusable file, ``ConfigurationError`` for a bad
    base URL, and ``FatalApiError`` when the API refuses the key or cannot be reached.
    """
    options = options or PlanOptions()
    campaign = load_for(
        path, options, sheet=sheet, max_rows=max_rows, max_bytes=max_bytes, reading=reading
    )
    if api_key is not None and accounts is None:
        # The HTTP client loads only here: an offline dry run never needs it.
        from bulk_scheduler.api.client import ApiKey, resolve_base_url
        from bulk_scheduler.launch.workspace import fetch_accounts, media_options

        url = resolve_base_url(base_url)
        accounts = event_loop.run(fetch_accounts(ApiKey.of(api_key), url))
        if media_check and media is None:
            media = media_options(url, media_progress)
    folder = Path(media_dir) if media_dir is not None else None
    return validate_rows(campaign, options, accounts, media=media, media_dir=folder)


def load_for(
    path: str | Path | pd.DataFrame,
    options: PlanOptions,
    *,
    sheet: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = MAX_FILE_BYTES,
    reading: ReadOptions | None = None,
) -> Campaign:
    """Load a campaign; ``accounts`` is not a required column when default accounts are set.

    ``path`` may be a pandas DataFrame (``max_bytes`` does not apply: it is in memory)."""
    required = [c for c in REQUIRED_COLUMNS if not (c == "accounts" and options.default_accounts)]
    if is_dataframe(path):
        if sheet is not None:
            raise CampaignFileError(
                f"dataframe: sheet '{sheet}' was asked for, but a DataFrame has no sheets"
            )
        from bulk_scheduler.sheet.dataframe import campaign_from_dataframe

        return campaign_from_dataframe(path, required=required, max_rows=max_rows)
    return load_campaign(
        path,
        sheet=sheet,
        required=required,
        max_rows=max_rows,
        max_bytes=max_bytes,
        reading=reading,
    )


def is_dataframe(value: object) -> TypeGuard[pd.DataFrame]:
    """Whether ``value`` is a pandas DataFrame, without importing pandas: if pandas was
    never imported, nothing can be one (so a file campaign never loads pandas)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)
