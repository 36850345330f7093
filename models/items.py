"""News items as they travel: raw (as ingested) and enriched (normalised, judged per lens). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TimeBasis = Literal["published", "date", "observed"]


class RawItem(BaseModel):
    """One item exactly as a source gave it, plus when Usul first saw it.

    The first eight fields are the archive format of the real feeds; `published_at` may be
    missing or date-only. `observed_at` is stamped by ingestion and is the fallback clock.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=512)
    source: str = Field(default="", max_length=512)
    url: str = Field(default="", max_length=4096)
    title: str = Field(default="", max_length=2048)
    text: str = Field(default="", max_length=200_000)
    published_at: datetime | None = None
    kind: str = "article"
    lang: str = "en"
    observed_at: AwareDatetime | None = None


class EnrichedItem(BaseModel):
    """An item after normalisation and the lens's relevance decision: one record per (item, lens)."""

    model_config = ConfigDict(frozen=True)

    record: Literal["item"] = "item"
    id: str
    lens: str
    source: str
    outlet: str
    url: str
    canonical_url: str
    url_key: str
    title: str
    text: str
    kind: str
    lang: str
    published_at: AwareDatetime | None
    observed_at: AwareDatetime
    event_at: AwareDatetime
    time_basis: TimeBasis
    day: str
    duplicate_of: str | None = None
    relevant: bool
    category: str | None = None
    relevance: float = 0.0
    reasons: list[str] = Field(default_factory=list)


class Judgement(BaseModel):
    """The lens's verdict on one item that only needs counting: what `usul replay` reports of it."""

    model_config = ConfigDict(frozen=True)

    id: str
    day: str
    category: str | None = None
    relevance: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    duplicate_of: str | None = None
    time_basis: TimeBasis


class ItemsJudged(BaseModel):
    """Items of one lens-day that a normalise batch judged neither relevant nor near the bar.

    The cluster stage only counts them, so they travel as verdicts in one record per batch and
    lens-day instead of one enriched item each: most items of a day are noise, and every record
    costs a produce, a consume and a decode.
    """

    model_config = ConfigDict(frozen=True)

    record: Literal["judged"] = "judged"
    lens: str
    day: str
    items: list[Judgement]
