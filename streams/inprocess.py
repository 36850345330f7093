"""The worker's flow in one process, over dicts: the agents' calls into `streams.flow`, in the
order the faust agents in `streams.topology` make them, with every record encoded and routed
between them as the topics route it (keyed, partitioned). No broker, no faust.

`usul eval` replays a labeled day through it, and the agent tests run the sample day through it;
what the worker adds around these calls is faust's: awaiting sends, the current event for table
writes, and an executor for the hand-over and the draft.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from models import topics
from models.codec import encode
from models.dead_letters import Origin
from models.lens import Lens
from streams.flow import DayRound, Flow, HandOver, JudgedTally, Out
from streams.metrics import Metrics
from streams.stages import dayclose

Records = Iterable[tuple[bytes | None, Origin]]


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
        self._route(self.normalise([(payload, Origin(topics.RAW_ITEMS.name))]))

    def close(self, lens: str, day: str, close_id: str) -> None:
        """A close round as the scheduler starts one: a marker into every enriched partition."""
        for marker in dayclose.close_markers(lens, day, close_id, self.partitions, self.now):
            self.enriched(encode(marker), marker.partition)

    def on(self, spec: topics.TopicSpec) -> list[BaseModel]:
        return [out.value for out in self.published if out.topic is spec]

    def enriched(self, payload: bytes, partition: int) -> None:
        """One record delivered to a partition of the enriched topic."""
        self._route(self.cluster([(payload, Origin(topics.ENRICHED.name, partition))], partition))

    # the agents' bodies (`Topology._normalise`, `_cluster`, `_assemble`): what each sends -----
    def normalise(self, records: Records) -> list[Out]:
        """One batch of raw records; the batch's judged items go last."""
        judged = JudgedTally()
        outs: list[Out] = []
        for payload, origin in records:
            outs += self.flow.on_raw_record(payload, self.seen, origin, self.now, judged)
        return outs + judged.records()

    def cluster(self, records: Records, partition: int) -> list[Out]:
        """One run of enriched records of a partition; a close marker's hand-over in its place."""
        outs: list[Out] = []
        for step in self.flow.enriched_steps(records, self.state[partition], self.now):
            outs += self.flow.hand_over(step) if isinstance(step, HandOver) else step
        return outs

    def assemble(self, payload: bytes | None, origin: Origin) -> list[Out]:
        """One day-part record: kept, and once its round is complete, drafted and published."""
        try:
            taken = self.flow.take_day_part(payload, self.assembly, origin, self.now)
            if not isinstance(taken, DayRound):
                return taken
            draft = self.flow.draft_brief(taken, self.now)
            return self.flow.publish_draft(taken, draft, self.assembly, self.now)
        except Exception as exc:  # noqa: BLE001 - as in the agent: one bad round is dead-lettered
            return [self.flow.dead("assemble", exc, payload, origin, self.now)]

    def _route(self, outs: list[Out]) -> None:
        for out in outs:
            self.published.append(out)
            if out.topic is topics.ENRICHED:
                # a stable hash: the same day lands on the same partitions in every run
                self.enriched(encode(out.value), zlib.crc32(out.key.encode()) % self.partitions)
            elif out.topic is topics.DAY_PARTS:
                self._route(self.assemble(encode(out.value), Origin(topics.DAY_PARTS.name)))
