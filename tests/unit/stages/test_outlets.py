"""Outlets: hosts, the lens's tiers (names before hosts), ranks and first-hand sources."""

from __future__ import annotations

import pytest

from streams.lenses import DEFAULT_LENS, load_lens
from streams.stages.outlets import host_of, is_primary, member_tier, tier_of, tier_rank
from tests.builders import make_lens, make_member

REAL_LENS = load_lens(DEFAULT_LENS)
BUILT_LENS = make_lens()


@pytest.mark.parametrize(("source", "url", "tier"), [
    ("reddit r/OpenAI", "https://www.reddit.com/r/OpenAI/comments/1", "social"),
    ("Hacker News (frontpage)", "https://www.wsj.com/tech/ai/story", "social"),
    ("arXiv cs.AI", "https://arxiv.org/abs/2601.1", "research"),
    ("theguardian.com", "https://www.theguardian.com/x", "tier1"),
    ("OpenAI", "https://openai.com/index/x", "primary"),
    ("X @GoogleDeepMind", "https://x.com/GoogleDeepMind/status/1", "primary"),
    ("some blog", "https://www.gov.uk/government/news/x", "primary"),
    ("机器之心", "https://mp.weixin.qq.com/s?x", "tier2"),
    ("unknown outlet", "https://example.org/x", "other"),
    ("reddit r/news", "https://www.reuters.com/world/x", "social"),
])
def test_source_tier_uses_the_name_first_then_the_host(source: str, url: str, tier: str) -> None:
    assert tier_of(REAL_LENS, (source,), (url,)) == tier


def test_tier_of_matches_names_case_insensitively_and_hosts_by_suffix() -> None:
    assert member_tier(make_member(outlet="REUTERS", url="https://example.com/a"), BUILT_LENS) == "tier1"
    assert member_tier(make_member(outlet="BBC", url="https://www.news.bbc.co.uk/a"), BUILT_LENS) == "tier1"
    assert member_tier(make_member(outlet="OpenAI", url="https://openai.com/index/x"), BUILT_LENS) == "primary"
    assert member_tier(make_member(outlet="blog", url="https://notbbc.co.uk/a"), BUILT_LENS) == "other"


def test_a_post_linking_a_listed_newsroom_is_still_a_post() -> None:
    post = make_member(outlet="reddit r/technology", source="reddit r/technology",
                       url="https://www.reuters.com/technology/x")
    assert member_tier(post, REAL_LENS) == "social"


@pytest.mark.parametrize(("url", "host"), [
    ("https://www.Example.COM:8443/a?b", "example.com"),
    ("http://news.bbc.co.uk", "news.bbc.co.uk"),
    ("https://[not-an-ip/x", ""),
    ("", ""),
])
def test_host_of_lowercases_drops_www_and_never_raises(url: str, host: str) -> None:
    assert host_of(url) == host


def test_unlisted_outlets_rank_after_every_listed_tier() -> None:
    assert [tier_rank(t) for t in ("primary", "tier1", "tier2", "research", "social")] == [0, 1, 2, 3, 4]
    assert tier_rank("other") > tier_rank("social")


def test_a_release_or_a_primary_outlet_speaks_first_hand() -> None:
    assert is_primary(make_member(kind="release"), "other")
    assert is_primary(make_member(), "primary")
    assert not is_primary(make_member(kind="article"), "tier1")
