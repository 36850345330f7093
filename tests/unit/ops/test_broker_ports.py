"""Broker launch helpers that need no broker."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from streams.ops import brokers


def test_a_port_picked_for_a_second_listener_is_never_one_already_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel may hand out a just-released port again: here it offers 5000 twice.
    offered = iter([5000, 5000, 5001])

    class Socket:
        def __init__(self, *_: Any) -> None:
            self.port = next(offered)

        def __enter__(self) -> Socket:
            return self

        def __exit__(self, *_: object) -> None:
            pass

        def bind(self, _: object) -> None:
            pass

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(socket, "socket", Socket)
    first = brokers.free_port()
    assert brokers.free_port(taken={first}) == 5001


def test_apache_kafka_never_puts_its_controller_on_the_broker_port(monkeypatch: pytest.MonkeyPatch) -> None:
    picks = iter([6000, 6000, 6001])
    monkeypatch.setattr(brokers, "free_port", lambda taken=(): next(p for p in picks if p not in taken))
    kafka = brokers.ApacheKafka(port=6000)
    assert kafka.controller_port == 6001
