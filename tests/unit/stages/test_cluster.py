"""Order-free story clustering (`streams.stages.cluster`): edges between two items, stories as
connected components, the in-memory graph rebuilt from the kept records."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.items import EnrichedItem
from streams.stages import cluster, story_text
from streams.stages.cluster import assign_all
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


class Day:
    """The cluster stage's calls over a dict, as `streams.flow` makes them: add the item to its
    day's graph, keep its one record."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state: dict[str, Any] = {} if state is None else state
        self.graphs = cluster.Graphs()

    def add(self, item: EnrichedItem) -> tuple[str | None, bool]:
        """(the item's story id, or None; whether anything changed)."""
        graph = self.graphs.of(self.state, item.lens, item.day)
        found = graph.add(item)
        if found is not None:
            key = cluster.record_key(item.lens, item.day, item.id, item.relevant)
            self.state[key] = found.record(item, graph.entries[item.id])
        return self.story_of(item), found is not None

    def add_all(self, items: list[EnrichedItem]) -> dict[str, str | None]:
        return {item.id: self.add(item)[0] for item in items}

    def story_of(self, item: EnrichedItem) -> str | None:
        graph = self.graphs.of(self.state, item.lens, item.day)
        root = graph.root_of(item.id)
        return None if root is None else cluster.story_id(item.lens, item.day, graph.entries[root])

    def members(self, item: EnrichedItem) -> list[str]:
        graph = self.graphs.of(self.state, item.lens, item.day)
        root = graph.root_of(item.id)
        return [] if root is None else graph.story_items(root)

    def since(self, item: EnrichedItem) -> str | None:
        graph = self.graphs.of(self.state, item.lens, item.day)
        return self.graphs.developing_since(self.state, graph, graph.root_of(item.id))

    def partition(self, day: str = DAY) -> list[list[str]]:
        return [items for _, items in self.graphs.of(self.state, LENS, day).stories()]


def test_same_canonical_url_joins_the_same_story() -> None:
    day = Day()
    a = make_item(id="a", url="https://x.com/1", canonical_url="https://example.com/a", title="One")
    b = make_item(id="b", url="https://y.com/2", canonical_url="https://example.com/a", title="Two")
    first, _ = day.add(a)
    second, changed = day.add(b)
    assert changed and second == first and day.members(b) == ["a", "b"]


def test_near_duplicate_texts_from_two_outlets_form_one_story() -> None:
    text = ("Anthropic said on Tuesday that its new model will be offered to a small group of "
            "partners first, citing the risk that its hacking skills could be misused by attackers "
            "before defenders have patched the flaws it finds in widely used software.")
    ids = assign_all([_item(1, "reuters.com", "Anthropic limits release of new model", text),
                      _item(2, "yahoo.com", "Anthropic restricts model rollout", f"{text} Shares rose.")])
    assert ids["i1"] == ids["i2"]


def test_same_event_with_different_headlines_forms_one_story() -> None:
    assert len(set(assign_all([_item(n, *row) for n, row in enumerate(HEALTH)]).values())) == 1


def test_different_events_stay_apart() -> None:
    assert len(set(assign_all([_item(n, *row) for n, row in enumerate(HEALTH + SETTLEMENT)]).values())) == 2


def test_regulator_reaction_is_its_own_story() -> None:
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
    ids = assign_all([_item(n, *row) for n, row in enumerate(launch)] + [_item(9, *probe)])
    assert ids["i0"] == ids["i1"] != ids["i9"]


def test_sharing_only_a_generic_name_does_not_join() -> None:
    ids = assign_all([_item(1, "a.com", "OpenAI hires a new chief of staff", "OpenAI said so."),
                      _item(2, "b.com", "OpenAI opens an office in Seoul", "OpenAI said so.")])
    assert ids["i1"] != ids["i2"]


