"""The whole streaming topology in one place: topics, tables, agents, timers and web pages.

    raw items ──normalise──► enriched (keyed by lens) ──cluster──► stories (live)
                                   ▲                       │ on a DayClose marker
          close markers ───────────┘                       ▼
          (crontab, reclose timer, replay)            day parts ──assemble──► briefs ──► file sink
                                                                    └──────► day-closed

Agents are thin: they read bytes, call `streams.flow`, and send what it returns. State is in
changelogged tables, sliced per partition (`streams.state.PartitionView`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import faust
import faust.streams

from models import topics
from models.codec import encode
from models.dead_letters import DeadLetter, Origin, kafka_headers
from models.lens import Lens
from sinks.dispatch import Dispatcher, fault_from_env
from sinks.registry import build_channels
from streams.faust_metrics import PrometheusSensor, sample_consumer_lag
from streams.flow import DayRound, Flow, HandOver, JudgedTally, Out
from streams.ingest.parse import IngestError, parse_push
from streams.kafka_security import broker_credentials
from streams.kafka_settings import FAUST_SETTINGS
from streams.lenses import load_lens
from streams.metrics import METRICS
from streams.settings import Settings
from streams.stages import dayclose
from streams.stages.bundles import bundled
from streams.stages.normalise import close_deadline
from streams.stall import StallWatch
from streams.state import PartitionView
from streams.web.live_stories import LiveStories
from streams.web.story_feed import StoryFeed
from streams.web.views import register_pages

log = logging.getLogger(__name__)

# The normalise and cluster agents take records in batches: up to BATCH_RECORDS, or what came
# within BATCH_SECONDS. An offset is still committed only once its outputs and table writes are in
# the producer's hands; why 20 ms (faust wakes the agent that often even when idle): docs/DESIGN.md.
BATCH_RECORDS = 200
BATCH_SECONDS = 0.02


def now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings) -> faust.App:
    lenses = [load_lens(slug) for slug in settings.lenses]
    settings.faust_dir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        store=settings.store,
        topic_partitions=settings.partitions,
        topic_allow_declare=settings.topic_creation,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_enabled=True,
        datadir=settings.faust_dir,
        producer_max_request_size=4 * 1024 * 1024,
        broker_credentials=broker_credentials(settings),
        **{**FAUST_SETTINGS[settings.broker_flavour], **_replication(settings)},
    )
    Topology(app, settings, lenses)
    return app


def _replication(settings: Settings) -> dict[str, Any]:
    return {"topic_replication_factor": settings.replication_factor,
            "table_standby_replicas": settings.table_standby_replicas}


class Topology:
    """Declares everything on the app; one instance per worker process. The web pages see it as a
    `streams.web.worker.Worker`."""

    def __init__(self, app: faust.App, settings: Settings, lenses: list[Lens]) -> None:
        self.app, self.settings, self.lenses = app, settings, lenses
        self.flow = Flow(lenses, METRICS)
        self.stall = StallWatch(settings.stall_seconds)  # fed by the lag sampler, read by /livez
        self._pending: set[asyncio.Future[None]] = set()  # dead letters of refused records, being sent
        self.sink = Dispatcher(build_channels(settings), METRICS, fault=fault_from_env())
        self.topics = {spec.name: self._topic(spec) for spec in topics.CATALOGUE}
        # Delivery ledger (sinks.ledger): one changelogged entry per (brief, revision, channel),
        # partitioned like the briefs topic it is written from.
        self.ledger = self.app.Table(
            "ledger", default=None, partitions=topics.BRIEFS.partitions,
            schema=faust.Schema(key_type=str, key_serializer="json", value_serializer="json"))
        self.seen = self._table("seen")
        self.stories = self._table("stories")
        self.assembly = self._table("assembly")
        self._agents()
        self._timers()
        self._monitoring()
        self._live()
        register_pages(app, self)

    def _topic(self, spec: topics.TopicSpec) -> Any:
        partitions = self.settings.partitions if spec.partitions > 1 else 1
        return self.app.topic(spec.name, key_type=bytes, value_type=bytes, key_serializer="raw",
                              value_serializer="raw", partitions=partitions)

    def _table(self, name: str) -> Any:
        schema = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")
        return self.app.Table(name, default=None, partitions=self.settings.partitions, schema=schema)

    async def send(self, outs: list[Out]) -> None:
        """Queue the outputs on the producer, in order, without faust's per-message channel work
        (future message, serialiser lookup, sensors): keys and values are bytes already. The
        producer sends from its own task; the consumer flushes it before committing offsets."""
        producer = await self.app.maybe_start_producer()
        sent: Counter[str] = Counter()
        for out in outs:
            value = encode(out.value)
            try:
                await self._produce(producer, out, value)
            except Exception as exc:  # noqa: BLE001 - e.g. over the size limit: escaping would ack the batch
                letter = self.flow.dead("send", exc, value, Origin(topic=out.topic.name, key=out.key), now())
                await self._produce(producer, letter, encode(letter.value))
                out = letter
            sent[out.topic.name] += 1
        for name, count in sent.items():  # what faust's sensor counted per message
            METRICS.faust_messages_sent.labels(name).inc(count)

    async def _produce(self, producer: Any, out: Out, value: bytes) -> None:
        headers = kafka_headers(out.value) if out.topic is topics.DEAD_LETTERS else None
        # no partition: the producer's partitioner picks one by key
        partition = None if out.partition_key is None else _partition(out.partition_key, out.topic, self.settings)
        delivery = await producer.send(out.topic.name, out.key.encode(), value, partition=partition,
                                       timestamp=None, headers=headers)
        delivery.add_done_callback(functools.partial(self._delivered, out, value))

    def _delivered(self, out: Out, value: bytes, delivery: asyncio.Future[Any]) -> None:
        """A record the broker refused after the producer took it (e.g. over the topic's size
        limit) is counted, logged and sent on as a dead letter: the offsets that produced it are
        committed all the same, so the dead letter is what keeps it. A dead letter that fails too
        is only logged."""
        error = None if delivery.cancelled() else delivery.exception()
        if error is None:
            return
        METRICS.faust_send_errors.inc()
        log.error("the broker refused a record for %s (%d bytes): %r", out.topic.name, len(value), error)
        if out.topic is not topics.DEAD_LETTERS:
            letter = self.flow.dead("send", error, value, Origin(topic=out.topic.name, key=out.key), now())
            task = asyncio.ensure_future(self.send([letter]))
            self._pending.add(task)  # held until done: the loop keeps only weak references to tasks
            task.add_done_callback(self._pending.discard)

    # agents: `streams.inprocess` makes the same `Flow` calls in the same order, without faust ---
    def _agents(self) -> None:
        self.app.agent(self.topics[topics.RAW_ITEMS.name], name="normalise")(self._normalise)
        self.app.agent(self.topics[topics.ENRICHED.name], name="cluster")(self._cluster)
        self.app.agent(self.topics[topics.DAY_PARTS.name], name="assemble")(self._assemble)
        self.app.agent(self.topics[topics.BRIEFS.name], name="file-sink")(self._deliver)
        self.app.on_partitions_revoked.connect(self._forget_story_graphs)

    async def _forget_story_graphs(self, sender: Any, revoked: Any, **kwargs: Any) -> None:
        """Partitions move: each story graph is rebuilt, on its first use, from the records its
        partition's table then holds (another worker may have added to it meanwhile)."""
        self.flow.graphs.clear()

    async def _normalise(self, stream: Any) -> None:
        async for events in stream.take_events(BATCH_RECORDS, within=BATCH_SECONDS):
            outs: list[Out] = []
            judged = JudgedTally()
            for event in events:
                _make_current(event)
                with METRICS.stage_seconds.labels("normalise").time():
                    outs += self.flow.on_raw_record(event.value, self.seen, _origin(event), now(), judged)
            await self.send(outs + judged.records())

    async def _cluster(self, stream: Any) -> None:
        """A close marker's hand-over (reads only: the day's stories from the state) runs in
        an executor: meanwhile the loop serves the other agents, the web pages and the consumer."""
        loop = asyncio.get_running_loop()
        async for events in stream.take_events(BATCH_RECORDS, within=BATCH_SECONDS):
            outs: list[Out] = []
            for partition, group in groupby(events, key=lambda event: event.message.partition):
                run = list(group)
                _make_current(run[0])  # the run's table writes go to its partition's changelog
                state = PartitionView(self.stories, partition)
                for step in self.flow.enriched_steps([(e.value, _origin(e)) for e in run], state, now()):
                    if isinstance(step, HandOver):
                        with self.stall.holding():
                            step = await loop.run_in_executor(None, self.flow.hand_over, step)
                    outs += step
            await self.send(outs)
            for out in outs:  # the newest member an update adds is the item that caused it
                if out.topic is topics.STORIES and out.value.added:
                    METRICS.observe_story_latency(out.value.lens, max(m.event_at for m in out.value.added), now())

    async def _assemble(self, stream: Any) -> None:
        """Take a chunk and, once a round is complete, draft, publish and (optionally) rewrite it.

        Table writes (keeping the chunk; recording the revision) happen here, inside stream
        iteration; the CPU-heavy ranking and writing runs in an executor that only computes. The
        language-model rewrite comes after the revision is decided on the offline draft's hash.
        """
        from streams.brief.llm import default_cache, rewrite_brief

        loop = asyncio.get_running_loop()
        cache = default_cache(self.settings) if self.settings.llm_enabled else None
        async for event in stream.events():
            state = PartitionView(self.assembly, event.message.partition)
            origin = _origin(event)
            try:
                taken = self.flow.take_day_part(event.value, state, origin, now())
                if isinstance(taken, DayRound):
                    with METRICS.stage_seconds.labels("assemble").time():
                        draft = await loop.run_in_executor(None, self.flow.draft_brief, taken, now())
                    outs = self.flow.publish_draft(taken, draft, state, now())
                    if cache is not None:
                        outs = [Out(o.topic, o.key, await rewrite_brief(o.value, draft.stories, taken.lens,
                                                                        self.settings, cache))
                                if o.topic is topics.BRIEFS else o for o in outs]
                else:
                    outs = taken
            except Exception as exc:  # noqa: BLE001 - one bad round is dead-lettered, never a crashed agent
                outs = [self.flow.dead("assemble", exc, event.value, origin, now())]
            await self.send(outs)
            for out in outs:
                if out.topic is topics.BRIEFS:
                    METRICS.observe_brief_latency(out.value.lens, (s.published_at for s in out.value.sources), now())
                    if out.value.revision > 1:
                        METRICS.brief_revisions.labels(out.value.lens).inc()

    async def _deliver(self, stream: Any) -> None:
        """Every configured channel, through the ledger (sinks.dispatch); dead letters are sent on."""
        async for event in stream.events():
            # faust can hand over a record while it still seeks partitions after a restart; the
            # ledger must be whole before it is read, so wait for recovery to finish.
            await self.app.tables.recovery.completed.wait()
            ledger = PartitionView(self.ledger, event.message.partition)
            letters = await self.sink.on_brief(event.value, ledger, _origin(event), now(), self.app.producer.flush)
            await self.send_letters(letters)

    async def send_letters(self, letters: list[DeadLetter]) -> None:
        await self.send([Out(topics.DEAD_LETTERS, letter.stage, letter) for letter in letters])

    # timers --------------------------------------------------------------------------------------
    def _timers(self) -> None:
        for lens in self.lenses:
            cron = f"{lens.publish_time.minute} {lens.publish_time.hour} * * *"
            self.app.crontab(cron, timezone=lens.zone, on_leader=True)(self._scheduled_close(lens))
        self.app.timer(self.settings.reclose_minutes * 60, on_leader=True)(self._reclose)
        if self.settings.sources_file or self.settings.poll_default_sources:
            self.app.timer(self.settings.poll_tick_seconds, on_leader=True)(self._poll_sources)

    def _monitoring(self) -> None:
        """faust's sensor callbacks and every worker's own consumer lag, into `METRICS`."""
        self.app.sensors.add(PrometheusSensor(METRICS))
        self.app.timer(self.settings.lag_sample_seconds)(self._sample_lag)

    async def _sample_lag(self) -> None:
        await sample_consumer_lag(self.app, METRICS, self.stall)

    def _live(self) -> None:
        """The live pages: every worker reads every partition of the stories topics, without a group."""
        self.live = LiveStories()
        self.app.service(StoryFeed(self.live, self.settings.bootstrap_servers or ""))

    def _scheduled_close(self, lens: Lens) -> Any:
        async def close_yesterday() -> None:
            day = dayclose.day_to_close(lens, now())
            await self.close_day(lens.slug, day, f"scheduled-{day}")
        close_yesterday.__name__ = f"close_{lens.slug.replace('-', '_')}"
        return close_yesterday

    async def _reclose(self) -> None:
        """Late items within the allowed lateness produce a new revision at the next round."""
        moment = now()
        for lens in self.lenses:
            day = dayclose.day_to_close(lens, moment)
            deadline = close_deadline(lens, day)
            opened = deadline - timedelta(hours=lens.allowed_lateness_hours)  # the scheduled close
            if opened < moment <= deadline:
                await self.close_day(lens.slug, day, f"reclose-{moment:%Y%m%dT%H%M}")

    async def close_day(self, lens: str, day: str, close_id: str) -> None:
        topic = self.topics[topics.ENRICHED.name]
        for marker in dayclose.close_markers(lens, day, close_id, self.settings.partitions, now()):
            await topic.send(key=lens.encode(), value=encode(marker), partition=marker.partition)

    async def _poll_sources(self) -> None:
        """Polls the sources that are due (`streams.ingest.poller`): the configured file, else the shipped
        default list when the machine is online. One poller per worker keeps robots.txt, rate
        limits and state between ticks; a failing source is recorded there, never raised here."""
        from streams.ingest.poller import SourceList, build_poller

        if getattr(self, "_poller", None) is None:
            self._poller = build_poller(self.settings, self.produce_raw, self.send_letters)
            self._source_list = SourceList(self.settings)
        await self._poller.poll_due(await self._source_list.current())

    async def produce_raw(self, items: list[Any]) -> None:
        """A poll of one source, or a push, in bundles (`streams.stages.bundles`), partitioned as
        this worker declared the raw topic."""
        records = bundled(items, self.settings.partitions, self.settings.bundle_items)
        # by key: the producer's partitioner puts each bundle on the partition `bundled` grouped it by
        await self.send([Out(topics.RAW_ITEMS, r.key, r.value) for r in records])
        for source, count in Counter(item.source or "push" for item in items).items():
            METRICS.items_ingested.labels(source).inc(count)

    async def ingest_push(self, body: bytes) -> tuple[int, list[str]]:
        parsed = parse_push(body, now())
        items = [p for p in parsed if not isinstance(p, IngestError)]
        errors = [p for p in parsed if isinstance(p, IngestError)]
        await self.produce_raw(items)
        origin = Origin(topic="http:/ingest")
        await self.send([self.flow.dead("ingest", e, e.payload, origin, now()) for e in errors])
        return len(items), [str(e) for e in errors]


def _partition(key: str, spec: topics.TopicSpec, settings: Settings) -> int:
    """The partition of `key` (a stable hash) on the topic as `Topology._topic` declares it."""
    return zlib.crc32(key.encode()) % (settings.partitions if spec.partitions > 1 else 1)


def _make_current(event: Any) -> None:
    """Make `event` faust's current event in this task. A table write sends its changelog record
    to the partition of the current event; in a `take_events` batch faust sets it only in the
    task that fills the buffer, so the agent sets it for each record it handles."""
    faust.streams._current_event.set(weakref.ref(event))


def _origin(event: Any) -> Origin:
    message = event.message
    key = message.key.decode(errors="replace") if isinstance(message.key, bytes) else None
    return Origin(topic=message.topic, partition=message.partition, offset=message.offset, key=key)
