"""Server-sent events of one live lens-day: the stories held now, then each update as it comes,
with comment heartbeats. Pure apart from asyncio; the view in `streams.web.views` writes the bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

from streams.web.live_stories import CLOSED, LiveStories, summary

HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0  # an SSE response ends after this; EventSource reconnects on its own


def sse(event: str, data: Any) -> bytes:
    """One server-sent event; the data is one line of JSON, so it never needs splitting."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def event_stream(store: LiveStories, lens: str, day: str, heartbeat: float = HEARTBEAT_SECONDS,
                       lifetime: float = STREAM_SECONDS,
                       clock: Callable[[], float] | None = None) -> AsyncIterator[bytes]:
    """The day's stories now, then each update as it arrives, with comment heartbeats."""
    clock = clock or asyncio.get_running_loop().time
    queue = store.subscribe(lens, day)
    ends = clock() + lifetime
    try:
        yield b"retry: 3000\n\n"
        for story in store.stories(lens, day):
            yield sse("story", summary(story))
        yield sse("ready", {"lens": lens, "day": day})
        while (left := ends - clock()) > 0:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=min(heartbeat, left))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if item is CLOSED:
                return
            yield sse("story", summary(item))
    finally:
        store.unsubscribe(lens, day, queue)
