"""Incremental story clustering: layers, idempotence, state round-trips, determinism, bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.stages import cluster, story_text
from streams.stages.cluster import StoryStore, assign, assign_all, forget_day, stories_of_day
from tests.builders import make_item

LENS, DAY = "ai-safety-governance", "2026-01-08"
AT = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)

HEALTH = [
    ("slashdot.org", "OpenAI Launches ChatGPT Health, Encouraging Users To Connect Their Medical Records",
     "OpenAI has unveiled ChatGPT Health, a sandboxed health-focused mode that lets users connect "
     "medical records and wellness apps for more personalized guidance."),
    ("neowin.net", "OpenAI introduces ChatGPT Health, a private space for wellness and medical advice",
     "OpenAI has launched ChatGPT Health, a dedicated, privacy-focused experience designed to "
     "handle the 230 million weekly health-related queries."),
    ("bbc.co.uk", "OpenAI launches ChatGPT Health to review your medical records",
     "The firm says its chatbot sees health and wellbeing questions from 230 million people every week."),
]
SETTLEMENT = [
    ("slashdot.org", "Google and Character.AI Agree To Settle Lawsuits Over Teen Suicides",
     "Google and Character.AI have agreed to settle multiple lawsuits from families alleging the "
     "chatbot encouraged self-harm and suicide among teens."),
    ("washingtonpost.com", "Google and chatbot start-up Character move to settle teen suicide lawsuits",
     "The companies said in court filings that they aim to settle five lawsuits from families "
     "alleging that Character.AI chatbots harmed minors and caused two suicides."),
]


def _item(n: int, outlet: str, title: str, text: str, **kw: Any) -> Any:
    return make_item(id=f"i{n}", outlet=outlet, source=outlet, title=title, text=text,
                     url=f"https://{outlet}/story-{n}", event_at=AT + timedelta(minutes=n), **kw)


def test_same_canonical_url_joins_the_same_story() -> None:
    store: dict[str, Any] = {}
    a = make_item(id="a", url="https://x.com/1", canonical_url="https://example.com/a", title="One")
    b = make_item(id="b", url="https://y.com/2", canonical_url="https://example.com/a", title="Two")
    first, _ = assign(store, a)
    second, changed = assign(store, b)
    assert changed and second.story_id == first.story_id and second.item_ids == ["a", "b"]


def test_near_duplicate_texts_from_two_outlets_form_one_story() -> None:
    text = ("Anthropic said on Tuesday that its new model will be offered to a small group of "
            "partners first, citing the risk that its hacking skills could be misused by attackers "
            "before defenders have patched the flaws it finds in widely used software.")
    store: dict[str, Any] = {}
    a, _ = assign(store, _item(1, "reuters.com", "Anthropic limits release of new model", text))
    b, _ = assign(store, _item(2, "yahoo.com", "Anthropic restricts model rollout",
                               text + " Shares of security firms rose."))
    assert a.story_id == b.story_id


def test_same_event_with_different_headlines_forms_one_story() -> None:
    store: dict[str, Any] = {}
    ids = {assign(store, _item(n, *row))[0].story_id for n, row in enumerate(HEALTH)}
    assert len(ids) == 1


def test_different_events_stay_apart() -> None:
    store: dict[str, Any] = {}
    ids = {assign(store, _item(n, *row))[0].story_id for n, row in enumerate(HEALTH + SETTLEMENT)}
    assert len(ids) == 2


def test_regulator_reaction_is_its_own_story() -> None:
    store: dict[str, Any] = {}
    launch = [
        ("theverge.com", "ChatGPT has a new $100 per month Pro subscription",
         "OpenAI has announced a new version of its ChatGPT Pro subscription that costs $100 per "
         "month, with five times more Codex usage than Plus."),
        ("techcrunch.com", "ChatGPT finally offers $100/month Pro plan",
         "OpenAI announced a $100/month Pro plan with more Codex usage for power users."),
    ]
    probe = ("theverge.com", "Florida launches investigation into OpenAI over ChatGPT",
             "Florida Attorney General James Uthmeier is launching an investigation into OpenAI "
             "and ChatGPT over public safety risks.")
    launch_ids = {assign(store, _item(n, *row))[0].story_id for n, row in enumerate(launch)}
    reaction, _ = assign(store, _item(9, *probe))
    assert len(launch_ids) == 1 and reaction.story_id not in launch_ids


def test_sharing_only_a_generic_name_does_not_join() -> None:
    store: dict[str, Any] = {}
    a, _ = assign(store, _item(1, "a.com", "OpenAI hires a new chief of staff", "OpenAI said so."))
    b, _ = assign(store, _item(2, "b.com", "OpenAI opens an office in Seoul", "OpenAI said so."))
    assert a.story_id != b.story_id


def test_chinese_and_english_reports_of_one_release_meet() -> None:
    store: dict[str, Any] = {}
    en, _ = assign(store, _item(1, "theverge.com", "ChatGPT has a new $100 per month Pro subscription",
                                "OpenAI has announced a new ChatGPT Pro subscription that costs "
                                "$100 per month and offers more Codex usage than the $20 Plus plan."))
    zh, _ = assign(store, _item(2, "ithome.com", "OpenAI 上线每月 100 美元订阅方案：为开发者而生，正面对决 Claude Code",
                                "OpenAI 宣布推出每月 100 美元的全新订阅方案，填补了 20 美元 Plus 与 200 美元 "
                                "Pro 之间的空档，面向使用 Codex 进行编程的用户。", lang="zh"))
    assert en.story_id == zh.story_id


def test_chinese_company_names_meet_their_english_names() -> None:
    tokens = story_text.features("英伟达要求中国客户预付 H200 芯片全款", "")
    assert "e:h200" in tokens and "g:nvidia" in tokens and "g:china" in tokens
    assert "n:$30bn" in story_text.features("", "年化收入已超过 300 亿美元")


def test_assigning_the_same_item_twice_changes_nothing() -> None:
    store: dict[str, Any] = {}
    item = _item(1, *HEALTH[0])
    first, changed = assign(store, item)
    snapshot = dict(store)
    again, changed_again = assign(store, item)
    assert changed and not changed_again and store == snapshot and again == first


def test_state_survives_a_json_round_trip() -> None:
    store: dict[str, Any] = {}
    assign(store, _item(1, *HEALTH[0]))
    assign(store, _item(2, *SETTLEMENT[0]))
    restored = orjson.loads(orjson.dumps(store))
    joined, changed = assign(restored, _item(3, *HEALTH[1]))
    assert changed and joined.item_ids == ["i1", "i3"]
    assert assign(restored, _item(2, *SETTLEMENT[0]))[1] is False


def test_story_ids_are_deterministic() -> None:
    items = [_item(n, *row) for n, row in enumerate(HEALTH + SETTLEMENT)]
    assert assign_all({}, items) == assign_all({}, items)
    assert assign_all({}, items)["i0"] == cluster.story_id(LENS, DAY, items[0])


def test_stories_of_day_and_forget_day() -> None:
    store: dict[str, Any] = {}
    assign_all(store, [_item(n, *row) for n, row in enumerate(HEALTH + SETTLEMENT)])
    other = make_item(id="later", event_at=AT + timedelta(days=1), title="Something else entirely")
    assign(store, other)
    stories = stories_of_day(store, LENS, DAY)
    assert [len(s.members) for s in stories] == [3, 2]
    assert forget_day(store, LENS, DAY) > 0
    assert stories_of_day(store, LENS, DAY) == []
    assert len(stories_of_day(store, LENS, "2026-01-09")) == 1


def test_a_story_followed_from_an_earlier_day_is_developing() -> None:
    store: dict[str, Any] = {}
    assign_all(store, [_item(n, *row) for n, row in enumerate(HEALTH[:2])])
    next_day = make_item(id="d2", outlet="bbc.co.uk", title=HEALTH[2][1], text=HEALTH[2][2],
                         event_at=AT + timedelta(days=1), url="https://bbc.co.uk/d2")
    story, _ = assign(store, next_day)
    assert story.day == "2026-01-09" and story.developing_since == DAY


def test_an_item_writes_a_bounded_number_of_keys() -> None:
    store: dict[str, Any] = {}
    assign_all(store, [_item(n, *row) for n, row in enumerate(HEALTH)])
    before = set(store)
    assign(store, _item(7, *SETTLEMENT[0]))
    # member + story + url + 16 LSH bands + up to 10 index tokens, whatever the day holds
    assert len(set(store) - before) <= 2 + 1 + cluster.BANDS + story_text.QUERY_TOKENS


WORDS = ("model chip lawsuit policy safety export rule launch funding deal court probe agent "
         "robot data centre energy privacy election deepfake benchmark").split()
NAMES = [f"Acme{n}" for n in range(300)] + [f"Lab{n}" for n in range(200)]


def _synthetic(n: int, rng: random.Random) -> Any:
    names = rng.sample(NAMES, 2)
    words = rng.sample(WORDS, 5)
    title = f"{names[0]} and {names[1]} {words[0]} {words[1]}"
    text = f"Officials said {names[0]} will {words[2]} the {words[3]} with {names[1]} {words[4]}."
    return make_item(id=f"s{n}", title=title, text=text, url=f"https://s{n % 37}.com/{n}",
                     outlet=f"s{n % 37}.com", event_at=AT + timedelta(seconds=20 * n))


def test_candidate_comparisons_per_item_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts the story scores and signature comparisons each placed item costs."""
    per_item: list[int] = []

    def counting(real: Any, opens: bool = False) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if opens:
                per_item.append(0)
            else:
                per_item[-1] += 1
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(cluster, "_place", counting(cluster._place, opens=True))
    monkeypatch.setattr(cluster, "match_score", counting(cluster.match_score))
    monkeypatch.setattr(cluster, "_jaccard", counting(cluster._jaccard))
    rng = random.Random(7)
    assign_all({}, [_synthetic(n, rng) for n in range(2000)])
    assert len(per_item) == 2000
    # bounded by the per-day candidate cap, plus the look-back days and LSH hits: never O(n)
    bound = cluster.MAX_CANDIDATES * (1 + cluster.LOOKBACK_DAYS) + cluster.INDEX_CAP * cluster.BANDS
    assert max(per_item) <= bound
    assert sum(per_item) / len(per_item) <= cluster.MAX_CANDIDATES + 2


