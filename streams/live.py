"""Today so far: the developing stories of each lens-day, kept in memory and pushed to browsers.

`LiveStories` holds the latest version of every story per lens-day, bounded in days and in stories
per day, and fans each update out to subscribers (one bounded queue per server-sent-events
connection). It is pure apart from asyncio queues.

`StoryFeed` is the faust `Service` that fills it. It reads `usul.stories.v1` with its own aiokafka
consumer *without* a consumer group: an agent in the worker's group would only see the partitions
assigned to this worker, but every worker's live page must show every story of the day. On start
it reads back `lookback_hours` of the topic (by record time), then follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from models import topics
from models.codec import DecodeError, decode
from models.stories import Story
from streams.brokers import COMMITTED_READS

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0  # an SSE response ends after this; EventSource reconnects on its own
_CLOSED = object()


def headline(story: Story) -> str:
    """What the live view calls a story before a brief names it: its primary source's title,
    else its earliest member's."""
    primary = [m for m in story.members if m.primary]
    chosen = primary[0] if primary else min(story.members, key=lambda m: (m.event_at, m.id), default=None)
    return chosen.title if chosen is not None else story.story_id


def summary(story: Story) -> dict[str, Any]:
    """A story as lists show it (no member texts)."""
    return {
        "story_id": story.story_id, "lens": story.lens, "day": story.day, "headline": headline(story),
        "category": story.category, "confidence": story.confidence, "score": round(story.score, 3),
        "members": len(story.members), "outlets": story.outlets, "developing_since": story.developing_since,
        "first_seen": story.first_seen.isoformat(), "last_updated": story.last_updated.isoformat(),
        "url": f"/stories/{story.lens}/{story.day}/{story.story_id}",
    }


def _newer(candidate: Story, held: Story | None) -> bool:
    if held is None:
        return True
    return (candidate.last_updated, len(candidate.members)) >= (held.last_updated, len(held.members))


class LiveStories:
    """Latest version of each story per (lens, day); at most `max_days` lens-days (the oldest days
    go first) and `max_stories` per day (the lowest scored go first)."""

    def __init__(self, max_days: int = 14, max_stories: int = 1000, queue_size: int = 256) -> None:
        self.max_days, self.max_stories, self.queue_size = max_days, max_stories, queue_size
        self._days: OrderedDict[tuple[str, str], dict[str, Story]] = OrderedDict()
        self._subscribers: dict[tuple[str, str], set[asyncio.Queue[Any]]] = {}

    def apply(self, story: Story) -> bool:
        """Keep `story` if it is at least as new as what is held; tell the day's subscribers."""
        key = (story.lens, story.day)
        day = self._days.get(key)
        if day is None:
            day = self._days[key] = {}
            self._trim_days()
        if key not in self._days or not _newer(story, day.get(story.story_id)):
            return False
        day[story.story_id] = story
        if len(day) > self.max_stories:
            del day[min(day.values(), key=lambda s: (s.score, s.last_updated)).story_id]
            if story.story_id not in day:
                return False
        self._publish(key, story)
        return True

    def _trim_days(self) -> None:
        while len(self._days) > self.max_days:
            oldest = min(self._days, key=lambda k: k[1])
            del self._days[oldest]

    def stories(self, lens: str, day: str) -> list[Story]:
        """The day's stories, highest score first."""
        held = self._days.get((lens, day), {})
        return sorted(held.values(), key=lambda s: (-s.score, s.first_seen, s.story_id))

    def story(self, lens: str, day: str, story_id: str) -> Story | None:
        return self._days.get((lens, day), {}).get(story_id)

    def matching(self, lens: str, day: str, item_ids: set[str]) -> Story | None:
        """The story sharing the most members with `item_ids`: a brief names a story after its
        earliest member, while the live topic names it after the member that arrived first."""
        best = max(self.stories(lens, day), key=lambda s: len(item_ids.intersection(s.item_ids)), default=None)
        return best if best is not None and item_ids.intersection(best.item_ids) else None

    def days(self, lens: str) -> list[str]:
        return sorted((d for (slug, d) in self._days if slug == lens), reverse=True)

    # subscribers -------------------------------------------------------------------------------
    def subscribe(self, lens: str, day: str) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self.queue_size)
        self._subscribers.setdefault((lens, day), set()).add(queue)
        return queue

    def unsubscribe(self, lens: str, day: str, queue: asyncio.Queue[Any]) -> None:
        self._subscribers.get((lens, day), set()).discard(queue)

    def subscribers(self, lens: str, day: str) -> int:
        return len(self._subscribers.get((lens, day), ()))

    def _publish(self, key: tuple[str, str], story: Story) -> None:
        for queue in list(self._subscribers.get(key, ())):
            try:
                queue.put_nowait(story)
            except asyncio.QueueFull:  # a reader that cannot keep up starts again from a snapshot
                self._subscribers[key].discard(queue)
                _close(queue)

    def close_all(self) -> None:
        for queues in self._subscribers.values():
            for queue in queues:
                _close(queue)
        self._subscribers.clear()


