"""`usul replay`: feed files through the running pipeline, close the window, collect the outputs.

This is a client of the pipeline, not a second pipeline: it produces raw items and close
markers onto the same topics the worker reads, and reads back what the worker published (the
enriched verdicts, the day-closed record, the brief). The small functions at the top are pure.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from models import topics
from models.codec import decode, encode
from models.control import DayClose, DayClosed
from models.dead_letters import DeadLetter, Origin, dead_letter, kafka_headers
from models.items import EnrichedItem, ItemsJudged, Judgement, RawItem
from models.lens import Lens
from streams.brief.render import render_markdown
from streams.brief.sentences import plural
from streams.ingest.parse import IngestError, read_jsonl
from streams.kafka_settings import ACKS_ALL, COMMITTED_READS, PRODUCER_SETTINGS
from streams.ops.produce import send_raw
from streams.stages import dayclose
from streams.stages.bundles import DEFAULT_BUNDLE_ITEMS
from streams.stages.normalise import aware

CLOSE_ROUND_SECONDS = 90.0


@dataclass(frozen=True)
class Window:
    """A replay window in the lens's time zone: whole lens-days from `start` to `end`."""

    start: datetime
    end: datetime
    days: tuple[str, ...]


def day_window(lens: Lens, day: str) -> Window:
    first = date.fromisoformat(day)
    start = datetime.combine(first, datetime.min.time(), tzinfo=lens.zone)
    return Window(start, start + timedelta(days=1), (day,))


def span_window(lens: Lens, since: datetime, until: datetime) -> Window:
    since, until = aware(since), aware(until)
    if until <= since:
        raise ValueError(f"--until {until.isoformat()} is not after --since {since.isoformat()}")
    first, last = since.astimezone(lens.zone).date(), (until - timedelta(microseconds=1)).astimezone(lens.zone).date()
    days = tuple((first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1))
    return Window(since, until, days)


def stamp_observed(item: RawItem, window: Window) -> RawItem:
    """The files are the window's collection: each item was observed by the window's end (or when
    it was published, if later), never before it was published."""
    observed = window.end - timedelta(seconds=1)
    if item.published_at is not None:
        observed = max(observed, aware(item.published_at))
    return item.model_copy(update={"observed_at": observed})


def read_window(files: list[Path], window: Window) -> tuple[list[RawItem], list[IngestError]]:
    """The files as the window's collection: readable items stamped as observed in it, and the
    lines that could not be read."""
    items, rejected = [], []
    for path in files:
        for parsed in read_jsonl(path, window.end):
            if isinstance(parsed, IngestError):
                rejected.append(parsed)
            else:
                items.append(stamp_observed(parsed, window))
    return items, rejected


def item_row(item: EnrichedItem | Judgement, window: Window, story_of: dict[str, str]) -> dict[str, Any]:
    """A judgement (an item the cluster stage only counted) was never relevant."""
    in_window = item.day in window.days
    # an item under the bar that joined a story at the close is relevant by association
    relevant = ((isinstance(item, EnrichedItem) and item.relevant) or item.id in story_of) and in_window
    return {"id": item.id, "relevant": relevant, "category": item.category,
            "day": item.day, "story_id": story_of.get(item.id), "duplicate_of": item.duplicate_of,
            "time_basis": item.time_basis, "reasons": item.reasons if in_window else
            item.reasons + [f"outside the window: belongs to {item.day}"]}


def rejected_row(error: IngestError) -> dict[str, Any] | None:
    """A line that failed validation but still names an id is accounted for, as not relevant."""
    try:
        item_id = orjson.loads(error.payload).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    if not isinstance(item_id, str) or not item_id:
        return None
    return {"id": item_id, "relevant": False, "category": None, "day": None, "story_id": None,
            "duplicate_of": None, "time_basis": None, "reasons": [f"rejected: {error.reason}"]}


def rejected_letter(error: IngestError) -> DeadLetter:
    """The dead letter of an unreadable line. It failed now, not at the window's time: `usul dlq
    list` shows the newest letters, and a replay of an old day must not file its letters as old."""
    return dead_letter("replay", error, error.payload, Origin(topic=f"file:{error.where}"), datetime.now(UTC))


def story_row(closed: DayClosed, story: Any) -> dict[str, Any]:
    return {"day": closed.day, **story.model_dump(mode="json")}


# the client side --------------------------------------------------------------------------------
@dataclass
class Progress:
    label: str
    total: int
    done: int = 0
    last: float = field(default_factory=time.monotonic)

    def step(self, n: int = 1) -> None:
        self.done += n
        if time.monotonic() - self.last > 1 or self.done >= self.total:
            self.last = time.monotonic()
            print(f"\r{self.label}: {self.done}/{self.total}", end="\n" if self.done >= self.total else "",
                  file=sys.stderr, flush=True)


