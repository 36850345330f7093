"""The web UI in a real browser: the brief archive and page, a story's sources, and the live page
updating as items arrive, on a live worker. Screenshots: see tests/e2e/conftest.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from streams.lenses import load_lens
from streams.web import pages
from tests.e2e.support import SAMPLE_DAY, SAMPLE_EDITION, live_usul
from tests.integration.harness import REAL_DATA, LiveUsul

pytestmark = [pytest.mark.e2e, pytest.mark.integration]  # integration: it needs a broker too
LENS = "ai-safety-governance"
SECTIONS = ["Executive Summary", "Top Priority Items", "Key Tweets", "Additional Noteworthy Developments", "Sources"]
REAL_DAY = REAL_DATA / "rssdb-2026-01-08.jsonl"

# Every element with its own text: its colour against the first opaque background behind it.
CONTRAST_JS = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3); } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.bottom < 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5)
      bad.push(el.tagName + '.' + el.className + ' ' + ratio.toFixed(2) + ' ' + el.textContent.trim().slice(0, 40));
  }
  return bad;
}"""


def _clean(page: Any) -> None:
    """No script error and no Content-Security-Policy violation on the page."""
    assert page.evaluate("window.__csp") == []
    assert page.errors == []


def _fits_narrow_screen(page: Any, artifacts: Path, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
    page.screenshot(path=str(artifacts / f"{name}-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_archive_leads_to_a_brief_page_that_shows_every_section(usul: LiveUsul, page: Any, artifacts: Path) -> None:
    page.goto(usul.url("/briefs"))
    page.screenshot(path=str(artifacts / "archive.png"), full_page=True)
    page.get_by_role("link", name=SAMPLE_EDITION).first.click()
    page.wait_for_url(f"**/briefs/{LENS}/editions/{SAMPLE_EDITION}")
    assert page.locator("h2").all_inner_texts() == SECTIONS
    assert page.locator("#top .story").count() >= 1
    assert page.locator("#top .badge.conf").first.inner_text().endswith("confidence")
    assert page.locator("#sources .source-list li").count() >= 1
    for label in ("Markdown", "JSON", "Atom feed"):
        assert page.get_by_role("link", name=label).count() == 1
    response = page.request.get(usul.url(f"/briefs/{LENS}/editions/{SAMPLE_EDITION}"))
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.evaluate(CONTRAST_JS) == []
    page.screenshot(path=str(artifacts / "brief.png"), full_page=True)
    _fits_narrow_screen(page, artifacts, "brief")
    _clean(page)


def test_a_storys_sources_open_in_place_and_on_its_own_page(usul: LiveUsul, page: Any, artifacts: Path) -> None:
    page.goto(usul.url(f"/briefs/{LENS}/editions/{SAMPLE_EDITION}"))
    first = page.locator("#top .story").first
    sources = first.locator("details.sources li")
    assert not sources.first.is_visible()
    first.locator("details.sources summary").click()
    assert sources.first.is_visible() and sources.count() >= 1
    first.screenshot(path=str(artifacts / "brief-sources-open.png"))
    headline = first.locator("h3 a").inner_text()
    _wait_until_live(usul, first.locator("h3 a").get_attribute("href"))
    first.locator("h3 a").click()
    page.wait_for_url(f"**/stories/{LENS}/{SAMPLE_DAY}/*")
    assert page.locator("h1").inner_text() == headline
    members = page.locator("ol.members > li")
    assert members.count() == sources.count() or members.count() >= 1
    assert page.get_by_role("heading", name="Why it scores").count() == 1
    assert page.locator("section[aria-labelledby=why-h] li").count() >= 1, "the score's reasons are listed"
    assert page.evaluate(CONTRAST_JS) == []
    page.screenshot(path=str(artifacts / "story.png"), full_page=True)
    _clean(page)


def test_live_page_shows_a_pushed_item_without_reloading(usul: LiveUsul, page: Any, artifacts: Path) -> None:
    page.goto(usul.url(f"/live/{LENS}?day={_today()}"))  # the sample day is the newest with stories
    page.wait_for_selector("#live-stories[data-live=connected]", state="attached", timeout=30_000)
    page.evaluate("window.__still_here = true")
    before = page.locator("#live-stories > li").count()
    marker = uuid.uuid4().hex[:8]
    title = f"UK AI Safety Institute finds frontier model {marker} can evade safety evaluations"
    _push(usul, {"id": f"e2e:{marker}", "source": "reuters.com", "url": f"https://reuters.com/tech/aisi-{marker}",
                 "title": title, "kind": "article", "lang": "en",
                 "text": "The UK AI Safety Institute said a frontier AI model evaded dangerous-capability "
                         "evaluations during pre-deployment testing, and asked labs to give regulators access."})
    page.get_by_role("link", name=title).wait_for(timeout=60_000)
    assert page.evaluate("window.__still_here") is True, "the page was reloaded"
    assert page.locator("#live-stories > li").count() == before + 1
    assert "arrived" in page.locator("#live-status").inner_text()
    assert page.locator("#live-empty").is_hidden()
    assert page.evaluate(CONTRAST_JS) == []
    page.screenshot(path=str(artifacts / "live.png"), full_page=True)
    _fits_narrow_screen(page, artifacts, "live")
    page.get_by_role("link", name=title).click()
    page.wait_for_url("**/stories/**")
    assert page.locator("ol.members > li").count() == 1 and "reuters.com" in page.locator("ol.members").inner_text()
    _clean(page)


def test_article_markup_is_shown_as_text_and_never_runs(usul: LiveUsul, page: Any, artifacts: Path) -> None:
    marker = uuid.uuid4().hex[:8]
    hostile = (f'<img src=x onerror="window.__pwned=1"> '
               f'EU AI Act regulator fines AI lab {marker} over frontier model safety')
    page.goto(usul.url(f"/live/{LENS}?day={_today()}"))  # the sample day is the newest with stories
    page.wait_for_selector("#live-stories[data-live=connected]", state="attached", timeout=30_000)
    _push(usul, {"id": f"e2e:x{marker}", "source": "reuters.com", "url": f"https://reuters.com/tech/fine-{marker}",
                 "title": hostile, "kind": "article", "lang": "en",
                 "text": "<script>window.__pwned=1</script> The European Commission fined an AI lab under the AI Act "
                         "for failing frontier model safety obligations. javascript:window.__pwned=1"})
    link = page.locator("#live-stories a", has_text=marker)
    link.wait_for(timeout=60_000)
    assert "<img" in link.inner_text()
    page.reload()
    page.locator("#live-stories a", has_text=marker).click()
    page.wait_for_url("**/stories/**")
    assert "<script>" in page.locator("ol.members").inner_text() or "window.__pwned" in page.content()
    assert page.evaluate("window.__pwned") is None and page.locator("img").count() == 0
    page.screenshot(path=str(artifacts / "story-hostile.png"), full_page=True)
    _clean(page)


def test_keyboard_users_can_skip_to_the_content_and_reach_every_link(usul: LiveUsul, page: Any) -> None:
    page.goto(usul.url(f"/briefs/{LENS}/editions/{SAMPLE_EDITION}"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), "Tab after the skip link stays in main"
    summary = page.locator("#top details.sources summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#top details.sources").first.get_attribute("open") is not None
    levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3')].map(h => +h.tagName[1])")
    # levels[1:] is one shorter: zip pairs each heading with the next one
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), "headings skip a level"
    assert (page.locator("header").count() >= 1 and page.locator("nav").count() >= 1
            and page.locator("main").count() == 1)


def test_feed_and_api_describe_the_same_briefs(usul: LiveUsul, page: Any) -> None:
    feed = page.request.get(usul.url(f"/briefs/{LENS}/feed.atom"))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert f"urn:usul:brief:{LENS}:{SAMPLE_DAY}" in feed.text()
    spec = page.request.get(usul.url("/api/openapi.json")).json()
    for path in spec["paths"]:
        if "{" not in path and path.startswith("/api/"):
            assert page.request.get(usul.url(path)).ok, path
    brief = page.request.get(usul.url(f"/api/briefs/{LENS}/{SAMPLE_DAY}")).json()
    story = brief["top_items"][0]["story_id"]
    view = page.request.get(usul.url(f"/api/stories/{LENS}/{SAMPLE_DAY}/{story}")).json()
    assert view["members"] and view["confidence"] == brief["top_items"][0]["confidence"]


@pytest.fixture(scope="module")
def real_usul(browser: Any, broker_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveUsul]:
    if not REAL_DAY.exists():
        pytest.skip(f"real data not found: {REAL_DAY.name} under {REAL_DATA}")
    yield from live_usul(broker_kind, tmp_path_factory.mktemp("e2e-real"), [REAL_DAY], SAMPLE_DAY)


def test_a_real_days_brief_reads_well(real_usul: LiveUsul, page: Any, artifacts: Path) -> None:
    page.goto(real_usul.url(f"/briefs/{LENS}/editions/{SAMPLE_EDITION}"))
    assert page.locator("h2").all_inner_texts() == SECTIONS
    assert page.locator("#top .story").count() == 4
    for summary in page.locator("details.sources summary").all()[:6]:
        summary.click()
    assert page.locator("details.sources[open] li").count() >= 4
    assert page.evaluate(CONTRAST_JS) == []
    page.screenshot(path=str(artifacts / "brief-real.png"), full_page=True)
    _fits_narrow_screen(page, artifacts, "brief-real")
    _clean(page)


def _wait_until_live(usul: LiveUsul, story_path: str, timeout: float = 60.0) -> None:
    """The worker's live view has read the story back from the stories topic (not only its brief)."""
    deadline = time.monotonic() + timeout
    while httpx.get(usul.url("/api" + story_path), timeout=10).json().get("origin") != "live":
        assert time.monotonic() < deadline, f"{story_path} never reached the live view: {usul.log_tail(60)}"
        time.sleep(0.5)


def _push(usul: LiveUsul, item: dict[str, Any]) -> None:
    deadline = time.monotonic() + 30
    while True:
        response = httpx.post(usul.url("/ingest"), content=orjson.dumps(item) + b"\n", timeout=10)
        if response.status_code == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 202 and response.json()["accepted"] == 1, response.text


def _today() -> str:
    """Today in the lens's zone: where an item pushed now without a time lands."""
    return pages.today(load_lens(LENS), datetime.now(UTC))
