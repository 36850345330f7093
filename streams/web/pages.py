"""What the worker's web pages answer, as plain functions: briefs read from the briefs directory,
stories handed in by the caller, HTML and JSON out. Pure apart from reading files; the faust views
in `streams.web.views` only call these.

Every string that came from an article is untrusted: it is escaped with `html.escape` where it is
written, only absolute http(s) URLs become links (`streams.brief.render.is_safe_url`), and no page has
inline script or style, so the `Content-Security-Policy` of `SECURITY_HEADERS` holds everywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import SecretStr, ValidationError

from models.briefs import Brief, BriefItem, SourceRef, edition_of
from models.lens import Lens
from models.stories import Story, StoryMember
from streams.brief.render import NO_TWEETS, SECTIONS, confidence_label, created_line, is_safe_url, one_line, utc_time
from streams.lenses import available_lenses
from streams.web.live_stories import headline

CSP = "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer"}
_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STORY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CITE = re.compile(r"\[(\d{1,4})\]")
_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def metrics_body(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


def authorised(header: str | None, token: SecretStr | None) -> bool:
    """No token configured: open (local use). Configured: `Authorization: Bearer <token>`."""
    if token is None:
        return True
    expected = f"Bearer {token.get_secret_value()}"
    return header is not None and hmac.compare_digest(header.encode(), expected.encode())


def ingest_answer(accepted: int, rejected: list[str]) -> tuple[int, dict[str, object]]:
    """`POST /ingest`'s status and body: 202 when any item was taken, 400 for an empty body, 422 when
    every line was refused (each refused line is also a dead letter, so nothing is lost)."""
    if accepted:
        return 202, {"accepted": accepted, "rejected": rejected}
    if not rejected:
        return 400, {"error": "empty body: send JSON Lines, one JSON item, or a JSON array of items",
                     "accepted": 0, "rejected": []}
    return 422, {"error": f"no item accepted: {len(rejected)} refused", "accepted": 0, "rejected": rejected}


def live_day(today: str, days_with_stories: Sequence[str]) -> str:
    """The day "Today so far" opens: today once it has stories, else the newest day that has some
    (a replayed or quiet stream would otherwise open on an empty page)."""
    newest = max(days_with_stories, default=today)
    return today if today in days_with_stories or not days_with_stories else newest


def is_day(text: str) -> bool:
    if not _DAY.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_story_id(text: str) -> bool:
    return bool(_STORY_ID.match(text))


def today(lens: Lens, now: datetime) -> str:
    """The open lens-day: the calendar day in the lens's time zone."""
    return now.astimezone(lens.zone).date().isoformat()


# --- the briefs directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class EditionEntry:
    """One edition of a lens's archive (the brief published that morning), pointing at its latest
    revision."""

    lens: str
    edition: str
    revision: int
    folder: Path

    def as_json(self, day: str) -> dict[str, Any]:
        """`day`: the lens-day the edition covers, which the older day paths still answer to."""
        base = edition_path(self.lens, self.edition)
        return {"edition": self.edition, "day": day, "revision": self.revision, "html": base,
                "markdown": f"{base}.md", "json": f"{base}.json", "api": f"/api{base}",
                "day_api": f"/api/briefs/{self.lens}/{day}"}


def edition_path(lens: str, edition: str) -> str:
    return f"/briefs/{lens}/editions/{edition}"


