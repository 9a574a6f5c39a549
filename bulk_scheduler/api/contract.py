"""The Genviral Partner API as typed code: request bodies, envelopes and limits.

These models are the single description of what goes over the wire. Serialising
a body with :meth:`PostCreateBody.to_json` gives exactly the JSON the API
expects: fields that are not set are absent, never ``null``.

The limits below are the API's documented numbers (``docs/partner-api.md``); the
validator and the sandbox both read them, but each applies its own rules.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX = "/api/partner/v1"
PRODUCTION_BASE_URL = "https://www.genviral.io/api/partner/v1"
API_KEY_ENV = "GENVIRAL_API_KEY"
BASE_URL_ENV = "GENVIRAL_BASE_URL"

MAX_ACCOUNTS = 10
MAX_SLIDES = 35
EXTERNAL_ID_MAX_LENGTH = 128
SCHEMA_CAPTION_MAX_LENGTH = 63_206
HOSTED_CAPTION_LIMIT = 500
MIN_SCHEDULE_LEAD_SECONDS = 120
IMMEDIATE_WINDOW_SECONDS = 30
VIDEO_MIN_SECONDS = 15
VIDEO_MAX_SECONDS = 60
VIDEO_MAX_BYTES = 100 * 1024 * 1024
IMAGE_MAX_BYTES = 5 * 1024 * 1024
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "m4v", "avi"})
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png"})

# Caption limits per platform for BYO accounts, in UTF-16 code units (YouTube: bytes).
PLATFORM_CAPTION_LIMITS: dict[str, int] = {
    "tiktok": 2200,
    "instagram": 2200,
    "facebook": 63_206,
    "linkedin": 3000,
    "pinterest": 800,
    "youtube": 5000,
    "x": 280,
    "twitter": 280,
    "bluesky": 300,
    "threads": 500,
    "reddit": 10_000,
}
TIKTOK_PHOTO_CAPTION_LIMIT = 4000

# Per-platform settings (``tiktok``, ``pinterest``, ``settings.<provider>``): the contract
# package's enums and limits, in UTF-16 code units as the server counts them.
TIKTOK_PRIVACY_LEVELS = (
    "PUBLIC_TO_EVERYONE",
    "MUTUAL_FOLLOW_FRIENDS",
    "FOLLOWER_OF_CREATOR",
    "SELF_ONLY",
)
TIKTOK_POST_MODES = ("DIRECT_POST", "MEDIA_UPLOAD")
TIKTOK_DRAFTS_MODE = "MEDIA_UPLOAD"
TIKTOK_VIDEO_TITLE_MAX_LENGTH = 2200
TIKTOK_PHOTO_TITLE_MAX_LENGTH = 90
TIKTOK_DESCRIPTION_MAX_LENGTH = 4000
# TikTok refuses drafts uploads beyond about this many pending per account in 24 hours.
TIKTOK_PENDING_DRAFTS_PER_DAY = 5
PINTEREST_BOARD_ID_MAX_LENGTH = 128
PINTEREST_TITLE_MAX_LENGTH = 100
PINTEREST_LINK_MAX_LENGTH = 2048
PINTEREST_TAG_MAX_LENGTH = 100
PINTEREST_MAX_TAGS = 30
YOUTUBE_TITLE_MAX_LENGTH = 100
# The providers ``settings`` may carry, each a free-form object.
SETTINGS_PROVIDERS = (
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

POST_STATUSES = (
    "draft",
    "pending",
    "scheduled",
    "posted",
    "failed",
    "partial",
    "retry",
    "canceled",
)
FATAL_STATUSES = frozenset({401, 402, 403})


def utf16_length(text: str) -> int:
    """Length as JavaScript counts it: UTF-16 code units (an emoji outside the BMP is 2,
    a lone surrogate 1)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def caption_limit(platform: str, account_type: str, media_type: str | None = None) -> int:
    """The documented caption limit for one account, when its own capabilities say nothing."""
    if account_type == "hosted":
        return HOSTED_CAPTION_LIMIT
    if platform == "tiktok" and media_type == "slideshow":
        return TIKTOK_PHOTO_CAPTION_LIMIT
    return PLATFORM_CAPTION_LIMITS.get(platform, HOSTED_CAPTION_LIMIT)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Lenient(BaseModel):
    """Answers from the server: unknown fields are kept, not rejected."""

    model_config = ConfigDict(extra="allow")


class AccountRef(_Strict):
    id: str


