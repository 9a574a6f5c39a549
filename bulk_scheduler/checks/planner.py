"""The planner: one campaign row -> the exact body of ``POST /posts``.

The planner reads cells: it turns each one into the value the body needs and reports
the cells it cannot read (an unknown media type, a date it cannot parse, an account
token that is not an id, a naive time with no zone). Whether the values obey the API's
rules (caption length, formats, timing, duplicates) is the validator's job
(``validator.py``); use :func:`bulk_scheduler.checks.rules.plan_and_validate` for both.

Decisions the planner makes:

- caption: kept exactly as written, except that ``\\r\\n`` and ``\\r`` become ``\\n`` and
  whitespace-only lines at the start and end are dropped (a number cell becomes its text).
- media: see ``media_urls.py``; a row with no URLs and a blank media type is text-only.
- accounts: a blank cell takes ``PlanOptions.default_accounts``. Ids, ``@username``,
  ``platform:username``, bare usernames and profile URLs are read (``accounts.py``).
  Offline (no directory) an id is taken as written but names cannot be looked up: the row
  gets the warning ``account-unresolved-offline`` and no body (it is not an error: the row
  is "to check online").
- scheduled_at: see ``schedule.py``; sent in UTC with ``Z`` and whole seconds. A naive
  time takes the row's ``timezone`` cell, else ``PlanOptions.timezone``; a zone written
  after the time wins. Without ``--date-format``, the day/month order of the whole column
  is taken from the cells that settle it (``infer_date_order``), named in
  :attr:`RowPlanner.notes`; a cell that settles it the other way is
  ``scheduled-at-order-conflict``.
- example: a row the ``example`` column marks (yes, y, true, 1, x, ✓, any case) is an
  example, as the CSV template's rows are: the error ``example-row``, so it is never sent.
  Blank, no, n, false and 0 leave the row alone; any other text is the same error, since
  whether to post cannot be guessed.
- external_id: the cell's text, else ``bs-`` + 24 hex digits of a BLAKE2b hash of the row's
  content (caption, media type and URLs, accounts, scheduled_at in UTC, music_url, and the
  settings blocks when it has any), each field length-prefixed. The row number is not part
  of it, so the id survives reordering and re-runs; any change to what would be sent
  changes it (the API answers ``409`` when one id comes with two bodies). Accounts count
  by id once resolved, by the token as written while they are not (offline), so an offline
  id can differ from the online one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from operator import attrgetter, itemgetter
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bulk_scheduler.api.contract import (
    EXTERNAL_ID_MAX_LENGTH,
    MAX_ACCOUNTS,
    MAX_SLIDES,
    Account,
    PostCreateBody,
)
from bulk_scheduler.campaign import CampaignRow, CellValue, ColumnIndex, cell_text, column_values
from bulk_scheduler.checks.accounts import AccountDirectory, AccountsReading, read_accounts
from bulk_scheduler.checks.groups import expand_groups
from bulk_scheduler.checks.local_media import LocalFile, LocalMedia, content_key_urls
from bulk_scheduler.checks.media_urls import (
    MEDIA_TYPE_ALIASES,
    URL_SEPARATORS_HINT,
    MediaType,
    infer_from_extensions,
    inspect_url_lists,
    normalize_media_type,
    rewrite_drive_url,
    split_media_urls,
)
from bulk_scheduler.checks.schedule import (
    DateFormat,
    DateOrder,
    ScheduleError,
    format_utc,
    infer_date_order,
    localize,
    localize_all,
    parse_iso_column,
    parse_scheduled_at,
    to_utc,
    zone_or_problem,
)
from bulk_scheduler.checks.settings import PlatformSettings, read_settings, settings_columns
from bulk_scheduler.checks.slots import SlotSchedule
from bulk_scheduler.issues import RowIssue, error, row_issue, shorten, warning

GENERATED_ID_PREFIX = "bs-"

# The ``example`` cell's words, compared case-insensitively after stripping. ✔ as well as
# ✓: spreadsheets and keyboards offer either as "the check mark".
EXAMPLE_MARKS = frozenset({"yes", "y", "true", "1", "x", "✓", "✔"})
NOT_EXAMPLE_MARKS = frozenset({"", "no", "n", "false", "0"})
EXAMPLE_ROW_MESSAGE = "example row: delete it or clear the `example` marker"


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Options that apply to every row (the command line's ``--timezone``, ``--accounts``,
    ``--date-format``, ``--groups``, ``--slots``, ``--start``). ``now`` is an aware UTC
    time; None means the real clock.

    ``groups`` maps each account group's name (lower case, without ``#``) to its accounts
    as written; None when the campaign defines none. ``slots`` places the rows with a
    blank ``scheduled_at`` (``slots.py``), from ``slots_start``: a date (its midnight in
    ``timezone``) or an aware instant; ``slot_pins`` keeps the slots of rows placed
    before."""

    timezone: str | None = None
    default_accounts: tuple[str, ...] = ()
    date_format: Literal["dmy", "mdy"] | None = None
    now: datetime | None = None
    groups: Mapping[str, tuple[str, ...]] | None = None
    slots: SlotSchedule | None = None
    slots_start: date | datetime | None = None
    # The slot each row got in an earlier run, by its content (rules.slot_key): kept, so
    # that a row added or moved later never moves a row already sent.
    slot_pins: Mapping[str, datetime] | None = None


