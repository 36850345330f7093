"""Ingestion's own persisted state, in one small SQLite file under the data dir.

- `validators`: ETag and Last-Modified per URL, for conditional GETs;
- `seen`: url_key -> first_seen, so each canonical URL is produced once across restarts; rows
  older than the retention are pruned (the worker's own dedup, `streams.stages.dedup`, stays as is);
- `sources`: per-source health (last attempt, last success, last new item, error streak,
  consecutive unchanged polls, last error, earliest next poll);
- `budgets`: per-day counters for metered APIs (X reads).

Used from one event loop thread at a time; every write commits at once (the file is tiny).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, first_seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS seen_first ON seen (first_seen);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, first_polled REAL, last_attempt REAL, last_success REAL, last_new_item REAL,
    error_streak INTEGER NOT NULL DEFAULT 0, unchanged_streak INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, next_due REAL, stale_flagged INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS budgets (name TEXT, day TEXT, used INTEGER NOT NULL, PRIMARY KEY (name, day));
"""


@dataclass
class SourceState:
    """One source's health; times are POSIX seconds (UTC)."""

    name: str
    first_polled: float | None = None
    last_attempt: float | None = None
    last_success: float | None = None
    last_new_item: float | None = None
    error_streak: int = 0
    unchanged_streak: int = 0
    last_error: str | None = None
    next_due: float | None = None
    stale_flagged: bool = False

    def seconds_since_new(self, now: float) -> float:
        since = self.last_new_item or self.first_polled
        return max(0.0, now - since) if since is not None else 0.0


class IngestState:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # conditional GET ---------------------------------------------------------------------------
    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self.db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self.db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?)", (url, etag, last_modified))
        else:
            self.db.execute("DELETE FROM validators WHERE url = ?", (url,))

    # once per item -----------------------------------------------------------------------------
    def unseen(self, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        found: set[str] = set()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(f"SELECT key FROM seen WHERE key IN ({marks})", chunk))
        return wanted - found

    def mark_seen(self, keys: Iterable[str], now: float) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", [(k, now) for k in keys])

    def prune_seen(self, older_than: float) -> int:
        return self.db.execute("DELETE FROM seen WHERE first_seen < ?", (older_than,)).rowcount

    # per-source health -------------------------------------------------------------------------
    def source(self, name: str) -> SourceState:
        names = [f.name for f in fields(SourceState)]
        row = self.db.execute(f"SELECT {', '.join(names)} FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return SourceState(name=name)
        state = SourceState(**dict(zip(names, row, strict=True)))
        state.stale_flagged = bool(state.stale_flagged)
        return state

    def save_source(self, state: SourceState) -> None:
        values = asdict(state)
        values["stale_flagged"] = int(state.stale_flagged)
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        self.db.execute(f"INSERT OR REPLACE INTO sources ({columns}) VALUES ({marks})", list(values.values()))

    # metered APIs ------------------------------------------------------------------------------
    def budget_used(self, name: str, day: str) -> int:
        row = self.db.execute("SELECT used FROM budgets WHERE name = ? AND day = ?", (name, day)).fetchone()
        return int(row[0]) if row else 0

    def spend(self, name: str, day: str, amount: int) -> None:
        self.db.execute("INSERT INTO budgets VALUES (?, ?, ?) ON CONFLICT (name, day) DO UPDATE SET used = used + ?",
                        (name, day, amount, amount))
