"""The official `openai` SDK against the simulated model over a real socket: an audio call.

The caller streams PCM16 in 20 ms chunks at real time, each chunk sent on an absolute deadline
(start + n * 20 ms on the event loop's clock, never sleep-and-hope). The call:

1. A turn under server VAD: speech_started / speech_stopped with the audio timeline's numbers,
   the committed user item, and the automatic response with its audio.
2. Barge-in: 800 ms into the answer's playout the caller speaks again; the server cancels the
   answer (`cancelled` / `turn_detected`).
3. Truncate: the client plays the received audio at real time from its first delta and stops
   when speech_started arrives; the milliseconds it played are its `audio_end_ms`. The server
   must echo them in `conversation.item.truncated` and keep exactly the words said in full by
   then (the simulator's word timing: 350 ms a word, rtproto.audio.synth).
4. The interrupting turn gets its own answer.

Every received event is validated strictly against the SDK's GA union. Tolerances (stated here,
checked from recorded timestamps): VAD numbers within one 10 ms frame of the audio timeline;
each VAD event within 250 ms of the chunk that completed its decision, as the client saw it and
as the server recorded it (from its own transcript: never before the append that completed the
decision arrived, and within 250 ms of it). How late the test's own sender was on its deadlines
measures the machine, not our code: it is printed (with -s), not asserted, and a client-side
latency is read less the sender's lateness over the same stretch (the mock, the SDK and the
sender share one event loop: a stall delays them all alike); the audio timeline, not the wall
clock, decides the VAD numbers.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from openai import AsyncOpenAI
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from realtime_conformance.mockserver.options import ConnectionInfo
from realtime_conformance.rtproto.audio import synth
from realtime_conformance.rtproto.audio.codecs import b64encode_audio
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.catalogue import load_catalogue
from realtime_conformance.rtproto.schema_store import SchemaStore
from realtime_conformance.rtproto.server.realtime.behaviour import Behaviour
from realtime_conformance.rtproto.server.realtime.session import RealtimeSession, SessionOptions
from realtime_conformance.rtproto.server.realtime.session_config import SERVER_VAD
from realtime_conformance.rtproto.server.realtime.timing import AudioDelivery, Timing
from realtime_conformance.rtproto.transcript import parse_lines
from tests.support.mock_behaviours import run, serving
from tests.support.sdk_types import sdk_adapter


def ga_union() -> TypeAdapter[Any]:
    """Built on first use (~0.7 s): every xdist worker collects this module, one runs it."""
    return sdk_adapter(RealtimeServerEvent)


CHUNK_MS = 20
LEAD_IN_MS, TURN_MS = 500, 800  # turn 1: speech 500..1300 ms of the caller's audio
BARGE_IN_AFTER_S = 0.8  # into the answer's playout: two words heard
BARGE_IN_MS = 600
VAD_LATENCY_LIMIT_S = 0.25
STALL_SLACK_S = 0.1
FRAME_MS = 10
# Quick reactions, but the answer is generated at 2x real time, so it is still in progress
# (for a second or more) when the caller barges in.
TIMING = replace(
    Timing.realistic(),
    session_updated=0.005,
    reply=0.005,
    error=0.005,
    response_created=0.03,
    first_delta=0.05,
    vad=0.01,
)


def simulated(info: ConnectionInfo) -> Behaviour:
    options = SessionOptions(seed=11, timing=TIMING, audio_delivery=AudioDelivery.burst(2.0))
    return RealtimeSession(options)


@dataclass
class Caller:
    """Streams the caller's audio at real time: silence, turn 1, silence, and on cue a barge-in."""

    connection: Any
    start: float = 0.0
    barge_in_at: float | None = None  # loop time from which to speak again
    barge_in_ms: int | None = None  # where on the audio timeline the barge-in began
    sent: list[tuple[float, float, int]] = field(default_factory=list)  # deadline, sent, end ms
    script: bytes = synth.silence(LEAD_IN_MS) + synth.speech(TURN_MS, seed=1)
    speech_again: bytes = synth.speech(BARGE_IN_MS, seed=2)

    def chunk_at(self, position_ms: int, now: float) -> bytes:
        size = PCM16.bytes_for_ms(CHUNK_MS)
        offset = PCM16.bytes_for_ms(position_ms)
        if offset < len(self.script):
            return self.script[offset : offset + size]
        if self.barge_in_ms is None and self.barge_in_at is not None and now >= self.barge_in_at:
            self.barge_in_ms = position_ms
        if self.barge_in_ms is not None:
            into = PCM16.bytes_for_ms(position_ms - self.barge_in_ms)
            if into < len(self.speech_again):
                return self.speech_again[into : into + size]
        return synth.silence(CHUNK_MS)

    async def stream(self) -> None:
        loop = asyncio.get_running_loop()
        self.start = loop.time()
        position = 0
        while True:
            deadline = self.start + (position + CHUNK_MS) / 1000  # when the chunk is complete
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            chunk = self.chunk_at(position, loop.time())
            await self.connection.input_audio_buffer.append(audio=b64encode_audio(chunk))
            position += CHUNK_MS
            self.sent.append((deadline, loop.time(), position))

    def sent_at(self, position_ms: int) -> float:
        """When the chunk ending at or after `position_ms` of the audio was sent."""
        return next(at for _, at, end in self.sent if end >= position_ms)

    def late_between(self, start: float, end: float) -> float:
        """The sender's largest lateness on its deadlines between two loop times (seconds; a
        send just after `end` included: after a stall, which task runs first is arbitrary)."""
        return max(
            (at - deadline for deadline, at, _ in self.sent if start <= at <= end + STALL_SLACK_S),
            default=0.0,
        )

    def latency(self, position_ms: int, received: float) -> float:
        """From sending the chunk ending at `position_ms` to `received`, less the loop's own
        stall over that stretch."""
        sent = self.sent_at(position_ms)
        return received - sent - self.late_between(sent, received)


