"""The vendor's request schema for ``POST /posts``, decided exactly as zod 3 decides it.

The reference is ``partnerPostCreateBodySchema`` from npm
``@genviral/partner-api-contracts@0.1.0`` (zod 3.25). This module is a small
re-implementation of the zod pieces that schema uses, with zod's own semantics:

* values are JSON values seen as JavaScript sees them (numbers are doubles, string
  lengths are UTF-16 code units, ``.trim()`` strips JavaScript's whitespace set);
* every failure becomes a zod issue (``code``, ``path``, ``message`` and zod's extra
  fields), in the order zod reports them;
* a type error *aborts* its branch while a failed check only makes it *dirty*, and
  refinements run only on branches that did not abort, as in zod.

``schema_issues(body)`` returns ``[]`` exactly when ``safeParse(body).success`` is true.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bulk_scheduler.sandbox.captions import js_length
from bulk_scheduler.sandbox.whatwg_url import parses_as_url

__all__ = ["TIKTOK_POST_MODES", "TIKTOK_PRIVACY_LEVELS", "schema_issues"]

# partner-api-surface.js and partner-api-caption-limits.js
TIKTOK_POST_MODES: Final = ("DIRECT_POST", "MEDIA_UPLOAD")
TIKTOK_PRIVACY_LEVELS: Final = (
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
)
_MAX_SUPPORTED_CAPTION_LENGTH = 63_206
_TIKTOK_VIDEO_TITLE_MAX_LENGTH = 2200
_TIKTOK_PHOTO_TITLE_MAX_LENGTH = 90
_TIKTOK_PHOTO_DESCRIPTION_MAX_LENGTH = 4000
_PINTEREST_TITLE_MAX_LENGTH = 100
_PINTEREST_LINK_MAX_LENGTH = 2048

# zod 3.25.76 regexes (types.js), with \d spelled [0-9] because JS \d is ASCII-only.
_UUID = re.compile(
    r"[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{12}",
    re.ASCII,
)
_DATE = (
    r"(([0-9][0-9][2468][048]|[0-9][0-9][13579][26]|[0-9][0-9]0[48]|[02468][048]00"
    r"|[13579][26]00)-02-29|[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)|(02)-(0[1-9]|1[0-9]|2[0-8])))"
)
# datetime({offset: true}) with no precision: seconds optional, any fraction digits,
# then Z or an offset of +HH:MM / +HHMM (no range check on the offset digits).
_DATETIME_OFFSET = re.compile(
    _DATE + r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|([+-][0-9]{2}:?[0-9]{2}))",
    re.ASCII,
)
# ECMAScript WhiteSpace + LineTerminator: what String.prototype.trim removes.
_JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


class _Undefined:
    """A key absent from its object (JavaScript ``undefined``)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Final = _Undefined()

VALID, DIRTY, ABORTED = "valid", "dirty", "aborted"
Path = tuple[str | int, ...]


@dataclass
class _Context:
    issues: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: Path, message: str, **data: Any) -> None:
        # zod's makeIssue: {...issueData, path, message}
        self.issues.append({**data, "path": list(path), "message": message})


def schema_issues(body: object) -> list[dict[str, Any]]:
    """zod issues for a ``POST /posts`` body; empty when the vendor's schema accepts it.

    ``body`` is a parsed JSON value (``json.loads``). Each issue is a dict with
    ``code``, ``path`` and ``message`` plus the fields zod adds for that code.

    >>> schema_issues({"caption": "hi", "accounts": [{"id": "nope"}]})[0]["message"]
    'Invalid uuid'
    """
    ctx = _Context()
    _POST_SCHEMA.parse(body, (), ctx)
    return ctx.issues


# --- JavaScript value model ----------------------------------------------------------------


def _js_type(value: object) -> str:
    """zod's getParsedType for a JSON value."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "nan" if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _js_number(value: int | float) -> float:
    """A JSON number as a JavaScript double (integers too large for one are infinite)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _js_keys(obj: dict[str, Any]) -> list[str]:
    """``for...in`` order: array-index keys ascending, then the rest in insertion order."""

    def is_index(key: str) -> bool:
        return key.isascii() and key.isdigit() and str(int(key)) == key and int(key) < 2**32 - 1

    indexes = sorted((k for k in obj if is_index(k)), key=int)
    return indexes + [k for k in obj if not is_index(k)]


def _join_values(values: list[Any] | tuple[Any, ...], separator: str = " | ") -> str:
    return separator.join(f"'{v}'" if isinstance(v, str) else str(v) for v in values)


