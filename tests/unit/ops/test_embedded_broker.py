"""The embedded broker outlives a Ctrl-C meant for `usul up`, so the worker can leave it cleanly."""

from __future__ import annotations

import os
from pathlib import Path

from streams.ops.brokers import EmbeddedTansu, free_port


def test_the_embedded_broker_runs_outside_the_terminals_process_group(tmp_path: Path) -> None:
    # Ctrl-C signals the terminal's foreground process group; a broker in that group died first
    # and left the worker retrying a dead broker for 20 s before it was killed.
    with EmbeddedTansu(port=free_port(), workdir=tmp_path) as broker:
        assert broker._proc is not None
        assert os.getpgid(broker._proc.pid) != os.getpgid(0)
