"""Microsoft Teams via a Workflows ("When a Teams webhook request is received") webhook: the brief
as one Adaptive Card (schema 1.4) in a `message` with one attachment.

Teams refuses messages over about 28 KB, so the card is built whole and then noteworthy items are
dropped from the end (then long texts shortened) until the JSON fits `MAX_BYTES`, with a line saying
how many were left out.
Workflows answers 202 Accepted once the flow has the request. No idempotency key exists: see
`sinks` for the crash policy.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import SecretStr

from models.briefs import Brief, BriefItem
from sinks.base import DeliveryResult
from sinks.http import post_json, truncate
from streams.brief.render import confidence_label, created_line, is_safe_url, one_line

MAX_BYTES = 27_000  # under Teams' ~28 KB message limit, with room for the envelope
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_TEXT_LIMITS = (4000, 1200, 400, 150)  # characters per summary/details, tried in turn


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _item(brief: Brief, number: int | None, item: BriefItem, limit: int) -> dict[str, Any]:
    urls = {s.number: s.url for s in brief.sources}
    cites = " ".join(f"[[{n}]]({urls[n]})" if is_safe_url(urls.get(n, "")) else f"[{n}]" for n in item.sources)
    head = f"{number}. {one_line(item.headline)}" if number else one_line(item.headline)
    return {"type": "Container", "separator": True, "items": [
        _text(truncate(head, 300), weight="Bolder"),
        _text(f"**Summary:** {truncate(one_line(item.summary), limit)}"),
        _text(f"**Details:** {truncate(one_line(item.details), limit)}", isSubtle=number is None),
        _text(f"{confidence_label(item.confidence)} · Sources: {cites}", size="Small", isSubtle=True),
    ]}


def _card(brief: Brief, noteworthy: int, limit: int) -> dict[str, Any]:
    body = [_text(one_line(brief.title), size="Large", weight="Bolder"),
            _text(created_line(brief), isSubtle=True, spacing="None"),
            _text(brief.covers_line, isSubtle=True, spacing="None"),
            _text("Executive Summary", weight="Bolder", size="Medium"),
            _text(truncate(one_line(brief.executive_summary), 2 * limit)),
            _text("Top Priority Items", weight="Bolder", size="Medium")]
    body += [_item(brief, n, i, limit) for n, i in enumerate(brief.top_items, 1)]
    if noteworthy:
        body.append(_text("Additional Noteworthy Developments", weight="Bolder", size="Medium"))
        body += [_item(brief, None, i, limit) for i in brief.noteworthy[:noteworthy]]
    if left_out := len(brief.noteworthy) - noteworthy:
        body.append(_text(f"{left_out} more development(s) left out to fit Teams' size limit.", isSubtle=True))
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def build_payload(brief: Brief, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """The fullest card that fits: drop noteworthy items from the end first, then shorten texts."""
    payload: dict[str, Any] = {}
    for limit in _TEXT_LIMITS:
        for noteworthy in range(len(brief.noteworthy), -1, -1):
            payload = _card(brief, noteworthy, limit)
            if len(json.dumps(payload, ensure_ascii=False).encode()) <= max_bytes:
                return payload
    return payload


class TeamsSink:
    """Posts each brief revision to one Teams Workflows webhook."""

    def __init__(self, name: str, url: SecretStr, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name, self.url, self.timeout, self.transport = name, url, timeout, transport

    def __repr__(self) -> str:
        return f"TeamsSink(name={self.name!r}, url={self.url!r})"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        body = json.dumps(build_payload(brief), ensure_ascii=False).encode()
        await post_json(self.name, brief.brief_id, self.url, body, timeout=self.timeout, transport=self.transport)
        return DeliveryResult(self.name, brief.brief_id, "delivered", "teams workflow")
