"""Email over SMTP: one multipart/alternative message per brief revision (plain text, then HTML).

The text part is `render_text` (written for email), the HTML part `render_html` (sanitised,
standalone). The Message-ID is derived from the brief, its revision and content, so a resend after
a crash carries the same Message-ID: many mail stores and clients fold such copies together, but
SMTP itself has no idempotency, so see `sinks` for the crash policy.

`smtp://` uses STARTTLS when the server offers it (required when `starttls` is set and a password
is configured), `smtps://` is TLS from the first byte. smtplib is blocking, so `deliver` runs it
in a thread. SMTP replies map onto the error tree: 4xx and network errors are retryable, 5xx and
refused credentials are permanent.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

import httpx
from pydantic import SecretStr

from models.briefs import Brief
from sinks.base import DeliveryResult, PermanentSinkError, RetryableSinkError, SinkError
from streams.brief.render import render_html, render_text

_ID_SAFE = re.compile(r"[^A-Za-z0-9.\-]")


def message_id(brief: Brief, domain: str = "usul.invalid") -> str:
    digest = hashlib.sha256(f"{brief.brief_id}|{brief.revision}|{brief.content_hash}".encode()).hexdigest()[:16]
    return f"<{_ID_SAFE.sub('-', brief.brief_id)}.{digest}@{domain}>"


def build_message(brief: Brief, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    revision = f" (revision {brief.revision})" if brief.revision > 1 else ""
    message["Subject"] = f"{brief.title}{revision}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(brief.created_at)
    message["Message-ID"] = message_id(brief)
    message["X-Usul-Brief"] = f"{brief.brief_id} r{brief.revision}"
    message.set_content(render_text(brief))
    message.add_alternative(render_html(brief), subtype="html")
    return message


class EmailSink:
    """Sends each brief revision to a fixed list of recipients through one SMTP server."""

    def __init__(self, name: str, url: SecretStr, sender: str, recipients: list[str], username: str | None = None,
                 password: SecretStr | None = None, starttls: bool = True, timeout: float = 30.0) -> None:
        parsed = httpx.URL(url.get_secret_value())
        self.name, self.sender, self.recipients = name, sender, list(recipients)
        self.tls = parsed.scheme == "smtps"
        self.host, self.port = parsed.host, parsed.port or (465 if self.tls else 25)
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def __repr__(self) -> str:
        return f"EmailSink(name={self.name!r}, recipients={len(self.recipients)}, password=SecretStr('**********'))"

    async def deliver(self, brief: Brief) -> DeliveryResult:
        message = build_message(brief, self.sender, self.recipients)
        await asyncio.to_thread(self._send, brief, message)
        return DeliveryResult(self.name, brief.brief_id, "delivered", f"{len(self.recipients)} recipient(s)",
                              message["Message-ID"])

    def _send(self, brief: Brief, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                self._secure_and_login(smtp, brief)
                refused = smtp.send_message(message, self.sender, self.recipients)
        except SinkError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentSinkError(self.name, brief.brief_id, f"SMTP login refused ({exc.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            kind = RetryableSinkError if all(400 <= c < 500 for c in codes) else PermanentSinkError
            raise kind(self.name, brief.brief_id, f"every recipient refused (SMTP {codes})") from None
        except smtplib.SMTPResponseException as exc:
            kind = RetryableSinkError if 400 <= exc.smtp_code < 500 else PermanentSinkError
            raise kind(self.name, brief.brief_id, f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableSinkError(self.name, brief.brief_id,
                                     f"SMTP server {self.host}:{self.port} unreachable: {type(exc).__name__}") from None
        if refused:  # some accepted: those got it; retrying would send the others' copies twice
            raise PermanentSinkError(self.name, brief.brief_id, f"{len(refused)} recipient(s) refused")

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _secure_and_login(self, smtp: smtplib.SMTP, brief: Brief) -> None:
        smtp.ehlo()
        if not self.tls and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        elif not self.tls and self.starttls and self.password is not None:
            raise PermanentSinkError(self.name, brief.brief_id,
                                     "server offers no STARTTLS; refusing to send the password in clear text")
        if self.username and self.password is not None:
            smtp.login(self.username, self.password.get_secret_value())


def _text(raw: bytes | str) -> str:
    return (raw.decode(errors="replace") if isinstance(raw, bytes) else raw)[:200]
