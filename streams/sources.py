"""The deployment's source list: one TOML file of `[[source]]` tables. Pure.

    [[source]]
    name = "Example AI feed"
    location = "https://example.org/feed.xml"   # or a local file path
    kind = "feed"                                # feed (RSS/Atom) or jsonl
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError


class Source(BaseModel):
    name: str
    location: str
    kind: Literal["feed", "jsonl"] = "feed"


class SourcesError(ValueError):
    """The sources file is missing or not in the expected shape."""


def load_sources(path: Path | None) -> list[Source]:
    if path is None:
        return []
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return [Source.model_validate(entry) for entry in document.get("source", [])]
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise SourcesError(f"sources file {path}: {exc}") from exc