items_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(0, 47)), min_size=1, max_size=12
)


def _from_spec(spec: list[tuple[int, int, int]]) -> list[Any]:
    rows = HEALTH + SETTLEMENT + [("x.com", "Samsung profit triples on memory boom", "")]
    return [
        make_item(id=f"h{i}", outlet=rows[r][0], title=rows[r][1], text=rows[r][2],
                  url=f"https://{rows[r][0]}/{i}", event_at=AT + timedelta(days=d, hours=h))
        for i, (r, d, h) in enumerate(spec)
    ]


@settings(max_examples=40, deadline=None)
@given(items_strategy)
def test_a_story_never_leaves_its_day(spec: list[tuple[int, int, int]]) -> None:
    store: dict[str, Any] = {}
    for item in _from_spec(spec):
        story, _ = assign(store, item)
        assert story.day == item.day
        assert all(m.event_at.date().isoformat() == story.day for m in story.members)


@settings(max_examples=40, deadline=None)
@given(items_strategy, st.randoms(use_true_random=False))
def test_assignment_is_idempotent(spec: list[tuple[int, int, int]], rnd: random.Random) -> None:
    items = _from_spec(spec)
    once: dict[str, Any] = {}
    assign_all(once, items)
    twice: dict[str, Any] = {}
    for item in items:  # every item redelivered at a random later point, as after a restart
        assign(twice, item)
        assign(twice, rnd.choice(items[: items.index(item) + 1]))
    assert twice == once


