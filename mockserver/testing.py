"""`RealtimeMock`: a mock server for users' own tests, in the spirit of pytest-httpserver.

It runs in a background thread with its own event loop, so synchronous and asynchronous tests
(and the official `openai` SDK, sync or async) talk to it alike. The pytest plugin
(mockserver.pytest_plugin) hands one out as the `realtime_mock` fixture, reset between tests::

    def test_greeting(realtime_mock):
        realtime_mock.scenario('''
            on_start: [session.created]
            expect:
              - when: {type: response.create}
                reply: [{text_response: {text: "Hello!"}}]
        ''')
        client = openai.OpenAI(**realtime_mock.client_options())
        ...
        realtime_mock.assert_no_unmatched()

Without a scenario, connections get the simulated model (instant timing). A scenario given inline
needs no id, title, requirement or dialects: defaults are added (after the text, so the loader's
line numbers stay yours). Judging is conformance.checks.scenario_rules', as for the control API.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import textwrap
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

import yaml

from realtime_conformance.mockserver.app import RunningServer, running_server
from realtime_conformance.mockserver.control import connection_summary
from realtime_conformance.mockserver.options import ServerOptions, SimulatedModel
from realtime_conformance.mockserver.state import ConnectionRecord, MockState
from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.scenario import Scenario, parse_scenario
from realtime_conformance.rtproto.server.realtime.timing import Timing

T = TypeVar("T")
API_KEY = "sk-realtime-mock-0000"  # any non-empty key is accepted; this one reads as a test's
INLINE_FILE = "<inline scenario>"
INLINE_DEFAULTS = {
    "title": "Inline scenario",
    "requirement": "The client MUST follow the test's inline scenario.",
    "dialects": ["ga", "beta"],
}
CALL_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 5.0  # how long transcript/assertions wait for connections to end


def default_options(seed: int | None = None) -> ServerOptions:
    """Port 0 on loopback, the simulated model without delays, no pings."""
    model = SimulatedModel(timing=Timing.instant())
    return ServerOptions(behaviour_factory=model, ping_interval_s=None, seed=seed)


class RealtimeMock:
    """A running mock server and a small API over it (see the module's docstring)."""

    def __init__(self, options: ServerOptions | None = None) -> None:
        self.options = replace(options or default_options(), port=0)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._context: Any = None
        self._server: RunningServer | None = None
        self._inline: dict[str, Any] | None = None
        self._numbers = itertools.count(1)

    # --- life ------------------------------------------------------------------------------
    def start(self) -> RealtimeMock:
        # Read the event catalogue here: the AsyncAPI parser's import sets a signal handler,
        # which Python allows in the main thread only, not in the server's.
        load_catalogue()
        self._thread.start()
        self._context = running_server(self.options)
        self._server = self._call(self._context.__aenter__())
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._call(self._context.__aexit__(None, None, None))
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CALL_TIMEOUT_S)
        self._loop.close()

    def __enter__(self) -> RealtimeMock:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget the connections that ended and the scenario: the simulated model again."""
        self._inline = None
        self._in_loop(self.state.forget)

    # --- where it is -----------------------------------------------------------------------
    @property
    def server(self) -> RunningServer:
        if self._server is None:
            raise RuntimeError("the mock is not running: use it as a context manager or start()")
        return self._server

    @property
    def state(self) -> MockState:
        return self.server.state

    @property
    def websocket_base_url(self) -> str:
        """`websocket_base_url` for the SDK (`ws://127.0.0.1:PORT/v1`)."""
        return self.server.url

    @property
    def base_url(self) -> str:
        """`base_url` for the SDK's HTTP APIs (`http://127.0.0.1:PORT/v1`)."""
        return f"{self.server.http_url}/v1"

    @property
    def api_key(self) -> str:
        return API_KEY

    @property
    def seed(self) -> int:
        return self.state.seed

    def client_options(self) -> dict[str, str]:
        """Keyword arguments for `openai.OpenAI(...)` / `AsyncOpenAI(...)`."""
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "websocket_base_url": self.websocket_base_url,
        }

    # --- what it plays ---------------------------------------------------------------------
    def scenario(self, source: str | Mapping[str, Any]) -> Scenario:
        """Play this scenario (YAML text or a dict, schemas/scenario.schema.json) on every new
        connection and HTTP request; raises rtproto.scenario.ScenarioError with file:line:col
        problems when it is wrong."""
        data = dict(source) if isinstance(source, Mapping) else None
        text = textwrap.dedent(source) if isinstance(source, str) else ""
        if data is None:
            loaded = yaml.safe_load(text)
            data = loaded if isinstance(loaded, dict) else {}
        missing = {"id": f"999.{next(self._numbers)}", **INLINE_DEFAULTS}
        added = {key: value for key, value in missing.items() if key not in data}
        if isinstance(source, Mapping):
            text = yaml.safe_dump({**data, **added}, sort_keys=False)
        elif added:  # after the user's lines, so the loader's line numbers stay theirs
            text = text.rstrip("\n") + "\n" + yaml.safe_dump(added, sort_keys=False)
        scenario = parse_scenario(text, INLINE_FILE)
        self._inline = {**data, **added}
        self._in_loop(self._select, scenario)
        return scenario

    def fault(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> Scenario:
        """Add a fault (the `faults:` entries of the scenario format, e.g.
        `fault(after="response.output_text.delta", drop={"code": 1011})`) to the scenario being
        played; the next connections get it."""
        if self._inline is None:
            raise RuntimeError("realtime_mock.fault() needs a scenario: call .scenario() first")
        faults = [*self._inline.get("faults", []), {**(spec or {}), **fields}]
        return self.scenario({**self._inline, "faults": faults})

    def simulated_model(self) -> None:
        """Back to the simulated model for new connections."""
        self._inline = None
        self._in_loop(self.state.select_scenario, None)

    def _select(self, scenario: Scenario) -> None:
        self.state.scenarios.add(scenario)
        self.state.select_scenario(scenario.id)

    # --- what it saw -----------------------------------------------------------------------
    def wait_closed(self, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait until every connection has ended (True), or `timeout_s` (False)."""
        deadline = time.monotonic() + timeout_s
        while any(not record.done.is_set() for record in self._records()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    @property
    def transcript(self) -> list[dict[str, Any]]:
        """Every line recorded since the reset, connection after connection (the transcript
        format of rtproto.transcript, each line with its `connection` id)."""
        self.wait_closed()
        return [
            {**json.loads(line), "connection": record.connection_id}
            for record in self._records()
            for line in list(record.recording.lines)
        ]

    @property
    def client_events(self) -> list[dict[str, Any]]:
        """The events the client sent, in order."""
        lines = self.transcript
        return [line["event"] for line in lines if line.get("dir") == "client" and "event" in line]

    def connections(self) -> list[dict[str, Any]]:
        """What the control API says of each connection (with the verdict under a scenario)."""
        self.wait_closed()
        state = self.state
        return self._in_loop(
            lambda: [connection_summary(state, record) for record in state.connections.values()]
        )

    def assert_no_unmatched(self) -> None:
        """Fail when, under a scenario, the client sent an event no rule took, left a rule with
        a count short, or made an expression find nothing (conformance.checks.scenario_rules)."""
        found = [
            f"{summary['id']}: {what}"
            for summary in self.connections()
            if summary["verdict"] == "fail"
            for what in [*summary["unmatched"], *summary["unmet"], *summary["problems"]]
        ]
        if found:
            raise AssertionError("the client did not follow the scenario:\n" + "\n".join(found))

    def _records(self) -> list[ConnectionRecord]:
        return self._in_loop(lambda: list(self.state.connections.values()))

    # --- the loop's thread -----------------------------------------------------------------
    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT_S)

    def _in_loop(self, function: Callable[..., T], *args: Any) -> T:
        async def call() -> T:
            return function(*args)

        return self._call(call())
