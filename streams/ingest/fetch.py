"""A polite, guarded HTTP fetcher for ingestion (httpx, asyncio).

Polite: a User-Agent naming Usul (and `USUL_CONTACT_URL`), robots.txt honoured per host (cached),
a token bucket per host (default 1 request / 2 s, slower when robots.txt asks a Crawl-delay),
conditional GETs (the caller keeps ETag / Last-Modified), retries with exponential backoff and
full jitter that honour Retry-After.

Guarded, because feed URLs and their redirects come from outside:
- SSRF: every hop's host is resolved once, every address checked (private, loopback, link-local,
  multicast, reserved, unspecified, shared, cloud metadata, and IPv4 hidden in IPv6), and the
  connection goes to the checked address (`PinnedTransport` rewrites the URL to the IP and keeps
  the Host header and TLS SNI/certificate check on the name), so DNS cannot answer differently
  between check and connect. Redirects are followed by hand (at most 5), each hop re-checked.
  `allow_private_hosts` is an explicit allow-list (tests use 127.0.0.1); metadata addresses stay
  blocked unless listed exactly.
- Limits: bytes on the wire, bytes after decompression (decoded here, chunk by chunk, with a
  bounded output, so a gzip bomb costs at most the limit), one response's total time.
- No proxies from the environment (`trust_env=False`): a proxy would connect to names unchecked.

Errors (all `IngestError`, so ingestion dead-letters them like a bad record):

    FetchError                    transient=False unless said
    ├── BlockedAddress            the SSRF guard refused a host or a redirect
    ├── RobotsDisallowed          robots.txt disallows our User-Agent
    ├── TooLarge                  wire or decoded size over the limit
    ├── TooSlow                   the response took longer than the total time
    ├── TooManyRedirects
    ├── HTTPStatusError           4xx (transient when 429) and 5xx (transient)
    └── NetworkError              connect/read failure or timeout (transient)
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from streams.ingest.metrics import INGEST_METRICS, IngestMetrics
from streams.ingest.parse import IngestError

log = logging.getLogger(__name__)

ROBOTS_TOKEN = "Usul"
VERSION = "0.1"
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200")})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = (301, 302, 303, 307, 308)
Resolver = Callable[[str, int], Awaitable[list[str]]]


def user_agent(contact_url: str | None = None) -> str:
    contact = f"; +{contact_url}" if contact_url else ""
    return f"{ROBOTS_TOKEN}/{VERSION} (news brief pipeline{contact})"


# errors ----------------------------------------------------------------------------------------
class FetchError(IngestError):
    transient = False
    reason_label = "error"

    def __init__(self, url: str, reason: str, payload: bytes = b"", retry_after: float | None = None) -> None:
        super().__init__(f"fetch {url}", reason, payload)
        self.url = url
        self.retry_after = retry_after


class BlockedAddress(FetchError):
    reason_label = "address"


class RobotsDisallowed(FetchError):
    reason_label = "robots"


class TooLarge(FetchError):
    reason_label = "size"


class TooSlow(FetchError):
    reason_label = "time"


class TooManyRedirects(FetchError):
    reason_label = "redirects"


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(url, f"HTTP {status}", retry_after=retry_after)
        self.status = status
        self.transient = status == 429 or status >= 500


class NetworkError(FetchError):
    transient = True


# policy and result -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = field(default_factory=user_agent)
    timeout: float = 20.0
    total_seconds: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_decoded_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_retry_after: float = 300.0
    rate_per_host: float = 0.5
    burst_per_host: int = 1
    max_redirects: int = 5
    allow_private_hosts: tuple[str, ...] = ()
    robots: bool = True
    robots_ttl: float = 24 * 3600.0

    @classmethod
    def from_settings(cls, settings: Any) -> FetchPolicy:
        return cls(user_agent=user_agent(settings.contact_url), timeout=settings.fetch_timeout_seconds,
                   total_seconds=settings.fetch_total_seconds, max_bytes=settings.fetch_max_bytes,
                   max_decoded_bytes=settings.fetch_max_decoded_bytes, retries=settings.fetch_retries,
                   rate_per_host=settings.fetch_rate_per_host, burst_per_host=settings.fetch_burst_per_host,
                   allow_private_hosts=tuple(settings.allow_private_hosts))


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int
    body: bytes
    headers: httpx.Headers

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


# SSRF guard ------------------------------------------------------------------------------------
async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressGuard:
    """Decides whether a host may be fetched, and which checked address to connect to."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver = system_resolver) -> None:
        self.resolver = resolver
        self.allowed_names: set[str] = set()
        self.allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.allowed_exact: set[str] = set()
        for entry in allow:
            try:
                self.allowed_networks.append(ipaddress.ip_network(entry.strip(), strict=False))
                self.allowed_exact.add(str(ipaddress.ip_network(entry.strip(), strict=False).network_address))
            except ValueError:
                self.allowed_names.add(entry.strip().lower().rstrip("."))

    async def resolve(self, url: str, host: str, port: int) -> str:
        try:
            addresses = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise NetworkError(url, f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise NetworkError(url, f"{host} has no address")
        for address in addresses:  # every answer must pass: a mixed answer is an attack, not luck
            self.check(url, host, address)
        return addresses[0]

    def check(self, url: str, host: str, address: str) -> None:
        ip = ipaddress.ip_address(address.split("%")[0])
        named = host.lower().rstrip(".") in self.allowed_names
        metadata = next((a for a in (ip, *_embedded(ip)) if a in METADATA_ADDRESSES), None)
        if metadata is not None:
            if str(ip) not in self.allowed_exact:
                raise BlockedAddress(url, f"{host} resolves to a cloud metadata address ({ip}, "
                                          f"{address_kind(metadata)})")
            return
        if named or any(ip in network for network in self.allowed_networks if network.version == ip.version):
            return
        for candidate in (ip, *_embedded(ip)):
            if not candidate.is_global or candidate.is_multicast or candidate.is_reserved:
                raise BlockedAddress(url, f"{host} resolves to a non-public address ({ip}, "
                                          f"{address_kind(candidate)})")


def address_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Which kind of non-public address: the user who typed it should learn why it is refused."""
    kinds = (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("unspecified", ip.is_unspecified),
             ("multicast", ip.is_multicast), ("private", ip.is_private), ("reserved", ip.is_reserved))
    return next((name for name, found in kinds if found), "not globally routable")


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses hidden in an IPv6 one (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


class PinnedTransport(httpx.AsyncBaseTransport):
    """Resolves and checks the host, then connects to that very address; Host and SNI keep the name."""

    def __init__(self, guard: AddressGuard, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.guard = guard
        # no keep-alive: a pooled connection is keyed by address, and must never carry another name
        self.inner = inner or httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if request.url.scheme not in ("http", "https"):
            raise BlockedAddress(url, f"scheme {request.url.scheme!r} is not fetched")
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        address = await self.guard.resolve(url, host, port)
        pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                               stream=request.stream, extensions={**request.extensions, "sni_hostname": host})
        return await self.inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self.inner.aclose()


# politeness ------------------------------------------------------------------------------------
class TokenBucket:
    """`rate` requests per second with bursts of `burst`; waiters queue in order."""

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, float(burst), clock
        self.tokens = float(burst)
        self.updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            self._refill()
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self._refill()
            self.tokens -= 1

    def _refill(self) -> None:
        moment = self.clock()
        self.tokens = min(self.burst, self.tokens + (moment - self.updated) * self.rate)
        self.updated = moment


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2 ** attempt))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# the fetcher -----------------------------------------------------------------------------------
class Fetcher:
    """One per process (or event loop): keeps the per-host buckets and the robots.txt cache."""

    def __init__(self, policy: FetchPolicy | None = None, *, metrics: IngestMetrics = INGEST_METRICS,
                 resolver: Resolver = system_resolver) -> None:
        self.policy = policy or FetchPolicy()
        self.metrics = metrics
        self.guard = AddressGuard(self.policy.allow_private_hosts, resolver)
        self.client = httpx.AsyncClient(
            transport=PinnedTransport(self.guard), follow_redirects=False, trust_env=False,
            timeout=httpx.Timeout(self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"})
        self._buckets: dict[str, TokenBucket] = {}
        self._robots: dict[str, tuple[float, RobotFileParser]] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                  headers: dict[str, str] | None = None, max_bytes: int | None = None) -> FetchResult:
        """GET with every guard; 304 comes back as a result with `not_modified`, errors raise."""
        extra = dict(headers or {})
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.policy.max_redirects + 1):
            if self.policy.robots and not await self._robots_allow(current):
                self.metrics.blocked.labels("robots").inc()
                raise RobotsDisallowed(current, f"robots.txt disallows {ROBOTS_TOKEN}")
            result = await self._with_retries(current, extra, max_bytes)
            location = result.headers.get("location")
            if result.status not in _REDIRECTS or not location:
                return result
            current = urljoin(current, location)
        self.metrics.blocked.labels("redirects").inc()
        raise TooManyRedirects(url, f"more than {self.policy.max_redirects} redirects")

    async def _with_retries(self, url: str, headers: dict[str, str], max_bytes: int | None) -> FetchResult:
        attempt = 0
        while True:
            await self._bucket(url).acquire()
            try:
                return await self._once(url, headers, max_bytes)
            except FetchError as exc:
                if isinstance(exc, BlockedAddress | TooLarge | TooSlow | TooManyRedirects):
                    self.metrics.blocked.labels(exc.reason_label).inc()
                wait = exc.retry_after if exc.retry_after is not None else backoff(
                    attempt, self.policy.backoff_base, self.policy.backoff_cap)
                if not exc.transient or attempt >= self.policy.retries or wait > self.policy.max_retry_after:
                    raise
                log.info("fetch %s: %s; retry %d in %.1f s", url, exc.reason, attempt + 1, wait)
                attempt += 1
                await asyncio.sleep(wait)

    async def _once(self, url: str, headers: dict[str, str], max_bytes: int | None) -> FetchResult:
        try:
            async with asyncio.timeout(self.policy.total_seconds):
                async with self.client.stream("GET", url, headers=headers) as response:
                    self.metrics.requests.labels(_outcome(response.status_code)).inc()
                    return await self._result(url, response, max_bytes)
        except TimeoutError as exc:
            raise TooSlow(url, f"no complete response within {self.policy.total_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            self.metrics.requests.labels("error").inc()
            raise NetworkError(url, f"{type(exc).__name__}: {exc}") from exc

    async def _result(self, url: str, response: httpx.Response, max_bytes: int | None) -> FetchResult:
        status = response.status_code
        if status >= 400:
            raise HTTPStatusError(url, status, retry_after_seconds(response.headers.get("retry-after")))
        if status in _REDIRECTS or status == 304 or status == 204:
            return FetchResult(url, status, b"", response.headers)
        limit = min(max_bytes or self.policy.max_bytes, self.policy.max_bytes)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(url, f"Content-Length {declared} is over the limit of {limit} bytes")
        body = await read_limited(url, response, limit, self.policy.max_decoded_bytes)
        return FetchResult(url, status, body, response.headers)

    def _bucket(self, url: str) -> TokenBucket:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._buckets:
            self._buckets[host] = TokenBucket(self.policy.rate_per_host, self.policy.burst_per_host)
        return self._buckets[host]

    async def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is None or cached[0] < time.monotonic():
            parser, ttl = await self._load_robots(origin)
            self._robots[origin] = cached = (time.monotonic() + ttl, parser)
            delay = parser.crawl_delay(ROBOTS_TOKEN)
            if delay and float(delay) > 1 / self.policy.rate_per_host:  # the host asks for slower
                self._buckets[(parts.hostname or "").lower()] = TokenBucket(1 / min(float(delay), 300.0))
        return cached[1].can_fetch(ROBOTS_TOKEN, url)

    async def _load_robots(self, origin: str) -> tuple[RobotFileParser, float]:
        """RFC 9309: 4xx means no rules; 5xx or no answer means disallow all, retried in 10 min."""
        parser = RobotFileParser(origin + "/robots.txt")
        current = origin + "/robots.txt"
        try:
            for _ in range(self.policy.max_redirects + 1):
                await self._bucket(current).acquire()
                result = await self._once(current, {}, 512 * 1024)
                if result.status not in _REDIRECTS or "location" not in result.headers:
                    break
                current = urljoin(current, result.headers["location"])
            parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
            return parser, self.policy.robots_ttl
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                parser.allow_all = True
                return parser, self.policy.robots_ttl
            parser.disallow_all = True
            return parser, 600.0
        except (BlockedAddress, TooLarge):
            raise
        except FetchError:
            parser.disallow_all = True
            return parser, 600.0


def _outcome(status: int) -> str:
    return "304" if status == 304 else f"{status // 100}xx"


async def read_limited(url: str, response: httpx.Response, max_bytes: int, max_decoded: int) -> bytes:
    """Streams the raw body, counting wire bytes, and decodes it here with a bounded output."""
    decoder = _Decoder(url, response.headers.get("content-encoding", ""))
    wire = 0
    out = bytearray()
    async for chunk in response.aiter_raw():
        wire += len(chunk)
        if wire > max_bytes:
            raise TooLarge(url, f"body over the limit of {max_bytes} bytes")
        decoder.feed(chunk, out, max_decoded)
    decoder.finish(out, max_decoded)
    return bytes(out)


class _Decoder:
    def __init__(self, url: str, encoding: str) -> None:
        self.url = url
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        self.inflater = self._new()
        self.first = True

    def _new(self) -> Any:
        if self.coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS) if self.coding == "deflate" else None

    def feed(self, data: bytes, out: bytearray, limit: int) -> None:
        if self.inflater is None:
            out += data
            self._check(out, limit)
            return
        while data:
            try:
                piece = self.inflater.decompress(data, limit - len(out) + 1)
            except zlib.error as exc:
                if self.coding == "deflate" and self.first:  # some servers send raw deflate
                    self.inflater, self.first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise FetchError(self.url, f"bad {self.coding} body: {exc}") from exc
            self.first = False
            out += piece
            self._check(out, limit)
            data = self.inflater.unconsumed_tail
            if self.inflater.eof and self.inflater.unused_data:  # another gzip member
                data, self.inflater = self.inflater.unused_data, self._new()

    def finish(self, out: bytearray, limit: int) -> None:
        if self.inflater is not None:
            out += self.inflater.flush()
            self._check(out, limit)

    def _check(self, out: bytearray, limit: int) -> None:
        if len(out) > limit:
            raise TooLarge(self.url, f"decoded body over the limit of {limit} bytes")


def fetch_blocking(url: str, policy: FetchPolicy | None = None) -> FetchResult:
    """For synchronous callers (even inside an event loop): one guarded GET on its own thread."""
    box: dict[str, Any] = {}

    async def run() -> None:
        async with Fetcher(policy) as fetcher:
            box["result"] = await fetcher.get(url)

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="usul-fetch", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]
