"""`usul`: the one command-line entry point (worker, up, replay, ingest, close, topics, schemas)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streams.brief.sentences import plural
from streams.settings import REPO_ROOT, Settings

if TYPE_CHECKING:  # the commands import what they use when they run: `usul --help` stays quick
    from models.briefs import Brief
    from models.control import DayClosed
    from models.items import RawItem
    from models.lens import Lens
    from streams.ingest.parse import IngestError
    from streams.ops.replay import Window

SAMPLE = REPO_ROOT / "samples" / "sample-day.jsonl"
SAMPLE_DAY = "2026-01-08"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("eval", "train"):  # these pass their options on (streams.ops)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.rest = extra
    if args.command != "worker":  # faust handles its own signals; elsewhere SIGTERM must run cleanup
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, TimeoutError, ValueError, OSError) as exc:
        print(f"usul {args.command}: {exc}", file=sys.stderr)
        return 1


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="usul", description="Usul: daily intelligence briefs from news streams")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="run a stream worker (on USUL_BOOTSTRAP_SERVERS, else the broker "
                                 "of a running `usul up`)")
    worker.set_defaults(run=cmd_worker)
    up = commands.add_parser("up", help="broker if needed, worker, web UI, ingestion")
    up.add_argument("--demo", action="store_true", help="replay the bundled sample day and print its brief")
    up.set_defaults(run=cmd_up)
    replay = commands.add_parser("replay", help="feed files through a pipeline of their own and write the "
                                 "window's brief")
    replay.add_argument("files", nargs="+", type=Path, help="JSON Lines files of raw items, one item a line")
    _lens_option(replay)
    window = replay.add_mutually_exclusive_group(required=True)
    window.add_argument("--day", type=_day, help="a lens-day, YYYY-MM-DD")
    window.add_argument("--since", type=_moment, help="window start, ISO 8601 (2026-01-08T06:00+00:00)")
    replay.add_argument("--until", type=_moment, help="window end, ISO 8601 (with --since)")
    replay.add_argument("--out", type=Path, required=True, help="directory for brief.json, brief.md, "
                        "stories.jsonl and items.jsonl")
    replay.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for each step")
    replay.add_argument("--join", action="store_true", help="replay into the running pipeline (the `usul up` "
                        "on USUL_EMBEDDED_PORT; USUL_BOOTSTRAP_SERVERS implies it) instead of a broker and worker "
                        "of its own, started for this replay and stopped after it")
    replay.set_defaults(run=cmd_replay)
    ingest = commands.add_parser("ingest", help="poll the configured sources, or produce items from files and URLs")
    ingest.add_argument("locations", nargs="*", help="JSON Lines files or RSS/Atom files and URLs, read once")
    ingest.add_argument("--sources", type=Path, help="sources TOML (default: USUL_SOURCES_FILE, else the shipped "
                        "list when online)")
    ingest_mode = ingest.add_mutually_exclusive_group()
    ingest_mode.add_argument("--once", action="store_true", help="poll every enabled source once, now (default)")
    ingest_mode.add_argument("--loop", action="store_true", help="keep polling sources as they fall due")
    ingest.add_argument("--only", action="append", metavar="NAME", help="poll only this source (repeatable)")
    ingest.set_defaults(run=cmd_ingest)
    close = commands.add_parser("close", help="close a lens-day now (produces close markers)")
    _lens_option(close)
    close.add_argument("--day", type=_day, required=True, help="the lens-day to close, YYYY-MM-DD")
    close.set_defaults(run=cmd_close)
    dlq = commands.add_parser("dlq", help="list or replay the dead-letter topic").add_subparsers(dest="action",
                                                                                            required=True)
    dlq_list = dlq.add_parser("list", help="show dead letters in the order they were written, newest last")
    dlq_replay = dlq.add_parser("replay", help="re-produce transient failures to their original topic")
    for sub in (dlq_list, dlq_replay):
        sub.add_argument("--stage", help="only letters of this stage (normalise, cluster, assemble, ingest, ...)")
    dlq_list.add_argument("--limit", type=int, default=50, help="the N letters written last (0: all)")
    dlq_list.set_defaults(run=cmd_dlq_list)
    dlq_replay.add_argument("--dry-run", action="store_true", help="say what would be replayed; send nothing")
    dlq_replay.set_defaults(run=cmd_dlq_replay)
    commands.add_parser("topics", help="create the catalogue's topics").set_defaults(run=cmd_topics)
    evaluate = commands.add_parser("eval", help="relevance, clustering and ranking against labeled real days",
                                   add_help=False)
    evaluate.set_defaults(run=cmd_eval)
    train = commands.add_parser("train", help="fit the lens's relevance model on the labeled days",
                                add_help=False)
    train.set_defaults(run=cmd_train)
    schemas = commands.add_parser("schemas", help="write each topic's JSON Schema under models/schemas")
    schemas.set_defaults(run=cmd_schemas)
    return parser


def _lens_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lens", default="ai-safety-governance",
                        help="a lens of lenses/ by its file name (default: %(default)s)")


def _day(value: str) -> str:
    """A calendar day as YYYY-MM-DD; argparse names the flag when this refuses a value."""
    try:
        valid = len(value) == 10 and date.fromisoformat(value).isoformat() == value
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {value!r}")
    return value


def _moment(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-01-08T06:00+00:00, "
                                         f"got {value!r}") from None


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from streams.ops.admin import ensure_topics
    from streams.topology import create_app

    settings = _require_broker(Settings())
    asyncio.run(ensure_topics(settings))
    app = create_app(settings)
    faust.Worker(app, loglevel="info").execute_from_commandline()
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from streams.ops.processes import spawn_worker, stop_process, wait_until_ready

    settings = Settings()
    broker = _Broker(settings)
    with broker as bootstrap:
        worker = spawn_worker(settings, bootstrap, settings.data_dir / "logs" / "worker.log", broker.flavour)
        try:
            wait_until_ready(settings, worker, timeout=180)
            print(f"Usul is up: broker {bootstrap}, web http://{settings.web_host}:{settings.web_port}/briefs")
            if args.demo:  # into the pipeline just started, on purpose: its brief stays up to browse
                job = _job([SAMPLE], "ai-safety-governance", SAMPLE_DAY, None, None, settings.data_dir / "demo", 300.0)
                _replay(settings, bootstrap, broker.flavour, job, lasting=True)
            print("Press Ctrl-C to stop.", flush=True)
            worker.wait()
        finally:
            stop_process(worker)
    return 0


@dataclass(frozen=True)
class _Job:
    """A replay's input, read and validated before any pipeline is asked for anything."""

    lens: Lens
    window: Window
    items: list[RawItem]
    rejected: list[IngestError]
    out: Path
    timeout: float