def test_chinese_and_english_reports_of_one_release_meet() -> None:
    ids = assign_all([
        _item(1, "theverge.com", "ChatGPT has a new $100 per month Pro subscription",
              "OpenAI has announced a new ChatGPT Pro subscription that costs "
              "$100 per month and offers more Codex usage than the $20 Plus plan."),
        _item(2, "ithome.com", "OpenAI 上线每月 100 美元订阅方案：为开发者而生，正面对决 Claude Code",
              "OpenAI 宣布推出每月 100 美元的全新订阅方案，填补了 20 美元 Plus 与 200 美元 "
              "Pro 之间的空档，面向使用 Codex 进行编程的用户。", lang="zh")])
    assert ids["i1"] == ids["i2"]


def test_chinese_company_names_meet_their_english_names() -> None:
    tokens = story_text.features("英伟达要求中国客户预付 H200 芯片全款", "")
    assert "e:h200" in tokens and "g:nvidia" in tokens and "g:china" in tokens
    assert "n:$30bn" in story_text.features("", "年化收入已超过 300 亿美元")


def test_adding_the_same_item_twice_changes_nothing() -> None:
    day = Day()
    item = _item(1, *HEALTH[0])
    first, changed = day.add(item)
    snapshot = dict(day.state)
    again, changed_again = day.add(item)
    assert changed and not changed_again and day.state == snapshot and again == first


def test_an_item_writes_one_record() -> None:
    day = Day()
    day.add_all([_item(n, *row) for n, row in enumerate(HEALTH)])
    before = set(day.state)
    day.add(_item(7, *SETTLEMENT[0]))
    assert set(day.state) - before == {cluster.record_key(LENS, DAY, "i7", True)}


def test_the_graph_rebuilt_from_json_records_goes_on_as_before() -> None:
    day = Day()
    day.add_all([_item(1, *HEALTH[0]), _item(2, *SETTLEMENT[0])])
    restored = Day(orjson.loads(orjson.dumps(day.state)))  # a restart: the records, no graph
    joined, changed = restored.add(_item(3, *HEALTH[1]))
    assert changed and restored.members(_item(3, *HEALTH[1])) == ["i1", "i3"]
    assert restored.add(_item(2, *SETTLEMENT[0]))[1] is False


def test_a_rebuild_scores_no_pair_and_prepares_no_text(monkeypatch: pytest.MonkeyPatch) -> None:
    day = Day()
    day.add_all([_item(n, *row) for n, row in enumerate(HEALTH + SETTLEMENT)])
    monkeypatch.setattr(cluster, "linked", lambda *a, **k: pytest.fail("a rebuild scored a pair"))
    monkeypatch.setattr(cluster, "association", lambda *a, **k: pytest.fail("a rebuild scored a pair"))
    monkeypatch.setattr(cluster.Node, "of", lambda *a, **k: pytest.fail("a rebuild prepared a text"))
    assert Day(dict(day.state)).partition() == day.partition() == [["i0", "i1", "i2"], ["i3", "i4"]]


def test_story_ids_are_deterministic_and_named_by_the_earliest_item() -> None:
    items = [_item(n, *row) for n, row in enumerate(HEALTH + SETTLEMENT)]
    ids = assign_all(items)
    assert ids == assign_all(list(reversed(items)))
    assert ids["i2"] == cluster.story_id(LENS, DAY, cluster.Node.of(items[0]))


def test_a_story_followed_from_an_earlier_day_is_developing() -> None:
    day = Day()
    day.add_all([_item(n, *row) for n, row in enumerate(HEALTH[:2])])
    next_day = make_item(id="d2", outlet="bbc.co.uk", title=HEALTH[2][1], text=HEALTH[2][2],
                         event_at=AT + timedelta(days=1), url="https://bbc.co.uk/d2")
    day.add(next_day)
    assert next_day.day == "2026-01-09" and day.since(next_day) == DAY


