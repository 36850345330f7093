"""Rendering a brief: the BRIEF.md layout in Markdown, HTML and text, safely and deterministically."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from models.briefs import Brief, BriefItem, KeyTweet, SourceRef
from streams.brief.assemble import assemble_brief
from streams.brief.render import created_line, render_html, render_markdown, render_text
from tests.builders import make_brief, make_lens, make_member, make_story

COVERS = "Covers: 2026-01-08 00:00 to 2026-01-09 00:00 UTC (2026-01-08 in Europe/London)"
SECTION_ORDER = ["Executive Summary", "Top Priority Items", "Key Tweets",
                 "Additional Noteworthy Developments", "Sources"]


def _full_brief() -> Brief:
    """A brief with every section filled: two top items, a key tweet, a noteworthy item."""
    at = datetime(2026, 1, 7, 21, 14, tzinfo=UTC)
    members = [
        make_member(id="r", outlet="Reuters", url="https://reuters.com/a", title="EU fines lab over model",
                    text="The European Commission fined the lab 10 million euros on Wednesday. "
                         "The lab said it would appeal the decision.", published_at=at),
        make_member(id="o", outlet="openai.com", url="https://openai.com/a", primary=True,
                    title="Our response to the EU decision", text="We will appeal the Commission's decision."),
        make_member(id="t", source="x.com/OpenAI", outlet="x.com", kind="tweet", primary=True,
                    url="https://x.com/OpenAI/status/1", text="We disagree with today's EU decision and will appeal."),
    ]
    stories = [
        make_story(members, story_id="fine", tier="top", rank=1, confidence="high", category="policy-regulation"),
        make_story([make_member(id="leak", outlet="ft.com", url="https://ft.com/b", title="Lab weighs IPO",
                                text="The lab is weighing a listing next year, people familiar said.")],
                   story_id="ipo", tier="top", rank=2, confidence="low", category="industry"),
        make_story([make_member(id="n", outlet="theverge.com", url="https://theverge.com/c",
                                title="Startup releases open model")], story_id="open", tier="noteworthy", rank=3),
    ]
    return assemble_brief(make_lens(timezone="Europe/London"), "2026-01-08", 1, stories,
                          datetime(2026, 1, 8, 6, 5, tzinfo=UTC), 120, 14)


def _positions(text: str, headings: list[str]) -> list[int]:
    """Where each heading stands on a line of its own ('## ' in Markdown, '>' closing an HTML tag)."""
    return [re.search(rf"(^(## )?|>){h}($|<)", text, re.MULTILINE).start() for h in headings]  # type: ignore[union-attr]


def test_brief_has_every_section_of_the_spec() -> None:
    brief = _full_brief()
    for render in (render_markdown, render_text):
        out = render(brief)
        # Titled with the edition (the morning it is published), and says which day it covers.
        assert out.startswith(("AI SAFETY AND GOVERNANCE - 2026-01-09", "# AI SAFETY AND GOVERNANCE - 2026-01-09"))
        assert COVERS in out.splitlines()[:5]
        positions = _positions(out, SECTION_ORDER)
        assert positions == sorted(positions), render.__name__
        assert re.search(r"^1\. .*EU fines lab", out, re.MULTILINE)
        assert "Summary: " in out and "Details: " in out and re.search(r"Sources: (\[\d+\])+", out)
        assert re.search(r'@OpenAI: ".*" \[\d+\]', out)
        assert re.search(r'^\[1\] openai\.com - ".*" - https://openai\.com/a - \d{4}-\d\d-\d\d \d\d:\d\d UTC$',
                         out, re.MULTILINE)
    page = render_html(brief)
    assert "<title>AI SAFETY AND GOVERNANCE - 2026-01-09</title>" in page and COVERS in page
    assert all(tag in page for tag in ("<main>", "<header>", "<nav", "<footer>", "<!DOCTYPE html>"))
    assert 'class="badge conf-high"' in page and 'class="badge cat"' in page
    main = page[page.index("<main>"):]
    assert _positions(main, SECTION_ORDER) == sorted(_positions(main, SECTION_ORDER))


def test_sources_line_has_outlet_title_url_and_utc_time() -> None:
    line = [text_line for text_line in render_text(_full_brief()).splitlines() if " Reuters - " in text_line][0]
    assert re.fullmatch(r'\[\d\] Reuters - "EU fines lab over model" - '
                        r'https://reuters.com/a - 2026-01-07 21:14 UTC', line)


def test_quiet_day_says_no_key_tweets_qualified() -> None:
    brief = make_brief()
    for out in (render_markdown(brief), render_text(brief), render_html(brief)):
        assert "Key Tweets" in out and "No social posts qualified" in out


def test_created_line_uses_the_lens_time_zone() -> None:
    winter = make_brief(created_at=datetime(2026, 1, 8, 6, 5, tzinfo=UTC), timezone="Europe/London")
    assert created_line(winter) == "Created: January 8, 2026 at 6:05 AM (Europe/London)"
    summer = make_brief(created_at=datetime(2026, 7, 8, 5, 5, tzinfo=UTC), timezone="Europe/London")
    assert created_line(summer) == "Created: July 8, 2026 at 6:05 AM (Europe/London)"  # BST
    evening = make_brief(created_at=datetime(2026, 1, 8, 23, 30, tzinfo=UTC), timezone="America/New_York")
    assert created_line(evening) == "Created: January 8, 2026 at 6:30 PM (America/New_York)"
    noon = make_brief(created_at=datetime(2026, 1, 8, 12, 0, tzinfo=UTC), timezone="UTC")
    assert created_line(noon) == "Created: January 8, 2026 at 12:00 PM (UTC)"
    assert created_line(winter) in render_markdown(winter) and created_line(winter) in render_text(winter)


def _hostile_brief() -> Brief:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    item = BriefItem(story_id="s", rank=1, tier="top", headline=f"Lab {evil}", summary=f"Said {evil}.",
                     details="A release.", category='<b onmouseover="x">cat</b>', confidence="low", score=1.0,
                     sources=[1, 2])
    sources = [
        SourceRef(number=1, outlet=f"Out{evil}", title=f"Title {evil}", url="javascript:alert(document.cookie)",
                  published_at=None, item_id="a"),
        SourceRef(number=2, outlet="ok", title="ok", url='https://ok.example/a?q="><script>x</script>',
                  published_at=None, item_id="b"),
    ]
    tweet = KeyTweet(handle=f"@{evil}", text=evil, source=1, story_id="s")
    return make_brief(top_items=[item], sources=sources, key_tweets=[tweet], executive_summary=evil)


def test_script_in_titles_is_escaped_in_html() -> None:
    page = render_html(_hostile_brief())
    assert "<script" not in page and "<img" not in page and "<b " not in page
    assert not re.search(r"<[^>]*\bon\w+=", page)  # no event handler inside any real tag
    assert "&lt;script&gt;" in page
    markdown = render_markdown(_hostile_brief())
    assert not re.search(r"(?<!\\)<(script|img)", markdown) and "\\<script\\>" in markdown


def test_javascript_urls_never_become_links() -> None:
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "data:text/html,<script>x</script>", "vbscript:x", "//evil.example/a", "/relative"):
        brief = make_brief(sources=[SourceRef(number=1, outlet="o", title="t", url=url, published_at=None,
                                              item_id="m-1")])
        page = render_html(brief)
        assert not re.search(r'href="(?!#)', page), url
        assert "not linked" in page and "not linked" in render_markdown(brief)
    page = render_html(_full_brief())
    assert '<a href="https://reuters.com/a" rel="noopener noreferrer">' in page


def test_mixed_chinese_and_english_sources_render_whole_sentences() -> None:
    zh = make_member(id="zh", outlet="36kr.com", url="https://36kr.com/p/1", lang="zh",
                     title="英伟达发布新一代Rubin平台",
                     text="英伟达周四发布了新一代Rubin人工智能计算平台，面向大型数据中心。"
                          "该平台的推理成本比上一代降低了十倍！分析人士认为这将加剧算力竞争。")
    en = make_member(id="en", outlet="Reuters", url="https://reuters.com/rubin",
                     title="Nvidia unveils Rubin AI platform for data centers",
                     text="Nvidia on Thursday unveiled its Rubin computing platform for large data centers. "
                          "The company said Rubin cuts inference costs tenfold.")
    mixed = make_story([zh, en], story_id="mixed", tier="top", rank=1, confidence="medium", category="industry")
    zh_only = make_story([zh.model_copy(update={"id": "zh2", "url": "https://36kr.com/p/2",
                                                "canonical_url": "https://36kr.com/p/2"})],
                         story_id="zh", tier="top", rank=2, confidence="low")
    brief = assemble_brief(make_lens(), "2026-01-08", 1, [mixed, zh_only], datetime(2026, 1, 8, 6, tzinfo=UTC), 3, 3)
    first, second = brief.top_items
    assert first.headline == "Nvidia unveils Rubin AI platform for data centers"  # English preferred
    assert "英伟达" not in first.summary  # one fact, not the same fact twice in two languages
    # reported only in Chinese, with no translator: the original headline, labelled, and an English line
    assert second.headline == "英伟达发布新一代Rubin平台 (Chinese-language report)"
    assert second.summary.startswith("In Chinese only, from 36kr.com. The coverage names Rubin.")
    assert not re.search(r"[\u4e00-\u9fff]", second.summary + second.details)
    page, text, markdown = render_html(brief), render_text(brief), render_markdown(brief)
    for out in (page, text, markdown):
        assert "英伟达发布新一代Rubin平台 (Chinese-language report)" in out
        assert "\ufffd" not in out


def test_rendering_is_deterministic() -> None:
    first, second = _full_brief(), _full_brief()
    for render in (render_markdown, render_html, render_text):
        assert render(first) == render(second)
    assert render_html(first).count("<main>") == 1


def test_text_lines_are_wrapped_for_email() -> None:
    lines = render_text(_full_brief()).splitlines()
    assert all(len(line) <= 78 for line in lines if not line.startswith("[") and "http" not in line)
