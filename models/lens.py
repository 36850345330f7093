"""A lens: a named point of view over the stream, loaded from a versioned file in lenses/. Pure.

Everything the stages need to judge, cluster, rank and lay out a brief for one field lives here,
so a second lens is a second file, not new code.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator


class Category(BaseModel):
    """A category of the lens and the evidence that puts an item in it."""

    description: str
    weight: float = Field(default=1.0, ge=0, description="how much the category matters for ranking")
    terms: list[str] = Field(default_factory=list, description="phrases that signal the category")


class Lens(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = 1
    name: str = Field(description="printed on the brief, e.g. AI SAFETY AND GOVERNANCE")
    description: str
    timezone: str = "UTC"
    publish_time: time = time(6, 0)
    allowed_lateness_hours: float = Field(default=6.0, ge=0)
    top_items: int = Field(default=4, ge=1)
    noteworthy_items: int = Field(default=12, ge=0)
    categories: dict[str, Category]
    source_tiers: dict[str, list[str]] = Field(
        default_factory=dict, description="tier name (primary, tier1, tier2, social, ...) -> outlets"
    )
    key_actors: list[str] = Field(
        default_factory=list,
        description="organisations whose own moves matter most; named in a headline, they raise a story's score",
    )
    classifier: dict[str, object] = Field(
        default_factory=dict, description="settings owned by streams.stages.classify (terms, thresholds)"
    )
    relevance_model: dict[str, Any] | None = Field(
        default=None, exclude=True, repr=False,
        description="the fitted relevance model (lenses/<slug>.model.json, read by streams.stages.relevance)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def next_morning_publish(timezone: str, publish_time: time, day: str) -> datetime:
    """When a lens-day's brief is published: the next morning at the lens's publish time, in its
    zone. Both the brief's edition date and the day's close deadline follow from it."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), publish_time, tzinfo=ZoneInfo(timezone))
