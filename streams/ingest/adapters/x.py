"""X (Twitter) API v2 timelines, optional and metered: `GET /2/users/:id/tweets` or
`/2/tweets/search/recent` with `expansions=author_id&user.fields=username`.

The adapter is off unless a bearer token is set and a daily read cap above zero: X bills per post
read, so the poller asks `allowance` before every call and refuses when the day's cap is reached.
Posts become "tweet" items labelled "X @username". Pure.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from models.items import RawItem
from streams.ingest.adapters.bluesky import _title
from streams.ingest.adapters.common import aware, language, load, make_item, plain
from streams.ingest.sources import Source

MIN_RESULTS = 5  # the API refuses max_results below 5
MAX_RESULTS = 100


class _Tweet(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    text: str = ""
    author_id: str | None = None
    created_at: datetime | None = None
    lang: str | None = None


class _User(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    username: str


class _Includes(BaseModel):
    model_config = ConfigDict(extra="ignore")
    users: list[_User] = Field(default_factory=list)


class _Timeline(BaseModel):
    model_config = ConfigDict(extra="ignore")
    data: list[_Tweet] = Field(default_factory=list)
    includes: _Includes = Field(default_factory=_Includes)


def allowance(cap: int, used: int, wanted: int) -> int:
    """How many posts this call may read: 0 (refuse) when the cap is spent or below the API minimum."""
    left = cap - used
    return 0 if left < MIN_RESULTS else min(wanted, left, MAX_RESULTS)


def request_url(source: Source, max_results: int) -> str:
    parts = urlsplit(source.url)
    query = dict(parse_qsl(parts.query))
    query.update({"max_results": str(max(MIN_RESULTS, max_results)), "expansions": "author_id",
                  "user.fields": "username", "tweet.fields": "created_at,lang,author_id"})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    timeline = load(_Timeline, body, source.url)
    users = {u.id: u.username for u in timeline.includes.users}
    return [_item(t, users.get(t.author_id or ""), source, observed) for t in timeline.data if t.text]


def _item(tweet: _Tweet, username: str | None, source: Source, observed: datetime) -> RawItem:
    text = plain(tweet.text)
    url = f"https://x.com/{username}/status/{tweet.id}" if username else f"https://x.com/i/web/status/{tweet.id}"
    return make_item(id=f"x:{tweet.id}", source=f"X @{username}" if username else source.name, url=url,
                     title=_title(text), text=text, published_at=aware(tweet.created_at), kind="tweet",
                     lang=language(tweet.lang), observed_at=observed)
