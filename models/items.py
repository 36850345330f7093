"""News items as they travel: raw (as ingested) and enriched (normalised, judged per lens). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

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


# What one bundle may hold. Producers cut bundles smaller (`streams.stages.bundles`): by count
# (USUL_BUNDLE_ITEMS) and by bytes, to stay under Kafka's record size limit.
MAX_BUNDLE_ITEMS = 1000


class RawBundle(BaseModel):
    """Many raw items in one record of the raw topic: what Usul's producers send.

    Every record costs the worker a consume, a decode and faust's per-event work whatever it
    carries, so ingestion sends the items of a poll, a file or a replay in bundles. `id` names the
    bundle (a digest of its items' ids), not an item.
    """

    model_config = ConfigDict(frozen=True)

    record: Literal["bundle"] = "bundle"
    id: str = Field(min_length=1, max_length=512)
    items: list[RawItem] = Field(min_length=1, max_length=MAX_BUNDLE_ITEMS)


# The JSON Schema of a bundle's items (each a `RawItem`), and that `items` comes with `record:
# "bundle"` only.
_BUNDLE_ITEMS_SCHEMA = {"type": "array", "items": RawItem.model_json_schema(),
                        "minItems": 1, "maxItems": MAX_BUNDLE_ITEMS}
_BUNDLE_RULES = {"if": {"properties": {"record": {"const": "bundle"}}, "required": ["record"]},
                 "then": {"required": ["items"]}, "else": {"properties": {"items": {"type": "null"}}}}


class RawRecord(RawItem):
    """A record of the raw topic: one item (`record` absent or "item", as every record was before
    bundles), or a bundle (`record: "bundle"`, `id`, `items`: a `RawBundle`).

    The topic's schema, and what the normalise stage decodes a record with. A bundle's items are
    taken here as plain objects and validated one by one (`streams.stages.bundles.unbundle`): one
    bad item is that item's dead letter, and the rest of its bundle goes on. The JSON Schema says
    what a valid item is all the same.
    """

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, json_schema_extra=_BUNDLE_RULES)

    record: Literal["item", "bundle"] = "item"
    items: Annotated[list[dict[str, Any]], WithJsonSchema(_BUNDLE_ITEMS_SCHEMA)] | None = Field(
        default=None, min_length=1, max_length=MAX_BUNDLE_ITEMS)

    @model_validator(mode="after")
    def _items_only_in_bundles(self) -> RawRecord:
        if self.record == "bundle" and self.items is None:
            raise ValueError("a bundle needs its items")
        if self.record == "item" and self.items is not None:
            raise ValueError('items come in a bundle: set "record": "bundle"')
        return self


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