class PlannedRow:
    """One row's plan: the body to send (None when the row cannot be sent), its issues,
    and the values read from its cells, which the validator checks.

    ``publish_at`` is aware UTC, None for "publish now"; ``scheduled_at`` is the same as
    sent (``2031-03-01T08:00:00Z``), formatted when read. ``platforms`` are those of the
    accounts when known (resolved online, or written as ``platform:username``).
    ``account_keys`` holds every distinct account named, resolved or not; ``account_ids``
    the ids among them.
    ``media_extensions`` are the URLs' file extensions (None where a URL has none);
    ``invalid_media_urls`` those that are not absolute http(s) URLs.
    ``content_key`` identifies what would be sent, external_id aside: equal keys mean
    identical posts (its time is ``publish_at`` when the cell was read, the cell's text
    when it was not, ``""`` when blank).

    ``payload`` is the exact JSON body and ``body`` the same as a
    :class:`~bulk_scheduler.api.contract.PostCreateBody`. Both are built from the values
    above when first read, not while planning: 100,000 dicts and pydantic models made up
    front would dominate the planning time, and rows with errors never need them.
    Setting ``body`` to None makes the row unsendable.
    """

    __slots__ = (
        "_body",
        "_sendable",
        "account_ids",
        "account_keys",
        "caption",
        "content_key",
        "external_id",
        "external_id_generated",
        "invalid_media_urls",
        "issues",
        "local_media",
        "media_extensions",
        "media_type",
        "media_type_declared",
        "media_urls",
        "music_url",
        "platforms",
        "publish_at",
        "resolved_accounts",
        "row",
        "settings",
        "slotted",
    )

    def __init__(
        self,
        row: CampaignRow,
        external_id: str,
        external_id_generated: bool,
        body: PostCreateBody | None,
        issues: list[RowIssue],
        publish_at: datetime | None,
        platforms: tuple[str, ...] = (),
        sendable: bool = False,
        caption: str = "",
        media_type: MediaType | None = None,
        media_type_declared: bool = False,
        media_urls: tuple[str, ...] = (),
        media_extensions: tuple[str | None, ...] = (),
        invalid_media_urls: tuple[str, ...] = (),
        music_url: str | None = None,
        account_keys: tuple[str, ...] = (),
        account_ids: tuple[str, ...] = (),
        resolved_accounts: tuple[Account, ...] = (),
        content_key: tuple[object, ...] = (),
        settings: PlatformSettings | None = None,
        local_media: tuple[LocalFile, ...] = (),
    ) -> None:
        self.row = row
        self.external_id = external_id
        self.external_id_generated = external_id_generated
        self._body = body
        self._sendable = sendable or body is not None
        self.issues = issues
        self.publish_at = publish_at
        self.platforms = platforms
        self.caption = caption
        self.media_type = media_type
        self.media_type_declared = media_type_declared
        self.media_urls = media_urls
        self.media_extensions = media_extensions
        self.invalid_media_urls = invalid_media_urls
        self.music_url = music_url
        self.account_keys = account_keys
        self.account_ids = account_ids
        self.resolved_accounts = resolved_accounts
        self.content_key = content_key
        # The tiktok, pinterest and settings blocks; whether publish_at is a posting slot.
        self.settings = settings
        self.slotted = False
        # The media parts that name files on disk (``checks/local_media.py``).
        self.local_media = local_media

    @property
    def scheduled_at(self) -> str | None:
        """``publish_at`` as sent (``2031-03-01T08:00:00Z``), None for "publish now"."""
        return None if self.publish_at is None else format_utc(self.publish_at)

    @property
    def body(self) -> PostCreateBody | None:
        """The ``POST /posts`` body, or None when the row cannot be sent."""
        if self._body is None and self._sendable:
            self._body = PostCreateBody.model_validate(self._build_payload())
        return self._body

    @body.setter
    def body(self, value: PostCreateBody | None) -> None:
        self._body = value
        self._sendable = value is not None

    @property
    def payload(self) -> dict[str, Any] | None:
        """The exact JSON body (what ``body.to_json()`` gives), None when unsendable."""
        if self._body is not None:
            return self._body.to_json()
        return self._build_payload() if self._sendable else None

    @property
    def has_body(self) -> bool:
        """True when the row can be sent (``body`` is not None), without building it."""
        return self._sendable

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error: the row is not sent."""
        return any(issue.is_error for issue in self.issues)

    @property
    def row_number(self) -> int:
        return self.row.row_number

    def _build_payload(self) -> dict[str, Any]:
        return build_payload(
            caption=self.caption,
            media_type=self.media_type,
            urls=self.media_urls,
            account_ids=self.account_ids,
            scheduled_at=self.scheduled_at,
            external_id=self.external_id,
            music_url=self.music_url,
            settings=self.settings,
        )

    def __repr__(self) -> str:
        codes = ", ".join(issue.code for issue in self.issues)
        return (
            f"PlannedRow(row={self.row.row_number}, external_id={self.external_id!r}, "
            f"body={'yes' if self._sendable else 'None'}, issues=[{codes}])"
        )


def plan_row(
    row: CampaignRow,
    options: PlanOptions,
    accounts: AccountDirectory | None = None,
    local: LocalMedia | None = None,
) -> PlannedRow:
    """Read one row into a :class:`PlannedRow`.

    ``accounts`` is the workspace's directory (online); without it usernames cannot be
    resolved. The row is sendable when every cell could be read and its shape fits the
    API (one video URL, 1-35 slides, 1-10 resolved accounts); the validator's rules are
    not applied here. Raises ValueError when ``options.timezone`` is not a time zone.
    To plan many rows, use one :class:`RowPlanner`.
    """
    return RowPlanner(options, accounts, local).plan(row)


# The cells a plan reads, in the order :meth:`RowPlanner.plan_rows` takes them.
_PLANNED_COLUMNS = (
    "caption",
    "media_urls",
    "media_type",
    "music_url",
    "accounts",
    "scheduled_at",
    "timezone",
    "external_id",
    "example",
)


# Rows planned together: enough for the column steps to pay off, few enough that a
# block's cells and plans (about 1 KB a row) stay in the CPU's cache from the first column
# read to the last (measured: 100,000 rows plan ~20% faster in blocks of 1,000-2,000
# than all at once, whose column passes each fetch every row from memory again).
_BLOCK_ROWS = 2048


_VALUES = attrgetter("_values")
_ORIGINAL = attrgetter("original")


class _RowNumbers(Sequence[int]):
    """The row numbers of ``rows``, read when asked (few are: those that settle a column's
    day/month order)."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Sequence[CampaignRow]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        return self._rows[index].row_number


