"""Exact dedup: tells a redelivered item from a second report of the same page. Pure.

State lives in a changelogged table keyed by the raw topic's key (the canonical-URL hash), so
it survives restarts. A record whose id was already seen is a redelivery (at-least-once Kafka,
or a feed served twice) and is dropped; a new id with a known URL is a duplicate report and
goes on marked `duplicate_of`, so every input id is still accounted for.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Literal

MAX_IDS_PER_URL = 64

Seen = Literal["new", "duplicate", "redelivery"]


def check_and_remember(store: MutableMapping[str, Any], key: str, item_id: str, day: str) -> tuple[Seen, str | None]:
    """Classify an arrival and record it; returns the verdict and the first id seen for the URL."""
    entry = store.get(key)
    if entry is None:
        store[key] = {"first": item_id, "ids": [item_id], "day": day}
        return "new", None
    if item_id in entry["ids"]:
        return "redelivery", entry["first"]
    ids = (entry["ids"] + [item_id])[-MAX_IDS_PER_URL:]
    store[key] = {**entry, "ids": ids}
    return "duplicate", entry["first"]
