"""pytest plugin (entry point `pytest11`): the `realtime_mock` fixture for users' own tests.

`realtime_mock` is a running mock server (loopback, port 0), shared by a session's tests and
reset before each (the scenario chosen, the connections kept); see mockserver.testing for its
API. `--realtime-mock-seed N` replays a session's ids and text; the seed in use is printed in
pytest's header. Importing this module costs only pytest: the server is imported when a test
first asks for the fixture.
"""

# ruff: noqa: PLC0415 - the server is imported only when a test uses the fixture

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from realtime_conformance.mockserver.testing import RealtimeMock

SEED_OPTION = "--realtime-mock-seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("realtime-mock", "the realtime_mock fixture")
    group.addoption(
        SEED_OPTION,
        type=int,
        default=None,
        metavar="N",
        help="seed of the mock's ids and text (default: a fresh one, shown in the header)",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption(SEED_OPTION)
    return f"realtime_mock: seed {seed}" if seed is not None else None


@pytest.fixture(scope="session")
def realtime_mock_server(request: pytest.FixtureRequest) -> Iterator[RealtimeMock]:
    """The session's mock server (prefer `realtime_mock`, which resets it for each test)."""
    from realtime_conformance.mockserver.testing import RealtimeMock, default_options

    seed = request.config.getoption(SEED_OPTION)
    with RealtimeMock(default_options(seed)) as mock:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and seed is None:
            reporter.write_line(
                f"realtime_mock: seed {mock.seed} (replay: {SEED_OPTION} {mock.seed})"
            )
        yield mock


@pytest.fixture
def realtime_mock(realtime_mock_server: RealtimeMock) -> RealtimeMock:
    """A running mock server, reset for this test: simulated model, no connections kept."""
    realtime_mock_server.reset()
    return realtime_mock_server
