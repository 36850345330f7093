"""Enrich stage: one raw item becomes one `EnrichedItem` per lens (normalised, timed, judged). Pure.

This composes the normalise and classify stages; the normalise agent runs exactly this.
"""

from __future__ import annotations

from datetime import datetime

from models.items import EnrichedItem, RawItem
from models.lens import Lens
from streams.stages.classify import classify
from streams.stages.normalise import aware, canonical_url, clean_text, outlet_of, resolve_timing, url_key


def enrich(raw: RawItem, lens: Lens, observed: datetime, duplicate_of: str | None = None) -> EnrichedItem:
    canonical = canonical_url(raw.url) if raw.url else ""
    title, text = clean_text(raw.title), clean_text(raw.text)
    timing = resolve_timing(raw.published_at, observed, lens)
    verdict = classify(title, text, raw.source, raw.url, raw.kind, raw.lang, lens)
    reasons = list(verdict.reasons)
    if timing.stale:
        reasons.append(f"stale: published {raw.published_at:%Y-%m-%d}, well before it was observed")
    return EnrichedItem(
        id=raw.id, lens=lens.slug, source=raw.source, outlet=outlet_of(raw.source, raw.url),
        url=raw.url, canonical_url=canonical, url_key=url_key(canonical, raw.id),
        title=title, text=text, kind=raw.kind, lang=raw.lang,
        published_at=aware(raw.published_at) if raw.published_at else None, observed_at=observed,
        event_at=timing.event_at, time_basis=timing.basis, day=timing.day,
        duplicate_of=duplicate_of, relevant=verdict.relevant and not timing.stale,
        category=verdict.category, relevance=verdict.relevance, reasons=reasons,
    )
