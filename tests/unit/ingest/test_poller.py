"""The poller against real local HTTP servers: once per item across restarts, conditional GETs,
staleness, error streaks, isolation between sources, full text, Hacker News, X, Mastodon."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from test_ingest_support import SOURCES, LocalServer, Reply, Seen, local_server

from models.dead_letters import DeadLetter
from models.items import RawItem
from streams.ingest.fetch import Fetcher, FetchPolicy
from streams.ingest.metrics import IngestMetrics
from streams.ingest.poller import Poller, SourceList, describe
from streams.ingest.sources import Source, load_sources
from streams.ingest.state import IngestState
from streams.settings import Settings

START = datetime(2026, 1, 8, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Harness:
    """A poller over a state file, collecting what it emits."""

    def __init__(self, path: Path, clock: Clock, **overrides: Any) -> None:
        base: dict[str, Any] = dict(data_dir=path, allow_private_hosts=["127.0.0.1"], fetch_rate_per_host=1000.0,
                                    fetch_burst_per_host=100, fetch_retries=0, poll_default_sources=False,
                                    source_timeout_seconds=10.0)
        self.settings = Settings(**{**base, **overrides})
        self.items: list[RawItem] = []
        self.dead: list[DeadLetter] = []
        self.fail_emits = 0
        self.metrics = IngestMetrics(CollectorRegistry())
        self.state = IngestState(path / "state.sqlite3")
        fetcher = Fetcher(FetchPolicy.from_settings(self.settings), metrics=self.metrics)
        self.poller = Poller(self.settings, self.state, fetcher, self.emit, self.emit_dead, metrics=self.metrics,
                             clock=clock)

    async def emit(self, items: list[RawItem]) -> None:
        if self.fail_emits:
            self.fail_emits -= 1
            raise RuntimeError("broker unavailable")
        self.items.extend(items)

    async def emit_dead(self, letters: list[DeadLetter]) -> None:
        self.dead.extend(letters)

    def metric(self, name: str, source: str) -> float | None:
        return self.metrics.registry.get_sample_value(name, {"source": source})

    async def close(self) -> None:
        await self.poller.fetcher.aclose()
        self.state.close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from local_server()


def fixture(name: str) -> bytes:
    return (SOURCES / name).read_bytes()


def rss(*items: tuple[str, str]) -> bytes:
    """A feed of (link, pubDate) items."""
    entries = "".join(f"<item><title>Item {link}</title><link>{link}</link><pubDate>{date}</pubDate></item>"
                      for link, date in items)
    return f"<rss version='2.0'><channel><title>T</title>{entries}</channel></rss>".encode()


def feed_source(server: LocalServer, path: str = "/feed", **fields: Any) -> Source:
    return Source(**{"name": "Lab", "url": server.url(path), "type": "atom", **fields})


# once per item ---------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_each_url_is_produced_once_even_across_a_restart(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/feed", fixture("lab.atom"))
    clock = Clock()
    first = Harness(tmp_path, clock)
    (outcome,) = await first.poller.poll_many([feed_source(server)])
    await first.close()
    restarted = Harness(tmp_path, clock)
    (again,) = await restarted.poller.poll_many([feed_source(server)])
    await restarted.close()
    assert (outcome.outcome, outcome.new) == ("new", 1) and len(first.items) == 1
    assert (again.outcome, again.new, again.repeated) == ("unchanged", 0, 1) and restarted.items == []


@pytest.mark.asyncio
async def test_the_dedup_memory_is_bounded_in_time(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/feed", fixture("lab.atom"))
    clock = Clock()
    harness = Harness(tmp_path, clock, ingest_dedup_days=2)
    await harness.poller.poll_due([feed_source(server)])
    clock.now += 3 * 86400
    harness.poller._pruned_at = 0.0
    await harness.poller.poll_due([feed_source(server)])
    await harness.close()
    assert len(harness.items) == 2  # forgotten after two days, so produced again


@pytest.mark.asyncio
async def test_validators_persist_so_a_restart_polls_conditionally(server: LocalServer, tmp_path: Path) -> None:
    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"abc"':
            return Reply(status=304)
        return Reply(body=fixture("lab.atom"), headers={"ETag": '"abc"'})
    server.route("/feed", feed)
    clock = Clock()
    first = Harness(tmp_path, clock)
    await first.poller.poll_many([feed_source(server)])
    await first.close()
    second = Harness(tmp_path, clock)
    (outcome,) = await second.poller.poll_many([feed_source(server)])
    await second.close()
    assert outcome.outcome == "not_modified" and server.requests[-1].headers["if-none-match"] == '"abc"'


@pytest.mark.asyncio
async def test_a_failed_emit_loses_nothing(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/feed", fixture("lab.atom"), ETag='"v"')
    harness = Harness(tmp_path, Clock())
    harness.fail_emits = 1
    (failed,) = await harness.poller.poll_many([feed_source(server)])
    (retried,) = await harness.poller.poll_many([feed_source(server)])
    await harness.close()
    assert failed.outcome == "error" and (retried.outcome, retried.new) == ("new", 1)
    assert "if-none-match" not in server.requests[-1].headers  # the ETag was not kept for items never sent


# staleness and health --------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_source_serving_the_same_items_goes_stale_and_is_logged_once(
        server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server.serve("/feed", rss(("https://a.example/1", "Thu, 08 Jan 2026 11:00:00 GMT")))
    clock = Clock()
    harness = Harness(tmp_path, clock)
    source = feed_source(server, type="rss", stale_after_hours=1)
    caplog.set_level(logging.WARNING, logger="streams.ingest.poller")
    await harness.poller.poll_many([source])
    assert harness.metric("usul_source_is_stale", "Lab") == 0
    for hours in (2, 3):
        clock.now = START + hours * HOUR
        await harness.poller.poll_many([source])
    assert harness.metric("usul_source_is_stale", "Lab") == 1
    assert harness.metric("usul_source_stale", "Lab") == 3 * HOUR
    assert harness.metric("usul_source_unchanged_polls", "Lab") == 2
    assert len([r for r in caplog.records if "is stale" in r.message]) == 1
    server.serve("/feed", rss(("https://a.example/2", "Thu, 08 Jan 2026 14:30:00 GMT")))
    clock.now = START + 3.5 * HOUR
    await harness.poller.poll_many([source])
    await harness.close()
    assert harness.metric("usul_source_is_stale", "Lab") == 0
    assert harness.metric("usul_source_last_new_item_timestamp_seconds", "Lab") == START + 3.5 * HOUR


@pytest.mark.asyncio
async def test_old_items_served_as_new_still_count_as_stale(server: LocalServer, tmp_path: Path) -> None:
    """The RSSHub failure: HTTP 200 with year-old posts under new URLs."""
    clock = Clock()
    harness = Harness(tmp_path, clock)
    source = feed_source(server, type="rss", stale_after_hours=1)
    for hour in range(3):
        server.serve("/feed", rss((f"https://old.example/{hour}", "Wed, 01 Jan 2025 10:00:00 GMT")))
        clock.now = START + hour * HOUR
        await harness.poller.poll_many([source])
    await harness.close()
    assert len(harness.items) == 3  # produced (the worker marks them stale news)...
    assert harness.metric("usul_source_is_stale", "Lab") == 1  # ...but the source is flagged


@pytest.mark.asyncio
async def test_a_source_that_keeps_failing_goes_stale_without_being_polled(server: LocalServer,
                                                                          tmp_path: Path) -> None:
    server.route("/feed", Reply(body=fixture("lab.atom")), Reply(status=503))
    clock = Clock()
    harness = Harness(tmp_path, clock)
    source = feed_source(server, stale_after_hours=2, poll_minutes=60)
    await harness.poller.poll_due([source])
    clock.now = START + 1.5 * HOUR
    await harness.poller.poll_due([source])  # due, fails: streak 1, next due in 2 h
    clock.now = START + 2.5 * HOUR
    outcomes = await harness.poller.poll_due([source])
    await harness.close()
    assert outcomes == [] and harness.metric("usul_source_is_stale", "Lab") == 1


@pytest.mark.asyncio
async def test_error_streaks_count_up_and_reset_on_success(server: LocalServer, tmp_path: Path) -> None:
    server.route("/feed", Reply(status=500), Reply(status=500), Reply(body=fixture("lab.atom")))
    harness = Harness(tmp_path, Clock())
    source = feed_source(server)
    outcomes = [(await harness.poller.poll_many([source]))[0].outcome for _ in range(2)]
    streak = harness.metric("usul_source_error_streak", "Lab")
    assert harness.state.source("Lab").last_error == "ingest fetch " + server.url("/feed") + ": HTTP 500"
    await harness.poller.poll_many([source])
    await harness.close()
    assert outcomes == ["error", "error"] and streak == 2
    assert harness.metric("usul_source_error_streak", "Lab") == 0
    assert harness.dead == []  # server errors are transient: counted, not dead-lettered


@pytest.mark.asyncio
async def test_a_source_is_polled_only_when_due_and_less_often_while_failing(server: LocalServer,
                                                                            tmp_path: Path) -> None:
    server.route("/feed", Reply(status=500))
    clock = Clock()
    harness = Harness(tmp_path, clock)
    source = feed_source(server, poll_minutes=10)
    assert len(await harness.poller.poll_due([source])) == 1
    assert await harness.poller.poll_due([source]) == []
    clock.now += 11 * 60
    assert await harness.poller.poll_due([source]) == []  # one failure: every 20 minutes
    clock.now += 10 * 60
    assert len(await harness.poller.poll_due([source])) == 1
    await harness.close()


# isolation -------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_one_failing_source_never_stops_the_others(server: LocalServer, tmp_path: Path) -> None:
    server.route("/hang", Reply(body=fixture("lab.atom"), delay=5))
    server.serve("/garbage", b"\x00\x01 this is not a feed")
    server.serve("/good", fixture("lab.atom"))
    server.serve("/bomb", fixture("billion-laughs.xml"))
    harness = Harness(tmp_path, Clock(), source_timeout_seconds=1.0)
    sources = [Source(name=n, url=server.url(f"/{n}"), type="rss") for n in ("hang", "garbage", "good", "bomb")]
    sources.append(Source(name="metadata", url="http://169.254.169.254/latest/meta-data/", type="rss"))
    started = time.monotonic()
    outcomes = {o.source: o.outcome for o in await harness.poller.poll_many(sources)}
    elapsed = time.monotonic() - started
    await harness.close()
    assert outcomes == {"hang": "error", "garbage": "error", "good": "new", "bomb": "error", "metadata": "error"}
    assert elapsed < 4 and [i.source for i in harness.items] == ["good"]
    letters = {d.original_topic: d for d in harness.dead}
    assert set(letters) == {"source:garbage", "source:bomb", "source:metadata"}  # the hang is transient
    assert "not a readable feed" in letters["source:garbage"].message
    assert "entity declarations" in letters["source:bomb"].message
    assert letters["source:metadata"].error_class == "BlockedAddress"
    assert harness.metric("usul_source_errors_total", "garbage") is None  # labelled by error class too
    assert harness.metrics.registry.get_sample_value(
        "usul_source_errors_total", {"source": "garbage", "error": "IngestError"}) == 1


@pytest.mark.asyncio
async def test_bad_lines_of_a_jsonl_source_are_dead_letters(tmp_path: Path) -> None:
    lines = tmp_path / "items.jsonl"
    lines.write_text('{"id": "a", "url": "https://a.example/x"}\n{broken\n')
    harness = Harness(tmp_path, Clock())
    (outcome,) = await harness.poller.poll_many([Source(name="file", url=str(lines), type="jsonl")])
    await harness.close()
    assert (outcome.outcome, outcome.new, len(harness.dead)) == ("new", 1, 1)


# source types ----------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_teasers_are_replaced_by_the_article_text(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/feed", fixture("teaser.rss").replace(b"{ARTICLE}", server.url("/article").encode()))
    server.serve("/article", fixture("article.html"))
    harness = Harness(tmp_path, Clock())
    await harness.poller.poll_many([feed_source(server, type="rss", full_text_below=200)])
    await harness.close()
    (item,) = harness.items
    assert "thirty days" in item.text and "Subscribe" not in item.text


@pytest.mark.asyncio
async def test_hacker_news_fetches_only_stories_it_has_not_produced(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/v0/topstories.json", fixture("hn-topstories.json"))
    for story in (9001, 9002, 9003, 9004):
        server.serve(f"/v0/item/{story}.json", fixture(f"hn-item-{story}.json"))
    harness = Harness(tmp_path, Clock())
    source = Source(name="Hacker News", url=server.url("/v0/topstories.json"), type="hn")
    (first,) = await harness.poller.poll_many([source])
    item_requests = sum(1 for r in server.requests if "/item/" in r.path)
    (second,) = await harness.poller.poll_many([source])
    await harness.close()
    assert (first.new, item_requests) == (2, 4)
    assert second.new == 0 and sum(1 for r in server.requests if "/item/" in r.path) == 4


@pytest.mark.asyncio
async def test_x_is_refused_without_a_token_and_once_the_cap_is_spent(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/2/users/42/tweets", fixture("x-tweets.json"))
    source = Source(name="X lab", url=server.url("/2/users/42/tweets"), type="x")
    no_token = Harness(tmp_path / "a", Clock(), x_daily_read_cap=100)
    (skipped,) = await no_token.poller.poll_many([source])
    await no_token.close()
    assert skipped.outcome == "skipped" and server.requests == []
    capped = Harness(tmp_path / "b", Clock(), x_bearer_token="secret-token", x_daily_read_cap=7)
    outcomes = [(await capped.poller.poll_many([source]))[0] for _ in range(3)]
    await capped.close()
    assert [o.outcome for o in outcomes] == ["new", "unchanged", "skipped"]
    assert "cap reached" in (outcomes[2].error or "")
    calls = [r for r in server.requests if r.path.startswith("/2/")]
    assert len(calls) == 2 and all(r.headers["authorization"] == "Bearer secret-token" for r in calls)
    assert "max_results=7" in calls[0].path and "max_results=5" in calls[1].path


@pytest.mark.asyncio
async def test_mastodon_profiles_are_looked_up_once(server: LocalServer, tmp_path: Path) -> None:
    server.serve("/api/v1/accounts/lookup", b'{"id": "7", "acct": "lab"}')
    server.serve("/api/v1/accounts/7/statuses", fixture("mastodon-statuses.json"))
    harness = Harness(tmp_path, Clock())
    source = Source(name="Mastodon lab", url=server.url("/@lab"), type="mastodon")
    await harness.poller.poll_many([source])
    await harness.poller.poll_many([source])
    await harness.close()
    assert len(harness.items) == 2 and server.hits("/api/v1/accounts/lookup") == 1
    assert {i.source for i in harness.items} == {"Mastodon @lab@social.example", "Mastodon @chercheur@other.example"}


# the source list -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_offline_the_default_list_polls_nothing_and_says_so_once(caplog: pytest.LogCaptureFixture,
                                                                      tmp_path: Path) -> None:
    async def offline(hosts: object) -> bool:
        return False

    async def online(hosts: object) -> bool:
        return True

    settings = Settings(data_dir=tmp_path, sources_file=None, poll_default_sources=True)
    caplog.set_level(logging.WARNING, logger="streams.ingest.poller")
    listing = SourceList(settings, probe=offline, recheck_seconds=0)
    assert await listing.current() == [] and await listing.current() == []
    assert len([r for r in caplog.records if "offline" in r.message]) == 1
    defaults = await SourceList(settings, probe=online).current()
    assert len(defaults) >= 20 and {"rss", "arxiv", "hn", "reddit", "bluesky", "mastodon"} <= {s.type for s in defaults}
    assert await SourceList(Settings(data_dir=tmp_path, poll_default_sources=False), probe=online).current() == []


def test_sources_file_takes_both_spellings(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "old"\nlocation = "feed.xml"\nkind = "feed"\n\n'
                    '[[source]]\nname = "new"\ntype = "bluesky"\nurl = "https://b.example/x"\npoll_minutes = 5\n'
                    'tier = "social"\nenabled = false\nstale_after_hours = 6\n')
    old, new = load_sources(path)
    assert (old.location, old.kind, old.remote) == ("feed.xml", "feed", False)
    assert (new.type, new.poll_minutes, new.tier, new.enabled, new.stale_after_hours) == ("bluesky", 5, "social",
                                                                                         False, 6)


def test_progress_lines_say_what_happened() -> None:
    from streams.ingest.poller import SourceOutcome
    assert "3 new, 1 seen before" in describe(SourceOutcome("Lab", "new", 3, 1))
    assert describe(SourceOutcome("Lab", "error", error="HTTP 500")).strip().startswith("failed")
