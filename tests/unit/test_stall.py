"""The stall watch behind /livez (streams.stall): when does waiting become a stall."""

from __future__ import annotations

from streams.stall import StallWatch

RAW = ("usul.items.raw.v1", 0)


def test_records_waiting_with_no_read_position_moving_become_a_stall_after_the_stall_time() -> None:
    watch = StallWatch(after=60.0)
    watch.sample(5, {RAW: 10}, at=0.0)
    watch.sample(5, {RAW: 10}, at=30.0)
    assert not watch.stalled(59.0)
    watch.sample(5, {RAW: 10}, at=60.0)
    assert watch.stalled(60.0)


def test_a_moving_read_position_or_nothing_waiting_is_no_stall() -> None:
    watch = StallWatch(after=60.0)
    for step in range(10):  # behind all along, but reading
        watch.sample(500, {RAW: 10 + step}, at=step * 30.0)
    assert not watch.stalled(300.0)
    idle = StallWatch(after=60.0)
    for step in range(10):  # caught up, nothing arrives: idle, not stalled
        idle.sample(0, {RAW: 10}, at=step * 30.0)
    assert not idle.stalled(300.0)


def test_a_rebalance_or_a_hand_over_starts_the_clock_again() -> None:
    watch = StallWatch(after=60.0)
    watch.sample(5, {RAW: 10}, at=0.0)
    watch.busy()
    watch.sample(5, {RAW: 10}, at=50.0)
    assert not watch.stalled(100.0)
    with watch.holding():  # a long day close: the cluster agent reads nothing on purpose
        for at in (120.0, 400.0, 900.0):
            watch.sample(5, {RAW: 10}, at=at)
            assert not watch.stalled(at)
    watch.sample(5, {RAW: 10}, at=910.0)
    assert not watch.stalled(960.0) and watch.stalled(970.0)
