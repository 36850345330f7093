"""The offline writer: headlines that say who did what, summaries that inform, Details a person
would write, an Executive Summary in one breath, and English and Chinese that never break."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from models.briefs import Brief
from models.lens import Category
from models.stories import Story, StoryMember
from streams.brief.assemble import assemble_brief, evidence
from streams.brief.sentences import (
    cjk_figures,
    is_title_case,
    names_in,
    numbers_in,
    opening,
    says_again,
    split_sentences,
    strip_attribution,
    strip_dateline,
)
from streams.brief.writer import clause, development_kind, executive_summary, headline, involved
from streams.ops.writing_check import frames
from tests.builders import make_brief, make_lens, make_member, make_story

CREATED = datetime(2026, 1, 8, 6, 5, tzinfo=UTC)


def _brief(stories: list[Story], **lens: object) -> Brief:
    return assemble_brief(make_lens(**lens), "2026-01-08", 1, stories, CREATED, 100, 20)


def _lawsuit(**overrides: object) -> Story:
    members = [
        make_member(id="wp", outlet="washingtonpost.com", url="https://wp.com/a",
                    title="Google and Character.AI Agree To Settle Lawsuits Over Teen Suicides",
                    text="Google and Character.AI plan to settle several lawsuits with families alleging that their "
                         "products drove their children to self-harm, according to court documents. The companies "
                         "said in court filings that they aim to settle five lawsuits from families."),
        make_member(id="gd", outlet="theguardian.com", url="https://theguardian.com/a",
                    title="Google and AI startup to settle lawsuits alleging chatbots led to teen suicide",
                    text="Google and Character.AI have agreed to settle multiple lawsuits from families alleging the "
                         "chatbot encouraged self-harm among teens. Terms of the settlement were not disclosed."),
        make_member(id="cn", outlet="cnet.com", url="https://cnet.com/a",
                    title="Google and Character.AI settle suits over child harm",
                    text="Character.AI and Google settled the suits in a federal court in Florida on Wednesday."),
    ]
    fields: dict[str, object] = {"story_id": "suits", "members": members, "tier": "top", "rank": 1,
                                 "confidence": "high", "score": 8.0, "category": "society-harms"}
    fields.update(overrides)
    return make_story(**fields)  # type: ignore[arg-type]


def _single(story_id: str, title: str, text: str, rank: int, **overrides: object) -> Story:
    member = make_member(id=story_id, outlet=f"{story_id}.com", url=f"https://{story_id}.com/a", title=title, text=text)
    fields: dict[str, object] = {"story_id": story_id, "members": [member], "tier": "top", "rank": rank,
                                 "confidence": "low", "score": 3.0}
    fields.update(overrides)
    return make_story(**fields)  # type: ignore[arg-type]


# --- headline ---------------------------------------------------------------------------------


def test_headline_prefers_a_sentence_case_title_over_seo_title_case() -> None:
    assert _brief([_lawsuit()]).top_items[0].headline == (
        "Google and AI startup to settle lawsuits alleging chatbots led to teen suicide")


def test_headline_strips_outlet_attributions_but_keeps_acting_speakers() -> None:
    assert strip_attribution("OpenAI reserves $50 billion for stock grant pool, The Information reports") == (
        "OpenAI reserves $50 billion for stock grant pool")
    assert strip_attribution("Nvidia requires full upfront payment for H200 chips in China, sources say") == (
        "Nvidia requires full upfront payment for H200 chips in China")
    assert strip_attribution("Tech war: China expert urges caution on Nvidia chips") == (
        "China expert urges caution on Nvidia chips")
    kept = "Dark web users cite Grok as tool for abuse imagery, UK watchdog says"
    assert strip_attribution(kept) == kept


def test_headline_is_never_chinese_when_an_english_title_exists() -> None:
    zh = make_member(id="zh", outlet="ithome.com", url="https://ithome.com/1", lang="zh", primary=True,
                     title="英特尔与谷歌围绕至强 CPU 与定制 IPU 深化双方多年合作",
                     text="英特尔与谷歌宣布将围绕至强 CPU 与定制 IPU 展开深入的多年期合作。")
    en = make_member(id="en", outlet="cnbc.com", url="https://cnbc.com/1",
                     title="Google expands partnership with Intel for AI chips",
                     text="Google has committed to using multiple generations of Intel chips in its data centers.")
    story = make_story([zh, en], tier="top", rank=1)
    assert headline(evidence(make_lens(), story)) == "Google expands partnership with Intel for AI chips"


def test_headline_is_the_development_not_the_writers_own_experience() -> None:
    text = "Meta's Muse Spark model asked for raw health data and lab results, then gave advice."

    def member(outlet: str, title: str) -> StoryMember:
        return make_member(id=outlet, outlet=f"{outlet}.com", url=f"https://{outlet}.com/1", text=text, title=title)

    review = member("wired", "Meta's Muse Spark asked for my raw health data, then gave advice")
    report = member("cnbc", "Meta's Muse Spark asks users for raw health data, then gives advice")
    story = make_story([review, report], tier="top", rank=1)  # on a tie the first member's title wins
    assert headline(evidence(make_lens(), story)) == report.title


# --- summary ----------------------------------------------------------------------------------


def test_summary_never_holds_two_sentences_that_say_the_same_thing() -> None:
    item = _brief([_lawsuit()]).top_items[0]
    sentences = split_sentences(item.summary)
    assert 1 <= len(sentences) <= 3 and len(item.summary) <= 420
    assert not any(says_again(a, b) for n, a in enumerate(sentences) for b in sentences[n + 1:])
    assert "have agreed to settle multiple lawsuits" not in item.summary  # a rewording of the first sentence
    assert "aim to settle five lawsuits" not in item.summary  # and another
    assert "Florida" in item.details  # the fact the rewordings would have crowded out, in Details


def test_chinese_datelines_are_dropped() -> None:
    assert strip_dateline("IT之家 4 月 9 日消息，英特尔与谷歌宣布合作。") == "英特尔与谷歌宣布合作。"
    assert strip_dateline("SAN FRANCISCO (Reuters) - OpenAI said on Monday.") == "OpenAI said on Monday."


def test_a_story_reported_only_in_chinese_is_labelled_and_told_in_english() -> None:
    zh = make_member(id="zh", outlet="IT之家", url="https://ithome.com/2", lang="zh",
                     title="英特尔与谷歌深化合作，Intel获3亿美元订单",
                     text="IT之家 4 月 9 日消息，英特尔与谷歌双方今日共同宣布，两家企业将展开深入的多年期合作。")
    item = _brief([make_story([zh], tier="top", rank=1, confidence="medium")]).top_items[0]
    assert item.headline == "英特尔与谷歌深化合作，Intel获3亿美元订单 (Chinese-language report)"
    assert item.summary.startswith("In Chinese only, from IT之家. The coverage names Intel and gives 300 million US "
                                   "dollars.")
    assert "\ufffd" not in item.summary


def test_the_executive_summary_names_a_chinese_only_story_in_english() -> None:
    item = make_brief().top_items[0].model_copy(
        update={"headline": "DeepSeek网页版大升级！随后宕机11小时 (Chinese-language report)"})
    assert clause(item) == "a Chinese-language report on DeepSeek"
    text = executive_summary("AI safety and governance", [item], [], {1: "36kr.com"})
    assert text.startswith("A Chinese-language report on DeepSeek.") and not re.search(r"[\u4e00-\u9fff]", text)


def test_a_name_ends_where_chinese_begins() -> None:
    assert names_in("GPT-6抢先发布？Mythos被曝难产，算力惊人烧垮Anthropic") == ["GPT-6", "Mythos", "Anthropic"]
    assert cjk_figures("营收超1400亿，增长50%，获3亿元融资") == ["140 billion", "50%", "300 million yuan"]


# --- details ----------------------------------------------------------------------------------


def test_details_carry_what_the_summary_did_not_and_say_how_sure() -> None:
    details = _brief([_lawsuit(developing_since="2026-01-06")]).top_items[0].details
    assert "federal court in Florida on Wednesday (cnet.com)." in details  # a new fact, with who says it
    assert "High confidence: three outlets (cnet.com, theguardian.com and washingtonpost.com)" in details
    assert details.endswith("Developing since 6 January.")
    for stock in ("It matters for", "Watch for", "A court case involving", "reported by three"):
        assert stock not in details
    assert all(s[0].isupper() and s.endswith(".") for s in split_sentences(details))


def test_no_sentence_frame_repeats_across_items() -> None:
    stories = [_lawsuit(), *(_single(f"s{n}", f"Lab {n} ships model {n} with new safety card",
                                     f"Lab {n} released model {n} on Tuesday. Its card lists {n} new evaluations "
                                     f"run by outside testers.", n + 2) for n in range(4))]
    brief = _brief(stories)
    assert frames(brief.top_items + brief.noteworthy) == []


def test_an_opinion_columns_rhetoric_is_not_the_headline() -> None:
    column = make_member(id="op", outlet="theguardian.com", url="https://theguardian.com/commentisfree/1",
                         title="The AI lab that cried wolf has finally met its reckoning",
                         text="A federal judge fined the lab $5 million on Monday for misleading investors.")
    news = make_member(id="nw", outlet="apnews.com", url="https://apnews.com/1",
                       title="Judge fines AI lab $5 million for misleading investors",
                       text="A federal judge fined the lab $5 million on Monday.")
    story = make_story([column, news], tier="top", rank=1)
    assert headline(evidence(make_lens(), story)) == news.title


def test_two_stories_of_one_development_become_one_item() -> None:
    one = _single("a", "OpenAI releases open-weight models for the first time", "OpenAI released two models.", 1)
    two = _single("b", "OpenAI released new open-weight models", "The models are free to download.", 2)
    brief = _brief([one, two])
    assert len(brief.top_items + brief.noteworthy) == 1
    assert len(brief.top_items[0].sources) == 2  # the second story's member is now a source of the first


def test_the_kind_of_development_comes_from_the_texts_so_a_new_lens_works() -> None:
    lens = make_lens(categories={"frobnication": Category(description="Whatever this lens is about.")})
    cases = {
        "deal": ("Startup Acme raises $2 billion in funding at a $20 billion valuation",
                 "Acme raised $2 billion from investors."),
        "incident": ("Hackers breach AI lab and leak model weights", "The breach exposed internal data."),
        "policy": ("EU regulators open probe into chatbot under new AI law",
                   "The Commission said the probe starts now."),
        "release": ("Lab unveils new reasoning model for coding", "The lab launched the model on Tuesday."),
        "legal": ("Judge rules authors' lawsuit against lab can go to trial", "The court ruling came on Monday."),
        "society": ("Software firm lays off 75% of its staff as AI eats its revenue", ""),
    }
    for kind, (title, text) in cases.items():
        story = _single("s", title, text, 1, category="frobnication")
        assert development_kind(evidence(lens, story)) == kind, title
    charged = _single("s", "Man faces federal charges for attacking an AI lab chief's home", "", 1)
    assert development_kind(evidence(lens, charged)) == "legal"
    # one cue word in one lead is not enough to call it anything
    thin = _single("s", "Company denies renaming its office suite", "Posts on Hacker News claimed so.", 1)
    assert development_kind(evidence(lens, thin)) == "development"
    paper = make_member(id="p", outlet="arXiv cs.CL", url="https://arxiv.org/abs/1", kind="paper",
                        title="Attacks on reward models", text="We show that reward models can be attacked.")
    item = _brief([make_story([paper], tier="top", rank=1, confidence="low")], ).top_items[0]
    assert item.details == "Low confidence: the authors' own preprint, not yet replicated or reviewed."
    assert "Reportedly" not in item.summary and "preprint" in item.summary


def test_primary_only_story_says_nobody_else_has_checked_it() -> None:
    member = make_member(id="o", outlet="openai.com", url="https://openai.com/x", primary=True,
                         title="OpenAI releases a new model for hospitals",
                         text="OpenAI released a model for hospitals today.")
    details = _brief([make_story([member], tier="top", rank=1, confidence="medium")]).top_items[0].details
    assert "Medium confidence: only openai.com itself speaks so far." in details


# --- executive summary ------------------------------------------------------------------------


def test_executive_summary_states_the_day_and_the_thread_between_its_top_items() -> None:
    stories = [
        _lawsuit(),
        _single("jassy", 'Amazon CEO Jassy defends $200 billion AI spend: "We are not going to be conservative"',
                "Andy Jassy defended spending $200 billion on AI infrastructure in his shareholder letter.", 2,
                confidence="medium", category="society-harms"),
        _single("h200", "Nvidia requires full upfront payment for H200 chips in China, sources say",
                "Nvidia is requiring Chinese buyers to pay in full upfront for its H200 chips.", 3),
        _single("grok", "Google faces probe over Grok abuse imagery, as pressure builds on X",
                "Regulators in several countries are looking at Grok.", 4),
    ]
    brief = _brief(stories)
    text = brief.executive_summary
    assert len(text) <= 800 and 3 <= len(split_sentences(text)) <= 5
    # Each development as its own Summary states it, hedged there; not a list of headlines.
    for item in brief.top_items:
        assert split_sentences(item.summary)[0] in text
    assert text.startswith("Google and Character.AI plan to settle several lawsuits")
    assert "According to jassy.com, Andy Jassy defended" in text and "Reportedly, Nvidia is requiring" in text
    assert text.endswith("Two involve Google.")  # the thread: an actor, not an outlet
    assert not any(frame in text for frame in ("Also:", "The day's lead", "The thread:", "made the brief"))


def test_executive_summary_says_when_nothing_links_the_top_items() -> None:
    stories = [_single("a", "Acme ships a model for hospitals", "Acme shipped it.", 1, confidence="high",
                       category="frontier-models"),
               _single("b", "Regulator fines Zenith over data use", "Zenith was fined.", 2, confidence="high",
                       category="policy-regulation")]
    text = _brief(stories).executive_summary
    # Summaries too short to stand alone: the headlines, firm as the evidence is.
    assert text == ("Acme ships a model for hospitals. Regulator fines Zenith over data use. "
                    "They span frontier models and policy regulation.")
    uncategorised = [s.model_copy(update={"category": None}) for s in stories]
    assert _brief(uncategorised).executive_summary.endswith("data use. Nothing links them.")


def test_a_day_of_few_top_items_states_its_first_noteworthy_developments_too() -> None:
    stories = [_single("a", "Acme ships a model for hospitals", "Acme shipped it.", 1, confidence="high"),
               _single("b", "Regulator fines Zenith over data use", "Zenith was fined.", 2, confidence="medium",
                       tier="noteworthy"),
               _single("c", "Orbit opens a data centre in Ohio", "Orbit opened it.", 3, tier="noteworthy"),
               _single("d", "Nova hires a chief scientist", "Nova hired one.", 4, tier="noteworthy")]
    text = _brief(stories).executive_summary
    assert text.startswith("Acme ships a model for hospitals. Regulator fines Zenith over data use, b.com reports. "
                           "Orbit opens a data centre in Ohio, c.com alone reports.")
    assert "Nova" not in text and 3 <= len(split_sentences(text)) <= 5


def test_a_headline_in_the_first_person_is_quoted_and_attributed_never_restated() -> None:
    brief = make_brief()
    item = brief.top_items[0].model_copy(update={
        "headline": "Today, we closed our latest funding round with $122 billion in committed capital",
        "summary": "According to social posts, today, we closed our latest funding round.", "confidence": "medium"})
    text = executive_summary("AI safety and governance", [item], [], {1: "X @OpenAI"})
    assert text == "“Today, we closed our latest funding round with $122 billion in committed capital”, X @OpenAI says."


def test_executive_summary_fits_on_a_long_day() -> None:
    long = ("Regulators in many countries announced sweeping coordinated measures against frontier model misuse on "
            "Tuesday, naming Acme and saying the rules take effect next year after a consultation of {n} months.")
    brief = make_brief()
    items = [brief.top_items[0].model_copy(update={"summary": long.format(n=n), "story_id": str(n)})
             for n in range(2, 8)]
    text = executive_summary("AI safety and governance", items, [], {1: "example.com"})
    # Developments go from the end until it fits; the thread is of those it states.
    assert len(text) <= 800 and text.endswith("Acme runs through all three.")
    assert 1 <= text.count("Regulators in many countries") < len(items)


# --- text primitives --------------------------------------------------------------------------


def test_names_and_numbers_are_found_as_written() -> None:
    text = "Google and Character.AI settled. US District Judge Yvonne Gonzalez Rogers ruled; xAI paid $1,000."
    names = names_in(text)
    assert {"Google", "Character.AI", "US District Judge Yvonne Gonzalez Rogers", "xAI"} <= set(names)
    assert numbers_in("It paid $1,000 to 3 people [4].") == {"1,000", "1000", "3"}
    assert not re.search(r"\bNvidia’s\b", " ".join(names_in("Buyers of Nvidia’s H200 chips wait.")))
    # a word that opens any sentence is no part of the name that follows it
    assert names_in("How Elon Musk’s Grok spread deepfakes") == ["Elon Musk", "Grok"]
    assert names_in("After OpenAI's launch, Google responds") == ["OpenAI", "Google"]
    assert names_in("Meet Gemma: our new family of open models") == ["Gemma"]
    assert names_in("New York Times sues a lab") == ["New York Times"]  # an opener that starts a name
    assert names_in("Meta AI app climbs to No. 5 on the App Store") == ["Meta AI", "App Store"]  # a rank


def test_a_short_headline_in_title_case_is_title_case() -> None:
    assert is_title_case("Grok Is Pushing AI ‘Undressing’ Mainstream")
    assert not is_title_case("Leading AI expert delays timeline for its possible destruction of humanity")


def test_an_aggregators_lead_in_is_not_part_of_the_news() -> None:
    assert strip_dateline("An anonymous reader quotes a report from Wired: Google adds AI to Gmail.") == (
        "Google adds AI to Gmail.")
    assert strip_dateline("Longtime Slashdot reader someone shares a report from Reuters: A judge ruled.") == (
        "A judge ruled.")
    for news in ("Nvidia shares rose 5% after the launch.", "Sam Altman writes: we are hiring."):
        assert strip_dateline(news) == news


def test_the_actors_are_names_not_a_headlines_capitalised_first_word() -> None:
    member = make_member(id="g", outlet="theguardian.com", url="https://theguardian.com/1",
                         title="Leading AI expert Daniel Kokotajlo delays timeline for AGI",
                         text="Daniel Kokotajlo says progress is slower. He is leading a forecasting group.")
    story = make_story([member], tier="top", rank=1)
    assert involved(evidence(make_lens(), story), member.title) == ["Daniel Kokotajlo"]
    adjectives = make_member(id="n", outlet="neowin.net", url="https://neowin.net/1",
                             title="I tested Acme's HIPAA-compliant tool on AI-generated notes", text="")
    story = make_story([adjectives], tier="top", rank=1)
    assert involved(evidence(make_lens(), story), adjectives.title) == ["Acme"]
    # ... but a name capitalised mid-sentence keeps its first word, though the texts use it lower case
    store = make_member(id="t", outlet="techcrunch.com", url="https://techcrunch.com/1",
                        title="Meta AI app climbs to No. 5 on the App Store",
                        text="The app was ranking No. 57 before the launch.")
    story = make_story([store], tier="top", rank=1)
    assert involved(evidence(make_lens(), story), store.title) == ["Meta AI", "App Store"]


def test_a_lead_in_keeps_a_name_that_a_url_writes_in_lower_case() -> None:
    article = make_member(id="w", outlet="wired.com", url="https://wired.com/1", title="Robot maker and lab partner",
                          text="Google DeepMind and Boston Dynamics are teaming up on a humanoid robot.")
    post = make_member(id="hn", outlet="example.net", url="https://example.net/2", title="Robot maker and lab partner",
                       text="Article URL: https://bostondynamics.com/blog/boston-dynamics-google-deepmind-partnership")
    story = make_story([article, post], tier="top", rank=1, confidence="medium")
    assert "Google DeepMind and Boston Dynamics" in _brief([story]).top_items[0].summary


def test_a_posts_text_as_its_headline_is_cut_to_its_first_sentence() -> None:
    post = make_member(id="x", source="X @lab", outlet="x.com", url="https://x.com/lab/status/1", kind="tweet",
                       title="Introducing a quality mode for our image model, our most advanced yet. It gives you "
                             "sharper details, stronger text rendering and more creative control on web and mobile.")
    story = make_story([post], tier="top", rank=1)
    assert headline(evidence(make_lens(), story)) == (
        "Introducing a quality mode for our image model, our most advanced yet.")


def test_a_question_tacked_on_to_a_headline_is_dropped_when_the_report_says_enough() -> None:
    def story_titled(title: str) -> Story:
        member = make_member(id="c", outlet="cnbc.com", url="https://cnbc.com/1", title=title,
                             text="Meta released its Muse Spark model on Wednesday and must now make money from it.")
        return make_story([member], tier="top", rank=1)

    teased = story_titled("Meta's long-awaited AI model is finally here. But can it make money?")
    assert headline(evidence(make_lens(), teased)) == "Meta's long-awaited AI model is finally here"
    asked = story_titled("Why are Grok and X still available in app stores?")
    assert headline(evidence(make_lens(), asked)) == "Why are Grok and X still available in app stores?"




def test_two_sentences_that_open_alike_state_one_fact() -> None:
    # who did what, the day aside: the tails differ, the fact they open with is the same
    first = opening("Northwind on Tuesday released Aurora-2, its most accurate speech model.")
    assert first == opening("Northwind today released Aurora-2 - a model that halves transcription errors.")
    assert first != opening("Northwind said Aurora-2 halves transcription errors on noisy recordings.")
    assert opening("It shipped, the firm said.") == frozenset()  # too little to compare



def test_details_never_quote_a_posters_own_experience() -> None:
    members = [
        make_member(id="news", outlet="theverge.com", url="https://theverge.com/gpt-oss",
                    title="OpenAI releases gpt-oss, its first open-weight models since GPT-2",
                    text="OpenAI released two open-weight models on Tuesday. The larger one runs on a single GPU. "
                         "The models are available under the Apache 2.0 licence."),
        make_member(id="post", outlet="reddit r/LocalLLaMA", source="reddit", kind="post",
                    url="https://www.reddit.com/r/LocalLLaMA/comments/1/gpt_oss/", title="gpt-oss is out",
                    text="OpenAI released two open-weight models on Tuesday. I was getting terrible download "
                         "speeds from the Transformers library in my Python code after the release of the models. "
                         "Weights for the gpt-oss models are now downloadable on Hugging Face in two sizes."),
    ]
    item = _brief([make_story(members, story_id="oss", tier="top", rank=1, confidence="medium")]).top_items[0]
    assert "download speeds" not in item.details and "my Python" not in item.details
    assert item.details.startswith("The larger one runs on a single GPU (theverge.com).")  # the story's facts stay


def test_a_summary_states_what_happened_and_asks_nothing() -> None:
    members = [make_member(id=f"m{n}", outlet=outlet, url=f"https://{outlet}/x",
                           title="UK threatens to ban X over Grok images",
                           text="Should X be banned in the UK over the Grok images, as ministers threaten? "
                                "Britain's leader says all options are on the table if X does not stop Grok. "
                                "Ofcom said it would speed up its investigation.")
               for n, outlet in enumerate(("bbc.co.uk", "theguardian.com"))]
    item = _brief([make_story(members, story_id="x", tier="top", rank=1, confidence="high")]).top_items[0]
    assert "?" not in item.summary and "Britain's leader says all options" in item.summary


def test_a_question_or_exclamation_ends_a_sentence_even_after_a_capital() -> None:
    assert split_sentences("Should they be taken off X? In the UK alone there is doubt. Mr. Musk met J. Doe. "
                           "Grok is banned in country A! Others may follow.") == [
        "Should they be taken off X?", "In the UK alone there is doubt.", "Mr. Musk met J. Doe.",
        "Grok is banned in country A!", "Others may follow."]


def test_the_writer_reads_a_bounded_number_of_members_and_counts_them_all() -> None:
    from datetime import timedelta

    from streams.brief.writer import MEMBERS_READ, write_item
    at = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    reports = [make_member(id=f"r{n}", outlet=f"outlet{n}.com", url=f"https://outlet{n}.com/a",
                           title="Acme Labs releases its Falcon model", text="Acme Labs released Falcon on Thursday.",
                           event_at=at + timedelta(minutes=n), published_at=at + timedelta(minutes=n))
               for n in range(3 * MEMBERS_READ)]
    late = make_member(id="late", outlet="late.com", url="https://late.com/a", title="Acme Labs Falcon",
                       text="Acme Labs also said Zanzibar gets Falcon first.", event_at=at + timedelta(days=1),
                       published_at=at + timedelta(days=1))
    story = make_story([late, *reversed(reports)])
    ev = evidence(make_lens(), story)
    assert [s.member.id for s in ev.read] == [f"r{n}" for n in range(MEMBERS_READ)]  # the earliest first
    assert len(ev.independent) == 3 * MEMBERS_READ + 1  # every outlet is still counted
    written = write_item(ev, short=False)
    assert "Zanzibar" not in f"{written.headline} {written.summary} {written.details}"
