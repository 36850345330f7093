"""Sinks under injected crashes on a real broker: a live worker delivers brief revisions to files,
S3 (moto server), PostgreSQL (when installed), a signed webhook (local recording server) and email
(aiosmtpd); `USUL_FAULT_AFTER` kills it (`os._exit(137)`) between sink steps, again and again;
after the restarts every store holds every revision once, the webhook receiver sees every revision
(deduplicated by webhook-id), and email — declared at-least-once — has at most one extra copy per
crash.

Known faust 0.15 behaviour, outside the sinks: after a SIGKILL the restarted worker sometimes
resumes fetching before it seeks to the committed offsets (the log shows "Resuming flow..." before
"Seek stream partitions") and then stops consuming the briefs topic altogether (seen on Tansu and
Apache Kafka). The test restarts such a stalled worker with SIGTERM, as an operator would, and
prints how often it had to; the delivery guarantees are asserted across those restarts too."""

from __future__ import annotations

import asyncio
import base64
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import boto3
import pytest
from pydantic import SecretStr

from models import topics
from models.briefs import Brief
from models.codec import encode
from sinks.webhook import decode_secret, verify
from streams.brief.assemble import brief_content_hash
from tests.builders import make_brief
from tests.integration.harness import LiveUsul, fresh_broker, produce, start_worker_with, wait_worker_exit
from tests.sinks.servers import (
    RecordingServer,
    moto_s3,
    postgres_bin,
    postgres_server,
    recording_server,
    smtp_server,
)

pytestmark = pytest.mark.integration
SECRET = "whsec_" + base64.b64encode(b"usul-fault-injection-key-32bytes").decode()
BUCKET = "usul-briefs"
# One crash per run, each at a different step of a different channel; the last run has none.
FAULTS = ["send:webhook", "in-flight:email", "send:email", "send:postgres", "done:s3", "send:files", "send"]


def _briefs() -> list[Brief]:
    out = []
    for day, revision in [("2026-01-08", 1), ("2026-01-08", 2), ("2026-01-08", 3), ("2026-01-09", 1)]:
        made = make_brief(brief_id=f"ai-safety-governance:{day}:r{revision}", day=day, revision=revision,
                          executive_summary=f"The day {day} as of revision {revision}.")
        out.append(made.model_copy(update={"content_hash": brief_content_hash(made)}))
    return out


class Stores:
    """Every receiver and store the worker delivers to, and how to count what each holds."""

    def __init__(self, stack: ExitStack, workdir: Path) -> None:
        self.hook: RecordingServer = stack.enter_context(recording_server())
        self.smtp_port, self.mail = stack.enter_context(smtp_server())
        self.s3_endpoint = stack.enter_context(moto_s3())
        self.s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        self.s3.create_bucket(Bucket=BUCKET)
        self.pg_dsn = stack.enter_context(postgres_server()) if postgres_bin() else None
        self.files = workdir / "briefs"
        notifications = workdir / "notifications.toml"
        notifications.write_text(f"""
[notifications]
[[notifications.channels]]
type = "webhook"
url = "{self.hook.url}/usul"
secret = "{SECRET}"

[[notifications.channels]]
type = "email"
url = "smtp://127.0.0.1:{self.smtp_port}"
sender = "usul@example.org"
recipients = ["desk@example.org"]
""")
        self.env = {"USUL_NOTIFICATIONS_FILE": str(notifications), "USUL_BRIEFS_DIR": str(self.files),
                    "USUL_S3_ENDPOINT_URL": self.s3_endpoint, "USUL_S3_BUCKET": BUCKET,
                    "USUL_S3_ACCESS_KEY_ID": "testing", "USUL_S3_SECRET_ACCESS_KEY": "testing",
                    "USUL_SINK_RETRY_BASE_SECONDS": "0.2"}
        if self.pg_dsn:
            self.env["USUL_POSTGRES_DSN"] = self.pg_dsn

    def counts(self) -> dict[str, tuple[int, int]]:
        """channel -> (deliveries received, distinct revisions held)."""
        ids = [r.headers["webhook-id"] for r in self.hook.received]
        mail_ids = [m["Message-ID"] for m in self.mail.messages]
        s3_keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
                   if o["Key"].endswith("/brief.json")]
        files = list(self.files.glob("*/editions/*/r*/brief.json"))
        counts = {"webhook": (len(ids), len(set(ids))), "email": (len(mail_ids), len(set(mail_ids))),
                  "s3": (len(s3_keys), len(set(s3_keys))), "files": (len(files), len(set(files)))}
        if self.pg_dsn:
            import psycopg

            try:
                with psycopg.connect(self.pg_dsn) as conn:
                    rows = conn.execute("SELECT lens, day, revision FROM briefs").fetchall()
            except psycopg.Error:  # the table exists only after the first delivery migrated
                rows = []
            counts["postgres"] = (len(rows), len(set(rows)))
        return counts


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    with ExitStack() as stack:
        yield Stores(stack, tmp_path)


