"""Checked-in JSON Schemas for downstream consumers, and the rule for what a version may change.

`write_schemas()` writes `models/schemas/<topic>.schema.json` for every catalogue topic. Within
one version a schema may only grow compatibly: keep every property and its type, and add only
optional properties. Anything else (removing or retyping a property, making one required,
narrowing an enum) needs a new topic version. Pure apart from `write_schemas`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.topics import CATALOGUE, TopicSpec

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


def schema_path(spec: TopicSpec) -> Path:
    return SCHEMA_DIR / f"{spec.name}.schema.json"


def render(spec: TopicSpec) -> str:
    return json.dumps(spec.json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for spec in CATALOGUE:
        schema_path(spec).write_text(render(spec), encoding="utf-8")
    return [schema_path(spec) for spec in CATALOGUE]


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "$") -> list[str]:
    """What `new` breaks for a consumer built against `old` (an empty list: compatible)."""
    problems: list[str] = []
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    problems += _object_changes(old, new, where)
    for name, definition in old_defs.items():
        if name not in new_defs:
            problems.append(f"{where}.$defs.{name}: removed")
        else:
            problems += _object_changes(definition, new_defs[name], f"{where}.$defs.{name}")
    return problems


def _object_changes(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: removed")
        elif _shape(prop) != _shape(new_props[name]):
            problems.append(f"{where}.{name}: type changed from {_shape(prop)} to {_shape(new_props[name])}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}.{name}: newly required")
    if _shape(old) != _shape(new) and not old_props:
        problems.append(f"{where}: type changed")
    return problems


def _shape(schema: dict[str, Any]) -> str:
    """The parts of a property's schema a consumer relies on: types, refs, enums, formats."""
    keep = {k: schema[k] for k in ("type", "$ref", "enum", "const", "format", "items", "anyOf", "oneOf") if k in schema}
    return json.dumps(keep, sort_keys=True)


def check_catalogue() -> dict[str, list[str]]:
    """Per topic, what differs between the model and its checked-in schema."""
    report = {}
    for spec in CATALOGUE:
        path = schema_path(spec)
        if not path.exists():
            report[spec.name] = ["no checked-in schema: run `usul schemas`"]
            continue
        old, new = json.loads(path.read_text(encoding="utf-8")), spec.json_schema()
        report[spec.name] = breaking_changes(old, new)
    return report