def _merge(statuses: list[str]) -> str:
    if ABORTED in statuses:
        return ABORTED
    return DIRTY if DIRTY in statuses else VALID


# --- the zod types this schema uses --------------------------------------------------------


class _Schema:
    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        raise NotImplementedError

    def _type_error(self, value: Any, path: Path, ctx: _Context, expected: str) -> tuple[str, Any]:
        received = _js_type(value)
        message = (
            "Required" if received == "undefined" else f"Expected {expected}, received {received}"
        )
        ctx.add(path, message, code="invalid_type", expected=expected, received=received)
        return ABORTED, None


@dataclass
class _String(_Schema):
    """``z.string()`` with checks in declaration order: trim, min, max, url, uuid, datetime."""

    checks: tuple[tuple[str, int], ...] = ()

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, str):
            return self._type_error(value, path, ctx, "string")
        status = VALID
        for kind, limit in self.checks:
            if kind == "trim":
                value = value.strip(_JS_WHITESPACE)
                continue
            # A string of n code points is n to 2n UTF-16 units: measure only near a limit.
            if kind == "min" and len(value) < limit and js_length(value) < limit:
                ctx.add(
                    path,
                    f"String must contain at least {limit} character(s)",
                    code="too_small",
                    minimum=limit,
                    type="string",
                    inclusive=True,
                    exact=False,
                )
            elif kind == "max" and 2 * len(value) > limit and js_length(value) > limit:
                ctx.add(
                    path,
                    f"String must contain at most {limit} character(s)",
                    code="too_big",
                    maximum=limit,
                    type="string",
                    inclusive=True,
                    exact=False,
                )
            elif kind in ("url", "uuid", "datetime") and not _STRING_FORMATS[kind](value):
                ctx.add(path, f"Invalid {kind}", code="invalid_string", validation=kind)
            else:
                continue
            status = DIRTY
        return status, value


_STRING_FORMATS: dict[str, Callable[[str], bool]] = {
    "url": parses_as_url,
    "uuid": lambda s: _UUID.fullmatch(s) is not None,
    "datetime": lambda s: _DATETIME_OFFSET.fullmatch(s) is not None,
}


@dataclass
class _Number(_Schema):
    """``z.number()`` with checks: ``int``, ``positive`` (> 0), ``nonnegative``, ``finite``."""

    checks: tuple[str, ...] = ()

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if _js_type(value) != "number":
            return self._type_error(value, path, ctx, "number")
        number = _js_number(value)
        status = VALID
        for check in self.checks:
            if check == "int" and not (math.isfinite(number) and number.is_integer()):
                ctx.add(
                    path,
                    "Expected integer, received float",
                    code="invalid_type",
                    expected="integer",
                    received="float",
                )
            elif check == "positive" and not number > 0:
                ctx.add(
                    path,
                    "Number must be greater than 0",
                    code="too_small",
                    minimum=0,
                    type="number",
                    inclusive=False,
                    exact=False,
                )
            elif check == "nonnegative" and number < 0:
                ctx.add(
                    path,
                    "Number must be greater than or equal to 0",
                    code="too_small",
                    minimum=0,
                    type="number",
                    inclusive=True,
                    exact=False,
                )
            elif check == "finite" and not math.isfinite(number):
                ctx.add(path, "Number must be finite", code="not_finite")
            else:
                continue
            status = DIRTY
        return status, value


class _Boolean(_Schema):
    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, bool):
            return self._type_error(value, path, ctx, "boolean")
        return VALID, value


class _Unknown(_Schema):
    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        return VALID, value


@dataclass
class _Enum(_Schema):
    values: tuple[str, ...]

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, str):
            return self._type_error(value, path, ctx, _join_values(self.values))
        if value not in self.values:
            ctx.add(
                path,
                f"Invalid enum value. Expected {_join_values(self.values)}, received '{value}'",
                received=value,
                code="invalid_enum_value",
                options=list(self.values),
            )
            return ABORTED, None
        return VALID, value


@dataclass
class _Literal(_Schema):
    value: str

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if value != self.value or not isinstance(value, str):
            message = f"Invalid literal value, expected {json.dumps(self.value)}"
            ctx.add(path, message, received=value, code="invalid_literal", expected=self.value)
            return ABORTED, None
        return VALID, value


@dataclass
class _Optional(_Schema):
    inner: _Schema
    nullable: bool = False

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if value is UNDEFINED or (self.nullable and value is None):
            return VALID, value
        return self.inner.parse(value, path, ctx)


