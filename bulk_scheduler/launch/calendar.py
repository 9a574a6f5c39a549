"""The calendar of a campaign: every row as a card, placed in the weeks and days of one
time zone, with its issues and what its journal or results sheet knows of its post.

This module builds the page's content (:func:`build_calendar`); ``calendar_page.py``
renders it. Every row of the sheet becomes exactly one card: a row with a time goes in
its day, a row with no time (published at once) in the "immediate" lane, and a row whose
time cannot be read in the "unreadable" lane.

The marks that help read a month:

- two posts on one account closer than ``min_gap`` mark both cards ("35 min after row 7
  on @brand");
- a day with no post on an account that posts day after day around it (the day before
  and the day after, and two days before or after) is marked with that account ("no post
  on @brand").

What a launch recorded of a row comes from its journal (the truth of what was sent),
else from result columns of a results sheet (the campaign itself, or the results sheet
beside it): the result, the post id and status, and per account the published links
(:class:`PublishedLink`). Those come from ``bulk-scheduler status``: the journal's post
states (each account's delivery as the API last showed it), else the results sheet's
``published_urls`` and ``account_states`` cells, paired as well as their text allows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bulk_scheduler.api.contract import POST_STATUSES, Account
from bulk_scheduler.campaign import Campaign, CampaignRow
from bulk_scheduler.checks.accounts import PLATFORM_NAMES, UUID_PATTERN
from bulk_scheduler.checks.media_urls import IMAGE_LIKE_EXTENSIONS
from bulk_scheduler.checks.planner import PlannedRow
from bulk_scheduler.issues import RowIssue
from bulk_scheduler.launch.journal import JournalEntry
from bulk_scheduler.launch.lifecycle_journal import PostState
from bulk_scheduler.launch.record import changed_cells
from bulk_scheduler.outcome import RowOutcome

Lane = Literal["scheduled", "immediate", "unreadable"]

DEFAULT_MIN_GAP = timedelta(hours=1)
CAPTION_CHARS = 140  # of the first line, on the card
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:ins?)?)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """``"1h"``, ``"90m"``, ``"1h30m"``, ``"45min"``, ``"0"`` -> a timedelta (a bare
    number is minutes). Raises ValueError saying what it takes.

    >>> parse_duration("1h30m"), parse_duration("45")
    (datetime.timedelta(seconds=5400), datetime.timedelta(seconds=2700))
    """
    compact = text.strip().lower().replace(" ", "")
    if compact.isdigit():
        return timedelta(minutes=int(compact))
    match = _DURATION.fullmatch(compact)
    if not compact or match is None:
        raise ValueError(f"{text!r} is not a duration: write e.g. 1h, 90m or 1h30m")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def describe_duration(span: timedelta) -> str:
    """``timedelta(minutes=90)`` -> ``"1 h 30 min"``; under a minute in seconds."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


@dataclass(frozen=True, slots=True)
class AccountLabel:
    """An account as the page names it. ``key`` identifies it for filters and marks (its
    id when known, else the token as the sheet names it); ``platform`` is None while it is
    not known (offline, an account named by id)."""

    key: str
    handle: str
    platform: str | None = None

    @property
    def text(self) -> str:
        if self.platform is None:
            return self.handle
        return f"{self.handle} · {PLATFORM_NAMES.get(self.platform, self.platform)}"


@dataclass(frozen=True, slots=True)
class PublishedLink:
    """A post as published on one account: its public URL, and that account's status.

    A delivery that failed has no URL (``url`` is ``""``): the card names its account and
    status, with the API's ``error`` on hover, and links nothing."""

    account: str
    url: str
    status: str | None = None
    error: str | None = None

    @property
    def safe_url(self) -> str | None:
        """The URL when it is a web address (never ``javascript:`` or the like), else None."""
        return self.url if self.url.lower().startswith(("https://", "http://")) else None


@dataclass(frozen=True, slots=True)
class PostRecord:
    """What a launch (or a status check) recorded of a row's post.

    ``result`` is the results sheet's result (created, rejected, …); ``post_status`` the
    post's status as the API last reported it (scheduled, posted, failed, partial, …);
    ``links`` the published posts, one per account that has one."""

    result: str
    post_id: str | None = None
    post_status: str | None = None
    message: str | None = None
    links: tuple[PublishedLink, ...] = ()
    source: Literal["journal", "results"] = "journal"

    @property
    def status(self) -> str:
        return self.post_status or self.result

    @property
    def shown(self) -> bool:
        """Whether the card has anything of the record to show besides its status: a
        post, links, or the API's message (an invalid row's message is its issues')."""
        return bool(self.post_id or self.links or (self.message and self.result != "invalid"))


