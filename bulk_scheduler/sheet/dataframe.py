"""pandas DataFrames in and out: a campaign from a frame, the results sheet and a
validation report as frames.

Notebook and pipeline users hold campaigns as DataFrames. A frame is read as if it had
been saved as a sheet and loaded (``loader.campaign_from_cells`` does the rest, as for a
file): its column names are row 1, matched like any header (aliases, case, spaces); its
first row is row 2 (cells ``A2``, ``B2``...), rows in frame order; the index is ignored.
Cells become what reading the saved sheet would give: NaN, None, NaT and blank text are
blank; ``Timestamp`` is ``datetime`` (naive stays naive, aware stays aware); numpy
numbers are Python numbers (integral floats as ``int``, as an XLSX read gives them);
durations read as Excel shows them (``"1:30:00"``); text is kept as it is. A list in a
cell (several accounts, a slideshow's URLs) is one value per line, which those columns
accept.

This is the one module that imports pandas at module level, and nothing imports it until
a DataFrame is used: the command line and file campaigns never pay for loading pandas.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from bulk_scheduler.campaign import Campaign, CellValue, cell_text
from bulk_scheduler.issues import RowIssue
from bulk_scheduler.outcome import RowOutcome
from bulk_scheduler.sheet.columns import REQUIRED_COLUMNS
from bulk_scheduler.sheet.issue_report import REPORT_FIELDS
from bulk_scheduler.sheet.loader import campaign_from_cells
from bulk_scheduler.sheet.results import result_table
from bulk_scheduler.sheet.xlsx_reader import convert_rows

__all__ = [
    "campaign_from_dataframe",
    "issues_frame",
    "outcomes_frame",
    "results_frame",
]

# Result columns typed in a frame; the others are text.
_INTEGER_RESULTS = frozenset({"http_status", "attempts"})
_TIME_RESULTS = frozenset({"scheduled_at_utc", "submitted_at"})


def campaign_from_dataframe(
    frame: pd.DataFrame,
    *,
    name: str = "dataframe",
    required: Iterable[str] = REQUIRED_COLUMNS,
    max_rows: int | None = None,
) -> Campaign:
    """The campaign in ``frame``, as if it had been saved as a sheet and loaded.

    Row and cell references are the sheet's (header = row 1, first data row = row 2), and
    an unusable frame raises the loader's ``CampaignFileError`` (``"dataframe: missing
    required column 'caption' (found: ...)"``; an empty frame ``"dataframe: the frame is
    empty"``). ``name`` starts those messages and is the campaign's ``path`` (there is no
    file; see :class:`~bulk_scheduler.campaign.Campaign`). ``required`` and ``max_rows``
    are :func:`~bulk_scheduler.sheet.loader.load_campaign`'s.

    >>> frame = pd.DataFrame({"Text": ["Hello"], "accounts": ["@maya"]})
    >>> campaign = campaign_from_dataframe(frame)
    >>> campaign.rows[0].row_number, campaign.rows[0].cells["caption"], campaign.format
    (2, 'A2', 'dataframe')
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, not {type(frame).__name__}")
    # convert_rows: the XLSX reader's last step (blank text, integral floats, durations).
    headers = convert_rows([[_header_cell(label) for label in frame.columns]])[0]
    # Column by column: pandas converts a whole column at once far faster than cell by cell.
    columns = [_column_cells(frame.iloc[:, index]) for index in range(frame.shape[1])]
    return campaign_from_cells(
        [headers, *map(list, zip(*columns, strict=True))],
        name,
        format="dataframe",
        container="the frame",
        required=required,
        max_rows=max_rows,
    )


def results_frame(campaign: Campaign, outcomes_by_row: Mapping[int, RowOutcome]) -> pd.DataFrame:
    """The results sheet of ``campaign`` as a DataFrame: the same columns in the same order
    as :func:`~bulk_scheduler.sheet.results.write_results` writes (the input columns, then
    the result columns not already there), one row per campaign row, indexed by its sheet
    row number (index name ``"row"``).

    ``outcomes_by_row`` are keyed by row number; rows without one keep the result cells they
    had. Input columns keep their values (pandas infers their dtypes); result columns are
    typed: ids, codes and messages as ``str``, ``http_status`` and ``attempts`` as nullable
    ``Int64``, ``scheduled_at_utc`` and ``submitted_at`` as UTC datetimes. A result column
    holding something else (edited by hand in a sheet loaded again) is kept as it is.
    """
    headers, result_index, rows = result_table(campaign, outcomes_by_row)
    cells: list[Sequence[CellValue]] = (
        list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    )
    name_at = {index: name for name, index in result_index.items()}
    series = [
        _result_series(name_at[index], column) if index in name_at else _inferred(column)
        for index, column in enumerate(cells)
    ]
    frame = pd.concat(series, axis=1, ignore_index=True) if series else pd.DataFrame()
    # Headers may repeat or be blank, as in the sheet; set as they are, not as dict keys.
    frame.columns = pd.Index(headers, dtype=object)
    frame.index = pd.Index([row.row_number for row in campaign.rows], name="row")
    return frame


def outcomes_frame(campaign: Campaign, outcomes: Iterable[RowOutcome]) -> pd.DataFrame:
    """:func:`results_frame` for a run's outcomes as a list (``RunReport.outcomes``)."""
    return results_frame(campaign, {outcome.row_number: outcome for outcome in outcomes})


