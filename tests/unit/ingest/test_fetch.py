"""The polite, guarded fetcher against real HTTP servers on 127.0.0.1 (the only private address
these tests allow, explicitly)."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry
from test_ingest_support import LocalServer, Reply, Seen, local_server

from streams.ingest.fetch import (
    AddressGuard,
    BlockedAddress,
    Fetcher,
    FetchPolicy,
    HTTPStatusError,
    RobotsDisallowed,
    TokenBucket,
    TooLarge,
    TooManyRedirects,
    TooSlow,
    retry_after_seconds,
    user_agent,
)
from streams.ingest.metrics import IngestMetrics
from streams.ingest.parse import IngestError

LOOPBACK = ("127.0.0.1",)


def policy(**overrides: object) -> FetchPolicy:
    base = dict(allow_private_hosts=LOOPBACK, rate_per_host=1000.0, burst_per_host=100, retries=2,
                backoff_base=0.01, user_agent=user_agent("https://usul.example/contact"))
    return FetchPolicy(**{**base, **overrides})  # type: ignore[arg-type]


def fetcher(**overrides: object) -> Fetcher:
    return Fetcher(policy(**overrides), metrics=IngestMetrics(CollectorRegistry()))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from local_server()


async def get(url: str, **overrides: object) -> object:
    async with fetcher(**overrides) as f:
        return await f.get(url)


# politeness ------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_conditional_get_sends_validators_and_reads_304(server: LocalServer) -> None:
    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(status=304)
        return Reply(body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Thu, 08 Jan 2026 10:00:00 GMT"})
    server.route("/feed", feed)
    async with fetcher() as f:
        first = await f.get(server.url("/feed"))
        second = await f.get(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert (first.status, first.body, first.etag) == (200, b"<rss/>", '"v1"')
    assert second.not_modified and second.body == b""
    assert server.requests[-1].headers["if-modified-since"] == "Thu, 08 Jan 2026 10:00:00 GMT"


@pytest.mark.asyncio
async def test_user_agent_names_usul_and_the_contact_url(server: LocalServer) -> None:
    server.serve("/feed", b"ok")
    await get(server.url("/feed"))
    agent = server.requests[-1].headers["user-agent"]
    assert agent.startswith("Usul/") and "+https://usul.example/contact" in agent


@pytest.mark.asyncio
async def test_retry_after_is_honoured_then_the_fetch_succeeds(server: LocalServer) -> None:
    server.route("/feed", Reply(status=503, headers={"Retry-After": "1"}), Reply(body=b"fine"))
    started = time.monotonic()
    result = await get(server.url("/feed"))
    assert result.body == b"fine" and server.hits("/feed") == 2  # type: ignore[attr-defined]
    assert time.monotonic() - started >= 0.95


@pytest.mark.asyncio
async def test_a_retry_after_beyond_the_limit_is_not_waited_for(server: LocalServer) -> None:
    server.route("/feed", Reply(status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(HTTPStatusError) as caught:
        await get(server.url("/feed"))
    assert caught.value.retry_after == 3600 and caught.value.transient and server.hits("/feed") == 1


@pytest.mark.asyncio
async def test_server_errors_are_retried_with_backoff_then_raised(server: LocalServer) -> None:
    server.route("/feed", Reply(status=500))
    with pytest.raises(HTTPStatusError, match="HTTP 500"):
        await get(server.url("/feed"), retries=2)
    assert server.hits("/feed") == 3


@pytest.mark.asyncio
async def test_client_errors_are_not_retried(server: LocalServer) -> None:
    with pytest.raises(HTTPStatusError, match="HTTP 404"):
        await get(server.url("/gone"))
    assert server.hits("/gone") == 1


@pytest.mark.asyncio
async def test_requests_to_one_host_are_spaced_by_the_rate_limit(server: LocalServer) -> None:
    server.serve("/feed", b"ok")
    async with fetcher(rate_per_host=4.0, burst_per_host=1) as f:
        started = time.monotonic()
        await asyncio.gather(*(f.get(server.url("/feed")) for _ in range(3)))
        elapsed = time.monotonic() - started
    # robots.txt + 3 fetches = 4 requests at 4/s with a burst of 1: at least 0.75 s
    assert elapsed >= 0.7


@pytest.mark.asyncio
async def test_robots_disallow_is_honoured_for_our_user_agent(server: LocalServer) -> None:
    server.serve("/robots.txt", b"User-agent: *\nAllow: /\n\nUser-agent: Usul\nDisallow: /private\n")
    server.serve("/private/feed", b"secret")
    server.serve("/public/feed", b"open")
    async with fetcher() as f:
        assert (await f.get(server.url("/public/feed"))).body == b"open"
        with pytest.raises(RobotsDisallowed):
            await f.get(server.url("/private/feed"))
    assert server.hits("/private/feed") == 0 and server.hits("/robots.txt") == 1  # cached per host


@pytest.mark.asyncio
async def test_robots_crawl_delay_slows_the_host_down(server: LocalServer) -> None:
    server.serve("/robots.txt", b"User-agent: *\nCrawl-delay: 1\n")
    server.serve("/feed", b"ok")
    async with fetcher(rate_per_host=100.0) as f:
        started = time.monotonic()
        await f.get(server.url("/feed"))
        await f.get(server.url("/feed"))
    assert time.monotonic() - started >= 0.9


@pytest.mark.asyncio
async def test_token_bucket_allows_a_burst_then_waits() -> None:
    bucket = TokenBucket(rate=10.0, burst=2)
    started = time.monotonic()
    for _ in range(4):
        await bucket.acquire()
    assert 0.15 <= time.monotonic() - started < 1.0


def test_retry_after_reads_seconds_and_dates() -> None:
    from datetime import UTC, datetime
    now = datetime(2026, 1, 8, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Thu, 08 Jan 2026 10:01:00 GMT", now) == 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


# limits ----------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_declared_oversized_body_is_refused_before_reading(server: LocalServer) -> None:
    server.serve("/big", b"x" * 200_000)
    with pytest.raises(TooLarge, match="Content-Length"):
        await get(server.url("/big"), max_bytes=100_000)


@pytest.mark.asyncio
async def test_an_undeclared_oversized_body_is_cut_off_while_streaming(server: LocalServer) -> None:
    server.route("/big", Reply(body=b"x" * 300_000, length=False))
    with pytest.raises(TooLarge, match="body over the limit"):
        await get(server.url("/big"), max_bytes=100_000)


@pytest.mark.asyncio
async def test_a_gzip_bomb_is_stopped_at_the_decoded_limit(server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)  # ~50 KB on the wire, 50 MB decoded
    assert len(bomb) < 100_000
    server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}, length=False))
    with pytest.raises(TooLarge, match="decoded body over the limit"):
        await get(server.url("/bomb"), max_decoded_bytes=1_000_000)


@pytest.mark.asyncio
async def test_gzip_and_deflate_bodies_are_decoded(server: LocalServer) -> None:
    text = b"<rss>" + b"item " * 1000 + b"</rss>"
    server.serve("/gz", gzip.compress(text), Content_Encoding="gzip")
    server.serve("/deflate", zlib.compress(text), Content_Encoding="deflate")
    raw = zlib.compressobj(wbits=-15)
    server.serve("/raw-deflate", raw.compress(text) + raw.flush(), Content_Encoding="deflate")
    async with fetcher() as f:
        for path in ("/gz", "/deflate", "/raw-deflate"):
            assert (await f.get(server.url(path))).body == text


@pytest.mark.asyncio
async def test_a_slow_drip_response_is_stopped_at_the_total_time(server: LocalServer) -> None:
    server.route("/slow", Reply(body=b"x" * 100, chunk_delay=0.1))
    started = time.monotonic()
    with pytest.raises(TooSlow):
        await get(server.url("/slow"), total_seconds=1.0, retries=0)
    assert time.monotonic() - started < 3


# SSRF ------------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_loopback_is_blocked_unless_allow_listed(server: LocalServer) -> None:
    server.serve("/feed", b"ok")
    with pytest.raises(BlockedAddress, match=r"non-public address \(127.0.0.1, loopback\)"):
        await get(server.url("/feed"), allow_private_hosts=())
    assert server.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/admin",
                                    "http://[fd00:ec2::254]/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0/",
                                    "file:///etc/passwd", "http://[::ffff:7f00:1]:1/"])
async def test_a_redirect_to_a_private_or_metadata_address_is_blocked(server: LocalServer, target: str) -> None:
    server.route("/go", Reply(status=302, headers={"Location": target}))
    with pytest.raises(BlockedAddress):
        await get(server.url("/go"), allow_private_hosts=("127.0.0.1/32",))
    assert server.hits("/go") == 1


@pytest.mark.asyncio
async def test_redirects_are_followed_up_to_five_hops(server: LocalServer) -> None:
    for hop in range(5):
        server.route(f"/r{hop}", Reply(status=301, headers={"Location": f"/r{hop + 1}"}))
    server.serve("/r5", b"arrived")
    assert (await get(server.url("/r0"))).body == b"arrived"  # type: ignore[attr-defined]
    server.route("/loop", Reply(status=302, headers={"Location": "/loop"}))
    with pytest.raises(TooManyRedirects):
        await get(server.url("/loop"))
    assert server.hits("/loop") == 6


@pytest.mark.asyncio
async def test_the_connection_goes_to_the_checked_address_with_the_original_host(server: LocalServer) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"feeds.example": ["127.0.0.1"]}[host]

    server.serve("/feed", b"pinned")
    async with Fetcher(policy(), metrics=IngestMetrics(CollectorRegistry()), resolver=resolver) as f:
        result = await f.get(f"http://feeds.example:{server.port}/feed")
    assert result.body == b"pinned"
    assert server.requests[-1].headers["host"] == f"feeds.example:{server.port}"


@pytest.mark.asyncio
async def test_a_name_with_any_private_answer_is_blocked(server: LocalServer) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "169.254.169.254"]  # a rebinding-style mixed answer

    async with Fetcher(policy(), metrics=IngestMetrics(CollectorRegistry()), resolver=resolver) as f:
        with pytest.raises(BlockedAddress, match="metadata"):
            await f.get("http://mixed.example/feed")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1",
                                     "255.255.255.255", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
                                     "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2001:db8::1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(BlockedAddress):
        AddressGuard().check("http://x/", "x", address)


def test_public_addresses_pass_and_metadata_needs_an_exact_allow() -> None:
    AddressGuard().check("u", "h", "93.184.216.34")
    AddressGuard().check("u", "h", "2606:4700::1111")
    AddressGuard(["10.0.0.0/8"]).check("u", "h", "10.1.2.3")
    with pytest.raises(BlockedAddress):
        AddressGuard(["169.254.0.0/16"]).check("u", "h", "169.254.169.254")
    AddressGuard(["169.254.169.254"]).check("u", "h", "169.254.169.254")


def test_fetch_errors_are_ingest_errors() -> None:
    assert issubclass(BlockedAddress, IngestError) and issubclass(TooLarge, IngestError)
