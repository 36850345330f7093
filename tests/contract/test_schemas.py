"""The topic contracts downstream consumers rely on."""

import json
import re

import pytest
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter

from models import topics
from models.codec import encode
from models.contracts import breaking_changes, check_catalogue, render, schema_path
from models.stories import Story, StoryDelta, StorySnapshot, story_delta
from tests.builders import make_brief, make_item, make_member, make_story

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


def _story_records() -> tuple[StoryDelta, StoryDelta, StorySnapshot]:
    first, second = make_member(id="a"), make_member(id="b", outlet="Reuters")
    story = make_story([first, second])
    full, grown = story_delta(make_story([first]), 1, None), story_delta(story, 2, ["a"])
    assert full is not None and grown is not None
    return full, grown, StorySnapshot(seq=2, story=story)


@pytest.mark.parametrize(("spec", "record"), [
    (topics.ENRICHED, make_item()), (topics.BRIEFS, make_brief()),
    *((topics.STORIES, delta) for delta in _story_records()[:2]), (topics.STORY_SNAPSHOTS, _story_records()[2]),
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


def test_story_deltas_would_break_a_v1_subscriber_so_they_are_a_new_topic_version() -> None:
    """v1 carried the whole story in each record; v2's deltas drop `members` and add required
    fields: a breaking change, so it is `usul.stories.v2`, not a silent change of v1."""
    v1 = TypeAdapter(Story).json_schema()
    assert topics.STORIES.version == 2
    assert any("members: removed" in p for p in breaking_changes(v1, topics.STORIES.json_schema()))