def _close(queue: asyncio.Queue[Any]) -> None:
    with contextlib.suppress(asyncio.QueueEmpty):
        while queue.full():
            queue.get_nowait()
    queue.put_nowait(_CLOSED)


def sse(event: str, data: Any) -> bytes:
    """One server-sent event; the data is one line of JSON, so it never needs splitting."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def event_stream(store: LiveStories, lens: str, day: str, heartbeat: float = HEARTBEAT_SECONDS,
                       lifetime: float = STREAM_SECONDS,
                       clock: Callable[[], float] | None = None) -> AsyncIterator[bytes]:
    """The day's stories now, then each update as it arrives, with comment heartbeats."""
    clock = clock or asyncio.get_running_loop().time
    queue = store.subscribe(lens, day)
    ends = clock() + lifetime
    try:
        yield b"retry: 3000\n\n"
        for story in store.stories(lens, day):
            yield sse("story", summary(story))
        yield sse("ready", {"lens": lens, "day": day})
        while (left := ends - clock()) > 0:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=min(heartbeat, left))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if item is _CLOSED:
                return
            yield sse("story", summary(item))
    finally:
        store.unsubscribe(lens, day, queue)


class StoryFeed(Service):
    """Follows every partition of the stories topic into a `LiveStories`, without a group."""

    def __init__(self, store: LiveStories, bootstrap: str, lookback_hours: float = 48.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store, self.bootstrap, self.lookback = store, bootstrap, timedelta(hours=lookback_hours)
        self.consumer: AIOKafkaConsumer | None = None
        self.applied, self.retry_seconds = 0, 5.0

    async def on_stop(self) -> None:
        self.store.close_all()
        await self._close_consumer()

    @Service.task
    async def _follow(self) -> None:
        while not self.should_stop:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception:  # the live view is a convenience: never take the worker down with it
                log.exception("live story feed failed; starting it again in %.0f s", self.retry_seconds)
                await self._close_consumer()
                await self.sleep(self.retry_seconds)

    async def _read(self) -> None:
        # earliest: an offset the broker calls out of range (an empty partition, on some brokers)
        # is read again from the start rather than skipped; applying a story twice changes nothing
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                         auto_offset_reset="earliest", max_partition_fetch_bytes=8 * 1024 * 1024,
                                         **COMMITTED_READS)
        await self.consumer.start()
        await self._seek_back(await self._partitions())
        while not self.should_stop:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                for record in records:
                    self._take(record.value)

    async def _close_consumer(self) -> None:
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        assert self.consumer is not None
        while not self.should_stop:
            cluster = await self.consumer._client.fetch_all_metadata()  # not just assigned topics
            found = cluster.partitions_for_topic(topics.STORIES.name)
            if found:
                return [TopicPartition(topics.STORIES.name, p) for p in sorted(found)]
            await asyncio.sleep(1.0)
        return []

    async def _seek_back(self, partitions: list[TopicPartition]) -> None:
        assert self.consumer is not None
        self.consumer.assign(partitions)
        since = int((datetime.now(UTC) - self.lookback).timestamp() * 1000)
        try:
            found = await asyncio.wait_for(self.consumer.offsets_for_times({tp: since for tp in partitions}), 10)
        except Exception:  # a broker without timestamp lookups: read the whole retention instead
            log.warning("live story feed: no offsets by time, reading %s from the start", topics.STORIES.name)
            await self.consumer.seek_to_beginning(*partitions)
            return
        for tp in partitions:
            at = found.get(tp)
            if at is None:
                await self.consumer.seek_to_end(tp)
            else:
                self.consumer.seek(tp, at.offset)
        log.info("live story feed: reading %s from %s", topics.STORIES.name,
                 {tp.partition: (found.get(tp).offset if found.get(tp) else "end") for tp in partitions})

    def _take(self, value: bytes | None) -> None:
        try:
            story = decode(topics.STORIES, value)
        except DecodeError as exc:
            log.warning("live story feed: skipped a record: %s", exc)
            return
        self.store.apply(story)
        self.applied += 1
