"""The Partner API client: the only module that speaks HTTP to the API.

Every answer to ``POST /posts`` is classified into one typed :class:`CreateOutcome`
(created, replayed, row error, retryable, fatal) so that no exception from the
network or a malformed body escapes to the caller. The other endpoints return
typed models and raise :class:`ApiError` (or :class:`FatalApiError`) on failure.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import certifi
from pydantic import ValidationError

from bulk_scheduler import __version__
from bulk_scheduler.api.contract import (
    API_KEY_ENV,
    BASE_URL_ENV,
    FATAL_STATUSES,
    PRODUCTION_BASE_URL,
    Account,
    CreatedPost,
    ErrorBody,
    Post,
    PostCreateBody,
)
from bulk_scheduler.api.http1 import (
    ConnectFailed,
    ConnectionLost,
    Http1Pool,
    RawAnswer,
    ReadTimedOut,
    can_serve,
)
from bulk_scheduler.errors import ApiError, ConfigurationError, FatalApiError

USER_AGENT = f"bulk-scheduler/{__version__}"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed to open a connection, and to wait for each read of the answer."""

    connect: float = 10.0
    read: float = 30.0


DEFAULT_TIMEOUT = Timeouts()
# Answers larger than this are not the API's envelope; reading them whole would let a
# misbehaving server exhaust memory.
MAX_RESPONSE_BYTES = 1 * 1024 * 1024


class OutcomeKind(StrEnum):
    CREATED = "created"
    REPLAYED = "replayed"
    ROW_ERROR = "row_error"
    RETRYABLE = "retryable"
    FATAL = "fatal"


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    """What one ``POST /posts`` attempt came to.

    ``maybe_committed`` is true when the request may have reached the server and
    created the post although no confirmation came back (a dropped connection
    after sending, a read timeout, a 2xx whose body was unreadable).
    ``rate_limited`` marks a 429; ``retry_after`` is its ``Retry-After`` in seconds.
    """

    kind: OutcomeKind
    status: int | None = None
    post: CreatedPost | None = None
    error_code: str | None = None
    message: str = ""
    retry_after: float | None = None
    rate_limited: bool = False
    maybe_committed: bool = False


class ApiKey:
    """The API key, kept out of every repr and message."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with the key, and each long part of it, masked: a server that echoes
        the Authorization header must not put the key in a message, a sheet or a log."""
        if not text:
            return text
        parts = [self._value, *(p for p in self._value.split(".") if len(p) >= 8)]
        for part in sorted(set(parts), key=len, reverse=True):
            if part:
                text = text.replace(part, "***")
        return text

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiKey:
        env = os.environ if environ is None else environ
        value = env.get(API_KEY_ENV, "").strip()
        if not value:
            raise ConfigurationError(f"no API key: set the {API_KEY_ENV} environment variable")
        return cls(value)


@lru_cache(maxsize=1024)
def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(base_url: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL: the argument, else ``GENVIRAL_BASE_URL``, else production.

    Plain ``http://`` is refused for any host but loopback, so the key never
    crosses a network in clear text.
    """
    env = os.environ if environ is None else environ
    url = (base_url or env.get(BASE_URL_ENV) or PRODUCTION_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base URL {url!r} uses plain http://; use https:// (http is allowed only on loopback)"
        )
    if parts.username or parts.password:
        raise ConfigurationError("base URL must not contain credentials")
    return url


def env_proxy_for(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy ``HTTPS_PROXY``/``HTTP_PROXY`` name for ``url``, unless ``NO_PROXY`` or
    loopback exempts it.

    Looked up once per client: aiohttp's own lookup (``trust_env``) runs in a thread
    for every request.
    """
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    host = parts.hostname or ""
    if is_loopback_host(host):
        return None

    def variable(name: str) -> str:  # the lower-case spelling wins, as in curl
        return env.get(name) or env.get(name.upper()) or ""

    proxy = variable(f"{parts.scheme}_proxy")
    if not proxy.startswith(("http://", "https://")):
        return None  # none set, or not an HTTP proxy (aiohttp speaks only to those)
    for entry in variable("no_proxy").split(","):
        entry = entry.strip().lower().lstrip(".")
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    return proxy


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(seconds, 3600.0))


