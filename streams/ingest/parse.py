"""Parsing ingested items: JSON Lines, RSS/Atom/RDF documents (feedparser) and pushed JSON. Pure,
apart from `read_jsonl`, which reads a local file line by line; producing to Kafka is the caller's job.

Every parse error is an `IngestError` naming the source and the line or entry, so the caller can
dead-letter it and carry on. XML documents declaring entities are refused before feedparser sees
them (billion laughs, external entities). Feeds at a URL are read by `streams.ingest.feed_source`;
polled sources of every type are in `streams.ingest.adapters` and `streams.ingest.poller`.
"""

from __future__ import annotations

import hashlib
import re
from calendar import timegm
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import nh3
import orjson
from pydantic import ValidationError

from models.items import RawItem

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


class IngestError(ValueError):
    """A record or document a source gave that cannot become a `RawItem`."""

    def __init__(self, where: str, reason: str, payload: bytes = b"") -> None:
        super().__init__(f"ingest {where}: {reason}")
        self.where = where
        self.reason = reason
        self.payload = payload


def parse_json_item(data: bytes | str, where: str, observed: datetime) -> RawItem:
    """One item in the archive format (`id, source, url, title, text, published_at, kind, lang`)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        item = RawItem.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "record"
        raise IngestError(where, f"{field}: {first['msg']}", raw) from exc
    return item if item.observed_at else item.model_copy(update={"observed_at": observed})


def parse_json_record(data: bytes, where: str, observed: datetime) -> list[RawItem | IngestError]:
    """One JSON record: an item, or a bundle of items as the raw topic carries them
    (`models.items.RawBundle`), each item parsed alone (`where[n]`): a bundle is never read as one
    empty item named by the bundle's id."""
    bundle = _bundle(data)
    if bundle is None:
        return [_parse_or_error(data, where, observed)]
    return [_parse_or_error(orjson.dumps(item), f"{where}[{n}]", observed) for n, item in enumerate(bundle)]


def _bundle(data: bytes) -> list[Any] | None:
    """A bundle's items; None for anything else. Only a record holding the string "bundle" is
    parsed twice."""
    if b'"bundle"' not in data:
        return None
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if isinstance(record, dict) and record.get("record") == "bundle" and isinstance(record.get("items"), list):
        return record["items"]
    return None


def parse_jsonl(lines: Iterable[bytes], where: str, observed: datetime) -> Iterator[RawItem | IngestError]:
    """Yields items, and errors in place of bad lines (named `where:<line number>`), so one bad
    line never stops a file; blank lines are skipped. A line may be a bundle of items."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield from parse_json_record(line, f"{where}:{number}", observed)


def read_jsonl(path: Path, observed: datetime) -> Iterator[RawItem | IngestError]:
    """A local JSON Lines file, parsed as it is read (`parse_jsonl`)."""
    with path.open("rb") as handle:
        yield from parse_jsonl(handle, path.name, observed)


def parse_feed(document: bytes, feed_url: str, observed: datetime) -> list[RawItem]:
    """RSS, Atom or RDF bytes into items; a document feedparser cannot read is an IngestError."""
    refuse_xml_entities(document, feed_url)
    try:
        parsed = feedparser.parse(document, sanitize_html=True, resolve_relative_uris=False)
    except Exception as exc:  # noqa: BLE001 - feedparser's failures are many; all mean "not a feed"
        raise IngestError(feed_url, f"not a readable feed: {type(exc).__name__}: {exc}", document[:4096]) from exc
    if parsed.bozo and not parsed.entries:
        raise IngestError(feed_url, f"not a readable feed: {parsed.get('bozo_exception')}", document[:4096])
    title = _strip_html(str(parsed.feed.get("title", "") or "")) or feed_url
    return [_entry_item(entry, title, feed_url, observed) for entry in parsed.entries]


def refuse_xml_entities(document: bytes, where: str) -> None:
    """Entity declarations are refused: they are how billion-laughs and external-entity (XXE)
    documents work, and no real feed needs one. Checked in UTF-8 after feedparser's own encoding
    detection (so UTF-16 or EBCDIC cannot hide them) and in the raw bytes without NULs. A plain
    DOCTYPE (RSS 0.91's) is fine: no DTD is ever fetched."""
    views = [document.replace(b"\x00", b"")]
    try:
        views.append(feedparser.encodings.convert_to_utf8({}, document, {}))
    except Exception:  # noqa: BLE001, S110 - undecodable documents are judged on the raw view
        pass
    for view in views:
        if _DOCTYPE.search(view) and _ENTITY.search(view):
            raise IngestError(where, "XML entity declarations are refused (entity expansion / external entities)",
                              document[:4096])

def _entry_item(entry: Any, source: str, feed_url: str, observed: datetime) -> RawItem:
    link = entry.get("link", "")
    key = entry.get("id") or link or entry.get("title", "")
    summary = entry.get("summary", "") or _content_text(entry)
    return RawItem(
        id="feed:" + hashlib.sha1(f"{feed_url}|{key}".encode()).hexdigest()[:16],
        source=source[:512], url=link if len(link) <= 4096 else "", title=_strip_html(entry.get("title", ""))[:2048],
        text=_strip_html(summary)[:200_000], published_at=_entry_time(entry), kind="article", lang=_lang(entry),
        observed_at=observed,
    )


def _content_text(entry: Any) -> str:
    return " ".join(part.get("value", "") for part in entry.get("content", []))


def _entry_time(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return datetime.fromtimestamp(timegm(stamp), tz=UTC) if stamp else None
    except (OverflowError, ValueError, OSError):
        return None


def _lang(entry: Any) -> str:
    detail = entry.get("title_detail") or {}
    return (str(detail.get("language") or "en").split("-")[0].lower() or "en")[:16]


def _strip_html(text: str) -> str:
    return " ".join(nh3.clean(text, tags=set()).split()) if "<" in text else text


def parse_push(body: bytes, observed: datetime) -> list[RawItem | IngestError]:
    """`POST /ingest` bodies: one JSON item, a JSON array of items, or JSON Lines; any record of
    them may be a bundle of items."""
    stripped = body.strip()
    if stripped.startswith(b"["):
        try:
            records = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            return [IngestError("push", f"not JSON: {exc}", body[:4096])]
        return [p for i, r in enumerate(records) for p in parse_json_record(orjson.dumps(r), f"push[{i}]", observed)]
    lines = [line for line in stripped.splitlines() if line.strip()]
    return [p for i, line in enumerate(lines) for p in parse_json_record(line, f"push:{i + 1}", observed)]


def _parse_or_error(data: bytes, where: str, observed: datetime) -> RawItem | IngestError:
    try:
        return parse_json_item(data, where, observed)
    except IngestError as exc:
        return exc
