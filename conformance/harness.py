"""The OpenAI side of the suite: one mock server per process (port 0), shared by the cases.

Each case run gets a token; its URL carries it (`conformance_run=...`), so the case's
connections are found among everyone's, and the mock's behaviour factory plays what the case
states for them: its scenario, or the simulated model with its settings, seeded from the case.
What the runner waits on (server events, the scenario's rules met, the connection closed) is
read from the mock's live records.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from realtime_conformance.conformance.harness_http import (
    forget_http_run,
    of_http_run,
    register_http_run,
)
from realtime_conformance.conformance.loop_lag import LoopLag
from realtime_conformance.conformance.run_options import DEFAULT_CONCURRENCY
from realtime_conformance.mockserver.app import RunningServer, running_server
from realtime_conformance.mockserver.options import ConnectionInfo, ServerOptions, SimulatedModel
from realtime_conformance.mockserver.state import ConnectionRecord
from realtime_conformance.rtproto.scenario import notes
from realtime_conformance.rtproto.scenario.spec import Rule, Scenario
from realtime_conformance.rtproto.server.play import ScenarioPlayer
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing

RUN_PARAMETER = "conformance_run"
API_KEY = "sk-conformance-suite"
MODEL = "gpt-realtime"
CASE_SEEDS = 10_000  # case seeds (conformance.runner) are below this; the run's seed above
RULE_NOTE = f'"kind":"{notes.RULE}"'


def simulated_model(settings: Mapping[str, Any]) -> SimulatedModel:
    """The simulated model a case states (`case: server: simulated: {...}`)."""
    timing = Timing.instant() if settings.get("timing") == "instant" else Timing.realistic()
    realtime = settings.get("audio_delivery") == "realtime"
    delivery = AudioDelivery.realtime() if realtime else AudioDelivery.burst()
    return SimulatedModel(
        timing=timing,
        session_limit_s=float(settings.get("session_limit_s", 3600.0)),
        audio_delivery=delivery,
        vad_frame_ms=int(settings.get("vad_frame_ms", 10)),
        transcription_fails=bool(settings.get("transcription_fails", False)),
    )


@dataclass
class OpenAISide:
    """The mock server of one process and the simulated-model settings of the cases on it."""

    server: RunningServer
    plays: dict[str, Callable[[ConnectionInfo], Behaviour]] = field(default_factory=dict)
    _tokens: itertools.count[int] = field(default_factory=itertools.count)
    _counted: dict[str, _Counted] = field(default_factory=dict)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(DEFAULT_CONCURRENCY))
    lag: LoopLag = field(default_factory=LoopLag)
    _streams: int = 0
    _quiet: asyncio.Event = field(default_factory=asyncio.Event)
    claims: dict[str, str] = field(default_factory=dict)  # connection id -> run token
    _claimants: list[str] = field(default_factory=list)
    unclaimed: int = 0  # connections without a run token while several runs claimed

    @contextlib.contextmanager
    def claiming(self, token: str) -> Iterator[None]:
        """While the block runs, a Realtime connection whose URL has no run token belongs to
        this run if it is the only one claiming: a connector started before the run knows
        the mock's URL but not the case's (conformance.drivers.connector); its cases run one
        at a time."""
        self._claimants.append(token)
        try:
            yield
        finally:
            self._claimants.remove(token)

    def _run_of(self, info: ConnectionInfo) -> str:
        token = info.query.get(RUN_PARAMETER)
        if token is None and len(self._claimants) == 1:
            token = self.claims[info.connection_id] = self._claimants[0]
        elif token is None and self._claimants:
            self.unclaimed += 1
        return token or ""

    def unclaimed_note(self) -> str:
        """Why a connector case may have seen no connection: its service left the run token
        out of its Realtime URL while other connector cases were live."""
        if not self.unclaimed:
            return ""
        return (
            f" ({self.unclaimed} Realtime connection(s) without a run token came while several "
            "connector cases were live: a connector must open OPENAI_REALTIME_URL as given, its "
            "query names the case; or run the cases one at a time with --concurrency 1)"
        )

    @asynccontextmanager
    async def streaming(self, real_time: bool) -> AsyncIterator[None]:
        """Mark a real-time case as streaming for the block (nothing for an ordering case)."""
        if not real_time:
            yield
            return
        self._streams += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._streams -= 1
            if self._streams == 0:
                self._quiet.set()

    async def quiet(self) -> None:
        """Wait until no real-time case is streaming: CPU-heavy work (judging) waits for it,
        so that it does not slow the media pacing those cases measure."""
        if self._streams:
            await self._quiet.wait()

    def behaviour(self, info: ConnectionInfo) -> Behaviour:
        """The mock's behaviour factory: what the connection's case plays (its scenario, or
        the simulated model with its settings)."""
        play = self.plays.get(self._run_of(info))
        return play(info) if play is not None else SimulatedModel()(info)

    def new_run(
        self,
        scenario: Scenario,
        simulated: Mapping[str, Any] | None,
        seed: int,
        expect: Mapping[str, Any] | None = None,
    ) -> str:
        """A token for one case run. Its connections are seeded from the case, not from their
        order on this mock, so ids are the same whichever worker runs the case and when.
        An HTTP case's requests name the token in a header (conformance.harness_http)."""
        token = f"r{next(self._tokens):04d}-{secrets.token_hex(3)}"
        seed += CASE_SEEDS * self.server.state.seed  # the run's seed (results.json run.seed)
        if scenario.api != "realtime":
            register_http_run(self.server.state, token, scenario, seed, expect or {})
        elif simulated is not None:
            model = simulated_model(simulated)
            # The model seeds from the id less its last part (mockserver.options): keep the seed.
            case_connection = f"conn-{seed}-case"
            self.plays[token] = lambda info: model(replace(info, connection_id=case_connection))
        else:
            self.plays[token] = lambda info: ScenarioPlayer(
                scenario, seed=seed, model=info.model or MODEL, epoch_s=int(time.time())
            )
        return token

    def realtime_url(self, token: str) -> str:
        query = {"model": MODEL, RUN_PARAMETER: token}
        return f"{self.server.url}/realtime?{urlencode(query)}"

    @property
    def http_base_url(self) -> str:
        return f"{self.server.http_url}/v1"

    def connections(self, token: str) -> list[ConnectionRecord]:
        return [
            c
            for c in self.server.connections
            if c.info.query.get(RUN_PARAMETER) == token
            or self.claims.get(c.connection_id) == token
            or of_http_run(c, token)
        ]

    def rules_met(self, token: str, scenario: Scenario) -> bool:
        return bool(self.connections(token)) and not self.unmet_rules(token, scenario)

    def server_events(self, token: str, event_type: str) -> int:
        """How many `event_type` events the mock has sent on the run's connections (read
        incrementally: each line is parsed once)."""
        total = 0
        for record in self.connections(token):
            counted = self._counted.setdefault(record.connection_id, _Counted())
            counted.read(record.recording.lines)
            total += counted.types.get(event_type, 0)
        return total

    def unmet_rules(self, token: str, scenario: Scenario) -> list[Rule]:
        """The scenario's rules with a finite `times` that have taken fewer events than that,
        as the player's `scenario.rule` notes in the transcript say."""
        taken: Counter[int] = Counter()
        for record in self.connections(token):
            counted = self._counted.setdefault(record.connection_id, _Counted())
            counted.read(record.recording.lines)
            taken += counted.rules
        return [r for r in scenario.rules if r.limit is not None and taken[r.index] < r.limit]

    def closed(self, token: str) -> bool:
        """Every connection of the run has ended (and there was one)."""
        found = self.connections(token)
        return bool(found) and all(c.done.is_set() for c in found)

    async def finished(self, token: str, timeout_s: float) -> None:
        """Give the run's connections `timeout_s` to finish writing their transcripts."""
        for record in self.connections(token):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(record.finished(), timeout_s)

    def forget(self, token: str) -> None:
        """Drop what the mock keeps of a finished run (transcripts are in the results)."""
        self.plays.pop(token, None)
        forget_http_run(self.server.state, token)
        for record in self.connections(token):
            self._counted.pop(record.connection_id, None)
            self.claims.pop(record.connection_id, None)
            self.server.state.connections.pop(record.connection_id, None)


