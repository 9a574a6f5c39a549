"""The validator: the API's rules applied to each planned row, and across rows.

Offline rules always run; with the workspace's accounts (online) the account-specific
rules run too: the caption limit of each targeted account, whether it accepts posts
without media or with music, whether it is active. A row with any error keeps no body,
so nothing invalid can be sent.

>>> options = PlanOptions(timezone="Europe/Paris")  # doctest: +SKIP
>>> planned = plan_and_validate(campaign.rows, options)  # doctest: +SKIP
>>> [issue.code for p in planned for issue in p.issues]  # doctest: +SKIP
['caption-too-long', 'scheduled-at-blank']

Every code either stage (planner, rules) can emit is registered in
:data:`bulk_scheduler.issues.ISSUE_CODES`; :data:`RULES` is the view of this stage's codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bulk_scheduler.api.contract import (
    EXTERNAL_ID_MAX_LENGTH,
    HOSTED_CAPTION_LIMIT,
    IMAGE_EXTENSIONS,
    MAX_ACCOUNTS,
    MAX_SLIDES,
    MIN_SCHEDULE_LEAD_SECONDS,
    SCHEMA_CAPTION_MAX_LENGTH,
    VIDEO_EXTENSIONS,
    Account,
    utf16_length,
)
from bulk_scheduler.campaign import CampaignRow
from bulk_scheduler.checks.accounts import AccountDirectory, describe_account, is_inactive
from bulk_scheduler.checks.groups import groups_note
from bulk_scheduler.checks.local_media import LocalMedia, local_issues
from bulk_scheduler.checks.media_urls import KIND_BY_EXTENSION, URL_SEPARATORS_HINT, is_http_url
from bulk_scheduler.checks.planner import (
    PlannedRow,
    PlanOptions,
    RowPlanner,
    generated_external_id,
)
from bulk_scheduler.checks.schedule import check_timezone, format_utc
from bulk_scheduler.checks.settings_rules import check_drafts_per_day, check_settings
from bulk_scheduler.checks.slots import SlotPlacer, start_instant
from bulk_scheduler.issues import (
    ISSUE_CODES,
    Severity,
    Stage,
    codes_of,
    error,
    shorten,
    warning,
)
from bulk_scheduler.memory import collector_paused

# A view of the registry: the codes of this stage (the planner's and the rules'), each
# with its one-line meaning. bulk_scheduler/issues.py is where codes are added.
RULES: Mapping[str, str] = MappingProxyType(
    {code: entry.title for code, entry in codes_of(Stage.CHECKS).items()}
)

_MEASURE_BYTES_PLATFORMS = frozenset({"youtube"})  # YouTube counts its limit in UTF-8 bytes


def plan_and_validate(
    rows: Iterable[CampaignRow],
    options: PlanOptions,
    accounts: AccountDirectory | None = None,
    notes: list[str] | None = None,
    local: LocalMedia | None = None,
) -> list[PlannedRow]:
    """Plan every row and validate it; then the rules across rows. ``accounts`` (the
    workspace's directory) enables the online rules. ``notes``, when given, gets the
    planner's decisions for the whole sheet (the day/month order it inferred, say);
    ``local`` holds the files on disk that media cells name (``media/local_files.py``
    finds them).

    Raises ValueError when ``options.timezone`` is not a time zone.
    """
    if options.timezone:
        check_timezone(options.timezone)
    with collector_paused():
        rules = _RowRules(options, accounts)
        planner = RowPlanner(options, accounts, local)
        if options.slots is None:
            planned = planner.plan_rows(list(rows), then=rules.check)
        else:  # the slots are placed once every row's time and accounts are read
            planned = planner.plan_rows(list(rows))
            place_in_slots(planned, options)
            for plan in planned:
                rules.check(plan)
        _check_duplicates(planned, rules.distinct(len(planned)))
        if rules.drafts:
            check_drafts_per_day(planned, rules.now)
    if notes is not None:
        notes.extend(planner.notes)
    return planned


def validate_plan(
    planned: list[PlannedRow],
    options: PlanOptions,
    accounts: AccountDirectory | None = None,
) -> list[PlannedRow]:
    """Add each row's rule issues and the cross-row ones (duplicates) in place; drop the
    body of every row that has an error. Returns ``planned``."""
    rules = _RowRules(options, accounts)
    for plan in planned:
        rules.check(plan)
    _check_duplicates(planned)
    if rules.drafts:
        check_drafts_per_day(planned, rules.now)
    return planned


def place_in_slots(planned: list[PlannedRow], options: PlanOptions) -> None:
    """Give each row whose ``scheduled_at`` cell is blank the first posting slot free for
    its accounts, in sheet order (``slots.py``); its generated external_id follows its new
    time. Needs ``options.slots`` and ``options.timezone``; without ``slots_start`` the
    slots start from now (the launch fixes a start, so that re-runs place rows alike)."""
    schedule = options.slots
    if schedule is None:
        return
    if not options.timezone:
        raise ValueError("--slots needs --timezone: the time zone the slots are in")
    zone = ZoneInfo(options.timezone)
    start = options.slots_start or options.now or datetime.now(UTC)
    placer = SlotPlacer(schedule, start_instant(start, zone), zone)
    pins = dict(options.slot_pins or {})
    blank: list[PlannedRow] = []
    for plan in planned:
        if plan.publish_at is not None:
            placer.take(plan.account_keys, plan.publish_at)
        elif _blank_cell(plan.row.values.get("scheduled_at")):
            pinned = pins.pop(slot_key(plan), None) if pins else None
            if pinned is None:
                blank.append(plan)
            else:  # placed by an earlier run: it keeps its slot, whatever came before it
                placer.take(plan.account_keys, pinned)
                _give_slot(plan, pinned)
    for plan in blank:
        _give_slot(plan, placer.place(plan.account_keys))


def slot_key(plan: PlannedRow) -> str:
    """What identifies a row placed in a slot across runs: its content but its time (the
    generated id of that content with no time), so that the row keeps its slot when rows
    are added, removed or moved around it."""
    key = list(plan.content_key)
    key[4] = "slot"
    return generated_external_id(tuple(key))


def _give_slot(plan: PlannedRow, moment: datetime) -> None:
    plan.publish_at = moment
    plan.slotted = True
    key = list(plan.content_key)
    key[4] = moment
    plan.content_key = tuple(key)
    if plan.external_id_generated:
        plan.external_id = generated_external_id(plan.content_key)


def _blank_cell(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _RowRules:
    """The per-row rules, with what they share across rows: the clock, and facts about
    each set of accounts (their strictest caption limit, whether one is inactive)."""

    def __init__(self, options: PlanOptions, accounts: AccountDirectory | None) -> None:
        now = options.now or datetime.now(UTC)
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.soon = self.now + timedelta(seconds=MIN_SCHEDULE_LEAD_SECONDS)
        self.online = accounts is not None
        self.limits: dict[tuple[str, str | None], int] = {}
        self.account_sets: dict[tuple[tuple[str, ...], str | None], tuple[int, bool]] = {}
        # The captions and external_ids of the rows checked, noted while each plan is in
        # the CPU's cache: when none repeats, the duplicate rules have nothing to find.
        self.captions: set[str] = set()
        self.external_ids: set[str] = set()
        self.groups = options.groups
        self.drafts = False  # whether a row sends to the TikTok drafts inbox

    def distinct(self, count: int) -> bool:
        """True when the ``count`` rows checked share no caption and no external_id."""
        return len(self.captions) == len(self.external_ids) == count

    def check(self, plan: PlannedRow) -> None:
        """Add the row's issues; drop its body if any is an error."""
        online = self.online
        caption = plan.caption
        # Every rule applies to every row; the cheap tests in front of the calls only skip
        # rules that clearly cannot fire, which keeps 100,000 good rows fast.
        if online:
            strictest, any_inactive = self._account_set(plan)
            # A caption of n code points is at most 2n UTF-16 units and 4n UTF-8 bytes.
            if not caption or 4 * len(caption) > strictest:
                _check_caption(plan, online, self.limits)
            if any_inactive or len(plan.account_keys) > MAX_ACCOUNTS:
                _check_accounts(plan, self.groups)
        else:
            if not caption or 2 * len(caption) > HOSTED_CAPTION_LIMIT:
                _check_caption(plan, online, self.limits)
            if len(plan.account_keys) > MAX_ACCOUNTS:
                _check_accounts(plan, self.groups)
        # _plainly_good_media, inlined: it runs for every row.
        media_type = plan.media_type
        if media_type == "video":
            plain = len(plan.media_urls) == 1 and plan.media_extensions[0] in VIDEO_EXTENSIONS
        elif media_type == "slideshow":
            plain = 0 < len(plan.media_urls) <= MAX_SLIDES and IMAGE_EXTENSIONS.issuperset(
                plan.media_extensions
            )
        else:
            plain = False
        if plan.invalid_media_urls or not plain:
            _check_media(plan, online)
        if plan.local_media:
            plan.issues.extend(
                local_issues(plan.local_media, plan.media_type, _where(plan, "media_urls"))
            )
        if plan.music_url:
            _check_music(plan)
        if plan.publish_at is None or plan.publish_at < self.soon:
            _check_schedule(plan, self.now)
        if len(plan.external_id) > EXTERNAL_ID_MAX_LENGTH:
            _check_external_id(plan)
        settings = plan.settings
        if settings is not None or "pinterest" in plan.platforms:
            check_settings(plan, online)
            self.drafts = self.drafts or (settings is not None and settings.drafts)
        if plan.issues and plan.has_body and plan.has_errors:
            plan.body = None
        self.captions.add(caption)
        self.external_ids.add(plan.external_id)

    def _account_set(self, plan: PlannedRow) -> tuple[int, bool]:
        """(the strictest caption limit, whether an account is inactive) of the row's
        resolved accounts, worked out once per set: sheets repeat a few sets."""
        key = (plan.account_ids, plan.media_type)
        found = self.account_sets.get(key)
        if found is None:
            accounts = plan.resolved_accounts
            strictest = min(
                (_account_limit(a, plan.media_type, self.limits) for a in accounts),
                default=SCHEMA_CAPTION_MAX_LENGTH,
            )
            found = self.account_sets[key] = (strictest, any(map(is_inactive, accounts)))
        return found


def _where(plan: PlannedRow, column: str | None) -> dict[str, object]:
    cell = plan.row.cells.get(column) if column else None
    return {"row": plan.row.row_number, "column": column, "cell": cell}


# --- caption ---------------------------------------------------------------------------


def _check_caption(
    plan: PlannedRow, online: bool, limits: dict[tuple[str, str | None], int]
) -> None:
    caption = plan.caption
    if not caption:
        plan.issues.append(
            error(
                "caption-missing",
                "caption is blank; write the text of the post",
                **_where(plan, "caption"),
            )
        )
        return
    if online:
        targets = plan.resolved_accounts
        if not targets:
            return  # the accounts' own errors say why; no limit to measure against
        # Cheap bound first: a caption of n code points is at most 4n UTF-8 bytes and 2n
        # UTF-16 units, so short captions (nearly all) skip the measuring below.
        length = len(caption)
        worst: tuple[int, int, Account, str] | None = None
        for account in targets:
            limit = _account_limit(account, plan.media_type, limits)
            if 4 * length <= limit:
                continue
            if account.platform.lower() in _MEASURE_BYTES_PLATFORMS:
                size, unit = len(caption.encode("utf-8", "surrogatepass")), "bytes"
            else:
                size, unit = utf16_length(caption), "characters"
            if size > limit and (worst is None or limit < worst[1]):
                worst = (size, limit, account, unit)
        if worst is not None:
            size, limit, account, unit = worst
            plan.issues.append(
                error(
                    "caption-too-long",
                    f"caption is {size:,} {unit}{_counting_note(caption, unit)}; the limit "
                    f"is {limit:,} for {describe_account(account)}",
                    **_where(plan, "caption"),
                )
            )
        return
    if 2 * len(caption) <= HOSTED_CAPTION_LIMIT:
        return
    size = utf16_length(caption)
    if size > HOSTED_CAPTION_LIMIT:
        plan.issues.append(
            error(
                "caption-too-long",
                f"caption is {size:,} characters{_counting_note(caption, 'characters')}; the "
                f"limit is {HOSTED_CAPTION_LIMIT} when accounts are not checked (hosted "
                "accounts allow 500; validate online to use each account's own limit)",
                **_where(plan, "caption"),
            )
        )


def _account_limit(
    account: Account, media_type: str | None, limits: dict[tuple[str, str | None], int]
) -> int:
    key = (account.id, media_type)
    limit = limits.get(key)
    if limit is None:
        limit = limits[key] = account.caption_limit(media_type)
    return limit


def _counting_note(caption: str, unit: str) -> str:
    if unit == "characters" and utf16_length(caption) != len(caption):
        return " as the API counts them (emoji count as 2)"
    return ""


# --- media -----------------------------------------------------------------------------


def _check_media(plan: PlannedRow, online: bool) -> None:
    urls = plan.media_urls
    media_type = plan.media_type
    extensions = plan.media_extensions
    invalid = plan.invalid_media_urls
    if not invalid and _plainly_good_media(media_type, urls, extensions):
        return
    issues = plan.issues
    where = _where(plan, "media_urls")

    if invalid:
        issues.append(
            error(
                "media-url-invalid",
                f"{_listed(list(invalid))} {_is_are(invalid)} not a web address "
                "the API can fetch; each media URL must start with https:// (or http://) "
                f"and contain no spaces; {URL_SEPARATORS_HINT}",
                **where,
            )
        )

    kinds = [KIND_BY_EXTENSION.get(e) if e else None for e in extensions]
    videos = [u for u, k in zip(urls, kinds, strict=True) if k == "video"]
    images = [u for u, k in zip(urls, kinds, strict=True) if k == "image"]
    if videos and images:
        issues.append(
            error(
                "media-mixed",
                f"media_urls mixes {_count(videos, 'video')} and {_count(images, 'image')}; a "
                "post is either one video or a slideshow of images — put them in separate rows "
                f"({URL_SEPARATORS_HINT})",
                **where,
            )
        )
        return
    if media_type is None:
        return  # unreadable or unknown media_type: the planner said why

    declared = f"media_type is {media_type}"
    if media_type == "text":
        if urls:
            issues.append(
                error(
                    "media-type-mismatch",
                    f"media_type is text but media_urls has {_count(urls, 'URL')}; clear "
                    "media_type (or set video/slideshow), or clear media_urls",
                    **_where(plan, "media_type"),
                )
            )
            return
        _check_text_only(plan, online)
        return

    if not urls:
        issues.append(
            error(
                "media-urls-missing",
                f"{declared} but media_urls is blank; add the "
                f"{'video URL' if media_type == 'video' else 'image URLs'}, or set media_type "
                f"to text ({URL_SEPARATORS_HINT})",
                **where,
            )
        )
        return

    if media_type == "video":
        if images:
            issues.append(
                error(
                    "media-type-mismatch",
                    f"{declared} but media_urls holds {_count(images, 'image')} "
                    f"(e.g. {shorten(images[0])}); set media_type to slideshow, or use a video "
                    f"URL ({URL_SEPARATORS_HINT})",
                    **_where(plan, "media_type"),
                )
            )
        elif len(urls) > 1:
            issues.append(
                error(
                    "video-multiple-urls",
                    f"media_urls has {len(urls)} URLs for a video post, which takes exactly "
                    f"one; put each video in its own row ({URL_SEPARATORS_HINT})",
                    **where,
                )
            )
        else:
            extension = extensions[0]
            if kinds[0] == "video" and extension not in VIDEO_EXTENSIONS:
                issues.append(
                    error(
                        "video-format",
                        f"the video is .{extension}; the API accepts MP4, MOV, M4V or AVI — "
                        f"convert it (MP4 is safest; {URL_SEPARATORS_HINT})",
                        **where,
                    )
                )
        return

    # slideshow
    if videos:
        issues.append(
            error(
                "media-type-mismatch",
                f"{declared} but media_urls holds {_count(videos, 'video')} "
                f"(e.g. {shorten(videos[0])}); set media_type to video, or use image URLs "
                f"({URL_SEPARATORS_HINT})",
                **_where(plan, "media_type"),
            )
        )
        return
    if len(urls) > MAX_SLIDES:
        issues.append(
            error(
                "slideshow-too-many",
                f"the slideshow has {len(urls)} images; the limit is {MAX_SLIDES} — split it "
                f"into two posts ({URL_SEPARATORS_HINT})",
                **where,
            )
        )
    wrong = [
        (position, extension)
        for position, (extension, kind) in enumerate(zip(extensions, kinds, strict=True), start=1)
        if kind == "image" and extension not in IMAGE_EXTENSIONS
    ]
    if wrong:
        shown = ", ".join(f"image {n} is .{extension}" for n, extension in wrong[:3])
        more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
        issues.append(
            error(
                "image-format",
                f"{shown}{more}; slideshow images must be JPG, JPEG or PNG ({URL_SEPARATORS_HINT})",
                **where,
            )
        )


def _plainly_good_media(
    media_type: str | None, urls: tuple[str, ...], extensions: tuple[str | None, ...]
) -> bool:
    """The fast path for the rows nearly every sheet is made of: one video in an accepted
    format, or 1-35 images in accepted formats (the caller checked the URLs are http)."""
    if media_type == "video":
        return len(urls) == 1 and extensions[0] in VIDEO_EXTENSIONS
    if media_type == "slideshow":
        return 0 < len(urls) <= MAX_SLIDES and IMAGE_EXTENSIONS.issuperset(extensions)
    return False


def _check_text_only(plan: PlannedRow, online: bool) -> None:
    """A post without media: the API takes it only when every account lists ``text_only``
    among its ``capabilities.supported_content_kinds``. Online, an account that does not
    (or says nothing) makes it an error, as the API would; offline it is a warning."""
    where = _where(plan, "media_urls")
    if online and plan.resolved_accounts:
        refusing = [
            account
            for account in plan.resolved_accounts
            if account.capabilities is None
            or not account.capabilities.supported_content_kinds
            or "text_only" not in account.capabilities.supported_content_kinds
        ]
        if not refusing:
            return  # every account says it takes text-only posts
        names = ", ".join(describe_account(a) for a in refusing)
        plan.issues.append(
            error(
                "media-missing",
                f"no media_urls, but {names} cannot publish text-only posts; add a video or images",
                **where,
            )
        )
        return
    plan.issues.append(
        warning(
            "media-missing",
            "no media_urls: the API refuses a post without media unless every account "
            "supports text-only posts; add a video or images if these accounts need them",
            **where,
        )
    )


def _listed(items: list[str]) -> str:
    shown = ", ".join(f"'{shorten(item)}'" for item in items[:3])
    return shown + (f" (and {len(items) - 3} more)" if len(items) > 3 else "")


def _is_are(items: tuple[str, ...] | list[str]) -> str:
    return "is" if len(items) == 1 else "are"


def _count(items: list[str] | tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


# --- music -----------------------------------------------------------------------------


def _check_music(plan: PlannedRow) -> None:
    music_url = plan.music_url
    if not music_url:
        return
    if not _is_tiktok_url(music_url):
        plan.issues.append(
            error(
                "music-url-invalid",
                f"music_url '{music_url}' is not a TikTok link; use the URL of a TikTok post "
                "whose sound you want, e.g. https://www.tiktok.com/@genviral/video/1234567890",
                **_where(plan, "music_url"),
            )
        )
    others = [p for p in plan.platforms if p != "tiktok"]
    if not others:
        return
    named = [describe_account(a) for a in plan.resolved_accounts if a.platform.lower() != "tiktok"]
    if not named:
        named = [key for key in plan.account_keys if key.split(":", 1)[0] in others]
    plan.issues.append(
        error(
            "music-non-tiktok-account",
            f"music_url works only when every account is TikTok, and {', '.join(named)} "
            f"{'is' if len(named) == 1 else 'are'} not; remove the music, or post to "
            f"{'it' if len(named) == 1 else 'them'} in a separate row",
            **_where(plan, "music_url"),
        )
    )


def _is_tiktok_url(url: str) -> bool:
    if not is_http_url(url):
        return False
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return host == "tiktok.com" or host.endswith(".tiktok.com")


# --- accounts --------------------------------------------------------------------------


def _check_accounts(plan: PlannedRow, groups: Mapping[str, tuple[str, ...]] | None) -> None:
    count = len(plan.account_keys)
    if count > MAX_ACCOUNTS:
        expanded = groups_note(plan.row.text("accounts"), groups)
        plan.issues.append(
            error(
                "accounts-too-many",
                f"{count} accounts in one row{expanded}; a post can go to at most "
                f"{MAX_ACCOUNTS} — split the row in two",
                **_where(plan, "accounts"),
            )
        )
    inactive = [a for a in plan.resolved_accounts if is_inactive(a)]
    if inactive:
        names = ", ".join(f"{describe_account(a)} is {a.status}" for a in inactive)
        plan.issues.append(
            error(
                "account-inactive",
                f"{names}; reconnect it in Genviral or remove it from the row",
                **_where(plan, "accounts"),
            )
        )


# --- scheduled_at ----------------------------------------------------------------------


def _check_schedule(plan: PlannedRow, now: datetime) -> None:
    publish_at = plan.publish_at
    if publish_at is None:
        value = plan.row.values.get("scheduled_at")
        if value is None or (isinstance(value, str) and not value.strip()):
            plan.issues.append(
                warning(
                    "scheduled-at-blank",
                    "scheduled_at is blank: this post publishes immediately, as soon as it is sent",
                    **_where(plan, "scheduled_at"),
                )
            )
        return
    ahead = (publish_at - now).total_seconds()
    if ahead >= MIN_SCHEDULE_LEAD_SECONDS:
        return
    when = f"{format_utc(publish_at)} (UTC)"
    if ahead < 0:
        plan.issues.append(
            error(
                "scheduled-at-past",
                f"scheduled_at {when} is {_duration(-ahead)} in the past; pick a future time, "
                "or leave the cell blank to publish immediately",
                **_where(plan, "scheduled_at"),
            )
        )
    else:
        plan.issues.append(
            error(
                "scheduled-at-too-soon",
                f"scheduled_at {when} is only {_duration(ahead)} from now; the API needs at "
                "least 2 minutes — pick a later time, or leave the cell blank to publish "
                "immediately",
                **_where(plan, "scheduled_at"),
            )
        )


def _duration(seconds: float) -> str:
    """``45 seconds``, ``90 seconds``, ``12 minutes``, ``5 hours``, ``3 days``."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= 2 * size:
            amount = int(seconds // size)
            return f"{amount} {unit}s"
    amount = int(seconds)
    return f"{amount} second{'' if amount == 1 else 's'}"


# --- external_id and duplicates ----------------------------------------------------------


def _check_external_id(plan: PlannedRow) -> None:
    length = len(plan.external_id)
    if length > EXTERNAL_ID_MAX_LENGTH:
        plan.issues.append(
            error(
                "external-id-too-long",
                f"external_id is {length} characters; the limit is {EXTERNAL_ID_MAX_LENGTH} "
                "(or leave it blank and one is generated)",
                **_where(plan, "external_id"),
            )
        )


def _check_duplicates(planned: list[PlannedRow], distinct: bool | None = None) -> None:
    """Repeats of an earlier row's content or external_id: an error on each repeat,
    naming the first row; the first keeps its chance to be sent. ``distinct`` says
    whether the rows are known to share no caption and no external_id (None: find out)."""
    if distinct is None:
        distinct = _all_distinct(planned)
    if distinct:
        return
    # Contents are told apart by caption first: captions nearly always differ, so only
    # rows that share one have their whole content compared. The first row of each
    # caption joins ``by_content`` when a second one shows up, ahead of it.
    by_caption: dict[str, PlannedRow] = {}
    by_content: dict[tuple[object, ...], PlannedRow] = {}
    by_id: dict[str, PlannedRow] = {}
    for plan in planned:
        repeated = False
        first = by_caption.setdefault(plan.caption, plan)
        if first is not plan:
            by_content.setdefault(first.content_key, first)
            first = by_content.setdefault(plan.content_key, plan)
        if first is not plan:
            repeated = True
            if first.external_id == plan.external_id:
                consequence = "the two would become one post"
            else:
                consequence = "it would publish the same post twice"
            plan.issues.append(
                error(
                    "duplicate-row",
                    f"same caption, media, accounts, time and music as row "
                    f"{first.row.row_number}: {consequence}; change or delete one of them",
                    **_where(plan, None),
                )
            )
        earlier = by_id.setdefault(plan.external_id, plan)
        if earlier is not plan and earlier.content_key != plan.content_key:
            repeated = True
            plan.issues.append(
                error(
                    "external-id-duplicate",
                    f"external_id '{plan.external_id}' is also used by row "
                    f"{earlier.row.row_number}, which has different content; the API would "
                    "reject one of them — give each row its own external_id (or leave it "
                    "blank)",
                    **_where(plan, "external_id"),
                )
            )
        if repeated:
            plan.body = None


def _all_distinct(planned: list[PlannedRow]) -> bool:
    """True when no two rows share a caption or an external_id: then nothing repeats, and
    two sets built in C say so faster than the loop in :func:`_check_duplicates`."""
    count = len(planned)
    return len({plan.caption for plan in planned}) == count and (
        len({plan.external_id for plan in planned}) == count
    )


def rule_severity(code: str) -> Severity | None:
    """The severity of one of this stage's codes (None for one that can be either, or a
    code of another stage, or an unknown one); read from the registry."""
    entry = ISSUE_CODES.get(code)
    if entry is None or Stage.CHECKS not in entry.stages:
        return None
    return entry.severity


__all__ = [
    "RULES",
    "place_in_slots",
    "plan_and_validate",
    "rule_severity",
    "slot_key",
    "validate_plan",
]
