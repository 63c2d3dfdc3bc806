"""Fetching one URL over HTTP with the limits a news bot needs.

`Fetcher` owns one `httpx.AsyncClient` shared by feeds and article pages: a connect
time-out and a total time-out (the whole request, a slow-drip body included), a size
cap enforced while the body streams in, redirects followed by hand a bounded number
of times, gzip/brotli, a User-Agent naming the bot, a concurrency limit and
conditional GET. Network and HTTP trouble never raises: the `FetchResult` says what
went wrong in one line.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import ssl
from dataclasses import dataclass, field
from functools import lru_cache

import httpx

from digests.config import Settings, get_settings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
DRAIN_BYTES = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "text/html, application/xhtml+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


@dataclass(frozen=True)
class FetchResult:
    """The answer to one GET, or the reason there is none."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int  # HTTP status; 0 when no response arrived
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""  # decoded from gzip/brotli, at most FETCH_MAX_BYTES
    error: str | None = None  # None on a usable answer; else one line naming the problem

    @property
    def ok(self) -> bool:
        """A 2xx answer with its body."""
        return self.error is None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        """The server said 304: what we have is current."""
        return self.error is None and self.status == 304


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds: once per process, not per Fetcher.
    return httpx.create_ssl_context()


def seconds_text(seconds: float) -> str:
    """`30` for 30.0, `0.5` for 0.5: a duration as people write it."""
    return f"{seconds:g}s"


class _TooBig(Exception):
    pass


class Fetcher:
    """An async HTTP client with time-outs, a size cap, bounded redirects and a
    concurrency limit; use it as an async context manager."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        concurrency = max(1, self.settings.fetch_concurrency)
        self.timeout = self.settings.fetch_timeout
        self.max_bytes = self.settings.fetch_max_bytes
        self._semaphore = asyncio.Semaphore(concurrency)
        self.client = httpx.AsyncClient(
            transport=transport,
            verify=_ssl_context(),
            follow_redirects=False,  # by hand: bounded, and a loop is named in the error
            timeout=httpx.Timeout(
                self.timeout, connect=self.settings.fetch_connect_timeout, pool=None
            ),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"User-Agent": self.settings.user_agent, "Accept": ACCEPT},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `url` (conditionally, when given validators).

        Never raises for network/HTTP trouble (time-out, refused, too many redirects,
        too big): returns a FetchResult with `error` set.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._semaphore:
            # The total time-out starts once a slot is ours: waiting in line is not the
            # site's fault.
            try:
                async with asyncio.timeout(self.timeout):
                    result = await self._follow(url, headers)
            except TimeoutError:
                error = f"timed out after {seconds_text(self.timeout)}"
                result = FetchResult(url, url, 0, error=error)
            except Exception as exc:  # a bug or an odd library error must not stop a poll
                log.warning("fetch %s failed unexpectedly", url, exc_info=True)
                result = FetchResult(url, url, 0, error=f"{type(exc).__name__}: {one_line(exc)}")
        if result.error:
            log.debug("fetch %s: %s", url, result.error)
        return result

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        chain = [url]
        current = url
        while True:
            try:
                result, location = await self._get_once(url, current, headers)
            except httpx.TimeoutException as exc:
                what = "connect timed out" if isinstance(exc, httpx.ConnectTimeout) else "timed out"
                limit = (
                    self.settings.fetch_connect_timeout
                    if isinstance(exc, httpx.ConnectTimeout)
                    else self.timeout
                )
                return FetchResult(url, current, 0, error=f"{what} after {seconds_text(limit)}")
            except httpx.InvalidURL as exc:
                return FetchResult(url, current, 0, error=f"invalid URL: {one_line(exc)}")
            except httpx.HTTPError as exc:
                return FetchResult(url, current, 0, error=describe_transport_error(exc))
            except _TooBig:
                return FetchResult(url, current, 0, error=f"body over {self.max_bytes} bytes")
            if location is None:
                return result
            try:
                target = str(httpx.URL(current).join(location))
            except (httpx.InvalidURL, ValueError) as exc:
                return FetchResult(
                    url, current, result.status, error=f"bad redirect target: {one_line(exc)}"
                )
            if target in chain:
                loop = " → ".join([*chain[chain.index(target) :], target])
                return FetchResult(url, current, result.status, error=f"redirect loop ({loop})")
            if len(chain) > MAX_REDIRECTS:
                return FetchResult(
                    url, current, result.status, error=f"too many redirects (>{MAX_REDIRECTS})"
                )
            chain.append(target)
            current = target

    async def _get_once(
        self, url: str, current: str, headers: dict[str, str]
    ) -> tuple[FetchResult, str | None]:
        """One request; returns the result and the redirect target, if any."""
        async with self.client.stream("GET", current, headers=headers) as response:
            status = response.status_code
            names = {name.lower(): value for name, value in response.headers.items()}
            if status in REDIRECT_STATUSES:
                await _drain(response)
                location = response.headers.get("location")
                if location:
                    return FetchResult(url, current, status, names), location
                return FetchResult(
                    url, current, status, names, error=f"HTTP {status} without a Location"
                ), None
            # A 304 or an error closes its connection: draining it to keep the connection
            # costs more than it saves, since a feed's host is rarely asked again soon, and
            # every idle connection makes httpcore's pool slower to hand out the next one.
            if status == 304:
                return FetchResult(url, current, status, names), None
            if status >= 400 or status < 200:
                return FetchResult(url, current, status, names, error=f"HTTP {status}"), None
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise _TooBig
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _TooBig
                    chunks.append(chunk)
            except httpx.DecodingError:
                encoding = response.headers.get("content-encoding", "?")
                return FetchResult(
                    url,
                    current,
                    status,
                    names,
                    error=f"body could not be decoded (Content-Encoding: {encoding})",
                ), None
            return FetchResult(url, current, status, names, b"".join(chunks)), None


async def _drain(response: httpx.Response) -> None:
    """Read a redirect's body, so its connection can serve the next hop (often the same
    host); a big one is left, and the connection closed."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > DRAIN_BYTES:
            return


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def describe_transport_error(exc: httpx.HTTPError) -> str:
    """A short human reason for a failed request."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    text = one_line(exc)
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "refused" in lowered:
            return "connection refused"
        if "name or service not known" in lowered or "nodename nor servname" in lowered:
            return "host not found"
        if "certificate" in lowered or "ssl" in lowered:
            return f"TLS error: {text}"
        return f"connection failed: {text}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"broken HTTP answer: {text}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return f"connection lost: {text}"
    return f"{type(exc).__name__}: {text}"
