"""What the web pages need from the worker. `streams.topology.Topology` implements it and registers
the pages, so the web package never imports the topology."""

from __future__ import annotations

from typing import Protocol

from models.lens import Lens
from streams.settings import Settings
from streams.stall import StallWatch
from streams.web.live_stories import LiveStories


class Worker(Protocol):
    """The worker as the views see it."""

    settings: Settings  # output_dir (the briefs served) and ingest_token (POST /ingest and /close)
    lenses: list[Lens]
    live: LiveStories  # /live, /stories and their API
    stall: StallWatch  # /livez

    async def ingest_push(self, body: bytes) -> tuple[int, list[str]]:
        """Produce a `POST /ingest` body's items; return how many were accepted and the errors."""
        ...

    async def close_day(self, lens: str, day: str, close_id: str) -> None:
        """Send the close markers of `lens`'s `day` (`POST /close`)."""
        ...
