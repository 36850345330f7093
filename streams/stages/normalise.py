"""Normalise stage: canonical URLs, outlet names, event time and the lens-day of an item. Pure.

Time rules (all timestamps are timezone-aware; a naive one is read as UTC, never as local time):
- a timestamp at exactly 00:00:00 in its own offset is date-only: the item belongs to that date;
- an item belongs to the lens-day it was published on, while that day is still open when the
  item is observed (observed before the day's close deadline); a day already past its deadline
  hands the item to the day it was observed on, so late feeds are reported, not lost;
- an item published more than `STALE_AFTER` before it was observed is stale: not news of the day;
- an item with no timestamp is timed by when it was observed.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from models.items import RawItem, TimeBasis
from models.lens import Lens, next_morning_publish
from streams.stages.outlets import host_of

# Aggregators and date-only sources deliver items a day or two after publication (a daily
# collection carries the previous days' items); older than this is a resurfaced item, not news.
STALE_AFTER = timedelta(hours=72)
FUTURE_TOLERANCE = timedelta(hours=1)
MAX_TEXT = 6000

_ARXIV_VERSION = re.compile(r"v\d+$")
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "src", "cmpid",
     "guccounter", "smid", "ito", "ncid", "ocid", "sr_share", "taid", "yptr", "rss", "feed"}
)


def canonical_url(url: str) -> str:
    """One spelling per page: https, lower-case host without www, no fragment or tracking query."""
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return url.strip()
    host = parts.hostname or ""
    host = host.removeprefix("www.").removeprefix("m.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    scheme = "https" if parts.scheme in ("http", "https", "") else parts.scheme
    path = _canonical_path(host, parts.path)
    query = urlencode(sorted(q for q in parse_qsl(parts.query) if not _is_tracking(q[0])))
    return urlunsplit((scheme, host, path, query, ""))


def _canonical_path(host: str, path: str) -> str:
    path = path.rstrip("/") or "/"
    if host == "arxiv.org":  # /pdf/2601.01234v2 and /abs/2601.01234 are one paper
        for prefix in ("/pdf/", "/abs/", "/html/"):
            if path.startswith(prefix):
                paper = path[len(prefix):].removesuffix(".pdf")
                return "/abs/" + _ARXIV_VERSION.sub("", paper)
    return path


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in _TRACKING_PARAMS


def url_key(canonical: str, item_id: str) -> str:
    """A hash of the canonical URL, or of the id for items without a URL."""
    basis = canonical if canonical else f"id:{item_id}"
    return hashlib.sha1(basis.encode()).hexdigest()


def raw_key(item: RawItem) -> str:
    """The raw topic's key (`models.topics.RAW_ITEMS`): one per page, so copies of it share a partition."""
    return url_key(canonical_url(item.url) if item.url else "", item.id)


def outlet_of(source: str, url: str) -> str:
    """A readable outlet name: the feed's own source label, else the URL's host."""
    if source.strip():
        return source.strip()
    return host_of(url) or "unknown"


@dataclass(frozen=True)
class Timing:
    event_at: datetime
    basis: TimeBasis
    day: str
    stale: bool


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def close_deadline(lens: Lens, day: str) -> datetime:
    """When a lens-day stops taking items: the next morning's publish time plus the lateness."""
    return _deadline(lens.timezone, lens.publish_time, lens.allowed_lateness_hours, day)


# Every item asks for its day's deadline, and a worker sees a few lens-days at a time: worked out
# once per day, keyed by what it is computed from, so an edited lens gets its own.
@functools.lru_cache(maxsize=1024)
def _deadline(timezone: str, publish_time: time, lateness_hours: float, day: str) -> datetime:
    return next_morning_publish(timezone, publish_time, day) + timedelta(hours=lateness_hours)


def lens_day(moment: datetime, lens: Lens) -> str:
    return moment.astimezone(lens.zone).date().isoformat()


def resolve_timing(published: datetime | None, observed: datetime, lens: Lens) -> Timing:
    """Decide which lens-day an item belongs to (see the module docstring for the rules)."""
    if published is None:
        return Timing(observed, "observed", lens_day(observed, lens), stale=False)
    published = aware(published)
    if published > observed + FUTURE_TOLERANCE:  # a clock from the future is not trusted
        return Timing(observed, "observed", lens_day(observed, lens), stale=False)
    date_only = published.timetz().replace(tzinfo=None) == time(0, 0)
    day = published.date().isoformat() if date_only else lens_day(published, lens)
    basis: TimeBasis = "date" if date_only else "published"
    if observed <= close_deadline(lens, day):
        return Timing(published, basis, day, stale=False)
    stale = observed - published > STALE_AFTER
    return Timing(published, basis, lens_day(observed, lens), stale=stale)


def clean_text(text: str) -> str:
    """Collapse whitespace and drop control characters; cap the length the stages carry."""
    # Every whitespace character but the space is non-printable, so splitting first and
    # replacing only when a word still holds a control or format character gives the same
    # text; the per-character pass was a third of the normalise stage's CPU.
    joined = " ".join(text.split())
    if not joined.isprintable():
        joined = " ".join("".join(ch if ch.isprintable() else " " for ch in joined).split())
    return joined[:MAX_TEXT]


def observed_or_now(raw: RawItem) -> datetime:
    return raw.observed_at or datetime.now(UTC)
