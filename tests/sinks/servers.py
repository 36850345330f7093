"""Real local servers the sink tests deliver to: a recording HTTP receiver (Slack, Discord, Teams
and webhooks all speak JSON over HTTP), aiosmtpd, PostgreSQL from the Debian packages, and moto's
S3 server. Each runs on a free localhost port and is stopped by its context manager."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from streams.ops.brokers import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordingServer:
    """Answers POSTs with the queued (status, headers, body) replies, then with `default`."""

    default: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")
    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RecordingServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with lock:
                    owner.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status, headers, reply = owner.replies.pop(0) if owner.replies else owner.default
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                pass

        lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def recording_server(**kwargs: Any) -> Iterator[RecordingServer]:
    server = RecordingServer(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()


# --- SMTP -------------------------------------------------------------------------------------


class MailBox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, MailBox]]:
    from aiosmtpd.controller import Controller

    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


# --- S3 (moto) --------------------------------------------------------------------------------


@contextmanager
def moto_s3() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """initdb into a temporary directory as a non-root user, pg_ctl start on a free port; yield a DSN."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="usul-pg-"))
    data, sockets, port = root / "data", root / "sock", free_port()
    sockets.mkdir()
    run_as = _run_as()
    if run_as:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    os.chmod(root, 0o700)
    try:
        _run(run_as + [str(binaries / "initdb"), "-D", str(data), "-U", "usul", "--auth=trust", "-E", "UTF8",
                       "--no-sync"])
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
        _run(run_as + [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"),
                       "-w", "-t", "60", "start"])
        dsn = f"postgresql://usul@127.0.0.1:{port}/postgres"
        _wait_ready(dsn)
        yield dsn
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(run_as + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _run_as() -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user the package created."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise FileNotFoundError("running as root needs runuser to start PostgreSQL as user postgres")
    return ["runuser", "-u", "postgres", "--"]


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        tool = next(Path(a).name for a in argv if a.startswith("/usr/lib/postgresql"))
        raise RuntimeError(f"{tool} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def _wait_ready(dsn: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
