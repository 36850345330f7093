"""Render stage: one `Brief` -> Markdown, a standalone HTML page, and plain text for email. Pure.

Layout follows BRIEF.md (title with the edition date, Created line in the lens time zone, the
Covers line naming the window the brief reports on, Executive Summary, Top
Priority Items, Key Tweets, Additional Noteworthy Developments, Sources). Every string that came
from an article is untrusted: HTML escapes it with `html.escape` and links only http(s) URLs;
Markdown backslash-escapes it so a title cannot become a link or raw HTML. Output is a function of
the brief alone (no clock, no locale), so a brief renders byte-identically everywhere.
"""

from __future__ import annotations

import html
import re
import textwrap
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import nh3

from models.briefs import Brief, BriefItem, KeyTweet, SourceRef

SECTIONS = (
    ("summary", "Executive Summary"),
    ("top", "Top Priority Items"),
    ("tweets", "Key Tweets"),
    ("noteworthy", "Additional Noteworthy Developments"),
    ("sources", "Sources"),
)
NO_TWEETS = "No social posts qualified as evidence today."
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


# --- shared formatting ------------------------------------------------------------------------


def created_line(brief: Brief) -> str:
    """'Created: January 8, 2026 at 6:05 AM (Europe/London)' in the lens's zone, locale-free."""
    local = brief.created_at.astimezone(ZoneInfo(brief.timezone))
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (f"Created: {_MONTHS[local.month - 1]} {local.day}, {local.year} at "
            f"{hour}:{local.minute:02d} {half} ({brief.timezone})")


def utc_time(moment: datetime | None) -> str:
    if moment is None:
        return "time unknown"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def is_safe_url(url: str) -> bool:
    """Only absolute http(s) URLs without whitespace or control characters become links."""
    if not url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def one_line(text: str) -> str:
    """Collapse whitespace: article text must never add lines (and so structure) to the output."""
    return " ".join(text.split())