@dataclass
class _Counted:
    """Server event types seen so far on one connection, and how far its lines were read."""

    read_to: int = 0
    types: Counter[str] = field(default_factory=Counter)
    rules: Counter[int] = field(default_factory=Counter)

    def read(self, lines: list[str]) -> None:
        for line in lines[self.read_to :]:
            if '"dir":"server"' in line and '"event"' in line:
                event = json.loads(line).get("event")
                if isinstance(event, dict):
                    self.types[str(event.get("type"))] += 1
            elif RULE_NOTE in line:
                meta = json.loads(line).get("meta") or {}
                if meta.get("kind") == notes.RULE:
                    self.rules[int(meta["rule"])] += 1
        self.read_to = len(lines)


@asynccontextmanager
async def openai_side(seed: int = 0, port: int = 0) -> AsyncIterator[OpenAISide]:
    """A mock on 127.0.0.1, `port` (0: any free one), for as long as the block runs; `seed` is
    the run's (ids and text of every case are seeded from it and the case: `run --seed N`
    replays a run)."""
    side: OpenAISide | None = None

    def fallback(info: ConnectionInfo) -> Behaviour:
        assert side is not None
        return side.behaviour(info)

    options = ServerOptions(
        behaviour_factory=fallback, connections_kept=100_000, seed=seed, port=port
    )
    async with running_server(options) as server:
        side = OpenAISide(server)
        watching = asyncio.create_task(side.lag.watch())
        try:
            yield side
        finally:
            watching.cancel()