class RowPlanner:
    """:func:`plan_row` for the rows of one run.

    :meth:`plan_rows` reads a block of rows column by column: one column's cells across
    the block, what rows repeat read once per distinct cell (the zone of each ``timezone``
    cell, the reading of each ``accounts`` and ``media_type`` cell), the URLs and the ISO
    times of the block checked at once by C calls; then one loop puts each row's plan
    together. No single step dominates the cost of a row, so this saves a little on each.
    The caches live as long as the planner (one run). A row's issues come in the same
    order whichever way it is planned: example, media, accounts, scheduled_at.
    """

    __slots__ = (
        "_any_reading_has_issues",
        "_date_format",
        "_date_order",
        "_date_order_rows",
        "_declared",
        "_default_accounts",
        "_directory",
        "_local",
        "_options",
        "_readings",
        "_zones",
        "notes",
    )

    def __init__(
        self,
        options: PlanOptions,
        accounts: AccountDirectory | None = None,
        local: LocalMedia | None = None,
    ) -> None:
        self._options = options
        self._directory = accounts
        # Files on disk named in media cells, as the media package found them.
        self._local = local or None
        self._date_format = options.date_format
        # What the scheduled_at column says about its day/month order (plan_rows).
        self._date_order = DateOrder()
        # The rows whose scheduled_at column's order is still to infer: done when a block
        # first reads a cell one by one (a column of ISO times never needs it).
        self._date_order_rows: Sequence[CampaignRow] = ()
        # Lines for the plan: what the planner decided for the whole sheet.
        self.notes: list[str] = []
        self._default_accounts = "\n".join(options.default_accounts)
        # accounts cell text -> its reading; timezone cell text -> its zone, the problem
        # with it, or None when blank.
        self._readings: dict[str, AccountsReading] = {}
        self._any_reading_has_issues = False
        self._zones: dict[str | None, ZoneInfo | str | None] = {}
        # media_type cell text -> (type, True, type) for the text cells that name a type.
        self._declared: dict[CellValue, tuple[MediaType | None, bool, str]] = {}

    def plan(self, row: CampaignRow) -> PlannedRow:
        """Read one row: see :func:`plan_row`."""
        return self.plan_rows([row])[0]

    def plan_rows(
        self,
        rows: Sequence[CampaignRow],
        then: Callable[[PlannedRow], object] | None = None,
    ) -> list[PlannedRow]:
        """Read many rows, in order: ``[self.plan(row) for row in rows]``, faster.

        Each plan is given to ``then`` (the validator's checks, say) as soon as it is made,
        while what it holds is still in the CPU's cache: a second pass over 100,000 plans
        would fetch them all from memory again. For the same reason the rows are read
        in blocks of ``_BLOCK_ROWS``: a block's cells stay in the cache from the first
        column read to the last.
        """
        planned: list[PlannedRow] = []
        if self._options.date_format is None:
            self._date_order_rows = rows
        for start in range(0, len(rows), _BLOCK_ROWS):
            self._plan_block(rows[start : start + _BLOCK_ROWS], planned, then)
        return planned

    def _infer_date_order(self, rows: Sequence[CampaignRow]) -> None:
        """The day/month order of the whole scheduled_at column, when its cells settle it
        (``--date-format`` is not given): used for every row, and named in the notes."""
        shared = rows[0]._values
        # C calls over the column.
        if type(shared) is ColumnIndex and len(set(map(id, map(_VALUES, rows)))) == 1:
            index = shared.get("scheduled_at")
            if index is None:
                return
            cells: list[CellValue] = list(map(itemgetter(index), map(_ORIGINAL, rows)))
        else:
            cells = [row.values.get("scheduled_at") for row in rows]
        found = infer_date_order(cells, _RowNumbers(rows))
        if found.order is None:
            return
        self._date_order = found
        self._date_format = found.order
        note = found.note()
        if note is not None:
            self.notes.append(note)

    def _plan_block(
        self,
        rows: Sequence[CampaignRow],
        planned: list[PlannedRow],
        then: Callable[[PlannedRow], object] | None,
    ) -> None:
        """:meth:`plan_rows` for one block of rows, appended to ``planned``."""
        (
            caption_cells,
            url_cells,
            type_cells,
            music_cells,
            account_cells,
            when_cells,
            zone_cells,
            id_cells,
            example_cells,
        ) = column_values(rows, _PLANNED_COLUMNS)
        issues: list[list[RowIssue]] = [[] for _ in rows]
        if example_cells.count(None) != len(example_cells):  # most sheets have no such column
            _mark_examples(rows, example_cells, issues)
        captions = [
            caption
            if isinstance(caption, str)
            and caption
            and "\r" not in caption
            and not caption[0].isspace()
            and not caption[-1].isspace()
            else normalize_caption(caption)  # a caption to tidy; most are sent as written
            for caption in caption_cells
        ]
        url_lists = [() if cell is None else _cell_urls(cell) for cell in url_cells]
        locals_of: list[tuple[LocalFile, ...]] | None = None
        if self._local is not None:
            locals_of = _local_parts(self._local, url_cells, url_lists)
        inspected = inspect_url_lists(url_lists)
        if locals_of is not None:
            _inspect_local(inspected, url_lists, locals_of)
        media = self._media_types(rows, type_cells, url_lists, inspected, issues)
        musics = [None if m is None else cell_text(m).strip() or None for m in music_cells]
        readings = self._accounts_column(rows, account_cells, issues)
        publish_ats, unreads = self._schedules(rows, when_cells, zone_cells, issues)
        platform_settings = _settings_column(rows, media, issues)

        append = planned.append
        if locals_of is None:
            locals_of = [()] * len(rows)
        for (
            row,
            found,
            caption,
            urls,
            (extensions, invalid_urls),
            (media_type, declared, media_key),
            music_url,
            reading,
            publish_at,
            unread,
            written_id,
            settings,
            local_files,
        ) in zip(
            rows,
            issues,
            captions,
            url_lists,
            inspected,
            media,
            musics,
            readings,
            publish_ats,
            unreads,
            id_cells,
            platform_settings,
            locals_of,
            strict=True,
        ):
            keys, ids = reading.keys, reading.ids
            # The time as an instant when it was read (formatting it for each row would
            # cost more than the rest of the key); the cell's text when it was not.
            content_key = (
                caption,
                media_key,
                content_key_urls(urls, self._local.files) if local_files else urls,  # type: ignore[union-attr]
                keys,
                unread if publish_at is None else publish_at,
                music_url,
            )
            if settings is not None:  # only then: the ids of rows without settings stay
                content_key += (settings.key,)
            if written_id is None:
                external_id = ""
            elif isinstance(written_id, str):
                external_id = written_id.strip()
            else:
                external_id = cell_text(written_id).strip()
            generated = not external_id
            if generated:
                external_id = generated_external_id(content_key)
            sendable = bool(
                caption
                and ids
                and len(ids) == len(keys) <= MAX_ACCOUNTS
                and (  # the URLs can make the body's media (else the validator says why)
                    len(urls) == 1
                    if media_type == "video"
                    else 0 < len(urls) <= MAX_SLIDES
                    if media_type == "slideshow"
                    else media_type == "text" and not urls
                )
                and not unread
                and len(external_id) <= EXTERNAL_ID_MAX_LENGTH
                and not (found and any(issue.is_error for issue in found))
            )
            plan = PlannedRow(
                row,
                external_id,
                generated,
                None,
                found,
                publish_at,
                reading.platforms,
                sendable,
                caption,
                media_type,
                declared,
                urls,
                extensions,
                invalid_urls,
                music_url,
                keys,
                ids,
                reading.resolved,
                content_key,
                settings,
                local_files,
            )
            append(plan)
            if then is not None:
                then(plan)

    def _media_types(
        self,
        rows: Sequence[CampaignRow],
        cells: Sequence[CellValue],
        url_lists: list[tuple[str, ...]],
        inspected: list[tuple[tuple[str | None, ...], tuple[str, ...]]],
        issues: list[list[RowIssue]],
    ) -> list[tuple[MediaType | None, bool, str]]:
        """:func:`_read_media_type` of each row. A sheet repeats a few media_type cells:
        each that names a type is read once, and the rows with it look it up."""
        known = self._declared
        found: list[tuple[MediaType | None, bool, str] | None] = list(map(known.get, cells))
        if None in found:  # blank cells (inferred from the URLs), and cells not seen yet
            for index in [i for i, media in enumerate(found) if media is None]:
                cell = cells[index]
                media = _read_media_type(
                    rows[index], cell, url_lists[index], inspected[index], issues[index]
                )
                if isinstance(cell, str) and media[0] is not None and media[1]:
                    known[cell] = media  # declared and valid: no issue to repeat
                found[index] = media
        return found  # type: ignore[return-value]  # no None left

    def _accounts_column(
        self,
        rows: Sequence[CampaignRow],
        cells: Sequence[CellValue],
        issues: list[list[RowIssue]],
    ) -> list[AccountsReading]:
        """The reading of each row's accounts cell (or of the ``--accounts`` default when
        it is blank), with its issues added to the row's: a cell's text is read the first
        time it is seen, looked up in the readings of the run after that."""
        readings = self._readings
        found: list[AccountsReading | None] = list(map(readings.get, cells))
        if None in found:  # cells not seen yet (each text read once), and non-text cells
            for index in [i for i, reading in enumerate(found) if reading is None]:
                cell = cells[index]
                text = cell if isinstance(cell, str) else cell_text(cell)
                reading = readings.get(text)
                if reading is None:
                    reading = readings[text] = self._read_accounts(text)
                    self._any_reading_has_issues |= reading.has_issues
                found[index] = reading
        if self._any_reading_has_issues:
            for row, reading, row_issues in zip(rows, found, issues, strict=True):
                if reading.has_issues:  # type: ignore[union-attr]
                    _add_account_issues(row, reading, row_issues)  # type: ignore[arg-type]
        return found  # type: ignore[return-value]  # no None left

    def _read_accounts(self, text: str) -> AccountsReading:
        """Read an accounts cell's text (the ``--accounts`` default when it is blank),
        its ``#group`` names expanded first (``groups.py``)."""
        source = "accounts"
        if (not text or text.isspace()) and self._default_accounts:
            text, source = self._default_accounts, "--accounts"
        if "#" not in text:
            return read_accounts(text, self._directory, source)
        expansion = expand_groups(text, self._options.groups)
        reading = read_accounts(expansion.text, self._directory, source)
        if not expansion.problems:
            return reading
        return replace(
            reading,
            named=reading.named + len(expansion.unknown),
            problems=(*expansion.problems, *reading.problems),
        )

    def _schedules(
        self,
        rows: Sequence[CampaignRow],
        when_cells: Sequence[CellValue],
        zone_cells: Sequence[CellValue],
        issues: list[list[RowIssue]],
    ) -> tuple[Sequence[datetime | None], Sequence[str]]:
        """:meth:`_schedule` for each row, as (publish_at of each, unread text of each);
        for a column of ISO times whose timezone cells all name zones (or are blank, with
        ``--timezone``), as whole columns at once."""
        moments = parse_iso_column(when_cells)
        zones = None if moments is None else self._zone_column(zone_cells)
        if moments is not None and zones is not None:
            try:
                return localize_all(moments, zones), [""] * len(moments)
            except (ScheduleError, OverflowError):
                pass  # a time in a gap or overlap, or at the edge of the calendar: row by row
        if self._date_order_rows:  # the first cells read one by one: infer the order first
            self._infer_date_order(self._date_order_rows)
            self._date_order_rows = ()
        read = list(map(self._schedule, rows, when_cells, zone_cells, issues))
        if not read:
            return [], []
        publish_ats, unreads = zip(*read, strict=True)
        return publish_ats, unreads

    def _zone_column(self, zone_cells: Sequence[CellValue]) -> list[ZoneInfo] | None:
        """The zone of each row's naive time, when every timezone cell names one (or is
        blank and ``--timezone`` does); None otherwise."""
        zones = self._zones
        distinct = set(zone_cells)
        for written in distinct - zones.keys():
            if not (isinstance(written, str) or written is None):
                return None  # a number or date in a timezone cell: read row by row
            zones[written] = _cell_zone(written)
        # Judged once per distinct cell: a zone, blank (None), or a problem (str).
        kinds = {type(zones[written]) for written in distinct}  # type: ignore[index]
        if not kinds <= {ZoneInfo, type(None)}:
            return None  # a cell that is not a zone: the per-row path says so
        found: list[ZoneInfo | None] = list(map(zones.__getitem__, zone_cells))  # type: ignore[arg-type]
        if type(None) in kinds:  # blank cells take --timezone
            option = zone_or_problem(self._options.timezone) if self._options.timezone else None
            if type(option) is not ZoneInfo:
                return None  # no option (timezone-missing) or a bad one: row by row
            found = [zone or option for zone in found]
        return found  # type: ignore[return-value]  # no None left

    def _schedule(
        self, row: CampaignRow, value: CellValue, zone_cell: CellValue, issues: list[RowIssue]
    ) -> tuple[datetime | None, str]:
        """(publish_at in UTC or None, the cell as written when it could not be read).

        ``(None, "")`` for a blank cell (publish now); ``(publish_at, "")`` when read.
        """
        if value is None:
            return None, ""
        conflict = self._date_order.conflicts.get(row.row_number)
        if conflict is not None:
            issues.append(
                error("scheduled-at-order-conflict", conflict, **_where(row, "scheduled_at"))
            )
            return None, cell_text(value).strip()
        try:
            moment = parse_scheduled_at(value, self._date_format)
            if moment is None:
                return None, ""
            if type(moment.tzinfo) is ZoneInfo:  # a zone name after the time
                utc = localize(moment.replace(tzinfo=None), moment.tzinfo)
            elif moment.tzinfo is None:
                if isinstance(value, datetime) and not (
                    moment.hour or moment.minute or moment.second
                ):
                    issues.append(
                        warning(
                            "scheduled-at-midnight",
                            f"{moment:%Y-%m-%d} is scheduled at exactly 00:00; if the cell "
                            "holds only a date, add the time of day",
                            **_where(row, "scheduled_at"),
                        )
                    )
                zone = self._zone(row, value, zone_cell, issues)
                if zone is None:
                    return None, cell_text(value).strip()
                utc = localize(moment, zone)
            else:
                utc = to_utc(moment)
        except ScheduleError as exc:
            issues.append(error(exc.code, exc.message, **_where(row, "scheduled_at")))
            return None, cell_text(value).strip()
        except OverflowError:  # at the very edge of the calendar, e.g. 9999-12-31 23:59-05:00
            raw = cell_text(value).strip()
            issues.append(
                error(
                    "scheduled-at-invalid",
                    f"'{raw}' is outside the supported dates",
                    **_where(row, "scheduled_at"),
                )
            )
            return None, raw
        return utc, ""

    def _zone(
        self, row: CampaignRow, value: CellValue, written: CellValue, issues: list[RowIssue]
    ) -> ZoneInfo | None:
        """The zone for a naive time: the row's timezone cell (``written``), else the
        option; None (with an issue) when there is none or the cell's is not a zone."""
        if isinstance(written, str) or written is None:
            found = self._zones.get(written)
            if found is None and written not in self._zones:
                found = self._zones[written] = _cell_zone(written)
        else:
            found = _cell_zone(cell_text(written))
        if isinstance(found, str):
            issues.append(error("timezone-unknown", found, **_where(row, "timezone")))
            return None
        if found is not None:
            return found
        if self._options.timezone:
            option = zone_or_problem(self._options.timezone)
            if isinstance(option, str):  # callers check the option up front (check_timezone)
                raise ValueError(f"--timezone: {option}")
            return option
        issues.append(
            error(
                "timezone-missing",
                f"'{cell_text(value).strip()}' has no time zone: fill the timezone column "
                "(e.g. Europe/Paris), write an offset (e.g. 2031-03-01T09:00+01:00), or pass "
                "--timezone",
                **_where(row, "scheduled_at"),
            )
        )
        return None


