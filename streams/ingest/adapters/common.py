"""Helpers the adapters share: JSON decoding into lenient pydantic shapes, ids, clipping. Pure."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, TypeVar

import nh3
import orjson
from pydantic import BaseModel, ValidationError

from models.items import RawItem
from streams.ingest.parse import IngestError

Shape = TypeVar("Shape", bound=BaseModel)


def load(shape: type[Shape], body: bytes, where: str) -> Shape:
    """Bytes into a pydantic shape; anything else is an IngestError naming the first problem."""
    try:
        return shape.model_validate(orjson.loads(body))
    except orjson.JSONDecodeError as exc:
        raise IngestError(where, f"not JSON: {exc}", body[:4096]) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "document"
        raise IngestError(where, f"not the expected shape: {field}: {first['msg']}", body[:4096]) from exc


def item_id(prefix: str, key: str) -> str:
    return f"{prefix}:" + hashlib.sha1(key.encode("utf-8", errors="replace")).hexdigest()[:16]


def plain(text: str) -> str:
    """HTML or text into one line of plain text."""
    if "<" in text or "&" in text:
        text = nh3.clean(text.replace("</p>", "</p> ").replace("<br", " <br"), tags=set())
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        text = text.replace("&#39;", "'").replace("&nbsp;", " ")
    return " ".join(text.split())


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def from_epoch(seconds: float | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC) if seconds is not None else None
    except (OverflowError, ValueError, OSError):
        return None


def language(value: Any) -> str:
    text = str(value or "en").split("-")[0].split("_")[0].strip().lower()
    return text[:16] or "en"


def make_item(**fields: Any) -> RawItem:
    """A RawItem with fields clipped to the schema's limits (a long title never drops an item)."""
    limits = {"id": 512, "source": 512, "title": 2048, "text": 200_000}
    clipped = {k: (v[:limits[k]] if k in limits and isinstance(v, str) else v) for k, v in fields.items()}
    if len(clipped.get("url", "")) > 4096:
        clipped["url"] = ""
    return RawItem(**clipped)