@dataclass
class _Array(_Schema):
    item: _Schema
    min: int | None = None
    max: int | None = None

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, list):
            return self._type_error(value, path, ctx, "array")
        statuses = [VALID]
        if self.min is not None and len(value) < self.min:
            ctx.add(
                path,
                f"Array must contain at least {self.min} element(s)",
                code="too_small",
                minimum=self.min,
                type="array",
                inclusive=True,
                exact=False,
            )
            statuses.append(DIRTY)
        if self.max is not None and len(value) > self.max:
            ctx.add(
                path,
                f"Array must contain at most {self.max} element(s)",
                code="too_big",
                maximum=self.max,
                type="array",
                inclusive=True,
                exact=False,
            )
            statuses.append(DIRTY)
        results = [self.item.parse(item, (*path, i), ctx) for i, item in enumerate(value)]
        statuses += [status for status, _ in results]
        return _merge(statuses), [v for _, v in results]


@dataclass
class _Object(_Schema):
    shape: dict[str, _Schema]
    strict: bool = True

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, dict):
            return self._type_error(value, path, ctx, "object")
        extra = (
            [k for k in _js_keys(value) if k not in self.shape]
            if self.strict and not self.shape.keys() >= value.keys()
            else []
        )
        statuses = [VALID]
        out: dict[str, Any] = {}
        for key, schema in self.shape.items():
            status, parsed = schema.parse(value.get(key, UNDEFINED), (*path, key), ctx)
            statuses.append(status)
            if key in value or parsed is not UNDEFINED:
                out[key] = parsed
        if extra:
            keys = _join_values(extra, ", ")
            ctx.add(
                path, f"Unrecognized key(s) in object: {keys}", code="unrecognized_keys", keys=extra
            )
            statuses.append(DIRTY)
        return _merge(statuses), out


@dataclass
class _DiscriminatedUnion(_Schema):
    discriminator: str
    options: dict[str, _Object]

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, dict):
            return self._type_error(value, path, ctx, "object")
        tag = value.get(self.discriminator, UNDEFINED)
        option = self.options.get(tag) if isinstance(tag, str) else None
        if option is None:
            options = list(self.options)
            ctx.add(
                (*path, self.discriminator),
                f"Invalid discriminator value. Expected {_join_values(options)}",
                code="invalid_union_discriminator",
                options=options,
            )
            return ABORTED, None
        return option.parse(value, path, ctx)


@dataclass
class _Record(_Schema):
    """``z.record(z.unknown())``: any object; string keys always pass."""

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        if not isinstance(value, dict):
            return self._type_error(value, path, ctx, "object")
        # mergeObjectSync drops a "__proto__" key from the output.
        return VALID, {k: v for k, v in value.items() if k != "__proto__"}


Refinement = Callable[[Any, Path, _Context], None]


@dataclass
class _Refined(_Schema):
    """``.refine``/``.superRefine``: runs on the inner value unless the inner parse aborted."""

    inner: _Schema
    refinement: Refinement

    def parse(self, value: Any, path: Path, ctx: _Context) -> tuple[str, Any]:
        status, parsed = self.inner.parse(value, path, ctx)
        if status == ABORTED:
            return ABORTED, None
        before = len(ctx.issues)
        self.refinement(parsed, path, ctx)
        return (DIRTY if len(ctx.issues) > before else status), parsed


# --- partner-api-post-schemas.js ------------------------------------------------------------


def _str(*checks: tuple[str, int]) -> _String:
    return _String(checks)


def _opt(schema: _Schema) -> _Optional:
    return _Optional(schema)


_POSITIVE = _Number(("positive", "finite"))
_NON_NEGATIVE_INT = _Number(("int", "nonnegative"))
_MIME = _str(("trim", 0), ("min", 1), ("max", 128))

_MEDIA_METADATA_FIELDS: dict[str, _Schema] = {
    "duration_sec": _opt(_POSITIVE),
    "duration_seconds": _opt(_POSITIVE),
    "duration": _opt(_POSITIVE),
    "durationSec": _opt(_POSITIVE),
    "video_duration_sec": _opt(_POSITIVE),
    "bytes": _opt(_NON_NEGATIVE_INT),
    "size": _opt(_NON_NEGATIVE_INT),
    "width": _opt(_NON_NEGATIVE_INT),
    "height": _opt(_NON_NEGATIVE_INT),
    "mime_type": _opt(_MIME),
    "mime": _opt(_MIME),
}

