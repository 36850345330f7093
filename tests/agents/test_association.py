"""Relevance by association (`streams.stages.cluster.association`, `streams.flow.Flow._day_stories`):
an AI item under the lens's bar joins the story it reports as it arrives, and AI items under the
bar form a story of their own at the close only when enough news outlets report them."""

from __future__ import annotations

from datetime import UTC, datetime

from models import topics
from models.codec import encode
from models.control import DayClosed
from models.items import RawItem
from streams.inprocess import InProcessPipeline
from streams.lenses import load_lens
from streams.stages.classify import associable, classify, corroborated

# The term rules alone: the fixture items are written to sit on either side of their bar; what
# is tested is what the flow does with such items, whichever decider put them there.
LENS = load_lens("ai-safety-governance").model_copy(update={"relevance_model": None})
DAY = "2026-01-08"
NOW = datetime(2026, 1, 9, 13, 0, tzinfo=UTC)
RELEVANT = ("reuters.com", "OpenAI signs $2 billion chatbot deal with Acme Health",
            "OpenAI agreed a $2 billion deal to license its chatbot to Acme Health, the companies said "
            "on Thursday.")
# the same development, worded with too little of the lens's vocabulary to be relevant alone
SAME_UNDER_BAR = ("neowin.net", "Acme Health tie-up with OpenAI draws attention",
                  "The tie-up between OpenAI and Acme Health, announced on Thursday, drew attention from "
                  "hospitals.")
INBOX = "Zephyr Mail gets an AI inbox that sorts your messages"
INBOX_TEXT = "Zephyr Mail is adding an AI inbox that sorts and summarises messages for its users."


def _raw(n: int, outlet: str, title: str, text: str) -> bytes:
    return encode(RawItem(id=f"t:{n}", source=outlet, url=f"https://{outlet}/{n}", title=title, text=text,
                          published_at=datetime(2026, 1, 8, 9, n, tzinfo=UTC), kind="article", lang="en",
                          observed_at=datetime(2026, 1, 8, 10, 0, tzinfo=UTC)))


def _closed(raws: list[bytes]) -> DayClosed:
    pipeline = InProcessPipeline([LENS], NOW)
    for raw in raws:
        pipeline.raw(raw)
    pipeline.close(LENS.slug, DAY, "round-1")
    (closed,) = pipeline.on(topics.DAY_CLOSED)
    return closed


def _verdict(outlet: str, title: str, text: str):  # noqa: ANN202 - a Verdict
    return classify(title, text, outlet, f"https://{outlet}/x", "article", "en", LENS)


def test_the_fixture_items_sit_on_the_two_sides_of_the_bar() -> None:
    under = _verdict(*SAME_UNDER_BAR)
    assert _verdict(*RELEVANT).relevant and not under.relevant
    assert associable(under.relevant, under.reasons)
    weather = _verdict("bbc.co.uk", "Storm brings snow to the north", "Heavy snow fell overnight.")
    assert not associable(weather.relevant, weather.reasons)  # not about AI: never by association


def test_an_item_under_the_bar_joins_the_relevant_story_it_reports() -> None:
    closed = _closed([_raw(1, *RELEVANT), _raw(2, *SAME_UNDER_BAR)])
    assert [sorted(s.items) for s in closed.stories] == [["t:1", "t:2"]]
    assert closed.items_relevant == 2


def test_an_item_under_the_bar_alone_opens_no_story() -> None:
    closed = _closed([_raw(2, *SAME_UNDER_BAR)])
    assert closed.stories == [] and closed.items_relevant == 0


def test_three_news_outlets_make_a_story_of_items_under_the_bar_two_do_not() -> None:
    outlets = ["theverge.com", "wired.com", "engadget.com"]
    assert not any(_verdict(o, INBOX, INBOX_TEXT).relevant for o in outlets)
    three = _closed([_raw(n, o, INBOX, INBOX_TEXT) for n, o in enumerate(outlets)])
    two = _closed([_raw(n, o, INBOX, INBOX_TEXT) for n, o in enumerate(outlets[:2])])
    assert [len(s.items) for s in three.stories] == [3] and three.items_relevant == 3
    assert two.stories == []
    assert corroborated(3, LENS) and not corroborated(2, LENS)


def test_outlets_reviewing_a_gadget_do_not_make_it_a_story() -> None:
    outlets = ["theverge.com", "wired.com", "engadget.com"]
    title = "Zephyr's new AI laptop has a chip for on-device models"
    text = "Zephyr's new AI laptop runs models on device."
    verdicts = [_verdict(o, title, text) for o in outlets]
    assert all(associable(v.relevant, v.reasons) and "noise: shopping-and-gadgets" in v.reasons for v in verdicts)
    closed = _closed([_raw(n, o, title, text) for n, o in enumerate(outlets)])
    assert closed.stories == [] and closed.items_relevant == 0