def test_the_same_article_collected_again_the_next_day_is_not_a_development() -> None:
    day = Day()
    day.add_all([_item(n, *row) for n, row in enumerate(HEALTH[:2])])
    again = make_item(id="again", outlet="slashdot.org", title=HEALTH[0][1], text=HEALTH[0][2],
                      event_at=AT + timedelta(days=1), url="https://slashdot.org/story-0")
    day.add(again)
    assert again.day == "2026-01-09" and day.since(again) is None


WORDS = ("model chip lawsuit policy safety export rule launch funding deal court probe agent "
         "robot data centre energy privacy election deepfake benchmark").split()
WORDS += [f"{word}{n}" for word in ("topic", "matter", "issue") for n in range(60)]  # a real day's variety
NAMES = [f"Acme{n}" for n in range(300)] + [f"Lab{n}" for n in range(200)]


def _synthetic(n: int, rng: random.Random) -> Any:
    names = rng.sample(NAMES, 2)
    words = rng.sample(WORDS, 5)
    title = f"{names[0]} and {names[1]} {words[0]} {words[1]}"
    text = f"{names[0]} will {words[2]} the {words[3]} with {names[1]} {words[4]}."
    return make_item(id=f"s{n}", title=title, text=text, url=f"https://s{n % 37}.com/{n}",
                     outlet=f"s{n % 37}.com", event_at=AT + timedelta(seconds=20 * n))