_VIDEO = _Object(
    {
        "type": _Literal("video"),
        "url": _str(("url", 0)),
        **_MEDIA_METADATA_FIELDS,
        "metadata": _opt(_Object(dict(_MEDIA_METADATA_FIELDS))),
    }
)
_SLIDESHOW = _Object(
    {"type": _Literal("slideshow"), "urls": _Array(_str(("url", 0)), min=1, max=35)}
)
_MEDIA = _DiscriminatedUnion("type", {"video": _VIDEO, "slideshow": _SLIDESHOW})

_ACCOUNT = _Object({"id": _str(("uuid", 0))}, strict=False)

_TIKTOK = _Object(
    {
        "title": _opt(
            _str(("max", max(_TIKTOK_VIDEO_TITLE_MAX_LENGTH, _TIKTOK_PHOTO_TITLE_MAX_LENGTH)))
        ),
        "description": _opt(_str(("max", _TIKTOK_PHOTO_DESCRIPTION_MAX_LENGTH))),
        "user_consent": _opt(_Boolean()),
        "is_commercial": _opt(_Boolean()),
        "is_your_brand": _opt(_Boolean()),
        "is_branded_content": _opt(_Boolean()),
        "privacy_level": _opt(_Enum(TIKTOK_PRIVACY_LEVELS)),
        "disable_comment": _opt(_Boolean()),
        "disable_duet": _opt(_Boolean()),
        "disable_stitch": _opt(_Boolean()),
        "video_cover_timestamp_ms": _opt(_Number(("int", "nonnegative"))),
        "auto_add_music": _opt(_Boolean()),
        "post_mode": _opt(_Enum(TIKTOK_POST_MODES)),
    }
)

_PINTEREST = _Object(
    {
        "board_id": _opt(_str(("trim", 0), ("min", 1), ("max", 128))),
        "link": _opt(_str(("url", 0), ("max", _PINTEREST_LINK_MAX_LENGTH))),
        "title": _opt(_str(("trim", 0), ("min", 1), ("max", _PINTEREST_TITLE_MAX_LENGTH))),
        "tags": _opt(_Array(_str(("trim", 0), ("min", 1), ("max", 100)), max=30)),
    }
)


def _provider_title_rule(value: dict[str, Any], path: Path, ctx: _Context) -> None:
    if "title" not in value:
        return
    title = value["title"]
    if not isinstance(title, str) or not title.strip(_JS_WHITESPACE):
        ctx.add((*path, "title"), "title must be a non-empty string when provided", code="custom")


_PROVIDER_SETTINGS = _Refined(_Record(), _provider_title_rule)
_SETTINGS = _Object(
    {
        name: _opt(_PROVIDER_SETTINGS)
        for name in (
            "x",
            "twitter",
            "youtube",
            "reddit",
            "threads",
            "bluesky",
            "tiktok",
            "pinterest",
            "instagram",
            "instagram-standalone",
            "facebook",
            "linkedin",
            "linkedin-page",
        )
    }
)


def _music_url_rule(value: str, path: Path, ctx: _Context) -> None:
    if "tiktok.com" not in value.lower():
        ctx.add(
            path,
            "music_url must be a TikTok post URL (https://www.tiktok.com/...)",
            code="custom",
        )


def _slideshow_title_rule(value: dict[str, Any], path: Path, ctx: _Context) -> None:
    media, tiktok = value.get("media"), value.get("tiktok")
    title = tiktok.get("title") if isinstance(tiktok, dict) else None
    if (
        isinstance(media, dict)
        and media.get("type") == "slideshow"
        and isinstance(title, str)
        and title
        and js_length(title) > _TIKTOK_PHOTO_TITLE_MAX_LENGTH
    ):
        ctx.add(
            (*path, "tiktok", "title"),
            f"tiktok.title max {_TIKTOK_PHOTO_TITLE_MAX_LENGTH} characters"
            " for slideshow/photo posts",
            code="custom",
        )


_POST_SCHEMA = _Refined(
    _Object(
        {
            "caption": _str(("min", 1), ("max", _MAX_SUPPORTED_CAPTION_LENGTH)),
            "media": _Optional(_MEDIA, nullable=True),
            "accounts": _Array(_ACCOUNT, min=1, max=10),
            "settings": _opt(_SETTINGS),
            "tiktok": _opt(_TIKTOK),
            "pinterest": _opt(_PINTEREST),
            "scheduled_at": _opt(_str(("datetime", 0))),
            "external_id": _opt(_str(("max", 128))),
            "music_url": _Optional(_Refined(_str(("url", 0)), _music_url_rule), nullable=True),
        }
    ),
    _slideshow_title_rule,
)
