"""Warm start: what a first connection needs is made before the server says it is ready.

Left to first use, the scenario catalogue (61 YAML files, parsed and linted), the JSON Schema
registry and validators, Faker's providers and numpy/soxr's first calls cost the first
connection of a fresh server 0.3-0.7 s (issue 13; later connections: a few ms). `warm_up` runs
them in `running_server` before it returns, so before `serve` prints its ready line and before a
test fixture hands out the server. The catalogue is parsed once per process per directory
content (`mockserver.scenarios.scenarios_below`: tests start servers by the hundred).

A warm-up step that fails is skipped: the same work then fails where it did before, at first
use, with the error it always gave (a broken scenario file is refused there, not at start-up).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from faker import Faker

from realtime_conformance.mockserver.state import MockState
from realtime_conformance.rtproto.audio.codecs import resample
from realtime_conformance.rtproto.server.realtime.session import shared_validator

log = logging.getLogger(__name__)


def warm_up(state: MockState) -> None:
    """Make now what the first connection (and its first events) would otherwise make."""
    steps: dict[str, Callable[[], object]] = {
        "scenario catalogue": lambda: state.scenarios.by_id,
        "client event validator": _client_validator,
        "server event validator": lambda: state.options.validate_events and state.validator(),
        "faker": lambda: Faker("en_US").sentence(),
        "resampling": lambda: resample(np.zeros(480, dtype=np.int16), 24_000, 16_000),
    }
    for name, step in steps.items():
        try:
            step()
        except Exception:
            log.debug("warm-up of the %s skipped", name, exc_info=True)


def _client_validator() -> None:
    validator = shared_validator()
    validator.validate({"type": "response.create", "event_id": "evt_warm"}, "realtime", "ga")