@dataclass
class ReplayResult:
    closed: list[DayClosed]
    briefs: dict[str, bytes]
    items: list[dict[str, Any]]
    rejected: list[IngestError]
    seconds: float


class NothingReadable(ValueError):
    """Not one line of the files was an item: there is nothing to replay."""

    def __init__(self, rejected: list[IngestError]) -> None:
        super().__init__(f"0 items readable, {plural(len(rejected), 'line')} rejected")
        self.rejected = rejected


class Replay:
    def __init__(self, bootstrap: str, lens: Lens, window: Window, timeout: float = 600.0,
                 client: dict[str, Any] | None = None, flavour: str | None = None,
                 bundle_items: int = DEFAULT_BUNDLE_ITEMS) -> None:
        self.bootstrap, self.lens, self.window, self.timeout = bootstrap, lens, window, timeout
        self.bundle_items = bundle_items  # items per raw record at most (`streams.stages.bundles`)
        self.client = client or {}  # security options for aiokafka (streams.kafka_security.client_kwargs)
        self.durability = PRODUCER_SETTINGS.get(flavour or "", ACKS_ALL)  # idempotence where the broker has it

    async def run(self, files: list[Path]) -> ReplayResult:
        return await self.run_read(*read_window(files, self.window))

    async def run_read(self, items: list[RawItem], rejected: list[IngestError]) -> ReplayResult:
        """Replay lines already read (`read_window`); with none readable, the rejected lines are
        dead-lettered and NothingReadable raised at once: no verdict would ever come back."""
        began = time.monotonic()
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, max_request_size=4 * 1024 * 1024,
                                    linger_ms=20, **self.durability, **self.client)
        await producer.start()
        try:
            if not items:
                await self._produce_items(producer, items, rejected)
                raise NothingReadable(rejected)
            async with Reader(self.bootstrap, self.client) as reader:
                enriched_from = await reader.end_offsets(topics.ENRICHED.name)
                await self._produce_items(producer, items, rejected)
                verdicts = await self._await_verdicts(reader, enriched_from, {i.id for i in items})
                closed = await self._close(reader, producer)
                briefs = await self._briefs(reader, closed)
        finally:
            await producer.stop()
        story_of = {i: s.story_id for c in closed for s in c.stories for i in s.items}
        rows = [item_row(verdicts[i.id], self.window, story_of) for i in _unique(items)]
        rows += [row for row in map(rejected_row, rejected) if row is not None]
        return ReplayResult(closed, briefs, rows, rejected, time.monotonic() - began)

    async def _produce_items(self, producer: AIOKafkaProducer, items: list[RawItem],
                             rejected: list[IngestError]) -> None:
        await send_raw(producer, items, self.bundle_items)
        Progress("produced", len(items)).step(len(items))
        for error in rejected:  # nothing is lost: unreadable lines go to the dead letters
            letter = rejected_letter(error)
            await producer.send(topics.DEAD_LETTERS.name, key=b"replay", value=encode(letter),
                                headers=kafka_headers(letter))
        await producer.flush()

    async def _await_verdicts(self, reader: Reader, start: dict[TopicPartition, int],
                              ids: set[str]) -> dict[str, EnrichedItem | Judgement]:
        verdicts: dict[str, EnrichedItem | Judgement] = {}
        progress = Progress("enriched", len(ids))

        def take(value: bytes, key: bytes | None) -> bool:
            record = decode(topics.ENRICHED, value)
            if isinstance(record, DayClose) or record.lens != self.lens.slug:
                return len(verdicts) == len(ids)
            for verdict in record.items if isinstance(record, ItemsJudged) else [record]:
                if verdict.id in ids:
                    if verdict.id not in verdicts:
                        progress.step()
                    verdicts[verdict.id] = verdict
            return len(verdicts) == len(ids)

        await reader.read(start, take, self.timeout, "enriched items")
        return verdicts

    async def _close(self, reader: Reader, producer: AIOKafkaProducer) -> list[DayClosed]:
        """Close every day of the window; a round that gets no answer is asked again.

        A close marker can go unanswered when a worker dies while holding it (seen with a SIGKILL
        during a rebalance); a new round with a new id is safe, because an unchanged day never
        publishes a new revision.
        """
        start = await reader.end_offsets(topics.DAY_CLOSED.name)
        partitions = len(await reader.partitions(topics.ENRICHED.name))
        rounds: set[str] = set()
        closed: dict[str, DayClosed] = {}

        def take(value: bytes, key: bytes | None) -> bool:
            record = decode(topics.DAY_CLOSED, value)
            if record.close_id in rounds and record.lens == self.lens.slug:
                closed.setdefault(record.day, record)
            return len(closed) == len(self.window.days)

        deadline = time.monotonic() + self.timeout
        while len(closed) < len(self.window.days):
            rounds.add(await self._send_markers(producer, partitions, [d for d in self.window.days if d not in closed]))
            wait = min(CLOSE_ROUND_SECONDS, deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError(f"replay: no answer to {len(rounds)} close rounds in {self.timeout:.0f} s")
            with contextlib.suppress(TimeoutError):
                await reader.read(start, take, wait, "the day close")
        return [closed[d] for d in self.window.days]

    async def _send_markers(self, producer: AIOKafkaProducer, partitions: int, days: list[str]) -> str:
        close_id = f"replay-{uuid.uuid4().hex[:12]}"
        for day in days:
            print(f"closing {self.lens.slug} {day} ({close_id})", file=sys.stderr)
            for marker in dayclose.close_markers(self.lens.slug, day, close_id, partitions, self.window.end):
                await producer.send(topics.ENRICHED.name, key=self.lens.slug.encode(), value=encode(marker),
                                    partition=marker.partition)
        await producer.flush()
        return close_id

    async def _briefs(self, reader: Reader, closed: list[DayClosed]) -> dict[str, bytes]:
        wanted = {f"{c.lens}:{c.day}:{c.revision}": c.day for c in closed}
        found: dict[str, bytes] = {}

        def take(value: bytes, key: bytes | None) -> bool:
            name = (key or b"").decode()
            if name in wanted:
                found[wanted[name]] = value
            return len(found) == len(wanted)

        start = {tp: 0 for tp in await reader.partitions(topics.BRIEFS.name)}
        await reader.read(start, take, self.timeout, "the brief")
        return found


def _unique(items: list[RawItem]) -> list[RawItem]:
    return list({item.id: item for item in items}.values())


class Reader:
    """One group-less consumer for the whole replay: topic metadata, end offsets, and reads from
    given offsets. (Starting and stopping many short-lived consumers trips an aiokafka shutdown
    race, so there is only one.)"""

    def __init__(self, bootstrap: str, client: dict[str, Any] | None = None) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                         max_partition_fetch_bytes=8 * 1024 * 1024,
                                         fetch_max_bytes=32 * 1024 * 1024, **COMMITTED_READS, **(client or {}))

    async def __aenter__(self) -> Reader:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self.consumer.stop()

    async def partitions(self, topic: str) -> list[TopicPartition]:
        for _ in range(150):
            cluster = await self.consumer._client.fetch_all_metadata()  # not just assigned topics
            found = cluster.partitions_for_topic(topic)
            if found:
                return [TopicPartition(topic, p) for p in sorted(found)]
            await asyncio.sleep(0.2)
        raise RuntimeError(f"topic {topic} does not exist; is the worker running?")

    async def end_offsets(self, topic: str) -> dict[TopicPartition, int]:
        return dict(await self.consumer.end_offsets(await self.partitions(topic)))

    async def read(self, start: dict[TopicPartition, int], take: Any, timeout: float, what: str) -> None:
        """Read from `start` until `take(value, key)` says it has everything, or fail after `timeout`."""
        self.consumer.assign(list(start))
        for tp, offset in start.items():
            self.consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batches.values():
                if any(take(record.value, record.key) for record in records):
                    return
        topic = next(iter(start)).topic
        raise TimeoutError(f"replay: gave up waiting for {what} on {topic} after {timeout:.0f} s")


def write_outputs(result: ReplayResult, out: Path) -> list[Path]:
    """`brief.json` (bytes as published), `brief.md`, `stories.jsonl`, `items.jsonl`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for closed in result.closed:
        target = out if len(result.closed) == 1 else out / closed.day
        target.mkdir(parents=True, exist_ok=True)
        raw = result.briefs[closed.day]
        (target / "brief.json").write_bytes(raw)
        (target / "brief.md").write_text(render_markdown(decode(topics.BRIEFS, raw)), encoding="utf-8")
        written += [target / "brief.json", target / "brief.md"]
    stories = [story_row(c, s) for c in result.closed for s in c.stories]
    _write_jsonl(out / "stories.jsonl", stories)
    _write_jsonl(out / "items.jsonl", result.items)
    return written + [out / "stories.jsonl", out / "items.jsonl"]


def write_rejected(rejected: list[IngestError], out: Path) -> Path:
    """`rejected.jsonl`: the letters of the unreadable lines, kept with the outputs (a pipeline of
    the replay's own, and its dead-letter topic, are gone when the replay ends)."""
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "rejected.jsonl", [rejected_letter(e).model_dump(mode="json") for e in rejected])
    return out / "rejected.jsonl"


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