def test_story_store_keys_are_namespaced() -> None:
    store = StoryStore({})
    assign(store, _item(1, *HEALTH[0]))
    assert all(k.split("|")[1:3] == [LENS, DAY] for k in store.map)


MERIDIAN_LAUNCH = [
    ("reuters.com", "Meridian Labs releases Meridian-5 model, citing safety evaluations",
     "Meridian Labs released Meridian-5, its most capable model, on Thursday and published a system "
     "card with dangerous-capability evaluations for Meridian-5."),
    ("techcrunch.com", "Meridian Labs debuts Meridian-5 with new dangerous-capability evals",
     "Meridian Labs debuted Meridian-5 on Thursday; the Meridian-5 system card reports new "
     "dangerous-capability evaluations."),
]


def test_a_regulator_asking_about_a_launched_model_is_its_own_story() -> None:
    store: dict[str, Any] = {}
    launch = assign_all(store, [_item(n, *row) for n, row in enumerate(MERIDIAN_LAUNCH)])
    follow = _item(9, "politico.eu", "EU AI Office asks Meridian Labs for Meridian-5 risk documentation",
                   "The European Commission's AI Office has asked Meridian Labs to hand over technical "
                   "documentation on Meridian-5 under the AI Act, officials said on Thursday.")
    story, _ = assign(store, follow)
    assert story.story_id not in set(launch.values())


def test_a_paper_never_joins_a_model_release_story() -> None:
    store: dict[str, Any] = {}
    launch = assign_all(store, [_item(n, *row) for n, row in enumerate(MERIDIAN_LAUNCH)])
    paper = _item(7, "arxiv.org", "Measuring Dangerous-Capability Evaluations of Meridian-5 Agents",
                  "We evaluate Meridian-5 and other frontier models on dangerous-capability evaluations.",
                  kind="paper")
    story, _ = assign(store, paper)
    assert story.story_id not in set(launch.values()) and len(story.members) == 1


