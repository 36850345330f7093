"""Polls the configured sources: when each is due, politely, once per item, and never stuck.

One `Poller` per process (the worker's leader timer, or `usul ingest`). Each round:

1. the source list: `USUL_SOURCES_FILE`, else `sources/default.toml` when the machine is online
   (a quick TCP probe; offline is logged once and nothing is polled);
2. every enabled source that is due (its `poll_minutes`, stretched while it keeps failing) is
   polled on its own task under `source_timeout_seconds`: one failing or hanging source never stops
   the others, and no exception leaves a round;
3. a poll fetches through `streams.ingest.fetch` (conditional GET with the persisted validators), parses
   with `streams.ingest.adapters` in a thread, drops items whose canonical URL was produced before
   (`streams.ingest.state`, pruned after `ingest_dedup_days`), fetches article pages for teasers,
   emits the rest, and only then remembers them and the validators (a failed emit loses nothing);
4. its health is kept and exported: last success, last new item, error streak, unchanged polls,
   and staleness: a source that gives nothing new and recent for `stale_after_hours` (also one that
   keeps serving old items with HTTP 200) is flagged in `usul_source_stale` / `usul_source_is_stale`
   and logged once per episode.

Malformed documents and guard refusals become dead letters; transient network trouble is counted
and logged, not dead-lettered on every poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from models.dead_letters import DeadLetter, Origin, dead_letter
from models.items import RawItem
from streams.ingest import adapters
from streams.ingest.adapters import hackernews, mastodon
from streams.ingest.adapters import x as x_adapter
from streams.ingest.adapters.fulltext import extract_text
from streams.ingest.fetch import Fetcher, FetchError, FetchPolicy
from streams.ingest.metrics import INGEST_METRICS, IngestMetrics
from streams.ingest.parse import IngestError, parse_jsonl, read_jsonl
from streams.ingest.sources import DEFAULT_SOURCES, Source, SourcesError, enabled_sources
from streams.ingest.state import IngestState, SourceState
from streams.stages.normalise import raw_key

log = logging.getLogger(__name__)

EmitItems = Callable[[list[RawItem]], Awaitable[None]]
EmitDead = Callable[[list[DeadLetter]], Awaitable[None]]
Progress = Callable[["SourceOutcome"], None]


@dataclass(frozen=True)
class SourceOutcome:
    source: str
    outcome: str  # new, unchanged, not_modified, error, skipped
    new: int = 0
    repeated: int = 0
    error: str | None = None
    seconds: float = 0.0


class Skip(IngestError):
    """The source was deliberately not called (X without a token or over its cap)."""


class Poller:
    def __init__(self, settings: Any, state: IngestState, fetcher: Fetcher, emit_items: EmitItems,
                 emit_dead: EmitDead, *, metrics: IngestMetrics = INGEST_METRICS,
                 clock: Callable[[], float] = time.time, concurrency: int = 4) -> None:
        self.settings, self.state, self.fetcher = settings, state, fetcher
        self.emit_items, self.emit_dead = emit_items, emit_dead
        self.metrics, self.clock = metrics, clock
        self.limit = asyncio.Semaphore(concurrency)
        self._pruned_at = 0.0
        self._endpoints: dict[str, str] = {}

    # scheduling --------------------------------------------------------------------------------
    def interval(self, source: Source, state: SourceState) -> float:
        base = (source.poll_minutes or self.settings.poll_minutes) * 60
        return base * min(2 ** state.error_streak, 8)  # a failing source is asked less often

    def is_due(self, source: Source, now: float) -> bool:
        state = self.state.source(source.name)
        if state.next_due is not None and now < state.next_due:
            return False
        # a tenth of slack: a timer that fires a little early must not skip a whole tick
        return state.last_attempt is None or now >= state.last_attempt + 0.9 * self.interval(source, state)

    async def poll_due(self, sources: Iterable[Source], progress: Progress | None = None) -> list[SourceOutcome]:
        now = self.clock()
        wanted = [s for s in sources if s.enabled]
        self.refresh_staleness(wanted, now)
        self._prune(now)
        return await self.poll_many([s for s in wanted if self.is_due(s, now)], progress)

    async def poll_many(self, sources: Iterable[Source], progress: Progress | None = None) -> list[SourceOutcome]:
        async def one(source: Source) -> SourceOutcome:
            async with self.limit:
                outcome = await self.poll_guarded(source)
            if progress:
                progress(outcome)
            return outcome
        return list(await asyncio.gather(*(one(s) for s in sources)))

    async def poll_guarded(self, source: Source) -> SourceOutcome:
        """One source's poll under its time limit; whatever happens, an outcome comes back."""
        started = self.clock()
        try:
            async with asyncio.timeout(self.settings.source_timeout_seconds):
                return await self.poll_one(source)
        except TimeoutError:
            exc: Exception = FetchError(source.url, f"poll took longer than {self.settings.source_timeout_seconds:g} s")
            exc.transient = True  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - a bug in one source's path must not stop the round
            log.exception("source %s: unexpected failure", source.name)
            exc = error
        return await self._failed(source, self.state.source(source.name), exc, started)

    # one poll ----------------------------------------------------------------------------------
    async def poll_one(self, source: Source) -> SourceOutcome:
        now = self.clock()
        state = self.state.source(source.name)
        state.first_polled = state.first_polled or now
        state.last_attempt = now
        self.state.save_source(state)
        try:
            read = await self._read(source, now)
        except Skip as exc:
            log.info("source %s skipped: %s", source.name, exc.reason)
            self.metrics.polls.labels(source.name, "skipped").inc()
            return SourceOutcome(source.name, "skipped", error=exc.reason)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded the same way
            return await self._failed(source, state, exc, now)
        if read is None:
            return self._succeeded(source, state, [], 0, now, "not_modified")
        items, errors, validators = read
        await self._dead_letters(source, errors, now)
        fresh, repeated = self._fresh(items)
        fresh = await self._full_text(source, fresh)
        if fresh:
            await self.emit_items(fresh)
        self.state.mark_seen((raw_key(i) for i in fresh), now)
        if validators is not None:
            self.state.set_validators(await self._endpoint(source), *validators)
        return self._succeeded(source, state, fresh, repeated, now, "new" if fresh else "unchanged")

    async def _read(self, source: Source, now: float) -> tuple[list[RawItem], list[IngestError],
                                                               tuple[str | None, str | None] | None] | None:
        """Items and per-record errors, plus the validators to keep; None when not modified."""
        observed = datetime.fromtimestamp(now, tz=UTC)
        if not source.remote:
            return await asyncio.to_thread(_read_local, source, observed)
        if source.type == "hn":
            return await self._read_hn(source, observed)
        if source.type == "x":
            return await self._read_x(source, observed)
        url = await self._endpoint(source)
        etag, modified = self.state.validators(url)
        result = await self.fetcher.get(url, etag=etag, last_modified=modified)
        if result.not_modified:
            return None
        if source.type == "jsonl":
            parsed = await asyncio.to_thread(_jsonl_lines, result.body, source, observed)
            return [p for p in parsed if isinstance(p, RawItem)], [p for p in parsed if isinstance(p, IngestError)], \
                (result.etag, result.last_modified)
        items = await asyncio.to_thread(adapters.parse, result.body, source, observed)
        return items, [], (result.etag, result.last_modified)

    async def _endpoint(self, source: Source) -> str:
        """The URL to poll: the source's own, or for a Mastodon profile its statuses (looked up once)."""
        lookup = mastodon.lookup_url(source.url) if source.type == "mastodon" else None
        if lookup is None:
            return source.url
        if source.url not in self._endpoints:
            found = await self.fetcher.get(lookup)
            self._endpoints[source.url] = mastodon.statuses_url(source.url, found.body, min(source.max_items, 40))
        return self._endpoints[source.url]

    async def _read_hn(self, source: Source, observed: datetime) -> Any:
        listing = await self.fetcher.get(source.url)
        ids = await asyncio.to_thread(hackernews.story_ids, listing.body, source)
        # the raw key each story's item will have: known before its page is fetched
        keys = {i: raw_key(RawItem(id=f"hn:{i}", url=hackernews.DISCUSSION.format(id=i))) for i in ids}
        unseen = self.state.unseen(keys.values())
        items: list[RawItem] = []
        errors: list[IngestError] = []
        for story in (i for i in ids if keys[i] in unseen):
            try:
                page = await self.fetcher.get(hackernews.item_url(source, story))
                item = hackernews.parse_item(page.body, source, observed)
            except IngestError as exc:
                if isinstance(exc, FetchError) and exc.transient:
                    raise
                errors.append(exc)
                continue
            if item is not None:
                items.append(item)
            else:  # deleted, dead or not a story: never asked for again
                self.state.mark_seen([keys[story]], observed.timestamp())
        return items, errors, None

    async def _read_x(self, source: Source, observed: datetime) -> Any:
        token, cap = self.settings.x_bearer_token, self.settings.x_daily_read_cap
        if token is None or not token.get_secret_value():
            raise Skip(source.name, "X is disabled: no bearer token (USUL_X_BEARER_TOKEN)")
        day = observed.strftime("%Y-%m-%d")
        allowed = x_adapter.allowance(cap, self.state.budget_used("x", day), source.max_items)
        if allowed <= 0:
            raise Skip(source.name, f"X read cap reached ({cap} posts on {day}, USUL_X_DAILY_READ_CAP)")
        result = await self.fetcher.get(x_adapter.request_url(source, allowed),
                                        headers={"Authorization": f"Bearer {token.get_secret_value()}"})
        items = await asyncio.to_thread(x_adapter.parse, result.body, source, observed)
        self.state.spend("x", day, max(len(items), 1))
        self.metrics.x_reads.inc(len(items))
        return items, [], None

    def _fresh(self, items: list[RawItem]) -> tuple[list[RawItem], int]:
        keyed: dict[str, RawItem] = {}
        for item in items:
            keyed.setdefault(raw_key(item), item)
        unseen = self.state.unseen(keyed)
        return [item for key, item in keyed.items() if key in unseen], len(items) - len(unseen)

    async def _full_text(self, source: Source, items: list[RawItem]) -> list[RawItem]:
        """Replaces teasers (text shorter than `full_text_below`) by the article page's main text."""
        if not source.full_text_below:
            return items
        return [await self._article(item) if len(item.text) < source.full_text_below and item.url.startswith(
            ("http://", "https://")) else item for item in items]

    async def _article(self, item: RawItem) -> RawItem:
        try:
            page = await self.fetcher.get(item.url, max_bytes=5 * 1024 * 1024)
        except IngestError as exc:
            log.info("full text of %s: %s", item.url, exc.reason)
            self.metrics.full_text.labels("error").inc()
            return item
        text = await asyncio.to_thread(extract_text, page.body, item.url)
        if len(text) <= len(item.text):
            self.metrics.full_text.labels("empty").inc()
            return item
        self.metrics.full_text.labels("extracted").inc()
        return item.model_copy(update={"text": text[:200_000]})

    # outcomes ----------------------------------------------------------------------------------
    def _succeeded(self, source: Source, state: SourceState, fresh: list[RawItem], repeated: int, now: float,
                   outcome: str) -> SourceOutcome:
        recent = now - source.stale_after_hours * 3600
        if any(i.published_at is None or i.published_at.timestamp() >= recent for i in fresh):
            state.last_new_item = now
            state.unchanged_streak = 0
        else:  # nothing new, or only old items served as new (the RSSHub failure): still unchanged
            state.unchanged_streak += 1
        state.last_success, state.error_streak, state.last_error, state.next_due = now, 0, None, None
        self._staleness(source, state, now)
        self.state.save_source(state)
        self.metrics.polls.labels(source.name, outcome).inc()
        self.metrics.new_items.labels(source.name).inc(len(fresh))
        self.metrics.repeats.labels(source.name).inc(repeated)
        self._export(source, state)
        return SourceOutcome(source.name, outcome, len(fresh), repeated, seconds=self.clock() - now)

    async def _failed(self, source: Source, state: SourceState, exc: Exception, started: float) -> SourceOutcome:
        now = self.clock()
        state.error_streak += 1
        state.last_error = str(exc)[:500]
        retry_after = getattr(exc, "retry_after", None)
        state.next_due = now + retry_after if retry_after else None
        transient = bool(getattr(exc, "transient", False))
        (log.warning if transient else log.error)("source %s failed (%d in a row): %s", source.name,
                                                   state.error_streak, exc)
        self._staleness(source, state, now)
        self.state.save_source(state)
        self.metrics.polls.labels(source.name, "error").inc()
        self.metrics.errors.labels(source.name, type(exc).__name__).inc()
        self._export(source, state)
        if not transient:
            error = exc if isinstance(exc, IngestError) else IngestError(source.name, f"{type(exc).__name__}: {exc}")
            await self._dead_letters(source, [error], now)
        return SourceOutcome(source.name, "error", error=str(exc), seconds=now - started)

    async def _dead_letters(self, source: Source, errors: list[IngestError], now: float) -> None:
        if not errors:
            return
        moment = datetime.fromtimestamp(now, tz=UTC)
        origin = Origin(topic=f"source:{source.name}", key=source.url[:500])
        try:
            await self.emit_dead([dead_letter("ingest", e, e.payload, origin, moment) for e in errors])
        except Exception:  # noqa: BLE001 - losing a dead letter must not turn into a stuck poller
            log.exception("source %s: could not send %d dead letters", source.name, len(errors))

    # staleness ---------------------------------------------------------------------------------
    def refresh_staleness(self, sources: Iterable[Source], now: float) -> None:
        """Staleness grows while a source is not due (or keeps failing): re-judged every round."""
        for source in sources:
            state = self.state.source(source.name)
            if state.first_polled is not None:
                before = state.stale_flagged
                self._staleness(source, state, now)
                if state.stale_flagged != before:
                    self.state.save_source(state)

    def _staleness(self, source: Source, state: SourceState, now: float) -> None:
        age = state.seconds_since_new(now)
        threshold = source.stale_after_hours * 3600
        stale = age > threshold
        self.metrics.stale.labels(source.name).set(age)
        self.metrics.stale_after.labels(source.name).set(threshold)
        self.metrics.is_stale.labels(source.name).set(1 if stale else 0)
        if stale and not state.stale_flagged:
            log.warning("source %s is stale: nothing new for %s (threshold %s); last error: %s", source.name,
                        timedelta(seconds=int(age)), timedelta(seconds=int(threshold)), state.last_error or "none")
        elif state.stale_flagged and not stale:
            log.info("source %s is fresh again", source.name)
        state.stale_flagged = stale

    def _export(self, source: Source, state: SourceState) -> None:
        self.metrics.error_streak.labels(source.name).set(state.error_streak)
        self.metrics.unchanged_streak.labels(source.name).set(state.unchanged_streak)
        if state.last_success:
            self.metrics.last_success.labels(source.name).set(state.last_success)
        if state.last_new_item:
            self.metrics.last_new_item.labels(source.name).set(state.last_new_item)

    def _prune(self, now: float) -> None:
        if now - self._pruned_at > 3600:
            removed = self.state.prune_seen(now - self.settings.ingest_dedup_days * 86400)
            self._pruned_at = now
            if removed:
                log.info("ingestion forgot %d URLs older than %g days", removed, self.settings.ingest_dedup_days)


