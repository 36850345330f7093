"""A real HTTP server on 127.0.0.1 for the ingestion tests (fetcher, poller, XML attacks), and a
check that it serves what it is told. Routes map a path to replies (one per request, the last one
repeating) or to a function of the request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

SOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the headers
    chunk_delay: float = 0.0  # between bytes of the body: sent without Content-Length, slowly
    length: bool = True  # send Content-Length


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


Route = list[Reply] | Callable[[Seen], Reply]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                server.requests.append(seen)
                reply = server.reply_for(seen)
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.length and not reply.chunk_delay:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.chunk_delay:
                        for byte in range(len(reply.body)):
                            self.wfile.write(reply.body[byte:byte + 1])
                            self.wfile.flush()
                            time.sleep(reply.chunk_delay)
                    else:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply | Callable[[Seen], Reply]) -> None:
        if len(replies) == 1 and callable(replies[0]):
            self.routes[path] = replies[0]
        else:
            self.routes[path] = list(replies)  # type: ignore[arg-type]

    def serve(self, path: str, body: bytes, **headers: str) -> None:
        self.route(path, Reply(body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}))

    def reply_for(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path) or self.routes.get(seen.path.split("?")[0])
        if route is None:
            return Reply(status=404, body=b"not here")
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path.split("?")[0] == path)


def local_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_the_local_server_serves_routes_in_order() -> None:
    with LocalServer() as server:
        server.route("/a", Reply(body=b"one"), Reply(status=503))
        with httpx.Client() as client:
            assert client.get(server.url("/a")).text == "one"
            assert client.get(server.url("/a")).status_code == 503
            assert client.get(server.url("/a")).status_code == 503
            assert client.get(server.url("/missing")).status_code == 404
        assert server.hits("/a") == 3
