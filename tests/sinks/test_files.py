"""The file sink: one folder per revision, atomic and idempotent writes, a forward-only pointer."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.briefs import Brief
from sinks import BriefSink, FileSink, PermanentSinkError, RetryableSinkError
from streams.brief.assemble import brief_content_hash
from tests.builders import make_brief

FILES = ("brief.md", "brief.html", "brief.json", "brief.txt")


def _brief(revision: int = 1, **overrides: object) -> Brief:
    brief = make_brief(revision=revision, brief_id=f"ai-safety-governance:2026-01-08:r{revision}", **overrides)
    return brief.model_copy(update={"content_hash": brief_content_hash(brief)})


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_file_sink_is_a_brief_sink(tmp_path: Path) -> None:
    assert isinstance(FileSink(tmp_path), BriefSink)


def test_file_sink_writes_four_renderings_and_a_latest_pointer(tmp_path: Path) -> None:
    brief = _brief()
    result = FileSink(tmp_path).deliver(brief)
    folder = tmp_path / "ai-safety-governance" / "editions" / "2026-01-09" / "r1"  # the morning it is published
    assert result.status == "delivered" and result.location == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    assert (folder / "brief.json").read_text() == brief.model_dump_json(indent=2)
    latest = json.loads((folder.parent / "latest.json").read_text())
    assert latest == {"brief_id": brief.brief_id, "revision": 1, "content_hash": brief.content_hash, "path": "r1"}
    assert not list(tmp_path.rglob("*.tmp"))  # no temporary files left behind


def test_file_sink_is_idempotent(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(_brief())
    before = _snapshot(tmp_path)
    # A replay after a restart: same content, built at another moment.
    again = sink.deliver(_brief(created_at=datetime(2026, 1, 8, 7, 0, tzinfo=UTC)))
    assert again.status == "already_delivered" and again.already_delivered
    assert _snapshot(tmp_path) == before


def test_missing_files_after_a_crash_are_filled_in(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(_brief())
    before = _snapshot(tmp_path)
    (tmp_path / "ai-safety-governance" / "editions" / "2026-01-09" / "r1" / "brief.html").unlink()
    result = sink.deliver(_brief())
    assert result.status == "delivered" and result.detail == "brief.html"
    assert _snapshot(tmp_path) == before


def test_latest_pointer_moves_forward_only(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(_brief(1))
    sink.deliver(_brief(2, executive_summary="A late story changed the day."))
    sink.deliver(_brief(1))  # an old revision replayed late
    latest = json.loads((tmp_path / "ai-safety-governance" / "editions" / "2026-01-09" / "latest.json").read_text())
    assert latest["revision"] == 2 and latest["path"] == "r2"


def test_a_changed_brief_under_the_same_revision_is_refused(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(_brief())
    refusal = r"sink 'files' could not deliver brief 'ai-safety-governance:2026-01-08:r1'.*new revision"
    with pytest.raises(PermanentSinkError, match=refusal):
        sink.deliver(_brief(executive_summary="Something else entirely."))


def test_unsafe_lens_or_day_never_leaves_the_root(tmp_path: Path) -> None:
    with pytest.raises(PermanentSinkError, match="unsafe"):
        FileSink(tmp_path).deliver(_brief(day="../../etc"))
    with pytest.raises(PermanentSinkError, match="unsafe"):  # a record that skipped validation
        FileSink(tmp_path).deliver(_brief().model_copy(update={"edition": "../../etc"}))
    assert not any(tmp_path.iterdir())


def _old_layout(root: Path, brief: Brief) -> Path:
    """A revision as sinks stored it before editions: under its lens-day, without an edition field."""
    day_dir = root / brief.lens / brief.day
    folder = day_dir / f"r{brief.revision}"
    folder.mkdir(parents=True)
    (folder / "brief.json").write_text(brief.model_dump_json(indent=2, exclude={"edition", "covers_from",
                                                                                "covers_until"}))
    (folder / "brief.md").write_text("# old rendering\n")
    pointer = {"brief_id": brief.brief_id, "revision": brief.revision, "content_hash": brief.content_hash,
               "path": folder.name}
    (day_dir / "latest.json").write_text(json.dumps(pointer))
    return day_dir


def test_day_folders_of_the_older_layout_move_to_their_edition(tmp_path: Path) -> None:
    old = _old_layout(tmp_path, _brief())
    (tmp_path / "ai-safety-governance" / "notes").mkdir()  # not a day: left alone
    sink = FileSink(tmp_path)
    assert sink.migrate_day_folders() == [tmp_path / "ai-safety-governance" / "editions" / "2026-01-09"]
    assert not old.exists() and (tmp_path / "ai-safety-governance" / "notes").is_dir()
    moved = tmp_path / "ai-safety-governance" / "editions" / "2026-01-09"
    assert (moved / "r1" / "brief.md").read_text() == "# old rendering\n"
    assert json.loads((moved / "latest.json").read_text())["path"] == "r1"
    again = sink.deliver(_brief())  # the moved revision is the same revision: only missing files are added
    assert again.status == "delivered" and again.detail == "brief.html, brief.txt"
    assert (moved / "r1" / "brief.md").read_text() == "# old rendering\n"
    assert sink.migrate_day_folders() == []  # nothing left to move


def test_a_day_folder_merges_into_an_edition_folder_that_exists(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    sink.deliver(_brief(1))
    _old_layout(tmp_path, _brief(2, executive_summary="A late story changed the day."))
    sink.migrate_day_folders()
    edition = tmp_path / "ai-safety-governance" / "editions" / "2026-01-09"
    assert sorted(p.name for p in edition.iterdir()) == ["latest.json", "r1", "r2"]
    assert json.loads((edition / "latest.json").read_text())["revision"] == 2
    assert not (tmp_path / "ai-safety-governance" / "2026-01-08").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_root_is_a_permanent_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PermanentSinkError):
            FileSink(tmp_path).deliver(_brief())
    finally:
        tmp_path.chmod(0o700)


def test_disk_errors_are_retryable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(RetryableSinkError, match="No space left"):
        FileSink(tmp_path).deliver(_brief())
    assert not list(tmp_path.rglob("*.tmp"))
