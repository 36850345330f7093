"""Fixtures for the sink tests: briefs, and the real local servers of `tests.sinks.servers`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.briefs import Brief, BriefItem, KeyTweet, SourceRef
from streams.brief.assemble import brief_content_hash
from tests.builders import DEFAULT_AT, make_brief
from tests.sinks.servers import (
    MailBox,
    RecordingServer,
    moto_s3,
    postgres_bin,
    postgres_server,
    recording_server,
    smtp_server,
)


def brief(revision: int = 1, **overrides: Any) -> Brief:
    """A brief with a real content hash; `revision` also sets brief_id."""
    made = make_brief(revision=revision, brief_id=f"ai-safety-governance:2026-01-08:r{revision}", **overrides)
    return made.model_copy(update={"content_hash": brief_content_hash(made)})


def big_brief(top: int = 6, noteworthy: int = 60, words: int = 400) -> Brief:
    """A brief far over every chat channel's limits: long texts, many items, hostile markup."""
    text = " ".join(["<!channel> @everyone *bold* & more"] * (words // 5))
    sources = [SourceRef(number=n, outlet=f"outlet{n}.example", title=f"Title {n}", url=f"https://n{n}.example/a",
                         published_at=DEFAULT_AT, item_id=f"m-{n}") for n in range(1, 80)]

    def item(n: int, tier: str) -> BriefItem:
        return BriefItem(story_id=f"s-{tier}-{n}", rank=n, tier=tier, headline=f"Headline {n} " + text[:300],
                         summary=text, details=text, category="policy", confidence="medium", score=1.0,
                         sources=[n % 79 + 1, (n + 1) % 79 + 1])

    tweets = [KeyTweet(handle=f"@h{n}", text=text[:250], source=n + 1, story_id=f"s-top-{n}") for n in range(12)]
    return brief(executive_summary=text * 2, top_items=[item(n, "top") for n in range(1, top + 1)],
                 noteworthy=[item(n, "noteworthy") for n in range(1, noteworthy + 1)], key_tweets=tweets,
                 sources=sources)


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    with recording_server() as server:
        yield server


@pytest.fixture
def mailbox() -> Iterator[tuple[int, MailBox]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed (deploy/ci/install-services.sh installs them)")
    with postgres_server() as dsn:
        yield dsn
