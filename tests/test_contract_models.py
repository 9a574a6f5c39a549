"""Bodies built from our pydantic models pass the vendor's official schema.

``PostCreateBody.to_json()`` is the exact JSON the tool POSTs; the vendor's zod schema
(``@genviral/partner-api-contracts``) is the judge. The ``official_schema`` fixture comes
from ``tests/official_schema.py`` through ``conftest.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_scheduler.api.contract import (
    EXTERNAL_ID_MAX_LENGTH,
    MAX_ACCOUNTS,
    MAX_SLIDES,
    AccountRef,
    PinterestSettings,
    PostCreateBody,
    SlideshowMedia,
    TikTokSettings,
    VideoMedia,
    utf16_length,
)
from bulk_scheduler.sandbox.seed import (
    BYO_INSTAGRAM_ID,
    BYO_TIKTOK_ID,
    BYO_TIKTOK_LOOKS_ID,
    BYO_YOUTUBE_ID,
    HOSTED_TIKTOK_ID,
)
from tests.official_schema import OfficialSchema, assert_bodies_pass, describe_failure
from tests.seed_page import seed_page_examples

VIDEO_URL = "https://cdn.genviral.com/holidays.mp4"
MUSIC_URL = "https://www.tiktok.com/@genviral/video/1234567890"


def slide_urls(count: int) -> list[str]:
    """``count`` distinct image URLs, in display order."""
    return [f"https://cdn.genviral.com/slides/look-{index:02d}.jpg" for index in range(count)]


def accounts(*ids: str) -> list[AccountRef]:
    return [AccountRef(id=account_id) for account_id in ids]


def null_paths(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds a JSON ``null``, as dotted paths."""
    if value is None:
        return [path or "<body>"]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in null_paths(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in null_paths(item, f"{path}[{index}]")]
    return []


def assert_passes(schema: OfficialSchema, body: dict[str, Any]) -> None:
    assert_bodies_pass(schema, [body])