class VideoMedia(_Strict):
    type: Literal["video"] = "video"
    url: str
    duration_sec: float | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    mime_type: str | None = None


class SlideshowMedia(_Strict):
    type: Literal["slideshow"] = "slideshow"
    urls: list[str] = Field(min_length=1, max_length=MAX_SLIDES)


Media = Annotated[VideoMedia | SlideshowMedia, Field(discriminator="type")]


class TikTokSettings(_Strict):
    title: str | None = None
    description: str | None = None
    user_consent: bool | None = None
    is_commercial: bool | None = None
    is_your_brand: bool | None = None
    is_branded_content: bool | None = None
    privacy_level: str | None = None
    disable_comment: bool | None = None
    disable_duet: bool | None = None
    disable_stitch: bool | None = None
    video_cover_timestamp_ms: int | None = None
    auto_add_music: bool | None = None
    post_mode: str | None = None


class PinterestSettings(_Strict):
    board_id: str | None = None
    link: str | None = None
    title: str | None = None
    tags: list[str] | None = None


class PostCreateBody(_Strict):
    """The body of ``POST /posts``."""

    caption: str = Field(min_length=1)
    media: Media | None = None
    accounts: list[AccountRef] = Field(min_length=1, max_length=MAX_ACCOUNTS)
    scheduled_at: str | None = None
    external_id: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX_LENGTH)
    music_url: str | None = None
    tiktok: TikTokSettings | None = None
    pinterest: PinterestSettings | None = None
    settings: dict[str, dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        """The exact JSON object to send: unset fields are absent, never ``null``."""
        return self.model_dump(mode="json", exclude_none=True)


class ApiWarning(_Lenient):
    field: str | None = None
    message: str = ""
    code: str = ""


class CreatedPost(_Lenient):
    """``data`` of a ``201`` (or of a ``200`` replay, with ``duplicate``)."""

    id: str
    status: str
    scheduled_at: str | None = None
    warnings: list[ApiWarning] = Field(default_factory=list)
    duplicate: bool = False


class AccountCapabilities(_Lenient):
    supported_content_kinds: list[str] | None = None
    caption_limit: int | None = None
    media_limits: dict[str, Any] | None = None


class Account(_Lenient):
    id: str
    platform: str
    type: str = "byo"
    username: str | None = None
    display_name: str | None = None
    status: str | None = None
    workspace_id: str | None = None
    capabilities: AccountCapabilities | None = None

    def caption_limit(self, media_type: str | None = None) -> int:
        """The caption limit for this account: its own capability if given, else the table."""
        if self.capabilities and self.capabilities.caption_limit:
            return self.capabilities.caption_limit
        return caption_limit(self.platform, self.type, media_type)


class AccountState(_Lenient):
    account_id: str
    status: str | None = None
    published_at: str | None = None
    published_url: str | None = None
    error_message: str | None = None
    last_attempted_at: str | None = None


class PostAccounts(_Lenient):
    total: int | None = None
    states: list[AccountState] = Field(default_factory=list)


class Post(_Lenient):
    """``data`` of ``GET /posts/{id}`` and the items of ``GET /posts``."""

    id: str
    status: str
    caption: str | None = None
    scheduled_at: str | None = None
    external_id: str | None = None
    created_at: str | None = None
    accounts: PostAccounts | None = None
    media: dict[str, Any] | None = None
    music_url: str | None = None


# Statuses in which a post can still be edited (PATCH) or deleted; the others are final
# or past editing. Statuses a retry applies to. Statuses after which nothing changes.
EDITABLE_STATUSES = frozenset({"draft", "pending", "scheduled", "retry", "failed"})
RETRYABLE_STATUSES = frozenset({"failed", "partial"})
FINAL_STATUSES = frozenset({"posted", "failed", "partial", "canceled"})
MAX_RETRY_POST_IDS = 20
MAX_DELETE_POST_IDS = 50
MAX_LIST_LIMIT = 100


class ErrorBody(_Lenient):
    """A failure envelope: ``{"ok": false, "code", "message", "error_code", "issues"?}``."""

    ok: Literal[False] = False
    code: int
    message: str = ""
    error_code: str = "unknown_error"
    issues: list[dict[str, Any]] | None = None


class FileUpload(_Lenient):
    """``data`` of ``POST /files``: PUT the bytes to ``uploadUrl`` (no key, with the same
    Content-Type, within ``expiresIn`` seconds), then use ``url`` in the post's media."""

    uploadUrl: str
    url: str
    contentType: str | None = None
    expiresIn: float | None = None
