"""A voice agent on a phone line: a WAV caller bridged to a Realtime server by the reference client.

    python -m realtime_conformance.refclient.examples.voice_agent \\
        --base-url ws://127.0.0.1:PORT/v1 \\
        --caller in.wav --out heard.wav [--dialect ga|beta] [--api-key K] [--model M] [--seconds N]

The client configures a server-VAD audio session, plays the caller's WAV into it in real time
(then silence, as a live line carries), plays the model's answers into the call on the bridge's
real-time clock, and stops and truncates them when the caller barges in: all of that is the
client's own behaviour (`send_media_to`), the example only wires it up. The call ends once the
caller's file has been spoken and the model has gone quiet, or after --seconds. heard.wav is
what the caller heard: the model's audio with the call's silences, lined up with in.wav.

Exit status: 0 after the call; 1 if the connection failed during it; 2 for bad input (a missing
or unreadable WAV, a bad URL, a server that cannot be reached), with one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from realtime_conformance.refclient import (
    Events,
    RealtimeAPIClient,
    RealtimeAPIEvents,
    create_realtime_api_client,
)
from realtime_conformance.refclient.examples.caller_line import CallerLine
from realtime_conformance.refclient.media import FRAME_MS, MediaUnit, PlayedAudio, PlayoutBridge
from realtime_conformance.refclient.media.wav import read_wav
from realtime_conformance.refclient.media_link import BridgeSettings
from realtime_conformance.refclient.realtime_options import ClientClosedError
from realtime_conformance.rtproto.audio.formats import PCM16

USAGE_ERROR = 2
SESSION_UPDATED_S = 10.0
QUIET_S = 1.5  # the model is done: no response, nothing played, for this long
SESSION = {
    "type": "realtime",
    "output_modalities": ["audio"],
    "instructions": "You are a friendly phone agent. Keep answers short.",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
    },
}


class BadInput(Exception):
    """Something the user gave cannot be used: one line, exit status 2."""


class CallFailed(Exception):
    """The call could not go on (the server closed the connection, did not answer): one line,
    exit status 1."""


@dataclass
class Tally:
    """What the summary reports, counted from the client's events and the bridge."""

    turns: int = 0  # responses done
    speech_started: int = 0
    speech_stopped: int = 0
    barge_ins: int = 0  # playout stopped with audio cut short
    truncates: int = 0  # conversation.item.truncated: the server confirmed each
    bridges: list[PlayoutBridge] = field(default_factory=list)
    media_runs: int = 0  # WebSocketMediaStarted
    last_activity: float = field(default_factory=time.monotonic)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)  # the server closed the socket
    close_facts: dict[str, Any] = field(default_factory=dict)

    def on_close(self, facts: dict[str, Any]) -> None:
        """on_web_socket_close: a close we did not ask for ends the call."""
        if facts.get("by") == "server":
            self.close_facts = facts
            self.dropped.set()

    def listen(self, client: RealtimeAPIClient) -> None:
        counted = {
            RealtimeAPIEvents.ResponseDone: "turns",
            RealtimeAPIEvents.InputAudioBufferSpeechStarted: "speech_started",
            RealtimeAPIEvents.InputAudioBufferSpeechStopped: "speech_stopped",
            RealtimeAPIEvents.ConversationItemTruncated: "truncates",
            Events.WebSocketMediaStarted: "media_runs",
        }
        for name, attribute in counted.items():
            client.add_event_listener(name, self._counter(attribute))

    def _counter(self, attribute: str) -> Callable[[Any, Any], None]:
        def count(_client: Any, _data: Any) -> None:
            setattr(self, attribute, getattr(self, attribute) + 1)
            self.last_activity = time.monotonic()

        return count

    def bridge_factory(self, unit: MediaUnit, settings: BridgeSettings) -> PlayoutBridge:
        """The default PlayoutBridge, counting the clears that cut audio short."""
        tally = self

        class CountingBridge(PlayoutBridge):
            def clear(self) -> list[PlayedAudio]:
                playing = self.playing_item is not None
                stopped = super().clear()
                tally.barge_ins += playing
                return stopped

        bridge = CountingBridge(
            unit,
            output_format=settings.output_format,
            input_format=settings.input_format,
            on_started=settings.on_media_event,
            on_ended=settings.on_media_event,
        )
        self.bridges.append(bridge)
        return bridge


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m realtime_conformance.refclient.examples.voice_agent",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--base-url", required=True, help="e.g. ws://127.0.0.1:PORT/v1")
    parser.add_argument("--caller", type=Path, required=True, help="mono 16-bit PCM WAV")
    parser.add_argument("--out", type=Path, required=True, help="what the caller heard (WAV)")
    parser.add_argument("--dialect", choices=["ga", "beta"], default="ga")
    parser.add_argument("--api-key", default="sk-example", help="any non-empty key for the mock")
    parser.add_argument("--model", default="gpt-realtime")
    parser.add_argument("--seconds", type=float, default=120.0, help="longest call (default 120)")
    return parser.parse_args(argv)


