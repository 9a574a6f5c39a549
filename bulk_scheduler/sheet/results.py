"""The results sheet: every input row, unchanged and in order, plus the result columns.

Same format as the input (design.md "The results sheet"): XLSX in, XLSX out
(``.xlsm`` in, ``.xlsx`` out: we never write macros); CSV/TSV in, the same
delimiter and encoding out. Running the results sheet again is the normal way
to re-submit what failed, so a sheet that already has result columns gets them
updated in place, never duplicated.

An XLSX results sheet is the user's own workbook with the result columns added to
the campaign's tab and a Summary tab (``results_workbook``): every other tab, format,
width, hidden row, filter and note stays. Only when there is no workbook to copy (a
campaign read from CSV, say) or it cannot be copied with confidence is a new workbook
written, holding the campaign's tab and the Summary (``results_xlsx``).

Every text cell that a spreadsheet would run as a formula is written as text:
an XLSX string cell (with Excel's quote prefix), or a CSV value led by ``'``.
The file is replaced atomically, so a failed write leaves the old one intact.
"""

from __future__ import annotations

import codecs
import csv
import glob
import io
import logging
import os
import secrets
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO

from bulk_scheduler.campaign import Campaign, CellValue
from bulk_scheduler.errors import ConfigurationError
from bulk_scheduler.outcome import RowOutcome, RowResult
from bulk_scheduler.sheet.columns import RENAMED_RESULT_SUFFIX, RESULT_COLUMNS, canonical_column

# Fill colour of the ``result`` cell, per result (RGB hex, Excel's palette where it has one).
RESULT_FILLS: dict[RowResult, str] = {
    RowResult.CREATED: "A9D08E",  # green
    RowResult.ALREADY_EXISTS: "E2EFDA",  # light green
    RowResult.INVALID: "D9D9D9",  # grey
    RowResult.REJECTED: "F4B084",  # orange
    RowResult.ERROR: "FF7C80",  # red
    RowResult.UNKNOWN: "FFE699",  # yellow
    RowResult.NOT_SUBMITTED: "D6DCE4",  # blue-grey
    RowResult.CANCELED: "BFBFBF",  # dark grey
}

# What a spreadsheet may run as a formula when a cell starts with it (OWASP CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# Header notes on the result columns in XLSX, so the sheet explains itself.
RESULT_COLUMN_NOTES: dict[str, str] = {
    "external_id": "The row's key: yours, or generated (stable across re-runs).",
    "result": "created, already_exists, invalid, rejected, error, unknown, not_submitted or "
    "canceled. Running this sheet again re-submits every row that is not created/already_exists "
    "(a canceled row only once you clear its result).",
    "post_id": "The Genviral post id.",
    "post_status": "The post's status as the API last reported it.",
    "scheduled_at_utc": "The publish time the API stored, in UTC.",
    "warnings": "CODE: message entries, one per line.",
    "error_code": "The API's error_code, or the validator's code.",
    "error_message": "Why the row was not created, with the column it concerns.",
    "http_status": "The last HTTP status.",
    "attempts": "Requests made for this row.",
    "submitted_at": "When the row was last sent, in UTC.",
    "account_states": "Each account's delivery as last checked, e.g. @brand posted; "
    "@brandhq failed: <message>.",
    "published_urls": "Where the post was published, one URL per line.",
    "status_checked_at": "When `bulk-scheduler status` (or run) last asked the API, in UTC.",
    "last_action": "The last change made to the post: updated, retried or canceled.",
    "media_urls_sent": "The CDN URLs the row's local media files were uploaded to, one per "
    "line (media_urls keeps your paths).",
}

XLSX_SUFFIXES = frozenset({".xlsx"})
DELIMITED_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})


Writer = Callable[[IO[bytes]], None]

_logger = logging.getLogger(__name__)


