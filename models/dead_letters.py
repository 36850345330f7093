"""Dead letters: records a stage could not process, with enough context to replay them. Pure."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel


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
