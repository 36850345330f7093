"""The deployment's source list: one TOML file of `[[source]]` tables. Pure.

    [[source]]
    name = "Example AI lab"
    type = "rss"                       # rss, atom, feed, jsonfeed, arxiv, hn, reddit, bluesky,
                                       # mastodon, x, jsonl
    url = "https://example.org/feed.xml"   # or a local file path for jsonl and feeds
    poll_minutes = 30                  # how often (default 15)
    stale_after_hours = 72             # no new item for this long: the source is stale (default 48)
    tier = "primary"                   # a hint for lenses: primary, press, social, research, ...
    enabled = true
    full_text_below = 400              # fetch the article page when the feed text is shorter
    max_items = 30                     # items read per poll (Hacker News, X)

The older spelling `location = ...` / `kind = "feed" | "jsonl"` still loads. With no file
configured, `sources/default.toml` (real public AI and technology feeds) is the list, polled only
when the machine is online (see `streams.ingest.poller`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from streams.settings import REPO_ROOT

SourceType = Literal["feed", "rss", "atom", "jsonfeed", "arxiv", "hn", "reddit", "bluesky", "mastodon", "x",
                     "jsonl"]
DEFAULT_SOURCES = REPO_ROOT / "sources" / "default.toml"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, validation_alias=AliasChoices("url", "location"))
    type: SourceType = Field(default="feed", validation_alias=AliasChoices("type", "kind"))
    poll_minutes: float | None = Field(default=None, gt=0)
    stale_after_hours: float = Field(default=48.0, gt=0)
    tier: str | None = None
    enabled: bool = True
    full_text_below: int = Field(default=0, ge=0)
    max_items: int = Field(default=30, ge=1, le=500)

    @field_validator("type", mode="before")
    @classmethod
    def _known_aliases(cls, value: object) -> object:
        return {"json": "jsonfeed", "hackernews": "hn", "rdf": "rss"}.get(str(value).lower(), value)

    @property
    def location(self) -> str:
        return self.url

    @property
    def kind(self) -> str:
        return self.type

    @property
    def remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


class SourcesError(ValueError):
    """The sources file is missing or not in the expected shape."""


def load_sources(path: Path | None) -> list[Source]:
    """Every `[[source]]` of the file (enabled or not); names must be unique."""
    if path is None:
        return []
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        sources = [Source.model_validate(entry) for entry in document.get("source", [])]
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        raise SourcesError(f"sources file {path}: {exc}") from exc
    names = [s.name for s in sources]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise SourcesError(f"sources file {path}: duplicate source names {duplicates}")
    return sources


def enabled_sources(path: Path | None) -> list[Source]:
    return [source for source in load_sources(path) if source.enabled]