def _transport_reason(exc: BaseException) -> str:
    """A short reason; a certificate that fails verification says so."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "the server's TLS certificate could not be verified"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "the server's TLS certificate could not be verified"
        cause = cause.__cause__ or cause.__context__
    return type(exc).__name__


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    payload: Any  # the decoded JSON, or None when the body was not JSON
    problem: str | None  # why the body is unusable, when it is


def _json_bytes(value: Any) -> bytes:
    """A request body as compact JSON (UTF-8, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _decoded(status: int, headers: Mapping[str, str], raw: bytes | None) -> _Answer:
    """An answer's JSON object; ``raw`` None means the body was over the size limit."""
    if raw is None:
        return _Answer(
            status, headers, None, f"answer larger than {MAX_RESPONSE_BYTES // 1024} KiB"
        )
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        kind = headers.get("content-type", "unknown type").split(";")[0]
        return _Answer(status, headers, None, f"answer is not JSON ({kind})")
    if not isinstance(payload, dict):
        return _Answer(status, headers, None, "answer is not an object")
    return _Answer(status, headers, payload, None)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """certifi's CA bundle, verification on; loaded once (it takes tens of ms)."""
    return ssl.create_default_context(cafile=certifi.where())


class PartnerClient:
    """Async client for the Genviral Partner API.

    >>> async with PartnerClient(api_key=ApiKey("gva_live_x.y")) as api:  # doctest: +SKIP
    ...     accounts = await api.list_accounts()
    """

    def __init__(
        self,
        api_key: ApiKey | None = None,
        base_url: str | None = None,
        *,
        timeout: Timeouts = DEFAULT_TIMEOUT,
        max_connections: int = 16,
    ) -> None:
        self._key = api_key or ApiKey.from_env()
        self.base_url = resolve_base_url(base_url)
        self._timeout = timeout
        self._max_connections = max(1, max_connections)
        # Opened on first use: an aiohttp session belongs to the running event loop.
        self._session: aiohttp.ClientSession | None = None
        self._proxy = env_proxy_for(self.base_url)
        # POST /posts goes through a lean HTTP/1.1 pool (http1.py) when it can: a
        # quarter of aiohttp's CPU per request. Through a proxy, aiohttp does it all.
        self._posts: Http1Pool | None = None
        self._posts_direct = self._proxy is None and can_serve(
            self.base_url, self._key.reveal(), USER_AGENT
        )

    def __repr__(self) -> str:
        return f"PartnerClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> PartnerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._posts is not None:
            await self._posts.close()
            self._posts = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open_session(self) -> aiohttp.ClientSession:
        # aiohttp rather than httpx here: a request costs about a quarter of the CPU
        # (bench/README.md), which is what lets one core keep many requests in flight.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, ssl=_tls_context()
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            cookie_jar=aiohttp.DummyCookieJar(),  # the key is the only credential sent
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self._timeout.connect, sock_read=self._timeout.read
            ),
            auto_decompress=True,
        )

    # -- transport ---------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> _Answer:
        """Send one request (``json_body`` to encode, or JSON already encoded as
        ``content``) and read a bounded answer. ``aiohttp.ClientError`` propagates."""
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        if json_body is not None:
            content = _json_bytes(json_body)
        if content is not None:
            headers["Content-Type"] = "application/json"
        if self._session is None:
            self._session = self._open_session()
        async with self._session.request(
            method,
            f"{self.base_url}/{path.lstrip('/')}",
            data=content,
            params=params,
            headers=headers,
            allow_redirects=False,  # the key must never follow a redirect elsewhere
            proxy=self._proxy,
        ) as response:
            return await self._read_answer(response)

    @staticmethod
    async def _read_answer(response: aiohttp.ClientResponse) -> _Answer:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                response.close()  # the rest is never read; the connection is not reused
                return _decoded(response.status, response.headers, None)
            chunks.append(chunk)
        return _decoded(response.status, response.headers, b"".join(chunks))

    async def _post_direct(self, content: bytes) -> _Answer:
        """``POST /posts`` through the lean pool; raises ``http1.TransportError``."""
        if self._posts is None:
            self._posts = Http1Pool(
                self.base_url,
                {
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    "Accept-Encoding": "identity",
                    "Authorization": f"Bearer {self._key.reveal()}",
                },
                tls=_tls_context(),
                limit=self._max_connections,
                connect_timeout=self._timeout.connect,
                read_timeout=self._timeout.read,
                max_body=MAX_RESPONSE_BYTES,
            )
        raw: RawAnswer = await self._posts.post("posts", content, "application/json")
        return _decoded(raw.status, raw.headers, raw.body)

    def _error_of(self, answer: _Answer) -> tuple[str, str]:
        """(error_code, message) of a failure answer, whatever its body looks like."""
        code, message = self._raw_error_of(answer)
        return self._key.scrub(code), self._key.scrub(message)

    @staticmethod
    def _raw_error_of(answer: _Answer) -> tuple[str, str]:
        if answer.payload is not None:
            try:
                body = ErrorBody.model_validate({"code": answer.status, **answer.payload})
            except ValidationError:
                pass
            else:
                message = body.message or f"HTTP {answer.status}"
                if body.issues:
                    details = "; ".join(
                        f"{'.'.join(str(p) for p in issue.get('path', [])) or 'body'}: "
                        f"{issue.get('message', '')}"
                        for issue in body.issues[:5]
                    )
                    message = f"{message} ({details})"
                return body.error_code, message
        return f"http_{answer.status}", f"HTTP {answer.status}: {answer.problem or 'no details'}"

    # -- POST /posts -------------------------------------------------------------

    async def create_post(self, body: PostCreateBody | Mapping[str, Any] | bytes) -> CreateOutcome:
        """Send one create request and classify the answer; never raises for the network.

        ``body`` is a model, a JSON object, or that object already encoded as JSON bytes.
        """
        if isinstance(body, bytes):
            content = body
        else:
            payload = body.to_json() if isinstance(body, PostCreateBody) else dict(body)
            content = _json_bytes(payload)
        try:
            if self._posts_direct:
                answer = await self._post_direct(content)
            else:
                answer = await self._send("POST", "posts", content=content)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, ConnectFailed) as exc:
            # Nothing was sent: the connection never opened.
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                error_code="connection_failed",
                message=f"could not connect to the API ({_transport_reason(exc)})",
            )
        except (TimeoutError, ReadTimedOut) as exc:
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                error_code="timeout",
                message=f"no answer in time ({type(exc).__name__}); the post may have been created",
                maybe_committed=True,
            )
        except (aiohttp.ClientError, ConnectionLost) as exc:
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                error_code="connection_lost",
                message=(
                    f"connection lost before the answer ({type(exc).__name__}); "
                    "the post may have been created"
                ),
                maybe_committed=True,
            )
        return self._classify_create(answer)

    def _classify_create(self, answer: _Answer) -> CreateOutcome:
        status = answer.status
        if 200 <= status < 300:
            data = answer.payload.get("data") if answer.payload else None
            try:
                post = CreatedPost.model_validate(data)
            except ValidationError:
                return CreateOutcome(
                    OutcomeKind.RETRYABLE,
                    status=status,
                    error_code="malformed_response",
                    message=(
                        f"HTTP {status} but the answer has no post id "
                        f"({answer.problem or 'unexpected envelope'}); "
                        "the post may have been created"
                    ),
                    maybe_committed=True,
                )
            duplicate = post.duplicate or bool(answer.payload and answer.payload.get("duplicate"))
            if status == 200 and duplicate:
                return CreateOutcome(OutcomeKind.REPLAYED, status=status, post=post)
            return CreateOutcome(OutcomeKind.CREATED, status=status, post=post)
        error_code, message = self._error_of(answer)
        if status in FATAL_STATUSES:
            return CreateOutcome(
                OutcomeKind.FATAL, status=status, error_code=error_code, message=message
            )
        if status == 429:
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                status=status,
                error_code=error_code,
                message=message,
                retry_after=_parse_retry_after(answer.headers.get("retry-after")),
                rate_limited=True,
            )
        if status >= 500:
            # An upstream error may or may not have stored the post; the retry with the
            # same external_id settles it.
            return CreateOutcome(
                OutcomeKind.RETRYABLE, status=status, error_code=error_code, message=message
            )
        if 300 <= status < 400:
            where = self._key.scrub(answer.headers.get("location", "elsewhere"))
            return CreateOutcome(
                OutcomeKind.ROW_ERROR,
                status=status,
                error_code="unexpected_redirect",
                message=f"the API redirected to {where}; the request was not followed",
            )
        return CreateOutcome(
            OutcomeKind.ROW_ERROR, status=status, error_code=error_code, message=message
        )

    # -- other endpoints ---------------------------------------------------------

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = await self._send(method, path, **kwargs)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ApiError(
                f"{method} {path}: the API could not be reached ({_transport_reason(exc)})"
            ) from None
        if 200 <= answer.status < 300 and answer.payload is not None:
            return answer.payload.get("data")
        error_code, message = self._error_of(answer)
        text = f"{method} {path}: {message} [{answer.status} {error_code}]"
        if answer.status in FATAL_STATUSES:
            raise FatalApiError(text, answer.status, error_code)
        raise ApiError(text, answer.status, error_code)

    async def list_accounts(self) -> list[Account]:
        """``GET /accounts``: the workspace's active accounts."""
        data = await self._data("GET", "accounts")
        items = data.get("accounts", []) if isinstance(data, dict) else data
        try:
            return [Account.model_validate(item) for item in items or []]
        except (ValidationError, TypeError) as exc:
            raise ApiError(f"GET accounts: unexpected answer ({exc.__class__.__name__})") from None

    async def get_post(self, post_id: str) -> Post:
        """``GET /posts/{id}``: one post with its per-account states."""
        data = await self._data("GET", f"posts/{post_id}")
        try:
            return Post.model_validate(data)
        except ValidationError:
            raise ApiError(f"GET posts/{post_id}: unexpected answer") from None

    async def list_posts(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Post]:
        """``GET /posts`` with the API's filters (newest first, at most 100)."""
        params = {
            k: v
            for k, v in {"status": status, "limit": limit, "since": since, "until": until}.items()
            if v is not None
        }
        data = await self._data("GET", "posts", params=params)
        items = data.get("posts", []) if isinstance(data, dict) else data
        try:
            return [Post.model_validate(item) for item in items or []]
        except (ValidationError, TypeError):
            raise ApiError("GET posts: unexpected answer") from None

    async def delete_posts(self, post_ids: Iterable[str]) -> dict[str, Any]:
        """``POST /posts/delete`` (1-50 ids): ``deletedIds``, ``blockedStatuses``, ``skipped``…"""
        data = await self._data("POST", "posts/delete", json_body={"postIds": list(post_ids)})
        return data if isinstance(data, dict) else {}