def _mark_examples(
    rows: Sequence[CampaignRow], cells: Sequence[CellValue], issues: list[list[RowIssue]]
) -> None:
    """The ``example-row`` error on each row whose ``example`` cell marks it, or says
    neither yes nor no: a template's example must never be posted by mistake."""
    for row, cell, found in zip(rows, cells, issues, strict=True):
        if cell is None:
            continue
        written = (cell if isinstance(cell, str) else cell_text(cell)).strip()
        word = written.casefold()
        if word in NOT_EXAMPLE_MARKS:
            continue
        if word in EXAMPLE_MARKS:
            found.append(error("example-row", EXAMPLE_ROW_MESSAGE, **_where(row, "example")))
        else:
            found.append(
                error(
                    "example-row",
                    f"example is '{written}', which is neither yes nor no: write yes to keep "
                    "this example row from being sent, or clear the cell to send it",
                    **_where(row, "example"),
                )
            )


def _cell_zone(written: str | None) -> ZoneInfo | str | None:
    """A timezone cell's zone, the problem with it, or None when it is blank."""
    if written and not written.isspace():
        return zone_or_problem(written)
    return None


def _add_account_issues(row: CampaignRow, reading: AccountsReading, issues: list[RowIssue]) -> None:
    where = _where(row, "accounts")
    if not reading.named:
        issues.append(
            error(
                "accounts-missing",
                "no accounts: write the account ids or @usernames to post to (separated "
                "by commas), or pass --accounts for rows that leave the cell blank",
                **where,
            )
        )
    for severity, code, message in reading.problems:
        issues.append(row_issue(severity, code, message, **where))


