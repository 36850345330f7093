"""Story significance, confidence and ranking from evidence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.stages.score import CAP_ROOM, SINGLE_OUTLET_CAP, rank_stories, score_story
from tests.builders import make_lens, make_member, make_story

LENS = make_lens()


def _m(n: int, outlet: str, title: str = "Lab releases model", text: str = "", **kw: object):
    return make_member(id=f"m{n}", outlet=outlet, source=outlet, url=f"https://{outlet}/{n}",
                       title=title, text=text, **kw)


def test_more_independent_outlets_score_higher() -> None:
    one = make_story([_m(1, "reuters.com")])
    three = make_story([_m(1, "reuters.com"), _m(2, "theverge.com"), _m(3, "techcrunch.com")])
    assert score_story(three, LENS)[0] > score_story(one, LENS)[0]


def test_articles_of_one_outlet_count_once() -> None:
    story = make_story([_m(1, "reuters.com"), _m(2, "reuters.com")])
    _, confidence, reasons = score_story(story, LENS)
    assert "1 independent outlet" in reasons and confidence == "medium"  # one tier1 outlet


def test_primary_source_and_two_outlets_is_high_confidence() -> None:
    story = make_story([_m(1, "openai.com", kind="release"), _m(2, "example.org"), _m(3, "b.net")])
    score, confidence, reasons = score_story(story, LENS)
    assert confidence == "high" and "primary source: openai.com" in reasons


def test_three_tier_outlets_are_high_confidence() -> None:
    story = make_story([_m(1, "reuters.com"), _m(2, "theverge.com"), _m(3, "arstechnica.com")])
    assert score_story(story, LENS)[1] == "high"


def test_single_unknown_outlet_is_low_confidence_and_capped() -> None:
    text = "The $40 billion deal for 5 GW of H200 data centres drew a Senate probe over a breach."
    story = make_story([_m(1, "blog.example", title=text, text=text)])
    score, confidence, reasons = score_story(story, LENS)
    assert confidence == "low" and score <= SINGLE_OUTLET_CAP + CAP_ROOM
    assert "single outlet, unconfirmed" in reasons and "single outlet, capped" in reasons


def test_capped_single_outlet_stories_stay_ordered_by_their_signals() -> None:
    plain = make_story([_m(1, "blog.example", title="Chip deal", text="A $40 billion deal for GPUs.")])
    weighty = make_story([_m(1, "blog.example", title="Senate probe of $40 billion GPU deal after breach",
                             text="A $40 billion deal for 5 GW of GPUs drew a Senate probe over a breach.")])
    assert score_story(weighty, LENS)[0] > score_story(plain, LENS)[0]


def test_a_lone_paper_ranks_below_a_lone_tier1_report() -> None:
    text = "A frontier model jailbreak enables cyber attacks, researchers warn regulators."
    paper = make_story([_m(1, "arxiv.org", title="Jailbreaking frontier models", text=text)])
    news = make_story([_m(2, "reuters.com", title="Jailbreak of frontier models worries regulators", text=text)])
    assert score_story(news, LENS)[0] > score_story(paper, LENS)[0]


def test_social_only_story_is_low_and_capped() -> None:
    story = make_story([_m(1, "x.com", kind="tweet"), _m(2, "reddit.com", kind="post")])
    score, confidence, _ = score_story(story, LENS)
    assert confidence == "low" and score <= 1.5


def test_rumour_wording_lowers_confidence() -> None:
    plain = make_story([_m(1, "reuters.com"), _m(2, "example.org")])
    rumour = make_story([_m(1, "reuters.com", text="The lab is reportedly training it."),
                         _m(2, "example.org", text="Sources say it is coming.")])
    assert score_story(plain, LENS)[1] == "medium"
    assert score_story(rumour, LENS)[1] == "low"


def test_category_weight_and_signals_raise_the_score() -> None:
    base = [_m(1, "reuters.com"), _m(2, "theverge.com")]
    plain = make_story(base, category="industry")
    policy = make_story(base, category="policy-regulation")
    assert score_story(policy, LENS)[0] > score_story(plain, LENS)[0]
    assert "category policy-regulation weight 1.3" in score_story(policy, LENS)[2]
    money = make_story([_m(1, "reuters.com", text="a $50 billion round"), _m(2, "theverge.com")])
    assert score_story(money, LENS)[0] > score_story(make_story(base), LENS)[0]


def test_a_key_actor_named_in_a_headline_raises_the_score() -> None:
    lens = make_lens(key_actors=["Meta", "Anthropic", "英伟达"])
    base = [_m(1, "reuters.com", title="Lab changes its release policy"), _m(2, "theverge.com")]
    named = [_m(1, "reuters.com", title="Anthropic changes its release policy"), _m(2, "theverge.com")]
    assert score_story(make_story(named), lens)[0] > score_story(make_story(base), lens)[0]
    assert "key actor" in score_story(make_story(named), lens)[2]
    # whole words for Latin names; Chinese names sit inside the running text
    metadata = [_m(1, "reuters.com", title="Metadata rules change"), _m(2, "theverge.com")]
    assert "key actor" not in score_story(make_story(metadata), lens)[2]
    chinese = [_m(1, "reuters.com", title="消息称英伟达将发布新芯片"), _m(2, "theverge.com")]
    assert "key actor" in score_story(make_story(chinese), lens)[2]
    assert "key actor" not in score_story(make_story(named), LENS)[2]  # a lens without key actors


def test_a_custom_tier_function_is_used() -> None:
    story = make_story([_m(1, "a.example"), _m(2, "b.example"), _m(3, "c.example")])
    assert score_story(story, LENS, source_tier=lambda m: "tier1")[1] == "high"


def test_rank_stories_fills_rank_and_tier_with_ties_by_story_id() -> None:
    lens = make_lens(top_items=1, noteworthy_items=1)
    stories = [make_story([_m(1, "reuters.com")], story_id=sid) for sid in ("c", "a", "b")]
    ranked = rank_stories(stories, lens)
    assert [s.story_id for s in ranked] == ["a", "b", "c"]
    assert [s.tier for s in ranked] == ["top", "noteworthy", "minor"]
    assert [s.rank for s in ranked] == [1, 2, 3] and stories[0].rank is None


OUTLETS = ["reuters.com", "theverge.com", "x.com", "openai.com", "blog.example", "b.net", "c.org"]
member_spec = st.tuples(st.sampled_from(OUTLETS), st.sampled_from(["article", "post", "release"]),
                        st.sampled_from(["", "reportedly a $5 billion deal", "a GW campus probe"]))


@settings(max_examples=80, deadline=None)
@given(st.lists(member_spec, min_size=1, max_size=6), member_spec,
       st.sampled_from([None, "industry", "policy-regulation"]))
def test_score_is_monotonic_in_independent_sources(
    specs: list[tuple[str, str, str]], extra: tuple[str, str, str], category: str | None
) -> None:
    members = [_m(n, o, kind=k, text=t) for n, (o, k, t) in enumerate(specs)]
    before = make_story(members, category=category)
    new_outlet = f"new-{extra[0]}"  # an outlet not yet in the story
    after = make_story([*members, _m(99, new_outlet, kind=extra[1], text=extra[2])],
                       category=category)
    assert score_story(after, LENS)[0] >= score_story(before, LENS)[0]


def test_courts_ministers_and_the_treasury_are_government_action() -> None:
    for title in ("Court rules against lab in copyright case", "Treasury warns banks about model's cyber risks",
                  "Minister orders review of chatbot", "Regulatory worries halt data center project"):
        acting = make_story([_m(1, "reuters.com", title=title), _m(2, "theverge.com")])
        assert any(r.startswith("government action") for r in score_story(acting, LENS)[2]), title
    quiet = make_story([_m(1, "reuters.com", title="Lab opens office in Paris"), _m(2, "theverge.com")])
    assert not any(r.startswith("government action") for r in score_story(quiet, LENS)[2])