def brief_editions(root: Path, lens: str) -> list[EditionEntry]:
    """Every edition of `lens` with a delivered brief, newest first."""
    entries = []
    for pointer in (root / lens / "editions").glob("*/latest.json"):
        edition = pointer.parent.name
        try:
            data = json.loads(pointer.read_bytes())
            entries.append(EditionEntry(lens, edition, int(data["revision"]), pointer.parent / str(data["path"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # half-written or foreign: not a brief we can show
    return sorted((e for e in entries if is_day(e.edition)), key=lambda e: e.edition, reverse=True)


def load_brief(root: Path, lens: str, edition: str) -> Brief | None:
    """The latest revision of an edition's brief, or None."""
    if lens not in available_lenses() or not is_day(edition):
        return None
    entry = next((e for e in brief_editions(root, lens) if e.edition == edition), None)
    path = entry.folder / "brief.json" if entry else None
    if path is None or not path.is_file():
        return None
    return _parse_brief(path, path.stat().st_mtime_ns)


def load_day_brief(root: Path, lens: Lens, day: str) -> Brief | None:
    """The brief that covers a lens-day (published the next morning), or None."""
    return load_brief(root, lens.slug, edition_of(lens, day)) if is_day(day) else None


@lru_cache(maxsize=128)
def _parse_brief(path: Path, mtime_ns: int) -> Brief | None:
    try:
        return Brief.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def split_name(name: str) -> tuple[str, str]:
    """'2026-04-13.md' -> ('2026-04-13', '.md'); a bare date is the HTML page."""
    return (name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1]) if "." in name else (name, ".html")


def brief_file(root: Path, lens: str, name: str) -> tuple[bytes, str] | None:
    """`{edition}.json`, `.md`, `.txt`, `.html`: the stored renderings of an edition."""
    edition, suffix = split_name(name)
    if suffix not in _TYPES or lens not in available_lenses() or not is_day(edition):
        return None
    entry = next((e for e in brief_editions(root, lens) if e.edition == edition), None)
    path = entry.folder / f"brief{suffix}" if entry else None
    return (path.read_bytes(), _TYPES[suffix]) if path is not None and path.is_file() else None


def day_redirect(lens: Lens, name: str) -> str | None:
    """Where an older lens-day address (`/briefs/{lens}/{day}[.ext]`) lives now: its edition's."""
    day, suffix = split_name(name)
    if not is_day(day) or ("." in name and suffix not in _TYPES):
        return None
    return edition_path(lens.slug, edition_of(lens, day)) + ("" if "." not in name else suffix)


def file_headers(body: bytes, content_type: str) -> dict[str, str]:
    """Headers for a stored rendering; the standalone brief.html keeps its one inline <style>,
    allowed by its hash and nothing else."""
    headers = {**SECURITY_HEADERS, "Content-Type": content_type}
    if content_type.startswith("text/html"):
        hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
                          for m in _STYLE.findall(body))
        headers["Content-Security-Policy"] = f"{CSP}; style-src 'self' {hashes}".rstrip()
    return headers


# --- HTML building blocks ---------------------------------------------------------------------


def esc(text: object) -> str:
    return html.escape(one_line(str(text)), quote=True)


def link(url: str, text: str) -> str:
    """A link for an article URL, or only its text when the URL is not plain http(s)."""
    if not is_safe_url(url):
        return f'{esc(text)} <span class="unsafe">(link withheld: not an http(s) address)</span>'
    return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer nofollow">{esc(text)}</a>'


def layout(title: str, body: str, lenses: Sequence[Lens], *, head: str = "", script: str | None = None) -> str:
    """The page every view shares: skip link, header with site navigation, main, footer."""
    live = f'<li><a href="/live/{lenses[0].slug}">Today so far</a></li>' if lenses else ""
    tag = f'<script src="/static/{script}" defer></script>' if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{esc(title)} · Usul</title>\n<link rel="stylesheet" href="/static/usul.css">\n'
        f'<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">\n{head}{tag}\n</head>\n'
        '<body>\n<a class="skip" href="#main">Skip to content</a>\n'
        '<header class="site"><a class="brand" href="/briefs">Usul</a>'
        '<nav aria-label="Site"><ul><li><a href="/briefs">Briefs</a></li>'
        f'{live}<li><a href="/api/openapi.json">API</a></li></ul></nav></header>\n'
        f'<main id="main" tabindex="-1">\n{body}\n</main>\n'
        '<footer class="site"><p>Usul: daily intelligence briefs from the stream of news.</p></footer>\n'
        '</body>\n</html>\n'
    )


def _feed_link(lens: Lens) -> str:
    return (f'<link rel="alternate" type="application/atom+xml" title="{esc(lens.name)} briefs" '
            f'href="/briefs/{lens.slug}/feed.atom">\n')


def _crumbs(*parts: tuple[str, str | None]) -> str:
    items = "".join(
        f'<li><a href="{href}">{esc(text)}</a></li>' if href else f'<li aria-current="page">{esc(text)}</li>'
        for text, href in parts
    )
    return f'<nav aria-label="Breadcrumb" class="crumbs"><ol>{items}</ol></nav>'


def badges(confidence: str, category: str | None, developing_since: str | None = None) -> str:
    conf = f'<span class="badge conf conf-{esc(confidence)}">{esc(confidence_label(confidence))}</span>'
    cat = f'<span class="badge cat">{esc(category_label(category))}</span>' if category else ""
    dev = f'<span class="badge dev">Developing since {esc(developing_since)}</span>' if developing_since else ""
    return f'<p class="badges">{conf}{cat}{dev}</p>'


def category_label(category: str) -> str:
    """`frontier-models` -> `Frontier models`."""
    words = re.sub(r"[-_]+", " ", category).strip()
    return words[:1].upper() + words[1:]


def _cited(text: str, known: set[int]) -> str:
    """Escape, then turn `[n]` of a known source into an in-page link (digits only: safe)."""
    def one(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f'<a class="cite" href="#src-{n}">[{n}]</a>' if n in known else match.group(0)
    return _CITE.sub(one, esc(text))


def not_found_page(what: str, lenses: Sequence[Lens]) -> str:
    body = f'<h1>Not found</h1>\n<p>{esc(what)}</p>\n<p><a href="/briefs">Back to the briefs</a></p>'
    return layout("Not found", body, lenses)


# --- archive ----------------------------------------------------------------------------------


def archive_page(root: Path, lenses: Sequence[Lens] | None = None, recent: int = 10) -> str:
    """`/briefs`: every lens with its newest days and where to go next."""
    lenses = list(lenses) if lenses is not None else _all_lenses()
    sections = []
    for lens in lenses:
        days = brief_editions(root, lens.slug)
        rows = "".join(_day_row(root, e) for e in days[:recent]) or '<li class="empty">No briefs yet.</li>'
        more = f'<p><a href="/briefs/{lens.slug}">All {len(days)} briefs</a></p>' if len(days) > recent else ""
        sections.append(
            f'<section aria-labelledby="l-{lens.slug}"><h2 id="l-{lens.slug}">{esc(lens.name)}</h2>'
            f'<p class="meta">{esc(lens.description)}</p>{_lens_actions(lens)}'
            f'<ul class="days">{rows}</ul>{more}</section>')
    head = "".join(_feed_link(lens) for lens in lenses)
    return layout("Briefs", "<h1>Briefs</h1>\n" + "\n".join(sections), lenses, head=head)


def lens_page(root: Path, lens: Lens, lenses: Sequence[Lens]) -> str:
    """`/briefs/{lens}`: every edition of one lens, newest first."""
    rows = ("".join(_day_row(root, e) for e in brief_editions(root, lens.slug))
            or '<li class="empty">No briefs yet.</li>')
    body = (f'{_crumbs(("Briefs", "/briefs"), (lens.name, None))}<h1>{esc(lens.name)}</h1>'
            f'<p class="meta">{esc(lens.description)}</p>{_lens_actions(lens)}'
            f'<section aria-labelledby="days-h"><h2 id="days-h">Daily briefs</h2>'
            f'<ul class="days">{rows}</ul></section>')
    return layout(lens.name, body, lenses, head=_feed_link(lens))


def _lens_actions(lens: Lens) -> str:
    return (f'<ul class="actions"><li><a href="/live/{lens.slug}">Today so far</a></li>'
            f'<li><a href="/briefs/{lens.slug}/feed.atom">Atom feed</a></li></ul>')


def _day_row(root: Path, entry: EditionEntry) -> str:
    brief = load_brief(root, entry.lens, entry.edition)
    lead = f'<span class="lead">{esc(brief.top_items[0].headline)}</span>' if brief and brief.top_items else ""
    counts = (f'{len(brief.top_items) + len(brief.noteworthy)} stories, {len(brief.sources)} sources'
              if brief else "")
    rev = f" · revision {entry.revision}" if entry.revision > 1 else ""
    covers = f"covers {brief.day} · " if brief else ""
    return (f'<li><a class="day" href="{edition_path(entry.lens, entry.edition)}">{esc(entry.edition)}</a>'
            f'<span class="meta">{esc(covers + counts)}{rev}</span>{lead}</li>')


def _all_lenses() -> list[Lens]:
    from streams.lenses import load_lens  # only when a caller did not say which lenses it serves
    return [load_lens(slug) for slug in available_lenses()]


# --- one brief ------------------------------------------------------------------------------------


def brief_page(brief: Brief, lens: Lens, lenses: Sequence[Lens]) -> str:
    """`/briefs/{lens}/editions/{edition}`: the brief to read, with badges, expandable sources and
    links out."""
    known = {s.number for s in brief.sources}
    by_number = {s.number: s for s in brief.sources}
    base = edition_path(brief.lens, brief.edition)
    toc = "".join(f'<li><a href="#{key}">{html.escape(name)}</a></li>' for key, name in SECTIONS)
    head = (f'{_crumbs(("Briefs", "/briefs"), (lens.name, f"/briefs/{lens.slug}"), (brief.edition, None))}'
            f'<h1>{esc(brief.title)}</h1><p class="meta">{esc(created_line(brief))} · revision {brief.revision}</p>'
            f'<p class="meta covers">{esc(brief.covers_line)}</p>'
            f'<ul class="actions"><li><a href="{base}.md">Markdown</a></li><li><a href="{base}.json">JSON</a></li>'
            f'<li><a href="/briefs/{brief.lens}/feed.atom">Atom feed</a></li></ul>'
            f'<nav aria-label="Sections" class="toc"><ul>{toc}</ul></nav>')
    sections = [
        _section("summary", f'<p class="lede">{_cited(brief.executive_summary, known)}</p>'),
        _section("top", _items(brief, brief.top_items, by_number, "ol")),
        _section("tweets", _tweets(brief, known)),
        _section("noteworthy", _items(brief, brief.noteworthy, by_number, "ul")),
        _section("sources", f'<ol class="source-list">{"".join(_source(s, anchor=True) for s in brief.sources)}</ol>'),
    ]
    foot = (f'<p class="meta foot">{brief.items_seen} items seen, {brief.items_relevant} relevant, '
            f'{brief.stories_total} stories · content {esc(brief.content_hash[:12])}</p>')
    return layout(brief.title, head + "\n".join(sections) + foot, lenses, head=_feed_link(lens))


def _section(key: str, inner: str) -> str:
    name = dict(SECTIONS)[key]
    return f'<section id="{key}" aria-labelledby="{key}-h"><h2 id="{key}-h">{name}</h2>\n{inner}\n</section>'


def _items(brief: Brief, items: list[BriefItem], by_number: dict[int, SourceRef], tag: str) -> str:
    if not items:
        return '<p class="empty">Nothing to report.</p>'
    cards = "".join(f"<li>{_item(brief, item, by_number)}</li>" for item in items)
    return f'<{tag} class="stories">{cards}</{tag}>'


def _item(brief: Brief, item: BriefItem, by_number: dict[int, SourceRef]) -> str:
    known = set(item.sources)
    refs = [by_number[n] for n in item.sources if n in by_number]
    cites = "".join(f"[{n}]" for n in item.sources)
    noun = "source" if len(refs) == 1 else "sources"
    return (f'<article class="story" id="story-{esc(item.story_id)}">'
            f'<h3><a href="/stories/{brief.lens}/{brief.day}/{esc(item.story_id)}">{esc(item.headline)}</a></h3>'
            f'{badges(item.confidence, item.category, item.developing_since)}'
            f'<p><strong>Summary:</strong> {_cited(item.summary, known)}</p>'
            f'<p><strong>Details:</strong> {_cited(item.details, known)}</p>'
            f'<details class="sources"><summary>{len(refs)} {noun} {cites}</summary>'
            f'<ol>{"".join(_source(r) for r in refs)}</ol></details></article>')


def _source(ref: SourceRef, anchor: bool = False) -> str:
    ident = f' id="src-{ref.number}"' if anchor else ""
    return (f'<li{ident} value="{ref.number}"><span class="outlet">{esc(ref.outlet)}</span> '
            f'{link(ref.url, ref.title)} <span class="time">{esc(utc_time(ref.published_at))}</span></li>')


def _tweets(brief: Brief, known: set[int]) -> str:
    if not brief.key_tweets:
        return f'<p class="empty">{html.escape(NO_TWEETS)}</p>'
    rows = "".join(f'<li><span class="handle">{esc(t.handle)}</span>: <q>{esc(t.text)}</q> '
                   f'{_cited(f"[{t.source}]", known)}</li>' for t in brief.key_tweets)
    return f'<ul class="tweets">{rows}</ul>'


# --- one story ------------------------------------------------------------------------------------


def brief_item(brief: Brief | None, story_id: str) -> BriefItem | None:
    return next((i for i in (brief.top_items + brief.noteworthy if brief else []) if i.story_id == story_id), None)


def item_ids(brief: Brief, item: BriefItem) -> set[str]:
    """The ids of the items a brief item cites."""
    refs = {s.number: s.item_id for s in brief.sources}
    return {refs[n] for n in item.sources if n in refs}


def story_view(lens: str, day: str, story_id: str, story: Story | None, brief: Brief | None) -> dict[str, Any] | None:
    """A story with every member and why it scores as it does: from the live view when it still
    holds the story (with `score_reasons`), else from the day's brief (without them)."""
    item = brief_item(brief, story_id)
    if story is None and item is None:
        return None
    view: dict[str, Any] = {"story_id": story_id, "lens": lens, "day": day, "rank": None, "tier": None}
    if item is not None and brief is not None:
        refs = {s.number: s for s in brief.sources}
        view.update(headline=item.headline, category=item.category, confidence=item.confidence, score=item.score,
                    rank=item.rank, tier=item.tier, developing_since=item.developing_since, score_reasons=None,
                    members=[_ref_member(refs[n]) for n in item.sources if n in refs], origin="brief")
    if story is not None:
        view.update(category=story.category, confidence=story.confidence, score=round(story.score, 3),
                    developing_since=story.developing_since, score_reasons=list(story.score_reasons),
                    members=[_member(m) for m in story.members], origin="live")
        view.setdefault("headline", headline(story))
    return view


def _member(m: StoryMember) -> dict[str, Any]:
    return {"id": m.id, "outlet": m.outlet, "title": m.title, "url": m.url, "kind": m.kind, "primary": m.primary,
            "published_at": m.published_at.isoformat() if m.published_at else None, "text": m.text}


def _ref_member(ref: SourceRef) -> dict[str, Any]:
    return {"id": ref.item_id, "outlet": ref.outlet, "title": ref.title, "url": ref.url, "kind": None,
            "primary": False, "published_at": ref.published_at.isoformat() if ref.published_at else None,
            "text": None}


def story_page(view: dict[str, Any], lens: Lens, lenses: Sequence[Lens], has_brief: bool) -> str:
    """`/stories/{lens}/{day}/{id}`: every member item, and the score with its reasons."""
    day_link = (edition_path(lens.slug, edition_of(lens, view["day"])) if has_brief
                else f"/live/{lens.slug}?day={view['day']}")
    place = f"ranked {view['rank']} ({view['tier']})" if view.get("rank") else ""
    if view["score_reasons"] is None:
        reasons = ('<p class="empty">The reasons behind the score are kept for recent days only; '
                   'this story is shown from its published brief.</p>')
    else:
        reasons = "<ul>" + "".join(f"<li>{esc(r)}</li>" for r in view["score_reasons"]) + "</ul>"
    members = "".join(_member_card(m) for m in view["members"])
    crumbs = _crumbs(("Briefs", "/briefs"), (lens.name, f"/briefs/{lens.slug}"), (view["day"], day_link),
                     ("Story", None))
    body = (f'{crumbs}'
            f'<h1>{esc(view["headline"])}</h1>'
            f'{badges(view["confidence"], view["category"], view.get("developing_since"))}'
            f'<section aria-labelledby="why-h"><h2 id="why-h">Why it scores {view["score"]:.2f}</h2>'
            f'<p>{esc(confidence_label(view["confidence"]))}, from {len(view["members"])} '
            f'{"item" if len(view["members"]) == 1 else "items"}{" · " + esc(place) if place else ""}.</p>'
            f'{reasons}</section>'
            f'<section aria-labelledby="members-h"><h2 id="members-h">Sources ({len(view["members"])})</h2>'
            f'<ol class="members">{members}</ol></section>')
    return layout(view["headline"], body, lenses)


def _member_card(m: dict[str, Any]) -> str:
    when = utc_time(datetime.fromisoformat(m["published_at"])) if m["published_at"] else "time unknown"
    kind = f' · {esc(m["kind"])}' if m.get("kind") else ""
    primary = '<span class="badge primary">Primary source</span>' if m.get("primary") else ""
    text = f'<p class="text">{esc(m["text"])}</p>' if m.get("text") else ""
    return (f'<li><article class="member"><h3>{link(m["url"], m["title"])}</h3>'
            f'<p class="meta"><span class="outlet">{esc(m["outlet"])}</span>{kind} · {esc(when)} {primary}</p>'
            f'{text}</article></li>')


# --- today so far -----------------------------------------------------------------------------


def live_page(lens: Lens, day: str, today: str, stories: Iterable[dict[str, Any]], lenses: Sequence[Lens],
              has_brief: bool) -> str:
    """`/live/{lens}`: the day's developing stories; `/static/live.js` keeps the list current."""
    shown = list(stories)
    cards = "".join(story_card(s) for s in shown)
    is_today = day == today
    title = f"Today so far: {lens.name}" if is_today else f"{lens.name}: {day} as it developed"
    watch = "" if is_today else (f'<p><a href="/live/{lens.slug}?day={today}">Watch today ({today})</a>: '
                                 f'new stories appear there as they arrive.</p>')
    closed = (f'<p>This day has a published brief: <a href="{edition_path(lens.slug, edition_of(lens, day))}">'
              f'read the brief</a>.</p>'
              if has_brief else "")
    events = f"/api/live/{lens.slug}/events?day={day}"
    body = (f'{_crumbs(("Briefs", "/briefs"), (lens.name, f"/briefs/{lens.slug}"), ("Live", None))}'
            f'<h1>{esc(title)}</h1>'
            f'<p class="meta">Developing stories of {esc(day)} ({esc(lens.timezone)}), highest score first. '
            f'The list updates by itself as stories develop.</p>{closed}{watch}'
            f'<form class="pick" method="get" action="/live/{lens.slug}"><label for="day">Day</label> '
            f'<input type="date" id="day" name="day" value="{esc(day)}"> <button type="submit">Show</button></form>'
            f'<section aria-labelledby="stories-h"><h2 id="stories-h">Developing stories</h2>'
            f'<p id="live-status" class="status" role="status" aria-live="polite">'
            f'{_count(len(shown))}</p>'
            f'<p id="live-empty" class="empty"{" hidden" if cards else ""}>No developing stories for this day yet.</p>'
            f'<ol id="live-stories" class="live" data-events="{esc(events)}">{cards}</ol></section>')
    return layout(title, body, lenses, head=_feed_link(lens), script="live.js")


def _count(n: int) -> str:
    return f"{n} {'story' if n == 1 else 'stories'}."


def story_card(s: dict[str, Any]) -> str:
    """One live story; `/static/live.js` builds the same markup for stories that arrive later."""
    outlets = ", ".join(s["outlets"][:4]) + (f" and {len(s['outlets']) - 4} more" if len(s["outlets"]) > 4 else "")
    updated = utc_time(datetime.fromisoformat(s["last_updated"]))
    noun = "source" if s["members"] == 1 else "sources"
    return (f'<li data-story-id="{esc(s["story_id"])}" data-score="{s["score"]}"><article class="story">'
            f'<h3><a href="{esc(s["url"])}">{esc(s["headline"])}</a></h3>'
            f'{badges(s["confidence"], s["category"], s.get("developing_since"))}'
            f'<p class="meta">{s["members"]} {noun}: {esc(outlets)} · updated {esc(updated)}</p></article></li>')
