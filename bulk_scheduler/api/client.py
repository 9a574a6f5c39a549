"""The Partner API client: the only module that speaks HTTP to the API.

Every answer to ``POST /posts`` is classified into one typed :class:`CreateOutcome`
(created, replayed, row error, retryable, fatal) so that no exception from the
network or a malformed body escapes to the caller. The other endpoints return
typed models and raise :class:`ApiError` (or :class:`FatalApiError`) on failure.

Every request goes through one ``httpx.AsyncClient`` per :class:`PartnerClient`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

import certifi
import httpx
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
    FileUpload,
    Post,
    PostCreateBody,
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
    # A 409 conflict that names the post the external_id already has.
    existing_post_id: str | None = None


# Shorter keys (and key parts) could be ordinary words or numbers in a message.
_SHORT_KEY = 8

_POST_ID_IN_TEXT = re.compile(
    r"\bpost\s+(?:id\s+)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b"
)


def _existing_post_id(answer: _Answer) -> str | None:
    """The id of the post a 409 conflict names: in its data (``id``, ``post_id``), else
    as "post <uuid>" in its message."""
    payload = answer.payload or {}
    data = payload.get("data")
    keys = {"data": ("post_id", "existing_post_id", "id"), "top": ("post_id", "existing_post_id")}
    for source, names in (
        (data if isinstance(data, dict) else {}, keys["data"]),
        (payload, keys["top"]),
    ):
        for key in names:
            value = source.get(key)
            if isinstance(value, str) and value:
                return value
    found = _POST_ID_IN_TEXT.search(str(payload.get("message") or payload.get("error") or ""))
    return found.group(1) if found else None


class ApiKey:
    """The API key, kept out of every repr and message."""

    __slots__ = ("__dict__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with the key, and each long part of it, masked: a server that echoes
        the Authorization header must not put the key in a message, a sheet or a log.

        Only whole tokens are masked (the key, or a part, not inside a longer run of
        letters, digits, ``_`` or ``-``), so that no other text changes. A key shorter
        than 8 characters could be any word or number, so it is masked only where a server
        echoes it as a credential (after ``Bearer``): a key ``a`` leaves "a key" as it is.
        """
        if not text or not self._value:
            return text
        return self._pattern.sub("***", text)

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        end = r"(?![A-Za-z0-9_-])"
        if len(self._value) < _SHORT_KEY:
            return re.compile(rf"(?<=Bearer ){re.escape(self._value)}{end}")
        parts = {self._value, *(p for p in self._value.split(".") if len(p) >= _SHORT_KEY)}
        alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
        return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives}){end}")

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__

    @classmethod
    def of(cls, value: str | ApiKey | None) -> ApiKey:
        """``value`` as a key: a key as it is, text wrapped, None read from the environment."""
        if isinstance(value, ApiKey):
            return value
        return cls(value) if value else cls.from_env()

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


async def _read_answer(response: httpx.Response) -> _Answer:
    """The answer's body, read as it comes and abandoned past ``MAX_RESPONSE_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    # Decoded bytes: ``Accept-Encoding: identity`` asks for none, so a server that
    # compresses anyway is still read (and the bound applies to what it inflates to).
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                return _decoded(response.status_code, response.headers, None)
            chunks.append(chunk)
    except httpx.DecodingError:  # a compressed body that does not inflate
        problem = "answer could not be decompressed"
        return _Answer(response.status_code, response.headers, None, problem)
    return _decoded(response.status_code, response.headers, b"".join(chunks))


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """certifi's CA bundle, verification on; loaded once (it takes tens of ms), and
    shared by every client rather than built by httpx for each."""
    return ssl.create_default_context(cafile=certifi.where())


def _is_header_value(value: str) -> bool:
    """Printable ASCII: what h11 sends as is (no line break to inject a header)."""
    return value.isascii() and value.isprintable()


class _NoCookies(DefaultCookiePolicy):
    """Refuses every cookie, to keep and to send."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


_JSON_BODY = {"Content-Type": "application/json"}
# Failures where no byte of the request reached the API.
_NOTHING_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)


class _Lane(httpx.AsyncByteStream):
    """An answer's body; closing it frees its lane."""

    __slots__ = ("_busy", "_index", "_stream")

    def __init__(self, stream: httpx.AsyncByteStream, busy: list[int], index: int) -> None:
        self._stream = stream
        self._busy: list[int] | None = busy
        self._index = index

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()  # no generator of its own around each part

    async def aclose(self) -> None:
        if self._busy is not None:
            self._busy[self._index] -= 1
            self._busy = None
        await self._stream.aclose()


