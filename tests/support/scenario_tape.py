"""Transcripts of scripted players driven by hand, as the mock's pumps record them, so that tests
judge a play the way the mock's control API and the conformance checks do: from the transcript
alone (conformance.checks.scenario_rules).

    player = RecordedPlayer(scenario, seed=2)        # a ScenarioPlayer that keeps `lines`
    ...drive it (BehaviourClock, rules_client.play(..., make_player=RecordedPlayer))...
    judge_scenario(scenario, player.lines)

    tape = HttpTape(HttpScenario(scenario))          # each request an exchange, one after another
    stream = tape.open(body, now)                    # None when no rule took it (400 recorded)
"""

from __future__ import annotations

import json
from typing import Any

from realtime_conformance.rtproto.api_errors import ApiError
from realtime_conformance.rtproto.server.play import (
    HttpScenario,
    ScenarioPlayer,
    ScenarioStream,
    UnmatchedRequest,
)
from realtime_conformance.rtproto.server.realtime.outbox import (
    Abort,
    Close,
    Note,
    Outgoing,
    Send,
    SendRaw,
)
from tests.support.virtual_clock import VirtualClock

COMPACT = (",", ":")


def line(now: float, direction: str, key: str, value: Any) -> str:
    record = {"t_ms": round(now * 1000, 1), "dir": direction, key: value}
    return json.dumps(record, separators=COMPACT)


def item_line(now: float, item: Outgoing) -> str:
    """One outgoing item as the pump records it (a Note as a meta line, never sent)."""
    if isinstance(item, Note):
        return line(now, "meta", "meta", item.meta)
    if isinstance(item, Send):
        return line(now, "server", "event", item.event)
    if isinstance(item, SendRaw):
        text = item.data if isinstance(item.data, str) else ""
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return line(now, "server", "event", value)
        return line(now, "server", "frame", {"opcode": "TEXT", "data": text})
    if isinstance(item, Close):
        return line(now, "meta", "meta", {"kind": "close", "from": "server", "code": item.code})
    assert isinstance(item, Abort)
    return line(now, "meta", "meta", {"kind": "abort", "from": "server"})


class RecordedPlayer(ScenarioPlayer):
    """A ScenarioPlayer that records, like the pump, every client event it is handed, every
    note it takes and everything it sends, in the transcript format (a GA connection)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: list[str] = []

    def _note(self, meta: dict[str, Any], now: float) -> None:
        """Recorded when taken, as the pump records it at its next flush, right after the input
        (tests may hand over several inputs before they collect what is due)."""
        self.lines.append(line(now, "meta", "meta", meta))

    def on_client_event(self, event: dict[str, Any], now: float) -> None:
        self.lines.append(line(now, "client", "event", event))
        super().on_client_event(event, now)

    def on_client_closed(self, now: float) -> None:
        self.lines.append(line(now, "meta", "meta", {"kind": "close", "from": "client"}))
        super().on_client_closed(now)

    def due(self, now: float) -> list[Outgoing]:
        items = super().due(now)
        self.lines += [item_line(now, item) for item in items]
        return items


class HttpTape:
    """The exchanges of one HttpScenario, recorded one after another."""

    def __init__(self, scenario: HttpScenario) -> None:
        self.scenario = scenario
        self.lines: list[str] = []

    def open(self, body: dict[str, Any], now: float) -> RecordedStream | None:
        """The request's stream; None when it was refused (its notes and 400 recorded)."""
        request = {"kind": "http_request", "method": "POST", "body": body}
        self.lines.append(line(now, "meta", "meta", request))
        try:
            return RecordedStream(self.scenario.open(body, now), self.lines)
        except UnmatchedRequest as refused:
            self.lines += [item_line(now, note) for note in refused.notes]
            self._answered(now, refused)
            return None

    def _answered(self, now: float, error: ApiError) -> None:
        answer = {"kind": "http_response", "status": error.status, "body": error.body()}
        self.lines.append(line(now, "meta", "meta", answer))


class RecordedStream:
    """A ScenarioStream whose items are recorded as they come due."""

    def __init__(self, stream: ScenarioStream, lines: list[str]) -> None:
        self.stream = stream
        self.lines = lines

    @property
    def finished(self) -> bool:
        return self.stream.finished

    def next_deadline(self) -> float | None:
        return self.stream.next_deadline()

    def due(self, now: float) -> list[Outgoing]:
        items = self.stream.due(now)
        self.lines += [item_line(now, item) for item in items]
        return items

    def drain(self) -> list[Outgoing]:
        """Everything it sends, deadline by deadline."""
        return [item for _, item in VirtualClock(self).run_out()]
