"""Account groups: ``#spring-launch`` in an accounts cell stands for the accounts the
campaign's ``groups`` tab (or the ``--groups`` file) lists under that name.

Groups are expanded before the accounts are read, so the 10-account limit counts the
accounts a group stands for, and an account named both in a group and on its own is
posted to once (``account-duplicate``). A name no group has is the error
``account-group-unknown``, with the closest name when one is close.

>>> expand_groups("#Spring-Launch, @genviral", {"spring-launch": ("@a", "@b")}).text
'@a\\n@b\\n@genviral'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bulk_scheduler.checks.accounts import split_account_tokens
from bulk_scheduler.issues import Severity

GROUP_MARK = "#"
# A group name as written after "#": letters, digits, and . _ - (no spaces or commas,
# which separate the accounts of a cell).
GROUP_NAME = re.compile(r"#\s*([\w.\-]+)")


def group_key(name: str) -> str:
    """How group names are compared: without ``#`` and surrounding spaces, any case."""
    return name.strip().lstrip(GROUP_MARK).strip().casefold()


@dataclass(frozen=True, slots=True)
class GroupExpansion:
    """An accounts cell with its groups expanded: ``text`` is what is read as accounts;
    ``used`` the groups named (as written, with how many accounts each stands for);
    ``unknown`` the names no group has; ``problems`` the row's issues about them, as
    ``(severity, code, message)``."""

    text: str
    used: tuple[tuple[str, int], ...]
    unknown: tuple[str, ...]
    problems: tuple[tuple[Severity, str, str], ...]


def expand_groups(text: str, groups: Mapping[str, tuple[str, ...]] | None) -> GroupExpansion:
    """Replace each ``#name`` token of an accounts cell by the accounts of its group.

    Tokens are separated as the accounts column separates them
    (:func:`~bulk_scheduler.checks.accounts.split_account_tokens`); the other tokens are
    kept as written, for the accounts reader."""
    groups = {group_key(name): members for name, members in (groups or {}).items()}
    tokens: list[str] = []
    used: list[tuple[str, int]] = []
    unknown: list[str] = []
    for token in split_account_tokens(text):
        match = GROUP_NAME.fullmatch(token)
        if match is None:
            tokens.append(token)
            continue
        members = groups.get(group_key(match.group(1)))
        if members is None:
            unknown.append(match.group(1))
            continue
        used.append((match.group(1), len(members)))
        tokens.extend(members)
    problems = tuple(_unknown_problem(name, groups) for name in unknown)
    return GroupExpansion("\n".join(tokens), tuple(used), tuple(unknown), problems)


def _unknown_problem(name: str, groups: Mapping[str, tuple[str, ...]]) -> tuple[Severity, str, str]:
    if not groups:
        return (
            Severity.ERROR,
            "account-group-unknown",
            f"#{name} is an account group, but the campaign defines none: add a 'groups' tab "
            "(group, accounts) to the workbook, or pass --groups FILE",
        )
    close = difflib.get_close_matches(group_key(name), list(groups), n=1, cutoff=0.6)
    hint = f"; did you mean #{close[0]}?" if close else ""
    known = ", ".join(f"#{g}" for g in sorted(groups)[:8])
    more = f" and {len(groups) - 8} more" if len(groups) > 8 else ""
    return (
        Severity.ERROR,
        "account-group-unknown",
        f"no account group is named #{name}{hint} (groups: {known}{more})",
    )


def groups_note(text: str, groups: Mapping[str, tuple[str, ...]] | None) -> str:
    """``" once #spring-launch (8) and #fall (6) are expanded"`` for an accounts cell that
    names groups ("" when it names none): what the 10-account message adds."""
    if GROUP_MARK not in text:
        return ""
    used = expand_groups(text, groups).used
    if not used:
        return ""
    named = [f"#{name} ({count})" for name, count in used]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f" once {listed} {'is' if len(named) == 1 else 'are'} expanded"


__all__ = ["GroupExpansion", "expand_groups", "group_key", "groups_note"]