def test_candidates_are_only_items_sharing_a_distinctive_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts the pair scores: an item is compared with the items sharing two of its query
    tokens, an LSH bucket or a URL (and not already in its story), not with the whole day.
    (With a tiny vocabulary most items would share two words: the bound is the vocabulary's.)"""
    calls = []
    real = cluster.linked
    monkeypatch.setattr(cluster, "linked", lambda a, b, *rest: calls.append(1) or real(a, b, *rest))
    rng = random.Random(7)
    items = [_synthetic(n, rng) for n in range(2000)]
    assign_all(items)
    pairs = len(items) * (len(items) - 1) / 2
    assert 0 < len(calls) < pairs / 20


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
    day = Day()
    for item in _from_spec(spec):
        day.add(item)
        assert all(member.startswith("h") and day.graphs.of(day.state, LENS, item.day).entries[member].key[0]
                   .date().isoformat() == item.day for member in day.members(item))


@settings(max_examples=40, deadline=None)
@given(items_strategy, st.randoms(use_true_random=False))
def test_stories_do_not_depend_on_arrival_order_nor_redeliveries(spec: list[tuple[int, int, int]],
                                                                 rnd: random.Random) -> None:
    items = _from_spec(spec)
    once = assign_all(items)
    shuffled = list(items)
    rnd.shuffle(shuffled)
    again = Day()
    for item in shuffled:  # every item redelivered at a random later point, as after a restart
        again.add(item)
        again.add(rnd.choice(shuffled[: shuffled.index(item) + 1]))
    assert {item.id: again.story_of(item) for item in items} == once


MERIDIAN_LAUNCH = [
    ("reuters.com", "Meridian Labs releases Meridian-5 model, citing safety evaluations",
     "Meridian Labs released Meridian-5, its most capable model, on Thursday and published a system "
     "card with dangerous-capability evaluations for Meridian-5."),
    ("techcrunch.com", "Meridian Labs debuts Meridian-5 with new dangerous-capability evals",
     "Meridian Labs debuted Meridian-5 on Thursday; the Meridian-5 system card reports new "
     "dangerous-capability evaluations."),
]


def test_a_regulator_asking_about_a_launched_model_is_its_own_story() -> None:
    follow = _item(9, "politico.eu", "EU AI Office asks Meridian Labs for Meridian-5 risk documentation",
                   "The European Commission's AI Office has asked Meridian Labs to hand over technical "
                   "documentation on Meridian-5 under the AI Act, officials said on Thursday.")
    ids = assign_all([_item(n, *row) for n, row in enumerate(MERIDIAN_LAUNCH)] + [follow])
    assert ids["i0"] == ids["i1"] != ids["i9"]


def test_a_paper_never_joins_a_model_release_story() -> None:
    paper = _item(7, "arxiv.org", "Measuring Dangerous-Capability Evaluations of Meridian-5 Agents",
                  "We evaluate Meridian-5 and other frontier models on dangerous-capability evaluations.",
                  kind="paper")
    ids = assign_all([_item(n, *row) for n, row in enumerate(MERIDIAN_LAUNCH)] + [paper])
    assert ids["i7"] not in {ids["i0"], ids["i1"]}


def test_deals_of_two_different_companies_with_one_partner_stay_apart() -> None:
    first = _item(1, "cnbc.com", "Meta commits to spending additional $21 billion with CoreWeave",
                  "Meta will spend an additional $21 billion on CoreWeave cloud capacity through 2032.")
    second = _item(2, "cnbc.com", "CoreWeave stock pops 11% on deal to power Anthropic's Claude",
                   "CoreWeave shares rose after a multi-year deal to supply capacity to Anthropic.")
    ids = assign_all([first, second])
    assert ids["i1"] != ids["i2"]


def test_chinese_and_english_reports_of_export_controls_meet() -> None:
    en = _item(1, "reuters.com", "US tightens export controls on advanced AI chips",
               "The US Commerce Department tightened export controls on advanced AI chips to China.")
    zh = _item(2, "量子位", "美国商务部收紧先进AI芯片出口管制", "美国商务部收紧对中国的先进AI芯片出口管制。", lang="zh")
    ids = assign_all([en, zh])
    assert ids["i1"] == ids["i2"]


def test_a_near_relevant_item_joins_the_story_it_reports_but_never_opens_one() -> None:
    day = Day()
    day.add(_item(0, *HEALTH[0]))
    near = _item(1, *HEALTH[1], relevant=False, relevance=0.45)
    unrelated = _item(2, *SETTLEMENT[0], relevant=False, relevance=0.45)
    assert day.add(near)[0] == day.story_of(_item(0, *HEALTH[0])) and day.members(near) == ["i0", "i1"]
    assert day.add(unrelated)[0] is None
    assert day.partition() == [["i0", "i1"]]


def test_a_near_relevant_item_that_came_first_joins_when_its_story_arrives() -> None:
    near = _item(1, *HEALTH[1], relevant=False, relevance=0.45)
    relevant = _item(2, *HEALTH[0])
    day = Day()
    assert day.add(near)[0] is None
    day.add(relevant)
    assert day.members(near) == ["i2", "i1"]


def test_a_near_relevant_item_never_links_two_stories() -> None:
    # it matches both reports; alone it is no evidence that the two are one development
    first, second = _item(1, *HEALTH[0]), _item(2, *SETTLEMENT[0])
    bridge = _item(3, "x.com", f"{HEALTH[1][1]}; {SETTLEMENT[1][1]}", f"{HEALTH[1][2]} {SETTLEMENT[1][2]}",
                   relevant=False, relevance=0.45)
    day = Day()
    day.add_all([first, second, bridge])
    assert len(day.partition()) == 2


def test_an_item_under_the_bar_must_match_more_closely_the_less_it_says_for_itself() -> None:
    # Same companies, same chips, another development: close enough for a report that is nearly
    # relevant on its own, too loose for one with no category evidence at all.
    story = ("theverge.com", "Nvidia and AMD consider reviving old chips as memory prices soar",
             "Nvidia and AMD are weighing a return to older GPU chips because memory prices have soared for PC makers.")
    other = ("techradar.com", "AMD will launch its first PC in 2026 with Ryzen AI chips",
             "AMD is launching its own PC next year, built around Ryzen AI Halo, to take on Apple's Mac Studio.")

    def attached(relevance: float) -> bool:
        day = Day()
        day.add(_item(0, *story))
        return day.add(_item(1, *other, relevant=False, relevance=relevance))[0] is not None

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
    ids = assign_all([_item(1, *first), _item(2, *second, **second_kw)])
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
    ids = assign_all([_item(n, *report) for n, report in enumerate(EXPORT_RULES, start=1)])
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
