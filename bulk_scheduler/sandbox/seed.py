"""The sandbox's seeded workspace: fixed ids that sample campaigns and tests use.

The first three ids are the ones in the vendor's seed page examples.
"""

from __future__ import annotations

from typing import Any

WORKSPACE_ID = "7d1c6a52-3f0e-4b8a-9c55-2f1e0d9b7a10"
SANDBOX_API_KEY = "gva_sandbox_demo.s3cr3t-sandbox-key"

HOSTED_TIKTOK_ID = "0f4f54d4-8cce-4fb7-8c7b-befbcb8af812"
BYO_TIKTOK_ID = "6b0c8c9c-55ac-4fcb-85ec-70b5a8b0d089"
BYO_TIKTOK_LOOKS_ID = "3e30c8d1-0bc0-42d8-9a1a-bb63fe6c3c16"
BYO_INSTAGRAM_ID = "a4b1c2d3-1e2f-4a5b-8c6d-7e8f9a0b1c2d"
BYO_YOUTUBE_ID = "b5c2d3e4-2f3a-4b6c-9d7e-8f9a0b1c2d3e"
INACTIVE_TIKTOK_ID = "c6d3e4f5-3a4b-4c7d-8e8f-9a0b1c2d3e4f"
# The same handle on two platforms, as brands often have: "@genviral_looks" is ambiguous.
BYO_INSTAGRAM_LOOKS_ID = "d7e4f5a6-4b5c-4d8e-9f0a-1b2c3d4e5f60"
# A Pinterest account, for campaigns that pin to boards.
BYO_PINTEREST_ID = "e8f5a6b7-5c6d-4e9f-8a1b-2c3d4e5f6a71"

SEED_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "id": HOSTED_TIKTOK_ID,
        "platform": "tiktok",
        "type": "hosted",
        "username": "genviral_hosted",
        "display_name": "Genviral (hosted)",
        "status": "active",
        "capabilities": {
            "supported_content_kinds": ["single_video", "multi_image"],
            "caption_limit": 500,
        },
    },
    {
        "id": BYO_TIKTOK_ID,
        "platform": "tiktok",
        "type": "byo",
        "username": "genviral",
        "display_name": "Genviral",
        "status": "active",
    },
    {
        "id": BYO_TIKTOK_LOOKS_ID,
        "platform": "tiktok",
        "type": "byo",
        "username": "genviral_looks",
        "display_name": "Genviral Looks",
        "status": "active",
    },
    {
        "id": BYO_INSTAGRAM_ID,
        "platform": "instagram",
        "type": "byo",
        "username": "genviral.ig",
        "display_name": "Genviral on Instagram",
        "status": "active",
    },
    {
        "id": BYO_INSTAGRAM_LOOKS_ID,
        "platform": "instagram",
        "type": "byo",
        "username": "genviral_looks",
        "display_name": "Genviral Looks on Instagram",
        "status": "active",
    },
    {
        "id": BYO_YOUTUBE_ID,
        "platform": "youtube",
        "type": "byo",
        "username": "GenviralShorts",
        "display_name": "Genviral Shorts",
        "status": "active",
    },
    {
        "id": INACTIVE_TIKTOK_ID,
        "platform": "tiktok",
        "type": "byo",
        "username": "genviral_old",
        "display_name": "Genviral (disconnected)",
        "status": "inactive",
    },
    {
        "id": BYO_PINTEREST_ID,
        "platform": "pinterest",
        "type": "byo",
        "username": "genviral.pins",
        "display_name": "Genviral on Pinterest",
        "status": "active",
    },
)