class _Lanes(httpx.AsyncBaseTransport):
    """``count`` httpx transports of one connection each; a request takes the least busy.

    httpcore's pool (1.0.x) walks every connection on each request's start and end, and
    for each idle one walks them all again: at 32 connections that bookkeeping cost more
    CPU than the rest of the request, and grew as the client fell behind, until a whole
    run sent at a third of C/latency (bench/README.md). A pool of one connection does it
    in constant time; picking the lane is one pass over ``count`` integers.
    """

    def __init__(self, count: int, tls: ssl.SSLContext) -> None:
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._lanes = [
            httpx.AsyncHTTPTransport(verify=tls, http1=True, http2=False, limits=one)
            for _ in range(count)
        ]
        self._busy = [0] * count  # requests sent on each lane whose answer is not closed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        busy = self._busy
        index = busy.index(min(busy))  # the executor never has more in flight than lanes
        busy[index] += 1
        try:
            response = await self._lanes[index].handle_async_request(request)
        except BaseException:
            busy[index] -= 1
            raise
        response.stream = _Lane(response.stream, busy, index)
        return response

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()


def _environment_names_a_proxy() -> bool:
    """True when the environment (or the system's settings) names a proxy: what httpx's
    ``trust_env`` reads, through the same call."""
    proxies = getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


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
        authorization = f"Bearer {self._key.reveal()}"
        if not _is_header_value(authorization):
            # Refused here, once, rather than as a transport error on every request.
            raise ConfigurationError(
                "the API key holds characters that cannot be sent in an HTTP header"
            )
        # Every request carries these; built once, not per request.
        self._headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            # The envelopes are small: asking for them uncompressed spares inflating
            # them, and the size bound (MAX_RESPONSE_BYTES) then counts what was sent.
            "Accept-Encoding": "identity",
            "Authorization": authorization,
        }
        # POST /posts is built whole from these, once per body: build_request would merge
        # the client's headers, cookies and URL into each again (twice the CPU).
        self._posts_url = httpx.URL(f"{self.base_url}/posts")
        self._posts_headers = httpx.Headers({**self._headers, **_JSON_BODY})
        # Opened on first use, inside the running event loop that will use it.
        self._http: httpx.AsyncClient | None = None
        # Requests sent to the endpoints other than POST /posts (whose attempts the
        # executor counts), for a command's summary.
        self.other_requests = 0

    def __repr__(self) -> str:
        return f"PartnerClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> PartnerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = self._open_client()
        return self._http

    def _open_client(self) -> httpx.AsyncClient:
        connections = self._max_connections
        # Proxies as httpx reads them (HTTPS_PROXY, ALL_PROXY, NO_PROXY...), but never for
        # loopback: plain http:// is allowed there only because the key then never leaves
        # the machine, and a proxy would carry it in clear.
        trust_env = not is_loopback_host(urlsplit(self.base_url).hostname or "")
        # Lanes of one connection each (see _Lanes) unless a proxy may apply: then httpx's
        # own transports, so its proxy and NO_PROXY rules decide (a transport given to
        # httpx turns its environment proxies off).
        # certifi's bundle takes tens of ms to load: only an https:// API needs it. The
        # context of a plain http:// (loopback) API verifies too, but trusts nothing.
        https = self.base_url.startswith("https://")
        tls = _tls_context() if https else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        lanes = None
        if not (trust_env and _environment_names_a_proxy()):
            lanes = _Lanes(connections, tls)
        try:
            return httpx.AsyncClient(
                transport=lanes,
                headers=self._headers,
                # A jar that keeps no cookie: the key is the only credential ever sent.
                cookies=CookieJar(policy=_NoCookies()),
                verify=tls,
                http1=True,
                http2=False,
                # For httpx's own pool (behind a proxy; the lanes otherwise): as many
                # kept-alive connections as requests in flight (the run's --concurrency),
                # so a launch never closes and reopens one.
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                # No pool timeout: the executor's throttle already bounds the requests
                # in flight, so waiting for a connection is never a failure.
                timeout=httpx.Timeout(
                    connect=self._timeout.connect,
                    read=self._timeout.read,
                    write=self._timeout.read,
                    pool=None,
                ),
                follow_redirects=False,  # the key must never follow a redirect elsewhere
                trust_env=trust_env,
            )
        except (ValueError, ImportError) as exc:
            # A proxy variable httpx cannot use (an unknown scheme, SOCKS without
            # socksio). Its value is not shown: a proxy URL may hold a password.
            raise ConfigurationError(
                "the proxy set in the environment (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) "
                f"cannot be used ({type(exc).__name__}); use an http:// proxy or set NO_PROXY"
            ) from None

    # -- transport ---------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> _Answer:
        """Send one request (with JSON already encoded as ``content``) and read a
        bounded answer. ``httpx.TransportError`` propagates."""
        http = self._client()
        self.other_requests += 1
        request = http.build_request(
            method,
            url,
            content=content,
            params=params,
            headers=_JSON_BODY if content is not None else None,
        )
        return await self._exchange(http, request)

    @staticmethod
    async def _exchange(http: httpx.AsyncClient, request: httpx.Request) -> _Answer:
        response = await http.send(request, stream=True)
        try:
            return await _read_answer(response)
        finally:
            # Unread bytes (an answer over the bound) close the connection rather than
            # return it to the pool.
            await response.aclose()

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
            request = httpx.Request(
                "POST", self._posts_url, headers=self._posts_headers, content=content
            )
            answer = await self._exchange(self._client(), request)
        except _NOTHING_SENT as exc:
            # The request never left: no connection opened (refused, no answer to the
            # connect, a TLS certificate refused, the proxy refused the tunnel), or
            # h11 refused to write it.
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                error_code="connection_failed",
                message=f"could not connect to the API ({_transport_reason(exc)})",
            )
        except httpx.TimeoutException as exc:
            # A read (or write) timeout: the request was sent, or partly.
            return CreateOutcome(
                OutcomeKind.RETRYABLE,
                error_code="timeout",
                message=f"no answer in time ({type(exc).__name__}); the post may have been created",
                maybe_committed=True,
            )
        except httpx.TransportError as exc:
            # ReadError, WriteError, RemoteProtocolError (closed before or during the
            # answer, or an answer that is not HTTP): the server may have acted.
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
            OutcomeKind.ROW_ERROR,
            status=status,
            error_code=error_code,
            message=message,
            existing_post_id=_existing_post_id(answer) if status == 409 else None,
        )

    # -- other endpoints ---------------------------------------------------------

    async def _data(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        content = None if json_body is None else _json_bytes(json_body)
        url = f"{self.base_url}/{path}"  # every message names the URL it tried
        try:
            answer = await self._send(method, url, content=content, params=params)
        except httpx.TransportError as exc:
            raise ApiError(
                f"{method} {url}: the API could not be reached ({_transport_reason(exc)})"
            ) from None
        if 200 <= answer.status < 300 and answer.payload is not None:
            return answer.payload.get("data")
        error_code, message = self._error_of(answer)
        text = f"{method} {url}: {message} [{answer.status} {error_code}]"
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
            raise ApiError(
                f"GET {self.base_url}/accounts: unexpected answer ({exc.__class__.__name__})"
            ) from None

    async def get_post(self, post_id: str) -> Post:
        """``GET /posts/{id}``: one post with its per-account states."""
        data = await self._data("GET", f"posts/{post_id}")
        try:
            return Post.model_validate(data)
        except ValidationError:
            raise ApiError(f"GET {self.base_url}/posts/{post_id}: unexpected answer") from None

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
            raise ApiError(f"GET {self.base_url}/posts: unexpected answer") from None

    async def update_post(self, post_id: str, fields: Mapping[str, Any]) -> CreatedPost:
        """``PATCH /posts/{id}`` with only the fields to change: ``{id, status, scheduled_at,
        warnings}``. Raises :class:`ApiError` (its ``status`` None when no answer came)."""
        data = await self._data("PATCH", f"posts/{post_id}", json_body=dict(fields))
        try:
            return CreatedPost.model_validate(data)
        except ValidationError:
            raise ApiError(
                f"PATCH {self.base_url}/posts/{post_id}: unexpected answer", 200, "malformed"
            ) from None

    async def retry_posts(
        self, post_ids: Iterable[str], account_ids: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """``POST /posts/retry`` (1-20 failed or partial posts, optionally only some of their
        accounts): ``{retried, ids, failed, errors?}``."""
        body: dict[str, Any] = {"post_ids": list(post_ids)}
        accounts = list(account_ids or [])
        if accounts:
            body["account_ids"] = accounts
        data = await self._data("POST", "posts/retry", json_body=body)
        return data if isinstance(data, dict) else {}

    async def delete_posts(self, post_ids: Iterable[str]) -> dict[str, Any]:
        """``POST /posts/delete`` (1-50 ids): ``deletedIds``, ``blockedStatuses``, ``skipped``…"""
        data = await self._data("POST", "posts/delete", json_body={"postIds": list(post_ids)})
        return data if isinstance(data, dict) else {}

    async def create_upload(self, payload: Mapping[str, Any]) -> FileUpload:
        """``POST /files``: a presigned upload for one local file (``contentType``,
        ``filename``, and the measured ``size``, ``duration_sec``, ``width``, ``height``).
        Raises ``ApiError`` (``FatalApiError`` for a refused key)."""
        data = await self._data("POST", "files", json_body=dict(payload))
        try:
            return FileUpload.model_validate(data)
        except ValidationError:
            raise ApiError(f"POST {self.base_url}/files: unexpected answer") from None
