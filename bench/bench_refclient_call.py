"""The whole reference client on a phone call: media timing from the recorded wires.

Run: python bench/bench_refclient_call.py [--seconds 60] [--dialect ga|beta] [--accept] [--json]

The reference client (create_realtime_api_client, send_media_to with the default PlayoutBridge)
talks to the mock's simulated model (realistic timing, audio at 4x real time, server VAD; the
mock in the same process and loop, as the conformance runner has it) and bridges a
Twilio Media Streams call: a TwilioUnit dials the VirtualCall (or, --accept, is dialled by it).
The caller speaks 1.5 s turns 2.5 s apart, so each answer is cut by the next turn (one barge-in
a turn); the last --clear-turns turns leave 6 s of silence and the driver calls
clear_media_buffer 1 s into the answer instead. Every figure is computed from the case
recording the conformance suite would judge (the mock's wire rebased, the call wire, the
driver's steps and reports; see bench/refclient_call_figures.py):

  lateness    each frame's arrival at the call minus the bridge's deadline for it
  gaps        silences inside an answer's heard audio (the carrier playout model)
  drift       per answer, (last - first arrival) - real time; worst answer, and summed
  started     WebSocketMediaStarted minus the first frame of its run playing
  ended       WebSocketMediaEnded minus the end of the last frame of its run heard (a clear
              cuts it), and minus the uncut end of the last frame sent (the bridge's view)
  stop        end of the heard audio minus speech_started (as the mock sent it) / minus the
              driver's clear_media_buffer call
  truncate    audio_end_ms minus what the caller heard of the item

Targets (issue 15, idle machine): lateness p99 < 5 ms, no gap, drift < 20 ms, started < 50 ms,
ended 1000 +- 50 ms, stop and truncate within one frame (20 ms). The suite's media checks are
run on the same recording too (their own, looser, tolerances).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from refclient_call_figures import CallData, figures

from realtime_conformance.conformance.call.virtual_call import VirtualCall
from realtime_conformance.conformance.case_run import DriverLog
from realtime_conformance.conformance.checks.media_reports import ENDED, STARTED
from realtime_conformance.conformance.checks.registry import (
    CheckContext,
    load_all_checks,
    run_checks,
)
from realtime_conformance.conformance.recording import CaseRecording
from realtime_conformance.mockserver import RunningServer, running_server
from realtime_conformance.mockserver.options import ServerOptions, SimulatedModel
from realtime_conformance.refclient import Events, RealtimeAPIClient, create_realtime_api_client
from realtime_conformance.refclient.examples.voice_agent import configure
from realtime_conformance.refclient.media import PlayoutBridge, TwilioUnit
from realtime_conformance.rtproto.audio.codecs import convert
from realtime_conformance.rtproto.audio.formats import PCM16
from realtime_conformance.rtproto.audio.synth import caller_script
from realtime_conformance.rtproto.telephony import twilio

SPEECH_MS, PAUSE_MS, CLEAR_PAUSE_MS, LEAD_IN_MS = 1500, 2500, 6000, 500
CLEAR_AFTER_S = 1.0  # into the answer's playout, the driver's clear_media_buffer
SETTLE_S = 2.0  # after the caller's script: the last WebSocketMediaEnded
MEDIA_CHECKS = (
    "media.clear_on_barge_in",
    "media.truncate_on_barge_in",
    "media.truncate_at_heard_audio",
    "media.playout_cadence",
    "media.playout_backlog",
    "media.media_reports",
    "media.first_audio_latency",
)


def caller_turns(seconds: float, clear_turns: int) -> tuple[bytes, float]:
    """The caller's audio in the call's format, and when (ms into it) the clear turns begin."""
    clear_ms = clear_turns * (SPEECH_MS + CLEAR_PAUSE_MS)
    barge_ins = max(1, int((seconds * 1000 - LEAD_IN_MS - clear_ms) // (SPEECH_MS + PAUSE_MS)))
    turns = [(SPEECH_MS, PAUSE_MS)] * barge_ins + [(SPEECH_MS, CLEAR_PAUSE_MS)] * clear_turns
    script = caller_script(turns, lead_in_ms=LEAD_IN_MS, seed=3)
    clears_from = script.bursts[barge_ins].start_ms if clear_turns else float("inf")
    return convert(script.pcm, PCM16, twilio.AUDIO_FORMAT), clears_from


class Driver:
    """The application: reports the client's media events, clears answers in the clear turns."""

    def __init__(self, client: RealtimeAPIClient, log: DriverLog) -> None:
        self.client, self.log = client, log
        self.clear_from = float("inf")  # monotonic time the clear turns begin
        self.tasks: set[asyncio.Task[None]] = set()
        client.add_event_listener(Events.WebSocketMediaStarted, self.on_started)
        client.add_event_listener(Events.WebSocketMediaEnded, self.on_ended)

    def on_started(self, _client: Any, data: Any) -> None:
        self.log.report(STARTED, data)
        if time.monotonic() >= self.clear_from:
            task = asyncio.create_task(self.clear_later())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def on_ended(self, _client: Any, data: Any) -> None:
        self.log.report(ENDED, data)

    async def clear_later(self) -> None:
        await asyncio.sleep(CLEAR_AFTER_S)
        self.log.step("clear_media_buffer", {})
        await self.client.clear_media_buffer()