@dataclass(frozen=True, slots=True)
class CardIssue:
    severity: str
    code: str
    message: str
    cell: str | None = None

    @classmethod
    def of(cls, issue: RowIssue) -> CardIssue:
        return cls(str(issue.severity), issue.code, issue.message, issue.cell)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


@dataclass(slots=True)
class Card:
    """One row of the sheet: one post."""

    row: int
    lane: Lane
    when: datetime | None  # in the page's zone; None outside the "scheduled" lane
    time_text: str  # what the card shows as its time
    accounts: tuple[AccountLabel, ...]
    media_kind: str  # video, slideshow, text, or the cell's text and "?" when unknown
    media_count: int
    thumbnail: str | None
    caption: str  # the first line, cut to CAPTION_CHARS
    caption_full: bool  # whether ``caption`` is all of it (else the page adds "…")
    issues: tuple[CardIssue, ...]
    record: PostRecord | None = None
    close_to: list[str] = field(default_factory=list)  # the min-gap marks

    @property
    def errors(self) -> int:
        return sum(1 for issue in self.issues if issue.is_error)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    @property
    def status(self) -> str:
        """The filter's status: the post's when it was sent, else invalid or ready."""
        if self.record is not None:
            return self.record.status
        return "invalid" if self.errors else "ready"

    @property
    def platforms(self) -> list[str]:
        return sorted({a.platform for a in self.accounts if a.platform})


@dataclass(slots=True)
class Day:
    day: date
    cards: list[Card] = field(default_factory=list)
    holes: list[AccountLabel] = field(default_factory=list)  # accounts with a gap here

    @property
    def errors(self) -> int:
        return sum(1 for card in self.cards if card.errors)


@dataclass(slots=True)
class Week:
    days: list[Day]
    empty_weeks_before: int = 0  # weeks without a post left out just before this one

    @property
    def start(self) -> date:
        return self.days[0].day

    @property
    def posts(self) -> int:
        return sum(len(day.cards) for day in self.days)


@dataclass(slots=True)
class CalendarPage:
    """Everything the page shows."""

    campaign: str
    zone: str
    zone_note: str
    generated_at: datetime
    min_gap: timedelta
    weeks: list[Week]
    immediate: list[Card]
    unreadable: list[Card]
    accounts: list[AccountLabel]
    platforms: list[str]
    statuses: list[str]
    file_issues: list[CardIssue]
    records_from: str | None  # where the post records came from, for the header

    @property
    def cards(self) -> list[Card]:
        scheduled = [card for week in self.weeks for day in week.days for card in day.cards]
        return scheduled + self.immediate + self.unreadable

    def summary(self) -> dict[str, object]:
        cards = self.cards
        return {
            "campaign": self.campaign,
            "timezone": self.zone,
            "posts": len(cards),
            "scheduled": len(cards) - len(self.immediate) - len(self.unreadable),
            "immediate": len(self.immediate),
            "unreadable_time": len(self.unreadable),
            "errors": sum(card.errors for card in cards),
            "warnings": sum(card.warnings for card in cards),
            "closer_than_min_gap": sum(1 for card in cards if card.close_to),
            "days_with_a_hole": sum(1 for w in self.weeks for d in w.days if d.holes),
            "by_status": dict(sorted(Counter(card.status for card in cards).items())),
        }


# -- the page's zone -------------------------------------------------------------------


def page_zone(
    view: str | None, planned_zone: str | None, rows: Sequence[CampaignRow]
) -> tuple[tzinfo, str, str]:
    """The zone the page shows times in, its name, and a note saying why that one:
    ``view`` when given, else the campaign's (``--timezone`` or the zone its journal
    remembers), else the zone most of the rows' ``timezone`` cells name, else UTC."""
    if view:
        return ZoneInfo(view), view, "chosen with --view-timezone"
    if planned_zone:
        return ZoneInfo(planned_zone), planned_zone, "the campaign's time zone"
    named = Counter(row.text("timezone") for row in rows if row.text("timezone"))
    for name, _ in named.most_common():
        try:
            return ZoneInfo(name), name, "the time zone most rows name"
        except (ValueError, KeyError, OSError):
            continue
    return UTC, "UTC", "the campaign names no time zone"