def check_caller(path: Path) -> float:
    """The caller WAV's duration in s; BadInput when it cannot be read as mono 16-bit PCM."""
    if not path.is_file():
        raise BadInput(f"caller WAV not found: {path}")
    try:
        audio = read_wav(path, PCM16)
    except (wave.Error, EOFError, ValueError, OSError) as error:
        reason = str(error) or "not a WAV file"
        raise BadInput(f"caller WAV unreadable: {path}: {reason}") from None
    if not audio:
        raise BadInput(f"caller WAV is empty: {path}")
    return PCM16.duration_ms(len(audio)) / 1000


async def connect(args: argparse.Namespace, tally: Tally) -> RealtimeAPIClient:
    try:
        return await create_realtime_api_client(
            api_key=args.api_key, model=args.model, base_url=args.base_url,
            dialect=args.dialect, statistics=True, bridge_factory=tally.bridge_factory,
            on_web_socket_close=tally.on_close,
        )  # fmt: skip
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
        reason = str(error) or type(error).__name__
        raise BadInput(f"cannot connect to {args.base_url}: {reason}") from None


async def configure(client: RealtimeAPIClient) -> None:
    """session.update, then wait for session.updated: the bridge takes the session's formats."""
    updated = asyncio.Event()
    client.add_event_listener(RealtimeAPIEvents.SessionUpdated, lambda _c, _d: updated.set())
    await client.session_update({"session": SESSION})
    try:
        await asyncio.wait_for(updated.wait(), SESSION_UPDATED_S)
    except TimeoutError:
        raise CallFailed(f"no session.updated within {SESSION_UPDATED_S:g} s") from None


async def until_quiet(client: RealtimeAPIClient, line: CallerLine, tally: Tally) -> None:
    """The caller's file has been spoken, the caller is not mid-turn, and the model has said
    nothing for QUIET_S (a response follows a turn's speech_stopped well within that)."""
    await line.caller_done.wait()
    while True:
        bridge = tally.bridges[-1] if tally.bridges else None
        talking = tally.speech_started > tally.speech_stopped
        busy = talking or client.protocol.response_active or (bridge and bridge.playing_item)
        if busy:
            tally.last_activity = time.monotonic()
        elif time.monotonic() - tally.last_activity >= QUIET_S:
            return
        await asyncio.sleep(0.05)


async def unless_dropped(tally: Tally, work: Awaitable[None], timeout_s: float | None) -> None:
    """`work` until it is done or `timeout_s` has passed; CallFailed if the server closes the
    connection first (the client's own close callback says so)."""
    task, dropped = asyncio.ensure_future(work), asyncio.create_task(tally.dropped.wait())
    await asyncio.wait({task, dropped}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    for waiting in (task, dropped):
        waiting.cancel()
    if tally.dropped.is_set():
        facts = tally.close_facts
        expired = ", session expired" if facts.get("expired") else ""
        raise CallFailed(f"closed by the server (code {facts.get('code')}{expired})")
    if task.done() and not task.cancelled():
        task.result()  # its error, if any


async def call(args: argparse.Namespace) -> dict[str, Any]:
    tally = Tally()
    client = await connect(args, tally)
    line = CallerLine(args.caller, args.out)
    started = time.monotonic()
    try:
        tally.listen(client)
        await unless_dropped(tally, configure(client), None)
        await client.send_media_to(line)
        await unless_dropped(tally, until_quiet(client, line, tally), args.seconds)
    finally:
        await client.close()
        await line.close()
    return summary(client, tally, time.monotonic() - started)


def summary(client: RealtimeAPIClient, tally: Tally, seconds: float) -> dict[str, Any]:
    stats = client.statistics() or {}
    played = sum(len(bridge.timing) for bridge in tally.bridges) * FRAME_MS  # frames sent
    return {
        "call_s": round(seconds, 1),
        "turns": tally.turns,
        "speech_started": tally.speech_started,
        "barge_ins": tally.barge_ins,
        "truncates": tally.truncates,
        "caller_audio_ms": round(stats.get("sent", {}).get("audio_ms", 0.0)),
        "model_audio_ms": round(stats.get("received", {}).get("audio_ms", 0.0)),
        "played_ms": played,
    }


def report(figures: dict[str, Any], out: Path) -> str:
    return (
        f"call {figures['call_s']} s: {figures['turns']} turn(s), "
        f"{figures['speech_started']} speech start(s), {figures['barge_ins']} barge-in(s), "
        f"{figures['truncates']} truncate(s)\n"
        f"audio: caller -> model {figures['caller_audio_ms']} ms, "
        f"model -> caller {figures['model_audio_ms']} ms received, "
        f"{figures['played_ms']} ms played into the call (20 ms frames)\n"
        f"heard: {out}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_caller(args.caller)
        if not args.out.parent.is_dir():
            raise BadInput(f"no directory for --out: {args.out.parent}")
        figures = asyncio.run(call(args))
    except BadInput as error:
        print(f"voice_agent: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (CallFailed, ClientClosedError) as error:
        print(f"voice_agent: the connection was lost during the call: {error}", file=sys.stderr)
        return 1
    print(report(figures, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