async def bridge_call(call: VirtualCall, client: RealtimeAPIClient, accept: bool) -> TwilioUnit:
    """send_media_to a TwilioUnit that dials the call, or that the call dials."""
    if not accept:
        unit = TwilioUnit(call.url)
        await client.send_media_to(unit)
        return unit
    unit = TwilioUnit()
    url = await unit.listen()
    dialled = asyncio.create_task(call.dial(url))
    await client.send_media_to(unit)
    await dialled
    return unit


async def run_call(mock: RunningServer, args: argparse.Namespace) -> CallData:
    origin = time.monotonic()
    log = DriverLog(origin)
    caller, clears_from_ms = caller_turns(args.seconds, args.clear_turns)
    async with VirtualCall(format="twilio", caller=caller, clock_origin=origin) as call:
        client = await create_realtime_api_client(
            api_key="sk-bench", base_url=mock.url, dialect=args.dialect
        )
        driver = Driver(client, log)
        await configure(client)  # the example's server-VAD audio session, until session.updated
        unit = await bridge_call(call, client, args.accept)
        driver.clear_from = time.monotonic() + clears_from_ms / 1000
        bridge = client.media.bridge
        assert isinstance(bridge, PlayoutBridge)
        await call.caller_done()
        await asyncio.sleep(SETTLE_S)
        await client.close()
        await unit.close()
        await call.hang_up()
    await asyncio.wait_for(mock.connections[0].finished(), SETTLE_S)
    lines = mock_lines(mock, origin) + call.records() + log.lines
    lines.sort(key=lambda line: float(line.get("t_ms") or 0.0))
    deadlines = [(deadline - origin) * 1000 for deadline, _ in bridge.timing]
    return CallData(CaseRecording.from_dicts(lines), deadlines, bridge.lead_s * 1000)


def mock_lines(mock: RunningServer, origin: float) -> list[dict[str, Any]]:
    """The mock's wire on the case clock (as conformance.runner.collect rebases it). The mock
    runs in this loop: it stamps an event right after writing it, before any other task runs,
    so no frame reaches the call before the event that carried it is on the record (a mock in
    another thread can be preempted in between and stamp it late)."""
    lines = []
    for record in mock.connections:
        shift = (record.recording.started_at - origin) * 1000
        for line in record.recording.records():
            lines.append(dict(line, t_ms=round(float(line.get("t_ms", 0.0)) + shift, 1)))
    return lines


def suite_checks(data: CallData, dialect: str) -> dict[str, Any]:
    """The conformance suite's media checks on the same recording: failures and measurements."""
    load_all_checks()
    ctx = CheckContext("bench", "refclient call", data.recording, dialect=dialect)
    failures = run_checks(ctx, MEDIA_CHECKS)
    return {"failures": [f"{f.check}: {f.actual}" for f in failures],
            "measurements": ctx.measurements}  # fmt: skip


def mock_options(seed: int) -> ServerOptions:
    return ServerOptions(behaviour_factory=SimulatedModel(), ping_interval_s=None, seed=seed)


async def call_against_mock(args: argparse.Namespace) -> CallData:
    async with running_server(mock_options(args.seed)) as mock:
        return await run_call(mock, args)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    data = asyncio.run(call_against_mock(args))
    if args.save:
        args.save.write_text(data.recording.dumps())
    result = figures(data)
    result["suite_checks"] = suite_checks(data, args.dialect)
    result["load_average"] = os.getloadavg()
    return result


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(label: str, spread: dict[str, Any], target: str) -> str:
    figures_ = " / ".join(_ms(spread[key]) for key in ("p50", "p99", "max"))
    return f"{label:<30} n={spread['count']:<5} p50/p99/max {figures_} ms   ({target})"


def table(result: dict[str, Any]) -> str:
    drift, checks = result["drift_ms"], result["suite_checks"]
    rows = [
        f"frames {result['frames']}, {result['answers']} answers, "
        f"{result['heard_audio_ms'] / 1000:.1f} s heard",
        _row("frame lateness", result["lateness_ms"], "target p99 < 5"),
        _row("gaps inside answers", result["gaps_ms"], "target: none"),
        f"{'drift':<30} worst answer {_ms(drift['worst_item'])} ms, summed over "
        f"{drift['items']} answers {_ms(drift['summed'])} ms   (target < 20)",
        _row("Started - first frame", result["started_ms"], "target < 50"),
        _row("Ended - last heard frame end", result["ended_ms"], "target 1000 +- 50"),
        _row("Ended - last sent frame end", result["ended_after_sent_ms"], "uncut, dropped too"),
        _row("stop after speech_started", result["stop_after_speech_started_ms"], "< 20"),
        _row("stop after clear_media_buffer", result["stop_after_clear_ms"], "< 20"),
        _row("truncate - heard", result["truncate_error_ms"], "|x| < 20"),
        f"suite media checks: {len(checks['failures'])} failure(s) "
        + "; ".join(checks["failures"]),
        f"load average {' '.join(f'{x:.2f}' for x in result['load_average'])}",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the caller's script")
    parser.add_argument("--clear-turns", type=int, default=2, help="turns cleared by the app")
    parser.add_argument("--dialect", choices=["ga", "beta"], default="ga")
    parser.add_argument("--accept", action="store_true", help="the call dials the client's unit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--save", type=Path, help="write the case recording (JSONL) here")
    args = parser.parse_args()
    result = measure(args)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