# -- the cards -------------------------------------------------------------------------


def _account_labels(planned: PlannedRow) -> tuple[AccountLabel, ...]:
    if planned.resolved_accounts:
        return tuple(_resolved(account) for account in planned.resolved_accounts)
    labels = []
    for key in planned.account_keys:
        if key.startswith("@"):
            labels.append(AccountLabel(key, key))
        elif UUID_PATTERN.fullmatch(key):
            labels.append(AccountLabel(key, f"{key[:8]}…"))
        elif ":" in key:
            platform, _, username = key.partition(":")
            labels.append(AccountLabel(key, f"@{username}", platform))
        else:
            labels.append(AccountLabel(key, key))
    return tuple(labels)


def _resolved(account: Account) -> AccountLabel:
    handle = f"@{account.username}" if account.username else account.display_name or account.id
    return AccountLabel(account.id, handle, account.platform or None)


def _thumbnail(planned: PlannedRow) -> str | None:
    """The first image of the row a browser can show: a web address, or an image file on
    this disk (as a ``file:`` URL, which a page opened from the disk shows)."""
    invalid = set(planned.invalid_media_urls)
    local = {f.written: f for f in planned.local_media}
    for url, extension in zip(planned.media_urls, planned.media_extensions, strict=False):
        file = local.get(url)
        if file is not None:
            kind = (file.extension or "").lower()
            if file.path and not file.problems and kind in IMAGE_LIKE_EXTENSIONS:
                return Path(file.path).as_uri()
            continue
        if url in invalid or not url.lower().startswith(("https://", "http://")):
            continue
        if extension is not None and extension.lower() in IMAGE_LIKE_EXTENSIONS:
            return url
    return None


def _first_line(planned: PlannedRow) -> tuple[str, bool]:
    text = planned.caption or planned.row.text("caption")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "", True
    first = lines[0]
    if len(first) > CAPTION_CHARS:  # the page marks the cut
        return first[:CAPTION_CHARS].rstrip(), False
    return first, len(lines) == 1


def make_card(planned: PlannedRow, zone: tzinfo, record: PostRecord | None) -> Card:
    """The card of one planned row, its time in ``zone``."""
    cell = planned.row.text("scheduled_at")
    when = planned.publish_at.astimezone(zone) if planned.publish_at is not None else None
    lane: Lane
    if when is not None:
        lane, time_text = "scheduled", when.strftime("%H:%M")
    elif cell:
        lane, time_text = "unreadable", cell
    else:
        lane, time_text = "immediate", "at once"
    caption, whole = _first_line(planned)
    kind = planned.media_type or f"{planned.row.text('media_type')[:20] or 'media'}?"
    return Card(
        row=planned.row.row_number,
        lane=lane,
        when=when,
        time_text=time_text,
        accounts=_account_labels(planned),
        media_kind=kind,
        media_count=len(planned.media_urls),
        thumbnail=_thumbnail(planned),
        caption=caption,
        caption_full=whole,
        issues=tuple(CardIssue.of(issue) for issue in planned.issues),
        record=record,
    )


def mark_close_posts(cards: Iterable[Card], min_gap: timedelta) -> None:
    """Mark each pair of posts on one account closer together than ``min_gap``."""
    if min_gap <= timedelta(0):
        return
    by_account: dict[str, list[tuple[datetime, Card, AccountLabel]]] = defaultdict(list)
    for card in cards:
        if card.when is None:
            continue
        for account in card.accounts:
            by_account[account.key].append((card.when, card, account))
    for posts in by_account.values():
        posts.sort(key=lambda post: (post[0], post[1].row))
        for (first_at, first, account), (then_at, then, _) in pairwise(posts):
            apart = then_at - first_at
            if apart >= min_gap:
                continue
            span = describe_duration(apart) if apart else "at the same time as"
            if apart:
                then.close_to.append(f"{span} after row {first.row} on {account.handle}")
                first.close_to.append(f"{span} before row {then.row} on {account.handle}")
            else:
                then.close_to.append(f"{span} row {first.row} on {account.handle}")
                first.close_to.append(f"{span} row {then.row} on {account.handle}")


