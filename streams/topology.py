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
from datetime import datetime, timedelta, timezone
from typing import Any

import faust

from models import topics
from models.codec import decode, encode
from models.lens import Lens
from sinks.files import FileSink
from streams import dayclose
from streams.brokers import FAUST_SETTINGS
from streams.flow import Flow, Origin, Out
from streams.ingest import IngestError, parse_push, read_feed_source
from streams.lenses import load_lens
from streams.metrics import METRICS
from streams.normalise import close_deadline
from streams.produce import raw_key
from streams.settings import Settings
from streams.sources import load_sources
from streams.state import PartitionView
from streams.webviews import register_pages



def now() -> datetime:
    return datetime.now(timezone.utc)


def create_app(settings: Settings) -> faust.App:
    lenses = [load_lens(slug) for slug in settings.lenses]
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.bootstrap_servers}",
        store=settings.store,
        topic_partitions=settings.partitions,
        topic_allow_declare=settings.topic_creation,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_enabled=True,
        producer_max_request_size=4 * 1024 * 1024,
        **{**FAUST_SETTINGS[settings.broker_flavour], **_replication(settings)},
    )
    Topology(app, settings, lenses)
    return app


def _replication(settings: Settings) -> dict[str, Any]:
    return {"topic_replication_factor": settings.replication_factor,
            "table_standby_replicas": 0 if settings.replication_factor == 1 else 1}


class Topology:
    """Declares everything on the app; one instance per worker process."""

    def __init__(self, app: faust.App, settings: Settings, lenses: list[Lens]) -> None:
        self.app, self.settings, self.lenses = app, settings, lenses
        self.flow = Flow(lenses, METRICS)
        self.sink = FileSink(settings.output_dir)
        self.topics = {spec.name: self._topic(spec) for spec in topics.CATALOGUE}
        self.seen = self._table("seen")
        self.stories = self._table("stories")
        self.assembly = self._table("assembly")
        self._agents()
        self._timers()
        register_pages(app, self)

    def _topic(self, spec: topics.TopicSpec) -> Any:
        partitions = self.settings.partitions if spec.partitions > 1 else 1
        return self.app.topic(spec.name, key_type=bytes, value_type=bytes, key_serializer="raw",
                              value_serializer="raw", partitions=partitions)

    def _table(self, name: str) -> Any:
        schema = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")
        return self.app.Table(name, default=None, partitions=self.settings.partitions, schema=schema)

    async def send(self, outs: list[Out]) -> None:
        for out in outs:
            await self.topics[out.topic.name].send(key=out.key.encode(), value=encode(out.value))

    # agents ------------------------------------------------------------------------------------
    def _agents(self) -> None:
        self.app.agent(self.topics[topics.RAW_ITEMS.name], name="normalise")(self._normalise)
        self.app.agent(self.topics[topics.ENRICHED.name], name="cluster")(self._cluster)
        self.app.agent(self.topics[topics.DAY_PARTS.name], name="assemble")(self._assemble)
        self.app.agent(self.topics[topics.BRIEFS.name], name="file-sink")(self._deliver)

    async def _normalise(self, stream: Any) -> None:
        async for event in stream.events():
            with METRICS.stage_seconds.labels("normalise").time():
                outs = self.flow.on_raw(event.value, self.seen, _origin(event), now())
            await self.send(outs)

    async def _cluster(self, stream: Any) -> None:
        async for event in stream.events():
            state = PartitionView(self.stories, event.message.partition)
            with METRICS.stage_seconds.labels("cluster").time():
                outs = self.flow.on_enriched(event.value, state, _origin(event), now())
            await self.send(outs)

    async def _assemble(self, stream: Any) -> None:
        async for event in stream.events():
            state = PartitionView(self.assembly, event.message.partition)
            with METRICS.stage_seconds.labels("assemble").time():
                outs = self.flow.on_day_part(event.value, state, _origin(event), now())
            await self.send(outs)

    async def _deliver(self, stream: Any) -> None:
        async for event in stream.events():
            try:
                brief = decode(topics.BRIEFS, event.value)
            except ValueError as exc:
                await self.send([self.flow.dead("file-sink", exc, event.value, _origin(event), now())])
                continue
            result = await asyncio.get_running_loop().run_in_executor(None, self.sink.deliver, brief)
            METRICS.sink_deliveries.labels("files", result.status).inc()

    # timers --------------------------------------------------------------------------------------
    def _timers(self) -> None:
        for lens in self.lenses:
            cron = f"{lens.publish_time.minute} {lens.publish_time.hour} * * *"
            self.app.crontab(cron, timezone=lens.zone, on_leader=True)(self._scheduled_close(lens))
        self.app.timer(self.settings.reclose_minutes * 60, on_leader=True)(self._reclose)
        if self.settings.sources_file:
            self.app.timer(self.settings.poll_minutes * 60, on_leader=True)(self._poll_sources)

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
        loop = asyncio.get_running_loop()
        for source in load_sources(self.settings.sources_file):
            try:
                items = await loop.run_in_executor(None, read_feed_source, source.location, now())
            except (IngestError, OSError, ValueError) as exc:
                METRICS.dead_letters.labels("ingest", type(exc).__name__).inc()
                continue
            await self.produce_raw(items)

    async def produce_raw(self, items: list[Any]) -> None:
        topic = self.topics[topics.RAW_ITEMS.name]
        for item in items:
            await topic.send(key=raw_key(item), value=encode(item))
            METRICS.items_ingested.labels(item.source or "push").inc()

    async def ingest_push(self, body: bytes) -> tuple[int, list[str]]:
        parsed = parse_push(body, now())
        items = [p for p in parsed if not isinstance(p, IngestError)]
        errors = [p for p in parsed if isinstance(p, IngestError)]
        await self.produce_raw(items)
        origin = Origin(topic="http:/ingest")
        await self.send([self.flow.dead("ingest", e, e.payload, origin, now()) for e in errors])
        return len(items), [str(e) for e in errors]


def _origin(event: Any) -> Origin:
    message = event.message
    key = message.key.decode(errors="replace") if isinstance(message.key, bytes) else None
    return Origin(topic=message.topic, partition=message.partition, offset=message.offset, key=key)
