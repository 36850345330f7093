"""Discord webhook: the brief as embeds, inside Discord's limits.

Limits we keep (Discord's embed limits): at most 10 embeds per message; a title at most 256
characters, a description at most 4096, a footer at most 2048; and all titles, descriptions and
footers of all embeds together at most 6000. The first embed is the executive summary, then one
per top item, then one listing the noteworthy developments; when the whole is over 6000 the
longest description is shortened first, and embeds are dropped from the end only as a last resort.

`allowed_mentions: {"parse": []}` stops article text from pinging `@everyone`. `?wait=true`
makes Discord answer only once the message exists, so a 2xx means delivered. Discord's webhooks
have no idempotency key: see `sinks` for the crash policy.
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

MAX_EMBEDS = 10
MAX_TOTAL = 6000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FOOTER = 2048
MAX_CONTENT = 2000
MIN_DESCRIPTION = 200  # shortening never goes below this while another embed can give way
_COUNTED = ("title", "description")


def embed_size(embed: dict[str, Any]) -> int:
    return sum(len(embed.get(k, "")) for k in _COUNTED) + len(embed.get("footer", {}).get("text", ""))


def total_size(embeds: list[dict[str, Any]]) -> int:
    return sum(embed_size(e) for e in embeds)


def _item_embed(brief: Brief, number: int, item: BriefItem) -> dict[str, Any]:
    urls = {s.number: s.url for s in brief.sources}
    cites = " ".join(f"[[{n}]]({urls[n]})" if is_safe_url(urls.get(n, "")) else f"[{n}]" for n in item.sources)
    text = (f"**Summary:** {one_line(item.summary)}\n**Details:** {one_line(item.details)}\n"
            f"*{confidence_label(item.confidence)}* · Sources: {cites}")
    embed: dict[str, Any] = {"title": truncate(f"{number}. {one_line(item.headline)}", MAX_TITLE),
                             "description": truncate(text, MAX_DESCRIPTION)}
    first = next((urls[n] for n in item.sources if is_safe_url(urls.get(n, ""))), None)
    if first:
        embed["url"] = first
    return embed


def fit(embeds: list[dict[str, Any]], limit: int = MAX_TOTAL) -> list[dict[str, Any]]:
    """Shorten the longest descriptions, then drop trailing embeds, until the total fits."""
    embeds = [dict(e) for e in embeds[:MAX_EMBEDS]]
    while total_size(embeds) > limit:
        longest = max(embeds, key=lambda e: len(e.get("description", "")))
        room = len(longest.get("description", "")) - MIN_DESCRIPTION
        if room <= 0 and len(embeds) > 1:
            embeds.pop()
            continue
        excess = total_size(embeds) - limit
        cut = min(room, excess) if room > 0 else excess
        longest["description"] = truncate(longest["description"], len(longest["description"]) - cut)
    return embeds


def build_payload(brief: Brief) -> dict[str, Any]:
    summary = {"title": truncate(one_line(brief.title), MAX_TITLE),
               "description": truncate(f"{created_line(brief)}\n{brief.covers_line}\n\n"
                                       f"{one_line(brief.executive_summary)}",
                                       MAX_DESCRIPTION),
               "footer": {"text": truncate(f"Revision {brief.revision} · {brief.items_seen} items seen", MAX_FOOTER)}}
    embeds = [summary] + [_item_embed(brief, n, i) for n, i in enumerate(brief.top_items, 1)][: MAX_EMBEDS - 2]
    if brief.noteworthy:
        lines = "\n".join(f"• **{one_line(i.headline)}**: {one_line(i.summary)}" for i in brief.noteworthy)
        embeds.append({"title": "Additional Noteworthy Developments", "description": truncate(lines, MAX_DESCRIPTION)})
    return {"username": "Usul", "content": truncate(one_line(brief.title), MAX_CONTENT),
            "embeds": fit(embeds), "allowed_mentions": {"parse": []}}


class DiscordSink:
    """Posts each brief revision to one Discord webhook."""

    def __init__(self, name: str, url: SecretStr, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name, self.url, self.timeout, self.transport = name, url, timeout, transport

    def __repr__(self) -> str:
        return f"DiscordSink(name={self.name!r}, url={self.url!r})"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        body = json.dumps(build_payload(brief), ensure_ascii=False).encode()
        url = SecretStr(_with_wait(self.url.get_secret_value()))
        await post_json(self.name, brief.brief_id, url, body, timeout=self.timeout, transport=self.transport)
        return DeliveryResult(self.name, brief.brief_id, "delivered", "discord webhook")


def _with_wait(url: str) -> str:
    return str(httpx.URL(url).copy_merge_params({"wait": "true"}))
