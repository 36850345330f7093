"""The worker's HTTP interface as an OpenAPI 3.1 document, served at `/api/openapi.json`. Pure.

Written by hand, path by path, so that it says what each route means; a unit test checks that
its paths and methods are exactly the routes the worker registers. The brief and story models are
the topics' own pydantic schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from models.briefs import Brief

_REF = "#/components/schemas/{model}"
LENS = {"name": "lens", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "description": "a lens slug, e.g. ai-safety-governance"}
DAY = {"name": "day", "in": "path", "required": True, "schema": {"type": "string", "format": "date"},
       "description": "a lens-day, YYYY-MM-DD, in the lens's time zone"}
STORY = {"name": "story_id", "in": "path", "required": True,
         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
EDITION = {"name": "edition", "in": "path", "required": True, "schema": {"type": "string", "format": "date"},
           "description": "an edition date, YYYY-MM-DD: the morning the brief is published (after its lens-day)"}
QUERY_DAY = {"name": "day", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
             "description": "the lens-day to show; default: today in the lens's time zone"}


def _ok(description: str, media: str = "application/json", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"200": {"description": description, "content": {media: {"schema": schema or {}}}}}


def _get(summary: str, responses: dict[str, Any], *params: dict[str, Any], not_found: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": dict(responses)}
    if params:
        operation["parameters"] = list(params)
    if not_found:
        operation["responses"]["404"] = {"description": "no such lens, day, story or file"}
    return {"get": operation}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_HTML = "text/html; charset=utf-8"
_AUTH = {"401": {"description": "USUL_INGEST_TOKEN is set and the bearer token is missing or wrong"}}

def _ingest_result(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("IngestResult")}}}


PATHS: dict[str, dict[str, Any]] = {
    # operations --------------------------------------------------------------------------------
    "/healthz": _get("The process is up", _ok("always {\"status\": \"ok\"}")),
    "/livez": _get("The worker is consuming: no records have waited the stall time with no read position moving", {
        **_ok("live"), "503": {"description": "stalled (streams.stall): restart the worker"}}),
    "/readyz": _get("The worker has partitions and is not rebalancing", {
        **_ok("ready"), "503": {"description": "not ready yet"}}),
    "/metrics": _get("Prometheus metrics", _ok("text exposition format", "text/plain")),
    "/ingest": {"post": {
        "summary": "Push items (JSON Lines or a JSON array in the archive format) onto the raw topic",
        "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
        "description": "Bodies over 1 MiB are refused with 413. Refused lines are dead-lettered.",
        "responses": {
            "202": _ingest_result("some items were accepted; `rejected` says why the others were refused"),
            "400": _ingest_result("the body was empty"),
            "413": {"description": "the body is over 1 MiB (aiohttp's client_max_size): split it"},
            "422": _ingest_result("no item was accepted; `rejected` says why each was refused"), **_AUTH}}},
    "/close/{lens}/{day}": {"post": {
        "summary": "Start a close round for a lens-day now", "parameters": [LENS, DAY],
        "responses": {"202": {"description": "the close round's id",
                              "content": {"application/json": {"schema": {"type": "object"}}}}, **_AUTH}}},
    # pages -------------------------------------------------------------------------------------
    "/briefs": _get("Archive of every lens's briefs (HTML)", _ok("archive", _HTML)),
    "/briefs/{lens}": _get("Every brief of one lens (HTML)", _ok("lens archive", _HTML), LENS, not_found=True),
    "/briefs/{lens}/feed.atom": _get("Atom feed: one entry per brief day, latest revision",
                                     _ok("feed", "application/atom+xml"), LENS, not_found=True),
    "/briefs/{lens}/editions/{edition}": _get(
        "A brief to read (HTML); with a suffix (`2026-01-09.md`, `.json`, `.txt`, `.html`) the stored rendering",
        _ok("the brief", _HTML), LENS, {**EDITION, "schema": {"type": "string"}}, not_found=True),
    "/briefs/{lens}/{day}": {"get": {
        "summary": "The older lens-day address of a brief (with or without a suffix): a permanent redirect",
        "parameters": [LENS, {**DAY, "schema": {"type": "string"}}],
        "responses": {"308": {"description": "Location: the edition that covers the day, same suffix"},
                      "404": {"description": "no such lens, or not a day"}}}},
    "/live/{lens}": _get("Today so far: the open day's developing stories, updating live (HTML)",
                         _ok("live page", _HTML), LENS, QUERY_DAY, not_found=True),
    "/stories/{lens}/{day}/{story_id}": _get("One story: every member item and the score's reasons (HTML)",
                                             _ok("story page", _HTML), LENS, DAY, STORY, not_found=True),
    "/static/{name}": _get("The pages' stylesheet and script", _ok("a static file", "text/css"),
                           {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                           not_found=True),
    # JSON API ----------------------------------------------------------------------------------
    "/api/openapi.json": _get("This document", _ok("OpenAPI 3.1")),
    "/api/lenses": _get("The lenses this worker serves",
                        _ok("lenses", schema={"type": "array", "items": _ref("Lens")})),
    "/api/briefs": _get("Every lens with the days that have a brief",
                        _ok("archive", schema={"type": "array", "items": _ref("LensArchive")})),
    "/api/briefs/{lens}": _get("The days of one lens that have a brief",
                               _ok("lens archive", schema=_ref("LensArchive")), LENS, not_found=True),
    "/api/briefs/{lens}/editions/{edition}": _get("An edition's brief at its latest revision",
                                                  _ok("brief", schema=_ref("Brief")), LENS, EDITION,
                                                  not_found=True),
    "/api/briefs/{lens}/{day}": _get("The brief that covers a lens-day (its edition is the next morning), "
                                     "at its latest revision", _ok("brief", schema=_ref("Brief")),
                                     LENS, DAY, not_found=True),
    "/api/live/{lens}": _get("The developing stories of a lens-day (default today), highest score first",
                             _ok("stories", schema=_ref("LiveDay")), LENS, QUERY_DAY, not_found=True),
    "/api/live/{lens}/events": _get(
        "Server-sent events: `story` (a StorySummary, JSON) for every story now and every update after; "
        "`ready` once the current stories are sent; comment lines keep the connection alive",
        _ok("event stream", "text/event-stream", {"type": "string"}), LENS, QUERY_DAY, not_found=True),
    "/api/stories/{lens}/{day}/{story_id}": _get("One story with every member and the score's reasons",
                                                 _ok("story", schema=_ref("StoryView")), LENS, DAY, STORY,
                                                 not_found=True),
}

_SUMMARY = {"type": "object", "required": ["story_id", "lens", "day", "headline", "confidence", "score", "url"],
            "properties": {"story_id": {"type": "string"}, "lens": {"type": "string"}, "day": {"type": "string"},
                           "headline": {"type": "string"}, "category": {"type": ["string", "null"]},
                           "confidence": {"enum": ["high", "medium", "low"]}, "score": {"type": "number"},
                           "members": {"type": "integer"}, "outlets": {"type": "array", "items": {"type": "string"}},
                           "developing_since": {"type": ["string", "null"]},
                           "first_seen": {"type": "string", "format": "date-time"},
                           "last_updated": {"type": "string", "format": "date-time"}, "url": {"type": "string"}}}
_MEMBER = {"type": "object", "properties": {
    "id": {"type": "string"}, "outlet": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"},
    "kind": {"type": ["string", "null"]}, "primary": {"type": "boolean"},
    "published_at": {"type": ["string", "null"], "format": "date-time"}, "text": {"type": ["string", "null"]}}}
_SCHEMAS: dict[str, Any] = {
    "StorySummary": _SUMMARY,
    "LiveDay": {"type": "object", "properties": {
        "lens": {"type": "string"}, "day": {"type": "string"}, "today": {"type": "boolean"},
        "stories": {"type": "array", "items": _ref("StorySummary")}}},
    "StoryView": {"type": "object", "properties": {
        **_SUMMARY["properties"], "rank": {"type": ["integer", "null"]}, "tier": {"type": ["string", "null"]},
        "score_reasons": {"type": ["array", "null"], "items": {"type": "string"},
                          "description": "null when the story is shown from its brief (older days)"},
        "origin": {"enum": ["live", "brief"]}, "members": {"type": "array", "items": _MEMBER}}},
    "Lens": {"type": "object", "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}, "timezone": {"type": "string"},
        "today": {"type": "string", "format": "date"}, "briefs": {"type": "string"}, "live": {"type": "string"}}},
    "LensArchive": {"type": "object", "properties": {
        "lens": {"type": "string"}, "name": {"type": "string"}, "feed": {"type": "string"},
        "days": {"type": "array", "items": {"type": "object", "properties": {
            "edition": {"type": "string"}, "day": {"type": "string"}, "revision": {"type": "integer"},
            "html": {"type": "string"}, "markdown": {"type": "string"}, "json": {"type": "string"},
            "api": {"type": "string"}, "day_api": {"type": "string"}}}}}},
    "IngestResult": {"type": "object", "properties": {
        "accepted": {"type": "integer"}, "rejected": {"type": "array", "items": {"type": "string"}},
        "error": {"type": "string"}}},
}


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    brief = TypeAdapter(Brief).json_schema(ref_template=_REF)
    models = {**brief.pop("$defs", {}), "Brief": brief}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Usul", "version": "1",
                 "description": "Daily intelligence briefs per lens, and the stories developing today."},
        "paths": PATHS,
        "components": {"schemas": {**models, **_SCHEMAS}},
    }