def test_deals_of_two_different_companies_with_one_partner_stay_apart() -> None:
    store: dict[str, Any] = {}
    first = _item(1, "cnbc.com", "Meta commits to spending additional $21 billion with CoreWeave",
                  "Meta will spend an additional $21 billion on CoreWeave cloud capacity through 2032.")
    second = _item(2, "cnbc.com", "CoreWeave stock pops 11% on deal to power Anthropic's Claude",
                   "CoreWeave shares rose after a multi-year deal to supply capacity to Anthropic.")
    ids = assign_all(store, [first, second])
    assert ids["i1"] != ids["i2"]


def test_the_same_article_collected_again_the_next_day_is_not_a_development() -> None:
    store: dict[str, Any] = {}
    assign_all(store, [_item(n, *row) for n, row in enumerate(HEALTH[:2])])
    again = make_item(id="again", outlet="slashdot.org", title=HEALTH[0][1], text=HEALTH[0][2],
                      event_at=AT + timedelta(days=1), url="https://slashdot.org/story-0")
    story, _ = assign(store, again)
    assert story.day == "2026-01-09" and story.developing_since is None


def test_chinese_and_english_reports_of_export_controls_meet() -> None:
    store: dict[str, Any] = {}
    en = _item(1, "reuters.com", "US tightens export controls on advanced AI chips",
               "The US Commerce Department tightened export controls on advanced AI chips to China.")
    zh = _item(2, "量子位", "美国商务部收紧先进AI芯片出口管制", "美国商务部收紧对中国的先进AI芯片出口管制。", lang="zh")
    ids = assign_all(store, [en, zh])
    assert ids["i1"] == ids["i2"]


def test_attach_joins_the_story_an_item_reports_but_never_opens_one() -> None:
    store: dict = {}
    (outlet, title, text) = HEALTH[0]
    assign(store, _item(0, outlet, title, text))
    joined = cluster.attach(store, _item(1, *HEALTH[1]))
    unrelated = cluster.attach(store, _item(2, *SETTLEMENT[0]))
    assert joined is not None and [m.id for m in cluster.load_story(store, LENS, DAY, joined).members] == ["i0", "i1"]
    assert unrelated is None
    assert len(stories_of_day(store, LENS, DAY)) == 1


def test_an_item_under_the_bar_must_match_more_closely_the_less_it_says_for_itself() -> None:
    # Same companies, same chips, another development: close enough for a report that is nearly
    # relevant on its own, too loose for one with no category evidence at all.
    story = ("theverge.com", "Nvidia and AMD consider reviving old chips as memory prices soar",
             "Nvidia and AMD are weighing a return to older GPU chips because memory prices have soared for PC makers.")
    other = ("techradar.com", "AMD will launch its first PC in 2026 with Ryzen AI chips",
             "AMD is launching its own PC next year, built around Ryzen AI Halo, to take on Apple's Mac Studio.")

    def attached(relevance: float) -> bool:
        store: dict[str, Any] = {}
        assign(store, _item(0, *story))
        return cluster.attach(store, _item(1, *other, relevant=False, relevance=relevance)) is not None

    assert cluster.association_bar(0.0) > cluster.association_bar(0.4) > cluster.JOIN_SCORE
    assert cluster.association_bar(0.5) == cluster.JOIN_SCORE
    assert attached(0.45) and not attached(0.0)


def test_names_in_a_sentence_case_headline_read_as_names() -> None:
    # Most of this headline's words are capitalised, yet it is written in sentence case: its
    # product name must meet the same name in another report's text.
    names = story_text.features("Meta AI app climbs to No. 5 on the App Store after Muse Spark launch", "")
    assert {"e:muse", "e:spark"} <= names.keys()
    title_case = story_text.features("Google Is Adding An Inbox That Summarizes Your Emails", "")
    assert not {"e:adding", "e:summarizes", "e:inbox"} & title_case.keys()


def _one_story(first: tuple[str, str, str], second: tuple[str, str, str], **second_kw: Any) -> bool:
    """Whether two reports (outlet, title, text), placed in this order, end in one story."""
    ids = assign_all({}, [_item(1, *first), _item(2, *second, **second_kw)])
    return ids["i1"] == ids["i2"]