def _settings_column(
    rows: Sequence[CampaignRow],
    media: Sequence[tuple[MediaType | None, bool, str]],
    issues: list[list[RowIssue]],
) -> Sequence[PlatformSettings | None]:
    """Each row's settings blocks (``settings.py``); all None when the sheet has no
    settings column, which costs one look at the first row's columns."""
    columns = settings_columns(list(rows[0].values)) if rows else ()
    if not columns:
        return [None] * len(rows)
    cells = list(zip(*column_values(rows, columns), strict=True))
    return [
        None
        if row_cells.count(None) == len(row_cells)
        else read_settings(row, columns, row_cells, media_type, row_issues)
        for row, row_cells, (media_type, _, _), row_issues in zip(
            rows, cells, media, issues, strict=True
        )
    ]


def generated_external_id(content_key: tuple[Any, ...]) -> str:
    """``bs-`` + 24 hex digits of the row's content's BLAKE2b hash (96 bits; BLAKE2b rather
    than SHA-256 because it costs far less per call, and this runs for every row).

    The content is serialised with each field length-prefixed (lists joined by new lines,
    which URLs and account keys never contain), so no two contents share a serialisation.
    """
    caption, media, urls, keys, when, music, *settings = content_key
    schedule = when if isinstance(when, str) else format_utc(when)
    urls_text = "\n".join(urls)
    keys_text = "\n".join(keys)
    music = music or ""
    serialised = (
        f"{len(caption)}:{caption}{len(media)}:{media}{len(urls_text)}:{urls_text}"
        f"{len(keys_text)}:{keys_text}{len(schedule)}:{schedule}{len(music)}:{music}"
    )
    if settings:  # the settings blocks, when the row has any
        serialised += f"{len(settings[0])}:{settings[0]}"
    digest = hashlib.blake2b(serialised.encode("utf-8", "surrogatepass"), digest_size=12)
    return GENERATED_ID_PREFIX + digest.hexdigest()


