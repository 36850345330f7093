"""Reddit listings (`https://www.reddit.com/r/<sub>/new.json`): posts with the permalink as URL. Pure."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.items import RawItem
from streams.ingest.adapters.common import from_epoch, load, make_item, plain
from streams.ingest.parse import IngestError
from streams.ingest.sources import Source


class _Post(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    title: str = ""
    selftext: str = ""
    url: str | None = None
    permalink: str
    created_utc: float | None = None
    subreddit: str = ""
    is_self: bool = False
    stickied: bool = False
    over_18: bool = False


class _Child(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: str
    data: dict[str, object]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")
    children: list[_Child] = Field(default_factory=list)


class _Listing(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: str
    data: _Data


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    listing = load(_Listing, body, source.url)
    posts = [_post(child.data, source) for child in listing.data.children if child.kind == "t3"]
    return [_item(p, source, observed) for p in posts if not p.stickied and not p.over_18]


def _post(data: dict[str, object], source: Source) -> _Post:
    try:
        return _Post.model_validate(data)
    except ValidationError as exc:
        raise IngestError(source.url, f"not a Reddit post: {str(exc)[:200]}") from exc


def _item(post: _Post, source: Source, observed: datetime) -> RawItem:
    link = "" if post.is_self or not post.url else f"Link: {post.url}. "
    label = f"Reddit r/{post.subreddit}" if post.subreddit else source.name
    return make_item(id=f"reddit:{post.id}", source=label, url="https://www.reddit.com" + post.permalink,
                     title=plain(post.title), text=(link + plain(post.selftext)).strip(),
                     published_at=from_epoch(post.created_utc), kind="post", lang="en", observed_at=observed)