def _job(files: list[Path], lens_slug: str, day: str | None, since: datetime | None, until: datetime | None,
         out: Path, timeout: float) -> _Job:
    """Read the files as the window's collection; the unreadable lines are kept in the outputs."""
    from streams.lenses import load_lens
    from streams.ops.replay import day_window, read_window, span_window, write_rejected

    lens = load_lens(lens_slug)
    window = day_window(lens, day) if day else span_window(lens, since, until)  # type: ignore[arg-type]
    items, rejected = read_window(files, window)
    write_rejected(rejected, out)
    return _Job(lens, window, items, rejected, out, timeout)


def cmd_replay(args: argparse.Namespace) -> int:
    from streams.ops.rejections import rejection_report
    from streams.ops.replay import NothingReadable

    if args.since and not args.until:
        raise ValueError("--since needs --until")
    settings = Settings()
    job = _job(args.files, args.lens, args.day, args.since, args.until, args.out, args.timeout)
    try:
        if settings.bootstrap_servers or args.join:
            _replay_joined(settings, job)
        else:
            _replay_alone(settings, job)
    except NothingReadable as exc:
        print(f"usul replay: {exc}; nothing to replay", file=sys.stderr)
        for line in rejection_report(exc.rejected, _kept_in(job, settings.bootstrap_servers or args.join)):
            print(line, file=sys.stderr)
        return 1
    return 0


