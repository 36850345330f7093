"""Load lens definitions from versioned TOML files in `lenses/`. Pure: reads files, no faust.

A lens is data, not code: a second point of view over the stream is a second file in
`lenses/<slug>.toml`, validated into `models.lens.Lens`. Loaded lenses are cached per
(directory, slug) because every stage asks for the same lens thousands of times a day.
"""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from models.lens import Lens
from streams.stages.classify import check_lens

LENS_DIR = Path(__file__).resolve().parents[1] / "lenses"
DEFAULT_LENS = "ai-safety-governance"
MODEL_SUFFIX = ".model.json"  # next to the lens file: its fitted relevance model

__all__ = ["DEFAULT_LENS", "LENS_DIR", "MODEL_SUFFIX", "LensError", "available_lenses", "load_lens"]


class LensError(ValueError):
    """A lens file is missing, is not valid TOML, or does not describe a valid lens."""


def load_lens(slug: str, directory: Path | None = None) -> Lens:
    """Return the lens `<directory>/<slug>.toml` (default directory: `LENS_DIR`), cached."""
    return _load_cached(slug, (directory or LENS_DIR).resolve())


def available_lenses(directory: Path | None = None) -> list[str]:
    """Slugs of every lens file in `directory` (default `LENS_DIR`), sorted."""
    folder = directory or LENS_DIR
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []


@lru_cache(maxsize=64)
def _load_cached(slug: str, directory: Path) -> Lens:
    path = directory / f"{slug}.toml"
    if not path.is_file():
        known = ", ".join(available_lenses(directory)) or "none"
        raise LensError(f"lens {slug!r}: no file {path.name} in {directory} (available: {known})")
    return _parse(slug, path)


def _parse(slug: str, path: Path) -> Lens:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LensError(f"lens {slug!r}: {path.name} is not valid TOML: {exc}") from exc
    model = path.with_name(f"{slug}{MODEL_SUFFIX}")
    if model.is_file():  # the fitted relevance model (`usul train`), judged by the classify stage
        try:
            data["relevance_model"] = json.loads(model.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LensError(f"lens {slug!r}: {model.name} is not valid JSON: {exc}") from exc
    try:
        lens = Lens.model_validate(data)
    except (ValidationError, ValueError, KeyError) as exc:
        # The time-zone validator lets ZoneInfo's own errors (a KeyError subclass) escape
        # pydantic; all of them mean "the file is wrong".
        raise LensError(f"lens {slug!r}: {path.name} is not a valid lens: {exc}") from exc
    if lens.slug != slug:
        raise LensError(f"lens {slug!r}: {path.name} declares slug {lens.slug!r}; they must match")
    try:
        check_lens(lens)
    except ValueError as exc:
        raise LensError(f"lens {slug!r}: {path.name} has a bad [classifier] table: {exc}") from exc
    return lens
