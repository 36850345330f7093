"""Slack incoming webhook: Block Kit inside Slack's limits, posted to a real local HTTP server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from sinks.base import PermanentSinkError, RetryableSinkError
from sinks.slack import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT, SlackSink, build_payload
from tests.sinks.conftest import big_brief, brief
from tests.sinks.servers import RecordingServer

COVERS = "Covers: 2026-01-08 00:00 to 2026-01-09 00:00 UTC (2026-01-08 in Europe/London)"


def _texts(payload: dict) -> list[tuple[str, str]]:
    out = []
    for block in payload["blocks"]:
        if "text" in block:
            out.append((block["type"], block["text"]["text"]))
        for element in block.get("elements", []):
            out.append((block["type"], element["text"]))
    return out


@pytest.mark.asyncio
async def test_a_brief_is_posted_as_block_kit(receiver: RecordingServer) -> None:
    result = await SlackSink("desk", SecretStr(receiver.url + "/services/T/B/x")).deliver(brief())
    assert result.status == "delivered"
    [request] = receiver.received
    payload = request.json()
    assert request.path == "/services/T/B/x" and request.headers["content-type"] == "application/json"
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                               "text": "AI SAFETY AND GOVERNANCE - 2026-01-09"}}
    assert payload["blocks"][1]["elements"][0]["text"].endswith(COVERS)
    assert any("*1. Lab ships model*" in text for _, text in _texts(payload))
    assert "<https://example.com/a|[1]>" in str(payload)


@pytest.mark.asyncio
async def test_a_huge_brief_stays_within_slacks_limits(receiver: RecordingServer) -> None:
    await SlackSink("desk", SecretStr(receiver.url)).deliver(big_brief())
    payload = receiver.received[0].json()
    assert len(payload["blocks"]) <= MAX_BLOCKS
    for kind, text in _texts(payload):
        assert len(text) <= (MAX_HEADER_TEXT if kind == "header" else MAX_SECTION_TEXT)
    assert "left out to fit Slack's limits" in str(payload["blocks"][-2])


def test_article_text_cannot_ping_the_channel() -> None:
    payload = build_payload(big_brief(top=1, noteworthy=1, words=20))
    assert "<!channel>" not in str(payload) and "&lt;!channel&gt;" in str(payload)


@pytest.mark.asyncio
async def test_rate_limits_are_retryable_with_retry_after(receiver: RecordingServer) -> None:
    receiver.replies.append((429, {"Retry-After": "7"}, b"rate_limited"))
    with pytest.raises(RetryableSinkError) as caught:
        await SlackSink("desk", SecretStr(receiver.url)).deliver(brief())
    assert caught.value.retry_after == 7.0


@pytest.mark.asyncio
async def test_errors_never_show_the_webhook_url(receiver: RecordingServer) -> None:
    url = receiver.url + "/services/T0001/B0001/s3cr3tT0ken"
    receiver.replies.append((404, {}, f"no_service for {url}".encode()))
    sink = SlackSink("desk", SecretStr(url))
    with pytest.raises(PermanentSinkError) as caught:
        await sink.deliver(brief())
    assert "s3cr3tT0ken" not in str(caught.value) and "s3cr3tT0ken" not in repr(sink)
    dead = SlackSink("desk", SecretStr("http://127.0.0.1:9/services/T/B/s3cr3tT0ken"))
    with pytest.raises(RetryableSinkError) as refused:
        await dead.deliver(brief())
    assert "s3cr3tT0ken" not in str(refused.value)


@pytest.mark.asyncio
async def test_httpx_request_logs_do_not_show_the_webhook_url(receiver: RecordingServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await SlackSink("desk", SecretStr(receiver.url + "/services/T1/B1/l0gg3dT0ken")).deliver(brief())
    assert "HTTP Request: POST" in caplog.text and "l0gg3dT0ken" not in caplog.text