def default_results_path(campaign_path: Path) -> Path:
    """Where the results of ``campaign_path`` go: ``<stem>.results.<ext>`` beside it.

    A results sheet given as input is updated in place, and ``.xlsm``, ``.xls`` and
    ``.ods`` become ``.xlsx`` (the results sheet never carries macros, and is written
    as XLSX):

    >>> default_results_path(Path("may.csv"))
    PosixPath('may.results.csv')
    >>> default_results_path(Path("may.results.csv"))
    PosixPath('may.results.csv')
    >>> default_results_path(Path("may.xlsm"))
    PosixPath('may.results.xlsx')
    """
    campaign_path = Path(campaign_path)
    suffix = campaign_path.suffix
    # .xlsm, .xls and .ods campaigns get an .xlsx results sheet (no macros; the formats
    # we read but do not write).
    is_xlsm = suffix.lower() in (".xlsm", ".xls", ".ods")
    extension = ".xlsx" if is_xlsm else suffix
    stem = campaign_path.stem
    if stem.lower().endswith(".results"):
        return campaign_path.with_name(stem + extension)
    return campaign_path.with_name(f"{stem}.results{extension}")


def write_results(
    campaign: Campaign,
    outcomes: Mapping[int, RowOutcome],
    path: Path,
    summary: Mapping[str, object] | None = None,
) -> Path:
    """Write the results sheet of ``campaign`` to ``path`` atomically; returns ``path``.

    ``outcomes`` are keyed by ``CampaignRow.row_number``; rows without one keep
    the result cells they had. The format follows ``path``'s extension (``.xlsx``,
    ``.csv``, ``.tsv`` or ``.txt``); a delimited file keeps the input's delimiter
    and encoding. ``summary`` fills the XLSX ``Summary`` tab (counts per result when
    ``None``); CSV has no second tab, so it is not written there.

    Raises ``ConfigurationError`` for any other extension.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    headers, result_index, rows = result_table(campaign, outcomes)
    if suffix in XLSX_SUFFIXES:
        summary_rows = list((_counts(outcomes.values()) if summary is None else summary).items())
        sheet_title = campaign.sheet_name or "Results"
        source = _source_workbook(campaign)
        existing = _existing_result_columns(campaign)
        added = frozenset(result_index[name] for name in RESULT_COLUMNS if name not in existing)

        # Imported here: CSV campaigns never need them.
        from bulk_scheduler.sheet.results_workbook import (
            WorkbookNotReusableError,
            write_into_workbook,
        )

        def write(handle: IO[bytes]) -> None:
            if source is not None:
                try:
                    write_into_workbook(
                        handle,
                        source,
                        campaign,
                        headers,
                        result_index,
                        rows,
                        added,
                        summary_rows,
                        campaign.header_row,
                    )
                    return
                except WorkbookNotReusableError as exc:
                    # The run's outcomes must be written down whatever the workbook holds.
                    _logger.warning(
                        "%s: written as a new workbook, the campaign's tab and a Summary only "
                        "(the workbook could not be copied: %s)",
                        path.name,
                        exc,
                    )
                    handle.seek(0)
                    handle.truncate()
            # openpyxl (and numpy, which it imports when installed) loads only for a new
            # workbook: about 0.4 s that copying the user's workbook does without.
            from bulk_scheduler.sheet.results_xlsx import write_xlsx

            write_xlsx(handle, sheet_title, headers, result_index, rows, summary_rows)

    elif suffix in DELIMITED_SUFFIXES:
        delimiter, encoding = _delimited_style(campaign, suffix)

        def write(handle: IO[bytes]) -> None:
            # The rows above the header (a planner's title) stay above it.
            above = campaign.above_header if campaign.format in ("csv", "tsv") else []
            _write_delimited(handle, headers, rows, delimiter, encoding, above)

    else:
        raise ConfigurationError(
            f"cannot write a results sheet to {path.name}: name it .xlsx, .csv, .tsv or .txt"
        )
    return write_atomically(path, write)


def check_writable(path: Path, what: str = "results sheet") -> None:
    """Raise ``ConfigurationError`` naming ``path`` when a file cannot be written there.

    Called before anything is sent, so that a run never posts and then fails to record it.
    The folder must exist (it is not created: a mistyped ``--results`` folder is named, not
    made), a file may be created in it, and an existing file must be writable."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ConfigurationError(f"cannot write the {what} {path}: it is a folder")
    if not folder.is_dir():
        reason = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigurationError(f"cannot write the {what} {path}: the folder {folder} {reason}")
    probe = folder / f".{path.name}.probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the {what} {path}: {exc.strerror or exc} in {folder}"
        ) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigurationError(f"cannot write the {what} {path}: the file is read-only")


