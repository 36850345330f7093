"""PostgreSQL: numbered migrations and upserts, against a real server started from the Debian
packages (skipped with a reason when they are not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from sinks.base import PermanentSinkError, RetryableSinkError
from sinks.postgres import PostgresSink, migrate, migrations
from streams.ops.brokers import free_port
from tests.builders import make_brief
from tests.sinks.conftest import brief


@pytest.fixture
def database(postgres_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database per test on the session's server."""
    name = "t_" + "".join(c for c in request.node.name.lower() if c.isalnum())[:40]
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_dsn.rsplit("/", 1)[0] + "/" + name


def _rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def test_migrations_apply_in_order_once(database: str) -> None:
    with psycopg.connect(database) as conn:
        assert migrate(conn) == [m.version for m in migrations()] == [1, 2, 3]
        assert migrate(conn) == []
    assert _rows(database, "SELECT version, name FROM schema_migrations ORDER BY version") == [
        (1, "briefs_and_stories"), (2, "latest_briefs_view"), (3, "brief_editions")]


def test_a_failing_migration_leaves_nothing_behind(database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (x int); SELECT nonsense FROM nowhere;")
    with psycopg.connect(database) as conn, pytest.raises(psycopg.errors.UndefinedTable):
        migrate(conn, tmp_path)
    assert _rows(database, "SELECT to_regclass('a'), to_regclass('b')") == [(None, None)]


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "create.sql").write_text("")
    with pytest.raises(ValueError, match="NNNN_name.sql"):
        migrations(tmp_path)


def test_a_brief_and_its_stories_are_upserted_once(database: str) -> None:
    sink = PostgresSink(SecretStr(database))
    assert sink.deliver(brief()).status == "delivered"
    assert sink.deliver(brief()).status == "already_delivered"
    assert _rows(database, "SELECT lens, day::text, edition::text, revision, content_hash, title FROM briefs") == [
        ("ai-safety-governance", "2026-01-08", "2026-01-09", 1, brief().content_hash,
         "AI SAFETY AND GOVERNANCE - 2026-01-09")]
    assert _rows(database, "SELECT edition::text FROM latest_briefs") == [("2026-01-09",)]
    assert _rows(database, "SELECT story_id, revision, headline, sources->0->>'url' FROM stories") == [
        ("s-1", 1, "Lab ships model", "https://example.com/a")]


def test_stories_follow_the_newest_revision_only(database: str) -> None:
    sink = PostgresSink(SecretStr(database))
    first = brief()
    changed = first.top_items[0].model_copy(update={"headline": "Lab ships model, regulator reacts"})
    second = brief(2, top_items=[changed])
    sink.deliver(first)
    sink.deliver(second)
    sink.deliver(first)  # an old revision replayed late
    assert _rows(database, "SELECT revision, headline FROM stories") == [(2, "Lab ships model, regulator reacts")]
    assert _rows(database, "SELECT revision FROM latest_briefs") == [(2,)]
    assert len(_rows(database, "SELECT 1 FROM briefs")) == 2


def test_a_changed_brief_under_the_same_revision_is_refused(database: str) -> None:
    sink = PostgresSink(SecretStr(database))
    sink.deliver(brief())
    with pytest.raises(PermanentSinkError, match="different content"):
        sink.deliver(brief(executive_summary="Something else."))


def test_an_unreachable_server_is_retryable_and_hides_the_password() -> None:
    sink = PostgresSink(SecretStr(f"postgresql://usul:pa55w0rd-secret@127.0.0.1:{free_port()}/x"), connect_timeout=2)
    with pytest.raises(RetryableSinkError) as caught:
        sink.deliver(make_brief())
    assert "pa55w0rd-secret" not in str(caught.value) + repr(sink)


def test_rows_stored_before_editions_get_theirs_from_their_day(database: str, tmp_path: Path) -> None:
    for migration in migrations()[:2]:  # the schema as it was before editions
        (tmp_path / migration.path.name).write_bytes(migration.path.read_bytes())
    with psycopg.connect(database) as conn:
        assert migrate(conn, tmp_path) == [1, 2]
        conn.execute("INSERT INTO briefs (lens, day, revision, brief_id, content_hash, created_at, title, "
                     "executive_summary, items_seen, items_relevant, stories_total, body) VALUES "
                     "('ai-safety-governance', '2026-04-12', 1, 'b', 'h', now(), 't', 's', 1, 1, 1, '{}')")
        conn.commit()
        assert migrate(conn) == [3]
    assert _rows(database, "SELECT day::text, edition::text FROM latest_briefs") == [("2026-04-12", "2026-04-13")]