def _replay_alone(settings: Settings, job: _Job) -> None:
    """A pipeline of the replay's own, so that its brief depends on its input alone: another
    run's items, stories and revisions stay in that run's pipeline."""
    from streams.ops.processes import own_pipeline
    from streams.ops.replay import NothingReadable

    if not job.items:  # no verdict would come back: say so before starting anything
        raise NothingReadable(job.rejected)
    with own_pipeline(settings) as own:
        _replay(own, own.bootstrap_servers or "", own.broker_flavour, job, lasting=False)


def _replay_joined(settings: Settings, job: _Job) -> None:
    """The configured cluster or the running `usul up` (a worker is started if none answers)."""
    from streams.ops.processes import spawn_worker, stop_process, wait_until_ready, worker_ready

    broker = _Broker(settings)
    with broker as bootstrap:
        worker = None
        if not worker_ready(settings):
            worker = spawn_worker(settings, bootstrap, settings.data_dir / "logs" / "replay-worker.log",
                                  broker.flavour)
        try:
            wait_until_ready(settings, worker, timeout=180)
            _replay(settings, bootstrap, broker.flavour, job, lasting=True)
        finally:
            if worker is not None:
                stop_process(worker)


def _replay(settings: Settings, bootstrap: str, flavour: str, job: _Job, lasting: bool) -> None:
    """Run the job and tell what came of it; `lasting`: the pipeline outlives the replay."""
    from models import topics
    from models.briefs import edition_of
    from models.codec import decode
    from streams.kafka_security import client_kwargs
    from streams.ops.rejections import rejection_report
    from streams.ops.replay import Replay, write_outputs

    replay = Replay(bootstrap, job.lens, job.window, job.timeout, client_kwargs(settings), flavour,
                    settings.bundle_items)
    result = asyncio.run(replay.run_read(job.items, job.rejected))
    write_outputs(result, job.out)
    for closed in result.closed:
        for line in _day_summary(closed, decode(topics.BRIEFS, result.briefs[closed.day])):
            print(line)
    print(f"replayed {plural(len({i.id for i in job.items}), 'item')} in {result.seconds:.1f} s; "
          f"{plural(len(result.rejected), 'line')} rejected; brief in {job.out}/brief.md")
    for line in rejection_report(result.rejected, _kept_in(job, lasting)):
        print(line)
    for closed in result.closed if lasting else []:
        print(f"open http://{settings.web_host}:{settings.web_port}/briefs/{job.lens.slug}/editions/"
              f"{edition_of(job.lens, closed.day)}")


def _day_summary(closed: DayClosed, brief: Brief) -> list[str]:
    """The day in a few lines, headlines as the brief has them: the brief is what the reader sees."""
    head = (f"{brief.title} (covers {closed.day}): revision {closed.revision}, "
            f"{plural(closed.items_seen, 'item')}, {closed.items_relevant} relevant, "
            f"{plural(len(closed.stories), 'story', 'stories')}")
    return [head] + [f"  {item.rank}. [{item.confidence}] {item.headline}" for item in brief.top_items]


