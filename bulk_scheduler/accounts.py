"""The workspace's accounts (``GET /accounts``) and how a sheet names them.

A sheet names an account by its id, ``@username`` or ``platform:username``:

>>> from bulk_scheduler.contract import Account
>>> account = Account(id="0f4f54d4-8cce-4fb7-8c7b-befbcb8af812", platform="tiktok",
...                   username="Genviral")
>>> directory = AccountDirectory([account])
>>> directory.resolve("@genviral") is directory.resolve("tiktok:GENVIRAL") is account
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .contract import Account

TokenKind = Literal["id", "username", "platform_username", "malformed"]

# The shape the API's schema accepts (zod's uuid): 8-4-4-4-12 hex digits.
UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_USERNAME = r"[\w.\-]{1,100}"
_AT_USERNAME = re.compile(rf"@({_USERNAME})")
_PLATFORM_USERNAME = re.compile(rf"([a-z][a-z0-9_\-]{{0,30}})\s*:\s*@?({_USERNAME})", re.IGNORECASE)
# Accounts in one cell: commas, semicolons or new lines between them.
_ACCOUNT_SEPARATORS = re.compile(r"[,;\r\n]+")

# Statuses that mean an account cannot publish, should a listing ever include one.
INACTIVE_STATUSES = frozenset({"inactive", "disconnected", "disabled", "expired", "revoked"})

PLATFORM_NAMES: dict[str, str] = {
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "pinterest": "Pinterest",
    "x": "X",
    "twitter": "Twitter",
    "bluesky": "Bluesky",
    "threads": "Threads",
    "reddit": "Reddit",
}


@dataclass(frozen=True, slots=True)
class AccountToken:
    """One account as written in a cell. ``key`` is its normal form: a lower-case id,
    ``@username`` or ``platform:username`` (lower case), or the text as written when
    malformed."""

    text: str
    kind: TokenKind
    key: str


def split_account_tokens(text: str) -> list[str]:
    """The account tokens of a cell: split on commas, semicolons and new lines, stripped,
    blanks dropped."""
    return [part for part in (p.strip() for p in _ACCOUNT_SEPARATORS.split(text)) if part]


@lru_cache(maxsize=8192)
def parse_account_token(text: str) -> AccountToken:
    """What kind of reference a token is, and its normal form.

    >>> parse_account_token("TikTok:@Genviral")
    AccountToken(text='TikTok:@Genviral', kind='platform_username', key='tiktok:genviral')
    """
    token = text.strip()
    if UUID_PATTERN.fullmatch(token):
        return AccountToken(token, "id", token.lower())
    match = _AT_USERNAME.fullmatch(token)
    if match is not None:
        return AccountToken(token, "username", "@" + match.group(1).lower())
    match = _PLATFORM_USERNAME.fullmatch(token)
    if match is not None:
        platform, username = match.group(1).lower(), match.group(2).lower()
        return AccountToken(token, "platform_username", f"{platform}:{username}")
    return AccountToken(token, "malformed", token)


def describe_account(account: Account) -> str:
    """``@genviral_hosted (hosted TikTok)``: how messages name an account."""
    platform = PLATFORM_NAMES.get(account.platform.lower(), account.platform)
    kind = f"hosted {platform}" if account.type == "hosted" else platform
    name = f"@{account.username}" if account.username else account.id
    return f"{name} ({kind})"


def is_inactive(account: Account) -> bool:
    """True when the account's status says it cannot publish."""
    return (account.status or "").lower() in INACTIVE_STATUSES


class AccountDirectory:
    """The accounts of the API key's workspace, looked up by id or username.

    Build it from ``GET /accounts`` (which lists only active accounts). Usernames are
    matched case-insensitively.
    """

    def __init__(self, accounts: Iterable[Account]) -> None:
        self.accounts: tuple[Account, ...] = tuple(accounts)
        self._by_id: dict[str, Account] = {}
        self._by_username: dict[str, list[Account]] = {}
        self._by_platform_username: dict[str, list[Account]] = {}
        for account in self.accounts:
            self._by_id[account.id.lower()] = account
            if account.username:
                username = account.username.lower().lstrip("@")
                self._by_username.setdefault(username, []).append(account)
                key = f"{account.platform.lower()}:{username}"
                self._by_platform_username.setdefault(key, []).append(account)

    def __len__(self) -> int:
        return len(self.accounts)

    def get(self, account_id: str) -> Account | None:
        """The account with this id (any letter case), or None."""
        return self._by_id.get(account_id.strip().lower())

    def resolve(self, token: str) -> Account | list[Account] | None:
        """The account a sheet token names: an id, ``@username`` or ``platform:username``.

        None when nothing matches (or the token is malformed); a list of the candidates
        when a ``@username`` is used by accounts on several platforms.
        """
        return self.resolve_token(parse_account_token(token))

    def resolve_token(self, token: AccountToken) -> Account | list[Account] | None:
        """:meth:`resolve` for an already parsed token."""
        if token.kind == "id":
            return self._by_id.get(token.key)
        if token.kind == "username":
            found = self._by_username.get(token.key[1:], [])
        elif token.kind == "platform_username":
            found = self._by_platform_username.get(token.key, [])
        else:
            return None
        if not found:
            return None
        return found[0] if len(found) == 1 else list(found)
