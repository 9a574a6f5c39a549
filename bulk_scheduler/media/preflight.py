"""The media preflight as validator rules: probe each distinct media URL once, put
what it finds on the cell that holds the URL, and give the API the metadata.

In a *rehearsal* (the API is a sandbox on loopback) media is judged the way the
sandbox judges it: loopback URLs are probed for real, hosts under the reserved
``.invalid`` domain are unreachable, and other hosts are not probed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from bulk_scheduler.api.client import is_loopback_host
from bulk_scheduler.checks.planner import PlannedRow
from bulk_scheduler.issues import RowIssue, row_issue
from bulk_scheduler.media.probe import MediaFacts, ProbeOptions, media_issues, probe_urls_sync


@dataclass(slots=True)
class MediaCheckOptions:
    rehearsal: bool = False
    concurrency: int = 8
    timeout: float = 10.0
    progress: Callable[[int, int], None] | None = None


def _host(url: str) -> str:
    """The URL's host, lower case, without a final dot; "" when it has none."""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _unreachable_in_rehearsal(url: str) -> MediaFacts:
    return MediaFacts(url, ok=False, problem="the host is under the reserved .invalid domain")


@lru_cache(maxsize=4096)  # campaigns use a few hosts for many URLs
def _to_probe(host: str, rehearsal: bool) -> bool:
    if not host:
        return False
    if rehearsal:
        return is_loopback_host(host) and not host.endswith(".invalid")
    return True


def facts_to_json(facts: MediaFacts) -> dict[str, Any]:
    return dataclasses.asdict(facts)


def facts_from_json(data: dict[str, Any]) -> MediaFacts | None:
    names = {f.name for f in dataclasses.fields(MediaFacts)}
    try:
        return MediaFacts(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return None


def check_media(
    planned: Iterable[PlannedRow],
    options: MediaCheckOptions,
    cache: MutableMapping[str, MediaFacts] | None = None,
) -> dict[str, MediaFacts]:
    """Probe the media of every row that has a body; add issues; enrich video bodies.

    ``cache`` holds facts already known (an earlier run's, from the journal): those
    URLs are not probed again, so a resumed run sends exactly the same bodies.
    """
    rows = [p for p in planned if p.has_body and p.media_urls]
    known: dict[str, MediaFacts] = dict(cache or {})
    wanted: list[str] = []
    seen: set[str] = set()
    for planned_row in rows:
        for url in planned_row.media_urls:
            if url in seen or url in known:
                continue
            seen.add(url)
            host = _host(url)
            if options.rehearsal and host.endswith(".invalid"):
                known[url] = _unreachable_in_rehearsal(url)
            elif _to_probe(host, options.rehearsal):
                wanted.append(url)
    if wanted:
        probed = probe_urls_sync(
            wanted,
            ProbeOptions(
                concurrency=options.concurrency,
                timeout=options.timeout,
                progress=options.progress,
            ),
        )
        known.update(probed)
        if cache is not None:
            cache.update(probed)
    for planned_row in rows:
        _apply(planned_row, known)
    return known


def _apply(planned: PlannedRow, known: dict[str, MediaFacts]) -> None:
    facts_of = [known.get(url) for url in planned.media_urls]
    if facts_of.count(None) == len(facts_of):
        return  # none of its URLs was probed: nothing to report, nothing to add
    expected = "video" if planned.media_type == "video" else "image"
    where = {
        "row": planned.row.row_number,
        "column": "media_urls",
        "cell": planned.row.cells.get("media_urls"),
    }
    found: list[RowIssue] = []
    for url, facts in zip(planned.media_urls, facts_of, strict=True):
        if facts is None:
            continue
        for severity, code, message in media_issues(facts, expected):
            shown = url if len(planned.media_urls) == 1 else f"{url}: "
            text = message if len(planned.media_urls) == 1 else f"{shown}{message}"
            found.append(row_issue(severity, code, text, **where))
    planned.issues.extend(found)
    if any(issue.is_error for issue in found):
        planned.body = None
        return
    if expected == "video" and len(planned.media_urls) == 1:
        facts = known.get(planned.media_urls[0])
        body = planned.body
        if facts is not None and facts.ok and body is not None and body.media is not None:
            media = body.media
            if getattr(media, "type", None) == "video":
                # The API warns VIDEO_DURATION_MISSING / VIDEO_METADATA_MISSING without these.
                if facts.duration_sec:
                    media.duration_sec = round(facts.duration_sec, 3)
                if facts.size is not None:
                    media.size = facts.size
                if facts.width and facts.height:
                    media.width = facts.width
                    media.height = facts.height