def cites(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def confidence_label(confidence: str) -> str:
    return f"{confidence.capitalize()} confidence"


# --- Markdown ---------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def md(text: str) -> str:
    """Backslash-escape Markdown syntax in untrusted text (links, emphasis, raw HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def render_markdown(brief: Brief) -> str:
    parts = [f"# {md(brief.title)}", created_line(brief), brief.covers_line,
             "## Executive Summary", md(brief.executive_summary),
             "## Top Priority Items"]
    parts += [_md_item(item, f"{n}. ") for n, item in enumerate(brief.top_items, 1)] or ["No top items today."]
    parts += ["## Key Tweets"] + ([_md_tweet(t) for t in brief.key_tweets] or [NO_TWEETS])
    parts += ["## Additional Noteworthy Developments"]
    parts += [_md_item(item, "") for item in brief.noteworthy] or ["Nothing further today."]
    parts += ["## Sources"] + [_md_source(s) for s in brief.sources]
    return "\n\n".join(parts) + "\n"


def _md_item(item: BriefItem, marker: str) -> str:
    # Blank-line-separated paragraphs indented under the marker stay inside the list item.
    pad = " " * len(marker)
    fields = [f"Summary: {md(item.summary)}", f"Details: {md(item.details)}", f"Sources: {cites(item.sources)}"]
    return "\n\n".join([f"{marker}**{md(item.headline)}**"] + [pad + f for f in fields])


def _md_tweet(tweet: KeyTweet) -> str:
    return f'{md(tweet.handle)}: "{md(tweet.text)}" [{tweet.source}]'


def md_url(url: str) -> str:
    """A bare URL Markdown cannot reinterpret: percent-encode <>"`[]()* so no HTML or link forms."""
    return quote(url, safe="/:?#@!$&',;=%~-._+")


def _md_source(ref: SourceRef) -> str:
    url = md_url(ref.url) if is_safe_url(ref.url) else f"`{one_line(ref.url).replace('`', '')}` (not linked)"
    return f'[{ref.number}] {md(ref.outlet)} - "{md(ref.title)}" - {url} - {utc_time(ref.published_at)}'


# --- plain text -------------------------------------------------------------------------------


def render_text(brief: Brief) -> str:
    """Plain text for email: the Markdown layout without markup, wrapped at 78 columns."""
    tweets = [_wrap(f'{t.handle}: "{t.text}" [{t.source}]', "   ") for t in brief.key_tweets]
    blocks = [
        [brief.title, created_line(brief), brief.covers_line],
        ["Executive Summary", _wrap(brief.executive_summary, "")],
        ["Top Priority Items"] + [_text_item(i, f"{n}. ") for n, i in enumerate(brief.top_items, 1)],
        ["Key Tweets"] + (tweets or ["   " + NO_TWEETS]),
        ["Additional Noteworthy Developments"] + [_text_item(i, "") for i in brief.noteworthy],
        ["Sources"] + [_text_source(s) for s in brief.sources],
    ]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _text_item(item: BriefItem, marker: str) -> str:
    return "\n".join([_wrap(f"{marker}{item.headline}", "", "   "), _wrap(f"Summary: {item.summary}", "   "),
                      _wrap(f"Details: {item.details}", "   "), f"   Sources: {cites(item.sources)}"]) + "\n"


def _text_source(ref: SourceRef) -> str:
    return (f'[{ref.number}] {one_line(ref.outlet)} - "{one_line(ref.title)}" - '
            f'{_text_url(ref.url)} - {utc_time(ref.published_at)}')


def _text_url(url: str) -> str:
    return one_line(url) if is_safe_url(url) else f"{one_line(url)} (not linked)"


def _wrap(text: str, first: str, rest: str = "   ") -> str:
    # Never break URLs or hyphenated names: a broken link in an email is a dead link.
    return textwrap.fill(one_line(text), width=78, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) if text.strip() else first.rstrip()


# --- HTML -------------------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(one_line(text), quote=True)


def render_html(brief: Brief) -> str:
    """A complete standalone page: inline CSS, no external resources, landmarks, escaped content."""
    body = "\n".join([_html_summary(brief), _html_items("top", brief.top_items, numbered=True),
                      _html_tweets(brief), _html_items("noteworthy", brief.noteworthy, numbered=False),
                      _html_sources(brief)])
    return _PAGE.format(
        title=esc(brief.title), css=_CSS, created=esc(created_line(brief)), covers=esc(brief.covers_line),
        nav=_html_nav(),
        main=sanitize(body), footer=esc(_footer(brief)),
    )


def _html_nav() -> str:
    links = "".join(f'<li><a href="#{key}">{html.escape(name)}</a></li>' for key, name in SECTIONS)
    return f'<nav aria-label="Sections"><ul>{links}</ul></nav>'


def _section(key: str, inner: str) -> str:
    name = dict(SECTIONS)[key]
    return f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">{name}</h2>\n{inner}\n</section>'


def _html_summary(brief: Brief) -> str:
    return _section("summary", f'<p class="lede">{esc(brief.executive_summary)}</p>')


def _html_items(key: str, items: list[BriefItem], numbered: bool) -> str:
    if not items:
        return _section(key, '<p class="empty">Nothing to report.</p>')
    tag = "ol" if numbered else "ul"
    lis = "\n".join(f"<li>{_html_item(item)}</li>" for item in items)
    return _section(key, f'<{tag} class="items">\n{lis}\n</{tag}>')


def _html_item(item: BriefItem) -> str:
    links = "".join(f'<a href="#src-{n}">[{n}]</a>' for n in item.sources)
    return (f'<article class="item"><h3>{esc(item.headline)}</h3>{_html_badges(item)}'
            f'<p><strong>Summary:</strong> {esc(item.summary)}</p>'
            f'<p><strong>Details:</strong> {esc(item.details)}</p>'
            f'<p class="cites"><strong>Sources:</strong> {links}</p></article>')


def _html_badges(item: BriefItem) -> str:
    conf = f'<span class="badge conf-{esc(item.confidence)}">{esc(confidence_label(item.confidence))}</span>'
    cat = f'<span class="badge cat">{esc(item.category)}</span>' if item.category else ""
    dev = (f'<span class="badge dev">Developing since {esc(item.developing_since)}</span>'
           if item.developing_since else "")
    return f'<p class="badges">{conf}{cat}{dev}</p>'


def _html_tweets(brief: Brief) -> str:
    if not brief.key_tweets:
        return _section("tweets", f'<p class="empty">{html.escape(NO_TWEETS)}</p>')
    lis = "\n".join(
        f'<li><span class="handle">{esc(t.handle)}</span>: <q>{esc(t.text)}</q> '
        f'<a href="#src-{t.source}">[{t.source}]</a></li>'
        for t in brief.key_tweets
    )
    return _section("tweets", f'<ul class="tweets">\n{lis}\n</ul>')


def _html_sources(brief: Brief) -> str:
    lis = "\n".join(_html_source(ref) for ref in brief.sources)
    return _section("sources", f'<ol class="sources">\n{lis}\n</ol>')


def _html_source(ref: SourceRef) -> str:
    title = f"&quot;{esc(ref.title)}&quot;"
    if is_safe_url(ref.url):
        title = f'<a href="{html.escape(ref.url, quote=True)}">{title}</a>'
        where = f'<span class="url">{esc(ref.url)}</span>'
    else:  # shown, never linked: javascript:, data:, relative paths ...
        where = f'<span class="url unsafe">{esc(ref.url)} (not linked)</span>'
    return (f'<li id="src-{ref.number}" value="{ref.number}"><span class="num">[{ref.number}]</span> '
            f'<span class="outlet">{esc(ref.outlet)}</span> - {title} - {where} - '
            f'<span class="time">{esc(utc_time(ref.published_at))}</span></li>')


def _footer(brief: Brief) -> str:
    return (f"Revision {brief.revision} · {brief.items_seen} items seen, {brief.items_relevant} relevant, "
            f"{brief.stories_total} stories · content {brief.content_hash[:12]}")


_ALLOWED_TAGS = {"section", "h2", "h3", "p", "ol", "ul", "li", "article", "strong", "span", "a", "q"}
_ALLOWED_ATTRS = {"*": {"class", "id"}, "a": {"href"}, "li": {"value"}, "section": {"aria-labelledby"}}


def sanitize(fragment: str) -> str:
    """Second line of defence after escaping: nh3 keeps only the tags and attributes we emit."""
    return nh3.clean(fragment, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRS,
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header><h1>{title}</h1><p class="created">{created}<br>{covers}</p></header>
{nav}
<main>
{main}
</main>
<footer>{footer}</footer>
</body>
</html>
"""

_CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --rule: #dde2ea; --accent: #1f4e8c; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 48rem; padding: 2rem 1.25rem 4rem; color: var(--ink);
  background: #fcfcfa; font: 17px/1.6 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; }
header h1 { font-size: 1.55rem; letter-spacing: .02em; margin: 0; }
.created { color: var(--muted); margin: .25rem 0 1rem; font-size: .95rem; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem 1rem; padding: .6rem 0;
  margin: 0 0 1.5rem; border-top: 1px solid var(--rule); border-bottom: 1px solid var(--rule); }
nav a, .cites a, .tweets a { color: var(--accent); text-decoration: none; }
h2 { font-size: 1.2rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.08rem; margin: 0 0 .3rem; line-height: 1.35; }
.lede { font-size: 1.05rem; }
.items { padding-left: 1.4rem; }
.items > li { margin-bottom: 1.4rem; }
ul.items { list-style: none; padding-left: 0; }
.item p { margin: .35rem 0; }
.badges { margin: .2rem 0 .4rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .05rem .5rem;
  margin-right: .4rem; border-radius: 999px; border: 1px solid transparent; }
.conf-high { background: #e3f4e8; color: #17612f; border-color: #b5dfc2; }
.conf-medium { background: #fdf3dc; color: #7a5a00; border-color: #ecd79d; }
.conf-low { background: #fbe6e4; color: #8c2a1e; border-color: #efbdb6; }
.cat { background: #e8eef8; color: #1f4e8c; border-color: #c5d4ec; }
.dev { background: #efe8f8; color: #5a3490; border-color: #d6c6ec; }
.tweets { padding-left: 1.1rem; }
.tweets li { margin-bottom: .5rem; }
.handle { font-weight: 600; }
.sources { font-size: .88rem; padding-left: 0; list-style: none; }
.sources li { margin-bottom: .45rem; overflow-wrap: anywhere; }
.sources a { color: var(--accent); }
.num { font-weight: 600; }
.url, .time { color: var(--muted); }
.unsafe { font-style: italic; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--rule);
  padding-top: .6rem; }
"""
