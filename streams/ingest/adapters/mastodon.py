"""Mastodon public posts: `/api/v1/accounts/:id/statuses` or `/api/v1/timelines/tag/:tag` JSON.

Each status is a "post" item labelled "Mastodon @user@host"; boosts are left out (they are the
other account's words). The source URL is the statuses endpoint, or a profile URL
(`https://host/@user`) that the poller resolves once through `/api/v1/accounts/lookup`. Pure.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, RootModel

from models.items import RawItem
from streams.ingest.adapters.bluesky import _title
from streams.ingest.adapters.common import aware, language, load, make_item, plain
from streams.ingest.sources import Source


class _Account(BaseModel):
    model_config = ConfigDict(extra="ignore")
    acct: str
    url: str = ""


class _Status(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    uri: str = ""
    url: str | None = None
    created_at: datetime | None = None
    content: str = ""
    spoiler_text: str = ""
    language: str | None = None
    visibility: str = "public"
    account: _Account
    reblog: dict[str, object] | None = None


class _Statuses(RootModel[list[_Status]]):
    pass


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    statuses = load(_Statuses, body, source.url).root
    wanted = [s for s in statuses if s.reblog is None and s.visibility in ("public", "unlisted") and s.content]
    return [_item(s, source, observed) for s in wanted]


def _item(status: _Status, source: Source, observed: datetime) -> RawItem:
    handle = _handle(status.account, source.url)
    text = plain(status.content)
    url = status.url or status.uri or f"{source.url}#{status.id}"
    return make_item(id=f"mastodon:{status.uri or url}", source=f"Mastodon @{handle}", url=url,
                     title=_title(text), text=text, published_at=aware(status.created_at), kind="post",
                     lang=language(status.language), observed_at=observed)


def _handle(account: _Account, api_url: str) -> str:
    """`acct` is `user` for the instance's own accounts and `user@host` for others."""
    if "@" in account.acct:
        return account.acct
    host = urlsplit(account.url).hostname or urlsplit(api_url).hostname or "unknown"
    return f"{account.acct}@{host}"


class _Found(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str


_PROFILE = re.compile(r"^(https?://[^/]+)/@([A-Za-z0-9_.-]+)/?$")


def lookup_url(url: str) -> str | None:
    """A profile URL (`https://host/@user`) needs its account id first: the lookup call for it."""
    match = _PROFILE.match(url)
    return f"{match.group(1)}/api/v1/accounts/lookup?acct={match.group(2)}" if match else None


def statuses_url(profile_url: str, lookup_body: bytes, limit: int) -> str:
    """The public statuses of the looked-up account, without replies and boosts."""
    found = load(_Found, lookup_body, profile_url)
    origin = _PROFILE.match(profile_url).group(1)  # type: ignore[union-attr] - checked by lookup_url
    return f"{origin}/api/v1/accounts/{found.id}/statuses?exclude_replies=true&exclude_reblogs=true&limit={limit}"