def mark_holes(days: Mapping[date, Day]) -> None:
    """Mark each day with no post on an account that posts day after day around it: it has
    posts the day before and the day after, and two days before or two days after (so an
    account that posts every other day has no gap on the days between)."""
    dates_by_account: dict[str, set[date]] = defaultdict(set)
    labels: dict[str, AccountLabel] = {}
    for day in days.values():
        for card in day.cards:
            for account in card.accounts:
                dates_by_account[account.key].add(day.day)
                labels.setdefault(account.key, account)
    one = timedelta(days=1)
    for key, dates in dates_by_account.items():
        for before in dates:
            missing, after = before + one, before + 2 * one
            if missing in dates or after not in dates or missing not in days:
                continue
            if before - one in dates or after + one in dates:
                days[missing].holes.append(labels[key])
    for day in days.values():
        day.holes.sort(key=lambda label: label.handle.lower())


def weeks_of(cards: Sequence[Card]) -> tuple[list[Week], dict[date, Day]]:
    """The weeks (Monday first) from the first post's to the last's; a run of weeks with
    no post is left out and counted on the week after it."""
    dated = sorted((card for card in cards if card.when is not None), key=_card_order)
    if not dated:
        return [], {}
    first = dated[0].when.date()  # type: ignore[union-attr]  # dated: when is set
    last = dated[-1].when.date()  # type: ignore[union-attr]
    start = first - timedelta(days=first.weekday())
    days: dict[date, Day] = {}
    weeks: list[Week] = []
    cursor = start
    while cursor <= last:
        week = Week([Day(cursor + timedelta(days=n)) for n in range(7)])
        weeks.append(week)
        for day in week.days:
            days[day.day] = day
        cursor += timedelta(days=7)
    for card in dated:
        days[card.when.date()].cards.append(card)  # type: ignore[union-attr]
    kept: list[Week] = []
    skipped = 0
    for week in weeks:
        if week.posts == 0:
            skipped += 1
            continue
        week.empty_weeks_before = skipped
        skipped = 0
        kept.append(week)
    return kept, days


def _card_order(card: Card) -> tuple[datetime, int]:
    assert card.when is not None
    return card.when, card.row


# -- what a launch recorded ----------------------------------------------------------------


# A delivery the card shows although it has no link: the account the post failed on.
UNLINKED_SHOWN = frozenset({"failed"})


def _text(value: Any) -> str | None:
    """A state's field as text (a journal written by hand may hold anything)."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).strip() or None


def _delivery(account: Mapping[str, Any], names: Mapping[str, str]) -> PublishedLink | None:
    """One account's delivery in a post state, as the card shows it (None: nothing to show)."""
    account_id = _text(account.get("account_id")) or "?"
    handle = _text(account.get("handle"))
    if handle is None or handle == account_id:  # the refresh did not know its username
        handle = names.get(account_id, handle or account_id)
    status = _text(account.get("status"))
    url = _text(account.get("published_url")) or ""
    if not url and status not in UNLINKED_SHOWN:
        return None
    return PublishedLink(handle, url, status, _text(account.get("error_message")))


def _record_of(
    outcome: RowOutcome,
    source: Literal["journal", "results"],
    state: PostState | None = None,
    names: Mapping[str, str] | None = None,
) -> PostRecord:
    """The record of a journal's outcome; with the post's state when it is that post's."""
    post_status = outcome.post_status
    links: tuple[PublishedLink, ...] = ()
    if state is not None and outcome.post_id and state.post_id == outcome.post_id:
        post_status = state.status or post_status
        found = (_delivery(account, names or {}) for account in state.accounts)
        links = tuple(link for link in found if link is not None)
        if post_status == "canceled":  # the post is gone: its failures are past
            links = tuple(link for link in links if link.url)
    return PostRecord(
        result=str(outcome.result),
        post_id=outcome.post_id,
        post_status=post_status,
        message=outcome.error_message,
        links=links,
        source=source,
    )


