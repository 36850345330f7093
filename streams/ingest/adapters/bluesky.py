"""Bluesky public posts: the AppView's `app.bsky.feed.getAuthorFeed` JSON
(`https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=<handle>&filter=posts_no_replies`).

Each post is a "post" item labelled "Bluesky @handle" (Key Tweets reads these); reposts of other
accounts are left out: they are the other account's words. Pure.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models.items import RawItem
from streams.ingest.adapters.common import aware, load, make_item, plain
from streams.ingest.sources import Source


class _Author(BaseModel):
    model_config = ConfigDict(extra="ignore")
    did: str = ""
    handle: str


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str = ""
    createdAt: datetime | None = None  # noqa: N815 - the lexicon's name
    langs: list[str] = Field(default_factory=list)


class _Post(BaseModel):
    model_config = ConfigDict(extra="ignore")
    uri: str
    author: _Author
    record: _Record
    indexedAt: datetime | None = None  # noqa: N815


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    post: _Post
    reason: dict[str, object] | None = None


class _AuthorFeed(BaseModel):
    model_config = ConfigDict(extra="ignore")
    feed: list[_Entry]


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    document = load(_AuthorFeed, body, source.url)
    return [_item(e.post, source, observed) for e in document.feed if e.reason is None and e.post.record.text]


def _item(post: _Post, source: Source, observed: datetime) -> RawItem:
    rkey = post.uri.rstrip("/").rsplit("/", 1)[-1]
    handle = post.author.handle
    text = plain(post.record.text)
    return make_item(id=f"bsky:{post.uri}", source=f"Bluesky @{handle}",
                     url=f"https://bsky.app/profile/{handle}/post/{rkey}", title=_title(text), text=text,
                     published_at=aware(post.record.createdAt or post.indexedAt), kind="post",
                     lang=(post.record.langs or ["en"])[0].split("-")[0].lower()[:16], observed_at=observed)


def _title(text: str, limit: int = 120) -> str:
    """Posts have no headline: the first sentence, or the first words, stands in."""
    first = text.split(". ")[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"