class Listener:
    """Receives, validates strictly against the SDK's GA union, and timestamps every event."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.received: list[tuple[float, dict[str, Any]]] = []

    async def next_event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(await self.connection.recv_bytes())
        ga_union().validate_python(event, strict=True)
        self.received.append((asyncio.get_running_loop().time(), event))
        return event

    async def until(self, event_type: str) -> dict[str, Any]:
        while (event := await self.next_event())["type"] != event_type:
            pass
        return event

    async def until_all(self, *event_types: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        while set(event_types) - set(found):
            event = await self.next_event()
            if event["type"] in event_types:
                found.setdefault(event["type"], event)
        return found

    def at(self, event: dict[str, Any]) -> float:
        return next(at for at, received in self.received if received is event)

    def of(self, event_type: str, **where: Any) -> list[dict[str, Any]]:
        return [
            e
            for _, e in self.received
            if e["type"] == event_type and all(e.get(k) == v for k, v in where.items())
        ]

    def audio_ms(self, response_id: str, until: float) -> float:
        deltas = [
            e
            for at, e in self.received
            if e["type"] == "response.output_audio.delta" and e["response_id"] == response_id
            if at <= until
        ]
        return sum(len(base64.b64decode(e["delta"])) for e in deltas) / PCM16.bytes_per_ms


async def first_turn(listen: Listener, caller: Caller) -> tuple[str, str, float]:
    """Turn 1 to the answer's first audio; (response id, assistant item id, its arrival)."""
    started = await listen.until("input_audio_buffer.speech_started")
    stopped = await listen.until("input_audio_buffer.speech_stopped")
    assert abs(started["audio_start_ms"] - (LEAD_IN_MS - 300)) <= FRAME_MS
    assert abs(stopped["audio_end_ms"] - (LEAD_IN_MS + TURN_MS + 200)) <= FRAME_MS
    assert caller.latency(LEAD_IN_MS + FRAME_MS, listen.at(started)) < VAD_LATENCY_LIMIT_S
    assert caller.latency(stopped["audio_end_ms"], listen.at(stopped)) < VAD_LATENCY_LIMIT_S
    committed = await listen.until("input_audio_buffer.committed")
    assert committed["item_id"] == started["item_id"] == stopped["item_id"]
    user = await listen.until("conversation.item.done")
    assert user["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    created = await listen.until("response.created")
    audio = await listen.until("response.output_audio.delta")
    return created["response"]["id"], audio["item_id"], listen.at(audio)


async def barge_in_and_truncate(
    listen: Listener, caller: Caller, response_id: str, item_id: str, first_audio: float
) -> None:
    caller.barge_in_at = first_audio + BARGE_IN_AFTER_S
    started = await listen.until("input_audio_buffer.speech_started")
    stop_playout = listen.at(started)
    assert caller.barge_in_ms is not None
    assert abs(started["audio_start_ms"] - (caller.barge_in_ms - 300)) <= FRAME_MS
    received_ms = listen.audio_ms(response_id, stop_playout)
    played_ms = int(min((stop_playout - first_audio) * 1000, received_ms))  # no underrun
    await listen.connection.conversation.item.truncate(
        item_id=item_id, content_index=0, audio_end_ms=played_ms
    )
    found = await listen.until_all("response.done", "conversation.item.truncated")
    said = check_cancelled(listen, found["response.done"], started)
    truncated = found["conversation.item.truncated"]
    assert (truncated["item_id"], truncated["audio_end_ms"]) == (item_id, played_ms)
    await listen.connection.conversation.item.retrieve(item_id=item_id)
    kept = (await listen.until("conversation.item.retrieved"))["item"]["content"][0]["transcript"]
    assert kept == synth.text_heard(synth.words_with_timing(said), played_ms)
    assert len(kept.split()) == played_ms // 350 >= 2
    assert len(said.split()) > len(kept.split())  # the unheard rest was dropped


def check_cancelled(listen: Listener, done: dict[str, Any], started: dict[str, Any]) -> str:
    """The answer ended cancelled by the turn, with no audio after speech_started; its text."""
    response = done["response"]
    assert response["status"] == "cancelled"
    assert response["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    order = [event for _, event in listen.received]
    after = order[order.index(started) :]
    kinds = [e["type"] for e in after if e.get("response_id") == response["id"]]
    assert "response.output_audio.delta" not in kinds
    assert kinds[:2] == ["response.output_audio.done", "response.output_audio_transcript.done"]
    return str(response["output"][0]["content"][0]["transcript"])


async def call(server_url: str) -> tuple[Listener, Caller]:
    client = AsyncOpenAI(api_key="sk-test", websocket_base_url=server_url)
    async with client.realtime.connect(model="gpt-realtime") as connection:
        listen = Listener(connection)
        assert (await listen.next_event())["type"] == "session.created"
        caller = Caller(connection)
        streaming = asyncio.create_task(caller.stream())
        try:
            response_id, item_id, first_audio = await first_turn(listen, caller)
            await barge_in_and_truncate(listen, caller, response_id, item_id, first_audio)
            await listen.until("input_audio_buffer.speech_stopped")
            answer = await listen.until("response.created")
            audio = await listen.until("response.output_audio.delta")
            assert audio["response_id"] == answer["response"]["id"] != response_id
        finally:
            streaming.cancel()
    return listen, caller


def warm_up() -> None:
    """Do once, before the clock matters, the slow first times of this process: the SDK builds
    its pydantic validators on first use (hundreds of ms for the GA union), and a session's first
    audio loads the audio core. Otherwise they stall the event loop the caller paces on."""
    store = SchemaStore()
    for spec in load_catalogue().events("realtime", "ga"):
        if spec.direction == "server":
            ga_union().validate_python(store.schema(spec.schema_path)["examples"][0], strict=True)
    session = simulated(ConnectionInfo("conn-0000-warmup", "ga", "gpt-realtime"))
    session.start(0.0)
    chunk = b64encode_audio(synth.speech(CHUNK_MS, seed=0))
    session.on_client_event({"type": "input_audio_buffer.append", "audio": chunk}, 0.02)
    session.due(1.0)


def test_an_audio_call_with_vad_barge_in_and_truncate() -> None:
    warm_up()

    async def body() -> tuple[Listener, Caller, list[str], float]:
        async with serving(behaviour_factory=simulated) as server:
            listen, caller = await call(server.url)
            [recording] = server.recordings.values()
            return listen, caller, list(recording.lines), recording.started_at

    listen, caller, recording, origin = run(body())
    assert len(listen.of("response.created")) == 2
    reactions = server_vad_reactions(recording, caller, origin)
    assert len(reactions) == 4  # started and stopped, for each of the two turns
    for event_type, delay_s, stall_s in reactions:
        assert delay_s >= 0, (event_type, reactions)  # never before the audio deciding it
        assert delay_s - stall_s < VAD_LATENCY_LIMIT_S, (event_type, reactions)
    print(measured(listen, caller, reactions))  # shown with -s: the figures the tolerances bound


def server_vad_reactions(
    lines: list[str], caller: Caller, origin: float
) -> list[tuple[str, float, float]]:
    """From the server's own transcript: for each VAD event it sent, seconds from the arrival of
    the append that completed the audio deciding it to the event going out, and the loop's
    stall then (the sender's lateness; `origin`: the transcript's start on the loop's clock).
    The decision point is on the audio timeline the appends build: the first speech frame's end
    for speech_started (its audio_start_ms includes the prefix padding), audio_end_ms for
    speech_stopped."""
    appended: list[tuple[float, float]] = []  # (audio timeline ms reached, t_ms received)
    reactions: list[tuple[str, float, float]] = []
    for line in parse_lines(lines):
        event = line.event
        if not isinstance(event, dict):
            continue
        if line.direction == "client" and event["type"] == "input_audio_buffer.append":
            reached = (appended[-1][0] if appended else 0.0) + audio_ms(event["audio"])
            appended.append((reached, line.record["t_ms"]))
        elif line.direction == "server" and event["type"] in VAD_DECIDED_AT:
            decided_ms = VAD_DECIDED_AT[event["type"]](event)
            arrived = origin + next(t for reached, t in appended if reached >= decided_ms) / 1000
            sent = origin + line.record["t_ms"] / 1000
            reactions.append((event["type"], sent - arrived, caller.late_between(arrived, sent)))
    return reactions


def audio_ms(b64: str) -> float:
    return len(base64.b64decode(b64)) / PCM16.bytes_per_ms


VAD_DECIDED_AT: dict[str, Callable[[dict[str, Any]], float]] = {
    "input_audio_buffer.speech_started": lambda e: (
        e["audio_start_ms"] + SERVER_VAD["prefix_padding_ms"] + FRAME_MS
    ),
    "input_audio_buffer.speech_stopped": lambda e: e["audio_end_ms"],
}


def measured(listen: Listener, caller: Caller, reactions: list[tuple[str, float, float]]) -> str:
    started = listen.of("input_audio_buffer.speech_started")
    stopped = listen.of("input_audio_buffer.speech_stopped")
    onsets = [LEAD_IN_MS + FRAME_MS, (caller.barge_in_ms or 0) + FRAME_MS]
    start_ms = [listen.at(e) - caller.sent_at(ms) for e, ms in zip(started, onsets, strict=True)]
    stop_ms = [listen.at(e) - caller.sent_at(e["audio_end_ms"]) for e in stopped]
    late = [sent - deadline for deadline, sent, _ in caller.sent]
    return (
        f"speech_started after its chunk: {[round(x * 1000, 1) for x in start_ms]} ms; "
        f"speech_stopped after its chunk: {[round(x * 1000, 1) for x in stop_ms]} ms; "
        f"send lateness: mean {sum(late) / len(late) * 1000:.2f} ms, max {max(late) * 1000:.2f} ms "
        f"over {len(late)} chunks; server VAD reactions "
        f"{[round(delay_s * 1000, 1) for _, delay_s, _ in reactions]} ms; truncated at "
        f"{listen.of('conversation.item.truncated')[0]['audio_end_ms']} ms"
    )
