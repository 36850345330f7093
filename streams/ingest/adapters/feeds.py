"""RSS, Atom, RDF and arXiv listings (feedparser, behind the entity guard in `streams.ingest.parse`). Pure."""

from __future__ import annotations

import re
from datetime import datetime

from models.items import RawItem
from streams.ingest.parse import parse_feed
from streams.ingest.sources import Source

_ARXIV_PREAMBLE = re.compile(r"^arXiv:\S+\s+Announce Type:\s*\S+\s+Abstract:\s*", re.IGNORECASE)


def parse(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    items = parse_feed(body, source.url, observed)
    return [item.model_copy(update={"source": source.name}) for item in items]


def parse_arxiv(body: bytes, source: Source, observed: datetime) -> list[RawItem]:
    """The arXiv API's Atom and the rss.arxiv.org listings: papers, without the listing preamble."""
    items = parse_feed(body, source.url, observed)
    return [item.model_copy(update={"source": source.name, "kind": "paper", "text": _ARXIV_PREAMBLE.sub("", item.text),
                                    "title": " ".join(item.title.split())})
            for item in items]
