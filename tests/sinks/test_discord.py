"""Discord webhook: embeds inside Discord's limits, posted to a real local HTTP server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from sinks.base import RetryableSinkError
from sinks.discord import (
    MAX_DESCRIPTION,
    MAX_EMBEDS,
    MAX_FOOTER,
    MAX_TITLE,
    MAX_TOTAL,
    DiscordSink,
    fit,
    total_size,
)
from tests.sinks.conftest import big_brief, brief
from tests.sinks.servers import RecordingServer

COVERS = "Covers: 2026-01-08 00:00 to 2026-01-09 00:00 UTC (2026-01-08 in Europe/London)"


@pytest.mark.asyncio
async def test_a_brief_is_posted_as_embeds_and_waits_for_the_message(receiver: RecordingServer) -> None:
    await DiscordSink("ops", SecretStr(receiver.url + "/api/webhooks/1/tok")).deliver(brief())
    [request] = receiver.received
    payload = request.json()
    assert request.path == "/api/webhooks/1/tok?wait=true"
    assert payload["embeds"][0]["title"] == "AI SAFETY AND GOVERNANCE - 2026-01-09"
    assert f"\n{COVERS}\n" in payload["embeds"][0]["description"]
    assert payload["embeds"][1]["title"] == "1. Lab ships model" and payload["embeds"][1]["url"] == "https://example.com/a"
    assert payload["allowed_mentions"] == {"parse": []}


@pytest.mark.asyncio
async def test_a_huge_brief_stays_within_discords_limits(receiver: RecordingServer) -> None:
    await DiscordSink("ops", SecretStr(receiver.url)).deliver(big_brief(top=12))
    embeds = receiver.received[0].json()["embeds"]
    assert len(embeds) <= MAX_EMBEDS and total_size(embeds) <= MAX_TOTAL
    for embed in embeds:
        assert len(embed["title"]) <= MAX_TITLE and len(embed["description"]) <= MAX_DESCRIPTION
        assert len(embed.get("footer", {}).get("text", "")) <= MAX_FOOTER


def test_fit_shortens_before_it_drops() -> None:
    embeds = [{"title": "t", "description": "x" * 4000}, {"title": "u", "description": "y" * 2500}]
    fitted = fit(embeds)
    assert len(fitted) == 2 and total_size(fitted) <= MAX_TOTAL


@pytest.mark.asyncio
async def test_discords_json_retry_after_is_honoured(receiver: RecordingServer) -> None:
    receiver.replies.append((429, {"content-type": "application/json"}, b'{"retry_after": 1.25, "global": false}'))
    with pytest.raises(RetryableSinkError) as caught:
        await DiscordSink("ops", SecretStr(receiver.url)).deliver(brief())
    assert caught.value.retry_after == 1.25
