"""The scripted workloads: scenario files for the mock, and the same events for the baseline.

Each workload is a scenario (the YAML format of rtproto.scenario) whose reply to
`response.create` is what the benchmark measures. The raw aiohttp baseline sends the very
events a ScenarioPlayer produces for that scenario, built once before timing, so both servers
put the same number of frames of the same sizes on the wire.

The project is imported only where a scenario is parsed or played, so that the processes that
merely import the constants here (the load client) keep a small heap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realtime_conformance.rtproto.scenario import Scenario

Event = dict[str, Any]
SCENARIO_ID = "99.1.1"
EVENTS_FILE = "events.json"  # {"hello": [...], "reply": [...]}: what the raw baseline sends
VOCABULARY = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
RESPONSE_CREATE = '{"type":"response.create"}'
# 20 ms of silent PCM16 24 kHz input audio (960 zero bytes), as a caller's client appends it.
APPEND_20MS = '{"type":"input_audio_buffer.append","audio":"' + "A" * 1280 + '"}'
# Events are encoded compactly (the mock's encoding), so every type starts the frame like this.
CREATED_PREFIX = '{"type":"response.created"'
DONE_PREFIX = '{"type":"response.done"'


def words(count: int) -> str:
    """`count` words, each one text delta of the text_response template."""
    return " ".join(f"{VOCABULARY[i % len(VOCABULARY)]}{i % 1000}" for i in range(count))


def _scenario(title: str, reply_step: str, pace_ms: int, extra: tuple[str, ...] = ()) -> str:
    return "\n".join(
        [
            f"id: {SCENARIO_ID}",
            f"title: {title}",
            "requirement: The client MUST read every event of the reply.",
            "dialects: [ga, beta]",
            f"pace_ms: {pace_ms}",
            *extra,
            "on_start: [session.created]",
            "expect:",
            "  - when: {type: response.create}",
            "    reply:",
            f"      - {reply_step}",
            "",
        ]
    )


def long_text_scenario(deltas: int) -> str:
    """Unpaced: one text response of `deltas` deltas (~240-byte events)."""
    step = f'text_response: {{text: "{words(deltas)}"}}'
    return _scenario(f"Benchmark - one text response of {deltas} deltas", step, 0)


def paced_turn_scenario(workload: str, pace_ms: int, turn_ms: int) -> str:
    """Paced: each `response.create` gets one turn of about `turn_ms`, one event per `pace_ms`.

    audio: an audio_response in 20 ms chunks (1.3 KB deltas, what a voice call streams);
    duplex: the same, while the caller's audio keeps coming: the client appends 20 ms of input
    audio every 20 ms and the server runs its VAD on every append (`vad: true`), as in a call;
    text: a text_response (~240-byte deltas).
    """
    extra: tuple[str, ...] = ("vad: true",) if workload == "duplex" else ()
    if workload in ("audio", "duplex"):
        step = (
            f"audio_response: {{duration_ms: {turn_ms}, chunk_ms: {pace_ms}, "
            f'transcript: "{words(8)}"}}'
        )
    elif workload == "text":
        step = f'text_response: {{text: "{words(turn_ms // pace_ms)}"}}'
    else:
        raise ValueError(f"unknown workload {workload!r}")
    return _scenario(f"Benchmark - {workload} turns paced at {pace_ms} ms", step, pace_ms, extra)


def write_scenario(directory: Path, text: str) -> tuple[list[Event], list[Event]]:
    """A directory with this one scenario (the mock loads a directory) and, in events.json,
    the events the raw baseline sends (see `prebuilt_events`); returns those events."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    from realtime_conformance.rtproto.scenario import parse_scenario  # noqa: PLC0415 - see the module's docstring

    hello, reply = prebuilt_events(parse_scenario(text, str(path)))
    events = json.dumps({"hello": hello, "reply": reply}, ensure_ascii=False)
    (directory / EVENTS_FILE).write_text(events, encoding="utf-8")
    return hello, reply


def prebuilt_events(scenario: Scenario) -> tuple[list[Event], list[Event]]:
    """What a player sends on start, and its whole reply to one `response.create`."""
    from realtime_conformance.rtproto.server.play import ScenarioPlayer  # noqa: PLC0415
    from realtime_conformance.rtproto.server.realtime.outbox import Send  # noqa: PLC0415 - see the module's docstring

    player = ScenarioPlayer(scenario, seed=1)
    player.start(0.0)
    hello = [item.event for item in player.due(0.0) if isinstance(item, Send)]
    player.on_client_event(json.loads(RESPONSE_CREATE), 0.0)
    reply: list[Event] = []
    while player.next_deadline() is not None:  # a long reply comes in batches
        reply += [item.event for item in player.due(float("inf")) if isinstance(item, Send)]
    return hello, reply


def encode(event: Event) -> str:
    """The mock's own encoding (mockserver.websocket.encode_event), so sizes match."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
