"""Loading lens files: the default lens, errors that name the problem, and a second lens by file."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from streams.lenses import DEFAULT_LENS, LENS_DIR, LensError, available_lenses, load_lens
from streams.stages.classify import classify

EXPECTED_CATEGORIES = [
    "compute-infrastructure", "chips-supply-chain", "frontier-models", "open-models",
    "security-misuse", "policy-regulation", "research", "agents-tooling", "evals-trust",
    "geopolitics-sovereignty", "society-harms", "business-markets",
]

MINIMAL_LENS = """
slug = "{slug}"
name = "{name}"
description = "A test lens."
timezone = "{zone}"
publish_time = "07:30"

[categories.rockets]
description = "Launch vehicles."
terms = ["rocket", "launch vehicle"]

[classifier]
ai_terms = ["rocket", "spacecraft"]
strong_ai_terms = ["rocket"]
"""


def write_lens(directory: Path, slug: str = "space", zone: str = "UTC", name: str = "SPACE") -> Path:
    path = directory / f"{slug}.toml"
    path.write_text(MINIMAL_LENS.format(slug=slug, name=name, zone=zone), encoding="utf-8")
    return path


def test_default_lens_has_the_agreed_shape() -> None:
    lens = load_lens(DEFAULT_LENS)
    assert lens.name == "AI SAFETY AND GOVERNANCE"
    assert (lens.timezone, lens.publish_time, lens.allowed_lateness_hours) == ("Europe/London", time(6), 6)
    assert (lens.top_items, lens.noteworthy_items) == (4, 12)


def test_default_lens_has_exactly_the_agreed_categories_in_order() -> None:
    assert list(load_lens(DEFAULT_LENS).categories) == EXPECTED_CATEGORIES


def test_every_category_has_a_description_a_weight_and_terms() -> None:
    for name, category in load_lens(DEFAULT_LENS).categories.items():
        assert category.description and category.weight > 0 and len(category.terms) >= 10, name


def test_default_lens_declares_the_source_tiers() -> None:
    tiers = load_lens(DEFAULT_LENS).source_tiers
    assert {"primary", "tier1", "tier2", "social", "research"} <= set(tiers)


def test_available_lenses_lists_the_default() -> None:
    assert DEFAULT_LENS in available_lenses()
    assert LENS_DIR.name == "lenses"


def test_loading_twice_returns_the_cached_lens() -> None:
    assert load_lens(DEFAULT_LENS) is load_lens(DEFAULT_LENS)


def test_missing_lens_fails_with_a_clear_lens_error() -> None:
    with pytest.raises(LensError, match="no file no-such-lens.toml"):
        load_lens("no-such-lens")


def test_lens_with_a_bad_time_zone_fails_with_lens_error(tmp_path: Path) -> None:
    write_lens(tmp_path, zone="Mars/Olympus_Mons")
    with pytest.raises(LensError, match="not a valid lens"):
        load_lens("space", directory=tmp_path)


def test_lens_that_is_not_toml_fails_with_lens_error(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("slug = \n[[", encoding="utf-8")
    with pytest.raises(LensError, match="not valid TOML"):
        load_lens("broken", directory=tmp_path)


def test_lens_whose_slug_differs_from_its_file_name_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text(
        MINIMAL_LENS.format(slug="space", name="SPACE", zone="UTC"), encoding="utf-8"
    )
    with pytest.raises(LensError, match="must match"):
        load_lens("other", directory=tmp_path)


def test_a_second_lens_works_by_adding_a_file(tmp_path: Path) -> None:
    write_lens(tmp_path)
    lens = load_lens("space", directory=tmp_path)
    assert available_lenses(tmp_path) == ["space"]
    assert lens.publish_time == time(7, 30)
    verdict = classify("New rocket launch vehicle rolls out", "", "example.com", "", "article", "en", lens)
    assert verdict.relevant and verdict.category == "rockets"


@pytest.mark.parametrize(("extra", "complaint"), [
    ("threshhold = 2.5", "unknown setting 'threshhold'"),
    ("threshold = \"high\"", "a value cannot be read"),
    ("paper_categories = [\"comets\"]", "paper category 'comets' is not a category"),
    ("stakes_category = \"comets\"", "stakes category 'comets' is not a category"),
    ("[classifier.noise.ads]\nterms = [\"buy\"]\nfeilds = [\"title\"]", "noise group 'ads': unknown key 'feilds'"),
    ("[classifier.noise.ads]\nterms = [\"buy\"]\nfields = [\"body\"]", "field 'body' is not one of title, lead"),
    ("[classifier.noise.ads]\nterms = [\"buy\"]\ntiers = [\"blogs\"]", "tier 'blogs' is not a source tier"),
    ("[classifier.noise.ads]\nterms = [\"buy\"]\nnever_opens = \"yes\"", "never_opens must be true or false"),
])
def test_a_classifier_table_the_classifier_cannot_read_is_refused_at_load(tmp_path: Path, extra: str,
                                                                           complaint: str) -> None:
    path = write_lens(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + extra + "\n", encoding="utf-8")
    with pytest.raises(LensError, match="bad \\[classifier\\] table: .*" + re.escape(complaint)):
        load_lens("space", directory=tmp_path)
