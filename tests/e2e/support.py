"""Helpers for the browser tests: a live worker that has replayed a day, started beside Playwright."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.integration.harness import LiveUsul, fresh_broker

SAMPLE_DAY = "2026-01-08"
SAMPLE_EDITION = "2026-01-09"  # its brief, published the next morning


def _in_thread(work: Callable[[], Any]) -> Any:
    """The harness runs asyncio.run, which cannot run beside Playwright's sync loop: a thread can."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def _wait_for_brief_files(usul: LiveUsul, day: str, timeout: float = 120.0) -> None:
    """Replay returns once the brief is on the briefs topic; the file sink writes the pages a moment
    later, so wait for them before a browser asks."""
    deadline = time.monotonic() + timeout
    url = usul.url(f"/api/briefs/ai-safety-governance/{day}")  # the lens-day address of the API
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the brief for {day} was never written: {usul.log_tail(40)}")


def live_usul(kind: str, workdir: Path, files: list[Path], day: str) -> Iterator[LiveUsul]:
    """A fresh broker and worker that has replayed `files` for `day` (its brief is published)."""
    broker = fresh_broker(kind, workdir / "broker")
    usul = LiveUsul(broker.bootstrap, workdir, kind)
    try:
        _in_thread(usul.start_worker)
        _in_thread(lambda: usul.replay(files, day, workdir / "out"))
        _wait_for_brief_files(usul, day)
        yield usul
    finally:
        usul.stop_worker()
        broker.stop()
