"""Each source type's adapter on a fixture document of its real shape, and the invariant that
whatever bytes arrive, an adapter returns items or raises `IngestError`, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest_support import SOURCES

from streams.ingest.adapters import PARSERS, hackernews, mastodon, parse, x
from streams.ingest.adapters.fulltext import extract_text
from streams.ingest.parse import IngestError
from streams.ingest.sources import Source
from streams.stages.normalise import canonical_url

OBSERVED = datetime(2026, 1, 8, 23, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (SOURCES / name).read_bytes()


def source(kind: str, name: str = "Configured", url: str = "https://source.example/feed") -> Source:
    return Source(name=name, url=url, type=kind)


def test_atom_items_carry_the_configured_source_name() -> None:
    (item,) = parse(fixture("lab.atom"), source("atom", "Example Lab"), OBSERVED)
    assert (item.source, item.kind, item.text) == ("Example Lab", "article", "The system card covers evaluations.")
    assert canonical_url(item.url) == "https://lab.example/blog/system-card"
    assert item.published_at == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)


def test_json_feed_items_become_articles() -> None:
    note, link = parse(fixture("feed.json"), source("jsonfeed"), OBSERVED)
    assert note.title == "Compute thresholds in the new guidance"
    assert note.text == "The guidance sets a reporting threshold for training runs."
    assert (note.lang, note.published_at) == ("en", datetime(2026, 1, 8, 7, 30, tzinfo=UTC))
    assert (link.url, link.lang, link.text, link.published_at) == (
        "https://elsewhere.example/report", "de", "A link post without a title.", None)


def test_json_feed_needs_its_version() -> None:
    with pytest.raises(IngestError, match="version"):
        parse(b'{"version": "1.0", "items": []}', source("jsonfeed"), OBSERVED)


def test_arxiv_api_entries_are_papers_with_one_line_titles() -> None:
    (paper,) = parse(fixture("arxiv-api.atom"), source("arxiv", "arXiv cs.AI"), OBSERVED)
    assert (paper.kind, paper.source) == ("paper", "arXiv cs.AI")
    assert paper.title == "Measuring Deceptive Behaviour in Language Model Agents"
    assert canonical_url(paper.url) == canonical_url("https://arxiv.org/abs/2601.01234")


def test_arxiv_listing_drops_the_announcement_preamble() -> None:
    (paper,) = parse(fixture("arxiv-listing.rss"), source("arxiv", "arXiv cs.CL"), OBSERVED)
    assert paper.text == "We study how refusal behaviour scales with data." and paper.kind == "paper"


def test_hacker_news_ids_then_stories_as_posts() -> None:
    hn = source("hn", "Hacker News", "https://hacker-news.firebaseio.com/v0/topstories.json")
    assert hackernews.story_ids(fixture("hn-topstories.json"), hn) == [9001, 9002, 9003, 9004]
    assert hackernews.item_url(hn, 9001) == "https://hacker-news.firebaseio.com/v0/item/9001.json"
    story = hackernews.parse_item(fixture("hn-item-9001.json"), hn, OBSERVED)
    ask = hackernews.parse_item(fixture("hn-item-9002.json"), hn, OBSERVED)
    assert story is not None and ask is not None
    assert (story.url, story.kind, story.source) == ("https://news.ycombinator.com/item?id=9001", "post", "Hacker News")
    assert "Link: https://lab.example/blog/open-weights" in story.text and "321 points" in story.text
    assert ask.text.startswith("What are people using for eval harnesses?")
    assert story.published_at == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    assert hackernews.parse_item(fixture("hn-item-9003.json"), hn, OBSERVED) is None  # deleted
    assert hackernews.parse_item(fixture("hn-item-9004.json"), hn, OBSERVED) is None  # a comment
    assert hackernews.parse_item(b"null", hn, OBSERVED) is None


def test_reddit_posts_skip_stickies_and_point_at_the_discussion() -> None:
    paper, question = parse(fixture("reddit-new.json"), source("reddit"), OBSERVED)
    assert paper.source == "Reddit r/MachineLearning" and paper.kind == "post"
    assert paper.url == "https://www.reddit.com/r/MachineLearning/comments/abc1/r_a_new_interpretability_method/"
    assert paper.text == "Link: https://arxiv.org/abs/2601.01234."
    assert question.title == "[D] How do labs run red-teaming & evals?"


def test_bluesky_posts_name_the_handle_and_skip_reposts() -> None:
    (post,) = parse(fixture("bluesky-author-feed.json"), source("bluesky"), OBSERVED)
    assert (post.source, post.kind) == ("Bluesky @lab.bsky.social", "post")
    assert post.url == "https://bsky.app/profile/lab.bsky.social/post/3lbxyz1"
    assert post.title == "We are releasing our safety framework today"
    assert post.published_at == datetime(2026, 1, 8, 10, 0, tzinfo=UTC)


def test_mastodon_statuses_name_user_and_host_and_skip_boosts() -> None:
    local, remote = parse(fixture("mastodon-statuses.json"), source("mastodon", url="https://social.example/api/v1/"
                                                                       "accounts/7/statuses"), OBSERVED)
    assert (local.source, local.text) == ("Mastodon @lab@social.example", "Our new #evals paper is out & open.")
    assert (remote.source, remote.lang) == ("Mastodon @chercheur@other.example", "fr")
    assert local.kind == "post" and local.url == "https://social.example/@lab/111"


def test_mastodon_profiles_are_looked_up_once() -> None:
    assert mastodon.lookup_url("https://social.example/@lab") == "https://social.example/api/v1/accounts/lookup?acct=lab"
    assert mastodon.lookup_url("https://social.example/api/v1/accounts/7/statuses") is None
    assert mastodon.statuses_url("https://social.example/@lab", b'{"id": "7", "acct": "lab"}', 20).startswith(
        "https://social.example/api/v1/accounts/7/statuses?")


def test_x_posts_are_tweets_with_the_username() -> None:
    first, _ = parse(fixture("x-tweets.json"), source("x"), OBSERVED)
    assert (first.kind, first.source) == ("tweet", "X @examplelab")
    assert first.url == "https://x.com/examplelab/status/1876000000000000001"


def test_x_allowance_refuses_when_the_cap_is_spent() -> None:
    assert x.allowance(cap=100, used=0, wanted=30) == 30
    assert x.allowance(cap=100, used=90, wanted=30) == 10
    assert x.allowance(cap=100, used=97, wanted=30) == 0  # below the API's minimum of 5
    assert x.allowance(cap=0, used=0, wanted=30) == 0
    assert "max_results=10" in x.request_url(source("x", url="https://api.x.com/2/users/1/tweets"), 10)


def test_full_text_is_the_article_not_the_page_furniture() -> None:
    text = extract_text(fixture("article.html"), "https://press.example/a")
    assert "first evaluation report" in text and "thirty days" in text
    assert "Cookie settings" not in text and "Subscribe" not in text
    assert isinstance(extract_text(b"\x00\xff not html", "u"), str)  # never raises
    assert extract_text(b"", "u") == ""


# invariants ------------------------------------------------------------------------------------
_ALL = sorted(PARSERS)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=20)


def _only_ingest_errors(kind: str, body: bytes) -> None:
    hn = source("hn", url="https://hn.example/v0/topstories.json")
    try:
        if kind == "hn":
            hackernews.story_ids(body, hn)
            hackernews.parse_item(body, hn, OBSERVED)
        else:
            parse(body, source(kind), OBSERVED)
    except IngestError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([*_ALL, "hn"]), body=st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_ingest_error(kind: str, body: bytes) -> None:
    _only_ingest_errors(kind, body)


@settings(max_examples=80, deadline=None)
@given(kind=st.sampled_from(["jsonfeed", "reddit", "bluesky", "mastodon", "x", "hn"]), value=_json)
def test_arbitrary_json_raises_nothing_but_ingest_error(kind: str, value: object) -> None:
    import json
    _only_ingest_errors(kind, json.dumps(value).encode())


@settings(max_examples=40, deadline=None)
@given(title=st.text(max_size=3000), link=st.text(max_size=200))
def test_arbitrary_feed_entries_raise_nothing_but_ingest_error(title: str, link: str) -> None:
    from xml.sax.saxutils import escape
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>{escape(title)}</title>"
            f"<link>{escape(link)}</link></item></channel></rss>").encode("utf-8", errors="replace")
    _only_ingest_errors("rss", body)
