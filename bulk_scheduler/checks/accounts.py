"""The workspace's accounts (``GET /accounts``) and how a sheet names them.

A sheet names an account by its id, ``@username``, ``platform:username`` (or
``platform:@username``), a bare ``username`` (when it names one account), or the profile's
URL on a supported platform (``https://www.tiktok.com/@brand``, ``instagram.com/brand``,
``youtube.com/@Brand``, ``x.com/brand``, ``linkedin.com/company/brand``...). A cell's
accounts are separated by commas, semicolons, new lines, " and " or "/" (a URL's own
slashes are not separators):

>>> from bulk_scheduler.api.contract import Account
>>> account = Account(id="0f4f54d4-8cce-4fb7-8c7b-befbcb8af812", platform="tiktok",
...                   username="Genviral")
>>> directory = AccountDirectory([account])
>>> directory.resolve("@genviral") is directory.resolve("tiktok:GENVIRAL") is account
True
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from bulk_scheduler.api.contract import Account
from bulk_scheduler.issues import Severity, shorten

TokenKind = Literal["id", "username", "platform_username", "bare", "malformed"]

# The shape the API's schema accepts (zod's uuid): 8-4-4-4-12 hex digits.
UUID_PATTERN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_USERNAME = r"[\w.\-]{1,100}"
_AT_USERNAME = re.compile(rf"@({_USERNAME})")
_PLATFORM_USERNAME = re.compile(rf"([a-z][a-z0-9_\-]{{0,30}})\s*:\s*@?({_USERNAME})", re.IGNORECASE)
_BARE_USERNAME = re.compile(_USERNAME)
# Other names of a platform, as people write them before the ":" (and as a listing might).
PLATFORM_ALIASES: dict[str, str] = {
    "twitter": "x",
    "ig": "instagram",
    "insta": "instagram",
    "yt": "youtube",
    "tt": "tiktok",
    "fb": "facebook",
    "li": "linkedin",
    "bsky": "bluesky",
}
# A profile's URL on a supported platform (scheme and www. optional): the host names the
# platform, the path the username (see _PROFILE_PATHS).
_PROFILE_URL = re.compile(
    r"(?:https?://)?(?:www\.|m\.|mobile\.)?"
    r"(?P<host>tiktok\.com|instagram\.com|youtube\.com|pinterest\.[a-z]{2,3}(?:\.[a-z]{2})?"
    r"|facebook\.com|fb\.com|linkedin\.com|x\.com|twitter\.com|threads\.net|threads\.com"
    r"|bsky\.app|reddit\.com)"
    r"/(?P<path>[^?#\s]*)(?:[?#]\S*)?",
    re.IGNORECASE,
)
_PLATFORM_OF_HOST: dict[str, str] = {
    "tiktok": "tiktok",
    "instagram": "instagram",
    "youtube": "youtube",
    "pinterest": "pinterest",
    "facebook": "facebook",
    "fb": "facebook",
    "linkedin": "linkedin",
    "x": "x",
    "twitter": "x",
    "threads": "threads",
    "bsky": "bluesky",
    "reddit": "reddit",
}
# Path prefixes before the username, per platform ("" : the first segment, "@" optional).
_PROFILE_PATHS: dict[str, tuple[str, ...]] = {
    "youtube": ("c/", "user/", ""),
    "linkedin": ("company/", "in/", "showcase/"),
    "bluesky": ("profile/",),
    "reddit": ("user/", "u/"),
}
# Separators besides "," ";" and new lines: " and ", and "/" with spaces around it.
_WORD_SEPARATORS = re.compile(r"\s+(?:and|&)\s+|\s+/\s+", re.IGNORECASE)
# What an account token may be written as, for messages.
ACCOUNT_FORMS = (
    "an account id (a UUID), @username, platform:username (e.g. tiktok:@genviral), a bare "
    "username that names one account, or a profile URL (https://www.tiktok.com/@genviral)"
)

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
    """The account tokens of a cell: split on commas, semicolons, new lines, " and " and
    "/", stripped, blanks dropped. A URL's slashes are not separators: a piece that is a
    URL (it has ``://`` or starts with a supported platform's host) is kept whole.

    Split on each separator with ``str`` methods: with the blanks dropped, the same
    tokens as a regex split on runs of them, at a third of the cost."""
    parts = text.replace(",", "\n").replace(";", "\n").replace("\r", "\n").split("\n")
    tokens = list(filter(None, map(str.strip, parts)))
    if "/" not in text and "&" not in text:
        lower = text.lower()
        if " and" not in lower and "\tand" not in lower:
            return tokens  # the usual separators only (string scans, not a regex: per cell)
    found: list[str] = []
    for token in tokens:
        for piece in _WORD_SEPARATORS.split(token) if " " in token else (token,):
            piece = piece.strip()
            if "/" in piece and not ("://" in piece or _PROFILE_URL.fullmatch(piece)):
                found.extend(filter(None, map(str.strip, piece.split("/"))))
            elif piece:
                found.append(piece)
    return found


_HEX_AND_DASHES = re.compile(r"[0-9a-f\-]+", re.IGNORECASE)


def _is_name_like(token: str) -> bool:
    """A bare token is taken as a username when it has a letter and is not a broken
    account id (hex digits and dashes: ``0f4f54d4-8cce-4fb7``): ``884`` or a truncated
    UUID is a mistake to point out, not a name to look up."""
    if not any(character.isalpha() for character in token):
        return False
    return not ("-" in token and _HEX_AND_DASHES.fullmatch(token))


def platform_key(platform: str) -> str:
    """A platform's name as keys hold it: lower case, aliases resolved (twitter -> x)."""
    lower = platform.lower()
    return PLATFORM_ALIASES.get(lower, lower)


def _profile_username(platform: str, path: str) -> str | None:
    """The username in a profile URL's path, or None when the path names none."""
    path = path.strip("/")
    for prefix in _PROFILE_PATHS.get(platform, ("",)):
        if prefix and not path.lower().startswith(prefix):
            continue
        name = path[len(prefix) :].split("/", 1)[0].lstrip("@")
        if name and _BARE_USERNAME.fullmatch(name):
            return name
    return None


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
    if "/" in token:
        match = _PROFILE_URL.fullmatch(token)
        if match is not None:
            host = match["host"].lower().split(".", 1)[0]
            platform = _PLATFORM_OF_HOST[host]
            username = _profile_username(platform, match["path"])
            if username is not None:
                return AccountToken(token, "platform_username", f"{platform}:{username.lower()}")
        return AccountToken(token, "malformed", token)
    match = _PLATFORM_USERNAME.fullmatch(token)
    if match is not None:
        platform, username = platform_key(match.group(1)), match.group(2).lower()
        return AccountToken(token, "platform_username", f"{platform}:{username}")
    if _BARE_USERNAME.fullmatch(token) and _is_name_like(token):
        return AccountToken(token, "bare", "@" + token.lower())
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


@dataclass(frozen=True, slots=True)
class AccountsReading:
    """What an accounts cell names.

    ``named`` counts the tokens written. ``keys`` holds each distinct account once: its
    lower-case id when known, else the token's normal form (offline usernames, unknown
    ones); ``ids`` the ids among them, in order; ``resolved`` the directory's accounts
    (online); ``platforms`` the platforms known (resolved, or written as
    ``platform:username``). ``problems`` are ``(severity, code, message)`` for the row.
    """

    named: int
    keys: tuple[str, ...]
    ids: tuple[str, ...]
    resolved: tuple[Account, ...]
    platforms: tuple[str, ...]
    problems: tuple[tuple[Severity, str, str], ...]

    @property
    def has_issues(self) -> bool:
        """True when the row must say something about its accounts: a problem, or none
        named at all."""
        return bool(self.problems) or not self.named


class AccountDirectory:
    """The accounts of the API key's workspace, looked up by id or username.

    Build it from ``GET /accounts`` (which lists only active accounts). Usernames are
    matched case-insensitively.
    """

    def __init__(self, accounts: Iterable[Account]) -> None:
        self.accounts: tuple[Account, ...] = tuple(accounts)
        # read_accounts() results by (tokens, source): sheets repeat a few account lists.
        self.readings: dict[tuple[tuple[str, ...], str], AccountsReading] = {}
        self._by_id: dict[str, Account] = {}
        self._by_username: dict[str, list[Account]] = {}
        self._by_platform_username: dict[str, list[Account]] = {}
        for account in self.accounts:
            self._by_id[account.id.lower()] = account
            if account.username:
                username = account.username.lower().lstrip("@")
                self._by_username.setdefault(username, []).append(account)
                key = f"{platform_key(account.platform)}:{username}"
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
        if token.kind == "username" or token.kind == "bare":
            found = self._by_username.get(token.key[1:], [])
        elif token.kind == "platform_username":
            found = self._by_platform_username.get(token.key, [])
        else:
            return None
        if not found:
            return None
        return found[0] if len(found) == 1 else list(found)

    def suggest(self, token: AccountToken) -> list[str]:
        """Up to two of the workspace's accounts a token not found may mean, as
        ``platform:username``: close spellings of its username."""
        if token.kind not in ("username", "platform_username", "bare"):
            return []
        wanted = token.key.rpartition(":")[2].lstrip("@")
        scored = []
        for username in difflib.get_close_matches(wanted, list(self._by_username), n=3):
            ratio = difflib.SequenceMatcher(None, wanted, username).ratio()
            scored.append((ratio, username))
        # The best match, and another only when it is about as close (a clear typo of one
        # name should not be offered two).
        close = [name for ratio, name in scored if scored and ratio >= scored[0][0] - 0.05]
        return [
            f"{platform_key(account.platform)}:{account.username}"
            for username in close
            for account in self._by_username[username]
        ][:2]


_READINGS_CACHE_LIMIT = 65_536


def read_accounts(
    text: str, directory: AccountDirectory | None = None, source: str = "accounts"
) -> AccountsReading:
    """Read an accounts cell: split it, parse each token, look it up in ``directory``
    (online), drop repeats. ``source`` names where the text came from in messages
    (``"accounts"`` or ``"--accounts"``). Results are cached per list of tokens, so cells
    that differ only in separators or spacing are read once.

    Offline (no directory) ids are taken as written; usernames get the warning
    ``account-unresolved-offline``.
    """
    written = tuple(split_account_tokens(text))
    if directory is None:
        return _read_offline(written, source)
    key = (written, source)
    found = directory.readings.get(key)
    if found is None:
        if len(directory.readings) >= _READINGS_CACHE_LIMIT:
            directory.readings.clear()
        found = directory.readings[key] = _read(written, directory, source)
    return found


@lru_cache(maxsize=4096)
def _read_offline(written: tuple[str, ...], source: str) -> AccountsReading:
    return _read(written, None, source)


def _read(
    written: tuple[str, ...], directory: AccountDirectory | None, source: str
) -> AccountsReading:
    tokens = [parse_account_token(t) for t in written]
    if directory is None and tokens and all(t.kind == "id" for t in tokens):
        keys = tuple(dict.fromkeys([t.key for t in tokens]))
        if len(keys) == len(tokens):  # offline, ids only, none twice: nothing to say
            return AccountsReading(len(tokens), keys, keys, (), (), ())
    problems: list[tuple[Severity, str, str]] = []
    malformed = [t.text for t in tokens if t.kind == "malformed"]
    if malformed:
        problems.append(
            (
                Severity.ERROR,
                "account-malformed",
                f"{_listed(malformed, quote=True)} in {source} {_is_are(malformed)} not an "
                f"account: write {ACCOUNT_FORMS}; separate accounts with commas, semicolons, "
                "new lines, ' and ' or '/'",
            )
        )
    keys: list[str] = []
    ids: list[str] = []
    resolved: list[Account] = []
    platforms: list[str] = []
    duplicates: list[str] = []
    unresolved: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        if token.kind == "malformed":
            continue
        key = token.key
        account: Account | None = None
        if directory is None:
            if token.kind != "id":
                unresolved.append(token.text)
        else:
            found = directory.resolve_token(token)
            if found is None:
                guesses = directory.suggest(token)
                guess = f" (did you mean {' or '.join(guesses)}?)" if guesses else ""
                unknown.append(shorten(token.text) + guess)
            elif isinstance(found, list):
                names = ", ".join(f"{a.platform}:{a.username}" for a in found)
                problems.append(
                    (
                        Severity.ERROR,
                        "account-ambiguous",
                        f"{token.text} in {source} is the username of {len(found)} accounts "
                        f"({names}); write platform:username to pick one",
                    )
                )
            else:
                account = found
                key = found.id.lower()
        if key in keys:
            duplicates.append(token.text)
            continue
        keys.append(key)
        if account is not None:
            resolved.append(account)
            ids.append(key)
            platform = account.platform.lower()
        else:
            if token.kind == "id" and directory is None:
                ids.append(key)
            platform = key.split(":", 1)[0] if token.kind == "platform_username" else ""
        if platform and platform not in platforms:
            platforms.append(platform)
    if unknown:
        problems.append(
            (
                Severity.ERROR,
                "account-unknown",
                f"{_listed(unknown)} in {source} {_is_are(unknown)} not found among the "
                "workspace's active accounts (run `bulk-scheduler accounts` to list them; a "
                "disconnected account must be reconnected first)",
            )
        )
    if unresolved:
        problems.append(
            (
                Severity.WARNING,
                "account-unresolved-offline",
                f"{_listed(unresolved)} in {source} can only be looked up online; validate "
                "without --offline (or write account ids) to check this row",
            )
        )
    if duplicates:
        problems.append(
            (
                Severity.WARNING,
                "account-duplicate",
                f"{_listed(duplicates)} in {source} names an account already listed in this "
                "row; it is posted to once",
            )
        )
    return AccountsReading(
        named=len(tokens),
        keys=tuple(keys),
        ids=tuple(ids),
        resolved=tuple(resolved),
        platforms=tuple(platforms),
        problems=tuple(problems),
    )


def _listed(items: list[str], quote: bool = False) -> str:
    shown = [f"'{shorten(item)}'" if quote else item for item in items[:5]]
    if len(items) > 5:
        shown.append(f"{len(items) - 5} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _is_are(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"
