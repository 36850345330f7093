"""File sink: every brief revision as Markdown, HTML, JSON and plain text on local disk.

Layout under the sink's root directory, by edition date (the morning the brief is published,
`models.briefs.edition_of`, which also titles it)::

    <root>/<lens>/editions/<edition>/r<revision>/brief.md
                                                 brief.html
                                                 brief.json    exactly brief.model_dump_json(indent=2)
                                                 brief.txt
    <root>/<lens>/editions/<edition>/latest.json  {"brief_id", "revision", "content_hash", "path": "r<revision>"}

Folders of the older layout, named by lens-day (`<root>/<lens>/<day>/`), are moved to their
edition by `migrate_day_folders`, which the worker runs once when it builds its channels.

`latest.json` is a pointer rather than a copy: one small file replaced atomically, so a reader
never sees half of one revision and half of another. It only moves forward: re-delivering an older
revision leaves it alone.

Every file is written to a temporary file in the same directory and moved into place with
`os.replace`, so a crash leaves either the old file or the new one. Delivery is idempotent: a
revision already on disk with the same content hash is reported as `already_delivered` and its
files are left byte-for-byte untouched (missing ones, after a crash, are filled in). The same
revision arriving with *different* content is refused: revisions never change silently.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from models.briefs import Brief
from sinks.base import DeliveryResult, DeliveryStatus, PermanentSinkError, RetryableSinkError, SinkError
from streams.brief.render import render_html, render_markdown, render_text

_RENDERERS: dict[str, Callable[[Brief], str]] = {
    "brief.md": render_markdown,
    "brief.html": render_html,
    "brief.txt": render_text,
    "brief.json": lambda brief: brief.model_dump_json(indent=2),
}
_SAFE_LENS = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SAFE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Errors where retrying the same write cannot succeed.
_PERMANENT_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENAMETOOLONG, errno.ENOTDIR})


class FileSink:
    """Writes each brief revision under `root`; safe to call again with the same brief."""

    name = "files"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def deliver(self, brief: Brief) -> DeliveryResult:
        folder = self.revision_dir(brief)
        try:
            written = self._write_revision(brief, folder)
            self._point_latest(brief, folder.parent)
        except OSError as exc:
            raise self._os_error(brief, exc) from exc
        except ValueError as exc:  # a brief.json or latest.json on disk that is not ours to read
            raise PermanentSinkError(self.name, brief.brief_id, f"unreadable file in {folder}: {exc}") from exc
        status: DeliveryStatus = "delivered" if written else "already_delivered"
        return DeliveryResult(self.name, brief.brief_id, status, str(folder), ", ".join(written))

    def revision_dir(self, brief: Brief) -> Path:
        if not _SAFE_LENS.match(brief.lens) or not _SAFE_DAY.match(brief.edition):
            # Lens and edition become path parts: refuse anything that could climb out of the root.
            raise PermanentSinkError(self.name, brief.brief_id,
                                     f"unsafe lens {brief.lens!r} or edition {brief.edition!r}")
        return self.root / brief.lens / "editions" / brief.edition / f"r{brief.revision}"

    def migrate_day_folders(self) -> list[Path]:
        """Move every lens-day folder of the older layout to its edition folder; returns the
        edition folders written. A folder whose brief cannot be read is left where it is."""
        moved = []
        for pointer in sorted(self.root.glob("*/*/latest.json")):
            old = pointer.parent
            if not (_SAFE_LENS.match(old.parent.name) and _SAFE_DAY.match(old.name)):
                continue
            try:
                latest = json.loads(pointer.read_bytes())
                brief = Brief.model_validate_json((old / str(latest["path"]) / "brief.json").read_bytes())
            except (OSError, ValueError, KeyError, TypeError):
                continue  # half-written or foreign: not ours to move
            moved.append(_merge_folder(old, old.parent / "editions" / brief.edition))
        return moved

    def _write_revision(self, brief: Brief, folder: Path) -> list[str]:
        stored = self._stored(brief, folder)
        source = stored or brief  # keep the first delivery's bytes (its created_at) on a replay
        written = []
        for name, render in _RENDERERS.items():
            if stored is None or not (folder / name).exists():
                atomic_write(folder / name, render(source).encode())
                written.append(name)
        return written

    def _stored(self, brief: Brief, folder: Path) -> Brief | None:
        """The brief already delivered as this revision, if any; a different content is refused."""
        path = folder / "brief.json"
        if not path.exists():
            return None
        stored = Brief.model_validate_json(path.read_bytes())
        if stored.content_hash != brief.content_hash:
            raise PermanentSinkError(self.name, brief.brief_id,
                                     f"{path.name} already holds different content "
                                     f"({stored.content_hash[:12]} != {brief.content_hash[:12]}); "
                                     "a changed brief needs a new revision")
        return stored

    def _point_latest(self, brief: Brief, day_dir: Path) -> None:
        path = day_dir / "latest.json"
        if path.exists() and json.loads(path.read_bytes()).get("revision", 0) > brief.revision:
            return  # an older revision replayed late must not move the pointer back
        pointer = {"brief_id": brief.brief_id, "revision": brief.revision,
                   "content_hash": brief.content_hash, "path": f"r{brief.revision}"}
        data = (json.dumps(pointer, indent=2, sort_keys=True) + "\n").encode()
        if not path.exists() or path.read_bytes() != data:
            atomic_write(path, data)

    def _os_error(self, brief: Brief, exc: OSError) -> SinkError:
        kind = PermanentSinkError if exc.errno in _PERMANENT_ERRNOS else RetryableSinkError
        return kind(self.name, brief.brief_id, f"{exc.strerror or exc} ({exc.filename or self.root})")


def _merge_folder(old: Path, new: Path) -> Path:
    """Move `old`'s revisions into `new` (revisions already there win: same key, same content)
    and keep the newer of the two latest pointers; `old` is removed once empty."""
    if not new.exists():
        new.parent.mkdir(parents=True, exist_ok=True)
        os.replace(old, new)
        return new
    for revision in sorted(old.glob("r*")):
        if not (new / revision.name).exists():
            os.replace(revision, new / revision.name)
    old_pointer, new_pointer = old / "latest.json", new / "latest.json"
    if not new_pointer.exists() or (json.loads(old_pointer.read_bytes()).get("revision", 0)
                                    > json.loads(new_pointer.read_bytes()).get("revision", 0)):
        os.replace(old_pointer, new_pointer)
    shutil.rmtree(old)  # what is left are revisions the new folder already holds
    return new


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