def journal_records(
    planned: Sequence[PlannedRow],
    entries: Iterable[JournalEntry],
    states: Mapping[str, PostState] | None = None,
) -> dict[int, PostRecord]:
    """Each row's record in the journal: found by its external_id, else (an offline plan
    may make another id than the online run did) by its row number when the journal's
    cells for that row are the sheet's.

    ``states`` are the journal's post states by external_id (what ``status`` last saw):
    a row's post takes its status and per-account links from the state of the same post
    (the same post_id: a state of a post since re-created is not this one's)."""
    states = states or {}
    by_id: dict[str, JournalEntry] = {}
    by_row: dict[int, JournalEntry] = {}
    for entry in entries:
        if entry.outcome is None:
            continue
        by_id[entry.external_id] = entry
        by_row.setdefault(entry.row_number, entry)
    records: dict[int, PostRecord] = {}
    for plan in planned:
        entry = by_id.get(plan.external_id)
        if entry is None:
            candidate = by_row.get(plan.row.row_number)
            if (
                candidate is not None
                and candidate.cells
                and not changed_cells(plan.row, candidate.cells)
            ):
                entry = candidate
        if entry is not None and entry.outcome is not None:
            names = {account.id: _resolved(account).handle for account in plan.resolved_accounts}
            state = states.get(entry.external_id)
            records[plan.row.row_number] = _record_of(entry.outcome, "journal", state, names)
    return records


def sheet_records(planned: Sequence[PlannedRow], results: Campaign | None) -> dict[int, PostRecord]:
    """Each row's record in a results sheet's result columns: found by external_id, else
    by row number when that row holds the same post (the cells that make it are equal)."""
    if results is None or "result" not in results.columns:
        return {}
    by_id: dict[str, CampaignRow] = {}
    by_row: dict[int, CampaignRow] = {}
    for row in results.rows:
        if not row.text("result"):
            continue
        by_row[row.row_number] = row
        if row.text("external_id"):
            by_id[row.text("external_id")] = row
    records: dict[int, PostRecord] = {}
    for plan in planned:
        row = by_id.get(plan.external_id)
        if row is None:
            candidate = by_row.get(plan.row.row_number)
            if candidate is not None and _same_post(plan.row, candidate):
                row = candidate
        if row is None:
            continue
        records[plan.row.row_number] = PostRecord(
            result=row.text("result"),
            post_id=row.text("post_id") or None,
            post_status=row.text("post_status") or None,
            message=row.text("error_message") or None,
            links=sheet_links(row.text("published_urls"), row.text("account_states")),
            source="results",
        )
    return records


# -- the published links a results sheet's cells hold ---------------------------------------

# An account's part of an ``account_states`` cell: "@brand posted", "@brandhq failed: <why>".
_DELIVERY = re.compile(r"(?P<handle>\S+) (?P<status>[a-z_]+|\?)(?:: (?P<error>.*))?", re.DOTALL)
DELIVERY_STATUSES = frozenset(POST_STATUSES) | {"?", "unknown", "not_found"}
# The web addresses of the platforms whose host does not name them.
PLATFORM_HOSTS = {
    "youtu.be": "youtube",
    "fb.watch": "facebook",
    "fb.com": "facebook",
    "pin.it": "pinterest",
    "twitter.com": "x",
    "bsky.app": "bluesky",
    "vm.tiktok.com": "tiktok",
}


@dataclass(slots=True)
class _Delivery:
    handle: str
    status: str | None
    error: str | None
    url: str = ""


def parse_account_states(text: str) -> list[_Delivery]:
    """The accounts of an ``account_states`` cell, in order: ``"@brand posted; @brandhq
    failed: quota; try later"`` -> @brand posted, @brandhq failed ("quota; try later").
    A part that is not "handle status" continues the message before it; text that is not
    the column's at all gives nothing."""
    deliveries: list[_Delivery] = []
    for piece in text.split(";"):
        part = piece.strip()
        if not part:
            continue
        match = _DELIVERY.fullmatch(part)
        if match is not None and match["status"] in DELIVERY_STATUSES:
            status = None if match["status"] == "?" else match["status"]
            error = (match["error"] or "").strip() or None
            deliveries.append(_Delivery(match["handle"], status, error))
        elif deliveries and (before := deliveries[-1]).error is not None:
            before.error = f"{before.error}; {part}"  # a message that holds "; "
    return deliveries


def _web_urls(text: str) -> list[str]:
    """The http(s) addresses of a ``published_urls`` cell (one a line), each once."""
    urls: list[str] = []
    for word in text.split():
        url = word.strip("<>\"'(),")
        if url.lower().startswith(("https://", "http://")) and url not in urls:
            try:
                if urlsplit(url).hostname:
                    urls.append(url)
            except ValueError:  # e.g. a bad IPv6 literal
                continue
    return urls


