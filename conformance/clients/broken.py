"""Deliberately broken variants of the reference client: each is the reference driver with one
rule of rtproto.client.ClientRules overridden (a few lines), so the suite can show that its
checks catch the classic client bugs. `--client conformance.clients.broken:NAME` loads one;
`BROKEN` lists them with the bug each one has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from realtime_conformance.conformance.drivers.reference import ReferenceDriver
from realtime_conformance.rtproto.client import ClientProtocol, Intent
from realtime_conformance.rtproto.client.state import Event, FunctionCall


class TruncatesAtReceived(ClientProtocol):
    def truncate_point(self, played_ms: int, received_ms: int) -> int | None:
        return received_ms  # the audio received, seconds ahead of what the caller heard


class NeverTruncates(ClientProtocol):
    def truncate_point(self, played_ms: int, received_ms: int) -> int | None:
        return None


class NoClearOnBargeIn(ClientProtocol):
    def stops_playout_on_speech(self) -> bool:
        return False  # plays on over the caller (and so never truncates either)


class CreateBeforeOutput(ClientProtocol):
    def function_call_answer(
        self, calls: list[FunctionCall], outputs: dict[str, str]
    ) -> list[Intent]:
        intents = super().function_call_answer(calls, outputs)
        return intents[-1:] + intents[:-1]  # response.create first, the outputs after it


class SecondCreateWhileActive(ClientProtocol):
    def may_create_response(self) -> bool:
        return True  # never queues: conversation_already_has_active_response


class IgnoresSpeechStarted(ClientProtocol):
    def on_speech_started(self, event: Event) -> list[Intent]:
        return []


class CrashesOnUnknownEvent(ClientProtocol):
    def on_unknown_event(self, event: Event) -> list[Intent]:
        raise RuntimeError(f"unexpected event {event.get('type')!r}")


class CrashingDriver(ReferenceDriver):
    """The client dies (its socket goes down) when its protocol raises."""

    dying: set[asyncio.Task[None]]

    async def start(self, endpoints: Any, reports: Any) -> None:
        self.dying = set()
        await super().start(endpoints, reports)
        client = self._client()
        client.on_protocol_error = lambda event, failure: self._die()  # type: ignore[method-assign]

    def _die(self) -> None:
        """Drop the connection at once (the media bridge is left alone: closing it first could
        take long enough for the next step to go through). The task is kept: the loop holds
        tasks only weakly."""
        task = asyncio.get_running_loop().create_task(self._client().shutdown())
        self.dying.add(task)
        task.add_done_callback(self.dying.discard)


class InvalidSessionUpdateDriver(ReferenceDriver):
    """Sends a session.update with a field no schema knows, skipping the client's checks."""

    async def configure(self, session: Mapping[str, Any]) -> None:
        endpoints = self.endpoints
        config: dict[str, Any] = {"voice_speed_factor": 2}  # no such field in either dialect
        if endpoints is None or endpoints.dialect == "ga":
            config = {"type": "realtime", **session, **config}
        event = {"type": "session.update", "session": config}
        await self._client().write_unchecked(event)


def _with(protocol: type[ClientProtocol], name: str) -> Callable[[], ReferenceDriver]:
    return lambda: ReferenceDriver(protocol_factory=protocol, name=f"broken:{name}")


truncates_at_received = _with(TruncatesAtReceived, "truncates_at_received")
never_truncates = _with(NeverTruncates, "never_truncates")
no_clear_on_barge_in = _with(NoClearOnBargeIn, "no_clear_on_barge_in")
create_before_output = _with(CreateBeforeOutput, "create_before_output")
second_create_while_active = _with(SecondCreateWhileActive, "second_create_while_active")
ignores_speech_started = _with(IgnoresSpeechStarted, "ignores_speech_started")


def crashes_on_unknown_event() -> ReferenceDriver:
    return CrashingDriver(CrashesOnUnknownEvent, "broken:crashes_on_unknown_event")


def invalid_session_update() -> ReferenceDriver:
    return InvalidSessionUpdateDriver(name="broken:invalid_session_update")


BROKEN: dict[str, tuple[Callable[[], ReferenceDriver], str]] = {
    "truncates_at_received": (truncates_at_received, "truncates at the audio received, not heard"),
    "never_truncates": (never_truncates, "stops playout on barge-in but never truncates"),
    "no_clear_on_barge_in": (no_clear_on_barge_in, "plays on over the caller on barge-in"),
    "create_before_output": (create_before_output, "response.create before function_call_output"),
    "second_create_while_active": (
        second_create_while_active,
        "a second response.create while one is active",
    ),
    "ignores_speech_started": (ignores_speech_started, "ignores speech_started altogether"),
    "crashes_on_unknown_event": (crashes_on_unknown_event, "dies on an event it does not know"),
    "invalid_session_update": (invalid_session_update, "sends a session.update no schema accepts"),
}