def test_video_post_passes(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(
        caption="Holiday drops start Monday!",
        media=VideoMedia(url=VIDEO_URL),
        accounts=accounts(HOSTED_TIKTOK_ID),
    ).to_json()
    assert_passes(official_schema, body)


def test_video_post_with_full_metadata_passes(official_schema: OfficialSchema) -> None:
    media = VideoMedia(
        url=VIDEO_URL,
        duration_sec=15.5,
        size=12_345_678,
        width=1080,
        height=1920,
        mime_type="video/mp4",
    )
    body = PostCreateBody(caption="Clip", media=media, accounts=accounts(BYO_TIKTOK_ID)).to_json()
    assert_passes(official_schema, body)


def test_slideshow_with_one_url_passes(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(
        caption="One look",
        media=SlideshowMedia(urls=slide_urls(1)),
        accounts=accounts(BYO_TIKTOK_LOOKS_ID),
    ).to_json()
    assert_passes(official_schema, body)


def test_slideshow_with_the_maximum_of_urls_passes(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(
        caption="All the looks",
        media=SlideshowMedia(urls=slide_urls(MAX_SLIDES)),
        accounts=accounts(BYO_TIKTOK_LOOKS_ID),
    ).to_json()
    assert len(body["media"]["urls"]) == MAX_SLIDES
    assert_passes(official_schema, body)


def test_text_only_post_has_no_media_key(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(caption="Words only", media=None, accounts=accounts(BYO_TIKTOK_ID))
    payload = body.to_json()
    assert "media" not in payload
    assert_passes(official_schema, payload)


def test_post_with_music_url_passes(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(
        caption="With a track",
        media=VideoMedia(url=VIDEO_URL),
        accounts=accounts(HOSTED_TIKTOK_ID, BYO_TIKTOK_ID),
        music_url=MUSIC_URL,
    ).to_json()
    assert_passes(official_schema, body)


def test_post_with_the_maximum_of_accounts_passes(official_schema: OfficialSchema) -> None:
    ids = [f"00000000-0000-4000-8000-{index:012d}" for index in range(MAX_ACCOUNTS)]
    body = PostCreateBody(caption="Ten", accounts=accounts(*ids)).to_json()
    assert_passes(official_schema, body)


def test_tiktok_settings_pass(official_schema: OfficialSchema) -> None:
    tiktok = TikTokSettings(
        title="A title",
        privacy_level="PUBLIC_TO_EVERYONE",
        post_mode="DIRECT_POST",
        disable_duet=True,
        video_cover_timestamp_ms=1500,
    )
    body = PostCreateBody(
        caption="TikTok only",
        media=VideoMedia(url=VIDEO_URL),
        accounts=accounts(BYO_TIKTOK_ID),
        tiktok=tiktok,
    ).to_json()
    assert_passes(official_schema, body)


def test_pinterest_settings_pass(official_schema: OfficialSchema) -> None:
    pinterest = PinterestSettings(
        board_id="board-123",
        link="https://genviral.io/shop",
        title="Pin title",
        tags=["fashion", "weekend looks"],
    )
    body = PostCreateBody(
        caption="Pinned",
        media=SlideshowMedia(urls=slide_urls(2)),
        accounts=accounts(BYO_INSTAGRAM_ID),
        pinterest=pinterest,
    ).to_json()
    assert_passes(official_schema, body)


def test_provider_settings_pass(official_schema: OfficialSchema) -> None:
    body = PostCreateBody(
        caption="Shorts",
        media=VideoMedia(url=VIDEO_URL),
        accounts=accounts(BYO_YOUTUBE_ID),
        settings={"youtube": {"title": "My short", "privacy": "public"}, "instagram": {}},
    ).to_json()
    assert_passes(official_schema, body)


def every_optional_field_body() -> PostCreateBody:
    """A body with every optional field of every model set to a valid value."""
    return PostCreateBody(
        caption="Everything at once 🎉",
        media=VideoMedia(
            url=VIDEO_URL,
            duration_sec=30,
            size=1_000_000,
            width=1080,
            height=1920,
            mime_type="video/mp4",
        ),
        accounts=accounts(BYO_TIKTOK_ID, BYO_TIKTOK_LOOKS_ID),
        scheduled_at="2030-01-01T10:00:00+02:00",
        external_id="x" * EXTERNAL_ID_MAX_LENGTH,
        music_url=MUSIC_URL,
        tiktok=TikTokSettings(
            title="Title",
            description="Description",
            user_consent=True,
            is_commercial=False,
            is_your_brand=False,
            is_branded_content=False,
            privacy_level="SELF_ONLY",
            disable_comment=False,
            disable_duet=True,
            disable_stitch=True,
            video_cover_timestamp_ms=0,
            auto_add_music=False,
            post_mode="MEDIA_UPLOAD",
        ),
        pinterest=PinterestSettings(
            board_id="b1", link="https://genviral.io", title="Pin", tags=["a"]
        ),
        settings={"youtube": {"title": "Short"}, "linkedin-page": {}},
    )


def test_post_with_every_optional_field_passes(official_schema: OfficialSchema) -> None:
    assert_passes(official_schema, every_optional_field_body().to_json())


def test_every_optional_field_is_serialised() -> None:
    payload = every_optional_field_body().to_json()
    assert set(payload) == set(PostCreateBody.model_fields)
    assert set(payload["tiktok"]) == set(TikTokSettings.model_fields)
    assert set(payload["pinterest"]) == set(PinterestSettings.model_fields)
    assert set(payload["media"]) == set(VideoMedia.model_fields)


def test_unset_fields_are_absent_not_null() -> None:
    body = PostCreateBody(
        caption="Sparse",
        media=VideoMedia(url=VIDEO_URL),
        accounts=accounts(BYO_TIKTOK_ID),
        tiktok=TikTokSettings(title="Only a title"),
        pinterest=PinterestSettings(board_id="b1"),
    )
    payload = body.to_json()
    assert null_paths(payload) == []
    assert payload == {
        "caption": "Sparse",
        "media": {"type": "video", "url": VIDEO_URL},
        "accounts": [{"id": BYO_TIKTOK_ID}],
        "tiktok": {"title": "Only a title"},
        "pinterest": {"board_id": "b1"},
    }


SEED_EXAMPLES = seed_page_examples()


@pytest.mark.parametrize("example", SEED_EXAMPLES.values(), ids=list(SEED_EXAMPLES))
def test_seed_page_example_round_trips_through_the_models(example: dict[str, Any]) -> None:
    assert PostCreateBody.model_validate(example).to_json() == example


@pytest.mark.parametrize("example", SEED_EXAMPLES.values(), ids=list(SEED_EXAMPLES))
def test_seed_page_example_passes(official_schema: OfficialSchema, example: dict[str, Any]) -> None:
    assert_passes(official_schema, PostCreateBody.model_validate(example).to_json())


def test_seed_page_examples_use_the_seeded_account_ids() -> None:
    ids = {account["id"] for example in SEED_EXAMPLES.values() for account in example["accounts"]}
    assert ids == {HOSTED_TIKTOK_ID, BYO_TIKTOK_ID, BYO_TIKTOK_LOOKS_ID}


# ---------------------------------------------------------------------------------------------
# Property: every valid-by-construction model instance passes the official schema.

# Emoji outside the BMP count 2 UTF-16 units, the unit the server's limits use.
EMOJI = "🎉😀👗🔥✨☀️🇫🇷👩‍👩‍👧"
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789-_", min_size=1, max_size=12)
# Any character but lone surrogates, which no spreadsheet cell can hold.
CAPTION_CHARACTERS = st.one_of(
    st.characters(exclude_categories=("Cs",)), st.sampled_from(list(EMOJI))
)
PROVIDERS = (
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
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
POST_MODES = ("DIRECT_POST", "MEDIA_UPLOAD")
# Video titles may be long; the schema caps slideshow (photo) titles at 90.
PHOTO_TITLE_MAX = 90


@st.composite
def https_urls(draw: st.DrawFn, extension: str = "") -> str:
    host = draw(st.sampled_from(["cdn.genviral.com", "media.example.org", "127.0.0.1:8000"]))
    segments = draw(st.lists(WORDS, min_size=1, max_size=3))
    return f"https://{host}/{'/'.join(segments)}{extension}"


@st.composite
def scheduled_times(draw: st.DrawFn) -> str:
    """ISO 8601 with an offset, in the forms a planner could produce."""
    moment = draw(
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2400, 12, 31))
    ).replace(tzinfo=UTC)
    quarter_hours = draw(st.integers(min_value=-12 * 4, max_value=14 * 4))
    local = moment.astimezone(timezone(timedelta(minutes=15 * quarter_hours)))
    text = local.isoformat(timespec=draw(st.sampled_from(["seconds", "milliseconds", "auto"])))
    return text.replace("+00:00", "Z") if draw(st.booleans()) else text


video_media = st.builds(
    VideoMedia,
    url=https_urls(".mp4"),
    duration_sec=st.none() | st.floats(min_value=0.001, max_value=3600, allow_nan=False),
    size=st.none() | st.integers(min_value=0, max_value=2**40),
    width=st.none() | st.integers(min_value=0, max_value=8192),
    height=st.none() | st.integers(min_value=0, max_value=8192),
    mime_type=st.none() | st.sampled_from(["video/mp4", "video/quicktime"]),
)
slideshow_media = st.builds(
    SlideshowMedia, urls=st.lists(https_urls(".jpg"), min_size=1, max_size=MAX_SLIDES)
)
optional_flag = st.none() | st.booleans()


def tiktok_settings(title_max: int) -> st.SearchStrategy[TikTokSettings]:
    return st.builds(
        TikTokSettings,
        title=st.none()
        | st.text(CAPTION_CHARACTERS, max_size=title_max).filter(
            lambda title: utf16_length(title) <= title_max
        ),
        description=st.none() | st.text(CAPTION_CHARACTERS, max_size=200),
        user_consent=optional_flag,
        is_commercial=optional_flag,
        privacy_level=st.none() | st.sampled_from(PRIVACY_LEVELS),
        disable_comment=optional_flag,
        video_cover_timestamp_ms=st.none() | st.integers(min_value=0, max_value=60_000),
        post_mode=st.none() | st.sampled_from(POST_MODES),
    )


pinterest_settings = st.builds(
    PinterestSettings,
    board_id=st.none() | WORDS,
    link=st.none() | https_urls(),
    title=st.none() | WORDS,
    tags=st.none() | st.lists(WORDS, max_size=30),
)
provider_settings = st.dictionaries(
    st.sampled_from(PROVIDERS),
    st.fixed_dictionaries({}, optional={"title": WORDS, "privacy": st.sampled_from(["public"])}),
    max_size=3,
)
external_ids = st.text(alphabet=st.sampled_from([*"abcXYZ019-_:.", *EMOJI]), max_size=128).filter(
    lambda value: utf16_length(value) <= EXTERNAL_ID_MAX_LENGTH
)


@st.composite
def post_bodies(draw: st.DrawFn) -> PostCreateBody:
    """A body that the tool could legitimately send."""
    media = draw(st.none() | video_media | slideshow_media)
    is_slideshow = isinstance(media, SlideshowMedia)
    return PostCreateBody(
        caption=draw(st.text(CAPTION_CHARACTERS, min_size=1, max_size=300)),
        media=media,
        accounts=[
            AccountRef(id=str(value))
            for value in draw(st.lists(st.uuids(), min_size=1, max_size=MAX_ACCOUNTS))
        ],
        scheduled_at=draw(st.none() | scheduled_times()),
        external_id=draw(st.none() | external_ids),
        music_url=draw(
            st.none() | st.integers(min_value=1, max_value=10**19).map(lambda n: f"{MUSIC_URL}{n}")
        ),
        tiktok=draw(st.none() | tiktok_settings(PHOTO_TITLE_MAX if is_slideshow else 2200)),
        pinterest=draw(st.none() | pinterest_settings),
        settings=draw(st.none() | provider_settings),
    )


# conftest's autouse fixtures are function-scoped but only clear environment variables,
# which holds for every example; the first example pays hypothesis's charmap start-up.
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(body=post_bodies())
def test_any_valid_model_instance_passes(
    official_schema: OfficialSchema, body: PostCreateBody
) -> None:
    payload = body.to_json()
    ok, issues = official_schema.check(payload)
    assert ok, describe_failure(payload, issues)
    assert null_paths(payload) == []
