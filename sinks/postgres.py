"""PostgreSQL: briefs and their stories as rows, upserted, with numbered schema migrations.

Tables (see `sinks/migrations/`): `briefs` keyed by (lens, day, revision), with its `edition` date
(the morning it is published, which titles it), and `stories` keyed by
(lens, day, story_id). A revision is inserted once; delivering it again finds the row and reports
`already_delivered` (a different content hash under the same key is refused). A story row is
updated only by a revision at least as new as the one that wrote it, so an old revision replayed
late never rolls a story back. Brief and stories are written in one transaction.

Migrations are `NNNN_name.sql` files applied in numeric order, each in its own transaction with
its row in `schema_migrations`, under an advisory lock so two workers starting together apply
each file once. psycopg 3 is blocking here; the dispatcher runs `deliver` in a thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb
from pydantic import SecretStr

from models.briefs import Brief, BriefItem
from sinks.base import DeliveryResult, DeliveryStatus, PermanentSinkError, RetryableSinkError
from sinks.http import redact

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d+)_([a-z0-9_]+)\.sql$")
_LOCK_ID = 0x75_73_75_6C  # "usul": one advisory lock for schema changes


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in folder.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migration files share a number in {folder.name}/")
    return sorted(found, key=lambda m: m.version)


def migrate(conn: psycopg.Connection, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the files not yet recorded in `schema_migrations`; return the versions applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in migrations(folder):
            if migration.version in done:
                continue
            with conn.transaction():  # a savepoint: one bad file leaves none of itself behind
                conn.execute(migration.path.read_text(encoding="utf-8").encode())
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                             (migration.version, migration.name))
            applied.append(migration.version)
    return applied


_INSERT_BRIEF = """
INSERT INTO briefs (lens, day, edition, revision, brief_id, content_hash, created_at, title, executive_summary,
                    items_seen, items_relevant, stories_total, body)
VALUES (%(lens)s, %(day)s, %(edition)s, %(revision)s, %(brief_id)s, %(content_hash)s, %(created_at)s, %(title)s,
        %(executive_summary)s, %(items_seen)s, %(items_relevant)s, %(stories_total)s, %(body)s)
ON CONFLICT (lens, day, revision) DO NOTHING
RETURNING content_hash
"""

_UPSERT_STORY = """
INSERT INTO stories AS s (lens, day, story_id, revision, tier, rank, headline, summary, details, category,
                          confidence, score, sources)
VALUES (%(lens)s, %(day)s, %(story_id)s, %(revision)s, %(tier)s, %(rank)s, %(headline)s, %(summary)s,
        %(details)s, %(category)s, %(confidence)s, %(score)s, %(sources)s)
ON CONFLICT (lens, day, story_id) DO UPDATE SET
    revision = EXCLUDED.revision, tier = EXCLUDED.tier, rank = EXCLUDED.rank, headline = EXCLUDED.headline,
    summary = EXCLUDED.summary, details = EXCLUDED.details, category = EXCLUDED.category,
    confidence = EXCLUDED.confidence, score = EXCLUDED.score, sources = EXCLUDED.sources, updated_at = now()
WHERE s.revision <= EXCLUDED.revision
"""


def _brief_row(brief: Brief) -> dict[str, object]:
    return {"lens": brief.lens, "day": brief.day, "edition": brief.edition, "revision": brief.revision,
            "brief_id": brief.brief_id, "content_hash": brief.content_hash, "created_at": brief.created_at,
            "title": brief.title,
            "executive_summary": brief.executive_summary, "items_seen": brief.items_seen,
            "items_relevant": brief.items_relevant, "stories_total": brief.stories_total,
            "body": Jsonb(brief.model_dump(mode="json"))}


def _story_row(brief: Brief, item: BriefItem) -> dict[str, object]:
    refs = {s.number: s for s in brief.sources}
    sources = [refs[n].model_dump(mode="json") for n in item.sources if n in refs]
    return {"lens": brief.lens, "day": brief.day, "story_id": item.story_id, "revision": brief.revision,
            "tier": item.tier, "rank": item.rank, "headline": item.headline, "summary": item.summary,
            "details": item.details, "category": item.category, "confidence": item.confidence,
            "score": item.score, "sources": Jsonb(sources)}


class PostgresSink:
    """Upserts each brief revision and its stories; migrates the schema on first use."""

    name = "postgres"

    def __init__(self, dsn: SecretStr, connect_timeout: int = 10) -> None:
        self.dsn, self.connect_timeout = dsn, connect_timeout
        self._migrated = False

    def __repr__(self) -> str:
        return "PostgresSink(dsn=SecretStr('**********'))"

    def deliver(self, brief: Brief) -> DeliveryResult:
        try:
            with psycopg.connect(self.dsn.get_secret_value(), connect_timeout=self.connect_timeout) as conn:
                if not self._migrated:
                    migrate(conn)
                    self._migrated = True
                inserted = self._store(conn, brief)
        except (PermanentSinkError, RetryableSinkError):
            raise
        except psycopg.OperationalError as exc:  # server down, connection lost, too many clients
            raise RetryableSinkError(self.name, brief.brief_id, self._say(exc)) from None
        except psycopg.Error as exc:  # schema, constraint or permission problems: retrying will not help
            raise PermanentSinkError(self.name, brief.brief_id, self._say(exc)) from None
        status: DeliveryStatus = "delivered" if inserted else "already_delivered"
        return DeliveryResult(self.name, brief.brief_id, status, f"briefs({brief.lens}, {brief.day}, {brief.revision})")

    def _store(self, conn: psycopg.Connection, brief: Brief) -> bool:
        with conn.transaction():
            inserted = conn.execute(_INSERT_BRIEF, _brief_row(brief)).fetchone() is not None
            if not inserted:
                row = conn.execute("SELECT content_hash FROM briefs WHERE lens = %s AND day = %s AND revision = %s",
                                   (brief.lens, brief.day, brief.revision)).fetchone()
                if row and row[0] != brief.content_hash:
                    raise PermanentSinkError(self.name, brief.brief_id,
                                             f"revision {brief.revision} already stored with different content "
                                             f"({row[0][:12]} != {brief.content_hash[:12]})")
            for item in brief.top_items + brief.noteworthy:
                conn.execute(_UPSERT_STORY, _story_row(brief, item))
        return inserted

    def _say(self, exc: psycopg.Error) -> str:
        return f"{type(exc).__name__}: {redact(str(exc).strip(), self.dsn.get_secret_value())[:300]}"