def issues_frame(
    issues: Iterable[RowIssue], context: Mapping[int, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """One row per issue, with the columns of a ``--report`` CSV: row, cell, column,
    severity, code, message, external_id, caption (``context``: each row's external_id
    and caption start). ``row`` is nullable ``Int64`` (blank for the whole file)."""
    issues = list(issues)
    known = context or {}
    beside = [known.get(issue.row, ("", "")) if issue.row else ("", "") for issue in issues]
    data = {
        "row": pd.Series(pd.array([issue.row for issue in issues], dtype="Int64")),
        "cell": _inferred([issue.cell for issue in issues]),
        "column": _inferred([issue.column for issue in issues]),
        "severity": _inferred([issue.severity.value for issue in issues]),
        "code": _inferred([issue.code for issue in issues]),
        "message": _inferred([issue.message for issue in issues]),
        "external_id": _inferred([external_id for external_id, _ in beside]),
        "caption": _inferred([caption for _, caption in beside]),
    }
    # The report file's columns, in its order, whatever order they were built in above.
    return pd.DataFrame({field: data[field] for field in REPORT_FIELDS})


# --- frame -> cells -----------------------------------------------------------------


def _header_cell(label: object) -> CellValue:
    """A column label as a header cell: blank when missing, a MultiIndex's parts spaced."""
    if isinstance(label, tuple):
        return " ".join(str(part) for part in label if not _missing(part)) or None
    return None if _missing(label) else _native(label)


def _missing(value: object) -> bool:
    # pd.isna on a list or a tuple answers per item; a cell or a label is one value.
    return value is None or (
        not isinstance(value, list | tuple | np.ndarray) and bool(pd.isna(value))
    )


def _column_cells(series: pd.Series) -> list[CellValue]:
    """A column's cells as a sheet read gives them, blanks as ``None`` (see the module
    docstring)."""
    kind = series.dtype.kind
    # Datetimes and durations converted at once where the array can; others cell by cell.
    bulk = {"M": "to_pydatetime", "m": "to_pytimedelta"}.get(kind)
    convert = getattr(series.array, bulk, None) if bulk else None
    values: list[Any] = list(convert()) if convert is not None else series.tolist()
    missing = series.isna().to_numpy(dtype=bool)
    if missing.any():
        for index in np.flatnonzero(missing).tolist():
            values[index] = None
    if kind in "iub" or (kind == "M" and convert is not None):
        return values  # Python ints, bools or datetimes already: nothing to do per cell
    text = isinstance(series.dtype, pd.StringDtype)  # pandas 3's default for text: str only
    if kind != "f" and convert is None and not text:  # objects, categories...: cell by cell
        values = [
            value if value is None or type(value) is str else _native(value) for value in values
        ]
    # The XLSX reader's last step: blank text, integral floats as int, durations as text.
    return convert_rows([values])[0]


def _native(value: object) -> CellValue:
    """One non-blank cell as the Python value a sheet read gives (durations as
    ``timedelta``, which ``convert_rows`` then writes as Excel shows them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        # A sheet holds nothing finer than microseconds; drop nanoseconds without a warning.
        return value.to_pydatetime(warn=False)
    if isinstance(value, pd.Timedelta):
        return value.to_pytimedelta()  # type: ignore[return-value]  # text after convert_rows
    if isinstance(value, np.datetime64 | np.timedelta64):
        boxed = pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
        return None if _missing(boxed) else _native(boxed)
    if isinstance(value, datetime | date | time | timedelta):
        return value  # type: ignore[return-value]  # a timedelta becomes text in convert_rows
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real | Decimal):
        return float(value)
    if isinstance(value, list | tuple | np.ndarray):
        # Several accounts or media URLs in one cell: one per line, as those columns take.
        parts = (_native(item) for item in value if not _missing(item))
        return "\n".join(cell_text(part) for part in parts) or None
    return str(value)


# --- results table -> frame ---------------------------------------------------------


def _inferred(values: Sequence[object]) -> pd.Series:
    """Values as a column whose dtype pandas infers, as for a column read from a file."""
    return pd.Series(list(values), dtype=object).infer_objects()


def _result_series(name: str, values: Sequence[CellValue]) -> pd.Series:
    if name in _INTEGER_RESULTS:
        return _typed(values, _as_int, lambda made: pd.Series(pd.array(made, dtype="Int64")))
    if name in _TIME_RESULTS:
        return _typed(values, _as_utc, lambda made: pd.Series(pd.to_datetime(made, utc=True)))
    return _inferred([None if value is None else cell_text(value) for value in values])


def _typed(
    values: Sequence[CellValue],
    convert: Callable[[CellValue], object],
    build: Callable[[list[object]], pd.Series],
) -> pd.Series:
    """``build`` over each value converted, or the values as they are when one will not
    convert (a result cell edited by hand is shown, not dropped)."""
    made: list[object] = []
    for value in values:
        if value is None:
            made.append(None)
            continue
        try:
            made.append(convert(value))
        except (TypeError, ValueError):
            return _inferred(values)
    return build(made)


def _as_int(value: CellValue) -> int:
    """An integer cell: ``3``, ``3.0``, or ``"3"`` from a results CSV loaded again."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(value)
    if isinstance(value, str):
        return int(value.strip())
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    return int(value)


def _as_utc(value: CellValue) -> datetime:
    """A time as aware UTC: a ``datetime`` (naive is UTC, as the results writer takes it)
    or ISO 8601 text (``2031-03-01T08:00:00Z``, as the API gives ``scheduled_at``)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise TypeError(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
