"""The topic catalogue: every Kafka topic Usul uses, its versioned name, key, partitions and schema.

A breaking schema change needs a new version (`.v2`), which is a new topic; the contract tests
in tests/contract compare each model with its checked-in JSON Schema under models/schemas/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from models.briefs import Brief
from models.control import DayClose, DayClosed, DayPart
from models.dead_letters import DeadLetter
from models.items import EnrichedItem, ItemsJudged, RawRecord
from models.stories import StoryDelta, StorySnapshot

EnrichedRecord = Annotated[EnrichedItem | ItemsJudged | DayClose, Field(discriminator="record")]


@dataclass(frozen=True)
class TopicSpec:
    """What a topic is: `family.vN` naming, what its key is, how it is partitioned and kept."""

    family: str
    version: int
    schema: Any
    key: str
    partitions: int
    compacted: bool = False
    retention_days: int = 7

    @property
    def name(self) -> str:
        return f"usul.{self.family}.v{self.version}"

    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.schema)

    def json_schema(self) -> dict[str, Any]:
        schema = self.adapter().json_schema()
        schema["$id"] = f"{self.name}.schema.json"
        return schema


# A bundle is keyed by its first item's key: every item of a bundle has a key of the same partition
# (`streams.stages.bundles`), so each item lands where its own record would have.
RAW_ITEMS = TopicSpec("items.raw", 1, RawRecord, "sha1 of the canonical URL (of the id without one); "
                      "a bundle: its first item's", 4)
ENRICHED = TopicSpec("items.enriched", 1, EnrichedRecord, "lens name", 4)
LATE_ITEMS = TopicSpec("items.late", 1, EnrichedItem, "lens name", 1)
# v2: each update says what changed (v1 carried the whole story every time); the compacted
# snapshot topic keeps every story whole now and then, keyed per story (docs/DESIGN.md)
STORIES = TopicSpec("stories", 2, StoryDelta, "lens:day", 4)
STORY_SNAPSHOTS = TopicSpec("story-snapshots", 1, StorySnapshot, "lens:day:story_id", 4, compacted=True)
DAY_PARTS = TopicSpec("day-parts", 1, DayPart, "lens:day", 4)
DAY_CLOSED = TopicSpec("day-closed", 1, DayClosed, "lens:day", 1, compacted=False, retention_days=365)
BRIEFS = TopicSpec("briefs", 1, Brief, "lens:day:revision", 1, compacted=True, retention_days=3650)
DEAD_LETTERS = TopicSpec("deadletters", 1, DeadLetter, "stage", 1, retention_days=30)

CATALOGUE: tuple[TopicSpec, ...] = (
    RAW_ITEMS, ENRICHED, LATE_ITEMS, STORIES, STORY_SNAPSHOTS, DAY_PARTS, DAY_CLOSED, BRIEFS, DEAD_LETTERS,
)

