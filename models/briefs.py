"""The daily brief as published on the briefs topic (see BRIEF.md for what each part means). Pure."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from models.stories import Confidence, Tier


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
    """One brief per (lens, day, revision); later revisions replace earlier ones, never silently."""

    brief_id: str
    lens: str
    lens_name: str
    day: str
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

    @property
    def title(self) -> str:
        return f"{self.lens_name} - {self.day}"
