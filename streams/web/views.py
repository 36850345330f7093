"""The worker's web pages, registered on the faust app. Views are thin: they call `streams.web.pages`
(pure answers from the briefs directory and the live stories), `streams.web.atom`,
`streams.web.openapi`, `streams.web.sse`, or the worker (`streams.web.worker.Worker`, which the
topology implements). Every response carries `pages.SECURITY_HEADERS` (CSP `default-src 'self'`).

Routes are matched in the order they are registered: `/briefs/{lens}/feed.atom` comes before
`/briefs/{lens}/{day}`. Briefs live at their edition date (`/briefs/{lens}/editions/{edition}`,
the morning they are published); the older lens-day addresses answer with a permanent redirect
(308) there, and the JSON API answers both. The OpenAPI document (`streams.web.openapi.PATHS`) lists
exactly these routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import Any

import faust
from aiohttp import web as aioweb
from faust.web import Request, Response, View

from models.briefs import Brief, day_of_edition
from models.lens import Lens
from streams.metrics import METRICS
from streams.web import atom, openapi, pages
from streams.web.live_stories import summary
from streams.web.sse import event_stream
from streams.web.worker import Worker

STATIC_DIR = Path(__file__).resolve().parent / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml"}
_FEED_DAYS = 60


def _now() -> datetime:
    return datetime.now(UTC)


class Page(View):
    """A view whose answers all carry the security headers."""

    def page(self, body: str, status: int = 200) -> Response:
        return self.html(body, status=status, headers=dict(pages.SECURITY_HEADERS))

    def data(self, value: Any, status: int = 200) -> Response:
        return self.json(value, status=status, headers=dict(pages.SECURITY_HEADERS))

    def payload(self, body: bytes, headers: dict[str, str], status: int = 200) -> Response:
        return self.bytes(body, status=status, headers=headers)


def register_pages(app: faust.App, worker: Worker) -> None:
    app.web.web_app.on_response_prepare.append(_secure)  # aiohttp's own 404s and errors too
    _register_operations(app, worker)
    _register_pages(app, worker)
    _register_api(app, worker)


async def _secure(request: Any, response: aioweb.StreamResponse) -> None:
    for name, value in pages.SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _lens(worker: Worker, slug: str) -> Lens | None:
    return next((lens for lens in worker.lenses if lens.slug == slug), None)


def _live_day(worker: Worker, slug: str, request: Request) -> tuple[Lens | None, str]:
    """The lens and the day a live view asks for (`?day=`, else today in the lens's zone, or the
    newest day with stories when today has none yet); no lens when either is not valid."""
    found = _lens(worker, slug)
    today = pages.today(found, _now()) if found else ""
    day = request.query.get("day") or pages.live_day(today, worker.live.days(slug))
    return (found, day) if found is not None and pages.is_day(day) else (None, day)


def _register_operations(app: faust.App, worker: Worker) -> None:
    @app.page("/healthz")
    class Health(Page):
        async def get(self, request: Request) -> Response:
            return self.data({"status": "ok"})

    @app.page("/livez")
    class Live(Page):
        async def get(self, request: Request) -> Response:
            stalled = worker.stall.stalled(monotonic())
            return self.data({"live": not stalled, "stalled": stalled}, status=503 if stalled else 200)

    @app.page("/readyz")
    class Ready(Page):
        async def get(self, request: Request) -> Response:
            ready = bool(app.consumer.assignment()) and not app.rebalancing
            return self.data({"ready": ready}, status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(Page):
        async def get(self, request: Request) -> Response:
            body, content_type = pages.metrics_body(METRICS.registry)
            return self.payload(body, {**pages.SECURITY_HEADERS, "Content-Type": content_type})

    @app.page("/ingest")
    class Ingest(Page):
        async def post(self, request: Request) -> Response:
            if not pages.authorised(request.headers.get("Authorization"), worker.settings.ingest_token):
                return self.data({"error": "a valid bearer token is required"}, status=401)
            body = await request.read()
            status, answer = pages.ingest_answer(*await worker.ingest_push(body))
            return self.data(answer, status=status)

    @app.page("/close/{lens}/{day}")
    class Close(Page):
        async def post(self, request: Request, lens: str, day: str) -> Response:
            if not pages.authorised(request.headers.get("Authorization"), worker.settings.ingest_token):
                return self.data({"error": "a valid bearer token is required"}, status=401)
            close_id = f"manual-{_now():%Y%m%dT%H%M%S%f}"
            await worker.close_day(lens, day, close_id)
            return self.data({"close_id": close_id}, status=202)


def _register_pages(app: faust.App, worker: Worker) -> None:
    root, lenses = worker.settings.output_dir, worker.lenses

    def missing(view: Page, what: str) -> Response:
        return view.page(pages.not_found_page(what, lenses), status=404)

    @app.page("/briefs")
    class Archive(Page):
        async def get(self, request: Request) -> Response:
            return self.page(pages.archive_page(root, lenses))

    @app.page("/briefs/{lens}")
    class LensArchive(Page):
        async def get(self, request: Request, lens: str) -> Response:
            found = _lens(worker, lens)
            return self.page(pages.lens_page(root, found, lenses)) if found else missing(self, "No such lens.")

    @app.page("/briefs/{lens}/feed.atom")
    class Feed(Page):
        async def get(self, request: Request, lens: str) -> Response:
            found = _lens(worker, lens)
            if found is None:
                return missing(self, "No such lens.")
            days = pages.brief_editions(root, lens)[:_FEED_DAYS]
            briefs = [b for b in (pages.load_brief(root, lens, e.edition) for e in days) if b is not None]
            body = atom.atom_feed(found, briefs, f"{request.scheme}://{request.host}", _now())
            return self.payload(body.encode(), {**pages.SECURITY_HEADERS, "Content-Type": atom.CONTENT_TYPE})

    @app.page("/briefs/{lens}/editions/{edition}")
    class BriefPage(Page):
        async def get(self, request: Request, lens: str, edition: str) -> Response:
            found = _lens(worker, lens)
            if found is not None and "." not in edition and (brief := pages.load_brief(root, lens, edition)):
                return self.page(pages.brief_page(brief, found, lenses))
            stored = pages.brief_file(root, lens, edition) if found is not None and "." in edition else None
            if stored is None:
                return missing(self, f"No {lens} brief of {edition}.")
            body, content_type = stored
            return self.payload(body, pages.file_headers(body, content_type))

    @app.page("/briefs/{lens}/{day}")
    class DayBrief(Page):
        async def get(self, request: Request, lens: str, day: str) -> Response:
            found = _lens(worker, lens)
            target = pages.day_redirect(found, day) if found is not None else None
            if target is None:
                return missing(self, f"No brief for {lens} on {day}.")
            return self.payload(b"", {**pages.SECURITY_HEADERS, "Location": target}, status=308)

    @app.page("/live/{lens}")
    class Live(Page):
        async def get(self, request: Request, lens: str) -> Response:
            found, day = _live_day(worker, lens, request)
            if found is None:
                return missing(self, "No such lens or day.")
            stories = [summary(s) for s in worker.live.stories(lens, day)]
            has_brief = pages.load_day_brief(root, found, day) is not None
            return self.page(pages.live_page(found, day, pages.today(found, _now()), stories, lenses, has_brief))

    @app.page("/stories/{lens}/{day}/{story_id}")
    class StoryPage(Page):
        async def get(self, request: Request, lens: str, day: str, story_id: str) -> Response:
            found = _lens(worker, lens)
            view = _story(worker, lens, day, story_id) if found else None
            if found is None or view is None:
                return missing(self, "No such story.")
            has_brief = pages.load_day_brief(root, found, day) is not None
            return self.page(pages.story_page(view, found, lenses, has_brief))

    @app.page("/static/{name}")
    class Static(Page):
        async def get(self, request: Request, name: str) -> Response:
            path = STATIC_DIR / name
            kind = _STATIC_TYPES.get(path.suffix)
            if kind is None or "/" in name or name.startswith(".") or not path.is_file():
                return missing(self, "No such file.")
            headers = {**pages.SECURITY_HEADERS, "Content-Type": kind, "Cache-Control": "no-cache"}
            return self.payload(path.read_bytes(), headers)


def _story(worker: Worker, lens: str, day: str, story_id: str) -> dict[str, Any] | None:
    found = _lens(worker, lens)
    if found is None or not pages.is_day(day) or not pages.is_story_id(story_id):
        return None
    brief = pages.load_day_brief(worker.settings.output_dir, found, day)
    story = worker.live.story(lens, day, story_id)
    if story is None and brief is not None and (item := pages.brief_item(brief, story_id)) is not None:
        story = worker.live.matching(lens, day, pages.item_ids(brief, item))
    return pages.story_view(lens, day, story_id, story, brief)


def _register_api(app: faust.App, worker: Worker) -> None:
    root = worker.settings.output_dir

    def missing(view: Page, what: str) -> Response:
        return view.data({"error": what}, status=404)

    def archive(lens: Lens) -> dict[str, Any]:
        days = [e.as_json(day_of_edition(lens, e.edition)) for e in pages.brief_editions(root, lens.slug)]
        return {"lens": lens.slug, "name": lens.name, "feed": f"/briefs/{lens.slug}/feed.atom", "days": days}

    @app.page("/api/openapi.json")
    class OpenApi(Page):
        async def get(self, request: Request) -> Response:
            return self.data(openapi.document())

    @app.page("/api/lenses")
    class Lenses(Page):
        async def get(self, request: Request) -> Response:
            return self.data([{"slug": lens.slug, "name": lens.name, "timezone": lens.timezone,
                               "today": pages.today(lens, _now()), "briefs": f"/briefs/{lens.slug}",
                               "live": f"/live/{lens.slug}"} for lens in worker.lenses])

    @app.page("/api/briefs")
    class Briefs(Page):
        async def get(self, request: Request) -> Response:
            return self.data([archive(lens) for lens in worker.lenses])

    @app.page("/api/briefs/{lens}")
    class LensBriefs(Page):
        async def get(self, request: Request, lens: str) -> Response:
            found = _lens(worker, lens)
            return self.data(archive(found)) if found else missing(self, f"no lens {lens!r}")

    def brief_json(view: Page, brief: Brief) -> Response:
        return view.payload(brief.model_dump_json().encode(),
                            {**pages.SECURITY_HEADERS, "Content-Type": "application/json"})

    @app.page("/api/briefs/{lens}/editions/{edition}")
    class OneEdition(Page):
        async def get(self, request: Request, lens: str, edition: str) -> Response:
            brief = pages.load_brief(root, lens, edition) if _lens(worker, lens) else None
            return brief_json(self, brief) if brief else missing(self, f"no {lens!r} brief of {edition!r}")

    @app.page("/api/briefs/{lens}/{day}")
    class OneBrief(Page):
        """The lens-day address of the first API version: still answered, with the same brief."""

        async def get(self, request: Request, lens: str, day: str) -> Response:
            found = _lens(worker, lens)
            brief = pages.load_day_brief(root, found, day) if found else None
            return brief_json(self, brief) if brief else missing(self, f"no brief for {lens!r} on {day!r}")

    @app.page("/api/live/{lens}")
    class LiveDay(Page):
        async def get(self, request: Request, lens: str) -> Response:
            found, day = _live_day(worker, lens, request)
            if found is None:
                return missing(self, "no such lens or day")
            stories = [summary(s) for s in worker.live.stories(lens, day)]
            return self.data({"lens": lens, "day": day, "today": day == pages.today(found, _now()), "stories": stories})

    @app.page("/api/live/{lens}/events")
    class LiveEvents(Page):
        async def get(self, request: Request, lens: str) -> Any:
            found, day = _live_day(worker, lens, request)
            if found is None:
                return missing(self, "no such lens or day")
            return await _stream(request, worker, lens, day)

    @app.page("/api/stories/{lens}/{day}/{story_id}")
    class StoryApi(Page):
        async def get(self, request: Request, lens: str, day: str, story_id: str) -> Response:
            view = _story(worker, lens, day, story_id) if _lens(worker, lens) else None
            return self.data(view) if view else missing(self, "no such story")


async def _stream(request: Any, worker: Worker, lens: str, day: str) -> aioweb.StreamResponse:
    """Server-sent events straight on aiohttp (faust's web driver): the response stays open."""
    response = aioweb.StreamResponse(headers={
        **pages.SECURITY_HEADERS, "Content-Type": "text/event-stream", "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no"})
    await response.prepare(request)
    try:
        async for chunk in event_stream(worker.live, lens, day):
            await response.write(chunk)
    except (ConnectionResetError, RuntimeError):
        pass  # the browser went away (RuntimeError: aiohttp's "cannot write to closing transport")
    return response
