"""Reading one feed for `usul produce`: from a local file, or from an http(s) URL through the
guarded, polite fetcher (`streams.ingest.fetch`) with the fetch settings of `Settings`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from models.items import RawItem
from streams.ingest.fetch import FetchPolicy, fetch_blocking
from streams.ingest.parse import parse_feed
from streams.settings import Settings

MAX_FEED_BYTES = 10 * 1024 * 1024


def read_feed_source(location: str, observed: datetime, timeout: float = 20.0) -> list[RawItem]:
    """The items of the feed at `location`, a file path or an http(s) URL."""
    if location.startswith(("http://", "https://")):
        return parse_feed(_fetch(location, timeout), location, observed)
    return parse_feed(Path(location).read_bytes(), Path(location).name, observed)


def _fetch(url: str, timeout: float) -> bytes:
    policy = FetchPolicy.from_settings(Settings())
    policy = FetchPolicy(**{**policy.__dict__, "timeout": timeout, "max_bytes": min(policy.max_bytes, MAX_FEED_BYTES)})
    return fetch_blocking(url, policy).body
