"""The Atom feed of a lens: one entry per brief day, at that day's latest revision. Pure.

An entry's id names the day, not the revision (`urn:usul:brief:<lens>:<day>`), so a feed reader
shows a new revision as an update of the same entry; `<updated>` is the revision's creation time.
Every text is XML-escaped; the entry content is escaped HTML (`type="html"`) built from escaped
parts, and only http(s) source URLs become links.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from models.briefs import Brief
from models.lens import Lens
from streams.brief.render import is_safe_url, one_line

CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def _x(text: str) -> str:
    return escape(one_line(text))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(lens: Lens, briefs: Sequence[Brief], base_url: str, now: datetime) -> str:
    """`briefs` newest day first; `base_url` like `http://host:6066` makes the links absolute."""
    base = base_url.rstrip("/")
    updated = max((b.created_at for b in briefs), default=now)
    entries = "".join(_entry(brief, base) for brief in briefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<id>urn:usul:briefs:{_x(lens.slug)}</id>\n"
        f"<title>{_x(lens.name)}: daily briefs</title>\n"
        f"<subtitle>{_x(lens.description)}</subtitle>\n"
        f"<updated>{_stamp(updated)}</updated>\n"
        "<author><name>Usul</name></author>\n"
        '<generator>Usul</generator>\n'
        f'<link rel="self" type="application/atom+xml" href={quoteattr(f"{base}/briefs/{lens.slug}/feed.atom")}/>\n'
        f'<link rel="alternate" type="text/html" href={quoteattr(f"{base}/briefs/{lens.slug}")}/>\n'
        f"{entries}</feed>\n"
    )


def _entry(brief: Brief, base: str) -> str:
    page = f"{base}/briefs/{brief.lens}/editions/{brief.edition}"
    title = brief.title + (f" (revision {brief.revision})" if brief.revision > 1 else "")
    return (
        "<entry>\n"
        # The id keeps the lens-day it always had: feed readers would show renamed entries again.
        f"<id>urn:usul:brief:{_x(brief.lens)}:{_x(brief.day)}</id>\n"
        f"<title>{_x(title)}</title>\n"
        f"<updated>{_stamp(brief.created_at)}</updated>\n"
        f'<link rel="alternate" type="text/html" href={quoteattr(page)}/>\n'
        f'<link rel="alternate" type="application/json" href={quoteattr(page + ".json")}/>\n'
        f"<summary>{_x(brief.executive_summary)}</summary>\n"
        f'<content type="html">{escape(_content(brief))}</content>\n'
        "</entry>\n"
    )


def _content(brief: Brief) -> str:
    """The entry's HTML: summary and the top items with their sources (escaped twice over: here
    as HTML, then as XML text by the caller)."""
    refs = {s.number: s for s in brief.sources}
    items = []
    for item in brief.top_items:
        links = ", ".join(_source(refs[n].outlet, refs[n].url) for n in item.sources if n in refs)
        items.append(f"<li><strong>{_h(item.headline)}</strong> {_h(item.summary)} <em>Sources: {links}</em></li>")
    listing = f"<ol>{''.join(items)}</ol>" if items else "<p>No top items.</p>"
    return f"<p>{_h(brief.executive_summary)}</p>{listing}"


def _h(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def _source(outlet: str, url: str) -> str:
    if not is_safe_url(url):
        return _h(outlet)
    return f'<a href="{html.escape(url, quote=True)}">{_h(outlet)}</a>'
