"""The writing check counts what a reader would notice: frames, repeats, foreign headlines,
entities that are no names, and two items for one development."""

from __future__ import annotations

from models.briefs import BriefItem
from streams.ops.writing_check import (
    check_brief,
    executive_lines,
    foreign,
    frame_tokens,
    frames,
    is_name,
    repeats,
    same_event,
)
from tests.builders import make_brief


def _item(headline: str, summary: str = "", details: str = "", n: int = 1) -> BriefItem:
    return BriefItem(story_id=f"s{n}", rank=n, tier="top", headline=headline, summary=summary, details=details,
                     category=None, confidence="high", score=1.0, sources=[n])


def test_a_frame_is_words_without_names_or_numbers() -> None:
    assert frame_tokens("Reported by eight independent outlets (Wired, CNBC and The Verge).") == [
        "reported", "by", "independent", "outlets"]
    assert frame_tokens("The lawsuit names OpenAI.")[:2] == ["the", "lawsuit"]


def test_a_sentence_frame_shared_by_three_items_is_counted_and_two_are_not() -> None:
    details = [f"A court case involving {n}, reported by three outlets. It matters because it bears on law."
               for n in ("Google", "Meta and xAI", "Anthropic")]
    items = [_item(f"h{n}", details=d, n=n) for n, d in enumerate(details)]
    found = dict(frames(items))
    assert found["a court case involving reported by"] == 3
    assert frames(items[:2]) == []


def test_the_confidence_wording_may_repeat() -> None:
    items = [_item(f"h{n}", details="Three outlets agree on the facts: high confidence in this report.", n=n)
             for n in range(4)]
    assert frames(items) == []


def test_two_summary_sentences_saying_the_same_thing_are_a_repeat() -> None:
    said_twice = ("Google and Character.AI agreed to settle lawsuits brought by families over teen suicides. "
                  "Character.AI and Google have settled the families' lawsuits over the suicides of teens.")
    assert len(repeats(said_twice)) == 1
    assert repeats("Google and Character.AI agreed to settle lawsuits from families. "
                   "Terms were not disclosed and a Florida judge must still approve the deal.") == []


def test_a_chinese_headline_is_foreign_unless_it_is_labelled() -> None:
    assert foreign("英特尔与谷歌深化合作") and not foreign("Société Générale backs an AI lab")
    brief = make_brief(top_items=[_item("英特尔与谷歌深化合作"), _item("英特尔与谷歌 (Chinese-language report)", n=2)])
    report = check_brief(brief)
    assert len(report.foreign) == 1 and len(report.labelled) == 1


def test_glued_fragments_roles_units_and_common_words_are_not_names() -> None:
    corpus = "the governor signed it. A new magazine said the device was found. Anthropic said."
    assert not is_name("Anthropic公司", corpus)
    assert not is_name("Governor", corpus) and is_name("Governor Gavin Newsom", corpus)
    assert not is_name("GW", corpus)
    assert not is_name("Magazine", corpus) and is_name("Anthropic", corpus)


def test_two_headlines_of_one_development_are_one_event() -> None:
    items = [_item("OpenAI raises $122 billion in funding at $852 billion valuation"),
             _item("OpenAI closes $122 billion funding round", n=2),
             _item("Anthropic raises money for data centres", n=3)]
    assert same_event(items) == [(items[0].headline, items[1].headline)]


def test_executive_summaries_are_checked_across_days_for_length_and_shared_frames() -> None:
    listed = "The day's lead: {n} ships a model. Also: {n} sues a rival and {n} raises money."
    days = ("2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04")
    reports = [check_brief(make_brief(day=day, executive_summary=listed.format(n=name)))
               for day, name in zip(days, ("Acme", "Zenith", "Orbit", "Nova"), strict=True)]
    lines = executive_lines(reports, verbose=True)
    assert lines[0] == ("executive summaries: 0 of 4 with 3-5 sentences (from 2 to 2); "
                        "3 frames shared by 3 or more days")
    assert lines[1:] == ["    frame x4 days: also sues a rival and raises",
                         "    frame x4 days: sues a rival and raises money",
                         "    frame x4 days: the day's lead ships a model"]
    stated = ["Acme shipped a model on Monday. A court heard the case. Investors put money in.",
              "Zenith was fined by a regulator over data use. Its shares fell. An appeal is planned.",
              "Orbit opened a data centre in Ohio. It draws a gigawatt. The grid operator approved it."]
    varied = [check_brief(make_brief(day=day, executive_summary=text)) for day, text in zip(days, stated, strict=False)]
    assert executive_lines(varied, verbose=True) == [
        "executive summaries: 3 of 3 with 3-5 sentences (from 3 to 3); 0 frames shared by 3 or more days"]
