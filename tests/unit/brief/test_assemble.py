"""The assembler: which stories and members a brief cites, and how the offline writer words them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.briefs import Brief
from models.lens import Lens
from models.stories import Story, StoryMember
from streams.brief.assemble import assemble_brief, brief_content_hash
from streams.brief.render import render_html, render_markdown, render_text
from streams.brief.sentences import clean_title, split_sentences, trim_words
from streams.lenses import load_lens
from streams.stages.score import rank_stories
from tests.builders import make_lens, make_member, make_story

CREATED = datetime(2026, 1, 8, 6, 5, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]
REAL = REPO.parent / "shared" / "data" / "real"


def _assemble(stories: list[Story], revision: int = 1, created_at: datetime = CREATED) -> Brief:
    return assemble_brief(make_lens(), "2026-01-08", revision, stories, created_at, 100, 20)


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 8, hour, minute, tzinfo=UTC)


def _health_story(**overrides: object) -> Story:
    members = [
        make_member(id="bbc", outlet="bbc.co.uk", url="https://bbc.com/health",
                    title="OpenAI launches ChatGPT Health to review your medical records - BBC News",
                    text="The firm says its chatbot sees health questions from 230 million people every week. "
                         "OpenAI says ChatGPT Health is not intended for diagnosis or treatment.",
                    published_at=_at(17)),
        make_member(id="thn", outlet="thehackernews.com", url="https://thehackernews.com/health",
                    title="OpenAI Launches ChatGPT Health with Encrypted Health Data Controls",
                    text="OpenAI on Wednesday announced ChatGPT Health, a dedicated space for health "
                         "conversations. Users can connect medical records and wellness apps such as "
                         "Apple Health and MyFitnessPal. Read more at our site.",
                    published_at=_at(8)),
        make_member(id="oai", outlet="openai.com", url="https://openai.com/index/chatgpt-health", primary=True,
                    title="Introducing ChatGPT Health",
                    text="ChatGPT Health lets 230 million weekly users connect medical records securely.",
                    published_at=_at(12)),
    ]
    fields: dict[str, object] = {"story_id": "health", "members": members, "tier": "top", "rank": 1,
                                 "confidence": "high", "score": 9.0, "category": "industry"}
    fields.update(overrides)
    return make_story(**fields)  # type: ignore[arg-type]


def _rumour_story(**overrides: object) -> Story:
    member = make_member(id="rumour", outlet="channelnewsasia.com", url="https://cna.com/grants",
                         title="OpenAI reserves $50 billion for stock grant pool, The Information reports",
                         text="The company has set aside a pool worth $50 billion for employee stock grants, "
                              "according to people familiar with the matter.")
    fields: dict[str, object] = {"story_id": "grants", "members": [member], "tier": "top", "rank": 2,
                                 "confidence": "low", "score": 4.0, "category": "industry"}
    fields.update(overrides)
    return make_story(**fields)  # type: ignore[arg-type]


def test_citations_point_only_at_members_of_their_own_story() -> None:
    brief = _assemble([_health_story(), _rumour_story()])
    by_number = {s.number: s for s in brief.sources}
    stories = {"health": _health_story(), "grants": _rumour_story()}
    for item in brief.top_items:
        member_urls = {m.url for m in stories[item.story_id].members}
        assert item.sources, item.story_id
        assert all(by_number[n].url in member_urls for n in item.sources)


def test_sources_are_numbered_in_order_of_first_citation() -> None:
    brief = _assemble([_rumour_story(rank=2), _health_story(rank=1)])
    assert [s.number for s in brief.sources] == list(range(1, len(brief.sources) + 1))
    assert brief.top_items[0].story_id == "health"
    assert brief.top_items[0].sources == [1, 2, 3]
    assert brief.sources[0].outlet == "openai.com"  # the primary source is cited first


def test_members_with_one_canonical_url_share_one_source_number() -> None:
    twin_a = make_member(id="a", outlet="reuters.com", url="https://reuters.com/x?utm_source=rss",
                         canonical_url="https://reuters.com/x", title="Regulator fines lab")
    twin_b = make_member(id="b", outlet="reuters.com", url="https://www.reuters.com/x",
                         canonical_url="https://reuters.com/x", title="Regulator fines lab")
    other = make_member(id="c", outlet="ft.com", url="https://ft.com/y", title="Lab fined by regulator")
    brief = _assemble([make_story([twin_a, twin_b, other], tier="top", rank=1)])
    assert len(brief.sources) == 2
    assert len(brief.top_items[0].sources) == 2


def test_each_item_cites_at_most_six_sources_primary_first() -> None:
    members = [make_member(id=f"m{i}", outlet=f"outlet{i}.com", url=f"https://o{i}.com/a", title="Lab ships model")
               for i in range(9)]
    members.append(make_member(id="p", outlet="openai.com", url="https://openai.com/a", primary=True,
                               published_at=_at(23)))
    brief = _assemble([make_story(members, tier="top", rank=1)])
    assert len(brief.top_items[0].sources) == 6
    assert brief.sources[0].item_id == "p"


def test_tier_counts_are_guarded_by_the_lens() -> None:
    stories = [make_story(story_id=f"s{i}", tier="top", rank=i, members=[make_member(id=f"m{i}")])
               for i in range(1, 7)]
    brief = _assemble(stories)
    assert [i.story_id for i in brief.top_items] == ["s1", "s2", "s3", "s4"]
    assert [i.story_id for i in brief.noteworthy] == ["s5", "s6"]  # overflow moves down, not out


def test_low_confidence_story_is_hedged() -> None:
    brief = _assemble([_rumour_story()])
    item = brief.top_items[0]
    assert item.summary.startswith("Reportedly, ")
    assert "unconfirmed" in item.summary.lower()
    assert "Low confidence: a single outlet (channelnewsasia.com), and no primary statement." in item.details
    # The day stated with the item's own hedge.
    assert brief.executive_summary.startswith("Reportedly, the company has set aside a pool")


def test_high_confidence_story_is_stated_plainly() -> None:
    item = _assemble([_health_story()]).top_items[0]
    for hedge in ("Reportedly", "According to", "unconfirmed", "if accurate"):
        assert hedge not in item.summary
    # the primary source is not one of the outlets that agree
    assert "High confidence: openai.com speaks for itself and two outlets (" in item.details


def test_medium_confidence_names_who_says_so() -> None:
    item = _assemble([_health_story(confidence="medium")]).top_items[0]
    assert item.summary.startswith("According to ")


def test_headline_is_a_concrete_title_without_the_outlet_suffix() -> None:
    item = _assemble([_health_story()]).top_items[0]
    assert item.headline == "OpenAI launches ChatGPT Health to review your medical records"


def test_summary_uses_central_sentences_and_skips_boilerplate() -> None:
    item = _assemble([_health_story()]).top_items[0]
    assert "230 million" in item.summary
    assert "Read more" not in item.summary


def test_details_read_as_sentences_of_this_story_not_of_its_category() -> None:
    item = _assemble([_health_story(developing_since="2026-01-06")]).top_items[0]
    assert "deals and products" not in item.details  # the category's description is no reason
    assert "Watch for" not in item.details and "It matters for" not in item.details
    assert item.details.endswith("Developing since 6 January.")
    assert "score" not in item.details.lower() and "{" not in item.details


def test_key_tweets_keep_primary_voices_and_drop_chatter() -> None:
    official = make_member(id="x-oai", source="x.com/OpenAI", outlet="x.com", kind="tweet",
                           url="https://x.com/OpenAI/status/1", primary=True,
                           text="Introducing ChatGPT Health, a dedicated space for health conversations.")
    chatter = make_member(id="r-1", source="reddit r/OpenAI", outlet="reddit r/OpenAI", kind="post",
                          url="https://reddit.com/r/OpenAI/comments/1", title="More disastrous news for OpenAI")
    linking = make_member(id="r-2", source="reddit r/OpenAI", outlet="reddit r/OpenAI", kind="post",
                          url="https://reddit.com/r/OpenAI/comments/2", title="OpenAI announces ChatGPT Health",
                          text="Official post: https://openai.com/index/chatgpt-health")
    story = _health_story()
    story = story.model_copy(update={"members": story.members + [official, chatter, linking]})
    brief = _assemble([story])
    assert [t.handle for t in brief.key_tweets] == ["@OpenAI", "r/OpenAI"]
    by_number = {s.number: s for s in brief.sources}
    assert {by_number[t.source].item_id for t in brief.key_tweets} == {"x-oai", "r-2"}


def test_an_aggregators_post_is_counted_as_a_post_not_as_an_outlet() -> None:
    article = make_member(id="wired", outlet="wired.com", url="https://wired.com/robots",
                          title="Robot maker and AI lab form a partnership",
                          text="The robot maker and the AI lab are teaming up to put a model into a humanoid robot.")
    post = make_member(id="hn", source="Hacker News (frontpage)", outlet="Hacker News (frontpage)", kind="post",
                       url="https://robots.example/blog/partnership", title="Robot maker and AI lab partner",
                       text="Article URL: https://robots.example/blog/partnership Points: 35")
    story = make_story([article, post], tier="top", rank=1, confidence="medium")
    details = _assemble([story]).top_items[0].details
    assert "a single outlet (wired.com), plus one social post" in details


def test_quiet_day_has_no_key_tweets_and_still_a_summary() -> None:
    brief = _assemble([])
    assert brief.key_tweets == [] and brief.top_items == []
    assert brief.executive_summary.startswith("A quiet day")


def test_brief_id_and_counts() -> None:
    brief = _assemble([_health_story(), _rumour_story(tier="minor")], revision=3)
    assert brief.brief_id == "ai-safety-governance:2026-01-08:r3"
    assert (brief.stories_total, brief.items_seen, brief.items_relevant) == (2, 100, 20)
    assert brief.content_hash == brief_content_hash(brief)


def test_unchanged_day_has_the_same_content_hash() -> None:
    first = _assemble([_health_story(), _rumour_story()], revision=1)
    later = _assemble([_rumour_story(), _health_story()], revision=2, created_at=_at(9))
    assert first.content_hash == later.content_hash
    changed = _assemble([_health_story(confidence="medium"), _rumour_story()])
    assert changed.content_hash != first.content_hash


def test_assembly_is_deterministic() -> None:
    stories = [_health_story(), _rumour_story()]
    assert _assemble(stories).model_dump_json() == _assemble(list(reversed(stories))).model_dump_json()


def test_chinese_sentences_split_on_full_stops_and_stay_whole() -> None:
    text = "英伟达发布了新一代芯片平台。该平台面向数据中心！它会改变算力格局吗？Nvidia said so."
    assert split_sentences(text) == [
        "英伟达发布了新一代芯片平台。", "该平台面向数据中心！", "它会改变算力格局吗？", "Nvidia said so."]
    assert trim_words("英伟达" * 200, 280).endswith("…")
    assert split_sentences("The U.S. Commerce Dept. acted. Then Mr. Smith spoke.") == [
        "The U.S. Commerce Dept. acted.", "Then Mr. Smith spoke."]


def test_outlet_suffixes_are_stripped_but_attributions_kept() -> None:
    assert clean_title("Lab fined by EU - Reuters") == "Lab fined by EU"
    assert clean_title("Lab fined by EU | TechCrunch") == "Lab fined by EU"
    assert clean_title("OpenAI reserves $50 billion, The Information reports") == (
        "OpenAI reserves $50 billion, The Information reports")
    assert clean_title("Health data — but OpenAI insists it is private") == (
        "Health data — but OpenAI insists it is private")


# --- real items -------------------------------------------------------------------------------

_GROUPS = (  # (story id, category of the shipped lens, cue words any of which puts an item in it)
    ("chatgpt-health", "frontier-models", ("chatgpt health", "for healthcare")),
    ("musk-lawsuit", "policy-regulation", ("musk",)),
    ("stock-grants", "business-markets", ("stock grant",)),
    ("h200-china", "chips-supply-chain", ("h200 chips", "h200 ai chips")),
    ("zhipu-ipo", "business-markets", ("zhipu",)),
    ("rubin", "chips-supply-chain", ("rubin",)),
    ("gpt4o-weights", "open-models", ("gpt-4o",)),
)
_PRIMARY_HOSTS = ("openai.com", "nvidianews.nvidia.com")


def _real_members() -> list[StoryMember]:
    from streams.stages.normalise import canonical_url

    members = []
    for line in (REAL / "rssdb-2026-01-08.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if "openai" in raw["title"].lower() or "nvidia" in raw["title"].lower():
            at = datetime.fromisoformat(raw["published_at"]).astimezone(UTC)
            members.append(StoryMember(
                id=raw["id"], source=raw["source"], outlet=raw["source"], url=raw["url"],
                canonical_url=canonical_url(raw["url"]), title=raw["title"], text=raw["text"], kind=raw["kind"],
                lang=raw["lang"], published_at=at, event_at=at,
                primary=any(h in raw["url"] for h in _PRIMARY_HOSTS)))
    return members[:40]  # all 38 of the day: ~30 as asked, and the BBC report comes late


def _group(member: StoryMember) -> tuple[str, str | None]:
    haystack = f"{member.title} {member.text}".lower()
    for story_id, category, cues in _GROUPS:
        if any(cue in haystack for cue in cues):
            return story_id, category
    return f"single-{member.id}", None


def real_stories(lens: Lens) -> list[Story]:
    """Group the day's real OpenAI/Nvidia items by cue words, then score and rank them with the
    real scorer, as the day close does."""
    groups: dict[str, tuple[str | None, list[StoryMember]]] = {}
    for member in _real_members():
        story_id, category = _group(member)
        groups.setdefault(story_id, (category, []))[1].append(member)
    stories = [make_story(members, story_id=story_id, category=category, first_seen=members[0].event_at,
                          last_updated=members[-1].event_at)
               for story_id, (category, members) in sorted(groups.items())]
    return rank_stories(stories, lens)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real data directory absent: {REAL}")
def test_real_openai_and_nvidia_items_make_a_complete_brief(tmp_path: Path) -> None:
    lens = load_lens("ai-safety-governance")
    stories = real_stories(lens)
    brief = assemble_brief(lens, "2026-01-08", 1, stories, CREATED, 1687, len(_real_members()))
    assert len(brief.top_items) == 4 and "chatgpt-health" in {i.story_id for i in brief.top_items}
    assert all(i.headline and i.summary and i.details for i in brief.top_items + brief.noteworthy)
    numbers = {s.number: s for s in brief.sources}
    for item in brief.top_items + brief.noteworthy:
        own = {m.canonical_url for s in stories if s.story_id == item.story_id for m in s.members}
        assert 1 <= len(item.sources) <= 6
        assert all(numbers[n].url and any(numbers[n].url.endswith(u.split("//")[1]) for u in own)
                   for n in item.sources)
        assert "submitted by" not in item.summary and "Article URL" not in item.summary
    markdown, page = render_markdown(brief), render_html(brief)
    assert "## Key Tweets" in markdown and "<main>" in page and render_text(brief)
    _write_sample(tmp_path, markdown, page)


def _write_sample(tmp_path: Path, markdown: str, page: str) -> None:
    """Always to tmp; to <repo>/out only when asked (USUL_WRITE_SAMPLE=1), for a human to look at."""
    targets = [tmp_path] + ([REPO / "out"] if os.environ.get("USUL_WRITE_SAMPLE") == "1" else [])
    for folder in targets:
        folder.mkdir(exist_ok=True)
        (folder / "sample-brief.md").write_text(markdown, encoding="utf-8")
        (folder / "sample-brief.html").write_text(page, encoding="utf-8")
