"""What the worker's web pages answer, as plain functions over the briefs directory. Pure apart
from reading files; the faust views in `streams.topology` only call these."""

from __future__ import annotations

import hmac
import html
import json
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import SecretStr

from streams.lenses import available_lenses

_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def metrics_body(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


def authorised(header: str | None, token: SecretStr | None) -> bool:
    """No token configured: open (local use). Configured: `Authorization: Bearer <token>`."""
    if token is None:
        return True
    expected = f"Bearer {token.get_secret_value()}"
    return header is not None and hmac.compare_digest(header.encode(), expected.encode())


def brief_file(root: Path, lens: str, name: str) -> tuple[bytes, str] | None:
    """`/briefs/{lens}/{day}` is HTML; `{day}.json` and `{day}.md` the other renderings."""
    day, suffix = (name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1]) if "." in name else (name, ".html")
    if suffix not in _TYPES or lens not in available_lenses() or not _is_day(day):
        return None
    pointer = root / lens / day / "latest.json"
    if not pointer.is_file():
        return None
    path = root / lens / day / json.loads(pointer.read_bytes())["path"] / f"brief{suffix}"
    return (path.read_bytes(), _TYPES[suffix]) if path.is_file() else None


def _is_day(text: str) -> bool:
    parts = text.split("-")
    return len(parts) == 3 and all(p.isdigit() for p in parts)


def archive_page(root: Path) -> str:
    rows = []
    for lens in available_lenses():
        days = sorted((p.name for p in (root / lens).glob("*") if _is_day(p.name)), reverse=True)
        links = "".join(f'<li><a href="/briefs/{lens}/{d}">{html.escape(d)}</a> '
                        f'(<a href="/briefs/{lens}/{d}.md">md</a>, <a href="/briefs/{lens}/{d}.json">json</a>)</li>'
                        for d in days)
        rows.append(f"<section><h2>{html.escape(lens)}</h2><ul>{links or '<li>No briefs yet.</li>'}</ul></section>")
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>Usul briefs</title>"
            f"<main><h1>Briefs</h1>{''.join(rows)}</main></html>")
