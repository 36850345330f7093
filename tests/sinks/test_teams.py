"""Teams Workflows webhook: one Adaptive Card, under Teams' message size, to a real local server."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from sinks.base import RetryableSinkError
from sinks.teams import MAX_BYTES, TeamsSink
from tests.sinks.conftest import big_brief, brief
from tests.sinks.servers import RecordingServer

COVERS = "Covers: 2026-01-08 00:00 to 2026-01-09 00:00 UTC (2026-01-08 in Europe/London)"


@pytest.mark.asyncio
async def test_a_brief_is_posted_as_an_adaptive_card(receiver: RecordingServer) -> None:
    receiver.default = (202, {}, b"")
    result = await TeamsSink("teams", SecretStr(receiver.url + "/workflows/abc")).deliver(brief())
    assert result.status == "delivered"
    payload = receiver.received[0].json()
    [attachment] = payload["attachments"]
    card = attachment["content"]
    assert payload["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == "AI SAFETY AND GOVERNANCE - 2026-01-09"
    assert card["body"][2]["text"] == COVERS


@pytest.mark.asyncio
async def test_a_huge_brief_is_cut_to_teams_size_limit(receiver: RecordingServer) -> None:
    await TeamsSink("teams", SecretStr(receiver.url)).deliver(big_brief())
    body = receiver.received[0].body
    assert len(body) <= MAX_BYTES
    assert "left out to fit Teams' size limit" in json.dumps(json.loads(body))


@pytest.mark.asyncio
async def test_server_errors_are_retryable(receiver: RecordingServer) -> None:
    receiver.replies.append((503, {"Retry-After": "3"}, b""))
    with pytest.raises(RetryableSinkError, match="HTTP 503"):
        await TeamsSink("teams", SecretStr(receiver.url)).deliver(brief())
