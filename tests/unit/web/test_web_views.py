"""The faust views on a real aiohttp server (no broker): routes, status codes, headers, SSE, and the
OpenAPI document that must list exactly the routes the worker registers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import orjson
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sinks.files import FileSink
from streams.lenses import load_lens
from streams.settings import Settings
from streams.web import openapi
from streams.web.live_stories import LiveStories
from streams.web.views import register_pages
from tests.builders import make_brief, make_member, make_story

LENS = "ai-safety-governance"


def _app(tmp_path: Path) -> tuple[faust.App, Any]:
    app = faust.App("usul-web-test", broker="kafka://127.0.0.1:1", web_enabled=True)
    topology = SimpleNamespace(settings=Settings(bootstrap_servers="127.0.0.1:1", data_dir=tmp_path),
                               lenses=[load_lens(LENS)], live=LiveStories())
    register_pages(app, topology)
    return app, topology


def test_the_openapi_document_lists_exactly_the_registered_routes(tmp_path) -> None:
    app, _ = _app(tmp_path)
    registered = {path: {m.lower() for m in view.get_methods()} - {"head"} for path, view in app.web.views.items()}
    documented = {path: set(ops) for path, ops in openapi.document()["paths"].items()}
    assert documented == registered
    assert openapi.document()["openapi"].startswith("3.1")
    orjson.dumps(openapi.document())  # plain JSON all the way down


def test_every_schema_reference_resolves() -> None:
    document = openapi.document()
    refs = {r for r in _refs(document)}
    assert refs and all(r.removeprefix("#/components/schemas/") in document["components"]["schemas"] for r in refs)


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest_asyncio.fixture
async def client(tmp_path):
    app, topology = _app(tmp_path)
    FileSink(topology.settings.output_dir).deliver(make_brief())
    members = [make_member(id="a", title="Regulator opens inquiry"), make_member(id="b", outlet="other.example")]
    topology.live.apply(make_story(members, story_id="s-9", day="2026-01-08", score_reasons=["two outlets"]))
    async with TestClient(TestServer(app.web.web_app)) as test_client:
        test_client.topology = topology
        yield test_client


EDITION = f"/briefs/{LENS}/editions/2026-01-09"  # the brief of lens-day 2026-01-08, published the next morning
PAGES = ["/briefs", f"/briefs/{LENS}", EDITION, f"/briefs/{LENS}/feed.atom",
         f"/live/{LENS}", f"/live/{LENS}?day=2026-01-08", f"/stories/{LENS}/2026-01-08/s-9",
         f"/stories/{LENS}/2026-01-08/s-1", "/static/usul.css", "/static/live.js", "/api/openapi.json",
         "/api/lenses", "/api/briefs", f"/api/briefs/{LENS}", f"/api/briefs/{LENS}/2026-01-08", f"/api{EDITION}",
         f"/api/live/{LENS}?day=2026-01-08", f"/api/stories/{LENS}/2026-01-08/s-9", "/healthz",
         f"{EDITION}.md", f"{EDITION}.json", f"{EDITION}.html", f"{EDITION}.txt"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_with_the_content_security_policy(client, path) -> None:
    response = await client.get(path)
    assert response.status == 200, path
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.asyncio
@pytest.mark.parametrize("path", [
    "/briefs/nope", f"/briefs/{LENS}/editions/2026-01-08", f"/briefs/{LENS}/editions/2026-01-10.md",
    f"/briefs/{LENS}/..%2F..%2Fetc", f"/briefs/{LENS}/2026-01-08.exe", "/briefs/nope/2026-01-08",
    "/no/such/route", f"/api/briefs/{LENS}/editions/2026-01-08",
    f"/live/{LENS}?day=yesterday", f"/stories/{LENS}/2026-01-08/unknown",
    "/static/..%2Fweb.py", "/static/missing.css", f"/api/briefs/{LENS}/2026-01-09",
    f"/api/stories/{LENS}/2026-01-08/nope", "/api/live/nope",
])
async def test_unknown_things_are_not_found(client, path) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.asyncio
async def test_the_json_api_answers_briefs_live_days_and_stories(client) -> None:
    brief = await (await client.get(f"/api/briefs/{LENS}/2026-01-08")).json()  # the older, lens-day address
    assert brief["content_hash"] == "0" * 64 and brief["edition"] == "2026-01-09"
    assert await (await client.get(f"/api{EDITION}")).json() == brief
    days = await (await client.get(f"/api/briefs/{LENS}")).json()
    assert days["days"] == [{"edition": "2026-01-09", "day": "2026-01-08", "revision": 1, "html": EDITION,
                             "markdown": f"{EDITION}.md", "json": f"{EDITION}.json", "api": f"/api{EDITION}",
                             "day_api": f"/api/briefs/{LENS}/2026-01-08"}]
    live = await (await client.get(f"/api/live/{LENS}?day=2026-01-08")).json()
    assert [s["story_id"] for s in live["stories"]] == ["s-9"] and live["today"] is False
    story = await (await client.get(f"/api/stories/{LENS}/2026-01-08/s-9")).json()
    assert story["score_reasons"] == ["two outlets"] and len(story["members"]) == 2


@pytest.mark.asyncio
async def test_events_stream_the_day_then_new_stories(client) -> None:
    response = await client.get(f"/api/live/{LENS}/events?day=2026-01-08")
    assert response.headers["Content-Type"] == "text/event-stream"
    seen = b""
    while b"event: ready" not in seen:
        seen += await asyncio.wait_for(response.content.readany(), 5)
    assert b'"story_id":"s-9"' in seen
    client.topology.live.apply(make_story(story_id="s-10", day="2026-01-08"))
    while b"s-10" not in seen:
        seen += await asyncio.wait_for(response.content.readany(), 5)
    client.topology.live.close_all()
    response.close()


@pytest.mark.asyncio
async def test_a_brief_story_shows_the_live_storys_reasons_when_their_ids_differ(client) -> None:
    before = await (await client.get(f"/api/stories/{LENS}/2026-01-08/s-1")).json()
    assert before["origin"] == "brief" and before["score_reasons"] is None
    client.topology.live.apply(make_story([make_member(id="m-1")], story_id="founded-elsewhere", day="2026-01-08",
                                          score_reasons=["primary source speaks"]))
    after = await (await client.get(f"/api/stories/{LENS}/2026-01-08/s-1")).json()
    assert after["origin"] == "live" and after["score_reasons"] == ["primary source speaks"]
    assert after["story_id"] == "s-1" and after["headline"] == "Lab ships model"


@pytest.mark.asyncio
async def test_today_so_far_opens_the_newest_day_with_stories_when_today_has_none(client) -> None:
    page = await (await client.get(f"/live/{LENS}")).text()
    assert "2026-01-08 as it developed" in page and "Regulator opens inquiry" in page


@pytest.mark.asyncio
@pytest.mark.parametrize(("old", "new"), [
    ("2026-01-08", EDITION), ("2026-01-08.md", f"{EDITION}.md"), ("2026-01-08.json", f"{EDITION}.json"),
    ("2026-01-08.txt", f"{EDITION}.txt"), ("2026-01-08.html", f"{EDITION}.html"),
])
async def test_older_lens_day_addresses_redirect_permanently_to_the_edition(client, old, new) -> None:
    response = await client.get(f"/briefs/{LENS}/{old}", allow_redirects=False)
    assert response.status == 308 and response.headers["Location"] == new
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    followed = await client.get(f"/briefs/{LENS}/{old}")
    assert followed.status == 200 and str(followed.url).endswith(new)
