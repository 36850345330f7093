"""The relevance and category decision of the AI-safety-and-governance lens, item by item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.lens import Lens
from streams.lenses import DEFAULT_LENS, load_lens
from streams.stages.classify import BIG_MONEY, Verdict, associable, classify

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real"
# The term rules on their own: the fitted model that decides on top of them is tested in
# test_relevance_model.py and measured by `usul eval`.
LENS = load_lens(DEFAULT_LENS).model_copy(update={"relevance_model": None})


def make_item(**overrides: Any) -> dict[str, str]:
    item = {
        "title": "Regional council approves new bus timetable",
        "text": "The council said the changes take effect next month.",
        "source": "theguardian.com",
        "url": "https://www.theguardian.com/uk/2026/jan/08/bus-timetable",
        "kind": "article",
        "lang": "en",
    }
    item.update(overrides)
    return item


def judge(lens: Lens = LENS, **overrides: Any) -> Verdict:
    return classify(lens=lens, **make_item(**overrides))


def test_world_news_without_ai_angle_is_noise() -> None:
    verdict = judge(title="Ceasefire talks resume as envoys meet in Geneva",
                    text="Diplomats said the talks would continue through the week.")
    assert not verdict.relevant and verdict.reasons == ("no ai anchor",)


def test_ai_inside_a_word_does_not_count() -> None:
    verdict = judge(title="Taiwan said to maintain tariffs on imported grain",
                    text="Officials said Taiwan will maintain the current regime.")
    assert not verdict.relevant
    assert "no ai anchor" in verdict.reasons


@pytest.mark.parametrize("spelling", ["A.I.", "AI's", "GenAI", "AI"])
def test_every_spelling_of_ai_is_an_anchor(spelling: str) -> None:
    verdict = judge(title=f"Senate passes bill to regulate {spelling} companies")
    assert verdict.relevant and verdict.category == "policy-regulation"


def test_frontier_lab_lawsuit_is_policy_regulation() -> None:
    verdict = judge(title="Judge lets lawsuit against OpenAI over copyright go to trial")
    assert verdict.relevant and verdict.category == "policy-regulation"
    assert any(r.startswith("category policy-regulation:") for r in verdict.reasons)


def test_chinese_chip_export_story_is_relevant() -> None:
    verdict = judge(title="美国收紧对华AI芯片出口管制，英伟达H20受影响",
                    text="美国商务部宣布新的出口管制规则，限制高端人工智能芯片对华出口。",
                    source="IT之家", url="https://www.ithome.com/0/1/1.htm", lang="zh")
    assert verdict.relevant
    assert verdict.category in {"chips-supply-chain", "geopolitics-sovereignty"}


def test_a_chinese_term_of_the_text_counts_the_lens_share_of_an_english_one() -> None:
    factor = float(str(LENS.classifier["chinese_text_factor"]))
    assert 0 < factor < 1
    unweighted = {**LENS.classifier, "chinese_text_factor": 1.0}
    full = LENS.model_copy(update={"slug": "zh-text-full", "classifier": unweighted})
    item = {"title": "AI 初创公司发布新产品", "text": "该公司表示将加强监管合规。", "source": "36氪",
            "url": "https://36kr.com/p/1", "lang": "zh"}
    weak, strong = judge(**item), judge(lens=full, **item)
    assert any("监管" in r for r in weak.reasons)
    assert weak.relevance < strong.relevance
    english = {"title": "AI startup ships a product", "text": "The company says regulation applies.",
               "source": "36氪", "url": "https://36kr.com/p/1"}
    assert judge(**english).relevance == judge(lens=full, **english).relevance


def test_chinese_gadget_launch_with_ai_feature_is_noise() -> None:
    verdict = judge(title="某品牌新款无线耳机发售：支持 AI 通话降噪，首发价 499 元",
                    text="该耳机采用半入耳设计，支持双设备连接。", source="IT之家", lang="zh")
    assert not verdict.relevant


def test_consumer_gadget_with_an_ai_sticker_is_noise() -> None:
    verdict = judge(title="The best AI TVs of CES 2026, tested and reviewed",
                    text="These new TVs use AI to upscale pictures.", source="zdnet.com")
    assert not verdict.relevant
    assert "noise: shopping-and-gadgets" in verdict.reasons


def test_generic_security_news_without_ai_is_noise() -> None:
    verdict = judge(title="Hackers exploit VPN zero-day to breach government networks",
                    text="The campaign used a flaw in a popular appliance.", source="securityweek.com")
    assert not verdict.relevant


def test_ai_enabled_attack_is_security_misuse() -> None:
    verdict = judge(title="Researchers jailbreak chatbot with prompt injection to exfiltrate user data",
                    source="securityweek.com")
    assert verdict.relevant and verdict.category == "security-misuse"


def test_reddit_self_promotion_is_noise() -> None:
    verdict = judge(title="I built an AI agent platform for startups, feedback welcome",
                    text="Hey everyone, I built this tool over the weekend. " * 10,
                    source="reddit r/artificial", url="https://www.reddit.com/r/artificial/comments/x")
    assert not verdict.relevant
    assert "noise: self-promotion" in verdict.reasons


def test_help_question_on_reddit_is_noise() -> None:
    verdict = judge(title="What is the best model for coding on an RTX 3090?",
                    text="I have 24GB VRAM and want the best open weight LLM. Any advice? " * 5,
                    source="reddit r/LocalLLaMA", url="https://www.reddit.com/r/LocalLLaMA/comments/y")
    assert not verdict.relevant


def test_stock_tip_about_ai_is_noise() -> None:
    verdict = judge(title="2 AI stocks to buy now before they soar", source="fool.com")
    assert not verdict.relevant


def test_routine_vision_paper_is_not_relevant() -> None:
    verdict = judge(title="Efficient Vision Transformers for Semantic Segmentation of Remote Sensing Images",
                    text="We propose a lightweight transformer that improves mIoU on three benchmarks.",
                    source="arXiv cs.CV", url="https://arxiv.org/abs/2601.00001", kind="paper")
    assert not verdict.relevant
    assert "paper: no safety, security or governance angle" in verdict.reasons


def test_safety_eval_paper_is_relevant_in_research_or_evals() -> None:
    verdict = judge(title="Red Teaming Large Language Models: A Benchmark for Jailbreak Safety Evaluation",
                    text="We evaluate frontier LLMs for harmful outputs and refusal behaviour.",
                    source="arXiv cs.CL", url="https://arxiv.org/abs/2601.00002", kind="paper")
    assert verdict.relevant
    assert verdict.category in {"research", "evals-trust", "security-misuse"}


@pytest.mark.parametrize("url, text", [
    ("https://www.reddit.com/r/MachineLearning/comments/1q7f5z7/agent_memory",
     "https://doi.org/10.48550/arXiv.2601.03236 We extend large language models with external memory."),
    ("https://arxiv.org/abs/2601.03236", "Article URL: https://arxiv.org/abs/2601.03236 Points: 9"),
])
def test_a_post_sharing_an_arxiv_paper_is_judged_as_a_paper(url: str, text: str) -> None:
    source = "reddit r/MachineLearning" if "reddit" in url else "Hacker News (frontpage)"
    routine = judge(title="A Multi-Graph Agentic Memory Architecture for AI Agents and Large Language Models",
                    text=text, source=source, url=url, kind="post")
    assert not routine.relevant
    assert "paper: no safety, security or governance angle" in routine.reasons
    safety = judge(title="Jailbreak red teaming of AI agents: safety alignment fails under prompt injection",
                   text=text, source=source, url=url, kind="post")
    assert any(r.startswith("paper angle") for r in safety.reasons)


CATEGORY_EXAMPLES = {
    "compute-infrastructure": "Hyperscaler signs gigawatt nuclear power deal for AI data center",
    "chips-supply-chain": "TSMC lifts HBM and AI accelerator output as chipmaker races on wafer supply",
    "frontier-models": "OpenAI unveils frontier model with larger context window",
    "open-models": "Lab publishes open weight LLM on Hugging Face under permissive license",
    "security-misuse": "AI deepfake scam and voice cloning fraud surge, police warn",
    "policy-regulation": "EU regulators open AI Act compliance probe into chatbot maker",
    "research": "AI researchers find reward hacking and deceptive misalignment in interpretability study",
    "agents-tooling": "Coding agent adds computer use and MCP tool use for agentic AI workflows",
    "evals-trust": "AI system card reveals red teaming evaluation and hallucination benchmark results",
    "geopolitics-sovereignty": "Sovereign AI push: Gulf states and China in AI race over national security",
    "society-harms": "AI chatbot linked to teen suicide and mental health harm, parents say",
    "business-markets": "AI startup raises funding at billion valuation in Series B round led by venture firms",
}


def test_every_category_in_the_lens_is_reachable() -> None:
    assert set(CATEGORY_EXAMPLES) == set(LENS.categories)
    for expected, title in CATEGORY_EXAMPLES.items():
        verdict = judge(title=title, text="")
        assert verdict.relevant and verdict.category == expected, (title, verdict)


def test_category_ties_go_to_the_category_listed_first(tmp_path: Path) -> None:
    lens = LENS.model_copy(update={"slug": "tie-test", "categories": {
        "first": LENS.categories["research"].model_copy(update={"terms": ["widget"]}),
        "second": LENS.categories["research"].model_copy(update={"terms": ["widget"]}),
    }})
    verdict = judge(lens=lens, title="AI widget widget", text="")
    assert verdict.category == "first"


def test_a_plural_listed_beside_its_singular_is_one_word_not_two_proofs() -> None:
    def lens_with(terms: list[str]) -> Lens:
        research = LENS.categories["research"].model_copy(update={"terms": terms})
        return LENS.model_copy(update={"slug": f"plural-test-{len(terms)}", "categories": {"research": research}})

    one, both = lens_with(["widget"]), lens_with(["widget", "widgets"])
    headline = {"title": "AI widgets are here", "text": ""}
    assert judge(lens=both, **headline).relevance == judge(lens=one, **headline).relevance > 0
    assert judge(lens=both, title="AI widget is here", text="").relevance == judge(lens=one, **headline).relevance


def test_an_ai_item_without_category_evidence_is_never_relevant_but_says_what_it_has() -> None:
    # What it has sets how closely it must match a story to join one at the close.
    plain = judge(title="Google puts more AI into everyday email", text="", source="example-blog.net",
                  url="https://example-blog.net/google-email")
    tier1 = judge(title="Google puts more AI into everyday email", text="", source="nytimes.com",
                  url="https://www.nytimes.com/2026/01/08/technology/email.html")
    assert "no category evidence" in plain.reasons
    assert not plain.relevant and not tier1.relevant and plain.category is None
    assert 0 < plain.relevance < tier1.relevance < 0.5


def test_a_masked_name_is_not_read_as_the_terms_it_contains() -> None:
    bill = judge(title="Bill Gates says AI could be used as a weapon", text="")
    assert not any("'bill'" in r for r in bill.reasons)
    assert any("'bill'" in r for r in judge(title="Senate passes AI bill", text="").reasons)
    unmasked = LENS.model_copy(update={"slug": "unmasked", "classifier": {**LENS.classifier, "masked_names": []}})
    post = {"title": "Claude bug confuses users, Hacker News reacts", "text": ""}
    assert any("'hacker'" in r for r in judge(lens=unmasked, **post).reasons)
    assert not any("'hacker'" in r for r in judge(**post).reasons)


def test_relevance_is_between_zero_and_one_and_the_decision_is_deterministic() -> None:
    item = make_item(title="Anthropic sues regulator over AI safety rules", text="The lawsuit says ...")
    first, second = classify(lens=LENS, **item), classify(lens=LENS, **item)
    assert first == second
    assert 0.5 <= first.relevance <= 1.0 and first.reasons[0].startswith("ai anchor")


def _load(name: str) -> list[dict[str, Any]]:
    with (REAL / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.mark.skipif(not REAL.is_dir(), reason="shared real data (../shared/data/real) is absent")
def test_relevant_share_on_a_real_day_is_plausible() -> None:
    items = _load("rssdb-2026-01-08.jsonl") + _load("arxiv-2026-01-08.jsonl")
    fields = ("title", "text", "source", "url", "kind", "lang")
    relevant = sum(classify(*(i.get(f) or "" for f in fields), lens=LENS).relevant for i in items)
    share = relevant / len(items)
    print(f"relevant share: {relevant}/{len(items)} = {share:.1%}")
    assert 0.03 <= share <= 0.15


def test_billions_in_a_headline_add_evidence() -> None:
    plain = classify(**make_item(title="OpenAI sets aside a stock grant pool for staff", text=""), lens=LENS)
    sized = classify(**make_item(title="OpenAI sets aside $50 billion stock grant pool for staff", text=""),
                     lens=LENS)
    assert sized.relevance > plain.relevance and "scale: billions in the headline" in sized.reasons


def test_a_headline_that_asks_weighs_less_than_one_that_reports() -> None:
    reports = classify(**make_item(title="AI layoffs hit workers at three banks", text=""), lens=LENS)
    asks = classify(**make_item(title="Could AI layoffs hit workers at three banks?", text=""), lens=LENS)
    assert asks.relevance < reports.relevance and "headline asks a question" in asks.reasons


def test_help_and_advice_in_a_news_headline_are_not_noise() -> None:
    news = classify(**make_item(title="OpenAI launches ChatGPT Health for medical advice", text=""), lens=LENS)
    post = classify(**make_item(title="Need advice on ChatGPT for medical questions", text="",
                                source="reddit r/ChatGPT", url="https://www.reddit.com/r/ChatGPT/x"), lens=LENS)
    assert "noise: help-or-career" not in news.reasons and "noise: help-or-career" in post.reasons


def test_a_headline_word_that_is_both_anchor_and_category_is_one_piece_of_evidence() -> None:
    alone = judge(title="Nvidia engineer trims time spent printing Linux memory statistics", text="",
                  source="phoronix.com", url="https://www.phoronix.com/news/x")
    backed = judge(title="Nvidia wins AI chip orders from three cloud providers", text="",
                   source="phoronix.com", url="https://www.phoronix.com/news/y")
    assert not alone.relevant and backed.relevant


def test_a_tier1_newsroom_earns_a_bonus_an_unknown_outlet_does_not() -> None:
    title, text = "Bank deploys AI agents to handle customer complaints", ""
    newsroom = judge(title=title, text=text, source="reuters.com", url="https://www.reuters.com/x")
    unknown = judge(title=title, text=text, source="example-news.net", url="https://example-news.net/x")
    assert newsroom.relevance > unknown.relevance and "source: tier1" in newsroom.reasons


def test_a_news_headline_naming_a_key_actor_earns_a_bonus_a_post_or_the_actor_itself_does_not() -> None:
    named = "Microsoft plans a data center in a Michigan township"
    unnamed = named.replace("Microsoft", "Firm")
    news = judge(title=named, text="", source="neowin.net", url="https://www.neowin.net/x")
    plain = judge(title=unnamed, text="", source="neowin.net", url="https://www.neowin.net/y")
    post = judge(title=named, text="", source="reddit r/technology", url="https://www.reddit.com/r/technology/x")
    own = judge(title="OpenAI for Healthcare", text="", source="openai.com", url="https://openai.com/index/x")
    assert news.relevance > plain.relevance and any(r.startswith("key actor") for r in news.reasons)
    assert not any(r.startswith("key actor") for r in (*post.reasons, *own.reasons))


def test_billions_written_as_b_count_as_billions() -> None:
    verdict = judge(title="Anthropic reportedly raising $10B at $350B valuation", text="")
    assert "scale: billions in the headline" in verdict.reasons


@pytest.mark.parametrize(("amount", "billions"), [
    ("210亿美元", True), ("15亿美元", True), ("3万亿美元", True), ("1.5亿美元", False), ("1.55亿美元", False),
    ("$740 million", False), ("€2bn", True),
])
def test_only_amounts_of_a_billion_and_more_are_billions(amount: str, billions: bool) -> None:
    # 亿 is 10^8: 1.5亿美元 is $150 million
    assert bool(BIG_MONEY.search(f"Robot maker raises {amount}")) is billions


def test_an_editorial_never_opens_a_story_however_much_it_says() -> None:
    title = "The Guardian view on Ofcom versus Grok: regulators must stop chatbots that undress children"
    editorial = judge(title=f"{title} | Editorial", text="")
    report = judge(title=title.replace("The Guardian view on", "UK regulator weighs"), text="")
    assert report.relevant and not editorial.relevant
    assert associable(editorial.relevant, editorial.reasons)  # it may still join the story it discusses


def test_a_funding_round_of_millions_weighs_less_than_one_of_billions() -> None:
    def verdict(amount: str) -> Verdict:
        return judge(title=f"Zephyr raises {amount} for its AI platform", text="", source="example-news.net",
                     url="https://example-news.net/x")

    small, big, plain = verdict("$28 million"), verdict("$2 billion"), verdict("new funding")
    assert small.relevance < plain.relevance < big.relevance
    assert "scale: a funding round of millions" in small.reasons
    acquisition = judge(title="CrowdStrike to buy AI security startup SGNL for $740 million", text="")
    assert "scale: a funding round of millions" not in acquisition.reasons  # a deal, not a round


def test_ai_put_to_work_in_medicine_counts_for_the_lens_in_any_category() -> None:
    def verdict(title: str) -> Verdict:
        return judge(title=title, text="", source="example-news.net", url="https://example-news.net/x")

    medical, plain = verdict("AI begins renewing patients' prescriptions"), verdict("AI begins renewing library loans")
    assert medical.relevance > plain.relevance and any(r.startswith("stakes:") for r in medical.reasons)
    assert plain.category is None and medical.category == "society-harms"  # the lens's stakes_category
    court = verdict("Court orders AI firm to stop renewing patients' prescriptions")
    assert court.category == "policy-regulation"  # the stakes add evidence, they do not file the item


def test_a_social_post_that_discusses_a_story_never_joins_it_a_link_to_the_report_may() -> None:
    reddit = {"source": "reddit r/OpenAI", "url": "https://www.reddit.com/r/OpenAI/comments/x"}
    discussion = judge(title="My two cents on the trial everyone is talking about", text="So what happens to "
                       "OpenAI if the jury agrees with Musk? My guess is a settlement first.", **reddit)
    link = judge(title="Jury to hear Musk's lawsuit against OpenAI", text="submitted by /u/someone [link]",
                 **reddit)
    assert not discussion.relevant and not associable(discussion.relevant, discussion.reasons)
    assert "source: social post" in discussion.reasons
    assert link.relevant or associable(link.relevant, link.reasons)


def test_a_chinese_headline_that_asks_with_a_full_width_mark_is_a_question() -> None:
    verdict = judge(title="AI终极瓶颈：算力狂奔遇电荒，燃气轮机成幕后大Boss？", text="", lang="zh",
                    source="36kr.com", url="https://36kr.com/p/1")
    assert "headline asks a question" in verdict.reasons
