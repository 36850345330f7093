"""Dead letters: records a stage could not process, with enough context to replay them, and the
one way to build one and its Kafka headers. Pure."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel

# A letter must fit the dead-letter topic's record size limit: its text is cut to these.
PAYLOAD_CHARS = 100_000
MESSAGE_CHARS = 2000
HEADER_NAMES = ("usul-stage", "usul-error", "usul-original-topic", "usul-partition", "usul-offset")


class DeadLetter(BaseModel):
    """A record that failed a stage. `payload` is the original bytes as text (lossy only if they
    were not UTF-8, in which case `payload_b64` holds them exactly)."""

    stage: str
    error_class: str
    message: str
    original_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    payload: str
    payload_b64: str | None = None
    failed_at: AwareDatetime


@dataclass(frozen=True)
class Origin:
    """Where a failed record came from: a topic's partition and offset, or a file, feed or endpoint."""

    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None


def dead_letter(stage: str, error: Exception, payload: bytes | None, origin: Origin, now: datetime,
                message: str | None = None) -> DeadLetter:
    """The letter of `payload` failing `stage` with `error` (`message` when given, else the error's text)."""
    data = payload or b""
    text = data.decode("utf-8", errors="replace")
    exact = None if text.encode() == data else base64.b64encode(data).decode()
    return DeadLetter(stage=stage, error_class=type(error).__name__,
                      message=_encodable(str(error) if message is None else message)[:MESSAGE_CHARS],
                      original_topic=origin.topic, partition=origin.partition, offset=origin.offset,
                      key=origin.key, payload=text[:PAYLOAD_CHARS], payload_b64=exact, failed_at=now)


def kafka_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The letter's routing facts as Kafka headers (empty value when unknown), so tools can route
    and filter without decoding the value."""
    values = (letter.stage, letter.error_class, letter.original_topic,
              "" if letter.partition is None else str(letter.partition),
              "" if letter.offset is None else str(letter.offset))
    return [(name, value.encode("utf-8", errors="replace")) for name, value in zip(HEADER_NAMES, values, strict=True)]


def _encodable(text: str) -> str:
    """Lone surrogates (from undecodable bytes an error quotes) replaced: the letter must encode."""
    return text.encode("utf-8", errors="replace").decode()
