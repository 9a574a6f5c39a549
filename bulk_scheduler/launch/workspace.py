"""What the dry run and the launch ask of the API before anything is sent: the
workspace's accounts, and how media is to be probed for that API.

Apart from ``dry_run`` so that an offline dry run never loads the HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from bulk_scheduler.api.client import ApiKey, PartnerClient, is_loopback_host
from bulk_scheduler.api.contract import Account
from bulk_scheduler.errors import ApiError, FatalApiError
from bulk_scheduler.media.preflight import MediaCheckOptions


async def fetch_accounts(key: ApiKey, base_url: str) -> list[Account]:
    """``GET /accounts``; any failure to get them stops the run: ``FatalApiError``."""
    async with PartnerClient(key, base_url) as client:
        try:
            return await client.list_accounts()
        except FatalApiError:
            raise
        except ApiError as exc:
            raise FatalApiError(str(exc), exc.status, exc.error_code) from None


def media_options(
    base_url: str, progress: Callable[[int, int], None] | None = None
) -> MediaCheckOptions:
    """Probe media for real, or as the sandbox would when the API is on loopback."""
    return MediaCheckOptions(
        rehearsal=is_loopback_host(urlsplit(base_url).hostname or ""), progress=progress
    )
