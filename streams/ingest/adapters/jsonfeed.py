"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1). Pure."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.items import RawItem
from streams.ingest.adapters.common import aware, item_id, language, load, make_item, plain
from streams.ingest.parse import IngestError
from streams.ingest.sources import Source


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    url: str | None = None
    external_url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: datetime | None = None
    date_modified: datetime | None = None
    language: str | None = None


class _Feed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: str
    title: str = ""
    language: str | None = None
    items: list[_Item] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _json_feed(cls, value: str) -> str:
        if not value.startswith(("https://jsonfeed.org/version/1", "http://jsonfeed.org/version/1")):
            raise ValueError(f"not a JSON Feed version: {value[:80]!r}")
        return value


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    feed = load(_Feed, body, source.url)
    return [_item(entry, feed, source, observed) for entry in feed.items]


def _item(entry: _Item, feed: _Feed, source: Source, observed: datetime) -> RawItem:
    url = entry.url or entry.external_url or ""
    text = entry.content_text or plain(entry.content_html or "") or entry.summary or ""
    if not (url or entry.title or text):
        raise IngestError(source.url, f"item {entry.id!s:.80} has no url, title or text")
    return make_item(id=item_id("jsonfeed", f"{source.url}|{entry.id}"), source=source.name, url=url,
                     title=plain(entry.title or ""), text=plain(text),
                     published_at=aware(entry.date_published or entry.date_modified), kind="article",
                     lang=language(entry.language or feed.language), observed_at=observed)
