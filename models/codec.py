"""Bytes <-> models for every topic, with one error type that says what was wrong. Pure.

Records travel as JSON, written and read by pydantic in one pass (no intermediate dicts).
Decoding validates against the topic's schema; anything that fails raises `DecodeError`, which the
agents turn into a dead letter.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from models.topics import TopicSpec


class DecodeError(ValueError):
    """A record that is not valid JSON or does not match its topic's schema."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason


@cache
def _adapter(spec: TopicSpec) -> TypeAdapter[Any]:
    return spec.adapter()


def encode(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def decode(spec: TopicSpec, data: bytes | str | None) -> Any:
    if data is None:
        raise DecodeError(spec.name, "empty record (no value)")
    try:
        return _adapter(spec).validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise DecodeError(spec.name, f"{where}: {first['msg']} ({exc.error_count()} errors)") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(spec.name, f"not JSON: {exc}") from exc

