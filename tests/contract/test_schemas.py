"""The topic contracts downstream consumers rely on."""

import json
import re

import pytest
from jsonschema import Draft202012Validator

from models import topics
from models.codec import encode
from models.contracts import breaking_changes, check_catalogue, render, schema_path
from tests.builders import make_brief, make_item, make_story

BASE = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}


@pytest.mark.parametrize("spec", topics.CATALOGUE, ids=lambda s: s.name)
def test_every_topic_has_a_versioned_name_and_a_checked_in_schema(spec: topics.TopicSpec) -> None:
    assert re.fullmatch(r"usul\.[a-z.-]+\.v\d+", spec.name)
    assert schema_path(spec).exists(), f"{spec.name}: run `usul schemas` and commit the file"


def test_no_topic_changed_incompatibly_without_a_new_version() -> None:
    broken = {name: problems for name, problems in check_catalogue().items() if problems}
    assert not broken, f"breaking schema changes need a new topic version: {broken}"


@pytest.mark.parametrize("spec", topics.CATALOGUE, ids=lambda s: s.name)
def test_checked_in_schema_is_current(spec: topics.TopicSpec) -> None:
    assert schema_path(spec).read_text(encoding="utf-8") == render(spec), "compatible change: run `usul schemas`"


@pytest.mark.parametrize(("spec", "record"), [
    (topics.ENRICHED, make_item()), (topics.STORIES, make_story()), (topics.BRIEFS, make_brief()),
])
def test_published_records_validate_against_the_checked_in_schema(spec: topics.TopicSpec, record) -> None:
    schema = json.loads(schema_path(spec).read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(json.loads(encode(record)))


def test_adding_an_optional_property_is_compatible() -> None:
    grown = {**BASE, "properties": {**BASE["properties"], "c": {"type": "string"}}}
    assert breaking_changes(BASE, grown) == []


@pytest.mark.parametrize(("change", "problem"), [
    ({"properties": {"a": {"type": "string"}}}, "b: removed"),
    ({"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}, "a: type changed"),
    ({"required": ["a", "b"]}, "b: newly required"),
])
def test_breaking_changes_are_named(change: dict, problem: str) -> None:
    assert any(problem in p for p in breaking_changes(BASE, {**BASE, **change}))
