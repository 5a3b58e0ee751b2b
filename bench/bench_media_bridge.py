"""The media bridge's timing over a long call, measured from the virtual call's recording.

Run: python bench/bench_media_bridge.py [--seconds 60] [--json]

A PlayoutBridge on a TwilioUnit dials a VirtualCall on loopback (Twilio Media Streams, mu-law
8 kHz). A simulated model delivers one continuous answer of `--seconds` of PCM16 24 kHz audio in
200 ms deltas at 4x real time (the real API runs ahead of playout); the bridge converts and
plays it. Then, after the answer has ended, a second answer is cleared mid-way (barge-in).
Every figure comes from recorded timestamps on one monotonic clock:

  lateness    frame k's arrival at the call minus the bridge's deadline for it (p50/p99/max)
  gaps        silences between heard frames of the continuous answer (the carrier model:
              conformance.call.playout), count and total, and those of a frame or more
  drift       (last arrival - first arrival) - ((frames - 1) * 20 ms - the bridge's lead)
  started     WebSocketMediaStarted minus the first frame's arrival at the call
  ended       WebSocketMediaEnded minus the end of the last frame's playout at the call
  clear       the last heard audio's end at the call minus the moment clear() was called
  truncate    the played ms the bridge reported at clear minus what the caller heard of it

Targets (issue 15, idle machine): p99 lateness < 5 ms, no gap, drift < 20 ms, started < 50 ms,
ended 1000 +- 50 ms, clear and truncate within one frame (20 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from realtime_conformance.conformance.call.playout import Playout
from realtime_conformance.conformance.call.virtual_call import VirtualCall
from realtime_conformance.refclient.media import MediaEnded, MediaStarted, PlayoutBridge, TwilioUnit
from realtime_conformance.rtproto.audio.synth import speech

DELTA_MS = 200
SPEED = 4.0  # how much faster than real time the simulated model delivers
BARGE_IN_AFTER_S = 1.5
FRAME_MS = 20


@dataclass
class Observed:
    started: list[float] = field(default_factory=list)
    ended: list[float] = field(default_factory=list)

    def on_started(self, event: MediaStarted) -> None:
        self.started.append(time.monotonic())

    def on_ended(self, event: MediaEnded) -> None:
        self.ended.append(time.monotonic())


async def deliver(bridge: PlayoutBridge, item_id: str, seconds: float) -> None:
    """One answer's audio in DELTA_MS deltas at SPEED times real time."""
    delta = speech(DELTA_MS, seed=7)
    for _ in range(int(seconds * 1000 / DELTA_MS)):
        bridge.enqueue(item_id, 0, delta)
        await asyncio.sleep(DELTA_MS / 1000 / SPEED)


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def call_with_bridge(seconds: float) -> dict[str, Any]:
    seen, origin = Observed(), time.monotonic()
    async with VirtualCall(format="twilio", clock_origin=origin) as call:
        unit = TwilioUnit(call.url)
        bridge = PlayoutBridge(unit, on_started=seen.on_started, on_ended=seen.on_ended)
        await bridge.start()
        await deliver(bridge, "answer", seconds)
        await until(lambda: len(seen.ended) == 1)
        first_run_frames = len(bridge.timing)
        delivering = asyncio.create_task(deliver(bridge, "interrupted", 5.0))
        await asyncio.sleep(BARGE_IN_AFTER_S)
        cleared_at = time.monotonic()
        (stopped,) = bridge.clear()
        delivering.cancel()
        await until(lambda: len(seen.ended) == 2)
        await bridge.stop()
        await unit.close()
    cleared_ms = (cleared_at - origin) * 1000
    return figures(Call(call.playout(), list(bridge.timing), seen, origin, first_run_frames,
                        cleared_ms, stopped.played_ms, bridge.lead_s * 1000))  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Call:
    """What one bench call left behind."""

    playout: Playout
    timing: list[tuple[float, float]]  # the bridge's (deadline, sent) per frame
    seen: Observed
    origin: float
    run_frames: int  # frames of the continuous answer
    cleared_ms: float  # when clear() was called, on the recording's clock
    reported_ms: int  # the played ms clear() reported for the interrupted answer
    lead_ms: float  # how far ahead of real time the bridge sends


def figures(call: Call) -> dict[str, Any]:
    playout, seen, origin, run_frames = call.playout, call.seen, call.origin, call.run_frames
    frames = playout.frames[:run_frames]
    deadlines_ms = [(deadline - origin) * 1000 for deadline, _ in call.timing[:run_frames]]
    lateness = [f.arrival_ms - d for f, d in zip(frames, deadlines_ms, strict=True)]
    run_end = frames[-1].end_ms
    # by real time, the last frame is due (frames - 1) * 20 ms after the first, minus the lead
    real_time_ms = (len(frames) - 1) * FRAME_MS - call.lead_ms
    gaps = [g for g in playout.gaps() if g.end_ms <= run_end]
    second = playout.frames[run_frames:]
    heard_second = sum(f.heard_ms for f in second)
    return {
        "frames": len(frames),
        "lateness_ms": {
            "p50": statistics.median(lateness),
            "p99": percentile(lateness, 0.99),
            "max": max(lateness),
        },
        "gaps": {
            "count": len(gaps),
            "total_ms": sum(g.duration_ms for g in gaps),
            "of_a_frame_or_more": sum(g.duration_ms >= FRAME_MS for g in gaps),
        },
        "drift_ms": frames[-1].arrival_ms - frames[0].arrival_ms - real_time_ms,
        "started_ms": (seen.started[0] - origin) * 1000 - frames[0].arrival_ms,
        "ended_ms": (seen.ended[0] - origin) * 1000 - run_end,
        "clear_ms": max(f.end_ms for f in second if f.heard_ms > 0) - call.cleared_ms,
        "truncate_ms": call.reported_ms - heard_second,
        "load_average": os.getloadavg(),
    }


def table(result: dict[str, Any]) -> str:
    late, gaps = result["lateness_ms"], result["gaps"]
    return "\n".join([
        f"frames              {result['frames']}",
        f"lateness p50/p99/max {late['p50']:.2f} / {late['p99']:.2f} / {late['max']:.2f} ms"
        "   (target p99 < 5)",
        f"gaps                {gaps['count']} totalling {gaps['total_ms']:.1f} ms, "
        f"{gaps['of_a_frame_or_more']} of a frame or more   (target: none)",
        f"drift               {result['drift_ms']:.2f} ms   (target < 20)",
        f"started             {result['started_ms']:.2f} ms after the first frame (target < 50)",
        f"ended               {result['ended_ms']:.1f} ms after the last frame (1000 +- 50)",
        f"clear               {result['clear_ms']:.2f} ms of audio heard after clear() (< 20)",
        f"truncate            reported - heard = {result['truncate_ms']:.2f} ms (|x| < 20)",
        f"load average        {' '.join(f'{x:.2f}' for x in result['load_average'])}",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the continuous answer")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(call_with_bridge(args.seconds))
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
