"""Generic webhook signed per the Standard Webhooks specification (v1, symmetric).

Each request carries three headers::

    webhook-id:        msg_<32 hex>   the same for every attempt and redelivery of one
                                      (brief, revision, channel): the receiver's dedup key
    webhook-timestamp: <unix seconds> of this attempt
    webhook-signature: v1,<base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))>

The secret is `whsec_` + base64 of the key (the spec asks for 24 to 64 random bytes). The body
is `{"type": "brief.published", "timestamp": <created_at>, "data": <the brief as on the topic>}`.
Because the id is stable and the spec tells receivers to dedup by it, a resend after a crash is
harmless: this channel is always redelivered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx
from pydantic import SecretStr

from models.briefs import Brief
from sinks.base import DeliveryResult
from sinks.http import post_json

PREFIX = "whsec_"


def decode_secret(secret: SecretStr) -> bytes:
    """The HMAC key inside `whsec_<base64>`; a ValueError that never shows the secret otherwise."""
    text = secret.get_secret_value()
    if not text.startswith(PREFIX):
        raise ValueError("a webhook secret must start with 'whsec_'")
    try:
        key = base64.b64decode(text[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret must be 'whsec_' followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a webhook secret's key must be 24 to 64 bytes, not {len(key)}")
    return key


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = webhook_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(key: bytes, headers: dict[str, str], body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps."""
    try:
        webhook_id, stamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = sign(key, webhook_id, stamp, body)
    return any(hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split())


def message_id(brief: Brief, channel: str) -> str:
    digest = hashlib.sha256(f"{brief.brief_id}|{brief.revision}|{brief.content_hash}|{channel}".encode())
    return f"msg_{digest.hexdigest()[:32]}"


def body_for(brief: Brief) -> bytes:
    envelope = {"type": "brief.published", "timestamp": brief.created_at.isoformat(),
                "data": brief.model_dump(mode="json")}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookSink:
    """POSTs each brief revision, signed, to one endpoint."""

    def __init__(self, name: str, url: SecretStr, secret: SecretStr, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None, clock: Callable[[], float] = time.time) -> None:
        self.name, self.url, self.timeout, self.transport, self.clock = name, url, timeout, transport, clock
        self._key = decode_secret(secret)

    def __repr__(self) -> str:
        return f"WebhookSink(name={self.name!r}, url={self.url!r}, secret=SecretStr('**********'))"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        webhook_id, body = message_id(brief, self.name), body_for(brief)
        stamp = int(self.clock())  # fresh per attempt, as the spec asks; the id stays the same
        headers = {"webhook-id": webhook_id, "webhook-timestamp": str(stamp),
                   "webhook-signature": sign(self._key, webhook_id, stamp, body)}
        await post_json(self.name, brief.brief_id, self.url, body, headers, self.timeout, self.transport)
        return DeliveryResult(self.name, brief.brief_id, "delivered", "webhook", webhook_id)