def _read_local(source: Source, observed: datetime) -> tuple[list[RawItem], list[IngestError], None]:
    path = Path(source.url)
    if source.type == "jsonl":
        parsed = list(read_jsonl(path, observed))
    else:
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise IngestError(source.url, f"cannot read: {exc}") from exc
        parsed = list(adapters.parse(body, source, observed))
    return [p for p in parsed if isinstance(p, RawItem)], [p for p in parsed if isinstance(p, IngestError)], None


def _jsonl_lines(body: bytes, source: Source, observed: datetime) -> list[RawItem | IngestError]:
    return list(parse_jsonl(body.splitlines(), source.url, observed))


# the source list -------------------------------------------------------------------------------
async def online(hosts: Iterable[str], timeout: float = 3.0) -> bool:
    """True when any of the hosts accepts a TCP connection on 443 within the timeout."""
    for host in list(hosts)[:3]:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, 443), timeout)
        except (OSError, TimeoutError):
            continue
        writer.close()
        return True
    return False


class SourceList:
    """The sources to poll this round: the configured file (re-read every round, so edits apply),
    else the shipped default list when the machine is online."""

    def __init__(self, settings: Any, path: Path | None = None,
                 probe: Callable[[Iterable[str]], Awaitable[bool]] = online, recheck_seconds: float = 600.0) -> None:
        self.settings, self.path, self.probe = settings, path or settings.sources_file, probe
        self.recheck_seconds = recheck_seconds
        self._online: tuple[float, bool] | None = None
        self._warned: str | None = None

    async def current(self) -> list[Source]:
        if self.path is not None:
            return self._load(self.path)
        if not self.settings.poll_default_sources:
            return []
        defaults = self._load(DEFAULT_SOURCES)
        if not await self._is_online(defaults):
            self._warn("offline", "the machine looks offline: the default sources are not polled")
            return []
        self._warned = None
        return defaults

    def _load(self, path: Path) -> list[Source]:
        try:
            sources = enabled_sources(path)
        except SourcesError as exc:
            self._warn(str(exc), f"{exc}; polling nothing")
            return []
        return sources

    async def _is_online(self, sources: list[Source]) -> bool:
        moment = time.monotonic()
        if self._online is None or moment - self._online[0] > self.recheck_seconds:
            hosts = dict.fromkeys(h for s in sources if (h := urlsplit(s.url).hostname))
            self._online = (moment, await self.probe(hosts))
        return self._online[1]

    def _warn(self, key: str, message: str) -> None:
        if self._warned != key:
            log.warning(message)
            self._warned = key