def _source_workbook(campaign: Campaign) -> Path | None:
    """The workbook the campaign was read from, when there is one to copy the results into."""
    if campaign.format not in ("xlsx", "xlsm"):
        return None
    path = Path(campaign.path)
    return path if path.is_file() and zipfile.is_zipfile(path) else None


def write_atomically(path: Path, write: Writer) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then move it onto ``path``.

    The data is flushed to disk before the move, so ``path`` holds either the
    old file or the complete new one, never a partial one. If ``write`` raises
    (or the run is interrupted) the temporary file is removed and ``path`` is
    untouched. An existing file's permissions are kept.
    """
    path = Path(path)
    _remove_orphans(path)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def _remove_orphans(path: Path) -> None:
    """Remove temporary files that a killed writer of ``path`` left behind."""
    for orphan in path.parent.glob(f"{glob.escape(path.name)}.tmp-*-*"):
        pid_text = orphan.name[len(path.name) + len(".tmp-") :].split("-", 1)[0]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _process_alive(pid):
            continue
        with suppress(OSError):
            orphan.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could run ``text`` as a formula (it starts with ``= + - @``,
    a tab or a carriage return)."""
    return text.startswith(FORMULA_TRIGGERS)


def needs_csv_guard(text: str) -> bool:
    """Formula-like text gets a leading ``'`` in CSV; so does text that already starts with
    ``'`` before a trigger, so that reading the sheet back returns the user's own quote."""
    return is_formula_like(text.lstrip("'"))


def strip_csv_formula_guard(text: str) -> str:
    """Undo the ``'`` that a results CSV puts before formula-like text, for reading it back.

    >>> strip_csv_formula_guard("'-50% today")
    '-50% today'
    >>> strip_csv_formula_guard("'quoted'")
    "'quoted'"
    """
    if text.startswith("'") and is_formula_like(text.lstrip("'")):
        return text[1:]
    return text


# --- the table: headers and rows, format-independent ---------------------------------


def result_table(
    campaign: Campaign, outcomes: Mapping[int, RowOutcome]
) -> tuple[list[str], dict[str, int], list[list[CellValue]]]:
    """Headers, where each result column is, and every row with its result cells filled:
    the results sheet before it is formatted for a file (``write_results``) or a DataFrame
    (``sheet.dataframe.results_frame``). ``outcomes`` are keyed by row number."""
    width = max([len(campaign.headers), *(len(row.original) for row in campaign.rows)])
    headers = [*campaign.headers, *([""] * (width - len(campaign.headers)))]
    existing = _existing_result_columns(campaign)
    added = result_headers(campaign)
    result_index: dict[str, int] = {}
    for name in RESULT_COLUMNS:
        if name in existing:
            result_index[name] = existing[name]
        else:
            result_index[name] = len(headers)
            headers.append(added[name])
    shown = campaign.shown
    rows = [
        _result_row(
            shown.get(row.row_number, row.original),
            outcomes.get(row.row_number),
            len(headers),
            result_index,
        )
        for row in campaign.rows
    ]
    return headers, result_index, rows


def _existing_result_columns(campaign: Campaign) -> dict[str, int]:
    """Result columns the input already has: a results sheet's own (the loader maps them
    only for a sheet this tool wrote), and the user's ``external_id`` column."""
    return {name: index for name, index in campaign.columns.items() if name in RESULT_COLUMNS}


def result_headers(campaign: Campaign) -> dict[str, str]:
    """The header each result column the sheet lacks gets: its name, or its name with
    :data:`RENAMED_RESULT_SUFFIX` where one of the user's own columns already means it."""
    existing = _existing_result_columns(campaign)
    users = {canonical_column(header) for header in campaign.headers if header.strip()}
    return {
        name: name + RENAMED_RESULT_SUFFIX if name in users else name
        for name in RESULT_COLUMNS
        if name not in existing
    }


