"""Hacker News through its official Firebase API: `topstories.json` (ids), then `item/<id>.json`.

Stories become "post" items whose URL is the discussion page (the story is HN's, not the
article's: the linked article is named in the text and arrives from its own feed). Pure.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, RootModel

from models.items import RawItem
from streams.ingest.adapters.common import from_epoch, load, make_item, plain
from streams.ingest.sources import Source

DISCUSSION = "https://news.ycombinator.com/item?id={id}"


class _Ids(RootModel[list[int]]):
    pass


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    type: str = "story"
    by: str | None = None
    time: float | None = None
    title: str | None = None
    url: str | None = None
    text: str | None = None
    score: int | None = None
    deleted: bool = False
    dead: bool = False


def story_ids(body: bytes, source: Source) -> list[int]:
    return load(_Ids, body, source.url).root[:source.max_items]


def item_url(source: Source, story: int) -> str:
    """`.../v0/topstories.json` -> `.../v0/item/<id>.json`."""
    return urljoin(source.url, f"item/{story}.json")


def parse_item(body: bytes, source: Source, observed: datetime) -> RawItem | None:
    """One item; None for deleted, dead or non-story items (and `null`, HN's answer for unknown ids)."""
    if body.strip() == b"null":
        return None
    item = load(_Item, body, f"{source.url} item")
    if item.deleted or item.dead or item.type not in ("story", "job", "poll") or not item.title:
        return None
    link = f"Link: {item.url}. " if item.url else ""
    points = f" {item.score} points." if item.score is not None else ""
    return make_item(id=f"hn:{item.id}", source=source.name, url=DISCUSSION.format(id=item.id),
                     title=plain(item.title), text=(link + plain(item.text or "") + points).strip(),
                     published_at=from_epoch(item.time), kind="post", lang="en", observed_at=observed)
