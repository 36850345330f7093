"""Standard Webhooks signing: the spec's test vector, and a real receiver verifying what we send."""

from __future__ import annotations

import base64
import time

import pytest
from pydantic import SecretStr, ValidationError

from sinks.base import PermanentSinkError
from sinks.config import WebhookChannel
from sinks.webhook import WebhookSink, decode_secret, message_id, sign, verify
from tests.sinks.conftest import brief
from tests.sinks.servers import RecordingServer

SECRET = SecretStr("whsec_" + base64.b64encode(b"k" * 32).decode())


def test_the_specifications_test_vector_reproduces_exactly() -> None:
    key = decode_secret(SecretStr("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.asyncio
async def test_the_receiver_verifies_the_signature_of_what_arrives(receiver: RecordingServer) -> None:
    await WebhookSink("hook", SecretStr(receiver.url + "/usul"), SECRET).deliver(brief())
    [request] = receiver.received
    assert verify(decode_secret(SECRET), request.headers, request.body, int(time.time()))
    assert not verify(decode_secret(SECRET), request.headers, request.body + b" ", int(time.time()))
    envelope = request.json()
    assert envelope["type"] == "brief.published"
    assert envelope["data"]["brief_id"] == "ai-safety-governance:2026-01-08:r1"


@pytest.mark.asyncio
async def test_the_id_is_stable_across_attempts_and_the_timestamp_is_fresh(receiver: RecordingServer) -> None:
    clock = iter([1_700_000_000.0, 1_700_000_060.0])
    sink = WebhookSink("hook", SecretStr(receiver.url), SECRET, clock=lambda: next(clock))
    await sink.deliver(brief())
    await sink.deliver(brief())
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message_id(brief(), "hook")
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert message_id(brief(2, executive_summary="changed"), "hook") != message_id(brief(), "hook")


def test_stale_timestamps_are_refused_by_the_verifier() -> None:
    key = decode_secret(SECRET)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1000", "webhook-signature": sign(key, "msg_1", 1000, b"{}")}
    assert verify(key, headers, b"{}", now=1100) and not verify(key, headers, b"{}", now=2000)


@pytest.mark.parametrize("bad", ["nope", "whsec_***", "whsec_" + base64.b64encode(b"short").decode()])
def test_bad_secrets_are_refused_without_showing_them(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookChannel(type="webhook", url=SecretStr("https://x.example/h"), secret=SecretStr(bad))
    assert bad not in str(caught.value)


@pytest.mark.asyncio
async def test_a_refusing_receiver_is_permanent_and_the_secret_stays_hidden(receiver: RecordingServer) -> None:
    receiver.replies.append((401, {}, b"bad signature"))
    sink = WebhookSink("hook", SecretStr(receiver.url), SECRET)
    with pytest.raises(PermanentSinkError, match="HTTP 401") as caught:
        await sink.deliver(brief())
    assert SECRET.get_secret_value() not in str(caught.value) + repr(sink)
