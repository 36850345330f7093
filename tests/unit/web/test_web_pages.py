"""The worker's pages as pure functions: every section, escaping, links, badges and stories."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from models.briefs import BriefItem, KeyTweet, SourceRef
from sinks.files import FileSink
from streams.web import pages
from streams.web.live_stories import summary
from tests.builders import make_brief, make_lens, make_member, make_story

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
LENSES = [make_lens()]


def _hostile_brief():
    sources = [SourceRef(number=1, outlet=HOSTILE, title=HOSTILE, url="javascript:alert(1)",
                         published_at=None, item_id="m-1"),
               SourceRef(number=2, outlet="Reuters", title="Safe title", url="https://reuters.com/a?b=1&c=2",
                         published_at=datetime(2026, 1, 8, 9, 0, tzinfo=UTC), item_id="m-2")]
    item = BriefItem(story_id="s-1", rank=1, tier="top", headline=HOSTILE, summary=f"{HOSTILE} [1][2][9]",
                     details="Details [2].", category="policy_regulation", confidence="low", score=1.2, sources=[1, 2])
    extra = item.model_copy(update={"story_id": "s-2", "rank": 2, "tier": "noteworthy", "headline": "Second"})
    tweet = KeyTweet(handle="@lab", text=HOSTILE, source=2, story_id="s-1")
    return make_brief(top_items=[item], noteworthy=[extra], key_tweets=[tweet], sources=sources,
                      executive_summary=f"Summary {HOSTILE} [2]")


def _no_active_markup(page: str) -> None:
    assert "<script>" not in page and "<img" not in page
    assert 'href="javascript:' not in page and "<style" not in page and " style=" not in page
    assert re.findall(r"<script[^>]*>", page) in ([], ['<script src="/static/live.js" defer>'])


def test_brief_page_has_every_section_badges_and_expandable_sources() -> None:
    page = pages.brief_page(_hostile_brief(), make_lens(), LENSES)
    for name in ["Executive Summary", "Top Priority Items", "Key Tweets", "Additional Noteworthy Developments",
                 "Sources"]:
        assert f">{name}</h2>" in page
    assert "Low confidence" in page and "Policy regulation" in page
    assert '<details class="sources"><summary>2 sources [1][2]</summary>' in page
    assert 'href="/briefs/ai-safety-governance/editions/2026-01-09.md"' in page
    assert 'href="/briefs/ai-safety-governance/editions/2026-01-09.json"' in page
    assert "<h1>AI SAFETY AND GOVERNANCE - 2026-01-09</h1>" in page
    assert "Covers: 2026-01-08 00:00 to 2026-01-09 00:00 UTC (2026-01-08 in Europe/London)" in page
    assert 'href="/briefs/ai-safety-governance/feed.atom"' in page
    assert 'href="/stories/ai-safety-governance/2026-01-08/s-1"' in page


def test_brief_page_escapes_article_text_and_never_links_javascript_urls() -> None:
    page = pages.brief_page(_hostile_brief(), make_lens(), LENSES)
    _no_active_markup(page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "link withheld" in page
    assert 'href="https://reuters.com/a?b=1&amp;c=2"' in page


def test_citations_link_only_to_sources_of_the_brief() -> None:
    page = pages.brief_page(_hostile_brief(), make_lens(), LENSES)
    assert '<a class="cite" href="#src-2">[2]</a>' in page and 'id="src-2"' in page
    assert "[9]" in page and 'href="#src-9"' not in page


def test_pages_have_landmarks_a_skip_link_and_one_h1() -> None:
    for page in (pages.brief_page(make_brief(), make_lens(), LENSES), pages.archive_page(Path("/nonexistent"), LENSES)):
        assert '<a class="skip" href="#main">' in page and '<main id="main"' in page
        assert "<header" in page and '<nav aria-label="Site">' in page and page.count("<h1") == 1
        assert '<link rel="stylesheet" href="/static/usul.css">' in page and "https://" not in page.split("<body>")[0]


def test_archive_and_lens_page_list_days_newest_first_with_their_lead(tmp_path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(make_brief())
    sink.deliver(make_brief(day="2026-01-09", brief_id="ai-safety-governance:2026-01-09:r1"))
    for page in (pages.archive_page(tmp_path, LENSES), pages.lens_page(tmp_path, make_lens(), LENSES)):
        assert page.index(">2026-01-10</a>") < page.index(">2026-01-09</a>")  # editions, newest first
        assert 'href="/briefs/ai-safety-governance/editions/2026-01-09"' in page and "covers 2026-01-08" in page
        assert "Lab ships model" in page and 'href="/live/ai-safety-governance"' in page
    editions = pages.brief_editions(tmp_path, "ai-safety-governance")
    assert [e.edition for e in editions] == ["2026-01-10", "2026-01-09"]


def test_load_brief_reads_the_latest_revision(tmp_path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(make_brief())
    sink.deliver(make_brief(revision=2, brief_id="ai-safety-governance:2026-01-08:r2", content_hash="1" * 64))
    assert pages.load_brief(tmp_path, "ai-safety-governance", "2026-01-09").revision == 2
    assert pages.load_brief(tmp_path, "ai-safety-governance", "2026-01-08") is None  # that is the day, not the edition
    assert pages.load_day_brief(tmp_path, make_lens(), "2026-01-08").revision == 2
    assert pages.load_brief(tmp_path, "ai-safety-governance", "2026-13-40") is None
    assert pages.load_brief(tmp_path, "nope", "2026-01-09") is None


def test_older_lens_day_addresses_redirect_to_their_edition() -> None:
    lens = make_lens()
    assert pages.day_redirect(lens, "2026-01-08") == "/briefs/ai-safety-governance/editions/2026-01-09"
    assert pages.day_redirect(lens, "2026-01-08.md") == "/briefs/ai-safety-governance/editions/2026-01-09.md"
    assert pages.day_redirect(lens, "2026-12-31.json") == "/briefs/ai-safety-governance/editions/2027-01-01.json"
    assert pages.day_redirect(lens, "2026-01-08.exe") is None and pages.day_redirect(lens, "../etc") is None


def _story():
    members = [make_member(id="a", outlet="Reuters", title=HOSTILE, url="javascript:alert(1)", text=HOSTILE),
               make_member(id="b", outlet="lab.example", title="Lab post", url="https://lab.example/p", primary=True)]
    return make_story(members, story_id="s-1", score=2.5, confidence="medium", category="industry",
                      score_reasons=["2 independent outlets", "primary source speaks"])


def test_story_from_the_live_view_shows_every_member_and_the_score_reasons() -> None:
    view = pages.story_view("ai-safety-governance", "2026-01-08", "s-1", _story(), None)
    assert view["origin"] == "live" and view["headline"] == "Lab post" and len(view["members"]) == 2
    page = pages.story_page(view, make_lens(), LENSES, has_brief=False)
    _no_active_markup(page)
    assert "2 independent outlets" in page and "primary source speaks" in page and "Medium confidence" in page
    assert "Why it scores 2.50" in page and "Primary source" in page and "Sources (2)" in page


def test_story_of_an_older_day_falls_back_to_its_brief() -> None:
    brief = _hostile_brief()
    view = pages.story_view(brief.lens, brief.day, "s-1", None, brief)
    assert view["origin"] == "brief" and view["score_reasons"] is None and len(view["members"]) == 2
    page = pages.story_page(view, make_lens(), LENSES, has_brief=True)
    assert "kept for recent days only" in page
    assert 'href="/briefs/ai-safety-governance/editions/2026-01-09"' in page  # the day's brief, by edition
    assert pages.story_view(brief.lens, brief.day, "unknown", None, brief) is None
    live = pages.story_view(brief.lens, brief.day, "s-1", _story(), brief)
    assert live["headline"] == HOSTILE and live["rank"] == 1 and live["score_reasons"]


def test_live_page_lists_stories_and_loads_its_script_from_the_worker() -> None:
    story = summary(_story())
    page = pages.live_page(make_lens(), "2026-11-27", "2026-11-27", [story], LENSES, has_brief=False)
    _no_active_markup(page)
    assert 'data-events="/api/live/ai-safety-governance/events?day=2026-11-27"' in page
    assert 'data-story-id="s-1"' in page and "Today so far" in page and "1 story." in page
    assert '<p id="live-empty" class="empty" hidden>' in page and "Watch today" not in page
    empty = pages.live_page(make_lens(), "2026-01-08", "2026-11-27", [], LENSES, has_brief=True)
    assert "No developing stories" in empty and "read the brief" in empty and "0 stories." in empty
    assert '<a href="/briefs/ai-safety-governance/editions/2026-01-09">read the brief</a>' in empty
    assert 'href="/live/ai-safety-governance?day=2026-11-27">Watch today (2026-11-27)' in empty


def test_today_is_the_calendar_day_in_the_lens_time_zone() -> None:
    lens = make_lens(timezone="Europe/London")
    assert pages.today(lens, datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == "2026-07-02"
    assert pages.today(lens, datetime(2026, 11, 27, 8, 0, tzinfo=UTC)) == "2026-11-27"


def test_stored_html_is_allowed_its_own_inline_style_by_hash_only() -> None:
    headers = pages.file_headers(b"<style>p{}</style><p>x</p>", "text/html; charset=utf-8")
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "style-src 'self' 'sha256-" in headers["Content-Security-Policy"]
    assert pages.file_headers(b"{}", "application/json")["Content-Security-Policy"] == pages.CSP
