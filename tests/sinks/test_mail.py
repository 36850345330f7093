"""Email over SMTP to a real aiosmtpd server: multipart/alternative, stable Message-ID."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from sinks.base import PermanentSinkError, RetryableSinkError
from sinks.mail import EmailSink
from streams.ops.brokers import free_port
from tests.sinks.conftest import brief
from tests.sinks.servers import MailBox


def _sink(port: int, **overrides: object) -> EmailSink:
    fields: dict[str, object] = {"name": "email", "url": SecretStr(f"smtp://127.0.0.1:{port}"),
                                 "sender": "Usul <usul@example.org>",
                                 "recipients": ["desk@example.org", "b@example.org"]}
    fields.update(overrides)
    return EmailSink(**fields)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_brief_arrives_as_text_and_html_alternatives(mailbox: tuple[int, MailBox]) -> None:
    port, box = mailbox
    result = await _sink(port).deliver(brief())
    assert result.status == "delivered"
    [message] = box.messages
    assert box.envelopes == [("usul@example.org", ["desk@example.org", "b@example.org"])]
    assert message["Subject"] == "AI SAFETY AND GOVERNANCE - 2026-01-09"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = (part.get_content_type() for part in message.iter_parts())
    assert (plain, html) == ("text/plain", "text/html")
    assert "Top Priority Items" in message.get_body(("plain",)).get_content()
    assert "<!DOCTYPE html>" in message.get_body(("html",)).get_content()


@pytest.mark.asyncio
async def test_a_resend_keeps_the_message_id(mailbox: tuple[int, MailBox]) -> None:
    port, box = mailbox
    await _sink(port).deliver(brief())
    await _sink(port).deliver(brief())
    await _sink(port).deliver(brief(2, executive_summary="A later story."))
    ids = [m["Message-ID"] for m in box.messages]
    assert ids[0] == ids[1] != ids[2] and box.messages[2]["Subject"].endswith("(revision 2)")


@pytest.mark.asyncio
async def test_an_unreachable_server_is_retryable_and_hides_the_password() -> None:
    sink = _sink(free_port(), username="usul", password=SecretStr("hunter2-password"))
    with pytest.raises(RetryableSinkError, match="unreachable") as caught:
        await sink.deliver(brief())
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(sink)


@pytest.mark.asyncio
async def test_no_password_goes_out_without_starttls(mailbox: tuple[int, MailBox]) -> None:
    port, box = mailbox  # aiosmtpd without TLS offers no STARTTLS
    with pytest.raises(PermanentSinkError, match="no STARTTLS"):
        await _sink(port, username="usul", password=SecretStr("pw")).deliver(brief())
    assert box.messages == []
