"""One JSON POST to a webhook-style receiver, with its outcome turned into the sink error tree.

Shared by the Slack, Discord, Teams and signed-webhook channels. The URL is a `SecretStr` and
never enters a message: errors say the channel, the brief and the HTTP status or network error.

    2xx                         delivered
    408, 425, 429, 5xx          RetryableSinkError (with the receiver's Retry-After)
    network error, timeout      RetryableSinkError
    any other status            PermanentSinkError (bad URL, revoked webhook, payload refused)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from sinks.base import PermanentSinkError, RetryableSinkError
from sinks.retry import parse_retry_after

RETRYABLE_STATUSES = frozenset({408, 425, 429})


class _HideSecretUrls(logging.Filter):
    """httpx logs every request's full URL at INFO; a webhook URL is a credential. This filter,
    on the `httpx` logger, replaces each registered URL in a record's arguments."""

    def __init__(self) -> None:
        super().__init__("usul-secret-urls")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets and isinstance(record.args, tuple):
            record.args = tuple(self._scrub(arg) for arg in record.args)
        return True

    def _scrub(self, arg: object) -> object:
        text = str(arg) if isinstance(arg, str | httpx.URL) else None
        if text is None or not any(secret in text for secret in self.secrets):
            return arg
        for secret in self.secrets:
            text = redact(text, secret)
        return text


_HIDE = _HideSecretUrls()
logging.getLogger("httpx").addFilter(_HIDE)


async def post_json(sink: str, brief_id: str, url: SecretStr, body: bytes, headers: dict[str, str] | None = None,
                    timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> httpx.Response:
    """POST `body` (already-serialised JSON) and return the 2xx response, or raise a `SinkError`."""
    secret = url.get_secret_value()
    _HIDE.secrets.add(secret.split("?")[0])
    all_headers = {"content-type": "application/json", "user-agent": "usul-sinks", **(headers or {})}
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            response = await client.post(secret, content=body, headers=all_headers)
    except httpx.TimeoutException as exc:
        raise RetryableSinkError(sink, brief_id, f"timed out after {timeout} s ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:  # connection refused, DNS, protocol errors
        raise RetryableSinkError(sink, brief_id, f"network error: {redact(str(exc), secret)}") from None
    check_status(sink, brief_id, response, secret)
    return response


def check_status(sink: str, brief_id: str, response: httpx.Response, secret: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    snippet = redact(response.text[:200].strip(), secret)
    reason = f"HTTP {status} from the receiver" + (f": {snippet}" if snippet else "")
    if status in RETRYABLE_STATUSES or status >= 500:
        raise RetryableSinkError(sink, brief_id, reason, retry_after=retry_after(response))
    raise PermanentSinkError(sink, brief_id, reason)


def retry_after(response: httpx.Response) -> float | None:
    """The header, or Discord's JSON `retry_after` (seconds, a float) when the header is absent."""
    header = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
    if header is not None:
        return header
    try:
        value = response.json().get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and value >= 0 else None


def redact(text: str, secret: str) -> str:
    """Remove the secret, and the credential part of a URL, from text that will be shown."""
    if not secret:
        return text
    text = text.replace(secret, "<redacted url>")
    path = httpx.URL(secret).path if "://" in secret else ""
    return text.replace(path, "/<redacted>") if len(path) > 1 else text


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """At most `limit` characters, ending in `marker` when something was cut."""
    return text if len(text) <= limit else text[: max(0, limit - len(marker))].rstrip() + marker
