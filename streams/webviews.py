"""The worker's web pages, registered on the faust app. Views are thin: they call `streams.web`
(pure answers from the briefs directory) or the topology's producers."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import faust
from faust.web import Request, Response, View

from streams import web
from streams.metrics import METRICS

if TYPE_CHECKING:
    from streams.topology import Topology


def register_pages(app: faust.App, topology: Topology) -> None:
    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        async def get(self, request: Request) -> Response:
            ready = bool(app.consumer.assignment()) and not app.rebalancing
            return self.json({"ready": ready}, status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            body, content_type = web.metrics_body(METRICS.registry)
            return self.bytes(body, headers={"Content-Type": content_type})

    @app.page("/briefs")
    class Archive(View):
        async def get(self, request: Request) -> Response:
            return self.html(web.archive_page(topology.settings.output_dir))

    @app.page("/briefs/{lens}/{day}")
    class BriefPage(View):
        async def get(self, request: Request, lens: str, day: str) -> Response:
            found = web.brief_file(topology.settings.output_dir, lens, day)
            if found is None:
                return self.text("no such brief\n", status=404)
            body, content_type = found
            return self.bytes(body, headers={"Content-Type": content_type})

    @app.page("/ingest")
    class Ingest(View):
        async def post(self, request: Request) -> Response:
            if not web.authorised(request.headers.get("Authorization"), topology.settings.ingest_token):
                return self.json({"error": "a valid bearer token is required"}, status=401)
            body = await request.read()
            accepted, rejected = await topology.ingest_push(body)
            return self.json({"accepted": accepted, "rejected": rejected}, status=202)

    @app.page("/close/{lens}/{day}")
    class Close(View):
        async def post(self, request: Request, lens: str, day: str) -> Response:
            if not web.authorised(request.headers.get("Authorization"), topology.settings.ingest_token):
                return self.json({"error": "a valid bearer token is required"}, status=401)
            close_id = f"manual-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
            await topology.close_day(lens, day, close_id)
            return self.json({"close_id": close_id}, status=202)