def build_payload(
    *,
    caption: str,
    media_type: MediaType | None,
    urls: tuple[str, ...],
    account_ids: tuple[str, ...],
    scheduled_at: str | None,
    external_id: str,
    music_url: str | None,
    settings: PlatformSettings | None = None,
) -> dict[str, Any]:
    """The exact JSON body of ``POST /posts`` for values already read and checked; keys
    in the order :meth:`PostCreateBody.to_json` gives, unset fields absent.
    ``scheduled_at`` is already formatted (:func:`~bulk_scheduler.checks.schedule.format_utc`)."""
    data: dict[str, Any] = {"caption": caption}
    if media_type == "video":
        data["media"] = {"type": "video", "url": urls[0]}
    elif media_type == "slideshow":
        data["media"] = {"type": "slideshow", "urls": list(urls)}
    data["accounts"] = [{"id": i} for i in account_ids]
    if scheduled_at is not None:
        data["scheduled_at"] = scheduled_at
    data["external_id"] = external_id
    if music_url:
        data["music_url"] = music_url
    if settings is not None:
        data.update(settings.body_parts())
    return data


# --- cells -----------------------------------------------------------------------------


def normalize_caption(value: CellValue) -> str:
    """The caption to send: the cell's text with ``\\r\\n``/``\\r`` as ``\\n`` and
    whitespace-only lines at the start and end removed; everything else as written."""
    text = cell_text(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text and (text[0].isspace() or text[-1].isspace()):
        lines = text.split("\n")
        start, end = 0, len(lines)
        while start < end and not lines[start].strip():
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        text = "\n".join(lines[start:end])
    return text


def _where(row: CampaignRow, column: str) -> dict[str, Any]:
    return {"row": row.row_number, "column": column, "cell": row.cells.get(column)}


# --- media -----------------------------------------------------------------------------


def _local_parts(
    local: LocalMedia, cells: Sequence[CellValue], url_lists: list[tuple[str, ...]]
) -> list[tuple[LocalFile, ...]]:
    """The local files of each row, its parts taken as the media package split the cell
    (a file whose name holds a separator is one part); ``url_lists`` updated in place."""
    found: list[tuple[LocalFile, ...]] = []
    split = local.cells
    for index, cell in enumerate(cells):
        if cell is None:
            found.append(())
            continue
        parts = split.get(cell if isinstance(cell, str) else cell_text(cell))
        if parts is None:
            found.append(())
            continue
        url_lists[index] = tuple(p if p in local.files else rewrite_drive_url(p) for p in parts)
        found.append(local.of(parts))
    return found


def _inspect_local(
    inspected: list[tuple[tuple[str | None, ...], tuple[str, ...]]],
    url_lists: list[tuple[str, ...]],
    locals_of: list[tuple[LocalFile, ...]],
) -> None:
    """A local file is no invalid URL, and its kind is its content's: fix up the
    inspection of the rows that have one, in place."""
    for index, files in enumerate(locals_of):
        if not files:
            continue
        by_part = {f.written: f for f in files}
        extensions, invalid = inspected[index]
        inspected[index] = (
            tuple(
                by_part[url].extension if url in by_part else extension
                for url, extension in zip(url_lists[index], extensions, strict=True)
            ),
            tuple(url for url in invalid if url not in by_part),
        )


def _cell_urls(cell: CellValue) -> tuple[str, ...]:
    """A ``media_urls`` cell's URLs, after the Drive rewrite."""
    text = cell if isinstance(cell, str) else cell_text(cell)
    if "\n" in text or "|" in text or "," in text or " " in text or "\r" in text or "\t" in text:
        urls = tuple(split_media_urls(text))
    else:  # one URL, the common case: no need to split
        text = text.strip()
        urls = (text,) if text else ()
    if "google.com" in text:  # Drive links are rare: rewrite only when there may be one
        urls = tuple(map(rewrite_drive_url, urls))
    return urls


def _read_media_type(
    row: CampaignRow,
    written: CellValue,
    urls: tuple[str, ...],
    inspected: tuple[tuple[str | None, ...], tuple[str, ...]],
    issues: list[RowIssue],
) -> tuple[MediaType | None, bool, str]:
    """(media type, declared?, the type's text for the content key) from the
    ``media_type`` cell, else from the URLs' extensions (``inspected``: the URLs'
    extensions and those that are not http(s) URLs)."""
    if written is not None:
        written = written.strip() if isinstance(written, str) else cell_text(written).strip()
    if written:
        media_type = MEDIA_TYPE_ALIASES.get(written) or normalize_media_type(written)
        if media_type is None:
            issues.append(
                error(
                    "media-type-invalid",
                    f"media_type '{written}' is not one this tool knows; write video, "
                    "slideshow or text (or leave it blank to infer it from the URLs)",
                    **_where(row, "media_type"),
                )
            )
            return None, True, written
        return media_type, True, media_type
    inferred = infer_from_extensions(inspected[0])
    if inferred is None:
        first = shorten(urls[0])
        example = first if len(urls) == 1 else f"{len(urls)} URLs such as {first}"
        issues.append(
            error(
                "media-type-unknown",
                f"cannot tell whether {example} is a video or images: the file name in the "
                "link does not say (Google Drive links never do); fill media_type with video "
                f"or slideshow ({URL_SEPARATORS_HINT})",
                **_where(row, "media_type"),
            )
        )
        return None, False, ""
    if inferred == "mixed":  # videos and images: the validator explains (media-mixed)
        return None, False, "mixed"
    return inferred, False, inferred


__all__ = [
    "DateFormat",
    "PlanOptions",
    "PlannedRow",
    "RowPlanner",
    "build_payload",
    "cell_text",
    "normalize_caption",
    "plan_row",
]
