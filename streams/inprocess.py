"""The worker's flow in one process, over dicts: the same `streams.flow` functions the faust
agents call, with every record encoded and routed between them as the topics route it (keyed,
partitioned). No broker, no faust.

`usul eval` replays a labeled day through it, and the agent tests run the sample day through it;
the topology module wires the same functions to real topics.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from models import topics
from models.codec import encode
from models.dead_letters import Origin
from models.lens import Lens
from streams.flow import Flow, Out
from streams.metrics import Metrics
from streams.stages import dayclose


class InProcessPipeline:
    """Raw items in, every `Out` the stages published kept in order (`published`, `on`)."""

    def __init__(self, lenses: list[Lens], now: datetime, partitions: int = 3) -> None:
        self.flow = Flow(lenses, Metrics(CollectorRegistry()))
        self.now, self.partitions = now, partitions
        self.seen: dict = {}
        self.state: dict[int, dict] = {p: {} for p in range(partitions)}
        self.assembly: dict = {}
        self.published: list[Out] = []

    def raw(self, payload: bytes) -> None:
        self._route(self.flow.on_raw(payload, self.seen, Origin(topics.RAW_ITEMS.name), self.now))

    def close(self, lens: str, day: str, close_id: str) -> None:
        """A close round as the scheduler starts one: a marker into every enriched partition."""
        for marker in dayclose.close_markers(lens, day, close_id, self.partitions, self.now):
            self.enriched(encode(marker), marker.partition)

    def on(self, spec: topics.TopicSpec) -> list[BaseModel]:
        return [out.value for out in self.published if out.topic is spec]

    def enriched(self, payload: bytes, partition: int) -> None:
        """One record delivered to a partition of the enriched topic."""
        origin = Origin(topics.ENRICHED.name, partition)
        self._route(self.flow.on_enriched(payload, self.state[partition], origin, self.now))

    def _route(self, outs: list[Out]) -> None:
        for out in outs:
            self.published.append(out)
            if out.topic is topics.ENRICHED:
                # a stable hash: the same day lands on the same partitions in every run
                self.enriched(encode(out.value), zlib.crc32(out.key.encode()) % self.partitions)
            elif out.topic is topics.DAY_PARTS:
                origin = Origin(topics.DAY_PARTS.name)
                self._route(self.flow.on_day_part(encode(out.value), self.assembly, origin, self.now))
