"""Small builders for tests: sensible defaults, override what the test is about."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from models.briefs import Brief, BriefItem, SourceRef
from models.items import EnrichedItem
from models.lens import Category, Lens
from models.stories import Story, StoryMember

DEFAULT_AT = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)


def make_item(**overrides: Any) -> EnrichedItem:
    """An EnrichedItem of lens ai-safety-governance on 2026-01-08; id and URLs follow `id`."""
    item_id = str(overrides.get("id", "item-1"))
    url = str(overrides.get("url", f"https://example.com/{item_id}"))
    at = overrides.get("event_at", DEFAULT_AT)
    fields: dict[str, Any] = {
        "id": item_id,
        "lens": "ai-safety-governance",
        "source": "example.com",
        "outlet": "example.com",
        "url": url,
        "canonical_url": url,
        "url_key": hashlib.sha1(url.encode()).hexdigest()[:16],
        "title": "A title",
        "text": "",
        "kind": "article",
        "lang": "en",
        "published_at": at,
        "observed_at": at,
        "event_at": at,
        "time_basis": "published",
        "day": at.date().isoformat(),
        "relevant": True,
        "category": None,
    }
    fields.update(overrides)
    return EnrichedItem(**fields)


def make_member(**overrides: Any) -> StoryMember:
    item_id = str(overrides.get("id", "m-1"))
    url = str(overrides.get("url", f"https://example.com/{item_id}"))
    fields: dict[str, Any] = {
        "id": item_id,
        "source": "example.com",
        "outlet": "example.com",
        "url": url,
        "canonical_url": url,
        "title": "A title",
        "text": "",
        "kind": "article",
        "lang": "en",
        "published_at": DEFAULT_AT,
        "event_at": DEFAULT_AT,
    }
    fields.update(overrides)
    return StoryMember(**fields)


def make_story(members: list[StoryMember] | None = None, **overrides: Any) -> Story:
    fields: dict[str, Any] = {
        "story_id": "s-1",
        "lens": "ai-safety-governance",
        "day": "2026-01-08",
        "category": None,
        "members": members if members is not None else [make_member()],
        "first_seen": DEFAULT_AT,
        "last_updated": DEFAULT_AT,
    }
    fields.update(overrides)
    return Story(**fields)


def make_lens(**overrides: Any) -> Lens:
    fields: dict[str, Any] = {
        "slug": "ai-safety-governance",
        "name": "AI SAFETY AND GOVERNANCE",
        "description": "test lens",
        "categories": {
            "policy-regulation": Category(description="laws and regulators", weight=1.3),
            "industry": Category(description="deals and products", weight=1.0),
        },
        "source_tiers": {
            "primary": ["openai.com", "anthropic.com", "whitehouse.gov"],
            "tier1": ["Reuters", "reuters.com", "bbc.co.uk", "nytimes.com", "ft.com"],
            "tier2": ["theverge.com", "techcrunch.com", "arstechnica.com"],
            "social": ["x.com", "reddit.com", "bsky.app"],
            "research": ["arxiv.org"],
        },
    }
    fields.update(overrides)
    return Lens(**fields)


def make_brief(**overrides: Any) -> Brief:
    """A small valid Brief (one top item, one source); override any field."""
    fields: dict[str, Any] = {
        "brief_id": "ai-safety-governance:2026-01-08:r1",
        "lens": "ai-safety-governance",
        "lens_name": "AI SAFETY AND GOVERNANCE",
        "day": "2026-01-08",
        "revision": 1,
        "created_at": datetime(2026, 1, 8, 6, 5, tzinfo=UTC),
        "timezone": "Europe/London",
        "executive_summary": "The day's main development: a lab shipped a model.",
        "top_items": [BriefItem(story_id="s-1", rank=1, tier="top", headline="Lab ships model",
                                summary="A lab shipped a model.", details="A release.", category=None,
                                confidence="high", score=1.0, sources=[1])],
        "key_tweets": [],
        "noteworthy": [],
        "sources": [SourceRef(number=1, outlet="example.com", title="Lab ships model",
                              url="https://example.com/a", published_at=DEFAULT_AT, item_id="m-1")],
        "items_seen": 10,
        "items_relevant": 2,
        "stories_total": 1,
        "content_hash": "0" * 64,
    }
    fields.update(overrides)
    return Brief(**fields)


class RecordingProducer:
    """Stands in for aiokafka's producer: what was sent, by topic, in `sent` (reset it per test)."""

    sent: list[tuple[str, bytes]] = []

    def __init__(self, **kwargs: Any) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def flush(self) -> None:
        pass

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(4))  # what `usul topics` creates by default

    async def send(self, topic: str, key: bytes, value: bytes, **kwargs: Any) -> None:
        RecordingProducer.sent.append((topic, value))