def test_a_chinese_report_of_a_memo_between_two_labs_meets_the_english_story() -> None:
    # Across scripts only names, amounts and translated words can meet: two labs and "memo".
    assert _one_story(
        ("cnbc.com", "OpenAI slams Anthropic in memo to shareholders as its leading AI rival gains momentum",
         "OpenAI told shareholders in a memo that Anthropic is growing faster than expected."),
        ("ithome.com", "OpenAI 备忘录嘲讽老对手 Anthropic：算力规模太小",
         "OpenAI 在致投资者的备忘录中称 AI 对手 Anthropic 的算力规模太小。"), lang="zh")


def test_across_scripts_translated_words_alone_do_not_make_one_story() -> None:
    assert not _one_story(
        ("cnbc.com", "Google expands partnership with Intel for AI chips",
         "Google and Intel will work together on data center chips as power demand grows."),
        ("ithome.com", "科技巨头 AI 需求激增，大举投资小型模块化反应堆",
         "随着 AI 数据中心电力需求激增，巨头们与核能企业合作，提供资金支持。"), lang="zh")


def test_two_headline_only_wire_reports_of_one_order_form_one_story() -> None:
    # No text to share words from: the headlines alone must be enough when they agree closely.
    assert _one_story(
        ("channelnewsasia.com", "EU Commission has ordered X to retain all Grok documents until end 2026, "
         "spokesperson says", ""),
        ("channelnewsasia.com", "EU orders X to keep Grok documents for longer amid sexualised AI photos furore", ""))


def test_officials_and_short_company_names_in_chinese_meet_their_english_names() -> None:
    tokens = story_text.features("贝森特与鲍威尔召集华尔街开会", "阿里发布新的视频模型")
    assert {"e:bessent", "e:powell", "e:alibaba"} <= tokens.keys()


def test_lawmakers_act_as_government_and_a_person_named_bill_does_not() -> None:
    assert cluster.title_roles("Democrats ask Apple and Google to pull the app")["gov"]
    assert cluster.title_roles("Senate passes the AI Bill")["gov"]
    assert not cluster.title_roles("Meta adds Bill Gates' nuclear startup to its power deals")["gov"]
    # a lab's deal is not a government's act: the two headlines agree, one story
    deal = cluster.title_roles("Meta signs three nuclear power deals for its data centers")
    assert not cluster.roles_disagree(deal, cluster.title_roles("Meta adds Bill Gates' nuclear startup to its deals"))


EXPORT_RULES = [
    ("reuters.com", "US tightens export controls on advanced AI chips",
     "The US Commerce Department on Tuesday issued new export control rules restricting shipments of "
     "advanced AI accelerators and high-bandwidth memory to several countries, officials said."),
    ("bloomberg.com", "Commerce Department expands AI chip export curbs to memory",
     "New US export controls announced Tuesday extend restrictions on advanced AI chips to high-bandwidth "
     "memory, according to the Commerce Department."),
    ("36kr.com", "美国商务部收紧先进AI芯片出口管制",
     "美国商务部周二发布新的出口管制规则，限制先进AI加速器芯片和高带宽内存的出口。"),
]


def test_a_country_acting_and_its_department_acting_are_one_government_act() -> None:
    # "US tightens ..." names no government word: its actor is undecided, and agrees with either
    assert cluster.title_roles(EXPORT_RULES[0][1])["gov"] is None
    assert cluster.title_roles(EXPORT_RULES[1][1])["gov"] is True
    assert not cluster.roles_disagree(cluster.title_roles(EXPORT_RULES[0][1]), cluster.title_roles(EXPORT_RULES[1][1]))
    for title in ("US startup raises $2 billion for AI chips", "China's DeepSeek releases a new model"):
        assert cluster.title_roles(title)["gov"] is False  # the country is not the subject
    ids = assign_all({}, [_item(n, *report) for n, report in enumerate(EXPORT_RULES, start=1)])
    assert len(set(ids.values())) == 1, ids


def test_new_rules_are_not_a_court_ruling() -> None:
    # "rules" and "ruling" share a stem: a report of new rules was a legal action, apart from its own story
    _, rules_legal = cluster._flags(story_text.vector(story_text.features("", "the new export control rules")))
    _, court_legal = cluster._flags(story_text.vector(story_text.features("", "the court's ruling on Tuesday")))
    assert not rules_legal and court_legal


def test_an_arrest_is_part_of_the_incident_a_charge_is_the_courts_act() -> None:
    incident = cluster.title_roles("Molotov cocktail thrown at the home of a lab's chief executive")
    arrest = cluster.title_roles("Man arrested after a lab chief's home is hit with a Molotov cocktail")
    charge = cluster.title_roles("Prosecutors file federal charges over the attack on a lab chief's home")
    assert not cluster.roles_disagree(incident, arrest)
    assert cluster.roles_disagree(incident, charge)
