"""The daily brief as published on the briefs topic (see BRIEF.md for what each part means). Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, Field, computed_field, model_validator

from models.lens import Lens, next_morning_publish
from models.stories import Confidence, Tier


def publish_moment(lens: Lens, day: str) -> datetime:
    """When a lens-day's brief is published: the next morning at the lens's publish time, in its
    zone (the day is closed at that time, see the topology's schedule)."""
    return next_morning_publish(lens.timezone, lens.publish_time, day)


def edition_of(lens: Lens, day: str) -> str:
    """A brief's edition date: the date of the morning it is published, which titles it
    ("AI SAFETY AND GOVERNANCE - 2026-04-13" is the brief of lens-day 2026-04-12)."""
    return publish_moment(lens, day).date().isoformat()


def day_of_edition(lens: Lens, edition: str) -> str:
    """The lens-day an edition reports on: the inverse of `edition_of`."""
    first = date.fromisoformat(edition) - timedelta(days=2)
    return next(d for d in (first, first + timedelta(days=1), first + timedelta(days=2))
                if edition_of(lens, d.isoformat()) == edition).isoformat()


def covered_window(day: str, timezone: str) -> tuple[datetime, datetime]:
    """What a brief covers: its lens-day, midnight to midnight in the lens's zone, as UTC times."""
    zone, start = ZoneInfo(timezone), date.fromisoformat(day)
    return (datetime.combine(start, datetime.min.time(), tzinfo=zone).astimezone(UTC),
            datetime.combine(_next_day(day), datetime.min.time(), tzinfo=zone).astimezone(UTC))


def _next_day(day: str) -> date:
    return date.fromisoformat(day) + timedelta(days=1)


class SourceRef(BaseModel):
    """One numbered entry of the brief's Sources list."""

    number: int = Field(ge=1)
    outlet: str
    title: str
    url: str
    published_at: AwareDatetime | None
    item_id: str


class BriefItem(BaseModel):
    """A ranked story as the reader sees it; `sources` are numbers into `Brief.sources`."""

    story_id: str
    rank: int
    tier: Tier
    headline: str
    summary: str
    details: str
    category: str | None
    confidence: Confidence
    score: float
    sources: list[int]
    developing_since: str | None = None


class KeyTweet(BaseModel):
    """A social post that is itself evidence for a story."""

    handle: str
    text: str
    source: int
    story_id: str


class Brief(BaseModel):
    """One brief per (lens, day, revision); later revisions replace earlier ones, never silently.
    `day` is the lens-day it covers, `edition` the date it is published and titled with."""

    brief_id: str
    lens: str
    lens_name: str
    day: str
    # Optional in the schema so consumers of v1 are not broken; always filled (see below).
    edition: str = Field(default="", pattern=r"^\d{4}-\d{2}-\d{2}$",
                         description="the morning the brief is published and titled with, YYYY-MM-DD "
                                     "(the day after `day`); briefs that lack it get it when read")
    revision: int = Field(ge=1)
    created_at: AwareDatetime
    timezone: str
    executive_summary: str
    top_items: list[BriefItem]
    key_tweets: list[KeyTweet]
    noteworthy: list[BriefItem]
    sources: list[SourceRef]
    items_seen: int
    items_relevant: int
    stories_total: int
    content_hash: str

    @model_validator(mode="before")
    @classmethod
    def _edition_of_older_briefs(cls, data: Any) -> Any:
        # Briefs stored before editions were named: every lens publishes the morning after its day.
        if isinstance(data, dict) and not data.get("edition") and isinstance(data.get("day"), str):
            try:
                return {**data, "edition": _next_day(data["day"]).isoformat()}
            except ValueError:
                return data  # a day that is no date has no edition: sinks refuse the brief
        return data

    @computed_field(description="start of the covered lens-day, UTC")  # type: ignore[prop-decorator]
    @property
    def covers_from(self) -> datetime:
        return covered_window(self.day, self.timezone)[0]

    @computed_field(description="end of the covered lens-day (exclusive), UTC")  # type: ignore[prop-decorator]
    @property
    def covers_until(self) -> datetime:
        return covered_window(self.day, self.timezone)[1]

    @property
    def title(self) -> str:
        return f"{self.lens_name} - {self.edition}"

    @property
    def covers_line(self) -> str:
        """'Covers: 2026-04-11 23:00 to 2026-04-12 23:00 UTC (2026-04-12 in Europe/London)'."""
        return (f"Covers: {self.covers_from:%Y-%m-%d %H:%M} to {self.covers_until:%Y-%m-%d %H:%M} UTC "
                f"({self.day} in {self.timezone})")