def platform_of(url: str) -> str:
    """What names a published URL when no account does: its platform, else its host.

    >>> platform_of("https://www.tiktok.com/@brand/video/1"), platform_of("https://youtu.be/x")
    ('TikTok', 'YouTube')
    >>> platform_of("https://example.com/p/1")
    'example.com'
    """
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("m.")
    platform = PLATFORM_HOSTS.get(host)
    if platform is None:
        labels = host.split(".")
        known = [label for label in labels[:-1] if label in PLATFORM_NAMES]
        platform = known[-1] if known else None
    return PLATFORM_NAMES[platform] if platform else host or url


def _names_in(url: str) -> set[str]:
    """The account names a URL's path can carry: ``/@brand/video/1`` -> {"brand"}, and the
    first segment as is (``instagram.com/brand/...``)."""
    segments = [segment.lower() for segment in urlsplit(url).path.split("/") if segment]
    names = {segment[1:] for segment in segments if segment.startswith("@")}
    if segments:
        names.add(segments[0])
    return names


def sheet_links(urls_cell: str, states_cell: str) -> tuple[PublishedLink, ...]:
    """The published links a results sheet's ``published_urls`` and ``account_states``
    cells hold, each URL paired with its account as well as the cells allow:

    - by the handle in the URL's path (``tiktok.com/@brand/video/1`` is @brand's);
    - else in order: ``status`` writes the URLs in the order of the accounts that have
      one, so when as many URLs are left as posted accounts, they pair one by one;
    - else the URL is named by its platform (or host).

    Accounts that failed show without a link. Only http(s) URLs become links."""
    deliveries = parse_account_states(states_cell)
    urls = _web_urls(urls_cell)
    left: list[str] = []
    for url in urls:
        names = _names_in(url)
        owner = next(
            (d for d in deliveries if not d.url and d.handle.lower().lstrip("@") in names),
            None,
        )
        if owner is None:
            left.append(url)
        else:
            owner.url = url
    waiting = [d for d in deliveries if not d.url and d.status == "posted"]
    if left and len(left) == len(waiting):
        for delivery, url in zip(waiting, left, strict=True):
            delivery.url = url
        left = []
    links = [
        PublishedLink(d.handle, d.url, d.status, d.error)
        for d in deliveries
        if d.url or d.status in UNLINKED_SHOWN
    ]
    links.extend(PublishedLink(platform_of(url), url) for url in left)
    return tuple(links)


# The cells that make a post: a results sheet's row is the campaign's row when these agree.
POST_CELLS = ("caption", "media_type", "media_urls", "music_url", "accounts", "scheduled_at")


def _same_post(row: CampaignRow, other: CampaignRow) -> bool:
    return all(row.text(column) == other.text(column) for column in POST_CELLS)


# -- the page ------------------------------------------------------------------------------


def build_calendar(
    campaign: Campaign,
    planned: Sequence[PlannedRow],
    file_issues: Sequence[RowIssue],
    zone: tzinfo,
    zone_name: str,
    *,
    zone_note: str = "",
    min_gap: timedelta = DEFAULT_MIN_GAP,
    records: Mapping[int, PostRecord] | None = None,
    records_from: str | None = None,
    now: datetime | None = None,
) -> CalendarPage:
    """The page of a planned campaign: one card per planned row, in ``zone``."""
    records = records or {}
    cards = [make_card(plan, zone, records.get(plan.row.row_number)) for plan in planned]
    mark_close_posts(cards, min_gap)
    weeks, days = weeks_of(cards)
    mark_holes(days)
    accounts: dict[str, AccountLabel] = {}
    for card in cards:
        for account in card.accounts:
            accounts.setdefault(account.key, account)
    statuses = Counter(card.status for card in cards)
    return CalendarPage(
        campaign=Path(campaign.path).name
        + (f" (sheet {campaign.sheet_name})" if campaign.sheet_name else ""),
        zone=zone_name,
        zone_note=zone_note,
        generated_at=(now or datetime.now(UTC)).astimezone(zone),
        min_gap=min_gap,
        weeks=weeks,
        immediate=[card for card in cards if card.lane == "immediate"],
        unreadable=[card for card in cards if card.lane == "unreadable"],
        accounts=sorted(accounts.values(), key=lambda a: (a.handle.lower(), a.platform or "")),
        platforms=sorted({p for card in cards for p in card.platforms}),
        statuses=sorted(statuses),
        file_issues=[CardIssue.of(issue) for issue in file_issues],
        records_from=records_from,
    )
