"""What one mock server keeps across connections: the recent connections and their
transcripts, the live pumps (to close them on shutdown), and, in test mode, invalid events."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from realtime_conformance.mockserver.options import BehaviourFactory, ConnectionInfo, ServerOptions
from realtime_conformance.mockserver.pump import EventCheck
from realtime_conformance.mockserver.recorder import Recording
from realtime_conformance.mockserver.scenarios import (
    ScenarioLibrary,
    ScenarioRefusal,
    requested_scenario,
    scenario_factory,
)
from realtime_conformance.rtproto.catalogue import Api
from realtime_conformance.rtproto.scenario import Scenario
from realtime_conformance.rtproto.server.chat.service import ChatService
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.play.http import HttpScenario
from realtime_conformance.rtproto.server.ratelimit import RateLimitPolicy
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.responses.service import ResponsesService
from realtime_conformance.rtproto.validation import EventValidator, Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """A request refused before any connection was opened for it (a plain GET of the WebSocket
    endpoint): the control API lists them with refused handshakes."""

    path: str
    status: int
    reason: str
    at: float = field(default_factory=time.time)  # wall clock, for the reader

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "reason": self.reason, "at": self.at}


class Watcher(Protocol):
    """Told of each connection as it ends and each refusal (`serve`'s log on stderr)."""

    def closed(self, record: ConnectionRecord) -> None: ...

    def refused(self, refusal: Refusal) -> None: ...


class LiveConnection(Protocol):
    """An open connection's pump, as the state knows it: to close it on shutdown."""

    recording: Recording

    async def shut_down(self) -> None: ...


@dataclass(frozen=True)
class InvalidEvent:
    """A server event that failed its schema, caught as it was sent (test mode)."""

    connection_id: str
    dialect: str
    event: dict[str, Any]
    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        listed = "; ".join(str(problem) for problem in self.problems)
        return f"{self.connection_id} ({self.dialect}): {listed}"


@dataclass
class ConnectionRecord:
    """One connection, open or finished."""

    info: ConnectionInfo
    recording: Recording
    rejected: str | None = None  # the handshake error code, when the handshake was refused
    rejection_message: str | None = None  # and its `error` event's message
    done: asyncio.Event = field(default_factory=asyncio.Event)
    # While the connection is open; dropped when it closes (a simulated session holds ~100 KB),
    # leaving what the control API reports of it: whether a scenario played it, its problems.
    behaviour: Behaviour | None = None
    scripted: bool | None = None  # None: no behaviour (an HTTP exchange)
    scenario_problems: tuple[str, ...] = ()

    @property
    def connection_id(self) -> str:
        return self.info.connection_id

    async def finished(self) -> ConnectionRecord:
        """Wait until the connection has ended and its transcript file is complete."""
        await self.done.wait()
        return self

    def summary(self) -> dict[str, Any]:
        path = self.recording.path
        return {
            "id": self.connection_id,
            "open": not self.done.is_set(),
            "path": self.info.path,
            "dialect": self.info.dialect,
            "model": self.info.model,
            "intent": self.info.intent,
            "rejected": self.rejected,
            "transcript": str(path) if path else None,
            "lines": len(self.recording.lines),
            "lines_past_cap": self.recording.dropped_lines,
        }  # the control API adds the scenario's judgement (mockserver.scenario_summary)


SEED_RANGE = 1_000_000  # short enough to read off a log line and type back


def fresh_seed() -> int:
    """A server's seed when none is given (shown in the ready line and every transcript)."""
    return secrets.randbelow(SEED_RANGE)


class MockState:
    """Shared by every connection of one server."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.seed = options.seed if options.seed is not None else fresh_seed()
        # What plays a connection that names no scenario; tests may replace it.
        self.behaviour_factory: BehaviourFactory = options.behaviour_factory
        self.scenarios = ScenarioLibrary(options.scenarios_dir, options.extra_scenarios)
        self.selected_scenario: str | None = options.scenario  # set by the control API
        self.responses = ResponsesService(self.seed, options.http_pacing)
        self.chat = ChatService(self.seed, options.http_pacing)
        self.rate_limits = RateLimitPolicy(options.rate_limits) if options.rate_limits else None
        self._http_players: dict[str, HttpScenario] = {}
        self.connections: OrderedDict[str, ConnectionRecord] = OrderedDict()
        self.refusals: deque[Refusal] = deque(maxlen=options.connections_kept)
        self.watchers: list[Watcher] = []
        self.live: set[LiveConnection] = set()
        self.invalid_events: list[InvalidEvent] = []
        self.cert_path: str | None = None
        self._validator: EventValidator | None = None
        self._numbers = itertools.count(1)
        if options.validate_events:
            self.validator()  # now, so the first connection's timing is not skewed by it

    def select_scenario(self, scenario_id: str | None) -> None:
        """Choose the scenario for what comes next (None: the simulated models); a scenario
        chosen again starts afresh."""
        self.selected_scenario = scenario_id
        self._http_players.clear()

    def selected_realtime_scenario(self) -> str | None:
        """The server-wide choice, when it is a Realtime scenario (HTTP ones play elsewhere)."""
        chosen = self.scenarios.by_id.get(self.selected_scenario or "")
        return chosen.id if chosen is not None and chosen.api == "realtime" else None

    def scenario_refusal(self, info: ConnectionInfo) -> ScenarioRefusal | None:
        scenario_id = requested_scenario(info, self.selected_realtime_scenario())
        return None if scenario_id is None else self.scenarios.refusal(scenario_id, info.dialect)

    def make_behaviour(self, record: ConnectionRecord) -> Behaviour:
        """The connection's behaviour (its scenario's player, or the fallback), kept on record."""
        selected = self.selected_realtime_scenario()
        factory = scenario_factory(self.scenarios, selected, self.behaviour_factory)
        behaviour = record.behaviour = factory(record.info)
        record.scripted = isinstance(behaviour, ScenarioPlayer)
        return behaviour

    def http_player(self, scenario: Scenario) -> HttpScenario:
        """The player of an HTTP scenario, kept while the scenario stays chosen."""
        player = self._http_players.get(scenario.id)
        if player is None:
            player = HttpScenario(scenario, seed=self.seed, epoch_s=int(time.time()))
            self._http_players[scenario.id] = player
        return player

    def add_http_player(self, player: HttpScenario) -> None:
        """Play the requests naming `player`'s scenario id with this player (a harness that
        needs a player of its own, e.g. one that refuses the first request)."""
        self._http_players[player.scenario.id] = player

    def forget_scenario(self, scenario_id: str) -> None:
        """Drop a scenario added for one run, and its HTTP player."""
        self.scenarios.by_id.pop(scenario_id, None)
        self._http_players.pop(scenario_id, None)

    def new_connection_id(self) -> str:
        return f"conn-{next(self._numbers):04d}-{secrets.token_hex(4)}"

    def open_connection(self, info: ConnectionInfo, rejected: str | None) -> ConnectionRecord:
        record_dir = self.options.record_dir
        path = record_dir / f"{info.connection_id}.jsonl" if record_dir else None
        keep = self.options.transcripts_in_memory
        cap = self.options.transcript_cap_bytes
        recording = Recording(
            info.connection_id, time.monotonic(), path, keep_lines=keep, cap_bytes=cap
        )
        record = ConnectionRecord(info, recording, rejected)
        self.connections[info.connection_id] = record
        while len(self.connections) > self.options.connections_kept:
            self.connections.popitem(last=False)
        return record

    def close_connection(self, record: ConnectionRecord) -> None:
        """The connection has ended: its file is complete, and its session is let go."""
        if isinstance(record.behaviour, ScenarioPlayer):
            record.scenario_problems = tuple(record.behaviour.problems)
        record.behaviour = None
        record.recording.finish()
        record.done.set()
        for watcher in self.watchers:
            watcher.closed(record)

    def refuse(self, path: str, status: int, reason: str) -> None:
        """Keep a refusal made before any connection was opened (see Refusal)."""
        refusal = Refusal(path, status, reason)
        self.refusals.append(refusal)
        for watcher in self.watchers:
            watcher.refused(refusal)

    def refused_handshakes(self) -> list[dict[str, Any]]:
        """Handshakes refused after the upgrade (the API's error and close) and requests refused
        before it, oldest first within each kind."""
        upgraded = [
            {
                "id": r.connection_id,
                "path": r.info.path,
                "status": 101,
                "reason": r.rejected,
                "message": r.rejection_message,
            }
            for r in self.connections.values()
            if r.rejected is not None
        ]
        return upgraded + [refusal.as_dict() for refusal in self.refusals]

    def forget(self) -> None:
        """Drop what was kept of finished connections and refusals, and the scenario choice
        (the pytest fixture, between tests); open connections go on."""
        for key in [key for key, record in self.connections.items() if record.done.is_set()]:
            del self.connections[key]
        self.refusals.clear()
        self.select_scenario(None)

    def event_check(
        self, connection_id: str, dialect: str, api: Api = "realtime"
    ) -> EventCheck | None:
        """A per-connection validator of outgoing events, or None outside test mode."""
        if not self.options.validate_events:
            return None
        validator = self.validator()
        dialect = dialect if api == "realtime" else ""

        def check(event: dict[str, Any]) -> None:
            problems = validator.validate(event, api, dialect)
            if problems:
                invalid = InvalidEvent(connection_id, dialect, event, tuple(problems))
                log.warning("invalid server event: %s", invalid)
                self.invalid_events.append(invalid)

        return check

    def validator(self) -> EventValidator:
        if self._validator is None:  # built once: loading the catalogue is the slow part
            self._validator = EventValidator()
        return self._validator


STATE = web.AppKey("mock_state", MockState)  # where an application keeps its MockState
