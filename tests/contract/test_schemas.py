"""The topic contracts downstream consumers rely on."""

import json
import re

import pytest
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter

from models import topics
from models.codec import DecodeError, decode, encode
from models.contracts import breaking_changes, check_catalogue, render, schema_path
from models.items import RawBundle, RawItem
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

RAW_ITEM = {"id": "feed:1", "url": "https://news.example/1", "title": "A lab publishes a safety framework",
            "published_at": "2026-01-08T09:00:00Z"}


def _raw_schema() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_path(topics.RAW_ITEMS).read_text(encoding="utf-8")))


@pytest.mark.parametrize("record", [
    RAW_ITEM,  # a record of one item, as every record was before bundles
    {**RAW_ITEM, "record": "item"},
    json.loads(encode(RawBundle(id="bundle:1", items=[RawItem(**RAW_ITEM), RawItem(id="feed:2")]))),
], ids=["item", "marked item", "bundle"])
def test_the_raw_topic_takes_single_items_and_bundles(record: dict) -> None:
    _raw_schema().validate(record)
    decoded = decode(topics.RAW_ITEMS, json.dumps(record))
    assert decoded.id == record["id"] and decoded.record == record.get("record", "item")


@pytest.mark.parametrize("record", [
    {"record": "bundle", "id": "bundle:1"},  # no items
    {"record": "bundle", "id": "bundle:1", "items": []},
    {"record": "bundle", "id": "bundle:1", "items": {"id": "feed:1"}},
    {"record": "bundle", "id": "bundle:1", "items": ["feed:1"]},
    {"record": "bundle", "items": [RAW_ITEM]},  # a bundle names itself
    {**RAW_ITEM, "items": [RAW_ITEM]},  # items without the bundle marker
    {"record": "crate", "id": "bundle:1", "items": [RAW_ITEM]},
], ids=["no items", "empty", "not a list", "not objects", "no id", "unmarked", "unknown kind"])
def test_a_malformed_bundle_is_refused_by_the_schema_and_the_decoder(record: dict) -> None:
    assert not _raw_schema().is_valid(record)
    with pytest.raises(DecodeError):
        decode(topics.RAW_ITEMS, json.dumps(record))


def test_a_bundle_item_that_is_no_item_breaks_the_contract_but_normalise_keeps_the_rest() -> None:
    """The schema says what a valid item is; the decoder takes a bundle's items one by one, so one
    bad item is that item's dead letter (`streams.stages.bundles.unbundle`), not the bundle's."""
    record = {"record": "bundle", "id": "bundle:1", "items": [RAW_ITEM, {"title": "no id"}]}
    assert not _raw_schema().is_valid(record)
    assert len(decode(topics.RAW_ITEMS, json.dumps(record)).items) == 2