def _kept_in(job: _Job, lasting: object) -> str:
    """Where every rejected line is: the outputs, and the dead-letter topic if it outlives the replay."""
    topic = " and the dead-letter topic (`usul dlq list --stage replay`)" if lasting else ""
    return f"{job.out / 'rejected.jsonl'}{topic}"


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _require_broker(Settings())
    if args.locations:
        from streams.ops.produce import produce_locations
        from streams.ops.rejections import rejection_report

        sent, rejected = asyncio.run(produce_locations(settings, args.locations, datetime.now(UTC)))
        print(f"ingested {plural(sent, 'item')}; {len(rejected)} rejected")
        for line in rejection_report(rejected, "the dead-letter topic (`usul dlq list --stage ingest`)"):
            print(line)
        return 0 if sent or not rejected else 1
    from streams.ingest.poller import run_ingest

    return asyncio.run(run_ingest(settings, args.sources, loop=args.loop, only=args.only))


def cmd_close(args: argparse.Namespace) -> int:
    from streams.ops.produce import produce_close

    settings = _require_broker(Settings())
    close_id = asyncio.run(produce_close(settings, args.lens, args.day))
    print(f"close round {close_id} requested for {args.lens} {args.day}")
    return 0


def cmd_dlq_list(args: argparse.Namespace) -> int:
    from streams.kafka_security import client_kwargs
    from streams.ops import dlq

    settings = _require_broker(Settings())
    letters = asyncio.run(dlq.read_letters(settings.bootstrap_servers or "", client_kwargs(settings)))
    shown = dlq.select(letters, args.stage, args.limit)
    for entry in shown:
        print(dlq.summary_line(entry))
    print(f"{len(shown)} of {len(letters)} dead letters shown")
    return 0


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    from streams.kafka_security import client_kwargs
    from streams.ops import dlq

    settings = _require_broker(Settings())
    security = client_kwargs(settings)
    actions = dlq.plan_all(dlq.select(asyncio.run(dlq.read_letters(settings.bootstrap_servers or "", security)),
                                      args.stage))
    for action in actions:
        print(action.line())
    wanted = sum(a.replay for a in actions)
    if args.dry_run:
        print(f"dry run: would replay {wanted} of {len(actions)} dead letters")
        return 0
    sent = asyncio.run(dlq.replay(settings.bootstrap_servers or "", actions, security))
    print(f"replayed {sent} of {len(actions)} dead letters; {len(actions) - sent} skipped")
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from streams.ops.admin import ensure_topics

    created = asyncio.run(ensure_topics(_require_broker(Settings())))
    print("created: " + (", ".join(created) or "nothing, all topics exist"))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from streams.ops.eval_command import main as evaluate

    return evaluate(args.rest)


def cmd_train(args: argparse.Namespace) -> int:
    from streams.ops.train import main as train

    return train(args.rest)


def cmd_schemas(args: argparse.Namespace) -> int:
    from models.contracts import write_schemas

    for path in write_schemas():
        print(path.relative_to(REPO_ROOT))
    return 0


def _require_broker(settings: Settings) -> Settings:
    """The configured cluster, else the embedded broker of a running `usul up` (as `usul replay
    --join` finds it: its port answers)."""
    from streams.ops.brokers import HOST, port_open

    if settings.bootstrap_servers:
        return settings
    if port_open(HOST, settings.embedded_port):
        return settings.model_copy(update={"bootstrap_servers": f"{HOST}:{settings.embedded_port}",
                                           "broker_flavour": "tansu"})
    raise RuntimeError(f"no broker: nothing answers on the embedded broker's port {settings.embedded_port}; "
                       "set USUL_BOOTSTRAP_SERVERS, or start one with `usul up`")


class _Broker:
    """The configured cluster, or the embedded broker started (and stopped) for this command."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedded = None
        self.flavour = settings.broker_flavour if settings.bootstrap_servers else "tansu"

    def __enter__(self) -> str:
        from streams.ops.processes import start_embedded_broker

        if self.settings.bootstrap_servers:
            return self.settings.bootstrap_servers
        self.embedded = start_embedded_broker(self.settings)
        return f"127.0.0.1:{self.settings.embedded_port}"

    def __exit__(self, *exc: object) -> None:
        if self.embedded is not None:
            self.embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