def renamed_result_columns(campaign: Campaign) -> list[str]:
    """One line per result column renamed so as not to overwrite the user's own."""
    lines = []
    for name, header in result_headers(campaign).items():
        if header != name:
            theirs = next(h for h in campaign.headers if h.strip() and canonical_column(h) == name)
            lines.append(
                f"the sheet's own column '{theirs.strip()}' is kept as it is; "
                f"the tool writes its {name} to a column '{header}'"
            )
    return lines


def _result_row(
    cells: Sequence[CellValue],
    outcome: RowOutcome | None,
    width: int,
    result_index: Mapping[str, int],
) -> list[CellValue]:
    values: list[CellValue] = [*cells, *([None] * (width - len(cells)))]
    if outcome is None:
        return values
    for name, value in _result_values(outcome).items():
        index = result_index[name]
        # The user's own external_id cell stays as typed (a number stays a number).
        if name == "external_id" and not _is_blank(values[index]):
            continue
        values[index] = value
    return values


def _result_values(outcome: RowOutcome) -> dict[str, CellValue]:
    submitted = outcome.submitted_at
    if submitted is not None:
        # A naive time is taken to be UTC already; either way the sheet says UTC.
        submitted = submitted.replace(tzinfo=UTC) if submitted.tzinfo is None else submitted
        submitted = submitted.astimezone(UTC)
    return {
        "external_id": outcome.external_id or None,
        "result": str(outcome.result.value),
        "post_id": outcome.post_id,
        "post_status": outcome.post_status,
        "scheduled_at_utc": outcome.scheduled_at_utc,
        "warnings": "\n".join(outcome.warnings) or None,
        "error_code": outcome.error_code,
        "error_message": outcome.error_message,
        "http_status": outcome.http_status,
        "attempts": outcome.attempts,
        "submitted_at": submitted,
        "account_states": outcome.account_states,
        "published_urls": outcome.published_urls,
        "status_checked_at": _utc(outcome.status_checked_at),
        "last_action": outcome.last_action,
        "media_urls_sent": "\n".join(outcome.media_urls_sent) or None,
    }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)


def _counts(outcomes: Iterable[RowOutcome]) -> dict[str, object]:
    counts = Counter(outcome.result for outcome in outcomes)
    summary: dict[str, object] = {"rows with a result": sum(counts.values())}
    summary.update({str(result.value): counts.get(result, 0) for result in RowResult})
    return summary


def _is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- CSV / TSV ------------------------------------------------------------------------


def _delimited_style(campaign: Campaign, suffix: str) -> tuple[str, str]:
    """The delimiter and encoding to write: the input's, when the input was delimited."""
    delimited_input = campaign.format in ("csv", "tsv")
    if suffix == ".tsv":
        delimiter = "\t"
    elif delimited_input and (suffix == ".txt" or campaign.format == "csv"):
        delimiter = campaign.delimiter
    else:
        # Excel's "Unicode text" (.txt) is tab-delimited; a new .csv is comma-delimited.
        delimiter = "\t" if suffix == ".txt" else ","
    encoding = codecs.lookup(campaign.encoding).name if delimited_input else "utf-8-sig"
    if encoding.startswith("utf-16"):
        encoding = "utf-16"  # always with a BOM, which is how Excel recognises UTF-16
    return delimiter, encoding


def _write_delimited(
    handle: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[CellValue]],
    delimiter: str,
    encoding: str,
    above: Sequence[Sequence[CellValue]] = (),
) -> None:
    # Only result text can be new to the file; 'replace' keeps a legacy encoding writable.
    text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
    writer = csv.writer(text, delimiter=delimiter)
    for row in above:  # the rows above the header, as they were
        writer.writerow([_csv_text(value) for value in row])
    writer.writerow([_csv_text(header) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    text.flush()
    text.detach()  # the caller owns (and fsyncs, and closes) the binary handle


def _csv_text(value: CellValue) -> str:
    """A value as CSV text: as a spreadsheet shows it, formulas defused with a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if needs_csv_guard(value) else value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- XLSX -----------------------------------------------------------------------------


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
