"""Stories: clusters of items that report one development, with score and confidence. Pure."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

Tier = Literal["top", "noteworthy", "minor"]
Confidence = Literal["high", "medium", "low"]


class StoryMember(BaseModel):
    """The facts about one member item that a brief needs to cite it."""

    id: str
    source: str
    outlet: str
    url: str
    canonical_url: str
    title: str
    text: str
    kind: str
    lang: str
    published_at: AwareDatetime | None
    event_at: AwareDatetime
    primary: bool = False


class Story(BaseModel):
    """One development of one lens-day, as it stands after its latest member joined."""

    story_id: str
    lens: str
    day: str
    category: str | None
    members: list[StoryMember]
    first_seen: AwareDatetime
    last_updated: AwareDatetime
    score: float = 0.0
    confidence: Confidence = "low"
    score_reasons: list[str] = Field(default_factory=list)
    developing_since: str | None = None
    rank: int | None = None
    tier: Tier | None = None

    @property
    def item_ids(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def outlets(self) -> list[str]:
        return sorted({m.outlet for m in self.members})
