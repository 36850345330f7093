"""One small pure module per source type: bytes in, `RawItem`s out, `IngestError` for anything
else. The poller (`streams.ingest.poller`) fetches; these only read.

    feeds      rss, atom, feed (RSS/Atom/RDF via feedparser) and arxiv (papers)
    jsonfeed   JSON Feed 1.x
    hackernews hn: topstories ids, then one item per id (two steps, driven by the poller)
    reddit     subreddit listings
    bluesky    getAuthorFeed (posts)
    mastodon   account statuses or tag timelines (posts)
    x          X API v2 timelines (tweets; metered, off by default)
    fulltext   main text of an article page (trafilatura)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models.items import RawItem
from streams.ingest.adapters import bluesky, feeds, jsonfeed, mastodon, reddit, x
from streams.ingest.sources import Source

Parse = Callable[[bytes, Source, datetime], list[RawItem]]

PARSERS: dict[str, Parse] = {
    "feed": feeds.parse, "rss": feeds.parse, "atom": feeds.parse, "arxiv": feeds.parse_arxiv,
    "jsonfeed": jsonfeed.parse, "reddit": reddit.parse, "bluesky": bluesky.parse, "mastodon": mastodon.parse,
    "x": x.parse,
}

__all__ = ["PARSERS", "Parse", "parse"]


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    """The one-document source types (not hn, whose items come one request each, nor jsonl)."""
    return PARSERS[source.type](body, source, observed)