def build_poller(settings: Any, emit_items: EmitItems, emit_dead: EmitDead,
                 metrics: IngestMetrics = INGEST_METRICS) -> Poller:
    state = IngestState(Path(settings.data_dir) / "ingest" / "state.sqlite3")
    fetcher = Fetcher(FetchPolicy.from_settings(settings), metrics=metrics)
    return Poller(settings, state, fetcher, emit_items, emit_dead, metrics=metrics)


# `usul ingest` ---------------------------------------------------------------------------------
def describe(outcome: SourceOutcome) -> str:
    """One progress line per polled source."""
    if outcome.outcome == "error":
        return f"  failed     {outcome.source}: {outcome.error}"
    if outcome.outcome == "skipped":
        return f"  skipped    {outcome.source}: {outcome.error}"
    label = "unchanged" if outcome.outcome == "not_modified" else outcome.outcome
    counts = f"{outcome.new} new, {outcome.repeated} seen before"
    return f"  {label:<10} {outcome.source}: {counts} ({outcome.seconds:.1f} s)"


async def run_ingest(settings: Any, path: Path | None = None, *, loop: bool = False, only: list[str] | None = None,
                     out: Callable[[str], None] = print) -> int:
    """Polls sources into the raw topic from its own process: once (every enabled source, now) or
    in a loop (sources as they fall due, every `poll_tick_seconds`)."""
    from aiokafka import AIOKafkaProducer

    from models import topics
    from models.codec import encode
    from models.dead_letters import kafka_headers
    from streams.kafka_security import client_kwargs
    from streams.kafka_settings import PRODUCER_SETTINGS
    from streams.ops.produce import send_raw

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=20,
                                **PRODUCER_SETTINGS[settings.broker_flavour],
                                **client_kwargs(settings))
    await producer.start()

    async def emit_items(items: list[RawItem]) -> None:  # one poll of one source: its items bundled
        await send_raw(producer, items, settings.bundle_items)
        await producer.flush()

    async def emit_dead(letters: list[DeadLetter]) -> None:
        for letter in letters:
            await producer.send(topics.DEAD_LETTERS.name, key=letter.stage.encode(), value=encode(letter),
                                headers=kafka_headers(letter))
        await producer.flush()

    poller = build_poller(settings, emit_items, emit_dead)
    listing = SourceList(settings, path)
    try:
        while True:
            sources = [s for s in await listing.current() if not only or s.name in only]
            if not loop:
                out(f"polling {len(sources)} sources")
                outcomes = await poller.poll_many(sources, progress=lambda o: out(describe(o)))
                new = sum(o.new for o in outcomes)
                failed = sum(o.outcome == "error" for o in outcomes)
                out(f"ingested {new} new items from {len(outcomes)} sources; {failed} failed")
                return 1 if outcomes and failed == len(outcomes) else 0
            await poller.poll_due(sources, progress=lambda o: out(describe(o)))
            await asyncio.sleep(settings.poll_tick_seconds)
    finally:
        await poller.fetcher.aclose()
        poller.state.close()
        await producer.stop()
