"""The results sheet as a view of the journal, which is the truth of what was sent.

Whatever version of a campaign is run (the original sheet, its results sheet, a copy),
the results sheet it writes shows every post the journal knows with the cells that were
sent for it: a row edited since its post was created shows the cells sent (its warning
keeps what the sheet had), and a post whose row is not in this version of the sheet is
added at the end. A row the journal does not know as done is never shown as done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace

from bulk_scheduler.campaign import Campaign, CampaignRow, CellValue, cell_text
from bulk_scheduler.launch.journal import JournalEntry
from bulk_scheduler.outcome import RowOutcome
from bulk_scheduler.sheet.columns import RESULT_COLUMNS

NOT_IN_SHEET = (
    "row-not-in-sheet: this post was created from another version of the sheet; its row is "
    "added here with the cells that were sent"
)


def input_columns(campaign: Campaign) -> dict[str, int]:
    """The campaign's own columns (not the result columns), canonical name -> index."""
    return {
        name: index
        for name, index in campaign.columns.items()
        if name not in RESULT_COLUMNS or name == "external_id"
    }


def cells_sent(row: CampaignRow, columns: Iterable[str]) -> dict[str, str]:
    """A row's cells as text, by canonical column: what the journal keeps of a sent row."""
    values = row.values
    return {name: cell_text(values.get(name)) for name in columns}


def cells_json(cells: Mapping[str, str]) -> str:
    return json.dumps(dict(cells), sort_keys=True, ensure_ascii=False)


def changed_cells(row: CampaignRow, sent: Mapping[str, str]) -> dict[str, str]:
    """The cells (canonical column -> the sheet's text) that differ from those sent."""
    now = cells_sent(row, sent)
    return {
        name: text for name, text in now.items() if name != "external_id" and text != sent[name]
    }


def record_view(
    campaign: Campaign,
    outcomes: dict[int, RowOutcome],
    entries: Iterable[JournalEntry],
    edits: frozenset[str] = frozenset(),
) -> tuple[Campaign, dict[int, RowOutcome]]:
    """The campaign and outcomes the results sheet is written from (see the module).

    The sheet's own cells stay in each row's ``original``; what the results show instead
    goes to ``Campaign.shown``, so that a writer that rewrites the user's workbook knows
    which of its cells change. A done row in ``edits`` (external_ids whose edit is still
    to be applied to the post by ``PATCH``) keeps the user's cells: its edit is not lost
    if the run stops before applying it."""
    columns = input_columns(campaign)
    known = {entry.external_id: entry for entry in entries}
    shown: dict[int, list[CellValue]] = {}
    seen: set[str] = set()
    for row in campaign.rows:
        outcome = outcomes.get(row.row_number)
        entry = known.get(outcome.external_id) if outcome is not None else None
        if outcome is not None:
            seen.add(outcome.external_id)
        if (
            entry is not None
            and entry.done
            and entry.cells
            and entry.external_id not in edits
            and changed_cells(row, entry.cells)
        ):
            shown[row.row_number] = _with_cells(row.original, entry.cells, columns)
    rows = list(campaign.rows)
    view = dict(outcomes)
    # After every row of the sheet, the hidden ones not read included: never onto one.
    every_row = [*campaign.rows, *campaign.hidden]
    next_row = max((row.row_number for row in every_row), default=1) + 1
    for entry in known.values():
        if entry.external_id in seen or not entry.done or not entry.cells:
            continue
        if any(_is_row_of(row, entry) for row in campaign.hidden):
            continue  # its row is in the sheet, hidden (and not read): nothing is missing
        assert entry.outcome is not None  # done
        rows.append(CampaignRow(next_row, dict(entry.cells), {}, []))
        shown[next_row] = _with_cells([], entry.cells, columns)
        view[next_row] = replace(
            entry.outcome,
            row_number=next_row,
            warnings=[NOT_IN_SHEET, *entry.outcome.warnings],
        )
        next_row += 1
    return replace(campaign, rows=rows, shown=shown), view


def _is_row_of(row: CampaignRow, entry: JournalEntry) -> bool:
    """Whether a row not read (hidden) is the one ``entry``'s post was made from: its own
    external_id, or the very cells that were sent."""
    own = row.text("external_id")
    if own:
        return own == entry.external_id
    return not entry.cells.get("external_id") and not changed_cells(row, entry.cells)


def _with_cells(
    cells: list[CellValue], sent: Mapping[str, str], columns: Mapping[str, int]
) -> list[CellValue]:
    """``cells`` with the cells ``sent`` in their columns."""
    out = list(cells)
    for name, text in sent.items():
        index = columns.get(name)
        if index is None:
            continue
        out += [None] * (index + 1 - len(out))
        if name == "external_id" and out[index] not in (None, ""):
            continue  # the user's own id cell stays as typed
        out[index] = text or None
    return out
