"""The Atom feed: one entry per brief day (latest revision), valid XML, escaped content."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from models.briefs import SourceRef
from streams.web.atom import atom_feed
from tests.builders import make_brief, make_lens

NS = {"a": "http://www.w3.org/2005/Atom"}


def test_one_entry_per_day_with_absolute_links_and_stable_ids() -> None:
    briefs = [make_brief(day="2026-01-09", revision=2, brief_id="x:2026-01-09:r2"), make_brief()]
    feed = ET.fromstring(atom_feed(make_lens(), briefs, "http://host:6066/", datetime(2026, 1, 9, tzinfo=UTC)))
    entries = feed.findall("a:entry", NS)
    assert [e.find("a:id", NS).text for e in entries] == ["urn:usul:brief:ai-safety-governance:2026-01-09",
                                                          "urn:usul:brief:ai-safety-governance:2026-01-08"]
    # Ids stay those of the lens-day (a reader must not see old entries again); titles and links
    # name the edition.
    assert entries[0].find("a:title", NS).text == "AI SAFETY AND GOVERNANCE - 2026-01-10 (revision 2)"
    assert (entries[1].find("a:link", NS).get("href")
            == "http://host:6066/briefs/ai-safety-governance/editions/2026-01-09")
    assert feed.find("a:updated", NS).text == "2026-01-08T06:05:00Z"


def test_article_text_is_escaped_and_unsafe_urls_are_not_linked() -> None:
    hostile = '<script>alert(1)</script> & "quotes"'
    source = SourceRef(number=1, outlet=hostile, title=hostile, url="javascript:alert(1)", published_at=None,
                       item_id="m-1")
    brief = make_brief(executive_summary=hostile, sources=[source])
    text = atom_feed(make_lens(), [brief], "http://h", datetime(2026, 1, 9, tzinfo=UTC))
    entry = ET.fromstring(text).find("a:entry", NS)
    content = entry.find("a:content", NS).text
    assert entry.find("a:summary", NS).text == hostile
    assert "<script>" not in content and "&lt;script&gt;" in content and "javascript:" not in content


def test_an_empty_lens_is_a_valid_empty_feed() -> None:
    feed = ET.fromstring(atom_feed(make_lens(), [], "http://h", datetime(2026, 1, 9, tzinfo=UTC)))
    assert feed.findall("a:entry", NS) == [] and feed.find("a:updated", NS).text == "2026-01-09T00:00:00Z"