def test_every_channel_gets_every_revision_once_across_injected_crashes(
        broker_kind: str, tmp_path: Path, stores: Stores) -> None:
    briefs = _briefs()
    broker = fresh_broker(broker_kind, tmp_path / "broker")
    usul = LiveUsul(broker.bootstrap, tmp_path, broker_kind)
    crashes: list[str] = []
    stalls: list[str] = []
    try:
        start_worker_with(usul, {**stores.env, "USUL_FAULT_AFTER": FAULTS[0]})
        asyncio.run(usul.wait_ready(180))  # topics exist once the worker is ready
        produce(broker.bootstrap, topics.BRIEFS.name,
                [(f"{b.lens}:{b.day}:{b.revision}".encode(), encode(b)) for b in briefs])
        for index, fault in enumerate(FAULTS):
            env = {**stores.env, "USUL_FAULT_AFTER": fault}
            if index:
                start_worker_with(usul, env)
            code = _restart_until_done(usul, stores, env, len(briefs), stalls, fault)
            if code is None:  # every channel finished before the step was reached: no crash this run
                usul.stop_worker()
                continue
            assert code == 137, f"worker exited with {code}: {usul.log_tail()}"
            crashes.append(fault)
        start_worker_with(usul, stores.env)
        assert _restart_until_done(usul, stores, stores.env, len(briefs), stalls) is None, usul.log_tail()
        time.sleep(5)  # anything still queued would arrive now
        counts = stores.counts()
    finally:
        usul.stop_worker()
        broker.stop()

    _report(counts, crashes, stalls, len(briefs))
    assert len(crashes) >= 5, f"too few faults fired: {crashes}"
    key = decode_secret(SecretStr(SECRET))
    assert all(verify(key, r.headers, r.body, int(r.headers["webhook-timestamp"])) for r in stores.hook.received)
    for channel, (received, distinct) in counts.items():
        assert distinct == len(briefs), f"{channel} holds {distinct} of {len(briefs)} revisions"
        if channel in ("files", "s3", "postgres"):
            assert received == len(briefs), f"{channel} stores a revision twice"
    # email is at-least-once (docs/DELIVERY.md): at most one extra copy per crash
    assert counts["email"][0] - len(briefs) <= len(crashes)
    assert Counter(m["X-Usul-Brief"] for m in stores.mail.messages).keys() == {
        f"{b.brief_id} r{b.revision}" for b in briefs}


STALL_SECONDS = 60.0


class Stalled(Exception):
    """The worker is alive but has delivered nothing new for STALL_SECONDS."""


def _wait_for_exit_or_done(usul: LiveUsul, stores: Stores, expected: int) -> int | None:
    """The worker's exit code if a fault ended it; None once every channel has every revision."""
    last, since = stores.counts(), time.monotonic()
    while True:
        code = wait_worker_exit(usul, 1.0)
        if code is not None:
            return code
        if _done(stores, expected):
            time.sleep(3)  # the ledger's done marks, and a late fault, get their moment
            return usul.worker.poll() if usul.worker else None
        now = stores.counts()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > STALL_SECONDS:
            raise Stalled(f"no delivery for {STALL_SECONDS:.0f} s: {now}")


def _restart_until_done(usul: LiveUsul, stores: Stores, env: dict[str, str], expected: int,
                        stalls: list[str], fault: str | None = None) -> int | None:
    """Run one worker to its fault (or to the end). A worker that stops consuming after a restart
    (a faust recovery race, see the module docstring) is stopped with SIGTERM and started again,
    as an operator would; each such restart is counted in `stalls`."""
    for _ in range(4):
        try:
            return _wait_for_exit_or_done(usul, stores, expected)
        except Stalled as exc:
            stalls.append(f"{fault or 'final run'}: {exc}")
            usul.stop_worker()
            start_worker_with(usul, env)
    raise TimeoutError(f"worker kept stalling: {stores.counts()}\n{usul.log_tail()}")


def _done(stores: Stores, expected: int) -> bool:
    return all(distinct >= expected for _, distinct in stores.counts().values())


def _report(counts: dict[str, tuple[int, int]], crashes: list[str], stalls: list[str], expected: int) -> None:
    servers = {"files": "local disk", "s3": "moto S3 server", "postgres": "PostgreSQL (Debian)",
               "webhook": "local HTTP receiver", "email": "aiosmtpd"}
    print(f"\ninjected crashes ({len(crashes)}): {', '.join(crashes)}")
    print(f"restarts after a stalled consumer ({len(stalls)}): {'; '.join(stalls) or 'none'}")
    print(f"{'channel':<10} {'server':<22} {'revisions':>9} {'received':>9} {'distinct':>9} {'duplicates':>10}")
    for channel, (received, distinct) in counts.items():
        print(f"{channel:<10} {servers[channel]:<22} {expected:>9} {received:>9} {distinct:>9} "
              f"{received - distinct:>10}")
