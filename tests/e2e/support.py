"""Helpers for the browser tests: a live worker that has replayed a day, started beside Playwright."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.integration.harness import LiveUsul, fresh_broker

SAMPLE_DAY = "2026-01-08"


def _in_thread(work: Callable[[], Any]) -> Any:
    """The harness runs asyncio.run, which cannot run beside Playwright's sync loop: a thread can."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def live_usul(kind: str, workdir: Path, files: list[Path], day: str) -> Iterator[LiveUsul]:
    """A fresh broker and worker that has replayed `files` for `day` (its brief is published)."""
    broker = fresh_broker(kind, workdir / "broker")
    usul = LiveUsul(broker.bootstrap, workdir, kind)
    try:
        _in_thread(usul.start_worker)
        _in_thread(lambda: usul.replay(files, day, workdir / "out"))
        yield usul
    finally:
        usul.stop_worker()
        broker.stop()
