"""Bytes <-> models for every topic, with one error type that says what was wrong. Pure.

Records travel as JSON, written and read by pydantic in one pass (no intermediate dicts).
Decoding validates against the topic's schema; anything that fails raises `DecodeError`, which the
agents turn into a dead letter.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from models.topics import TopicSpec

if TYPE_CHECKING:
    from pydantic.plugin._schema_validator import PluggableSchemaValidator
    from pydantic_core import SchemaValidator


class DecodeError(ValueError):
    """A record that is not valid JSON or does not match its topic's schema."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"{topic}: {reason}")
        self.topic = topic
        self.reason = reason


@cache
def _validator(spec: TopicSpec) -> SchemaValidator | PluggableSchemaValidator:
    """The topic's pydantic-core validator itself: `TypeAdapter.validate_json` only forwards to
    it, at a cost per record the stages pay on every hop."""
    return spec.adapter().validator


def encode(model: BaseModel) -> bytes:
    # the bytes `model.model_dump_json()` encodes, without its detour through a str
    return model.__pydantic_serializer__.to_json(model)


def decode(spec: TopicSpec, data: bytes | str | None) -> Any:
    if data is None:
        raise DecodeError(spec.name, "empty record (no value)")
    try:
        return _validator(spec).validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise DecodeError(spec.name, f"{where}: {first['msg']} ({exc.error_count()} errors)") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(spec.name, f"not JSON: {exc}") from exc

