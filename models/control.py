"""Control records for the day close: markers into every partition, and per-partition parts. Pure."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from models.stories import Confidence, Story, Tier


class DayClose(BaseModel):
    """Asks the partition that reads it to hand over its part of a lens-day.

    Produced into every partition of the enriched topic, so it is ordered after every item that
    partition received before it. `close_id` names one close round (scheduled or requested).
    """

    record: Literal["close"] = "close"
    lens: str
    day: str
    close_id: str
    partition: int = Field(ge=0)
    partitions: int = Field(ge=1)
    requested_at: AwareDatetime


class DayPart(BaseModel):
    """One chunk of one partition's stories of a lens-day for one close round.

    A partition's part is sent as `chunks` records so no record outgrows the broker's size limit;
    the assembler joins every chunk of every partition before it builds the brief.
    """

    lens: str
    day: str
    close_id: str
    partition: int
    partitions: int
    chunk: int = Field(ge=0)
    chunks: int = Field(ge=1)
    stories: list[Story]
    items_seen: int
    items_relevant: int


class RankedStory(BaseModel):
    """A story's place in a closed day, without its texts."""

    story_id: str
    rank: int
    tier: Tier
    score: float
    confidence: Confidence
    category: str | None
    headline: str
    items: list[str]
    developing_since: str | None = None


class DayClosed(BaseModel):
    """The outcome of one close round: which revision it produced (or that nothing changed)."""

    lens: str
    day: str
    close_id: str
    revision: int
    changed: bool
    brief_id: str
    items_seen: int
    items_relevant: int
    stories: list[RankedStory]
    closed_at: AwareDatetime
