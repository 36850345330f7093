"""faust's own numbers in Usul's Prometheus registry: a sensor and the consumer-lag sampler.

`PrometheusSensor` is a faust `Sensor` (added with `app.sensors.add`): faust calls it for every
message in and out, every send, commit and rebalance, and it counts into `streams.metrics`.
`sample_consumer_lag` runs on a faust timer: for each partition assigned to this worker it sets
`usul_consumer_lag_messages` to the highwater (the offset the next produced message will get)
minus the next offset this worker will read, and feeds the worker's `StallWatch`. The gauge is
cleared first, so partitions that a rebalance moved away stop being reported here (the worker
that owns them reports them).
Table changelogs are left out: a worker writes its active partitions' changelogs and reads them
only while recovering, so their "lag" would grow with every write.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from faust.sensors import Sensor

from streams.metrics import Metrics
from streams.stall import StallWatch

CHANGELOG_SUFFIX = "-changelog"


class PrometheusSensor(Sensor):
    """Counts faust's sensor callbacks into a `Metrics`; every callback is O(1) and never raises."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.metrics.faust_messages_in.labels(tp.topic, str(tp.partition)).inc()

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.metrics.faust_messages_out.labels(tp.topic).inc()

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        self.metrics.faust_messages_sent.labels(topic).inc()
        return None

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        self.metrics.faust_send_errors.inc()

    def on_commit_initiated(self, consumer: Any) -> Any:
        return monotonic()

    def on_commit_completed(self, consumer: Any, state: Any) -> None:
        if isinstance(state, float):
            self.metrics.faust_commit_seconds.observe(monotonic() - state)

    def on_rebalance_start(self, app: Any) -> dict[str, float]:
        self.metrics.faust_rebalances.inc()
        return {"time_start": monotonic()}

    def on_rebalance_end(self, app: Any, state: dict[str, float]) -> None:
        started = (state or {}).get("time_start")
        if started is not None:
            self.metrics.faust_rebalance_seconds.observe(monotonic() - started)

    def on_assignment_error(self, assignor: Any, state: dict[str, Any], exc: BaseException) -> None:
        self.metrics.faust_assignment_errors.inc()


def lag(highwater: int | None, read_offset: int | None, committed: int | None) -> int | None:
    """Messages not yet read: highwater minus the next offset to read. Pure.

    `read_offset` is the last offset handed to a stream, `committed` the last one committed;
    with neither known nothing has been read here yet and the lag is unknown (None).
    """
    if highwater is None:
        return None
    done = read_offset if read_offset is not None else committed
    if done is None:
        return None
    return max(highwater - (done + 1), 0)


async def sample_consumer_lag(app: Any, metrics: Metrics, watch: StallWatch | None = None) -> None:
    """Set the lag gauge for every partition this worker's consumer is assigned (timer body), and
    tell `watch` what waits and where reading stands. The highwaters are asked of the broker: the
    consumer's own copy is only refreshed by fetches, and a stalled consumer fetches nothing."""
    consumer = app.consumer
    try:
        assigned = [tp for tp in consumer.assignment() if not tp.topic.endswith(CHANGELOG_SUFFIX)]
        highwaters = await consumer.highwaters(*assigned) if assigned else {}
    except Exception:  # noqa: BLE001 - not started or mid-rebalance: report nothing this round
        if watch is not None:
            watch.busy()
        return
    metrics.consumer_lag.clear()
    waiting, positions = 0, {}
    for tp in assigned:
        highwater = highwaters.get(tp)
        value = lag(highwater, consumer._read_offset.get(tp), consumer._committed_offset.get(tp))
        if value is None:
            value = await _lag_from_position(consumer, tp, highwater)
        if value is not None and highwater is not None:
            metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(value)
            waiting, positions[(tp.topic, tp.partition)] = waiting + value, highwater - value
    if watch is not None:
        if getattr(app, "rebalancing", False):
            watch.busy()
        else:
            watch.sample(waiting, positions, monotonic())
        metrics.consumer_stalled.set(int(watch.stalled(monotonic())))


async def _lag_from_position(consumer: Any, tp: Any, highwater: int | None) -> int | None:
    """Nothing read yet: the fetch position is where reading will start."""
    if highwater is None:
        return None
    try:
        position = await consumer.position(tp)
    except Exception:  # noqa: BLE001 - revoked or not yet positioned
        return None
    return None if position is None else max(highwater - position, 0)
