"""Account groups as a sheet lists them: a workbook's ``groups`` tab, or the file given
with ``--groups`` (CSV or XLSX).

The sheet has a header row with a group column (``group``, ``group name`` or ``name``)
and an accounts column (``accounts``, ``account`` or ``members``). Each row names a group
and one or more of its accounts (separated as in the campaign's accounts column); rows
with the same name add to the group, and a row whose group cell is blank adds to the
group above it, so both of these layouts work::

    group          accounts                       group          accounts
    spring-launch  @genviral, @genviral.ig        spring-launch  @genviral
    fall           tiktok:genviral_looks                         @genviral.ig

Names are compared without ``#`` and in any case. A sheet the tool cannot use as groups
is a ``CampaignFileError`` naming the file, the tab and the row.
"""

from __future__ import annotations

import os
from pathlib import Path

from bulk_scheduler.campaign import CellValue, cell_text
from bulk_scheduler.checks.accounts import split_account_tokens
from bulk_scheduler.checks.groups import group_key
from bulk_scheduler.errors import CampaignFileError
from bulk_scheduler.sheet.columns import normalize_header
from bulk_scheduler.sheet.csv_reader import read_csv
from bulk_scheduler.sheet.file_guard import MAX_FILE_BYTES, check_file_size
from bulk_scheduler.sheet.xlsx_reader import read_xlsx

GROUPS_TAB = "groups"
_GROUP_HEADERS = frozenset({"group", "group_name", "groupname", "name", "groups"})
_ACCOUNT_HEADERS = frozenset({"accounts", "account", "members", "account_ids", "profiles"})

AccountGroups = dict[str, tuple[str, ...]]


def groups_tab_name(sheet_names: list[str], campaign_sheet: str | None) -> str | None:
    """The workbook's groups tab (named ``groups``, any case), unless it is the campaign's."""
    for name in sheet_names:
        if name.strip().casefold() == GROUPS_TAB and name != campaign_sheet:
            return name
    return None


def read_groups_tab(path: Path, name: str, tab: str) -> AccountGroups:
    """The groups of the workbook's tab ``tab`` (``name`` is the file as given)."""
    table = read_xlsx(path, name, tab)
    return groups_from_cells(table.rows, f"{name}: tab '{tab}'")


def read_groups_file(path: str | Path) -> AccountGroups:
    """The groups of a ``--groups`` file: a CSV, or an XLSX (its ``groups`` tab when it
    has one, else its first). Raises ``CampaignFileError``."""
    name = os.fspath(path)
    file = Path(path)
    if not file.is_file():
        raise CampaignFileError(f"{name}: groups file not found")
    check_file_size(file, name, MAX_FILE_BYTES)
    extension = file.suffix.lower()
    if extension in (".xlsx", ".xlsm"):
        table = read_xlsx(file, name)
        tab = groups_tab_name(table.sheet_names, None)
        if tab is not None and tab != table.sheet_name:
            table = read_xlsx(file, name, tab)
        return groups_from_cells(table.rows, f"{name}: tab '{table.sheet_name}'")
    if extension in (".csv", ".tsv", ".txt"):
        text = read_csv(file, name, delimiter="\t" if extension == ".tsv" else None)
        return groups_from_cells(text.rows, name)  # type: ignore[arg-type]
    raise CampaignFileError(f"{name}: groups are read from a .csv or .xlsx file")


def groups_from_cells(rows: list[list[CellValue]], where: str) -> AccountGroups:
    """The groups a sheet's cells list (``rows[0]`` is the header row)."""
    header = [normalize_header(cell_text(cell)) for cell in (rows[0] if rows else [])]
    group_column = next((i for i, h in enumerate(header) if h in _GROUP_HEADERS), None)
    accounts_column = next((i for i, h in enumerate(header) if h in _ACCOUNT_HEADERS), None)
    if group_column is None or accounts_column is None:
        raise CampaignFileError(
            f"{where}: row 1 must name a 'group' column and an 'accounts' column"
        )
    groups: dict[str, list[str]] = {}
    current: str | None = None
    for number, row in enumerate(rows[1:], start=2):
        group = _cell(row, group_column)
        accounts = split_account_tokens(_cell(row, accounts_column))
        if not group and not accounts:
            continue
        if group:
            current = group_key(group)
            if not current or any(c in current for c in " ,;"):
                raise CampaignFileError(
                    f"{where}: row {number}: '{group}' is not a group name; use letters, "
                    "digits, '-', '_' or '.', without spaces"
                )
        elif current is None:
            raise CampaignFileError(f"{where}: row {number} lists accounts but no group name")
        members = groups.setdefault(current, [])
        members.extend(a for a in accounts if a not in members)
    empty = [name for name, members in groups.items() if not members]
    if empty:
        raise CampaignFileError(f"{where}: group '{empty[0]}' lists no accounts")
    if not groups:
        raise CampaignFileError(f"{where}: lists no groups")
    return {name: tuple(members) for name, members in groups.items()}


def _cell(row: list[CellValue], index: int) -> str:
    return cell_text(row[index]).strip() if index < len(row) else ""


__all__ = [
    "GROUPS_TAB",
    "AccountGroups",
    "groups_from_cells",
    "groups_tab_name",
    "read_groups_file",
    "read_groups_tab",
]
