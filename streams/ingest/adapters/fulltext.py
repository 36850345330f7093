"""Main text of an article page (trafilatura), for feeds that carry only a teaser. Pure: the
poller fetches the page through the polite fetcher and hands the bytes here."""

from __future__ import annotations

import logging


def extract_text(html: bytes, url: str) -> str:
    """The page's main text as plain text, or "" when none can be found."""
    import trafilatura  # imported on first use: it is large, and most sources never need it

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True, deduplicate=True)
    except Exception:  # noqa: BLE001 - a page we cannot read just keeps its teaser
        return ""
    return " ".join((text or "").split())
