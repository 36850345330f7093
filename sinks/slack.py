"""Slack incoming webhook: the brief as Block Kit, inside Slack's limits.

Limits we keep (Slack's Block Kit reference): at most 50 blocks per message, a section's text at
most 3000 characters, a header's plain text at most 150. Top items get a section each; the
noteworthy developments are packed as lines into as few sections as fit; when the 50 blocks run
out the message says how many items were left out and links nowhere it cannot vouch for.

Article text is untrusted: `&`, `<` and `>` are escaped (Slack's mrkdwn control characters), so a
headline cannot ping `<!channel>` or forge a link; links are built only from safe http(s) URLs.
Incoming webhooks have no idempotency key: see `sinks` for the crash policy.
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

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FALLBACK_TEXT = 3000


def escape(text: str) -> str:
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    if is_safe_url(url) and "|" not in url and ">" not in url:
        return f"<{url}|{label}>"
    return label


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}]}


def _cites(brief: Brief, item: BriefItem) -> str:
    urls = {s.number: s.url for s in brief.sources}
    return " ".join(_link(urls.get(n, ""), f"[{n}]") for n in item.sources)


def _top_item(brief: Brief, number: int, item: BriefItem) -> dict[str, Any]:
    text = (f"*{number}. {escape(item.headline)}*\n*Summary:* {escape(item.summary)}\n"
            f"*Details:* {escape(item.details)}\n"
            f"_{confidence_label(item.confidence)}_ · Sources: {_cites(brief, item)}")
    return _section(text)


def _packed_lines(lines: list[str]) -> list[str]:
    """Join lines into as few texts of at most MAX_SECTION_TEXT characters as possible."""
    chunks: list[str] = []
    for line in (truncate(line, MAX_SECTION_TEXT) for line in lines):
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks


def build_payload(brief: Brief) -> dict[str, Any]:
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(one_line(brief.title), MAX_HEADER_TEXT)}},
        _context(escape(f"{created_line(brief)} · {brief.covers_line}")),
        _section(f"*Executive Summary*\n{escape(brief.executive_summary)}"),
        {"type": "divider"},
        _section("*Top Priority Items*"),
    ]
    body = [_top_item(brief, n, item) for n, item in enumerate(brief.top_items, 1)]
    if brief.key_tweets:
        tweets = [f"{escape(t.handle)}: “{escape(t.text)}” [{t.source}]" for t in brief.key_tweets]
        body += [_section("*Key Tweets*")] + [_section(c) for c in _packed_lines(tweets)]
    if brief.noteworthy:
        lines = [f"• *{escape(i.headline)}* — {escape(i.summary)} {_cites(brief, i)}" for i in brief.noteworthy]
        body += [_section("*Additional Noteworthy Developments*")] + [_section(c) for c in _packed_lines(lines)]
    foot = _context(f"Revision {brief.revision} · {brief.items_seen} items seen · {brief.stories_total} stories")
    room = MAX_BLOCKS - len(head) - 1
    if len(body) > room:
        left_out = len(body) - (room - 1)
        body = body[: room - 1] + [_context(f"{left_out} more block(s) left out to fit Slack's limits.")]
    fallback = truncate(f"{escape(brief.title)}: {escape(brief.executive_summary)}", MAX_FALLBACK_TEXT)
    return {"text": fallback, "blocks": head + body + [foot], "unfurl_links": False}


class SlackSink:
    """Posts each brief revision to one Slack incoming webhook."""

    def __init__(self, name: str, url: SecretStr, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name, self.url, self.timeout, self.transport = name, url, timeout, transport

    def __repr__(self) -> str:
        return f"SlackSink(name={self.name!r}, url={self.url!r})"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        body = json.dumps(build_payload(brief), ensure_ascii=False).encode()
        await post_json(self.name, brief.brief_id, self.url, body, timeout=self.timeout, transport=self.transport)
        return DeliveryResult(self.name, brief.brief_id, "delivered", "slack webhook")
